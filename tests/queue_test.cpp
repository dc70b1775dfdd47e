// The staff queue over real HTTP on every store: pages of "limit" in deadline
// order with a cursor, together the same cases as one big page, and bad paging
// parameters refused.
#include <gtest/gtest.h>

#include <set>

#include "api_env.hpp"
#include "auth/principal.hpp"

using linli::test::ApiEnv;
using nlohmann::json;

namespace {

class QueueApiTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  // A case in the grid worker's grid, registered by the grid worker.
  void report(const std::string& urgency, const std::string& token) {
    auto root = env().path_of(env().accounts["grid_worker"].node);
    auto hh = env()
                  .db
                  ->one(
                      "SELECT min(id) AS id FROM households WHERE node_path >= $1 AND "
                      "node_path < $2",
                      {root, linli::auth::subtree_end(root)})
                  ->i64("id");
    auto cat =
        env().db->one("SELECT id FROM case_categories WHERE code = 'env.garbage'")->i64("id");
    json body = {{"title", "垃圾桶满溢"}, {"description", "小区门口垃圾桶满溢，无人清运"},
                 {"category_id", cat},    {"household_id", hh},
                 {"urgency", urgency},    {"channel", "patrol"}};
    auto r = http().post("/api/v1/cases", body, token);
    ASSERT_EQ(r.status, 201) << r.body;
  }
};

