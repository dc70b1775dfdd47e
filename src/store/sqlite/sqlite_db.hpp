// The embedded store: one writer thread group-commits queued writes on one
// connection; reads run on a pool of WAL reader connections.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.hpp"

namespace linli::store::sqlite {

struct Options {
  int readers = 0;               // reader connections; 0 = 2 x hardware threads, at least 4
  std::size_t max_batch = 256;   // writes per group commit, so one batch's latency stays bounded
  int borrow_timeout_ms = 5000;  // waiting for a free reader longer than this is unavailable
};

// Opens (creating if absent) the database file at path. Fails with
// unavailable when the file cannot be opened or put in WAL mode.
Result<std::unique_ptr<Db>> open_sqlite(const std::string& path, const Options& options = {});

// One budget for the page caches of every SQLite connection opened after it
// (the writer's and each reader's cache_size), so a server's RSS levels off at
// a known size however large the database grows. `linli serve` sets it
// (--sqlite-memory-mb); the bulk commands (gen, import, demo) run without one:
// their big transactions and index builds want all the cache they can get.
void set_memory_budget(std::int64_t bytes);

// For bulk commands that expect the file to themselves (`linli import`): the
// writer opened after this uses a rollback journal when no other connection
// has the file open, so a big transaction's pages are written once instead
// of to the WAL and again at the checkpoint (1M residents: about 3 s less).
// Otherwise, and always after close(), the file is in WAL mode. A server
// started during the bulk write cannot switch the file back to WAL and fails
// to start at once ("数据库繁忙"); SQLite does not wait for that lock.
void use_rollback_journal_when_alone(bool on);

// Runs fn in a transaction of its own with foreign-key enforcement off, as
// SQLite's procedure for changing a table's constraints needs (create the new
// table, copy, drop the old, rename). Before the commit the foreign keys of
// each table in check are verified (PRAGMA foreign_key_check); a broken one
// fails the write. Only the named tables: the whole database's check reads
// every row of every table (minutes on a city of 10M cases). db must be a Db
// this adapter opened; internal error otherwise.
Status write_without_foreign_keys(Db& db, const std::function<Status(Tx&)>& fn,
                                  const std::vector<std::string>& check);

// Runs a multi-statement script inside tx, which must be a Tx this adapter
// handed to a write function; internal error otherwise.
Status exec_script_in(Tx& tx, std::string_view sql);

}  // namespace linli::store::sqlite
