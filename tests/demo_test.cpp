#include "demo/demo.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "api_env.hpp"
#include "cases/geo.hpp"
#include "cases/kpis.hpp"
#include "core/calendar.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"
#include "open311/keys.hpp"
#include "points/service.hpp"
#include "store/db.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace linli;

// "Now" for the case history: 2026-11-01 10:00 in Shanghai.
constexpr std::int64_t kNow = 1793498400000;
constexpr std::int64_t kDayMs = 86400000;

demo::Options fixed_options() {
  demo::Options opt;
  opt.now_ms = kNow;
  return opt;
}

store::Rows rows(store::Db& db, std::string_view sql) {
  auto r = db.query(sql);
  if (!r) throw std::runtime_error(std::string(sql) + ": " + r.error().detail);
  return std::move(*r);
}

long count(store::Db& db, std::string_view sql) {
  auto r = db.one(sql);
  if (!r) throw std::runtime_error(std::string(sql) + ": " + r.error().detail);
  return long(r->i64("n"));
}

std::vector<std::string> resident_names(store::Db& db) {
  std::vector<std::string> out;
  for (const auto& r : rows(db, "SELECT name FROM residents ORDER BY id"))
    out.push_back(r.str("name"));
  return out;
}

// Argon2id at minimum cost while the demo loads, then back to what other
// tests in this binary expect.
Result<demo::Summary> load_fast(store::Db& db, const demo::Options& opt) {
  const char* old = std::getenv("LINLI_FAST_HASH");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  setenv("LINLI_FAST_HASH", "1", 1);
  auto r = demo::load(db, opt);
  if (saved) {
    setenv("LINLI_FAST_HASH", saved->c_str(), 1);
  } else {
    unsetenv("LINLI_FAST_HASH");
  }
  return r;
}

struct LoadedCity {
  std::unique_ptr<store::Db> db;
  demo::Summary summary;
  std::set<std::string> stages;
};

// One demo city per store, loaded on first use: loading is the slow part and
// every test below only reads it (or loads its own second city).
class DemoCity : public StoreParamTest {
 protected:
  void SetUp() override {
    StoreParamTest::SetUp();
    if (IsSkipped()) return;
    // The process's one key: the servers of the API tests in this binary
    // seal with it too, and a second key would lock them out of their data.
    if (!crypto::load_data_key(linli::test::ApiEnv::key_file()))
      throw std::runtime_error("cannot load the data key");
    city_ = &city_for(GetParam());
  }
  static void TearDownTestSuite() {
    for (auto& [kind, city] : cities()) city.db->close();
    cities().clear();
  }

  store::Db& db() { return *city_->db; }
  const demo::Summary& summary() { return city_->summary; }
  const std::set<std::string>& city_stages() { return city_->stages; }
  std::unique_ptr<store::Db> fresh_db() { return open_migrated(fresh_store_url(GetParam())); }

 private:
  static std::map<std::string, LoadedCity>& cities() {
    static std::map<std::string, LoadedCity> all;
    return all;
  }
  static LoadedCity& city_for(const std::string& kind) {
    auto found = cities().find(kind);
    if (found != cities().end()) return found->second;
    LoadedCity city;
    city.db = open_migrated(fresh_store_url(kind));
    std::set<std::string> stages;
    demo::Options opt = fixed_options();
    opt.progress = [&stages](const std::string& stage, long, long) { stages.insert(stage); };
    auto loaded = load_fast(*city.db, opt);
    if (!loaded) throw std::runtime_error("demo load on " + kind + ": " + loaded.error().detail);
    city.summary = *loaded;
    city.stages = std::move(stages);
    return cities().emplace(kind, std::move(city)).first->second;
  }

  LoadedCity* city_ = nullptr;
};

TEST_P(DemoCity, TerritoryHasTheExpectedShape) {
  std::map<std::string, long> kinds;
  for (const auto& r : rows(db(), "SELECT kind, count(*) AS n FROM nodes GROUP BY kind")) {
    kinds[r.str("kind")] = long(r.i64("n"));
  }
  EXPECT_EQ(kinds["district"], 1);
  EXPECT_EQ(kinds["street"], 2);
  EXPECT_EQ(kinds["community"], 5);
  EXPECT_GE(kinds["grid"], 13);
  EXPECT_LE(kinds["grid"], 17);
  EXPECT_GE(kinds["building"], 100);
  EXPECT_LE(kinds["building"], 140);
  EXPECT_GE(kinds["unit"], 2 * kinds["building"]);
  EXPECT_LE(kinds["unit"], 4 * kinds["building"]);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM nodes WHERE kind = 'building' AND "
                  "(floors < 6 OR floors > 33 OR floors IS NULL OR lat IS NULL OR lng IS NULL)"),
            0);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM nodes WHERE kind IN ('street', 'community', 'grid') "
                  "AND (lat IS NULL OR lng IS NULL)"),
            0);
  EXPECT_EQ(summary().nodes, count(db(), "SELECT count(*) AS n FROM nodes"));
}

struct GridShape {
  std::int64_t id;
  cases::Ring ring;
};

std::vector<GridShape> grid_shapes(store::Db& db) {
  std::vector<GridShape> out;
  for (const auto& r : rows(db, "SELECT id, boundary FROM nodes WHERE kind = 'grid' ORDER BY id")) {
    auto ring = cases::parse_ring(r.str("boundary"));
    if (!ring) throw std::runtime_error("grid " + std::to_string(r.i64("id")) + " has no boundary");
    out.push_back({r.i64("id"), *ring});
  }
  return out;
}

// Twice the signed area of the triangle a, b, c (positive: counter-clockwise).
double turn(std::pair<double, double> a, std::pair<double, double> b, std::pair<double, double> c) {
  return (b.first - a.first) * (c.second - a.second) - (b.second - a.second) * (c.first - a.first);
}

