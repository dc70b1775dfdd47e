// The store contract, run on SQLite and (with LINLI_TEST_PG_URL) on PostgreSQL.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/migrations.hpp"
#include "store/sql.hpp"
#include "support.hpp"

namespace {

using linli::Error;
using linli::ErrorKind;
using linli::Status;
using linli::store::Db;
using linli::store::Params;
using linli::store::Row;
using linli::store::Tx;

class StoreContract : public StoreTest {
 protected:
  void make_kv() {
    auto st = db().exec_script(
        is_sqlite() ? "CREATE TABLE kv (k TEXT PRIMARY KEY, i INTEGER, f REAL, s TEXT) STRICT"
                    : "CREATE TABLE kv (k TEXT PRIMARY KEY, i BIGINT, f DOUBLE PRECISION, s TEXT)");
    ASSERT_TRUE(st) << st.error().detail;
  }

  Status put(const std::string& k, std::int64_t i) {
    return db().write([&](Tx& tx) -> Status {
      auto r = tx.exec("INSERT INTO kv (k, i) VALUES ($1, $2)", {k, i});
      if (!r) return linli::fail(r.error());
      return {};
    });
  }

  // Calls each(n) for n = 0 … threads × per_thread - 1, from that many
  // threads at once (per_thread calls each, in order).
  static void from_threads(int threads, int per_thread,
                           const std::function<void(std::int64_t)>& each) {
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
      running.emplace_back([&, t] {
        for (int j = 0; j < per_thread; ++j) each(std::int64_t{t} * per_thread + j);
      });
    for (auto& th : running) th.join();
  }

  std::int64_t count(const std::string& where = "1 = 1", const Params& params = {}) {
    auto r = db().one("SELECT COUNT(*) AS n FROM kv WHERE " + where, params);
    EXPECT_TRUE(r) << r.error().detail;
    return r ? r->i64("n") : -1;
  }
};

linli::Result<std::int64_t> add_node(Tx& tx, const std::string& name) {
  // $2 is used twice on purpose.
  auto r = tx.one(
      "INSERT INTO nodes (kind, name, created_at, updated_at) VALUES ('district', $1, $2, $2)"
      " RETURNING id",
      {name, std::int64_t{1700000000000}});
  if (!r) return linli::fail(r.error());
  return r->i64("id");
}

std::size_t migrations_of(const std::string& kind) {
  std::size_t n = 0;
  for (const auto& m : linli::store::all_migrations()) n += kind == m.store;
  return n;
}

TEST_P(StoreContract, MigrationsApplyOnceAndAreIdempotent) {
  auto db = linli::store::open(fresh_store_url(GetParam()));
  ASSERT_TRUE(db) << db.error().detail;
  auto before = linli::store::migrations_current(**db);
  ASSERT_TRUE(before) << before.error().detail;
  EXPECT_FALSE(*before);

  auto first = linli::store::migrate(**db);
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(static_cast<std::size_t>(*first), migrations_of(GetParam()));
  EXPECT_GT(*first, 0);
  auto second = linli::store::migrate(**db);
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_EQ(*second, 0);
  auto now = linli::store::migrations_current(**db);
  ASSERT_TRUE(now) << now.error().detail;
  EXPECT_TRUE(*now);
  EXPECT_TRUE((*db)->one("SELECT COUNT(*) AS n FROM nodes"));
}

TEST_P(StoreContract, TwoNodesMigratingAtOnceApplyEachMigrationOnce) {
  std::string url = fresh_store_url(GetParam());
  auto a = linli::store::open(url), b = linli::store::open(url);
  ASSERT_TRUE(a && b);
  linli::Result<int> ra = 0, rb = 0;
  std::thread ta([&] { ra = linli::store::migrate(**a); });
  std::thread tb([&] { rb = linli::store::migrate(**b); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra) << ra.error().detail;
  ASSERT_TRUE(rb) << rb.error().detail;
  EXPECT_EQ(static_cast<std::size_t>(*ra + *rb), migrations_of(GetParam()));
}

TEST_P(StoreContract, PlaceholdersBindByName) {
  auto r = db().one("SELECT $2 AS two, $1 AS one, $1 AS again", {std::string("a"), 7});
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->i64("two"), 7);
  EXPECT_EQ(r->str("one"), "a");
  EXPECT_EQ(r->str("again"), "a");

  make_kv();
  auto st = db().write([](Tx& tx) -> Status {
    auto w = tx.exec("INSERT INTO kv (i, k, s) VALUES ($2, $1, $1)", {std::string("key"), 5});
    if (!w) return linli::fail(w.error());
    return {};
  });
  ASSERT_TRUE(st) << st.error().detail;
  auto row = db().one("SELECT i, s FROM kv WHERE k = $1 AND s = $1", {std::string("key")});
  ASSERT_TRUE(row) << row.error().detail;
  EXPECT_EQ(row->i64("i"), 5);
  EXPECT_EQ(row->str("s"), "key");
}

TEST_P(StoreContract, WrongParameterCountIsAnErrorNotNull) {
  auto extra = db().query("SELECT $1 AS a", {1, 2});
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().kind, ErrorKind::internal);
  auto missing = db().query("SELECT $1 AS a, $2 AS b", {1});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::internal);
  EXPECT_TRUE(db().query("SELECT $1 AS a", {1}));  // the connection is still usable
}

