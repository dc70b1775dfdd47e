// The closed loop over real HTTP on every store: each transition allowed and
// refused, rework, return, suspend, merge, escalate, 吹哨报到 with a
// department that never reports, the sweep, and scope for every kind of user.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "cases/model.hpp"
#include "core/clock.hpp"

using linli::test::ApiEnv;
using nlohmann::json;

namespace {

class CasesApiTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  std::string tok(const std::string& role) {
    auto it = tokens_.find(role);
    if (it != tokens_.end()) return it->second;
    return tokens_[role] = env().token(role);
  }
  std::int64_t leaf_category(const std::string& code) {
    return env().db->one("SELECT id FROM case_categories WHERE code = $1", {code})->i64("id");
  }
  // A household in the grid worker's grid (where branch1 and building1 work).
  std::int64_t grid_household() {
    auto root = env().path_of(env().accounts["grid_worker"].node);
    return env()
        .db
        ->one("SELECT min(id) AS id FROM households WHERE node_path >= $1 AND node_path < $2",
              {root, linli::auth::subtree_end(root)})
        ->i64("id");
  }
  json report(const std::string& role, const std::string& category, json extra = json::object()) {
    json body = {{"title", "楼道堆放杂物"},
                 {"description", "三楼楼道堆满纸箱，影响通行，存在消防隐患"},
                 {"category_id", leaf_category(category)},
                 {"household_id", grid_household()}};
    body["channel"] = role == "resident" ? "mobile" : "hotline";
    body.update(extra);
    auto r = http().post("/api/v1/cases", body, tok(role));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  linli::test::HttpResult act(std::int64_t id, const std::string& action, const std::string& role,
                              json body = json::object()) {
    return http().post("/api/v1/cases/" + std::to_string(id) + "/actions/" + action, body,
                       tok(role));
  }
  // The mean of a grid polygon's corners (lng, lat): a point inside that grid.
  static std::pair<double, double> centre_of(const json& ring) {
    double lng = 0, lat = 0;
    for (const auto& pt : ring) {
      lng += pt[0].get<double>();
      lat += pt[1].get<double>();
    }
    const auto n = static_cast<double>(ring.size());
    return {lng / n, lat / n};
  }
  json detail(std::int64_t id, const std::string& role) {
    return http().get("/api/v1/cases/" + std::to_string(id), tok(role)).json();
  }
  std::map<std::string, std::string> tokens_;
};

TEST_P(CasesApiTest, FullLoopFromResidentToRating) {
  auto c = report("resident", "env.hallway");
  auto id = c["id"].get<std::int64_t>();
  EXPECT_EQ(c["state"], "submitted");
  EXPECT_EQ(c["channel"], "mobile");
  EXPECT_TRUE(c["actions"].empty()) << "a resident cannot accept their own case";
  EXPECT_EQ(act(id, "accept", "resident").status, 403);
  auto accepted = act(id, "accept", "community_staff");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  // 楼道堆物 routes to the compound: 小事不出小区.
  EXPECT_EQ(accepted.json()["state"], "assigned");
  EXPECT_EQ(accepted.json()["level"], "grid");
  EXPECT_FALSE(accepted.json()["contact_due"].is_null());
  // Accepting twice is a state conflict naming the current state.
  auto again = act(id, "accept", "community_staff");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.json()["detail"].get<std::string>().find("已派单"), std::string::npos);
  EXPECT_EQ(act(id, "start", "building_head").status, 403)
      << "building level does not hold a grid case";
  ASSERT_EQ(act(id, "start", "branch_secretary").status, 200);
  EXPECT_EQ(act(id, "resolve", "branch_secretary").status, 422) << "a result needs a note";
  ASSERT_EQ(act(id, "resolve", "branch_secretary", {{"note", "已清理"}}).status, 200);
  EXPECT_EQ(act(id, "rate", "resident", {{"solved", true}, {"rating", "satisfied"}}).status, 409)
      << "no rating before verification";
  ASSERT_EQ(act(id, "verify", "community_staff", {{"passed", true}}).status, 200);
  auto bad_rating = act(id, "rate", "resident", {{"solved", true}, {"rating", "great"}});
  EXPECT_EQ(bad_rating.status, 422);
  EXPECT_EQ(act(id, "rate", "community_staff", {{"solved", true}, {"rating", "satisfied"}}).status,
            403)
      << "only the reporter rates";
  auto rated = act(id, "rate", "resident",
                   {{"solved", true}, {"rating", "satisfied"}, {"comment", "很及时"}});
  ASSERT_EQ(rated.status, 200) << rated.body;
  auto final_case = rated.json();
  EXPECT_EQ(final_case["state"], "closed");
  EXPECT_EQ(final_case["close_reason"], "rated");
  std::vector<std::string> actions;
  for (const auto& e : final_case["timeline"]) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"submit", "accept", "dispatch", "start", "resolve",
                                               "verify_pass", "rate"}));
  EXPECT_EQ(act(id, "comment", "resident", {{"note", "x"}}).status, 403);
  // The resident was told at each step.
  auto inbox = http().get("/api/v1/notifications", tok("resident")).json();
  bool asked = false;
  for (const auto& n : inbox["items"])
    if (n["kind"] == "rating_request" && n["case_id"] == id) asked = true;
  EXPECT_TRUE(asked);
}

