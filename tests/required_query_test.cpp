// Routes that cannot answer without an id in the query (the community whose
// settings, ledger or honours to show) say so with a 400 naming the
// parameter, over real HTTP on every store: not a 404 for community 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "api_env.hpp"
#include "cases/model.hpp"

using linli::test::ApiEnv;
using linli::test::HttpResult;

namespace {

class RequiredQueryTest : public StoreParamTest {
 protected:
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  HttpResult call(const std::string& method, const std::string& target, const std::string& role) {
    std::map<std::string, std::string> headers;
    std::string body;
    if (method != "GET") {
      body = "{}";
      headers["content-type"] = "application/json";
    }
    return env().client->request(method, target, body, env().token(role), headers);
  }
  std::string community() { return std::to_string(env().accounts["community_staff"].node); }
  std::string street() {
    return std::to_string(env()
                              .db
                              ->one("SELECT parent_id FROM nodes WHERE id = $1",
                                    {env().accounts["community_staff"].node})
                              ->i64("parent_id"));
  }
  // A 400 problem whose detail and field error name `key`.
  void expect_names(const HttpResult& r, const std::string& key, const std::string& what) {
    EXPECT_EQ(r.status, 400) << what << " → " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json; charset=utf-8") << what;
    auto j = r.json();
    EXPECT_EQ(j["status"], 400) << what;
    EXPECT_NE(j.value("detail", "").find("（" + key + "）"), std::string::npos)
        << what << " → " << r.body;
    ASSERT_TRUE(j["errors"].is_array() && j["errors"].size() == 1) << what << " → " << r.body;
    EXPECT_EQ(j["errors"][0]["field"], key) << what;
  }
};

TEST_P(RequiredQueryTest, RoutesNeedingAnIdAnswer400WithoutItAndAnswerWithIt) {
  struct Case {
    std::string method, target, role, key;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/points/settings", "community_staff", "community"},
      {"PUT", "/api/v1/points/settings", "community_staff", "community"},
      {"PUT", "/api/v1/points/rules", "community_staff", "community"},
      {"GET", "/api/v1/points/rankings?period=2026-01", "community_staff", "community"},
      {"GET", "/api/v1/points/honours?year=2026", "community_staff", "community"},
      {"GET", "/api/v1/points/ledger", "community_staff", "community"},
      {"GET", "/api/v1/points/ledger/export?format=csv", "community_staff", "community"},
      {"GET", "/api/v1/points/redemptions?state=ordered", "community_staff", "org"},
      // Staff have no balance of their own: they name the resident.
      {"GET", "/api/v1/points/balance", "community_staff", "resident"},
      {"GET", "/api/v1/export/residents?format=csv", "grid_worker", "node"},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.target, c.role);
    expect_names(r, c.key, c.method + " " + c.target);
    auto j = r.json();
    EXPECT_NE(j.value("detail", "").find("请指定"), std::string::npos) << r.body;
  }
  // An empty value is no value.
  expect_names(call("GET", "/api/v1/points/settings?community=", "community_staff"), "community",
               "empty community");

  // Given their id, or where none is needed, they answer.
  auto staff = "community_staff";
  EXPECT_EQ(call("GET", "/api/v1/points/settings?community=" + community(), staff).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/points/ledger?community=" + community(), staff).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/points/honours?community=" + community(), staff).status, 200);
  // A resident's own balance needs no id.
  auto mine = call("GET", "/api/v1/points/balance", "resident");
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(mine.json()["resident_id"],
            env().count("SELECT resident_id AS n FROM users WHERE username = $1",
                        {env().accounts["resident"].username}));
  // Optional filters stay optional: the city's rules, the caller's deeds,
  // objections and shop items.
  for (const auto* path : {"/api/v1/points/rules", "/api/v1/points/deeds",
                           "/api/v1/points/objections", "/api/v1/points/items"}) {
    auto r = call("GET", path, staff);
    EXPECT_EQ(r.status, 200) << path << " → " << r.body.substr(0, 200);
  }
}

TEST_P(RequiredQueryTest, AnIdThatIsNotAWholeNumberIs400TooAndAnUnknownOneStays404) {
  for (const std::string bad : {"abc", "0", "-3", "12x", "%2B5"}) {
    auto r = call("GET", "/api/v1/points/settings?community=" + bad, "community_staff");
    expect_names(r, "community", "community=" + bad);
    EXPECT_NE(r.json().value("detail", "").find("正整数"), std::string::npos) << r.body;
  }
  expect_names(call("GET", "/api/v1/points/rankings?period=2026-01&street=x", "street_center"),
               "street", "street=x");
  expect_names(call("GET", "/api/v1/export/residents?format=csv&node=abc", "grid_worker"), "node",
               "node=abc");
  // A well-formed id of no community (or one outside the caller's scope) is
  // still not found: the parameter was given, the record is not there.
  EXPECT_EQ(call("GET", "/api/v1/points/settings?community=999999999", "community_staff").status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/points/ledger?community=999999999", "community_staff").status,
            404);
}

