// The published month, objections and their corrections; balances and the
// ledger check; roll-up rankings and honours.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "auth/scope_sql.hpp"
#include "core/calendar.hpp"
#include "core/clock.hpp"
#include "core/validate.hpp"
#include "points/service.hpp"
#include "store/sql.hpp"

namespace linli::points {

std::string honour_name(const std::string& kind) {
  static const std::map<std::string, std::string> names = {{"best_resident", "最美居民"},
                                                           {"best_volunteer", "最美志愿者"},
                                                           {"best_merchant", "最美商户"},
                                                           {"ten_star_household", "十星文明户"}};
  auto it = names.find(kind);
  return it == names.end() ? std::string() : it->second;
}

Result<Json> PointsService::month_view_unchecked(std::int64_t community_id,
                                                 const std::string& month) {
  auto r = db_.query(
      "SELECT snapshot, objection_until FROM points_months WHERE community_node_id = $1 AND month "
      "= $2",
      {community_id, month});
  if (!r) return fail(r.error());
  if (r->empty()) return fail(Error::not_found("该月积分尚未公示"));
  auto snap = Json::parse((*r)[0].str("snapshot"), nullptr, false);
  if (snap.is_discarded()) return fail(Error::internal("公示数据损坏"));
  // After the objection window the month is final; the snapshot never changes.
  snap["state"] = clock::now_ms() > (*r)[0].i64("objection_until") ? "final" : "published";
  return snap;
}

Result<Json> PointsService::month(const auth::Principal& p, std::int64_t community_id,
                                  const std::string& month) {
  auto path = db_.query("SELECT path FROM nodes WHERE id = $1", {community_id});
  if (!path) return fail(path.error());
  if (path->empty()) return fail(Error::not_found());
  bool staff = p.can("points.read") && auth::authorize(p, "points.read", (*path)[0].str("path"));
  bool resident = false;
  if (!staff && p.resident_id) {
    auto mine = db_.one("SELECT node_path FROM residents WHERE id = $1", {p.resident_id});
    resident = mine && auth::in_subtree(mine->str("node_path"), (*path)[0].str("path"));
  }
  if (!staff && !resident) return fail(Error::not_found());
  return month_view_unchecked(community_id, month);
}

Result<Json> PointsService::object(const auth::Principal& p, std::int64_t deed_id,
                                   const std::string& reason, const auth::Actor& by) {
  if (!p.can("points.self") || !p.resident_id) return fail(Error::forbidden());
  if (reason.empty() || validate::utf8_length(reason).value_or(1000) > 300)
    return fail(Error::invalid("请检查填写的内容", {{"reason", "请说明异议理由（不超过300字）"}}));
  auto d =
      db_.query("SELECT community_node_id, month, state, node_path FROM points_deeds WHERE id = $1",
                {deed_id});
  if (!d) return fail(d.error());
  if (d->empty()) return fail(Error::not_found());
  if ((*d)[0].str("state") != "approved")
    return fail(Error::conflict("只能对公示中的积分提出异议"));
  auto mine = db_.one("SELECT node_path FROM residents WHERE id = $1", {p.resident_id});
  if (!mine) return fail(mine.error());
  auto community = community_of(mine->str("node_path"));
  if (!community || *community != (*d)[0].i64("community_node_id")) return fail(Error::not_found());
  auto m = db_.query(
      "SELECT objection_until FROM points_months WHERE community_node_id = $1 AND month = $2",
      {(*d)[0].i64("community_node_id"), (*d)[0].str("month")});
  if (!m) return fail(m.error());
  if (m->empty()) return fail(Error::conflict("该月积分尚未公示，公示后才能提出异议"));
  if (clock::now_ms() > (*m)[0].i64("objection_until"))
    return fail(Error::conflict("异议期已过，该月积分已确定"));
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.one(
        "INSERT INTO points_objections (deed_id, resident_id, user_id, reason, state, created_at) "
        "VALUES ($1, $2, $3, $4, 'open', $5) RETURNING id",
        {deed_id, p.resident_id, p.user_id, reason, clock::now_ms()});
    if (!r) return fail(r.error());
    id = r->i64("id");
    return auth::record(tx, by,
                        {"points.object", "points_objection", id, (*d)[0].str("node_path"),
                         "居民对积分公示提出异议"});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id}, {"state", "open"}};
}