TEST_P(CasesApiTest, RejectReworkReturnSuspendResume) {
  auto a = report("resident", "env.garbage")["id"].get<std::int64_t>();
  EXPECT_EQ(act(a, "reject", "community_staff").status, 422) << "a rejection needs a reason";
  auto rejected = act(a, "reject", "community_staff", {{"reason", "不属于社区职责"}});
  ASSERT_EQ(rejected.status, 200);
  EXPECT_EQ(rejected.json()["state"], "rejected");
  EXPECT_EQ(act(a, "accept", "community_staff").status, 409);

  auto b = report("grid_worker", "env.garbage")["id"].get<std::int64_t>();
  ASSERT_EQ(act(b, "accept", "grid_worker").status, 200);
  ASSERT_EQ(act(b, "start", "grid_worker").status, 200);
  ASSERT_EQ(act(b, "resolve", "grid_worker", {{"note", "已清运"}}).status, 200);
  auto rework = act(b, "verify", "community_staff", {{"passed", false}, {"reason", "仍有垃圾"}});
  ASSERT_EQ(rework.status, 200) << rework.body;
  EXPECT_EQ(rework.json()["state"], "in_progress");
  EXPECT_EQ(rework.json()["rework_count"], 1);
  // 退单: a wrong assignment goes back to the dispatcher.
  auto returned = act(b, "return", "grid_worker", {{"reason", "应由物业处理"}});
  ASSERT_EQ(returned.status, 200);
  EXPECT_EQ(returned.json()["state"], "accepted");
  ASSERT_EQ(act(b, "dispatch", "community_staff", {{"level", "grid"}}).status, 200);
  EXPECT_EQ(act(b, "suspend", "grid_worker", {{"reason", "等待"}}).status, 403)
      << "suspension needs the community's approval";
  auto suspended = act(b, "suspend", "community_staff", {{"reason", "待业主大会表决"}});
  ASSERT_EQ(suspended.status, 200);
  EXPECT_EQ(suspended.json()["state"], "suspended");
  EXPECT_EQ(act(b, "start", "grid_worker").status, 409);
  auto resumed = act(b, "resume", "community_staff");
  ASSERT_EQ(resumed.status, 200);
  EXPECT_EQ(resumed.json()["state"], "assigned");
}

TEST_P(CasesApiTest, EscalateMergeAndDuplicates) {
  auto a = report("resident", "dispute.noise")["id"].get<std::int64_t>();
  auto accepted = act(a, "accept", "community_staff");
  ASSERT_EQ(accepted.status, 200);
  EXPECT_EQ(accepted.json()["level"], "building") << "邻里纠纷 starts with the party group";
  ASSERT_EQ(act(a, "start", "building_head").status, 200);
  EXPECT_EQ(act(a, "escalate", "building_head").status, 422) << "escalation needs a reason";
  auto up = act(a, "escalate", "building_head", {{"reason", "调解未果，提级议"}});
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.json()["level"], "grid");
  EXPECT_EQ(up.json()["escalation_count"], 1);
  auto to_community = act(a, "escalate", "branch_secretary", {{"reason", "小区无法解决"}});
  ASSERT_EQ(to_community.status, 200);
  EXPECT_EQ(to_community.json()["level"], "community");
  EXPECT_EQ(act(a, "escalate", "community_staff", {{"reason", "x"}, {"level", "grid"}}).status,
            422);
  auto down = act(a, "deescalate", "community_staff", {{"reason", "交回小区"}, {"level", "grid"}});
  ASSERT_EQ(down.status, 200);
  EXPECT_EQ(down.json()["level"], "grid");
  // Every level change is kept.
  int level_changes = 0;
  auto timeline = down.json()["timeline"];
  for (const auto& e : timeline)
    if (e["from_level"] != e["to_level"]) ++level_changes;
  EXPECT_GE(level_changes, 3);

  auto original = report("resident", "env.hallway", {{"title", "楼道堆放纸箱"}});
  auto dup = report("grid_worker", "env.hallway", {{"title", "楼道纸箱堆放"}});
  auto similar = http().get(
      "/api/v1/cases/duplicates?node_id=" + std::to_string(dup["node_id"].get<std::int64_t>()) +
          "&category_id=" + std::to_string(leaf_category("env.hallway")) +
          "&text=%E6%A5%BC%E9%81%93%E5%A0%86%E6%BB%A1%E7%BA%B8%E7%AE%B1",
      tok("community_staff"));
  ASSERT_EQ(similar.status, 200) << similar.body;
  bool found = false;
  for (const auto& s : similar.json())
    if (s["id"] == original["id"]) found = true;
  EXPECT_TRUE(found) << similar.body;
  auto merged = act(dup["id"], "merge", "community_staff", {{"into_case_id", original["id"]}});
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["state"], "merged");
  EXPECT_EQ(act(dup["id"], "accept", "community_staff").status, 409);
}

