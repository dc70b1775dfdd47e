#include "store/sqlite/sqlite_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/log.hpp"

namespace linli::store::sqlite {
namespace {

// Dynamic SQL (IN lists of varying length) could grow the cache without end.
constexpr std::size_t kStmtCacheMax = 512;

// Cache sizes: a reader's cache is emptied whenever another connection has
// committed since its last read (WAL), which under steady writes is nearly
// every request, so readers keep small caches and lean on the operating
// system's; the writer keeps the B-tree pages its inserts walk. All of them
// share serve's --sqlite-memory-mb budget when it is set (set_memory_budget).
constexpr const char* kWriterPragmas =
    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000;"
    "PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864;";
// query_only makes a write sent through query() fail, as on PostgreSQL, instead
// of silently bypassing the writer queue.
constexpr const char* kReaderPragmas =
    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-4000; PRAGMA temp_store=MEMORY;"
    "PRAGMA query_only=ON;";

std::string_view clip(std::string_view sql) { return sql.substr(0, 300); }

Error map_error(int code, const char* msg, std::string_view sql) {
  log::event(spdlog::level::warn, "store",
             {{"detail", fmt::format("sqlite error {} ({}): {} [{}]", code, sqlite3_errstr(code),
                                     msg ? msg : "", clip(sql))}});
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Error::conflict("数据与已有记录重复");
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Error::conflict("关联的记录不存在，或仍被其他记录引用");
    case SQLITE_CONSTRAINT_CHECK:
      return Error::invalid("数据不符合取值要求");
    case SQLITE_CONSTRAINT_NOTNULL:
      return Error::invalid("缺少必填的数据");
    case SQLITE_CONSTRAINT_DATATYPE:
      return Error::invalid("数据类型不正确");
    default:
      break;
  }
  switch (code & 0xff) {
    case SQLITE_FULL:
      return Error::storage_full();
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOTADB:
      return Error::unavailable("存储暂时不可用，请稍后再试");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::unavailable("数据库繁忙，请稍后再试");
    case SQLITE_CONSTRAINT:
      return Error::invalid("数据不符合约束条件");
    default:
      return Error::internal("数据库内部错误");
  }
}

// A mistake in the calling code (bad placeholder, wrong parameter count).
Error misuse(std::string_view what, std::string_view sql) {
  log::event(spdlog::level::err, "store",
             {{"detail", fmt::format("sqlite misuse: {} [{}]", what, clip(sql))}});
  return Error::internal("数据库内部错误");
}

struct StrHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Stmt {
  sqlite3_stmt* raw = nullptr;
  std::vector<int> slots;  // slots[k] is the bind index of "$k+1"
  // The result's column names, shared by every row of every run: built once
  // (perf: a vector of names, a shared_ptr and a sort per query), again only
  // when SQLite has re-prepared the statement after a schema change, which
  // can change what `SELECT *` names. Call after a step.
  const std::shared_ptr<const Columns>& columns() {
    int reprepared = sqlite3_stmt_status(raw, SQLITE_STMTSTATUS_REPREPARE, 0);
    if (!names || reprepared != names_at) {
      std::vector<std::string> cols;
      for (int i = 0; i < sqlite3_column_count(raw); ++i)
        cols.emplace_back(sqlite3_column_name(raw, i));
      names = std::make_shared<const Columns>(std::move(cols));
      names_at = reprepared;
    }
    return names;
  }
  std::shared_ptr<const Columns> names;
  int names_at = 0;
};

// Resets on every exit path: a statement left mid-step would pin a WAL read
// snapshot and stall checkpoints.
struct ResetGuard {
  sqlite3_stmt* s;
  ~ResetGuard() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

bool only_separators(std::string_view tail) {
  return tail.find_first_not_of("; \t\r\n") == std::string_view::npos;
}

int bind(sqlite3_stmt* s, int idx, const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return sqlite3_bind_int64(s, idx, *i);
  if (const auto* d = std::get_if<double>(&v)) return sqlite3_bind_double(s, idx, *d);
  if (const auto* str = std::get_if<std::string>(&v)) {
    // Bytes with a NUL are binary data; PG sends them as bytea too.
    if (str->find('\0') != std::string::npos) {
      return sqlite3_bind_blob64(s, idx, str->data(), str->size(), SQLITE_STATIC);
    }
    return sqlite3_bind_text64(s, idx, str->data(), str->size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  return sqlite3_bind_null(s, idx);
}

Value column(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return sqlite3_column_int64(s, i);
    case SQLITE_FLOAT:
      return sqlite3_column_double(s, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
      return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
    }
    default:
      return std::monostate{};
  }
}

class Conn {
 public:
  static Result<std::unique_ptr<Conn>> open(const std::string& path, const char* pragmas,
                                            bool reader);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  Result<Exec> exec(std::string_view sql, const Params& params = {});
  // Steps a read and hands fn each row in place (Db::each).
  Status each(std::string_view sql, const Params& params, const EachRow& fn);
  Status script(std::string_view sql);
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // The page cache's size, noted by the thread using the connection (after a
  // read, after a batch) for /metrics to sum without touching it.
  void note_cache() {
    int cur = 0, high = 0;
    if (sqlite3_db_status(db_, SQLITE_DBSTATUS_CACHE_USED, &cur, &high, 0) == SQLITE_OK)
      cache_bytes_.store(cur, std::memory_order_relaxed);
  }
  std::int64_t cache_bytes() const { return cache_bytes_.load(std::memory_order_relaxed); }
  // Schema edits (PRAGMA writable_schema) off. Through sqlite3_db_config,
  // which expires prepared statements only if the flag was on; the PRAGMA
  // expires every statement of the connection each time it runs.
  void schema_edits_off() {
    sqlite3_db_config(db_, SQLITE_DBCONFIG_WRITABLE_SCHEMA, 0, static_cast<int*>(nullptr));
  }

 private:
  Conn(sqlite3* db, bool reader) : db_(db), reader_(reader) {}
  Result<Stmt*> prepare(std::string_view sql);
  // The statement for sql, prepared and with params bound: ready to step.
  Result<Stmt*> bound(std::string_view sql, const Params& params);
  Result<Stmt> compile(std::string_view sql);
  void clear_cache();
  Error last_error(std::string_view sql) const {
    return map_error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), sql);
  }

