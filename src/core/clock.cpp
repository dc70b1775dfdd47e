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

// t (seconds since the epoch, taken as UTC) through strftime's format.
std::string utc_text(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
// Every page writes several of these per case (a queue page about 150;
// Open311's list 2,000 in Shanghai time): gmtime_r and strftime were 2 % of
// a queue page's instructions and 3 % of Open311's list. The date comes
// from <chrono>'s civil calendar and the digits are written by hand;
// strftime stays for years outside 1000-9999. Seconds truncate toward zero,
// as before. `ms` is the wall time to write; `zone` follows it.
void append_civil(std::string& out, std::int64_t ms, std::string_view zone) {
  using namespace std::chrono;
  // 1000-01-01 .. 9999-12-31 (strftime writes other years unpadded, and
  // the civil calendar below is not for years past its int range).
  constexpr std::int64_t kYear1000 = -30'610'224'000'000, kYear10000 = 253'402'300'800'000;
  if (ms <= kYear1000 - 1000 || ms >= kYear10000) {
    out += utc_text(static_cast<std::time_t>(ms / 1000), "%Y-%m-%dT%H:%M:%S");
    out += zone;
    return;
  }
  const sys_seconds tp{seconds{ms / 1000}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const int y = static_cast<int>(ymd.year());
  const hh_mm_ss hms{tp - day};
  char text[] = "0000-00-00T00:00:00";
  auto put = [&](std::size_t at, unsigned v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10)
      text[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<unsigned>(y), 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, static_cast<unsigned>(hms.hours().count()), 2);
  put(14, static_cast<unsigned>(hms.minutes().count()), 2);
  put(17, static_cast<unsigned>(hms.seconds().count()), 2);
  out.append(text, sizeof text - 1);
  out += zone;
}
}  // namespace

void append_iso(std::string& out, std::int64_t ms) { append_civil(out, ms, "Z"); }

std::string iso(std::int64_t ms) {
  std::string out;
  append_iso(out, ms);
  return out;
}

std::string shanghai_text(std::int64_t ms) {
  return utc_text(static_cast<std::time_t>((ms + kShanghaiOffsetMs) / 1000), "%Y-%m-%d %H:%M");
}

std::string shanghai_iso(std::int64_t ms) {
  std::string out;
  append_civil(out, ms + kShanghaiOffsetMs, "+08:00");
  return out;
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
