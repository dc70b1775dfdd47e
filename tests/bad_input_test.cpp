// Bad input over real HTTP is refused cleanly: oversize bodies (413), JSON
// nested 10,000 levels deep (400, no stack overflow), malformed JSON, invalid
// UTF-8 in JSON strings and in CSV uploads, CSV uploads over the limit (413,
// in Chinese). Every answer is problem+json and nothing is written.
#include <gtest/gtest.h>

#include "api_env.hpp"

using linli::test::ApiEnv;
using linli::test::HttpResult;

namespace {

class BadInputTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  // What a refused request must leave as it was.
  std::vector<std::int64_t> counts() {
    return {env().count("SELECT count(*) AS n FROM residents"),
            env().count("SELECT count(*) AS n FROM households"),
            env().count("SELECT count(*) AS n FROM cases"),
            env().count("SELECT count(*) AS n FROM audit_log")};
  }
  static void expect_problem(const HttpResult& r, int status, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body.substr(0, 300);
    EXPECT_TRUE(r.header("content-type").starts_with("application/problem+json"))
        << what << ": " << r.header("content-type");
    auto j = r.json();
    ASSERT_TRUE(j.is_object()) << what;
    EXPECT_EQ(j["status"], status) << what;
    EXPECT_FALSE(j.value("detail", "").empty()) << what;
  }
  HttpResult post_json(const std::string& path, const std::string& body, const std::string& t) {
    return http().request("POST", path, body, t, {{"content-type", "application/json"}});
  }
};

TEST_P(BadInputTest, OversizeJsonBodyIs413) {
  auto token = env().token("community_staff");
  auto before = counts();
  std::string huge(2 * 1024 * 1024, 'a');
  for (const char* path : {"/api/v1/residents", "/api/v1/cases"}) {
    auto r = post_json(path, "{\"name\":\"" + huge + "\"}", token);
    expect_problem(r, 413, path);
    EXPECT_NE(r.json().value("detail", "").find("请求内容过大"), std::string::npos) << r.body;
  }
  EXPECT_EQ(counts(), before);
}

TEST_P(BadInputTest, DeeplyNestedJsonIs400) {
  auto token = env().token("community_staff");
  auto before = counts();
  const int depth = 10000;
  std::string arrays = std::string(depth, '[') + std::string(depth, ']');
  std::string objects;
  for (int i = 0; i < depth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(depth, '}');
  std::string unclosed = "{\"name\":" + std::string(depth, '[');
  for (const auto& [what, body] : {std::pair{"arrays", arrays}, std::pair{"objects", objects},
                                   std::pair{"unclosed", unclosed}}) {
    for (const char* path : {"/api/v1/residents", "/api/v1/cases", "/api/v1/auth/login"})
      expect_problem(post_json(path, body, token), 400, std::string(what) + " " + path);
  }
  EXPECT_EQ(counts(), before);
  // The server is still there.
  EXPECT_EQ(http().get("/api/v1/auth/me", token).status, 200);
}

TEST_P(BadInputTest, MalformedJsonIs400) {
  auto token = env().token("community_staff");
  auto before = counts();
  const std::vector<std::string> bodies = {
      "",
      "{",
      "{\"name\": \"张三\"",
      "{\"name\": \"张三\"} trailing",
      "{'name': 'single quotes'}",
      "{\"name\": NaN}",
      "{\"name\": \"a\",}",
      "[]",
      "\"just a string\"",
      "null",
      "{\"name\": \"\\ud800\"}",  // a lone surrogate escape
      std::string("{\"name\": \"a\0b\"}", 15),
  };
  for (const auto& b : bodies) {
    expect_problem(post_json("/api/v1/residents", b, token), 400, "body <" + b + ">");
    expect_problem(post_json("/api/v1/cases", b, token), 400, "case body <" + b + ">");
  }
  EXPECT_EQ(counts(), before);
}

TEST_P(BadInputTest, InvalidUtf8InJsonIs400) {
  auto token = env().token("community_staff");
  auto before = counts();
  const std::vector<std::string> bad = {
      "\xff\xfe",                  // never valid
      "\xc0\xaf",                  // overlong '/'
      "\xed\xa0\x80",              // UTF-16 surrogate encoded
      "\xe5\xbc",                  // truncated 张
      "\x80",                      // lone continuation byte
      "\xf4\x90\x80\x80",          // above U+10FFFF
      "\xe5\xbc\xa0\xff\xe4\xb8",  // good then bad
  };
  for (const auto& b : bad) {
    auto r = post_json("/api/v1/residents",
                       "{\"household_id\": 1, \"name\": \"" + b + "\", \"gender\": \"男\"}", token);
    expect_problem(r, 400, "utf8");
    EXPECT_NE(r.json().value("detail", "").find("UTF-8"), std::string::npos) << r.body;
    expect_problem(post_json("/api/v1/cases", "{\"title\": \"" + b + "\"}", token), 400,
                   "case utf8");
  }
  EXPECT_EQ(counts(), before);
}

TEST_P(BadInputTest, InvalidUtf8InCsvIsRefused) {
  auto token = env().token("community_staff");
  auto before = counts();
  std::string csv =
      "姓名,性别,出生日期,与户主关系,手机号,身份证号,网格,楼栋,单元,房号,标签\n"
      "\xd5\xc5\xc8\xfd,男,,户主,,110105194912310021,幸福里小区网格,1栋,1单元,101,\n";  // GBK
  // A dry run reports the row; the real import refuses the file.
  auto dry = http().request("POST", "/api/v1/import/residents?dry_run=true", csv, token,
                            {{"content-type", "text/csv"}});
  ASSERT_EQ(dry.status, 200) << dry.body;
  ASSERT_EQ(dry.json()["errors"].size(), 1u) << dry.body;
  EXPECT_NE(dry.body.find("UTF-8"), std::string::npos) << dry.body;
  auto r = http().request("POST", "/api/v1/import/residents?dry_run=false", csv, token,
                          {{"content-type", "text/csv"}});
  ASSERT_GE(r.status, 400) << r.body;
  ASSERT_LT(r.status, 500) << r.body;
  expect_problem(r, r.status, "gbk csv");
  EXPECT_NE(r.body.find("UTF-8"), std::string::npos) << r.body;
  EXPECT_EQ(counts(), before);
}

TEST_P(BadInputTest, HugeCsvUploadIs413InChinese) {
  auto token = env().token("community_staff");
  auto before = counts();
  std::string row = "张三,男,,户主,,110105194912310021,幸福里小区网格,1栋,1单元,101,\n";
  std::string csv = "姓名,性别,出生日期,与户主关系,手机号,身份证号,网格,楼栋,单元,房号,标签\n";
  while (csv.size() <= 33u * 1024 * 1024) csv += row;
  auto r = http().request("POST", "/api/v1/import/residents?dry_run=false", csv, token,
                          {{"content-type", "text/csv"}});
  expect_problem(r, 413, "huge csv");
  // Files between the JSON limit (1 MiB) and the upload limit are read: the
  // upload limit is the one that applies (a dry run, so nothing is written).
  csv.resize(3u * 1024 * 1024);
  csv.resize(csv.rfind('\n') + 1);
  auto mid = http().request("POST", "/api/v1/import/residents?dry_run=true", csv, token,
                            {{"content-type", "text/csv"}});
  EXPECT_NE(mid.status, 413) << mid.body.substr(0, 300);
  EXPECT_NE(r.json().value("detail", "").find("上传的文件过大"), std::string::npos) << r.body;
  EXPECT_EQ(counts(), before);
}

LINLI_STORE_TESTS(BadInputTest);

}  // namespace
