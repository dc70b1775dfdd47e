// Log lines as a log shipper reads them: one JSON object per line, the
// access line with every field of the request and nothing else.
#include "core/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace linli {
namespace {

using Json = nlohmann::json;

// Captures the default logger's lines for one test, then puts it back.
class Captured {
 public:
  Captured() : before_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_pattern("%v");
    spdlog::set_default_logger(logger);
  }
  ~Captured() { spdlog::set_default_logger(before_); }
  std::vector<Json> lines() const {
    std::vector<Json> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
    return out;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> before_;
};

TEST(Log, AccessLineHoldsTheRequestAsJson) {
  Captured log;
  log::access({.request_id = "9f3c2a4411aa",
               .method = "GET",
               .route = "/api/v1/cases/{id}",
               .ip = "127.0.0.1",
               .status = 404,
               .ms = 1.25,
               .user = 42});
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  const auto& l = lines[0];
  EXPECT_EQ(l.at("level"), "info");
  EXPECT_EQ(l.at("msg"), "access");
  EXPECT_EQ(l.at("request_id"), "9f3c2a4411aa");
  EXPECT_EQ(l.at("method"), "GET");
  EXPECT_EQ(l.at("route"), "/api/v1/cases/{id}");
  EXPECT_EQ(l.at("ip"), "127.0.0.1");
  EXPECT_EQ(l.at("status"), 404);
  EXPECT_DOUBLE_EQ(l.at("ms").get<double>(), 1.25);
  EXPECT_EQ(l.at("user"), 42);
  // "2026-11-27T08:00:00.123Z": milliseconds before the zone.
  auto ts = l.at("ts").get<std::string>();
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
  EXPECT_EQ(l.size(), 10u) << l.dump();
}

TEST(Log, AccessLineStaysJsonWhateverTheRouteHolds) {
  Captured log;
  // An unmatched path is logged by its route pattern, empty; a client's
  // method is whatever it sent.
  log::access({.request_id = "r\"1", .method = "G\\ET\n", .route = "", .ip = "::1", .status = 400});
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("request_id"), "r\"1");
  EXPECT_EQ(lines[0].at("method"), "G\\ET\n");
  EXPECT_EQ(lines[0].at("route"), "");
}

TEST(Log, EventLineMergesItsFields) {
  Captured log;
  log::warn("slow statement", {{"ms", 812}, {"what", "列表"}});
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("level"), "warning");
  EXPECT_EQ(lines[0].at("msg"), "slow statement");
  EXPECT_EQ(lines[0].at("ms"), 812);
  EXPECT_EQ(lines[0].at("what"), "列表");
  EXPECT_TRUE(lines[0].contains("ts"));
}

}  // namespace
}  // namespace linli
