#include "core/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>

#include "core/clock.hpp"
#include "core/json_text.hpp"

namespace linli::log {

void init() {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  // LINLI_LOG_FILE: the same lines appended to a file as well (test runs scan
  // it for personal data and secrets: scripts/scan-logs.sh).
  if (const char* file = std::getenv("LINLI_LOG_FILE"); file && *file)
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
  auto logger = std::make_shared<spdlog::logger>("linli", sinks.begin(), sinks.end());
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

namespace {
// "2026-11-27T08:00:00.123Z"
std::string timestamp() {
  auto ms = clock::now_ms();
  auto ts = clock::iso(ms);
  ts.insert(ts.size() - 1, fmt::format(".{:03d}", static_cast<int>(ms % 1000)));
  return ts;
}

void write(spdlog::level::level_enum level, std::string_view line) {
  spdlog::default_logger_raw()->log(level, spdlog::string_view_t(line.data(), line.size()));
}
}  // namespace

void event(spdlog::level::level_enum level, const std::string& msg, nlohmann::json fields) {
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  nlohmann::json line = {
      {"ts", timestamp()}, {"level", spdlog::level::to_string_view(level).data()}, {"msg", msg}};
  line.update(fields);
  write(level, json_text(line));
}

void access(const Access& a) {
  if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) return;
  std::string line;
  line.reserve(256);
  {
    JsonObjectText o(line);
    o.str("ts", timestamp())
        .str("level", "info")
        .str("msg", "access")
        .str("request_id", a.request_id)
        .str("method", a.method)
        .str("route", a.route)
        .integer("status", a.status);
    append_json_double(o.member("ms"), a.ms);
    o.str("ip", a.ip).integer("user", a.user);
  }
  write(spdlog::level::info, line);
}

}  // namespace linli::log