  sqlite3* db_;
  bool reader_;
  std::atomic<std::int64_t> cache_bytes_{0};
  std::unordered_map<std::string, Stmt, StrHash, std::equal_to<>> cache_;
};

Result<std::unique_ptr<Conn>> Conn::open(const std::string& path, const char* pragmas,
                                         bool reader) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Conn> conn(new Conn(raw, reader));  // owns the handle even when open failed
  if (rc != SQLITE_OK) {
    return fail(map_error(rc, raw ? sqlite3_errmsg(raw) : "", "open " + path));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  if (auto st = conn->script(pragmas); !st) return fail(std::move(st.error()));
  return conn;
}

Conn::~Conn() {
  clear_cache();
  sqlite3_close_v2(db_);
}

void Conn::clear_cache() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt.raw);
  cache_.clear();
}

Result<Stmt> Conn::compile(std::string_view sql) {
  Stmt out;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &out.raw, &tail);
  if (rc != SQLITE_OK) return fail(last_error(sql));
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (!out.raw || !only_separators(rest)) {
    sqlite3_finalize(out.raw);
    return fail(misuse("exec takes exactly one statement", sql));
  }
  // Placeholders must be exactly $1..$n: SQLite numbers named parameters by
  // first appearance, so "$2 ... $1" would bind wrongly by position.
  int n = sqlite3_bind_parameter_count(out.raw);
  for (int k = 1; k <= n; ++k) {
    int idx = sqlite3_bind_parameter_index(out.raw, ("$" + std::to_string(k)).c_str());
    if (idx == 0) {
      sqlite3_finalize(out.raw);
      return fail(misuse("placeholders must be $1..$n without gaps", sql));
    }
    out.slots.push_back(idx);
  }
  return out;
}

