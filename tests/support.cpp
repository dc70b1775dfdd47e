#include "support.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "store/migrations.hpp"

namespace {

const char* pg_admin_url() {
  const char* url = std::getenv("LINLI_TEST_PG_URL");
  return url && *url ? url : nullptr;
}

// Runs one statement on a short-lived admin connection: CREATE/DROP DATABASE
// cannot run inside the store's transactions.
void admin_exec(const std::string& admin_url, const std::string& sql) {
  PGconn* c = PQconnectdb(admin_url.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  if (!err.empty()) throw std::runtime_error(sql + ": " + err);
}

// The URL with its database name replaced.
std::string with_database(const std::string& url, const std::string& db) {
  auto host = url.find("://");
  host = host == std::string::npos ? 0 : host + 3;
  auto query = url.find('?', host);
  auto end = query == std::string::npos ? url.size() : query;
  auto slash = url.find('/', host);
  if (slash == std::string::npos || slash > end)
    return url.substr(0, end) + "/" + db + url.substr(end);
  return url.substr(0, slash + 1) + db + url.substr(end);
}

// Removes what the tests created when the process exits; LINLI_TEST_KEEP=1
// keeps it for a post-mortem.
class Scratch {
 public:
  ~Scratch() {
    if (std::getenv("LINLI_TEST_KEEP")) return;
    std::error_code ec;
    for (const auto& d : dirs_) std::filesystem::remove_all(d, ec);
    for (const auto& db : databases_) {
      try {
        admin_exec(admin_, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      } catch (const std::exception&) {
        // The cluster may already be gone; it was a throwaway one.
      }
    }
  }
  void add_dir(std::filesystem::path d) {
    std::lock_guard lk(mu_);
    dirs_.push_back(std::move(d));
  }
  void add_database(const std::string& admin, std::string db) {
    std::lock_guard lk(mu_);
    admin_ = admin;
    databases_.push_back(std::move(db));
  }

 private:
  std::mutex mu_;
  std::vector<std::filesystem::path> dirs_;
  std::string admin_;
  std::vector<std::string> databases_;
};

Scratch& scratch() {
  static Scratch s;
  return s;
}

std::string fresh_sqlite_url() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "linli-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  scratch().add_dir(tmpl);
  return "sqlite:" + tmpl + "/linli.db";
}

std::string fresh_pg_url() {
  const char* admin = pg_admin_url();
  if (!admin) throw std::runtime_error("LINLI_TEST_PG_URL is not set");
  static std::atomic<int> counter{0};
  std::string name = "linli_t_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  scratch();  // constructed before first use, so destroyed after the tests' statics
  admin_exec(admin, "CREATE DATABASE " + name);
  scratch().add_database(admin, name);
  return with_database(admin, name);
}

}  // namespace

std::vector<std::string> store_kinds() { return {"sqlite", "postgres"}; }

bool store_available(const std::string& kind) { return kind == "sqlite" || pg_admin_url(); }

std::string fresh_store_url(const std::string& kind) {
  if (kind == "sqlite") return fresh_sqlite_url();
  if (kind == "postgres") return fresh_pg_url();
  throw std::runtime_error("unknown store kind " + kind);
}

std::vector<std::string> test_store_urls() {
  std::vector<std::string> urls;
  for (const auto& kind : store_kinds())
    if (store_available(kind)) urls.push_back(fresh_store_url(kind));
  return urls;
}

std::unique_ptr<linli::store::Db> open_migrated(const std::string& url) {
  auto db = linli::store::open(url);
  if (!db) throw std::runtime_error("cannot open " + url + ": " + db.error().detail);
  auto applied = linli::store::migrate(**db);
  if (!applied) throw std::runtime_error("cannot migrate " + url + ": " + applied.error().detail);
  return std::move(*db);
}

void StoreParamTest::SetUp() {
  if (!store_available(GetParam()))
    GTEST_SKIP() << GetParam()
                 << " is not available here (scripts/with-postgres.sh sets LINLI_TEST_PG_URL)";
}

void StoreTest::SetUp() {
  StoreParamTest::SetUp();
  if (IsSkipped()) return;
  url_ = fresh_store_url(GetParam());
  db_ = open_migrated(url_);
}

void StoreTest::TearDown() {
  if (db_) db_->close();
}

std::string store_param_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}
