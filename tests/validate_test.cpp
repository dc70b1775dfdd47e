#include "core/validate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace linli;

// Independent check-digit computation, so tests can build valid numbers.
std::string with_check_digit(const std::string& first17) {
  const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[static_cast<std::size_t>(i)] - '0') * w[i];
  return first17 + "10X98765432"[sum % 11];
}

TEST(ValidateTest, MobileAcceptsMainlandNumbers) {
  for (const char* ok : {"13800138000", "19912345678", "15000000000"}) {
    EXPECT_EQ(validate::mobile(ok), std::nullopt) << ok;
  }
}

TEST(ValidateTest, MobileRefusesOthers) {
  for (const char* bad : {"", "1380013800", "138001380000", "12800138000", "23800138000",
                          "1380013800a", "+8613800138", "138 0013 800", "１３８００１３８０００"}) {
    auto m = validate::mobile(bad);
    ASSERT_TRUE(m) << bad;
    EXPECT_EQ(*m, "手机号应为11位数字，以13–19开头");
  }
}

TEST(ValidateTest, WellKnownSampleIdIsValid) {
  EXPECT_EQ(with_check_digit("11010519491231002"), "11010519491231002X");
  EXPECT_EQ(validate::id_number("11010519491231002X"), std::nullopt);
  EXPECT_EQ(validate::id_number("11010519491231002x"), std::nullopt);
}

TEST(ValidateTest, GeneratedIdsAreValid) {
  for (const char* body :
       {"44030420000229123", "65010219000101001", "82000020101010555", "31011519881111000"}) {
    auto id = with_check_digit(body);
    EXPECT_EQ(validate::id_number(id), std::nullopt) << id;
  }
}

TEST(ValidateTest, IdWrongLengthOrCharacters) {
  EXPECT_EQ(validate::id_number("1101051949123100"), "身份证号应为18位");
  EXPECT_EQ(validate::id_number("11010519491231002X1"), "身份证号应为18位");
  EXPECT_EQ(validate::id_number(""), "身份证号应为18位");
  auto m = validate::id_number("1101051949123100AX");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->starts_with("身份证号应为18位"));
  EXPECT_TRUE(validate::id_number("11010519491231002Y"));
}

TEST(ValidateTest, IdWrongCheckDigit) {
  EXPECT_EQ(validate::id_number("110105194912310021"), "身份证号校验位不正确");
  EXPECT_EQ(validate::id_number("110105194912310020"), "身份证号校验位不正确");
}

TEST(ValidateTest, IdImpossibleBirthDates) {
  // Check digits are correct, so only the date can be at fault.
  for (const char* body : {"11010519490230002", "11010520010229002", "11010518991231002",
                           "11010519491332002", "11010519491200002", "11010529990101002"}) {
    EXPECT_EQ(validate::id_number(with_check_digit(body)), "身份证号中的出生日期无效") << body;
  }
  EXPECT_EQ(validate::id_number(with_check_digit("11010520000229002")), std::nullopt);  // leap
}

TEST(ValidateTest, IdBadProvince) {
  for (const char* body :
       {"00010519491231002", "16010519491231002", "99010519491231002", "72010519491231002"}) {
    EXPECT_EQ(validate::id_number(with_check_digit(body)), "身份证号地区码无效") << body;
  }
}

TEST(ValidateTest, IdDerivedFields) {
  EXPECT_EQ(validate::normalize_id_number(" 11010519491231002x\t"), "11010519491231002X");
  EXPECT_EQ(validate::birth_date_from_id("11010519491231002X"), "1949-12-31");
  EXPECT_EQ(validate::gender_from_id("11010519491231002X"), 'F');  // 17th digit 2
  EXPECT_EQ(validate::gender_from_id(with_check_digit("11010519491231001")), 'M');
}

