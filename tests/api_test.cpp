// The API over real HTTP on 127.0.0.1, on every store: sessions, throttling,
// scope for every role, bad input, import, and the OpenAPI document.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "auth/roles.hpp"
#include "core/csv.hpp"

using linli::test::ApiEnv;
using linli::test::percent_encode;
using nlohmann::json;

namespace {

class ApiTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  // A fresh staff account for tests that change an account's state.
  std::string make_user(const std::string& name, const std::string& role, std::int64_t node) {
    auto admin = env().token("admin");
    auto r = http().post("/api/v1/users",
                         {{"username", name},
                          {"display_name", "测试" + name},
                          {"password", "Passw0rd!x"},
                          {"roles", {{{"role", role}, {"node_id", node}}}}},
                         admin);
    EXPECT_EQ(r.status, 201) << r.body;
    return name;
  }
  // A resident id outside the subtree at `path`.
  std::int64_t resident_outside(const std::string& path) {
    auto r = env().db->one(
        "SELECT min(id) AS id FROM residents WHERE NOT (node_path >= $1 AND node_path < $2)",
        {path, linli::auth::subtree_end(path)});
    return r->i64("id");
  }
  std::int64_t resident_inside(const std::string& path) {
    auto r = env().db->one(
        "SELECT min(id) AS id FROM residents WHERE node_path >= $1 AND node_path < $2",
        {path, linli::auth::subtree_end(path)});
    return r->i64("id");
  }
};

