// Redemption: the 积分超市 (goods with stock, handed over at the station) and
// the 商家联盟 (services verified by the merchant with a one-time code).
// Balance and stock are checked inside the write that spends them, so
// concurrent redemptions never overdraw either.
#include <fmt/format.h>
#include <sodium.h>

#include "auth/scope_sql.hpp"
#include "core/calendar.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"
#include "points/service.hpp"
#include "store/sql.hpp"

namespace linli::points {
namespace {

Result<store::Row> org_row(store::Db& db, std::int64_t id, const std::string& kind) {
  auto r = db.query(
      "SELECT o.id, o.name, o.kind, n.path FROM orgs o LEFT JOIN nodes n ON n.id = "
      "o.node_id WHERE o.id = $1",
      {id});
  if (!r) return fail(r.error());
  if (r->empty() || (*r)[0].str("kind") != kind) return fail(Error::not_found());
  return (*r)[0];
}

bool serves_me(const auth::Principal& p, std::int64_t org, const char* permission) {
  for (auto o : p.scope_orgs(permission))
    if (o == org) return true;
  return false;
}

std::string code_hash(std::int64_t org, const std::string& code) {
  return crypto::token_hash(fmt::format("{}:{}", org, code));
}

}  // namespace

Result<store::Row> PointsService::redemption_row(std::int64_t id) {
  auto r = db_.query(
      "SELECT x.*, r.node_path, r.name AS resident FROM redemptions x JOIN residents r ON r.id = "
      "x.resident_id WHERE x.id = $1",
      {id});
  if (!r) return fail(r.error());
  if (r->empty()) return fail(Error::not_found());
  return (*r)[0];
}

// ---- 积分超市 ----

Result<Json> PointsService::add_item(const auth::Principal& p, std::int64_t station_org,
                                     const std::string& name, std::int64_t price,
                                     std::int64_t stock, const auth::Actor& by) {
  auto station = org_row(db_, station_org, "station");
  if (!station) return fail(station.error());
  if (auto a = auth::authorize(p, "points.shop", station->str("path")); !a) return fail(a.error());
  if (name.empty() || validate::utf8_length(name).value_or(100) > 30)
    return fail(Error::invalid("请检查填写的内容", {{"name", "请填写商品名称（不超过30字）"}}));
  if (price <= 0 || price > 100000)
    return fail(Error::invalid("请检查填写的内容", {{"points_price", "所需积分应为1到100000"}}));
  if (stock < 0 || stock > 100000)
    return fail(Error::invalid("请检查填写的内容", {{"stock", "库存应为0到100000"}}));
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto now = clock::now_ms();
    auto r = tx.one(
        "INSERT INTO shop_items (station_org_id, name, points_price, created_at) VALUES ($1, $2, "
        "$3, $4) RETURNING id",
        {station_org, name, price, now});
    if (!r) return fail(r.error());
    id = r->i64("id");
    if (stock > 0)
      if (auto m = tx.send("INSERT INTO shop_stock_moves (item_id, delta, reason, at) VALUES ($1, "
                           "$2, '上架', $3)",
                           {id, stock, now});
          !m)
        return fail(m.error());
    return auth::record(tx, by,
                        {"points.item", "shop_item", id, station->str("path"),
                         fmt::format("积分超市上架“{}”{}件", name, stock)});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id}};
}

Result<Json> PointsService::restock(const auth::Principal& p, std::int64_t item_id,
                                    std::int64_t delta, const auth::Actor& by) {
  auto item = db_.query(
      "SELECT i.station_org_id, n.path FROM shop_items i JOIN orgs o ON o.id = i.station_org_id "
      "LEFT JOIN nodes n ON n.id = o.node_id WHERE i.id = $1",
      {item_id});
  if (!item) return fail(item.error());
  if (item->empty()) return fail(Error::not_found());
  if (auto a = auth::authorize(p, "points.shop", (*item)[0].str("path")); !a)
    return fail(a.error());
  if (delta == 0 || delta > 100000 || delta < -100000)
    return fail(Error::invalid("请检查填写的内容", {{"delta", "补货数量应为非零整数"}}));
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto s = tx.one("SELECT COALESCE(sum(delta), 0) AS s FROM shop_stock_moves WHERE item_id = $1",
                    {item_id});
    if (!s) return fail(s.error());
    if (s->i64("s") + delta < 0) return fail(Error::conflict("库存不足，不能减少这么多"));
    if (auto m = tx.exec(
            "INSERT INTO shop_stock_moves (item_id, delta, reason, at) VALUES ($1, $2, "
            "$3, $4)",
            {item_id, delta, std::string(delta > 0 ? "补货" : "盘点减少"), clock::now_ms()});
        !m)
      return fail(m.error());
    return auth::record(tx, by,
                        {"points.restock", "shop_item", item_id, (*item)[0].str("path"),
                         fmt::format("库存调整{:+}", delta)});
  });
  if (!w) return fail(w.error());
  return Json{{"id", item_id}};
}

