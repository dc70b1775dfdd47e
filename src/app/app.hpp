// The application: one store, the services, the route table, and the request
// pipeline every call goes through (request id, routing, authentication,
// permission, handler, security headers, metrics, access log).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/rate_limit.hpp"
#include "auth/service.hpp"
#include "cases/service.hpp"
#include "core/json_fields.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "notify/service.hpp"
#include "store/db.hpp"

namespace linli {

struct AppConfig {
  std::string web_dir = "web/dist";
  auth::AuthPolicy auth;
  bool secure_cookie = false;  // set behind TLS so the cookie is Secure
  // "https://linli.example.gov.cn": the only origin cookie-authenticated
  // writes may come from. Empty: the Host header's http(s) origin.
  std::string public_origin;
  // Writes (POST/PUT/PATCH/DELETE) per signed-in account and per client
  // address. Generous: they stop scripts, not people or the load tests.
  RateLimit writes_per_account{6000, 1000};
  RateLimit writes_per_address{60000, 10000};
  // Peers (a reverse proxy such as nginx) whose X-Real-IP header names the
  // client: audit rows and the per-address login limit then see the client,
  // not the proxy. Empty: the header is ignored.
  std::vector<std::string> trusted_proxies;
};

class App {
 public:
  // reads, when given, serves KPIs, dashboards and exports (a streaming
  // replica, store::ReadReplicaDb); everything else uses db.
  App(store::Db& db, AppConfig cfg, store::Db* reads = nullptr);
  http::Response handle(http::Request& req);

  store::Db& db;
  store::Db& reads;  // may lag db by the replication delay (docs/SCALING.md)
  AppConfig cfg;
  auth::AuthService auth;
  notify::Notifier notifier;
  cases::CaseService cases;
  http::Router router;
  http::Metrics metrics;
  http::StaticFiles statics;
  // Duties the server runs once a minute (modules add theirs when they
  // register routes): the deadline sweep, points expiry.
  std::vector<std::function<void(std::int64_t now_ms)>> minutely;
  RateLimiter account_writes, address_writes;

  // The actor for audit rows: the signed-in user, their address, the request.
  static auth::Actor actor(const http::Request& req);

 private:
  http::Response route(http::Request& req);
};

// Handler helpers shared by every module's routes.cpp.
using JsonHandler = std::function<Result<Json>(http::Request&)>;
// Wraps a handler answering JSON: a value → status ok_status, an Error →
// problem+json. A null Json with ok_status 204 answers no content.
http::Handler json_handler(JsonHandler fn, int ok_status = 200);
// The same for handlers that write their answer as JSON text themselves
// (long lists; see core/json_text.hpp).
using JsonTextHandler = std::function<Result<std::string>(http::Request&)>;
http::Handler json_text_handler(JsonTextHandler fn, int ok_status = 200);
// The request body as a JSON object, or an Error::invalid saying why not.
Result<Json> body_json(const http::Request& req);
// Cursor paging: "limit" (1..200, default 50) and an opaque "cursor" that is
// the last id seen. Queries fetch limit + 1 rows ordered by id; page_json
// drops the extra one and turns its presence into next_cursor.
struct Page {
  std::int64_t after = 0;
  int limit = 50;
};
Result<Page> page_of(const http::Request& req);
// The "limit" query parameter alone: a whole number 1..200, 50 when absent.
// "5abc", "+5" and " 5" are refused, not read as 5.
Result<int> limit_of(const http::Request& req);
// A whole non-negative number written out in full (digits only), or nothing.
std::optional<std::int64_t> whole_number(std::string_view s);
// The id a route cannot do without, from the query parameter `key` (`name`
// says what it is, in Chinese): an Error::bad_request naming the parameter
// when it is absent or not a positive whole number, rather than looking up
// id 0 and answering 404.
Result<std::int64_t> required_id(const http::Request& req, const std::string& key,
                                 std::string_view name);
// An optional id filter from the query parameter `key`: 0 when absent or
// empty, the same Error::bad_request as required_id when given but not a
// positive whole number. A mistyped filter (category=abc) must not read as
// "no filter" and answer with everything.
Result<std::int64_t> optional_id(const http::Request& req, const std::string& key,
                                 std::string_view name);
// An optional filter that takes one of a few values (a state, a level): ""
// when absent or empty, an Error::bad_request naming the parameter and the
// values it takes when given anything else. A mistyped state=opne must not
// answer an empty list, as if nothing were in that state.
Result<std::string> optional_choice(const http::Request& req, const std::string& key,
                                    std::string_view name, const std::vector<std::string>& allowed);
// An optional month filter (YYYY-MM): "" when absent or empty, else a 400
// naming the parameter.
Result<std::string> optional_month(const http::Request& req, const std::string& key);
Json page_json(Json items, int limit);
// The formats of a spreadsheet download (?format=).
inline const std::vector<std::string> kSheetFormats = {"xlsx", "csv"};
// A download's ?format=: "xlsx" when absent or blank, else one of
// kSheetFormats or a 400 naming it (as optional_choice), where a mistyped
// format had silently answered a workbook.
Result<std::string> sheet_format(const http::Request& req);
// A table as a download named after its title: CSV (UTF-8) when format is
// "csv", else an XLSX workbook.
http::Response spreadsheet(const std::vector<std::vector<std::string>>& rows,
                           std::string_view format, const std::string& title);
// The caller (the pipeline guarantees one on non-public routes).
const auth::Principal& caller(const http::Request& req);

// Each module adds its routes here.
void register_ops_routes(App& app);
void register_auth_routes(App& app);
void register_org_routes(App& app);
void register_case_routes(App& app);
void register_points_routes(App& app);
void register_open311_routes(App& app);

}  // namespace linli