TEST_P(StoreContract, ReturningGivesNewIds) {
  std::int64_t a = 0, b = 0;
  auto st = db().write([&](Tx& tx) -> Status {
    auto x = add_node(tx, "东城区");
    if (!x) return linli::fail(x.error());
    auto y = add_node(tx, "西城区");
    if (!y) return linli::fail(y.error());
    a = *x;
    b = *y;
    return {};
  });
  ASSERT_TRUE(st) << st.error().detail;
  EXPECT_GT(a, 0);
  EXPECT_GT(b, a);
  auto row = db().one("SELECT name FROM nodes WHERE id = $1", {b});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->str("name"), "西城区");
}

TEST_P(StoreContract, UpsertUpdatesOnConflict) {
  make_kv();
  std::int64_t changes = 0;
  for (std::int64_t v : {1, 2}) {
    auto st = db().write([&](Tx& tx) -> Status {
      auto r = tx.exec(
          "INSERT INTO kv (k, i) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET i = excluded.i",
          {std::string("a"), v});
      if (!r) return linli::fail(r.error());
      changes = r->changes;
      return {};
    });
    ASSERT_TRUE(st) << st.error().detail;
  }
  EXPECT_EQ(changes, 1);
  auto row = db().one("SELECT i FROM kv WHERE k = 'a'");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->i64("i"), 2);
  EXPECT_EQ(count(), 1);
}

TEST_P(StoreContract, ConstraintViolationsMapToKinds) {
  make_kv();
  ASSERT_TRUE(put("dup", 1));
  auto dup = put("dup", 2);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, ErrorKind::conflict);
  EXPECT_EQ(dup.error().detail, "数据与已有记录重复");

  auto fk = db().write([](Tx& tx) -> Status {
    auto r = tx.exec(
        "INSERT INTO households (node_id, node_path, room, address, created_at, updated_at)"
        " VALUES (999999, '/x/', '101', 'nowhere', 1, 1)");
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_FALSE(fk);
  EXPECT_EQ(fk.error().kind, ErrorKind::conflict);

  auto check = db().write([](Tx& tx) -> Status {
    auto r = tx.exec(
        "INSERT INTO nodes (kind, name, created_at, updated_at)"
        " VALUES ('planet', 'x', 1, 1)");
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().kind, ErrorKind::invalid);

  auto not_null = db().write([](Tx& tx) -> Status {
    auto r = tx.exec(
        "INSERT INTO nodes (kind, name, created_at, updated_at)"
        " VALUES ('district', NULL, 1, 1)");
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_FALSE(not_null);
  EXPECT_EQ(not_null.error().kind, ErrorKind::invalid);
}

TEST_P(StoreContract, FailedWriteKeepsNothing) {
  make_kv();
  auto returned = db().write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO kv (k, i) VALUES ('gone', 1)"));
    return linli::fail(Error::invalid("不行"));
  });
  ASSERT_FALSE(returned);
  EXPECT_EQ(returned.error().kind, ErrorKind::invalid);
  EXPECT_EQ(returned.error().detail, "不行");

  auto thrown = db().write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO kv (k, i) VALUES ('thrown', 1)"));
    throw std::runtime_error("boom");
  });
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().kind, ErrorKind::internal);

  // A failed statement fails the write even if fn carries on (PG semantics).
  ASSERT_TRUE(put("dup", 1));
  auto ignored = db().write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO kv (k, i) VALUES ('ignored', 1)"));
    EXPECT_FALSE(tx.exec("INSERT INTO kv (k, i) VALUES ('dup', 2)"));
    EXPECT_FALSE(tx.exec("INSERT INTO kv (k, i) VALUES ('after', 3)"));
    return {};
  });
  ASSERT_FALSE(ignored);
  EXPECT_EQ(ignored.error().kind, ErrorKind::conflict);
  EXPECT_EQ(count(), 1);
}

