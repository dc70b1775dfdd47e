// The store contract both adapters keep. SQL is written once in the shared
// dialect described in docs/ARCHITECTURE.md: $1..$n placeholders, RETURNING,
// ON CONFLICT ... DO UPDATE SET x = excluded.x.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace linli::store {

// A bound parameter or a fetched column. Blobs travel as std::string.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
using Params = std::vector<Value>;

inline Value null() { return std::monostate{}; }
inline Value opt(const std::optional<std::string>& s) {
  return s ? Value{*s} : Value{std::monostate{}};
}
inline Value opt(const std::optional<std::int64_t>& v) {
  return v ? Value{*v} : Value{std::monostate{}};
}

// How a fetched value reads as a number or as text, for Row and for the
// stores' RowViews alike. A number that is not one throws
// std::invalid_argument naming the column (a programming error); NULL
// reads as 0 or "".
std::int64_t value_i64(const Value& v, std::string_view column);
double value_f64(const Value& v, std::string_view column);
std::string value_str(const Value& v);

// The column names of one result, shared by its rows, with a sorted index:
// a row looked up by name ~50 times (a case) in a page of 50 rows scanned the
// names linearly 2,500 times (perf: 6 % of a queue page's CPU).
class Columns {
 public:
  explicit Columns(std::vector<std::string> names);
  Columns(const Columns&) = delete;  // the index points into names_
  Columns& operator=(const Columns&) = delete;
  const std::vector<std::string>& names() const { return names_; }
  // The first column of that name (SQL allows repeats: the first wins).
  std::optional<std::size_t> find(std::string_view name) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::pair<std::string_view, std::size_t>> sorted_;  // by name, then position
};

