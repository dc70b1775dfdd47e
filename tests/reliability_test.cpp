// Nothing lost, nothing stuck: a full disk answers 507 and recovers; a backup
// taken under load restores to a system that answers the same; a stopped
// PostgreSQL is reported fast (503) and the pool heals; a thousand idle or
// slow connections do not keep another client waiting.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "api_env.hpp"
#include "server_process.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using linli::test::free_port;
using linli::test::HttpClient;
using linli::test::HttpResult;
using linli::test::ServerProcess;
using linli::test::sh;
using nlohmann::json;

namespace {

HttpResult try_request(const HttpClient& c, const std::string& method, const std::string& target,
                       const json& body, const std::string& token) {
  try {
    if (method == "GET") return c.get(target, token);
    return c.post(target, body, token);
  } catch (const std::exception&) {
    return {};
  }
}

// Runs a command, returns its exit status and what it wrote (stdout+stderr).
std::pair<int, std::string> capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, ""};
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

fs::path temp_dir(const std::string& what) {
  auto d = fs::temp_directory_path() /
           ("linli-" + what + "-" + std::to_string(getpid()) + "-" + std::to_string(std::rand()));
  fs::create_directories(d);
  return d;
}

bool load_demo(const std::string& url, const std::string& key) {
  setenv("LINLI_FAST_HASH", "1", 1);
  return sh(std::string(LINLI_BINARY) + " demo --db '" + url + "' --key-file " + key +
            " >/dev/null 2>&1");
}

// ---------------------------------------------------------------- disk full

TEST(DiskFull, WritesAnswer507ReadsContinueAndSpaceReturns) {
  auto dir = temp_dir("full");
  auto mnt = dir / "mnt";
  fs::create_directories(mnt);
  auto src = dir / "src.db";
  auto key = dir / "linli.key";
  ASSERT_TRUE(load_demo("sqlite:" + src.string(), key.string()));
  auto size_mb = fs::file_size(src) / (1024 * 1024) + 6;
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0,
              ("size=" + std::to_string(size_mb) + "m").c_str()) != 0) {
    auto why = std::string(std::strerror(errno));
    fs::remove_all(dir);
    GTEST_SKIP() << "cannot mount a size-limited tmpfs here (" << why
                 << "); the disk-full test needs root or CAP_SYS_ADMIN";
  }
  struct Unmount {
    fs::path dir, mnt;
    ~Unmount() {
      ::umount2(mnt.c_str(), MNT_DETACH);
      fs::remove_all(dir);
    }
  } unmount{dir, mnt};
  fs::copy_file(src, mnt / "linli.db");
  auto url = "sqlite:" + (mnt / "linli.db").string();
  auto port = free_port();
  ServerProcess server(url, key.string(), port, (dir / "server.log").string());
  ASSERT_TRUE(server.start());
  HttpClient c(port);
  auto token = c.login("community1", "Linli@2026");
  ASSERT_FALSE(token.empty());
  auto households = c.get("/api/v1/households?limit=1", token).json();
  auto household = households["items"][0]["id"].get<std::int64_t>();
  auto add = [&](const std::string& name) {
    return try_request(c, "POST", "/api/v1/residents",
                       {{"household_id", household}, {"name", name}, {"gender", "女"}}, token);
  };
  ASSERT_EQ(add("满盘前").status, 201);
  // Fill the filesystem, then write until the store runs out of room.
  sh("dd if=/dev/zero of=" + (mnt / "filler").string() + " bs=64k >/dev/null 2>&1");
  HttpResult full;
  std::vector<std::string> acked;
  for (int i = 0; i < 20000 && full.status != 507; ++i) {
    auto name = "满盘" + std::to_string(i);
    full = add(name);
    ASSERT_NE(full.status, 0) << "the server died when the disk filled up";
    if (full.status == 201) acked.push_back(name);
    if (full.status == 429) {  // a write rate limit: wait as told
      std::this_thread::sleep_for(
          std::chrono::seconds(std::clamp(std::atoi(full.header("retry-after").c_str()), 1, 5)));
      continue;
    }
    ASSERT_TRUE(full.status == 201 || full.status == 507) << full.status << " " << full.body;
  }
  ASSERT_EQ(full.status, 507) << "the disk never filled";
  EXPECT_TRUE(full.header("content-type").starts_with("application/problem+json"));
  EXPECT_NE(full.json()["detail"].get<std::string>().find("存储空间已满"), std::string::npos)
      << full.body;
  // Still full: further writes are refused the same way; reads carry on.
  EXPECT_EQ(add("满盘时").status, 507);
  EXPECT_EQ(c.get("/api/v1/residents?limit=5", token).status, 200);
  EXPECT_EQ(c.get("/api/v1/households/" + std::to_string(household), token).status, 200);
  EXPECT_EQ(c.get("/healthz").status, 200);
  // Room again: writes succeed without a restart.
  fs::remove(mnt / "filler");
  int status = 0;
  for (int i = 0; i < 20 && status != 201; ++i) {
    status = add("空间恢复后").status;
    if (status != 201) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 201);
  EXPECT_EQ(server.terminate(), 0);
  auto db = open_migrated(url);
  for (const auto& name : acked)
    EXPECT_EQ(db->one("SELECT count(*) AS n FROM residents WHERE name = $1", {name})->i64("n"), 1);
  EXPECT_EQ(db->one("SELECT count(*) AS n FROM residents WHERE name = '满盘时'")->i64("n"), 0);
  auto ok = db->one("PRAGMA integrity_check");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->str("integrity_check"), "ok");
  db->close();
}