Result<Json> PointsService::items(const auth::Principal& p, std::int64_t community_id) {
  if (!p.can("points.read") && !p.can("points.self")) return fail(Error::forbidden());
  store::Sql q;
  q << "SELECT i.id, i.name, i.points_price, o.id AS station_id, o.name AS station, "
       "COALESCE((SELECT sum(delta) FROM shop_stock_moves m WHERE m.item_id = i.id), 0) AS stock "
       "FROM shop_items i JOIN orgs o ON o.id = i.station_org_id JOIN nodes n ON n.id = o.node_id "
       "WHERE i.active = 1";
  if (community_id) {
    auto path = community_path(community_id);
    if (!path) return fail(path.error());
    auth::and_in_subtree(q, *path, "n.path");
  }
  q << " ORDER BY i.id LIMIT 500";
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back({{"id", r.i64("id")},
                   {"name", r.str("name")},
                   {"points_price", r.i64("points_price")},
                   {"stock", r.i64("stock")},
                   {"station_id", r.i64("station_id")},
                   {"station", r.str("station")}});
  return out;
}

Result<Json> PointsService::order(const auth::Principal& p, std::int64_t item_id,
                                  const auth::Actor& by) {
  if (!p.can("points.self") || !p.resident_id) return fail(Error::forbidden("请用居民账号兑换"));
  auto me = db_.one("SELECT name, node_path FROM residents WHERE id = $1", {p.resident_id});
  if (!me) return fail(me.error());
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto l = tx.serialize_on(fmt::format("points:resident:{}", p.resident_id)); !l) return l;
    if (auto l = tx.serialize_on(fmt::format("points:item:{}", item_id)); !l) return l;
    auto item = tx.query(
        "SELECT i.points_price, i.station_org_id, i.name, o.name AS station, n.path FROM "
        "shop_items i JOIN orgs o ON o.id = i.station_org_id JOIN nodes n ON n.id = o.node_id "
        "WHERE i.id = $1 AND i.active = 1",
        {item_id});
    if (!item) return fail(item.error());
    if (item->empty()) return fail(Error::not_found("商品不存在或已下架"));
    const auto& it = (*item)[0];
    auto stock = tx.one(
        "SELECT COALESCE(sum(delta), 0) AS s FROM shop_stock_moves WHERE item_id = $1", {item_id});
    if (!stock) return fail(stock.error());
    if (stock->i64("s") < 1) return fail(Error::conflict("该商品已兑完，请选择其他商品"));
    auto mine = account(tx, "resident", p.resident_id, me->str("node_path"), me->str("name"));
    if (!mine) return fail(mine.error());
    auto held = balance_of(tx, *mine);
    if (!held) return fail(held.error());
    auto price = it.i64("points_price");
    if (*held < price)
      return fail(Error::conflict(fmt::format("积分不足：需要{}分，您现有{}分", price, *held)));
    auto shop = account(tx, "shop", it.i64("station_org_id"), it.str("path"), it.str("station"));
    if (!shop) return fail(shop.error());
    auto now = clock::now_ms();
    auto r = tx.one(
        "INSERT INTO redemptions (resident_id, kind, item_id, org_id, points, state, created_at) "
        "VALUES ($1, 'shop', $2, $3, $4, 'ordered', $5) RETURNING id",
        {p.resident_id, item_id, it.i64("station_org_id"), price, now});
    if (!r) return fail(r.error());
    id = r->i64("id");
    if (auto t = transfer(tx, *mine, *shop, price, "redeem", 0, id, "兑换：" + it.str("name")); !t)
      return t;
    if (auto m = tx.send("INSERT INTO shop_stock_moves (item_id, delta, reason, redemption_id, at) "
                         "VALUES ($1, -1, '兑换', $2, $3)",
                         {item_id, id, now});
        !m)
      return fail(m.error());
    return auth::record(tx, by,
                        {"points.order", "redemption", id, me->str("node_path"),
                         "积分超市兑换：" + it.str("name")});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id}, {"state", "ordered"}};
}

