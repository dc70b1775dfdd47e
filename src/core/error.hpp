// Errors that cross module boundaries. Services return Result<T>; routes map
// an Error to an HTTP problem+json response once, in http/problem.cpp.
#pragma once
#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace linli {

enum class ErrorKind {
  invalid,          // 400/422: the caller sent something we refuse
  bad_request,      // 400: the path or query lacks or garbles a parameter
  unauthenticated,  // 401
  forbidden,        // 403: known caller, lacks the permission at all
  not_found,        // 404: absent, or outside the caller's scope
  not_allowed,      // 405: the path exists, not with this method
  conflict,         // 409: state machine refused, unique key taken
  locked,           // 423: account locked
  too_many,         // 429: throttled
  too_large,        // 413
  unavailable,      // 503: store down
  storage_full,     // 507: the disk under the store is full
  internal,         // 500
};

struct FieldError {
  std::string field;    // JSON pointer-ish name: "phone", "rows[3].id_number"
  std::string message;  // Chinese, shown to the user as is
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string detail;  // Chinese sentence saying what to do
  std::vector<FieldError> errors{};
  int retry_after = 0;  // seconds, for too_many

  static Error invalid(std::string d, std::vector<FieldError> f = {}) {
    return {ErrorKind::invalid, std::move(d), std::move(f)};
  }
  // A query parameter missing or malformed: 400 even with its field named,
  // since it is the request that is incomplete, not content we refused.
  static Error bad_request(std::string d, std::vector<FieldError> f = {}) {
    return {ErrorKind::bad_request, std::move(d), std::move(f)};
  }
  static Error not_found(std::string d = "记录不存在或无权查看") {
    return {ErrorKind::not_found, std::move(d)};
  }
  static Error forbidden(std::string d = "您没有执行此操作的权限") {
    return {ErrorKind::forbidden, std::move(d)};
  }
  static Error conflict(std::string d) { return {ErrorKind::conflict, std::move(d)}; }
  static Error internal(std::string d) { return {ErrorKind::internal, std::move(d)}; }
  static Error unavailable(std::string d = "数据库暂时不可用，请稍后再试") {
    return {ErrorKind::unavailable, std::move(d)};
  }
  static Error storage_full() {
    return {ErrorKind::storage_full, "存储空间已满，暂时无法保存，请联系系统管理员"};
  }
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace linli
