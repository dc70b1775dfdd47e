// The roles of DOMAIN.md §1 and what each may do. Permissions are
// "<thing>.<verb>" codes; a role grants them within its node's subtree (or
// for its organisation).
#pragma once
#include <string>
#include <vector>

namespace linli::auth {

enum class ScopeKind { node, org };

struct RoleInfo {
  const char* code;
  const char* name_zh;
  const char* name_en;
  ScopeKind scope;
  const char* home;  // "console", "mobile", "department", "merchant"
  std::vector<std::string> permissions;
};

const std::vector<RoleInfo>& roles();
const RoleInfo* find_role(const std::string& code);
// Every permission code any role grants (for the authorization matrix).
std::vector<std::string> all_permissions();

}  // namespace linli::auth
