// /api/v1/auth/*, /api/v1/users/*, /api/v1/audit: decode, call the service, encode.
#include "app/app.hpp"
#include "app/audit_cli.hpp"
#include "auth/roles.hpp"
#include "auth/route_helpers.hpp"
#include "auth/scope_sql.hpp"
#include "core/clock.hpp"

namespace linli {
namespace {

const char* home_of(const auth::Principal& p) {
  // Staff who also hold a resident role still work in the console.
  const char* home = "mobile";
  for (const auto& g : p.grants)
    if (const auto* r = auth::find_role(g.role)) {
      if (std::string(r->home) == "console") return "console";
      if (std::string(home) == "mobile") home = r->home;
    }
  return home;
}

Json grants_json(const std::vector<auth::Grant>& grants) {
  Json roles = Json::array();
  for (const auto& g : grants) {
    const auto* info = auth::find_role(g.role);
    roles.push_back({{"role", g.role},
                     {"role_name", info ? info->name_zh : g.role.c_str()},
                     {"node_id", g.node_id ? Json(g.node_id) : Json(nullptr)},
                     {"node_name", g.node_name},
                     {"org_id", g.org_id ? Json(g.org_id) : Json(nullptr)},
                     {"org_name", g.org_name}});
  }
  return roles;
}

}  // namespace

Json principal_json(const auth::Principal& p) {
  return {{"id", p.user_id},
          {"username", p.username},
          {"display_name", p.display_name},
          {"locked", false},
          {"resident_id", p.resident_id ? Json(p.resident_id) : Json(nullptr)},
          {"roles", grants_json(p.grants)},
          {"permissions", p.permissions()},
          {"home", home_of(p)},
          {"stage", p.stage}};
}

namespace {

Json user_json(const auth::UserInfo& u) {
  auth::Principal p;
  p.grants = u.grants;
  return {{"id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"locked", u.locked},
          {"disabled", u.disabled},
          {"roles", grants_json(u.grants)},
          {"permissions", p.permissions()},
          {"home", home_of(p)}};
}

Result<std::vector<auth::RoleInput>> roles_from(const Json& body) {
  std::vector<auth::RoleInput> out;
  if (!body.contains("roles") || !body["roles"].is_array() || body["roles"].size() > 20)
    return fail(Error::invalid("请检查填写的内容", {{"roles", "请至少选择一个角色（最多20个）"}}));
  for (const auto& r : body["roles"]) {
    if (!r.is_object() || !r.contains("role") || !r["role"].is_string())
      return fail(Error::invalid("请检查填写的内容", {{"roles", "角色格式不正确"}}));
    auth::RoleInput in{r["role"].get<std::string>()};
    if (r.contains("node_id") && r["node_id"].is_number_integer())
      in.node_id = r["node_id"].get<std::int64_t>();
    if (r.contains("org_id") && r["org_id"].is_number_integer())
      in.org_id = r["org_id"].get<std::int64_t>();
    out.push_back(std::move(in));
  }
  return out;
}

// An administrator may hand out node roles only inside their own subtree.
Status roles_in_scope(App& app, const auth::Principal& p,
                      const std::vector<auth::RoleInput>& roles) {
  for (const auto& r : roles) {
    if (!r.node_id) continue;
    auto n = app.db.query("SELECT path FROM nodes WHERE id = $1", {r.node_id});
    if (!n) return fail(n.error());
    if (n->empty()) continue;  // the service reports the unknown node by field
    if (auto a = auth::authorize(p, "user.manage", (*n)[0].str("path")); !a) return a;
  }
  return {};
}

}  // namespace

std::string session_cookie(const std::string& token, std::int64_t max_age_s, bool secure) {
  return "linli_session=" + token +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s) +
         (secure ? "; Secure" : "");
}

http::Response login_response(App& app, const auth::LoginResult& r) {
  const auto& p = r.principal;
  Json user = p.stage == auth::kStageTotp ? Json{{"username", p.username}, {"stage", p.stage}}
                                          : principal_json(p);
  auto res = http::Response::json({{"token", r.token}, {"stage", p.stage}, {"user", user}});
  auto life = p.stage == auth::kStageFull   ? app.cfg.auth.session_absolute_ms
              : p.stage == auth::kStageTotp ? app.cfg.auth.second_step_ms
                                            : app.cfg.auth.enrol_ms;
  res.headers.emplace_back("Set-Cookie",
                           session_cookie(r.token, life / 1000, app.cfg.secure_cookie));
  return res;
}

namespace {

void add_session_routes(App& app) {
  Json login_schema = {
      {"type", "object"},
      {"required", {"username", "password"}},
      {"properties", {{"username", {{"type", "string"}}}, {"password", {{"type", "string"}}}}}};
  app.router.add({"POST", "/api/v1/auth/login", http::access::kPublic, "auth", "登录",
                  [&app](http::Request& req) {
                    auto body = body_json(req);
                    if (!body) return http::Response::problem(body.error(), req.request_id);
                    Fields f(*body);
                    auto username = f.text("username", "用户名", 64);
                    auto password = f.text("password", "密码", 128);
                    if (!f.ok()) return http::Response::problem(f.error(), req.request_id);
                    auto r = app.auth.login(*username, *password, App::actor(req),
                                            req.header("user-agent"));
                    if (!r) return http::Response::problem(r.error(), req.request_id);
                    return login_response(app, *r);
                  },
                  login_schema});
  app.router.add({"POST", "/api/v1/auth/logout", http::access::kSignedIn, "auth", "退出登录",
                  [&app](http::Request& req) {
                    auto r = app.auth.logout(caller(req), App::actor(req));
                    if (!r) return http::Response::problem(r.error(), req.request_id);
                    auto res = http::Response::no_content();
                    res.headers.emplace_back("Set-Cookie",
                                             session_cookie("", 0, app.cfg.secure_cookie));
                    return res;
                  }});
  app.router.add({"GET", "/api/v1/auth/me", http::access::kSignedIn, "auth", "当前用户",
                  json_handler([](http::Request& req) -> Result<Json> {
                    return principal_json(caller(req));
                  })});
  app.router.add(
      {"POST",
       "/api/v1/auth/password",
       http::access::kSignedIn,
       "auth",
       "修改密码",
       json_handler(
           [&app](http::Request& req) -> Result<Json> {
             auto body = body_json(req);
             if (!body) return fail(body.error());
             Fields f(*body);
             auto old_pw = f.text("old_password", "原密码", 128);
             auto new_pw = f.text("new_password", "新密码", 128);
             if (!f.ok()) return fail(f.error());
             auto r = app.auth.change_password(caller(req), *old_pw, *new_pw, App::actor(req));
             if (!r) return fail(r.error());
             return Json(nullptr);
           },
           204),
       {{"type", "object"},
        {"properties",
         {{"old_password", {{"type", "string"}}}, {"new_password", {{"type", "string"}}}}}}});
}

void add_user_routes(App& app) {
  app.router.add({"GET",
                  "/api/v1/users",
                  "user.manage",
                  "auth",
                  "账号列表",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    auto page = page_of(req);
                    if (!page) return fail(page.error());
                    auto users =
                        app.auth.list_users(req.q("q").value_or(""), page->after, page->limit + 1);
                    if (!users) return fail(users.error());
                    Json items = Json::array();
                    for (const auto& u : *users) items.push_back(user_json(u));
                    return page_json(std::move(items), page->limit);
                  }),
                  nullptr,
                  {"q", "cursor", "limit"}});
  app.router.add({"POST",
                  "/api/v1/users",
                  "user.manage",
                  "auth",
                  "新建账号",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        Fields f(*body);
                        auto username = f.text("username", "用户名", 32);
                        auto display = f.text("display_name", "姓名", 30);
                        auto password = f.text("password", "密码", 128);
                        auto resident = f.integer("resident_id", "居民", false, 1);
                        auto roles = roles_from(*body);
                        if (!roles) {
                          for (const auto& e : roles.error().errors) f.add(e.field, e.message);
                        }
                        if (username &&
                            username->find_first_not_of(
                                "abcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
                          f.add("username", "用户名只能包含小写字母、数字、下划线、点和短横线");
                        if (!f.ok()) return fail(f.error());
                        if (auto s = roles_in_scope(app, caller(req), *roles); !s)
                          return fail(s.error());
                        auto u = app.auth.create_user(*username, *display, *password, *roles,
                                                      resident.value_or(0), App::actor(req));
                        if (!u) return fail(u.error());
                        return user_json(*u);
                      },
                      201),
                  {{"type", "object"},
                   {"required", {"username", "display_name", "password", "roles"}},
                   {"properties",
                    {{"username", {{"type", "string"}}},
                     {"display_name", {{"type", "string"}}},
                     {"password", {{"type", "string"}}},
                     {"roles", {{"type", "array"}}}}}}});
  app.router.add({"GET", "/api/v1/users/{id}", "user.manage", "auth", "账号详情",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto u = app.auth.get_user(*id);
                    if (!u) return fail(u.error());
                    return user_json(*u);
                  })});
  app.router.add({"PUT",
                  "/api/v1/users/{id}/roles",
                  "user.manage",
                  "auth",
                  "调整账号角色",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        auto roles = roles_from(*body);
                        if (!roles) return fail(roles.error());
                        if (auto s = roles_in_scope(app, caller(req), *roles); !s)
                          return fail(s.error());
                        if (auto s = app.auth.set_roles(*id, *roles, App::actor(req)); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204),
                  {{"type", "object"}, {"properties", {{"roles", {{"type", "array"}}}}}}});
  app.router.add({"POST", "/api/v1/users/{id}/unlock", "user.manage", "auth", "解锁账号",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        if (auto s = app.auth.unlock(*id, App::actor(req)); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204)});
  app.router.add({"POST",
                  "/api/v1/users/{id}/password",
                  "user.manage",
                  "auth",
                  "重置账号密码",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        Fields f(*body);
                        auto pw = f.text("new_password", "新密码", 128);
                        if (!f.ok()) return fail(f.error());
                        if (auto s = app.auth.reset_password(*id, *pw, App::actor(req)); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204),
                  {{"type", "object"}, {"properties", {{"new_password", {{"type", "string"}}}}}}});
}

