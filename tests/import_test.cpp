// The resident import at a size where its bulk paths run (multi-row inserts,
// sealing on every core, SQLite's indexes built once at the end), through the
// real `linli` binary on both stores: what lands is exactly what the CSV
// said, a bad row anywhere writes nothing, and a second run changes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api_env.hpp"
#include "core/crypto.hpp"
#include "core/csv.hpp"
#include "core/validate.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

constexpr long kRows = 12000;  // above the import's index-rebuild threshold (10,000)

class ImportTest : public StoreParamTest {
 protected:
  void SetUp() override {
    StoreParamTest::SetUp();
    if (IsSkipped()) return;
    dir_ = fs::temp_directory_path() /
           ("linli-import-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    // The key the in-process helpers use, so this process can open what the
    // binary sealed.
    key_ = linli::test::ApiEnv::key_file();
    linli::crypto::init();
    ASSERT_TRUE(linli::crypto::load_data_key(key_));
    url_ = fresh_store_url(GetParam());
    csv_ = (dir_ / "residents.csv").string();
    auto gen = std::string(LINLI_BINARY) + " gen --db '" + url_ + "' --key-file " + key_ +
               " --residents " + std::to_string(kRows) +
               " --cases 0 --seed 5 --now 2026-11-01 --residents-csv " + csv_ + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(gen.c_str()), 0) << gen;
    db_ = open_migrated(url_);
  }
  void TearDown() override {
    if (db_) db_->close();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Runs `linli import residents FILE`; returns the exit status, stdout in out.
  int import(const std::string& file, std::string& out) {
    auto log = (dir_ / "out.txt").string();
    auto cmd = std::string(LINLI_BINARY) + " import residents " + file + " --db '" + url_ +
               "' --key-file " + key_ + " >" + log + " 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  std::int64_t count(const std::string& sql) {
    auto r = db_->one(sql);
    if (!r) throw std::runtime_error(r.error().detail);
    return r->i64("n");
  }
  std::vector<linli::csv::Record> rows() {
    std::ifstream in(csv_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = linli::csv::parse(ss.str());
    if (!r) throw std::runtime_error(r.error().detail);
    return *r;
  }

  static inline int counter_ = 0;
  fs::path dir_;
  std::string key_, url_, csv_;
  std::unique_ptr<linli::store::Db> db_;
};

TEST_P(ImportTest, ABadRowAnywhereWritesNothingAndNamesTheRows) {
  auto records = rows();
  ASSERT_EQ(records.size(), std::size_t(kRows + 1));
  // Spreadsheet rows (header = 1): a bad mobile in the middle, a repeated ID
  // number near the end.
  records[6001][4] = "1234";
  records[11000][5] = records[20][5];
  records[11000][1] = records[20][1];
  auto bad = (dir_ / "bad.csv").string();
  std::ofstream(bad, std::ios::binary) << linli::csv::format(records);
  auto residents = count("SELECT count(*) AS n FROM residents");
  auto households = count("SELECT count(*) AS n FROM households");
  auto audits = count("SELECT count(*) AS n FROM audit_log WHERE action = 'resident.import'");
  std::string out;
  EXPECT_EQ(import(bad, out), 2) << out;
  EXPECT_NE(out.find("第6002行 手机号"), std::string::npos) << out;
  EXPECT_NE(out.find("第11001行 身份证号"), std::string::npos) << out;
  EXPECT_NE(out.find("错误 2"), std::string::npos) << out;
  EXPECT_LT(out.find("第6002行"), out.find("第11001行")) << "errors in row order: " << out;
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents);
  EXPECT_EQ(count("SELECT count(*) AS n FROM households"), households);
  EXPECT_EQ(count("SELECT count(*) AS n FROM audit_log WHERE action = 'resident.import'"), audits);
}

TEST_P(ImportTest, WhatLandsIsWhatTheCsvSaidAndASecondRunChangesNothing) {
  auto residents = count("SELECT count(*) AS n FROM residents");
  auto households = count("SELECT count(*) AS n FROM households");
  std::string out;
  ASSERT_EQ(import(csv_, out), 0) << out;
  EXPECT_NE(out.find("新增 " + std::to_string(kRows)), std::string::npos) << out;
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents + kRows);
  EXPECT_EQ(count("SELECT count(*) AS n FROM audit_log WHERE action = 'resident.import'"), 1);
  if (GetParam() == "sqlite") {
    // The planner knows the table grew: 500 ID numbers are looked up in the
    // unique index, not by scanning every resident (statistics from the
    // near-empty city made a second import of 1M rows run for minutes).
    std::string sql =
        "EXPLAIN QUERY PLAN SELECT id, household_id, node_path, name, gender, birth_date, "
        "relation, phone_hash, tags, id_hash FROM residents WHERE id_hash IN (";
    linli::store::Params ps;
    for (int i = 1; i <= 500; ++i) {
      sql += (i > 1 ? ", $" : "$") + std::to_string(i);
      ps.emplace_back("h" + std::to_string(i));
    }
    auto plan = db_->query(sql + ")", ps);
    ASSERT_TRUE(plan) << plan.error().detail;
    std::string detail;
    for (const auto& r : *plan) detail += r.str("detail") + "\n";
    EXPECT_NE(detail.find("SEARCH residents USING INDEX residents_id_hash"), std::string::npos)
        << detail;
  }

