#include "auth/audit.hpp"

#include "core/clock.hpp"

namespace linli::auth {

Status record(store::Tx& tx, const Actor& who, const AuditEntry& what) {
  auto r = tx.exec(
      "INSERT INTO audit_log (at, user_id, username, ip, request_id, action, entity, entity_id, "
      "node_path, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {clock::now_ms(), who.user_id ? store::Value{who.user_id} : store::null(), who.username,
       who.ip, who.request_id, what.action, what.entity,
       what.entity_id ? store::Value{what.entity_id} : store::null(), what.node_path,
       what.summary});
  if (!r) return fail(r.error());
  return {};
}

}  // namespace linli::auth
