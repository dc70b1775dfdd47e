#include "cases/kpis.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <memory>
#include <system_error>
#include <vector>

#include "auth/scope_sql.hpp"
#include "core/clock.hpp"
#include "store/sql.hpp"

namespace linli::cases {
namespace {

using nlohmann::json;

constexpr std::int64_t kDayMs = 86400000;
constexpr std::int64_t kHourMs = 3600000;
constexpr std::int64_t kShanghaiOffsetMs = 8 * kHourMs;
constexpr double kDefaultK = 0.8;

// The SQL vocabulary of docs/KPIS.md, shared by both queries.
// 办结: the handler's resolution passed verification (待回访 or 已结案).
constexpr const char* kFinished = "c.state IN ('follow_up','closed')";
// The level at which a finished case was finished: closed_level once closed,
// the handling level while it waits for the follow-up visit.
constexpr const char* kFinishLevel = "COALESCE(c.closed_level, c.level)";
// Rejected and merged cases are received but never accepted.
constexpr const char* kLive = "c.state NOT IN ('rejected','merged')";
// The instant of the resolution that passed verification.
constexpr const char* kResolvedAt = "COALESCE(c.resolved_at, c.closed_at)";
// Location inside a compound (小区/网格): the case's node is a grid or below.
constexpr const char* kInCompound = "n.kind IN ('grid','building','unit')";

double round_to(double x, double scale) { return std::round(x * scale) / scale; }

json rate(std::int64_t num, std::int64_t den) {
  if (den <= 0) return nullptr;
  return round_to(static_cast<double>(num) / static_cast<double>(den), 10000.0);
}

json avg_hours(std::int64_t total_ms, std::int64_t n) {
  if (n <= 0) return nullptr;
  return round_to(static_cast<double>(total_ms) / static_cast<double>(n) / kHourMs, 100.0);
}

std::string sum_if(const std::string& cond, const std::string& name) {
  return "SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END) AS " + name;
}

std::string today_shanghai() {
  using namespace std::chrono;
  auto days = floor<std::chrono::days>(
      sys_time<milliseconds>(milliseconds(clock::now_ms() + kShanghaiOffsetMs)));
  year_month_day ymd{days};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// The satisfaction weight: the query's, else the setting, else 0.8. A
// setting that is not a number in [0,1] falls back to 0.8 rather than failing
// the whole dashboard.
store::Read satisfaction_read() {
  return {"SELECT v FROM case_settings WHERE k = $1", {std::string("satisfaction_k")}};
}

double satisfaction_k_from(const KpiQuery& q, const store::Rows& rows) {
  if (q.k) return *q.k;
  if (rows.empty()) return kDefaultK;
  std::string v = rows.front().str("v");
  double k = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), k);
  if (ec != std::errc() || p != v.data() + v.size() || !(k >= 0 && k <= 1)) return kDefaultK;
  return k;
}

Result<double> satisfaction_k(store::Db& db, const KpiQuery& q) {
  if (q.k) return *q.k;
  auto read = satisfaction_read();
  auto rows = db.query(read.sql, read.params);
  if (!rows) return fail(rows.error());
  return satisfaction_k_from(q, *rows);
}

// Which index should drive the pass over cases on SQLite: the subtree's
// (cases_path) or the period's (cases_created, everything created before
// `to`). Without statistics SQLite always takes the path range, which for a
// street over a million cases means a random walk through the whole table —
// seconds instead of a fraction of one. Two index-only counts decide; the
// period's stops once it has passed the subtree's: counted whole, it walked
// every case created before `to` (10M on 10M cases: 1.1 s for a grid's KPIs).
// PostgreSQL's planner has statistics and needs no help.
Result<bool> drive_by_time(store::Db& db, const KpiQuery& q) {
  if (db.kind() != store::Kind::sqlite) return false;
  store::Sql s;
  s << "SELECT COUNT(*) AS n FROM cases c WHERE 1 = 1";
  auth::and_in_subtree(s, q.root_path, "c.node_path");
  auto by_path = db.one(s.text, s.params);
  if (!by_path) return fail(by_path.error());
  auto by_time =
      db.one("SELECT COUNT(*) AS n FROM (SELECT 1 FROM cases WHERE created_at < $1 LIMIT $2)",
             {q.to_ms, by_path->i64("n") + 1});
  if (!by_time) return fail(by_time.error());
  return by_time->i64("n") < by_path->i64("n");
}

// One pass over the subtree's cases: every cohort is a SUM(CASE …).
Result<store::Row> case_counts(store::Db& db, const KpiQuery& q, std::int64_t as_of) {
  store::Sql s;
  std::string from = s.bind(q.from_ms), to = s.bind(q.to_ms), now = s.bind(as_of);
  auto in_period = [&](const std::string& col) {
    return col + " >= " + from + " AND " + col + " < " + to;
  };
  std::string live = kLive, fin = kFinished, level = kFinishLevel, resolved = kResolvedAt;
  std::string received = in_period("c.created_at");
  std::string accepted = in_period("c.accepted_at") + " AND " + live;
  std::string dispatched = in_period("c.dispatched_at") + " AND " + live;
  std::string due = in_period("c.resolve_due") + " AND " + live;
  std::string closed = "c.state = 'closed' AND " + in_period("c.closed_at");
  std::string cols[] = {
      sum_if(received, "received"),
      sum_if(received + " AND c.state = 'rejected'", "rejected"),
      sum_if(received + " AND c.state = 'merged'", "merged"),
      sum_if(accepted, "accepted"),
      sum_if(accepted + " AND c.escalation_count > 0", "escalated"),
      sum_if(accepted + " AND " + kInCompound, "accepted_in_compound"),
      sum_if(accepted + " AND " + kInCompound + " AND " + fin + " AND " + level +
                 " IN ('building','grid')",
             "closed_in_compound"),
      sum_if(accepted + " AND " + fin + " AND " + level + " IN ('building','grid','community')",
             "closed_in_community"),
      sum_if(dispatched, "dispatched"),
      sum_if(dispatched + " AND c.contacted_at IS NULL AND c.contact_due > " + now,
             "contact_pending"),
      sum_if(dispatched +
                 " AND c.contacted_at IS NOT NULL AND (c.contact_due IS NULL OR c.contacted_at <= "
                 "c.contact_due)",
             "contacted_in_time"),
      sum_if(due, "due"),
      sum_if(due + " AND c.state = 'suspended'", "due_suspended"),
      sum_if(
          due + " AND c.state NOT IN ('follow_up','closed','suspended') AND c.resolve_due > " + now,
          "due_pending"),
      sum_if(due + " AND " + fin, "due_closed"),
      sum_if(due + " AND " + fin + " AND " + resolved + " <= c.resolve_due", "due_closed_on_time"),
      sum_if(closed, "closed"),
      sum_if(closed + " AND c.rework_count > 0", "closed_reworked"),
      sum_if(closed + " AND c.rating IS NOT NULL", "rated"),
      sum_if(closed + " AND c.rating = 'satisfied'", "satisfied"),
      sum_if(closed + " AND c.rating = 'basic'", "basic"),
      sum_if(closed + " AND c.rating = 'unsatisfied'", "unsatisfied"),
      sum_if(closed + " AND c.rating_solved IS NOT NULL", "rated_solved"),
      sum_if(closed + " AND c.rating_solved = 1", "solved"),
      "SUM(CASE WHEN " + closed +
          " THEN c.closed_at - c.created_at - c.suspended_ms ELSE 0 END) AS close_ms_total",
      "SUM(CASE WHEN " + closed + " THEN " + resolved +
          " - c.created_at - c.suspended_ms ELSE 0 END) AS resolve_ms_total",
  };
  s << "SELECT ";
  for (std::size_t i = 0; i < std::size(cols); ++i) s << (i ? ", " : "") << cols[i];
  // Every cohort's anchor (accepted, dispatched, due, closed) comes after
  // created_at, so cases created after the period cannot count.
  s << " FROM cases c JOIN nodes n ON n.id = c.node_id WHERE c.created_at < " << to;
  auto by_time = drive_by_time(db, q);
  if (!by_time) return fail(by_time.error());
  // SQLite's unary + keeps the value and hides the column from the index.
  auth::and_in_subtree(s, q.root_path, *by_time ? "+c.node_path" : "c.node_path");
  return db.one(s.text, s.params);
}

// One row per organisation whistled in the period on a case in the subtree.
Result<store::Rows> whistle_counts(store::Db& db, const KpiQuery& q, std::int64_t as_of) {
  store::Sql s;
  std::string from = s.bind(q.from_ms), to = s.bind(q.to_ms), now = s.bind(as_of);
  std::string live = kLive, fin = kFinished, resolved = kResolvedAt;
  std::string due = live + " AND c.resolve_due IS NOT NULL";
  std::string cols[] = {
      "w.org_id",
      "o.name AS org_name",
      "COUNT(*) AS whistles",
      sum_if("w.reported_at IS NULL AND w.report_due > " + now, "report_pending"),
      sum_if("w.reported_at IS NOT NULL AND w.reported_at <= w.report_due", "reported_in_time"),
      sum_if("w.acted_at IS NULL AND w.act_due > " + now, "act_pending"),
      sum_if("w.acted_at IS NOT NULL AND w.acted_at <= w.act_due", "acted_in_time"),
      sum_if(due, "due"),
      sum_if(due + " AND c.state = 'suspended'", "due_suspended"),
      sum_if(
          due + " AND c.state NOT IN ('follow_up','closed','suspended') AND c.resolve_due > " + now,
          "due_pending"),
      sum_if(due + " AND " + fin + " AND " + resolved + " <= c.resolve_due", "due_closed_on_time"),
      sum_if("c.rating IS NOT NULL", "rated"),
      sum_if("c.rating = 'satisfied'", "satisfied"),
      sum_if("c.rating = 'basic'", "basic"),
  };
  s << "SELECT ";
  for (std::size_t i = 0; i < std::size(cols); ++i) s << (i ? ", " : "") << cols[i];
  // Only a building or smaller, or a part-day period, asks (the roll-ups
  // answer the rest; a grid was measured here before 0023): on SQLite its
  // cases drive (CROSS JOIN keeps them the outer loop), not every whistle of
  // every department in the city read through case_whistles_org and checked
  // against its case (0.75 s of a grid's KPIs on 10M cases; now 16 ms).
  s << " FROM cases c " << (db.kind() == store::Kind::sqlite ? "CROSS JOIN" : "JOIN")
    << " case_whistles w ON w.case_id = c.id JOIN orgs o ON o.id = w.org_id"
    << " WHERE w.whistled_at >= " << from << " AND w.whistled_at < " << to;
  auth::and_in_subtree(s, q.root_path, "c.node_path");
  s << " GROUP BY w.org_id, o.name ORDER BY w.org_id";
  return db.query(s.text, s.params);
}

// ---------------------------------------------------------------------------
// Roll-ups (migrations 0010, 0014, 0023; scripts/kpi-rollup-sql.py): per
// (node, Shanghai day) counters for the first four nodes of every path
// (district, street, community, grid), kept by triggers.
// They answer every count that does not depend on "now"; the pending counts
// (deadlines after as_of) are read live through small partial indexes.

#include "cases/kpi_rollup_sql.inc"

std::vector<std::string> split_names(const char* csv) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = csv;; ++p) {
    if (*p == ',' || *p == 0) {
      out.push_back(cur);
      cur.clear();
      if (*p == 0) break;
    } else {
      cur += *p;
    }
  }
  return out;
}

