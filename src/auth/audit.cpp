#include "auth/audit.hpp"

#include <sodium.h>

#include "core/clock.hpp"

namespace linli::auth {
namespace {

// The chain head's advisory-lock key on PostgreSQL (Tx::serialize_on).
constexpr std::string_view kChainKey = "linli:audit_chain";

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += '\n';
}

void put(std::string& out, const std::optional<std::int64_t>& v) {
  if (v)
    put(out, std::to_string(*v));
  else
    out += "-\n";  // NULL differs from every string, the empty one included
}

std::optional<std::int64_t> opt_id(std::int64_t v) {
  return v ? std::optional<std::int64_t>{v} : std::nullopt;
}

// Hashes entries stored before migration 0009 (head hash NULL), in seq
// order, inside tx. Returns the head's (seq, hash) afterwards.
Result<std::pair<std::int64_t, std::string>> head_sealed(store::Tx& tx) {
  auto head = tx.one("SELECT seq, hash FROM audit_chain WHERE id = 1");
  if (!head) return fail(head.error());
  if (!head->is_null("hash")) return std::pair{head->i64("seq"), head->str("hash")};
  auto rows = tx.query(
      "SELECT id, seq, at, user_id, username, ip, request_id, action, entity, entity_id, "
      "node_path, summary FROM audit_log WHERE hash IS NULL ORDER BY seq");
  if (!rows) return fail(rows.error());
  // Entries already sealed (a chain started before rows were restored into
  // it) stay as they are; the unsealed ones continue from the last of them.
  auto last = tx.query(
      "SELECT seq, hash FROM audit_log WHERE hash IS NOT NULL AND seq IS NOT "
      "NULL ORDER BY seq DESC LIMIT 1");
  if (!last) return fail(last.error());
  std::string prev = last->empty() ? kChainGenesis : (*last)[0].str("hash");
  std::int64_t seq = last->empty() ? 0 : (*last)[0].i64("seq");
  for (const auto& r : *rows) {
    ChainEntry e;
    e.id = r.i64("id");
    e.seq = r.i64("seq");
    e.at = r.i64("at");
    e.user_id = r.opt_i64("user_id");
    e.entity_id = r.opt_i64("entity_id");
    e.username = r.str("username");
    e.ip = r.str("ip");
    e.request_id = r.str("request_id");
    e.action = r.str("action");
    e.entity = r.str("entity");
    e.node_path = r.str("node_path");
    e.summary = r.str("summary");
    auto h = chain_hash(e, prev);
    auto u =
        tx.exec("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3", {prev, h, e.id});
    if (!u) return fail(u.error());
    prev = h;
    seq = e.seq;
  }
  auto u = tx.exec("UPDATE audit_chain SET seq = $1, hash = $2 WHERE id = 1", {seq, prev});
  if (!u) return fail(u.error());
  return std::pair{seq, prev};
}

}  // namespace

std::string chain_hash(const ChainEntry& e, const std::string& prev_hash) {
  std::string buf = "linli-audit-v1\n";
  put(buf, std::optional<std::int64_t>{e.seq});
  put(buf, std::optional<std::int64_t>{e.at});
  put(buf, e.user_id);
  put(buf, e.username);
  put(buf, e.ip);
  put(buf, e.request_id);
  put(buf, e.action);
  put(buf, e.entity);
  put(buf, e.entity_id);
  put(buf, e.node_path);
  put(buf, e.summary);
  put(buf, prev_hash);
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(buf.data()), buf.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

// Strict order: on PostgreSQL the head is guarded by an advisory lock held
// to commit (serialize_on). A SERIALIZABLE writer that waited for it read a
// stale head; updating the head row first makes that a serialization failure,
// and PgDb::write retries holding the chain lock from before BEGIN, so the
// retry cannot lose again. SQLite has one writer.
Status record(store::Tx& tx, const Actor& who, const AuditEntry& what) {
  if (auto s = tx.serialize_on(kChainKey); !s) return s;
  auto head = head_sealed(tx);
  if (!head) return fail(head.error());
  ChainEntry e;
  e.seq = head->first + 1;
  e.at = clock::now_ms();
  e.user_id = opt_id(who.user_id);
  e.username = who.username;
  e.ip = who.ip;
  e.request_id = who.request_id;
  e.action = what.action;
  e.entity = what.entity;
  e.entity_id = opt_id(what.entity_id);
  e.node_path = what.node_path;
  e.summary = what.summary;
  auto h = chain_hash(e, head->second);
  // Sent, not waited for: on PostgreSQL both travel with COMMIT, so the
  // chain's lock is held for two round trips (lock and head, then these).
  if (auto u = tx.send("UPDATE audit_chain SET seq = $1, hash = $2 WHERE id = 1", {e.seq, h}); !u)
    return u;
  return tx.send(
      "INSERT INTO audit_log (at, user_id, username, ip, request_id, action, entity, entity_id, "
      "node_path, summary, seq, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "$10, $11, $12, $13)",
      {e.at, store::opt(e.user_id), e.username, e.ip, e.request_id, e.action, e.entity,
       store::opt(e.entity_id), e.node_path, e.summary, e.seq, head->second, h});
}

Status seal_existing(store::Db& db) {
  auto head = db.one("SELECT hash FROM audit_chain WHERE id = 1");
  if (!head) return fail(head.error());
  if (!head->is_null("hash")) return {};
  return db.write([](store::Tx& tx) -> Status {
    if (auto s = tx.serialize_on(kChainKey); !s) return s;
    auto h = head_sealed(tx);
    if (!h) return fail(h.error());
    return {};
  });
}

}  // namespace linli::auth