Result<Json> PointsService::hand_over(const auth::Principal& p, std::int64_t redemption_id,
                                      const auth::Actor& by) {
  auto x = redemption_row(redemption_id);
  if (!x) return fail(x.error());
  if (auto a = auth::authorize(p, "points.shop", x->str("node_path")); !a) return fail(a.error());
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "UPDATE redemptions SET state = 'handed_over', completed_at = $1, completed_by = $2 WHERE "
        "id = $3 AND state = 'ordered'",
        {clock::now_ms(), by.user_id ? store::Value{by.user_id} : store::null(), redemption_id});
    if (!r) return fail(r.error());
    if (r->changes == 0) return fail(Error::conflict("该兑换单不在待领取状态"));
    return auth::record(
        tx, by,
        {"points.hand_over", "redemption", redemption_id, x->str("node_path"), "积分超市发放商品"});
  });
  if (!w) return fail(w.error());
  return Json{{"id", redemption_id}, {"state", "handed_over"}};
}

Result<Json> PointsService::cancel(const auth::Principal& p, std::int64_t redemption_id,
                                   const auth::Actor& by) {
  auto x = redemption_row(redemption_id);
  if (!x) return fail(x.error());
  bool own = x->i64("resident_id") == p.resident_id && p.can("points.self");
  if (!own)
    if (auto a = auth::authorize(p, "points.shop", x->str("node_path")); !a) return fail(a.error());
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto cur = tx.one(
        "SELECT state, kind, item_id, points, org_id, resident_id FROM redemptions "
        "WHERE id = $1",
        {redemption_id});
    if (!cur) return fail(cur.error());
    auto state = cur->str("state");
    if (state != "ordered" && state != "code_issued")
      return fail(Error::conflict("该兑换已完成或已取消，不能再取消"));
    auto now = clock::now_ms();
    if (auto u =
            tx.exec("UPDATE redemptions SET state = 'cancelled', completed_at = $1 WHERE id = $2",
                    {now, redemption_id});
        !u)
      return fail(u.error());
    if (cur->str("kind") == "shop") {
      // Points and stock go back: a reversing transfer and a stock move.
      auto shop = tx.one("SELECT id FROM points_accounts WHERE kind = 'shop' AND ref_id = $1",
                         {cur->i64("org_id")});
      auto mine = tx.one("SELECT id FROM points_accounts WHERE kind = 'resident' AND ref_id = $1",
                         {cur->i64("resident_id")});
      if (!shop || !mine) return fail(Error::internal("账户缺失"));
      if (auto t = transfer(tx, shop->i64("id"), mine->i64("id"), cur->i64("points"), "refund", 0,
                            redemption_id, "取消兑换，积分退回");
          !t)
        return t;
      if (auto m = tx.send("INSERT INTO shop_stock_moves (item_id, delta, reason, redemption_id, "
                           "at) VALUES ($1, 1, '取消兑换', $2, $3)",
                           {cur->i64("item_id"), redemption_id, now});
          !m)
        return fail(m.error());
    }
    return auth::record(
        tx, by, {"points.cancel", "redemption", redemption_id, x->str("node_path"), "取消兑换"});
  });
  if (!w) return fail(w.error());
  return Json{{"id", redemption_id}, {"state", "cancelled"}};
}

// ---- 商家联盟 ----

Result<Json> PointsService::add_service(const auth::Principal& p, std::int64_t merchant_org,
                                        const std::string& name, std::int64_t price,
                                        const auth::Actor& by) {
  auto m = org_row(db_, merchant_org, "merchant");
  if (!m) return fail(m.error());
  if (!serves_me(p, merchant_org, "merchant.portal") &&
      !(p.can("points.shop") && auth::authorize(p, "points.shop", m->str("path"))))
    return fail(Error::not_found());
  if (name.empty() || validate::utf8_length(name).value_or(100) > 30)
    return fail(Error::invalid("请检查填写的内容", {{"name", "请填写服务名称（不超过30字）"}}));
  if (price <= 0 || price > 100000)
    return fail(Error::invalid("请检查填写的内容", {{"points_price", "所需积分应为1到100000"}}));
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.one(
        "INSERT INTO merchant_services (merchant_org_id, name, points_price, created_at) "
        "VALUES ($1, $2, $3, $4) RETURNING id",
        {merchant_org, name, price, clock::now_ms()});
    if (!r) return fail(r.error());
    id = r->i64("id");
    return auth::record(
        tx, by,
        {"points.service", "merchant_service", id, m->str("path"), "商家发布积分服务：" + name});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id}};
}