// PostgreSQL: the residents table lives in a tablespace on a small tmpfs.
TEST(DiskFull, PostgresTablespaceFullAnswers507AndRecovers) {
  const char* admin = std::getenv("LINLI_TEST_PG_URL");
  if (!admin) GTEST_SKIP() << "LINLI_TEST_PG_URL is not set";
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs for the tablespace";
  auto dir = temp_dir("pgfull");
  auto ts = dir / "ts";
  fs::create_directories(ts);
  if (::mount("tmpfs", ts.c_str(), "tmpfs", 0, "size=24m") != 0) {
    auto why = std::string(std::strerror(errno));
    fs::remove_all(dir);
    GTEST_SKIP() << "cannot mount a size-limited tmpfs here (" << why << ")";
  }
  auto url = fresh_store_url("postgres");
  auto key = (dir / "linli.key").string();
  auto name = "linli_full_" + std::to_string(getpid());
  auto psql = [&](const std::string& target, const std::string& sql) {
    return sh("psql -q -v ON_ERROR_STOP=1 '" + target + "' -c \"" + sql + "\" >/dev/null");
  };
  struct Cleanup {
    std::function<void()> fn;
    ~Cleanup() { fn(); }
  } cleanup{[&] {
    psql(admin, "DROP TABLESPACE IF EXISTS " + name);
    ::umount2(ts.c_str(), MNT_DETACH);
    fs::remove_all(dir);
  }};
  ASSERT_TRUE(sh("chown postgres:postgres " + ts.string()));
  ASSERT_TRUE(load_demo(url, key));
  ASSERT_TRUE(psql(admin, "CREATE TABLESPACE " + name + " LOCATION '" + ts.string() + "'"));
  ASSERT_TRUE(psql(url, "ALTER TABLE residents SET TABLESPACE " + name));
  auto port = free_port();
  ServerProcess server(url, key, port, (dir / "server.log").string());
  ASSERT_TRUE(server.start());
  HttpClient c(port);
  auto token = c.login("community1", "Linli@2026");
  ASSERT_FALSE(token.empty());
  auto households = c.get("/api/v1/households?limit=1", token).json();
  auto household = households["items"][0]["id"].get<std::int64_t>();
  auto add = [&](const std::string& n) {
    return try_request(c, "POST", "/api/v1/residents",
                       {{"household_id", household}, {"name", n}, {"gender", "女"}}, token);
  };
  ASSERT_EQ(add("满盘前").status, 201);
  sh("dd if=/dev/zero of=" + (ts / "filler").string() + " bs=64k >/dev/null 2>&1");
  HttpResult full;
  std::vector<std::string> acked;
  for (int i = 0; i < 20000 && full.status != 507; ++i) {
    auto n = "满盘" + std::to_string(i);
    full = add(n);
    if (full.status == 201) acked.push_back(n);
    if (full.status == 429) {
      std::this_thread::sleep_for(
          std::chrono::seconds(std::clamp(std::atoi(full.header("retry-after").c_str()), 1, 5)));
      continue;
    }
    ASSERT_TRUE(full.status == 201 || full.status == 507) << full.status << " " << full.body;
  }
  ASSERT_EQ(full.status, 507) << "the tablespace never filled";
  EXPECT_TRUE(full.header("content-type").starts_with("application/problem+json"));
  EXPECT_NE(full.json()["detail"].get<std::string>().find("存储空间已满"), std::string::npos);
  EXPECT_EQ(c.get("/api/v1/residents?limit=5", token).status, 200);
  EXPECT_EQ(c.get("/readyz").status, 200);
  fs::remove(ts / "filler");
  int status = 0;
  for (int i = 0; i < 20 && status != 201; ++i) {
    status = add("空间恢复后").status;
    if (status != 201) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 201);
  EXPECT_EQ(server.terminate(), 0);
  auto db = open_migrated(url);
  for (const auto& n : acked)
    EXPECT_EQ(db->one("SELECT count(*) AS n FROM residents WHERE name = $1", {n})->i64("n"), 1);
  // Put the table back so the tablespace can go.
  db->close();
  ASSERT_TRUE(psql(url, "ALTER TABLE residents SET TABLESPACE pg_default"));
}