  auto records = rows();
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < records[0].size(); ++i) col[records[0][i]] = i;
  int phones = 0, tagged = 0;
  for (std::size_t i = 1; i < records.size(); i += 37) {
    const auto& r = records[i];
    auto idn = r[col["身份证号"]], phone = r[col["手机号"]];
    auto got = db_->one(
        "SELECT r.name, r.gender, r.birth_date, r.relation, r.tags, r.phone_enc, r.phone_mask, "
        "r.phone_hash, r.id_enc, r.id_mask, r.node_path, h.room, h.address, h.node_path AS "
        "hpath, u.name AS unit, b.name AS building, g.name AS grid FROM residents r JOIN "
        "households h ON h.id = r.household_id JOIN nodes u ON u.id = h.node_id JOIN nodes b ON "
        "b.id = u.parent_id JOIN nodes g ON g.id = b.parent_id WHERE r.id_hash = $1",
        {linli::crypto::blind_index(idn)});
    ASSERT_TRUE(got) << "row " << i + 1 << ": " << got.error().detail;
    EXPECT_EQ(got->str("name"), r[col["姓名"]]);
    EXPECT_EQ(got->str("gender"), r[col["性别"]] == "男" ? "M" : "F");
    EXPECT_EQ(got->str("birth_date"), r[col["出生日期"]]);
    EXPECT_EQ(got->str("relation"), r[col["与户主关系"]]);
    auto tags = r[col["标签"]];
    for (auto p = tags.find("、"); p != std::string::npos; p = tags.find("、"))
      tags.replace(p, 3, ",");
    EXPECT_EQ(got->str("tags"), tags);
    tagged += !tags.empty();
    EXPECT_EQ(got->str("grid"), r[col["网格"]]);
    EXPECT_EQ(got->str("building"), r[col["楼栋"]]);
    EXPECT_EQ(got->str("unit"), r[col["单元"]]);
    EXPECT_EQ(got->str("room"), r[col["房号"]]);
    EXPECT_EQ(got->str("node_path"), got->str("hpath"));
    EXPECT_TRUE(got->str("address").ends_with(r[col["单元"]] + r[col["房号"]] + "室"))
        << got->str("address");
    // Sealed, masked and indexed, never in the clear.
    auto id_plain = linli::crypto::open(got->str("id_enc"));
    ASSERT_TRUE(id_plain);
    EXPECT_EQ(*id_plain, idn);
    EXPECT_EQ(got->str("id_mask"), linli::validate::mask_id_number(idn));
    if (phone.empty()) {
      EXPECT_TRUE(got->is_null("phone_enc"));
      EXPECT_TRUE(got->is_null("phone_hash"));
    } else {
      ++phones;
      auto phone_plain = linli::crypto::open(got->str("phone_enc"));
      ASSERT_TRUE(phone_plain);
      EXPECT_EQ(*phone_plain, phone);
      EXPECT_EQ(got->str("phone_mask"), linli::validate::mask_phone(phone));
      EXPECT_EQ(got->str("phone_hash"), linli::crypto::blind_index(phone));
    }
  }
  EXPECT_GT(phones, 100);
  EXPECT_GT(tagged, 0);
  // One household per distinct room, shared by its members.
  std::set<std::string> places;
  for (std::size_t i = 1; i < records.size(); ++i)
    places.insert(records[i][col["网格"]] + "|" + records[i][col["楼栋"]] + "|" +
                  records[i][col["单元"]] + "|" + records[i][col["房号"]]);
  EXPECT_EQ(count("SELECT count(*) AS n FROM households"),
            households + std::int64_t(places.size()));
  if (GetParam() == "sqlite") {
    // The indexes set aside for the load are all back, and the file is sound.
    EXPECT_EQ(count("SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                    "'residents' AND name IN ('residents_path', 'residents_household', "
                    "'residents_name', 'residents_phone_hash', 'residents_id_hash')"),
              5);
    auto ok = db_->one("PRAGMA integrity_check");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->str("integrity_check"), "ok");
  }

  ASSERT_EQ(import(csv_, out), 0) << out;
  EXPECT_NE(out.find("新增 0, 更新 0, 未变 " + std::to_string(kRows)), std::string::npos) << out;
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents + kRows);
}