Result<Json> PointsService::services(const auth::Principal& p) {
  if (!p.can("points.read") && !p.can("points.self") && !p.can("merchant.portal"))
    return fail(Error::forbidden());
  store::Sql q;
  q << "SELECT s.id, s.name, s.points_price, o.id AS merchant_id, o.name AS merchant FROM "
       "merchant_services s JOIN orgs o ON o.id = s.merchant_org_id WHERE s.active = 1";
  auto mine = p.scope_orgs("merchant.portal");
  if (!mine.empty() && !p.can("points.self") && !p.can("points.read")) {
    q << " AND (1 = 0";
    for (auto o : mine) q << " OR o.id = " << q.bind(o);
    q << ")";
  }
  q << " ORDER BY o.id, s.id LIMIT 500";
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back({{"id", r.i64("id")},
                   {"name", r.str("name")},
                   {"points_price", r.i64("points_price")},
                   {"merchant_id", r.i64("merchant_id")},
                   {"merchant", r.str("merchant")}});
  return out;
}

Result<Json> PointsService::issue_code(const auth::Principal& p, std::int64_t service_id,
                                       const auth::Actor& by) {
  if (!p.can("points.self") || !p.resident_id) return fail(Error::forbidden("请用居民账号兑换"));
  auto s = db_.query(
      "SELECT s.merchant_org_id, s.points_price, s.name, o.name AS merchant FROM "
      "merchant_services s JOIN orgs o ON o.id = s.merchant_org_id WHERE s.id = $1 "
      "AND s.active = 1",
      {service_id});
  if (!s) return fail(s.error());
  if (s->empty()) return fail(Error::not_found("该服务不存在或已下架"));
  const auto& svc = (*s)[0];
  auto bal = balance(p, p.resident_id);
  if (!bal) return fail(bal.error());
  if ((*bal)["balance"].get<std::int64_t>() < svc.i64("points_price"))
    return fail(
        Error::conflict(fmt::format("积分不足：需要{}分，您现有{}分", svc.i64("points_price"),
                                    (*bal)["balance"].get<std::int64_t>())));
  // The resident's community decides how long a code lives.
  std::int64_t community = 0;
  if (auto home = db_.query("SELECT node_path FROM residents WHERE id = $1", {p.resident_id});
      home && !home->empty())
    community = community_of((*home)[0].str("node_path")).value_or(0);
  auto minutes = std::max<std::int64_t>(1, setting(community, "code_minutes", 10));
  auto org = svc.i64("merchant_org_id");
  std::string code;
  std::int64_t id = 0;
  auto now = clock::now_ms();
  auto w = db_.write([&](store::Tx& tx) -> Status {
    // Six digits a merchant can type; unique among this merchant's live codes.
    for (int attempt = 0; attempt < 20; ++attempt) {
      code = fmt::format("{:06d}", randombytes_uniform(1000000));
      auto clash = tx.one(
          "SELECT count(*) AS n FROM redemptions WHERE org_id = $1 AND code_hash = "
          "$2 AND state = 'code_issued' AND code_expires_at > $3",
          {org, code_hash(org, code), now});
      if (!clash) return fail(clash.error());
      if (clash->i64("n") == 0) break;
    }
    auto r = tx.one(
        "INSERT INTO redemptions (resident_id, kind, service_id, org_id, points, state, code_hash, "
        "code_expires_at, created_at) VALUES ($1, 'merchant', $2, $3, $4, 'code_issued', $5, $6, "
        "$7) RETURNING id",
        {p.resident_id, service_id, org, svc.i64("points_price"), code_hash(org, code),
         now + minutes * 60000, now});
    if (!r) return fail(r.error());
    id = r->i64("id");
    return auth::record(
        tx, by, {"points.code", "redemption", id, "", "生成商家兑换码：" + svc.str("name")});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id},
              {"code", code},
              {"qr_text", fmt::format("linli:redeem:{}:{}", org, code)},
              {"merchant", svc.str("merchant")},
              {"service", svc.str("name")},
              {"points", svc.i64("points_price")},
              {"expires_at", clock::iso(now + minutes * 60000)}};
}

