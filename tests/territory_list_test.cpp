// The territory lists (居民, 住户, 党员) over real HTTP on every store: in id order,
// cursor to cursor, exactly the rows of the caller's subtree (or of the node
// asked for) that pass the search, compared with the tables themselves. The
// whole city walks the ids and stops at a page; a narrower subtree takes its
// ids from the index of the path and sorts them (org/service.cpp,
// SubtreePage): both ways are covered, the second also for the admin asking
// for one community.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "http_client.hpp"
#include "org/model.hpp"

using linli::test::ApiEnv;
using linli::test::percent_encode;

namespace {

// (tag, resident) pairs residents.tags holds and resident_tags lacks, and the
// other way round.
constexpr const char* kTagsNotIndexed =
    "SELECT count(*) AS n FROM (SELECT c.tag, r.id FROM residents r JOIN care_tags c ON "
    "(',' || r.tags || ',') LIKE '%,' || c.tag || ',%' EXCEPT SELECT tag, resident_id FROM "
    "resident_tags) x";
constexpr const char* kTagsIndexedWrongly =
    "SELECT count(*) AS n FROM (SELECT tag, resident_id FROM resident_tags EXCEPT SELECT c.tag, "
    "r.id FROM residents r JOIN care_tags c ON (',' || r.tags || ',') LIKE '%,' || c.tag || "
    "',%') x";

class TerritoryListTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }

  // Every page of `limit`, cursor to cursor: the ids shown.
  std::vector<std::int64_t> paged(const std::string& token, const std::string& list,
                                  const std::string& query, int limit) {
    return linli::test::paged_ids(*env().client, token, "/api/v1/" + list, query, limit, 1000);
  }

  std::vector<std::int64_t> ids_of(const std::string& sql, const linli::store::Params& params) {
    auto rows = env().db->query(sql, params);
    EXPECT_TRUE(rows) << rows.error().detail;
    std::vector<std::int64_t> out;
    if (rows)
      for (const auto& r : *rows) out.push_back(r.i64("id"));
    return out;
  }

  // The subtree's residents, households and party members whose name (or
  // address, or a member's name) holds `text`, in id order, from the tables.
  std::vector<std::int64_t> residents_in(const std::string& root, const std::string& text) {
    return ids_of(
        "SELECT id FROM residents WHERE node_path >= $1 AND node_path < $2 AND name LIKE $3 "
        "ORDER BY id",
        {root, linli::auth::subtree_end(root), "%" + text + "%"});
  }
  // The subtree's residents carrying `tag`, read from residents.tags itself.
  std::vector<std::int64_t> residents_tagged(const std::string& root, const std::string& tag) {
    return ids_of(
        "SELECT id FROM residents WHERE node_path >= $1 AND node_path < $2 AND (',' || tags || "
        "',') LIKE $3 ORDER BY id",
        {root, linli::auth::subtree_end(root), "%," + tag + ",%"});
  }
  std::vector<std::int64_t> households_in(const std::string& root, const std::string& text) {
    return ids_of(
        "SELECT h.id FROM households h WHERE h.node_path >= $1 AND h.node_path < $2 AND "
        "(h.address LIKE $3 OR EXISTS (SELECT 1 FROM residents m WHERE m.household_id = h.id "
        "AND m.name LIKE $3)) ORDER BY h.id",
        {root, linli::auth::subtree_end(root), "%" + text + "%"});
  }

  std::vector<std::int64_t> members_in(const std::string& root, const std::string& text) {
    return ids_of(
        "SELECT m.id FROM party_members m JOIN residents r ON r.id = m.resident_id WHERE "
        "m.node_path >= $1 AND m.node_path < $2 AND r.name LIKE $3 ORDER BY m.id",
        {root, linli::auth::subtree_end(root), "%" + text + "%"});
  }

  // The commonest first character of a name under root: a search that finds
  // several pages.
  std::string common_surname(const std::string& root) {
    auto r = env().db->one(
        "SELECT substr(name, 1, 1) AS s, count(*) AS n FROM residents WHERE node_path >= $1 AND "
        "node_path < $2 GROUP BY substr(name, 1, 1) ORDER BY count(*) DESC, 1 LIMIT 1",
        {root, linli::auth::subtree_end(root)});
    EXPECT_TRUE(r) << r.error().detail;
    return r ? r->str("s") : "";
  }

  void expect_lists(const std::string& role, const std::string& root, const std::string& node) {
    auto token = env().token(role);
    const std::string at = node.empty() ? "" : "&node=" + node;
    auto surname = common_surname(root);
    ASSERT_FALSE(surname.empty());
    auto everyone = residents_in(root, "");
    ASSERT_GT(everyone.size(), 7u) << role << ": too few residents to page";
    EXPECT_EQ(paged(token, "residents", at, 7), everyone) << role << at;
    auto named = residents_in(root, surname);
    ASSERT_FALSE(named.empty());
    EXPECT_EQ(paged(token, "residents", at + "&q=" + percent_encode(surname), 3), named)
        << role << at << " " << surname;
    // Every care tag (the whole city walks resident_tags, a subtree probes
    // it), alone and with a name.
    std::size_t tagged = 0;
    for (const auto& tag : linli::org::kCareTags) {
      auto want = residents_tagged(root, tag);
      tagged += want.size();
      EXPECT_EQ(paged(token, "residents", at + "&tag=" + percent_encode(tag), 3), want)
          << role << at << " " << tag;
      auto both = paged(token, "residents",
                        at + "&tag=" + percent_encode(tag) + "&q=" + percent_encode(surname), 3);
      std::erase_if(want,
                    [&](std::int64_t id) { return std::ranges::find(named, id) == named.end(); });
      EXPECT_EQ(both, want) << role << at << " " << tag << " " << surname;
    }
    if (role == "admin") {
      EXPECT_GT(tagged, 0u);
    }
    EXPECT_EQ(paged(token, "households", at, 7), households_in(root, "")) << role << at;
    EXPECT_EQ(paged(token, "households", at + "&q=" + percent_encode(surname), 3),
              households_in(root, surname))
        << role << at << " " << surname;
    auto members = members_in(root, "");
    if (role == "admin") {  // a grid may have none
      ASSERT_FALSE(members.empty());
    }
    EXPECT_EQ(paged(token, "party/members", at, 2), members) << role << at;
    EXPECT_EQ(paged(token, "party/members", at + "&q=" + percent_encode(surname), 2),
              members_in(root, surname))
        << role << at << " " << surname;
  }
};