// An optional id filter that is not an id is refused the same way, not read
// as "no filter": the list would otherwise answer with every case the
// caller may see as if they had asked for one category.
TEST_P(RequiredQueryTest, AnOptionalIdFilterThatIsNotAnIdIs400NotNoFilter) {
  struct Case {
    std::string target, role, key;
  };
  const std::vector<Case> cases = {
      {"/api/v1/cases?category=abc", "community_staff", "category"},
      {"/api/v1/cases?node=0", "community_staff", "node"},
      {"/api/v1/cases?org=-1", "community_staff", "org"},
      {"/api/v1/cases/export?format=csv&category=1x", "community_staff", "category"},
      {"/api/v1/points/rules?community=x", "community_staff", "community"},
      {"/api/v1/points/deeds?community=" + community() + "&resident=abc", "community_staff",
       "resident"},
      {"/api/v1/points/objections?community=2.5", "community_staff", "community"},
      {"/api/v1/points/items?community=%2B1", "community_staff", "community"},
      {"/api/v1/points/honours?community=" + community() + "&year=soon", "community_staff", "year"},
      {"/api/v1/points/ledger?community=" + community() + "&resident=r1", "community_staff",
       "resident"},
      // Required, and named: the place and the category a new case is checked against.
      {"/api/v1/cases/duplicates?category_id=1&text=x", "community_staff", "node_id"},
      {"/api/v1/cases/duplicates?node_id=1&category_id=y&text=x", "community_staff", "category_id"},
  };
  for (const auto& c : cases) expect_names(call("GET", c.target, c.role), c.key, c.target);
  // Absent or left blank, they are no filter; well-formed, they filter.
  auto all = call("GET", "/api/v1/cases?limit=200", "community_staff");
  ASSERT_EQ(all.status, 200) << all.body;
  auto blank = call("GET", "/api/v1/cases?limit=200&category=", "community_staff");
  ASSERT_EQ(blank.status, 200) << blank.body;
  EXPECT_EQ(blank.json()["items"], all.json()["items"]);
  auto category = all.json()["items"].at(0)["category_id"].get<std::int64_t>();
  auto one = call("GET", "/api/v1/cases?limit=200&category=" + std::to_string(category),
                  "community_staff");
  ASSERT_EQ(one.status, 200) << one.body;
  // Held in a variable: a range-for over json()["items"] would walk the
  // members of a temporary already destroyed (g++ 12 keeps only the
  // outermost temporary of the range alive).
  const auto items = one.json()["items"];
  EXPECT_FALSE(items.empty());
  for (const auto& item : items) EXPECT_EQ(item["category_id"], category) << item.dump();
  EXPECT_EQ(call("GET", "/api/v1/points/rules?community=" + community(), "community_staff").status,
            200);
}

