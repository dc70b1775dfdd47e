// `linli serve` flags for sessions, cookies, CSRF, write rate limits and the
// embedded store's memory.
#pragma once
#include <CLI/CLI.hpp>

#include "app/app.hpp"

namespace linli {

struct SecurityFlags {
  double session_hours = 12, session_idle_minutes = 120;
  double writes_per_minute_account = 6000, write_burst_account = 1000;
  double writes_per_minute_address = 60000, write_burst_address = 10000;
  std::string public_origin;
  bool secure_cookie = false;
  double sqlite_memory_mb = 32;
};

void add_security_flags(CLI::App* serve, SecurityFlags& f);
// Copies the flags into the configuration; an error message when one is out of range.
std::string apply_security_flags(const SecurityFlags& f, AppConfig& cfg);

}  // namespace linli