TEST_P(TerritoryListTest, EveryScopePagesItsResidentsAndHouseholdsInIdOrder) {
  for (const char* role : {"admin", "street_center", "community_staff", "grid_worker"}) {
    const auto& a = env().accounts[role];
    expect_lists(role, env().path_of(a.node), "");
  }
  // The whole city's staff asking for one community: the narrow way.
  auto community = env().accounts["community_staff"].node;
  expect_lists("admin", env().path_of(community), std::to_string(community));
}

// resident_tags (migration 0021) is kept by triggers on residents: an edit
// through the API moves a resident between the tags' lists at once, for the
// whole city (which walks the tag's entries) and for a grid (which probes
// them); a resident deleted leaves no entry behind.
TEST_P(TerritoryListTest, TagListsFollowEveryChangeOfTags) {
  auto grid = env().path_of(env().accounts["grid_worker"].node);
  auto some = ids_of(
      "SELECT id FROM residents WHERE node_path >= $1 AND node_path < $2 AND "
      "tags NOT LIKE '%退役军人%' ORDER BY id LIMIT 1",
      {grid, linli::auth::subtree_end(grid)});
  ASSERT_EQ(some.size(), 1u);
  const std::int64_t id = some[0];
  auto before = env().db->one("SELECT tags FROM residents WHERE id = $1", {id});
  ASSERT_TRUE(before);
  const std::string veteran = "&tag=" + percent_encode("退役军人");
  const std::string disabled = "&tag=" + percent_encode("残疾");
  auto listed = [&](const std::string& role, const std::string& query) {
    auto ids = paged(env().token(role), "residents", query, 50);
    return std::ranges::find(ids, id) != ids.end();
  };
  auto set_tags = [&](const nlohmann::json& tags) {
    auto r = env().client->patch("/api/v1/residents/" + std::to_string(id), {{"tags", tags}},
                                 env().token("admin"));
    ASSERT_EQ(r.status, 200) << r.body;
  };

  set_tags({"退役军人", "残疾"});
  EXPECT_TRUE(listed("admin", veteran));
  EXPECT_TRUE(listed("grid_worker", veteran));
  EXPECT_TRUE(listed("admin", disabled));
  set_tags({"残疾"});
  EXPECT_FALSE(listed("admin", veteran));
  EXPECT_FALSE(listed("grid_worker", veteran));
  EXPECT_TRUE(listed("admin", disabled));
  set_tags(nlohmann::json::array());
  EXPECT_FALSE(listed("admin", disabled));
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM resident_tags WHERE resident_id = $1", {id}), 0);
  auto restore = env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    auto u = tx.exec("UPDATE residents SET tags = $1 WHERE id = $2", {before->str("tags"), id});
    if (!u) return linli::fail(u.error());
    return {};
  });
  ASSERT_TRUE(restore) << restore.error().detail;
  EXPECT_EQ(env().count(kTagsNotIndexed), 0);
  EXPECT_EQ(env().count(kTagsIndexedWrongly), 0);

  // A resident written and deleted directly: its entries come and go.
  auto gone = env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    auto in = tx.one(
        "INSERT INTO residents (household_id, node_path, name, gender, tags, created_at, "
        "updated_at) SELECT household_id, node_path, '测试', 'F', '低保,独居', 0, 0 FROM "
        "residents WHERE id = $1 RETURNING id",
        {id});
    if (!in) return linli::fail(in.error());
    auto n =
        tx.one("SELECT count(*) AS n FROM resident_tags WHERE resident_id = $1", {in->i64("id")});
    if (!n) return linli::fail(n.error());
    EXPECT_EQ(n->i64("n"), 2);
    auto d = tx.exec("DELETE FROM residents WHERE id = $1", {in->i64("id")});
    if (!d) return linli::fail(d.error());
    n = tx.one("SELECT count(*) AS n FROM resident_tags WHERE resident_id = $1", {in->i64("id")});
    if (!n) return linli::fail(n.error());
    EXPECT_EQ(n->i64("n"), 0);
    return {};
  });
  ASSERT_TRUE(gone) << gone.error().detail;
}

