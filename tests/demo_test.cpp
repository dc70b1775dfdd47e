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

#include "core/crypto.hpp"
#include "core/validate.hpp"
#include "store/db.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace linli;

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
class DemoCity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // Other tests in this binary may install other keys; ours is in a file.
    if (!crypto::load_data_key(key_dir() + "/key"))
      throw std::runtime_error("cannot load the data key");
    city_ = &city_for(GetParam());
  }
  static void TearDownTestSuite() {
    for (auto& [kind, city] : cities()) city.db->close();
    cities().clear();
    fs::remove_all(key_dir());
  }

  store::Db& db() { return *city_->db; }
  const demo::Summary& summary() { return city_->summary; }
  const std::set<std::string>& city_stages() { return city_->stages; }
  std::unique_ptr<store::Db> fresh_db() { return open_migrated(fresh_store_url(GetParam())); }

 private:
  static const std::string& key_dir() {
    static const std::string dir = [] {
      std::string tmpl = (fs::temp_directory_path() / "linli-demo-key-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
      return tmpl;
    }();
    return dir;
  }
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
    demo::Options opt;
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
  EXPECT_EQ(summary().nodes, count(db(), "SELECT count(*) AS n FROM nodes"));
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
  for (const auto& a : summary().accounts) {
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
  EXPECT_EQ(long(summary().accounts.size()), count(db(), "SELECT count(*) AS n FROM users"));
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
  EXPECT_EQ(city_stages(),
            (std::set<std::string>{"区划", "住户与居民", "党组织与党员", "单位", "账号"}));
}

TEST_P(DemoCity, LoadingTwiceIsRefused) {
  long before = count(db(), "SELECT count(*) AS n FROM residents");
  auto again = demo::load(db(), {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(again.error().detail, "数据库中已有区划数据，演示数据只能载入空库");
  EXPECT_EQ(count(db(), "SELECT count(*) AS n FROM residents"), before);
}

TEST_P(DemoCity, SameSeedSameCity) {
  auto twin = fresh_db();
  ASSERT_TRUE(load_fast(*twin, {}));
  EXPECT_EQ(resident_names(*twin), resident_names(db()));
  twin->close();
}

TEST_P(DemoCity, OtherSeedOtherCity) {
  auto other = fresh_db();
  demo::Options opt;
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