TEST(ValidateTest, StrictDates) {
  EXPECT_TRUE(validate::is_date("2024-02-29"));
  EXPECT_TRUE(validate::is_date("1999-12-31"));
  EXPECT_FALSE(validate::is_date("2023-02-29"));
  EXPECT_FALSE(validate::is_date("1900-02-29"));
  EXPECT_FALSE(validate::is_date("2024-04-31"));
  EXPECT_FALSE(validate::is_date("2024-13-01"));
  EXPECT_FALSE(validate::is_date("2024-1-01"));
  EXPECT_FALSE(validate::is_date("2024/01/01"));
  EXPECT_FALSE(validate::is_date("2024-01-01 "));
  EXPECT_FALSE(validate::is_date(""));
}

TEST(ValidateTest, StrictMonths) {
  EXPECT_TRUE(validate::is_month("2026-11"));
  EXPECT_TRUE(validate::is_month("2026-01"));
  EXPECT_FALSE(validate::is_month("2026-13"));
  EXPECT_FALSE(validate::is_month("2026-00"));
  EXPECT_FALSE(validate::is_month("2026-1"));
  EXPECT_FALSE(validate::is_month("2026-11-01"));
  EXPECT_FALSE(validate::is_month("abcd-ef"));
  EXPECT_FALSE(validate::is_month(""));
}

TEST(ValidateTest, Masks) {
  EXPECT_EQ(validate::mask_phone("13812345678"), "138****5678");
  EXPECT_EQ(validate::mask_id_number("11010519491231002X"), "110105********002X");
  EXPECT_EQ(validate::mask_phone("123"), "***");  // too short to keep anything
  EXPECT_EQ(validate::mask_phone(""), "");
}

TEST(ValidateTest, MaskNameIsUtf8Aware) {
  EXPECT_EQ(validate::mask_name("张三丰"), "张**");
  EXPECT_EQ(validate::mask_name("李四"), "李*");
  EXPECT_EQ(validate::mask_name("买买提·艾力"), "买*****");
  EXPECT_EQ(validate::mask_name("𠮷野家"), "𠮷**");  // four-byte first character
  EXPECT_EQ(validate::mask_name("Ann"), "A**");
  EXPECT_EQ(validate::mask_name(""), "");
  EXPECT_EQ(validate::mask_name("\xE5\xBC"), "**");  // invalid: nothing shown
}

TEST(ValidateTest, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(validate::utf8_length(""), 0u);
  EXPECT_EQ(validate::utf8_length("abc"), 3u);
  EXPECT_EQ(validate::utf8_length("张三"), 2u);
  EXPECT_EQ(validate::utf8_length("a\xF0\x9F\x98\x80"), 2u);  // U+1F600
  EXPECT_EQ(validate::utf8_length("\xF4\x8F\xBF\xBF"), 1u);   // U+10FFFF
  EXPECT_TRUE(validate::valid_utf8("\xEF\xBF\xBD"));
}

TEST(ValidateTest, Utf8RefusesInvalidSequences) {
  for (std::string bad : {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80",
                          "\xF0\x80\x80\x80", "\xED\xA0\x80", "\xED\xBF\xBF", "\xF4\x90\x80\x80",
                          "\xF5\x80\x80\x80", "\xFF", "\xE5\xBC", "\xE5\x41\xA0", "abc\xC3"}) {
    EXPECT_FALSE(validate::valid_utf8(bad)) << testing::PrintToString(bad);
    EXPECT_EQ(validate::utf8_length(bad), std::nullopt);
  }
  EXPECT_FALSE(validate::valid_utf8(std::string("a\0\xFF", 3)));
  EXPECT_TRUE(validate::valid_utf8(std::string("a\0b", 3)));
}

TEST(ValidateTest, Utf8NextAndAppendRoundTrip) {
  for (char32_t cp : {U'\0', U'A', U'\u00E9', U'\u5F20', U'\U0001F600', U'\U0010FFFF'}) {
    std::string s;
    validate::utf8_append(s, cp);
    char32_t back = 0;
    EXPECT_EQ(validate::utf8_next(s, 0, back), s.size());
    EXPECT_EQ(back, cp);
  }
}

}  // namespace