// --------------------------------------------------------- backup / restore

class BackupTest : public StoreParamTest {};

TEST_P(BackupTest, BackupUnderLoadRestoresToTheSameAnswers) {
  auto dir = temp_dir("backup");
  struct Cleanup {
    fs::path d;
    ~Cleanup() { fs::remove_all(d); }
  } cleanup{dir};
  auto url = fresh_store_url(GetParam());
  auto key = (dir / "linli.key").string();
  ASSERT_TRUE(load_demo(url, key));
  auto port = free_port();
  ServerProcess server(url, key, port, (dir / "server.log").string());
  ASSERT_TRUE(server.start());
  HttpClient c(port);
  auto token = c.login("community1", "Linli@2026");
  ASSERT_FALSE(token.empty());
  auto households = c.get("/api/v1/households?limit=1", token).json();
  auto household = households["items"][0]["id"].get<std::int64_t>();

  auto db = open_migrated(url);
  auto count = [](linli::store::Db& d, const std::string& table) {
    return d.one("SELECT count(*) AS n FROM " + table)->i64("n");
  };
  auto residents_before = count(*db, "residents");
  std::int64_t resident = 0;
  auto listed = c.get("/api/v1/residents?limit=100", token).json();
  for (const auto& r : listed["items"])
    if (r.contains("phone_masked") && r["phone_masked"].is_string() &&
        r["phone_masked"].get<std::string>().size() == 11) {
      resident = r["id"].get<std::int64_t>();
      break;
    }
  ASSERT_GT(resident, 0) << "no resident with a phone number in scope";
  auto a_case = db->one("SELECT min(id) AS id FROM cases")->i64("id");

  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t)
    load.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        auto r = try_request(c, "POST", "/api/v1/residents",
                             {{"household_id", household},
                              {"name", "备份中" + std::to_string(t) + "-" + std::to_string(i)},
                              {"gender", "男"}},
                             token);
        if (r.status == 201) ++written;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto file = (dir / "linli.backup").string();
  auto [rc, said] = capture(std::string(LINLI_BINARY) + " backup --db '" + url + "' --key-file " +
                            key + " --out " + file);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& t : load) t.join();
  ASSERT_EQ(rc, 0) << said;
  EXPECT_GT(written.load(), 0);
  EXPECT_NE(said.find("数据已备份"), std::string::npos) << said;
  EXPECT_TRUE(fs::exists(file + ".key"));
  EXPECT_EQ(fs::status(file + ".key").permissions() & fs::perms::others_all, fs::perms::none);
  auto residents_after = count(*db, "residents");

  // Restore into an empty store with no key yet.
  auto target = GetParam() == "sqlite" ? "sqlite:" + (dir / "restored" / "linli.db").string()
                                       : fresh_store_url(GetParam());
  auto target_key = (dir / "restored" / "linli.key").string();
  auto restore = std::string(LINLI_BINARY) + " restore --db '" + target + "' --key-file " +
                 target_key + " --in " + file;
  auto [rrc, rsaid] = capture(restore);
  ASSERT_EQ(rrc, 0) << rsaid;
  EXPECT_TRUE(fs::exists(target_key)) << rsaid;
  // A second restore over the now non-empty store is refused and changes nothing.
  auto [again, again_said] = capture(restore);
  EXPECT_NE(again, 0);
  EXPECT_NE(again_said.find("--force"), std::string::npos) << again_said;

  auto rport = free_port();
  ServerProcess restored(target, target_key, rport, (dir / "restored.log").string());
  ASSERT_TRUE(restored.start());
  HttpClient rc2(rport);
  auto rtoken = rc2.login("community1", "Linli@2026");
  ASSERT_FALSE(rtoken.empty());
  auto rdb = open_migrated(target);
  auto restored_residents = count(*rdb, "residents");
  EXPECT_GE(restored_residents, residents_before);
  EXPECT_LE(restored_residents, residents_after);
  for (auto table : {"households", "nodes", "cases", "points_transfers", "users"})
    EXPECT_EQ(count(*rdb, table), count(*db, table)) << table;
  auto case_path = "/api/v1/cases/" + std::to_string(a_case);
  auto orig_case = c.get(case_path, token).json(), rest_case = rc2.get(case_path, rtoken).json();
  for (auto field : {"code", "title", "state", "description"})
    EXPECT_EQ(rest_case[field], orig_case[field]) << field;
  auto reveal = "/api/v1/residents/" + std::to_string(resident) + "/reveal";
  auto phone = c.post(reveal, {{"field", "phone"}}, token);
  auto rphone = rc2.post(reveal, {{"field", "phone"}}, rtoken);
  ASSERT_EQ(phone.status, 200) << phone.body;
  ASSERT_EQ(rphone.status, 200) << rphone.body;
  EXPECT_EQ(rphone.json()["value"], phone.json()["value"]);
  EXPECT_EQ(rphone.json()["value"].get<std::string>().size(), 11u);
  auto check = rc2.get("/api/v1/points/ledger/check", rtoken);
  ASSERT_EQ(check.status, 200) << check.body;
  EXPECT_TRUE(check.json()["ok"].get<bool>()) << check.body;
  rdb->close();
  db->close();
}