TEST_P(DemoCity, EveryGridHasABoundaryHoldingItsBuildings) {
  auto grids = grid_shapes(db());
  ASSERT_EQ(long(grids.size()), count(db(), "SELECT count(*) AS n FROM nodes WHERE kind = 'grid'"));
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM nodes WHERE kind <> 'grid' AND boundary IS NOT "
                  "NULL"),
            0);
  for (const auto& g : grids) {
    // A closed, convex, counter-clockwise quadrilateral or hexagon.
    const auto& ring = g.ring;
    ASSERT_TRUE(ring.size() == 5 || ring.size() == 7) << g.id << ": " << ring.size();
    EXPECT_EQ(ring.front(), ring.back()) << g.id;
    std::size_t n = ring.size() - 1;
    for (std::size_t i = 0; i < n; ++i)
      EXPECT_GT(turn(ring[i], ring[(i + 1) % n], ring[(i + 2) % n]), 0) << g.id << " corner " << i;
    // A few hundred metres across (0.001° is about 100 m here).
    double lng0 = 1e9, lng1 = -1e9, lat0 = 1e9, lat1 = -1e9;
    for (auto [lng, lat] : ring) {
      lng0 = std::min(lng0, lng), lng1 = std::max(lng1, lng);
      lat0 = std::min(lat0, lat), lat1 = std::max(lat1, lat);
    }
    EXPECT_GT((lng1 - lng0) * 95897, 150) << g.id;
    EXPECT_LT((lng1 - lng0) * 95897, 450) << g.id;
    EXPECT_GT((lat1 - lat0) * 111320, 150) << g.id;
    EXPECT_LT((lat1 - lat0) * 111320, 450) << g.id;
    EXPECT_NEAR(lat0, 30.52, 0.05);
    EXPECT_NEAR(lng0, 114.31, 0.05);
    auto centre = db().one("SELECT lat, lng FROM nodes WHERE id = $1", {g.id});
    ASSERT_TRUE(centre);
    EXPECT_TRUE(cases::inside(ring, centre->f64("lng"), centre->f64("lat"))) << g.id;
  }
  // Every building lies in its own grid and in no other.
  long buildings = 0;
  for (const auto& b :
       rows(db(), "SELECT id, parent_id, lat, lng FROM nodes WHERE kind = 'building'")) {
    ++buildings;
    for (const auto& g : grids) {
      bool in = cases::inside(g.ring, b.f64("lng"), b.f64("lat"));
      EXPECT_EQ(in, g.id == b.i64("parent_id")) << "building " << b.i64("id") << ", grid " << g.id;
    }
    auto located = cases::locate_grid(db(), b.f64("lat"), b.f64("lng"));
    ASSERT_TRUE(located);
    EXPECT_EQ(located->value_or(0), b.i64("parent_id"));
  }
  EXPECT_GE(buildings, 100);
  // A case's map point locates it in the compound it belongs to.
  long located_cases = 0;
  for (const auto& c : rows(db(),
                            "SELECT c.id, c.lat, c.lng, g.id AS grid FROM cases c JOIN nodes g ON "
                            "g.kind = 'grid' AND substr(c.node_path, 1, length(g.path)) = g.path "
                            "WHERE c.lat IS NOT NULL")) {
    ++located_cases;
    bool in = false;
    for (const auto& g : grids)
      if (g.id == c.i64("grid")) in = cases::inside(g.ring, c.f64("lng"), c.f64("lat"));
    EXPECT_TRUE(in) << "case " << c.i64("id");
  }
  EXPECT_GT(located_cases, 200);
  // No corner of one grid lies inside another: the outlines do not overlap.
  for (const auto& a : grids)
    for (const auto& b : grids)
      if (a.id != b.id) {
        for (auto [lng, lat] : a.ring) EXPECT_FALSE(cases::inside(b.ring, lng, lat));
      }
}

TEST_P(DemoCity, PeopleCountsAreInRange) {
  long households = count(db(), "SELECT count(*) AS n FROM households");
  long residents = count(db(), "SELECT count(*) AS n FROM residents");
  EXPECT_GE(households, 2800);
  EXPECT_LE(households, 3200);
  EXPECT_GE(residents, 7000);
  EXPECT_LE(residents, 9000);
  EXPECT_EQ(summary().households, households);
  EXPECT_EQ(summary().residents, residents);
  // Every household has one head and 1–5 members.
  EXPECT_EQ(
      count(db(),
            "SELECT count(*) AS n FROM (SELECT household_id FROM residents GROUP BY household_id "
            "HAVING count(*) > 5 OR sum(CASE WHEN relation = '户主' THEN 1 ELSE 0 END) <> 1) t"),
      0);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM households h WHERE NOT EXISTS "
                  "(SELECT 1 FROM residents r WHERE r.household_id = h.id)"),
            0);
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM households WHERE area < 50 OR area > 140"), 0);
}

TEST_P(DemoCity, PartyMembersCoverEveryCategory) {
  long members = count(db(), "SELECT count(*) AS n FROM party_members");
  EXPECT_GE(members, 250);
  EXPECT_LE(members, 350);
  EXPECT_EQ(count(db(), "SELECT count(DISTINCT category) AS n FROM party_members"), 4);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM party_members WHERE category = 'in_service' AND "
                  "employer = ''"),
            0);
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM party_orgs WHERE kind = 'committee'"), 5);
  EXPECT_GT(count(db(), "SELECT count(*) AS n FROM party_orgs WHERE kind = 'group'"), 0);
  // Every central household looks after neighbours in its own building.
  EXPECT_GT(count(db(), "SELECT count(*) AS n FROM party_members WHERE central_household = 1"), 0);
  EXPECT_EQ(
      count(db(),
            "SELECT count(*) AS n FROM party_members WHERE central_household = 1 AND NOT EXISTS "
            "(SELECT 1 FROM member_households mh WHERE mh.member_id = party_members.id)"),
      0);
  for (const auto& r : rows(db(),
                            "SELECT m.node_path AS member_path, h.node_path AS home_path "
                            "FROM member_households mh JOIN party_members m ON m.id = mh.member_id "
                            "JOIN households h ON h.id = mh.household_id")) {
    auto building = [](std::string path) {  // '/d/s/c/g/b/u/' → '/d/s/c/g/b/'
      path.pop_back();
      return path.substr(0, path.rfind('/') + 1);
    };
    EXPECT_EQ(building(r.str("member_path")), building(r.str("home_path")));
  }
}

