#include "app/cluster.hpp"

#include "core/crypto.hpp"
#include "store/read_replica.hpp"

namespace linli::cluster {

Result<std::unique_ptr<store::Db>> open_reads(store::Db& primary, const std::string& replica_url) {
  if (primary.kind() != store::Kind::postgres)
    return fail(Error::invalid("只读副本只适用于 PostgreSQL 数据库"));
  if (!replica_url.starts_with("postgresql://") && !replica_url.starts_with("postgres://"))
    return fail(Error::invalid("只读副本地址应为 postgresql://…"));
  auto replica = store::open(replica_url);
  if (!replica) return fail(replica.error());
  return std::unique_ptr<store::Db>(
      std::make_unique<store::ReadReplicaDb>(primary, std::move(*replica)));
}

Status check_data_key(store::Db& db) {
  auto rows = db.query(
      "SELECT phone_enc AS sealed FROM residents WHERE phone_enc IS NOT NULL "
      "UNION ALL SELECT id_enc FROM residents WHERE id_enc IS NOT NULL LIMIT 1");
  if (!rows) return fail(rows.error());
  if (rows->empty()) return {};
  if (auto plain = crypto::open((*rows)[0].str("sealed")); !plain)
    return fail(Error::invalid(
        "个人信息密钥与数据库不匹配：集群中每个节点必须使用同一个密钥文件 (--key-file)"));
  return {};
}

}  // namespace linli::cluster
