#include "points/service.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "auth/roles.hpp"
#include "auth/scope_sql.hpp"
#include "core/calendar.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/json_text.hpp"
#include "core/validate.hpp"
#include "store/sql.hpp"

namespace linli::points {
namespace {

Error invalid(const char* field, const std::string& msg) {
  return Error::invalid("请检查填写的内容", {{field, msg}});
}

std::string month_of(std::int64_t ms) { return calendar::shanghai_day(ms).substr(0, 7); }

Result<store::Row> resident_row(store::Db& db, std::int64_t id) {
  auto r = db.query("SELECT id, name, node_path, household_id FROM residents WHERE id = $1", {id});
  if (!r) return fail(r.error());
  if (r->empty()) return fail(Error::not_found());
  return (*r)[0];
}

}  // namespace

// ---- accounts and transfers ----

Result<std::int64_t> PointsService::account(store::Tx& tx, const std::string& kind,
                                            std::int64_t ref, const std::string& node_path,
                                            const std::string& name) {
  // Sent: it travels with the SELECT below on PostgreSQL (Tx::send).
  if (auto ins = tx.send(
          "INSERT INTO points_accounts (kind, ref_id, node_path, name) VALUES ($1, $2, $3, $4) ON "
          "CONFLICT (kind, ref_id) DO NOTHING",
          {kind, ref, node_path, name});
      !ins)
    return fail(ins.error());
  auto r = tx.one("SELECT id FROM points_accounts WHERE kind = $1 AND ref_id = $2", {kind, ref});
  if (!r) return fail(r.error());
  return r->i64("id");
}

Result<std::int64_t> PointsService::balance_of(store::Tx& tx, std::int64_t acc) {
  auto r = tx.one(
      "SELECT COALESCE((SELECT sum(amount) FROM points_transfers WHERE to_account = $1), 0) - "
      "COALESCE((SELECT sum(amount) FROM points_transfers WHERE from_account = $1), 0) AS b",
      {acc});
  if (!r) return fail(r.error());
  return r->i64("b");
}

Status PointsService::transfer(store::Tx& tx, std::int64_t from, std::int64_t to,
                               std::int64_t amount, const std::string& kind, std::int64_t deed,
                               std::int64_t redemption, const std::string& note) {
  if (amount <= 0) return {};
  return tx.send(
      "INSERT INTO points_transfers (at, from_account, to_account, amount, kind, deed_id, "
      "redemption_id, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {clock::now_ms(), from, to, amount, kind, deed ? store::Value{deed} : store::null(),
       redemption ? store::Value{redemption} : store::null(), note});
}

Result<std::int64_t> PointsService::apply_deed(store::Tx& tx, std::int64_t deed_id,
                                               std::int64_t points) {
  auto d = tx.one(
      "SELECT d.resident_id, d.community_node_id, r.name, r.node_path, n.path AS cpath, n.name "
      "AS cname, u.name AS rule FROM points_deeds d JOIN residents r ON r.id = d.resident_id JOIN "
      "nodes n ON n.id = d.community_node_id JOIN points_rules u ON u.id = d.rule_id WHERE d.id = "
      "$1",
      {deed_id});
  if (!d) return fail(d.error());
  auto fund = account(tx, "fund", d->i64("community_node_id"), d->str("cpath"),
                      d->str("cname") + "积分基金");
  if (!fund) return fail(fund.error());
  auto person = account(tx, "resident", d->i64("resident_id"), d->str("node_path"), d->str("name"));
  if (!person) return fail(person.error());
  std::int64_t applied = points;
  if (points > 0) {
    if (auto t = transfer(tx, *fund, *person, points, "award", deed_id, 0, d->str("rule")); !t)
      return fail(t.error());
  } else if (points < 0) {
    auto held = balance_of(tx, *person);
    if (!held) return fail(held.error());
    applied = -std::min(-points, std::max<std::int64_t>(0, *held));
    if (auto t = transfer(tx, *person, *fund, -applied, "penalty", deed_id, 0, d->str("rule")); !t)
      return fail(t.error());
  }
  return applied;
}

Result<std::string> PointsService::community_path(std::int64_t community_id) {
  auto r = db_.query("SELECT path, kind FROM nodes WHERE id = $1", {community_id});
  if (!r) return fail(r.error());
  if (r->empty() || (*r)[0].str("kind") != "community") return fail(Error::not_found("社区不存在"));
  return (*r)[0].str("path");
}