TEST_P(ApiTest, HealthReadyMetrics) {
  EXPECT_EQ(http().get("/healthz").status, 200);
  auto ready = http().get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json()["status"], "ready");
  http().get("/api/v1/auth/me");
  auto m = http().get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(
      m.body.find(
          "linli_http_requests_total{method=\"GET\",route=\"/api/v1/auth/me\",status=\"401\"}"),
      std::string::npos);
  EXPECT_NE(m.body.find("linli_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("linli_store_pool_size"), std::string::npos);
  // What an operator reads when RSS grows: SQLite's share and the heap's.
  auto gauge = [&](const std::string& name) -> long long {
    auto at = m.body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(m.body.substr(at + name.size() + 2));
  };
  EXPECT_GE(gauge("linli_heap_free_bytes"), 0);
#ifdef __SANITIZE_ADDRESS__
  // ASan's allocator replaces glibc's, whose statistics then read zero.
  EXPECT_GE(gauge("linli_heap_in_use_bytes"), 0);
#else
  EXPECT_GT(gauge("linli_heap_in_use_bytes"), 0);
#endif
  if (GetParam() == "sqlite")
    EXPECT_GT(gauge("linli_store_cache_bytes"), 0);
  else
    EXPECT_EQ(gauge("linli_store_cache_bytes"), 0);
}

TEST_P(ApiTest, LoginMeLogout) {
  auto r =
      http().post("/api/v1/auth/login", {{"username", "community1"}, {"password", env().password}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto token = r.json()["token"].get<std::string>();
  EXPECT_EQ(token.size(), 43u);  // 256 bits, base64url
  EXPECT_NE(r.header("set-cookie").find("HttpOnly"), std::string::npos);
  EXPECT_NE(r.header("set-cookie").find("SameSite=Strict"), std::string::npos);
  EXPECT_FALSE(r.header("x-request-id").empty());
  // The token is stored only as a hash.
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM sessions WHERE token_hash = $1", {token}), 0);
  auto me = http().get("/api/v1/auth/me", token);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json()["username"], "community1");
  EXPECT_EQ(me.json()["home"], "console");
  // The cookie authenticates as well as the bearer header.
  auto by_cookie = http().request("GET", "/api/v1/auth/me", "", "",
                                  {{"cookie", "other=1; linli_session=" + token}});
  EXPECT_EQ(by_cookie.status, 200);
  EXPECT_EQ(http().request("POST", "/api/v1/auth/logout", "", token).status, 204);
  auto after = http().get("/api/v1/auth/me", token);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.header("content-type").rfind("application/problem+json", 0), 0u);
}

TEST_P(ApiTest, WrongPasswordIsRefusedThenThrottledThenLocked) {
  auto name = make_user("lockme_" + GetParam(), "grid_worker", env().accounts["grid_worker"].node);
  auto wrong = [&] {
    return http().post("/api/v1/auth/login", {{"username", name}, {"password", "nope1234"}});
  };
  for (int i = 0; i < 3; ++i) {
    auto r = wrong();
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.json()["detail"], "用户名或密码不正确");
  }
  auto throttled = wrong();
  EXPECT_EQ(throttled.status, 429);
  EXPECT_FALSE(throttled.header("retry-after").empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(wrong().status, 401);  // 4th counted failure
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(wrong().status, 423);  // 5th: locked
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto right = http().post("/api/v1/auth/login", {{"username", name}, {"password", "Passw0rd!x"}});
  EXPECT_EQ(right.status, 423) << "a locked account stays locked with the right password";
  // The lock is visible to admins, and they can lift it.
  auto admin = env().token("admin");
  auto users = http().get("/api/v1/users?q=" + name, admin);
  ASSERT_EQ(users.status, 200);
  ASSERT_EQ(users.json()["items"].size(), 1u);
  EXPECT_TRUE(users.json()["items"][0]["locked"].get<bool>());
  auto id = users.json()["items"][0]["id"].get<std::int64_t>();
  EXPECT_EQ(
      http().request("POST", "/api/v1/users/" + std::to_string(id) + "/unlock", "", admin).status,
      204);
  EXPECT_FALSE(http().login(name, "Passw0rd!x").empty());
}

TEST_P(ApiTest, ExpiredAndPasswordChangedSessionsDie) {
  auto name = make_user("expire_" + GetParam(), "grid_worker", env().accounts["grid_worker"].node);
  auto t1 = http().login(name, "Passw0rd!x");
  auto t2 = http().login(name, "Passw0rd!x");
  ASSERT_FALSE(t1.empty());
  // Time passes: the session's absolute lifetime ends.
  auto w = env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec(
        "UPDATE sessions SET expires_at = 1 WHERE user_id = (SELECT id FROM users WHERE username "
        "= $1) AND id = (SELECT min(id) FROM sessions s2 WHERE s2.user_id = (SELECT id FROM users "
        "WHERE username = $1))",
        {name});
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_TRUE(w);
  EXPECT_EQ(http().get("/api/v1/auth/me", t1).status, 401);
  EXPECT_EQ(http().get("/api/v1/auth/me", t2).status, 200);
  // A password change ends every session, this one included.
  auto bad = http().post("/api/v1/auth/password",
                         {{"old_password", "wrong"}, {"new_password", "N3wPassword"}}, t2);
  EXPECT_EQ(bad.status, 422);
  auto weak = http().post("/api/v1/auth/password",
                          {{"old_password", "Passw0rd!x"}, {"new_password", "short"}}, t2);
  EXPECT_EQ(weak.status, 422);
  EXPECT_EQ(http()
                .post("/api/v1/auth/password",
                      {{"old_password", "Passw0rd!x"}, {"new_password", "N3wPassword"}}, t2)
                .status,
            204);
  EXPECT_EQ(http().get("/api/v1/auth/me", t2).status, 401);
  EXPECT_TRUE(http().login(name, "Passw0rd!x").empty());
  EXPECT_FALSE(http().login(name, "N3wPassword").empty());
}

TEST_P(ApiTest, EveryNodeRoleReadsOnlyItsSubtree) {
  for (const auto& [role, acct] : env().accounts) {
    if (role == "open311_client") continue;  // a machine key, not a person's account
    const auto* info = linli::auth::find_role(role);
    ASSERT_NE(info, nullptr);
    auto token = env().token(role);
    bool reads = std::find(info->permissions.begin(), info->permissions.end(), "resident.read") !=
                 info->permissions.end();
    auto list = http().get("/api/v1/residents?limit=200", token);
    if (!reads) {
      EXPECT_EQ(list.status, 403) << role;
      continue;
    }
    ASSERT_EQ(list.status, 200) << role << list.body;
    auto root = env().path_of(acct.node);
    ASSERT_FALSE(list.json()["items"].empty()) << role;
    auto list_items = list.json()["items"];
    for (const auto& item : list_items) {
      auto row = env().db->one("SELECT node_path FROM residents WHERE id = $1",
                               {item["id"].get<std::int64_t>()});
      ASSERT_TRUE(row);
      EXPECT_TRUE(linli::auth::in_subtree(row->str("node_path"), root))
          << role << " saw resident " << item["id"];
    }
    auto inside = resident_inside(root);
    EXPECT_EQ(http().get("/api/v1/residents/" + std::to_string(inside), token).status, 200) << role;
    auto outside = resident_outside(root);
    if (outside == 0) continue;  // the whole city is in scope (admin)
    EXPECT_EQ(http().get("/api/v1/residents/" + std::to_string(outside), token).status, 404)
        << role;
    // A search for an outside resident's exact name never returns them.
    auto name = env().db->one("SELECT name FROM residents WHERE id = $1", {outside})->str("name");
    auto found = http().get("/api/v1/residents?q=" + percent_encode(name), token);
    ASSERT_EQ(found.status, 200) << role;
    auto found_items = found.json()["items"];
    for (const auto& item : found_items) EXPECT_NE(item["id"].get<std::int64_t>(), outside) << role;
  }
}

TEST_P(ApiTest, WritesInsideScopeSucceedOutsideAre404) {
  auto grid = env().accounts["grid_worker"];
  auto token = env().token("grid_worker");
  auto root = env().path_of(grid.node);
  auto inside_h =
      env()
          .db
          ->one("SELECT min(id) AS id FROM households WHERE node_path >= $1 AND node_path < $2",
                {root, linli::auth::subtree_end(root)})
          ->i64("id");
  auto outside_h =
      env()
          .db
          ->one(
              "SELECT min(id) AS id FROM households WHERE NOT (node_path >= $1 AND node_path < $2)",
              {root, linli::auth::subtree_end(root)})
          ->i64("id");
  json person = {{"name", "测试居民"}, {"gender", "女"},         {"birth_date", "1950-03-02"},
                 {"relation", "父母"}, {"phone", "13912345678"}, {"tags", {"独居"}}};
  person["household_id"] = outside_h;
  auto before = env().count("SELECT count(*) AS n FROM residents");
  EXPECT_EQ(http().post("/api/v1/residents", person, token).status, 404);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM residents"), before);
  person["household_id"] = inside_h;
  auto created = http().post("/api/v1/residents", person, token);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["phone_masked"], "139****5678");
  auto id = created.json()["id"].get<std::int64_t>();
  // Stored encrypted: the plain number is nowhere in the row.
  auto row = env().db->one("SELECT phone_enc, phone_mask FROM residents WHERE id = $1", {id});
  EXPECT_EQ(row->str("phone_enc").find("13912345678"), std::string::npos);
  EXPECT_EQ(http()
                .patch("/api/v1/residents/" + std::to_string(resident_outside(root)),
                       {{"name", "改名"}}, token)
                .status,
            404);
  auto reveal = http().post("/api/v1/residents/" + std::to_string(id) + "/reveal",
                            {{"field", "phone"}}, token);
  ASSERT_EQ(reveal.status, 200) << reveal.body;
  EXPECT_EQ(reveal.json()["value"], "13912345678");
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM audit_log WHERE action = 'resident.reveal' AND "
                        "entity_id = $1",
                        {id}),
            1);
  // A building head reads but may not reveal.
  auto head = env().token("building_head");
  EXPECT_EQ(
      http()
          .post("/api/v1/residents/" + std::to_string(id) + "/reveal", {{"field", "phone"}}, head)
          .status,
      403);
}

