// Validation and masking of personal data as Chinese forms expect it.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace linli::validate {

// Mainland mobile: 11 digits, 1[3-9]xxxxxxxxx. Returns a Chinese message
// saying what is wrong, or nullopt when valid.
std::optional<std::string> mobile(std::string_view phone);
// 18-character resident ID: 17 digits + check digit (0-9 or X, ISO 7064
// MOD 11-2), a real birth date, a plausible region prefix. Lower-case x is
// accepted and normalised by normalize_id_number.
std::optional<std::string> id_number(std::string_view id);
std::string normalize_id_number(std::string_view id);
// Birth date "YYYY-MM-DD" read from a valid ID number.
std::string birth_date_from_id(std::string_view id);
// 'M' or 'F' from the 17th digit of a valid ID number.
char gender_from_id(std::string_view id);
// Strict calendar date "YYYY-MM-DD".
bool is_date(std::string_view s);
// Strict calendar month "YYYY-MM".
bool is_month(std::string_view s);

// 138****5678
std::string mask_phone(std::string_view phone);
// 110105********123X (first 6 and last 4 kept)
std::string mask_id_number(std::string_view id);
// 张** / 李* : first character kept, one '*' per further character, for
// names shown to the public
std::string mask_name(std::string_view name);

// Number of Unicode code points; invalid UTF-8 returns nullopt.
std::optional<std::size_t> utf8_length(std::string_view s);
bool valid_utf8(std::string_view s);
// Strict decoding of the code point starting at s[pos]: returns its length in
// bytes (1-4) and sets cp, or returns 0 when the bytes there are not valid
// UTF-8 (overlong forms, surrogates, above U+10FFFF, truncated sequences).
std::size_t utf8_next(std::string_view s, std::size_t pos, char32_t& cp);
// Appends the UTF-8 encoding of cp (assumed a valid scalar value).
void utf8_append(std::string& out, char32_t cp);

}  // namespace linli::validate