TEST_P(CasesApiTest, WhistleTwoDepartmentsOneNeverReports) {
  auto id = report("community_staff", "urban.stall")["id"].get<std::int64_t>();
  ASSERT_EQ(act(id, "accept", "community_staff", {{"level", "community"}}).status, 200);
  auto dept = env().accounts["department_staff"].org;
  auto other =
      env()
          .db->one("SELECT min(id) AS id FROM orgs WHERE kind = 'department' AND id <> $1", {dept})
          ->i64("id");
  auto cid = std::to_string(id);
  EXPECT_EQ(http()
                .post("/api/v1/cases/" + cid + "/whistle",
                      {{"org_ids", {dept, other}}, {"lead_org_id", dept}}, tok("grid_worker"))
                .status,
            403);
  auto w = http().post("/api/v1/cases/" + cid + "/whistle",
                       {{"org_ids", {dept, other}}, {"lead_org_id", dept}, {"note", "占道经营"}},
                       tok("community_staff"));
  ASSERT_EQ(w.status, 200) << w.body;
  ASSERT_EQ(w.json()["whistles"].size(), 2u);
  // The department sees only this case, and acts on it.
  auto d = tok("department_staff");
  EXPECT_EQ(http().get("/api/v1/cases/" + cid, d).status, 200);
  auto seen = http().get("/api/v1/cases?limit=200", d).json();
  for (const auto& c : seen["items"]) {
    auto whistled =
        env().count("SELECT count(*) AS n FROM case_whistles WHERE case_id = $1 AND org_id = $2",
                    {c["id"].get<std::int64_t>(), dept});
    EXPECT_EQ(whistled, 1) << "a department sees only cases whistled to it";
  }
  auto base = "/api/v1/cases/" + cid + "/whistles/" + std::to_string(dept) + "/";
  EXPECT_EQ(http().post(base + "act", {{"note", "已处置"}}, d).status, 409) << "report first";
  ASSERT_EQ(http().post(base + "report", json::object(), d).status, 200);
  ASSERT_EQ(http().post(base + "arrive", json::object(), d).status, 200);
  auto acted = http().post(base + "act", {{"note", "已劝离占道摊贩"}}, d);
  ASSERT_EQ(acted.status, 200) << acted.body;
  EXPECT_EQ(http()
                .post("/api/v1/cases/" + cid + "/whistles/" + std::to_string(other) + "/report",
                      json::object(), d)
                .status,
            403)
      << "one department cannot report for another";
  // Time passes: the other department's limit runs out without a report.
  auto w2 = env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec(
        "UPDATE case_whistles SET report_due = 1, act_due = 2 WHERE case_id = $1 AND "
        "org_id = $2",
        {id, other});
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_TRUE(w2);
  auto view = detail(id, "community_staff");
  for (const auto& wh : view["whistles"]) {
    if (wh["org_id"] == other) {
      EXPECT_EQ(wh["state"], "whistled");
      EXPECT_EQ(wh["flags"], json::array({"report_overdue"})) << "报而不到";
    } else {
      EXPECT_EQ(wh["state"], "acted");
      EXPECT_TRUE(wh["flags"].empty());
    }
  }
}

