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
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace linli {

// Appends s as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);
// Appends a finite or non-finite double as dump() would (non-finite: null).
void append_json_double(std::string& out, double d);

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
      out += std::to_string(j.template get<std::int64_t>());
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
