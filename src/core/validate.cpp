#include "core/validate.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <vector>

namespace linli::validate {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::chrono::year_month_day make_date(int y, int m, int d) {
  return {std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
          std::chrono::day{static_cast<unsigned>(d)}};
}

// Local calendar date: residents think of "today" in China time, and a baby
// registered just after local midnight must not look born in the future.
std::chrono::year_month_day today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  return make_date(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// Province-level prefixes of GB/T 2260 (71 Taiwan, 81/82 Hong Kong/Macau
// residence permits).
bool valid_province(int p) {
  return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
         (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
         p == 81 || p == 82;
}

// ISO 7064 MOD 11-2 over the first 17 digits.
char id_check_digit(std::string_view first17) {
  static constexpr std::array<int, 17> weights{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr std::string_view map = "10X98765432";
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * weights[i];
  return map[static_cast<std::size_t>(sum % 11)];
}

// Code points of s as byte slices; nullopt on invalid UTF-8.
std::optional<std::vector<std::string_view>> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    std::size_t n = utf8_next(s, i, cp);
    if (n == 0) return std::nullopt;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// Keeps `head` leading and `tail` trailing characters and stars the rest;
// strings too short to keep anything private are starred completely.
std::string mask_middle(std::string_view s, std::size_t head, std::size_t tail) {
  auto cps = code_points(s);
  if (!cps) return std::string(s.size(), '*');
  std::size_t n = cps->size();
  if (n <= head + tail) return std::string(n, '*');
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i < head || i >= n - tail) {
      out += (*cps)[i];
    } else {
      out += '*';
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> mobile(std::string_view phone) {
  bool ok = phone.size() == 11 && all_digits(phone) && phone[0] == '1' && phone[1] >= '3';
  if (ok) return std::nullopt;
  return "手机号应为11位数字，以13–19开头";
}

std::optional<std::string> id_number(std::string_view id) {
  if (id.size() != 18) return "身份证号应为18位";
  char last = id[17];
  if (!all_digits(id.substr(0, 17)) || !(is_digit(last) || last == 'X' || last == 'x')) {
    return "身份证号应为18位，前17位为数字，末位为数字或X";
  }
  if (!valid_province(digits_value(id.substr(0, 2)))) return "身份证号地区码无效";
  auto birth = make_date(digits_value(id.substr(6, 4)), digits_value(id.substr(10, 2)),
                         digits_value(id.substr(12, 2)));
  if (!birth.ok() || birth < make_date(1900, 1, 1) || birth > today()) {
    return "身份证号中的出生日期无效";
  }
  char want = id_check_digit(id);
  if ((last == 'x' ? 'X' : last) != want) return "身份证号校验位不正确";
  return std::nullopt;
}

// Spreadsheets and phone keyboards add stray spaces and a lower-case x; the
// stored form is trimmed and upper-case so blind indexes match.
std::string normalize_id_number(std::string_view id) {
  constexpr std::string_view space = " \t\r\n";
  auto b = id.find_first_not_of(space);
  if (b == std::string_view::npos) return {};
  auto e = id.find_last_not_of(space);
  std::string out(id.substr(b, e - b + 1));
  for (char& c : out) {
    if (c == 'x') c = 'X';
  }
  return out;
}

std::string birth_date_from_id(std::string_view id) {
  if (id.size() < 14 || !all_digits(id.substr(6, 8))) return {};
  std::string out;
  out.reserve(10);
  out.append(id.substr(6, 4))
      .append("-")
      .append(id.substr(10, 2))
      .append("-")
      .append(id.substr(12, 2));
  return out;
}

char gender_from_id(std::string_view id) {
  if (id.size() < 17 || !is_digit(id[16])) return '?';
  return ((id[16] - '0') % 2 == 1) ? 'M' : 'F';
}

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto y = s.substr(0, 4), m = s.substr(5, 2), d = s.substr(8, 2);
  if (!all_digits(y) || !all_digits(m) || !all_digits(d)) return false;
  int year = digits_value(y);
  return year >= 1 && make_date(year, digits_value(m), digits_value(d)).ok();
}

bool is_month(std::string_view s) { return s.size() == 7 && is_date(std::string(s) + "-01"); }

std::string mask_phone(std::string_view phone) { return mask_middle(phone, 3, 4); }

std::string mask_id_number(std::string_view id) { return mask_middle(id, 6, 4); }

std::string mask_name(std::string_view name) {
  auto cps = code_points(name);
  if (!cps) return std::string(name.size(), '*');
  if (cps->empty()) return {};
  std::string out((*cps)[0]);
  out.append(cps->size() - 1, '*');
  return out;
}

std::size_t utf8_next(std::string_view s, std::size_t pos, char32_t& cp) {
  if (pos >= s.size()) return 0;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(pos);
  std::size_t len;
  char32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;  // continuation byte, C0/C1 (always overlong) or F5+ lead
  }
  if (s.size() - pos < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    char32_t cp;
    std::size_t n = utf8_next(s, i, cp);
    if (n == 0) return std::nullopt;
    i += n;
  }
  return count;
}

bool valid_utf8(std::string_view s) { return utf8_length(s).has_value(); }

}  // namespace linli::validate