TEST_P(DemoCity, OrganisationsOfEveryKind) {
  std::map<std::string, long> kinds;
  for (const auto& r : rows(db(), "SELECT kind, count(*) AS n FROM orgs GROUP BY kind")) {
    kinds[r.str("kind")] = long(r.i64("n"));
  }
  EXPECT_GE(kinds["department"], 6);
  EXPECT_EQ(kinds["property"], 3);
  EXPECT_EQ(kinds["owners_committee"], 1);
  EXPECT_EQ(kinds["social"], 2);
  EXPECT_EQ(kinds["merchant"], 5);
  EXPECT_EQ(kinds["station"], 5);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM orgs o WHERE NOT EXISTS "
                  "(SELECT 1 FROM org_nodes n WHERE n.org_id = o.id)"),
            0);
  for (const auto& r : rows(db(), "SELECT contact_phone_enc, contact_phone_mask FROM orgs")) {
    auto phone = crypto::open(r.str("contact_phone_enc"));
    ASSERT_TRUE(phone);
    EXPECT_FALSE(validate::mobile(*phone));
    EXPECT_EQ(r.str("contact_phone_mask"), validate::mask_phone(*phone));
  }
}

// ID numbers must pass the same check an import would apply, and agree with
// the birth date and gender stored beside them.
TEST_P(DemoCity, EveryIdNumberIsValidAndMatchesTheResident) {
  std::set<std::string> hashes;
  for (const auto& r :
       rows(db(), "SELECT name, gender, birth_date, id_enc, id_mask, id_hash FROM residents")) {
    auto id = crypto::open(r.str("id_enc"));
    ASSERT_TRUE(id) << r.str("name");
    EXPECT_FALSE(validate::id_number(*id)) << *id;
    EXPECT_EQ(validate::birth_date_from_id(*id), r.str("birth_date")) << *id;
    EXPECT_EQ(std::string(1, validate::gender_from_id(*id)), r.str("gender")) << *id;
    EXPECT_EQ(r.str("id_mask"), validate::mask_id_number(*id));
    EXPECT_EQ(r.str("id_hash"), crypto::blind_index(*id));
    EXPECT_TRUE(hashes.insert(r.str("id_hash")).second);
  }
}

TEST_P(DemoCity, AdultsHaveValidMobiles) {
  long adults_without = 0;
  for (const auto& r :
       rows(db(), "SELECT birth_date, phone_enc, phone_mask, phone_hash FROM residents")) {
    bool adult = r.str("birth_date") <= "2008-11-01";  // 18 on the day the city is drawn
    if (r.is_null("phone_enc")) {
      adults_without += adult;
      continue;
    }
    auto phone = crypto::open(r.str("phone_enc"));
    ASSERT_TRUE(phone);
    EXPECT_FALSE(validate::mobile(*phone)) << *phone;
    EXPECT_EQ(r.str("phone_mask"), validate::mask_phone(*phone));
    EXPECT_EQ(r.str("phone_hash"), crypto::blind_index(*phone));
  }
  EXPECT_EQ(adults_without, 0);
}

TEST_P(DemoCity, FamiliesAreConsistent) {
  // Children are younger than their head of household, parents older.
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM residents c JOIN residents h ON h.household_id = "
                  "c.household_id "
                  "AND h.relation = '户主' WHERE c.relation IN ('子女', '孙子女') AND c.birth_date "
                  "<= h.birth_date"),
            0);
  EXPECT_EQ(
      count(db(),
            "SELECT count(*) AS n FROM residents p JOIN residents h ON h.household_id = "
            "p.household_id "
            "AND h.relation = '户主' WHERE p.relation = '父母' AND p.birth_date >= h.birth_date"),
      0);
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM residents WHERE birth_date < '1930-01-01'"), 0);
  // Living alone is what makes an elderly resident 独居.
  EXPECT_GT(count(db(), "SELECT count(*) AS n FROM residents WHERE tags LIKE '%独居%'"), 50);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM residents r WHERE tags LIKE '%独居%' AND "
                  "(SELECT count(*) FROM residents o WHERE o.household_id = r.household_id) <> 1"),
            0);
  for (const char* tag : {"空巢老人", "残疾", "低保", "困难群众", "退役军人"}) {
    EXPECT_GT(count(db(), std::string("SELECT count(*) AS n FROM residents WHERE tags LIKE '%") +
                              tag + "%'"),
              10)
        << tag;
  }
}