Result<std::int64_t> PointsService::community_of(const std::string& node_path) {
  // Paths run district/street/community/…: the community is the third id.
  auto ids = auth::path_ids(node_path);
  if (ids.size() < 3) return fail(Error::invalid("该居民不在任何社区"));
  return ids[2];
}

// ---- rules ----

Result<Json> PointsService::rules(const auth::Principal& p, std::int64_t community_id) {
  if (!p.can("points.read") && !p.can("points.self")) return fail(Error::forbidden());
  if (community_id) {
    auto path = community_path(community_id);
    if (!path) return fail(path.error());
  }
  auto rows = db_.query(
      "SELECT r.* FROM points_rules r WHERE r.active = 1 AND (r.community_node_id = $1 OR "
      "(r.community_node_id IS NULL AND NOT EXISTS (SELECT 1 FROM points_rules o WHERE "
      "o.community_node_id = $1 AND o.code = r.code))) AND r.version = (SELECT max(v.version) "
      "FROM points_rules v WHERE v.code = r.code AND ((v.community_node_id IS NULL AND "
      "r.community_node_id IS NULL) OR v.community_node_id = r.community_node_id)) ORDER BY "
      "r.kind DESC, r.points DESC, r.id",
      {community_id});
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back(
        {{"id", r.i64("id")},
         {"code", r.str("code")},
         {"version", r.i64("version")},
         {"name", r.str("name")},
         {"kind", r.str("kind")},
         {"points", r.i64("points")},
         {"monthly_cap", r.is_null("monthly_cap") ? Json(nullptr) : Json(r.i64("monthly_cap"))},
         {"evidence_required", r.i64("evidence_required") != 0},
         {"recorders", r.str("recorders")},
         {"automatic", r.i64("automatic") != 0},
         {"inherited", r.is_null("community_node_id")}});
  return out;
}

Result<Json> PointsService::put_rule(const auth::Principal& p, std::int64_t community_id,
                                     const Json& body, const auth::Actor& by) {
  auto path = community_path(community_id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "points.review", *path); !a) return fail(a.error());
  if (!body.is_object()) return fail(Error::invalid("请求内容应为JSON对象"));
  auto code = body.value("code", std::string());
  auto name = body.value("name", std::string());
  auto kind = body.value("kind", std::string());
  if (code.empty() || code.size() > 40) return fail(invalid("code", "请填写规则代码"));
  if (name.empty() || validate::utf8_length(name).value_or(100) > 30)
    return fail(invalid("name", "请填写规则名称（不超过30字）"));
  if (kind != "positive" && kind != "negative") return fail(invalid("kind", "请选择加分或减分"));
  if (!body.contains("points") || !body["points"].is_number_integer())
    return fail(invalid("points", "请填写分值"));
  auto pts = body["points"].get<std::int64_t>();
  if (pts == 0 || std::abs(pts) > 1000 || (kind == "positive") != (pts > 0))
    return fail(invalid("points", "加分项为正数、减分项为负数，绝对值不超过1000"));
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto v = tx.one(
        "SELECT COALESCE(max(version), 0) AS v FROM points_rules WHERE community_node_id = $1 AND "
        "code = $2",
        {community_id, code});
    if (!v) return fail(v.error());
    if (auto o =
            tx.exec("UPDATE points_rules SET active = 0 WHERE community_node_id = $1 AND code = $2",
                    {community_id, code});
        !o)
      return fail(o.error());
    auto r = tx.one(
        "INSERT INTO points_rules (community_node_id, code, version, name, kind, points, "
        "monthly_cap, evidence_required, recorders, automatic, created_at) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, $9, $10, $11) RETURNING id",
        {community_id, code, v->i64("v") + 1, name, kind, pts,
         body.contains("monthly_cap") && body["monthly_cap"].is_number_integer()
             ? store::Value{body["monthly_cap"].get<std::int64_t>()}
             : store::null(),
         static_cast<std::int64_t>(body.value("evidence_required", false) ? 1 : 0),
         body.value("recorders", std::string("building_head,unit_head,community_staff")),
         static_cast<std::int64_t>(body.value("automatic", false) ? 1 : 0), clock::now_ms()});
    if (!r) return fail(r.error());
    id = r->i64("id");
    return auth::record(tx, by,
                        {"points.rule", "points_rule", id, *path,
                         fmt::format("积分规则“{}”第{}版", name, v->i64("v") + 1)});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id}};
}