Result<Json> PointsService::verify_code(const auth::Principal& p, std::int64_t merchant_org,
                                        const std::string& code, const auth::Actor& by) {
  if (!serves_me(p, merchant_org, "merchant.portal"))
    return fail(Error::forbidden("只能核销本店的兑换码"));
  if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos)
    return fail(Error::invalid("请检查填写的内容", {{"code", "兑换码为6位数字"}}));
  Json out;
  auto owner = db_.query(
      "SELECT resident_id FROM redemptions WHERE org_id = $1 AND code_hash = $2 ORDER BY id DESC "
      "LIMIT 1",
      {merchant_org, code_hash(merchant_org, code)});
  if (!owner) return fail(owner.error());
  auto resident = owner->empty() ? 0 : (*owner)[0].i64("resident_id");
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto l = tx.serialize_on(fmt::format("points:resident:{}", resident)); !l) return l;
    auto rows = tx.query(
        "SELECT x.id, x.state, x.code_expires_at, x.points, x.resident_id, s.name, r.name AS "
        "resident, r.node_path FROM redemptions x JOIN merchant_services s ON s.id = x.service_id "
        "JOIN residents r ON r.id = x.resident_id WHERE x.org_id = $1 AND x.code_hash = $2 ORDER "
        "BY x.id DESC LIMIT 1",
        {merchant_org, code_hash(merchant_org, code)});
    if (!rows) return fail(rows.error());
    // A code of another merchant hashes differently: it is simply unknown here.
    if (rows->empty()) return fail(Error::not_found("兑换码不存在，请核对后重新输入"));
    const auto& x = (*rows)[0];
    if (x.str("state") == "verified") return fail(Error::conflict("该兑换码已使用过"));
    if (x.str("state") != "code_issued") return fail(Error::conflict("该兑换码已取消"));
    auto now = clock::now_ms();
    if (now > x.i64("code_expires_at")) {
      if (auto u = tx.exec("UPDATE redemptions SET state = 'expired' WHERE id = $1", {x.i64("id")});
          !u)
        return fail(u.error());
      return fail(Error::conflict("兑换码已过期，请居民重新生成"));
    }
    auto mine =
        account(tx, "resident", x.i64("resident_id"), x.str("node_path"), x.str("resident"));
    if (!mine) return fail(mine.error());
    auto held = balance_of(tx, *mine);
    if (!held) return fail(held.error());
    if (*held < x.i64("points"))
      return fail(
          Error::conflict(fmt::format("居民积分不足：需要{}分，现有{}分", x.i64("points"), *held)));
    auto m = tx.one(
        "SELECT o.name, n.path FROM orgs o LEFT JOIN nodes n ON n.id = o.node_id WHERE o.id = $1",
        {merchant_org});
    if (!m) return fail(m.error());
    auto shop = account(tx, "merchant", merchant_org, m->str("path"), m->str("name"));
    if (!shop) return fail(shop.error());
    if (auto t = transfer(tx, *mine, *shop, x.i64("points"), "redeem", 0, x.i64("id"),
                          "商家兑换：" + x.str("name"));
        !t)
      return t;
    if (auto u = tx.exec("UPDATE redemptions SET state = 'verified', completed_at = $1, "
                         "completed_by = $2 WHERE id = $3",
                         {now, by.user_id ? store::Value{by.user_id} : store::null(), x.i64("id")});
        !u)
      return fail(u.error());
    out = {{"id", x.i64("id")},
           {"state", "verified"},
           {"service", x.str("name")},
           {"points", x.i64("points")},
           {"resident", validate::mask_name(x.str("resident"))}};
    return auth::record(tx, by,
                        {"points.verify", "redemption", x.i64("id"), x.str("node_path"),
                         "商家核销兑换码：" + x.str("name")});
  });
  if (!w) return fail(w.error());
  return out;
}

