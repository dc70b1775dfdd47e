// Sessions, password policy, TOTP second factor, CSRF and write rate limits:
// RFC test vectors for the code maths, everything else over real HTTP on
// both stores.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "api_env.hpp"
#include "app/serve_flags.hpp"
#include "auth/password_policy.hpp"
#include "auth/totp.hpp"
#include "core/clock.hpp"

using linli::test::ApiEnv;
using nlohmann::json;
namespace totp = linli::auth::totp;

namespace {

// ---- RFC 4226 / RFC 6238 -------------------------------------------------

TEST(Totp, Rfc4226HotpVectors) {
  const std::string key = "12345678901234567890";
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(totp::hotp(key, i), expected[i]) << i;
}

TEST(Totp, Rfc6238Sha1Vectors) {
  // RFC 6238 Appendix B, SHA-1 column (8 digits), and the same values cut to 6.
  const std::string key = "12345678901234567890";
  struct V {
    std::int64_t t;
    const char* code;
  } vectors[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
                 {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& v : vectors) {
    auto step = totp::step_of(v.t * 1000);
    EXPECT_EQ(totp::hotp(key, static_cast<std::uint64_t>(step), 8), v.code) << v.t;
    EXPECT_EQ(totp::hotp(key, static_cast<std::uint64_t>(step), 6), std::string(v.code).substr(2));
  }
  // The same key as base32, as an authenticator app would hold it.
  auto b32 = totp::base32_encode(key);
  EXPECT_EQ(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(totp::base32_decode(b32), key);
  EXPECT_EQ(totp::code_at(b32, totp::step_of(59'000)), "287082");
  EXPECT_FALSE(totp::base32_decode("not base32!"));
}

TEST(Totp, AcceptsOneStepEitherSideAndNeverTheSameStepTwice) {
  auto secret = totp::new_secret();
  EXPECT_EQ(secret.size(), 32u);  // 160 bits
  std::int64_t now = 1'800'000'015'000;
  auto step = totp::step_of(now);
  EXPECT_EQ(totp::match(secret, totp::code_at(secret, step), now, 0), step);
  EXPECT_EQ(totp::match(secret, totp::code_at(secret, step - 1), now, 0), step - 1);
  EXPECT_EQ(totp::match(secret, totp::code_at(secret, step + 1), now, 0), step + 1);
  EXPECT_FALSE(totp::match(secret, totp::code_at(secret, step - 2), now, 0));
  EXPECT_FALSE(totp::match(secret, totp::code_at(secret, step + 2), now, 0));
  // Once step is used, its code (and older ones) are refused.
  EXPECT_FALSE(totp::match(secret, totp::code_at(secret, step), now, step));
  EXPECT_FALSE(totp::match(secret, totp::code_at(secret, step - 1), now, step));
  EXPECT_EQ(totp::match(secret, totp::code_at(secret, step + 1), now, step), step + 1);
  EXPECT_FALSE(totp::match(secret, "12345", now, 0));
  EXPECT_EQ(totp::otpauth_uri("admin", "ABC"),
            "otpauth://totp/linli:admin?secret=ABC&issuer=linli&algorithm=SHA1&digits=6&period=30");
}

// ---- password policy -----------------------------------------------------

TEST(PasswordPolicy, LengthClassesCommonListAndUsername) {
  using linli::auth::password_policy_problem;
  auto ok = [](const std::string& pw, const std::string& user = "someone") {
    return !password_policy_problem(pw, user, 10).has_value();
  };
  EXPECT_TRUE(ok("Linli@2026"));  // the demo password: 10 characters, 4 classes
  EXPECT_TRUE(ok("Passw0rd!x"));
  EXPECT_TRUE(ok("我的密码足够长2026"));  // Chinese counts as a character class of its own
  EXPECT_EQ(password_policy_problem("Ab1!", "x", 10), "密码至少需要10位");
  EXPECT_EQ(password_policy_problem("abcdefghijkl", "x", 10),
            "密码需至少包含以下两类字符：小写字母、大写字母、数字、符号");
  for (const char* common : {"123456", "woaini1314", "qq123456", "a1234567", "password123",
                             "1qaz2wsx3edc", "Admin@123456", "WOAINI1314"})
    EXPECT_EQ(password_policy_problem(common, "x", 10), "这是常见的弱密码，很容易被猜到，请换一个")
        << common;
  EXPECT_EQ(password_policy_problem("zhangsan2026!", "zhangsan", 10), "密码不能包含用户名");
  EXPECT_EQ(password_policy_problem("ZhangSan-2026", "zhangsan", 10), "密码不能包含用户名");
  EXPECT_EQ(password_policy_problem(std::string(129, 'a') + "1", "x", 10), "密码不能超过128位");
}

// ---- over HTTP -----------------------------------------------------------

// A second server on the same store with its own configuration (origin,
// rate limits), for the tests that need one.
struct ExtraServer {
  std::unique_ptr<linli::App> app;
  std::unique_ptr<linli::http::Server> server;
  std::unique_ptr<linli::test::HttpClient> client;
  ExtraServer(ApiEnv& env, linli::AppConfig cfg) {
    cfg.web_dir = "/nonexistent";
    cfg.auth = linli::test::test_policy();
    app = std::make_unique<linli::App>(*env.db, cfg);
    linli::http::ServerOptions so;
    so.port = 0;
    so.workers = 4;
    server = std::make_unique<linli::http::Server>(
        so, [a = app.get()](linli::http::Request& r) { return a->handle(r); });
    auto port = server->start();
    if (!port) throw std::runtime_error(port.error().detail);
    client = std::make_unique<linli::test::HttpClient>(*port);
  }
  ~ExtraServer() { server->stop(); }
};

class AuthSecurityTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  std::string make_user(const std::string& base, const std::string& role = "grid_worker") {
    auto name = base + "_" + GetParam();
    auto node = env().accounts[role].node;
    auto r = http().post("/api/v1/users",
                         {{"username", name},
                          {"display_name", "测试" + name},
                          {"password", "Passw0rd!x"},
                          {"roles", {{{"role", role}, {"node_id", node}}}}},
                         env().token("admin"));
    EXPECT_EQ(r.status, 201) << r.body;
    return name;
  }
  std::int64_t user_id(const std::string& name) {
    return env().count("SELECT id AS n FROM users WHERE username = $1", {name});
  }
  linli::test::HttpResult login(const std::string& name, const std::string& ua = "",
                                const std::string& pw = "Passw0rd!x") {
    return http().request("POST", "/api/v1/auth/login",
                          json{{"username", name}, {"password", pw}}.dump(), "",
                          {{"content-type", "application/json"}, {"user-agent", ua}});
  }
  std::string code(const std::string& secret, int steps_ahead = 0) {
    return totp::code_at(secret, totp::step_of(linli::test::test_now_ms()) + steps_ahead);
  }
};

TEST_P(AuthSecurityTest, UserListsAndRevokesOwnSessions) {
  auto name = make_user("sess");
  auto t1 = login(name, "Firefox/120 办公室").json()["token"].get<std::string>();
  auto t2 = login(name, "Mobile Safari").json()["token"].get<std::string>();
  auto t3 = login(name, "Chrome/119").json()["token"].get<std::string>();
  auto list = http().get("/api/v1/auth/sessions", t1);
  ASSERT_EQ(list.status, 200) << list.body;
  auto items = list.json()["items"];
  ASSERT_EQ(items.size(), 3u);
  std::int64_t t2_id = 0, current = 0;
  for (const auto& s : items) {
    EXPECT_EQ(s["ip"], "127.0.0.1");
    EXPECT_FALSE(s["created_at"].get<std::string>().empty());
    EXPECT_FALSE(s["last_seen_at"].get<std::string>().empty());
    if (s["user_agent"] == "Mobile Safari") t2_id = s["id"].get<std::int64_t>();
    if (s["current"].get<bool>()) {
      EXPECT_EQ(s["user_agent"], "Firefox/120 办公室");
      current = s["id"].get<std::int64_t>();
    }
  }
  ASSERT_GT(t2_id, 0);
  ASSERT_GT(current, 0);
  EXPECT_EQ(
      http().request("DELETE", "/api/v1/auth/sessions/" + std::to_string(t2_id), "", t1).status,
      204);
  EXPECT_EQ(http().get("/api/v1/auth/me", t2).status, 401);
  EXPECT_EQ(http().get("/api/v1/auth/me", t1).status, 200);
  // Someone else's session is not found, and is left alone.
  auto other = env().token("community_staff");
  auto other_sessions = http().get("/api/v1/auth/sessions", other).json()["items"];
  auto other_id = other_sessions[0]["id"].get<std::int64_t>();
  EXPECT_EQ(
      http().request("DELETE", "/api/v1/auth/sessions/" + std::to_string(other_id), "", t1).status,
      404);
  EXPECT_EQ(http().get("/api/v1/auth/me", other).status, 200);
  // "Sign out everywhere else": t3 ends, t1 stays.
  auto all = http().post("/api/v1/auth/sessions/revoke-others", json::object(), t1);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json()["revoked"], 1);
  EXPECT_EQ(http().get("/api/v1/auth/me", t3).status, 401);
  EXPECT_EQ(http().get("/api/v1/auth/me", t1).status, 200);
  EXPECT_EQ(http().get("/api/v1/auth/sessions", t1).json()["items"].size(), 1u);
  EXPECT_GE(env().count("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.session_revoke' "
                        "AND entity_id = $1 AND user_id = $1",
                        {user_id(name)}),
            2);
}

TEST_P(AuthSecurityTest, AdminListsAndRevokesAnyonesSessionsAudited) {
  auto name = make_user("adm_sess");
  auto id = std::to_string(user_id(name));
  auto t1 = login(name, "A").json()["token"].get<std::string>();
  auto t2 = login(name, "B").json()["token"].get<std::string>();
  auto admin = env().token("admin");
  auto list = http().get("/api/v1/users/" + id + "/sessions", admin);
  ASSERT_EQ(list.status, 200) << list.body;
  auto items = list.json()["items"];
  ASSERT_EQ(items.size(), 2u);
  for (const auto& s : items) EXPECT_FALSE(s["current"].get<bool>());
  auto first = std::to_string(items[1]["id"].get<std::int64_t>());  // newest first: t1 is last
  EXPECT_EQ(
      http().request("DELETE", "/api/v1/users/" + id + "/sessions/" + first, "", admin).status,
      204);
  EXPECT_EQ(http().get("/api/v1/auth/me", t1).status, 401);
  EXPECT_EQ(http().get("/api/v1/auth/me", t2).status, 200);
  auto all = http().post("/api/v1/users/" + id + "/sessions/revoke", json::object(), admin);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json()["revoked"], 1);
  EXPECT_EQ(http().get("/api/v1/auth/me", t2).status, 401);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM audit_log WHERE action = "
                        "'auth.session_revoke' AND entity_id = $1 AND user_id = (SELECT id FROM "
                        "users WHERE username = 'admin')",
                        {user_id(name)}),
            2);
  // Only user.manage may do this.
  auto staff = env().token("community_staff");
  EXPECT_EQ(http().get("/api/v1/users/" + id + "/sessions", staff).status, 403);
  EXPECT_EQ(http().post("/api/v1/users/" + id + "/sessions/revoke", json::object(), staff).status,
            403);
  EXPECT_EQ(http().get("/api/v1/users/999999/sessions", admin).status, 404);
}

TEST_P(AuthSecurityTest, IdleAndAbsoluteTimeoutsEndSessions) {
  const auto policy = linli::test::test_policy();
  auto name = make_user("timeout");
  // Idle: no request for longer than the idle limit.
  auto idle = login(name).json()["token"].get<std::string>();
  ASSERT_EQ(http().get("/api/v1/auth/me", idle).status, 200);
  linli::test::advance_test_clock(policy.session_idle_ms + 60'000);
  auto r = http().get("/api/v1/auth/me", idle);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json()["detail"], "登录已过期，请重新登录");
  // Absolute: busy all along, but the working day is over.
  auto busy = login(name).json()["token"].get<std::string>();
  std::int64_t elapsed = 0;
  const std::int64_t stride = policy.session_idle_ms - 10 * 60'000;
  while (elapsed + stride < policy.session_absolute_ms) {
    linli::test::advance_test_clock(stride);
    elapsed += stride;
    ASSERT_EQ(http().get("/api/v1/auth/me", busy).status, 200)
        << "after " << elapsed / 60'000 << " min";
  }
  linli::test::advance_test_clock(policy.session_absolute_ms - elapsed + 60'000);
  EXPECT_EQ(http().get("/api/v1/auth/me", busy).status, 401);
}

TEST_P(AuthSecurityTest, PasswordPolicyOnChangeResetAndCreate) {
  auto name = make_user("pwpolicy");
  auto token = login(name).json()["token"].get<std::string>();
  auto change = [&](const std::string& pw) {
    return http().post("/api/v1/auth/password",
                       {{"old_password", "Passw0rd!x"}, {"new_password", pw}}, token);
  };
  auto common = change("woaini1314");
  EXPECT_EQ(common.status, 422);
  EXPECT_EQ(common.header("content-type").rfind("application/problem+json", 0), 0u);
  EXPECT_EQ(common.json()["errors"][0]["field"], "new_password");
  EXPECT_EQ(common.json()["errors"][0]["message"], "这是常见的弱密码，很容易被猜到，请换一个");
  EXPECT_EQ(change("qq123456").status, 422);
  EXPECT_EQ(change("Short1!").json()["errors"][0]["message"], "密码至少需要10位");
  EXPECT_EQ(change("onlylowercaseletters").status, 422);
  EXPECT_EQ(change(name + "X1!").json()["errors"][0]["message"], "密码不能包含用户名");
  EXPECT_EQ(http().get("/api/v1/auth/me", token).status, 200) << "a refused change ends nothing";
  auto admin = env().token("admin");
  auto id = std::to_string(user_id(name));
  auto reset =
      http().post("/api/v1/users/" + id + "/password", {{"new_password", "a1234567"}}, admin);
  EXPECT_EQ(reset.status, 422);
  EXPECT_EQ(
      http()
          .post("/api/v1/users",
                {{"username", "weak_" + GetParam()},
                 {"display_name", "弱密码"},
                 {"password", "1qaz2wsx3edc"},
                 {"roles",
                  {{{"role", "grid_worker"}, {"node_id", env().accounts["grid_worker"].node}}}}},
                admin)
          .status,
      422);
  EXPECT_EQ(
      env().count("SELECT count(*) AS n FROM users WHERE username = $1", {"weak_" + GetParam()}),
      0);
  EXPECT_EQ(change("Linli@2026").status, 204);
}

TEST_P(AuthSecurityTest, StaffEnrolTotpThenLoginIsTwoStep) {
  auto name = make_user("totp");
  auto first = login(name).json();
  ASSERT_EQ(first["stage"], "full");
  auto token = first["token"].get<std::string>();
  EXPECT_FALSE(http().get("/api/v1/auth/totp", token).json()["enabled"].get<bool>());
  auto enrol = http().post("/api/v1/auth/totp/enrol", json::object(), token);
  ASSERT_EQ(enrol.status, 200) << enrol.body;
  auto secret = enrol.json()["secret"].get<std::string>();
  EXPECT_EQ(enrol.json()["uri"], "otpauth://totp/linli:" + name + "?secret=" + secret +
                                     "&issuer=linli&algorithm=SHA1&digits=6&period=30");
  // The secret is sealed at rest, never stored in the clear.
  auto stored = env().db->one("SELECT totp_pending_enc FROM users WHERE username = $1", {name});
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->str("totp_pending_enc").find(secret), std::string::npos);
  auto wrong = http().post("/api/v1/auth/totp/confirm", {{"code", "000000"}}, token);
  if (code(secret) != "000000") {
    EXPECT_EQ(wrong.status, 422);
  }
  const auto s0 = totp::step_of(linli::test::test_now_ms());
  auto ok = http().post("/api/v1/auth/totp/confirm", {{"code", totp::code_at(secret, s0)}}, token);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(http().get("/api/v1/auth/totp", token).json()["enabled"].get<bool>());

  // Password alone now opens only a half session.
  auto half = login(name).json();
  ASSERT_EQ(half["stage"], "totp");
  auto partial = half["token"].get<std::string>();
  EXPECT_FALSE(half["user"].contains("permissions"));
  auto blocked = http().get("/api/v1/residents", partial);
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(blocked.json()["detail"], "请先输入两步验证码完成登录");
  EXPECT_EQ(http().get("/api/v1/auth/me", partial).json()["stage"], "totp");
  // The code used to confirm cannot be used again; the next one can.
  EXPECT_EQ(
      http().post("/api/v1/auth/login/totp", {{"code", totp::code_at(secret, s0)}}, partial).status,
      401);
  auto done =
      http().post("/api/v1/auth/login/totp", {{"code", totp::code_at(secret, s0 + 1)}}, partial);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.json()["stage"], "full");
  auto full = done.json()["token"].get<std::string>();
  EXPECT_NE(full, partial) << "the token changes when the session is upgraded";
  EXPECT_EQ(http().get("/api/v1/auth/me", partial).status, 401);
  EXPECT_EQ(http().get("/api/v1/residents?limit=1", full).status, 200);
  // A replayed code is refused even on a new login.
  auto again = login(name).json()["token"].get<std::string>();
  EXPECT_EQ(http()
                .post("/api/v1/auth/login/totp", {{"code", totp::code_at(secret, s0 + 1)}}, again)
                .status,
            401);
  // Guessing: after a few wrong codes the half session ends.
  for (int i = 0; i < 3; ++i) http().post("/api/v1/auth/login/totp", {{"code", "999999"}}, again);
  EXPECT_EQ(http().get("/api/v1/auth/me", again).status, 401);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the throttle passes