// ---- deeds ----

Result<Json> PointsService::record(const auth::Principal& p, const DeedInput& in,
                                   const auth::Actor& by) {
  auto res = resident_row(db_, in.resident_id);
  if (!res) return fail(res.error());
  auto path = res->str("node_path");
  if (auto a = auth::authorize(p, "points.record", path); !a) return fail(a.error());
  auto community = community_of(path);
  if (!community) return fail(community.error());
  if (!validate::is_date(in.deed_date)) return fail(invalid("deed_date", "日期应为 YYYY-MM-DD"));
  auto rules_now = rules(p, *community);
  if (!rules_now) return fail(rules_now.error());
  const Json* rule = nullptr;
  for (const auto& r : *rules_now)
    if (r["code"] == in.rule_code) rule = &r;
  if (!rule) return fail(invalid("rule_code", "请选择积分规则"));
  // Who may record: the rule names the roles (building heads record the
  // neighbourhood's good deeds; penalties only community staff).
  auto recorders = (*rule)["recorders"].get<std::string>();
  bool may = false;
  for (const auto& g : p.grants)
    if (!g.node_path.empty() && auth::in_subtree(path, g.node_path) &&
        (recorders.find(g.role) != std::string::npos || g.role == "admin"))
      may = true;
  if (!may) {
    std::string names;
    for (const auto& r : auth::roles())
      if (recorders.find(r.code) != std::string::npos)
        names += (names.empty() ? "" : "、") + std::string(r.name_zh);
    return fail(Error::forbidden("此项积分只能由" + names + "记录"));
  }
  if ((*rule)["evidence_required"].get<bool>() && in.evidence_sha.empty() && in.note.empty())
    return fail(invalid("note", "此项需要附照片或说明"));
  if (validate::utf8_length(in.note).value_or(1000) > 200)
    return fail(invalid("note", "说明不能超过200字"));
  auto month = in.deed_date.substr(0, 7);
  auto published =
      db_.query("SELECT 1 AS x FROM points_months WHERE community_node_id = $1 AND month = $2",
                {*community, month});
  if (!published) return fail(published.error());
  if (!published->empty()) return fail(Error::conflict(month + "的积分已公示，请记在本月"));
  auto pts = (*rule)["points"].get<std::int64_t>();
  auto rule_id = (*rule)["id"].get<std::int64_t>();
  bool automatic = (*rule)["automatic"].get<bool>();
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto l = tx.serialize_on(fmt::format("points:resident:{}", in.resident_id)); !l) return l;
    if (!(*rule)["monthly_cap"].is_null()) {
      auto used = tx.one(
          "SELECT COALESCE(sum(d.points), 0) AS s FROM points_deeds d JOIN points_rules r ON "
          "r.id = d.rule_id WHERE d.resident_id = $1 AND d.month = $2 AND r.code = $3 AND "
          "d.state <> 'rejected'",
          {in.resident_id, month, in.rule_code});
      if (!used) return fail(used.error());
      auto cap = (*rule)["monthly_cap"].get<std::int64_t>();
      if (used->i64("s") + pts > cap)
        return fail(invalid(
            "rule_code", fmt::format("此项每人每月最多{}分，本月已记{}分", cap, used->i64("s"))));
    }
    auto r = tx.one(
        "INSERT INTO points_deeds (rule_id, resident_id, community_node_id, node_path, month, "
        "deed_date, points, note, evidence_sha, state, recorded_by, recorded_at) VALUES ($1, $2, "
        "$3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11) RETURNING id",
        {rule_id, in.resident_id, *community, path, month, in.deed_date, pts, in.note,
         in.evidence_sha.empty() ? store::null() : store::Value{in.evidence_sha},
         by.user_id ? store::Value{by.user_id} : store::null(), clock::now_ms()});
    if (!r) return fail(r.error());
    id = r->i64("id");
    if (automatic) {
      auto applied = apply_deed(tx, id, pts);
      if (!applied) return fail(applied.error());
      if (auto u = tx.exec("UPDATE points_deeds SET state = 'approved', final_points = $1, "
                           "reviewed_at = $2 WHERE id = $3",
                           {*applied, clock::now_ms(), id});
          !u)
        return fail(u.error());
    }
    return auth::record(
        tx, by,
        {"points.record", "points_deed", id, path,
         fmt::format("记录积分：{} {}分", (*rule)["name"].get<std::string>(), pts)});
  });
  if (!w) return fail(w.error());
  return Json{
      {"id", id}, {"state", automatic ? "approved" : "pending"}, {"points", pts}, {"month", month}};
}

