// A small blocking HTTP/1.1 client for API tests: real sockets on 127.0.0.1.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace linli::test {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json json() const;                 // body parsed; null when not JSON
  std::string header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(unsigned short port) : port_(port) {}
  // One request on a fresh connection. `token` adds a Bearer header.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& token = "",
                     const std::map<std::string, std::string>& headers = {}) const;
  HttpResult get(const std::string& target, const std::string& token = "") const {
    return request("GET", target, "", token);
  }
  HttpResult post(const std::string& target, const nlohmann::json& body,
                  const std::string& token = "") const {
    return request("POST", target, body.dump(), token, {{"content-type", "application/json"}});
  }
  HttpResult patch(const std::string& target, const nlohmann::json& body,
                   const std::string& token = "") const {
    return request("PATCH", target, body.dump(), token, {{"content-type", "application/json"}});
  }
  // Logs in and returns the token (empty on failure, and for accounts that
  // need a second factor: see ApiEnv::login_totp).
  std::string login(const std::string& username, const std::string& password) const;
  unsigned short port() const { return port_; }

 private:
  unsigned short port_;
};

// Every byte as %XX: a query value of any text (a Chinese name).
std::string percent_encode(const std::string& s);

// The ids a cursor-paged list at `path` shows (`items`, `next_cursor`), page
// after page of `limit`, at most `pages`; `query` is appended after the limit
// ("&state=open"). Every answer must be 200 and every page but the last full.
std::vector<std::int64_t> paged_ids(const HttpClient& client, const std::string& token,
                                    const std::string& path, const std::string& query, int limit,
                                    int pages);

}  // namespace linli::test