LINLI_STORE_TESTS(BackupTest);

// ------------------------------------------------------- store unavailable

TEST(StoreOutage, StoppedPostgresAnswers503FastAndThePoolRecovers) {
  if (!std::getenv("LINLI_TEST_PG_URL")) GTEST_SKIP() << "LINLI_TEST_PG_URL is not set";
  if (!linli::test::PgCluster::available())
    GTEST_SKIP() << "needs root and PostgreSQL 15 server binaries for a cluster of its own";
  linli::test::PgCluster pg;
  ASSERT_TRUE(pg.init());
  auto dir = temp_dir("outage");
  struct Cleanup {
    fs::path d;
    ~Cleanup() { fs::remove_all(d); }
  } cleanup{dir};
  auto key = (dir / "linli.key").string();
  ASSERT_TRUE(load_demo(pg.url(), key));
  auto port = free_port();
  ServerProcess server(pg.url(), key, port, (dir / "server.log").string());
  ASSERT_TRUE(server.start());
  HttpClient c(port);
  auto token = c.login("community1", "Linli@2026");
  ASSERT_FALSE(token.empty());
  auto households = c.get("/api/v1/households?limit=1", token).json();
  auto household = households["items"][0]["id"].get<std::int64_t>();
  json person = {{"household_id", household}, {"name", "停库前"}, {"gender", "男"}};
  ASSERT_EQ(c.post("/api/v1/residents", person, token).status, 201);

  ASSERT_TRUE(pg.stop());
  auto timed = [&](const std::function<HttpResult()>& f) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = f();
    return std::make_pair(r, std::chrono::steady_clock::now() - t0);
  };
  for (int i = 0; i < 3; ++i) {
    auto [read, read_t] = timed([&] { return c.get("/api/v1/residents?limit=5", token); });
    EXPECT_EQ(read.status, 503) << read.body;
    EXPECT_TRUE(read.header("content-type").starts_with("application/problem+json"));
    EXPECT_LT(read_t, std::chrono::seconds(2));
    person["name"] = "停库时" + std::to_string(i);
    auto [write, write_t] = timed([&] { return c.post("/api/v1/residents", person, token); });
    EXPECT_EQ(write.status, 503) << write.body;
    EXPECT_LT(write_t, std::chrono::seconds(2));
  }
  auto [login, login_t] = timed([&] {
    return c.post("/api/v1/auth/login", {{"username", "community1"}, {"password", "Linli@2026"}});
  });
  EXPECT_EQ(login.status, 503) << login.body;
  EXPECT_LT(login_t, std::chrono::seconds(2));
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["detail"], "数据库不可用") << ready.body;
  EXPECT_EQ(c.get("/healthz").status, 200);

  ASSERT_TRUE(pg.start());
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = c.get("/readyz").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 200) << "the pool did not recover";
  EXPECT_EQ(c.get("/api/v1/residents?limit=5", token).status, 200);
  person["name"] = "恢复后";
  EXPECT_EQ(c.post("/api/v1/residents", person, token).status, 201);
  EXPECT_GT(server.pid(), 0);  // the same process, never restarted
  EXPECT_EQ(server.terminate(), 0);
}