// The triggers index only the tags the service accepts: the table of them
// and org::kCareTags must be the same list.
TEST_P(TerritoryListTest, CareTagsTableIsTheServicesVocabulary) {
  auto rows = env().db->query("SELECT tag FROM care_tags ORDER BY tag");
  ASSERT_TRUE(rows) << rows.error().detail;
  std::vector<std::string> table, code = linli::org::kCareTags;
  for (const auto& r : *rows) table.push_back(r.str("tag"));
  std::ranges::sort(table);
  std::ranges::sort(code);
  EXPECT_EQ(table, code);
}

TEST_P(TerritoryListTest, PartyOrganisationsCountTheirMembers) {
  auto token = env().token("admin");
  auto r = env().client->get("/api/v1/party/orgs", token);
  ASSERT_EQ(r.status, 200) << r.body;
  auto orgs = r.json();
  ASSERT_FALSE(orgs.empty());
  std::int64_t members = 0;
  for (const auto& o : orgs) {
    EXPECT_EQ(o["members"].get<std::int64_t>(),
              env().count("SELECT count(*) AS n FROM party_members WHERE party_org_id = $1",
                          {o["id"].get<std::int64_t>()}))
        << o["name"];
    members += o["members"].get<std::int64_t>();
  }
  EXPECT_GT(members, 0);
}

}  // namespace

LINLI_STORE_TESTS(TerritoryListTest);
