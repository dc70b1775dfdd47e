// Walks the audit chain (audit.cpp) and reports the first link that does not
// hold. Read-only; pages through the table so a big log does not sit in
// memory.
#include <fmt/format.h>

#include "auth/audit.hpp"

namespace linli::auth {
namespace {

constexpr std::int64_t kPage = 5000;

ChainEntry entry_of(const store::Row& r) {
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
  e.prev_hash = r.opt_str("prev_hash");
  e.hash = r.opt_str("hash");
  return e;
}

ChainBreak broken(const ChainEntry& e, std::string what, std::string expected, std::string found,
                  std::string detail) {
  return {e.id, e.seq, std::move(what), std::move(expected), std::move(found), std::move(detail)};
}

// Checks e against the entry before it (last_seq, last_hash).
std::optional<ChainBreak> check(const ChainEntry& e, const std::optional<std::int64_t>& seq,
                                std::int64_t last_seq, const std::string& last_hash) {
  if (!seq || !e.hash || !e.prev_hash)
    return broken(
        e, "hash", chain_hash(e, last_hash), "",
        fmt::format("审计记录 #{} 不在哈希链中（没有序号或哈希），可能是直接写入数据库的", e.id));
  if (*seq != last_seq + 1)
    return broken(e, "seq", std::to_string(last_seq + 1), std::to_string(*seq),
                  fmt::format("审计记录 #{} 的序号应为 {}，实为 {}：之前的记录被删除或插入", e.id,
                              last_seq + 1, *seq));
  if (*e.prev_hash != last_hash)
    return broken(e, "prev_hash", last_hash, *e.prev_hash,
                  fmt::format("审计记录 #{} 与前一条记录的哈希不相连", e.id));
  auto want = chain_hash(e, last_hash);
  if (*e.hash != want)
    return broken(e, "hash", want, *e.hash,
                  fmt::format("审计记录 #{} 的内容与其哈希不符：记录被修改过", e.id));
  return std::nullopt;
}

}  // namespace

Result<ChainReport> verify_chain(store::Db& db,
                                 const std::function<void(std::int64_t, std::int64_t)>& progress) {
  ChainReport rep;
  auto total = db.one("SELECT COUNT(*) AS n FROM audit_log");
  if (!total) return fail(total.error());
  // The head is read first: entries appended during the walk come after it.
  auto head = db.one("SELECT seq, hash FROM audit_chain WHERE id = 1");
  if (!head) return fail(head.error());
  if (head->is_null("hash")) {
    rep.broken = ChainBreak{0, 0, "head", "", "", "哈希链尚未建立：请先运行 linli migrate"};
    return rep;
  }
  const std::int64_t head_seq = head->i64("seq");
  rep.head_hash = head->str("hash");
  std::int64_t last_seq = 0, after = 0;
  std::string last_hash = kChainGenesis;
  for (;;) {
    auto rows = db.query(
        "SELECT id, seq, at, user_id, username, ip, request_id, action, entity, entity_id, "
        "node_path, summary, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
        {after, kPage});
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) {
      auto e = entry_of(r);
      after = e.id;
      auto seq = r.opt_i64("seq");
      if (seq && *seq > head_seq) break;  // appended after we read the head
      if (auto b = check(e, seq, last_seq, last_hash)) {
        rep.broken = std::move(b);
        return rep;
      }
      last_seq = e.seq;
      last_hash = *e.hash;
      ++rep.checked;
    }
    if (progress) progress(rep.checked, total->i64("n"));
    if (static_cast<std::int64_t>(rows->size()) < kPage) break;
    if (last_seq >= head_seq) break;
  }
  if (last_seq != head_seq || last_hash != rep.head_hash) {
    rep.broken = ChainBreak{0,
                            head_seq,
                            "head",
                            fmt::format("{} {}", head_seq, rep.head_hash),
                            fmt::format("{} {}", last_seq, last_hash),
                            fmt::format("链头记录的是第 {} 条，实际最后一条是第 {} 条："
                                        "最后的记录被删除了",
                                        head_seq, last_seq)};
  }
  return rep;
}

}  // namespace linli::auth