Result<Json> list_audit(App& app, http::Request& req) {
  auto page = page_of(req);
  if (!page) return fail(page.error());
  const auto& p = caller(req);
  store::Sql q;
  q << "SELECT id, at, user_id, username, ip, request_id, action, entity, entity_id, summary "
       "FROM audit_log WHERE 1 = 1";
  // Newest first: the cursor is the last id seen, the next page goes below it.
  if (page->after > 0) q << " AND id < " << q.bind(page->after);
  auto node = optional_id(req, "node", "区划");
  if (!node) return fail(node.error());
  auto user = optional_id(req, "user", "用户");
  if (!user) return fail(user.error());
  if (*node) {
    auto n = app.db.query("SELECT path FROM nodes WHERE id = $1", {*node});
    if (!n) return fail(n.error());
    if (n->empty()) return fail(Error::not_found());
    auto path = (*n)[0].str("path");
    if (auto a = auth::authorize(p, "audit.read", path); !a) return fail(a.error());
    auth::and_in_subtree(q, path, "node_path");
  } else if (!p.can("user.manage")) {
    // Account events carry no node; only administrators see them.
    auth::and_in_scope(q, p, "audit.read", "node_path");
  }
  if (*user) q << " AND user_id = " << q.bind(*user);
  if (auto a = req.q("action")) q << " AND action = " << q.bind(*a);
  if (auto from = req.q("from")) {
    auto ms = clock::shanghai_day_start(*from);
    if (!ms) return fail(Error::invalid("开始日期应为 YYYY-MM-DD"));
    q << " AND at >= " << q.bind(*ms);
  }
  if (auto to = req.q("to")) {
    auto ms = clock::shanghai_day_start(*to);
    if (!ms) return fail(Error::invalid("结束日期应为 YYYY-MM-DD"));
    q << " AND at < " << q.bind(*ms + 86400000LL);
  }
  q << " ORDER BY id DESC LIMIT " << q.bind(static_cast<std::int64_t>(page->limit + 1));
  auto rows = app.db.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back(
        {{"id", r.i64("id")},
         {"at", clock::iso(r.i64("at"))},
         {"user_id", r.opt_i64("user_id") ? Json(r.i64("user_id")) : Json(nullptr)},
         {"username", r.str("username")},
         {"ip", r.str("ip")},
         {"request_id", r.str("request_id")},
         {"action", r.str("action")},
         {"entity", r.str("entity")},
         {"entity_id", r.opt_i64("entity_id") ? Json(r.i64("entity_id")) : Json(nullptr)},
         {"summary", r.str("summary")}});
  return page_json(std::move(items), page->limit);
}

}  // namespace

void register_auth_routes(App& app) {
  add_session_routes(app);
  add_user_routes(app);
  register_auth_security_routes(app);
  app.router.add({"GET",
                  "/api/v1/audit",
                  "audit.read",
                  "auth",
                  "审计日志",
                  json_handler([&app](http::Request& req) { return list_audit(app, req); }),
                  nullptr,
                  {"node", "user", "action", "from", "to", "cursor", "limit"}});
  app.router.add({"GET", "/api/v1/audit/verify", "audit.verify", "auth",
                  "校验审计哈希链（报告第一处断裂）",
                  json_handler([&app](http::Request&) -> Result<Json> {
                    auto rep = auth::verify_chain(app.db);
                    if (!rep) return fail(rep.error());
                    return chain_report_json(*rep);
                  })});
}

}  // namespace linli
