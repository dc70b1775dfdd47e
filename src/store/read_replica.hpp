// A Db for read-mostly services (KPIs, dashboards, exports) in a cluster: its
// reads go to a streaming replica, its writes (an export's audit row) to the
// primary. What it reads may lag the primary by the replication delay
// (docs/SCALING.md); services that must see their own writes use the
// primary's Db directly.
#pragma once
#include <atomic>
#include <memory>

#include "store/db.hpp"

namespace linli::store {

class ReadReplicaDb final : public Db {
 public:
  // primary must outlive this object; replica is owned. A read the replica
  // answers with unavailable (down, restarting) is asked of the primary.
  ReadReplicaDb(Db& primary, std::unique_ptr<Db> replica)
      : primary_(primary), replica_(std::move(replica)) {}
  ~ReadReplicaDb() override { close(); }

  Kind kind() const override { return primary_.kind(); }
  Result<Rows> query(std::string_view sql, const Params& params = {}) override;
  Status write(const std::function<Status(Tx&)>& fn) override { return primary_.write(fn); }
  Status exec_script(std::string_view sql) override { return primary_.exec_script(sql); }
  bool ping() override { return replica_->ping(); }
  // Closes the replica's connections only; the primary belongs to its owner.
  void close() override { replica_->close(); }
  Stats stats() const override { return replica_->stats(); }
  // Reads the replica could not answer and the primary did.
  std::int64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

 private:
  Db& primary_;
  std::unique_ptr<Db> replica_;
  std::atomic<std::int64_t> fallbacks_{0};
};

}  // namespace linli::store
