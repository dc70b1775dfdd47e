// 积分台账: staff search the transfers of their community's accounts (by
// resident, kind, month) and export them for the notice board or an audit.
#include <fmt/format.h>

#include <map>

#include "auth/scope_sql.hpp"
#include "core/calendar.hpp"
#include "core/clock.hpp"
#include "core/validate.hpp"
#include "points/service.hpp"
#include "store/sql.hpp"

namespace linli::points {
namespace {

const std::map<std::string, std::string>& kinds() {
  static const std::map<std::string, std::string> k = {
      {"award", "获得积分"}, {"penalty", "扣减积分"},    {"redeem", "兑换"},
      {"refund", "退回"},    {"correction", "异议更正"}, {"expiry", "积分到期"}};
  return k;
}

}  // namespace

std::string transfer_kind_name(const std::string& kind) {
  auto it = kinds().find(kind);
  return it == kinds().end() ? std::string() : it->second;
}

const std::vector<std::string>& transfer_kinds() {
  static const std::vector<std::string> out = [] {
    std::vector<std::string> k;
    for (const auto& [kind, name] : kinds()) k.push_back(kind);
    return k;
  }();
  return out;
}

Result<store::Rows> PointsService::ledger_rows(const auth::Principal& p, const LedgerQuery& q) {
  auto path = community_path(q.community_id);
  if (!path) return fail(path.error());
  if (auto a = auth::authorize(p, "points.read", *path); !a) return fail(a.error());
  if (!q.kind.empty() && !kinds().count(q.kind))
    return fail(Error::invalid("请检查填写的内容", {{"kind", "没有这种积分变动"}}));
  std::optional<std::int64_t> from, to;
  if (!q.month.empty()) {
    from = clock::shanghai_day_start(q.month + "-01");
    if (!validate::is_month(q.month) || !from)
      return fail(Error::invalid("请检查填写的内容", {{"month", "月份应为 YYYY-MM"}}));
    to = clock::shanghai_day_start(calendar::month_add(q.month, 1) + "-01");
  }
  store::Sql s;
  auto accounts = [&] {
    // The community's accounts: its residents, its fund, its stations' shops.
    return fmt::format("(SELECT id FROM points_accounts WHERE node_path >= {} AND node_path < {})",
                       s.bind(*path), s.bind(auth::subtree_end(*path)));
  };
  s << "SELECT t.id, t.at, t.kind, t.amount, t.note, t.deed_id, t.redemption_id, fa.kind AS "
       "from_kind, fa.name AS from_name, ta.kind AS to_kind, ta.name AS to_name FROM "
       "points_transfers t JOIN points_accounts fa ON fa.id = t.from_account JOIN "
       "points_accounts ta ON ta.id = t.to_account WHERE (t.from_account IN "
    << accounts() << " OR t.to_account IN " << accounts() << ")";
  if (q.resident_id) {
    auto r = s.bind(q.resident_id);
    s << " AND ((fa.kind = 'resident' AND fa.ref_id = " << r
      << ") OR (ta.kind = 'resident' AND ta.ref_id = " << r << "))";
  }
  if (!q.kind.empty()) s << " AND t.kind = " << s.bind(q.kind);
  if (from) s << " AND t.at >= " << s.bind(*from) << " AND t.at < " << s.bind(to.value_or(0));
  if (q.before > 0) s << " AND t.id < " << s.bind(q.before);
  s << " ORDER BY t.id DESC LIMIT " << std::to_string(q.limit + 1);
  return db_.query(s.text, s.params);
}

Result<Json> PointsService::ledger(const auth::Principal& p, const LedgerQuery& q) {
  auto rows = ledger_rows(p, q);
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back({{"id", r.i64("id")},
                   {"at", clock::iso(r.i64("at"))},
                   {"kind", r.str("kind")},
                   {"kind_name", transfer_kind_name(r.str("kind"))},
                   {"amount", r.i64("amount")},
                   {"from", {{"kind", r.str("from_kind")}, {"name", r.str("from_name")}}},
                   {"to", {{"kind", r.str("to_kind")}, {"name", r.str("to_name")}}},
                   {"note", r.str("note")},
                   {"deed_id", r.opt_i64("deed_id") ? Json(r.i64("deed_id")) : Json(nullptr)},
                   {"redemption_id",
                    r.opt_i64("redemption_id") ? Json(r.i64("redemption_id")) : Json(nullptr)}});
  return out;
}

Result<std::vector<std::vector<std::string>>> PointsService::export_ledger(const auth::Principal& p,
                                                                           LedgerQuery q,
                                                                           const auth::Actor& by) {
  std::vector<std::vector<std::string>> rows = {
      {"流水号", "时间", "类型", "转出账户", "转入账户", "分值", "说明"}};
  q.before = 0;
  q.limit = 5000;
  // Pages of 5,000 up to 100,000 rows: a spreadsheet's worth.
  while (rows.size() <= 100000) {
    auto page = ledger_rows(p, q);
    if (!page) return fail(page.error());
    std::size_t n = std::min<std::size_t>(page->size(), 5000);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& t = (*page)[i];
      rows.push_back({std::to_string(t.i64("id")), clock::shanghai_text(t.i64("at")),
                      transfer_kind_name(t.str("kind")), t.str("from_name"), t.str("to_name"),
                      std::to_string(t.i64("amount")), t.str("note")});
      q.before = t.i64("id");
    }
    if (page->size() <= 5000) break;
  }
  auto path = community_path(q.community_id);
  if (!path) return fail(path.error());
  auto w = db_.write([&](store::Tx& tx) -> Status {
    return auth::record(tx, by,
                        {"points.export", "node", q.community_id, *path,
                         fmt::format("导出积分台账 {} 条", rows.size() - 1)});
  });
  if (!w) return fail(w.error());
  return rows;
}

}  // namespace linli::points
