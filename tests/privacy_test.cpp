// PIPL personal-data rights over HTTP on both stores: a resident's complete
// export (staff with reveal permission in scope, audited) and anonymising a
// resident who has moved out, with case KPIs, case counts and points totals
// identical before and after; refused (409) while they still live here.
#include <gtest/gtest.h>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "cases/kpis.hpp"
#include "core/clock.hpp"

using linli::test::ApiEnv;
using nlohmann::json;

namespace {

class PrivacyTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  std::string root(const std::string& role) { return env().path_of(env().accounts[role].node); }
  // A resident in `role`'s subtree who reported cases, not yet used by
  // another test in this process.
  std::int64_t busy_resident(const std::string& role, int skip) {
    auto r = root(role);
    auto row = env().db->query(
        "SELECT r.id FROM residents r WHERE r.node_path >= $1 AND r.node_path < $2 AND "
        "r.status = 'active' AND r.phone_enc IS NOT NULL AND "
        "EXISTS (SELECT 1 FROM cases c WHERE c.reporter_resident_id = r.id) ORDER BY r.id",
        {r, linli::auth::subtree_end(r)});
    if (!row || static_cast<int>(row->size()) <= skip)
      throw std::runtime_error("no resident who reported cases in scope of " + role);
    return (*row)[skip].i64("id");
  }
  std::string res(std::int64_t id, const std::string& tail) {
    return "/api/v1/residents/" + std::to_string(id) + tail;
  }
  // The statistics anonymising must not move.
  // KPIs count deadlines still running at "now", so both snapshots are taken
  // as of the same moment (the figures the KPI page shows, docs/KPIS.md).
  json statistics(std::int64_t as_of) {
    json s;
    for (const auto& role : {"street_center", "community_staff"}) {
      auto q = linli::cases::kpi_query(env().path_of(env().accounts[role].node), "2020-01-01", "");
      EXPECT_TRUE(q);
      q->as_of_ms = as_of;
      auto k = linli::cases::compute_kpis(*env().db, *q);
      EXPECT_TRUE(k) << k.error().detail;
      s[std::string("kpis_") + role] = *k;
    }
    for (const auto& [name, sql] : std::vector<std::pair<std::string, std::string>>{
             {"cases", "SELECT count(*) AS n FROM cases"},
             {"cases_closed", "SELECT count(*) AS n FROM cases WHERE state = 'closed'"},
             {"residents", "SELECT count(*) AS n FROM residents"},
             {"points_awarded",
              "SELECT COALESCE(sum(amount), 0) AS n FROM points_transfers WHERE kind = 'award'"},
             {"points_all", "SELECT COALESCE(sum(amount), 0) AS n FROM points_transfers"},
             {"deeds", "SELECT count(*) AS n FROM points_deeds"},
             {"redemptions", "SELECT count(*) AS n FROM redemptions"}})
      s[name] = env().count(sql);
    auto staff = env().token("community_staff");
    auto ledger = http().get("/api/v1/points/ledger/check", staff);
    EXPECT_EQ(ledger.status, 200) << ledger.body;
    s["ledger"] = ledger.json();
    return s;
  }
};

TEST_P(PrivacyTest, ExportHoldsEverythingAndIsAudited) {
  auto staff = env().token("community_staff");
  auto id = busy_resident("community_staff", 0);
  auto phone = http().post(res(id, "/reveal"), {{"field", "phone"}}, staff);
  ASSERT_EQ(phone.status, 200) << phone.body;
  auto r = http().post(res(id, "/personal-data"), json::object(), staff);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["person"]["id"], id);
  EXPECT_EQ(j["person"]["phone"], phone.json()["value"]);
  EXPECT_TRUE(j["person"]["id_number"].is_string() || j["person"]["id_number"].is_null());
  EXPECT_FALSE(j["household"]["address"].get<std::string>().empty());
  EXPECT_GT(j["cases_reported"].size(), 0u) << r.body.substr(0, 500);
  EXPECT_EQ(static_cast<std::int64_t>(j["points_ledger"].size()),
            env().count("SELECT count(*) AS n FROM points_transfers t JOIN points_accounts a ON "
                        "(a.id = t.to_account OR a.id = t.from_account) WHERE a.kind = "
                        "'resident' AND a.ref_id = $1",
                        {id}));
  for (const char* key : {"household_moves", "party_membership", "points_deeds", "redemptions",
                          "accounts", "reveals"})
    EXPECT_TRUE(j[key].is_array()) << key;
  // The reveal just made is listed with who and when.
  ASSERT_GE(j["reveals"].size(), 1u);
  EXPECT_EQ(j["reveals"].back()["username"], env().accounts["community_staff"].username);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM audit_log WHERE action = "
                        "'resident.personal_data_export' AND entity_id = $1",
                        {id}),
            1);
  // A building head reads the registry but may not reveal: 403; a grid worker
  // of another grid: 404, as for a record that does not exist.
  EXPECT_EQ(
      http().post(res(id, "/personal-data"), json::object(), env().token("building_head")).status,
      403);
  auto grid = root("grid_worker");
  auto outside = env().db->one(
      "SELECT min(id) AS id FROM residents WHERE NOT (node_path >= $1 AND node_path < $2)",
      {grid, linli::auth::subtree_end(grid)});
  EXPECT_EQ(http()
                .post(res(outside->i64("id"), "/personal-data"), json::object(),
                      env().token("grid_worker"))
                .status,
            404);
}