Result<Json> PointsService::objections(const auth::Principal& p, std::int64_t community_id) {
  store::Sql q;
  q << "SELECT o.*, d.month, d.final_points, u.name AS rule, r.name AS resident FROM "
       "points_objections o JOIN points_deeds d ON d.id = o.deed_id JOIN points_rules u ON u.id = "
       "d.rule_id JOIN residents r ON r.id = o.resident_id WHERE 1 = 1";
  auth::and_in_scope(q, p, "points.review", "d.node_path");
  if (community_id) q << " AND d.community_node_id = " << q.bind(community_id);
  q << " ORDER BY o.id DESC LIMIT 500";
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back(
        {{"id", r.i64("id")},
         {"deed_id", r.i64("deed_id")},
         {"month", r.str("month")},
         {"rule", r.str("rule")},
         {"points", r.i64("final_points")},
         {"resident", r.str("resident")},
         {"reason", r.str("reason")},
         {"state", r.str("state")},
         {"resolution", r.str("resolution")},
         {"correction_deed_id",
          r.is_null("correction_deed_id") ? Json(nullptr) : Json(r.i64("correction_deed_id"))},
         {"created_at", clock::iso(r.i64("created_at"))}});
  return out;
}

Result<Json> PointsService::resolve_objection(const auth::Principal& p, std::int64_t id,
                                              bool upheld, const std::string& resolution,
                                              std::int64_t correction, const auth::Actor& by) {
  if (resolution.empty())
    return fail(Error::invalid("请检查填写的内容", {{"resolution", "请填写处理意见"}}));
  if (upheld && correction == 0)
    return fail(Error::invalid(
        "请检查填写的内容", {{"correction", "异议成立时请填写更正的分值（正数补加，负数扣回）"}}));
  std::int64_t correction_deed = 0;
  auto owner = db_.query("SELECT resident_id FROM points_objections WHERE id = $1", {id});
  if (!owner) return fail(owner.error());
  auto resident = owner->empty() ? 0 : (*owner)[0].i64("resident_id");
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto l = tx.serialize_on(fmt::format("points:resident:{}", resident)); !l) return l;
    auto o = tx.query(
        "SELECT o.state, o.deed_id, d.rule_id, d.resident_id, d.community_node_id, d.node_path "
        "FROM points_objections o JOIN points_deeds d ON d.id = o.deed_id WHERE o.id = $1",
        {id});
    if (!o) return fail(o.error());
    if (o->empty()) return fail(Error::not_found());
    const auto& row = (*o)[0];
    if (auto a = auth::authorize(p, "points.review", row.str("node_path")); !a) return a;
    if (row.str("state") != "open") return fail(Error::conflict("该异议已处理"));
    auto now = clock::now_ms();
    if (upheld) {
      // A correction is a new, approved deed in the current month that cites
      // the original; the published month stays as it was.
      auto r = tx.one(
          "INSERT INTO points_deeds (rule_id, resident_id, community_node_id, node_path, month, "
          "deed_date, points, final_points, note, state, source, corrects_deed_id, objection_id, "
          "recorded_by, reviewed_by, recorded_at, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
          "$7, $8, 'approved', 'correction', $9, $10, $11, $11, $12, $12) RETURNING id",
          {row.i64("rule_id"), row.i64("resident_id"), row.i64("community_node_id"),
           row.str("node_path"), calendar::shanghai_day(now).substr(0, 7),
           calendar::shanghai_day(now), correction, "异议更正：" + resolution, row.i64("deed_id"),
           id, by.user_id ? store::Value{by.user_id} : store::null(), now});
      if (!r) return fail(r.error());
      correction_deed = r->i64("id");
      auto applied = apply_deed(tx, correction_deed, correction);
      if (!applied) return fail(applied.error());
      if (auto u = tx.exec("UPDATE points_deeds SET final_points = $1 WHERE id = $2",
                           {*applied, correction_deed});
          !u)
        return fail(u.error());
      if (auto u = tx.exec("UPDATE points_transfers SET kind = 'correction' WHERE deed_id = $1",
                           {correction_deed});
          !u)
        return fail(u.error());
    }
    auto u = tx.exec(
        "UPDATE points_objections SET state = $1, resolution = $2, correction_deed_id = $3, "
        "resolved_at = $4, resolved_by = $5 WHERE id = $6",
        {std::string(upheld ? "upheld" : "dismissed"), resolution,
         correction_deed ? store::Value{correction_deed} : store::null(), now,
         by.user_id ? store::Value{by.user_id} : store::null(), id});
    if (!u) return fail(u.error());
    return auth::record(tx, by,
                        {"points.objection", "points_objection", id, row.str("node_path"),
                         upheld ? "异议成立，已更正" : "异议不成立"});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id},
              {"state", upheld ? "upheld" : "dismissed"},
              {"correction_deed_id", correction_deed ? Json(correction_deed) : Json(nullptr)}};
}

// ---- balances and the ledger check ----