TEST_P(ImportTest, AFailureWhileWritingUndoesEverythingIncludingTheIndexRebuild) {
  auto records = rows();
  // The store refuses the last resident, after every other row was inserted
  // (and, on SQLite, after the indexes were set aside).
  auto last = linli::crypto::blind_index(records.back()[5]);
  std::string ddl =
      GetParam() == "sqlite"
          ? "CREATE TRIGGER refuse_one BEFORE INSERT ON residents WHEN NEW.id_hash = '" + last +
                "' BEGIN SELECT RAISE(ABORT, 'refused by test'); END;"
          : "CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN IF NEW.id_hash = '" + last +
                "' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$ LANGUAGE "
                "plpgsql; CREATE TRIGGER refuse_one BEFORE INSERT ON residents FOR EACH ROW "
                "EXECUTE FUNCTION refuse_one();";
  ASSERT_TRUE(db_->exec_script(ddl));
  auto residents = count("SELECT count(*) AS n FROM residents");
  auto households = count("SELECT count(*) AS n FROM households");
  std::string out;
  EXPECT_NE(import(csv_, out), 0) << out;
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents);
  EXPECT_EQ(count("SELECT count(*) AS n FROM households"), households);
  EXPECT_EQ(count("SELECT count(*) AS n FROM audit_log WHERE action = 'resident.import'"), 0);
  if (GetParam() == "sqlite") {
    EXPECT_EQ(count("SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                    "'residents' AND name IN ('residents_path', 'residents_household', "
                    "'residents_name', 'residents_phone_hash', 'residents_id_hash')"),
              5);
  }
  // Without the refusal the same file goes in whole.
  ASSERT_TRUE(db_->exec_script(GetParam() == "sqlite"
                                   ? "DROP TRIGGER refuse_one;"
                                   : "DROP TRIGGER refuse_one ON residents; DROP FUNCTION "
                                     "refuse_one();"));
  ASSERT_EQ(import(csv_, out), 0) << out;
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents + kRows);
}

TEST_P(ImportTest, AnIdNumberRegisteredDuringTheWriteFailsTheImportAndChangesNothing) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "SQLite sets the unique index aside while writing";
  // While the import writes, "someone" registers a resident with the ID
  // number of the file's first row: the import's plan could not see them, and
  // the unique index, set aside, catches it only when it is rebuilt.
  auto records = rows();
  auto first = linli::crypto::blind_index(records[1][5]);
  auto last = linli::crypto::blind_index(records.back()[5]);
  ASSERT_TRUE(db_->exec_script(
      "CREATE TRIGGER sneak_in AFTER INSERT ON residents WHEN NEW.id_hash = '" + last +
      "' BEGIN INSERT INTO residents (household_id, node_path, name, gender, id_hash, created_at, "
      "updated_at) VALUES (NEW.household_id, NEW.node_path, '插队', 'M', '" +
      first + "', 0, 0); END;"));
  auto residents = count("SELECT count(*) AS n FROM residents");
  std::string out;
  EXPECT_NE(import(csv_, out), 0) << out;
  EXPECT_NE(out.find("请重新导入"), std::string::npos) << out;
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents);
  EXPECT_EQ(count("SELECT count(*) AS n FROM sqlite_master WHERE name = 'residents_id_hash'"), 1);
}