Result<std::int64_t> PointsService::award(store::Tx& tx, std::int64_t resident_id,
                                          const std::string& rule_code, const std::string& source,
                                          std::int64_t source_ref, const std::string& note) {
  auto res = tx.one("SELECT node_path FROM residents WHERE id = $1", {resident_id});
  if (!res) return fail(res.error());
  auto community = community_of(res->str("node_path"));
  if (!community) return fail(community.error());
  auto rule = tx.query(
      "SELECT id, points, automatic FROM points_rules WHERE code = $1 AND active = 1 AND "
      "(community_node_id = $2 OR community_node_id IS NULL) ORDER BY CASE WHEN "
      "community_node_id IS NULL THEN 1 ELSE 0 END, version DESC LIMIT 1",
      {rule_code, *community});
  if (!rule) return fail(rule.error());
  if (rule->empty()) return fail(Error::invalid("积分规则不存在：" + rule_code));
  auto now = clock::now_ms();
  auto r = tx.one(
      "INSERT INTO points_deeds (rule_id, resident_id, community_node_id, node_path, month, "
      "deed_date, points, note, state, source, source_ref, recorded_at) VALUES ($1, $2, $3, $4, "
      "$5, $6, $7, $8, 'pending', $9, $10, $11) RETURNING id",
      {(*rule)[0].i64("id"), resident_id, *community, res->str("node_path"), month_of(now),
       calendar::shanghai_day(now), (*rule)[0].i64("points"), note, source, source_ref, now});
  if (!r) return fail(r.error());
  auto id = r->i64("id");
  if ((*rule)[0].i64("automatic")) {
    auto applied = apply_deed(tx, id, (*rule)[0].i64("points"));
    if (!applied) return fail(applied.error());
    if (auto u = tx.exec("UPDATE points_deeds SET state = 'approved', final_points = $1, "
                         "reviewed_at = $2 WHERE id = $3",
                         {*applied, now, id});
        !u)
      return fail(u.error());
  }
  return id;
}

Result<std::string> PointsService::deeds(const auth::Principal& p, std::int64_t community_id,
                                         const std::string& month, const std::string& state,
                                         std::int64_t resident_id) {
  store::Sql q;
  q << "SELECT d.id, d.resident_id, r.name, h.address, u.name, u.kind, d.month, d.deed_date, "
       "d.points, d.final_points, d.note, d.state, d.review_reason, d.source, d.corrects_deed_id "
       "FROM points_deeds d JOIN residents r ON r.id = d.resident_id JOIN households h ON h.id = "
       "r.household_id JOIN points_rules u ON u.id = d.rule_id WHERE 1 = 1";
  auth::and_in_scope(q, p, "points.read", "d.node_path");
  if (community_id) q << " AND d.community_node_id = " << q.bind(community_id);
  if (!month.empty()) q << " AND d.month = " << q.bind(month);
  if (!state.empty()) q << " AND d.state = " << q.bind(state);
  if (resident_id) q << " AND d.resident_id = " << q.bind(resident_id);
  q << " ORDER BY d.id DESC LIMIT 2000";
  // Written as read, members in the byte order a Json object printed them:
  // a street's or the city's 2,000 deeds each built an object only to print
  // and free it (7.5 ms for the 1M-case city's 660, session 21's sweep).
  std::string out = "[";
  auto st = db_.each(q.text, q.params, [&](const store::RowView& r) -> Status {
    if (out.size() > 1) out.push_back(',');
    JsonObjectText o(out);
    o.str("address", r.text(3));
    if (r.is_null(14))
      o.null("corrects_deed_id");
    else
      o.integer("corrects_deed_id", r.i64(14));
    o.str("deed_date", r.text(7));
    if (r.is_null(9))
      o.null("final_points");
    else
      o.integer("final_points", r.i64(9));
    o.integer("id", r.i64(0))
        .str("kind", r.text(5))
        .str("month", r.text(6))
        .str("note", r.text(10))
        .integer("points", r.i64(8))
        .str("resident", r.text(2))
        .integer("resident_id", r.i64(1))
        .str("review_reason", r.text(12))
        .str("rule", r.text(4))
        .str("source", r.text(13))
        .str("state", r.text(11));
    return {};
  });
  if (!st) return fail(st.error());
  out.push_back(']');
  return out;
}