Result<Json> PointsService::balance(const auth::Principal& p, std::int64_t resident_id) {
  if (!resident_id) resident_id = p.resident_id;
  auto r = db_.query("SELECT node_path FROM residents WHERE id = $1", {resident_id});
  if (!r) return fail(r.error());
  if (r->empty()) return fail(Error::not_found());
  if (resident_id != p.resident_id)
    if (auto a = auth::authorize(p, "points.read", (*r)[0].str("node_path")); !a)
      return fail(a.error());
  auto acc = db_.query("SELECT id FROM points_accounts WHERE kind = 'resident' AND ref_id = $1",
                       {resident_id});
  if (!acc) return fail(acc.error());
  Json history = Json::array();
  std::int64_t bal = 0;
  if (!acc->empty()) {
    auto id = (*acc)[0].i64("id");
    auto rows = db_.query(
        "SELECT t.id, t.at, t.kind, t.note, CASE WHEN t.to_account = $1 THEN t.amount ELSE "
        "-t.amount END AS delta FROM points_transfers t WHERE t.to_account = $1 OR t.from_account "
        "= $1 ORDER BY t.id DESC LIMIT 500",
        {id});
    if (!rows) return fail(rows.error());
    auto sum = db_.one(
        "SELECT COALESCE((SELECT sum(amount) FROM points_transfers WHERE to_account = $1), 0) - "
        "COALESCE((SELECT sum(amount) FROM points_transfers WHERE from_account = $1), 0) AS b",
        {id});
    if (!sum) return fail(sum.error());
    bal = sum->i64("b");
    for (const auto& t : *rows)
      history.push_back({{"id", t.i64("id")},
                         {"at", clock::iso(t.i64("at"))},
                         {"kind", t.str("kind")},
                         {"kind_name", transfer_kind_name(t.str("kind"))},
                         {"note", t.str("note")},
                         {"delta", t.i64("delta")}});
  }
  auto soon = expiring(resident_id, clock::now_ms());
  if (!soon) return fail(soon.error());
  return Json{{"resident_id", resident_id},
              {"balance", bal},
              {"expiring", *soon},
              {"honours", honours_of(db_, resident_id).value_or(Json::array())},
              {"history", history}};
}

Result<Json> PointsService::check_ledger() {
  Json problems = Json::array();
  // Each transfer credits one account and debits another: per account sums
  // must add to zero over the whole ledger.
  auto total = db_.one(
      "SELECT COALESCE(sum(b), 0) AS z FROM (SELECT a.id, COALESCE((SELECT sum(amount) FROM "
      "points_transfers t WHERE t.to_account = a.id), 0) - COALESCE((SELECT sum(amount) FROM "
      "points_transfers t WHERE t.from_account = a.id), 0) AS b FROM points_accounts a) x");
  if (!total) return fail(total.error());
  if (total->i64("z") != 0) problems.push_back("账户余额合计不为零");
  auto negative = db_.query(
      "SELECT a.id, a.kind, a.name FROM points_accounts a WHERE a.kind IN ('resident', "
      "'household', 'shop', 'merchant') AND COALESCE((SELECT sum(amount) FROM points_transfers t "
      "WHERE t.to_account = a.id), 0) - COALESCE((SELECT sum(amount) FROM points_transfers t "
      "WHERE t.from_account = a.id), 0) < 0");
  if (!negative) return fail(negative.error());
  for (const auto& r : *negative) problems.push_back("账户为负：" + r.str("name"));
  auto stock = db_.query(
      "SELECT item_id, sum(delta) AS s FROM shop_stock_moves GROUP BY item_id HAVING sum(delta) < "
      "0");
  if (!stock) return fail(stock.error());
  for (const auto& r : *stock) problems.push_back(fmt::format("商品{}库存为负", r.i64("item_id")));
  return problems;
}

// ---- base points ----

