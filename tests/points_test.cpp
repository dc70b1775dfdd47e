// Points over real HTTP on every store: the ledger's invariants under random
// sequences, 50 concurrent redemptions, the monthly cycle with an objection,
// one-time merchant codes, and scope.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "core/calendar.hpp"
#include "core/clock.hpp"

using linli::test::ApiEnv;
using nlohmann::json;

namespace {

class PointsTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  std::string tok(const std::string& role) {
    auto it = tokens_.find(role);
    if (it != tokens_.end()) return it->second;
    return tokens_[role] = env().token(role);
  }
  std::int64_t community() { return env().accounts["community_staff"].node; }
  // A resident of the building head's building with an account of their
  // own and no points yet, so each test starts from a known balance.
  std::int64_t resident_id() {
    if (me_) return me_;
    me_ = fresh_resident();
    auto unit = env()
                    .db
                    ->one(
                        "SELECT h.node_id FROM residents r JOIN households h ON h.id = "
                        "r.household_id WHERE r.id = $1",
                        {me_})
                    ->i64("node_id");
    auto name = "points_" + std::to_string(me_);
    auto r = http().post("/api/v1/users",
                         {{"username", name},
                          {"display_name", "测试居民"},
                          {"password", "Passw0rd!x"},
                          {"resident_id", me_},
                          {"roles", {{{"role", "resident"}, {"node_id", unit}}}}},
                         tok("admin"));
    EXPECT_EQ(r.status, 201) << r.body;
    tokens_["resident"] = http().login(name, "Passw0rd!x");
    return me_;
  }
  // A resident of the building head's building with no account and no
  // points. The demo building holds a few dozen; tests run in one process
  // (linli_tests --gtest_filter) use them up, so one is registered then.
  std::int64_t fresh_resident() {
    auto building = env().path_of(env().accounts["building_head"].node);
    const linli::store::Params within{building, linli::auth::subtree_end(building)};
    auto unused = env().db->one(
        "SELECT min(r.id) AS id FROM residents r WHERE r.node_path >= $1 AND r.node_path < $2 "
        "AND NOT EXISTS (SELECT 1 FROM users u WHERE u.resident_id = r.id) AND NOT EXISTS "
        "(SELECT 1 FROM points_accounts a WHERE a.kind = 'resident' AND a.ref_id = r.id)",
        within);
    if (unused && !unused->is_null("id")) return unused->i64("id");
    auto household = env().db->one(
        "SELECT min(id) AS id FROM households WHERE node_path >= $1 AND node_path < $2", within);
    if (!household || household->is_null("id"))
      throw std::runtime_error("no household in " + building);
    auto r = http().post("/api/v1/residents",
                         {{"household_id", household->i64("id")},
                          {"name", "测试居民"},
                          {"gender", "女"},
                          {"relation", "其他"}},
                         tok("admin"));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("id", std::int64_t{0});
  }
  std::string today() { return linli::calendar::shanghai_day(linli::clock::now_ms()); }
  // An automatic rule worth `points`, so a deed moves points at once.
  void grant_rule(const std::string& code, int points) {
    auto r = http().request("PUT", "/api/v1/points/rules?community=" + std::to_string(community()),
                            json{{"code", code},
                                 {"name", "测试" + code},
                                 {"kind", points > 0 ? "positive" : "negative"},
                                 {"points", points},
                                 {"automatic", true},
                                 {"recorders", "community_staff"}}
                                .dump(),
                            tok("community_staff"), {{"content-type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void give(std::int64_t resident, const std::string& rule) {
    auto r = http().post("/api/v1/points/deeds",
                         {{"resident_id", resident}, {"rule_code", rule}, {"deed_date", today()}},
                         tok("community_staff"));
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::int64_t balance(std::int64_t resident) {
    return http()
        .get("/api/v1/points/balance?resident=" + std::to_string(resident), tok("community_staff"))
        .json()["balance"];
  }
  std::int64_t station() {
    auto path = env().path_of(community());
    return env()
        .db
        ->one(
            "SELECT min(o.id) AS id FROM orgs o JOIN nodes n ON n.id = o.node_id WHERE "
            "o.kind = 'station' AND n.path >= $1 AND n.path < $2",
            {path, linli::auth::subtree_end(path)})
        ->i64("id");
  }
  std::int64_t add_item(int price, int stock) {
    auto r = http().post(
        "/api/v1/points/items",
        {{"station_id", station()}, {"name", "洗衣液"}, {"points_price", price}, {"stock", stock}},
        tok("community_staff"));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["id"];
  }
  void expect_ledger_ok() {
    auto check = http().get("/api/v1/points/ledger/check", tok("community_staff"));
    ASSERT_EQ(check.status, 200) << check.body;
    EXPECT_TRUE(check.json()["ok"].get<bool>()) << check.body;
  }
  std::map<std::string, std::string> tokens_;
  std::int64_t me_ = 0;
};

TEST_P(PointsTest, FiftyConcurrentRedemptionsNeverOverdraw) {
  grant_rule("grant200", 200);
  auto me = resident_id();
  give(me, "grant200");
  ASSERT_EQ(balance(me), 200);
  // Points run out first: 200 / 10 = 20 of 50 succeed.
  auto item = add_item(10, 30);
  auto resident = tok("resident");
  auto storm = [&](std::int64_t id) {
    std::atomic<int> ok{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i)
      threads.emplace_back([&] {
        auto r = http().post("/api/v1/points/items/" + std::to_string(id) + "/order",
                             json::object(), resident);
        if (r.status == 201)
          ++ok;
        else if (r.status == 409)
          ++refused;
      });
    for (auto& t : threads) t.join();
    return std::make_pair(ok.load(), refused.load());
  };
  auto [ok1, no1] = storm(item);
  EXPECT_EQ(ok1, 20);
  EXPECT_EQ(no1, 30);
  EXPECT_EQ(balance(me), 0);
  // Stock runs out first: 7 items, plenty of points.
  grant_rule("grant900", 900);
  give(me, "grant900");
  auto scarce = add_item(1, 7);
  auto [ok2, no2] = storm(scarce);
  EXPECT_EQ(ok2, 7);
  EXPECT_EQ(no2, 43);
  EXPECT_EQ(balance(me), 893);
  auto items = http().get("/api/v1/points/items", resident).json();
  for (const auto& i : items) {
    if (i["id"] == scarce) {
      EXPECT_EQ(i["stock"], 0);
    }
  }
  expect_ledger_ok();
}

TEST_P(PointsTest, LedgerInvariantsHoldAfterRandomSequences) {
  grant_rule("plus15", 15);
  grant_rule("minus25", -25);
  auto me = resident_id();
  auto item = add_item(12, 1000);
  std::mt19937 rng(GetParam() == "sqlite" ? 7 : 11);
  std::vector<std::int64_t> orders;
  std::int64_t expected = 0;
  for (int step = 0; step < 60; ++step) {
    int op = static_cast<int>(rng() % 4);
    if (op == 0) {
      give(me, "plus15");
      expected += 15;
    } else if (op == 1) {
      give(me, "minus25");  // a penalty takes no more than the resident holds
      expected -= std::min<std::int64_t>(25, expected);
    } else if (op == 2) {
      auto r = http().post("/api/v1/points/items/" + std::to_string(item) + "/order",
                           json::object(), tok("resident"));
      if (expected >= 12) {
        ASSERT_EQ(r.status, 201) << r.body;
        orders.push_back(r.json()["id"]);
        expected -= 12;
      } else {
        ASSERT_EQ(r.status, 409) << r.body;
        EXPECT_NE(r.json()["detail"].get<std::string>().find("积分不足"), std::string::npos);
      }
    } else if (!orders.empty()) {
      auto id = orders.back();
      orders.pop_back();
      auto r = http().post("/api/v1/points/redemptions/" + std::to_string(id) + "/cancel",
                           json::object(), tok("resident"));
      ASSERT_EQ(r.status, 200) << r.body;
      expected += 12;
    }
    ASSERT_EQ(balance(me), expected) << "step " << step;
  }
  expect_ledger_ok();
  // The balance is the sum of the account's entries, nothing stored.
  auto history = http().get("/api/v1/points/balance", tok("resident")).json();
  std::int64_t sum = 0;
  for (const auto& h : history["history"]) sum += h["delta"].get<std::int64_t>();
  EXPECT_EQ(sum, history["balance"].get<std::int64_t>());
}

TEST_P(PointsTest, MonthlyCycleWithObjectionAndCorrection) {
  auto me = resident_id();
  // Last month: three deeds recorded by the building head.
  auto now = linli::clock::now_ms();
  auto last_month_day = linli::calendar::shanghai_day(now - 35LL * 86400000);
  auto month = last_month_day.substr(0, 7);
  auto head = tok("building_head");
  std::vector<std::int64_t> deeds;
  for (const char* rule : {"volunteer", "activity", "environment"}) {
    auto r = http().post("/api/v1/points/deeds",
                         {{"resident_id", me},
                          {"rule_code", rule},
                          {"deed_date", last_month_day},
                          {"note", "楼道清扫"}},
                         head);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["state"], "pending");
    deeds.push_back(r.json()["id"]);
  }
  auto staff = tok("community_staff");
  auto publish = [&] {
    return http().post("/api/v1/points/months", {{"community_id", community()}, {"month", month}},
                       staff);
  };
  EXPECT_EQ(publish().status, 409) << "pending deeds block publication";
  auto reviewed = http().post(
      "/api/v1/points/review",
      {{"items",
        {{{"deed_id", deeds[0]}, {"decision", "approve"}},
         {{"deed_id", deeds[1]}, {"decision", "adjust"}, {"points", 3}, {"reason", "只参加了半场"}},
         {{"deed_id", deeds[2]}, {"decision", "reject"}, {"reason", "重复记录"}}}}},
      staff);
  ASSERT_EQ(reviewed.status, 200) << reviewed.body;
  EXPECT_EQ(balance(me), 10 + 3);
  auto published = publish();
  ASSERT_EQ(published.status, 201) << published.body;
  EXPECT_EQ(publish().status, 409) << "a month is published once";
  auto snapshot = published.json();
  EXPECT_EQ(snapshot["sum"], 13);
  EXPECT_EQ(snapshot["entries"].size(), 2u);
  EXPECT_NE(snapshot["chat_text"].get<std::string>().find("如有异议"), std::string::npos);
  // Names on the notice board are masked.
  for (const auto& e : snapshot["entries"])
    EXPECT_NE(e["resident"].get<std::string>().find("*"), std::string::npos);
  // Recording into a published month is refused.
  EXPECT_EQ(
      http()
          .post("/api/v1/points/deeds",
                {{"resident_id", me}, {"rule_code", "volunteer"}, {"deed_date", last_month_day}},
                head)
          .status,
      409);
  // The resident objects; the community upholds it with a correction.
  auto obj = http().post("/api/v1/points/objections",
                         {{"deed_id", deeds[0]}, {"reason", "那天我没有参加"}}, tok("resident"));
  ASSERT_EQ(obj.status, 201) << obj.body;
  auto resolved = http().post(
      "/api/v1/points/objections/" + std::to_string(obj.json()["id"].get<std::int64_t>()) +
          "/resolve",
      {{"upheld", true}, {"resolution", "核实未参加，扣回"}, {"correction", -10}}, staff);
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(balance(me), 3);
  // The published month is exactly as it was; the correction sits in the
  // current month and cites the original.
  auto view = http().get("/api/v1/points/months/" + std::to_string(community()) + "/" + month,
                         tok("resident"));
  ASSERT_EQ(view.status, 200) << view.body;
  auto again = view.json();
  again.erase("state");
  snapshot.erase("state");
  EXPECT_EQ(again, snapshot);
  auto corrections =
      http().get("/api/v1/points/deeds?resident=" + std::to_string(me), staff).json();
  bool found = false;
  for (const auto& d : corrections)
    if (!d["corrects_deed_id"].is_null()) {
      EXPECT_EQ(d["corrects_deed_id"], deeds[0]);
      EXPECT_EQ(d["month"], today().substr(0, 7));
      EXPECT_NE(d["month"], month);
      found = true;
    }
  EXPECT_TRUE(found);
  expect_ledger_ok();
}

// The deeds list (一月一评's page) shows every deed of the community as the
// tables hold it, newest first, each field where the console reads it.
TEST_P(PointsTest, DeedsListShowsEachDeedAsRecorded) {
  // Two deeds of today: one adjusted in review, one left pending.
  std::vector<std::int64_t> recorded;
  for (const char* note : {"帮邻居搬 \"米\"\n两袋", "楼道清扫"}) {
    auto r = http().post("/api/v1/points/deeds",
                         {{"resident_id", resident_id()},
                          {"rule_code", "volunteer"},
                          {"deed_date", today()},
                          {"note", note}},
                         tok("building_head"));
    ASSERT_EQ(r.status, 201) << r.body;
    recorded.push_back(r.json()["id"]);
  }
  auto reviewed_one = http().post(
      "/api/v1/points/review",
      {{"items",
        {{{"deed_id", recorded[0]}, {"decision", "adjust"}, {"points", 1}, {"reason", "半天"}}}}},
      tok("community_staff"));
  ASSERT_EQ(reviewed_one.status, 200) << reviewed_one.body;
  auto c = std::to_string(community());
  auto r = http().get("/api/v1/points/deeds?community=" + c, tok("community_staff"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = r.json();
  auto rows = env().db->query(
      "SELECT d.id, d.resident_id, r.name AS resident, h.address, u.name AS rule, u.kind, "
      "d.month, d.deed_date, d.points, d.final_points, d.note, d.state, d.review_reason, "
      "d.source, d.corrects_deed_id FROM points_deeds d JOIN residents r ON r.id = "
      "d.resident_id JOIN households h ON h.id = r.household_id JOIN points_rules u ON u.id = "
      "d.rule_id WHERE d.community_node_id = $1 ORDER BY d.id DESC LIMIT 2000",
      {community()});
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(list.size(), rows->size());
  ASSERT_GT(rows->size(), 0u) << "the demo city records deeds";
  int reviewed = 0, pending = 0;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    const auto& d = list[i];
    EXPECT_EQ(d.size(), 15u) << d;
    EXPECT_EQ(d["id"], row.i64("id"));
    EXPECT_EQ(d["resident_id"], row.i64("resident_id"));
    EXPECT_EQ(d["points"], row.i64("points"));
    for (const char* text : {"resident", "address", "rule", "kind", "month", "deed_date", "note",
                             "state", "review_reason", "source"})
      EXPECT_EQ(d[text], row.str(text)) << text << " of deed " << d["id"];
    for (const char* number : {"final_points", "corrects_deed_id"})
      if (row.is_null(number))
        EXPECT_TRUE(d[number].is_null()) << number << " of deed " << d["id"];
      else
        EXPECT_EQ(d[number], row.i64(number)) << number << " of deed " << d["id"];
    reviewed += !row.is_null("final_points");
    pending += row.str("state") == "pending";
  }
  EXPECT_GT(reviewed, 0) << "approved deeds carry their final points";
  EXPECT_GT(pending, 0) << "pending deeds carry none yet";
}

TEST_P(PointsTest, MerchantCodeWorksOnceAndOnlyAtItsMerchant) {
  grant_rule("grant100", 100);
  auto me = resident_id();
  give(me, "grant100");
  auto merchant = env().accounts["merchant"].org;
  auto m = tok("merchant");
  auto svc =
      http().post("/api/v1/points/services",
                  {{"merchant_id", merchant}, {"name", "免费洗车一次"}, {"points_price", 30}}, m);
  ASSERT_EQ(svc.status, 201) << svc.body;
  auto sid = std::to_string(svc.json()["id"].get<std::int64_t>());
  auto code =
      http().post("/api/v1/points/services/" + sid + "/code", json::object(), tok("resident"));
  ASSERT_EQ(code.status, 201) << code.body;
  auto c = code.json()["code"].get<std::string>();
  EXPECT_EQ(c.size(), 6u);
  EXPECT_EQ(balance(me), 100) << "points move when the merchant verifies";
  auto other =
      env()
          .db
          ->one("SELECT min(id) AS id FROM orgs WHERE kind = 'merchant' AND id <> $1", {merchant})
          ->i64("id");
  EXPECT_EQ(http().post("/api/v1/points/verify", {{"merchant_id", other}, {"code", c}}, m).status,
            403)
      << "a merchant verifies only for itself";
  auto ok = http().post("/api/v1/points/verify", {{"merchant_id", merchant}, {"code", c}}, m);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(balance(me), 70);
  auto twice = http().post("/api/v1/points/verify", {{"merchant_id", merchant}, {"code", c}}, m);
  EXPECT_EQ(twice.status, 409);
  EXPECT_NE(twice.json()["detail"].get<std::string>().find("已使用"), std::string::npos);
  EXPECT_EQ(http()
                .post("/api/v1/points/verify", {{"merchant_id", merchant}, {"code", "12345x"}}, m)
                .status,
            422);
  // An expired code is refused with a clear message.
  auto late =
      http().post("/api/v1/points/services/" + sid + "/code", json::object(), tok("resident"));
  ASSERT_EQ(late.status, 201);
  ASSERT_TRUE(env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec("UPDATE redemptions SET code_expires_at = 1 WHERE id = $1",
                     {late.json()["id"].get<std::int64_t>()});
    if (!r) return linli::fail(r.error());
    return {};
  }));
  auto expired = http().post("/api/v1/points/verify",
                             {{"merchant_id", merchant}, {"code", late.json()["code"]}}, m);
  EXPECT_EQ(expired.status, 409);
  EXPECT_NE(expired.json()["detail"].get<std::string>().find("过期"), std::string::npos);
  EXPECT_EQ(balance(me), 70);
  // The merchant's statement lists its own redemption; another's is hidden.
  auto month = today().substr(0, 7);
  auto st =
      http().get("/api/v1/points/statements/" + std::to_string(merchant) + "?month=" + month, m);
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(st.json()["total_points"], 30);
  EXPECT_EQ(http()
                .get("/api/v1/points/statements/" + std::to_string(other) + "?month=" + month, m)
                .status,
            404);
  expect_ledger_ok();
}

TEST_P(PointsTest, BuildingHeadRecordsOnlyInItsBuilding) {
  auto building = env().path_of(env().accounts["building_head"].node);
  auto outside =
      env()
          .db
          ->one(
              "SELECT min(id) AS id FROM residents WHERE NOT (node_path >= $1 AND node_path < $2)",
              {building, linli::auth::subtree_end(building)})
          ->i64("id");
  auto r =
      http().post("/api/v1/points/deeds",
                  {{"resident_id", outside}, {"rule_code", "volunteer"}, {"deed_date", today()}},
                  tok("building_head"));
  EXPECT_EQ(r.status, 404);
  // Penalties are recorded by community staff only.
  auto r2 = http().post(
      "/api/v1/points/deeds",
      {{"resident_id", resident_id()}, {"rule_code", "clutter"}, {"deed_date", today()}},
      tok("building_head"));
  EXPECT_EQ(r2.status, 403);
  EXPECT_EQ(
      http().post("/api/v1/points/review", {{"items", json::array()}}, tok("building_head")).status,
      403);
  EXPECT_EQ(http().get("/api/v1/points/deeds", tok("merchant")).status, 403);
}

TEST_P(PointsTest, BasePointsOncePerYearAndSolvedReportsEarn) {
  auto me = resident_id();
  auto year = std::stoi(today().substr(0, 4));
  auto grant = [&] {
    return http().post("/api/v1/points/base-grant", {{"community_id", community()}, {"year", year}},
                       tok("community_staff"));
  };
  auto first = grant();
  ASSERT_EQ(first.status, 200) << first.body;
  auto path = env().path_of(community());
  auto households = env().count(
      "SELECT count(DISTINCT household_id) AS n FROM residents WHERE status = 'active' AND "
      "node_path >= $1 AND node_path < $2",
      {path, linli::auth::subtree_end(path)});
  EXPECT_EQ(first.json()["households"].get<std::int64_t>(), households)
      << "one grant per household";
  auto second = grant();
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.json()["households"], 0) << "once a year";
  EXPECT_EQ(http()
                .post("/api/v1/points/base-grant", {{"community_id", community()}, {"year", year}},
                      tok("building_head"))
                .status,
            403);
  expect_ledger_ok();
  // A solved report earns a pending deed for the reporter, reviewed monthly.
  auto household =
      env().db->one("SELECT household_id FROM residents WHERE id = $1", {me})->i64("household_id");
  auto c = http().post(
      "/api/v1/cases",
      {{"title", "楼道灯不亮"},
       {"description", "三楼楼道灯坏了"},
       {"category_id",
        env().db->one("SELECT id FROM case_categories WHERE code = 'repair.light'")->i64("id")},
       {"household_id", household}},
      tok("resident"));
  ASSERT_EQ(c.status, 201) << c.body;
  auto id = std::to_string(c.json()["id"].get<std::int64_t>());
  auto act = [&](const std::string& a, const std::string& role, json body) {
    auto r = http().post("/api/v1/cases/" + id + "/actions/" + a, body, tok(role));
    EXPECT_EQ(r.status, 200) << a << " " << r.body;
  };
  act("accept", "community_staff", {{"level", "grid"}});
  act("start", "grid_worker", json::object());
  act("resolve", "grid_worker", {{"note", "已更换灯泡"}});
  act("verify", "community_staff", {{"passed", true}});
  act("rate", "resident", {{"solved", true}, {"rating", "satisfied"}});
  auto deeds =
      http()
          .get("/api/v1/points/deeds?resident=" + std::to_string(me), tok("community_staff"))
          .json();
  bool earned = false;
  for (const auto& d : deeds)
    if (d["source"] == "case" && d["state"] == "pending") earned = true;
  EXPECT_TRUE(earned);
}

TEST_P(PointsTest, ExpiryIsATransferAnnouncedAMonthAhead) {
  auto me = resident_id();
  auto staff = tok("community_staff");
  auto settings = "/api/v1/points/settings?community=" + std::to_string(community());
  // Off unless the community says so: nothing is ever announced.
  auto before = http().get(settings, staff);
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(before.json()["expiry_months"]["value"], 0);

  grant_rule("t_expiry", 10);
  give(me, "t_expiry");
  auto item = add_item(3, 5);
  auto order = http().post("/api/v1/points/items/" + std::to_string(item) + "/order",
                           json::object(), tok("resident"));
  ASSERT_EQ(order.status, 201) << order.body;
  ASSERT_EQ(balance(me), 7);
  // The award happened twelve months ago; the spend was today (oldest
  // points are spent first, so 7 of the old 10 remain).
  auto month = today().substr(0, 7);
  auto long_ago = *linli::clock::shanghai_day_start(linli::calendar::month_add(month, -12) + "-15");
  auto backdated = env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec(
        "UPDATE points_transfers SET at = $1 WHERE kind = 'award' AND to_account = (SELECT id "
        "FROM points_accounts WHERE kind = 'resident' AND ref_id = $2)",
        {long_ago, me});
    return r ? linli::Status{} : linli::fail(r.error());
  });
  ASSERT_TRUE(backdated);
  EXPECT_TRUE(http().get("/api/v1/points/balance", tok("resident")).json()["expiring"].is_null());

  // Bad values change nothing; only the community's reviewers may set it.
  auto bad = http().request("PUT", settings, json{{"expiry_months", 500}}.dump(), staff,
                            {{"content-type", "application/json"}});
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(http()
                .request("PUT", settings, json{{"expiry_months", 12}}.dump(), tok("building_head"),
                         {{"content-type", "application/json"}})
                .status,
            403);
  auto put = http().request("PUT", settings, json{{"expiry_months", 12}}.dump(), staff,
                            {{"content-type", "application/json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["expiry_months"]["value"], 12);

  // The resident sees what will run out, and when.
  auto next = linli::calendar::month_add(month, 1);
  auto mine = http().get("/api/v1/points/balance", tok("resident")).json();
  ASSERT_FALSE(mine["expiring"].is_null()) << mine.dump();
  EXPECT_EQ(mine["expiring"]["points"], 7);
  EXPECT_EQ(mine["expiring"]["on"], next + "-01");

  auto run_at = [&](const std::string& ym) {
    auto at = *linli::clock::shanghai_day_start(ym + "-01") + 3600 * 1000;
    for (auto& duty : env().app->minutely) duty(at);
  };
  // This month's run moves nothing yet but tells the resident.
  run_at(month);
  EXPECT_EQ(balance(me), 7);
  auto inbox = http().get("/api/v1/notifications", tok("resident")).json();
  bool told = false;
  for (const auto& n : inbox["items"])
    if (n["kind"] == "points_expiry" &&
        n["body"].get<std::string>().find("7积分") != std::string::npos)
      told = true;
  EXPECT_TRUE(told) << inbox.dump();

  // Next month the 7 old points go back to the fund, as a transfer.
  run_at(next);
  EXPECT_EQ(balance(me), 0);
  auto history = http().get("/api/v1/points/balance", tok("resident")).json()["history"];
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0]["kind"], "expiry");
  EXPECT_EQ(history[0]["delta"], -7);
  expect_ledger_ok();
  // A month runs once; a later month finds nothing left to expire.
  give(me, "t_expiry");
  run_at(next);
  run_at(linli::calendar::month_add(month, 2));
  EXPECT_EQ(balance(me), 10) << "points earned today are valid for twelve months";
  expect_ledger_ok();

  auto off = http().request("PUT", settings, json{{"expiry_months", 0}}.dump(), staff,
                            {{"content-type", "application/json"}});
  ASSERT_EQ(off.status, 200) << off.body;
}