// The roll-up node for a root: its id when the path has at most four parts
// and the period is whole Shanghai days; 0 otherwise (the scan answers: a
// building, a unit, or a period that does not start and end at midnight).
std::int64_t rollup_node(const KpiQuery& q) {
  if ((q.from_ms + kShanghaiOffsetMs) % kDayMs != 0 || (q.to_ms + kShanghaiOffsetMs) % kDayMs != 0)
    return 0;
  int parts = 0;
  for (char ch : q.root_path) parts += ch == '/';
  if (parts - 1 > 4) return 0;
  auto last = q.root_path.find_last_of('/', q.root_path.size() - 2);
  std::int64_t id = 0;
  auto begin = q.root_path.data() + last + 1, end = q.root_path.data() + q.root_path.size() - 1;
  auto [ptr, ec] = std::from_chars(begin, end, id);
  if (ec != std::errc() || ptr != end) return 0;
  return id;
}

std::int64_t day_of(std::int64_t ms) { return (ms + kShanghaiOffsetMs) / kDayMs; }

// The predicate of the partial indexes cases_open_due and cases_open_whistled,
// written as they are (SQLite migration 0026: an OR chain, which SQLite tests
// without building a temporary B-tree), so SQLite's planner can match it.
constexpr const char* kOpenStates =
    "(c.state = 'submitted' OR c.state = 'accepted' OR c.state = 'assigned' OR c.state = "
    "'in_progress' OR c.state = 'resolved')";

