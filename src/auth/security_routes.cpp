// /api/v1/auth/sessions, /api/v1/auth/totp*, /api/v1/auth/login/totp and the
// administrator's /api/v1/users/{id}/sessions and /totp/reset.
#include "auth/route_helpers.hpp"
#include "auth/totp.hpp"
#include "core/clock.hpp"

namespace linli {
namespace {

Json sessions_json(const std::vector<auth::SessionInfo>& list) {
  Json items = Json::array();
  for (const auto& s : list)
    items.push_back({{"id", s.id},
                     {"created_at", clock::iso(s.created_at)},
                     {"last_seen_at", clock::iso(s.last_seen_at)},
                     {"expires_at", clock::iso(s.expires_at)},
                     {"ip", s.ip},
                     {"user_agent", s.user_agent},
                     {"current", s.current}});
  return {{"items", std::move(items)}};
}

Result<std::string> code_of(const http::Request& req) {
  auto body = body_json(req);
  if (!body) return fail(body.error());
  Fields f(*body);
  auto code = f.text("code", "验证码", 12);
  if (!f.ok()) return fail(f.error());
  return *code;
}

const Json kCodeSchema = {
    {"type", "object"}, {"required", {"code"}}, {"properties", {{"code", {{"type", "string"}}}}}};

void add_own_session_routes(App& app) {
  app.router.add({"GET", "/api/v1/auth/sessions", http::access::kSignedIn, "auth",
                  "我的登录会话（创建时间、最近活动、地址、浏览器，标出当前会话）",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    const auto& p = caller(req);
                    auto list = app.auth.sessions_of(p.user_id, p.session_id);
                    if (!list) return fail(list.error());
                    return sessions_json(*list);
                  })});
  app.router.add(
      {"DELETE", "/api/v1/auth/sessions/{id}", http::access::kSignedIn, "auth",
       "结束自己的一个会话",
       json_handler(
           [&app](http::Request& req) -> Result<Json> {
             auto id = req.id_param("id");
             if (!id) return fail(id.error());
             if (auto s = app.auth.revoke_session(caller(req).user_id, *id, App::actor(req)); !s)
               return fail(s.error());
             return Json(nullptr);
           },
           204)});
  app.router.add({"POST", "/api/v1/auth/sessions/revoke-others", http::access::kSignedIn, "auth",
                  "结束自己的其他所有会话",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    const auto& p = caller(req);
                    auto n = app.auth.revoke_sessions(p.user_id, p.session_id, App::actor(req));
                    if (!n) return fail(n.error());
                    return Json{{"revoked", *n}};
                  })});
}

void add_totp_routes(App& app) {
  app.router.add({"GET", "/api/v1/auth/totp", http::access::kSignedIn, "auth",
                  "两步验证状态（是否启用、是否必须）",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    auto s = app.auth.totp_status(caller(req).user_id);
                    if (!s) return fail(s.error());
                    return Json{{"enabled", s->enabled}, {"required", s->required}};
                  })});
  app.router.add(
      {"POST", "/api/v1/auth/totp/enrol", http::access::kSignedIn, "auth",
       "开始设置两步验证：生成密钥（otpauth:// 链接，网页显示为二维码）",
       json_handler([&app](http::Request& req) -> Result<Json> {
         const auto& p = caller(req);
         auto secret = app.auth.totp_begin(p, App::actor(req));
         if (!secret) return fail(secret.error());
         return Json{{"secret", *secret}, {"uri", auth::totp::otpauth_uri(p.username, *secret)}};
       })});
  app.router.add({"POST", "/api/v1/auth/totp/confirm", http::access::kSignedIn, "auth",
                  "输入验证码，确认启用两步验证",
                  [&app](http::Request& req) {
                    auto code = code_of(req);
                    if (!code) return http::Response::problem(code.error(), req.request_id);
                    auto r = app.auth.totp_confirm(caller(req), *code, App::actor(req));
                    if (!r) return http::Response::problem(r.error(), req.request_id);
                    // An administrator's enrol-only session is now a full one.
                    if (!r->token.empty()) return login_response(app, *r);
                    return http::Response::json(
                        {{"stage", r->principal.stage}, {"user", principal_json(r->principal)}});
                  },
                  kCodeSchema});
  app.router.add({"POST", "/api/v1/auth/totp/disable", http::access::kSignedIn, "auth",
                  "输入验证码，关闭两步验证（系统管理员不可关闭）",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto code = code_of(req);
                        if (!code) return fail(code.error());
                        if (auto s = app.auth.totp_disable(caller(req), *code, App::actor(req)); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204),
                  kCodeSchema});
  app.router.add({"POST", "/api/v1/auth/login/totp", http::access::kSignedIn, "auth",
                  "登录第二步：输入验证器上的6位验证码",
                  [&app](http::Request& req) {
                    auto code = code_of(req);
                    if (!code) return http::Response::problem(code.error(), req.request_id);
                    auto r = app.auth.login_second_step(caller(req), *code, App::actor(req));
                    if (!r) return http::Response::problem(r.error(), req.request_id);
                    return login_response(app, *r);
                  },
                  kCodeSchema});
}

void add_admin_routes(App& app) {
  app.router.add({"GET", "/api/v1/users/{id}/sessions", "user.manage", "auth", "账号的登录会话",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    if (auto u = app.auth.get_user(*id); !u) return fail(u.error());
                    auto list = app.auth.sessions_of(*id, caller(req).session_id);
                    if (!list) return fail(list.error());
                    return sessions_json(*list);
                  })});
  app.router.add({"DELETE", "/api/v1/users/{id}/sessions/{sid}", "user.manage", "auth",
                  "结束账号的一个会话",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        auto sid = req.id_param("sid");
                        if (!sid) return fail(sid.error());
                        if (auto s = app.auth.revoke_session(*id, *sid, App::actor(req)); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204)});
  app.router.add({"POST", "/api/v1/users/{id}/sessions/revoke", "user.manage", "auth",
                  "结束账号的所有会话（强制下线）",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto n = app.auth.revoke_sessions(*id, 0, App::actor(req));
                    if (!n) return fail(n.error());
                    return Json{{"revoked", *n}};
                  })});
  app.router.add({"POST", "/api/v1/users/{id}/totp/reset", "user.manage", "auth",
                  "清除账号的两步验证（如手机丢失），并结束其会话",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        if (auto s = app.auth.totp_reset(*id, App::actor(req)); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204)});
}

}  // namespace

void register_auth_security_routes(App& app) {
  add_own_session_routes(app);
  add_totp_routes(app);
  add_admin_routes(app);
}

}  // namespace linli
