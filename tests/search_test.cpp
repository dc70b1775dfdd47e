// Case search through the bigram index (issue #5, src/search/): the splitter,
// and on both stores: the same cases as LIKE for Chinese terms of two and
// more characters, English words, scope, edits, and the migration's fill of
// cases that existed before the index.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auth/principal.hpp"
#include "cases/service.hpp"
#include "core/crypto.hpp"
#include "demo/demo.hpp"
#include "notify/service.hpp"
#include "search/bigrams.hpp"
#include "search/case_index.hpp"
#include "store/migrations.hpp"
#include "store/sql.hpp"
#include "support.hpp"

namespace {

using namespace linli;
using Strings = std::vector<std::string>;

// ---- the splitter ----

TEST(Bigrams, ChineseRunsBecomeOverlappingPairs) {
  EXPECT_EQ(search::tokens("我家电梯坏了"), (Strings{"我家", "家电", "电梯", "梯坏", "坏了"}));
  EXPECT_EQ(search::tokens("电梯"), (Strings{"电梯"}));
  // A run of one character stays that character; punctuation separates runs.
  EXPECT_EQ(search::tokens("水，电梯。"), (Strings{"水", "电梯"}));
  EXPECT_EQ(search::tokens(""), Strings{});
  EXPECT_EQ(search::tokens("，。！  "), Strings{});
}

TEST(Bigrams, LettersAndDigitsAreWholeLowercaseWords) {
  EXPECT_EQ(search::tokens("3号楼Lift坏了 WiFi-6"),
            (Strings{"3", "号楼", "lift", "坏了", "wifi", "6"}));
  // Fullwidth letters and digits read as ASCII.
  EXPECT_EQ(search::tokens("Ａ座１２层"), (Strings{"a", "座", "12", "层"}));
  EXPECT_EQ(search::tokens("Café ÉTÉ"), (Strings{"café", "été"}));
  // Invalid UTF-8 separates, never crashes.
  EXPECT_EQ(search::tokens(std::string("ab\xff\xfe"
                                       "cd")),
            (Strings{"ab", "cd"}));
  EXPECT_EQ(search::tokens(std::string("电\xe6")), (Strings{"电"}));
}

TEST(Bigrams, QueryTermsArePhrasesAndSingleCharactersFallBackToLike) {
  auto q = search::parse_query("电梯坏  Lift　漏");
  ASSERT_EQ(q.phrases.size(), 2u);
  EXPECT_EQ(q.phrases[0].tokens, (Strings{"电梯", "梯坏"}));
  EXPECT_FALSE(q.phrases[0].prefix);
  EXPECT_EQ(q.phrases[1].tokens, (Strings{"lift"}));
  EXPECT_TRUE(q.phrases[1].prefix);
  EXPECT_EQ(q.like_terms, (Strings{"漏"}));
  EXPECT_EQ(search::fts5_match(q), "\"电梯 梯坏\" AND \"lift\"*");
  EXPECT_EQ(search::tsquery(q), "('电梯' <-> '梯坏') & ('lift':*)");
  // "3号" has a one-character Chinese run: the index cannot answer it.
  EXPECT_TRUE(search::parse_query("3号").phrases.empty());
  EXPECT_TRUE(search::parse_query("，").phrases.empty());
  // A term with one such run: its other Chinese runs and inner words narrow
  // the search through the index, LIKE checks the whole term.
  auto mixed = search::parse_query("嘉秋小区4栋3单元");
  ASSERT_EQ(mixed.phrases.size(), 4u);
  EXPECT_EQ(mixed.phrases[0].tokens, (Strings{"嘉秋", "秋小", "小区"}));
  EXPECT_EQ(mixed.phrases[1].tokens, (Strings{"4"}));
  EXPECT_EQ(mixed.phrases[2].tokens, (Strings{"3"}));
  EXPECT_EQ(mixed.phrases[3].tokens, (Strings{"单元"}));
  EXPECT_EQ(mixed.like_terms, (Strings{"嘉秋小区4栋3单元"}));
}

TEST(Bigrams, TsvectorKeepsPositionsWithAGapBetweenFields) {
  // title 电梯坏 → 电梯:1 梯坏:2, gap at 3, description 梯坏了 → 梯坏:4 坏了:5.
  EXPECT_EQ(search::tsvector({"电梯坏", "梯坏了"}), "'坏了':5 '梯坏':2,4 '电梯':1");
  EXPECT_EQ(search::spaced("电梯坏了 OK"), "电梯 梯坏 坏了 ok");
}

// ---- search on both stores ----

class CaseSearchTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    load_demo(db());
    notifier_ = std::make_unique<notify::Notifier>(db());
    cases_ = std::make_unique<cases::CaseService>(db(), *notifier_);
    auto root = db().one("SELECT id, path FROM nodes WHERE parent_id IS NULL ORDER BY id");
    ASSERT_TRUE(root);
    root_path_ = root->str("path");
    admin_ = principal("admin", root->i64("id"), root_path_);
  }

  static void load_demo(store::Db& db) {
    crypto::init();
    if (!crypto::data_key_loaded()) {
      auto key = std::filesystem::temp_directory_path() /
                 ("linli-search-test-" + std::to_string(::getpid()) + ".key");
      ASSERT_TRUE(crypto::load_data_key(key.string()));
      std::filesystem::remove(key);
    }
    setenv("LINLI_FAST_HASH", "1", 1);
    demo::Options opt;
    opt.households = 400;
    opt.cases = 900;
    opt.now_ms = 1793498400000;  // 2026-11-01 10:00 Shanghai
    opt.points = false;
    auto r = demo::load(db, opt);
    ASSERT_TRUE(r) << r.error().detail;
  }

  static auth::Principal principal(const std::string& role, std::int64_t node,
                                   const std::string& path) {
    auth::Principal p;
    p.user_id = 999999;
    p.username = "search-test";
    auth::Grant g;
    g.role = role;
    g.node_id = node;
    g.node_path = path;
    p.grants.push_back(g);
    return p;
  }

  // Every case id the search answers, following the cursor page by page.
  std::vector<std::int64_t> search(const auth::Principal& p, const std::string& text,
                                   int page = 7) {
    std::vector<std::int64_t> out;
    cases::CaseFilter f;
    f.q = text;
    f.limit = page;
    for (int guard = 0; guard < 10000; ++guard) {
      auto r = cases_->list(p, f);
      EXPECT_TRUE(r) << r.error().detail;
      if (!r) break;
      bool more = static_cast<int>(r->size()) > page;
      for (int i = 0; i < std::min<int>(page, static_cast<int>(r->size())); ++i)
        out.push_back((*r)[static_cast<std::size_t>(i)].id);
      if (!more) break;
      f.after = out.back();
    }
    return out;
  }

  // What LIKE answers over the subtree, newest first.
  std::vector<std::int64_t> like(const std::string& text, const std::string& path) {
    auto pat = "%" + store::like_escape(text) + "%";
    std::string end = path.substr(0, path.size() - 1) + "0";
    auto rows = db().query(
        "SELECT id FROM cases WHERE node_path >= $1 AND node_path < $2 AND (title LIKE $3 ESCAPE "
        "'\\' OR description LIKE $3 ESCAPE '\\' OR address LIKE $3 ESCAPE '\\') ORDER BY id "
        "DESC",
        {path, end, pat});
    EXPECT_TRUE(rows);
    std::vector<std::int64_t> out;
    if (rows)
      for (const auto& r : *rows) out.push_back(r.i64("id"));
    return out;
  }

  // Two- and three-character Chinese substrings of the cases' titles and
  // descriptions, a spread of common and rare ones.
  std::vector<std::string> terms_from_cases() {
    auto rows = db().query("SELECT title, description FROM cases ORDER BY id");
    EXPECT_TRUE(rows);
    std::set<std::string> seen;
    std::vector<std::string> out;
    std::size_t k = 0;
    for (const auto& r : *rows) {
      if (k++ % 37 != 0) continue;
      for (auto text : {r.str("title"), r.str("description")}) {
        // Characters of 3 UTF-8 bytes in the CJK block only.
        std::vector<std::string> cps;
        for (std::size_t i = 0; i + 2 < text.size();) {
          auto c = static_cast<unsigned char>(text[i]);
          if (c >= 0xE4 && c <= 0xE9) {
            cps.push_back(text.substr(i, 3));
            i += 3;
          } else {
            cps.push_back("");
            i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
          }
        }
        for (std::size_t i = 0; i + 2 < cps.size(); i += 5) {
          if (cps[i].empty() || cps[i + 1].empty()) continue;
          auto two = cps[i] + cps[i + 1];
          if (seen.insert(two).second) out.push_back(two);
          if (cps[i + 2].empty()) continue;
          auto three = two + cps[i + 2];
          if (seen.insert(three).second) out.push_back(three);
        }
      }
    }
    return out;
  }

  Result<cases::Case> report(const std::string& title, const std::string& description,
                             std::int64_t node_id) {
    auto cat = db().one("SELECT id FROM case_categories WHERE active = 1 ORDER BY id");
    if (!cat) return fail(cat.error());
    cases::CaseInput in;
    in.title = title;
    in.description = description;
    in.category_id = cat->i64("id");
    in.channel = "patrol";
    in.node_id = node_id;
    auto made = cases_->create(admin_, in, auth::Actor::named("search-test"));
    if (!made) return fail(made.error());
    return cases_->get(admin_, made->id);
  }

  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<cases::CaseService> cases_;
  std::string root_path_;
  auth::Principal admin_;
};

