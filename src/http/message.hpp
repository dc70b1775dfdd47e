// The request and response as handlers see them: plain values, no Beast.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/principal.hpp"
#include "core/error.hpp"

namespace linli::http {

// ASCII case-insensitive equality: how HTTP compares header names and
// tokens such as content codings.
bool iequals(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET"
  std::string target;  // raw "/api/v1/x?y=1"
  std::string path;    // decoded path without query
  std::map<std::string, std::string> query;
  std::unordered_map<std::string, std::string> params;   // from the route pattern
  std::unordered_map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote_ip;
  std::string request_id;
  std::string route;  // the matched pattern, for logs and metrics
  std::optional<auth::Principal> user;

  std::string header(const std::string& lower_name) const;
  std::optional<std::string> q(const std::string& key) const;
  // Path parameter as a positive id; Error::not_found when not a number.
  Result<std::int64_t> id_param(const std::string& key) const;
};

// An open Server-Sent Events connection. send() may be called from any
// thread; after the client goes away it returns false and drops the data.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual bool send(std::string chunk) = 0;
  virtual bool open() const = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Server-Sent Events: when set, the server sends the headers, keeps the
  // connection open and hands it to this function instead of a body.
  std::function<void(std::shared_ptr<EventSink>)> on_stream;
  // Whether a header of this name was set (names compare case-insensitively).
  bool has_header(std::string_view name) const;
  static Response json(const nlohmann::json& j, int status = 200);
  // A body that is JSON text already (core/json_text's writers).
  static Response from_json_text(std::string text, int status = 200);
  static Response no_content();
  static Response problem(const Error& e, const std::string& request_id = {});
  static Response file(std::string body, std::string content_type, const std::string& filename);
};

int status_of(ErrorKind kind);

}  // namespace linli::http
