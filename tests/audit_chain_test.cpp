// The tamper-evident audit trail: appends form a SHA-256 chain on both
// stores, concurrent appends stay strictly ordered, and edits, deletions and
// rows inserted behind the application's back are caught at the right entry
// by verify_chain, `linli audit verify` and GET /api/v1/audit/verify.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "api_env.hpp"
#include "auth/audit.hpp"
#include "support.hpp"

using namespace linli;

namespace {

class AuditChainTest : public StoreTest {
 protected:
  void append(int n, const std::string& tag = "t") {
    for (int i = 0; i < n; ++i) {
      auto s = db().write([&](store::Tx& tx) {
        return auth::record(tx, auth::Actor::named("test"),
                            {"test.append", "test", i + 1, "/1/", tag + std::to_string(i)});
      });
      ASSERT_TRUE(s) << s.error().detail;
    }
  }
  std::int64_t id_at(std::int64_t seq) {
    auto r = db().one("SELECT id FROM audit_log WHERE seq = $1", {seq});
    if (!r) throw std::runtime_error(r.error().detail);
    return r->i64("id");
  }
  void raw(const std::string& sql, const store::Params& p = {}) {
    auto s = db().write([&](store::Tx& tx) -> Status {
      auto r = tx.exec(sql, p);
      if (!r) return fail(r.error());
      return {};
    });
    ASSERT_TRUE(s) << s.error().detail;
  }
  auth::ChainReport verify() {
    auto r = auth::verify_chain(db());
    if (!r) throw std::runtime_error(r.error().detail);
    return *r;
  }
};

TEST_P(AuditChainTest, IntactChainVerifies) {
  append(30);
  auto rep = verify();
  EXPECT_FALSE(rep.broken) << rep.broken->detail;
  EXPECT_EQ(rep.checked, 30);
  auto last = db().one("SELECT hash, prev_hash, seq FROM audit_log ORDER BY seq DESC LIMIT 1");
  ASSERT_TRUE(last);
  EXPECT_EQ(rep.head_hash, last->str("hash"));
  EXPECT_EQ(last->i64("seq"), 30);
  auto first = db().one("SELECT prev_hash FROM audit_log WHERE seq = 1");
  EXPECT_EQ(first->str("prev_hash"), auth::kChainGenesis);
}

TEST_P(AuditChainTest, EditedRowIsTheFirstBrokenLink) {
  append(10);
  auto id = id_at(4);
  raw("UPDATE audit_log SET summary = 'nothing happened' WHERE id = $1", {id});
  auto rep = verify();
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->id, id);
  EXPECT_EQ(rep.broken->what, "hash");
  EXPECT_NE(rep.broken->expected, rep.broken->found);
  EXPECT_EQ(rep.checked, 3);
}

TEST_P(AuditChainTest, DeletedRowBreaksTheNextLink) {
  append(10);
  auto gone = id_at(6), next = id_at(7);
  raw("DELETE FROM audit_log WHERE id = $1", {gone});
  auto rep = verify();
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->id, next);
  EXPECT_EQ(rep.broken->what, "seq");
  EXPECT_EQ(rep.broken->expected, "6");
  EXPECT_EQ(rep.broken->found, "7");
}

TEST_P(AuditChainTest, DeletedLastRowDisagreesWithTheHead) {
  append(5);
  raw("DELETE FROM audit_log WHERE id = $1", {id_at(5)});
  auto rep = verify();
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->what, "head");
  EXPECT_EQ(rep.checked, 4);
}

TEST_P(AuditChainTest, RowInsertedDirectlyIsCaught) {
  append(5);
  raw("INSERT INTO audit_log (at, username, action, entity, node_path, summary) "
      "VALUES (1, 'mallory', 'resident.reveal', 'resident', '/1/', 'forged')");
  append(2, "after");
  auto forged = db().one("SELECT id FROM audit_log WHERE username = 'mallory'");
  ASSERT_TRUE(forged);
  auto rep = verify();
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->id, forged->i64("id"));
  EXPECT_EQ(rep.checked, 5);
}

TEST_P(AuditChainTest, ForgedRowWithCopiedLinksIsCaught) {
  // Someone who read the chain copies the head into a new row: its hash does
  // not cover its own fields.
  append(3);
  auto head = db().one("SELECT seq, hash FROM audit_chain WHERE id = 1");
  ASSERT_TRUE(head);
  raw("INSERT INTO audit_log (at, username, action, entity, node_path, summary, seq, prev_hash, "
      "hash) VALUES (1, 'mallory', 'x', 'x', '/1/', 'forged', $1, $2, $3)",
      {head->i64("seq") + 1, head->str("hash"), std::string(64, 'a')});
  raw("UPDATE audit_chain SET seq = seq + 1, hash = $1 WHERE id = 1", {std::string(64, 'a')});
  auto rep = verify();
  ASSERT_TRUE(rep.broken);
  EXPECT_EQ(rep.broken->what, "hash");
  EXPECT_EQ(rep.broken->seq, 4);
}