TEST_P(CaseSearchTest, ChineseTermsFindTheSameCasesAsLike) {
  auto terms = terms_from_cases();
  ASSERT_GT(terms.size(), 50u);
  terms.push_back("火星基地");  // no match
  terms.push_back("漏水");
  terms.push_back("电梯");
  // Addresses with building and unit numbers (one-character runs: 4栋) and
  // one-character terms: LIKE checks them, the index narrows where it can.
  auto addresses = db().query("SELECT address FROM cases WHERE id % 97 = 0 ORDER BY id LIMIT 12");
  ASSERT_TRUE(addresses);
  for (const auto& r : *addresses) {
    auto a = r.str("address");
    terms.push_back(a);
    // The end (…4栋3单元), cut at a character's first byte.
    std::size_t from = a.size() > 12 ? a.size() - 12 : 0;
    while (from > 0 && (static_cast<unsigned char>(a[from]) & 0xC0) == 0x80) --from;
    if (from > 0) terms.push_back(a.substr(from));
  }
  for (std::string t : {"坏", "水", "栋"}) terms.push_back(t);
  int matched = 0;
  for (const auto& t : terms) {
    auto expected = like(t, root_path_);
    EXPECT_EQ(search(admin_, t), expected) << t;
    matched += !expected.empty();
  }
  EXPECT_GT(matched, 50);
  // A community's worker: the same, within the community.
  auto community = db().one("SELECT id, path FROM nodes WHERE kind = 'community' ORDER BY id");
  ASSERT_TRUE(community);
  auto staff = principal("community_staff", community->i64("id"), community->str("path"));
  for (std::size_t i = 0; i < terms.size(); i += 4)
    EXPECT_EQ(search(staff, terms[i]), like(terms[i], community->str("path"))) << terms[i];
}