// Tx::send: statements whose answers nobody reads. On PostgreSQL they wait
// and travel with the next statement that needs an answer, or with COMMIT.
TEST_P(StoreContract, SentStatementsRunInOrderAndFailTheWrite) {
  make_kv();
  // More than one pipeline's worth, then a read in the same transaction.
  auto sent = db().write([](Tx& tx) -> Status {
    for (int i = 0; i < 150; ++i)
      if (auto s = tx.send("INSERT INTO kv (k, i) VALUES ($1, $2)", {"k" + std::to_string(i), i});
          !s)
        return s;
    auto seen = tx.one("SELECT COUNT(*) AS n, MAX(i) AS top FROM kv");
    if (!seen) return linli::fail(seen.error());
    EXPECT_EQ(seen->i64("n"), 150);
    EXPECT_EQ(seen->i64("top"), 149);
    // A row sent after the read is still committed.
    return tx.send("UPDATE kv SET s = 'last' WHERE k = 'k0'");
  });
  ASSERT_TRUE(sent) << sent.error().detail;
  EXPECT_EQ(count(), 150);
  EXPECT_EQ(count("s = 'last'"), 1);

  // A sent statement that fails fails the write at COMMIT, and nothing is kept.
  auto at_commit = db().write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.send("INSERT INTO kv (k, i) VALUES ('fresh', 1)"));
    (void)tx.send("INSERT INTO kv (k, i) VALUES ('k7', 2)");  // taken
    return {};
  });
  ASSERT_FALSE(at_commit);
  EXPECT_EQ(at_commit.error().kind, ErrorKind::conflict);
  EXPECT_EQ(count("k = 'fresh'"), 0);
  EXPECT_EQ(count("k = 'k7' AND i = 7"), 1);

  // ... or at the next statement that needs an answer.
  auto at_read = db().write([](Tx& tx) -> Status {
    (void)tx.send("INSERT INTO kv (k, i) VALUES ('k8', 3)");
    auto r = tx.one("SELECT COUNT(*) AS n FROM kv");
    EXPECT_FALSE(r);
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_FALSE(at_read);
  EXPECT_EQ(at_read.error().kind, ErrorKind::conflict);

  // fn's own error undoes what it sent.
  auto refused = db().write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.send("INSERT INTO kv (k, i) VALUES ('refused', 1)"));
    return linli::fail(Error::invalid("不行"));
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().detail, "不行");
  EXPECT_EQ(count(), 150);

  // A write that sends nothing commits.
  EXPECT_TRUE(db().write([](Tx&) -> Status { return {}; }));
}

// PostgreSQL: a transaction's sent statements cost no round trip of their
// own. BEGIN goes with the first read, the rest with COMMIT: two trips.
TEST_P(StoreContract, SentStatementsShareRoundTrips) {
  if (is_sqlite()) GTEST_SKIP() << "PostgreSQL only: SQLite runs in this process";
  make_kv();
  auto write = [&](int n) {
    return db().write([n](Tx& tx) -> Status {
      auto r = tx.one("SELECT COUNT(*) AS n FROM kv");
      if (!r) return linli::fail(r.error());
      for (int i = 0; i < 10; ++i)
        if (auto s = tx.send("INSERT INTO kv (k, i) VALUES ($1, $2)",
                             {"w" + std::to_string(n) + "-" + std::to_string(i), i});
            !s)
          return s;
      return {};
    });
  };
  ASSERT_TRUE(write(0));  // prepares its two statements on this connection
  // Every pooled connection must have prepared them before trips are counted.
  for (int n = 1; n < 20; ++n) ASSERT_TRUE(write(n));
  auto before = db().stats().round_trips;
  ASSERT_TRUE(write(20));
  EXPECT_EQ(db().stats().round_trips - before, 2);
  EXPECT_EQ(count(), 21 * 10);
}