Result<Stmt*> Conn::prepare(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return &it->second;
  auto stmt = compile(sql);
  if (!stmt) return fail(std::move(stmt.error()));
  if (cache_.size() >= kStmtCacheMax) clear_cache();
  return &cache_.emplace(std::string(sql), *stmt).first->second;
}

Result<Stmt*> Conn::bound(std::string_view sql, const Params& params) {
  auto prepared = prepare(sql);
  if (!prepared) return fail(std::move(prepared.error()));
  Stmt& stmt = **prepared;
  if (params.size() != stmt.slots.size()) {
    return fail(misuse("SQL takes " + std::to_string(stmt.slots.size()) + " parameters, got " +
                           std::to_string(params.size()),
                       sql));
  }
  if (reader_ && !sqlite3_stmt_readonly(stmt.raw)) {
    return fail(misuse("query() cannot write; use write()", sql));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (bind(stmt.raw, stmt.slots[i], params[i]) != SQLITE_OK) {
      ResetGuard clear{stmt.raw};
      return fail(last_error(sql));
    }
  }
  return &stmt;
}

Result<Exec> Conn::exec(std::string_view sql, const Params& params) {
  auto bound_stmt = bound(sql, params);
  if (!bound_stmt) return fail(std::move(bound_stmt.error()));
  Stmt& stmt = **bound_stmt;
  ResetGuard guard{stmt.raw};
  Exec out;
  int rc;
  while ((rc = sqlite3_step(stmt.raw)) == SQLITE_ROW) {
    const auto& names = stmt.columns();
    auto ncol = names->names().size();
    std::vector<Value> values;
    values.reserve(ncol);
    for (std::size_t i = 0; i < ncol; ++i) values.push_back(column(stmt.raw, static_cast<int>(i)));
    out.rows.emplace_back(names, std::move(values));
  }
  if (rc != SQLITE_DONE) return fail(last_error(sql));
  if (!sqlite3_stmt_readonly(stmt.raw)) out.changes = sqlite3_changes64(db_);
  return out;
}

// The row a statement has just stepped to, read in place.
class StmtRow final : public RowView {
 public:
  explicit StmtRow(sqlite3_stmt* s)
      : s_(s), n_(static_cast<std::size_t>(sqlite3_column_count(s))) {}
  std::size_t size() const override { return n_; }
  std::string_view name(std::size_t i) const override { return sqlite3_column_name(s_, column(i)); }
  bool is_null(std::size_t i) const override {
    return sqlite3_column_type(s_, column(i)) == SQLITE_NULL;
  }
  std::int64_t i64(std::size_t i) const override { return sqlite3_column_int64(s_, column(i)); }
  std::string_view text(std::size_t i) const override {
    // Text first, then its length: the documented order (the length of the
    // text form, not of a blob or number read before it).
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, column(i)));
    if (!p) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(s_, column(i)))};
  }
  double f64(std::size_t i) const override { return sqlite3_column_double(s_, column(i)); }

 private:
  int column(std::size_t i) const {
    if (i >= n_) throw std::out_of_range("no column " + std::to_string(i));
    return static_cast<int>(i);
  }
  sqlite3_stmt* s_;
  std::size_t n_;
};

Status Conn::each(std::string_view sql, const Params& params, const EachRow& fn) {
  auto bound_stmt = bound(sql, params);
  if (!bound_stmt) return fail(std::move(bound_stmt.error()));
  sqlite3_stmt* raw = (*bound_stmt)->raw;
  ResetGuard guard{raw};
  const StmtRow row(raw);
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW)
    if (auto st = fn(row); !st) return st;
  if (rc != SQLITE_DONE) return fail(last_error(sql));
  return {};
}

Status Conn::script(std::string_view sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  Error e = map_error(sqlite3_extended_errcode(db_), msg, sql);
  sqlite3_free(msg);
  return fail(std::move(e));
}

// A row held for the end of the group commit (Tx::append).
struct HeldRow {
  std::string head;
  Params row;
};