TEST_P(CaseSearchTest, FindsNewCasesByChineseAndEnglishWordsAndCode) {
  auto node = db().one("SELECT id FROM nodes WHERE kind = 'building' ORDER BY id");
  ASSERT_TRUE(node);
  auto c = report("Lift 电梯坏了", "The elevator of building 3 stops between floors，困人三次",
                  node->i64("id"));
  ASSERT_TRUE(c) << c.error().detail;
  auto has = [&](const std::string& q) {
    auto ids = search(admin_, q, 50);
    return std::find(ids.begin(), ids.end(), c->id) != ids.end();
  };
  EXPECT_TRUE(has("电梯坏"));
  EXPECT_TRUE(has("梯坏了"));
  EXPECT_TRUE(has("困人三次"));
  EXPECT_TRUE(has("lift"));
  EXPECT_TRUE(has("LIFT"));
  EXPECT_TRUE(has("elev"));           // a word's prefix
  EXPECT_TRUE(has("电梯 elevator"));  // every term, anywhere
  EXPECT_TRUE(has("坏"));             // one character: LIKE
  EXPECT_TRUE(has(c->code));
  EXPECT_FALSE(has("电梯好"));
  EXPECT_FALSE(has("电梯 escalator"));
  EXPECT_TRUE(has("坏了 floors"));  // terms may be in different fields
  EXPECT_FALSE(has("坏了the"));     // a phrase never spans the title's end and the description
}

TEST_P(CaseSearchTest, ACaseOutsideTheCallersSubtreeNeverAppears) {
  auto communities = db().query("SELECT id, path FROM nodes WHERE kind = 'community' ORDER BY id");
  ASSERT_TRUE(communities);
  ASSERT_GE(communities->size(), 2u);
  const auto& mine = (*communities)[0];
  const auto& other = (*communities)[1];
  auto far = report("霓虹灯牌整夜闪烁", "广告霓虹灯牌整夜闪烁，影响休息", other.i64("id"));
  ASSERT_TRUE(far) << far.error().detail;
  auto staff = principal("community_staff", mine.i64("id"), mine.str("path"));
  EXPECT_TRUE(search(staff, "霓虹灯").empty());
  EXPECT_TRUE(search(staff, "闪烁").empty());
  EXPECT_EQ(search(admin_, "霓虹灯"), std::vector<std::int64_t>{far->id});
  // Nor by its code.
  EXPECT_TRUE(search(staff, far->code).empty());
}

