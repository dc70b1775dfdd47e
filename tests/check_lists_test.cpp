// SQLite's CHECK constraints: IN lists rewritten as equality chains by
// migration 0017 (store/sqlite/check_lists.hpp) mean what they meant.
#include "store/sqlite/check_lists.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "support.hpp"

namespace {

using linli::store::sqlite::in_lists_as_equality_chains;

TEST(CheckLists, ListsOfThreeOrMoreLiteralsBecomeChains) {
  EXPECT_EQ(in_lists_as_equality_chains("CHECK (state IN ('a','b',\n    'c'))"),
            "CHECK ((state = 'a' OR state = 'b' OR state = 'c'))");
  EXPECT_EQ(in_lists_as_equality_chains("CHECK (kind NOT IN ('x', 'y', 'z'))"),
            "CHECK ((kind <> 'x' AND kind <> 'y' AND kind <> 'z'))");
  EXPECT_EQ(in_lists_as_equality_chains("CHECK (n in (1, 2, -3))"),
            "CHECK ((n = 1 OR n = 2 OR n = -3))");
  EXPECT_EQ(in_lists_as_equality_chains("CHECK (s IN ('it''s', 'a,b', 'c)'))"),
            "CHECK ((s = 'it''s' OR s = 'a,b' OR s = 'c)'))");
  EXPECT_EQ(in_lists_as_equality_chains("CHECK (a IS NULL OR a IN ('x', 'y', 'z'))"),
            "CHECK (a IS NULL OR (a = 'x' OR a = 'y' OR a = 'z'))");
  // Two terms cost SQLite nothing extra; subqueries and expressions stay, and
  // so does a list whose left side is more than a bare column opening the
  // condition (rewriting only its last word would change or break it).
  for (const char* kept :
       {"CHECK (g IN ('M','F'))", "CHECK (x IN (SELECT id FROM t))", "CHECK (x IN (1, 2, y))",
        "name TEXT NOT NULL", "CHECK (t.x IN ('a','b','c'))", "CHECK (a + b IN (1, 2, 3))",
        "CHECK (x COLLATE NOCASE IN ('a','b','c'))", "CHECK (\"x\" NOT IN ('a','b','c'))",
        "CHECK (NOT x IN ('a','b','c'))", "s TEXT DEFAULT 'x IN (1, 2, 3)'"})
    EXPECT_EQ(in_lists_as_equality_chains(kept), kept);
}

TEST(CheckLists, ChainsAnswerLikeTheListsForEveryValue) {
  auto db = open_migrated(fresh_store_url("sqlite"));
  const std::string list = "('submitted', 'accepted', 'closed')";
  for (const char* op : {"IN", "NOT IN"}) {
    std::string in = std::string("(x ") + op + " " + list + ")";
    auto chain = in_lists_as_equality_chains(in);
    ASSERT_NE(chain, in);
    for (const char* v : {"'submitted'", "'closed'", "'Closed'", "'other'", "''", "NULL", "1"}) {
      auto same = db->one(
          fmt::format("SELECT ({0}) IS ({1}) AS same FROM (SELECT {2} AS x)", in, chain, v));
      ASSERT_TRUE(same) << same.error().detail;
      EXPECT_EQ(same->i64("same"), 1) << op << " " << v;
    }
  }
}

TEST(CheckLists, MigratedTablesHaveNoListsAndStillRefuseBadValues) {
  auto db = open_migrated(fresh_store_url("sqlite"));
  auto tables = db->query("SELECT name, sql FROM sqlite_schema WHERE type = 'table'");
  ASSERT_TRUE(tables);
  int with_checks = 0;
  for (const auto& t : *tables) {
    auto sql = t.str("sql");
    EXPECT_EQ(in_lists_as_equality_chains(sql), sql) << t.str("name");
    with_checks += sql.find(" OR state = ") != std::string::npos;
  }
  EXPECT_GT(with_checks, 0);
  auto check = db->one("PRAGMA quick_check");
  ASSERT_TRUE(check);
  EXPECT_EQ(check->str("quick_check"), "ok");
  // The rewritten constraint still refuses what the list refused.
  auto bad = db->write([](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec(
        "INSERT INTO nodes (kind, name, created_at, updated_at) VALUES ('village', 'x', 0, 0)");
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, linli::ErrorKind::invalid);
  auto good = db->write([](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec(
        "INSERT INTO nodes (kind, name, created_at, updated_at) VALUES ('district', 'x', 0, 0)");
    if (!r) return linli::fail(r.error());
    return {};
  });
  EXPECT_TRUE(good) << good.error().detail;
}

// SQLite builds a temporary B-tree for an IN list of three or more constants
// each time it evaluates one. A trigger body runs at every written row and a
// partial index's WHERE is tested at every write of its table, so neither may
// hold such a list (0017 for the CHECKs, 0023 for the roll-up triggers, 0024
// and 0026 for the partial indexes): they are written as OR chains.
TEST(CheckLists, TriggersAndPartialIndexesTestNoListOfThree) {
  auto db = open_migrated(fresh_store_url("sqlite"));
  auto objects = db->query(
      "SELECT type, name, sql FROM sqlite_schema WHERE type = 'trigger' OR (type = 'index' AND "
      "sql LIKE '%WHERE%')");
  ASSERT_TRUE(objects) << objects.error().detail;
  const std::string literal = R"((?:'(?:[^']|'')*'|-?[0-9]+))";
  const std::regex list("\\bIN\\s*\\(\\s*" + literal + "(?:\\s*,\\s*" + literal + "){2,}\\s*\\)",
                        std::regex::icase);
  int indexes = 0;
  for (const auto& o : *objects) {
    indexes += o.str("type") == "index";
    EXPECT_FALSE(std::regex_search(o.str("sql"), list)) << o.str("type") << " " << o.str("name");
  }
  EXPECT_GE(indexes, 3);  // cases_open_due, cases_open_whistled, cases_sweep_due at least
  // The pattern finds what it is meant to find.
  EXPECT_TRUE(std::regex_search(std::string("WHERE state IN ('a', 'b','c')"), list));
  EXPECT_TRUE(std::regex_search(std::string("x in (1, 2, -3)"), list));
  EXPECT_FALSE(std::regex_search(std::string("x IN ('a','b')"), list));
}

}  // namespace

namespace {

// A write that turned schema edits on and failed before turning them off
// (its Tx runs nothing after a failure) does not leave the writer able to
// edit sqlite_schema.
TEST(CheckLists, SchemaEditsAreOffAfterAFailedEdit) {
  auto db = open_migrated(fresh_store_url("sqlite"));
  auto edit = [](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec("UPDATE sqlite_schema SET sql = sql WHERE name = 'nodes'");
    if (!r) return linli::fail(r.error());
    return {};
  };
  EXPECT_FALSE(db->write(edit));  // off from the start
  auto failed = db->write([](linli::store::Tx& tx) -> linli::Status {
    if (auto on = tx.exec("PRAGMA writable_schema = ON"); !on) return linli::fail(on.error());
    auto bad = tx.exec("SELECT nope FROM nodes");
    if (!bad) return linli::fail(bad.error());
    return {};
  });
  EXPECT_FALSE(failed);
  EXPECT_FALSE(db->write(edit));
}

}  // namespace