class Row {
 public:
  Row(std::shared_ptr<const Columns> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  const Value& at(std::size_t i) const { return values_.at(i); }
  // Looks a column up by name; throws std::out_of_range for an unknown name
  // (a programming error, not a data error).
  const Value& at(std::string_view name) const;
  // Where a column sits: for code that reads many rows of one result, so it
  // looks each name up once and then reads by position.
  std::size_t index(std::string_view name) const;
  bool is_null(std::string_view name) const { return is_null(index(name)); }
  std::int64_t i64(std::string_view name) const { return i64(index(name)); }  // NULL reads as 0
  double f64(std::string_view name) const { return f64(index(name)); }        // NULL reads as 0
  std::string str(std::string_view name) const { return str(index(name)); }   // NULL reads as ""
  std::optional<std::int64_t> opt_i64(std::string_view name) const { return opt_i64(index(name)); }
  std::optional<std::string> opt_str(std::string_view name) const { return opt_str(index(name)); }
  // The same by position (std::out_of_range past the last column).
  bool is_null(std::size_t i) const { return std::holds_alternative<std::monostate>(at(i)); }
  std::int64_t i64(std::size_t i) const;
  double f64(std::size_t i) const;
  std::string str(std::size_t i) const;
  std::optional<std::int64_t> opt_i64(std::size_t i) const;
  std::optional<std::string> opt_str(std::size_t i) const;
  const std::vector<std::string>& names() const { return columns_->names(); }

 private:
  std::shared_ptr<const Columns> columns_;
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;

// One row of a result read where it lies (Db::each): no Row, no copied
// strings. Valid only inside the callback it is handed to; a text read
// stays valid until the next read of the same row or the next row.
class RowView {
 public:
  virtual ~RowView() = default;
  virtual std::size_t size() const = 0;
  virtual std::string_view name(std::size_t i) const = 0;
  virtual bool is_null(std::size_t i) const = 0;
  virtual std::int64_t i64(std::size_t i) const = 0;       // NULL reads as 0
  virtual std::string_view text(std::size_t i) const = 0;  // NULL reads as ""
  virtual double f64(std::size_t i) const = 0;             // NULL reads as 0
  std::optional<std::int64_t> opt_i64(std::size_t i) const {
    if (is_null(i)) return std::nullopt;
    return i64(i);
  }
  std::optional<double> opt_f64(std::size_t i) const {
    if (is_null(i)) return std::nullopt;
    return f64(i);
  }
  // Where a column sits (the first of that name); throws std::out_of_range
  // for an unknown name, as Row::index does. Compares names one by one;
  // a view of a Row asks the Row's sorted index instead.
  virtual std::size_t index(std::string_view name) const;
};

// A Row seen as a RowView: what Db::each hands out where a store reads a
// whole result first.
class RowAsView final : public RowView {
 public:
  explicit RowAsView(const Row& row) : row_(row) {}
  std::size_t size() const override { return row_.size(); }
  std::string_view name(std::size_t i) const override { return row_.names().at(i); }
  bool is_null(std::size_t i) const override { return row_.is_null(i); }
  std::int64_t i64(std::size_t i) const override { return row_.i64(i); }
  std::string_view text(std::size_t i) const override;
  double f64(std::size_t i) const override { return row_.f64(i); }
  // A case's 50 columns looked up one by one were 2 % of a detail page (perf).
  std::size_t index(std::string_view name) const override { return row_.index(name); }

 private:
  const Row& row_;
  mutable std::string scratch_;  // a number read as text
};

// Called once per row; an error stops the read and is what each() returns.
using EachRow = std::function<Status(const RowView&)>;

// Errors from the store carry kind conflict for unique/foreign-key
// violations (both stores) and unavailable when the store cannot be reached.
struct Exec {
  Rows rows;
  std::int64_t changes = 0;  // rows affected by INSERT/UPDATE/DELETE
};

// " VALUES ($1, $2), ($3, $4)": `rows` rows of `width` placeholders each.
std::string values_rows(std::size_t rows, std::size_t width);

// A transaction handed to a write function. Valid only inside that call.
class Tx {
 public:
  virtual ~Tx() = default;
  virtual Result<Exec> exec(std::string_view sql, const Params& params = {}) = 0;
  // Runs a statement whose answer the caller does not need (an INSERT of a
  // timeline entry, the audit entry). PostgreSQL sends it with the next
  // statement that needs an answer, or with COMMIT, in one round trip
  // (libpq pipeline mode); its failure fails the transaction and may be
  // reported by that later call or by the commit, so a caller that turns a
  // statement's error into a message of its own must use exec() for it.
  // No DDL through send(): the queued statements are prepared before any
  // of them runs. SQLite runs it at once.
  virtual Status send(std::string_view sql, const Params& params = {});
  // Adds a row to a table that nothing in this write reads back (the
  // search index); `head` is "INSERT INTO t (a, b, …)". SQLite holds the
  // rows of a whole group commit and inserts them together just before its
  // COMMIT, outside every request's savepoint: FTS5 writes its pending
  // terms out as a new segment at every savepoint and statement, so one row
  // per request cost a segment (and merge work) per intake. The rows keep
  // their order; a later statement of the same batch does not see them.
  // Only for a table that takes any well-formed row (no constraint a row
  // could break): a refused row fails every write of its batch. Other
  // stores, and SQLite's writes without foreign keys, insert at once.
  virtual Status append(std::string_view head, Params row);
  // Convenience: rows of a query.
  Result<Rows> query(std::string_view sql, const Params& params = {});
  // First row, or not_found.
  Result<Row> one(std::string_view sql, const Params& params = {});
  // Makes writes that spend the same thing (one resident's points, one
  // item's stock) run one after another, so a balance read inside the write
  // is still true at its commit. Call it first in the write function.
  // SQLite has one writer already; PostgreSQL switches this transaction to
  // READ COMMITTED and takes a transaction-scoped advisory lock on the key —
  // under SERIALIZABLE the snapshot would predate the wait and 50 concurrent
  // spenders would end in serialization failures instead of queueing.
  virtual Status serialize_on(std::string_view key) {
    (void)key;
    return {};
  }
};

enum class Kind { sqlite, postgres };

// One read of a batch (Db::query_all).
struct Read {
  std::string sql;
  Params params;
};

class Db {
 public:
  virtual ~Db() = default;
  virtual Kind kind() const = 0;
  // Runs a read on a reader connection (SQLite WAL reader / pooled PG conn).
  virtual Result<Rows> query(std::string_view sql, const Params& params = {}) = 0;
  Result<Row> one(std::string_view sql, const Params& params = {});
  // Runs a read and hands each row to fn as it is read, for a page written
  // straight into its answer: SQLite steps the statement and fn reads the
  // columns in place (a queue page of 50 spent a quarter of its instructions
  // copying rows into Rows and then into Cases; callgrind). fn must not use
  // the store: it runs while the read holds a connection. Other stores read
  // the whole result first (query) and then hand out its rows.
  virtual Status each(std::string_view sql, const Params& params, const EachRow& fn);
  // Runs reads that do not depend on each other together, answers in order:
  // one borrowed connection instead of one per read; on PostgreSQL one
  // pipeline, so one round trip and one snapshot. The first failure fails
  // the batch. A page that needs several reads (a case and its timeline,
  // a session and its roles) asks for them at once.
  virtual Result<std::vector<Rows>> query_all(const std::vector<Read>& reads);
  // Runs fn inside one transaction and commits it; returns only after the
  // commit is durable. If fn returns an error, nothing fn did is kept and
  // that error is returned. On SQLite concurrent writes are group-committed:
  // each in its own SAVEPOINT, so one failure does not sink the batch.
  virtual Status write(const std::function<Status(Tx&)>& fn) = 0;
  // Runs DDL outside the write queue (migrations); the whole script in one
  // transaction.
  virtual Status exec_script(std::string_view sql) = 0;
  // True when a trivial query succeeds.
  virtual bool ping() = 0;
  // Stops accepting writes, finishes queued ones, closes connections.
  virtual void close() = 0;
  // Pool figures for /metrics.
  struct Stats {
    std::int64_t writes = 0, write_batches = 0, reads = 0;
    std::int64_t pool_size = 0, pool_in_use = 0, queue_depth = 0;
    // Page caches the store's library holds inside this process (SQLite's
    // connections; 0 for PostgreSQL, whose memory is its own).
    std::int64_t cache_bytes = 0;
    // Round trips to PostgreSQL by connections handed back (0 for SQLite).
    std::int64_t round_trips = 0;
  };
  virtual Stats stats() const = 0;
};

// Opens "sqlite:PATH" or "postgresql://..." / "postgres://...".
Result<std::unique_ptr<Db>> open(const std::string& url);

}  // namespace linli::store
