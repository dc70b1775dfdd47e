// Building a query with numbered placeholders while filters are added.
#pragma once
#include <string>
#include <string_view>

#include "store/db.hpp"

namespace linli::store {

struct Sql {
  std::string text;
  Params params;

  // Adds a parameter and returns its placeholder ("$3").
  std::string bind(Value v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  }
  Sql& operator<<(std::string_view s) {
    text += s;
    return *this;
  }
};

// PostgreSQL plans a prepared statement for its values five times, then
// keeps a generic plan if that looks no costlier. Where the good plan depends
// on the values (a path's range: a grid or the whole city; a window of the
// newest ids) the generic plan can read a street's every case: a case list
// page went from 5-50 ms to 0.6-0.9 s on its sixth execution on 1M cases
// (docs/PERFORMANCE.md, session 13). A statement that starts with this
// comment is planned with its values every time (sent unprepared); SQLite
// ignores it.
inline constexpr std::string_view kPlanWithValues = "/* planned with its values */ ";
inline bool plans_with_values(std::string_view sql) { return sql.starts_with(kPlanWithValues); }

// Escapes % _ and \ for a LIKE pattern used with ESCAPE '\'.
std::string like_escape(std::string_view s);

}  // namespace linli::store