TEST_P(QueueApiTest, PagesFollowTheDeadlineOrderWithACursor) {
  auto g = env().token("grid_worker");
  // Different urgencies give different deadlines; same urgency ties on the id.
  for (const char* u : {"normal", "urgent", "normal", "urgent", "normal"}) report(u, g);

  auto all = http().get("/api/v1/cases/queue?limit=200", g);
  ASSERT_EQ(all.status, 200) << all.body;
  auto whole = all.json()["items"];
  ASSERT_GE(whole.size(), 5u);
  ASSERT_LE(whole.size(), 200u);
  // Soonest deadline first, no deadline last.
  for (std::size_t i = 1; i < whole.size(); ++i) {
    const auto& a = whole[i - 1];
    const auto& b = whole[i];
    if (a["resolve_due"].is_null()) {
      EXPECT_TRUE(b["resolve_due"].is_null());
    } else if (!b["resolve_due"].is_null()) {
      // ISO seconds: equal seconds may still differ in milliseconds.
      EXPECT_LE(a["resolve_due"].get<std::string>(), b["resolve_due"].get<std::string>());
    }
  }

  // The default page is 50 at most and says where to go on.
  auto first = http().get("/api/v1/cases/queue", g).json();
  EXPECT_LE(first["items"].size(), 50u);
  EXPECT_EQ(first["next_cursor"].is_null(), whole.size() <= 50);

  // Pages of two, cursor to cursor, give the same cases in the same order.
  std::vector<std::int64_t> paged;
  std::string cursor;
  for (int pages = 0; pages < 200; ++pages) {
    auto r =
        http().get("/api/v1/cases/queue?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), g);
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = r.json();
    auto items = page["items"];
    EXPECT_LE(items.size(), 2u);
    for (const auto& c : items) paged.push_back(c["id"].get<std::int64_t>());
    if (page["next_cursor"].is_null()) break;
    EXPECT_EQ(items.size(), 2u);
    cursor = page["next_cursor"].get<std::string>();
  }
  std::vector<std::int64_t> expected;
  for (const auto& c : whole) expected.push_back(c["id"].get<std::int64_t>());
  EXPECT_EQ(paged, expected);
  EXPECT_EQ(std::set<std::int64_t>(paged.begin(), paged.end()).size(), paged.size());
}

// The ids of every page of the caller's queue, cursor to cursor.
std::set<std::int64_t> whole_queue(const linli::test::HttpClient& http, const std::string& token) {
  std::set<std::int64_t> ids;
  std::string cursor;
  for (int pages = 0; pages < 1000; ++pages) {
    auto r = http.get("/api/v1/cases/queue?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor),
                      token);
    EXPECT_EQ(r.status, 200) << r.body;
    auto page = r.json();
    for (const auto& c : page["items"]) ids.insert(c["id"].get<std::int64_t>());
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"].get<std::string>();
  }
  return ids;
}

std::set<std::int64_t> ids_of(const linli::store::Rows& rows) {
  std::set<std::int64_t> ids;
  for (const auto& r : rows) ids.insert(r.i64("id"));
  return ids;
}

// The queue holds exactly the open cases the caller works, counted here
// straight from the cases table: a grid worker dispatches in their grid
// (submitted, accepted, resolved, follow_up) and handles grid-level work
// (assigned, in_progress) there.
TEST_P(QueueApiTest, HoldsExactlyTheCasesTheCallerWorks) {
  auto g = env().token("grid_worker");
  for (const char* u : {"normal", "urgent"}) report(u, g);
  auto root = env().path_of(env().accounts["grid_worker"].node);
  auto grid = env().db->query(
      "SELECT id FROM cases WHERE node_path >= $1 AND node_path < $2 AND (state IN "
      "('submitted', 'accepted', 'resolved', 'follow_up') OR (state IN ('assigned', "
      "'in_progress') AND level = 'grid'))",
      {root, linli::auth::subtree_end(root)});
  ASSERT_TRUE(grid);
  ASSERT_FALSE(grid->empty());
  EXPECT_EQ(whole_queue(http(), g), ids_of(*grid));

  // A first secretary handles community-level work and dispatches nothing.
  auto fs = env().path_of(env().accounts["first_secretary"].node);
  auto community = env().db->query(
      "SELECT id FROM cases WHERE node_path >= $1 AND node_path < $2 AND state IN ('assigned', "
      "'in_progress') AND level = 'community'",
      {fs, linli::auth::subtree_end(fs)});
  ASSERT_TRUE(community);
  EXPECT_EQ(whole_queue(http(), env().token("first_secretary")), ids_of(*community));
}

// A queue row and the list row say of a case what its detail page says: the
// lists write their rows as text, the detail builds an object.
TEST_P(QueueApiTest, RowsAgreeWithTheCaseDetail) {
  auto g = env().token("grid_worker");
  report("urgent", g);
  auto queue = http().get("/api/v1/cases/queue?limit=5", g);
  ASSERT_EQ(queue.status, 200) << queue.body;
  auto list = http().get("/api/v1/cases?limit=5", g);
  ASSERT_EQ(list.status, 200) << list.body;
  for (const auto& page : {queue.json(), list.json()}) {
    ASSERT_FALSE(page["items"].empty());
    for (const auto& row : page["items"]) {
      auto detail = http().get("/api/v1/cases/" + std::to_string(row["id"].get<std::int64_t>()), g);
      ASSERT_EQ(detail.status, 200) << detail.body;
      auto d = detail.json();
      EXPECT_EQ(row.size(), 22u) << row.dump();
      for (const auto& [key, value] : row.items()) EXPECT_EQ(d[key], value) << key;
    }
  }
}

// The whole city's queue (the admin: every level, and dispatching) walks each
// state in deadline order and stops at its page; page by page, cursor to
// cursor, it is the open cases of the city in deadline order, no deadline
// last, straight from the cases table.
TEST_P(QueueApiTest, TheWholeCityPagesThroughItsDeadlines) {
  auto g = env().token("grid_worker");
  for (const char* u : {"normal", "urgent"}) report(u, g);
  // Cases without a deadline (data kept from before deadlines were set): three
  // waiting, three in work, so that pages of two end among them and a cursor
  // points into their walk.
  ASSERT_TRUE(env().db->write([](linli::store::Tx& tx) -> linli::Status {
    for (const char* state : {"submitted", "in_progress"}) {
      auto r = tx.exec(
          "UPDATE cases SET resolve_due = NULL WHERE id IN (SELECT id FROM cases WHERE state = $1 "
          "ORDER BY id LIMIT 3)",
          {std::string(state)});
      if (!r) return linli::fail(r.error());
    }
    return {};
  }));
  auto want = env().db->query(
      "SELECT id, resolve_due IS NULL AS none FROM cases WHERE state IN ('submitted', "
      "'accepted', 'resolved', 'follow_up') OR (state IN ('assigned', 'in_progress') AND level "
      "IN ('building', 'grid', 'community', 'street')) ORDER BY COALESCE(resolve_due, "
      "9223372036854775807), id");
  ASSERT_TRUE(want);
  std::vector<std::int64_t> expected;
  std::size_t without_due = 0;
  for (const auto& r : *want) {
    expected.push_back(r.i64("id"));
    without_due += r.i64("none") != 0;
  }
  // Both walks are on the pages: with a deadline, and without one.
  ASSERT_GE(without_due, 3u);
  ASSERT_LT(without_due, expected.size());
  auto admin = env().token("admin");
  for (int limit : {2, 7, 200}) {
    std::vector<std::int64_t> paged;
    std::string cursor;
    for (int pages = 0; pages < 1000; ++pages) {
      auto r = http().get("/api/v1/cases/queue?limit=" + std::to_string(limit) +
                              (cursor.empty() ? "" : "&cursor=" + cursor),
                          admin);
      ASSERT_EQ(r.status, 200) << r.body;
      auto page = r.json();
      for (const auto& c : page["items"]) paged.push_back(c["id"].get<std::int64_t>());
      if (page["next_cursor"].is_null()) break;
      EXPECT_EQ(page["items"].size(), static_cast<std::size_t>(limit));
      cursor = page["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(paged, expected) << "pages of " << limit;
  }
}

TEST_P(QueueApiTest, BadPagingIsRefused) {
  auto g = env().token("grid_worker");
  for (const char* q : {"limit=0", "limit=201", "limit=x", "limit=5abc", "limit=+5", "cursor=12",
                        "cursor=a_b", "cursor=1_2x", "cursor=5_-1", "cursor=_5"}) {
    auto r = http().get(std::string("/api/v1/cases/queue?") + q, g);
    EXPECT_EQ(r.status, 400) << q << " " << r.body;
    EXPECT_EQ(r.header("content-type").rfind("application/problem+json", 0), 0u) << q;
  }
}

// The other lists share one page parser: a half-number is refused there too,
// and a good page still answers.
TEST_P(QueueApiTest, ListsRefuseHalfNumbersInPaging) {
  auto g = env().token("grid_worker");
  for (const char* q : {"limit=5abc", "limit=+5", "limit=-1", "cursor=12x", "cursor=-3"}) {
    auto r = http().get(std::string("/api/v1/cases?") + q, g);
    EXPECT_EQ(r.status, 400) << q << " " << r.body;
  }
  auto ok = http().get("/api/v1/cases?limit=1", g);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["items"].size(), 1u);
}

LINLI_STORE_TESTS(QueueApiTest);

}  // namespace