TEST_P(CasesApiTest, ScopeListsSearchExportKpis) {
  auto mine = report("resident", "env.garbage");
  // A resident's case carries their own name and phone, whatever they typed.
  auto who = env().db->one(
      "SELECT r.name = c.reporter_name AS same_name, r.phone_mask = c.reporter_phone_mask AS "
      "same_phone, c.reporter_phone_enc IS NOT NULL AS sealed FROM cases c JOIN residents r ON "
      "r.id = c.reporter_resident_id WHERE c.id = $1",
      {mine["id"].get<std::int64_t>()});
  ASSERT_TRUE(who) << who.error().detail;
  EXPECT_EQ(who->i64("same_name"), 1);
  EXPECT_EQ(who->i64("same_phone"), 1);
  EXPECT_EQ(who->i64("sealed"), 1);
  auto staff_case = report("community_staff", "env.garbage");
  // Another community's case, filed by the street centre.
  auto community = env().accounts["community_staff"].node;
  auto elsewhere = env().db->one(
      "SELECT min(h.id) AS id FROM households h JOIN nodes n ON n.path = substr(h.node_path, 1, "
      "length(n.path)) WHERE n.kind = 'community' AND n.id <> $1",
      {community});
  auto far = report("street_center", "env.garbage", {{"household_id", elsewhere->i64("id")}});
  auto far_id = far["id"].get<std::int64_t>();
  // Community staff: 404 outside, absent from list and search.
  EXPECT_EQ(http().get("/api/v1/cases/" + std::to_string(far_id), tok("community_staff")).status,
            404);
  auto list =
      http().get("/api/v1/cases?limit=200&q=%E5%A0%86%E6%94%BE", tok("community_staff")).json();
  for (const auto& c : list["items"]) EXPECT_NE(c["id"], far["id"]);
  auto csv = http().get("/api/v1/cases/export?format=csv", tok("community_staff"));
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.find(far["code"].get<std::string>()), std::string::npos);
  EXPECT_NE(csv.body.find(staff_case["code"].get<std::string>()), std::string::npos);
  // A resident sees only their own cases.
  auto r = tok("resident");
  EXPECT_EQ(
      http().get("/api/v1/cases/" + std::to_string(staff_case["id"].get<std::int64_t>()), r).status,
      404);
  auto own = http().get("/api/v1/me/cases", r).json();
  bool has_mine = false;
  for (const auto& c : own["items"]) {
    auto reporter = env().db->one("SELECT reporter_user_id FROM cases WHERE id = $1",
                                  {c["id"].get<std::int64_t>()});
    EXPECT_EQ(reporter->i64("reporter_user_id"),
              env().db->one("SELECT id FROM users WHERE username = 'resident1'")->i64("id"));
    if (c["id"] == mine["id"]) has_mine = true;
  }
  EXPECT_TRUE(has_mine);
  EXPECT_EQ(http().get("/api/v1/cases/export?format=csv", r).status, 403);
  EXPECT_EQ(http().get("/api/v1/cases/kpis", r).status, 403);
  // KPIs: the grid worker cannot ask for the street; the street's count
  // includes the far case, the community's does not.
  auto street = env().accounts["street_center"].node;
  EXPECT_EQ(
      http().get("/api/v1/cases/kpis?node=" + std::to_string(street), tok("grid_worker")).status,
      404);
  auto kc =
      http().get("/api/v1/cases/kpis?node=" + std::to_string(community), tok("community_staff"));
  auto ks = http().get("/api/v1/cases/kpis?node=" + std::to_string(street), tok("street_center"));
  ASSERT_EQ(kc.status, 200) << kc.body;
  ASSERT_EQ(ks.status, 200) << ks.body;
  EXPECT_GT(ks.json()["received"].get<std::int64_t>(), kc.json()["received"].get<std::int64_t>());
}

TEST_P(CasesApiTest, SweepFlagsOverdueEscalatesAndClosesUnrated) {
  auto id = report("community_staff", "env.garbage")["id"].get<std::int64_t>();
  ASSERT_EQ(act(id, "accept", "community_staff").status, 200);
  auto cat = leaf_category("env.garbage");
  // The category escalates on overdue; the case's deadline has passed.
  auto w = env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    if (auto r = tx.exec("UPDATE case_categories SET auto_escalate = 1 WHERE id = $1", {cat}); !r)
      return linli::fail(r.error());
    if (auto r = tx.exec(
            "UPDATE cases SET created_at = created_at - 10000, resolve_due = $1 WHERE id = $2",
            {linli::clock::now_ms() - 1000, id});
        !r)
      return linli::fail(r.error());
    return {};
  });
  ASSERT_TRUE(w);
  auto touched = env().app->cases.sweep(linli::clock::now_ms());
  ASSERT_TRUE(touched) << touched.error().detail;
  auto c = detail(id, "community_staff");
  EXPECT_EQ(c["level"], "community") << "auto-escalated one level";
  EXPECT_TRUE(c["overdue"].get<bool>());
  bool flagged = false;
  for (const auto& e : c["timeline"])
    if (e["action"] == "overdue") flagged = true;
  EXPECT_TRUE(flagged);
  // A second sweep does not escalate again.
  ASSERT_TRUE(env().app->cases.sweep(linli::clock::now_ms()));
  EXPECT_EQ(detail(id, "community_staff")["level"], "community");

  auto f = report("resident", "env.green")["id"].get<std::int64_t>();
  ASSERT_EQ(act(f, "accept", "community_staff").status, 200);
  ASSERT_EQ(act(f, "start", "grid_worker").status, 200);
  ASSERT_EQ(act(f, "resolve", "grid_worker", {{"note", "已修剪"}}).status, 200);
  ASSERT_EQ(act(f, "verify", "community_staff", {{"passed", true}}).status, 200);
  // Eight days later nobody has rated it.
  ASSERT_TRUE(env().app->cases.sweep(linli::clock::now_ms() + 8 * 86400000LL));
  auto closed = detail(f, "community_staff");
  EXPECT_EQ(closed["state"], "closed");
  EXPECT_EQ(closed["close_reason"], "not_rated");
}