store::Read rollup_sums_read(const KpiQuery& q, std::int64_t node) {
  auto names = split_names(kRollupCounters);
  store::Sql s;
  s << "SELECT ";
  for (std::size_t i = 0; i < names.size(); ++i)
    s << (i ? ", " : "") << "CAST(COALESCE(SUM(" << names[i] << "), 0) AS BIGINT) AS " << names[i];
  s << " FROM case_kpi_days WHERE node_id = " << s.bind(node)
    << " AND day >= " << s.bind(day_of(q.from_ms)) << " AND day < " << s.bind(day_of(q.to_ms));
  return {std::move(s.text), std::move(s.params)};
}

// Live: contacts and resolutions still allowed after as_of.
store::Read rollup_pending_read(store::Kind kind, const KpiQuery& q, std::int64_t as_of) {
  // On SQLite the unary + keeps the planner on the deadline indexes, not the
  // subtree's.
  const char* hidden = kind == store::Kind::sqlite ? "+c.node_path" : "c.node_path";
  store::Sql p;
  std::string from = p.bind(q.from_ms), to = p.bind(q.to_ms), now = p.bind(as_of);
  p << "SELECT (SELECT COUNT(*) FROM cases c WHERE c.contacted_at IS NULL AND c.contact_due > "
    << now << " AND c.dispatched_at >= " << from << " AND c.dispatched_at < " << to << " AND "
    << kLive;
  auth::and_in_subtree(p, q.root_path, hidden);
  // Open cases due after as_of: a few thousand in a city, found through the
  // partial index of open deadlines (migration 0013). SQLite, without
  // statistics for it, would rather walk every open case through cases_queue.
  p << ") AS contact_pending, (SELECT COUNT(*) FROM cases c"
    << (kind == store::Kind::sqlite ? " INDEXED BY cases_open_due" : "") << " WHERE " << kOpenStates
    << " AND c.resolve_due > " << now << " AND c.resolve_due >= " << from << " AND c.resolve_due < "
    << to;
  auth::and_in_subtree(p, q.root_path, hidden);
  p << ") AS due_pending";
  return {std::move(p.text), std::move(p.params)};
}