  // Disable with a fresh code (time moves on to the next step).
  linli::test::advance_test_clock(totp::kStepSeconds * 1000);
  EXPECT_EQ(http().post("/api/v1/auth/totp/disable", {{"code", "12"}}, full).status, 422);
  auto off = http().post("/api/v1/auth/totp/disable", {{"code", code(secret, 1)}}, full);
  EXPECT_EQ(off.status, 204) << off.body;
  EXPECT_EQ(login(name).json()["stage"], "full");
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM audit_log WHERE entity_id = $1 AND action IN "
                        "('auth.totp_enable', 'auth.totp_disable')",
                        {user_id(name)}),
            2);
}

TEST_P(AuthSecurityTest, AdminMustEnrolBeforeAnythingElse) {
  auto name = make_user("newadmin", "admin");
  auto first = login(name).json();
  ASSERT_EQ(first["stage"], "enrol");
  auto enrol_token = first["token"].get<std::string>();
  auto blocked = http().get("/api/v1/users", enrol_token);
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(blocked.json()["detail"], "系统管理员须先设置两步验证，才能进行其他操作");
  EXPECT_EQ(http().get("/api/v1/auth/me", enrol_token).json()["stage"], "enrol");
  auto status = http().get("/api/v1/auth/totp", enrol_token).json();
  EXPECT_TRUE(status["required"].get<bool>());
  auto enrol = http().post("/api/v1/auth/totp/enrol", json::object(), enrol_token);
  ASSERT_EQ(enrol.status, 200) << enrol.body;
  auto secret = enrol.json()["secret"].get<std::string>();
  auto confirmed = http().post("/api/v1/auth/totp/confirm", {{"code", code(secret)}}, enrol_token);
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(confirmed.json()["stage"], "full");
  EXPECT_NE(confirmed.header("set-cookie").find("linli_session="), std::string::npos);
  auto full = confirmed.json()["token"].get<std::string>();
  EXPECT_EQ(http().get("/api/v1/users?limit=1", full).status, 200);
  EXPECT_EQ(http().get("/api/v1/auth/me", enrol_token).status, 401);
  // An administrator may not switch the factor off.
  linli::test::advance_test_clock(totp::kStepSeconds * 1000);
  auto off = http().post("/api/v1/auth/totp/disable", {{"code", code(secret)}}, full);
  EXPECT_EQ(off.status, 409);
  // The demo admin: password alone is not enough.
  auto demo = login("admin", "", env().password).json();
  EXPECT_EQ(demo["stage"], "totp");
  EXPECT_EQ(http().get("/api/v1/users", demo["token"].get<std::string>()).status, 403);
  // A lost phone: an administrator clears a staff member's factor.
  auto staff = make_user("lostphone");
  auto st = login(staff).json()["token"].get<std::string>();
  auto s2 = http()
                .post("/api/v1/auth/totp/enrol", json::object(), st)
                .json()["secret"]
                .get<std::string>();
  ASSERT_EQ(http().post("/api/v1/auth/totp/confirm", {{"code", code(s2)}}, st).status, 200);
  EXPECT_EQ(login(staff).json()["stage"], "totp");
  EXPECT_EQ(http()
                .post("/api/v1/users/" + std::to_string(user_id(staff)) + "/totp/reset",
                      json::object(), full)
                .status,
            204);
  EXPECT_EQ(http().get("/api/v1/auth/me", st).status, 401);
  EXPECT_EQ(login(staff).json()["stage"], "full");
}