TEST_P(CasesApiTest, SweepWarnsOnceWhenADeadlineIsNear) {
  // Two accepted cases given ten days each: one 85 % through its time (past
  // the default 80 % warning share), one half way.
  const std::int64_t day = 86400000, now = linli::clock::now_ms();
  auto near = report("community_staff", "env.hallway")["id"].get<std::int64_t>();
  auto early = report("community_staff", "env.hallway")["id"].get<std::int64_t>();
  for (auto id : {near, early}) ASSERT_EQ(act(id, "accept", "community_staff").status, 200);
  auto place = [&](std::int64_t id, std::int64_t started) {
    auto r = env().db->write([&](linli::store::Tx& tx) -> linli::Status {
      auto u = tx.exec("UPDATE cases SET created_at = $1, resolve_due = $2 WHERE id = $3",
                       {started, started + 10 * day, id});
      if (!u) return linli::fail(u.error());
      return {};
    });
    ASSERT_TRUE(r) << r.error().detail;
  };
  place(near, now - 17 * day / 2);
  place(early, now - 5 * day);
  auto events = [&](std::int64_t id, const char* action) {
    auto n =
        env().db->one("SELECT COUNT(*) AS n FROM case_events WHERE case_id = $1 AND action = $2",
                      {id, std::string(action)});
    EXPECT_TRUE(n) << n.error().detail;
    return n ? n->i64("n") : -1;
  };
  for (int twice = 0; twice < 2; ++twice) {
    ASSERT_TRUE(env().app->cases.sweep(now));
    EXPECT_EQ(events(near, "near_due"), 1) << "warned once, sweep " << twice;
    EXPECT_EQ(events(early, "near_due"), 0) << "half its time is left";
    EXPECT_EQ(events(near, "overdue"), 0);
  }
  // Three days on: the first is past its deadline, the second 80 % through.
  ASSERT_TRUE(env().app->cases.sweep(now + 3 * day));
  EXPECT_EQ(events(near, "overdue"), 1);
  EXPECT_EQ(events(near, "near_due"), 1);
  EXPECT_EQ(events(early, "near_due"), 1);
  EXPECT_EQ(events(early, "overdue"), 0);
}

TEST_P(CasesApiTest, BadIntakeIsRefusedAndChangesNothing) {
  auto before = env().count("SELECT count(*) AS n FROM cases");
  auto t = tok("community_staff");
  auto missing = http().post("/api/v1/cases", {{"title", ""}}, t);
  EXPECT_EQ(missing.status, 422);
  auto bad = http().post("/api/v1/cases",
                         {{"title", "x"},
                          {"description", "y"},
                          {"category_id", 999999},
                          {"case_type", "small"},
                          {"household_id", grid_household()},
                          {"reporter_phone", "123"}},
                         t);
  EXPECT_EQ(bad.status, 422);
  std::set<std::string> fields;
  auto errors = bad.json()["errors"];
  for (const auto& e : errors) fields.insert(e["field"]);
  EXPECT_TRUE(fields.count("category_id") && fields.count("case_type") &&
              fields.count("reporter_phone"))
      << bad.body;
  auto photo =
      http().request("POST", "/api/v1/blobs", "not an image", t, {{"content-type", "image/png"}});
  EXPECT_EQ(photo.status, 400);
  EXPECT_EQ(http().post("/api/v1/cases/1/actions/fly", json::object(), t).status, 404);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM cases"), before);
}