store::Row rollup_case_row(const store::Rows& sums, const store::Rows& pending) {
  auto names = split_names(kRollupCounters);
  std::vector<std::string> all(names.begin(), names.end());
  std::vector<store::Value> values;
  for (const auto& n : names) values.emplace_back(sums.front().i64(n));
  all.push_back("contact_pending");
  values.emplace_back(pending.front().i64("contact_pending"));
  all.push_back("due_pending");
  values.emplace_back(pending.front().i64("due_pending"));
  return store::Row(std::make_shared<const store::Columns>(std::move(all)), std::move(values));
}

store::Read rollup_whistle_sums_read(const KpiQuery& q, std::int64_t node) {
  auto names = split_names(kRollupWhistleCounters);
  store::Sql s;
  s << "SELECT w.org_id, o.name AS org_name";
  for (const auto& n : names) s << ", CAST(COALESCE(SUM(w." << n << "), 0) AS BIGINT) AS " << n;
  s << " FROM case_kpi_whistle_days w JOIN orgs o ON o.id = w.org_id WHERE w.node_id = "
    << s.bind(node) << " AND w.day >= " << s.bind(day_of(q.from_ms)) << " AND w.day < "
    << s.bind(day_of(q.to_ms))
    << " GROUP BY w.org_id, o.name HAVING SUM(w.whistles) > 0 ORDER BY w.org_id";
  return {std::move(s.text), std::move(s.params)};
}

