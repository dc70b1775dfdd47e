// The territory and its people: plain types for the org module.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace linli::org {

// district → street → community → grid → building → unit
inline const std::vector<std::string> kNodeKinds = {"district", "street",   "community",
                                                    "grid",     "building", "unit"};
const char* kind_name(const std::string& kind);  // "社区"
// The kind a child of `kind` has, or "" for a unit (households hang there).
std::string child_kind(const std::string& kind);

struct Node {
  std::int64_t id = 0, parent_id = 0;
  std::string kind, name, path;
  int depth = 0;
  std::int64_t child_count = 0;
  std::optional<double> lat, lng;
  std::optional<std::int64_t> floors;
};

struct Household {
  std::int64_t id = 0, node_id = 0;
  std::string node_path, room, address;
  std::optional<double> area;
  std::int64_t member_count = 0;
  std::string head_name;
};

struct Resident {
  std::int64_t id = 0, household_id = 0;
  std::string node_path, name, gender, birth_date, relation, phone_mask, id_mask, status, address;
  std::vector<std::string> tags;
  bool party_member = false;
};

// What a form or an import row gives for a resident; empty optionals mean
// "leave as is" on update.
struct ResidentInput {
  std::optional<std::int64_t> household_id;
  std::optional<std::string> name, gender, birth_date, relation, phone, id_number;
  std::optional<std::vector<std::string>> tags;
};

inline const std::vector<std::string> kCareTags = {"空巢老人", "独居",     "残疾",     "低保",
                                                   "困难群众", "退役军人", "留守儿童", "重点关注"};
inline const std::vector<std::string> kRelations = {"户主",   "配偶",     "子女", "父母",
                                                    "孙子女", "兄弟姐妹", "其他"};

}  // namespace linli::org
