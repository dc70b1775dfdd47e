#include "org/privacy.hpp"

#include <fmt/format.h>

#include "app/app.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"

namespace linli::org {
namespace {

using Json = nlohmann::json;

Json value_json(const store::Value& v) {
  if (std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v);
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return nullptr;
}

// Rows as objects; columns ending in _at (UTC ms) also as ISO times.
Json rows_json(const store::Rows& rows) {
  Json out = Json::array();
  for (const auto& r : rows) {
    Json o = Json::object();
    for (std::size_t i = 0; i < r.size(); ++i) {
      const auto& name = r.names()[i];
      const auto& v = r.at(i);
      if (name.ends_with("_at") && std::holds_alternative<std::int64_t>(v))
        o[name] = clock::iso(std::get<std::int64_t>(v));
      else
        o[name] = value_json(v);
    }
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::string> path_of_resident(store::Db& db, std::int64_t id) {
  auto r = db.query("SELECT node_path FROM residents WHERE id = $1", {id});
  if (!r) return fail(r.error());
  if (r->empty()) return fail(Error::not_found());
  return (*r)[0].str("node_path");
}

std::optional<std::string> open_opt(const store::Row& r, std::string_view col) {
  if (r.is_null(col)) return std::nullopt;
  auto plain = crypto::open(r.str(col));
  if (!plain) return std::nullopt;
  return *plain;
}

}  // namespace

Result<Json> export_personal_data(store::Db& db, const auth::Principal& p, std::int64_t id,
                                  const auth::Actor& by) {
  auto path = path_of_resident(db, id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "resident.reveal", *path); !a) return fail(a.error());
  Json out;
  // Each part is read on its own; the export is a snapshot of one moment
  // only as far as each table goes, which is what an access request needs.
  auto person = db.one(
      "SELECT r.id, r.name, r.gender, r.birth_date, r.relation, r.phone_enc, r.id_enc, r.tags, "
      "r.status, r.created_at, r.updated_at, h.id AS household_id, h.address, h.room "
      "FROM residents r JOIN households h ON h.id = r.household_id WHERE r.id = $1",
      {id});
  if (!person) return fail(person.error());
  out["person"] = {{"id", id},
                   {"name", person->str("name")},
                   {"gender", person->str("gender") == "M" ? "男" : "女"},
                   {"birth_date", value_json(person->at("birth_date"))},
                   {"relation", person->str("relation")},
                   {"phone", open_opt(*person, "phone_enc") ? Json(*open_opt(*person, "phone_enc"))
                                                            : Json(nullptr)},
                   {"id_number", open_opt(*person, "id_enc") ? Json(*open_opt(*person, "id_enc"))
                                                             : Json(nullptr)},
                   {"tags", person->str("tags")},
                   {"status", person->str("status")},
                   {"created_at", clock::iso(person->i64("created_at"))},
                   {"updated_at", clock::iso(person->i64("updated_at"))}};
  auto hid = person->i64("household_id");
  out["household"] = {
      {"id", hid}, {"address", person->str("address")}, {"room", person->str("room")}};
  struct Part {
    const char* key;
    std::string sql;
  };
  const std::vector<Part> parts = {
      {"household_moves",
       "SELECT from_address, to_address, reason, moved_at FROM household_moves "
       "WHERE household_id = $1 ORDER BY id"},
      {"party_membership",
       "SELECT m.id, o.name AS party_org, m.category, m.employer, m.joined_on, "
       "m.central_household, m.created_at FROM party_members m JOIN party_orgs o "
       "ON o.id = m.party_org_id WHERE m.resident_id = $1"},
      {"cases_reported",
       "SELECT id, code, title, description, address, state, channel, created_at, closed_at, "
       "rating, rating_comment FROM cases WHERE reporter_resident_id = $1 ORDER BY id"},
      {"points_deeds",
       "SELECT d.id, r.name AS rule, d.month, d.deed_date, d.points, d.final_points, d.note, "
       "d.state, d.recorded_at FROM points_deeds d JOIN points_rules r ON r.id = d.rule_id "
       "WHERE d.resident_id = $1 ORDER BY d.id"},
      {"points_ledger",
       "SELECT t.id, t.at, t.kind, t.note, CASE WHEN t.to_account = a.id THEN t.amount "
       "ELSE -t.amount END AS amount FROM points_transfers t JOIN points_accounts a ON "
       "(a.id = t.to_account OR a.id = t.from_account) WHERE a.kind = 'resident' AND "
       "a.ref_id = $1 ORDER BY t.id"},
      {"redemptions",
       "SELECT x.id, x.kind, o.name AS org, x.points, x.state, x.created_at, x.completed_at "
       "FROM redemptions x JOIN orgs o ON o.id = x.org_id WHERE x.resident_id = $1 "
       "ORDER BY x.id"},
      {"accounts", "SELECT username, display_name, created_at FROM users WHERE resident_id = $1"},
      {"reveals",
       "SELECT at, username, summary FROM audit_log WHERE entity = 'resident' AND entity_id = "
       "$1 AND action IN ('resident.reveal', 'resident.personal_data_export') ORDER BY id"},
  };
  for (const auto& part : parts) {
    auto rows = db.query(part.sql, {std::string(part.key) == "household_moves" ? hid : id});
    if (!rows) return fail(rows.error());
    out[part.key] = rows_json(*rows);
  }
  // "at" is UTC ms in the audit and ledger parts.
  for (auto* key : {"reveals", "points_ledger"})
    for (auto& row : out[key])
      if (row["at"].is_number_integer()) row["at"] = clock::iso(row["at"].get<std::int64_t>());
  auto w = db.write([&](store::Tx& tx) {
    return auth::record(tx, by,
                        {"resident.personal_data_export", "resident", id, *path,
                         fmt::format("导出居民{}的全部个人信息（个人信息查阅）",
                                     validate::mask_name(person->str("name")))});
  });
  if (!w) return fail(w.error());  // no audit row, no export
  out["exported_at"] = clock::iso(clock::now_ms());
  return out;
}

Status anonymise_resident(store::Db& db, const auth::Principal& p, std::int64_t id,
                          const auth::Actor& by) {
  auto path = path_of_resident(db, id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "resident.write", *path); !a) return fail(a.error());
  const std::string alias = fmt::format("已注销居民#{}", id);
  return db.write([&](store::Tx& tx) -> Status {
    // The state is read inside the write so a concurrent change is seen.
    auto r = tx.one("SELECT status, name, birth_date FROM residents WHERE id = $1", {id});
    if (!r) return fail(r.error());
    if (r->str("status") == "active")
      return fail(Error::conflict(
          "该居民仍居住在辖区内，不能注销个人信息；请先登记迁出（状态为“已迁出”）后再操作"));
    if (r->str("name") == alias) return fail(Error::conflict("该居民的个人信息已注销"));
    auto birth = r->opt_str("birth_date");
    const std::vector<std::pair<std::string, store::Params>> steps = {
        {"UPDATE residents SET name = $1, phone_enc = NULL, phone_mask = NULL, phone_hash = NULL,"
         " id_enc = NULL, id_mask = NULL, id_hash = NULL, relation = '', tags = '',"
         " birth_date = $2, updated_at = $3 WHERE id = $4",
         {alias,
          birth && birth->size() >= 4 ? store::Value{birth->substr(0, 4) + "-01-01"}
                                      : store::null(),
          clock::now_ms(), id}},
        {"UPDATE cases SET reporter_name = $1, reporter_phone_enc = NULL,"
         " reporter_phone_mask = NULL WHERE reporter_resident_id = $2",
         {alias, id}},
        {"UPDATE points_accounts SET name = $1 WHERE kind = 'resident' AND ref_id = $2",
         {alias, id}},
        {"UPDATE party_members SET employer = '' WHERE resident_id = $1", {id}},
        {"DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE resident_id = $1)",
         {id}},
        {"UPDATE users SET display_name = $1, username = 'deleted-' || CAST(id AS TEXT),"
         " disabled = 1 WHERE resident_id = $2",
         {alias, id}},
    };
    for (const auto& [sql, params] : steps)
      if (auto x = tx.exec(sql, params); !x) return fail(x.error());
    return auth::record(tx, by,
                        {"resident.anonymise", "resident", id, *path,
                         fmt::format("注销已迁出居民{}的个人信息（记为{}）",
                                     validate::mask_name(r->str("name")), alias)});
  });
}

Status move_out(store::Db& db, const auth::Principal& p, std::int64_t id, const auth::Actor& by) {
  auto path = path_of_resident(db, id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "resident.write", *path); !a) return fail(a.error());
  return db.write([&](store::Tx& tx) -> Status {
    auto r = tx.one("SELECT status, name FROM residents WHERE id = $1", {id});
    if (!r) return fail(r.error());
    if (r->str("status") != "active") return fail(Error::conflict("该居民已不在辖区居住"));
    auto u = tx.exec("UPDATE residents SET status = 'moved_out', updated_at = $1 WHERE id = $2",
                     {clock::now_ms(), id});
    if (!u) return fail(u.error());
    return auth::record(tx, by,
                        {"resident.move_out", "resident", id, *path,
                         fmt::format("登记居民{}迁出辖区", validate::mask_name(r->str("name")))});
  });
}

void add_privacy_routes(App& app) {
  app.router.add({"POST", "/api/v1/residents/{id}/move-out", "resident.write", "org",
                  "登记居民迁出辖区",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        if (auto s = move_out(app.db, caller(req), *id, App::actor(req)); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204)});
  app.router.add({"POST", "/api/v1/residents/{id}/personal-data", "resident.reveal", "org",
                  "导出居民的全部个人信息（个人信息查阅，记入审计）",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    return export_personal_data(app.db, caller(req), *id, App::actor(req));
                  })});
  app.router.add({"POST", "/api/v1/residents/{id}/anonymise", "resident.write", "org",
                  "注销已迁出居民的个人信息（统计数据保留）",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        if (auto s = anonymise_resident(app.db, caller(req), *id, App::actor(req));
                            !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204)});
}

}  // namespace linli::org