// A subtree is a path-prefix range, so every child's path must extend its
// parent's, and every record must carry the path of the node it hangs on.
TEST_P(DemoCity, PathsFormAPrefixChain) {
  std::map<std::int64_t, std::string> path_of;
  std::map<std::int64_t, std::int64_t> depth_of;
  for (const auto& r : rows(db(), "SELECT id, parent_id, path, depth FROM nodes ORDER BY id")) {
    std::int64_t id = r.i64("id");
    std::string expected = "/" + std::to_string(id) + "/";
    std::int64_t depth = 0;
    if (!r.is_null("parent_id")) {
      std::int64_t parent = r.i64("parent_id");
      ASSERT_TRUE(path_of.count(parent)) << "parent written after child " << id;
      expected = path_of[parent] + std::to_string(id) + "/";
      depth = depth_of[parent] + 1;
    }
    EXPECT_EQ(r.str("path"), expected);
    EXPECT_EQ(r.i64("depth"), depth);
    path_of[id] = r.str("path");
    depth_of[id] = r.i64("depth");
  }
  auto mismatches = [&](std::string_view sql) { return count(db(), sql); };
  EXPECT_EQ(mismatches("SELECT count(*) AS n FROM households h JOIN nodes n ON n.id = h.node_id "
                       "WHERE n.kind <> 'unit' OR h.node_path <> n.path"),
            0);
  EXPECT_EQ(
      mismatches("SELECT count(*) AS n FROM residents r JOIN households h ON h.id = r.household_id "
                 "WHERE r.node_path <> h.node_path"),
      0);
  EXPECT_EQ(mismatches("SELECT count(*) AS n FROM party_orgs o JOIN nodes n ON n.id = o.node_id "
                       "WHERE o.node_path <> n.path"),
            0);
  EXPECT_EQ(
      mismatches("SELECT count(*) AS n FROM party_orgs c JOIN party_orgs p ON p.id = c.parent_id "
                 "WHERE substr(c.node_path, 1, length(p.node_path)) <> p.node_path"),
      0);
  EXPECT_EQ(
      mismatches(
          "SELECT count(*) AS n FROM party_members m JOIN party_orgs o ON o.id = m.party_org_id "
          "WHERE substr(m.node_path, 1, length(o.node_path)) <> o.node_path"),
      0);
}

TEST_P(DemoCity, EveryAccountCanLogInWithItsRole) {
  std::set<std::string> roles;
  long machine = 0;
  for (const auto& a : summary().accounts) {
    if (!a.api_key.empty()) {  // the Open311 client signs with its key
      ++machine;
      EXPECT_EQ(a.role, "open311_client");
      EXPECT_EQ(a.node, 0);
      EXPECT_EQ(a.org, 0);
      EXPECT_TRUE(open311::check_key(db(), a.api_key)) << a.username;
      continue;
    }
    auto user = db().one(
        "SELECT u.id, u.password_hash, u.display_name, r.role, r.node_id, r.org_id "
        "FROM users u JOIN role_assignments r ON r.user_id = u.id WHERE u.username = $1",
        {a.username});
    ASSERT_TRUE(user) << a.username;
    EXPECT_EQ(user->str("role"), a.role);
    EXPECT_EQ(user->i64("node_id"), a.node) << a.username;
    EXPECT_EQ(user->i64("org_id"), a.org) << a.username;
    EXPECT_TRUE(a.node != 0 || a.org != 0) << a.username << " has no scope";
    EXPECT_TRUE(crypto::verify_password(user->str("password_hash"), a.password)) << a.username;
    roles.insert(a.role);
  }
  EXPECT_EQ(roles,
            (std::set<std::string>{"admin", "street_center", "community_staff", "first_secretary",
                                   "grid_worker", "branch_secretary", "building_head", "unit_head",
                                   "party_group_leader", "department_staff", "property_staff",
                                   "merchant", "resident"}));
  EXPECT_EQ(machine, 1);
  EXPECT_EQ(long(summary().accounts.size()) - machine,
            count(db(), "SELECT count(*) AS n FROM users"));
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM api_keys WHERE name = '演示Open311客户端'"), 1);
}

// The scoped accounts nest: the resident lives in the unit head's unit, which
// is in the building head's building, in the grid worker's grid.
TEST_P(DemoCity, AccountScopesNest) {
  std::map<std::string, std::string> path;
  for (const auto& r :
       rows(db(),
            "SELECT u.username, n.path FROM users u JOIN role_assignments a ON a.user_id = u.id "
            "JOIN nodes n ON n.id = a.node_id")) {
    path[r.str("username")] = r.str("path");
  }
  auto within = [&](const std::string& inner, const std::string& outer) {
    return path[inner].rfind(path[outer], 0) == 0 && !path[outer].empty();
  };
  EXPECT_TRUE(within("street1", "admin"));
  EXPECT_TRUE(within("community1", "street1"));
  EXPECT_EQ(path["first1"], path["community1"]);
  EXPECT_TRUE(within("grid1", "community1"));
  EXPECT_EQ(path["branch1"], path["grid1"]);
  EXPECT_TRUE(within("building1", "grid1"));
  EXPECT_EQ(path["group1"], path["building1"]);
  EXPECT_TRUE(within("unit1", "building1"));
  EXPECT_EQ(path["resident1"], path["unit1"]);
  auto lives = db().one(
      "SELECT r.node_path FROM users u JOIN residents r ON r.id = u.resident_id "
      "WHERE u.username = 'resident1'");
  ASSERT_TRUE(lives);
  EXPECT_EQ(lives->str("node_path"), path["unit1"]);
  EXPECT_EQ(
      count(
          db(),
          "SELECT count(*) AS n FROM party_orgs o JOIN role_assignments a ON a.node_id = o.node_id "
          "JOIN users u ON u.id = a.user_id WHERE u.username = 'group1' AND o.kind = 'group'"),
      1);
}

TEST_P(DemoCity, ReportsEveryStage) {
  EXPECT_EQ(city_stages(), (std::set<std::string>{"区划", "住户与居民", "党组织与党员", "单位",
                                                  "账号", "诉求", "积分"}));
}

// ---------------------------------------------------------------------------
// The case history.

std::map<std::string, long> tally(store::Db& db, std::string_view sql) {
  std::map<std::string, long> out;
  for (const auto& r : rows(db, sql)) out[r.str("k")] = long(r.i64("n"));
  return out;
}

