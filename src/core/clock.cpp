#include "core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "core/validate.hpp"

namespace linli::clock {
namespace {
constexpr std::int64_t kShanghaiOffsetMs = 8LL * 3600 * 1000;  // no DST since 1991

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count();
}
}  // namespace

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string shanghai_text(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>((ms + kShanghaiOffsetMs) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::optional<std::int64_t> shanghai_day_start(std::string_view ymd) {
  if (!validate::is_date(ymd)) return std::nullopt;
  int y = std::stoi(std::string(ymd.substr(0, 4)));
  unsigned m = std::stoul(std::string(ymd.substr(5, 2)));
  unsigned d = std::stoul(std::string(ymd.substr(8, 2)));
  return days_from_civil(y, m, d) * 86400000LL - kShanghaiOffsetMs;
}

int age_from_birth(std::string_view ymd) {
  if (!validate::is_date(ymd)) return 0;
  std::time_t t = static_cast<std::time_t>((now_ms() + kShanghaiOffsetMs) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int y = std::stoi(std::string(ymd.substr(0, 4)));
  int m = std::stoi(std::string(ymd.substr(5, 2)));
  int d = std::stoi(std::string(ymd.substr(8, 2)));
  int age = tm.tm_year + 1900 - y;
  if (tm.tm_mon + 1 < m || (tm.tm_mon + 1 == m && tm.tm_mday < d)) --age;
  return age < 0 ? 0 : age;
}

}  // namespace linli::clock