TEST_P(ImportTest, AloneWithTheFileTheImportLandsAndLeavesItInWal) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "SQLite's journal";
  // With no other connection the import writes under a rollback journal;
  // it must leave the file in WAL mode, as a server expects it.
  auto residents = count("SELECT count(*) AS n FROM residents");
  db_->close();
  db_.reset();
  std::string out;
  ASSERT_EQ(import(csv_, out), 0) << out;
  // The file header's read and write versions: 2 = WAL, 1 = rollback journal.
  std::ifstream file(url_.substr(std::string("sqlite:").size()), std::ios::binary);
  char header[20] = {};
  ASSERT_TRUE(file.read(header, sizeof header));
  EXPECT_EQ(header[18], 2);
  EXPECT_EQ(header[19], 2);
  db_ = open_migrated(url_);
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents + kRows);
}

TEST_P(ImportTest, Migration16RebuildsResidentsKeepingEveryRowAndForeignKey) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "a SQLite table rebuild";
  auto all = [&] {
    auto r = db_->query("SELECT * FROM residents ORDER BY id");
    if (!r) throw std::runtime_error(r.error().detail);
    std::vector<std::string> out;
    for (const auto& row : *r) {
      std::string line;
      for (const auto& name : row.names()) line += row.opt_str(name).value_or("∅") + "|";
      out.push_back(line);
    }
    return out;
  };
  auto before = all();
  ASSERT_GT(before.size(), 100u);
  ASSERT_GT(count("SELECT count(*) AS n FROM party_members"), 0);
  // 16 and every later one apply again (migrate() goes by the highest version).
  auto again = count("SELECT count(*) AS n FROM schema_migrations WHERE version >= 16");
  ASSERT_TRUE(db_->exec_script("DELETE FROM schema_migrations WHERE version >= 16"));
  auto applied = linli::store::migrate(*db_);
  ASSERT_TRUE(applied) << applied.error().detail;
  EXPECT_EQ(*applied, again);
  EXPECT_EQ(all(), before);
  EXPECT_EQ(count("SELECT count(*) AS n FROM pragma_foreign_key_check"), 0);
  // The rebuild dropped 0021's triggers with the old table; 0021 ran after it
  // and made them again.
  ASSERT_TRUE(
      db_->exec_script("UPDATE residents SET tags = '退役军人' WHERE id = (SELECT "
                       "min(id) FROM residents)"));
  EXPECT_EQ(count("SELECT count(*) AS n FROM resident_tags WHERE tag = '退役军人' AND "
                  "resident_id = (SELECT min(id) FROM residents)"),
            1);
  EXPECT_EQ(count("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'sqlite_autoindex_"
                  "residents%'"),
            0);
  // An ID number is still registered once, and foreign keys are enforced
  // again once the rebuild is over.
  auto twin = db_->write([](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec(
        "INSERT INTO residents (household_id, node_path, name, gender, id_hash, created_at, "
        "updated_at) SELECT household_id, node_path, '双胞胎', gender, id_hash, 0, 0 FROM "
        "residents WHERE id_hash IS NOT NULL LIMIT 1");
    if (!r) return linli::fail(r.error());
    return {};
  });
  ASSERT_FALSE(twin);
  EXPECT_EQ(twin.error().kind, linli::ErrorKind::conflict);
  auto orphan = db_->write([](linli::store::Tx& tx) -> linli::Status {
    auto r = tx.exec(
        "INSERT INTO residents (household_id, node_path, name, gender, created_at, updated_at) "
        "VALUES (987654321, '/1/', '无户', 'M', 0, 0)");
    if (!r) return linli::fail(r.error());
    return {};
  });
  EXPECT_FALSE(orphan);
}

TEST_P(ImportTest, AWriteWithoutForeignKeysThatBreaksOneKeepsNothing) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "SQLite's foreign-key switch";
  auto residents = count("SELECT count(*) AS n FROM residents");
  auto w = linli::store::sqlite::write_without_foreign_keys(
      *db_,
      [](linli::store::Tx& tx) -> linli::Status {
        auto r = tx.exec(
            "INSERT INTO residents (household_id, node_path, name, gender, created_at, "
            "updated_at) VALUES (987654321, '/1/', '无户', 'M', 0, 0)");
        if (!r) return linli::fail(r.error());
        return {};
      },
      {"residents"});
  EXPECT_FALSE(w);
  EXPECT_EQ(count("SELECT count(*) AS n FROM residents"), residents);
}

LINLI_STORE_TESTS(ImportTest);

}  // namespace
