// CHECK constraints written as equality chains instead of IN lists.
//
// SQLite 3.40 tests `x IN ('a', 'b', 'c')` by building a temporary B-tree of
// the list each time a statement runs (sqlite3FindInIndex: a constant list of
// more than two terms), and a CHECK runs for every row written: six such
// lists (as on `cases`) cost 11–17 µs per INSERT; with `(x = 'a' OR x = 'b'
// OR …)` the whole INSERT took 2.3 µs. Migrations keep the readable IN form;
// migrate() rewrites the stored table definitions after 0017 and after every
// later SQLite migration (store/migrate.cpp).
#pragma once
#include <string>
#include <string_view>

#include "store/db.hpp"

namespace linli::store::sqlite {

// `col IN (l1, l2, l3…)` → `(col = l1 OR col = l2 OR …)` and `col NOT IN (…)`
// → `(col <> l1 AND …)` for lists of three or more string or integer
// literals, where a bare column opens the condition (after "(", AND or OR);
// the same truth value for every row, NULL included. The rest of the text
// is kept as it is.
std::string in_lists_as_equality_chains(std::string_view sql);

// Rewrites the stored definition of every table whose CHECKs have such lists,
// inside tx, by the procedure https://sqlite.org/lang_altertable.html#otheralter
// gives for changing constraints: writable_schema, UPDATE sqlite_schema, a new
// schema_version. The rows are not touched: each constraint means what it meant.
Result<int> rewrite_check_in_lists(Tx& tx);

}  // namespace linli::store::sqlite
