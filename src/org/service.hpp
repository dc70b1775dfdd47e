// The rules of the territory registry. Every call takes the caller and
// checks permission and scope itself, so no route can forget to.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/audit.hpp"
#include "auth/principal.hpp"
#include "org/model.hpp"
#include "store/db.hpp"

namespace linli::org {

using Json = nlohmann::json;

struct ListQuery {
  std::optional<std::int64_t> node;  // subtree filter
  std::string q;                     // name / address search
  std::string tag, category, kind;
  std::int64_t after = 0;
  int limit = 50;
};

// Progress of a long import: (stage, done, total), from the calling thread.
using ImportProgress = std::function<void(const std::string& stage, long done, long total)>;

struct ImportReport {
  bool dry_run = true;
  int rows = 0, created = 0, updated = 0, unchanged = 0;
  struct RowError {
    int row;
    std::string column, message;
  };
  std::vector<RowError> errors;
};

class OrgService {
 public:
  explicit OrgService(store::Db& db) : db_(db) {}

  // Territory
  // Every grid's boundary as GeoJSON text (a FeatureCollection), for the
  // maps. No personal data in it.
  Result<std::string> grid_map();
  Result<std::vector<Node>> scope_roots(const auth::Principal& p);
  Result<std::vector<Node>> children(const auth::Principal& p, std::int64_t parent_id);
  Result<Node> node(const auth::Principal& p, std::int64_t id, const std::string& permission);
  // Ancestors of a node down to it, starting at the caller's scope root.
  Result<std::vector<Node>> breadcrumbs(const auth::Principal& p, const Node& n);
  Result<Node> create_node(const auth::Principal& p, std::int64_t parent_id,
                           const std::string& name, const auth::Actor& by);
  Result<Node> rename_node(const auth::Principal& p, std::int64_t id, const std::string& name,
                           const auth::Actor& by);

  // Households
  Result<std::vector<Household>> households(const auth::Principal& p, const ListQuery& q);
  Result<Household> household(const auth::Principal& p, std::int64_t id);
  Result<Json> household_moves(std::int64_t household_id);
  Result<Household> create_household(const auth::Principal& p, std::int64_t node_id,
                                     const std::string& room, std::optional<double> area,
                                     const auth::Actor& by);
  Result<Household> move_household(const auth::Principal& p, std::int64_t id, std::int64_t to_node,
                                   const std::string& room, const std::string& reason,
                                   const auth::Actor& by);

  // Residents
  Result<std::vector<Resident>> residents(const auth::Principal& p, const ListQuery& q);
  Result<std::vector<Resident>> household_members(std::int64_t household_id);
  Result<Resident> resident(const auth::Principal& p, std::int64_t id);
  Result<Resident> create_resident(const auth::Principal& p, const ResidentInput& in,
                                   const auth::Actor& by);
  Result<Resident> update_resident(const auth::Principal& p, std::int64_t id,
                                   const ResidentInput& in, const auth::Actor& by);
  // Decrypts "phone" or "id_number" and records the reveal in the audit trail.
  Result<std::string> reveal(const auth::Principal& p, std::int64_t id, const std::string& field,
                             const auth::Actor& by);
  // The signed-in resident's own household.
  Result<Household> my_household(const auth::Principal& p);

  // Party and organisations
  Result<Json> party_orgs(const auth::Principal& p, const ListQuery& q);
  Result<Json> party_members(const auth::Principal& p, const ListQuery& q);
  Result<Json> resident_party(const auth::Principal& p, std::int64_t resident_id);
  Result<Json> orgs(const auth::Principal& p, const ListQuery& q);

  // Import (CSV or XLSX, told apart by content) and export (org/import.cpp)
  Result<ImportReport> import_residents(const auth::Principal& p, std::string_view csv_text,
                                        bool dry_run, const auth::Actor& by,
                                        const ImportProgress& progress = {});
  // Header + rows of the residents in a subtree, masked.
  Result<std::vector<std::vector<std::string>>> export_residents(const auth::Principal& p,
                                                                 std::int64_t node_id,
                                                                 const auth::Actor& by);

 private:
  // Validates a resident's fields; collects field errors (by JSON name).
  Status check_resident(const ResidentInput& in, bool creating);
  Status write_resident(store::Tx& tx, std::int64_t id, const ResidentInput& in,
                        const std::string& node_path);
  Result<std::string> scope_root_path(const auth::Principal& p, std::optional<std::int64_t> node,
                                      const std::string& permission);

  store::Db& db_;
};

}  // namespace linli::org
