// A case as lists show it. Lists and the queue write their summaries as text
// (cases::append_case_summaries); the detail page and the duplicate check
// build the same summary as an object (case_summary_json). Both must say the
// same thing about every case, byte for byte.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "cases/model.hpp"
#include "cases/service.hpp"
#include "core/json_text.hpp"

namespace linli::cases {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kDay = 86400000;
constexpr std::int64_t kNow = 1'795'000'000'000;  // late 2026

std::string objects_text(const std::vector<Case>& list, std::int64_t now) {
  Json a = Json::array();
  for (const auto& c : list) a.push_back(case_summary_json(c, now));
  return a.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string text_of(const std::vector<Case>& list, std::int64_t now) {
  std::string out;
  append_case_summaries(out, list, now);
  return out;
}

// Every state, level, type, urgency and channel; deadlines absent, far, in
// their last fifth and past; titles and addresses with quotes, backslashes,
// control characters, CJK and emoji; ids up to the largest.
std::vector<Case> varied_cases() {
  const std::vector<std::string> states = {"submitted",   "accepted", "rejected",  "assigned",
                                           "in_progress", "resolved", "follow_up", "closed",
                                           "suspended",   "merged",   "unknown"};
  const std::vector<std::string> texts = {"",
                                          "楼道堆物",
                                          "路灯不亮 \"三号楼\"",
                                          "back\\slash",
                                          "tab\tnew\nline\x01",
                                          "居民 👍 点赞",
                                          "𠀀 生僻字",
                                          std::string(300, 'x') + "长"};
  std::mt19937 rng(7);
  auto pick = [&](const auto& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
  };
  std::vector<Case> out;
  for (const auto& state : states)
    for (int due = 0; due < 4; ++due) {
      Case c;
      c.id = static_cast<std::int64_t>(out.size()) + 1;
      c.code = "JB2026" + std::to_string(100000 + c.id);
      c.title = pick(texts);
      c.address = pick(texts);
      c.category_name = pick(texts);
      c.category_id = c.id * 7;
      c.case_type = pick(kTypes);
      c.urgency = pick(kUrgencies);
      c.channel = pick(kChannels);
      c.level = pick(kLevels);
      c.state = state;
      c.node_id = c.id * 13;
      c.created_at = kNow - 10 * kDay;
      // 0: none; 1: far off; 2: in its last fifth; 3: past.
      if (due == 1) c.resolve_due = kNow + 30 * kDay;
      if (due == 2) c.resolve_due = kNow + kDay;
      if (due == 3) c.resolve_due = kNow - kDay;
      c.whistled = c.id % 3 == 0;
      out.push_back(c);
    }
  out.back().id = std::numeric_limits<std::int64_t>::max();
  out.front().created_at = 0;
  return out;
}

TEST(CaseSummary, TextAndObjectSayTheSameOfEveryCase) {
  auto list = varied_cases();
  EXPECT_EQ(text_of(list, kNow), objects_text(list, kNow));
  EXPECT_EQ(text_of({}, kNow), "[]");
}

TEST(CaseSummary, DeadlineFlagsFollowTheClock) {
  Case c;
  c.state = "in_progress";
  c.created_at = kNow - 10 * kDay;
  c.resolve_due = kNow + 10 * kDay;
  auto read = [&](std::int64_t now) { return Json::parse(text_of({c}, now))[0]; };
  EXPECT_FALSE(read(kNow)["near_due"]);  // half its time left
  EXPECT_TRUE(read(kNow + 7 * kDay)["near_due"]);
  EXPECT_FALSE(read(kNow + 7 * kDay)["overdue"]);
  EXPECT_TRUE(read(kNow + 11 * kDay)["overdue"]);
  EXPECT_FALSE(read(kNow + 11 * kDay)["near_due"]);
  c.state = "suspended";  // waits on purpose: neither
  EXPECT_FALSE(read(kNow + 11 * kDay)["overdue"]);
  c.state = "closed";
  EXPECT_FALSE(read(kNow + 11 * kDay)["overdue"]);
  EXPECT_EQ(read(kNow)["resolve_due"], "2026-11-28T11:06:40Z");
}

// A queue page written as its rows were read: "[" and objects separated by
// commas, each row saying where its object lies.
struct ReadPage {
  std::string text = "[";
  std::vector<PageRow> rows;
  void add(std::int64_t due, std::int64_t id) {
    if (!rows.empty()) text.push_back(',');
    PageRow r{due, id, text.size(), 0};
    text += "{\"id\":" + std::to_string(id) + "}";
    r.end = text.size();
    rows.push_back(r);
  }
  std::vector<std::int64_t> ids(const QueuePage& p) const {
    std::vector<std::int64_t> out;
    for (const auto& o : Json::parse(p.items)) out.push_back(o["id"]);
    return out;
  }
};

TEST(QueuePageText, RowsReadInOrderAreCutAtTheLimit) {
  ReadPage read;
  read.add(100, 4);
  read.add(100, 9);  // the same deadline: the id breaks the tie
  read.add(105, 2);
  auto full = page_in_order(read.text, read.rows, 3);
  EXPECT_EQ(read.ids(full), (std::vector<std::int64_t>{4, 9, 2}));
  EXPECT_FALSE(full.next);
  auto cut = page_in_order(read.text, read.rows, 2);
  EXPECT_EQ(cut.items, R"([{"id":4},{"id":9}])");
  ASSERT_TRUE(cut.next);
  EXPECT_EQ(cut.next->due, 100);
  EXPECT_EQ(cut.next->id, 9);
  auto one = page_in_order(read.text, read.rows, 1);
  EXPECT_EQ(one.items, R"([{"id":4}])");
  EXPECT_EQ(one.next->id, 4);
  EXPECT_EQ(page_in_order("[", {}, 50).items, "[]");
  EXPECT_FALSE(page_in_order("[", {}, 50).next);
}

TEST(QueuePageText, RowsReadOutOfOrderArePutInOrder) {
  ReadPage read;
  read.add(300, 1);
  read.add(100, 7);
  read.add(100, 3);
  read.add(200, 5);
  auto page = page_in_order(read.text, read.rows, 3);
  EXPECT_EQ(read.ids(page), (std::vector<std::int64_t>{3, 7, 5}));
  ASSERT_TRUE(page.next);
  EXPECT_EQ(page.next->due, 200);
  EXPECT_EQ(page.next->id, 5);
  EXPECT_EQ(read.ids(page_in_order(read.text, read.rows, 50)),
            (std::vector<std::int64_t>{3, 7, 5, 1}));
}

}  // namespace
}  // namespace linli::cases
