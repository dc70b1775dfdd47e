// Structured logs: one JSON object per line on stderr, so a log shipper can
// read them without parsing prose. Never put personal data or tokens in.
#pragma once
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <string>

namespace linli::log {

// Sets the JSON line format on the default logger (stderr, and the file
// named by LINLI_LOG_FILE when set).
void init();
// {"ts":…,"level":…,"msg":msg, …fields}
void event(spdlog::level::level_enum level, const std::string& msg,
           nlohmann::json fields = nlohmann::json::object());
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
