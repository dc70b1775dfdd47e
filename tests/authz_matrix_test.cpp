// The authorization matrix, generated from the router's route table: every
// route × every role × a target inside and outside the role's scope.
//   - no login → 401 on every route that is not public;
//   - the role lacks the route's permission → 403;
//   - the role holds it, the target is outside its subtree → 404;
//   - the role holds it, the target is inside → anything but 401/403/404.
// Path parameters are filled from kParams (keyed by "segment/{name}"); routes
// open to any signed-in user name the permissions their handler checks in
// kSignedInRoutes. A route this file does not cover, or one that declares no
// permission, fails the test: adding an endpoint means saying who may call it.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "auth/roles.hpp"

using linli::test::ApiEnv;

namespace {

// How to fill one path parameter. `inside`/`outside` are SQL answering one
// column n for the subtree [$1, $2) of the caller's scope; `global` answers n
// for everyone (the handler scopes it some other way); `fixed` is a literal.
struct Param {
  std::string inside, outside, global, fixed;
  // The entity is scoped by something other than the caller's node subtree
  // (an organisation, a community's month, a resident's own record): an
  // in-scope 404 is not a failure, only 401/403 are.
  bool own_scope = false;
  // The value names an action whose own rules (cases/actions.cpp) say which
  // roles may take it: an in-scope 403 from them is expected.
  bool action_rules = false;
};

std::string in_tree(const std::string& table, const std::string& col) {
  // The newest: for residents and users that is the matrix's own record.
  return "SELECT max(id) AS n FROM " + table + " WHERE " + col + " >= $1 AND " + col + " < $2";
}
std::string out_tree(const std::string& table, const std::string& col) {
  return "SELECT min(id) AS n FROM " + table + " WHERE NOT (" + col + " >= $1 AND " + col +
         " < $2)";
}

Param scoped(const std::string& table, const std::string& col) {
  Param p;
  p.inside = in_tree(table, col);
  p.outside = out_tree(table, col);
  return p;
}
Param global(std::string sql, bool own_scope = false) {
  Param p;
  p.global = std::move(sql);
  p.own_scope = own_scope;
  return p;
}
Param fixed(std::string v, bool own_scope = false) {
  Param p;
  p.fixed = std::move(v);
  p.own_scope = own_scope;
  return p;
}

Param action(std::string v) {
  Param p = fixed(std::move(v));
  p.action_rules = true;
  return p;
}

const std::map<std::string, Param>& params() {
  static const std::map<std::string, Param> m = {
      {"users/{id}", global("SELECT min(id) AS n FROM users WHERE username = 'matrix-target'")},
      {"nodes/{id}", scoped("nodes", "path")},
      {"households/{id}", scoped("households", "node_path")},
      {"residents/{id}", scoped("residents", "node_path")},
      {"cases/{id}", scoped("cases", "node_path")},
      {"actions/{action}", action("accept")},
      {"whistles/{org_id}",
       global("SELECT min(id) AS n FROM orgs WHERE kind = 'department'", true)},
      {"whistles/{step}", fixed("report")},
      {"categories/{id}", global("SELECT min(id) AS n FROM case_categories")},
      {"blobs/{sha256}", fixed(std::string(64, '0'), true)},
      {"months/{community}",
       global("SELECT min(id) AS n FROM nodes WHERE kind = 'community'", true)},
      {"months/{month}", fixed("2026-01")},
      {"objections/{id}", global("SELECT COALESCE(min(id), 1) AS n FROM points_objections", true)},
      {"items/{id}", global("SELECT min(id) AS n FROM shop_items", true)},
      {"redemptions/{id}", global("SELECT COALESCE(min(id), 1) AS n FROM redemptions", true)},
      {"services/{id}", global("SELECT min(id) AS n FROM merchant_services", true)},
      {"statements/{org}", global("SELECT min(id) AS n FROM orgs WHERE kind = 'merchant'", true)},
      // Sessions belong to their user: an id that is nobody's answers 404 and
      // ends nothing (a real id could be the session the matrix runs on).
      {"sessions/{id}", fixed("999999999", true)},
      {"sessions/{sid}", fixed("999999999", true)},
      // Open311 (public, api_key): documented in docs/OPEN311.md.
      {"requests/{id}", fixed("1", true)},
      {"services/{code}", fixed("1", true)},
      {"tokens/{token}", fixed("x", true)},
  };
  return m;
}

// Routes open to every signed-in user whose handler checks more itself: the
// permissions any of which lets a caller through (empty: everyone). "stream"
// routes (an open SSE stream, logout) are checked for 401 only.
struct SignedIn {
  SignedIn(std::set<std::string> perms = {}, bool is_stream = false)
      : any_of(std::move(perms)), stream(is_stream) {}
  std::set<std::string> any_of;
  bool stream = false;
};
const std::map<std::string, SignedIn>& signed_in_routes() {
  static const std::map<std::string, SignedIn> m = {
      {"POST /api/v1/auth/logout", SignedIn({}, true)},  // would end the shared session
      {"GET /api/v1/auth/me", {}},
      {"POST /api/v1/auth/password", {}},
      {"GET /api/v1/roles", {}},
      {"GET /api/v1/case-categories", {}},
      {"POST /api/v1/blobs", {}},
      {"GET /api/v1/blobs/{sha256}", {}},
      {"POST /api/v1/cases", {{"case.create", "case.report"}}},
      {"GET /api/v1/cases", {{"case.read", "case.report", "case.department", "case.property"}}},
      {"GET /api/v1/cases/{id}",
       {{"case.read", "case.report", "case.department", "case.property"}}},
      {"POST /api/v1/cases/{id}/actions/{action}",
       {{"case.handle", "case.dispatch", "case.report", "case.department", "case.property"}}},
      {"GET /api/v1/auth/sessions", {}},
      {"DELETE /api/v1/auth/sessions/{id}", {}},
      // Would end the other sessions of the shared demo accounts, or change
      // how they sign in: checked for 401 only (AuthSecurityTest covers them).
      {"POST /api/v1/auth/sessions/revoke-others", SignedIn({}, true)},
      {"POST /api/v1/auth/totp/enrol", SignedIn({}, true)},
      {"POST /api/v1/auth/login/totp", SignedIn({}, true)},
      {"GET /api/v1/auth/totp", {}},
      {"POST /api/v1/auth/totp/confirm", {}},
      {"POST /api/v1/auth/totp/disable", {}},
      {"GET /api/v1/notifications", {}},
      {"POST /api/v1/notifications/read", {}},
      {"GET /api/v1/notifications/stream", SignedIn({}, true)},
      {"GET /api/v1/map/grids", {}},
      {"GET /api/v1/points/rules", {{"points.read", "points.self"}}},
      {"GET /api/v1/points/months/{community}/{month}", {}},
      {"GET /api/v1/points/honours", {}},
      {"GET /api/v1/points/balance", {}},
      {"GET /api/v1/points/items", {{"points.read", "points.self"}}},
      {"POST /api/v1/points/redemptions/{id}/cancel", {}},
      {"GET /api/v1/points/redemptions", {}},
      {"GET /api/v1/points/services", {{"points.read", "points.self", "merchant.portal"}}},
      {"POST /api/v1/points/services", {{"merchant.portal", "points.shop"}}},
      {"GET /api/v1/points/statements/{org}", {}},
  };
  return m;
}

std::vector<std::string> segments(const std::string& pattern) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    auto j = pattern.find('/', i + 1);
    if (j == std::string::npos) j = pattern.size();
    out.push_back(pattern.substr(i + 1, j - i - 1));
    i = j;
  }
  return out;
}
bool is_param(const std::string& s) { return s.size() > 2 && s.front() == '{'; }