Result<Json> PointsService::grant_base(const auth::Principal& p, std::int64_t community_id,
                                       int year, const auth::Actor& by) {
  auto path = community_path(community_id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "points.review", *path); !a) return fail(a.error());
  if (year < 2000 || year > 2100)
    return fail(Error::invalid("请检查填写的内容", {{"year", "年份不正确"}}));
  // The head of each household (户主, else its first member) not yet granted
  // this year.
  auto heads = db_.query(
      "SELECT h.id, (SELECT r.id FROM residents r WHERE r.household_id = h.id AND r.status = "
      "'active' ORDER BY CASE WHEN r.relation = '户主' THEN 0 ELSE 1 END, r.id LIMIT 1) AS head "
      "FROM households h WHERE h.node_path >= $1 AND h.node_path < $2 AND NOT EXISTS (SELECT 1 "
      "FROM points_deeds d JOIN residents m ON m.id = d.resident_id WHERE m.household_id = h.id "
      "AND d.source = 'base' AND d.source_ref = $3) ORDER BY h.id",
      {*path, auth::subtree_end(*path), static_cast<std::int64_t>(year)});
  if (!heads) return fail(heads.error());
  int granted = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    granted = 0;
    for (const auto& h : *heads) {
      if (h.is_null("head")) continue;
      auto d = award(tx, h.i64("head"), "base", "base", year, fmt::format("{}年度基础积分", year));
      if (!d) return fail(d.error());
      ++granted;
    }
    return auth::record(tx, by,
                        {"points.base", "points_deed", 0, *path,
                         fmt::format("发放{}年度基础积分：{}户", year, granted)});
  });
  if (!w) return fail(w.error());
  return Json{{"year", year}, {"households", granted}};
}

// ---- roll-up and honours ----

Result<Json> PointsService::rankings(const auth::Principal& p, std::int64_t node_id,
                                     const std::string& month) {
  auto node = db_.query("SELECT path, kind FROM nodes WHERE id = $1", {node_id});
  if (!node) return fail(node.error());
  if (node->empty() ||
      ((*node)[0].str("kind") != "community" && (*node)[0].str("kind") != "street"))
    return fail(Error::not_found("社区或街道不存在"));
  auto path = (*node)[0].str("path");
  bool street = (*node)[0].str("kind") == "street";
  if (auto a = auth::authorize(p, "points.read", path); !a) return fail(a.error());
  // A month ("2026-11") or a year ("2026") for the annual composite.
  bool year =
      month.size() == 4 && std::ranges::all_of(month, [](char c) { return c >= '0' && c <= '9'; });
  if (!year && !validate::is_month(month))
    return fail(Error::bad_request("期间（period）应为月份 YYYY-MM 或年份 YYYY",
                                   {{"period", "应为 YYYY-MM 或 YYYY"}}));
  auto period = year ? "substr(d.month, 1, 4) = $3" : "d.month = $3";
  store::Params args{path, auth::subtree_end(path), month};
  auto sum_by = [&](const char* kind) -> Result<Json> {
    // Residents' points roll up to the unit, the building and the compound
    // (grid, where the party branch sits): "居民+支部" double points; on a
    // street, also to each community.
    auto rows = db_.query(
        fmt::format(
            "SELECT n.id, n.name, sum(d.final_points) AS points, count(DISTINCT "
            "d.resident_id) AS people FROM points_deeds d JOIN nodes n ON n.kind = '{}' AND "
            "substr(d.node_path, 1, length(n.path)) = n.path WHERE d.node_path >= $1 AND "
            "d.node_path < $2 AND d.state = 'approved' AND {} GROUP BY n.id, n.name ORDER BY "
            "points DESC, n.id LIMIT 100",
            kind, period),
        args);
    if (!rows) return fail(rows.error());
    Json out = Json::array();
    int rank = 0;
    for (const auto& r : *rows)
      out.push_back({{"rank", ++rank},
                     {"node_id", r.i64("id")},
                     {"name", r.str("name")},
                     {"points", r.i64("points")},
                     {"people", r.i64("people")}});
    return out;
  };
  auto residents = db_.query(
      fmt::format(
          "SELECT d.resident_id, r.name, sum(d.final_points) AS points FROM points_deeds d "
          "JOIN residents r ON r.id = d.resident_id WHERE d.node_path >= $1 AND d.node_path < "
          "$2 AND d.state = 'approved' AND {} GROUP BY d.resident_id, r.name ORDER BY points "
          "DESC, d.resident_id LIMIT 50",
          period),
      args);
  if (!residents) return fail(residents.error());
  Json top = Json::array();
  int rank = 0;
  for (const auto& r : *residents)
    top.push_back({{"rank", ++rank},
                   {"resident_id", r.i64("resident_id")},
                   {"name", r.str("name")},
                   {"points", r.i64("points")}});
  auto units = sum_by("unit");
  auto buildings = sum_by("building");
  auto branches = sum_by("grid");
  if (!units || !buildings || !branches) return fail(Error::internal("统计失败"));
  Json out{{"period", month},         {"scope", street ? "street" : "community"},
           {"residents", top},        {"units", *units},
           {"buildings", *buildings}, {"branches", *branches}};
  if (street) {
    auto communities = sum_by("community");
    if (!communities) return fail(communities.error());
    out["communities"] = *communities;
  }
  return out;
}

