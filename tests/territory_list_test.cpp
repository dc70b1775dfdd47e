// The territory lists (居民, 住户, 党员) over real HTTP on every store: in id order,
// cursor to cursor, exactly the rows of the caller's subtree (or of the node
// asked for) that pass the search, compared with the tables themselves. The
// whole city walks the ids and stops at a page; a narrower subtree takes its
// ids from the index of the path and sorts them (org/service.cpp,
// SubtreePage): both ways are covered, the second also for the admin asking
// for one community.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "http_client.hpp"

using linli::test::ApiEnv;
using linli::test::percent_encode;

namespace {

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