TEST_P(DemoCity, CaseHistoryHasRealisticMixes) {
  long total = count(db(), "SELECT count(*) AS n FROM cases");
  ASSERT_EQ(total, 600);
  EXPECT_EQ(summary().cases, total);
  auto share = [&](long n) { return double(n) / double(total); };
  auto channels = tally(db(), "SELECT channel AS k, count(*) AS n FROM cases GROUP BY channel");
  EXPECT_NEAR(share(channels["mobile"]), 0.45, 0.07);
  EXPECT_NEAR(share(channels["patrol"]), 0.25, 0.06);
  EXPECT_NEAR(share(channels["hotline"]), 0.20, 0.06);
  EXPECT_NEAR(share(channels["meeting"]), 0.05, 0.035);
  EXPECT_NEAR(share(channels["station"]), 0.05, 0.035);
  // Every leaf category and only leaves; environment, property and disputes lead.
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM case_categories k WHERE k.parent_id IS NOT NULL AND "
                  "NOT EXISTS (SELECT 1 FROM cases c WHERE c.category_id = k.id)"),
            0);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM cases c JOIN case_categories k ON k.id = "
                  "c.category_id WHERE k.parent_id IS NULL"),
            0);
  auto families = tally(db(),
                        "SELECT p.code AS k, count(*) AS n FROM cases c JOIN case_categories k ON "
                        "k.id = c.category_id JOIN case_categories p ON p.id = k.parent_id "
                        "GROUP BY p.code");
  EXPECT_GT(share(families["env"] + families["property"] + families["dispute"]), 0.5);
  for (const auto& [family, n] : families) {
    if (family != "env" && family != "property" && family != "dispute") {
      EXPECT_LT(n, std::min({families["env"], families["property"], families["dispute"]}))
          << family;
    }
  }
  auto types = tally(db(), "SELECT case_type AS k, count(*) AS n FROM cases GROUP BY case_type");
  EXPECT_EQ(types.size(), 5u);
  for (const auto& [type, n] : types)
    if (type != "practical") {
      EXPECT_LT(n, types["practical"]) << type;
    }
  EXPECT_NEAR(share(count(db(), "SELECT count(*) AS n FROM cases WHERE urgency = 'urgent'")), 0.10,
              0.05);
  // States: a few of every kind; old cases are closed, recent ones open.
  auto states = tally(db(), "SELECT state AS k, count(*) AS n FROM cases GROUP BY state");
  for (const char* state :
       {"assigned", "in_progress", "follow_up", "closed", "rejected", "merged", "suspended"})
    EXPECT_GT(states[state], 0) << state;
  EXPECT_GT(share(states["closed"]), 0.7);
  EXPECT_LT(share(states["rejected"]), 0.05);
  EXPECT_LT(share(states["merged"]), 0.05);
  EXPECT_LT(share(states["suspended"]), 0.04);
  std::string old = std::to_string(kNow - 30 * kDayMs), recent = std::to_string(kNow - 7 * kDayMs);
  long old_total = count(db(), "SELECT count(*) AS n FROM cases WHERE created_at < " + old);
  long old_closed = count(db(),
                          "SELECT count(*) AS n FROM cases WHERE state IN ('closed', "
                          "'rejected', 'merged') AND created_at < " +
                              old);
  EXPECT_GT(double(old_closed) / double(old_total), 0.85);
  auto recent_states =
      tally(db(), "SELECT state AS k, count(*) AS n FROM cases WHERE created_at > " + recent +
                      " GROUP BY state");
  long recent_total = 0;
  for (const auto& [state, n] : recent_states) recent_total += n;
  EXPECT_LT(double(recent_states["closed"]) / double(recent_total), 0.5);
  EXPECT_GE(recent_states.size(), 4u);
  // Open past the deadline: about one case in twenty.
  long overdue = count(db(),
                       "SELECT count(*) AS n FROM cases WHERE state NOT IN ('closed', "
                       "'rejected', 'merged', 'suspended') AND resolve_due < " +
                           std::to_string(kNow));
  EXPECT_GE(share(overdue), 0.02);
  EXPECT_LE(share(overdue), 0.09);
  // Ratings: mostly 满意.
  auto ratings = tally(db(),
                       "SELECT rating AS k, count(*) AS n FROM cases WHERE state = 'closed' AND "
                       "rating IS NOT NULL GROUP BY rating");
  double rated = double(ratings["satisfied"] + ratings["basic"] + ratings["unsatisfied"]);
  ASSERT_GT(rated, 100);
  EXPECT_NEAR(ratings["satisfied"] / rated, 0.85, 0.07);
  EXPECT_NEAR(ratings["basic"] / rated, 0.10, 0.06);
  EXPECT_NEAR(ratings["unsatisfied"] / rated, 0.05, 0.04);
  // Escalations and rework, each counted on the row and told in the timeline.
  long escalated = count(db(), "SELECT count(*) AS n FROM cases WHERE escalation_count > 0");
  EXPECT_GT(share(escalated), 0.02);
  EXPECT_LT(share(escalated), 0.15);
  EXPECT_EQ(count(db(), "SELECT sum(escalation_count) AS n FROM cases"),
            count(db(), "SELECT count(*) AS n FROM case_events WHERE action = 'escalate'"));
  long reworked = count(db(), "SELECT count(*) AS n FROM cases WHERE rework_count > 0");
  EXPECT_GT(share(reworked), 0.02);
  EXPECT_LT(share(reworked), 0.12);
  EXPECT_EQ(count(db(), "SELECT sum(rework_count) AS n FROM cases"),
            count(db(), "SELECT count(*) AS n FROM case_events WHERE action = 'verify_fail'"));
}

