// Test helpers: run a test against every store this machine offers.
//
// SQLite is always tested. PostgreSQL is tested too when LINLI_TEST_PG_URL holds an admin
// URL (scripts/with-postgres.sh sets it: `scripts/with-postgres.sh ctest`); each call
// then gets a brand-new database, dropped when the test process exits.
//
// Most tests want a fixture with a fresh, migrated store per test:
//
//   #include "support.hpp"
//   class CasesTest : public StoreTest {};          // db() is a fresh, migrated store
//   TEST_P(CasesTest, OpensACase) {
//     auto r = db().one("SELECT COUNT(*) AS n FROM nodes");
//     ASSERT_TRUE(r) << r.error().detail;
//     if (is_sqlite()) { ... }                       // store-specific checks, rarely needed
//   }
//   LINLI_STORE_TESTS(CasesTest);                    // instantiates .../sqlite and .../postgres
//
// A test that needs its own store (an un-migrated one, a second process, a server binary)
// calls fresh_store_url(GetParam()) or test_store_urls() and open()/open_migrated().
// Helpers throw std::runtime_error on failure, which gtest reports as a failed test.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/db.hpp"

// The store kinds tests are instantiated for: always "sqlite" and "postgres",
// so the test list is the same with or without a database server (ctest
// discovers tests at build time). A PostgreSQL test skips itself when
// LINLI_TEST_PG_URL is not set.
std::vector<std::string> store_kinds();
// Whether tests of this kind can run here.
bool store_available(const std::string& kind);

// A URL of an empty store of that kind, new for this call.
std::string fresh_store_url(const std::string& kind);

// One fresh URL per kind from store_kinds(), SQLite first.
std::vector<std::string> test_store_urls();

// Opens url and applies every migration; throws std::runtime_error on failure.
std::unique_ptr<linli::store::Db> open_migrated(const std::string& url);

// Base of every store-parameterised fixture: skips when its store is absent.
// A fixture with its own SetUp calls this first and returns if IsSkipped().
class StoreParamTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
};

// Fixture: db() is a fresh migrated store of kind GetParam(); closed after the test.
class StoreTest : public StoreParamTest {
 protected:
  void SetUp() override;
  void TearDown() override;
  linli::store::Db& db() { return *db_; }
  const std::string& url() const { return url_; }
  bool is_sqlite() const { return GetParam() == "sqlite"; }

  std::string url_;
  std::unique_ptr<linli::store::Db> db_;
};

// Names each instance after its store: Store/Suite.Test/sqlite, Store/Suite.Test/postgres.
std::string store_param_name(const ::testing::TestParamInfo<std::string>& info);

#define LINLI_STORE_TESTS(Suite) \
  INSTANTIATE_TEST_SUITE_P(Store, Suite, ::testing::ValuesIn(store_kinds()), store_param_name)
