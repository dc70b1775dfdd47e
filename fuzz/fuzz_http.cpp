// The HTTP request path without a network: raw bytes → Beast's parser (with
// the server's limits) → linli's Request as the server builds it → App::handle
// (router, authentication, JSON decoding, validation, the handler). Requests
// without an Authorization header get a staff token, so the fuzzer reaches
// the handlers behind the login.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "app_env.hpp"
#include "http/server.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& env = linli::fuzz::AppEnv::get();
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    auto n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    used += n;
    if (ec == bhttp::error::need_more || (!ec && n == 0)) break;
    if (ec) return 0;
  }
  if (!parser.is_done()) {
    ec = {};
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  auto msg = parser.release();
  linli::http::Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  auto qpos = req.target.find('?');
  req.path = linli::http::percent_decode(std::string_view(req.target).substr(0, qpos), false);
  if (qpos != std::string::npos)
    req.query = linli::http::parse_query(std::string_view(req.target).substr(qpos + 1));
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(f.value());
  }
  if (!req.headers.contains("authorization") && !req.headers.contains("cookie"))
    req.headers["authorization"] = "Bearer " + env.token;
  req.body = std::move(msg.body());
  req.remote_ip = "127.0.0.1";
  // The stream of notifications never ends; everything else answers.
  if (req.path.starts_with("/api/v1/notifications/stream")) return 0;
  (void)env.app->handle(req);
  return 0;
}