// A meeting's cases go in together: each at its own place, or none when any
// row is wrong (and then every wrong row is named).
TEST_P(CasesApiTest, MeetingBatchIsAllOrNothing) {
  auto root = env().path_of(env().accounts["grid_worker"].node);
  auto homes = env().db->one(
      "SELECT min(id) AS a, max(id) AS b FROM households WHERE node_path >= $1 AND node_path < $2",
      {root, linli::auth::subtree_end(root)});
  ASSERT_TRUE(homes);
  ASSERT_NE(homes->i64("a"), homes->i64("b"));
  auto address = [&](std::int64_t household) {
    return env()
        .db->one("SELECT address FROM households WHERE id = $1", {household})
        ->str("address");
  };
  auto row = [&](std::int64_t household, json extra = json::object()) {
    json c = {{"title", "楼道灯不亮"},
              {"description", "二楼楼道灯坏了一周"},
              {"category_id", leaf_category("repair.light")},
              {"household_id", household}};
    c.update(extra);
    return c;
  };
  auto t = tok("community_staff");
  auto before = env().count("SELECT count(*) AS n FROM cases");

  auto bad =
      http().post("/api/v1/cases/batch",
                  {{"cases", json::array({row(homes->i64("a"), {{"case_type", "small"}}),
                                          row(homes->i64("b"), {{"category_id", 999999}})})}},
                  t);
  EXPECT_EQ(bad.status, 422) << bad.body;
  std::set<std::string> fields;
  auto errors = bad.json()["errors"];
  for (const auto& e : errors) fields.insert(e["field"]);
  EXPECT_TRUE(fields.count("cases[0].case_type") && fields.count("cases[1].category_id"))
      << bad.body;
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM cases"), before);

  auto ok = http().post("/api/v1/cases/batch",
                        {{"cases", json::array({row(homes->i64("a")), row(homes->i64("b"))})}}, t);
  ASSERT_EQ(ok.status, 201) << ok.body;
  auto created = ok.json()["created"];
  ASSERT_EQ(created.size(), 2u);
  // Each case sits at its own household's place in the tree (scopes and KPIs read it).
  for (std::size_t i = 0; i < 2; ++i) {
    auto household = i == 0 ? homes->i64("a") : homes->i64("b");
    EXPECT_EQ(created[i]["address"], address(household));
    auto paths = env().db->one(
        "SELECT c.node_path AS c, h.node_path AS h FROM cases c, households h WHERE c.id = $1 "
        "AND h.id = $2",
        {created[i]["id"].get<std::int64_t>(), household});
    ASSERT_TRUE(paths);
    EXPECT_EQ(paths->str("c"), paths->str("h")) << i;
  }
  EXPECT_EQ(created[0]["channel"], "meeting");
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM cases"), before + 2);
}

TEST_P(CasesApiTest, PhotosAreStoredByHashAndShownInScope) {
  // A 1×1 PNG.
  const unsigned char png[] = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00,
                               0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                               0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89};
  std::string bytes(reinterpret_cast<const char*>(png), sizeof png);
  auto up = http().request("POST", "/api/v1/blobs", bytes, tok("resident"),
                           {{"content-type", "image/png"}});
  ASSERT_EQ(up.status, 201) << up.body;
  auto sha = up.json()["sha256"].get<std::string>();
  EXPECT_EQ(sha.size(), 64u);
  auto again = http().request("POST", "/api/v1/blobs", bytes, tok("resident"),
                              {{"content-type", "image/png"}});
  EXPECT_EQ(again.json()["sha256"], sha);
  auto c = report("resident", "env.hallway", {{"photos", {sha}}});
  ASSERT_EQ(c["photos"].size(), 1u);
  auto img = http().get("/api/v1/blobs/" + sha, tok("community_staff"));
  ASSERT_EQ(img.status, 200);
  EXPECT_EQ(img.body, bytes);
  EXPECT_EQ(img.header("content-type"), "image/png");
  // A photo never changes under its hash: the browser keeps it for a day
  // instead of downloading it on every view of the case.
  EXPECT_EQ(img.header("cache-control"), "private, max-age=86400");
  auto refused = http().get("/api/v1/blobs/" + sha, tok("department_staff"));
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(refused.header("cache-control"), "no-store");
  auto page = http().get("/api/v1/cases/" + std::to_string(c["id"].get<std::int64_t>()),
                         tok("community_staff"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("cache-control"), "no-store");
}

TEST_P(CasesApiTest, GridWorkerSeesOnlyItsGrid) {
  auto grid = env().path_of(env().accounts["grid_worker"].node);
  auto community = env().path_of(env().accounts["community_staff"].node);
  // A household in the same community but another grid.
  auto other = env().db->one(
      "SELECT min(id) AS id FROM households WHERE node_path >= $1 AND node_path < $2 AND NOT "
      "(node_path >= $3 AND node_path < $4)",
      {community, linli::auth::subtree_end(community), grid, linli::auth::subtree_end(grid)});
  auto next_door = report("community_staff", "env.garbage", {{"household_id", other->i64("id")}});
  auto mine = report("community_staff", "env.garbage");
  auto g = tok("grid_worker");
  auto next_id = std::to_string(next_door["id"].get<std::int64_t>());
  EXPECT_EQ(http().get("/api/v1/cases/" + next_id, g).status, 404);
  EXPECT_EQ(http().post("/api/v1/cases/" + next_id + "/actions/accept", json::object(), g).status,
            404);
  EXPECT_EQ(http().get("/api/v1/cases/" + std::to_string(mine["id"].get<std::int64_t>()), g).status,
            200);
  auto list = http().get("/api/v1/cases?limit=200&state=open", g).json();
  auto items = list["items"];
  bool saw_mine = false;
  for (const auto& c : items) {
    auto path =
        env().db->one("SELECT node_path FROM cases WHERE id = $1", {c["id"].get<std::int64_t>()});
    EXPECT_TRUE(linli::auth::in_subtree(path->str("node_path"), grid)) << c["code"];
    if (c["id"] == mine["id"]) saw_mine = true;
  }
  EXPECT_TRUE(saw_mine);
  auto csv = http().get("/api/v1/cases/export?format=csv", g);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.find(next_door["code"].get<std::string>()), std::string::npos);
  EXPECT_EQ(
      http()
          .get("/api/v1/cases/kpis?node=" + std::to_string(env().accounts["community_staff"].node),
               g)
          .status,
      404);
  auto queue = http().get("/api/v1/cases/queue", g).json();
  auto queued = queue["items"];
  for (const auto& c : queued) EXPECT_NE(c["id"], next_door["id"]);
}

