// HEAD on the API, over real HTTP on every store: a GET route answers HEAD
// with GET's status and header and no body, after the same login, permission
// and scope checks; no other route runs for HEAD, and a 405 says (Allow)
// which methods the path does take.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <chrono>

#include "api_env.hpp"
#include "auth/principal.hpp"

using linli::test::ApiEnv;
using linli::test::HttpResult;

namespace {

// The whole answer to a raw request, read until the server closes the
// connection or 10 s pass (`timed_out`): to see every byte after a HEAD
// answer's header, and that an answer ends at all.
std::string raw_exchange(unsigned short port, const std::string& request, bool& timed_out) {
  namespace beast = boost::beast;
  boost::asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  boost::asio::write(s.socket(), boost::asio::buffer(request));
  std::string out;
  beast::error_code ec;
  s.expires_after(std::chrono::seconds(10));
  boost::asio::async_read(s, boost::asio::dynamic_buffer(out),
                          [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  timed_out = ec == beast::error::timeout;
  return out;
}

class HttpHeadTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  HttpResult call(const std::string& method, const std::string& target, const std::string& token,
                  std::map<std::string, std::string> headers = {}) {
    return env().client->request(method, target, "", token, headers);
  }
  std::string tok(const std::string& role) { return env().token(role); }
  std::string settings_path() {
    return "/api/v1/points/settings?community=" +
           std::to_string(env().accounts["community_staff"].node);
  }
};

TEST_P(HttpHeadTest, GetRouteAnswersHeadWithItsHeaderAndNoBody) {
  auto staff = tok("community_staff");
  auto get = call("GET", settings_path(), staff);
  ASSERT_EQ(get.status, 200) << get.body;
  ASSERT_FALSE(get.body.empty());

  bool timed_out = false;
  auto answer = raw_exchange(env().client->port(),
                             "HEAD " + settings_path() +
                                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + staff +
                                 "\r\nConnection: close\r\n\r\n",
                             timed_out);
  EXPECT_FALSE(timed_out);
  auto end = answer.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << answer;
  auto head = answer.substr(0, end);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(get.body.size())), std::string::npos)
      << head;
  EXPECT_NE(head.find("Content-Type: " + get.header("content-type")), std::string::npos) << head;
  EXPECT_NE(head.find("Cache-Control: no-store"), std::string::npos) << head;
  EXPECT_EQ(answer.size(), end + 4) << "a HEAD answer carries no body";
}

TEST_P(HttpHeadTest, HeadOfALargeAnswerNamesTheLengthAndCodingGetWouldSend) {
  const std::map<std::string, std::string> gzip = {{"accept-encoding", "gzip"}};
  auto get = call("GET", "/api/v1/openapi.json", "", gzip);
  ASSERT_EQ(get.status, 200);
  ASSERT_EQ(get.header("content-encoding"), "gzip");
  auto head = call("HEAD", "/api/v1/openapi.json", "", gzip);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-encoding"), "gzip");
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.header("vary"), "Accept-Encoding");
  EXPECT_EQ(head.body, "");
}

TEST_P(HttpHeadTest, HeadPassesTheSameLoginPermissionAndScopeChecksAsGet) {
  // Outside the building head's building a resident does not exist for them.
  auto building = env().path_of(env().accounts["building_head"].node);
  auto outside = env().count(
      "SELECT min(id) AS n FROM residents WHERE NOT (node_path >= $1 AND node_path < $2)",
      {building, linli::auth::subtree_end(building)});
  auto inside =
      env().count("SELECT min(id) AS n FROM residents WHERE node_path >= $1 AND node_path < $2",
                  {building, linli::auth::subtree_end(building)});
  struct Case {
    std::string target, role;
    int status;
  };
  const std::vector<Case> cases = {
      {settings_path(), "", 401},                 // no login
      {settings_path(), "resident", 403},         // lacks points.read
      {settings_path(), "community_staff", 200},  // holds it in scope
      {"/api/v1/residents/" + std::to_string(outside), "building_head", 404},
      {"/api/v1/residents/" + std::to_string(inside), "building_head", 200},
      {"/api/v1/residents/999999999", "building_head", 404},
      {"/healthz", "", 200},  // public
  };
  for (const auto& c : cases) {
    auto token = c.role.empty() ? "" : tok(c.role);
    auto get = call("GET", c.target, token);
    auto head = call("HEAD", c.target, token);
    EXPECT_EQ(get.status, c.status) << "GET " << c.target << " as " << c.role;
    EXPECT_EQ(head.status, c.status) << "HEAD " << c.target << " as " << c.role;
    EXPECT_EQ(head.header("content-type"), get.header("content-type")) << c.target;
    EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size())) << c.target;
    EXPECT_EQ(head.body, "") << c.target;
  }
}