// Live: reports, actions and resolutions still allowed after as_of, per org.
store::Read rollup_whistle_pending_read(store::Kind kind, const KpiQuery& q, std::int64_t as_of) {
  store::Sql p;
  std::string from = p.bind(q.from_ms), to = p.bind(q.to_ms), now = p.bind(as_of);
  std::string period = " AND w.whistled_at >= " + from + " AND w.whistled_at < " + to;
  p << "SELECT w.org_id, 'report' AS k, COUNT(*) AS n FROM case_whistles w JOIN cases c ON c.id = "
       "w.case_id WHERE w.reported_at IS NULL AND w.report_due > "
    << now << period;
  auth::and_in_subtree(p, q.root_path, "c.node_path");
  p << " GROUP BY w.org_id UNION ALL SELECT w.org_id, 'act', COUNT(*) FROM case_whistles w JOIN "
       "cases c ON c.id = w.case_id WHERE w.acted_at IS NULL AND w.act_due > "
    << now << period;
  auth::and_in_subtree(p, q.root_path, "c.node_path");
  // Driven from the open cases with whistles due after now (cases_open_whistled,
  // migration 0015), not from every whistle (a join let SQLite scan
  // case_whistles by org: 0.26 s on 43k whistles) nor from every open case due
  // after now (10M cases: 67,792 probes, 56 ms).
  p << " GROUP BY w.org_id UNION ALL SELECT w.org_id, 'due', COUNT(*) FROM case_whistles w WHERE "
       "w.case_id IN (SELECT c.id FROM cases c"
    << (kind == store::Kind::sqlite ? " INDEXED BY cases_open_whistled" : "") << " WHERE "
    << kOpenStates << " AND c.whistle_count > 0 AND c.resolve_due > " << now;
  auth::and_in_subtree(p, q.root_path,
                       kind == store::Kind::sqlite ? "+c.node_path" : "c.node_path");
  p << ")" << period;
  p << " GROUP BY w.org_id";
  return {std::move(p.text), std::move(p.params)};
}

store::Rows rollup_whistle_rows(const store::Rows& sums, const store::Rows& pending) {
  auto names = split_names(kRollupWhistleCounters);
  std::vector<std::string> cols{"org_id", "org_name"};
  for (const auto& n : names) cols.push_back(n);
  for (const char* n : {"report_pending", "act_pending", "due_pending"}) cols.push_back(n);
  auto all = std::make_shared<const store::Columns>(std::move(cols));
  store::Rows out;
  for (const auto& r : sums) {
    std::vector<store::Value> values{r.i64("org_id"), r.str("org_name")};
    for (const auto& n : names) values.emplace_back(r.i64(n));
    std::int64_t report = 0, act = 0, due = 0;
    for (const auto& x : pending) {
      if (x.i64("org_id") != r.i64("org_id")) continue;
      std::string k = x.str("k");
      (k == "report" ? report : k == "act" ? act : due) += x.i64("n");
    }
    values.emplace_back(report);
    values.emplace_back(act);
    values.emplace_back(due);
    out.emplace_back(all, std::move(values));
  }
  return out;
}

json satisfaction(std::int64_t satisfied, std::int64_t basic, std::int64_t rated, double k) {
  if (rated <= 0) return nullptr;
  return round_to((static_cast<double>(satisfied) + k * static_cast<double>(basic)) /
                      static_cast<double>(rated),
                  10000.0);
}

// What the KPIs are computed from: the satisfaction weight, the case
// counters and one row of counters per department whistled.
struct Counts {
  double k;
  store::Row cases;
  store::Rows whistles;
};

Result<Counts> read_counts(store::Db& db, const KpiQuery& q, std::int64_t as_of) {
  if (std::int64_t node = rollup_node(q)) {
    // The roll-ups' five reads in one batch: one round trip on PostgreSQL.
    auto read = db.query_all(
        {satisfaction_read(), rollup_sums_read(q, node), rollup_pending_read(db.kind(), q, as_of),
         rollup_whistle_sums_read(q, node), rollup_whistle_pending_read(db.kind(), q, as_of)});
    if (!read) return fail(read.error());
    return Counts{satisfaction_k_from(q, (*read)[0]), rollup_case_row((*read)[1], (*read)[2]),
                  rollup_whistle_rows((*read)[3], (*read)[4])};
  }
  auto k = satisfaction_k(db, q);
  if (!k) return fail(k.error());
  auto cases = case_counts(db, q, as_of);
  if (!cases) return fail(cases.error());
  auto whistles = whistle_counts(db, q, as_of);
  if (!whistles) return fail(whistles.error());
  return Counts{*k, std::move(*cases), std::move(*whistles)};
}

}  // namespace