Result<Json> PointsService::add_honour(const auth::Principal& p, const Json& body,
                                       const auth::Actor& by) {
  if (!body.is_object()) return fail(Error::invalid("请求内容应为JSON对象"));
  auto community = body.value("community_id", std::int64_t{0});
  auto path = community_path(community);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "points.review", *path); !a) return fail(a.error());
  auto kind = body.value("kind", std::string());
  if (honour_name(kind).empty())
    return fail(Error::invalid("请检查填写的内容", {{"kind", "请选择荣誉称号"}}));
  auto year = body.value("year", std::int64_t{0});
  if (year < 2000 || year > 2100)
    return fail(Error::invalid("请检查填写的内容", {{"year", "年份不正确"}}));
  auto resident = body.value("resident_id", std::int64_t{0});
  auto household = body.value("household_id", std::int64_t{0});
  auto org = body.value("org_id", std::int64_t{0});
  if ((kind == "best_merchant") != (org != 0) || (!resident && !household && !org))
    return fail(
        Error::invalid("请检查填写的内容", {{"resident_id", "请选择获得荣誉的居民、住户或商户"}}));
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.one(
        "INSERT INTO honours (community_node_id, year, kind, resident_id, household_id, org_id, "
        "note, awarded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        {community, year, kind, resident ? store::Value{resident} : store::null(),
         household ? store::Value{household} : store::null(),
         org ? store::Value{org} : store::null(), body.value("note", std::string()),
         by.user_id ? store::Value{by.user_id} : store::null(), clock::now_ms()});
    if (!r) return fail(r.error());
    id = r->i64("id");
    return auth::record(
        tx, by,
        {"points.honour", "honour", id, *path, fmt::format("评选{}年{}", year, honour_name(kind))});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id}};
}

Result<Json> PointsService::honours(const auth::Principal& p, std::int64_t community_id,
                                    std::int64_t year) {
  auto path = community_path(community_id);
  if (!path) return fail(path.error());
  bool staff = p.can("points.read") && auth::authorize(p, "points.read", *path);
  if (!staff && !p.can("points.self")) return fail(Error::not_found());
  auto rows = db_.query(
      "SELECT h.*, r.name AS resident, hh.address, o.name AS org FROM honours h LEFT JOIN "
      "residents r ON r.id = h.resident_id LEFT JOIN households hh ON hh.id = h.household_id LEFT "
      "JOIN orgs o ON o.id = h.org_id WHERE h.community_node_id = $1 AND ($2 = 0 OR h.year = $2) "
      "ORDER BY h.year DESC, h.id",
      {community_id, year});
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows) {
    auto who = !r.is_null("org") ? r.str("org")
               : !r.is_null("resident")
                   ? (staff ? r.str("resident") : validate::mask_name(r.str("resident")))
                   : r.str("address");
    out.push_back({{"id", r.i64("id")},
                   {"year", r.i64("year")},
                   {"kind", r.str("kind")},
                   {"kind_name", honour_name(r.str("kind"))},
                   {"who", who},
                   {"note", r.str("note")}});
  }
  return out;
}

Result<Json> honours_of(store::Db& db, std::int64_t resident_id) {
  auto rows = db.query(
      "SELECT h.year, h.kind, h.note, CASE WHEN h.resident_id = $1 THEN 'resident' ELSE "
      "'household' END AS whose FROM honours h WHERE h.resident_id = $1 OR h.household_id = "
      "(SELECT household_id FROM residents WHERE id = $1) ORDER BY h.year DESC, h.id",
      {resident_id});
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back({{"year", r.i64("year")},
                   {"kind", r.str("kind")},
                   {"kind_name", honour_name(r.str("kind"))},
                   {"whose", r.str("whose")},
                   {"note", r.str("note")}});
  return out;
}

Result<std::map<std::int64_t, std::string>> honours_in(store::Db& db, const std::string& path) {
  auto rows = db.query(
      "SELECT r.id, h.year, h.kind FROM honours h JOIN residents r ON r.id = h.resident_id WHERE "
      "r.node_path >= $1 AND r.node_path < $2 UNION ALL SELECT r.id, h.year, h.kind FROM honours "
      "h JOIN residents r ON r.household_id = h.household_id WHERE r.node_path >= $1 AND "
      "r.node_path < $2 ORDER BY 1, 2 DESC",
      {path, auth::subtree_end(path)});
  if (!rows) return fail(rows.error());
  std::map<std::int64_t, std::string> out;
  for (const auto& r : *rows) {
    auto& s = out[r.i64("id")];
    s += (s.empty() ? "" : "、") + std::to_string(r.i64("year")) + honour_name(r.str("kind"));
  }
  return out;
}

}  // namespace linli::points
