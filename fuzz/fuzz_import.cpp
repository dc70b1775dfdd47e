// The resident importer: CSV (or an .xlsx workbook) through parsing, column
// mapping and every row check, as a dry run against a small demo city; and
// the CSV writer must read back what it wrote.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app_env.hpp"
#include "core/csv.hpp"
#include "org/service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& env = linli::fuzz::AppEnv::get();
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto rows = linli::csv::parse(text); rows && !rows->empty()) {
    // format() must read back the same, except that a cell Excel would run
    // as a formula (= + - @ tab CR first) comes back with a leading "'".
    auto expected = *rows;
    for (auto& r : expected)
      for (auto& f : r)
        if (!f.empty() && std::string_view("=+-@\t\r").find(f[0]) != std::string_view::npos)
          f.insert(0, "'");
    auto again = linli::csv::parse(linli::csv::format(*rows));
    if (!again || *again != expected) std::abort();
  }
  if (text.starts_with("PK")) (void)linli::xlsx::read_first_sheet(text);
  linli::org::OrgService svc(*env.db);
  (void)svc.import_residents(env.staff, text, true, linli::auth::Actor::named("fuzz"));
  return 0;
}