// After a statement fails the write cannot go on: PostgreSQL aborts the
// transaction at that point, and both stores must behave alike.
class SqliteTx final : public Tx {
 public:
  // hold: keep appended rows for the end of the batch (Tx::append); a write
  // without foreign keys inserts them at once, before its key check.
  SqliteTx(Conn& conn, bool hold) : conn_(conn), hold_(hold) {}
  Result<Exec> exec(std::string_view sql, const Params& params) override {
    if (failed_) return fail(*failed_);
    auto r = conn_.exec(sql, params);
    if (!r) failed_ = r.error();
    return r;
  }
  Status append(std::string_view head, Params row) override {
    if (failed_) return fail(*failed_);
    // SQLite binds at most 32766 values per statement.
    if (row.empty() || row.size() > 32766)
      return fail(misuse("append takes 1 to 32766 values", head));
    if (!hold_) return Tx::append(head, std::move(row));
    held_.push_back({std::string(head), std::move(row)});
    return {};
  }
  std::vector<HeldRow>& held() { return held_; }
  Status script(std::string_view sql) {
    if (failed_) return fail(*failed_);
    auto r = conn_.script(sql);
    if (!r) failed_ = r.error();
    return r;
  }
  const std::optional<Error>& failed() const { return failed_; }

 private:
  Conn& conn_;
  bool hold_;
  std::vector<HeldRow> held_;
  std::optional<Error> failed_;
};

Status call_guarded(const std::function<Status(Tx&)>& fn, Tx& tx) {
  try {
    return fn(tx);
  } catch (const std::exception& e) {
    log::event(spdlog::level::err, "store",
               {{"detail", fmt::format("write function threw: {}", e.what())}});
  } catch (...) {
    log::event(spdlog::level::err, "store",
               {{"detail", "write function threw a non-standard exception"}});
  }
  return fail(Error::internal("服务器内部错误"));
}

class ReaderPool {
 public:
  ReaderPool(std::vector<std::unique_ptr<Conn>> conns, std::chrono::milliseconds timeout)
      : all_(std::move(conns)), size_(static_cast<std::int64_t>(all_.size())), timeout_(timeout) {
    for (auto& c : all_) idle_.push_back(c.get());
  }

  class Lease {
   public:
    Lease(ReaderPool* pool, Conn* conn) : pool_(pool), conn_(conn) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(std::exchange(o.conn_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (!conn_) return;
      // A reader never goes back with a snapshot open: it would pin the WAL
      // and show its next borrower the past (query_all's batches).
      if (conn_->in_transaction()) (void)conn_->exec("ROLLBACK");
      conn_->note_cache();
      pool_->give_back(conn_);
    }
    Conn& operator*() const { return *conn_; }
    Conn* operator->() const { return conn_; }

   private:
    ReaderPool* pool_;
    Conn* conn_;
  };

  Result<Lease> borrow() {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, timeout_, [&] { return closed_ || !idle_.empty(); })) {
      return fail(Error::unavailable("数据库繁忙，请稍后再试"));
    }
    if (closed_) return fail(Error::unavailable("数据库已关闭"));
    Conn* c = idle_.back();
    idle_.pop_back();
    ++in_use_;
    return Lease(this, c);
  }

  // Waits for borrowed connections to come back, then closes them all.
  void close() {
    std::unique_lock lk(mu_);
    closed_ = true;
    cv_.notify_all();
    cv_.wait(lk, [&] { return in_use_ == 0; });
    idle_.clear();
    auto conns = std::move(all_);
    lk.unlock();
  }

  std::int64_t size() const { return size_; }
  std::int64_t in_use() const {
    std::lock_guard lk(mu_);
    return in_use_;
  }
  std::int64_t cache_bytes() const {
    std::lock_guard lk(mu_);
    std::int64_t sum = 0;
    for (const auto& c : all_) sum += c->cache_bytes();
    return sum;
  }

 private:
  void give_back(Conn* c) {
    std::lock_guard lk(mu_);
    idle_.push_back(c);
    --in_use_;
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> all_;
  const std::int64_t size_;
  std::vector<Conn*> idle_;
  std::chrono::milliseconds timeout_;
  std::int64_t in_use_ = 0;
  bool closed_ = false;
};

