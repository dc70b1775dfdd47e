// Numbered schema migrations, embedded from migrations/<store>/NNNN_name.sql.
#pragma once
#include <string>
#include <vector>

#include "store/db.hpp"

namespace linli::store {

struct Migration {
  const char* store;  // "sqlite" or "postgres"
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& all_migrations();

// Applies every migration newer than the recorded version, each in its own
// transaction, recording it in schema_migrations. Returns the number applied.
Result<int> migrate(Db& db);
// True when every migration for this store is applied.
Result<bool> migrations_current(Db& db);

}  // namespace linli::store
