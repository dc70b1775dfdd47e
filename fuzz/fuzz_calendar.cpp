// The work-calendar file parser and the deadline arithmetic fed by what it
// accepts: nothing it parses may crash add() or is_workday().
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/calendar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)linli::calendar::parse_unit(text.substr(0, 16));
  auto days = linli::calendar::parse_csv(text);
  if (!days) return 0;
  linli::calendar::Calendar cal(*days);
  for (const auto& d : *days) (void)cal.is_workday(d.day);
  (void)cal.is_workday(text.substr(0, 10));
  std::int64_t start = 1'760'000'000'000;  // 2025-10-09
  for (std::int64_t n : {0, 1, 5, 30}) (void)cal.add(start, n, linli::calendar::Unit::workdays);
  (void)cal.add(start, 48, linli::calendar::Unit::hours);
  return 0;
}