class SqliteDb;
thread_local const SqliteDb* t_writer_of = nullptr;  // set on a writer thread

class SqliteDb final : public Db {
 public:
  SqliteDb(std::unique_ptr<Conn> writer, std::vector<std::unique_ptr<Conn>> readers,
           const Options& options)
      : writer_(std::move(writer)),
        readers_(std::move(readers), std::chrono::milliseconds(options.borrow_timeout_ms)),
        max_batch_(std::max<std::size_t>(1, options.max_batch)),
        thread_([this] { writer_loop(); }) {}
  ~SqliteDb() override { close(); }

  Kind kind() const override { return Kind::sqlite; }
  Result<Rows> query(std::string_view sql, const Params& params) override;
  Result<std::vector<Rows>> query_all(const std::vector<Read>& reads) override;
  Status each(std::string_view sql, const Params& params, const EachRow& fn) override;
  Status write(const std::function<Status(Tx&)>& fn) override;
  Status exec_script(std::string_view sql) override {
    return write([sql](Tx& tx) { return exec_script_in(tx, sql); });
  }
  bool ping() override { return query("SELECT 1", {}).has_value(); }
  void close() override;
  Stats stats() const override;

  // A write alone in its transaction with foreign-key enforcement off
  // (write_without_foreign_keys below).
  Status write_alone_without_foreign_keys(const std::function<Status(Tx&)>& fn,
                                          const std::vector<std::string>& check);

 private:
  struct Request {
    explicit Request(const std::function<Status(Tx&)>* f, bool alone = false)
        : fn(f), without_fks(alone) {}
    const std::function<Status(Tx&)>* fn;
    bool without_fks;  // runs alone, foreign keys off around its transaction
    Status result{};
    bool done = false;
    std::condition_variable cv;
  };

  Status enqueue(const std::function<Status(Tx&)>& fn, bool without_fks);
  void writer_loop();
  void run_batch(const std::vector<Request*>& batch);
  Status run_one(const Request& req, std::vector<HeldRow>& held);
  Status insert_held(std::vector<HeldRow>& held);

  std::unique_ptr<Conn> writer_;
  ReaderPool readers_;
  std::size_t max_batch_;
  std::mutex mu_;  // guards queue_, stopping_ and every Request's result/done
  std::condition_variable work_cv_;
  std::deque<Request*> queue_;
  bool stopping_ = false;
  std::mutex close_mu_;
  std::atomic<std::int64_t> writes_{0}, batches_{0}, reads_{0}, queue_depth_{0};
  std::atomic<std::int64_t> writer_cache_{0};  // the writer's page cache (bytes)
  std::thread thread_;                         // last: starts after every other member exists
};

Result<Rows> SqliteDb::query(std::string_view sql, const Params& params) {
  auto conn = readers_.borrow();
  if (!conn) return fail(std::move(conn.error()));
  reads_.fetch_add(1, std::memory_order_relaxed);
  auto r = (*conn)->exec(sql, params);
  if (!r) return fail(std::move(r.error()));
  return std::move(r->rows);
}

Status SqliteDb::each(std::string_view sql, const Params& params, const EachRow& fn) {
  auto conn = readers_.borrow();
  if (!conn) return fail(std::move(conn.error()));
  reads_.fetch_add(1, std::memory_order_relaxed);
  return (*conn)->each(sql, params, fn);
}

