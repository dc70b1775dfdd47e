#include "auth/password_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "core/validate.hpp"

namespace linli::auth {
namespace {

// The passwords tried first in China and elsewhere (from published leak
// rankings), lower case. Most are shorter than the minimum length and are
// refused for that already; the list catches the long ones and documents
// intent. Compared case-insensitively.
constexpr std::array kCommon = {
    "123456",        "123456789",     "12345678",      "1234567890",    "12345",
    "1234567",       "111111",        "000000",        "666666",        "888888",
    "123123",        "654321",        "123321",        "112233",        "121212",
    "520520",        "5201314",       "1314520",       "woaini",        "woaini1314",
    "woaini520",     "woaini521",     "iloveyou",      "iloveyou1314",  "qq123456",
    "qq5201314",     "qq1234567",     "a123456",       "a1234567",      "a12345678",
    "a123456789",    "aa123456",      "aa12345678",    "abc123",        "abc123456",
    "abc12345678",   "abc1234567890", "123456a",       "123456aa",      "123456abc",
    "1234qwer",      "qwer1234",      "qwerty",        "qwerty123",     "qwertyuiop",
    "qwertyuiop123", "1qaz2wsx",      "1qaz2wsx3edc",  "1q2w3e4r",      "1q2w3e4r5t",
    "1q2w3e4r5t6y",  "zxcvbnm",       "zxcvbnm123",    "asdfghjkl",     "asdf1234",
    "password",      "password1",     "password123",   "password1234",  "passw0rd",
    "p@ssw0rd",      "p@ssword",      "p@ssw0rd123",   "passw0rd123",   "admin",
    "admin123",      "admin1234",     "admin12345",    "admin123456",   "admin@123",
    "admin@1234",    "admin@12345",   "root123456",    "administrator", "letmein",
    "welcome",       "welcome123",    "welcome1234",   "sunshine",      "monkey",
    "dragon",        "football",      "baseball",      "superman",      "batman",
    "trustno1",      "princess",      "master",        "master123",     "hello123",
    "hello12345",    "helloworld",    "helloworld123", "iloveyou123",   "1234567890a",
    "a1b2c3d4",      "a1b2c3d4e5",    "aa123123",      "aaa111",        "aaa123456",
    "abcd1234",      "abcd12345",     "abcd123456",    "zhang123456",   "wang123456",
    "li123456789",   "liu123456",     "chen123456",    "yang123456",    "huang123456",
    "zhao123456",    "wangwei123",    "zhangwei123",   "woaini123",     "woaini123456",
    "wo123456",      "nihao123",      "nihao123456",   "qaz123456",     "qazwsx",
    "qazwsx123",     "qazwsxedc",     "qazwsxedc123",  "test123456",    "test1234",
    "guest123",      "user123456",    "china123",      "china123456",   "zhongguo",
    "zhongguo123",   "beijing123",    "shanghai123",   "000000a",       "111111a",
    "147258369",     "159357",        "147258",        "258369",        "987654321",
    "9876543210",    "0123456789",    "11111111",      "88888888",      "66666666",
    "12341234",      "11223344",      "123456qq",      "1234abcd",      "12345abcde",
    "123456789a",    "123456789abc",  "a123123123",    "z123456789",    "q123456789",
    "aa123456789",   "abc@123456",    "abcd@1234",     "qwer@1234",     "admin@123456",
    "password@123",  "p@ssword123",   "welcome@123",   "changeme123",   "changeme",
    "linli123456",   "linli@123",
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool is_common_password(const std::string& password) {
  auto l = lower(password);
  return std::find(kCommon.begin(), kCommon.end(), std::string_view(l)) != kCommon.end();
}

std::optional<std::string> password_policy_problem(const std::string& password,
                                                   const std::string& username,
                                                   std::size_t min_chars) {
  auto n = validate::utf8_length(password);
  if (!n) return "密码包含无效字符";
  if (is_common_password(password)) return "这是常见的弱密码，很容易被猜到，请换一个";
  if (*n < min_chars) return fmt::format("密码至少需要{}位", min_chars);
  if (*n > 128) return "密码不能超过128位";
  bool lower_c = false, upper_c = false, digit = false, other = false;
  for (unsigned char c : password) {
    if (std::islower(c))
      lower_c = true;
    else if (std::isupper(c))
      upper_c = true;
    else if (std::isdigit(c))
      digit = true;
    else
      other = true;  // punctuation, spaces and any non-ASCII character (汉字)
  }
  if (int(lower_c) + int(upper_c) + int(digit) + int(other) < 2)
    return "密码需至少包含以下两类字符：小写字母、大写字母、数字、符号";
  if (username.size() >= 3 && lower(password).find(lower(username)) != std::string::npos)
    return "密码不能包含用户名";
  return std::nullopt;
}

}  // namespace linli::auth
