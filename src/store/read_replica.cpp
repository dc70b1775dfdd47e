#include "store/read_replica.hpp"

namespace linli::store {

Result<Rows> ReadReplicaDb::query(std::string_view sql, const Params& params) {
  auto r = replica_->query(sql, params);
  if (r || r.error().kind != ErrorKind::unavailable) return r;
  fallbacks_.fetch_add(1, std::memory_order_relaxed);
  return primary_.query(sql, params);
}

}  // namespace linli::store
