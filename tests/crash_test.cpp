// A killed server loses no answered write: kill -9 the real binary during a
// stream of writes, restart it, and find every write that got a 2xx. And a
// SIGTERM drains in-flight requests and exits 0.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "auth/principal.hpp"
#include "core/calendar.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using linli::test::free_port;
using linli::test::HttpClient;
using linli::test::ServerProcess;
using nlohmann::json;

namespace {

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
  ASSERT_TRUE(server.start());
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
    ASSERT_TRUE(server.start());
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
  ASSERT_TRUE(server.start());
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

// Valid ID numbers, unique per n: region 110105, a birth date and a
// sequence derived from n, check digit computed.
std::string crash_id(int n) {
  int k = n / 900;
  auto base = fmt::format("110105{:04d}{:02d}{:02d}{:03d}", 1960 + k / 336, 1 + (k / 28) % 12,
                          1 + k % 28, 100 + n % 900);
  static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (base[i] - '0') * w[i];
  return base + "10X98765432"[sum % 11];
}

// What the load was told. "ok" answered 2xx, "err" answered an error status
// (must have changed nothing), "unknown" got no answer (the kill).
struct Outcomes {
  std::mutex mu;
  std::vector<std::string> residents_ok, residents_err, cases_ok, cases_err, deeds_ok, deeds_err;
  std::vector<std::int64_t> accepted_ok, accepted_err, approved_ok, approved_err;
  std::vector<std::vector<std::string>> imports_ok, imports_err, imports_unknown;
  std::int64_t orders_ok = 0, orders_unknown = 0;
  void clear_round() {
    residents_ok.clear(), residents_err.clear(), cases_ok.clear(), cases_err.clear();
    deeds_ok.clear(), deeds_err.clear(), accepted_ok.clear(), accepted_err.clear();
    approved_ok.clear(), approved_err.clear();
    imports_ok.clear(), imports_err.clear(), imports_unknown.clear();
  }
};

bool ok2xx(int s) { return s >= 200 && s < 300; }

// A refused connection (the server is dead) reads as no answer: status 0.
linli::test::HttpResult request_safe(const HttpClient& c, const std::string& method,
                                     const std::string& target, const std::string& body,
                                     const std::string& token,
                                     const std::map<std::string, std::string>& headers) {
  try {
    return c.request(method, target, body, token, headers);
  } catch (const std::exception&) {
    return {};
  }
}
linli::test::HttpResult post_safe(const HttpClient& c, const std::string& target, const json& body,
                                  const std::string& token) {
  return request_safe(c, "POST", target, body.dump(), token,
                      {{"content-type", "application/json"}});
}

// kill -9 at random moments under a mixed write load: residents, case intake
// and acceptance, points deeds and their approval, shop redemptions and CSV
// imports. After every restart each 2xx write is there, each refused one
// left nothing behind, an import is all or nothing and the points ledger
// balances; at the end the store's own integrity checks pass.
TEST_P(CrashTest, MixedLoadSurvivesRepeatedKillNine) {
  // 20 kills per store in the ordinary build; the sanitizer pass of CI runs
  // the same code several times slower, so it makes fewer.
#if defined(__SANITIZE_ADDRESS__)
  int kills = 6;
#else
  int kills = 20;
#endif
  if (const char* k = std::getenv("LINLI_CRASH_KILLS")) kills = std::max(1, std::atoi(k));
  auto port = free_port();
  ServerProcess server(url_, key_, port, (dir_ / "server.log").string());
  ASSERT_TRUE(server.start());
  HttpClient c(port);
  auto staff = c.login("community1", "Linli@2026");
  auto resident_tok = c.login("resident1", "Linli@2026");
  ASSERT_FALSE(staff.empty());
  ASSERT_FALSE(resident_tok.empty());
  auto db = open_migrated(url_);
  auto me = c.get("/api/v1/auth/me", staff).json();
  auto community = me["roles"][0]["node_id"].get<std::int64_t>();
  auto resident =
      db->one("SELECT resident_id FROM users WHERE username = 'resident1'")->i64("resident_id");
  auto households = c.get("/api/v1/households?limit=1", staff).json();
  auto household = households["items"][0]["id"].get<std::int64_t>();
  auto category = db->one("SELECT id FROM case_categories WHERE code = 'env.garbage'")->i64("id");
  auto cpath = db->one("SELECT path FROM nodes WHERE id = $1", {community})->str("path");
  auto station = db->one(
                       "SELECT min(o.id) AS id FROM orgs o JOIN nodes n ON n.id = o.node_id "
                       "WHERE o.kind = 'station' AND n.path >= $1 AND n.path < $2",
                       {cpath, linli::auth::subtree_end(cpath)})
                     ->i64("id");
  auto grid_id = db->one(
      "SELECT id, name FROM nodes WHERE kind = 'grid' AND path >= $1 AND path "
      "< $2 ORDER BY id",
      {cpath, linli::auth::subtree_end(cpath)});
  auto building =
      db->one("SELECT id, name FROM nodes WHERE parent_id = $1 ORDER BY id", {grid_id->i64("id")});
  auto unit =
      db->one("SELECT name FROM nodes WHERE parent_id = $1 ORDER BY id", {building->i64("id")});
  auto put_rule = [&](const std::string& code, int points, bool automatic) {
    auto r = c.request("PUT", "/api/v1/points/rules?community=" + std::to_string(community),
                       json{{"code", code},
                            {"name", "压测" + code},
                            {"kind", "positive"},
                            {"points", points},
                            {"automatic", automatic},
                            {"recorders", "community_staff"}}
                           .dump(),
                       staff, {{"content-type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
  };
  put_rule("crashgrant", 1000, true);
  put_rule("crashdeed", 1, false);
  std::string day = linli::calendar::shanghai_day(linli::clock::now_ms());
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(
        c.post("/api/v1/points/deeds",
               {{"resident_id", resident}, {"rule_code", "crashgrant"}, {"deed_date", day}}, staff)
            .status,
        201);
  auto item_r = c.post(
      "/api/v1/points/items",
      {{"station_id", station}, {"name", "压测肥皂"}, {"points_price", 1}, {"stock", 100000}},
      staff);
  ASSERT_EQ(item_r.status, 201) << item_r.body;
  auto item = item_r.json()["id"].get<std::int64_t>();
  std::string csv_head =
      "姓名,性别,出生日期,与户主关系,手机号,身份证号,网格,楼栋,单元,房号,标签\r\n";
  std::string place =
      "," + grid_id->str("name") + "," + building->str("name") + "," + unit->str("name") + ",";

  std::mt19937 rng(std::random_device{}());
  Outcomes out;
  std::atomic<int> id_seq{static_cast<int>(rng() % 1000) * 40};
  std::int64_t total_acked = 0, total_refused = 0, imports_acked = 0;
  auto count = [&](const std::string& sql, const linli::store::Params& p) {
    auto r = db->one(sql, p);
    if (!r) throw std::runtime_error(r.error().detail);
    return r->i64("n");
  };
  for (int round = 0; round < kills; ++round) {
    std::atomic<bool> dead{false};
    std::vector<std::thread> writers;
    auto tag = std::to_string(round);
    // Each thread stops at its first unanswered request: the server is gone.
    writers.emplace_back([&] {
      for (int i = 0; !dead; ++i) {
        auto name = "崩" + tag + "-" + std::to_string(i);
        auto r = post_safe(c, "/api/v1/residents",
                           {{"household_id", household}, {"name", name}, {"gender", "男"}}, staff);
        if (r.status == 0) return;
        std::lock_guard lock(out.mu);
        (ok2xx(r.status) ? out.residents_ok : out.residents_err).push_back(name);
      }
    });
    writers.emplace_back([&] {
      for (int i = 0; !dead; ++i) {
        auto title = "压测案件" + tag + "-" + std::to_string(i);
        auto r = post_safe(c, "/api/v1/cases",
                           {{"title", title},
                            {"description", "压测：楼道堆放杂物，影响通行"},
                            {"category_id", category},
                            {"household_id", household},
                            {"channel", "hotline"}},
                           staff);
        if (r.status == 0) return;
        {
          std::lock_guard lock(out.mu);
          (ok2xx(r.status) ? out.cases_ok : out.cases_err).push_back(title);
        }
        if (!ok2xx(r.status)) continue;
        auto id = r.json()["id"].get<std::int64_t>();
        auto a = post_safe(c, "/api/v1/cases/" + std::to_string(id) + "/actions/accept",
                           json::object(), staff);
        if (a.status == 0) return;
        std::lock_guard lock(out.mu);
        (ok2xx(a.status) ? out.accepted_ok : out.accepted_err).push_back(id);
      }
    });
    writers.emplace_back([&] {
      for (int i = 0; !dead; ++i) {
        auto note = "压测好事" + tag + "-" + std::to_string(i);
        auto r = post_safe(c, "/api/v1/points/deeds",
                           {{"resident_id", resident},
                            {"rule_code", "crashdeed"},
                            {"deed_date", day},
                            {"note", note}},
                           staff);
        if (r.status == 0) return;
        {
          std::lock_guard lock(out.mu);
          (ok2xx(r.status) ? out.deeds_ok : out.deeds_err).push_back(note);
        }
        if (!ok2xx(r.status)) continue;
        auto id = r.json()["id"].get<std::int64_t>();
        auto a = post_safe(c, "/api/v1/points/review",
                           {{"items", {{{"deed_id", id}, {"decision", "approve"}}}}}, staff);
        if (a.status == 0) return;
        std::lock_guard lock(out.mu);
        (ok2xx(a.status) ? out.approved_ok : out.approved_err).push_back(id);
      }
    });
    writers.emplace_back([&] {
      for (int i = 0; !dead; ++i) {
        if (i % 3 == 2) {
          std::vector<std::string> names;
          std::string body = csv_head;
          for (int j = 0; j < 3; ++j) {
            auto id = crash_id(id_seq++);
            names.push_back("导" + tag + "-" + std::to_string(i) + "-" + std::to_string(j));
            body += names.back() + "," + (((id[16] - '0') % 2) ? "男" : "女") + ",,,," + id +
                    place + std::to_string(7000 + i) + ",\r\n";
          }
          auto r = request_safe(c, "POST", "/api/v1/import/residents?dry_run=false", body, staff,
                                {{"content-type", "text/csv"}});
          std::lock_guard lock(out.mu);
          if (r.status == 0) {
            out.imports_unknown.push_back(names);
            return;
          }
          (ok2xx(r.status) ? out.imports_ok : out.imports_err).push_back(names);
          continue;
        }
        auto r = post_safe(c, "/api/v1/points/items/" + std::to_string(item) + "/order",
                           json::object(), resident_tok);
        std::lock_guard lock(out.mu);
        if (r.status == 0) {
          ++out.orders_unknown;
          return;
        }
        if (ok2xx(r.status)) ++out.orders_ok;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 700));
    server.kill_hard();
    dead = true;
    for (auto& w : writers) w.join();
    ASSERT_TRUE(server.start()) << "restart " << round << " failed";

    // Every answered write is there; every refused one left nothing.
    for (const auto& n : out.residents_ok)
      EXPECT_EQ(count("SELECT count(*) AS n FROM residents WHERE name = $1", {n}), 1) << n;
    for (const auto& n : out.residents_err)
      EXPECT_EQ(count("SELECT count(*) AS n FROM residents WHERE name = $1", {n}), 0) << n;
    for (const auto& t : out.cases_ok)
      EXPECT_EQ(count("SELECT count(*) AS n FROM cases WHERE title = $1", {t}), 1) << t;
    for (const auto& t : out.cases_err)
      EXPECT_EQ(count("SELECT count(*) AS n FROM cases WHERE title = $1", {t}), 0) << t;
    auto accepts = "SELECT count(*) AS n FROM case_events WHERE case_id = $1 AND action = 'accept'";
    for (auto id : out.accepted_ok) EXPECT_EQ(count(accepts, {id}), 1) << "case " << id;
    for (auto id : out.accepted_err) EXPECT_EQ(count(accepts, {id}), 0) << "case " << id;
    for (const auto& n : out.deeds_ok)
      EXPECT_EQ(count("SELECT count(*) AS n FROM points_deeds WHERE note = $1", {n}), 1) << n;
    for (const auto& n : out.deeds_err)
      EXPECT_EQ(count("SELECT count(*) AS n FROM points_deeds WHERE note = $1", {n}), 0) << n;
    auto approved =
        "SELECT count(*) AS n FROM points_deeds d JOIN points_transfers t ON t.deed_id = d.id "
        "WHERE d.id = $1 AND d.state = 'approved'";
    for (auto id : out.approved_ok) EXPECT_EQ(count(approved, {id}), 1) << "deed " << id;
    for (auto id : out.approved_err) {
      EXPECT_EQ(count(approved, {id}), 0) << "deed " << id;
      EXPECT_EQ(count("SELECT count(*) AS n FROM points_transfers WHERE deed_id = $1", {id}), 0);
    }
    auto in_db = [&](const std::vector<std::string>& names) {
      std::int64_t n = 0;
      for (const auto& name : names)
        n += count("SELECT count(*) AS n FROM residents WHERE name = $1", {name});
      return n;
    };
    for (const auto& names : out.imports_ok) EXPECT_EQ(in_db(names), 3) << names[0];
    for (const auto& names : out.imports_err) EXPECT_EQ(in_db(names), 0) << names[0];
    for (const auto& names : out.imports_unknown) {
      auto n = in_db(names);
      EXPECT_TRUE(n == 0 || n == 3) << names[0] << ": an import half applied (" << n << "/3)";
    }
    auto orders = count(
        "SELECT count(*) AS n FROM redemptions WHERE item_id = $1 AND state = 'ordered'", {item});
    EXPECT_GE(orders, out.orders_ok);
    EXPECT_LE(orders, out.orders_ok + out.orders_unknown);
    auto check = c.get("/api/v1/points/ledger/check", staff);
    ASSERT_EQ(check.status, 200) << check.body;
    EXPECT_TRUE(check.json()["ok"].get<bool>()) << check.body;
    total_acked += static_cast<std::int64_t>(out.residents_ok.size() + out.cases_ok.size() +
                                             out.accepted_ok.size() + out.deeds_ok.size() +
                                             out.approved_ok.size() + out.imports_ok.size());
    total_refused += static_cast<std::int64_t>(out.residents_err.size() + out.cases_err.size() +
                                               out.accepted_err.size() + out.deeds_err.size() +
                                               out.approved_err.size() + out.imports_err.size());
    imports_acked += static_cast<std::int64_t>(out.imports_ok.size());
    out.clear_round();
    if (HasFailure()) break;
  }
  server.kill_hard();
  std::cerr << "[crash] " << kills << " kills, " << total_acked << " acknowledged writes (+"
            << out.orders_ok << " orders, " << imports_acked << " imports), " << total_refused
            << " refused\n";
  EXPECT_GT(total_acked, 10 * kills / 4) << "the load never got going";
  EXPECT_GT(out.orders_ok, 0);
  EXPECT_GT(imports_acked, 0);
  if (GetParam() == "sqlite") {
    auto ok = db->one("PRAGMA integrity_check");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->str("integrity_check"), "ok");
  } else {
    ASSERT_TRUE(db->exec_script("CREATE EXTENSION IF NOT EXISTS amcheck"));
    auto checked = db->one(
        "SELECT count(*) AS n FROM (SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN "
        "pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace "
        "ns ON ns.oid = c.relnamespace WHERE am.amname = 'btree' AND ns.nspname = 'public') x");
    ASSERT_TRUE(checked) << checked.error().detail;  // amcheck raises on a corrupt index
    EXPECT_GT(checked->i64("n"), 20);
  }
  db->close();
}

INSTANTIATE_TEST_SUITE_P(Store, CrashTest, ::testing::ValuesIn(store_kinds()), store_param_name);

}  // namespace
