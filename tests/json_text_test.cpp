// The hand-written JSON writer against nlohmann's dump(): byte for byte on
// valid text, and still valid JSON with U+FFFD where the text is broken.
#include "core/json_text.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace linli {
namespace {

using Json = nlohmann::json;

std::string reference(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

TEST(JsonText, WritesWhatDumpWritesForEveryKindOfValue) {
  Json j = {{"名称", "楼道堆物 \"占道\"\\ 清理"},
            {"controls", std::string("a\x01\x08\t\n\x0c\r\x1f\x7f z")},
            {"empty_object", Json::object()},
            {"empty_array", Json::array()},
            {"ints",
             {0, -1, 42, std::numeric_limits<std::int64_t>::min(),
              std::numeric_limits<std::int64_t>::max()}},
            {"unsigned", std::numeric_limits<std::uint64_t>::max()},
            {"doubles",
             {0.0, -0.0, 1.0, 0.1, 30.274084, 120.155070, 1e16, 1e-5, 123456789.25, -2.5e-300,
              std::numeric_limits<double>::max()}},
            {"not_finite",
             {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}},
            {"flags", {true, false, nullptr}},
            {"emoji", "居民 👍 点赞"},
            {"nested", {{"a", {{"b", {1, {{"c", "d"}}}}}}}}};
  EXPECT_EQ(json_text(j), reference(j));
  EXPECT_EQ(json_text(Json("")), reference(Json("")));
  EXPECT_EQ(json_text(Json(nullptr)), "null");
}

TEST(JsonText, KeepsTheOrderOfAnOrderedObject) {
  nlohmann::ordered_json j = {{"z", 1}, {"a", "二"}, {"m", {3, 4}}};
  EXPECT_EQ(json_text(j), j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  EXPECT_EQ(json_text(j), R"({"z":1,"a":"二","m":[3,4]})");
}

TEST(JsonText, ObjectWriterWritesWhatAnObjectPrints) {
  Json j = {{"a", "引号\"和\\"}, {"b", -42},    {"c", true},
            {"d", nullptr},      {"e", {1, 2}}, {"f", std::numeric_limits<std::int64_t>::min()}};
  std::string out;
  {
    JsonObjectText o(out);
    o.str("a", "引号\"和\\").integer("b", -42).boolean("c", true).null("d").member("e") +=
        "[1,2]";  // a value the caller writes itself
    o.integer("f", std::numeric_limits<std::int64_t>::min());
  }
  EXPECT_EQ(out, reference(j));
  out.clear();
  { JsonObjectText empty(out); }
  EXPECT_EQ(out, "{}");
}

// Members and strings are written by resizing the answer in place; as it
// grows past its capacity again and again, nothing may be lost or left over
// (GCC 12 hands the resize's callback the grown capacity, not the size).
TEST(JsonText, ObjectWriterKeepsEveryByteAsTheAnswerGrows) {
  Json j = Json::object();
  std::string out;
  {
    JsonObjectText o(out);
    for (int i = 0; i < 300; ++i) {
      auto key = fmt::format("k{:03}", i);  // zero-padded: the map's order is the writing order
      std::string value(static_cast<std::size_t>(i % 37), static_cast<char>('a' + i % 26));
      if (i % 5 == 0) value += "网格";
      j[key] = value;
      o.str(key, value);
    }
  }
  EXPECT_EQ(out, reference(j));
}

// Random trees of strings drawn from ASCII, control characters, quotes,
// backslashes and multi-byte characters of every length.
Json random_value(std::mt19937& rng, int depth) {
  static const std::vector<std::string> pieces = {
      "a",    "Z",      " ", "\"", "\\", "/", "\n", "\t", std::string(1, '\0'), "\x1b", "\x7f", "é",
      "社区", "网格员", "€", "𠀀", "😀",  "0", "{",  "}"};
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  auto text = [&] {
    std::string s;
    for (int i = pick(12); i > 0; --i)
      s += pieces[static_cast<std::size_t>(pick(static_cast<int>(pieces.size())))];
    return s;
  };
  switch (depth > 3 ? pick(4) : pick(6)) {
    case 0:
      return text();
    case 1:
      return std::uniform_int_distribution<std::int64_t>(-1'000'000'000'000,
                                                         1'000'000'000'000)(rng);
    case 2:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    case 3:
      return pick(3) == 0 ? Json(nullptr) : Json(pick(2) == 0);
    case 4: {
      Json a = Json::array();
      for (int i = pick(5); i > 0; --i) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = pick(5); i > 0; --i) o[text()] = random_value(rng, depth + 1);
      return o;
    }
  }
}

TEST(JsonText, AgreesWithDumpOnRandomDocuments) {
  std::mt19937 rng(20261126);
  for (int i = 0; i < 3000; ++i) {
    Json j = random_value(rng, 0);
    ASSERT_EQ(json_text(j), reference(j)) << "document " << i;
  }
}

// Plain ASCII is skipped eight bytes at a time: a byte that needs care must
// be found at every offset within and across those words.
TEST(JsonText, FindsEveryByteThatNeedsCareWhereverItFalls) {
  const std::vector<std::string> special = {"\"", "\\", "\x01", "\x1f", "\n",
                                            "é",  "社", "😀",    "\xFF", "\xE7\xA4"};
  for (const auto& sp : special)
    for (std::size_t at = 0; at <= 24; ++at) {
      std::string s = std::string(at, 'a') + sp + std::string(24 - at, 'b');
      ASSERT_EQ(json_text(Json(s)), reference(Json(s))) << "at " << at;
    }
}

// Chinese text is checked two characters per load: a break, an escape or a
// character whose lead restricts its second byte (E0, ED) must be found
// wherever it falls in a run, and a byte overwritten inside a character too.
TEST(JsonText, FindsEveryBreakInsideARunOfChineseText) {
  const std::string run = "社区网格楼栋街道居民诉求办理";
  const std::vector<std::string> inserts = {
      "\x80",         "\xE7\xA4",     "\xED\xA0\x80", "\xE0\x80\x80",    "\"", "\n", "a",
      "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEF\xBF\xBF", "\xF0\x9F\x98\x80"};
  for (std::size_t at = 0; at <= run.size(); ++at) {
    for (const auto& in : inserts) {
      std::string s = run.substr(0, at) + in + run.substr(at);
      ASSERT_EQ(json_text(Json(s)), reference(Json(s))) << "insert at " << at;
    }
    if (at == run.size()) break;
    for (char b : {'A', '\x80', '\xC0', '\xE0', '\xED', '\xFF'}) {
      std::string s = run;
      s[at] = b;
      ASSERT_EQ(json_text(Json(s)), reference(Json(s))) << "byte " << at;
    }
  }
}

TEST(JsonText, BrokenUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  // A lone continuation byte, a truncated three-byte sequence before ASCII,
  // a truncated sequence at the end, an overlong slash, a stray 0xFF.
  EXPECT_EQ(json_text(Json(std::string("a\x80"
                                       "b"))),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(json_text(Json(std::string("\xE7\xA4"
                                       "x"))),
            "\"" + fffd + "x\"");
  EXPECT_EQ(json_text(Json(std::string("x\xE7\xA4"))), "\"x" + fffd + "\"");
  EXPECT_EQ(json_text(Json(std::string("\xFF"))), "\"" + fffd + "\"");
  // And wherever the break falls, the same text as dump().
  for (std::string bad : {std::string("a\x80"
                                      "b"),
                          std::string("\xE7\xA4"
                                      "x"),
                          std::string("x\xE7\xA4"), std::string("\xF0\x9F\x98")})
    EXPECT_EQ(json_text(Json(bad)), reference(Json(bad)));
  for (std::string bad : {std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
                          std::string("ok\xF4\x90\x80\x80ok")}) {
    auto text = json_text(Json(bad));
    EXPECT_NE(Json::parse(text).get<std::string>().find(fffd), std::string::npos) << text;
    EXPECT_EQ(text, reference(Json(bad)));  // one U+FFFD where dump() writes one
  }
}

}  // namespace
}  // namespace linli