// ------------------------------------------------ idle and slow connections

TEST(SlowClients, AThousandIdleOrSlowConnectionsDoNotBlockOthers) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 4096) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 8192);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < 2200) GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low: " << lim.rlim_max;
  auto& env = linli::test::ApiEnv::get("sqlite");
  auto port = env.client->port();
  auto token = env.token("community_staff");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> idle, slow;
  for (int i = 0; i < 1000; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << i;
    if (i % 2) {
      std::string start = "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\n";
      (void)::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
      slow.push_back(fd);
    } else {
      idle.push_back(fd);
    }
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int n = 0; !stop; ++n) {
      for (int fd : slow) {
        std::string line = "X-Slow-" + std::to_string(n) + ": a\r\n";
        (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      for (int i = 0; i < 10 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // Another client is served promptly meanwhile.
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = env.client->get("/api/v1/auth/me", token);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(took, std::chrono::seconds(3));
  }
  EXPECT_GE(env.server->open_connections(), 900);
  // The header timeout (10 s) closes them all, trickling or not.
  for (int i = 0; i < 300 && env.server->open_connections() > 10; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(env.server->open_connections(), 10);
  stop = true;
  trickle.join();
  int closed = 0;
  for (auto* group : {&idle, &slow})
    for (int fd : *group) {
      char buf[512];
      timeval tv{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) ++closed;
      ::close(fd);
    }
  EXPECT_EQ(closed, 1000);
  EXPECT_EQ(env.client->get("/api/v1/auth/me", token).status, 200);
}

}  // namespace
