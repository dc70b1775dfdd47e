// 积分制 (DOMAIN.md §3): a rule catalogue, 一事一记 deeds reviewed monthly
// (一月一评), published and frozen (一月一示) with an objection window, and
// a double-entry ledger: every movement is a transfer between two accounts,
// balances are sums, nothing overdraws. Redemption at the 积分超市 and the
// 商家联盟 with one-time codes.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit.hpp"
#include "auth/principal.hpp"
#include "notify/service.hpp"
#include "store/db.hpp"

namespace linli::points {

using Json = nlohmann::json;

struct DeedInput {
  std::int64_t resident_id = 0;
  std::string rule_code;
  std::string deed_date;  // YYYY-MM-DD; its month is the month it counts in
  std::string note;
  std::string evidence_sha;
};

struct Review {
  std::int64_t deed_id = 0;
  std::string decision;                // approve, adjust, reject
  std::optional<std::int64_t> points;  // for adjust (signed, same sign as the rule)
  std::string reason;
};

// 最美居民, 最美志愿者, 最美商户, 十星文明户 by code; empty when unknown.
std::string honour_name(const std::string& kind);
// 获得积分, 扣减积分, 兑换 … for a transfer kind; empty when unknown.
std::string transfer_kind_name(const std::string& kind);
// Every kind of transfer the ledger holds (its `kind` filter's values).
const std::vector<std::string>& transfer_kinds();

// 积分台账: transfers touching a community's accounts, newest first.
struct LedgerQuery {
  std::int64_t community_id = 0;
  std::int64_t resident_id = 0;  // 0 = everyone
  std::string kind;              // award, penalty, redeem, refund, correction, expiry; "" = all
  std::string month;             // YYYY-MM (Shanghai); "" = all time
  std::int64_t before = 0;       // cursor: transfers with a smaller id
  int limit = 50;
};

// One resident's honours and their household's, newest first, for the
// resident's own pages and staff's resident page.
Result<Json> honours_of(store::Db& db, std::int64_t resident_id);
// "2026最美居民、2025十星文明户" per resident in a subtree (own or
// household's), for exports.
Result<std::map<std::int64_t, std::string>> honours_in(store::Db& db, const std::string& path);

class PointsService {
 public:
  explicit PointsService(store::Db& db) : db_(db) {}

  // The catalogue in force for a community: its own latest version of each
  // rule code, else the city default.
  Result<Json> rules(const auth::Principal& p, std::int64_t community_id);
  // Changes (or adds) a rule for a community as a new version.
  Result<Json> put_rule(const auth::Principal& p, std::int64_t community_id, const Json& body,
                        const auth::Actor& by);

  // 一事一记. Pending unless the rule is automatic.
  Result<Json> record(const auth::Principal& p, const DeedInput& in, const auth::Actor& by);
  // For other modules (a closed case, an activity check-in, a fulfilled wish):
  // records under the caller's own transaction, as the system.
  Result<std::int64_t> award(store::Tx& tx, std::int64_t resident_id, const std::string& rule_code,
                             const std::string& source, std::int64_t source_ref,
                             const std::string& note);
  // Newest first, at most 2,000, as a JSON array's text.
  Result<std::string> deeds(const auth::Principal& p, std::int64_t community_id,
                            const std::string& month, const std::string& state,
                            std::int64_t resident_id);
  // 一月一评: approve, adjust or reject pending deeds, all in one step.
  Result<Json> review(const auth::Principal& p, const std::vector<Review>& items,
                      const auth::Actor& by);
  // 一月一示: freezes the month's approved deeds and totals. Refused while
  // deeds are pending or when already published.
  Result<Json> publish(const auth::Principal& p, std::int64_t community_id,
                       const std::string& month, const auth::Actor& by);
  // The published month: snapshot, notice text, state (published/final).
  Result<Json> month(const auth::Principal& p, std::int64_t community_id, const std::string& month);
  Result<Json> object(const auth::Principal& p, std::int64_t deed_id, const std::string& reason,
                      const auth::Actor& by);
  Result<Json> objections(const auth::Principal& p, std::int64_t community_id);
  // Upheld: a correcting deed in the current month cites the original.
  Result<Json> resolve_objection(const auth::Principal& p, std::int64_t id, bool upheld,
                                 const std::string& resolution, std::int64_t correction,
                                 const auth::Actor& by);

  // Ledger
  Result<Json> balance(const auth::Principal& p, std::int64_t resident_id);
  // 积分台账 search (limit + 1 rows, for page_json) and its export, audited.
  Result<Json> ledger(const auth::Principal& p, const LedgerQuery& q);
  Result<std::vector<std::vector<std::string>>> export_ledger(const auth::Principal& p,
                                                              LedgerQuery q, const auth::Actor& by);
  // Every check of the ledger: sum zero, no resident or shop below zero, no
  // stock below zero. Empty array when all hold.
  Result<Json> check_ledger();