TEST_P(HttpHeadTest, HeadFollowsGetsRulesForAHalfSignedInSession) {
  // The admin's password alone opens a session that may only finish the
  // second step and read who it is: HEAD is a read like GET there too.
  auto login = env().client->post(
      "/api/v1/auth/login",
      {{"username", env().accounts["admin"].username}, {"password", env().password}});
  ASSERT_EQ(login.status, 200) << login.body;
  ASSERT_EQ(login.json()["stage"], "totp") << login.body;
  auto half = login.json()["token"].get<std::string>();
  EXPECT_EQ(call("GET", "/api/v1/auth/me", half).status, 200);
  EXPECT_EQ(call("HEAD", "/api/v1/auth/me", half).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/roles", half).status, 403);
  EXPECT_EQ(call("HEAD", "/api/v1/roles", half).status, 403);
}

TEST_P(HttpHeadTest, HeadRunsNoRouteButGetsAndA405NamesTheAllowedMethods) {
  // Logout is POST only: a HEAD must not end the session.
  auto name = "head_" + std::to_string(linli::test::test_now_ms());
  auto made = env().client->post(
      "/api/v1/users",
      {{"username", name},
       {"display_name", "HEAD测试"},
       {"password", "Passw0rd!x"},
       {"roles", {{{"role", "grid_worker"}, {"node_id", env().accounts["grid_worker"].node}}}}},
      tok("admin"));
  ASSERT_EQ(made.status, 201) << made.body;
  auto token = env().client->login(name, "Passw0rd!x");
  ASSERT_FALSE(token.empty());
  auto logout = call("HEAD", "/api/v1/auth/logout", token);
  EXPECT_EQ(logout.status, 405);
  EXPECT_EQ(logout.header("allow"), "POST");
  EXPECT_EQ(call("GET", "/api/v1/auth/me", token).status, 200) << "the session is still open";

  // A method the path does not take: Allow lists HEAD beside GET.
  auto del = call("DELETE", "/api/v1/residents", tok("community_staff"));
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(del.header("allow"), "GET, HEAD, POST");
  EXPECT_EQ(del.header("content-type"), "application/problem+json; charset=utf-8");
  EXPECT_EQ(del.json()["status"], 405) << del.body;
  auto put = call("PUT", "/api/v1/auth/me", tok("community_staff"));
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("allow"), "GET, HEAD");
}

TEST_P(HttpHeadTest, HeadOfTheEventStreamAnswersItsHeaderAndStartsNoStream) {
  // HEAD of the stream, then a second request on the same connection: were
  // the stream started, the second would never be answered.
  bool timed_out = false;
  auto answer = raw_exchange(env().client->port(),
                             "HEAD /api/v1/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Authorization: Bearer " +
                                 tok("community_staff") +
                                 "\r\n\r\n"
                                 "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Connection: close\r\n\r\n",
                             timed_out);
  EXPECT_FALSE(timed_out) << answer;
  auto end = answer.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << answer;
  auto head = answer.substr(0, end);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << "a stream has no length: " << head;
  auto rest = answer.substr(end + 4);
  EXPECT_TRUE(rest.starts_with("HTTP/1.1 200")) << "the next answer follows at once: " << rest;
}

LINLI_STORE_TESTS(HttpHeadTest);

}  // namespace
