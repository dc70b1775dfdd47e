// Reading request bodies field by field, collecting every problem at once so
// a form can show all of them beside their inputs.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace linli {

using Json = nlohmann::json;

// Parses a request body as a JSON object; bad JSON, a non-object, invalid
// UTF-8 or nesting deeper than 32 levels is an Error::invalid.
Result<Json> parse_object(std::string_view body);

class Fields {
 public:
  explicit Fields(const Json& obj) : obj_(obj) {}
  // A trimmed string of 1..max_chars code points. `label` is the Chinese
  // field name used in messages ("姓名").
  std::optional<std::string> text(const char* key, const char* label, std::size_t max_chars,
                                  bool required = true);
  std::optional<std::int64_t> integer(const char* key, const char* label, bool required = true,
                                      std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
  std::optional<double> number(const char* key, const char* label, bool required = true);
  std::optional<bool> boolean(const char* key, const char* label, bool required = true);
  // One of the given codes.
  std::optional<std::string> one_of(const char* key, const char* label,
                                    const std::vector<std::string>& allowed, bool required = true);
  // An array of short strings (tags).
  std::optional<std::vector<std::string>> strings(const char* key, const char* label,
                                                  std::size_t max_items, std::size_t max_chars,
                                                  bool required = true);
  bool has(const char* key) const { return obj_.contains(key) && !obj_[key].is_null(); }
  void add(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  bool ok() const { return errors_.empty(); }
  // The collected problems as one Error ("请检查填写的内容").
  Error error() const;

 private:
  const Json& obj_;
  std::vector<FieldError> errors_;
};

}  // namespace linli
