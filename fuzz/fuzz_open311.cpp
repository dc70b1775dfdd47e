// The Open311 form decoder and request intake: the input is the
// application/x-www-form-urlencoded body of POST /open311/v2/requests.json
// (with a valid api_key put in front when the first byte is even), and the
// query string of GET /open311/v2/requests.json.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app_env.hpp"
#include "http/server.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& env = linli::fuzz::AppEnv::get();
  std::string body(reinterpret_cast<const char*>(data), size);
  {
    linli::http::Request req;
    req.method = "POST";
    req.target = req.path =
        size && (data[0] % 2) ? "/open311/v2/requests.xml" : "/open311/v2/requests.json";
    req.headers["content-type"] = "application/x-www-form-urlencoded";
    req.body = size && !(data[0] % 2) ? "api_key=" + env.api_key + "&" + body : body;
    req.remote_ip = "127.0.0.1";
    (void)env.app->handle(req);
  }
  {
    linli::http::Request req;
    req.method = "GET";
    req.path = "/open311/v2/requests.json";
    req.target = req.path + "?" + body;
    req.query = linli::http::parse_query(body);
    req.remote_ip = "127.0.0.1";
    (void)env.app->handle(req);
  }
  return 0;
}