// A filter that takes one of a few values (a state, a level, a month) and is
// given anything else is refused and named, not answered with an empty list
// as if nothing were in state "opne".
TEST_P(RequiredQueryTest, AFilterValueThatIsNotOneOfItsValuesIs400NotAnEmptyList) {
  const auto c = community();
  struct Case {
    std::string target, role, key;
  };
  const std::vector<Case> cases = {
      {"/api/v1/cases?state=opne", "community_staff", "state"},
      {"/api/v1/cases?level=village", "community_staff", "level"},
      {"/api/v1/cases?type=small", "community_staff", "type"},
      {"/api/v1/cases?urgency=URGENT", "community_staff", "urgency"},
      {"/api/v1/cases?channel=fax", "community_staff", "channel"},
      {"/api/v1/cases/export?format=csv&state=x", "community_staff", "state"},
      {"/api/v1/points/deeds?community=" + c + "&state=done", "community_staff", "state"},
      {"/api/v1/points/deeds?community=" + c + "&month=2026-13", "community_staff", "month"},
      {"/api/v1/points/redemptions?org=1&state=lost", "community_staff", "state"},
      {"/api/v1/points/rankings?community=" + c + "&period=abcd", "community_staff", "period"},
      {"/api/v1/points/rankings?community=" + c + "&period=2026-1x", "community_staff", "period"},
      {"/api/v1/cases/export?format=pdf", "community_staff", "format"},
      {"/api/v1/export/residents?node=" + c + "&format=xls", "community_staff", "format"},
      {"/api/v1/points/ledger/export?community=" + c + "&format=pdf", "community_staff", "format"},
      {"/api/v1/points/ledger?community=" + c + "&month=2026-13", "community_staff", "month"},
      {"/api/v1/points/ledger?community=" + c + "&kind=gift", "community_staff", "kind"},
      {"/api/v1/audit?user=me", "admin", "user"},
      {"/api/v1/audit?node=1x", "admin", "node"},
      {"/api/v1/residents?node=5abc", "community_staff", "node"},
      {"/api/v1/nodes?parent=x", "community_staff", "parent"},
  };
  for (const auto& x : cases) expect_names(call("GET", x.target, x.role), x.key, x.target);
  // The detail lists what the parameter takes, so the caller can fix it.
  auto state = call("GET", "/api/v1/cases?state=opne", "community_staff").json();
  EXPECT_NE(state.value("detail", "").find("in_progress"), std::string::npos) << state.dump();

  // Each value the UI offers still filters; blank is no filter.
  for (const std::string s : {"open", "done", "closed", "submitted"}) {
    auto r = call("GET", "/api/v1/cases?limit=200&state=" + s, "community_staff");
    ASSERT_EQ(r.status, 200) << s << " → " << r.body;
    const auto items = r.json()["items"];
    const auto& open = linli::cases::kOpenStates;
    for (const auto& item : items) {
      const auto got = item["state"].get<std::string>();
      const bool is_open = std::ranges::find(open, got) != open.end();
      if (s == "open")
        EXPECT_TRUE(is_open) << got;
      else if (s == "done")
        EXPECT_FALSE(is_open) << got;
      else
        EXPECT_EQ(got, s);
    }
  }
  auto all = call("GET", "/api/v1/cases?limit=200", "community_staff");
  auto blank = call("GET", "/api/v1/cases?limit=200&state=&level=&channel=", "community_staff");
  ASSERT_EQ(blank.status, 200) << blank.body;
  EXPECT_EQ(blank.json()["items"], all.json()["items"]);
  auto urgent = call("GET", "/api/v1/cases?limit=200&urgency=urgent", "community_staff");
  ASSERT_EQ(urgent.status, 200) << urgent.body;
  const auto urgent_items = urgent.json()["items"];
  for (const auto& item : urgent_items) EXPECT_EQ(item["urgency"], "urgent") << item.dump();
  EXPECT_EQ(call("GET", "/api/v1/points/deeds?community=" + c + "&state=pending&month=2026-11",
                 "community_staff")
                .status,
            200);
  EXPECT_EQ(
      call("GET", "/api/v1/points/rankings?community=" + c + "&period=2026", "community_staff")
          .status,
      200);
}

TEST_P(RequiredQueryTest, RankingsTakeAStreetOrACommunityAndSayWhichWhenNeither) {
  auto period = "&period=2026-01";
  auto by_community =
      call("GET", "/api/v1/points/rankings?community=" + community() + period, "community_staff");
  ASSERT_EQ(by_community.status, 200) << by_community.body;
  auto by_street =
      call("GET", "/api/v1/points/rankings?street=" + street() + period, "street_center");
  ASSERT_EQ(by_street.status, 200) << by_street.body;
  EXPECT_EQ(by_street.json()["scope"], "street");

  auto neither = call("GET", "/api/v1/points/rankings?period=2026-01", "street_center");
  expect_names(neither, "community", "neither");
  auto detail = neither.json().value("detail", "");
  EXPECT_NE(detail.find("street"), std::string::npos) << detail;
}

TEST_P(RequiredQueryTest, OpenApiMarksTheRequiredParameters) {
  auto doc = env().client->get("/api/v1/openapi.json").json();
  auto required = [&](const std::string& path, const std::string& method,
                      const std::string& name) -> std::optional<bool> {
    for (const auto& p : doc["paths"][path][method]["parameters"])
      if (p["name"] == name && p["in"] == "query") return p.value("required", false);
    return std::nullopt;
  };
  EXPECT_EQ(required("/api/v1/points/settings", "get", "community"), true);
  EXPECT_EQ(required("/api/v1/points/settings", "put", "community"), true);
  EXPECT_EQ(required("/api/v1/points/rules", "put", "community"), true);
  EXPECT_EQ(required("/api/v1/points/ledger", "get", "community"), true);
  EXPECT_EQ(required("/api/v1/points/honours", "get", "community"), true);
  EXPECT_EQ(required("/api/v1/points/redemptions", "get", "org"), true);
  EXPECT_EQ(required("/api/v1/export/residents", "get", "node"), true);
  EXPECT_EQ(required("/api/v1/export/residents", "get", "format"), false);
  EXPECT_EQ(required("/api/v1/cases/duplicates", "get", "text"), true);
  EXPECT_EQ(required("/api/v1/points/rules", "get", "community"), false);
  EXPECT_EQ(required("/api/v1/points/ledger", "get", "resident"), false);
  // Either of the two will do, so neither is required on its own.
  EXPECT_EQ(required("/api/v1/points/rankings", "get", "community"), false);
  EXPECT_EQ(required("/api/v1/points/rankings", "get", "street"), false);
}

