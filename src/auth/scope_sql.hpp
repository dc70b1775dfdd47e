// Scope as SQL: lists, counts, searches and exports add these conditions so
// nothing outside the caller's subtrees ever leaves the store.
#pragma once
#include <string>

#include "auth/principal.hpp"
#include "store/sql.hpp"

namespace linli::auth {

// Appends " AND (<column> within one of the caller's subtrees for
// permission)"; with no subtree at all, a condition no row meets.
void and_in_scope(store::Sql& q, const Principal& p, const std::string& permission,
                  const std::string& column);
// "<column> >= $a AND <column> < $b": <column> within the subtree at
// root_path, as one range an index on the path seeks.
std::string in_subtree_sql(store::Sql& q, const std::string& root_path, const std::string& column);
// Appends " AND <column> within the subtree at root_path".
void and_in_subtree(store::Sql& q, const std::string& root_path, const std::string& column);

}  // namespace linli::auth
