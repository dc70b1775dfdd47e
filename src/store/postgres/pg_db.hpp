// The server store: a pool of libpq connections. Writes run SERIALIZABLE so
// code written against SQLite's single writer stays correct here; a write that
// loses a serialization race is re-run (its function must not have effects
// outside the transaction).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "store/db.hpp"

namespace linli::store::pg {

// Opens a pool on url ("postgresql://user@host:port/db?..."). The extra query
// parameter pool_size=N (or linli_pool=N) sets the pool size, default 8; it
// is removed before the URL reaches libpq. Connects once eagerly so a wrong
// URL or a server that is down fails here with unavailable.
Result<std::unique_ptr<Db>> open_pg(const std::string& url);

// The libpq connection string for url: linli's own parameters (pool_size)
// removed, a connect timeout added. Fails with invalid like open_pg.
Result<std::string> conninfo_of(const std::string& url);

// Runs a multi-statement script inside tx, which must be a Tx this adapter
// handed to a write function; internal error otherwise.
Status exec_script_in(Tx& tx, std::string_view sql);

}  // namespace linli::store::pg
