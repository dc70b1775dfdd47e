// The work calendar and deadline arithmetic. Weekends rest, Monday–Friday
// work, except days the official notice changes: public holidays (放假) and
// make-up working days (调休上班), loaded per year by an administrator.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace linli::calendar {

enum class Unit { hours, workdays };

// "hours" / "workdays"; nullopt-like failure as Error::invalid.
Result<Unit> parse_unit(std::string_view s);
const char* unit_name(Unit u);

struct DayOverride {
  std::string day;   // YYYY-MM-DD (Shanghai)
  bool workday;      // true: 调休上班; false: 放假
  std::string name;  // "国庆节"
};

class Calendar {
 public:
  Calendar() = default;
  explicit Calendar(const std::vector<DayOverride>& overrides);
  // Whether the Shanghai calendar day is a working day.
  bool is_workday(std::string_view ymd) const;
  // Adds a limit to a start instant (UTC ms).
  // hours: plain clock hours (urgent work runs around the clock).
  // workdays: the limit ends at the end (24:00 Asia/Shanghai) of the Nth
  // working day after the start's calendar day — started Monday 10:00 with 1
  // working day, due Tuesday 24:00; started on a Saturday, the first working
  // day after it counts as the first. N = 0 means the end of the start day.
  std::int64_t add(std::int64_t start_ms, std::int64_t value, Unit unit) const;

 private:
  std::map<std::string, bool, std::less<>> overrides_;
};

// Shanghai calendar day "YYYY-MM-DD" of a UTC instant.
std::string shanghai_day(std::int64_t ms);
// "2026-11" moved by k months (k may be negative): "YYYY-MM".
std::string month_add(std::string_view ym, int k);

// The CSV admins load from the State Council's notice, UTF-8, header row:
//   日期,类型,名称
//   2026-10-01,放假,国庆节
//   2026-10-10,上班,国庆节调休
// 类型 is 放假 or 上班 (holiday/workday accepted too). Errors name the row.
Result<std::vector<DayOverride>> parse_csv(std::string_view text);

}  // namespace linli::calendar
