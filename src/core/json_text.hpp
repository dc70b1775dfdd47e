#pragma once
// Compact JSON text for answers and log lines, written straight into one
// string. nlohmann's dump() decodes every byte of every string through its
// UTF-8 automaton and copies through a virtual output adapter; perf and
// callgrind put it at a fifth of a queue page's instructions. This writes
// runs of ordinary bytes with one append and checks UTF-8 only where a byte
// is not ASCII.
//
// The text is byte for byte what dump(-1, ' ', false, error_handler_t::replace)
// writes for valid UTF-8 (tests/json_text_test.cpp compares them); invalid
// UTF-8 becomes U+FFFD here too, one per broken sequence.
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace linli {

// Appends s as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);
// Appends a finite or non-finite double as dump() would (non-finite: null).
void append_json_double(std::string& out, double d);

// Appends a whole number as dump() writes one.
void append_json_integer(std::string& out, std::int64_t v);

// One object's members written straight into `out`, for lists whose rows
// would otherwise each become a nlohmann object only to be printed and freed
// (a queue page of 50: half its instructions, callgrind). Keys are literals
// from the code and written unescaped. Give them in byte order where the text
// should read as a nlohmann object prints (std::map order); tests compare.
class JsonObjectText {
 public:
  explicit JsonObjectText(std::string& out) : out_(out) { out_.push_back('{'); }
  JsonObjectText(const JsonObjectText&) = delete;
  JsonObjectText& operator=(const JsonObjectText&) = delete;
  ~JsonObjectText() { out_.push_back('}'); }

  JsonObjectText& str(std::string_view key, std::string_view v) {
    append_json_string(member(key), v);
    return *this;
  }
  JsonObjectText& integer(std::string_view key, std::int64_t v) {
    append_json_integer(member(key), v);
    return *this;
  }
  JsonObjectText& boolean(std::string_view key, bool v) {
    if (v)
      member(key).append("true", 4);
    else
      member(key).append("false", 5);
    return *this;
  }
  JsonObjectText& null(std::string_view key) {
    member(key).append("null", 4);
    return *this;
  }
  // The key and its colon; the caller appends the value to what this returns.
  // One write for the comma, the quoted key and the colon: four appends
  // each were a seventh of a queue page's instructions (callgrind).
  std::string& member(std::string_view key) {
    const std::size_t comma = first_ ? 0 : 1, at = out_.size();
    const std::size_t size = at + comma + key.size() + 3;
    first_ = false;
    // The new length is returned as computed: GCC 12 hands the callback the
    // grown capacity, not the size asked for.
    out_.resize_and_overwrite(size, [&](char* buf, std::size_t) {
      char* w = buf + at;
      if (comma) *w++ = ',';
      *w++ = '"';
      std::memcpy(w, key.data(), key.size());
      w += key.size();
      w[0] = '"';
      w[1] = ':';
      return size;
    });
    return out_;
  }

 private:
  std::string& out_;
  bool first_ = true;
};

template <class J>
void append_json(std::string& out, const J& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = j.cbegin(); it != j.cend(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, it.key());
        out.push_back(':');
        append_json(out, it.value());
      }
      out.push_back('}');
      return;
    }
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& x : j) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, x);
      }
      out.push_back(']');
      return;
    }
    case nlohmann::json::value_t::string:
      append_json_string(out, j.template get_ref<const typename J::string_t&>());
      return;
    case nlohmann::json::value_t::boolean:
      out += j.template get<bool>() ? "true" : "false";
      return;
    case nlohmann::json::value_t::number_integer:
      append_json_integer(out, j.template get<std::int64_t>());
      return;
    case nlohmann::json::value_t::number_unsigned:
      out += std::to_string(j.template get<std::uint64_t>());
      return;
    case nlohmann::json::value_t::number_float:
      append_json_double(out, j.template get<double>());
      return;
    case nlohmann::json::value_t::null:
      out += "null";
      return;
    default:  // binary and discarded values: never in an answer; dump() knows them
      out += j.dump(-1, ' ', false, J::error_handler_t::replace);
      return;
  }
}

template <class J>
std::string json_text(const J& j) {
  std::string out;
  out.reserve(256);
  append_json(out, j);
  return out;
}

}  // namespace linli
