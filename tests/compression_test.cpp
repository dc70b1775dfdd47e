// gzip and revalidation as a browser on a slow network relies on them: the
// UI's files and the API's large answers, over real HTTP on loopback.
#include "http/compression.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>

#include "api_env.hpp"

using linli::http::accepts_gzip;
using linli::test::ApiEnv;
using linli::test::HttpResult;

namespace {

namespace fs = std::filesystem;

// What a browser does with a Content-Encoding: gzip body.
std::string gunzip(const std::string& packed) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char chunk[16384];
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END) << "not one whole gzip member";
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
  return out;
}

TEST(AcceptsGzip, NamedCodingDecidesByItsWeight) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));  // what browsers send
  EXPECT_TRUE(accepts_gzip("GZip"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip ; q=0.5 , *;q=0"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_TRUE(accepts_gzip("gzip;q=1"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; Q=0.000"));
  EXPECT_FALSE(accepts_gzip("deflate, gzip;q=0.0, br"));
}

TEST(AcceptsGzip, IdentityAndOtherCodingsDoNotAcceptIt) {
  EXPECT_FALSE(accepts_gzip(""));  // wrk, curl without --compressed
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("gzipped"));
  EXPECT_FALSE(accepts_gzip(" , ,"));
}

TEST(AcceptsGzip, StarSpeaksOnlyForCodingsNotNamed) {
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("identity;q=1, *;q=0.5"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_TRUE(accepts_gzip("*;q=0, gzip"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));
}

TEST(Gzip, InflatesToTheSameBytesAtEveryLevel) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"id\":" + std::to_string(i) + ",\"name\":\"网格\"},";
  for (int level : {1, 9}) {
    auto packed = linli::http::gzip(text, level);
    EXPECT_LT(packed.size(), text.size() / 4) << level;
    EXPECT_EQ(gunzip(packed), text) << level;
  }
  EXPECT_EQ(gunzip(linli::http::gzip("", 1)), "");
}

// A built UI of our own: two entry points, a hashed script of a few KB, an
// image, and a text file too small to be worth compressing.
struct WebDir {
  fs::path dir = fs::temp_directory_path() / ("linli-web-" + std::to_string(getpid()));
  std::string index = "<!doctype html><html><head><title>邻里</title></head>" +
                      std::string(400, ' ') + "<body><div id=app></div></body></html>";
  std::string mobile =
      "<!doctype html><html><body><div id=m></div>" + std::string(400, ' ') + "</body></html>";
  std::string script, png, tiny = "ok\n";
  WebDir() {
    for (int i = 0; i < 150; ++i)
      script += "export function grid" + std::to_string(i) + "(x) { return x.map((c) => c.id + " +
                std::to_string(i) + "); }\n";
    // A PNG signature and bytes that look random (images are compressed).
    png = "\x89PNG\r\n\x1a\n";
    std::uint32_t s = 12345;
    for (int i = 0; i < 4000; ++i) png += static_cast<char>((s = s * 1103515245 + 12345) >> 24);
    fs::create_directories(dir / "assets");
    fs::create_directories(dir / "m");
    write("index.html", index);
    write("m/index.html", mobile);
    write("assets/app-1a2b3c.js", script);
    write("assets/logo-1a2b3c.png", png);
    write("robots.txt", tiny);
  }
  ~WebDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& rel, const std::string& body) {
    std::ofstream(dir / rel, std::ios::binary) << body;
  }
};

// The whole answer to a raw request, read to the end of the connection: to
// see what follows the header of a HEAD answer.
std::string raw_exchange(unsigned short port, const std::string& request) {
  using boost::asio::ip::tcp;
  boost::asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  boost::asio::write(s, boost::asio::buffer(request));
  std::string out;
  boost::system::error_code ec;
  boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);  // until the server closes
  return out;
}

