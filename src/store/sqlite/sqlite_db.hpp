// The embedded store: one writer thread group-commits queued writes on one
// connection; reads run on a pool of WAL reader connections.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

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

// Runs a multi-statement script inside tx, which must be a Tx this adapter
// handed to a write function; internal error otherwise.
Status exec_script_in(Tx& tx, std::string_view sql);

}  // namespace linli::store::sqlite