TEST_P(ApiTest, ResidentSeesOwnHouseholdOnly) {
  auto token = env().token("resident");
  auto mine = http().get("/api/v1/me/household", token);
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_FALSE(mine.json()["residents"].empty());
  auto mine_residents = mine.json()["residents"];
  for (const auto& m : mine_residents) {
    auto phone = m["phone_masked"].get<std::string>();
    if (!phone.empty()) {
      EXPECT_NE(phone.find("****"), std::string::npos);
    }
  }
  EXPECT_EQ(http().get("/api/v1/residents", token).status, 403);
  EXPECT_EQ(http().get("/api/v1/households/1", token).status, 403);
  auto dept = env().token("department_staff");
  EXPECT_EQ(http().get("/api/v1/residents", dept).status, 403);
  EXPECT_EQ(http().get("/api/v1/me/household", dept).status, 403);
}

TEST_P(ApiTest, BadInputGetsProblemJsonAndChangesNothing) {
  auto token = env().token("community_staff");
  auto before = env().count("SELECT count(*) AS n FROM residents");
  auto bad_json = http().request("POST", "/api/v1/residents", "{\"name\": ", token,
                                 {{"content-type", "application/json"}});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.header("content-type").rfind("application/problem+json", 0), 0u);
  EXPECT_FALSE(bad_json.json()["detail"].get<std::string>().empty());
  auto wrong_types = http().post("/api/v1/residents",
                                 {{"household_id", "one"}, {"name", 42}, {"tags", "独居"}}, token);
  EXPECT_EQ(wrong_types.status, 422);
  std::set<std::string> fields;
  auto wrong_types_errors = wrong_types.json()["errors"];
  for (const auto& e : wrong_types_errors) fields.insert(e["field"].get<std::string>());
  EXPECT_TRUE(fields.count("household_id") && fields.count("name") && fields.count("tags"))
      << wrong_types.body;
  auto too_long = http().post("/api/v1/residents",
                              {{"household_id", 1}, {"name", std::string(31 * 3, 'x')}}, token);
  EXPECT_EQ(too_long.status, 422);
  auto bad_numbers = http().post("/api/v1/residents",
                                 {{"household_id", 1},
                                  {"name", "张三"},
                                  {"gender", "男"},
                                  {"phone", "12345"},
                                  {"id_number", "110105194912310021"}},
                                 token);
  EXPECT_EQ(bad_numbers.status, 422);
  std::string huge(2 * 1024 * 1024, 'a');
  auto oversize = http().request("POST", "/api/v1/residents", "{\"name\":\"" + huge + "\"}", token,
                                 {{"content-type", "application/json"}});
  EXPECT_EQ(oversize.status, 413);
  std::string deep(100, '[');
  auto nested = http().request("POST", "/api/v1/residents", deep + std::string(100, ']'), token,
                               {{"content-type", "application/json"}});
  EXPECT_EQ(nested.status, 400);
  auto bad_utf8 = http().request("POST", "/api/v1/residents", "{\"name\":\"\xff\xfe\"}", token,
                                 {{"content-type", "application/json"}});
  EXPECT_EQ(bad_utf8.status, 400);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM residents"), before);
  EXPECT_EQ(http().get("/api/v1/residents/abc", token).status, 404);
  EXPECT_EQ(http().get("/api/v1/residents?limit=5000", token).status, 400);
  EXPECT_EQ(http().get("/api/v1/no-such-thing", token).status, 404);
  EXPECT_EQ(http().request("DELETE", "/api/v1/residents", "", token).status, 405);
}

