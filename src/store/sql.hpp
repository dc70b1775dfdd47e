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

// Escapes % _ and \ for a LIKE pattern used with ESCAPE '\'.
std::string like_escape(std::string_view s);

}  // namespace linli::store
