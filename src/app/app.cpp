#include "app/app.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "core/csv.hpp"
#include "core/log.hpp"
#include "core/validate.hpp"
#include "http/compression.hpp"

namespace linli {
namespace {

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
    "data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'";

std::string new_request_id() {
  unsigned char b[8];
  randombytes_buf(b, sizeof b);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, b, sizeof b);
  return hex;
}

std::string token_of(const http::Request& req, bool& from_cookie) {
  from_cookie = false;
  auto authz = req.header("authorization");
  if (authz.size() > 7 && (authz.starts_with("Bearer ") || authz.starts_with("bearer ")))
    return authz.substr(7);
  auto cookie = req.header("cookie");
  const std::string key = "linli_session=";
  for (std::size_t pos = 0; (pos = cookie.find(key, pos)) != std::string::npos; pos += key.size()) {
    if (pos != 0 && cookie[pos - 1] != ' ' && cookie[pos - 1] != ';') continue;
    auto end = cookie.find(';', pos);
    from_cookie = true;
    return cookie.substr(pos + key.size(),
                         end == std::string::npos ? std::string::npos : end - pos - key.size());
  }
  return {};
}

bool unsafe_method(const std::string& m) { return m != "GET" && m != "HEAD" && m != "OPTIONS"; }

// The origin a request says it comes from: Origin, or failing that the
// scheme://host[:port] part of Referer; empty when it names neither.
std::string claimed_origin(const http::Request& req) {
  auto origin = req.header("origin");
  if (!origin.empty() && origin != "null") return origin;
  auto referer = req.header("referer");
  auto scheme = referer.find("://");
  if (scheme == std::string::npos) return {};
  auto end = referer.find_first_of("/?#", scheme + 3);
  return referer.substr(0, end);
}

// A cookie-authenticated write must come from our own pages (CSRF): the
// browser names the page's origin in Origin (or Referer), and it must be the
// configured public origin, or the http(s) origin of the Host we answer as.
// A request naming no origin at all is refused too.
bool same_origin(const http::Request& req, const std::string& public_origin) {
  auto o = claimed_origin(req);
  if (o.empty()) return false;
  if (!public_origin.empty()) return o == public_origin;
  auto host = req.header("host");
  return !host.empty() && (o == "http://" + host || o == "https://" + host);
}

// RFC 9110 §15.5.6: a 405 names the methods the path does answer.
http::Response method_not_allowed(const std::string& allow, const std::string& request_id) {
  auto r = http::Response::problem(
      Error{ErrorKind::not_allowed, fmt::format("此地址只接受以下请求方法：{}", allow)},
      request_id);
  r.headers.emplace_back("Allow", allow);
  return r;
}

http::Response too_many(int seconds, const std::string& request_id) {
  Error e{ErrorKind::too_many, fmt::format("操作过于频繁，请{}秒后再试", seconds)};
  e.retry_after = seconds;
  return http::Response::problem(e, request_id);
}

void add_security_headers(http::Response& r, bool api) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", kCsp);
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  // API answers are personal and change: no-store, unless the handler chose
  // a policy of its own (a photo never changes under its hash). The server
  // keeps the last of two same-named headers, so adding ours would win.
  if (api && !r.has_header("Cache-Control")) r.headers.emplace_back("Cache-Control", "no-store");
}

// A dynamic answer is gzipped only from 16 KiB up: below that (a case, a
// page of a list) the saving is a few KB, and deflate would cost CPU on every
// request of the busiest routes. Level 1 keeps most of level 9's saving on
// JSON and CSV at a fraction of its time, which matters on two cores shared
// by everything. wrk sends no Accept-Encoding, so bench figures are unchanged.
constexpr std::size_t kGzipMinBytes = 16 * 1024;
constexpr int kGzipLevel = 1;

// JSON (problem+json, geo+json too), CSV and other text compress several
// times over; images and xlsx (a zip) are compressed already, and an octet
// stream could be anything.
bool textual(const std::string& content_type) {
  std::string_view type(content_type);
  type = type.substr(0, type.find(';'));
  return type.starts_with("text/") || type.ends_with("/json") || type.ends_with("+json") ||
         type.ends_with("/xml") || type.ends_with("+xml");
}

// Gzips a large textual answer for a client that accepts it. Vary goes on
// every answer that could have been gzipped, plain ones too, so that no cache
// hands one client's coding to another. The UI's files choose their own
// (StaticFiles) and an event stream is never buffered.
void compress(const http::Request& req, http::Response& r) {
  if (req.route == "static" || r.status != 200 || r.on_stream || r.body.size() < kGzipMinBytes ||
      !textual(r.content_type) || r.has_header("Content-Encoding"))
    return;
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (!http::accepts_gzip(req.header("accept-encoding"))) return;
  r.body = http::gzip(r.body, kGzipLevel);
  r.headers.emplace_back("Content-Encoding", "gzip");
}

}  // namespace

