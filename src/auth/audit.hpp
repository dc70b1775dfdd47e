// The audit trail: every write and every reveal of personal data, written in
// the same transaction as the change it records.
#pragma once
#include <cstdint>
#include <string>

#include "store/db.hpp"

namespace linli::auth {

// Who acted, from where, in which request.
struct Actor {
  std::int64_t user_id = 0;  // 0 for the system (CLI, sweeps)
  std::string username = "system";
  std::string ip;
  std::string request_id;
  std::string display_name;  // "王芳（社区工作者）": what timelines show

  // Someone who is not a signed-in user: the command line, the sweep.
  static Actor named(std::string name) {
    Actor a;
    a.username = name;
    a.display_name = std::move(name);
    return a;
  }
};

struct AuditEntry {
  std::string action;  // "resident.create", "resident.reveal", "auth.login" …
  std::string entity;  // "resident"
  std::int64_t entity_id = 0;
  std::string node_path;  // where in the tree, so scoped viewers find it
  std::string summary;    // Chinese, no personal numbers in it
};

Status record(store::Tx& tx, const Actor& who, const AuditEntry& what);

}  // namespace linli::auth
