// Structured logs: one JSON object per line on stderr, so a log shipper can
// read them without parsing prose. Never put personal data or tokens in.
#pragma once
#include <spdlog/spdlog.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace linli::log {

// Sets the JSON line format on the default logger (stderr, and the file
// named by LINLI_LOG_FILE when set).
void init();
// {"ts":…,"level":…,"msg":msg, …fields}
void event(spdlog::level::level_enum level, const std::string& msg,
           nlohmann::json fields = nlohmann::json::object());
// One answered request. The line is written as text: its fields as
// nlohmann objects, merged and printed, were a sixth of the instructions of
// a /healthz answer (callgrind), and every request writes one.
struct Access {
  std::string_view request_id, method, route, ip;
  int status = 0;
  double ms = 0;
  std::int64_t user = 0;
};
// {"ts":…,"level":"info","msg":"access","request_id":…,"method":…,
//  "route":…,"status":…,"ms":…,"ip":…,"user":…}
void access(const Access& a);
inline void info(const std::string& msg, nlohmann::json f = nlohmann::json::object()) {
  event(spdlog::level::info, msg, std::move(f));
}
inline void warn(const std::string& msg, nlohmann::json f = nlohmann::json::object()) {
  event(spdlog::level::warn, msg, std::move(f));
}
inline void error(const std::string& msg, nlohmann::json f = nlohmann::json::object()) {
  event(spdlog::level::err, msg, std::move(f));
}

}  // namespace linli::log