// One reader for the whole batch: a borrow each (a lock and, when the pool
// is busy, a wait) was a visible share of a detail page's cost. Several
// reads share one read transaction: they see one snapshot (a case and its
// timeline from the same moment), and the WAL read lock is taken once
// instead of per statement (8 % of a detail page's CPU went to beginning
// and ending those transactions).
Result<std::vector<Rows>> SqliteDb::query_all(const std::vector<Read>& reads) {
  auto conn = readers_.borrow();
  if (!conn) return fail(std::move(conn.error()));
  reads_.fetch_add(static_cast<std::int64_t>(reads.size()), std::memory_order_relaxed);
  Conn& c = **conn;
  const bool snapshot = reads.size() > 1;
  if (snapshot)
    if (auto b = c.exec("BEGIN"); !b) return fail(std::move(b.error()));
  std::vector<Rows> out;
  out.reserve(reads.size());
  for (const auto& r : reads) {  // on failure the lease rolls the snapshot back
    auto e = c.exec(r.sql, r.params);
    if (!e) return fail(std::move(e.error()));
    out.push_back(std::move(e->rows));
  }
  if (snapshot)
    if (auto e = c.exec("COMMIT"); !e) return fail(std::move(e.error()));
  return out;
}

Status SqliteDb::write(const std::function<Status(Tx&)>& fn) { return enqueue(fn, false); }

Status SqliteDb::write_alone_without_foreign_keys(const std::function<Status(Tx&)>& fn,
                                                  const std::vector<std::string>& check) {
  // The named tables' foreign keys are checked before the commit, as
  // enforcement would have at each statement.
  std::function<Status(Tx&)> checked = [&](Tx& tx) -> Status {
    if (auto st = fn(tx); !st) return st;
    for (const auto& table : check) {
      auto broken = tx.query("SELECT \"table\", parent FROM pragma_foreign_key_check($1)", {table});
      if (!broken) return fail(std::move(broken.error()));
      if (!broken->empty())
        return fail(misuse("foreign keys broken by a write without them",
                           broken->front().str("table") + " → " + broken->front().str("parent")));
    }
    return {};
  };
  return enqueue(checked, true);
}

Status SqliteDb::enqueue(const std::function<Status(Tx&)>& fn, bool without_fks) {
  // The writer thread waiting on its own queue would never wake.
  if (t_writer_of == this) return fail(misuse("write() called inside a write function", ""));
  if (!fn) return fail(misuse("write() called with an empty function", ""));
  Request req(&fn, without_fks);
  std::unique_lock lk(mu_);
  if (stopping_) return fail(Error::unavailable("数据库已关闭，请稍后再试"));
  queue_.push_back(&req);
  queue_depth_.store(static_cast<std::int64_t>(queue_.size()), std::memory_order_relaxed);
  work_cv_.notify_one();
  req.cv.wait(lk, [&] { return req.done; });
  return std::move(req.result);
}

void SqliteDb::writer_loop() {
  t_writer_of = this;
  std::vector<Request*> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      work_cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is answered
      // A write without foreign keys is a batch of its own.
      while (!queue_.empty() && batch.size() < max_batch_ &&
             !(queue_.front()->without_fks && !batch.empty())) {
        batch.push_back(queue_.front());
        queue_.pop_front();
        if (batch.back()->without_fks) break;
      }
      queue_depth_.store(static_cast<std::int64_t>(queue_.size()), std::memory_order_relaxed);
    }
    // foreign_keys can only change outside a transaction.
    bool without_fks = batch.front()->without_fks;
    if (without_fks) (void)writer_->exec("PRAGMA foreign_keys=OFF");
    run_batch(batch);
    if (without_fks) (void)writer_->exec("PRAGMA foreign_keys=ON");
    // A write that edits the schema (migration 0017) and fails midway
    // cannot turn this connection flag off through its latched Tx.
    writer_->schema_edits_off();
    writer_->note_cache();
    writer_cache_.store(writer_->cache_bytes(), std::memory_order_relaxed);
    writes_.fetch_add(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    {
      // Notify under the lock: a woken caller destroys its Request on return.
      std::lock_guard lk(mu_);
      for (Request* r : batch) {
        r->done = true;
        r->cv.notify_one();
      }
    }
    batch.clear();
  }
}