TEST_P(ApiTest, CrossSiteCookieWritesAreRefused) {
  auto token = env().token("community_staff");
  auto r =
      http().request("POST", "/api/v1/auth/logout", "", "",
                     {{"cookie", "linli_session=" + token}, {"origin", "http://evil.example"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(http().get("/api/v1/auth/me", token).status, 200);
}

std::string csv_for(ApiEnv& env, const std::vector<std::string>& ids, bool break_one) {
  auto grid =
      env.db->one("SELECT id, name FROM nodes WHERE id = $1", {env.accounts["grid_worker"].node});
  auto building =
      env.db->one("SELECT id, name FROM nodes WHERE parent_id = $1 ORDER BY id", {grid->i64("id")});
  auto unit =
      env.db->one("SELECT name FROM nodes WHERE parent_id = $1 ORDER BY id", {building->i64("id")});
  std::string csv = "姓名,性别,出生日期,与户主关系,手机号,身份证号,网格,楼栋,单元,房号,标签\r\n";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    char gender_digit = ids[i][16];
    std::string gender = ((gender_digit - '0') % 2) ? "男" : "女";
    std::string phone = (break_one && i == 1) ? "1234" : "1380013800" + std::to_string(i);
    csv += "导入" + std::to_string(i) + "," + gender + ",," + (i == 0 ? "户主" : "子女") + "," +
           phone + "," + ids[i] + "," + grid->str("name") + "," + building->str("name") + "," +
           unit->str("name") + ",9901,\"独居、低保\"\r\n";
  }
  return csv;
}

// Valid ID numbers made here: region 110105, birth 1980-01-0X, check digit computed.
std::string make_id(int seq) {
  std::string base = "11010519800101" + std::to_string(100 + seq % 900);
  static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (base[i] - '0') * w[i];
  return base + "10X98765432"[sum % 11];
}

TEST_P(ApiTest, ImportDryRunThenAllOrNothingThenIdempotent) {
  auto token = env().token("community_staff");
  int offset = GetParam() == "sqlite" ? 0 : 50;
  std::vector<std::string> ids = {make_id(offset + 1), make_id(offset + 2), make_id(offset + 3)};
  auto post_csv = [&](const std::string& body, bool dry) {
    return http().request(
        "POST", std::string("/api/v1/import/residents?dry_run=") + (dry ? "true" : "false"), body,
        token, {{"content-type", "text/csv"}});
  };
  auto before = env().count("SELECT count(*) AS n FROM residents");
  auto broken = csv_for(env(), ids, true);
  auto dry = post_csv(broken, true);
  ASSERT_EQ(dry.status, 200) << dry.body;
  ASSERT_EQ(dry.json()["errors"].size(), 1u) << dry.body;
  EXPECT_EQ(dry.json()["errors"][0]["row"], 3);
  EXPECT_EQ(dry.json()["errors"][0]["column"], "手机号");
  auto real = post_csv(broken, false);
  EXPECT_EQ(real.status, 422);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM residents"), before);
  auto good = csv_for(env(), ids, false);
  auto ok = post_csv(good, false);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["created"], 3);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM residents"), before + 3);
  auto again = post_csv(good, false);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["created"], 0);
  EXPECT_EQ(again.json()["unchanged"], 3);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM residents"), before + 3);
  // A grid worker may not import at all.
  auto grid = env().token("grid_worker");
  EXPECT_EQ(http()
                .request("POST", "/api/v1/import/residents?dry_run=true", good, grid,
                         {{"content-type", "text/csv"}})
                .status,
            403);
}

