// Community options and 积分到期 (points expiry).
//
// Expiry is FIFO: spending uses the oldest points first, so at a month
// boundary what a resident still holds from months that have run out is
// max(0, balance − points credited since the first month still valid).
// That figure is cumulative, so a run that crashed half way, or a second
// node running the same month, moves nothing twice.
#include <fmt/format.h>

#include <map>

#include "auth/scope_sql.hpp"
#include "core/calendar.hpp"
#include "core/clock.hpp"
#include "core/json_fields.hpp"
#include "points/service.hpp"

namespace linli::points {
namespace {

struct Option {
  const char* key;
  const char* label;
  std::int64_t dflt, min, max;
};
constexpr Option kOptions[] = {
    {"objection_days", "异议期（天）", 7, 1, 30},
    {"code_minutes", "兑换码有效期（分钟）", 10, 1, 60},
    {"expiry_months", "积分有效期（月，0为长期有效）", 0, 0, 120},
};

using calendar::month_add;

std::int64_t month_start_ms(const std::string& ym) {
  return clock::shanghai_day_start(ym + "-01").value_or(0);
}

// Residents of a community holding points older than the valid window
// that starts at valid_from: account, resident, and how much has run out.
const char* kExpirable =
    "SELECT id, ref_id, bal - valid AS amount FROM (SELECT a.id, a.ref_id, COALESCE((SELECT "
    "sum(amount) FROM points_transfers t WHERE t.to_account = a.id), 0) - COALESCE((SELECT "
    "sum(amount) FROM points_transfers t WHERE t.from_account = a.id), 0) AS bal, "
    "COALESCE((SELECT sum(amount) FROM points_transfers t WHERE t.to_account = a.id AND t.at >= "
    "$3), 0) AS valid FROM points_accounts a WHERE a.kind = 'resident' AND a.node_path >= $1 AND "
    "a.node_path < $2) x WHERE bal > valid ORDER BY ref_id";

}  // namespace

std::int64_t PointsService::setting(std::int64_t community, const char* k, std::int64_t dflt) {
  auto r = db_.query(
      "SELECT v FROM points_settings WHERE k = $1 AND community_node_id IN ($2, 0) ORDER BY "
      "community_node_id DESC LIMIT 1",
      {std::string(k), community});
  if (!r || r->empty()) return dflt;
  return std::atoll((*r)[0].str("v").c_str());
}

Result<Json> PointsService::settings(const auth::Principal& p, std::int64_t community_id) {
  auto path = community_path(community_id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "points.read", *path); !a) return fail(a.error());
  Json out = Json::object();
  for (const auto& o : kOptions)
    out[o.key] = {{"value", setting(community_id, o.key, o.dflt)},
                  {"label", o.label},
                  {"min", o.min},
                  {"max", o.max}};
  return out;
}

Result<Json> PointsService::put_settings(const auth::Principal& p, std::int64_t community_id,
                                         const Json& body, const auth::Actor& by) {
  auto path = community_path(community_id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "points.review", *path); !a) return fail(a.error());
  Fields f(body);
  std::map<std::string, std::int64_t> values;
  for (const auto& o : kOptions)
    if (auto v = f.integer(o.key, o.label, false, o.min, o.max); v) values[o.key] = *v;
  if (!f.ok()) return fail(f.error());
  if (values.empty()) return fail(Error::invalid("没有要修改的设置"));
  auto w = db_.write([&](store::Tx& tx) -> Status {
    std::string said;
    for (const auto& [k, v] : values) {
      auto r = tx.exec(
          "INSERT INTO points_settings (community_node_id, k, v) VALUES ($1, $2, $3) ON CONFLICT "
          "(community_node_id, k) DO UPDATE SET v = excluded.v",
          {community_id, k, std::to_string(v)});
      if (!r) return fail(r.error());
      said += fmt::format(" {}={}", k, v);
    }
    return auth::record(tx, by,
                        {"points.settings", "node", community_id, *path, "修改积分设置:" + said});
  });
  if (!w) return fail(w.error());
  return settings(p, community_id);
}

Result<Json> PointsService::expire(std::int64_t now_ms, notify::Notifier* notifier) {
  auto month = calendar::shanghai_day(now_ms).substr(0, 7);
  // Which communities have expiry on: their own setting, else the city's.
  auto rows = db_.query(
      "SELECT n.id, n.path, COALESCE((SELECT v FROM points_settings s WHERE s.k = "
      "'expiry_months' AND s.community_node_id = n.id), (SELECT v FROM points_settings s WHERE "
      "s.k = 'expiry_months' AND s.community_node_id = 0), '0') AS months FROM nodes n WHERE "
      "n.kind = 'community' AND EXISTS (SELECT 1 FROM points_settings s WHERE s.k = "
      "'expiry_months' AND s.v <> '0') AND NOT EXISTS (SELECT 1 FROM points_expiry_runs e WHERE "
      "e.community_node_id = n.id AND e.month = $1) ORDER BY n.id",
      {month});
  if (!rows) return fail(rows.error());
  Json done = Json::array();
  for (const auto& c : *rows) {
    int months = std::atoi(c.str("months").c_str());
    if (months <= 0) continue;
    auto id = c.i64("id");
    // Claim the month first: another node (or the next minute) skips it.
    auto claim = db_.write([&](store::Tx& tx) -> Status {
      auto r = tx.exec(
          "INSERT INTO points_expiry_runs (community_node_id, month, at) VALUES ($1, $2, $3)",
          {id, month, now_ms});
      return r ? Status{} : fail(r.error());
    });
    if (!claim) {
      if (claim.error().kind == ErrorKind::conflict) continue;
      return fail(claim.error());
    }
    auto expired = expire_community(id, c.str("path"), months, month);
    if (!expired) return fail(expired.error());
    auto noticed = notice_expiry(c.str("path"), months, month_add(month, 1), notifier);
    if (!noticed) return fail(noticed.error());
    auto w = db_.write([&](store::Tx& tx) -> Status {
      auto r = tx.exec(
          "UPDATE points_expiry_runs SET expired = $3, noticed = $4 WHERE community_node_id = $1 "
          "AND month = $2",
          {id, month, *expired, static_cast<std::int64_t>(*noticed)});
      if (!r) return fail(r.error());
      return auth::record(
          tx, auth::Actor::named("积分到期"),
          {"points.expiry", "node", id, c.str("path"),
           fmt::format("{}月积分到期：收回{}分，提醒{}人", month, *expired, *noticed)});
    });
    if (!w) return fail(w.error());
    done.push_back(
        {{"community_id", id}, {"month", month}, {"expired", *expired}, {"noticed", *noticed}});
  }
  return done;
}