Result<Json> PointsService::my_redemptions(const auth::Principal& p) {
  if (!p.resident_id) return fail(Error::forbidden());
  auto rows = db_.query(
      "SELECT x.id, x.kind, x.state, x.points, x.created_at, x.code_expires_at, o.name AS org, "
      "COALESCE(i.name, s.name) AS what FROM redemptions x JOIN orgs o ON o.id = x.org_id LEFT "
      "JOIN "
      "shop_items i ON i.id = x.item_id LEFT JOIN merchant_services s ON s.id = x.service_id WHERE "
      "x.resident_id = $1 ORDER BY x.id DESC LIMIT 200",
      {p.resident_id});
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  auto now = clock::now_ms();
  for (const auto& r : *rows) {
    auto state = r.str("state");
    if (state == "code_issued" && now > r.i64("code_expires_at")) state = "expired";
    out.push_back({{"id", r.i64("id")},
                   {"kind", r.str("kind")},
                   {"state", state},
                   {"points", r.i64("points")},
                   {"org", r.str("org")},
                   {"what", r.str("what")},
                   {"created_at", clock::iso(r.i64("created_at"))}});
  }
  return out;
}

Result<Json> PointsService::redemptions(const auth::Principal& p, std::int64_t org_id,
                                        const std::string& state) {
  auto o = db_.query(
      "SELECT n.path FROM orgs o LEFT JOIN nodes n ON n.id = o.node_id WHERE o.id = $1", {org_id});
  if (!o) return fail(o.error());
  if (o->empty()) return fail(Error::not_found());
  if (!serves_me(p, org_id, "merchant.portal"))
    if (auto a = auth::authorize(p, "points.shop", (*o)[0].str("path")); !a) return fail(a.error());
  auto rows = db_.query(
      "SELECT x.id, x.state, x.points, x.created_at, r.name AS resident, COALESCE(i.name, s.name) "
      "AS what FROM redemptions x JOIN residents r ON r.id = x.resident_id LEFT JOIN shop_items i "
      "ON i.id = x.item_id LEFT JOIN merchant_services s ON s.id = x.service_id WHERE x.org_id = "
      "$1 AND ($2 = '' OR x.state = $2) ORDER BY x.id DESC LIMIT 500",
      {org_id, state});
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back({{"id", r.i64("id")},
                   {"state", r.str("state")},
                   {"points", r.i64("points")},
                   {"what", r.str("what")},
                   {"resident", validate::mask_name(r.str("resident"))},
                   {"created_at", clock::iso(r.i64("created_at"))}});
  return out;
}

Result<Json> PointsService::statement(const auth::Principal& p, std::int64_t org_id,
                                      const std::string& month) {
  auto o = db_.query(
      "SELECT o.kind, o.name, n.path FROM orgs o LEFT JOIN nodes n ON n.id = o.node_id "
      "WHERE o.id = $1",
      {org_id});
  if (!o) return fail(o.error());
  if (o->empty()) return fail(Error::not_found());
  bool own = serves_me(p, org_id, "merchant.portal");
  if (!own && !(p.can("points.read") && auth::authorize(p, "points.read", (*o)[0].str("path"))))
    return fail(Error::not_found());
  if (!validate::is_month(month))
    return fail(Error::invalid("请检查填写的内容", {{"month", "月份应为 YYYY-MM"}}));
  auto from = clock::shanghai_day_start(month + "-01");
  auto y = std::atoi(month.substr(0, 4).c_str()), m = std::atoi(month.substr(5).c_str());
  auto next = fmt::format("{:04d}-{:02d}-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
  auto to = clock::shanghai_day_start(next);
  auto rows = db_.query(
      "SELECT x.id, x.points, x.completed_at, x.state, r.name AS resident, COALESCE(i.name, "
      "s.name) AS what FROM redemptions x JOIN residents r ON r.id = x.resident_id LEFT JOIN "
      "shop_items i ON i.id = x.item_id LEFT JOIN merchant_services s ON s.id = x.service_id "
      "WHERE x.org_id = $1 AND x.state IN ('verified', 'handed_over') AND x.completed_at >= $2 AND "
      "x.completed_at < $3 ORDER BY x.completed_at",
      {org_id, *from, *to});
  if (!rows) return fail(rows.error());
  Json lines = Json::array();
  std::int64_t total = 0;
  for (const auto& r : *rows) {
    total += r.i64("points");
    lines.push_back({{"id", r.i64("id")},
                     {"at", clock::iso(r.i64("completed_at"))},
                     {"what", r.str("what")},
                     {"resident", validate::mask_name(r.str("resident"))},
                     {"points", r.i64("points")}});
  }
  return Json{{"org_id", org_id},      {"org", (*o)[0].str("name")}, {"month", month},
              {"count", lines.size()}, {"total_points", total},      {"lines", lines}};
}

}  // namespace linli::points