TEST_P(StoreContract, ReadsAskedTogetherAnswerInOrder) {
  make_kv();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(put("k" + std::to_string(i), i));
  auto read = db().query_all({{"SELECT k FROM kv WHERE i >= $1 ORDER BY k", {std::int64_t{3}}},
                              {"SELECT COUNT(*) AS n FROM kv", {}},
                              {"SELECT k FROM kv WHERE k = $1", {"none"}}});
  ASSERT_TRUE(read) << read.error().detail;
  ASSERT_EQ(read->size(), 3u);
  ASSERT_EQ((*read)[0].size(), 2u);
  EXPECT_EQ((*read)[0][0].str("k"), "k3");
  EXPECT_EQ((*read)[0][1].str("k"), "k4");
  EXPECT_EQ((*read)[1][0].i64("n"), 5);
  EXPECT_TRUE((*read)[2].empty());
  // One bad read fails the batch, and the pool's connection stays usable.
  auto bad = db().query_all({{"SELECT k FROM kv", {}}, {"SELECT nope FROM kv", {}}});
  EXPECT_FALSE(bad);
  EXPECT_EQ(count(), 5);
  // The failed batch left no snapshot open on its reader: a later write is
  // seen by every read that follows (SQLite batches share a read transaction).
  ASSERT_TRUE(put("k5", 5));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(count(), 6);
  if (is_sqlite()) return;
  // PostgreSQL: the batch is one round trip (its statements prepared once
  // on every pooled connection first).
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(db().query_all({{"SELECT COUNT(*) AS n FROM kv", {}}, {"SELECT 1 AS one", {}}}));
  auto before = db().stats().round_trips;
  ASSERT_TRUE(db().query_all({{"SELECT COUNT(*) AS n FROM kv", {}}, {"SELECT 1 AS one", {}}}));
  EXPECT_EQ(db().stats().round_trips - before, 1);
}

// Statements whose good plan depends on their values (a path's range, the
// newest ids' window) are planned with them every time on PostgreSQL, never
// kept as a prepared statement whose generic plan could read every case
// (docs/PERFORMANCE.md, session 13). They answer like any other, alone, in a
// batch and in a write.
TEST_P(StoreContract, StatementsPlannedWithTheirValuesAnswerLikeOthers) {
  make_kv();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(put("k" + std::to_string(i), i));
  const std::string marked =
      std::string(linli::store::kPlanWithValues) + "SELECT k FROM kv WHERE i >= $1 ORDER BY k";
  for (int run = 0; run < 8; ++run) {  // PostgreSQL may go generic from the sixth
    auto rows = db().query(marked, {std::int64_t{3}});
    ASSERT_TRUE(rows) << rows.error().detail;
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[1].str("k"), "k4");
  }
  std::vector<std::string> seen;
  ASSERT_TRUE(db().each(marked, {std::int64_t{1}}, [&](const linli::store::RowView& r) -> Status {
    seen.emplace_back(r.text(0));
    return {};
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"k1", "k2", "k3", "k4"}));
  auto batch = db().query_all({{marked, {std::int64_t{4}}}, {"SELECT COUNT(*) AS n FROM kv", {}}});
  ASSERT_TRUE(batch) << batch.error().detail;
  ASSERT_EQ((*batch)[0].size(), 1u);
  EXPECT_EQ((*batch)[0][0].str("k"), "k4");
  EXPECT_EQ((*batch)[1][0].i64("n"), 5);
  ASSERT_TRUE(db().write([&](Tx& tx) -> Status {
    auto r = tx.exec(marked, {std::int64_t{2}});
    if (!r) return linli::fail(r.error());
    EXPECT_EQ(r->rows.size(), 3u);
    return {};
  }));
  if (is_sqlite()) return;
  // One pooled connection: what it prepared is what it keeps.
  std::string sep = url().find('?') == std::string::npos ? "?" : "&";
  auto one = linli::store::open(url() + sep + "pool_size=1");
  ASSERT_TRUE(one) << one.error().detail;
  for (int run = 0; run < 8; ++run) {
    ASSERT_TRUE((*one)->query(marked, {std::int64_t{3}}));
    ASSERT_TRUE((*one)->query("SELECT k FROM kv WHERE i >= $1 ORDER BY k", {std::int64_t{3}}));
  }
  auto kept = (*one)->query("SELECT statement FROM pg_prepared_statements");
  ASSERT_TRUE(kept) << kept.error().detail;
  bool plain = false;
  for (const auto& r : *kept) {
    EXPECT_EQ(r.str("statement").find("planned with its values"), std::string::npos);
    plain = plain || r.str("statement") == "SELECT k FROM kv WHERE i >= $1 ORDER BY k";
  }
  EXPECT_TRUE(plain) << "the same statement without the comment is prepared";
}