class CompressionTest : public StoreParamTest {
 protected:
  void SetUp() override {
    StoreParamTest::SetUp();
    if (IsSkipped()) return;
    // A second server on the demo city's store, serving the UI above.
    linli::AppConfig cfg;
    cfg.web_dir = web_.dir.string();
    cfg.auth = linli::test::test_policy();
    app_ = std::make_unique<linli::App>(*env().db, cfg);
    linli::http::ServerOptions so;
    so.port = 0;
    so.workers = 2;
    server_ = std::make_unique<linli::http::Server>(
        so, [a = app_.get()](linli::http::Request& r) { return a->handle(r); });
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error().detail;
    ui_ = std::make_unique<linli::test::HttpClient>(*port);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  HttpResult ui(const std::string& path, std::map<std::string, std::string> headers = {}) {
    return ui_->request("GET", path, "", "", headers);
  }
  HttpResult api(const std::string& target, const std::string& token,
                 std::map<std::string, std::string> headers = {}) {
    return env().client->request("GET", target, "", token, headers);
  }

  WebDir web_;
  std::unique_ptr<linli::App> app_;
  std::unique_ptr<linli::http::Server> server_;
  std::unique_ptr<linli::test::HttpClient> ui_;
};

const std::map<std::string, std::string> kGzip = {{"accept-encoding", "gzip, deflate, br"}};

TEST_P(CompressionTest, ScriptIsGzippedOnlyForClientsThatAcceptIt) {
  auto packed = ui("/assets/app-1a2b3c.js", kGzip);
  ASSERT_EQ(packed.status, 200);
  EXPECT_EQ(packed.header("content-encoding"), "gzip");
  EXPECT_EQ(packed.header("vary"), "Accept-Encoding");
  EXPECT_EQ(packed.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(packed.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_LT(packed.body.size(), web_.script.size() / 3);
  EXPECT_EQ(gunzip(packed.body), web_.script);
  EXPECT_EQ(packed.header("content-length"), std::to_string(packed.body.size()));

  for (auto refusal : std::vector<std::map<std::string, std::string>>{
           {}, {{"accept-encoding", "gzip;q=0, deflate"}}, {{"accept-encoding", "identity"}}}) {
    auto plain = ui("/assets/app-1a2b3c.js", refusal);
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(plain.header("content-encoding"), "");
    EXPECT_EQ(plain.header("vary"), "Accept-Encoding");  // caches keep the two apart
    EXPECT_EQ(plain.body, web_.script);
  }
}

TEST_P(CompressionTest, ImagesAndTinyFilesAreSentAsTheyAre) {
  auto img = ui("/assets/logo-1a2b3c.png", kGzip);
  ASSERT_EQ(img.status, 200);
  EXPECT_EQ(img.header("content-encoding"), "");
  EXPECT_EQ(img.header("vary"), "");  // one representation only
  EXPECT_EQ(img.header("content-type"), "image/png");
  EXPECT_EQ(img.body, web_.png);
  auto tiny = ui("/robots.txt", kGzip);  // gzip would make it larger
  EXPECT_EQ(tiny.header("content-encoding"), "");
  EXPECT_EQ(tiny.body, web_.tiny);
}

TEST_P(CompressionTest, RevalidationAnswers304ForTheSameRepresentation) {
  auto plain = ui("/index.html");
  auto packed = ui("/index.html", kGzip);
  auto plain_tag = plain.header("etag"), packed_tag = packed.header("etag");
  ASSERT_FALSE(plain_tag.empty());
  EXPECT_TRUE(plain_tag.starts_with('"') && plain_tag.ends_with('"')) << plain_tag;  // strong
  EXPECT_NE(plain_tag, packed_tag);
  EXPECT_EQ(plain.header("cache-control"), "no-cache");

  auto same = ui("/index.html", {{"accept-encoding", "gzip"}, {"if-none-match", packed_tag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(same.body, "");
  EXPECT_EQ(same.header("etag"), packed_tag);
  EXPECT_EQ(same.header("cache-control"), "no-cache");
  EXPECT_EQ(same.header("vary"), "Accept-Encoding");
  EXPECT_EQ(same.header("content-encoding"), "");
  EXPECT_EQ(same.header("content-length"), "");  // a 304 must not claim a length of 0
  // A list, a weak form of the tag, and "*" match too.
  EXPECT_EQ(ui("/index.html", {{"if-none-match", "\"0000\", W/" + plain_tag}}).status, 304);
  EXPECT_EQ(ui("/index.html", {{"if-none-match", "*"}}).status, 304);

  // The file changed since (another build), or the other representation: the whole file.
  auto stale = ui("/index.html", {{"accept-encoding", "gzip"}, {"if-none-match", "\"0123\""}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(gunzip(stale.body), web_.index);
  auto other = ui("/index.html", {{"if-none-match", packed_tag}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, web_.index);
}

TEST_P(CompressionTest, AppRoutesGetTheirEntryPointCompressed) {
  auto mobile = ui("/m/cases/12", kGzip);
  ASSERT_EQ(mobile.status, 200);
  EXPECT_EQ(mobile.header("content-encoding"), "gzip");
  EXPECT_EQ(gunzip(mobile.body), web_.mobile);
  EXPECT_EQ(mobile.header("cache-control"), "no-cache");
  auto console = ui("/cases/12", kGzip);
  ASSERT_EQ(console.status, 200);
  EXPECT_EQ(gunzip(console.body), web_.index);
  EXPECT_EQ(ui("/assets/missing-0000.js", kGzip).status, 404);
}

TEST_P(CompressionTest, HeadAnswersTheLengthOfWhatGetWouldSend) {
  auto packed = ui("/assets/app-1a2b3c.js", kGzip);
  auto answer = raw_exchange(ui_->port(),
                             "HEAD /assets/app-1a2b3c.js HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n");
  auto end = answer.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << answer;
  auto head = answer.substr(0, end);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(packed.body.size())), std::string::npos)
      << head;
  EXPECT_NE(head.find("Content-Encoding: gzip"), std::string::npos) << head;
  EXPECT_EQ(answer.size(), end + 4) << "a HEAD answer carries no body";
}

TEST_P(CompressionTest, LargeApiAnswersAreGzippedForClientsThatAcceptThem) {
  // The OpenAPI document is far above the threshold and the same on every call.
  auto plain = api("/api/v1/openapi.json", "");
  ASSERT_EQ(plain.status, 200);
  ASSERT_GE(plain.body.size(), 16u * 1024);
  EXPECT_EQ(plain.header("content-encoding"), "");
  EXPECT_EQ(plain.header("vary"), "Accept-Encoding");
  auto packed = api("/api/v1/openapi.json", "", kGzip);
  ASSERT_EQ(packed.status, 200);
  EXPECT_EQ(packed.header("content-encoding"), "gzip");
  EXPECT_EQ(packed.header("vary"), "Accept-Encoding");
  EXPECT_EQ(packed.header("cache-control"), "no-store");
  EXPECT_EQ(packed.header("content-length"), std::to_string(packed.body.size()));
  EXPECT_LT(packed.body.size(), plain.body.size() / 3);
  EXPECT_EQ(gunzip(packed.body), plain.body);

  // A CSV export is text too; the Excel one is a zip already.
  auto token = env().token("community_staff");
  auto csv_plain = api("/api/v1/cases/export?format=csv", token);
  ASSERT_EQ(csv_plain.status, 200) << csv_plain.body;
  ASSERT_GE(csv_plain.body.size(), 16u * 1024) << "the demo city's cases fill a large export";
  auto csv = api("/api/v1/cases/export?format=csv", token, kGzip);
  EXPECT_EQ(csv.header("content-encoding"), "gzip");
  EXPECT_EQ(csv.header("content-disposition"), csv_plain.header("content-disposition"));
  EXPECT_EQ(gunzip(csv.body), csv_plain.body);
  auto xlsx = api("/api/v1/cases/export?format=xlsx", token, kGzip);
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.header("content-encoding"), "");
  EXPECT_TRUE(xlsx.body.starts_with("PK")) << "a workbook, as it was";
}

TEST_P(CompressionTest, SmallApiAnswersAreSentAsTheyAre) {
  auto health = api("/healthz", "", kGzip);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.header("content-encoding"), "");
  auto me = api("/api/v1/auth/me", env().token("community_staff"), kGzip);
  ASSERT_EQ(me.status, 200);
  EXPECT_LT(me.body.size(), 16u * 1024);
  EXPECT_EQ(me.header("content-encoding"), "");
  EXPECT_FALSE(me.json().is_null());
}

LINLI_STORE_TESTS(CompressionTest);

}  // namespace
