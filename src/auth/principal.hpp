// Who is calling, and where their rights reach in the territory tree.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace linli::auth {

// One role held on one node (its subtree) or for one organisation.
struct Grant {
  std::string role;
  std::int64_t node_id = 0;
  std::string node_path;  // '/1/4/' — empty for organisation grants
  std::string node_name;
  std::int64_t org_id = 0;
  std::string org_name;
};

struct Principal {
  std::int64_t user_id = 0;
  std::int64_t session_id = 0;
  std::string username;
  std::string display_name;
  std::int64_t resident_id = 0;  // for residents: who they are
  std::vector<Grant> grants;
  // "full", or "totp"/"enrol" while the second factor is outstanding
  // (auth/service.hpp); such a session may call only a few auth routes.
  std::string stage = "full";

  // Holds the permission through any role, anywhere.
  bool can(const std::string& permission) const;
  // The subtree roots (paths) where the permission applies.
  std::vector<std::string> scope_paths(const std::string& permission) const;
  // The organisations for which the permission applies.
  std::vector<std::int64_t> scope_orgs(const std::string& permission) const;
  // Every permission held, sorted (for the UI).
  std::vector<std::string> permissions() const;
};

// The one decision every request goes through: forbidden when the caller
// lacks the permission everywhere; not_found when the target node lies
// outside every subtree where they hold it (no existence leak).
Status authorize(const Principal& p, const std::string& permission, const std::string& node_path);
// Same for an organisation-scoped target (a department, a merchant): allowed
// when the caller holds the permission for that organisation, or holds it on
// a subtree containing any node the organisation serves.
Status authorize_org(const Principal& p, const std::string& permission, std::int64_t org_id,
                     const std::vector<std::string>& served_paths);

// Path helpers: a subtree is the key range [path, upper_bound(path)).
bool in_subtree(const std::string& path, const std::string& root);
std::string subtree_end(const std::string& root);
// How many nodes a path holds: "/1/" (the district, the whole city) is 1,
// "/1/2/" (a street) 2, down to a unit at 6.
int path_depth(std::string_view path);
// A path at the top of the tree, whose subtree is the whole city.
bool whole_city(std::string_view path);
// The ids along a path, root first: "/1/2/4/" → {1, 2, 4}. By depth they are
// district, street, community, grid, building, unit.
std::vector<std::int64_t> path_ids(std::string_view path);
// The path of the ancestor at `depth` (0 = district; 2 = community), or the
// path itself when it is not that deep.
std::string ancestor_path(const std::string& path, std::size_t depth);

}  // namespace linli::auth