TEST_P(AuthSecurityTest, CookieWritesNeedOurOrigin) {
  auto name = make_user("csrf");
  auto r = login(name);
  auto cookie_header = r.header("set-cookie");
  EXPECT_NE(cookie_header.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie_header.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie_header.find("Secure"), std::string::npos);
  auto token = r.json()["token"].get<std::string>();
  auto cookie = "linli_session=" + token;
  auto origin = "http://127.0.0.1:" + std::to_string(http().port());
  auto write = [&](const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> h = {{"cookie", cookie},
                                            {"content-type", "application/json"}};
    h.insert(extra.begin(), extra.end());
    return http().request("POST", "/api/v1/auth/sessions/revoke-others", "{}", "", h);
  };
  auto none = write({});
  EXPECT_EQ(none.status, 403) << "a cookie write naming no origin is refused";
  EXPECT_EQ(none.header("content-type").rfind("application/problem+json", 0), 0u);
  EXPECT_EQ(write({{"origin", "http://evil.example"}}).status, 403);
  EXPECT_EQ(write({{"origin", "null"}}).status, 403);
  EXPECT_EQ(write({{"referer", "http://evil.example/page"}}).status, 403);
  EXPECT_EQ(write({{"origin", origin + ".evil.example"}}).status, 403);
  EXPECT_EQ(write({{"origin", origin}}).status, 200);
  EXPECT_EQ(write({{"referer", origin + "/account?x=1"}}).status, 200);
  // Reads by cookie and writes by bearer token need no origin.
  EXPECT_EQ(http().request("GET", "/api/v1/auth/me", "", "", {{"cookie", cookie}}).status, 200);
  EXPECT_EQ(http().post("/api/v1/auth/sessions/revoke-others", json::object(), token).status, 200);

  // With --public-origin only that origin is ours, and the cookie is Secure.
  linli::AppConfig cfg;
  cfg.public_origin = "https://linli.example.gov.cn";
  cfg.secure_cookie = true;
  ExtraServer extra(env(), cfg);
  auto l =
      extra.client->post("/api/v1/auth/login", {{"username", name}, {"password", "Passw0rd!x"}});
  EXPECT_NE(l.header("set-cookie").find("; Secure"), std::string::npos);
  auto c2 = "linli_session=" + l.json()["token"].get<std::string>();
  auto w2 = [&](const std::string& o) {
    return extra.client
        ->request("POST", "/api/v1/auth/sessions/revoke-others", "{}", "",
                  {{"cookie", c2}, {"content-type", "application/json"}, {"origin", o}})
        .status;
  };
  EXPECT_EQ(w2("http://127.0.0.1:" + std::to_string(extra.client->port())), 403);
  EXPECT_EQ(w2("https://linli.example.gov.cn"), 200);
}