TEST_P(PointsTest, StreetRankingsAndHonoursOnResidentPagesAndExports) {
  auto me = resident_id();
  grant_rule("t_rank", 7);
  give(me, "t_rank");
  auto month = today().substr(0, 7);
  auto street =
      env().db->one("SELECT parent_id FROM nodes WHERE id = $1", {community()})->i64("parent_id");
  auto r =
      http().get("/api/v1/points/rankings?street=" + std::to_string(street) + "&period=" + month,
                 tok("street_center"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto ranks = r.json();
  EXPECT_EQ(ranks["scope"], "street");
  bool found = false;
  for (const auto& c : ranks["communities"])
    if (c["node_id"] == community()) found = c["points"].get<std::int64_t>() >= 7;
  EXPECT_TRUE(found) << ranks.dump();
  // Community staff cannot see the whole street's ranking.
  EXPECT_EQ(
      http()
          .get("/api/v1/points/rankings?street=" + std::to_string(street) + "&period=" + month,
               tok("community_staff"))
          .status,
      404);

  auto year = std::stoi(month.substr(0, 4));
  auto h = http().post("/api/v1/points/honours",
                       {{"community_id", community()},
                        {"year", year},
                        {"kind", "best_resident"},
                        {"resident_id", me}},
                       tok("community_staff"));
  ASSERT_EQ(h.status, 201) << h.body;
  auto mine = http().get("/api/v1/points/balance", tok("resident")).json();
  ASSERT_FALSE(mine["honours"].empty()) << mine.dump();
  EXPECT_EQ(mine["honours"][0]["kind_name"], "最美居民");
  auto page = http().get("/api/v1/residents/" + std::to_string(me), tok("community_staff"));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.json()["honours"][0]["kind"], "best_resident");
  auto csv =
      http().get("/api/v1/export/residents?node=" + std::to_string(community()) + "&format=csv",
                 tok("community_staff"));
  ASSERT_EQ(csv.status, 200) << csv.body.substr(0, 200);
  EXPECT_NE(csv.body.find("荣誉"), std::string::npos);
  EXPECT_NE(csv.body.find(std::to_string(year) + "最美居民"), std::string::npos);
}

TEST_P(PointsTest, ShopCounterRestocksHandsOverAndCancels) {
  auto me = resident_id();
  grant_rule("t_shop", 20);
  give(me, "t_shop");
  auto item = add_item(6, 1);
  auto path = "/api/v1/points/items/" + std::to_string(item);
  auto staff = tok("community_staff");
  // Stock of one: the second order is refused until the counter restocks.
  ASSERT_EQ(http().post(path + "/order", json::object(), tok("resident")).status, 201);
  auto none = http().post(path + "/order", json::object(), tok("resident"));
  EXPECT_EQ(none.status, 409) << none.body;
  EXPECT_EQ(http().post(path + "/stock", {{"delta", 2}}, tok("building_head")).status, 403);
  auto restock = http().post(path + "/stock", {{"delta", 2}}, staff);
  ASSERT_EQ(restock.status, 200) << restock.body;
  auto second = http().post(path + "/order", json::object(), tok("resident"));
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(balance(me), 8);

  // The station's counter lists what waits to be handed over.
  auto waiting = http().get(
      "/api/v1/points/redemptions?org=" + std::to_string(station()) + "&state=ordered", staff);
  ASSERT_EQ(waiting.status, 200) << waiting.body;
  auto list = waiting.json();
  std::vector<std::int64_t> ids;
  for (const auto& r : list) ids.push_back(r["id"]);
  auto own = http().get("/api/v1/points/redemptions/mine", tok("resident")).json();
  std::vector<std::int64_t> mine;
  for (const auto& r : own)
    if (r["state"] == "ordered") mine.push_back(r["id"]);
  ASSERT_EQ(mine.size(), 2u) << own.dump();
  for (auto id : mine)
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << "on the counter's list";

  auto hand = http().post("/api/v1/points/redemptions/" + std::to_string(mine[0]) + "/hand-over",
                          json::object(), staff);
  ASSERT_EQ(hand.status, 200) << hand.body;
  auto again = http().post("/api/v1/points/redemptions/" + std::to_string(mine[0]) + "/hand-over",
                           json::object(), staff);
  EXPECT_EQ(again.status, 409) << "handed over once";
  auto late = http().post("/api/v1/points/redemptions/" + std::to_string(mine[0]) + "/cancel",
                          json::object(), tok("resident"));
  EXPECT_EQ(late.status, 409) << "goods handed over cannot be cancelled";
  auto cancel = http().post("/api/v1/points/redemptions/" + std::to_string(mine[1]) + "/cancel",
                            json::object(), tok("resident"));
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(balance(me), 14) << "a cancelled order returns its points";
  ASSERT_EQ(http().post(path + "/order", json::object(), tok("resident")).status, 201)
      << "and its unit of stock";
  expect_ledger_ok();
}

TEST_P(PointsTest, LedgerSearchAndExportForStaffInScope) {
  auto me = resident_id();
  grant_rule("t_ledger", 9);
  give(me, "t_ledger");
  auto item = add_item(4, 3);
  ASSERT_EQ(http()
                .post("/api/v1/points/items/" + std::to_string(item) + "/order", json::object(),
                      tok("resident"))
                .status,
            201);
  auto base = "/api/v1/points/ledger?community=" + std::to_string(community()) +
              "&resident=" + std::to_string(me);
  auto staff = tok("community_staff");
  auto all = http().get(base, staff);
  ASSERT_EQ(all.status, 200) << all.body;
  auto items = all.json()["items"];
  ASSERT_EQ(items.size(), 2u) << all.body;
  EXPECT_EQ(items[0]["kind"], "redeem") << "newest first";
  EXPECT_EQ(items[0]["amount"], 4);
  EXPECT_EQ(items[1]["kind"], "award");
  EXPECT_EQ(items[1]["to"]["kind"], "resident");
  auto awards = http().get(base + "&kind=award&month=" + today().substr(0, 7), staff).json();
  ASSERT_EQ(awards["items"].size(), 1u);
  EXPECT_EQ(awards["items"][0]["amount"], 9);
  EXPECT_TRUE(http().get(base + "&month=2001-01", staff).json()["items"].empty());
  EXPECT_EQ(http().get(base + "&kind=gift", staff).status, 400)
      << "an unknown kind, as every filter";
  // One page at a time: the cursor continues where the first page stopped.
  auto first = http().get(base + "&limit=1", staff).json();
  ASSERT_TRUE(first["next_cursor"].is_string()) << first.dump();
  auto rest =
      http().get(base + "&limit=1&cursor=" + first["next_cursor"].get<std::string>(), staff).json();
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["kind"], "award");

  auto csv = http().get("/api/v1/points/ledger/export?format=csv&community=" +
                            std::to_string(community()) + "&resident=" + std::to_string(me),
                        staff);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.body.find("流水号"), std::string::npos);
  EXPECT_NE(csv.body.find("兑换"), std::string::npos);
  EXPECT_GE(env().count("SELECT count(*) AS n FROM audit_log WHERE action = 'points.export'"), 1)
      << "every export is audited";
  // Outside the caller's scope the community does not exist for them.
  EXPECT_EQ(http().get(base, tok("building_head")).status, 404);
  EXPECT_EQ(http().get(base, tok("resident")).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Store, PointsTest, ::testing::ValuesIn(store_kinds()), store_param_name);

}  // namespace