Result<std::int64_t> PointsService::expire_community(std::int64_t community_id,
                                                     const std::string& path, int months,
                                                     const std::string& boundary) {
  auto valid_from = month_start_ms(month_add(boundary, -months));
  auto end = auth::subtree_end(path);
  auto node = db_.one("SELECT name FROM nodes WHERE id = $1", {community_id});
  if (!node) return fail(node.error());
  auto name = node->str("name");
  auto candidates = db_.query(kExpirable, {path, end, valid_from});
  if (!candidates) return fail(candidates.error());
  std::int64_t total = 0;
  for (const auto& c : *candidates) {
    auto account_id = c.i64("id");
    auto resident = c.i64("ref_id");
    // One resident per transaction, behind the same lock as their spending,
    // recomputed inside it: a redemption racing the run cannot overdraw.
    auto w = db_.write([&](store::Tx& tx) -> Status {
      if (auto l = tx.serialize_on(fmt::format("points:resident:{}", resident)); !l) return l;
      auto held = balance_of(tx, account_id);
      if (!held) return fail(held.error());
      auto valid = tx.one(
          "SELECT COALESCE(sum(amount), 0) AS s FROM points_transfers WHERE to_account = $1 AND "
          "at >= $2",
          {account_id, valid_from});
      if (!valid) return fail(valid.error());
      auto amount = *held - valid->i64("s");
      if (amount <= 0) return {};
      auto fund = account(tx, "fund", community_id, path, name + "积分基金");
      if (!fund) return fail(fund.error());
      total += amount;
      return transfer(tx, account_id, *fund, amount, "expiry", 0, 0,
                      fmt::format("{}个月有效期已过", months));
    });
    if (!w) return fail(w.error());
  }
  return total;
}

Result<int> PointsService::notice_expiry(const std::string& path, int months,
                                         const std::string& boundary, notify::Notifier* notifier) {
  auto valid_from = month_start_ms(month_add(boundary, -months));
  auto rows = db_.query(fmt::format("SELECT x.amount, u.id AS user_id FROM ({}) x JOIN users u "
                                    "ON u.resident_id = x.ref_id AND u.disabled = 0",
                                    kExpirable),
                        {path, auth::subtree_end(path), valid_from});
  if (!rows) return fail(rows.error());
  if (!notifier || rows->empty()) return 0;
  std::vector<Json> pending;
  auto day = boundary + "-01";
  auto w = db_.write([&](store::Tx& tx) -> Status {
    pending.clear();
    for (const auto& r : *rows) {
      notify::Notice n{"points_expiry", 0, "积分即将到期",
                       fmt::format("您有{}积分将于{}到期，请在此之前使用（兑换商品或服务）",
                                   r.i64("amount"), day)};
      if (auto s = notifier->add(tx, {r.i64("user_id")}, n, pending); !s) return s;
    }
    return {};
  });
  if (!w) return fail(w.error());
  notifier->flush(pending);
  return static_cast<int>(rows->size());
}

Result<Json> PointsService::expiring(std::int64_t resident_id, std::int64_t now_ms) {
  auto r = db_.query(
      "SELECT a.id, a.node_path FROM points_accounts a WHERE a.kind = 'resident' AND a.ref_id = "
      "$1",
      {resident_id});
  if (!r) return fail(r.error());
  if (r->empty()) return Json(nullptr);
  auto community = community_of((*r)[0].str("node_path"));
  if (!community) return Json(nullptr);
  auto months = setting(*community, "expiry_months", 0);
  if (months <= 0) return Json(nullptr);
  auto next = month_add(calendar::shanghai_day(now_ms).substr(0, 7), 1);
  auto account_id = (*r)[0].i64("id");
  auto row = db_.one(
      "SELECT COALESCE((SELECT sum(amount) FROM points_transfers WHERE to_account = $1), 0) - "
      "COALESCE((SELECT sum(amount) FROM points_transfers WHERE from_account = $1), 0) - "
      "COALESCE((SELECT sum(amount) FROM points_transfers WHERE to_account = $1 AND at >= $2), "
      "0) AS amount",
      {account_id, month_start_ms(month_add(next, -static_cast<int>(months)))});
  if (!row) return fail(row.error());
  if (row->i64("amount") <= 0) return Json(nullptr);
  return Json{{"points", row->i64("amount")}, {"on", next + "-01"}, {"months", months}};
}

}  // namespace linli::points