TEST_P(StoreContract, ConcurrentWritesGroupCommitAndIsolateFailures) {
  make_kv();
  constexpr int kThreads = 32, kPerThread = 16;
  auto before = db().stats();
  std::atomic<int> unexpected{0}, unseen{0};
  from_threads(kThreads, kPerThread, [&](std::int64_t n) {
    bool doomed = n % 4 == 3;
    std::string key = "k" + std::to_string(n);
    auto st = db().write([&](Tx& tx) -> Status {
      auto r = tx.exec("INSERT INTO kv (k, i) VALUES ($1, $2)", {key, n});
      if (!r) return linli::fail(r.error());
      if (doomed) return linli::fail(Error::invalid("doomed"));
      return {};
    });
    if (st.has_value() == doomed) ++unexpected;
    // Once write() returns, every reader sees the row.
    if (!doomed && count("k = $1", {key}) != 1) ++unseen;
  });
  EXPECT_EQ(unexpected, 0);
  EXPECT_EQ(unseen, 0);
  EXPECT_EQ(count(), kThreads * kPerThread * 3 / 4);
  EXPECT_EQ(count("i % 4 = 3"), 0);
  auto after = db().stats();
  EXPECT_EQ(after.writes - before.writes, kThreads * kPerThread);
  if (is_sqlite()) {
    EXPECT_LT(after.write_batches - before.write_batches, after.writes - before.writes);
  }
  EXPECT_EQ(after.queue_depth, 0);
  EXPECT_EQ(after.pool_in_use, 0);
}

// Rows a write appends (Tx::append, the search index's path) land with the
// write that made them, in the order it made them, and only if it commits;
// SQLite holds a group commit's rows for its end.
TEST_P(StoreContract, AppendedRowsLandWithTheirWriteInOrder) {
  make_kv();
  ASSERT_TRUE(db().exec_script(is_sqlite() ? "CREATE TABLE log (id INTEGER PRIMARY KEY, n INTEGER "
                                             "NOT NULL, s TEXT NOT NULL) STRICT"
                                           : "CREATE TABLE log (id BIGSERIAL PRIMARY KEY, n BIGINT "
                                             "NOT NULL, s TEXT NOT NULL)"));
  constexpr int kThreads = 16, kPerThread = 16;
  std::atomic<int> unexpected{0}, unseen{0};
  from_threads(kThreads, kPerThread, [&](std::int64_t n) {
    bool doomed = n % 4 == 3;
    auto st = db().write([&](Tx& tx) -> Status {
      if (auto a = tx.append("INSERT INTO log (n, s)", {n, "first"}); !a) return a;
      auto r = tx.exec("INSERT INTO kv (k, i) VALUES ($1, $2)", {"k" + std::to_string(n), n});
      if (!r) return linli::fail(r.error());
      if (auto a = tx.append("INSERT INTO log (n, s)", {n, "second"}); !a) return a;
      if (doomed) return linli::fail(Error::invalid("doomed"));
      return {};
    });
    if (st.has_value() == doomed) ++unexpected;
    auto seen = db().one("SELECT COUNT(*) AS n FROM log WHERE n = $1", {n});
    if (!seen || seen->i64("n") != (doomed ? 0 : 2)) ++unseen;
  });
  EXPECT_EQ(unexpected, 0);
  EXPECT_EQ(unseen, 0);
  auto rows = db().one("SELECT COUNT(*) AS n FROM log");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->i64("n"), kThreads * kPerThread / 4 * 3 * 2);
  auto reversed = db().one(
      "SELECT COUNT(*) AS n FROM log a JOIN log b ON a.n = b.n AND a.s = 'first' AND "
      "b.s = 'second' WHERE a.id > b.id");
  ASSERT_TRUE(reversed);
  EXPECT_EQ(reversed->i64("n"), 0);

  // More rows than one statement takes (SQLite: 256, then 32, 8, 4), in order.
  ASSERT_TRUE(db().write([](Tx& tx) -> Status {
    for (std::int64_t i = 0; i < 300; ++i)
      if (auto a = tx.append("INSERT INTO log (n, s)", {1000 + i, "bulk"}); !a) return a;
    return {};
  }));
  auto bulk = db().query("SELECT n FROM log WHERE s = 'bulk' ORDER BY id");
  ASSERT_TRUE(bulk);
  ASSERT_EQ(bulk->size(), 300u);
  for (std::size_t i = 0; i < bulk->size(); ++i)
    EXPECT_EQ((*bulk)[i].i64("n"), 1000 + std::int64_t(i));

  // A row the table refuses fails its write, and nothing of the write is kept.
  auto refused = db().write([](Tx& tx) -> Status {
    auto r = tx.exec("INSERT INTO kv (k, i) VALUES ('refused', 1)");
    if (!r) return linli::fail(r.error());
    return tx.append("INSERT INTO log (n, s)", {std::int64_t{1}, linli::store::null()});
  });
  EXPECT_FALSE(refused);
  EXPECT_EQ(count("k = 'refused'"), 0);
}