// The OpenAPI document lists what an enumerated filter takes and the form of
// a month, and the server agrees with it: every listed value is taken, and a
// sample value is taken exactly when the document's pattern matches it.
TEST_P(RequiredQueryTest, OpenApiListsEachFiltersValuesAndTheServerTakesThem) {
  const auto c = community();
  auto doc = env().client->get("/api/v1/openapi.json").json();
  auto schema = [&](const std::string& path, const std::string& name) {
    for (const auto& p : doc["paths"][path]["get"]["parameters"])
      if (p["name"] == name && p["in"] == "query") return p["schema"];
    ADD_FAILURE() << path << " does not document " << name;
    return nlohmann::json::object();
  };
  auto takes = [&](const std::string& target, const std::string& role) {
    auto r = call("GET", target, role);
    EXPECT_NE(r.status, 500) << target << " → " << r.body;
    return r.status != 400;
  };
  struct Enumerated {
    std::string path, name, query, role;
    std::vector<std::string> must_list;
  };
  const std::vector<Enumerated> enumerated = {
      {"/api/v1/cases", "state", "?limit=5", "community_staff", {"open", "done", "in_progress"}},
      {"/api/v1/cases", "level", "?limit=5", "community_staff", linli::cases::kLevels},
      {"/api/v1/cases", "type", "?limit=5", "community_staff", linli::cases::kTypes},
      {"/api/v1/cases", "urgency", "?limit=5", "community_staff", linli::cases::kUrgencies},
      {"/api/v1/cases", "channel", "?limit=5", "community_staff", linli::cases::kChannels},
      {"/api/v1/points/deeds", "state", "?community=" + c, "community_staff", {"pending"}},
      {"/api/v1/points/redemptions", "state", "?org=1", "community_staff", {"ordered"}},
      {"/api/v1/cases/export", "format", "?state=open", "community_staff", {"csv", "xlsx"}},
      {"/api/v1/points/ledger/export", "format", "?community=" + c, "community_staff", {"csv"}},
      {"/api/v1/points/ledger", "kind", "?community=" + c, "community_staff", {"award", "redeem"}},
      {"/api/v1/points/ledger/export",
       "kind",
       "?format=csv&community=" + c,
       "community_staff",
       {"expiry"}},
      {"/api/v1/export/residents", "format", "?node=" + c, "community_staff", {"csv", "xlsx"}},
  };
  for (const auto& e : enumerated) {
    const auto values = schema(e.path, e.name).value("enum", std::vector<std::string>{});
    for (const auto& v : e.must_list)
      EXPECT_NE(std::ranges::find(values, v), values.end()) << e.path << " " << e.name << " " << v;
    for (const auto& v : values) {
      EXPECT_TRUE(takes(e.path + e.query + "&" + e.name + "=" + v, e.role)) << e.name << "=" << v;
      EXPECT_FALSE(takes(e.path + e.query + "&" + e.name + "=" + v + "x", e.role)) << v << "x";
    }
  }
  struct Patterned {
    std::string path, name, query;
    std::vector<std::string> samples;
  };
  const std::vector<Patterned> patterned = {
      {"/api/v1/points/deeds",
       "month",
       "?community=" + c,
       {"2026-11", "2026-13", "2026-1", "26-11"}},
      {"/api/v1/points/ledger", "month", "?community=" + c, {"2026-11", "2026-00", "2026-1"}},
      {"/api/v1/points/rankings",
       "period",
       "?community=" + c,
       {"2026", "2026-01", "2026-00", "abcd", "2026-1x", "20261"}},
  };
  for (const auto& x : patterned) {
    const std::regex form(schema(x.path, x.name).value("pattern", std::string("^$")));
    for (const auto& v : x.samples)
      EXPECT_EQ(takes(x.path + x.query + "&" + x.name + "=" + v, "community_staff"),
                std::regex_search(v, form))
          << x.name << "=" << v;
  }
}

LINLI_STORE_TESTS(RequiredQueryTest);

}  // namespace
