// Bulk writers for `linli gen`: rows go straight to the store, bypassing the
// request path. SQLite: one prepared INSERT per table, one transaction per
// batch, relaxed pragmas while loading (restored at the end). PostgreSQL: COPY
// text format, tables flushed in dependency order.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/db.hpp"

namespace linli::gen {

class Sink {
 public:
  virtual ~Sink() = default;
  // Registers a table; returns its handle for add(). Register in dependency
  // order (parents first).
  virtual Result<int> table(std::string_view name, const std::vector<std::string>& cols) = 0;
  virtual Status add(int table, const std::vector<store::Value>& row) = 0;
  // Drops the secondary indexes of these tables (rebuilt by finish()).
  virtual Status drop_indexes(const std::vector<std::string>& tables) = 0;
  // Flushes, commits, rebuilds indexes, restores settings, analyses.
  virtual Status finish() = 0;
  virtual Status exec(std::string_view sql) = 0;
  virtual store::Kind kind() const = 0;
  long rows() const { return rows_; }

 protected:
  long rows_ = 0;
};

// url: sqlite:PATH or postgresql://…
Result<std::unique_ptr<Sink>> open_sink(const std::string& url);

}  // namespace linli::gen
