// The route table: every endpoint with its permission and documentation. The
// OpenAPI document and the authorization matrix are generated from it, so a
// route cannot exist without a declared permission.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace linli::http {

using Handler = std::function<Response(Request&)>;

// Who may call a route before the handler's own scope check runs.
namespace access {
inline constexpr const char* kPublic = "public";           // no login
inline constexpr const char* kSignedIn = "authenticated";  // any logged-in user
}  // namespace access

// A documented query parameter. The OpenAPI document marks a required one
// (http::required("community")), lists the values of one that takes a fixed
// list (http::one_of) and gives the form of a month (http::month); the
// handler still checks each (required_id, optional_choice, optional_month).
struct QueryParam {
  QueryParam(const char* n) : name(n) {}
  QueryParam(std::string n) : name(std::move(n)) {}
  std::string name;
  bool required = false;
  std::vector<std::string> choices = {};  // OpenAPI "enum"; blank is still no filter
  std::string pattern = {};               // OpenAPI "pattern" (ECMA regular expression)
};
inline QueryParam required(std::string name) {
  QueryParam q(std::move(name));
  q.required = true;
  return q;
}
inline QueryParam one_of(std::string name, std::vector<std::string> choices) {
  QueryParam q(std::move(name));
  q.choices = std::move(choices);
  return q;
}
// YYYY-MM, as validate::is_month accepts it.
inline constexpr const char* kMonthPattern = "^[0-9]{4}-(0[1-9]|1[0-2])$";
inline QueryParam month(std::string name, bool is_required = false) {
  QueryParam q(std::move(name));
  q.required = is_required;
  q.pattern = kMonthPattern;
  return q;
}

struct Route {
  std::string method;
  std::string pattern;     // "/api/v1/residents/{id}"
  std::string permission;  // access::kPublic, access::kSignedIn or a permission code
  std::string tag;         // OpenAPI tag (module)
  std::string summary;     // one line, Chinese
  Handler handler;
  nlohmann::json request_body = nullptr;  // OpenAPI schema of a JSON body, if any
  std::vector<QueryParam> query = {};     // documented query parameters
};

class Router {
 public:
  void add(Route r);
  // The route matching method+path, filling params; nullptr when none.
  // `path_exists` tells a 405 from a 404. HEAD matches the path's GET route:
  // its handler and checks run, and the server sends the header alone.
  const Route* match(const std::string& method, const std::string& path,
                     std::unordered_map<std::string, std::string>& params, bool& path_exists) const;
  // The methods the routes of this path answer, for a 405's Allow header
  // ("GET, HEAD, PUT"); empty when no route has the path.
  std::string allowed(const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }
  nlohmann::json openapi() const;

 private:
  bool path_matches(std::size_t route, const std::vector<std::string>& segments) const;
  struct Compiled {
    std::vector<std::string> segments;  // "{id}" marks a parameter
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace linli::http