TEST_P(AuthSecurityTest, WriteBurstPerAccountGets429OthersUnaffected) {
  auto a = make_user("rate_a");
  auto b = make_user("rate_b");
  linli::AppConfig cfg;
  cfg.writes_per_account = {0.6, 5};  // 5 at once, then one per 100 s
  ExtraServer extra(env(), cfg);
  auto ta = extra.client->login(a, "Passw0rd!x");
  auto tb = extra.client->login(b, "Passw0rd!x");
  ASSERT_FALSE(ta.empty());
  auto write = [&](const std::string& t) {
    return extra.client->post("/api/v1/auth/sessions/revoke-others", json::object(), t);
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(write(ta).status, 200) << i;
  auto refused = write(ta);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("content-type").rfind("application/problem+json", 0), 0u);
  EXPECT_GE(std::stoi(refused.header("retry-after")), 1);
  EXPECT_EQ(write(tb).status, 200) << "another account is not slowed down";
  EXPECT_EQ(extra.client->get("/api/v1/auth/me", ta).status, 200) << "reads are not limited";
}

TEST_P(AuthSecurityTest, WriteBurstPerAddressGets429) {
  auto a = make_user("addr_a");
  auto b = make_user("addr_b");
  linli::AppConfig cfg;
  cfg.writes_per_address = {0.6, 8};  // logins count as writes too
  ExtraServer extra(env(), cfg);
  auto ta = extra.client->login(a, "Passw0rd!x");
  auto tb = extra.client->login(b, "Passw0rd!x");
  int ok = 0, refused = 0;
  for (int i = 0; i < 10; ++i) {
    auto r =
        extra.client->post("/api/v1/auth/sessions/revoke-others", json::object(), i % 2 ? ta : tb);
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++refused;
      EXPECT_FALSE(r.header("retry-after").empty());
    }
  }
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(refused, 4) << "the address limit holds whichever account writes";
  EXPECT_EQ(extra.client->get("/api/v1/auth/me", ta).status, 200);
  // The main server (another limiter) is unaffected.
  EXPECT_EQ(http()
                .post("/api/v1/auth/sessions/revoke-others", json::object(),
                      env().token("community_staff"))
                .status,
            200);
}

