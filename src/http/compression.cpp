#include "http/compression.hpp"

#include <optional>

#include "core/deflate.hpp"
#include "http/message.hpp"

namespace linli::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A qvalue is "0" or "1" with up to three decimals (RFC 9110 §12.4.2); only
// a zero means "not acceptable". Anything we cannot read counts as accepted,
// as a missing q does.
bool zero_q(std::string_view q) {
  if (q.empty() || q.front() != '0') return false;
  q.remove_prefix(1);
  if (q.empty()) return true;
  if (q.front() != '.') return false;
  return q.find_first_not_of('0', 1) == std::string_view::npos;
}

// One element of the list: "gzip", "gzip;q=0.5", "*;q=0".
struct Element {
  std::string_view coding;
  bool acceptable = true;  // its weight is not zero
};

Element read_element(std::string_view element) {
  auto semi = element.find(';');
  Element e{trim(element.substr(0, semi))};
  while (semi != std::string_view::npos) {
    auto rest = element.substr(semi + 1);
    semi = rest.find(';');
    auto param = trim(rest.substr(0, semi));
    auto eq = param.find('=');
    if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "q"))
      e.acceptable = !zero_q(trim(param.substr(eq + 1)));
  }
  return e;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  // An explicit gzip entry decides; "*" speaks only for codings not named.
  std::optional<bool> named, any;
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    auto e = read_element(accept_encoding.substr(0, comma));
    if (iequals(e.coding, "gzip") || iequals(e.coding, "x-gzip"))
      named = e.acceptable;
    else if (e.coding == "*")
      any = e.acceptable;
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return named.value_or(any.value_or(false));
}

std::string gzip(std::string_view body, int level) {
  return deflate_whole(body, level, 15 + 16);  // 15 + 16: a gzip header and trailer
}

}  // namespace linli::http