Result<Json> PointsService::review(const auth::Principal& p, const std::vector<Review>& items,
                                   const auth::Actor& by) {
  if (!p.can("points.review")) return fail(Error::forbidden());
  if (items.empty() || items.size() > 1000) return fail(Error::invalid("一次评议1到1000条"));
  for (const auto& it : items) {
    if (it.decision != "approve" && it.decision != "adjust" && it.decision != "reject")
      return fail(invalid("decision", "评议结果应为通过、调整或不通过"));
    if ((it.decision != "approve") && it.reason.empty())
      return fail(invalid("reason", "调整或不通过需要填写理由"));
    if (it.decision == "adjust" && !it.points) return fail(invalid("points", "请填写调整后的分值"));
  }
  // Penalties read balances: queue behind spends of the same residents, in
  // one order so two reviews cannot deadlock.
  std::set<std::int64_t> residents;
  for (const auto& it : items) {
    auto r = db_.query("SELECT resident_id FROM points_deeds WHERE id = $1", {it.deed_id});
    if (!r) return fail(r.error());
    if (!r->empty()) residents.insert((*r)[0].i64("resident_id"));
  }
  int approved = 0, rejected = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    approved = rejected = 0;
    for (auto rid : residents)
      if (auto l = tx.serialize_on(fmt::format("points:resident:{}", rid)); !l) return l;
    for (const auto& it : items) {
      auto d = tx.query(
          "SELECT d.state, d.points, d.node_path, d.month, d.community_node_id FROM points_deeds d "
          "WHERE d.id = $1",
          {it.deed_id});
      if (!d) return fail(d.error());
      if (d->empty()) return fail(Error::not_found(fmt::format("积分记录{}不存在", it.deed_id)));
      const auto& row = (*d)[0];
      if (auto a = auth::authorize(p, "points.review", row.str("node_path")); !a) return a;
      if (row.str("state") != "pending")
        return fail(Error::conflict(fmt::format("积分记录{}已评议过", it.deed_id)));
      auto pub =
          tx.query("SELECT 1 AS x FROM points_months WHERE community_node_id = $1 AND month = $2",
                   {row.i64("community_node_id"), row.str("month")});
      if (!pub) return fail(pub.error());
      if (!pub->empty()) return fail(Error::conflict(row.str("month") + "已公示，不能再评议"));
      auto now = clock::now_ms();
      if (it.decision == "reject") {
        if (auto u = tx.exec("UPDATE points_deeds SET state = 'rejected', final_points = 0, "
                             "review_reason = $1, reviewed_by = $2, reviewed_at = $3 WHERE id = $4",
                             {it.reason, by.user_id ? store::Value{by.user_id} : store::null(), now,
                              it.deed_id});
            !u)
          return fail(u.error());
        ++rejected;
        continue;
      }
      auto pts = it.decision == "adjust" ? *it.points : row.i64("points");
      if ((pts > 0) != (row.i64("points") > 0) || std::abs(pts) > 1000)
        return fail(invalid("points", "调整后的分值应与规则同为加分或减分"));
      auto applied = apply_deed(tx, it.deed_id, pts);
      if (!applied) return fail(applied.error());
      if (auto u =
              tx.exec("UPDATE points_deeds SET state = 'approved', final_points = $1, "
                      "review_reason = $2, reviewed_by = $3, reviewed_at = $4 WHERE id = $5",
                      {*applied, it.reason, by.user_id ? store::Value{by.user_id} : store::null(),
                       now, it.deed_id});
          !u)
        return fail(u.error());
      ++approved;
    }
    return auth::record(tx, by,
                        {"points.review", "points_deed", 0, "",
                         fmt::format("月度评议：通过{}条，不通过{}条", approved, rejected)});
  });
  if (!w) return fail(w.error());
  return Json{{"approved", approved}, {"rejected", rejected}};
}

// ---- publication ----