TEST_P(DemoCity, WhistlesAnswerLikeDepartmentsDo) {
  long total = count(db(), "SELECT count(*) AS n FROM cases");
  long whistled = count(db(), "SELECT count(DISTINCT case_id) AS n FROM case_whistles");
  EXPECT_GE(double(whistled) / double(total), 0.04);
  EXPECT_LE(double(whistled) / double(total), 0.13);
  // One or two departments, one of them leading; all of them departments.
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM (SELECT case_id FROM case_whistles GROUP BY case_id "
                  "HAVING count(*) > 2 OR sum(lead) <> 1) t"),
            0);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM case_whistles w JOIN orgs o ON o.id = w.org_id "
                  "WHERE o.kind <> 'department'"),
            0);
  EXPECT_GT(count(db(), "SELECT count(DISTINCT org_id) AS n FROM case_whistles"), 3);
  // 报而不到 and 到而不干 happen, but rarely.
  long late_report =
      count(db(), "SELECT count(*) AS n FROM case_whistles WHERE reported_at > report_due");
  long late_act = count(db(), "SELECT count(*) AS n FROM case_whistles WHERE acted_at > act_due");
  long whistles = count(db(), "SELECT count(*) AS n FROM case_whistles");
  EXPECT_GT(late_report + late_act, 0);
  EXPECT_LT(late_report + late_act, whistles / 3);
  for (const auto& w : rows(db(),
                            "SELECT w.*, c.state AS case_state FROM case_whistles w JOIN "
                            "cases c ON c.id = w.case_id")) {
    std::int64_t at = w.i64("whistled_at");
    EXPECT_LT(at, w.i64("report_due"));
    EXPECT_LT(w.i64("report_due"), w.i64("act_due"));
    std::string expected = "whistled";
    for (auto [column, state] :
         {std::pair{"reported_at", "reported"}, {"arrived_at", "arrived"}, {"acted_at", "acted"}}) {
      if (w.is_null(column)) break;
      EXPECT_GE(w.i64(column), at) << column;
      at = w.i64(column);
      expected = state;
    }
    EXPECT_LE(at, kNow);
    EXPECT_EQ(w.str("state"), expected);
    if (w.str("state") == "acted") {
      EXPECT_FALSE(w.str("action_note").empty());
    }
    EXPECT_EQ(count(db(),
                    "SELECT count(*) AS n FROM case_events WHERE action = 'whistle' AND "
                    "case_id = " +
                        std::to_string(w.i64("case_id")) +
                        " AND org_id = " + std::to_string(w.i64("org_id"))),
              1);
  }
}

std::optional<std::int64_t> first_at(const std::vector<store::Row>& events, std::string_view action,
                                     bool last = false) {
  std::optional<std::int64_t> out;
  for (const auto& e : events) {
    if (e.str("action") != action) continue;
    out = e.i64("at");
    if (!last) break;
  }
  return out;
}