LINLI_STORE_TESTS(AuthSecurityTest);

}  // namespace

namespace {

// `linli user add|passwd` go through the same policy; `linli totp-code`
// prints the code an authenticator app would show.
std::string run(const std::string& cmd, int& rc) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  rc = p ? pclose(p) : -1;
  return out;
}

TEST(AuthCli, UserAddRefusesWeakPasswords) {
  // (user passwd calls the same reset_password the admin API test covers.)
  auto dir = std::filesystem::temp_directory_path() / ("linli-cli-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto store = " --db sqlite:" + (dir / "t.db").string() + " --key-file " + (dir / "k").string();
  auto bin = std::string(LINLI_BINARY);
  int rc = 0;
  auto weak = run(bin + " user add clerk --password woaini1314 --role admin@node:1" + store, rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(weak.find("这是常见的弱密码"), std::string::npos) << weak;
  auto named = run(bin + " user add clerk --password Clerk-2026x --role admin@node:1" + store, rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(named.find("密码不能包含用户名"), std::string::npos) << named;
  auto short_pw = run(bin + " user add clerk --password Ab1! --role admin@node:1" + store, rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(short_pw.find("密码至少需要10位"), std::string::npos) << short_pw;
  auto code = run(bin + " totp-code GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(code.size(), 7u) << code;  // six digits and a newline
  std::filesystem::remove_all(dir);
}

}  // namespace

// Serve flags out of range stop the server with a message saying which flag
// and what range, before anything is changed.
TEST(ServeFlags, OutOfRangeValuesAreRefusedWithTheFlagNamed) {
  linli::AppConfig cfg;
  linli::SecurityFlags f;
  f.sqlite_memory_mb = 1;
  EXPECT_NE(linli::apply_security_flags(f, cfg).find("--sqlite-memory-mb"), std::string::npos);
  f = {};
  f.session_hours = 0;
  EXPECT_NE(linli::apply_security_flags(f, cfg).find("--session-hours"), std::string::npos);
  f = {};
  f.public_origin = "linli.example.gov.cn";
  EXPECT_NE(linli::apply_security_flags(f, cfg).find("--public-origin"), std::string::npos);
}