// A request's held rows join the batch's only when its savepoint is kept.
Status SqliteDb::run_one(const Request& req, std::vector<HeldRow>& held) {
  if (auto sp = writer_->exec("SAVEPOINT w"); !sp) return fail(std::move(sp.error()));
  SqliteTx tx(*writer_, !req.without_fks);
  Status st = call_guarded(*req.fn, tx);
  if (st && tx.failed()) st = fail(*tx.failed());
  if (st) {
    auto rel = writer_->exec("RELEASE w");
    if (rel) {
      std::ranges::move(tx.held(), std::back_inserter(held));
      return st;
    }
    st = fail(std::move(rel.error()));
  }
  // Fails harmlessly when an I/O error already rolled the transaction back.
  (void)writer_->exec("ROLLBACK TO w");
  (void)writer_->exec("RELEASE w");
  return st;
}

// One transaction for the whole batch, a savepoint per request. Requests in
// [first, i) have done their work inside the currently open transaction.
void SqliteDb::run_batch(const std::vector<Request*>& batch) {
  auto fail_range = [&](std::size_t from, std::size_t to, const Error& e) {
    for (std::size_t j = from; j < to; ++j) {
      if (batch[j]->result) batch[j]->result = fail(e);
    }
  };
  std::size_t first = 0;
  std::vector<HeldRow> held;
  if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b) return fail_range(0, batch.size(), b.error());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i]->result = run_one(*batch[i], held);
    if (writer_->in_transaction()) continue;
    held.clear();
    // SQLite rolled the whole transaction back (disk full, I/O error): the
    // earlier requests of this batch are lost too. Start over for the rest.
    // A full disk says so (507) for every request it sank.
    fail_range(first, i + 1,
               !batch[i]->result && batch[i]->result.error().kind == ErrorKind::storage_full
                   ? batch[i]->result.error()
                   : Error::unavailable("存储暂时不可用，请稍后再试"));
    first = i + 1;
    if (first == batch.size()) return;
    if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b)
      return fail_range(first, batch.size(), b.error());
  }
  Status done = insert_held(held);
  if (done) {
    auto commit = writer_->exec("COMMIT");
    if (commit) return;
    done = fail(std::move(commit.error()));
  }
  if (writer_->in_transaction()) (void)writer_->exec("ROLLBACK");
  fail_range(first, batch.size(), done.error());
}

// The batch's held rows in order, after every savepoint: a run of rows with
// the same head goes in statements of 256, 128, … 1 rows, so a few cached
// statements cover any batch, and FTS5 writes one segment per statement.
Status SqliteDb::insert_held(std::vector<HeldRow>& held) {
  for (std::size_t i = 0; i < held.size();) {
    const std::string& head = held[i].head;
    std::size_t width = held[i].row.size(), end = i;
    while (end < held.size() && held[end].head == head && held[end].row.size() == width) ++end;
    while (i < end) {
      // SQLite binds at most 32766 values per statement (append keeps width within it).
      std::size_t n = std::bit_floor(std::min({end - i, std::size_t{256}, 32766 / width}));
      Params params;
      params.reserve(n * width);
      for (std::size_t k = i; k < i + n; ++k)
        std::ranges::move(held[k].row, std::back_inserter(params));
      if (auto r = writer_->exec(head + values_rows(n, width), params); !r)
        return fail(std::move(r.error()));
      i += n;
    }
  }
  held.clear();
  return {};
}

void SqliteDb::close() {
  if (t_writer_of == this) return;  // joining itself would deadlock
  std::lock_guard closing(close_mu_);
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  readers_.close();
  // Back to WAL if a bulk command wrote under a rollback journal, so the
  // file is left as a server expects it (a no-op in WAL).
  if (writer_) (void)writer_->exec("PRAGMA journal_mode=WAL");
  writer_.reset();  // last connection to close checkpoints and removes the WAL
}

Db::Stats SqliteDb::stats() const {
  Stats s;
  s.writes = writes_.load(std::memory_order_relaxed);
  s.write_batches = batches_.load(std::memory_order_relaxed);
  s.reads = reads_.load(std::memory_order_relaxed);
  s.pool_size = readers_.size();
  s.pool_in_use = readers_.in_use();
  s.queue_depth = queue_depth_.load(std::memory_order_relaxed);
  s.cache_bytes = writer_cache_.load(std::memory_order_relaxed) + readers_.cache_bytes();
  return s;
}

