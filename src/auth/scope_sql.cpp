#include "auth/scope_sql.hpp"

namespace linli::auth {

std::string in_subtree_sql(store::Sql& q, const std::string& root_path, const std::string& column) {
  return column + " >= " + q.bind(root_path) + " AND " + column + " < " +
         q.bind(subtree_end(root_path));
}

void and_in_subtree(store::Sql& q, const std::string& root_path, const std::string& column) {
  q << " AND " << in_subtree_sql(q, root_path, column);
}

void and_in_scope(store::Sql& q, const Principal& p, const std::string& permission,
                  const std::string& column) {
  auto roots = p.scope_paths(permission);
  if (roots.empty()) {
    q << " AND 1 = 0";
    return;
  }
  q << " AND (";
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (i) q << " OR ";
    q << "(" << column << " >= " << q.bind(roots[i]) << " AND " << column << " < "
      << q.bind(subtree_end(roots[i])) << ")";
  }
  q << ")";
}

}  // namespace linli::auth