TEST_P(ApiTest, XlsxImportWorksLikeCsv) {
  auto token = env().token("community_staff");
  int offset = GetParam() == "sqlite" ? 200 : 300;
  std::vector<std::string> ids = {make_id(offset + 1), make_id(offset + 2)};
  auto records = linli::csv::parse(csv_for(env(), ids, false));
  ASSERT_TRUE(records);
  auto book = linli::xlsx::workbook("居民", *records);
  auto r = http().request("POST", "/api/v1/import/residents?dry_run=false", book, token,
                          {{"content-type", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["created"], 2);
}

TEST_P(ApiTest, MovingAHouseholdKeepsItsHistory) {
  auto token = env().token("community_staff");
  auto root = env().path_of(env().accounts["community_staff"].node);
  auto grid_root = env().path_of(env().accounts["grid_worker"].node);
  // One unit inside the grid worker's grid, one elsewhere in the community.
  auto in_grid = env().db->one(
      "SELECT min(id) AS id FROM nodes WHERE kind = 'unit' AND path >= $1 AND path < $2",
      {grid_root, linli::auth::subtree_end(grid_root)});
  auto elsewhere = env().db->one(
      "SELECT min(id) AS id FROM nodes WHERE kind = 'unit' AND path >= $1 AND path < $2 AND NOT "
      "(path >= $3 AND path < $4)",
      {root, linli::auth::subtree_end(root), grid_root, linli::auth::subtree_end(grid_root)});
  ASSERT_TRUE(in_grid && elsewhere);
  std::vector<std::int64_t> units = {in_grid->i64("id"), elsewhere->i64("id")};
  auto created = http().post("/api/v1/households",
                             {{"node_id", units[0]}, {"room", "8808"}, {"area", 88.5}}, token);
  ASSERT_EQ(created.status, 201) << created.body;
  auto id = std::to_string(created.json()["id"].get<std::int64_t>());
  auto from = created.json()["address"].get<std::string>();
  auto dup = http().post("/api/v1/households", {{"node_id", units[0]}, {"room", "8808"}}, token);
  EXPECT_EQ(dup.status, 422);
  auto moved = http().post("/api/v1/households/" + id + "/move",
                           {{"node_id", units[1]}, {"room", "8809"}, {"reason", "换房"}}, token);
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto detail = http().get("/api/v1/households/" + id, token).json();
  ASSERT_EQ(detail["moves"].size(), 1u);
  EXPECT_EQ(detail["moves"][0]["from_address"], from);
  EXPECT_EQ(detail["moves"][0]["to_address"], detail["address"]);
  EXPECT_EQ(detail["moves"][0]["reason"], "换房");
  // Now outside the grid worker's grid: to them it does not exist.
  auto grid = env().token("grid_worker");
  EXPECT_EQ(http()
                .post("/api/v1/households/" + id + "/move",
                      {{"node_id", units[0]}, {"room", "1"}, {"reason", "x"}}, grid)
                .status,
            404);
}

TEST_P(ApiTest, ExportIsMaskedAndScoped) {
  auto token = env().token("grid_worker");
  auto node = env().accounts["grid_worker"].node;
  auto csv = http().get("/api/v1/export/residents?format=csv&node=" + std::to_string(node), token);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.header("content-disposition").find("attachment"), std::string::npos);
  auto expected =
      env().count("SELECT count(*) AS n FROM residents WHERE node_path >= $1 AND node_path < $2",
                  {env().path_of(node), linli::auth::subtree_end(env().path_of(node))});
  auto lines = std::count(csv.body.begin(), csv.body.end(), '\n');
  EXPECT_EQ(lines, expected + 1);
  EXPECT_NE(csv.body.find("****"), std::string::npos);
  auto xlsx =
      http().get("/api/v1/export/residents?format=xlsx&node=" + std::to_string(node), token);
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
  auto street = env().accounts["street_center"].node;
  EXPECT_EQ(http()
                .get("/api/v1/export/residents?format=csv&node=" + std::to_string(street), token)
                .status,
            404);
}

TEST_P(ApiTest, OpenApiDescribesEveryRoute) {
  auto doc = http().get("/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  auto j = doc.json();
  EXPECT_EQ(j["openapi"], "3.0.3");
  std::size_t ops = 0;
  for (const auto& [path, methods] : j["paths"].items()) ops += methods.size();
  EXPECT_EQ(ops, env().app->router.routes().size());
  for (const auto& r : env().app->router.routes()) {
    std::string m = r.method;
    for (auto& c : m) c = static_cast<char>(std::tolower(c));
    ASSERT_TRUE(j["paths"].contains(r.pattern)) << r.pattern;
    ASSERT_TRUE(j["paths"][r.pattern].contains(m)) << r.method << " " << r.pattern;
    EXPECT_FALSE(r.permission.empty()) << r.pattern;
  }
}

TEST_P(ApiTest, AuditTrailIsScopedAndFilterable) {
  auto staff = env().token("community_staff");
  auto id = resident_inside(env().path_of(env().accounts["community_staff"].node));
  ASSERT_EQ(http()
                .post("/api/v1/residents/" + std::to_string(id) + "/reveal",
                      {{"field", "id_number"}}, staff)
                .status,
            200);
  auto audit = http().get("/api/v1/audit?action=resident.reveal", staff);
  ASSERT_EQ(audit.status, 200) << audit.body;
  bool seen = false;
  auto audit_items = audit.json()["items"];
  for (const auto& e : audit_items)
    if (e["entity_id"] == id) seen = true;
  EXPECT_TRUE(seen) << audit.body;
  // Another community's staff do not see it: the grid worker of this
  // community does not hold audit.read at all.
  EXPECT_EQ(http().get("/api/v1/audit", env().token("grid_worker")).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Store, ApiTest, ::testing::ValuesIn(store_kinds()), store_param_name);

}  // namespace