std::atomic<bool> g_rollback_when_alone{false};

Result<std::unique_ptr<Conn>> open_writer(const std::string& path) {
  auto conn = Conn::open(path, kWriterPragmas, false);
  if (!conn) return conn;
  // Alone with the file, a bulk command writes each page once, into the
  // file, under a rollback journal; WAL would write it to the log and again
  // at the checkpoint. Another connection anywhere makes the switch fail at
  // once ("database is locked"), and the command runs in WAL as usual.
  if (g_rollback_when_alone.load(std::memory_order_relaxed)) {
    auto m = (*conn)->exec("PRAGMA journal_mode=TRUNCATE");
    if (m && !m->rows.empty() && m->rows[0].str("journal_mode") == "truncate") return conn;
  }
  auto mode = (*conn)->exec("PRAGMA journal_mode=WAL");
  if (!mode) return fail(std::move(mode.error()));
  if (mode->rows.empty() || mode->rows[0].str("journal_mode") != "wal") {
    log::event(spdlog::level::err, "store",
               {{"detail", fmt::format("sqlite: {} cannot use WAL mode", path)}});
    return fail(Error::unavailable("存储暂时不可用，请稍后再试"));
  }
  return conn;
}

}  // namespace

namespace {

std::atomic<std::int64_t> g_budget{0};  // bytes; 0 = each connection's own cache_size

// SQLite's memory statistics put one process-wide mutex around every
// allocation of every connection: with a writer and a dozen readers busy it
// cost intake a quarter of its throughput (docs/PERFORMANCE.md). They only
// feed sqlite3_memory_used() and the soft heap limit; the budget is kept by
// each connection's cache_size instead. Must precede sqlite3_initialize():
// the first open does that, so a later call changes nothing and says so.
void configure_library() {
  static const int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)rc;
}

Status size_cache(Conn& conn, std::int64_t bytes) {
  return conn.script(
      fmt::format("PRAGMA cache_size=-{}", std::max<std::int64_t>(bytes >> 10, 512)));
}

}  // namespace

void set_memory_budget(std::int64_t bytes) { g_budget.store(bytes, std::memory_order_relaxed); }

Status write_without_foreign_keys(Db& db, const std::function<Status(Tx&)>& fn,
                                  const std::vector<std::string>& check) {
  auto* mine = dynamic_cast<SqliteDb*>(&db);
  if (!mine) return fail(misuse("write_without_foreign_keys given a foreign Db", ""));
  return mine->write_alone_without_foreign_keys(fn, check);
}

void use_rollback_journal_when_alone(bool on) {
  g_rollback_when_alone.store(on, std::memory_order_relaxed);
}

Result<std::unique_ptr<Db>> open_sqlite(const std::string& path, const Options& options) {
  configure_library();
  auto writer = open_writer(path);
  if (!writer) return fail(std::move(writer.error()));
  int n = options.readers;
  if (n <= 0) n = std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  // The budget: half for the writer, whose inserts walk the same B-tree pages
  // batch after batch; half shared by the readers (see kReaderPragmas).
  auto budget = g_budget.load(std::memory_order_relaxed);
  if (budget > 0)
    if (auto st = size_cache(**writer, budget / 2); !st) return fail(std::move(st.error()));
  std::vector<std::unique_ptr<Conn>> readers;
  for (int i = 0; i < n; ++i) {
    auto r = Conn::open(path, kReaderPragmas, true);
    if (!r) return fail(std::move(r.error()));
    if (budget > 0)
      if (auto st = size_cache(**r, budget / 2 / n); !st) return fail(std::move(st.error()));
    readers.push_back(std::move(*r));
  }
  return std::make_unique<SqliteDb>(std::move(*writer), std::move(readers), options);
}

Status exec_script_in(Tx& tx, std::string_view sql) {
  auto* mine = dynamic_cast<SqliteTx*>(&tx);
  if (!mine) return fail(misuse("exec_script_in given a foreign Tx", sql));
  return mine->script(sql);
}

}  // namespace linli::store::sqlite