TEST_P(AuditChainTest, RowsFromBeforeTheChainAreSealed) {
  // As if written before migration 0009: no place in the chain yet.
  raw("INSERT INTO audit_log (at, username, action, entity, node_path, summary, seq) VALUES "
      "(1, 'old', 'a', 'x', '/1/', 'one', 1), (2, 'old', 'b', 'x', '/1/', 'two', 2)");
  raw("UPDATE audit_chain SET seq = 2, hash = NULL WHERE id = 1");
  auto before = verify();
  ASSERT_TRUE(before.broken);
  EXPECT_EQ(before.broken->what, "head");
  ASSERT_TRUE(auth::seal_existing(db()));
  append(2);
  auto rep = verify();
  EXPECT_FALSE(rep.broken) << rep.broken->detail;
  EXPECT_EQ(rep.checked, 4);
  // Rows restored after a sealed part continue from it.
  raw("INSERT INTO audit_log (at, username, action, entity, node_path, summary, seq) VALUES "
      "(3, 'old', 'c', 'x', '/1/', 'three', 5)");
  raw("UPDATE audit_chain SET seq = 5, hash = NULL WHERE id = 1");
  ASSERT_TRUE(auth::seal_existing(db()));
  append(1);
  rep = verify();
  EXPECT_FALSE(rep.broken) << rep.broken->detail;
  EXPECT_EQ(rep.checked, 6);
}

// Strict order under concurrency; also the cost figure for the report.
TEST_P(AuditChainTest, ConcurrentAppendsStayOrdered) {
  constexpr int kThreads = 16, kEach = 25;
  auto run = [&](bool audited) {
    std::atomic<int> failures{0};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          auto s = db().write([&](store::Tx& tx) -> Status {
            // A business write first, as every audited change has one.
            auto r = tx.exec("INSERT INTO case_settings (k, v) VALUES ($1, '1')",
                             {"audit-test-" + std::to_string(audited) + "-" + std::to_string(t) +
                              "-" + std::to_string(i)});
            if (!r) return fail(r.error());
            if (!audited) return {};
            return auth::record(tx, auth::Actor::named("t"), {"test.par", "test", t, "/1/", "x"});
          });
          if (!s) ++failures;
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double plain = run(false), chained = run(true);
  std::printf(
      "[ figures  ] %s: %d writes by %d threads: %.0f/s without audit, %.0f/s with the "
      "audit chain\n",
      GetParam().c_str(), kThreads * kEach, kThreads, kThreads * kEach / plain,
      kThreads * kEach / chained);
  auto rep = verify();
  EXPECT_FALSE(rep.broken) << rep.broken->detail;
  EXPECT_EQ(rep.checked, kThreads * kEach);
}

// The command line: exit 0 on an intact chain, 1 naming the entry when not.
TEST_P(AuditChainTest, CommandLineReportsTheFirstBrokenLink) {
  append(5);
  auto key = std::filesystem::temp_directory_path() /
             ("linli-audit-cli-" + std::to_string(getpid()) + ".key");
  auto run = [&](std::string& out) {
    std::string cmd = std::string(LINLI_BINARY) + " audit verify --db '" + url() +
                      "' --key-file '" + key.string() + "' 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    char buf[4096];
    out.clear();
    while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string out;
  EXPECT_EQ(run(out), 0) << out;
  EXPECT_NE(out.find("完整"), std::string::npos) << out;
  auto id = id_at(3);
  raw("UPDATE audit_log SET username = 'someone else' WHERE id = $1", {id});
  EXPECT_EQ(run(out), 1) << out;
  EXPECT_NE(out.find("id=" + std::to_string(id)), std::string::npos) << out;
  EXPECT_NE(out.find("expected"), std::string::npos) << out;
  std::filesystem::remove(key);
}

LINLI_STORE_TESTS(AuditChainTest);

}  // namespace

// GET /api/v1/audit/verify: administrators only; reports the first broken
// link like the command line. The edit is undone so the shared server's
// chain holds again for the tests after this one.
namespace {

class AuditVerifyApiTest : public StoreParamTest {};

TEST_P(AuditVerifyApiTest, AdminSeesTheFirstBrokenLink) {
  auto& env = linli::test::ApiEnv::get(GetParam());
  auto admin = env.token("admin");
  auto ok = env.client->get("/api/v1/audit/verify", admin);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json()["ok"].get<bool>()) << ok.body;
  EXPECT_GT(ok.json()["checked"].get<std::int64_t>(), 0);
  EXPECT_EQ(env.client->get("/api/v1/audit/verify", env.token("community_staff")).status, 403);
  EXPECT_EQ(env.client->get("/api/v1/audit/verify").status, 401);
  auto row = env.db->one("SELECT id, summary FROM audit_log ORDER BY id LIMIT 1");
  ASSERT_TRUE(row);
  auto set = [&](const std::string& summary) {
    auto s = env.db->write([&](store::Tx& tx) -> Status {
      auto r =
          tx.exec("UPDATE audit_log SET summary = $1 WHERE id = $2", {summary, row->i64("id")});
      if (!r) return fail(r.error());
      return {};
    });
    ASSERT_TRUE(s) << s.error().detail;
  };
  set("无事发生");
  auto bad = env.client->get("/api/v1/audit/verify", admin);
  set(row->str("summary"));
  ASSERT_EQ(bad.status, 200) << bad.body;
  auto j = bad.json();
  EXPECT_FALSE(j["ok"].get<bool>()) << bad.body;
  EXPECT_EQ(j["broken"]["id"], row->i64("id"));
  EXPECT_EQ(j["broken"]["what"], "hash");
  EXPECT_TRUE(env.client->get("/api/v1/audit/verify", admin).json()["ok"].get<bool>());
}

LINLI_STORE_TESTS(AuditVerifyApiTest);

}  // namespace
