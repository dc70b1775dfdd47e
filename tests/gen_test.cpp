// `linli gen`: the synthetic city is deterministic for a seed, has the sizes
// asked for, keeps the invariants of real data, and a server serves it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "auth/totp.hpp"
#include "cases/kpis.hpp"
#include "core/clock.hpp"
#include "http_client.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using linli::store::Value;

namespace {

unsigned short free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class GenTest : public StoreParamTest {
 protected:
  void SetUp() override {
    StoreParamTest::SetUp();
    if (IsSkipped()) return;
    dir_ = fs::temp_directory_path() /
           ("linli-gen-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    key_ = (dir_ / "linli.key").string();
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string generate(long residents, long cases, unsigned seed) {
    auto url = fresh_store_url(GetParam());
    // The first city's accounts (the admin's second-factor secret) are kept.
    auto accounts = (dir_ / ("accounts-" + std::to_string(generated_++) + ".json")).string();
    auto cmd = std::string(LINLI_BINARY) + " gen --db '" + url + "' --key-file " + key_ +
               " --residents " + std::to_string(residents) + " --cases " + std::to_string(cases) +
               " --years 2 --now 2026-11-01 --seed " + std::to_string(seed) + " --accounts-json " +
               accounts + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return url;
  }
  // Every row of the generated tables, sealed columns left out (each seal
  // draws a fresh nonce; the blind indexes and masks are compared).
  static std::string content(linli::store::Db& db) {
    std::string out;
    const char* tables[][2] = {{"nodes", "id"},
                               {"households", "id"},
                               {"residents", "id"},
                               {"party_orgs", "id"},
                               {"party_members", "id"},
                               {"orgs", "id"},
                               {"org_nodes", "org_id, node_id"},
                               {"cases", "id"},
                               {"case_events", "id"},
                               {"case_whistles", "id"}};
    for (auto& t : tables) {
      auto rows = db.query(std::string("SELECT * FROM ") + t[0] + " ORDER BY " + t[1]);
      if (!rows) throw std::runtime_error(rows.error().detail);
      out += t[0];
      out += '\n';
      for (const auto& r : *rows) {
        for (std::size_t i = 0; i < r.size(); ++i) {
          if (r.names()[i].ends_with("_enc")) continue;
          const Value& v = r.at(i);
          if (auto* n = std::get_if<std::int64_t>(&v))
            out += std::to_string(*n);
          else if (auto* d = std::get_if<double>(&v))
            out += std::to_string(*d);
          else if (auto* s = std::get_if<std::string>(&v))
            out += *s;
          else
            out += "∅";
          out += '|';
        }
        out += '\n';
      }
    }
    return out;
  }
  static inline int counter_ = 0;
  fs::path dir_;
  int generated_ = 0;
  std::string key_;
};

std::int64_t count(linli::store::Db& db, const std::string& sql) {
  auto r = db.one(sql);
  if (!r) throw std::runtime_error(r.error().detail);
  return r->i64("n");
}

TEST_P(GenTest, SameSeedSameCityWithTheCountsAsked) {
  auto a = generate(3000, 2000, 7);
  auto b = generate(3000, 2000, 7);
  auto c = generate(3000, 2000, 8);
  auto da = open_migrated(a), db = open_migrated(b), dc = open_migrated(c);
  std::string ca = content(*da);
  EXPECT_EQ(ca, content(*db));
  EXPECT_NE(ca, content(*dc));
  // The demo city (about 540 residents) comes first, then the generated one.
  EXPECT_EQ(count(*da, "SELECT COUNT(*) AS n FROM cases"), 2000);
  // The search index holds every generated case (filled inside the bulk load).
  for (std::string term : {"电梯", "楼道", "漏水"}) {
    auto indexed =
        count(*da, GetParam() == "sqlite"
                       ? "SELECT COUNT(*) AS n FROM case_search WHERE case_search MATCH '\"" +
                             term + "\"'"
                       : "SELECT COUNT(*) AS n FROM case_search WHERE terms @@ CAST('" + term +
                             "' AS tsquery)");
    auto like = "'%" + term + "%'";
    EXPECT_EQ(indexed, count(*da, "SELECT COUNT(*) AS n FROM cases WHERE title LIKE " + like +
                                      " OR description LIKE " + like + " OR address LIKE " + like))
        << term;
    EXPECT_GT(indexed, 0) << term;
  }
  // Residents: the generated ones hang under the generated streets (the demo
  // has two), exactly as many as asked.
  EXPECT_EQ(count(*da,
                  "SELECT COUNT(*) AS n FROM residents WHERE node_path NOT LIKE (SELECT path FROM "
                  "nodes WHERE kind = 'street' ORDER BY id LIMIT 1) || '%' AND node_path NOT LIKE "
                  "(SELECT path FROM nodes WHERE kind = 'street' ORDER BY id LIMIT 1 OFFSET 1) "
                  "|| '%'"),
            3000);
  // The loop's invariants: every case has its timeline, closed cases carry
  // their close, none is dated after now, mixes are plausible.
  EXPECT_EQ(count(*da,
                  "SELECT COUNT(*) AS n FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events "
                  "e WHERE e.case_id = c.id)"),
            0);
  EXPECT_EQ(count(*da,
                  "SELECT COUNT(*) AS n FROM cases WHERE state IN ('closed','rejected','merged') "
                  "AND closed_at IS NULL"),
            0);
  EXPECT_EQ(count(*da, "SELECT COUNT(*) AS n FROM cases WHERE updated_at > 1793462400000"), 0);
  auto closed = count(*da, "SELECT COUNT(*) AS n FROM cases WHERE state = 'closed'");
  EXPECT_GT(closed, 1400);
  EXPECT_LT(closed, 1950);
  EXPECT_GT(count(*da, "SELECT COUNT(*) AS n FROM case_whistles"), 20);
  EXPECT_GT(count(*da, "SELECT COUNT(*) AS n FROM cases WHERE rating = 'satisfied'"), 500);
  EXPECT_GT(count(*da, "SELECT COUNT(DISTINCT channel) AS n FROM cases"), 4);
  EXPECT_GT(count(*da, "SELECT COUNT(*) AS n FROM party_members"), 100);
  // Phone and ID numbers are sealed like real data: masks and blind indexes.
  EXPECT_EQ(
      count(*da, "SELECT COUNT(*) AS n FROM residents WHERE id_enc IS NULL OR id_hash IS NULL"), 0);
  // Each case's whistle count (written by gen, not by the triggers) is right.
  EXPECT_EQ(count(*da,
                  "SELECT COUNT(*) AS n FROM cases c WHERE c.whistle_count <> (SELECT COUNT(*) "
                  "FROM case_whistles w WHERE w.case_id = c.id)"),
            0);
  EXPECT_GT(count(*da, "SELECT COUNT(*) AS n FROM cases WHERE whistle_count > 0"), 10);
  // The KPI roll-ups gen summed while drawing equal the full recount.
  auto rollups = [](linli::store::Db& d) {
    std::string out;
    for (const char* sql : {"SELECT * FROM case_kpi_days ORDER BY node_id, day",
                            "SELECT * FROM case_kpi_whistle_days ORDER BY node_id, day, org_id"}) {
      auto rows = d.query(sql);
      if (!rows) throw std::runtime_error(rows.error().detail);
      for (const auto& r : *rows) {
        for (std::size_t i = 0; i < r.size(); ++i) out += std::to_string(r.i64(r.names()[i])) + " ";
        out += "\n";
      }
    }
    return out;
  };
  std::string summed = rollups(*da);
  EXPECT_GT(summed.size(), 1000u);
  ASSERT_TRUE(linli::cases::rebuild_kpi_rollups(*da));
  EXPECT_EQ(summed, rollups(*da));
  da->close(), db->close(), dc->close();

  // A server serves it: the demo logins work and see the generated cases.
  auto port = free_port();
  pid_t pid = fork();
  if (pid == 0) {
    auto listen = "127.0.0.1:" + std::to_string(port);
    // Not the test's stdout: ctest waits for every holder of that pipe.
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(LINLI_BINARY, LINLI_BINARY, "serve", "--db", a.c_str(), "--key-file", key_.c_str(),
          "--listen", listen.c_str(), "--web", "/nonexistent", nullptr);
    _exit(127);
  }
  // However the test ends, the server goes with it.
  std::unique_ptr<pid_t, void (*)(pid_t*)> reaper(&pid, [](pid_t* p) {
    ::kill(*p, SIGTERM);
    waitpid(*p, nullptr, 0);
  });
  linli::test::HttpClient client(port);
  bool ready = false;
  for (int i = 0; i < 400 && !ready; ++i) {
    try {
      ready = client.get("/readyz").status == 200;
    } catch (const std::exception&) {
    }
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready);
  // The admin signs in with password and second factor, as gen wrote them.
  std::string secret;
  for (const auto& acc : nlohmann::json::parse(std::ifstream(dir_ / "accounts-0.json")))
    if (acc["username"] == "admin") secret = acc.value("totp_secret", "");
  ASSERT_FALSE(secret.empty()) << "gen writes the admin's TOTP secret";
  auto half =
      client.post("/api/v1/auth/login", {{"username", "admin"}, {"password", "Linli@2026"}});
  ASSERT_EQ(half.status, 200) << half.body;
  auto code =
      linli::auth::totp::code_at(secret, linli::auth::totp::step_of(linli::clock::now_ms()));
  auto full = client.post("/api/v1/auth/login/totp", {{"code", code}},
                          half.json()["token"].get<std::string>());
  ASSERT_EQ(full.status, 200) << full.body;
  auto token = full.json()["token"].get<std::string>();
  auto list = client.get("/api/v1/cases?limit=5", token);
  EXPECT_EQ(list.status, 200) << list.body;
  auto body = list.json();
  ASSERT_FALSE(body["items"].empty());
  auto id = body["items"][0]["id"].get<std::int64_t>();
  EXPECT_EQ(client.get("/api/v1/cases/" + std::to_string(id), token).status, 200);
}

LINLI_STORE_TESTS(GenTest);

}  // namespace