// Each case's columns are what its timeline says happened, in order.
TEST_P(DemoCity, CaseTimelinesAreConsistent) {
  std::map<std::int64_t, std::vector<store::Row>> events;
  for (auto& e : rows(db(), "SELECT * FROM case_events ORDER BY id"))
    events[e.i64("case_id")].push_back(std::move(e));
  std::map<std::int64_t, std::string> actors;
  for (const auto& r : rows(db(), "SELECT id, display_name FROM users"))
    actors[r.i64("id")] = r.str("display_name");
  for (const auto& c : rows(db(), "SELECT * FROM cases ORDER BY id")) {
    std::int64_t id = c.i64("id");
    const auto& ev = events[id];
    ASSERT_GE(ev.size(), 1u) << id;
    EXPECT_EQ(ev.front().str("action"), "submit") << id;
    EXPECT_EQ(ev.front().i64("at"), c.i64("created_at")) << id;
    EXPECT_GE(c.i64("created_at"), kNow - 121 * kDayMs);
    for (std::size_t i = 1; i < ev.size(); ++i) {
      EXPECT_LE(ev[i - 1].i64("at"), ev[i].i64("at")) << id << " event " << i;
      EXPECT_EQ(ev[i].str("from_state"), ev[i - 1].str("to_state")) << id << " event " << i;
      EXPECT_EQ(ev[i].str("from_level"), ev[i - 1].str("to_level")) << id << " event " << i;
    }
    for (const auto& e : ev) {
      EXPECT_FALSE(e.str("actor_name").empty()) << id;
      if (!e.is_null("actor_user_id")) {
        EXPECT_EQ(e.str("actor_name"), actors[e.i64("actor_user_id")]) << id;
      }
    }
    EXPECT_LE(ev.back().i64("at"), kNow) << id;
    EXPECT_EQ(ev.back().str("to_state"), c.str("state")) << id;
    EXPECT_EQ(ev.back().str("to_level"), c.str("level")) << id;
    EXPECT_EQ(c.i64("updated_at"), ev.back().i64("at")) << id;
    EXPECT_EQ(c.opt_i64("accepted_at"), first_at(ev, "accept")) << id;
    EXPECT_EQ(c.opt_i64("dispatched_at"), first_at(ev, "dispatch")) << id;
    EXPECT_EQ(c.opt_i64("contacted_at"), first_at(ev, "start")) << id;
    EXPECT_EQ(c.opt_i64("resolved_at"), first_at(ev, "resolve", true)) << id;
    EXPECT_EQ(c.i64("escalation_count"), std::count_if(ev.begin(), ev.end(), [](const auto& e) {
                return e.str("action") == "escalate";
              }));
    EXPECT_EQ(c.i64("rework_count"), std::count_if(ev.begin(), ev.end(), [](const auto& e) {
                return e.str("action") == "verify_fail";
              }));
    // Deadlines follow from the time of the report (a week or less, two
    // weeks for 大事/难事, and the length of any pause).
    EXPECT_GT(c.i64("resolve_due"), c.i64("created_at"));
    EXPECT_LE(c.i64("resolve_due") - c.i64("suspended_ms") - c.i64("created_at"), 15 * kDayMs);
    if (!c.is_null("dispatched_at")) {
      EXPECT_GT(c.i64("contact_due"), c.i64("dispatched_at"));
    }
    std::string state = c.str("state");
    if (state == "closed" || state == "rejected" || state == "merged") {
      ASSERT_FALSE(c.is_null("closed_at")) << id;
      EXPECT_GE(c.i64("closed_at"), c.i64("created_at")) << id;
      EXPECT_EQ(c.i64("closed_at"), ev.back().i64("at")) << id;  // nothing happens after
      EXPECT_FALSE(c.str("close_reason").empty()) << id;
      EXPECT_FALSE(c.str("closed_level").empty()) << id;
    } else {
      EXPECT_TRUE(c.is_null("closed_at")) << id;
      EXPECT_TRUE(c.is_null("close_reason")) << id;
    }
    if (state == "closed") {
      std::string reason = c.str("close_reason");
      EXPECT_TRUE(reason == "rated" || reason == "phone" || reason == "not_rated") << id;
      EXPECT_EQ(c.is_null("rating"), reason == "not_rated") << id;
      EXPECT_EQ(c.str("closed_level"), c.str("level")) << id;
      EXPECT_EQ(first_at(ev, "verify_pass", true).has_value(), true) << id;
    }
    if (state == "rejected" || state == "merged") {
      EXPECT_EQ(c.str("close_reason"), state) << id;
    }
    if (state == "merged") {
      auto into =
          db().one("SELECT code, created_at FROM cases WHERE id = $1", {c.i64("merged_into_id")});
      ASSERT_TRUE(into) << id;
      EXPECT_LT(into->i64("created_at"), c.i64("created_at"));
      EXPECT_EQ(ev.back().str("note"), "合并到 " + into->str("code"));
    }
    if (state == "suspended") {
      EXPECT_FALSE(c.str("suspended_from").empty()) << id;
      EXPECT_FALSE(c.is_null("suspended_at")) << id;
    }
    // The code people read out: C + the Shanghai day + the id.
    auto day = calendar::shanghai_day(c.i64("created_at"));
    char code[32];
    std::snprintf(code, sizeof code, "C%s%s%s-%06lld", day.substr(0, 4).c_str(),
                  day.substr(5, 2).c_str(), day.substr(8, 2).c_str(), static_cast<long long>(id));
    EXPECT_EQ(c.str("code"), code);
  }
  // Reporters are the residents of the household, with their own phones.
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM cases WHERE channel = 'mobile' AND "
                  "reporter_resident_id IS NULL"),
            0);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM cases c JOIN residents r ON r.id = "
                  "c.reporter_resident_id WHERE r.name <> c.reporter_name OR r.household_id <> "
                  "c.household_id OR r.phone_mask <> c.reporter_phone_mask"),
            0);
  for (const auto& r : rows(db(),
                            "SELECT c.reporter_phone_enc, r.phone_enc FROM cases c JOIN residents "
                            "r ON r.id = c.reporter_resident_id")) {
    auto ours = crypto::open(r.str("reporter_phone_enc"));
    auto theirs = crypto::open(r.str("phone_enc"));
    ASSERT_TRUE(ours && theirs);
    EXPECT_EQ(*ours, *theirs);
  }
  // Households and buildings: the map point is on the building.
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM cases c JOIN nodes n ON n.id = c.node_id WHERE "
                  "c.node_path <> n.path"),
            0);
}

TEST_P(DemoCity, MostClosedCasesStayInTheirCompound) {
  auto levels = tally(db(),
                      "SELECT closed_level AS k, count(*) AS n FROM cases WHERE state = 'closed' "
                      "GROUP BY closed_level");
  double closed = 0;
  for (const auto& [level, n] : levels) closed += double(n);
  ASSERT_GT(closed, 0);
  double in_compound = double(levels["building"] + levels["grid"]) / closed;
  EXPECT_GE(in_compound, 0.6);
  EXPECT_LE(in_compound, 0.8);
  EXPECT_GT(levels["community"], levels["street"]);
  EXPECT_GT(levels["street"], 0);
  EXPECT_EQ(levels["department"], 0);
  // The dashboard agrees, over a period whose cases have settled.
  auto district = db().one("SELECT path FROM nodes WHERE kind = 'district'");
  ASSERT_TRUE(district);
  cases::KpiQuery q;
  q.root_path = district->str("path");
  q.from_ms = kNow - 120 * kDayMs;
  q.to_ms = kNow - 30 * kDayMs;
  q.as_of_ms = kNow;
  auto k = cases::compute_kpis(db(), q);
  ASSERT_TRUE(k) << k.error().detail;
  auto rate = [&](const char* name) { return (*k)[name].get<double>(); };
  EXPECT_GT((*k)["received"].get<long>(), 350);
  EXPECT_NEAR(rate("in_compound_rate"), 0.7, 0.1);
  EXPECT_GT(rate("in_community_rate"), rate("in_compound_rate"));
  EXPECT_GT(rate("satisfaction_rate"), 0.85);
  EXPECT_NEAR(rate("response_rate"), 0.86, 0.08);
  EXPECT_NEAR(rate("on_time_close_rate"), 0.82, 0.1);
  EXPECT_GT(rate("close_rate"), 0.9);
  EXPECT_GT(rate("whistle_report_rate"), 0.7);
  EXPECT_GT(rate("whistle_act_rate"), 0.7);
  EXPECT_GT(rate("escalation_rate"), 0.0);
  EXPECT_LT(rate("escalation_rate"), 0.15);
}

