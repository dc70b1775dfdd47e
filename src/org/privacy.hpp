// Personal-data rights under PIPL: a resident's access to everything held
// about them (export) and deletion for someone who has left (anonymise),
// keeping the statistics their records feed.
#pragma once
#include <nlohmann/json.hpp>

#include "auth/audit.hpp"
#include "auth/principal.hpp"
#include "store/db.hpp"

namespace linli {
class App;
}

namespace linli::org {

// Everything held about resident `id`: the person (phone and ID numbers
// revealed), household and its moves, party membership, cases they reported,
// points deeds, ledger entries and redemptions, linked accounts, and who
// revealed their numbers when. Needs resident.reveal in scope (404 outside);
// the export itself is audited in the same step.
Result<nlohmann::json> export_personal_data(store::Db& db, const auth::Principal& p,
                                            std::int64_t id, const auth::Actor& by);

// Replaces the personal fields of a resident who no longer lives in the
// territory (status moved_out or deceased; 409 otherwise): name becomes
// "已注销居民#id", sealed phone and ID numbers and their indexes are removed,
// the birth date keeps only its year, care tags are cleared; the same on the
// cases they reported and on their points account; linked accounts are
// disabled. Counts, points and case records stay, so statistics do not move.
// Needs resident.write in scope; audited.
Status anonymise_resident(store::Db& db, const auth::Principal& p, std::int64_t id,
                          const auth::Actor& by);

// Records that a resident has left the territory (status moved_out; 409 when
// already gone). Needs resident.write in scope; audited.
Status move_out(store::Db& db, const auth::Principal& p, std::int64_t id, const auth::Actor& by);

// POST /api/v1/residents/{id}/move-out, /personal-data and /anonymise.
void add_privacy_routes(App& app);

}  // namespace linli::org
