#include "core/json_fields.hpp"

#include <fmt/format.h>

#include "core/validate.hpp"

namespace linli {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<Json> parse_object(std::string_view body) {
  if (!validate::valid_utf8(body)) return fail(Error::invalid("请求内容不是有效的UTF-8文本"));
  // The SAX depth guard of nlohmann is not exposed; a callback cuts deep input.
  bool too_deep = false;
  auto cb = [&](int d, Json::parse_event_t ev, Json&) {
    if ((ev == Json::parse_event_t::object_start || ev == Json::parse_event_t::array_start) &&
        d > 32)
      too_deep = true;
    return !too_deep;
  };
  Json j = Json::parse(body.begin(), body.end(), cb, false);
  if (too_deep) return fail(Error::invalid("请求内容嵌套层级过深"));
  if (j.is_discarded()) return fail(Error::invalid("请求内容不是有效的JSON"));
  if (!j.is_object()) return fail(Error::invalid("请求内容应为JSON对象"));
  return j;
}

std::optional<std::string> Fields::text(const char* key, const char* label, std::size_t max_chars,
                                        bool required) {
  if (!has(key)) {
    if (required) add(key, fmt::format("请填写{}", label));
    return std::nullopt;
  }
  const auto& v = obj_[key];
  if (!v.is_string()) {
    add(key, fmt::format("{}应为文本", label));
    return std::nullopt;
  }
  std::string s = trim(v.get<std::string>());
  auto n = validate::utf8_length(s);
  if (!n) {
    add(key, fmt::format("{}含有无效字符", label));
    return std::nullopt;
  }
  if (*n == 0) {
    if (required) add(key, fmt::format("请填写{}", label));
    return required ? std::nullopt : std::optional<std::string>{""};
  }
  if (*n > max_chars) {
    add(key, fmt::format("{}不能超过{}个字", label, max_chars));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> Fields::integer(const char* key, const char* label, bool required,
                                            std::int64_t min, std::int64_t max) {
  if (!has(key)) {
    if (required) add(key, fmt::format("请填写{}", label));
    return std::nullopt;
  }
  const auto& v = obj_[key];
  if (!v.is_number_integer()) {
    add(key, fmt::format("{}应为整数", label));
    return std::nullopt;
  }
  auto n = v.get<std::int64_t>();
  if (n < min || n > max) {
    add(key, fmt::format("{}超出允许范围", label));
    return std::nullopt;
  }
  return n;
}

std::optional<double> Fields::number(const char* key, const char* label, bool required) {
  if (!has(key)) {
    if (required) add(key, fmt::format("请填写{}", label));
    return std::nullopt;
  }
  const auto& v = obj_[key];
  if (!v.is_number()) {
    add(key, fmt::format("{}应为数字", label));
    return std::nullopt;
  }
  return v.get<double>();
}

std::optional<bool> Fields::boolean(const char* key, const char* label, bool required) {
  if (!has(key)) {
    if (required) add(key, fmt::format("请填写{}", label));
    return std::nullopt;
  }
  const auto& v = obj_[key];
  if (!v.is_boolean()) {
    add(key, fmt::format("{}应为是或否", label));
    return std::nullopt;
  }
  return v.get<bool>();
}

std::optional<std::string> Fields::one_of(const char* key, const char* label,
                                          const std::vector<std::string>& allowed, bool required) {
  auto s = text(key, label, 64, required);
  if (!s || s->empty()) return s;
  for (const auto& a : allowed)
    if (a == *s) return s;
  add(key, fmt::format("{}的取值不在允许范围内", label));
  return std::nullopt;
}

std::optional<std::vector<std::string>> Fields::strings(const char* key, const char* label,
                                                        std::size_t max_items,
                                                        std::size_t max_chars, bool required) {
  if (!has(key)) {
    if (required) add(key, fmt::format("请填写{}", label));
    return std::nullopt;
  }
  const auto& v = obj_[key];
  if (!v.is_array() || v.size() > max_items) {
    add(key, fmt::format("{}应为不超过{}项的列表", label, max_items));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) {
      add(key, fmt::format("{}中的每一项应为文本", label));
      return std::nullopt;
    }
    std::string s = trim(item.get<std::string>());
    auto n = validate::utf8_length(s);
    if (!n || *n == 0 || *n > max_chars) {
      add(key, fmt::format("{}中的每一项应为1到{}个字", label, max_chars));
      return std::nullopt;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Error Fields::error() const { return Error::invalid("请检查填写的内容", errors_); }

}  // namespace linli