TEST_P(StoreContract, ValuesRoundTrip) {
  make_kv();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  const std::string chinese = "社区治理：居民议事会 😀";
  const std::vector<double> doubles = {0.1, 1.0 / 3, -1e300, 2.5, 4.9406564584124654e-324};
  auto st = db().write([&](Tx& tx) -> Status {
    std::vector<Params> rows = {
        {std::string("max"), kMax, linli::store::null(), linli::store::null()},
        {std::string("min"), kMin, 0.0, chinese},
        {std::string("null"), linli::store::null(), linli::store::null(), linli::store::null()},
    };
    for (std::size_t i = 0; i < doubles.size(); ++i) {
      rows.push_back({"d" + std::to_string(i), linli::store::null(), doubles[i],
                      linli::store::opt(std::optional<std::string>())});
    }
    for (const auto& p : rows) {
      auto r = tx.exec("INSERT INTO kv (k, i, f, s) VALUES ($1, $2, $3, $4)", p);
      if (!r) return linli::fail(r.error());
    }
    return {};
  });
  ASSERT_TRUE(st) << st.error().detail;

  auto get = [&](const std::string& k) {
    auto r = db().one("SELECT k, i, f, s FROM kv WHERE k = $1", {k});
    EXPECT_TRUE(r) << k;
    return r ? *r : Row(nullptr, {});
  };
  EXPECT_EQ(get("max").i64("i"), kMax);
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(get("max").at("i")));
  EXPECT_EQ(get("min").i64("i"), kMin);
  EXPECT_EQ(get("min").str("s"), chinese);
  Row n = get("null");
  EXPECT_TRUE(n.is_null("i"));
  EXPECT_TRUE(n.is_null("f"));
  EXPECT_TRUE(n.is_null("s"));
  EXPECT_EQ(n.i64("i"), 0);
  EXPECT_EQ(n.str("s"), "");
  EXPECT_EQ(n.opt_i64("i"), std::nullopt);
  EXPECT_EQ(n.opt_str("s"), std::nullopt);
  for (std::size_t i = 0; i < doubles.size(); ++i) {
    Row d = get("d" + std::to_string(i));
    EXPECT_EQ(d.f64("f"), doubles[i]) << i;
    EXPECT_TRUE(std::holds_alternative<double>(d.at("f")));
  }
  auto search = db().one("SELECT k FROM kv WHERE s = $1", {chinese});
  ASSERT_TRUE(search);
  EXPECT_EQ(search->str("k"), "min");
}

// Db::each hands out rows where they lie; what it reads must be what
// query() reads, NULLs, extremes and non-ASCII text included.
TEST_P(StoreContract, RowsReadInPlaceSayWhatQueryReads) {
  make_kv();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  const std::string chinese = "网格员巡查：楼道堆物 😀 \"引号\"";
  auto st = db().write([&](Tx& tx) -> Status {
    for (const Params& p :
         std::vector<Params>{{std::string("a"), kMax, std::string("")},
                             {std::string("b"), kMin, chinese},
                             {std::string("c"), linli::store::null(), linli::store::null()},
                             {std::string("d"), std::int64_t{42}, std::string("plain")}}) {
      auto r = tx.exec("INSERT INTO kv (k, i, s) VALUES ($1, $2, $3)", p);
      if (!r) return linli::fail(r.error());
    }
    return {};
  });
  ASSERT_TRUE(st) << st.error().detail;

  const std::string sql = "SELECT k, i, s, i * 0 + 7 AS seven FROM kv WHERE k >= $1 ORDER BY k";
  auto rows = db().query(sql, {std::string("b")});
  ASSERT_TRUE(rows) << rows.error().detail;
  std::vector<std::string> read;
  auto each = db().each(sql, {std::string("b")}, [&](const linli::store::RowView& r) -> Status {
    EXPECT_EQ(r.size(), 4U);
    EXPECT_EQ(r.index("s"), 2U);
    EXPECT_THROW((void)r.index("nope"), std::out_of_range);
    const Row& q = (*rows)[read.size()];
    EXPECT_EQ(r.text(0), q.str("k"));
    EXPECT_EQ(r.is_null(1), q.is_null("i")) << q.str("k");
    EXPECT_EQ(r.i64(1), q.i64("i")) << q.str("k");
    EXPECT_EQ(r.opt_i64(1), q.opt_i64("i")) << q.str("k");
    EXPECT_EQ(r.is_null(2), q.is_null("s")) << q.str("k");
    EXPECT_EQ(r.text(2), q.str("s")) << q.str("k");
    read.emplace_back(r.text(0));
    return {};
  });
  ASSERT_TRUE(each) << each.error().detail;
  EXPECT_EQ(read, (std::vector<std::string>{"b", "c", "d"}));
}