// The keys of a pattern's parameters: "residents/{id}", "whistles/{step}".
std::vector<std::string> param_keys(const std::string& pattern) {
  std::vector<std::string> keys;
  std::string last;
  for (const auto& s : segments(pattern)) {
    if (is_param(s))
      keys.push_back(last + "/" + s);
    else
      last = s;
  }
  return keys;
}

class AuthzMatrixTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  // Records the matrix may change (the calls succeed inside scope): an
  // account and a resident in the smallest scope (unit1's unit), so nothing
  // another test or a demo account depends on is touched.
  void SetUp() override {
    StoreParamTest::SetUp();
    if (IsSkipped()) return;
    auto admin = env().token("admin");
    auto grid = env().accounts["grid_worker"].node;
    (void)env().client->post("/api/v1/users",
                             {{"username", "matrix-target"},
                              {"display_name", "矩阵测试"},
                              {"password", "Passw0rd!x"},
                              {"roles", {{{"role", "grid_worker"}, {"node_id", grid}}}}},
                             admin);
    auto unit = env().path_of(env().accounts["unit_head"].node);
    auto h =
        env().count("SELECT min(id) AS n FROM households WHERE node_path >= $1 AND node_path < $2",
                    {unit, linli::auth::subtree_end(unit)});
    auto r = env().client->post(
        "/api/v1/residents",
        {{"household_id", h}, {"name", "矩阵测试"}, {"gender", "女"}, {"relation", "其他"}}, admin);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::int64_t value(const std::string& sql, const std::string& root) {
    if (sql.find("$1") == std::string::npos) return env().count(sql);
    return env().count(sql, {root, linli::auth::subtree_end(root)});
  }
  // The target for a route: "inside", "outside" of root, or "" when a
  // parameter has no such record (then the case is skipped).
  enum class Where { inside, outside, missing };
  std::optional<std::string> target(const std::string& pattern, const std::string& root,
                                    bool inside) {
    return target(pattern, root, inside ? Where::inside : Where::outside);
  }
  // missing: the scoped parameters name no record at all.
  std::optional<std::string> target(const std::string& pattern, const std::string& root,
                                    Where where) {
    const bool inside = where == Where::inside;
    std::string path;
    std::string last;
    for (const auto& s : segments(pattern)) {
      path += "/";
      if (!is_param(s)) {
        path += s;
        last = s;
        continue;
      }
      const Param& p = params().at(last + "/" + s);
      if (!p.fixed.empty()) {
        path += p.fixed;
      } else if (!p.global.empty()) {
        path += std::to_string(value(p.global, root));
      } else {
        if (where == Where::missing) {
          path += "999999999";
          continue;
        }
        if (root.empty()) return std::nullopt;  // an organisation's account: no subtree
        auto v = value(inside ? p.inside : p.outside, root);
        if (v == 0) return std::nullopt;  // nothing there (the whole city is in scope)
        path += std::to_string(v);
      }
    }
    return path;
  }
  linli::test::HttpResult call(const linli::http::Route& r, const std::string& path,
                               const std::string& token) {
    std::string body;
    std::map<std::string, std::string> headers;
    if (r.method != "GET") {
      bool csv = r.pattern.starts_with("/api/v1/import/");
      body = csv ? "" : "{}";
      headers["content-type"] = csv ? "text/csv" : "application/json";
    }
    return env().client->request(r.method, path, body, token, headers);
  }
  std::map<std::string, std::string> tokens_;  // one login per role
};

