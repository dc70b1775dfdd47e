#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "core/log.hpp"
#include "search/case_index.hpp"
#include "store/migrations.hpp"
#include "store/postgres/pg_db.hpp"
#include "store/sqlite/check_lists.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace linli::store {
namespace {

// Any constant both nodes agree on; "linli" in ASCII.
constexpr std::int64_t kMigrationLock = 0x6c696e6c69;

const char* store_name(Kind k) { return k == Kind::sqlite ? "sqlite" : "postgres"; }

std::vector<const Migration*> migrations_for(Kind k) {
  std::vector<const Migration*> out;
  for (const Migration& m : all_migrations()) {
    if (std::string_view(m.store) == store_name(k)) out.push_back(&m);
  }
  std::sort(out.begin(), out.end(),
            [](const Migration* a, const Migration* b) { return a->version < b->version; });
  return out;
}

Status run_script(Kind k, Tx& tx, std::string_view sql) {
  return k == Kind::sqlite ? sqlite::exec_script_in(tx, sql) : pg::exec_script_in(tx, sql);
}

// Under PG's transaction-scoped advisory lock a second node starting at the
// same moment waits, then finds the work done. SQLite's writer already holds
// the database's write lock.
Status lock_and_ensure_table(Kind k, Tx& tx) {
  if (k == Kind::postgres) {
    auto lock = tx.exec("SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
    if (!lock) return fail(std::move(lock.error()));
    return run_script(k, tx,
                      "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
                      " name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
  }
  return run_script(k, tx,
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT");
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// What a migration needs beyond its SQL, in the migration's transaction: 0011
// indexes the existing cases with the C++ bigram splitter
// (search/bigrams.hpp); on SQLite, 0017 and every later migration rewrite
// the CHECK constraints' IN lists of what they created
// (store/sqlite/check_lists.hpp; a no-op when there are none).
Status after_script(Kind k, Tx& tx, int version) {
  if (k == Kind::sqlite && version >= 17) {
    auto n = sqlite::rewrite_check_in_lists(tx);
    if (!n) return fail(std::move(n.error()));
    if (*n > 0)
      log::event(spdlog::level::info, "store",
                 {{"detail", fmt::format("CHECK lists rewritten in {} tables", *n)}});
  }
  if (version != 11) return {};
  auto n = search::fill(tx, k, 0);
  if (!n) return fail(std::move(n.error()));
  log::event(spdlog::level::info, "store",
             {{"detail", fmt::format("case search index: {} cases indexed", *n)}});
  return {};
}

// Applies m unless it is at or below the highest recorded version.
Status apply(Kind k, Tx& tx, const Migration& m, bool& applied) {
  applied = false;
  if (auto st = lock_and_ensure_table(k, tx); !st) return st;
  auto cur = tx.one("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations");
  if (!cur) return fail(std::move(cur.error()));
  if (cur->i64("v") >= m.version) return {};
  // Recorded before the script runs: on PG the snapshot was taken by the lock
  // statement, before a node that held the lock committed, so "not applied
  // yet" may be stale. Inserting the row then collides with that node's row,
  // which SERIALIZABLE reports as a serialization failure, and write() re-runs
  // us with a fresh snapshot.
  auto row =
      tx.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
              {std::int64_t{m.version}, std::string(m.name), now_ms()});
  if (!row) return fail(std::move(row.error()));
  if (auto st = run_script(k, tx, m.sql); !st) return st;
  if (auto st = after_script(k, tx, m.version); !st) return st;
  applied = true;
  return {};
}

// A SQLite migration that rebuilds tables says so on its first line,
// "-- linli: foreign keys off, check residents …": it runs with foreign-key
// enforcement off and the named tables' keys are checked before it commits.
std::optional<std::vector<std::string>> tables_rebuilt(Kind k, std::string_view sql) {
  constexpr std::string_view kMarker = "-- linli: foreign keys off, check ";
  if (k != Kind::sqlite || !sql.starts_with(kMarker)) return std::nullopt;
  std::vector<std::string> tables;
  std::string_view rest = sql.substr(kMarker.size());
  rest = rest.substr(0, rest.find('\n'));
  for (std::size_t at = 0; at < rest.size();) {
    auto end = std::min(rest.find(' ', at), rest.size());
    if (end > at) tables.emplace_back(rest.substr(at, end - at));
    at = end + 1;
  }
  return tables;
}

// The versions schema_migrations records; none before the first migration.
Result<std::set<std::int64_t>> recorded_versions(Db& db) {
  auto exists =
      db.one(db.kind() == Kind::sqlite
                 ? "SELECT COUNT(*) AS n FROM sqlite_master"
                   " WHERE type = 'table' AND name = 'schema_migrations'"
                 : "SELECT COUNT(*) AS n FROM pg_catalog.pg_tables"
                   " WHERE schemaname = current_schema() AND tablename = 'schema_migrations'");
  if (!exists) return fail(std::move(exists.error()));
  std::set<std::int64_t> have;
  if (exists->i64("n") == 0) return have;
  auto rows = db.query("SELECT version FROM schema_migrations");
  if (!rows) return fail(std::move(rows.error()));
  for (const Row& r : *rows) have.insert(r.i64("version"));
  return have;
}

}  // namespace

Result<int> migrate(Db& db) {
  int count = 0;
  for (const Migration* m : migrations_for(db.kind())) {
    bool applied = false;
    auto fn = [&](Tx& tx) { return apply(db.kind(), tx, *m, applied); };
    auto rebuilt = tables_rebuilt(db.kind(), m->sql);
    if (rebuilt) {
      // Applied already: no write, so no check of the rebuilt tables' foreign
      // keys either (2M residents: 0.7 s at every start of the server).
      auto done = recorded_versions(db);
      if (!done) return fail(std::move(done.error()));
      if (done->contains(m->version)) continue;
    }
    auto st = rebuilt ? sqlite::write_without_foreign_keys(db, fn, *rebuilt) : db.write(fn);
    if (!st) {
      log::event(spdlog::level::err, "store",
                 {{"detail", fmt::format("migration {}/{} failed: {}", m->store, m->name,
                                         st.error().detail)}});
      return fail(std::move(st.error()));
    }
    if (applied) {
      log::event(spdlog::level::info, "store",
                 {{"detail", fmt::format("applied migration {}/{}", m->store, m->name)}});
      ++count;
    }
  }
  return count;
}

Result<bool> migrations_current(Db& db) {
  auto have = recorded_versions(db);
  if (!have) return fail(std::move(have.error()));
  auto wanted = migrations_for(db.kind());
  return std::all_of(wanted.begin(), wanted.end(),
                     [&](const Migration* m) { return have->contains(m->version); });
}

}  // namespace linli::store