// Each kind of column reads in place as query's Row reads it: booleans,
// exact sums (NUMERIC on PostgreSQL), doubles, digits held as text, NULL.
// PostgreSQL's RowView reads libpq's result itself since session 22.
TEST_P(StoreContract, EachReadsEveryKindOfColumnAsARowDoes) {
  const std::string sql =
      "SELECT 'plain' AS t, '42' AS digits, 1 = 1 AS yes, 1 = 0 AS no, "
      "CAST(2.5 AS DOUBLE PRECISION) AS f, SUM(CAST(3 AS BIGINT)) AS total, "
      "CAST(-7 AS BIGINT) AS i, CAST(NULL AS TEXT) AS none";
  auto rows = db().query(sql);
  ASSERT_TRUE(rows) << rows.error().detail;
  ASSERT_EQ(rows->size(), 1U);
  const Row& q = (*rows)[0];
  EXPECT_EQ(q.str("yes"), "1") << "a boolean reads as 1 or 0 on both stores";
  EXPECT_EQ(q.i64("total"), 3);
  int seen = 0;
  auto each = db().each(sql, {}, [&](const linli::store::RowView& r) -> Status {
    ++seen;
    EXPECT_EQ(r.size(), q.size());
    for (std::size_t c = 0; c < r.size(); ++c) {
      SCOPED_TRACE(q.names()[c]);
      EXPECT_EQ(r.name(c), q.names()[c]);
      EXPECT_EQ(r.is_null(c), q.is_null(c));
      EXPECT_EQ(r.text(c), q.str(c));
      if (c == 0) continue;  // not a number
      EXPECT_EQ(r.i64(c), q.i64(c));
      EXPECT_EQ(r.f64(c), q.f64(c));
      EXPECT_EQ(r.opt_f64(c), q.is_null(c) ? std::nullopt : std::optional(q.f64(c)));
    }
    return {};
  });
  ASSERT_TRUE(each) << each.error().detail;
  EXPECT_EQ(seen, 1);
}

// An error from the callback ends the read there and is what each() says;
// the store is fine afterwards (the statement is not left mid-step).
TEST_P(StoreContract, EachStopsAtTheFirstErrorAndGivesIt) {
  make_kv();
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(put(k, 1));
  int seen = 0;
  auto st =
      db().each("SELECT k FROM kv ORDER BY k", {}, [&](const linli::store::RowView& r) -> Status {
        ++seen;
        if (r.text(0) == "b") return linli::fail(Error::invalid("停在 b"));
        return {};
      });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::invalid);
  EXPECT_EQ(st.error().detail, "停在 b");
  EXPECT_EQ(seen, 2);
  auto bad = db().each("SELECT nope FROM kv", {}, [](const linli::store::RowView&) -> Status {
    ADD_FAILURE() << "no row of a failed read";
    return {};
  });
  EXPECT_FALSE(bad);
  ASSERT_TRUE(put("d", 1));  // a writer is not kept waiting by a half-read statement
  EXPECT_EQ(count(), 4);
}

TEST_P(StoreContract, AggregatesReadAsIntegers) {
  make_kv();
  ASSERT_TRUE(put("a", 3));
  ASSERT_TRUE(put("b", 4));
  auto r = db().one("SELECT SUM(i) AS total, COUNT(*) AS n, AVG(i) AS mean FROM kv");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(r->at("total")));
  EXPECT_EQ(r->i64("total"), 7);
  EXPECT_EQ(r->i64("n"), 2);
  EXPECT_DOUBLE_EQ(r->f64("mean"), 3.5);
}

