// The KPI roll-ups (migration 0010) equal a full recount after random
// sequences of writes — direct SQL on every column the KPIs read, and the
// real service paths over HTTP (intake, the loop, 吹哨, the sweep) — on both
// stores.
#include <gtest/gtest.h>

#include <random>

#include "api_env.hpp"
#include "cases/kpis.hpp"
#include "core/clock.hpp"
#include "store/migrations.hpp"
#include "support.hpp"

using linli::store::Params;
using linli::store::Value;

namespace {

// Both roll-up tables, summed per key (PostgreSQL keeps deltas), rows whose
// counters are all zero left out.
std::string snapshot(linli::store::Db& db) {
  std::string out;
  for (auto [table, key] : {std::pair<const char*, const char*>{"case_kpi_days", "node_id, day"},
                            {"case_kpi_whistle_days", "node_id, day, org_id"}}) {
    // Column names come from a one-row probe (an empty result has none on SQLite).
    auto probe = db.query(std::string("SELECT * FROM ") + table + " LIMIT 1");
    if (!probe) throw std::runtime_error(probe.error().detail);
    if (probe->empty()) {
      out += table;
      out += ": empty\n";
      continue;
    }
    std::string sums, nonzero;
    for (const auto& n : probe->front().names()) {
      if (std::string_view(key).find(n) != std::string_view::npos) continue;
      sums += ", CAST(SUM(" + n + ") AS BIGINT) AS " + n;
      nonzero += (nonzero.empty() ? "" : " OR ") + std::string("SUM(") + n + ") <> 0";
    }
    auto rows = db.query(std::string("SELECT ") + key + sums + " FROM " + table + " GROUP BY " +
                         key + " HAVING " + nonzero + " ORDER BY " + key);
    if (!rows) throw std::runtime_error(rows.error().detail);
    out += table;
    out += ":\n";
    for (const auto& r : *rows) {
      for (std::size_t i = 0; i < r.size(); ++i) out += std::to_string(r.i64(r.names()[i])) + " ";
      out += "\n";
    }
  }
  return out;
}

void expect_recount_equal(linli::store::Db& db, const std::string& when) {
  std::string kept = snapshot(db);
  auto r = linli::cases::rebuild_kpi_rollups(db);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(kept, snapshot(db)) << when;
  // Each case's whistle count (migration 0015) equals its whistles.
  auto off = db.one(
      "SELECT COUNT(*) AS n FROM cases c WHERE c.whistle_count <> (SELECT COUNT(*) FROM "
      "case_whistles w WHERE w.case_id = c.id)");
  ASSERT_TRUE(off) << off.error().detail;
  EXPECT_EQ(off->i64("n"), 0) << when;
}

// Folding PostgreSQL's delta rows changes no total; afterwards each key has
// one row. A few keys at a time first, as the minute job does with more.
void expect_compaction_keeps_totals(linli::store::Db& db) {
  std::string before = snapshot(db);
  auto some = linli::cases::compact_kpi_rollups(db, 3);
  ASSERT_TRUE(some) << some.error().detail;
  EXPECT_EQ(before, snapshot(db)) << "after compacting 3 keys";
  auto rest = linli::cases::compact_kpi_rollups(db, 1000000);
  ASSERT_TRUE(rest) << rest.error().detail;
  EXPECT_EQ(before, snapshot(db)) << "after compacting every key";
  if (db.kind() == linli::store::Kind::sqlite) {
    EXPECT_EQ(*some + *rest, 0) << "SQLite keeps one row per key already";
    return;
  }
  EXPECT_GT(*some + *rest, 0) << "the round's writes appended deltas to fold";
  auto dup = db.one(
      "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM case_kpi_days GROUP BY node_id, day "
      "HAVING COUNT(*) > 1) a) + (SELECT COUNT(*) FROM (SELECT 1 FROM case_kpi_whistle_days "
      "GROUP BY node_id, day, org_id HAVING COUNT(*) > 1) b) AS n");
  ASSERT_TRUE(dup) << dup.error().detail;
  EXPECT_EQ(dup->i64("n"), 0);
}

class KpiRollupTest : public StoreTest {};

TEST_P(KpiRollupTest, RandomWritesKeepRollupsEqualToRecount) {
  std::mt19937_64 rng(20261126);
  auto rnd = [&](long lo, long hi) { return lo + long(rng() % std::uint64_t(hi - lo + 1)); };
  std::vector<std::pair<std::int64_t, std::string>> nodes;  // id, path
  std::vector<std::int64_t> orgs, cases;
  std::int64_t category = 0;
  constexpr std::int64_t kDay = 86400000, t0 = 1790000000000;  // 2026-09
  auto w = db().write([&](linli::store::Tx& tx) -> linli::Status {
    // district → 2 streets → 2 communities each → a grid → a building → a unit.
    struct N {
      int parent;
      const char* kind;
    };
    std::vector<N> tree = {{-1, "district"}, {0, "street"},    {0, "street"}, {1, "community"},
                           {1, "community"}, {2, "community"}, {3, "grid"},   {4, "grid"},
                           {5, "grid"},      {6, "building"},  {9, "unit"},   {7, "building"}};
    for (const auto& n : tree) {
      Value parent = n.parent < 0 ? Value{} : Value{nodes[std::size_t(n.parent)].first};
      auto id = tx.one(
          "INSERT INTO nodes (parent_id, kind, name, created_at, updated_at) VALUES ($1, $2, 'n', "
          "0, 0) RETURNING id",
          {parent, std::string(n.kind)});
      if (!id) return linli::fail(id.error());
      std::string path = (n.parent < 0 ? std::string("/") : nodes[std::size_t(n.parent)].second) +
                         std::to_string(id->i64("id")) + "/";
      if (auto u = tx.exec("UPDATE nodes SET path = $1 WHERE id = $2", {path, id->i64("id")}); !u)
        return linli::fail(u.error());
      nodes.push_back({id->i64("id"), path});
    }
    for (const char* name : {"R1", "R2", "R3"}) {
      auto id = tx.one(
          "INSERT INTO orgs (kind, name, created_at) VALUES ('department', $1, 0) RETURNING id",
          {std::string(name)});
      if (!id) return linli::fail(id.error());
      orgs.push_back(id->i64("id"));
    }
    auto c = tx.one("SELECT min(id) AS id FROM case_categories");
    if (!c) return linli::fail(c.error());
    category = c->i64("id");
    return {};
  });
  ASSERT_TRUE(w) << w.error().detail;

  const char* states[] = {"submitted", "accepted",  "rejected", "assigned",  "in_progress",
                          "resolved",  "follow_up", "closed",   "suspended", "merged"};
  const char* levels[] = {"building", "grid", "community", "street", "department"};
  const char* ratings[] = {"satisfied", "basic", "unsatisfied"};
  auto maybe_time = [&](std::int64_t base) -> Value {
    if (rnd(0, 4) == 0) return Value{};
    return base + rnd(-2, 40) * kDay / 4 + rnd(0, kDay);
  };
  int n = 0;
  for (int round = 0; round < 6; ++round) {
    for (int op = 0; op < 60; ++op, ++n) {
      long what = cases.empty() ? 0 : rnd(0, 9);
      auto status = db().write([&](linli::store::Tx& tx) -> linli::Status {
        if (what <= 2) {  // a new case
          const auto& node = nodes[std::size_t(rnd(0, std::ssize(nodes) - 1))];
          std::int64_t created = t0 + rnd(0, 60) * kDay + rnd(0, kDay);
          auto r = tx.one(
              "INSERT INTO cases (code, title, description, category_id, case_type, urgency, "
              "channel, state, level, node_id, node_path, accepted_at, dispatched_at, "
              "contact_due, contacted_at, resolve_due, resolved_at, closed_at, closed_level, "
              "rework_count, escalation_count, suspended_ms, rating, rating_solved, created_at, "
              "updated_at) VALUES ($1, 't', 'd', $2, 'practical', 'normal', 'patrol', $3, $4, $5, "
              "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20) "
              "RETURNING id",
              {"R-" + std::to_string(n),
               category,
               std::string(states[rnd(0, 9)]),
               std::string(levels[rnd(0, 4)]),
               node.first,
               node.second,
               maybe_time(created),
               maybe_time(created),
               maybe_time(created),
               maybe_time(created),
               maybe_time(created),
               maybe_time(created),
               maybe_time(created),
               rnd(0, 1) ? Value{std::string(levels[rnd(0, 3)])} : Value{},
               std::int64_t{rnd(0, 2)},
               std::int64_t{rnd(0, 1)},
               std::int64_t{rnd(0, 3) * kDay},
               rnd(0, 2) ? Value{std::string(ratings[rnd(0, 2)])} : Value{},
               rnd(0, 1) ? Value{std::int64_t{rnd(0, 1)}} : Value{},
               created});
          if (!r) return linli::fail(r.error());
          cases.push_back(r->i64("id"));
          return {};
        }
        std::int64_t id = cases[std::size_t(rnd(0, std::ssize(cases) - 1))];
        if (what <= 6) {  // change some columns the KPIs read
          static const char* cols[] = {
              "state",         "level",        "closed_level",  "accepted_at",
              "dispatched_at", "contacted_at", "contact_due",   "resolve_due",
              "resolved_at",   "closed_at",    "rework_count",  "escalation_count",
              "suspended_ms",  "rating",       "rating_solved", "updated_at"};
          std::string col = cols[rnd(0, 15)];
          Value v;
          if (col == "state")
            v = std::string(states[rnd(0, 9)]);
          else if (col == "level")
            v = std::string(levels[rnd(0, 4)]);
          else if (col == "closed_level")
            v = rnd(0, 1) ? Value{std::string(levels[rnd(0, 3)])} : Value{};
          else if (col == "rating")
            v = rnd(0, 2) ? Value{std::string(ratings[rnd(0, 2)])} : Value{};
          else if (col == "rating_solved")
            v = rnd(0, 1) ? Value{std::int64_t{rnd(0, 1)}} : Value{};
          else if (col.ends_with("_count"))
            v = std::int64_t{rnd(0, 2)};
          else if (col == "suspended_ms")
            v = std::int64_t{rnd(0, 3) * kDay};
          else if (col == "updated_at")  // not read by the roll-ups: no change
            v = t0 + rnd(0, 60) * kDay;
          else
            v = maybe_time(t0 + rnd(0, 60) * kDay);
          auto r = tx.exec("UPDATE cases SET " + col + " = $1 WHERE id = $2", {v, id});
          if (!r) return linli::fail(r.error());
          return {};
        }
        std::int64_t org = orgs[std::size_t(rnd(0, std::ssize(orgs) - 1))];
        if (what <= 8) {  // whistle, or change a whistle
          std::int64_t at = t0 + rnd(0, 60) * kDay + rnd(0, kDay);
          auto r = tx.exec(
              "INSERT INTO case_whistles (case_id, org_id, state, whistled_at, report_due, "
              "act_due, reported_at, acted_at) VALUES ($1, $2, 'whistled', $3, $4, $5, $6, $7) "
              "ON CONFLICT (case_id, org_id) DO UPDATE SET reported_at = excluded.reported_at, "
              "acted_at = excluded.acted_at, whistled_at = excluded.whistled_at",
              {id, org, at, at + kDay, at + 5 * kDay, maybe_time(at), maybe_time(at)});
          if (!r) return linli::fail(r.error());
          return {};
        }
        // Remove a whistle, or a whole case with its whistles.
        if (rnd(0, 1)) {
          auto r =
              tx.exec("DELETE FROM case_whistles WHERE case_id = $1 AND org_id = $2", {id, org});
          if (!r) return linli::fail(r.error());
          return {};
        }
        auto r = tx.exec("DELETE FROM case_whistles WHERE case_id = $1", {id});
        if (!r) return linli::fail(r.error());
        r = tx.exec("DELETE FROM cases WHERE id = $1", {id});
        if (!r) return linli::fail(r.error());
        std::erase(cases, id);
        return {};
      });
      ASSERT_TRUE(status) << status.error().detail;
    }
    expect_compaction_keeps_totals(db());
    expect_recount_equal(db(), "after round " + std::to_string(round));
    if (HasFailure()) return;
  }
}

LINLI_STORE_TESTS(KpiRollupTest);

// The service paths: intake, the whole loop with a whistle, the sweep.
class KpiRollupApiTest : public StoreParamTest {};

TEST_P(KpiRollupApiTest, ServiceWritesKeepRollupsEqualToRecount) {
  auto& env = linli::test::ApiEnv::get(GetParam());
  auto& http = *env.client;
  auto staff = env.token("community_staff");
  auto branch = env.token("branch_secretary");
  auto cat = env.db->one("SELECT id FROM case_categories WHERE code = 'env.hallway'")->i64("id");
  auto household = env.db
                       ->one("SELECT min(id) AS id FROM households WHERE node_path >= $1",
                             {env.path_of(env.accounts["grid_worker"].node)})
                       ->i64("id");
  for (int i = 0; i < 3; ++i) {
    nlohmann::json body = {{"title", "楼道堆放杂物"},
                           {"description", "三楼楼道堆满纸箱，影响通行"},
                           {"category_id", cat},
                           {"household_id", household},
                           {"channel", "hotline"}};
    auto c = http.post("/api/v1/cases", body, staff);
    ASSERT_EQ(c.status, 201) << c.body;
    auto id = std::to_string(c.json()["id"].get<std::int64_t>());
    auto act = [&](const std::string& action, const std::string& token, nlohmann::json b) {
      return http.post("/api/v1/cases/" + id + "/actions/" + action, b, token).status;
    };
    ASSERT_EQ(act("accept", staff, nlohmann::json::object()), 200);
    if (i == 0) continue;
    if (i == 1) {  // 吹哨: a department is called in
      auto dept = env.accounts["department_staff"].org;
      auto wr = http.post("/api/v1/cases/" + id + "/whistle",
                          {{"org_ids", {dept}}, {"lead_org_id", dept}, {"note", "请协助"}}, staff);
      EXPECT_EQ(wr.status, 200) << wr.body;
    }
    ASSERT_EQ(act("start", branch, nlohmann::json::object()), 200);
    ASSERT_EQ(act("resolve", branch, {{"note", "已清理"}}), 200);
    ASSERT_EQ(
        act("verify", staff, {{"passed", i == 2}, {"reason", "未清理干净"}, {"note", "返工"}}),
        200);
  }
  expect_recount_equal(*env.db, "after the loop");
  // The sweep a month on: near-due and overdue flags, auto-escalation, auto-close.
  auto swept = env.app->cases.sweep(linli::clock::now_ms() + 30LL * 86400000);
  ASSERT_TRUE(swept) << swept.error().detail;
  expect_recount_equal(*env.db, "after the sweep");
}

// A database from before migration 0023 has no rows for its grids: the
// migration counts the cases already there, and its triggers keep counting.
TEST_P(KpiRollupApiTest, MigrationRollsUpTheGridsOfCasesAlreadyThere) {
  auto& env = linli::test::ApiEnv::get(GetParam());
  auto& db = *env.db;
  const std::string grids =
      " WHERE node_id IN (SELECT id FROM nodes WHERE kind = 'grid' AND "
      "length(path) - length(replace(path, '/', '')) = 5)";
  auto grid_rows = [&] {
    auto n = db.one("SELECT (SELECT COUNT(*) FROM case_kpi_days" + grids +
                    ") + (SELECT COUNT(*) FROM case_kpi_whistle_days" + grids + ") AS n");
    if (!n) throw std::runtime_error(n.error().detail);
    return n->i64("n");
  };
  ASSERT_GT(grid_rows(), 0) << "the demo's grids are rolled up";
  std::string kept = snapshot(db);
  auto undo = db.write([&](linli::store::Tx& tx) -> linli::Status {
    for (std::string sql :
         {"DELETE FROM case_kpi_days" + grids, "DELETE FROM case_kpi_whistle_days" + grids,
          std::string("DELETE FROM schema_migrations WHERE version >= 23")})
      if (auto r = tx.exec(sql); !r) return linli::fail(r.error());
    return {};
  });
  ASSERT_TRUE(undo) << undo.error().detail;
  ASSERT_EQ(grid_rows(), 0);
  auto applied = linli::store::migrate(db);
  ASSERT_TRUE(applied) << applied.error().detail;
  EXPECT_GE(*applied, 1);  // 0023 and every later one
  EXPECT_EQ(snapshot(db), kept);
  expect_recount_equal(db, "after migration 0023 ran again");
}

LINLI_STORE_TESTS(KpiRollupApiTest);

}  // namespace
