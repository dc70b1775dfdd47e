// The work calendar. Days are counted as integers (days since 1970-01-01 on
// the Shanghai calendar, std::chrono civil days), so nothing depends on the
// process time zone. Asia/Shanghai has been UTC+8 without DST since 1991.
#include "core/calendar.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <utility>

#include "core/csv.hpp"
#include "core/validate.hpp"

namespace linli::calendar {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kShanghaiOffsetMs = 8 * kHourMs;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
// Instants are clamped to years 0001..9999 (what "YYYY-MM-DD" can name), and working-day limits to
// a million (~3800 years): no real limit comes close, and the arithmetic below then cannot
// overflow.
constexpr std::int64_t kMinStartMs = -62'135'596'800'000 - kShanghaiOffsetMs;      // 0001-01-01
constexpr std::int64_t kMaxStartMs = 253'402'300'800'000 - kShanghaiOffsetMs - 1;  // 9999-12-31
constexpr std::int64_t kMaxWorkdays = 1'000'000;
constexpr std::size_t kMaxRows = 2000;
constexpr std::size_t kMaxNameChars = 50;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Shanghai calendar day number of a UTC instant, without overflow.
std::int64_t shanghai_day_number(std::int64_t ms) {
  std::int64_t day = floor_div(ms, kDayMs);
  std::int64_t rem = ms - day * kDayMs;  // 0 .. kDayMs-1
  return rem + kShanghaiOffsetMs >= kDayMs ? day + 1 : day;
}

std::string ymd_of(std::int64_t day) {
  using namespace std::chrono;
  const year_month_day d{sys_days{days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                     static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

// Day number of a string already checked with validate::is_date.
std::int64_t day_of(std::string_view ymd) {
  using namespace std::chrono;
  auto num = [&](std::size_t at, std::size_t len) {
    unsigned v = 0;
    for (char c : ymd.substr(at, len)) v = v * 10 + static_cast<unsigned>(c - '0');
    return v;
  };
  const year_month_day d{year{static_cast<int>(num(0, 4))}, month{num(5, 2)}, day{num(8, 2)}};
  return sys_days{d}.time_since_epoch().count();
}

bool is_weekday(std::int64_t day) {
  using namespace std::chrono;
  const weekday w{sys_days{days{day}}};
  return w != Saturday && w != Sunday;
}

// Monday–Friday days among day numbers < x.
std::int64_t weekdays_before(std::int64_t x) {
  std::int64_t k = x + 3;  // days since Monday 1969-12-29
  std::int64_t weeks = floor_div(k, 7);
  return weeks * 5 + std::min<std::int64_t>(k - weeks * 7, 5);
}

// Monday–Friday days in (a, b].
std::int64_t weekdays_in(std::int64_t a, std::int64_t b) {
  return b <= a ? 0 : weekdays_before(b + 1) - weekdays_before(a + 1);
}

// The n-th (n ≥ 1) Monday–Friday day after `day`, ignoring overrides.
std::int64_t nth_weekday_after(std::int64_t day, std::int64_t n) {
  std::int64_t weeks = (n - 1) / 5;  // every 7 consecutive days hold 5 weekdays
  day += weeks * 7;
  n -= weeks * 5;
  while (true) {
    ++day;
    if (is_weekday(day) && --n == 0) return day;
  }
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<bool> parse_kind(std::string_view s) {
  if (s == "放假") return false;
  if (s == "上班") return true;
  std::string l = ascii_lower(s);
  if (l == "holiday") return false;
  if (l == "workday") return true;
  return std::nullopt;
}

std::string row_field(std::size_t row) { return "第" + std::to_string(row) + "行"; }

}  // namespace

Result<Unit> parse_unit(std::string_view s) {
  if (s == "hours") return Unit::hours;
  if (s == "workdays") return Unit::workdays;
  return fail(Error::invalid("期限单位只能是 hours（小时）或 workdays（工作日）",
                             {{"unit", "期限单位只能是 hours 或 workdays"}}));
}

const char* unit_name(Unit u) { return u == Unit::hours ? "hours" : "workdays"; }

Calendar::Calendar(const std::vector<DayOverride>& overrides) {
  // Later entries win; strings that are not dates could never match a day
  // and are dropped (parse_csv refuses both before they get here).
  for (const auto& o : overrides) {
    if (validate::is_date(o.day)) overrides_.insert_or_assign(o.day, o.workday);
  }
}

bool Calendar::is_workday(std::string_view ymd) const {
  if (!validate::is_date(ymd)) return false;
  if (auto it = overrides_.find(ymd); it != overrides_.end()) return it->second;
  return is_weekday(day_of(ymd));
}

std::int64_t Calendar::add(std::int64_t start_ms, std::int64_t value, Unit unit) const {
  if (value < 0) value = 0;
  if (unit == Unit::hours) {
    std::int64_t delta = 0, out = 0;
    if (__builtin_mul_overflow(value, kHourMs, &delta) ||
        __builtin_add_overflow(start_ms, delta, &out)) {
      return kMax;
    }
    return out;
  }

  std::int64_t left = std::min(value, kMaxWorkdays);
  std::int64_t day = shanghai_day_number(std::clamp(start_ms, kMinStartMs, kMaxStartMs));
  // Walk the overrides after the start day in order; between two of them
  // only weekends rest, which is counted in closed form.
  auto it = overrides_.upper_bound(ymd_of(day));
  while (left > 0) {
    if (it == overrides_.end()) {
      day = nth_weekday_after(day, left);
      break;
    }
    std::int64_t next = day_of(it->first);
    std::int64_t plain = weekdays_in(day, next - 1);
    if (plain >= left) {
      day = nth_weekday_after(day, left);
      break;
    }
    left -= plain;
    day = next;
    if (it->second) --left;
    ++it;
  }
  // 24:00 of `day` in Shanghai is 00:00 of the next day.
  return (day + 1) * kDayMs - kShanghaiOffsetMs;
}

std::string shanghai_day(std::int64_t ms) {
  return ymd_of(shanghai_day_number(std::clamp(ms, kMinStartMs, kMaxStartMs)));
}

std::string month_add(std::string_view ym, int k) {
  int idx = std::stoi(std::string(ym.substr(0, 4))) * 12 + std::stoi(std::string(ym.substr(5, 2))) -
            1 + k;
  return fmt::format("{:04d}-{:02d}", idx / 12, idx % 12 + 1);
}

Result<std::vector<DayOverride>> parse_csv(std::string_view text) {
  auto parsed = csv::parse(text);
  if (!parsed) return fail(std::move(parsed.error()));
  const auto& rows = *parsed;
  if (rows.empty()) {
    return fail(Error::invalid("文件是空的。请上传含表头“日期,类型,名称”的节假日CSV文件"));
  }

  // Header: 日期 and 类型 required, 名称 optional, other columns ignored.
  std::optional<std::size_t> col_day, col_kind, col_name;
  std::vector<FieldError> header_errors;
  for (std::size_t i = 0; i < rows[0].size(); ++i) {
    std::string_view h = trim(rows[0][i]);
    std::optional<std::size_t>* slot = h == "日期"   ? &col_day
                                       : h == "类型" ? &col_kind
                                       : h == "名称" ? &col_name
                                                     : nullptr;
    if (slot == nullptr) continue;
    if (slot->has_value()) {
      header_errors.push_back({row_field(1), "表头中“" + std::string(h) + "”列重复"});
    }
    *slot = i;
  }
  if (!col_day) header_errors.push_back({row_field(1), "表头缺少“日期”列"});
  if (!col_kind) header_errors.push_back({row_field(1), "表头缺少“类型”列"});
  if (!header_errors.empty()) {
    return fail(Error::invalid("表头不正确，第一行应为“日期,类型,名称”", std::move(header_errors)));
  }
  if (rows.size() - 1 > kMaxRows) {
    return fail(Error::invalid("文件超过" + std::to_string(kMaxRows) +
                               "行数据，请只上传一个年度的节假日安排"));
  }

  auto cell = [](const csv::Record& r, std::optional<std::size_t> col) -> std::string_view {
    return col && *col < r.size() ? trim(r[*col]) : std::string_view{};
  };

  std::vector<DayOverride> out;
  std::vector<FieldError> errors;
  std::map<std::string, std::size_t, std::less<>> seen;  // day → row
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const std::size_t row = i + 1;  // header is row 1, as the spreadsheet shows
    if (std::all_of(r.begin(), r.end(), [](const std::string& f) { return trim(f).empty(); })) {
      continue;  // blank rows Excel leaves between blocks carry nothing
    }
    std::string_view day = cell(r, col_day), kind = cell(r, col_kind), name = cell(r, col_name);
    std::vector<std::string> problems;
    if (day.empty()) {
      problems.push_back("日期不能为空");
    } else if (!validate::is_date(day)) {
      problems.push_back("日期“" + std::string(day) +
                         "”无效，应为真实的日期并写成YYYY-MM-DD，例如2026-10-01");
    } else if (auto [at, fresh] = seen.try_emplace(std::string(day), row); !fresh) {
      problems.push_back("日期" + std::string(day) + "与第" + std::to_string(at->second) +
                         "行重复");
    }
    auto workday = parse_kind(kind);
    if (kind.empty()) {
      problems.push_back("类型不能为空，应为“放假”或“上班”");
    } else if (!workday) {
      problems.push_back("类型“" + std::string(kind) + "”无效，应为“放假”或“上班”");
    }
    if (validate::utf8_length(name).value_or(0) > kMaxNameChars) {
      problems.push_back("名称不能超过" + std::to_string(kMaxNameChars) + "个字");
    }
    if (!problems.empty()) {
      std::string msg;
      for (const auto& p : problems) msg += (msg.empty() ? "" : "；") + p;
      errors.push_back({row_field(row), std::move(msg)});
      continue;
    }
    out.push_back({std::string(day), *workday, std::string(name)});
  }
  if (!errors.empty()) {
    // The count is taken before `errors` is moved into the same call.
    std::string detail =
        "节假日文件有" + std::to_string(errors.size()) + "行错误，请按提示修改后重新上传";
    return fail(Error::invalid(std::move(detail), std::move(errors)));
  }
  if (out.empty()) {
    return fail(Error::invalid("文件只有表头，没有日期。请按国务院办公厅的通知逐日填写"));
  }
  return out;
}

}  // namespace linli::calendar
