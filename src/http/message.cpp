#include "http/message.hpp"

#include <algorithm>
#include <charconv>

#include "core/json_text.hpp"

namespace linli::http {

bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

bool Response::has_header(std::string_view name) const {
  return std::ranges::any_of(headers, [name](const auto& h) { return iequals(h.first, name); });
}

namespace {

struct ProblemInfo {
  int status;
  const char* slug;
  const char* title;
};

ProblemInfo info(ErrorKind k) {
  switch (k) {
    case ErrorKind::invalid:
      return {422, "invalid", "提交的内容有误"};
    case ErrorKind::bad_request:
      return {400, "bad-request", "请求参数有误"};
    case ErrorKind::unauthenticated:
      return {401, "unauthenticated", "请先登录"};
    case ErrorKind::forbidden:
      return {403, "forbidden", "没有权限"};
    case ErrorKind::not_found:
      return {404, "not-found", "未找到"};
    case ErrorKind::not_allowed:
      return {405, "method-not-allowed", "不支持此请求方法"};
    case ErrorKind::conflict:
      return {409, "conflict", "与当前状态冲突"};
    case ErrorKind::locked:
      return {423, "locked", "账号已锁定"};
    case ErrorKind::too_many:
      return {429, "too-many-requests", "操作过于频繁"};
    case ErrorKind::too_large:
      return {413, "too-large", "内容过大"};
    case ErrorKind::unavailable:
      return {503, "unavailable", "服务暂时不可用"};
    case ErrorKind::storage_full:
      return {507, "storage-full", "存储空间已满"};
    case ErrorKind::internal:
      break;
  }
  return {500, "internal", "服务器内部错误"};
}

}  // namespace

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

std::optional<std::string> Request::q(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<std::int64_t> Request::id_param(const std::string& key) const {
  auto it = params.find(key);
  std::int64_t v = 0;
  if (it == params.end()) return fail(Error::not_found());
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) return fail(Error::not_found());
  return v;
}

int status_of(ErrorKind kind) { return info(kind).status; }

Response Response::json(const nlohmann::json& j, int status) {
  return from_json_text(json_text(j), status);
}

Response Response::from_json_text(std::string text, int status) {
  Response r;
  r.status = status;
  r.body = std::move(text);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response Response::problem(const Error& e, const std::string& request_id) {
  auto pi = info(e.kind);
  // A bare parse failure is a 400; a field-level refusal is a 422.
  int status = (e.kind == ErrorKind::invalid && e.errors.empty()) ? 400 : pi.status;
  nlohmann::json j = {{"type", std::string("https://linli.example/problems/") + pi.slug},
                      {"title", pi.title},
                      {"status", status},
                      {"detail", e.detail}};
  if (!e.errors.empty()) {
    auto& arr = j["errors"] = nlohmann::json::array();
    for (const auto& f : e.errors) arr.push_back({{"field", f.field}, {"message", f.message}});
  }
  if (!request_id.empty()) j["request_id"] = request_id;
  Response r = json(j, status);
  r.content_type = "application/problem+json; charset=utf-8";
  if (e.kind == ErrorKind::too_many && e.retry_after > 0)
    r.headers.emplace_back("Retry-After", std::to_string(e.retry_after));
  return r;
}

Response Response::file(std::string body, std::string content_type, const std::string& filename) {
  Response r;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  // RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name for Chinese titles.
  std::string encoded;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : filename) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"export\"; filename*=UTF-8''" + encoded);
  return r;
}

}  // namespace linli::http
