// Wall-clock time as the store keeps it: UTC unix milliseconds.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace linli::clock {

std::int64_t now_ms();
// "2026-11-25T08:00:00Z" (UTC, second precision).
std::string iso(std::int64_t ms);
// The same appended to out (lists write hundreds without a string each).
void append_iso(std::string& out, std::int64_t ms);
// "2026-11-26 05:58" in Asia/Shanghai: what a spreadsheet shows staff.
std::string shanghai_text(std::int64_t ms);
// ISO 8601 in Shanghai time: "2026-11-25T16:00:00+08:00" (Open311's times).
std::string shanghai_iso(std::int64_t ms);
// "YYYY-MM-DD" as a Shanghai-local calendar day → UTC ms of its midnight
// there; nullopt when not a date.
std::optional<std::int64_t> shanghai_day_start(std::string_view ymd);
// Whole years between birth date "YYYY-MM-DD" and today (Shanghai).
int age_from_birth(std::string_view ymd);

}  // namespace linli::clock
