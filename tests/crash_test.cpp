// A killed server loses no answered write: kill -9 the real binary during a
// stream of writes, restart it, and find every write that got a 2xx. And a
// SIGTERM drains in-flight requests and exits 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "core/crypto.hpp"
#include "http_client.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using linli::test::HttpClient;

namespace {

unsigned short free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class ServerProcess {
 public:
  ServerProcess(std::string url, std::string key, unsigned short port)
      : url_(std::move(url)), key_(std::move(key)), port_(port) {}
  ~ServerProcess() { kill_hard(); }

  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      auto listen = "127.0.0.1:" + std::to_string(port_);
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 2);
      execl(LINLI_BINARY, LINLI_BINARY, "serve", "--db", url_.c_str(), "--key-file", key_.c_str(),
            "--listen", listen.c_str(), "--web", "/nonexistent", nullptr);
      _exit(127);
    }
    HttpClient c(port_);
    for (int i = 0; i < 200; ++i) {
      try {
        if (c.get("/readyz").status == 200) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "server did not become ready";
  }
  void kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int terminate() {
    int status = 0;
    ::kill(pid_, SIGTERM);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string url_, key_;
  unsigned short port_;
  pid_t pid_ = -1;
};

class CrashTest : public StoreParamTest {
 protected:
  void SetUp() override {
    StoreParamTest::SetUp();
    if (IsSkipped()) return;
    setenv("LINLI_FAST_HASH", "1", 1);
    dir_ =
        fs::temp_directory_path() / ("linli-crash-" + std::to_string(getpid()) + "-" + GetParam());
    fs::create_directories(dir_);
    url_ = fresh_store_url(GetParam());
    key_ = (dir_ / "linli.key").string();
    auto cmd = std::string(LINLI_BINARY) + " demo --db '" + url_ + "' --key-file " + key_ +
               " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
  std::string url_, key_;
};

TEST_P(CrashTest, KillNineLosesNoAnsweredWrite) {
  auto port = free_port();
  ServerProcess server(url_, key_, port);
  server.start();
  HttpClient c(port);
  auto token = c.login("community1", "Linli@2026");
  ASSERT_FALSE(token.empty());
  auto households = c.get("/api/v1/households?limit=1", token).json();
  auto household = households["items"][0]["id"].get<std::int64_t>();
  std::mt19937 rng(std::random_device{}());
  std::mutex mu;
  std::vector<std::string> acknowledged;
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> dead{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t)
      writers.emplace_back([&, t] {
        for (int i = 0; !dead; ++i) {
          auto name =
              "压测" + std::to_string(round) + "-" + std::to_string(t) + "-" + std::to_string(i);
          try {
            auto r = c.post("/api/v1/residents",
                            {{"household_id", household}, {"name", name}, {"gender", "男"}}, token);
            if (r.status == 201) {
              std::lock_guard lock(mu);
              acknowledged.push_back(name);
            } else if (r.status == 0) {
              return;
            }
          } catch (const std::exception&) {
            return;  // connection refused: the server is gone
          }
        }
      });
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
    server.kill_hard();
    dead = true;
    for (auto& w : writers) w.join();
    server.start();
    token = c.login("community1", "Linli@2026");
    ASSERT_FALSE(token.empty());
  }
  server.kill_hard();
  ASSERT_GT(acknowledged.size(), 10u) << "the load never got going";
  auto db = open_migrated(url_);
  for (const auto& name : acknowledged) {
    auto r = db->one("SELECT count(*) AS n FROM residents WHERE name = $1", {name});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->i64("n"), 1) << name << " was answered 201 but is missing";
  }
  if (GetParam() == "sqlite") {
    auto ok = db->one("PRAGMA integrity_check");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->str("integrity_check"), "ok");
  }
  db->close();
}

TEST_P(CrashTest, SigtermDrainsAndExitsZero) {
  auto port = free_port();
  ServerProcess server(url_, key_, port);
  server.start();
  HttpClient c(port);
  auto token = c.login("community1", "Linli@2026");
  std::atomic<int> answered{0}, sent{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        try {
          ++sent;
          auto r = c.get("/api/v1/residents?limit=50", token);
          if (r.status == 200) ++answered;
        } catch (const std::exception&) {
          return;
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(server.terminate(), 0);
  for (auto& t : clients) t.join();
  EXPECT_GT(answered.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Store, CrashTest, ::testing::ValuesIn(store_kinds()), store_param_name);

}  // namespace