App::App(store::Db& d, AppConfig c, store::Db* r)
    : db(d),
      reads(r ? *r : d),
      cfg(std::move(c)),
      auth(d, cfg.auth),
      notifier(d),
      cases(d, notifier),
      account_writes(cfg.writes_per_account),
      address_writes(cfg.writes_per_address) {
  statics.load(cfg.web_dir);
  register_ops_routes(*this);
  register_auth_routes(*this);
  register_org_routes(*this);
  register_case_routes(*this);
  register_points_routes(*this);
  register_open311_routes(*this);
}

auth::Actor App::actor(const http::Request& req) {
  auth::Actor a;
  a.ip = req.remote_ip;
  a.request_id = req.request_id;
  if (req.user) {
    a.user_id = req.user->user_id;
    a.username = req.user->username;
    a.display_name = req.user->display_name;
  }
  return a;
}

http::Response App::route(http::Request& req) {
  bool path_exists = false;
  const http::Route* r = router.match(req.method, req.path, req.params, path_exists);
  if (!r) {
    if ((req.method == "GET" || req.method == "HEAD") && !req.path.starts_with("/api/"))
      if (auto file = statics.serve(req)) {
        req.route = "static";
        return *file;
      }
    req.route = "unmatched";
    if (path_exists) return method_not_allowed(router.allowed(req.path), req.request_id);
    return http::Response::problem(Error::not_found("请求的地址不存在"), req.request_id);
  }
  req.route = r->pattern;
  bool write = unsafe_method(req.method);
  if (write)
    if (int wait = address_writes.take(req.remote_ip, auth.now_ms()); wait > 0)
      return too_many(wait, req.request_id);
  if (r->permission != http::access::kPublic) {
    bool from_cookie = false;
    auto token = token_of(req, from_cookie);
    if (token.empty())
      return http::Response::problem({ErrorKind::unauthenticated, "请先登录"}, req.request_id);
    if (from_cookie && write && !same_origin(req, cfg.public_origin))
      return http::Response::problem(Error::forbidden("请求来源不被允许（跨站请求已拦截）"),
                                     req.request_id);
    auto p = auth.authenticate(token);
    if (!p) return http::Response::problem(p.error(), req.request_id);
    req.user = std::move(*p);
    if (!auth::allowed_at_stage(req.user->stage, r->method, r->pattern))
      return http::Response::problem(
          Error::forbidden(req.user->stage == auth::kStageEnrol
                               ? "系统管理员须先设置两步验证，才能进行其他操作"
                               : "请先输入两步验证码完成登录"),
          req.request_id);
    if (write)
      if (int wait = account_writes.take("u" + std::to_string(req.user->user_id), auth.now_ms());
          wait > 0)
        return too_many(wait, req.request_id);
    if (r->permission != http::access::kSignedIn && !req.user->can(r->permission))
      return http::Response::problem(Error::forbidden(), req.request_id);
  }
  return r->handler(req);
}

http::Response App::handle(http::Request& req) {
  auto start = std::chrono::steady_clock::now();
  auto rid = req.header("x-request-id");
  req.request_id = (rid.size() >= 8 && rid.size() <= 64 &&
                    rid.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos)
                       ? rid
                       : new_request_id();
  if (!cfg.trusted_proxies.empty() &&
      std::ranges::find(cfg.trusted_proxies, req.remote_ip) != cfg.trusted_proxies.end()) {
    auto real = req.header("x-real-ip");
    if (!real.empty() && real.size() <= 45 &&
        real.find_first_not_of("0123456789abcdefABCDEF.:") == std::string::npos)
      req.remote_ip = real;
  }
  http::Response res;
  try {
    res = route(req);
  } catch (const std::exception& e) {
    log::error("handler exception", {{"request_id", req.request_id}, {"what", e.what()}});
    res = http::Response::problem(Error::internal("服务器内部错误，请稍后再试"), req.request_id);
  }
  add_security_headers(res, req.path.starts_with("/api/"));
  compress(req, res);
  res.headers.emplace_back("X-Request-Id", req.request_id);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics.observe(req.method, req.route, res.status, secs);
  // The path only, never the query string or body: they may hold names or
  // numbers, and logs must carry no personal data.
  log::access({.request_id = req.request_id,
               .method = req.method,
               .route = req.route,
               .ip = req.remote_ip,
               .status = res.status,
               .ms = std::round(secs * 1e5) / 100,
               .user = req.user ? req.user->user_id : 0});
  return res;
}

