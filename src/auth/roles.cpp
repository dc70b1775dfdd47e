#include "auth/roles.hpp"

#include <algorithm>
#include <set>

namespace linli::auth {
namespace {

// Building-level helpers look after neighbours: they read the registry of
// their building but may not reveal numbers; grid workers visit and call, so
// they may reveal (each reveal audited).
const std::vector<std::string> kNeighbourhood = {"node.read", "household.read", "resident.read",
                                                 "party.read", "org.read"};

std::vector<std::string> with(std::vector<std::string> base, std::vector<std::string> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

// Case work by level (docs/CASES.md): everyone on the ground reads and
// handles cases in their subtree; dispatching levels also accept, dispatch,
// verify; community and street blow the whistle.
const std::vector<std::string> kCaseWork = {"case.read", "case.create", "case.handle"};
const std::vector<std::string> kDispatch = {"case.dispatch", "case.export", "case.kpi"};
const std::vector<std::string> kWhistle = {"case.whistle", "case.suspend"};
// Points: heads record deeds (一事一记); the community's points group
// reviews, publishes and runs the shop.
const std::vector<std::string> kPointsRecord = {"points.read", "points.record"};
const std::vector<std::string> kPointsManage = {"points.read", "points.record", "points.review",
                                                "points.shop"};

std::vector<RoleInfo> make_roles() {
  auto staff = with(kNeighbourhood,
                    {"resident.write", "resident.reveal", "household.write", "resident.import",
                     "resident.export", "party.write", "node.write", "audit.read"});
  auto ground = with(with(kNeighbourhood, kCaseWork), kPointsRecord);
  auto community = with(with(with(with(staff, kCaseWork), kDispatch), kWhistle), kPointsManage);
  return {
      {"resident",
       "居民",
       "Resident",
       ScopeKind::node,
       "mobile",
       {"self.read", "case.report", "points.self"}},
      {"grid_worker", "网格员", "Grid worker", ScopeKind::node, "console",
       with(with(ground, kDispatch),
            {"resident.write", "resident.reveal", "household.write", "resident.export"})},
      {"building_head", "楼栋长", "Building head", ScopeKind::node, "console", ground},
      {"unit_head", "单元长", "Unit head", ScopeKind::node, "console", ground},
      {"party_group_leader", "党小组长", "Party group leader", ScopeKind::node, "console", ground},
      {"branch_secretary", "小区党支部书记", "Branch secretary", ScopeKind::node, "console",
       with(ground, {"resident.reveal", "party.write", "resident.export", "case.kpi"})},
      {"community_staff", "社区工作者", "Community staff", ScopeKind::node, "console", community},
      {"first_secretary", "第一书记", "First secretary", ScopeKind::node, "console",
       with(with(ground, kDispatch), {"audit.read", "resident.export"})},
      {"street_center", "街道指挥中心", "Street command centre", ScopeKind::node, "console",
       with(community, {"org.write", "case.settings"})},
      {"department_staff",
       "部门工作人员",
       "Department staff",
       ScopeKind::org,
       "department",
       {"department.portal", "case.department"}},
      {"property_staff",
       "物业公司",
       "Property company",
       ScopeKind::org,
       "department",
       {"property.portal", "case.property"}},
      {"merchant", "商户", "Merchant", ScopeKind::org, "merchant", {"merchant.portal"}},
      {"admin", "系统管理员", "Administrator", ScopeKind::node, "console",
       with(community, {"org.write", "user.manage", "user.read", "case.settings", "audit.verify"})},
  };
}

}  // namespace

const std::vector<RoleInfo>& roles() {
  static const std::vector<RoleInfo> r = make_roles();
  return r;
}

const RoleInfo* find_role(const std::string& code) {
  for (const auto& r : roles())
    if (code == r.code) return &r;
  return nullptr;
}

std::vector<std::string> all_permissions() {
  std::set<std::string> s;
  for (const auto& r : roles()) s.insert(r.permissions.begin(), r.permissions.end());
  return {s.begin(), s.end()};
}

}  // namespace linli::auth