Result<Json> PointsService::publish(const auth::Principal& p, std::int64_t community_id,
                                    const std::string& month, const auth::Actor& by) {
  auto path = community_path(community_id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "points.review", *path); !a) return fail(a.error());
  if (!validate::is_month(month)) return fail(invalid("month", "月份应为 YYYY-MM"));
  auto days = setting(community_id, "objection_days", 7);
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto pending = tx.one(
        "SELECT count(*) AS n FROM points_deeds WHERE community_node_id = $1 AND month = $2 AND "
        "state = 'pending'",
        {community_id, month});
    if (!pending) return fail(pending.error());
    if (pending->i64("n") > 0)
      return fail(
          Error::conflict(fmt::format("还有{}条积分未评议，请评议后再公示", pending->i64("n"))));
    auto name = tx.one("SELECT name FROM nodes WHERE id = $1", {community_id});
    if (!name) return fail(name.error());
    auto rows = tx.query(
        "SELECT d.id, d.resident_id, r.name, h.address, u.name AS rule, d.final_points, "
        "d.deed_date "
        "FROM points_deeds d JOIN residents r ON r.id = d.resident_id JOIN households h ON h.id = "
        "r.household_id JOIN points_rules u ON u.id = d.rule_id WHERE d.community_node_id = $1 "
        "AND d.month = $2 AND d.state = 'approved' ORDER BY d.resident_id, d.id",
        {community_id, month});
    if (!rows) return fail(rows.error());
    auto now = clock::now_ms();
    auto until = now + days * 86400000LL;
    Json entries = Json::array(), totals = Json::array();
    std::map<std::int64_t, std::pair<std::string, std::int64_t>> by_resident;
    std::int64_t sum = 0;
    for (const auto& r : *rows) {
      // The notice board shows masked names and the building, not the room.
      auto masked = validate::mask_name(r.str("name"));
      entries.push_back({{"deed_id", r.i64("id")},
                         {"resident", masked},
                         {"rule", r.str("rule")},
                         {"date", r.str("deed_date")},
                         {"points", r.i64("final_points")}});
      auto& t = by_resident[r.i64("resident_id")];
      t.first = masked;
      t.second += r.i64("final_points");
      sum += r.i64("final_points");
    }
    std::vector<std::pair<std::string, std::int64_t>> ranked;
    for (auto& [id, t] : by_resident) ranked.push_back(t);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](auto& a, auto& b) { return a.second > b.second; });
    for (auto& [n, s] : ranked) totals.push_back({{"resident", n}, {"points", s}});
    auto until_day = calendar::shanghai_day(until);
    std::string text =
        fmt::format("【{}{}年{}月积分公示】本月共{}人获得积分{}条，合计{}分。前三名：",
                    name->str("name"), month.substr(0, 4), std::atoi(month.substr(5).c_str()),
                    by_resident.size(), entries.size(), sum);
    for (std::size_t i = 0; i < ranked.size() && i < 3; ++i)
      text += fmt::format("{}{}（{}分）", i ? "、" : "", ranked[i].first, ranked[i].second);
    text += fmt::format("。如有异议，请于{}年{}月{}日前在“邻里”手机页面或到社区积分窗口提出。",
                        until_day.substr(0, 4), std::atoi(until_day.substr(5, 2).c_str()),
                        std::atoi(until_day.substr(8, 2).c_str()));
    Json snapshot = {{"community", name->str("name")},
                     {"community_id", community_id},
                     {"month", month},
                     {"published_at", clock::iso(now)},
                     {"objection_until", clock::iso(until)},
                     {"entries", entries},
                     {"totals", totals},
                     {"sum", sum},
                     {"chat_text", text}};
    auto ins = tx.exec(
        "INSERT INTO points_months (community_node_id, month, state, published_at, published_by, "
        "objection_until, snapshot) VALUES ($1, $2, 'published', $3, $4, $5, $6)",
        {community_id, month, now, by.user_id ? store::Value{by.user_id} : store::null(), until,
         snapshot.dump()});
    if (!ins) {
      if (ins.error().kind == ErrorKind::conflict) return fail(Error::conflict(month + "已公示过"));
      return fail(ins.error());
    }
    return auth::record(
        tx, by,
        {"points.publish", "points_month", community_id, *path, fmt::format("公示{}积分", month)});
  });
  if (!w) return fail(w.error());
  return month_view_unchecked(community_id, month);
}

}  // namespace linli::points