TEST_P(DemoCity, Resident1HasCasesToFollowAndToRate) {
  auto me = db().one(
      "SELECT u.id, r.household_id FROM users u JOIN residents r ON r.id = u.resident_id "
      "WHERE u.username = 'resident1'");
  ASSERT_TRUE(me);
  auto mine = db().query(
      "SELECT id, state, reporter_user_id FROM cases WHERE household_id = $1 ORDER BY id",
      {me->i64("household_id")});
  ASSERT_TRUE(mine);
  EXPECT_GE(mine->size(), 2u);
  EXPECT_LE(mine->size(), 3u);
  std::set<std::string> states;
  for (const auto& c : *mine) {
    states.insert(c.str("state"));
    EXPECT_EQ(c.i64("reporter_user_id"), me->i64("id"));
    if (c.str("state") != "follow_up") continue;
    // Verified within the rating window, so it is still theirs to rate.
    auto verified = db().one(
        "SELECT max(at) AS n FROM case_events WHERE case_id = $1 AND action = 'verify_pass'",
        {c.i64("id")});
    ASSERT_TRUE(verified);
    EXPECT_GT(verified->i64("n"), kNow - 7 * kDayMs);
  }
  EXPECT_TRUE(states.count("follow_up"));
  EXPECT_TRUE(states.count("closed"));
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM cases WHERE reporter_user_id IS NOT NULL AND "
                  "household_id <> " +
                      std::to_string(me->i64("household_id"))),
            0);
}

TEST_P(DemoCity, PointsHistoryFollowsTheMonthlyCycle) {
  // Every community: two months published, last month reviewed and waiting
  // to be published, this month's deeds pending; the ledger balances.
  auto communities = count(db(), "SELECT count(*) AS n FROM nodes WHERE kind = 'community'");
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM points_months"), 2 * communities);
  EXPECT_EQ(count(db(),
                  "SELECT count(DISTINCT community_node_id) AS n FROM points_deeds WHERE state = "
                  "'pending'"),
            communities);
  EXPECT_EQ(count(db(),
                  "SELECT count(*) AS n FROM points_deeds d WHERE d.state = 'pending' AND "
                  "EXISTS (SELECT 1 FROM points_months m WHERE m.community_node_id = "
                  "d.community_node_id AND m.month = d.month)"),
            0)
      << "a published month holds no pending deed";
  EXPECT_GT(count(db(), "SELECT count(*) AS n FROM points_deeds WHERE state = 'rejected'"), 0);
  auto check = points::PointsService(db()).check_ledger();
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->empty()) << check->dump();
  EXPECT_GT(count(db(), "SELECT count(*) AS n FROM redemptions WHERE state = 'handed_over'"), 0);
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM honours"), 2 * communities);
  EXPECT_GT(count(db(), "SELECT count(*) AS n FROM merchant_services"), 0);
}

TEST_P(DemoCity, LoadingTwiceIsRefused) {
  long before = count(db(), "SELECT count(*) AS n FROM residents");
  auto again = demo::load(db(), {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(again.error().detail, "数据库中已有区划数据，演示数据只能载入空库");
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM residents"), before);
}

std::vector<std::string> case_history(store::Db& db) {
  std::vector<std::string> out;
  for (const auto& r : rows(db,
                            "SELECT code, title, description, category_id, case_type, urgency, "
                            "channel, state, level, node_id, reporter_name, created_at, "
                            "closed_at, rating FROM cases ORDER BY id")) {
    std::string line;
    for (const auto& name : r.names()) line += r.str(name) + "|";
    out.push_back(line);
  }
  for (const auto& r : rows(db,
                            "SELECT case_id, at, actor_name, action, to_state, to_level, note "
                            "FROM case_events ORDER BY id")) {
    std::string line;
    for (const auto& name : r.names()) line += r.str(name) + "|";
    out.push_back(line);
  }
  for (const auto& r : rows(db, "SELECT id, lat, lng, boundary FROM nodes ORDER BY id")) {
    std::string line;
    for (const auto& name : r.names()) line += r.str(name) + "|";
    out.push_back(line);
  }
  return out;
}

TEST_P(DemoCity, SameSeedSameCity) {
  auto twin = fresh_db();
  ASSERT_TRUE(load_fast(*twin, fixed_options()));
  EXPECT_EQ(resident_names(*twin), resident_names(db()));
  auto ours = case_history(db()), theirs = case_history(*twin);
  ASSERT_EQ(theirs.size(), ours.size());
  for (std::size_t i = 0; i < ours.size(); ++i) ASSERT_EQ(theirs[i], ours[i]) << "row " << i;
  twin->close();
}

TEST_P(DemoCity, CasesCanBeLeftOut) {
  auto other = fresh_db();
  demo::Options opt = fixed_options();
  opt.households = 100;
  opt.cases = 0;
  auto loaded = load_fast(*other, opt);
  ASSERT_TRUE(loaded) << loaded.error().detail;
  EXPECT_EQ(loaded->cases, 0);
  EXPECT_EQ(count(*other, "SELECT count(*) AS n FROM cases"), 0);
  EXPECT_EQ(count(*other, "SELECT count(*) AS n FROM case_events"), 0);
  EXPECT_EQ(count(*other, "SELECT count(*) AS n FROM api_keys"), 1);
  other->close();
}

TEST_P(DemoCity, OtherSeedOtherCity) {
  auto other = fresh_db();
  demo::Options opt = fixed_options();
  opt.seed = 7;
  opt.households = 300;  // a small city loads as well
  auto loaded = load_fast(*other, opt);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->households, 300);
  auto names = resident_names(*other);
  auto ours = resident_names(db());
  ASSERT_GE(names.size(), 50u);
  EXPECT_NE(std::vector<std::string>(names.begin(), names.begin() + 50),
            std::vector<std::string>(ours.begin(), ours.begin() + 50));
  other->close();
}

LINLI_STORE_TESTS(DemoCity);

}  // namespace