TEST_P(AuthzMatrixTest, EveryRouteDeclaresAPermissionAndIsCovered) {
  const auto& routes = env().app->router.routes();
  ASSERT_GT(routes.size(), 50u);
  auto perms = linli::auth::all_permissions();
  std::set<std::string> known(perms.begin(), perms.end());
  for (const auto& r : routes) {
    EXPECT_FALSE(r.permission.empty()) << r.method << " " << r.pattern << " declares no permission";
    for (const auto& k : param_keys(r.pattern))
      EXPECT_TRUE(params().count(k)) << r.method << " " << r.pattern << ": no ids for " << k
                                     << " in kParams (tests/authz_matrix_test.cpp)";
    if (r.permission == linli::http::access::kSignedIn) {
      EXPECT_TRUE(signed_in_routes().count(r.method + " " + r.pattern))
          << r.method << " " << r.pattern
          << " is open to every signed-in user: say in signed_in_routes() which permissions "
             "its handler checks";
    } else if (r.permission != linli::http::access::kPublic) {
      EXPECT_TRUE(known.count(r.permission))
          << r.pattern << ": permission " << r.permission << " is held by no role";
    }
  }
}

TEST_P(AuthzMatrixTest, EveryRouteEveryRoleInsideAndOutsideScope) {
  const auto& routes = env().app->router.routes();
  int checked = 0;
  for (const auto& r : routes) {
    bool covered = true;
    for (const auto& k : param_keys(r.pattern)) covered = covered && params().count(k);
    if (!covered || r.permission.empty()) continue;  // reported by the test above
    const std::string route = r.method + " " + r.pattern;
    if (r.permission == linli::http::access::kPublic) continue;
    // No login: 401, before anything else is looked at.
    if (auto t = target(r.pattern, "/", true)) {
      auto anon = call(r, *t, "");
      EXPECT_EQ(anon.status, 401) << route << " without login";
      ++checked;
    }
    const SignedIn* open = nullptr;
    if (r.permission == linli::http::access::kSignedIn) {
      auto it = signed_in_routes().find(route);
      if (it == signed_in_routes().end()) continue;  // reported by the test above
      open = &it->second;
      if (open->stream) continue;
    }
    for (const auto& role : linli::auth::roles()) {
      auto acct = env().accounts.find(role.code);
      if (acct == env().accounts.end()) continue;
      auto& token = tokens_[role.code];
      if (token.empty()) token = env().token(role.code);
      bool holds = false;
      auto has = [&](const std::string& perm) {
        return std::find(role.permissions.begin(), role.permissions.end(), perm) !=
               role.permissions.end();
      };
      if (open)
        holds = open->any_of.empty() || std::any_of(open->any_of.begin(), open->any_of.end(), has);
      else
        holds = has(r.permission);
      std::string root = acct->second.node ? env().path_of(acct->second.node) : "";
      bool own_scope = false, action_rules = false, has_target = false;
      for (const auto& k : param_keys(r.pattern)) {
        own_scope = own_scope || params().at(k).own_scope;
        action_rules = action_rules || params().at(k).action_rules;
        has_target = has_target || (params().at(k).global.empty() && params().at(k).fixed.empty());
      }
      auto in = target(r.pattern, root, true);
      if (!holds) {
        if (!in) in = target(r.pattern, "/", true);
        if (!in) continue;
        auto res = call(r, *in, token);
        EXPECT_EQ(res.status, 403)
            << route << " as " << role.code << " (no permission) → " << res.body.substr(0, 200);
        ++checked;
        continue;
      }
      if (in) {
        auto res = call(r, *in, token);
        EXPECT_NE(res.status, 401) << route << " as " << role.code;
        if (!action_rules) {
          EXPECT_NE(res.status, 403) << route << " as " << role.code << " inside scope " << *in
                                     << " → " << res.body.substr(0, 200);
        }
        // Without a record in the path a 404 comes from the query's own
        // filters (a community to rank, a resident's balance), not from scope.
        if (!own_scope && has_target) {
          EXPECT_NE(res.status, 404) << route << " as " << role.code << " inside scope " << *in
                                     << " → " << res.body.substr(0, 200);
        }
        ++checked;
      }
      if (auto out = target(r.pattern, root, false); out && out != in) {
        // Outside the scope is indistinguishable from absent: 404 for a
        // read; a write whose body is refused first (400/422) answers the
        // same for a record that does not exist.
        auto res = call(r, *out, token);
        auto absent = call(r, *target(r.pattern, root, Where::missing), token);
        if (r.method == "GET" || (res.status != 400 && res.status != 422)) {
          EXPECT_EQ(res.status, 404) << route << " as " << role.code << " outside scope " << *out
                                     << " → " << res.body.substr(0, 200);
        } else {
          EXPECT_EQ(res.status, absent.status)
              << route << " as " << role.code << " outside scope " << *out << " answers "
              << res.status << " but " << absent.status << " for a record that does not exist";
        }
        ++checked;
      }
    }
  }
  std::printf("[ matrix   ] %s: %d route × role × target checks\n", GetParam().c_str(), checked);
}

LINLI_STORE_TESTS(AuthzMatrixTest);

}  // namespace
