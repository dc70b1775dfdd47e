// Several nodes on one database (docs/SCALING.md): a notice written through one
// node reaches consoles connected to another (PostgreSQL LISTEN/NOTIFY), only
// once its transaction commits and only once per console; SQLite stays
// in-process. The replica-routed Db reads the replica and writes the primary.
// The whole cluster behind nginx is tested by tests/cluster/run.sh.
#include "app/cluster.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/crypto.hpp"
#include "notify/service.hpp"
#include "store/read_replica.hpp"
#include "support.hpp"

using namespace linli;

namespace {

// An open console: keeps what the server pushed to it.
class Console final : public http::EventSink {
 public:
  bool send(std::string chunk) override {
    std::lock_guard lock(mu_);
    chunks_.push_back(std::move(chunk));
    return true;
  }
  bool open() const override { return true; }
  int count(const std::string& needle) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& c : chunks_) n += c.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> chunks_;
};

template <class F>
bool eventually(F&& f, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

class ClusterTest : public StoreTest {
 protected:
  std::int64_t add_user(const std::string& name) {
    std::int64_t id = 0;
    auto st = db().write([&](store::Tx& tx) -> Status {
      auto r = tx.one(
          "INSERT INTO users (username, display_name, password_hash, password_changed_at, "
          "created_at) VALUES ($1, $1, 'x', 0, 0) RETURNING id",
          {name});
      if (!r) return fail(r.error());
      id = r->i64("id");
      return {};
    });
    if (!st) throw std::runtime_error(st.error().detail);
    return id;
  }
  // Writes one notice for user through notifier n, failing the write when asked.
  Status notify(notify::Notifier& n, store::Db& db, std::int64_t user, const std::string& title,
                bool fail_after = false) {
    std::vector<nlohmann::json> pending;
    auto st = db.write([&](store::Tx& tx) -> Status {
      if (auto s = n.add(tx, {user}, {"assignment", 0, title, "body"}, pending); !s) return s;
      if (fail_after) return fail(Error::conflict("rolled back on purpose"));
      return {};
    });
    if (st) n.flush(pending);
    return st;
  }
};

TEST_P(ClusterTest, NoticeWrittenThroughOneNodeReachesConsolesOnAnother) {
  auto user = add_user("console-b");
  if (is_sqlite()) {
    // One node: pushed from memory after the commit; there is no channel to listen on.
    notify::Notifier a(db());
    EXPECT_FALSE(a.listen(url()));
    auto console = std::make_shared<Console>();
    a.subscribe(user, console);
    ASSERT_TRUE(notify(a, db(), user, "单节点通知"));
    EXPECT_EQ(console->count("单节点通知"), 1);
    return;
  }
  auto node_b_db = open_migrated(url());  // node B has its own pool, as a process would
  notify::Notifier a(db()), b(*node_b_db);
  ASSERT_TRUE(a.listen(url()));
  ASSERT_TRUE(b.listen(url()));
  ASSERT_TRUE(eventually([&] { return a.listening() && b.listening(); }));
  auto on_b = std::make_shared<Console>();
  auto on_a = std::make_shared<Console>();
  b.subscribe(user, on_b);
  a.subscribe(user, on_a);

  ASSERT_TRUE(notify(a, db(), user, "跨节点通知"));
  EXPECT_TRUE(eventually([&] { return on_b->count("跨节点通知") == 1; }))
      << "a console on node B hears a write made through node A";
  EXPECT_TRUE(eventually([&] { return on_a->count("跨节点通知") == 1; }))
      << "and so does one on node A";

  // A write that rolls back announces nothing; a later one still arrives, once.
  EXPECT_FALSE(notify(a, db(), user, "回滚的通知", true));
  ASSERT_TRUE(notify(b, *node_b_db, user, "之后的通知"));
  EXPECT_TRUE(eventually([&] { return on_a->count("之后的通知") == 1; }));
  EXPECT_TRUE(eventually([&] { return on_b->count("之后的通知") == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(on_a->count("回滚的通知") + on_b->count("回滚的通知"), 0);
  EXPECT_EQ(on_b->count("跨节点通知"), 1) << "never pushed twice";

  // The LISTEN connection dies (a restarted or failed-over server): node B
  // reconnects and hears the next notice.
  auto killed = db().one(
      "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE "
      "application_name = 'linli_listener'");
  ASSERT_TRUE(killed) << killed.error().detail;
  EXPECT_GE(killed->i64("n"), 2);
  ASSERT_TRUE(eventually([&] {
    return a.listen_connects() >= 2 && b.listen_connects() >= 2 && a.listening() && b.listening();
  })) << "both listeners reconnect";
  ASSERT_TRUE(notify(a, db(), user, "重连之后"));
  EXPECT_TRUE(eventually([&] { return on_b->count("重连之后") == 1; }));

  // A notice too big for a NOTIFY payload travels as ids and is read back.
  std::string big(3000, 'x');
  big = "长通知" + big + big + big;
  ASSERT_TRUE(notify(a, db(), user, big));
  EXPECT_TRUE(eventually([&] { return on_b->count("长通知xxx") == 1; }));
  node_b_db->close();
}

TEST_P(ClusterTest, ReplicaRoutedDbReadsOneStoreAndWritesTheOther) {
  if (is_sqlite()) {
    EXPECT_FALSE(cluster::open_reads(db(), url())) << "read replicas are a PostgreSQL deployment";
    return;
  }
  // A second database stands in for the replica: reads must come from it,
  // writes must land in the primary.
  auto replica_url = fresh_store_url("postgres");
  open_migrated(replica_url)->close();
  auto reads = cluster::open_reads(db(), replica_url);
  ASSERT_TRUE(reads) << reads.error().detail;
  ASSERT_TRUE((*reads)->write([](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "INSERT INTO users (username, display_name, password_hash, password_changed_at, "
        "created_at) VALUES ('written-through-reads', 'w', 'x', 0, 0)");
    if (!r) return fail(r.error());
    return {};
  }));
  const char* count = "SELECT count(*) AS n FROM users WHERE username = 'written-through-reads'";
  EXPECT_EQ(db().one(count)->i64("n"), 1) << "writes go to the primary";
  EXPECT_EQ((*reads)->one(count)->i64("n"), 0) << "reads come from the replica";
  (*reads)->close();
  EXPECT_FALSE(cluster::open_reads(db(), "sqlite:/tmp/x.db")) << "a replica is PostgreSQL";
  EXPECT_FALSE(cluster::open_reads(db(), "postgresql://nobody@127.0.0.1:1/none"))
      << "an unreachable replica is reported at start";
}

TEST_P(ClusterTest, NodeWhoseKeyCannotOpenTheDataRefusesToStart) {
  if (!crypto::data_key_loaded()) {
    auto key = std::filesystem::temp_directory_path() /
               ("linli-cluster-test-" + std::to_string(::getpid()) + ".key");
    ASSERT_TRUE(crypto::load_data_key(key.string()));
    std::filesystem::remove(key);
  }
  EXPECT_TRUE(cluster::check_data_key(db())) << "an empty database accepts any key";
  ASSERT_TRUE(db().write([&](store::Tx& tx) -> Status {
    auto n = tx.one(
        "INSERT INTO nodes (kind, name, path, created_at, updated_at) VALUES ('unit', '1单元', "
        "'/1/', 0, 0) RETURNING id");
    if (!n) return fail(n.error());
    auto h = tx.one(
        "INSERT INTO households (node_id, node_path, room, address, created_at, updated_at) "
        "VALUES ($1, '/1/', '101', '1单元101', 0, 0) RETURNING id",
        {n->i64("id")});
    if (!h) return fail(h.error());
    auto r = tx.exec(
        "INSERT INTO residents (household_id, node_path, name, gender, phone_enc, created_at, "
        "updated_at) VALUES ($1, '/1/', '张三', 'M', $2, 0, 0)",
        {h->i64("id"), crypto::seal("13800138000")});
    if (!r) return fail(r.error());
    return {};
  }));
  EXPECT_TRUE(cluster::check_data_key(db())) << "the key that sealed the data opens it";
  // What another key sealed does not open with ours: the node must refuse.
  auto other = crypto::seal("13800138000");
  other[other.size() / 2] = other[other.size() / 2] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(db().write([&](store::Tx& tx) -> Status {
    auto r = tx.exec("UPDATE residents SET phone_enc = $1", {other});
    if (!r) return fail(r.error());
    return {};
  }));
  auto refused = cluster::check_data_key(db());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("--key-file"), std::string::npos);
}

LINLI_STORE_TESTS(ClusterTest);

}  // namespace
