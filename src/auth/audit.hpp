// The audit trail: every write and every reveal of personal data, written in
// the same transaction as the change it records.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
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

// Appends one entry to the hash chain (see audit_chain.cpp): the entry's
// prev_hash is the chain head's hash and its hash covers its fields and
// prev_hash. Entries are appended strictly one after another on both stores.
Status record(store::Tx& tx, const Actor& who, const AuditEntry& what);

// One stored entry as the chain sees it.
struct ChainEntry {
  std::int64_t id = 0, seq = 0, at = 0;
  std::optional<std::int64_t> user_id, entity_id;
  std::string username, ip, request_id, action, entity, node_path, summary;
  std::optional<std::string> prev_hash, hash;
};
// SHA-256 (hex) over a canonical, length-prefixed encoding of e's fields and
// its prev_hash.
std::string chain_hash(const ChainEntry& e, const std::string& prev_hash);
// prev_hash of the first entry.
inline const std::string kChainGenesis(64, '0');

// The first link that does not hold, in chain order.
struct ChainBreak {
  std::int64_t id = 0;   // the entry (0: the chain head row)
  std::int64_t seq = 0;  // its place, as stored
  std::string what;      // "hash", "prev_hash", "seq", "head"
  std::string expected, found;
  std::string detail;  // Chinese, for people
};
struct ChainReport {
  std::int64_t checked = 0;
  std::string head_hash;  // write it down elsewhere: it anchors everything before it
  std::optional<ChainBreak> broken;
};
// Walks the whole chain in pages; progress(done, total) after each page.
Result<ChainReport> verify_chain(
    store::Db& db, const std::function<void(std::int64_t, std::int64_t)>& progress = {});
// Hashes entries written before the chain existed (migration 0009) so the
// chain covers them; a no-op once done. record() does it too when needed.
Status seal_existing(store::Db& db);

}  // namespace linli::auth