  // 积分超市
  Result<Json> add_item(const auth::Principal& p, std::int64_t station_org, const std::string& name,
                        std::int64_t price, std::int64_t stock, const auth::Actor& by);
  Result<Json> restock(const auth::Principal& p, std::int64_t item_id, std::int64_t delta,
                       const auth::Actor& by);
  Result<Json> items(const auth::Principal& p, std::int64_t community_id);
  Result<Json> order(const auth::Principal& p, std::int64_t item_id, const auth::Actor& by);
  Result<Json> hand_over(const auth::Principal& p, std::int64_t redemption_id,
                         const auth::Actor& by);
  Result<Json> cancel(const auth::Principal& p, std::int64_t redemption_id, const auth::Actor& by);

  // 商家联盟
  Result<Json> add_service(const auth::Principal& p, std::int64_t merchant_org,
                           const std::string& name, std::int64_t price, const auth::Actor& by);
  Result<Json> services(const auth::Principal& p);
  // A six-digit code valid for a few minutes; points move when the merchant
  // verifies it.
  Result<Json> issue_code(const auth::Principal& p, std::int64_t service_id, const auth::Actor& by);
  Result<Json> verify_code(const auth::Principal& p, std::int64_t merchant_org,
                           const std::string& code, const auth::Actor& by);
  Result<Json> my_redemptions(const auth::Principal& p);
  // A station's (or merchant's) redemptions in a state, for the counter.
  Result<Json> redemptions(const auth::Principal& p, std::int64_t org_id, const std::string& state);
  // A merchant's (or station's) redemptions in a month, with the total.
  Result<Json> statement(const auth::Principal& p, std::int64_t org_id, const std::string& month);

  // 基础积分: the year's base points to each household's head in a
  // community, once a year (the rule "base"; its points are the amount).
  // Returns how many households received them now.
  Result<Json> grant_base(const auth::Principal& p, std::int64_t community_id, int year,
                          const auth::Actor& by);

  // Community options, each falling back to the city default (community 0):
  // objection_days, code_minutes, expiry_months (0 = points never expire).
  Result<Json> settings(const auth::Principal& p, std::int64_t community_id);
  Result<Json> put_settings(const auth::Principal& p, std::int64_t community_id, const Json& body,
                            const auth::Actor& by);
  std::int64_t setting(std::int64_t community_id, const char* key, std::int64_t dflt);

  // 积分到期 (expiry.cpp). Where a community's rule says points expire N
  // months after the month they were earned, each month start moves what
  // has expired back to the fund (spending uses the oldest points first)
  // and tells residents a month ahead what will expire next. Runs once per
  // community and month; the server calls it every minute.
  Result<Json> expire(std::int64_t now_ms, notify::Notifier* notifier);
  // What a resident will lose at the next month start, if anything:
  // {"points", "on": "YYYY-MM-DD"}, or null.
  Result<Json> expiring(std::int64_t resident_id, std::int64_t now_ms);

  // "居民+支部" roll-up and honours. The node is a community or a street;
  // a street's rankings add its communities.
  Result<Json> rankings(const auth::Principal& p, std::int64_t node_id, const std::string& month);
  Result<Json> add_honour(const auth::Principal& p, const Json& body, const auth::Actor& by);
  Result<Json> honours(const auth::Principal& p, std::int64_t community_id, std::int64_t year);

 private:
  Result<std::int64_t> account(store::Tx& tx, const std::string& kind, std::int64_t ref,
                               const std::string& node_path, const std::string& name);
  Result<std::int64_t> balance_of(store::Tx& tx, std::int64_t account_id);
  Status transfer(store::Tx& tx, std::int64_t from, std::int64_t to, std::int64_t amount,
                  const std::string& kind, std::int64_t deed, std::int64_t redemption,
                  const std::string& note);
  // Moves a deed's points between the community fund and the resident;
  // a penalty takes no more than the resident holds.
  Result<std::int64_t> apply_deed(store::Tx& tx, std::int64_t deed_id, std::int64_t points);
  Result<std::string> community_path(std::int64_t community_id);
  Result<std::int64_t> expire_community(std::int64_t community_id, const std::string& path,
                                        int months, const std::string& boundary);
  Result<int> notice_expiry(const std::string& path, int months, const std::string& boundary,
                            notify::Notifier* notifier);
  Result<std::int64_t> community_of(const std::string& node_path);
  Result<store::Rows> ledger_rows(const auth::Principal& p, const LedgerQuery& q);
  Result<Json> month_view_unchecked(std::int64_t community_id, const std::string& month);
  Result<store::Row> redemption_row(std::int64_t id);

  store::Db& db_;
};

}  // namespace linli::points