Result<KpiQuery> kpi_query(std::string root_path, std::string_view from_ymd,
                           std::string_view to_ymd) {
  std::string to_day = to_ymd.empty() ? today_shanghai() : std::string(to_ymd);
  auto to = clock::shanghai_day_start(to_day);
  if (!to) {
    return fail(Error::invalid("结束日期格式应为 YYYY-MM-DD", {{"to", "日期格式不正确"}}));
  }
  std::string from_day = from_ymd.empty() ? to_day.substr(0, 8) + "01" : std::string(from_ymd);
  auto from = clock::shanghai_day_start(from_day);
  if (!from) {
    return fail(Error::invalid("开始日期格式应为 YYYY-MM-DD", {{"from", "日期格式不正确"}}));
  }
  if (*to < *from) {
    return fail(Error::invalid("结束日期不能早于开始日期", {{"to", "不能早于开始日期"}}));
  }
  KpiQuery q;
  q.root_path = std::move(root_path);
  q.from_ms = *from;
  q.to_ms = *to + kDayMs;  // Shanghai has no DST: every day is 24 hours
  return q;
}

Result<json> compute_kpis(store::Db& db, const KpiQuery& q) {
  if (q.root_path.size() < 2 || q.root_path.front() != '/' || q.root_path.back() != '/') {
    return fail(Error::invalid("节点路径不正确"));
  }
  if (q.to_ms <= q.from_ms) return fail(Error::invalid("统计区间为空"));
  std::int64_t as_of = q.as_of_ms ? q.as_of_ms : clock::now_ms();
  auto read = read_counts(db, q, as_of);
  if (!read) return fail(read.error());
  const double k = read->k;
  const store::Row& r = read->cases;
  auto n = [&](const char* name) { return r.i64(name); };

  json counts = json::object();
  for (const auto& name : r.names()) counts[name] = r.i64(name);

  std::int64_t whistles = 0, report_pending = 0, reported = 0, act_pending = 0, acted = 0;
  json departments = json::array();
  for (const auto& w : read->whistles) {
    whistles += w.i64("whistles");
    report_pending += w.i64("report_pending");
    reported += w.i64("reported_in_time");
    act_pending += w.i64("act_pending");
    acted += w.i64("acted_in_time");
    json dc = json::object();
    for (const auto& name : w.names()) {
      if (name != "org_id" && name != "org_name") dc[name] = w.i64(name);
    }
    std::int64_t close_base = w.i64("due") - w.i64("due_suspended") - w.i64("due_pending");
    departments.push_back({
        {"org_id", w.i64("org_id")},
        {"name", w.str("org_name")},
        {"whistles", w.i64("whistles")},
        {"reported_in_time", w.i64("reported_in_time")},
        {"report_rate",
         rate(w.i64("reported_in_time"), w.i64("whistles") - w.i64("report_pending"))},
        {"acted_in_time", w.i64("acted_in_time")},
        {"act_rate", rate(w.i64("acted_in_time"), w.i64("whistles") - w.i64("act_pending"))},
        {"on_time_close_rate", rate(w.i64("due_closed_on_time"), close_base)},
        {"satisfaction_rate", satisfaction(w.i64("satisfied"), w.i64("basic"), w.i64("rated"), k)},
        {"counts", std::move(dc)},
    });
  }
  counts["whistles"] = whistles;
  counts["report_pending"] = report_pending;
  counts["reported_in_time"] = reported;
  counts["act_pending"] = act_pending;
  counts["acted_in_time"] = acted;

  std::int64_t close_base = n("due") - n("due_suspended") - n("due_pending");
  json out = {
      {"period",
       {{"from", clock::iso(q.from_ms)},
        {"to", clock::iso(q.to_ms)},
        {"as_of", clock::iso(as_of)}}},
      {"satisfaction_k", k},
      {"received", n("received")},
      {"accepted", n("accepted")},
      {"closed", n("closed")},
      {"response_rate", rate(n("contacted_in_time"), n("dispatched") - n("contact_pending"))},
      {"close_rate", rate(n("due_closed"), close_base)},
      {"on_time_close_rate", rate(n("due_closed_on_time"), close_base)},
      {"resolution_rate", rate(n("solved"), n("rated_solved"))},
      {"satisfaction_rate", satisfaction(n("satisfied"), n("basic"), n("rated"), k)},
      {"rework_rate", rate(n("closed_reworked"), n("closed"))},
      {"escalation_rate", rate(n("escalated"), n("accepted"))},
      {"in_compound_rate", rate(n("closed_in_compound"), n("accepted_in_compound"))},
      {"in_community_rate", rate(n("closed_in_community"), n("accepted"))},
      {"whistle_report_rate", rate(reported, whistles - report_pending)},
      {"whistle_act_rate", rate(acted, whistles - act_pending)},
      {"avg_close_hours", avg_hours(n("close_ms_total"), n("closed"))},
      {"avg_resolve_hours", avg_hours(n("resolve_ms_total"), n("closed"))},
      {"counts", std::move(counts)},
      {"departments", std::move(departments)},
  };
  return out;
}

