// Open311 GeoReport v2 over real HTTP on every store: services, filing a
// request with an api_key (by node, address text and map point), the case in
// the native API, reading requests back in JSON and XML, tokens, errors,
// discovery.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "api_env.hpp"
#include "auth/principal.hpp"
#include "core/clock.hpp"
#include "open311/keys.hpp"

using linli::test::ApiEnv;
using nlohmann::json;

namespace {

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    for (const auto* s : {&k, &v}) {
      for (unsigned char c : *s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += '%';
          out += hex[c >> 4];
          out += hex[c & 15];
        }
      }
      if (s == &k) out += '=';
    }
  }
  return out;
}

// Well-formed enough: one root, every tag closed in order, no stray '<' or
// '&' in text. Returns the root element's name, or "" when broken.
std::string xml_root(const std::string& doc) {
  std::size_t i = 0;
  if (doc.starts_with("<?xml")) i = doc.find("?>") + 2;
  std::vector<std::string> stack;
  std::string root;
  while (i < doc.size()) {
    if (doc[i] == '<') {
      auto end = doc.find('>', i);
      if (end == std::string::npos) return "";
      auto tag = doc.substr(i + 1, end - i - 1);
      if (tag.empty()) return "";
      if (tag.back() == '/') {
        if (stack.empty()) return "";
      } else if (tag[0] == '/') {
        if (stack.empty() || stack.back() != tag.substr(1)) return "";
        stack.pop_back();
        if (stack.empty() && doc.find('<', end) != std::string::npos) return "";
      } else {
        if (tag.find_first_of(" <&\"'") != std::string::npos) return "";
        if (stack.empty()) {
          if (!root.empty()) return "";
          root = tag;
        }
        stack.push_back(tag);
      }
      i = end + 1;
    } else if (doc[i] == '&') {
      auto end = doc.find(';', i);
      if (end == std::string::npos) return "";
      auto ent = doc.substr(i, end - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;")
        return "";
      i = end + 1;
    } else {
      ++i;
    }
  }
  return stack.empty() ? root : "";
}

class Open311Test : public StoreParamTest {
 protected:
  void SetUp() override { StoreParamTest::SetUp(); }
  ApiEnv& env() { return ApiEnv::get(GetParam()); }
  const linli::test::HttpClient& http() { return *env().client; }
  std::string key() {
    auto k = linli::open311::add_key(*env().db, "test");
    EXPECT_TRUE(k) << k.error().detail;
    return k.value_or("");
  }
  linli::test::HttpResult post(const std::vector<std::pair<std::string, std::string>>& fields,
                               const std::string& ext = "json") {
    return http().request("POST", "/open311/v2/requests." + ext, form_encode(fields), "",
                          {{"content-type", "application/x-www-form-urlencoded"}});
  }
  std::int64_t grid() { return env().accounts["grid_worker"].node; }
  std::int64_t building_in_grid() {
    return env()
        .db
        ->one(
            "SELECT min(id) AS id FROM nodes WHERE parent_id = $1 AND kind = "
            "'building'",
            {grid()})
        ->i64("id");
  }
  std::string name_of(std::int64_t node) {
    return env().db->one("SELECT name FROM nodes WHERE id = $1", {node})->str("name");
  }
  // Files a request at the demo grid's first building; returns its JSON answer.
  json file(const std::string& api_key, const std::string& description) {
    auto r = post({{"api_key", api_key},
                   {"service_code", "env.garbage"},
                   {"address_id", std::to_string(building_in_grid())},
                   {"description", description}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  static void expect_error(const linli::test::HttpResult& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
    auto j = r.json();
    ASSERT_TRUE(j.is_array()) << r.body;
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["code"], status);
    EXPECT_TRUE(j[0]["description"].is_string());
    EXPECT_FALSE(j[0]["description"].get<std::string>().empty());
  }
};

TEST_P(Open311Test, KeysAreHashedAndRevocable) {
  auto k = key();
  EXPECT_EQ(k.size(), 43u);
  EXPECT_EQ(env().count("SELECT count(*) AS n FROM api_keys WHERE key_hash = $1", {k}), 0);
  auto id = linli::open311::check_key(*env().db, k);
  ASSERT_TRUE(id) << id.error().detail;
  EXPECT_FALSE(linli::open311::check_key(*env().db, k + "x"));
  EXPECT_FALSE(linli::open311::check_key(*env().db, ""));
  ASSERT_TRUE(env().db->write([&](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec("UPDATE api_keys SET revoked_at = 1 WHERE id = $1", {*id});
    if (!r) return linli::fail(r.error());
    return {};
  }));
  auto revoked = linli::open311::check_key(*env().db, k);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().kind, linli::ErrorKind::forbidden);
  // A revoked key files nothing.
  expect_error(post({{"api_key", k}, {"service_code", "env.garbage"}, {"address_id", "1"}}), 403);
  EXPECT_FALSE(linli::open311::add_key(*env().db, ""));
}

TEST_P(Open311Test, ServicesAreTheLeafCategories) {
  auto r = http().get("/open311/v2/services.json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  auto list = r.json();
  ASSERT_TRUE(list.is_array());
  ASSERT_GE(list.size(), 10u);
  bool garbage = false;
  for (const auto& s : list) {
    ASSERT_TRUE(s["service_code"].is_string()) << s;
    EXPECT_TRUE(s["service_name"].is_string());
    EXPECT_TRUE(s["description"].is_string());
    EXPECT_EQ(s["metadata"], false);
    EXPECT_EQ(s["type"], "realtime");
    EXPECT_TRUE(s["keywords"].is_string());
    EXPECT_TRUE(s["group"].is_string());
    EXPECT_NE(s["service_code"], "env") << "group categories are not services";
    if (s["service_code"] == "env.garbage") {
      garbage = true;
      EXPECT_EQ(s["service_name"], "垃圾清运");
      EXPECT_EQ(s["group"], "环境卫生");
    }
  }
  EXPECT_TRUE(garbage);

  auto x = http().get("/open311/v2/services.xml");
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(x.header("content-type"), "text/xml; charset=utf-8");
  EXPECT_TRUE(x.body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
  EXPECT_EQ(xml_root(x.body), "services") << x.body;
  EXPECT_NE(x.body.find("<service><service_code>"), std::string::npos);
  EXPECT_NE(x.body.find("<service_code>env.garbage</service_code>"), std::string::npos);
  EXPECT_NE(x.body.find("<metadata>false</metadata>"), std::string::npos);

  auto def = http().get("/open311/v2/services/env.garbage.json");
  ASSERT_EQ(def.status, 200) << def.body;
  EXPECT_EQ(def.json()["service_code"], "env.garbage");
  EXPECT_TRUE(def.json()["attributes"].is_array());
  auto defx = http().get("/open311/v2/services/env.garbage.xml");
  EXPECT_EQ(xml_root(defx.body), "service_definition") << defx.body;
  expect_error(http().get("/open311/v2/services/nope.json"), 404);
  auto nope_xml = http().get("/open311/v2/services/nope.xml");
  EXPECT_EQ(nope_xml.status, 404);
  EXPECT_EQ(xml_root(nope_xml.body), "errors") << nope_xml.body;
  EXPECT_NE(nope_xml.body.find("<error><code>404</code><description>"), std::string::npos);
  expect_error(http().get("/open311/v2/services/env.garbage.csv"), 404);
}

TEST_P(Open311Test, PostNeedsAValidKeyAndAForm) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"service_code", "env.garbage"}, {"address_id", std::to_string(building_in_grid())}};
  expect_error(post(fields), 403);
  auto x = post(fields, "xml");
  EXPECT_EQ(x.status, 403);
  EXPECT_EQ(x.header("content-type"), "text/xml; charset=utf-8");
  EXPECT_EQ(xml_root(x.body), "errors") << x.body;
  fields.push_back({"api_key", "not-a-key"});
  expect_error(post(fields), 403);
  // JSON bodies are not part of GeoReport v2.
  auto k = key();
  expect_error(
      http().post("/open311/v2/requests.json", {{"api_key", k}, {"service_code", "env.garbage"}}),
      400);
}

TEST_P(Open311Test, PostRefusesBadInput) {
  auto k = key();
  auto b = std::to_string(building_in_grid());
  // Unknown service_code: a bad form field, 400 (docs/OPEN311.md).
  expect_error(post({{"api_key", k}, {"service_code", "no.such"}, {"address_id", b}}), 400);
  expect_error(post({{"api_key", k}, {"address_id", b}}), 400);
  // No location at all, a location we cannot place, half a map point.
  expect_error(post({{"api_key", k}, {"service_code", "env.garbage"}, {"description", "x"}}), 400);
  auto nowhere =
      post({{"api_key", k}, {"service_code", "env.garbage"}, {"address_string", "火星基地七号楼"}});
  expect_error(nowhere, 400);
  EXPECT_NE(nowhere.body.find("address could not be located"), std::string::npos);
  expect_error(post({{"api_key", k}, {"service_code", "env.garbage"}, {"lat", "30.5"}}), 400);
  expect_error(post({{"api_key", k}, {"service_code", "env.garbage"}, {"address_id", "999999"}}),
               400);
  // A phone that is not a mainland mobile.
  auto phone = post(
      {{"api_key", k}, {"service_code", "env.garbage"}, {"address_id", b}, {"phone", "12345"}});
  expect_error(phone, 400);
  EXPECT_NE(phone.body.find("phone"), std::string::npos);
  expect_error(post({{"api_key", k},
                     {"service_code", "env.garbage"},
                     {"address_id", b},
                     {"media_url", "javascript:alert(1)"}}),
               400);
  expect_error(post({{"api_key", k},
                     {"service_code", "env.garbage"},
                     {"address_id", b},
                     {"description", std::string(2100, 'a')}}),
               400);
}

TEST_P(Open311Test, FiledRequestEntersTheClosedLoop) {
  auto k = key();
  auto building = building_in_grid();
  auto r = post({{"api_key", k},
                 {"service_code", "env.garbage"},
                 {"address_id", std::to_string(building)},
                 {"description",
                  "楼下垃圾桶已经满了三天，没有人清运，气味很大，请尽快处理。物业电话打不通。"},
                 {"first_name", "小明"},
                 {"last_name", "王"},
                 {"phone", "+86 139-0013-9000"},
                 {"email", "wang@example.com"},
                 {"media_url", "https://photos.example.com/a.jpg"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto answer = r.json();
  ASSERT_TRUE(answer.is_array());
  ASSERT_EQ(answer.size(), 1u);
  ASSERT_TRUE(answer[0]["service_request_id"].is_string()) << r.body;
  auto id = answer[0]["service_request_id"].get<std::string>();
  auto token = answer[0]["token"].get<std::string>();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_TRUE(answer[0]["account_id"].is_null());
  EXPECT_NE(answer[0]["service_notice"].get<std::string>().find("已登记为诉求 C"),
            std::string::npos);

  // The case in the native API, for the community's staff.
  auto staff = env().token("community_staff");
  auto c = http().get("/api/v1/cases/" + id, staff);
  ASSERT_EQ(c.status, 200) << c.body;
  auto cj = c.json();
  EXPECT_EQ(cj["channel"], "open311");
  EXPECT_EQ(cj["state"], "submitted");
  EXPECT_EQ(cj["node_id"], building);
  EXPECT_EQ(cj["category_name"], "垃圾清运");
  EXPECT_EQ(cj["title"], "楼下垃圾桶已经满了三天，没有人清运，气味很大，请尽快处理。物");
  EXPECT_NE(cj["description"].get<std::string>().find("https://photos.example.com/a.jpg"),
            std::string::npos);
  EXPECT_EQ(cj["reporter"]["name"], "王小明");
  EXPECT_EQ(cj["reporter"]["phone_masked"], "139****9000");
  EXPECT_EQ(cj["timeline"][0]["actor"], "open311:test");
  // Whoever accepts at that place hears of it.
  EXPECT_GE(
      env().count("SELECT count(*) AS n FROM notifications WHERE case_id = $1", {std::stoll(id)}),
      1);

  // Read back in Open311, without personal data.
  auto g = http().get("/open311/v2/requests.json?service_request_id=" + id);
  ASSERT_EQ(g.status, 200) << g.body;
  auto list = g.json();
  ASSERT_EQ(list.size(), 1u) << g.body;
  auto q = list[0];
  EXPECT_EQ(q["service_request_id"], id);
  EXPECT_EQ(q["status"], "open");
  EXPECT_EQ(q["service_code"], "env.garbage");
  EXPECT_EQ(q["service_name"], "垃圾清运");
  EXPECT_EQ(q["address_id"], std::to_string(building));
  EXPECT_TRUE(q["status_notes"].get<std::string>().starts_with("待受理"));
  for (const char* k : {"requested_datetime", "updated_datetime", "expected_datetime"}) {
    ASSERT_TRUE(q[k].is_string()) << k;
    auto t = q[k].get<std::string>();
    EXPECT_EQ(t.size(), 25u) << t;
    EXPECT_TRUE(t.ends_with("+08:00")) << t;
    EXPECT_EQ(t[10], 'T');
  }
  EXPECT_TRUE(q["lat"].is_number());
  EXPECT_TRUE(q["long"].is_number());
  EXPECT_EQ(g.body.find("王小明"), std::string::npos);
  EXPECT_EQ(g.body.find("13900139000"), std::string::npos);
  EXPECT_EQ(g.body.find("139****9000"), std::string::npos);
  EXPECT_EQ(g.body.find("wang@example.com"), std::string::npos);
  EXPECT_EQ(g.header("access-control-allow-origin"), "*");

  auto one = http().get("/open311/v2/requests/" + id + ".json");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()[0]["service_request_id"], id);
  expect_error(http().get("/open311/v2/requests/999999999.json"), 404);
  expect_error(http().get("/open311/v2/requests/abc.json"), 404);

  auto t = http().get("/open311/v2/tokens/" + token + ".json");
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.json()[0]["service_request_id"], id);
  EXPECT_EQ(t.json()[0]["token"], token);
  auto tx = http().get("/open311/v2/tokens/" + token + ".xml");
  EXPECT_EQ(xml_root(tx.body), "service_requests") << tx.body;
  expect_error(http().get("/open311/v2/tokens/nosuchtoken.json"), 404);

  auto x = http().get("/open311/v2/requests.xml?service_request_id=" + id);
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(xml_root(x.body), "service_requests") << x.body;
  EXPECT_NE(x.body.find("<request><service_request_id>" + id + "</service_request_id>"),
            std::string::npos);
  EXPECT_NE(x.body.find("<status>open</status>"), std::string::npos);

  // Filters: service_code, status, dates (with '+' sent unencoded, too).
  auto has = [&](const std::string& query) {
    auto res = http().get("/open311/v2/requests.json?" + query);
    EXPECT_EQ(res.status, 200) << query << " " << res.body;
    for (const auto& item : res.json())
      if (item["service_request_id"] == id) return true;
    return false;
  };
  EXPECT_TRUE(has(""));
  EXPECT_TRUE(has("service_code=env.garbage"));
  EXPECT_FALSE(has("service_code=property.lift"));
  EXPECT_TRUE(has("status=open"));
  EXPECT_FALSE(has("status=closed"));
  EXPECT_TRUE(has("start_date=2020-01-01T00:00:00Z"));
  EXPECT_TRUE(has("start_date=2020-01-01T00:00:00+08:00&end_date=2999-01-01T00:00:00+08:00"));
  EXPECT_FALSE(has("start_date=2999-01-01T00:00:00%2B08:00"));
  EXPECT_FALSE(has("end_date=2020-01-01T00:00:00-05:00"));

  // The case moves on in the loop; Open311 shows where it stands.
  auto rej = http().post("/api/v1/cases/" + id + "/actions/reject",
                         {{"reason", "已由物业当日清运，重复反映"}}, staff);
  ASSERT_EQ(rej.status, 200) << rej.body;
  auto after = http().get("/open311/v2/requests/" + id + ".json").json()[0];
  EXPECT_EQ(after["status"], "closed");
  EXPECT_EQ(after["status_notes"], "不予受理：已由物业当日清运，重复反映");
  EXPECT_TRUE(has("status=closed"));
  EXPECT_TRUE(has("status=closed&service_code=env.garbage"));  // the category's own index
  EXPECT_FALSE(has("status=closed&service_code=property.lift"));
  EXPECT_FALSE(has("status=open"));
}

TEST_P(Open311Test, AddressStringIsLocatedByPlaceNames) {
  auto k = key();
  auto grid_name = name_of(grid());
  ASSERT_TRUE(grid_name.ends_with("网格")) << grid_name;
  auto compound = grid_name.substr(0, grid_name.size() - std::string("网格").size());
  auto building = building_in_grid();
  auto address = compound + name_of(building) + "东侧路口";
  auto r = post({{"api_key", k},
                 {"service_code", "repair.light"},
                 {"address_string", address},
                 {"description", "路灯不亮"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.json()[0]["service_request_id"].get<std::string>();
  auto c = http().get("/api/v1/cases/" + id, env().token("community_staff"));
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json()["node_id"], building);
  EXPECT_EQ(c.json()["address"], address);
  auto q = http().get("/open311/v2/requests/" + id + ".json").json()[0];
  EXPECT_EQ(q["address"], address);
  // The grid's own name works too.
  auto g = post({{"api_key", k},
                 {"service_code", "repair.light"},
                 {"address_string", grid_name},
                 {"description", "小区里路灯不亮"}});
  ASSERT_EQ(g.status, 201) << g.body;
  auto gc = http().get("/api/v1/cases/" + g.json()[0]["service_request_id"].get<std::string>(),
                       env().token("community_staff"));
  EXPECT_EQ(gc.json()["node_id"], grid());
}

TEST_P(Open311Test, MapPointIsLocatedToItsGrid) {
  auto k = key();
  // A grid of its own far from the demo city, so no other boundary holds the point.
  auto grid_row =
      env().db->one("SELECT max(id) AS id FROM nodes WHERE kind = 'grid' AND id <> $1", {grid()});
  auto far_grid = grid_row->i64("id");
  auto old =
      env().db->one("SELECT boundary FROM nodes WHERE id = $1", {far_grid})->opt_str("boundary");
  auto set_boundary = [&](linli::store::Value v) {
    ASSERT_TRUE(env().db->write([&](linli::store::Tx& tx) -> linli::Status {
      auto r = tx.exec("UPDATE nodes SET boundary = $1 WHERE id = $2", {v, far_grid});
      if (!r) return linli::fail(r.error());
      return {};
    }));
  };
  set_boundary(
      std::string("[[[115.50,31.50],[115.51,31.50],[115.51,31.51],[115.50,31.51],"
                  "[115.50,31.50]]]"));
  auto r = post({{"api_key", k},
                 {"service_code", "env.green"},
                 {"lat", "31.505"},
                 {"long", "115.505"},
                 {"description", "绿化带无人修剪"}});
  auto outside = post({{"api_key", k},
                       {"service_code", "env.green"},
                       {"lat", "10.0"},
                       {"long", "10.0"},
                       {"description", "绿化带无人修剪"}});
  set_boundary(old ? linli::store::Value{*old} : linli::store::null());
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.json()[0]["service_request_id"].get<std::string>();
  auto q = http().get("/open311/v2/requests/" + id + ".json").json()[0];
  EXPECT_EQ(q["address_id"], std::to_string(far_grid));
  EXPECT_DOUBLE_EQ(q["lat"].get<double>(), 31.505);
  EXPECT_DOUBLE_EQ(q["long"].get<double>(), 115.505);
  expect_error(outside, 400);
  EXPECT_NE(outside.body.find("address could not be located"), std::string::npos);
}

TEST_P(Open311Test, HouseholdCasesShowNoFlatAndNoReporter) {
  // A case filed natively for a household: the public sees the building or
  // unit, never the flat, and never who reported it.
  auto staff = env().token("community_staff");
  auto path = env().path_of(env().accounts["community_staff"].node);
  auto h =
      env().db->one("SELECT min(id) AS id FROM households WHERE node_path >= $1 AND node_path < $2",
                    {path, linli::auth::subtree_end(path)});
  auto household = h->i64("id");
  auto flat =
      env().db->one("SELECT address FROM households WHERE id = $1", {household})->str("address");
  auto cat = env().db->one("SELECT id FROM case_categories WHERE code = 'dispute.leak'")->i64("id");
  auto c = http().post("/api/v1/cases",
                       {{"title", "楼上漏水"},
                        {"description", "卫生间天花板漏水"},
                        {"category_id", cat},
                        {"channel", "hotline"},
                        {"household_id", household},
                        {"reporter_name", "赵六"},
                        {"reporter_phone", "13700137000"}},
                       staff);
  ASSERT_EQ(c.status, 201) << c.body;
  auto id = std::to_string(c.json()["id"].get<std::int64_t>());
  auto r = http().get("/open311/v2/requests/" + id + ".json");
  ASSERT_EQ(r.status, 200) << r.body;
  auto q = r.json()[0];
  EXPECT_EQ(q["service_code"], "dispute.leak");
  auto address = q["address"].get<std::string>();
  EXPECT_FALSE(address.empty());
  EXPECT_NE(address, flat);
  EXPECT_TRUE(flat.starts_with(address)) << flat << " / " << address;
  EXPECT_EQ(r.body.find("室"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("赵六"), std::string::npos);
  EXPECT_EQ(r.body.find("13700137000"), std::string::npos);
  EXPECT_EQ(r.body.find("137****7000"), std::string::npos);
}

TEST_P(Open311Test, ListsTheLast90DaysInFull) {
  // More than one chunk of the batched look-ups (200 ids).
  auto k = key();
  auto recent = [&] {
    return env().count("SELECT count(*) AS n FROM cases WHERE created_at >= $1",
                       {linli::clock::now_ms() - 90LL * 86400000 + 60000});
  };
  for (auto n = recent(); n < 220; ++n) file(k, "批量测试 " + std::to_string(n));
  auto expected = std::min<std::int64_t>(recent(), 1000);
  auto r = http().get("/open311/v2/requests.json");
  ASSERT_EQ(r.status, 200);
  auto list = r.json();
  EXPECT_EQ(static_cast<std::int64_t>(list.size()), expected);
  std::int64_t previous = INT64_MAX;
  for (const auto& q : list) {
    auto id = std::stoll(q["service_request_id"].get<std::string>());
    EXPECT_LT(id, previous) << "newest first";
    previous = id;
    EXPECT_FALSE(q["service_code"].get<std::string>().empty()) << q;
    EXPECT_FALSE(q["address"].get<std::string>().empty()) << q;
    EXPECT_FALSE(q["agency_responsible"].get<std::string>().empty()) << q;
    EXPECT_TRUE(q["lat"].is_number()) << q;
  }
}

TEST_P(Open311Test, BadQueryParametersAre400) {
  expect_error(http().get("/open311/v2/requests.json?start_date=yesterday"), 400);
  expect_error(http().get("/open311/v2/requests.json?start_date=2026-13-40T00:00:00Z"), 400);
  expect_error(http().get("/open311/v2/requests.json?end_date=2026-01-01T25:00:00Z"), 400);
  expect_error(http().get("/open311/v2/requests.json?start_date=2026-02-01T00:00:00Z&end_date="
                          "2026-01-01T00:00:00Z"),
               400);
  expect_error(http().get("/open311/v2/requests.json?status=pending"), 400);
  auto x = http().get("/open311/v2/requests.xml?start_date=yesterday");
  EXPECT_EQ(x.status, 400);
  EXPECT_EQ(xml_root(x.body), "errors") << x.body;
  // An unknown service has no requests.
  auto none = http().get("/open311/v2/requests.json?service_code=no.such");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.json(), json::array());
}

TEST_P(Open311Test, RequestsListsAreValidXml) {
  auto k = key();
  // Text that needs escaping survives the trip.
  auto filed = file(k, "井盖<松动> & \"危险\" '请修'");
  auto id = filed[0]["service_request_id"].get<std::string>();
  auto x = http().get("/open311/v2/requests.xml");
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(xml_root(x.body), "service_requests") << x.body.substr(0, 2000);
  EXPECT_NE(x.body.find("井盖&lt;松动&gt; &amp; &quot;危险&quot; &apos;请修&apos;"),
            std::string::npos);
  auto j = http().get("/open311/v2/requests/" + id + ".json").json()[0];
  EXPECT_EQ(j["description"], "井盖<松动> & \"危险\" '请修'");
}

// The list is written as text in either format (RequestText); each request
// reads the same in both: every JSON member is an element of the same name
// and text, in the same order, null an empty element.
TEST_P(Open311Test, RequestsReadTheSameInJsonAndXml) {
  auto k = key();
  file(k, "路灯<不亮> & \"很暗\"");
  auto j = http().get("/open311/v2/requests.json");
  auto x = http().get("/open311/v2/requests.xml");
  ASSERT_EQ(j.status, 200) << j.body;
  ASSERT_EQ(x.status, 200) << x.body;
  auto escaped = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '&')
        out += "&amp;";
      else if (c == '<')
        out += "&lt;";
      else if (c == '>')
        out += "&gt;";
      else if (c == '"')
        out += "&quot;";
      else if (c == '\'')
        out += "&apos;";
      else
        out += c;
    }
    return out;
  };
  const auto list = nlohmann::ordered_json::parse(j.body);  // in the order written
  ASSERT_GE(list.size(), 2u);
  std::size_t at = 0;
  for (const auto& item : list) {
    std::string want = "<request>";
    for (const auto& [key, v] : item.items())
      want += "<" + key + ">" +
              (v.is_null() ? "" : escaped(v.is_string() ? v.get<std::string>() : v.dump())) + "</" +
              key + ">";
    want += "</request>";
    auto found = x.body.find(want, at);
    ASSERT_NE(found, std::string::npos) << "request " << item["service_request_id"] << " reads\n"
                                        << want;
    at = found + want.size();
  }
  EXPECT_EQ(x.body.find("<request>", at), std::string::npos) << "no request only in XML";
}

// Several services or statuses at once answer their lists merged, newest
// first, each case once: whichever way each list is found (a window of the
// newest ids that holds it, or not, and the wider ways after).
TEST_P(Open311Test, SeveralServicesAnswerTheirListsMerged) {
  auto ids = [&](const std::string& query) {
    auto r = http().get("/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    std::vector<std::int64_t> out;
    for (const auto& q : r.json())
      out.push_back(std::stoll(q["service_request_id"].get<std::string>()));
    return out;
  };
  auto services = env().db->query(
      "SELECT cat.code FROM cases c JOIN case_categories cat ON cat.id = c.category_id GROUP BY "
      "cat.code ORDER BY count(*) DESC LIMIT 2");
  ASSERT_TRUE(services.has_value());
  ASSERT_EQ(services->size(), 2u) << "the demo city files cases under several services";
  const auto a = (*services)[0].str("code"), b = (*services)[1].str("code");
  int compared = 0;
  for (std::int64_t window : {1, 7, 1000000}) {
    env().app->cases.set_list_window(window);
    auto of_a = ids("&service_code=" + a), of_b = ids("&service_code=" + b);
    std::vector<std::int64_t> both = of_a;
    both.insert(both.end(), of_b.begin(), of_b.end());
    std::ranges::sort(both, std::greater<>{});
    if (both.size() > 1000) both.resize(1000);  // an answer's most
    EXPECT_EQ(ids("&service_code=" + a + "," + b), both) << "window " << window;
    EXPECT_EQ(ids("&service_code=" + a + "," + a), of_a) << "a service twice, window " << window;
    auto open = ids("&status=open"), closed = ids("&status=closed");
    std::vector<std::int64_t> all = open;
    all.insert(all.end(), closed.begin(), closed.end());
    std::ranges::sort(all, std::greater<>{});
    if (all.size() > 1000) all.resize(1000);
    EXPECT_EQ(ids("&status=open,closed"), all) << "window " << window;
    EXPECT_EQ(ids(""), all) << "window " << window;
    compared += !of_a.empty() && !of_b.empty() && !open.empty() && !closed.empty();
  }
  env().app->cases.set_list_window(8192);
  EXPECT_EQ(compared, 3);
}

TEST_P(Open311Test, Discovery) {
  auto d = http().get("/open311/discovery.json");
  ASSERT_EQ(d.status, 200) << d.body;
  auto j = d.json();
  EXPECT_TRUE(j["changeset"].is_string());
  EXPECT_TRUE(j["contact"].is_string());
  EXPECT_TRUE(j["key_service"].is_string());
  ASSERT_EQ(j["endpoints"].size(), 1u);
  auto e = j["endpoints"][0];
  EXPECT_EQ(e["specification"], "http://wiki.open311.org/GeoReport_v2");
  EXPECT_TRUE(e["url"].get<std::string>().ends_with("/open311/v2")) << e;
  EXPECT_TRUE(e["url"].get<std::string>().starts_with("http://")) << e;
  EXPECT_EQ(e["type"], "production");
  EXPECT_EQ(e["formats"], json::array({"application/json", "text/xml"}));
  auto x = http().get("/open311/discovery.xml");
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(xml_root(x.body), "discovery") << x.body;
  EXPECT_NE(x.body.find("<endpoints><endpoint><specification>"), std::string::npos);
  EXPECT_NE(x.body.find("<formats><format>application/json</format><format>text/xml</format>"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Store, Open311Test, ::testing::ValuesIn(store_kinds()), store_param_name);

}  // namespace