TEST_P(CaseSearchTest, FollowsEditsOfACasesText) {
  auto node = db().one("SELECT id FROM nodes WHERE kind = 'building' ORDER BY id");
  ASSERT_TRUE(node);
  auto c = report("楼道灯不亮", "三楼楼道灯坏了", node->i64("id"));
  ASSERT_TRUE(c) << c.error().detail;
  ASSERT_EQ(search(admin_, "楼道灯"), std::vector<std::int64_t>{c->id});
  search::CaseText before{c->title, c->description, c->address, c->node_path};
  search::CaseText after{"下水道堵塞", "厨房下水道返臭", c->address, c->node_path};
  auto w = db().write([&](store::Tx& tx) -> Status {
    auto u = tx.exec("UPDATE cases SET title = $1, description = $2 WHERE id = $3",
                     {after.title, after.description, c->id});
    if (!u) return fail(u.error());
    return search::replace(tx, db().kind(), c->id, before, after);
  });
  ASSERT_TRUE(w) << w.error().detail;
  EXPECT_TRUE(search(admin_, "楼道灯").empty());
  EXPECT_EQ(search(admin_, "下水道返臭"), std::vector<std::int64_t>{c->id});
}

TEST_P(CaseSearchTest, MigrationIndexesCasesThatExistedBeforeIt) {
  // The demo's cases as a database from before migration 0011 would hold them
  // (the later migrations' indexes undone too, so all of them apply again:
  // a new migration adds its objects here).
  bool pg = db().kind() == store::Kind::postgres;
  auto undo = db().write([&](store::Tx& tx) -> Status {
    for (auto sql :
         {"DROP TABLE case_search", "DROP INDEX cases_queue", "DROP INDEX role_assignments_node",
          "DROP INDEX cases_open_due", "CREATE INDEX cases_state_path ON cases (state, node_path)",
          // 0015
          pg ? "DROP FUNCTION case_whistles_count CASCADE"
             : "DROP TRIGGER case_whistles_count_insert",
          pg ? "SELECT 1" : "DROP TRIGGER case_whistles_count_delete",
          pg ? "SELECT 1" : "DROP TRIGGER case_whistles_count_move",
          "DROP INDEX cases_open_whistled", "ALTER TABLE cases DROP COLUMN whistle_count",
          "DROP INDEX party_members_org",  // 0020
          // 0021
          pg ? "DROP FUNCTION resident_tags_sync CASCADE" : "DROP TRIGGER resident_tags_insert",
          pg ? "SELECT 1" : "DROP TRIGGER resident_tags_update",
          pg ? "SELECT 1" : "DROP TRIGGER resident_tags_delete", "DROP TABLE resident_tags",
          "DROP TABLE care_tags",
          // 0022
          "DROP INDEX cases_category_state", "CREATE INDEX cases_category ON cases (category_id)",
          // 0023 re-creates its triggers and re-counts the grids as it is.
          "DROP INDEX cases_sweep_due",  // 0024
          // 0025 (SQLite) merges the search index again as it is; 0026
          // (SQLite) rebuilds 0013's and 0015's indexes as it is.
          "DROP INDEX cases_street_newest", "DROP INDEX cases_community_newest",  // 0027
          "DROP INDEX cases_grid_newest",                                         // 0028
          "DROP INDEX cases_department_level",                                    // 0029
          "DELETE FROM schema_migrations WHERE version >= 11"})
      if (auto r = tx.exec(sql); !r) return fail(r.error());
    return {};
  });
  ASSERT_TRUE(undo) << undo.error().detail;
  auto applied = store::migrate(db());
  ASSERT_TRUE(applied) << applied.error().detail;
  EXPECT_GE(*applied, 1);
  auto n = db().one("SELECT count(*) AS n FROM cases");
  ASSERT_TRUE(n);
  ASSERT_GT(n->i64("n"), 800);
  // 0015 counted the whistles cases already had.
  auto off = db().one(
      "SELECT COUNT(*) AS n FROM cases c WHERE c.whistle_count <> (SELECT COUNT(*) FROM "
      "case_whistles w WHERE w.case_id = c.id)");
  ASSERT_TRUE(off) << off.error().detail;
  EXPECT_EQ(off->i64("n"), 0);
  auto whistled = db().one("SELECT COUNT(*) AS n FROM cases WHERE whistle_count > 0");
  ASSERT_TRUE(whistled);
  EXPECT_GT(whistled->i64("n"), 0);
  for (std::string t : {"漏水", "电梯", "噪音", "停车", "垃圾", "火星基地"})
    EXPECT_EQ(search(admin_, t, 50), like(t, root_path_)) << t;
  // 0021 indexed the care tags residents already had, each pair once.
  auto tags = db().one(
      "SELECT (SELECT count(*) FROM resident_tags) AS indexed, (SELECT count(*) FROM residents r "
      "JOIN care_tags c ON (',' || r.tags || ',') LIKE '%,' || c.tag || ',%') AS held");
  ASSERT_TRUE(tags) << tags.error().detail;
  EXPECT_GT(tags->i64("held"), 0);
  EXPECT_EQ(tags->i64("indexed"), tags->i64("held"));
}

LINLI_STORE_TESTS(CaseSearchTest);

}  // namespace
