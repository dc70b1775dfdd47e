#include "auth/principal.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "auth/roles.hpp"

namespace linli::auth {
namespace {

bool grants(const Grant& g, const std::string& permission) {
  const RoleInfo* r = find_role(g.role);
  if (!r) return false;
  return std::find(r->permissions.begin(), r->permissions.end(), permission) !=
         r->permissions.end();
}

}  // namespace

bool in_subtree(const std::string& path, const std::string& root) {
  return !root.empty() && path.size() >= root.size() && path.compare(0, root.size(), root) == 0;
}

int path_depth(std::string_view path) {
  return static_cast<int>(std::ranges::count(path, '/')) - 1;
}

bool whole_city(std::string_view path) { return path_depth(path) <= 1; }

std::string subtree_end(const std::string& root) {
  // Paths hold digits and '/', and end in '/'; '0' sorts right after '/', so
  // "/1/4/" .. "/1/40" covers exactly the subtree in byte order.
  std::string end = root;
  if (!end.empty()) end.back() = static_cast<char>(end.back() + 1);
  return end;
}

std::vector<std::int64_t> path_ids(std::string_view path) {
  std::vector<std::int64_t> ids;
  ids.reserve(8);  // the tree is six levels deep
  const char* end = path.data() + path.size();
  for (const char* at = path.data() + 1; at < end;) {
    const char* slash = std::find(at, end, '/');
    if (slash == end) break;
    std::int64_t id = 0;
    std::from_chars(at, slash, id);
    ids.push_back(id);
    at = slash + 1;
  }
  return ids;
}

std::string ancestor_path(const std::string& path, std::size_t depth) {
  std::size_t cut = 0;
  for (std::size_t i = 0; i <= depth; ++i) {
    cut = path.find('/', cut + 1);
    if (cut == std::string::npos) return path;
  }
  return path.substr(0, cut + 1);
}

bool Principal::can(const std::string& permission) const {
  return std::any_of(grants.begin(), grants.end(),
                     [&](const Grant& g) { return auth::grants(g, permission); });
}

std::vector<std::string> Principal::scope_paths(const std::string& permission) const {
  std::vector<std::string> out;
  for (const auto& g : grants)
    if (!g.node_path.empty() && auth::grants(g, permission)) out.push_back(g.node_path);
  // Drop roots nested inside another root: one range each, no double counting.
  std::sort(out.begin(), out.end());
  std::vector<std::string> roots;
  for (const auto& p : out)
    if (roots.empty() || !in_subtree(p, roots.back())) roots.push_back(p);
  return roots;
}

std::vector<std::int64_t> Principal::scope_orgs(const std::string& permission) const {
  std::vector<std::int64_t> out;
  for (const auto& g : grants)
    if (g.org_id && auth::grants(g, permission)) out.push_back(g.org_id);
  return out;
}

std::vector<std::string> Principal::permissions() const {
  std::set<std::string> s;
  for (const auto& g : grants)
    if (const RoleInfo* r = find_role(g.role))
      s.insert(r->permissions.begin(), r->permissions.end());
  return {s.begin(), s.end()};
}

Status authorize(const Principal& p, const std::string& permission, const std::string& node_path) {
  if (!p.can(permission)) return fail(Error::forbidden());
  for (const auto& root : p.scope_paths(permission))
    if (in_subtree(node_path, root)) return {};
  return fail(Error::not_found());
}

Status authorize_org(const Principal& p, const std::string& permission, std::int64_t org_id,
                     const std::vector<std::string>& served_paths) {
  if (!p.can(permission)) return fail(Error::forbidden());
  for (auto id : p.scope_orgs(permission))
    if (id == org_id) return {};
  for (const auto& root : p.scope_paths(permission))
    for (const auto& path : served_paths)
      if (in_subtree(path, root)) return {};
  return fail(Error::not_found());
}

}  // namespace linli::auth