TEST_P(StoreContract, OneReportsNotFound) {
  auto r = db().one("SELECT id FROM nodes WHERE id = $1", {-1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().detail, "记录不存在或无权查看");
  auto st = db().write([](Tx& tx) -> Status {
    auto row = tx.one("SELECT id FROM nodes WHERE id = -1");
    EXPECT_EQ(row ? ErrorKind::internal : row.error().kind, ErrorKind::not_found);
    return {};
  });
  EXPECT_TRUE(st);
}

TEST_P(StoreContract, ChangesCountsAffectedRows) {
  make_kv();
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(put(k, 1));
  std::int64_t updated = -1, selected = -1;
  auto st = db().write([&](Tx& tx) -> Status {
    auto u = tx.exec("UPDATE kv SET i = i + 1");
    auto s = tx.exec("SELECT k FROM kv");
    if (!u || !s) return linli::fail(Error::internal("x"));
    updated = u->changes;
    selected = s->changes;
    return {};
  });
  ASSERT_TRUE(st);
  EXPECT_EQ(updated, 3);
  EXPECT_EQ(selected, 0);
}

TEST_P(StoreContract, QueryCannotWrite) {
  make_kv();
  auto r = db().query("INSERT INTO kv (k, i) VALUES ('sneaky', 1)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::internal);
  EXPECT_EQ(count(), 0);
}

TEST_P(StoreContract, FailedScriptKeepsNothing) {
  auto st = db().exec_script("CREATE TABLE a (x BIGINT); CREATE TABLE a (x BIGINT);");
  EXPECT_FALSE(st);
  EXPECT_FALSE(db().query("SELECT x FROM a"));
  EXPECT_TRUE(db().exec_script("CREATE TABLE a (x BIGINT); CREATE TABLE b (y BIGINT);"));
  EXPECT_TRUE(db().query("SELECT x FROM a"));
}

TEST_P(StoreContract, ClosedStoreRefusesWork) {
  EXPECT_TRUE(db().ping());
  db().close();
  auto w = db().write([](Tx&) -> Status { return {}; });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, ErrorKind::unavailable);
  auto q = db().query("SELECT 1 AS one");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().kind, ErrorKind::unavailable);
  EXPECT_FALSE(db().ping());
  db().close();  // twice is harmless
}

TEST_P(StoreContract, NestedWriteIsRefusedNotDeadlocked) {
  if (!is_sqlite()) GTEST_SKIP() << "only the SQLite writer thread can deadlock on itself";
  auto st = db().write([&](Tx&) -> Status { return db().write([](Tx&) -> Status { return {}; }); });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::internal);
}

TEST_P(StoreContract, PoolRecoversWhenConnectionsDie) {
  if (is_sqlite()) GTEST_SKIP() << "PostgreSQL only";
  // Open several pooled connections, then have the server kill them all.
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { EXPECT_TRUE(db().query("SELECT pg_sleep(0.05) AS s")); });
  }
  for (auto& t : threads) t.join();
  auto killed = db().query(
      "SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()");
  ASSERT_TRUE(killed) << killed.error().detail;
  EXPECT_GE(killed->size(), 1u);
  make_kv();
  for (int i = 0; i < 10; ++i) {
    auto q = db().query("SELECT 1 AS one");
    EXPECT_TRUE(q) << q.error().detail;
    EXPECT_TRUE(put("k" + std::to_string(i), i));
  }
  EXPECT_EQ(count(), 10);
}

TEST_P(StoreContract, PoolSizeComesFromTheUrl) {
  if (is_sqlite()) GTEST_SKIP() << "PostgreSQL only";
  std::string sep = url().find('?') == std::string::npos ? "?" : "&";
  auto small = linli::store::open(url() + sep + "pool_size=2");
  ASSERT_TRUE(small) << small.error().detail;
  EXPECT_EQ((*small)->stats().pool_size, 2);
  EXPECT_TRUE((*small)->ping());
  auto bad = linli::store::open(url() + sep + "pool_size=zero");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid);
}

LINLI_STORE_TESTS(StoreContract);

TEST(Row, AccessorsConvertAndRefuseUnknownColumns) {
  // "i" twice, as in SELECT a.*, b.*: the first column of a name wins.
  auto names = std::make_shared<const linli::store::Columns>(
      std::vector<std::string>{"i", "s", "d", "n", "txt", "i"});
  Row r(names, {std::int64_t{42}, std::string("-17"), 2.75, linli::store::null(),
                std::string("abc"), std::int64_t{7}});
  EXPECT_EQ(r.i64("i"), 42);
  EXPECT_EQ(r.names().size(), 6u);
  EXPECT_EQ(r.i64("s"), -17);
  EXPECT_EQ(r.i64("d"), 2);
  EXPECT_EQ(r.f64("i"), 42.0);
  EXPECT_EQ(r.f64("s"), -17.0);
  EXPECT_EQ(r.str("i"), "42");
  EXPECT_EQ(r.str("d"), "2.75");
  EXPECT_EQ(r.opt_i64("n"), std::nullopt);
  EXPECT_EQ(r.opt_i64("i"), 42);
  EXPECT_THROW((void)r.at("nope"), std::out_of_range);
  EXPECT_THROW((void)r.i64("txt"), std::invalid_argument);
}

TEST(Open, RefusesUnknownUrlsAndCreatesDirectories) {
  auto bad = linli::store::open("mysql://x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid);
  std::string url = fresh_store_url("sqlite");
  auto nested = url.substr(0, url.rfind('/')) + "/a/b/c.db";
  auto db = linli::store::open(nested);
  ASSERT_TRUE(db) << db.error().detail;
  EXPECT_TRUE((*db)->ping());
}

}  // namespace