TEST_P(PrivacyTest, AnonymiseKeepsStatisticsAndRefusesResidentsStillHere) {
  auto staff = env().token("community_staff");
  auto id = busy_resident("community_staff", 1);
  // Still living here: refused, with a message saying why, and nothing changed.
  auto early = http().post(res(id, "/anonymise"), json::object(), staff);
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_NE(early.json().value("detail", "").find("仍居住在辖区内"), std::string::npos)
      << early.body;
  auto before_person =
      env().db->one("SELECT name, phone_enc, id_hash, status FROM residents WHERE id = $1", {id});
  ASSERT_TRUE(before_person);
  ASSERT_NE(before_person->str("name").find("已注销"), 0u);

  ASSERT_EQ(http().post(res(id, "/move-out"), json::object(), staff).status, 204);
  EXPECT_EQ(http().post(res(id, "/move-out"), json::object(), staff).status, 409);
  const auto as_of = linli::clock::now_ms();
  auto before = statistics(as_of);
  auto done = http().post(res(id, "/anonymise"), json::object(), staff);
  ASSERT_EQ(done.status, 204) << done.body;
  auto after = statistics(as_of);
  EXPECT_EQ(before, after) << "what changed: " << json::diff(before, after).dump();
  EXPECT_TRUE(after["ledger"]["ok"].get<bool>());

  auto row = env().db->one(
      "SELECT name, phone_enc, phone_mask, phone_hash, id_enc, id_mask, id_hash, tags, status "
      "FROM residents WHERE id = $1",
      {id});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->str("name"), "已注销居民#" + std::to_string(id));
  for (const char* col : {"phone_enc", "phone_mask", "phone_hash", "id_enc", "id_mask", "id_hash"})
    EXPECT_TRUE(row->is_null(col)) << col;
  EXPECT_EQ(row->str("tags"), "");
  EXPECT_EQ(row->str("status"), "moved_out");
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM cases WHERE reporter_resident_id = $1 AND "
                        "(reporter_name <> $2 OR reporter_phone_enc IS NOT NULL)",
                        {id, "已注销居民#" + std::to_string(id)}),
            0);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM points_accounts WHERE kind = 'resident' AND "
                        "ref_id = $1 AND name <> $2",
                        {id, "已注销居民#" + std::to_string(id)}),
            0);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM audit_log WHERE action = 'resident.anonymise' "
                        "AND entity_id = $1",
                        {id}),
            1);
  // The export now holds nothing that names them.
  auto exp = http().post(res(id, "/personal-data"), json::object(), staff);
  ASSERT_EQ(exp.status, 200);
  EXPECT_TRUE(exp.json()["person"]["phone"].is_null());
  EXPECT_TRUE(exp.json()["person"]["id_number"].is_null());
  // Twice is refused clearly.
  EXPECT_EQ(http().post(res(id, "/anonymise"), json::object(), staff).status, 409);
  // Someone without write permission: 403; outside the scope: 404.
  EXPECT_EQ(http().post(res(id, "/anonymise"), json::object(), env().token("building_head")).status,
            403);
}

LINLI_STORE_TESTS(PrivacyTest);

}  // namespace