Status rebuild_kpi_rollups(store::Db& db) {
  bool lite = db.kind() == store::Kind::sqlite;
  return db.write([&](store::Tx& tx) -> Status {
    for (const char* sql : {"DELETE FROM case_kpi_days", "DELETE FROM case_kpi_whistle_days",
                            lite ? kSqliteRecountDays : kPostgresRecountDays,
                            lite ? kSqliteRecountWhistles : kPostgresRecountWhistles}) {
      auto r = tx.exec(sql);
      if (!r) return fail(r.error());
    }
    return {};
  });
}

namespace {

// One statement per table: the keys with more than one row, their rows
// deleted and re-inserted as one summed row. Rows appended by writers after
// the statement's snapshot are not deleted, so no delta is lost or counted
// twice.
std::string compaction_sql(const char* table, const std::string& key, const char* counters) {
  std::string sums;
  for (const auto& c : split_names(counters)) sums += ", SUM(" + c + ")";
  std::string key_match;
  for (const auto& k : split_names(key.c_str()))
    key_match += (key_match.empty() ? "" : " AND ") + ("d." + k + " = k." + k);
  return fmt::format(
      "WITH k AS (SELECT {key} FROM {t} GROUP BY {key} HAVING COUNT(*) > 1 LIMIT $1), "
      "gone AS (DELETE FROM {t} d USING k WHERE {match} RETURNING d.*), "
      "kept AS (INSERT INTO {t} ({key}, {counters}) SELECT {key}{sums} FROM gone GROUP BY {key} "
      "RETURNING 1) SELECT COUNT(*) AS n FROM kept",
      fmt::arg("key", key), fmt::arg("t", table), fmt::arg("match", key_match),
      fmt::arg("counters", counters), fmt::arg("sums", sums));
}

}  // namespace

Result<std::int64_t> compact_kpi_rollups(store::Db& db, std::int64_t max_keys) {
  if (db.kind() == store::Kind::sqlite) return std::int64_t{0};
  static const std::string days = compaction_sql("case_kpi_days", "node_id,day", kRollupCounters);
  static const std::string whistles =
      compaction_sql("case_kpi_whistle_days", "node_id,day,org_id", kRollupWhistleCounters);
  std::int64_t keys = 0;
  auto done = db.write([&](store::Tx& tx) -> Status {
    // READ COMMITTED (no serialization failures against the writers
    // appending deltas) and one compaction at a time across nodes.
    if (auto s = tx.serialize_on("kpi-rollup-compaction"); !s) return s;
    for (const auto* sql : {&days, &whistles}) {
      auto r = tx.one(*sql, {store::Value(max_keys)});
      if (!r) return fail(r.error());
      keys += r->i64("n");
    }
    return {};
  });
  if (!done) return fail(done.error());
  return keys;
}

}  // namespace linli::cases