TEST_P(CasesApiTest, MapPointIsLocatedToItsGrid) {
  auto map = http().get("/api/v1/map/grids", tok("resident"));
  ASSERT_EQ(map.status, 200) << map.body;
  auto fc = map.json();
  EXPECT_EQ(fc["type"], "FeatureCollection");
  ASSERT_FALSE(fc["features"].empty());
  // Every grid with a boundary, named with its community (written as text
  // with the stored boundaries copied in: org::OrgService::grid_map).
  auto grids = env().db->query(
      "SELECT g.id, g.name, c.id AS community_id, c.name AS community FROM nodes g JOIN nodes c "
      "ON c.id = g.parent_id WHERE g.kind = 'grid' AND g.boundary IS NOT NULL ORDER BY g.id");
  ASSERT_TRUE(grids) << grids.error().detail;
  ASSERT_EQ(fc["features"].size(), grids->size());
  for (std::size_t i = 0; i < grids->size(); ++i) {
    const auto& f = fc["features"][i];
    const auto& g = (*grids)[i];
    EXPECT_EQ(f["type"], "Feature");
    EXPECT_EQ(f["id"], g.i64("id"));
    EXPECT_EQ(f["geometry"]["type"], "Polygon");
    EXPECT_EQ(f["properties"], (nlohmann::json{{"id", g.i64("id")},
                                               {"name", g.str("name")},
                                               {"community_id", g.i64("community_id")},
                                               {"community", g.str("community")}}));
  }
  // The centre of a grid's polygon lies in that grid: a report there lands in it.
  auto feature = fc["features"][0];
  auto [lng, lat] = centre_of(feature["geometry"]["coordinates"][0]);
  auto r = http().post("/api/v1/cases",
                       {{"title", "路灯不亮"},
                        {"description", "小区门口路灯坏了"},
                        {"category_id", leaf_category("repair.light")},
                        {"lat", lat},
                        {"lng", lng}},
                       tok("resident"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["node_id"], feature["properties"]["id"]);
  auto far = http().post("/api/v1/cases",
                         {{"title", "路灯不亮"},
                          {"description", "路灯坏了"},
                          {"category_id", leaf_category("repair.light")},
                          {"lat", 10.0},
                          {"lng", 10.0}},
                         tok("resident"));
  EXPECT_EQ(far.status, 422) << "a point outside every grid is refused with a reason";
}

// The case page (written as text since session 22) says what the stored
// case holds, member for member: to the staff it shows everything, to the
// reporter the public story with "我" and "工作人员" for the actors.
TEST_P(CasesApiTest, DetailStatesTheStoredCase) {
  // A point in a grid of the community worker's community, so that a
  // resident's report from there is theirs to handle.
  auto community = env().accounts["community_staff"].node;
  auto fc = http().get("/api/v1/map/grids", tok("resident")).json();
  std::optional<json> ring;
  for (const auto& f : fc["features"])
    if (f["properties"]["community_id"] == community) ring = f["geometry"]["coordinates"][0];
  ASSERT_TRUE(ring) << "the demo community has a mapped grid";
  auto [lng, lat] = centre_of(*ring);
  auto r = http().post("/api/v1/cases",
                       {{"title", "路灯不亮 \"三号楼\""},
                        {"description", "小区门口路灯坏了\n晚上看不清路"},
                        {"category_id", leaf_category("repair.light")},
                        {"lat", lat},
                        {"lng", lng}},
                       tok("resident"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = r.json()["id"].get<std::int64_t>();
  ASSERT_EQ(act(id, "accept", "community_staff").status, 200);
  ASSERT_EQ(act(id, "comment", "community_staff", {{"note", "内部：先联系物业"}}).status, 200);
  ASSERT_EQ(
      act(id, "comment", "community_staff", {{"note", "已安排维修"}, {"public", true}}).status,
      200);

  auto row = env().db->one("SELECT * FROM cases WHERE id = $1", {id});
  ASSERT_TRUE(row) << row.error().detail;
  auto instant = [&](const char* col) -> json {
    auto v = row->opt_i64(col);
    return v ? json(linli::clock::iso(*v)) : json(nullptr);
  };
  auto id_or_null = [&](const char* col) -> json {
    auto v = row->opt_i64(col);
    return v && *v ? json(*v) : json(nullptr);
  };
  auto events = env().db->query(
      "SELECT e.*, o.name AS org_name FROM case_events e LEFT JOIN orgs o ON o.id = e.org_id "
      "WHERE e.case_id = $1 ORDER BY e.id",
      {id});
  ASSERT_TRUE(events);
  const auto reporter = row->i64("reporter_user_id");

  for (const std::string role : {"community_staff", "resident"}) {
    SCOPED_TRACE(role);
    const bool staff = role == "community_staff";
    auto page = http().get("/api/v1/cases/" + std::to_string(id), tok(role));
    ASSERT_EQ(page.status, 200) << page.body;
    auto d = page.json();
    ASSERT_TRUE(d.is_object()) << page.body;
    // Every member a page has had (nlohmann lists them in byte order).
    std::string keys;
    for (const auto& [k, v] : d.items()) keys += k + " ";
    EXPECT_EQ(
        keys,
        "accept_due actions address anonymous case_type case_type_name category_id category_name "
        "channel channel_name close_reason closed_at code contact_due contacted_at created_at "
        "description escalation_count handler_org_id handler_user_id household_id id lat level "
        "level_name lng merged_into_id near_due node_id overdue photos rating rating_comment "
        "rating_name rating_solved reporter resolve_due resolved_at rework_count state state_name "
        "timeline title urgency urgency_name whistled whistles ");
    EXPECT_EQ(d["id"], id);
    EXPECT_EQ(d["title"], row->str("title"));
    EXPECT_EQ(d["description"], row->str("description"));
    EXPECT_EQ(d["state"], row->str("state"));
    EXPECT_EQ(d["level"], row->str("level"));
    EXPECT_EQ(d["node_id"], row->i64("node_id"));
    EXPECT_EQ(d["anonymous"], row->i64("anonymous") != 0);
    EXPECT_EQ(d["household_id"], id_or_null("household_id"));
    EXPECT_DOUBLE_EQ(d["lat"].get<double>(), row->f64("lat"));
    EXPECT_DOUBLE_EQ(d["lng"].get<double>(), row->f64("lng"));
    EXPECT_EQ(d["handler_user_id"], id_or_null("handler_user_id"));
    EXPECT_EQ(d["handler_org_id"], id_or_null("handler_org_id"));
    EXPECT_EQ(d["merged_into_id"], id_or_null("merged_into_id"));
    for (const char* col : {"created_at", "accept_due", "contact_due", "contacted_at",
                            "resolve_due", "resolved_at", "closed_at"})
      EXPECT_EQ(d[col], instant(col)) << col;
    EXPECT_FALSE(d["contact_due"].is_null()) << "an accepted case has a time to call the resident";
    EXPECT_EQ(d["close_reason"], row->str("close_reason"));
    EXPECT_EQ(d["rating"], row->str("rating"));
    EXPECT_EQ(d["rating_solved"], nullptr);
    EXPECT_EQ(d["rework_count"], row->i64("rework_count"));
    EXPECT_EQ(d["escalation_count"], row->i64("escalation_count"));
    EXPECT_EQ(d["photos"], json::array());
    EXPECT_EQ(d["whistles"], json::array());
    // Staff and the reporter see who reported; the phone only masked.
    EXPECT_EQ(d["reporter"], (json{{"name", row->str("reporter_name")},
                                   {"phone_masked", row->str("reporter_phone_mask")}}));
    if (staff)
      EXPECT_FALSE(d["actions"].empty()) << "staff may act on the case they accepted";
    else
      EXPECT_EQ(d["actions"], json::array()) << "nothing for the resident to do yet";

    json want = json::array();
    for (const auto& e : *events) {
      if (!staff && !e.i64("public")) continue;
      auto actor = staff                                ? e.str("actor_name")
                   : e.i64("actor_user_id") == reporter ? std::string("我")
                                                        : std::string("工作人员");
      want.push_back({{"at", linli::clock::iso(e.i64("at"))},
                      {"actor", actor},
                      {"public", e.i64("public") != 0},
                      {"action", e.str("action")},
                      {"action_name", linli::cases::action_name(e.str("action"))},
                      {"from_state", e.str("from_state")},
                      {"to_state", e.str("to_state")},
                      {"from_level", e.str("from_level")},
                      {"to_level", e.str("to_level")},
                      {"note", e.str("note")},
                      {"org", e.str("org_name")}});
    }
    EXPECT_EQ(d["timeline"], want);
    bool internal_note = false;
    for (const auto& e : d["timeline"])
      if (e["note"] == "内部：先联系物业") internal_note = true;
    EXPECT_EQ(internal_note, staff) << "an internal note stays with the staff";
  }
}

INSTANTIATE_TEST_SUITE_P(Store, CasesApiTest, ::testing::ValuesIn(store_kinds()), store_param_name);

}  // namespace