http::Handler json_handler(JsonHandler fn, int ok_status) {
  return [fn = std::move(fn), ok_status](http::Request& req) {
    auto r = fn(req);
    if (!r) return http::Response::problem(r.error(), req.request_id);
    if (ok_status == 204) return http::Response::no_content();
    return http::Response::json(*r, ok_status);
  };
}

http::Handler json_text_handler(JsonTextHandler fn, int ok_status) {
  return [fn = std::move(fn), ok_status](http::Request& req) {
    auto r = fn(req);
    if (!r) return http::Response::problem(r.error(), req.request_id);
    return http::Response::from_json_text(std::move(*r), ok_status);
  };
}

Result<Json> body_json(const http::Request& req) {
  auto ct = req.header("content-type");
  if (!ct.empty() && ct.find("json") == std::string::npos)
    return fail(Error::invalid("请求内容应为JSON (Content-Type: application/json)"));
  return parse_object(req.body);
}

std::optional<std::int64_t> whole_number(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s.front() == '-' || ec != std::errc() || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

Result<std::int64_t> required_id(const http::Request& req, const std::string& key,
                                 std::string_view name) {
  auto text = req.q(key);
  if (!text)
    return fail(Error::bad_request(fmt::format("请指定{}（{}）", name, key),
                                   {{key, fmt::format("请指定{}", name)}}));
  auto id = whole_number(*text);
  if (!id || *id < 1)
    return fail(Error::bad_request(fmt::format("{}编号（{}）应为正整数", name, key),
                                   {{key, "应为正整数"}}));
  return *id;
}

Result<std::int64_t> optional_id(const http::Request& req, const std::string& key,
                                 std::string_view name) {
  // Empty is absent, as a form with the field left blank sends it.
  if (auto v = req.q(key); !v || v->empty()) return 0;
  return required_id(req, key, name);
}

Result<std::string> optional_choice(const http::Request& req, const std::string& key,
                                    std::string_view name,
                                    const std::vector<std::string>& allowed) {
  auto v = req.q(key);
  if (!v || v->empty()) return std::string();
  if (std::ranges::find(allowed, *v) != allowed.end()) return *v;
  return fail(Error::bad_request(
      fmt::format("{}（{}）应为以下之一：{}", name, key, fmt::join(allowed, "、")),
      {{key, fmt::format("没有这种{}", name)}}));
}

Result<std::string> optional_month(const http::Request& req, const std::string& key) {
  auto v = req.q(key);
  if (!v || v->empty()) return std::string();
  if (validate::is_month(*v)) return *v;
  return fail(Error::bad_request(fmt::format("月份（{}）应为 YYYY-MM，如 2026-11", key),
                                 {{key, "月份应为 YYYY-MM"}}));
}

Result<int> limit_of(const http::Request& req) {
  auto l = req.q("limit");
  if (!l) return 50;
  auto v = whole_number(*l);
  if (!v || *v < 1 || *v > 200) return fail(Error::invalid("每页条数应为1到200之间的整数"));
  return static_cast<int>(*v);
}

Result<Page> page_of(const http::Request& req) {
  Page p;
  auto limit = limit_of(req);
  if (!limit) return fail(limit.error());
  p.limit = *limit;
  if (auto c = req.q("cursor")) {
    auto after = whole_number(*c);
    if (!after) return fail(Error::invalid("分页参数无效，请从第一页重新加载"));
    p.after = *after;
  }
  return p;
}

Json page_json(Json items, int limit) {
  bool more = static_cast<int>(items.size()) > limit;
  if (more) items.erase(items.size() - 1);
  Json next = more ? Json(std::to_string(items.back()["id"].get<std::int64_t>())) : Json(nullptr);
  return {{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

const auth::Principal& caller(const http::Request& req) { return *req.user; }

Result<std::string> sheet_format(const http::Request& req) {
  auto format = optional_choice(req, "format", "导出格式", kSheetFormats);
  if (!format) return fail(format.error());
  return format->empty() ? std::string("xlsx") : *format;
}

http::Response spreadsheet(const std::vector<std::vector<std::string>>& rows,
                           std::string_view format, const std::string& title) {
  if (format == "csv")
    return http::Response::file(csv::format(rows), "text/csv; charset=utf-8", title + ".csv");
  return http::Response::file(xlsx::workbook(title, rows),
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              title + ".xlsx");
}

}  // namespace linli
