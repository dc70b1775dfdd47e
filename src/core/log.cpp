#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include "core/clock.hpp"

namespace linli::log {

void init() {
  auto logger = spdlog::stderr_logger_mt("linli");
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);
}

void event(spdlog::level::level_enum level, const std::string& msg, nlohmann::json fields) {
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  auto ms = clock::now_ms();
  auto ts = clock::iso(ms);
  ts.insert(ts.size() - 1, fmt::format(".{:03d}", static_cast<int>(ms % 1000)));
  nlohmann::json line = {
      {"ts", ts}, {"level", spdlog::level::to_string_view(level).data()}, {"msg", msg}};
  line.update(fields);
  spdlog::log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace linli::log
