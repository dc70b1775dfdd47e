#include "store/postgres/pg_db.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/log.hpp"
#include "store/sql.hpp"

namespace linli::store::pg {
namespace {

constexpr std::size_t kStmtCacheMax = 512;
constexpr int kSerializationRetries = 3;
constexpr int kDefaultPoolSize = 8;
constexpr auto kBorrowTimeout = std::chrono::seconds(5);

// Type OIDs from pg_type.h, which libpq-dev does not install.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26;
constexpr Oid kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

std::string_view clip(std::string_view sql) { return sql.substr(0, 300); }

struct Failure {
  Failure() = default;
  explicit Failure(Error e, std::string s = {}, bool b = false)
      : error(std::move(e)), state(std::move(s)), broken(b) {}
  Error error;
  std::string state;         // SQLSTATE; empty when the server sent none
  bool broken = false;       // the connection is gone
  bool nothing_ran = false;  // the server ran none of the write (safe to run it elsewhere)
};

Error map_state(std::string_view state, bool broken) {
  if (broken || state.starts_with("08")) return Error::unavailable();
  if (state == "23505") return Error::conflict("数据与已有记录重复");
  if (state == "23503") return Error::conflict("关联的记录不存在，或仍被其他记录引用");
  if (state == "23514") return Error::invalid("数据不符合取值要求");
  if (state == "23502") return Error::invalid("缺少必填的数据");
  if (state.starts_with("22")) return Error::invalid("数据格式不正确或超出范围");
  if (state == "40001" || state == "40P01") {
    return Error::conflict("数据正被其他操作修改，请重试");
  }
  if (state == "53100") return Error::storage_full();
  if (state.starts_with("53") || state.starts_with("57P")) return Error::unavailable();
  if (state == "57014") return Error::unavailable("数据库查询超时，请稍后再试");
  return Error::internal("数据库内部错误");
}

bool retryable(std::string_view state) { return state == "40001" || state == "40P01"; }

Failure misuse(std::string_view what, std::string_view sql) {
  log::event(spdlog::level::err, "store",
             {{"detail", fmt::format("postgres misuse: {} [{}]", what, clip(sql))}});
  return Failure(Error::internal("数据库内部错误"));
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

bool succeeded(const PGresult* r) {
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

template <class T>
bool parse_num(const char* s, int len, T& out) {
  auto [p, ec] = std::from_chars(s, s + len, out);
  return ec == std::errc() && p == s + len;
}

Value to_value(Oid type, const char* s, int len) {
  switch (type) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      std::int64_t i = 0;
      if (parse_num(s, len, i)) return i;
      break;
    }
    case kBool:
      return std::int64_t{len > 0 && s[0] == 't'};
    case kNumeric: {
      // SUM/COUNT-like NUMERICs are whole numbers; keep them exact, as SQLite does.
      std::int64_t i = 0;
      if (parse_num(s, len, i)) return i;
      [[fallthrough]];
    }
    case kFloat4:
    case kFloat8: {
      double d = 0;
      if (parse_num(s, len, d)) return d;
      break;
    }
    case kBytea: {
      std::size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(s), &n);
      if (!raw) break;
      std::string out(reinterpret_cast<const char*>(raw), n);
      PQfreemem(raw);
      return out;
    }
    default:
      break;
  }
  return std::string(s, static_cast<std::size_t>(len));
}

std::int64_t changes_of(const PGresult* r) {
  std::string_view tag = PQcmdStatus(const_cast<PGresult*>(r));
  bool writes = tag.starts_with("INSERT") || tag.starts_with("UPDATE") ||
                tag.starts_with("DELETE") || tag.starts_with("MERGE");
  const char* n = PQcmdTuples(const_cast<PGresult*>(r));
  std::int64_t out = 0;
  if (writes && n && *n) parse_num(n, static_cast<int>(std::strlen(n)), out);
  return out;
}

Exec to_exec(const PGresult* r) {
  Exec out;
  int nf = PQnfields(r), nt = PQntuples(r);
  std::vector<std::string> cols;
  std::vector<Oid> types;
  for (int c = 0; c < nf; ++c) {
    cols.emplace_back(PQfname(r, c));
    types.push_back(PQftype(r, c));
  }
  std::shared_ptr<const Columns> names;
  if (nf > 0) names = std::make_shared<const Columns>(std::move(cols));
  out.rows.reserve(static_cast<std::size_t>(nt));
  for (int t = 0; t < nt; ++t) {
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(nf));
    for (int c = 0; c < nf; ++c) {
      if (PQgetisnull(r, t, c)) {
        values.emplace_back(std::monostate{});
      } else {
        values.push_back(to_value(types[static_cast<std::size_t>(c)], PQgetvalue(r, t, c),
                                  PQgetlength(r, t, c)));
      }
    }
    out.rows.emplace_back(names, std::move(values));
  }
  out.changes = changes_of(r);
  return out;
}

// A column whose text is its value as a Row holds it: a view into the
// result serves it without a copy. The others (booleans as 0/1, numerics,
// bytea) read through to_value, as to_exec reads them.
bool reads_as_text(Oid type) {
  switch (type) {
    case kBool:
    case kBytea:
    case kNumeric:
    case kFloat4:
    case kFloat8:
      return false;
    default:
      return true;  // text, and integers (their text is what std::to_string writes)
  }
}

// One row of a result read where it lies: what Db::each hands out. Open311's
// list of 1,000 requests copied every value into a Row first.
class PgRowView final : public RowView {
 public:
  PgRowView(const PGresult* r, const std::vector<Oid>& types) : r_(r), types_(types) {}
  void at_row(int t) { t_ = t; }
  std::size_t size() const override { return types_.size(); }
  std::string_view name(std::size_t i) const override { return PQfname(r_, col(i)); }
  bool is_null(std::size_t i) const override { return PQgetisnull(r_, t_, col(i)) != 0; }
  std::int64_t i64(std::size_t i) const override {
    if (is_null(i)) return 0;
    const Oid type = types_[i];
    std::int64_t v = 0;
    if ((type == kInt8 || type == kInt4 || type == kInt2) &&
        parse_num(PQgetvalue(r_, t_, col(i)), PQgetlength(r_, t_, col(i)), v))
      return v;
    return value_i64(value(i), name(i));
  }
  std::string_view text(std::size_t i) const override {
    if (is_null(i)) return {};
    if (reads_as_text(types_[i]))
      return {PQgetvalue(r_, t_, col(i)), static_cast<std::size_t>(PQgetlength(r_, t_, col(i)))};
    scratch_ = value_str(value(i));
    return scratch_;
  }
  double f64(std::size_t i) const override {
    if (is_null(i)) return 0;
    return value_f64(value(i), name(i));
  }

 private:
  int col(std::size_t i) const {
    if (i >= types_.size()) throw std::out_of_range("no column " + std::to_string(i));
    return static_cast<int>(i);
  }
  Value value(std::size_t i) const {
    return to_value(types_[i], PQgetvalue(r_, t_, col(i)), PQgetlength(r_, t_, col(i)));
  }

  const PGresult* r_;
  const std::vector<Oid>& types_;
  int t_ = 0;
  mutable std::string scratch_;
};

std::string double_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// Parameters travel as text with types left to the server, as SQLite's
// loose binding does; only bytes containing NUL go binary (bytea).
struct ParamBuf {
  std::vector<std::string> text;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;

  explicit ParamBuf(const Params& ps)
      : text(ps.size()), values(ps.size()), lengths(ps.size()), formats(ps.size()) {
    for (std::size_t i = 0; i < ps.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&ps[i])) {
        text[i] = std::to_string(*n);
        values[i] = text[i].c_str();
      } else if (const auto* d = std::get_if<double>(&ps[i])) {
        text[i] = double_text(*d);
        values[i] = text[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&ps[i])) {
        values[i] = s->c_str();
        lengths[i] = static_cast<int>(s->size());
        formats[i] = s->find('\0') != std::string::npos ? 1 : 0;
      }
    }
  }
};

// One statement of a pipeline. Control statements (BEGIN, SET TRANSACTION,
// COMMIT) and those planned with their values (kPlanWithValues) go unnamed;
// the rest are prepared and cached as exec() does.
struct Stmt {
  std::string sql;
  Params params;
  bool prepared = true;
};

// Statements queued by Tx::send before the transaction waits for an answer:
// a bound that keeps a pipeline's answers far below the socket buffers, so a
// blocking connection cannot deadlock with the server (libpq docs, 34.5).
constexpr std::size_t kMaxQueued = 64;

class PgConn {
 public:
  static std::expected<std::unique_ptr<PgConn>, Failure> connect(const std::string& conninfo);
  ~PgConn() { PQfinish(c_); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  std::expected<Exec, Failure> exec(std::string_view sql, const Params& params);
  // The same, answered with libpq's result itself (Db::each reads it in place).
  std::expected<PgResult, Failure> result(std::string_view sql, const Params& params);
  // Sends every statement, then waits once (libpq pipeline mode), and gives
  // the last one's answer, or the first failure. A statement after a failed
  // one does not run. each, when given, receives every statement's answer.
  std::expected<Exec, Failure> pipeline(const std::vector<Stmt>& stmts,
                                        std::vector<Exec>* each = nullptr);
  // Simple-protocol query (several statements allowed); returns the last command tag.
  std::expected<std::string, Failure> simple(std::string_view sql);
  bool broken() const { return PQstatus(c_) != CONNECTION_OK; }
  // Round trips to the server since the last call (the pool sums them for
  // /metrics; tests count an intake's).
  std::int64_t take_round_trips() { return std::exchange(trips_, 0); }
  bool idle() const { return PQtransactionStatus(c_) == PQTRANS_IDLE; }

 private:
  struct Prepared {
    std::string name;
    int nparams = 0;
  };
  struct StrHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  explicit PgConn(PGconn* c) : c_(c) {}
  // The cached statement for sql, prepared on first use, checked to take
  // `params` values.
  std::expected<const Prepared*, Failure> prepare(std::string_view sql, std::size_t params);
  // Drops every prepared statement unless `more` still fit in the cache.
  void make_room(std::size_t more);
  Failure failure(const PGresult* r, std::string_view sql) const;

  PGconn* c_;
  std::unordered_map<std::string, Prepared, StrHash, std::equal_to<>> cache_;
  std::uint64_t counter_ = 0;
  std::int64_t trips_ = 0;
};

std::expected<std::unique_ptr<PgConn>, Failure> PgConn::connect(const std::string& conninfo) {
  std::unique_ptr<PgConn> conn(new PgConn(PQconnectdb(conninfo.c_str())));
  if (!conn->c_ || PQstatus(conn->c_) != CONNECTION_OK) {
    std::string msg = conn->c_ ? PQerrorMessage(conn->c_) : "out of memory";
    log::event(spdlog::level::warn, "store",
               {{"detail", fmt::format("postgres connect failed: {}", msg)}});
    return std::unexpected(Failure(Error::unavailable(), "", true));
  }
  // Notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn->c_,
      [](void*, const char* m) {
        log::event(spdlog::level::debug, "store", {{"detail", fmt::format("postgres: {}", m)}});
      },
      nullptr);
  // Read-only by default so a write sent through query() fails loudly, as on
  // SQLite; write() opens its transactions READ WRITE.
  auto set = conn->simple(
      "SET TIME ZONE 'UTC'; SET client_encoding TO 'UTF8';"
      "SET default_transaction_read_only TO on");
  if (!set) return std::unexpected(std::move(set.error()));
  return conn;
}

Failure PgConn::failure(const PGresult* r, std::string_view sql) const {
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  Failure f;
  f.state = code ? code : "";
  f.broken = broken();
  // The primary message and the constraint only: PostgreSQL's DETAIL line
  // quotes the offending values ("Key (username)=(13812345678)"), and logs
  // carry no personal data.
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const char* constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  std::string msg = primary ? primary : PQerrorMessage(c_);
  if (constraint) msg += fmt::format(" (constraint {})", constraint);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  log::event(spdlog::level::warn, "store",
             {{"detail", fmt::format("postgres error {}: {} [{}]", f.state, msg, clip(sql))}});
  f.error = map_state(f.state, f.broken);
  return f;
}

void PgConn::make_room(std::size_t more) {
  if (cache_.size() + more <= kStmtCacheMax) return;
  PgResult discard(PQexec(c_, "DEALLOCATE ALL"));
  cache_.clear();
  ++trips_;
}

std::expected<const PgConn::Prepared*, Failure> PgConn::prepare(std::string_view sql,
                                                                std::size_t params) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    make_room(1);
    trips_ += 2;  // prepare, describe
    std::string text(sql);
    std::string name = "linli_" + std::to_string(++counter_);
    PgResult r(PQprepare(c_, name.c_str(), text.c_str(), 0, nullptr));
    if (!succeeded(r.get())) return std::unexpected(failure(r.get(), sql));
    // The server counts the placeholders; checking it here spares a protocol error later.
    PgResult d(PQdescribePrepared(c_, name.c_str()));
    if (!succeeded(d.get())) return std::unexpected(failure(d.get(), sql));
    it = cache_.emplace(std::move(text), Prepared{std::move(name), PQnparams(d.get())}).first;
  }
  if (params != static_cast<std::size_t>(it->second.nparams))
    return std::unexpected(misuse("SQL takes " + std::to_string(it->second.nparams) +
                                      " parameters, got " + std::to_string(params),
                                  sql));
  return &it->second;
}

std::expected<PgResult, Failure> PgConn::result(std::string_view sql, const Params& params) {
  ParamBuf buf(params);
  PgResult r;
  if (plans_with_values(sql)) {  // the unnamed statement: planned for these values
    ++trips_;
    r.reset(PQexecParams(c_, std::string(sql).c_str(), static_cast<int>(params.size()), nullptr,
                         buf.values.data(), buf.lengths.data(), buf.formats.data(), 0));
  } else {
    auto p = prepare(sql, params.size());
    if (!p) return std::unexpected(std::move(p.error()));
    ++trips_;
    r.reset(PQexecPrepared(c_, (*p)->name.c_str(), static_cast<int>(params.size()),
                           buf.values.data(), buf.lengths.data(), buf.formats.data(), 0));
  }
  if (!succeeded(r.get())) return std::unexpected(failure(r.get(), sql));
  return r;
}

std::expected<Exec, Failure> PgConn::exec(std::string_view sql, const Params& params) {
  auto r = result(sql, params);
  if (!r) return std::unexpected(std::move(r.error()));
  return to_exec(r->get());
}

std::expected<Exec, Failure> PgConn::pipeline(const std::vector<Stmt>& stmts,
                                              std::vector<Exec>* each) {
  // Prepared before pipeline mode, where PQprepare is not allowed; room is
  // made first so that no DEALLOCATE ALL drops one prepared for this batch.
  make_room(stmts.size());
  std::vector<const Prepared*> prepared(stmts.size(), nullptr);
  for (std::size_t i = 0; i < stmts.size(); ++i) {
    if (!stmts[i].prepared || plans_with_values(stmts[i].sql)) continue;
    auto p = prepare(stmts[i].sql, stmts[i].params.size());
    if (!p) return std::unexpected(std::move(p.error()));
    prepared[i] = *p;
  }
  if (!PQenterPipelineMode(c_)) return std::unexpected(failure(nullptr, "pipeline"));
  ++trips_;
  std::size_t sent = 0;
  for (; sent < stmts.size(); ++sent) {
    const auto& st = stmts[sent];
    ParamBuf buf(st.params);  // libpq copies the values into its buffer
    const int n = static_cast<int>(st.params.size());
    int ok = 0;
    if (prepared[sent])
      ok = PQsendQueryPrepared(c_, prepared[sent]->name.c_str(), n, buf.values.data(),
                               buf.lengths.data(), buf.formats.data(), 0);
    else
      ok = PQsendQueryParams(c_, st.sql.c_str(), n, nullptr, buf.values.data(), buf.lengths.data(),
                             buf.formats.data(), 0);
    if (!ok) break;
  }
  std::optional<Failure> first;
  if (sent < stmts.size()) first = failure(nullptr, stmts[sent].sql);
  // Without a sync the answers cannot be drained: the connection is left
  // busy, and the pool drops a connection that is not idle.
  if (!PQpipelineSync(c_)) return std::unexpected(first ? *first : failure(nullptr, "sync"));
  Exec last;
  // Each statement's answer ends with a null result; a statement after a
  // failure answers PGRES_PIPELINE_ABORTED; the sync answers last.
  for (std::size_t i = 0; i < sent; ++i) {
    PgResult r(PQgetResult(c_));
    if (!r) {
      if (!first) first = failure(nullptr, stmts[i].sql);
      break;
    }
    auto status = PQresultStatus(r.get());
    if (status != PGRES_PIPELINE_ABORTED && !succeeded(r.get())) {
      if (!first) first = failure(r.get(), stmts[i].sql);
    } else if (!first && stmts[i].sql == "COMMIT" &&
               std::string_view(PQcmdStatus(r.get())) != "COMMIT") {
      // An aborted transaction answers COMMIT with ROLLBACK.
      first = misuse(std::string("COMMIT answered ") + PQcmdStatus(r.get()), "");
    } else if (each && !first) {
      each->push_back(to_exec(r.get()));
    } else if (i + 1 == stmts.size() && !first) {
      last = to_exec(r.get());
    }
    while (PGresult* more = PQgetResult(c_)) PQclear(more);
  }
  for (;;) {
    PgResult r(PQgetResult(c_));
    if (!r || PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) break;
  }
  if (!PQexitPipelineMode(c_) && !first) first = failure(nullptr, "pipeline end");
  if (first) return std::unexpected(std::move(*first));
  return last;
}

std::expected<std::string, Failure> PgConn::simple(std::string_view sql) {
  ++trips_;
  PgResult r(PQexec(c_, std::string(sql).c_str()));
  if (!succeeded(r.get())) return std::unexpected(failure(r.get(), sql));
  return std::string(PQcmdStatus(r.get()));
}

// After a statement fails PostgreSQL refuses the rest of the transaction; the
// first failure is kept so the write reports it (and can be retried on it).
// BEGIN and the statements given to send() wait in a queue and travel with the
// next statement that needs an answer, or with COMMIT: an intake's dozen
// statements take four round trips instead of fourteen, and the audit chain's
// lock is held for two of them.
class PgTx final : public Tx {
 public:
  explicit PgTx(PgConn& conn) : conn_(conn) {
    queue_.push_back({"BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE", {}, false});
  }
  Result<Exec> exec(std::string_view sql, const Params& params) override {
    if (failed_) return fail(failed_->error);
    used_ = true;
    if (queue_.empty()) return settle(conn_.exec(sql, params));
    queue_.push_back({std::string(sql), params, true});
    return flush();
  }
  Status send(std::string_view sql, const Params& params) override {
    if (failed_) return fail(failed_->error);
    used_ = true;
    queue_.push_back({std::string(sql), params, true});
    if (queue_.size() < kMaxQueued) return {};
    auto r = flush();
    if (!r) return fail(r.error());
    return {};
  }
  Status serialize_on(std::string_view key) override {
    if (!locked_ && !used_) {
      // Allowed only before the transaction's first query; later locks
      // still queue writers, and a stale read is caught as a retry.
      queue_.push_back({"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", {}, false});
    }
    locked_ = true;
    return send("SELECT pg_advisory_xact_lock(hashtext($1)) AS locked", {std::string(key)});
  }
  Status script(std::string_view sql) {
    if (failed_) return fail(failed_->error);
    if (!queue_.empty())
      if (auto r = flush(); !r) return fail(r.error());
    if (auto r = settle(conn_.simple(sql)); !r) return fail(r.error());
    return {};
  }
  // Sends what is still queued with COMMIT. A transaction that sent nothing
  // (fn returned before any statement) still commits its BEGIN, in one trip.
  std::expected<void, Failure> commit() {
    if (failed_) return std::unexpected(*failed_);
    queue_.push_back({"COMMIT", {}, false});
    if (!flush()) return std::unexpected(*failed_);
    return {};
  }
  // True once BEGIN has reached the server: then ROLLBACK is owed.
  bool begun() const { return begun_; }
  const std::optional<Failure>& failed() const { return failed_; }

 private:
  Result<Exec> flush() {
    std::vector<Stmt> batch;
    batch.swap(queue_);
    bool first_trip = !begun_;
    begun_ = true;
    auto r = conn_.pipeline(batch);
    // A connection found broken on the first trip ran nothing of this
    // transaction, so the write may go to another connection (PgDb::write)
    // -- unless that trip carried COMMIT: the server may have committed
    // before the connection dropped, and the write must not run twice.
    if (!r && first_trip && r.error().broken && batch.back().sql != "COMMIT")
      r.error().nothing_ran = true;
    return settle(std::move(r));
  }
  template <class T>
  Result<T> settle(std::expected<T, Failure> r) {
    if (!r) {
      failed_ = r.error();
      return fail(r.error().error);
    }
    return std::move(*r);
  }

  PgConn& conn_;
  std::vector<Stmt> queue_;
  std::optional<Failure> failed_;
  bool begun_ = false;
  bool locked_ = false;
  bool used_ = false;
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

// Connections are opened lazily up to size; a broken one is dropped when it
// comes back, so the pool heals after a server restart without ours.
class Pool {
 public:
  Pool(std::string conninfo, int size, std::unique_ptr<PgConn> first)
      : conninfo_(std::move(conninfo)), size_(size) {
    idle_.push_back(std::move(first));
    open_ = 1;
  }

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<PgConn> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), c_(std::move(o.c_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->give_back(std::move(c_));
    }
    PgConn& operator*() const { return *c_; }
    PgConn* operator->() const { return c_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<PgConn> c_;
  };

  std::expected<Lease, Failure> borrow();
  void close();
  int size() const { return size_; }
  std::int64_t in_use() const {
    std::lock_guard lk(mu_);
    return in_use_;
  }
  std::int64_t waiting() const {
    std::lock_guard lk(mu_);
    return waiting_;
  }
  std::int64_t round_trips() const {
    std::lock_guard lk(mu_);
    return round_trips_;
  }

 private:
  void give_back(std::unique_ptr<PgConn> c);

  const std::string conninfo_;
  const int size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> idle_;
  int open_ = 0;  // idle + borrowed + being opened
  std::int64_t in_use_ = 0, waiting_ = 0, round_trips_ = 0;
  bool closed_ = false;
};

std::expected<Pool::Lease, Failure> Pool::borrow() {
  std::unique_lock lk(mu_);
  ++waiting_;
  bool ready =
      cv_.wait_for(lk, kBorrowTimeout, [&] { return closed_ || !idle_.empty() || open_ < size_; });
  --waiting_;
  if (closed_) return std::unexpected(Failure(Error::unavailable("数据库已关闭，请稍后再试")));
  if (!ready) return std::unexpected(Failure(Error::unavailable("数据库繁忙，请稍后再试")));
  ++in_use_;
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(c));
  }
  ++open_;
  lk.unlock();
  auto c = PgConn::connect(conninfo_);
  if (!c) {
    give_back(nullptr);
    return std::unexpected(std::move(c.error()));
  }
  return Lease(this, std::move(*c));
}

void Pool::give_back(std::unique_ptr<PgConn> c) {
  if (c && !c->broken() && !c->idle()) (void)c->simple("ROLLBACK");
  std::int64_t trips = c ? c->take_round_trips() : 0;
  if (c && (c->broken() || !c->idle())) c.reset();
  std::unique_lock lk(mu_);
  --in_use_;
  round_trips_ += trips;
  if (c && !closed_) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
  // One connection (or room for one) is free: wake one borrower. Waking all
  // of them made every return a stampede on mu_ (perf, PostgreSQL intake:
  // half of the server's CPU in futex waits and wake-ups). close() waits on
  // the same condition for the last return, so it hears every one.
  if (closed_)
    cv_.notify_all();
  else
    cv_.notify_one();
  lk.unlock();
  // c, if still held (pool closed), closes here outside the lock.
}

void Pool::close() {
  std::unique_lock lk(mu_);
  closed_ = true;
  cv_.notify_all();
  cv_.wait(lk, [&] { return in_use_ == 0; });
  auto idle = std::move(idle_);
  open_ = 0;
  lk.unlock();
}

void backoff(int attempt) {
  thread_local std::minstd_rand rng(
      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  std::uniform_int_distribution<int> ms(1, 4 << attempt);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
}

class PgDb final : public Db {
 public:
  PgDb(std::string conninfo, int pool_size, std::unique_ptr<PgConn> first)
      : pool_(std::move(conninfo), pool_size, std::move(first)) {}
  ~PgDb() override { close(); }

  Kind kind() const override { return Kind::postgres; }
  Result<Rows> query(std::string_view sql, const Params& params) override;
  Status each(std::string_view sql, const Params& params, const EachRow& fn) override;
  Result<std::vector<Rows>> query_all(const std::vector<Read>& reads) override;
  Status write(const std::function<Status(Tx&)>& fn) override;
  Status exec_script(std::string_view sql) override {
    return write([sql](Tx& tx) { return exec_script_in(tx, sql); });
  }
  bool ping() override { return query("SELECT 1", {}).has_value(); }
  void close() override { pool_.close(); }
  Stats stats() const override;

 private:
  std::expected<void, Failure> run_tx(PgConn& c, const std::function<Status(Tx&)>& fn,
                                      bool chain_lock);
  std::expected<void, Failure> run_tx_body(PgConn& c, const std::function<Status(Tx&)>& fn);
  // Runs a read on a pooled connection. Each stale connection (server
  // restarted) fails once and is dropped; a read is safe to repeat on the
  // next one.
  template <class T, class Attempt>
  Result<T> read_on_pool(Attempt read) {
    for (int stale = 0;; ++stale) {
      auto conn = pool_.borrow();
      if (!conn) return fail(std::move(conn.error().error));
      auto r = read(**conn);
      if (r) return std::move(*r);
      if (!r.error().broken || stale >= pool_.size()) return fail(std::move(r.error().error));
    }
  }

  Pool pool_;
  std::atomic<std::int64_t> writes_{0}, reads_{0};
};

Result<Rows> PgDb::query(std::string_view sql, const Params& params) {
  reads_.fetch_add(1, std::memory_order_relaxed);
  return read_on_pool<Rows>([&](PgConn& c) -> std::expected<Rows, Failure> {
    auto r = c.exec(sql, params);
    if (!r) return std::unexpected(std::move(r.error()));
    return std::move(r->rows);
  });
}

// The rows are read from libpq's result where they lie, after the
// connection has gone back to the pool.
Status PgDb::each(std::string_view sql, const Params& params, const EachRow& fn) {
  reads_.fetch_add(1, std::memory_order_relaxed);
  auto r = read_on_pool<PgResult>(
      [&](PgConn& c) -> std::expected<PgResult, Failure> { return c.result(sql, params); });
  if (!r) return fail(std::move(r.error()));
  const PGresult* res = r->get();
  std::vector<Oid> types(static_cast<std::size_t>(PQnfields(res)));
  for (std::size_t c = 0; c < types.size(); ++c) types[c] = PQftype(res, static_cast<int>(c));
  PgRowView row(res, types);
  for (int t = 0, n = PQntuples(res); t < n; ++t) {
    row.at_row(t);
    if (auto st = fn(row); !st) return st;
  }
  return {};
}

// The reads in one pipeline: one round trip, and one snapshot (the implicit
// transaction lasts until the pipeline's sync).
Result<std::vector<Rows>> PgDb::query_all(const std::vector<Read>& reads) {
  // Past the queue's bound the sends could fill the socket while the server
  // waits for us to read its answers (see kMaxQueued).
  if (reads.size() > kMaxQueued) return Db::query_all(reads);
  reads_.fetch_add(static_cast<std::int64_t>(reads.size()), std::memory_order_relaxed);
  std::vector<Stmt> stmts;
  stmts.reserve(reads.size());
  for (const auto& r : reads) stmts.push_back({r.sql, r.params});
  return read_on_pool<std::vector<Rows>>(
      [&](PgConn& c) -> std::expected<std::vector<Rows>, Failure> {
        std::vector<Exec> each;
        if (auto r = c.pipeline(stmts, &each); !r) return std::unexpected(std::move(r.error()));
        std::vector<Rows> out;
        out.reserve(each.size());
        for (auto& e : each) out.push_back(std::move(e.rows));
        return out;
      });
}

// A retry holds the audit chain's lock (auth::record serializes on the same
// key) from before BEGIN, so its snapshot already sees the chain head it will
// extend: a writer that lost the race for the head once cannot lose it again.
constexpr const char* kChainLock = "SELECT pg_advisory_lock(hashtext('linli:audit_chain'))";
constexpr const char* kChainUnlock = "SELECT pg_advisory_unlock(hashtext('linli:audit_chain'))";

std::expected<void, Failure> PgDb::run_tx(PgConn& c, const std::function<Status(Tx&)>& fn,
                                          bool chain_lock) {
  if (chain_lock) {
    if (auto l = c.simple(kChainLock); !l) {
      l.error().nothing_ran = true;
      return std::unexpected(std::move(l.error()));
    }
  }
  auto out = run_tx_body(c, fn);
  if (chain_lock) (void)c.simple(kChainUnlock);
  return out;
}

std::expected<void, Failure> PgDb::run_tx_body(PgConn& c, const std::function<Status(Tx&)>& fn) {
  PgTx tx(c);
  Status st = call_guarded(fn, tx);
  const auto& poison = tx.failed();
  if (!st || poison) {
    if (tx.begun()) (void)c.simple("ROLLBACK");
    // fn's own error says it best, unless a retry could still succeed (a
    // serialization failure, or a connection that broke before running any
    // of it).
    if (poison && (st || retryable(poison->state) || poison->nothing_ran))
      return std::unexpected(*poison);
    return std::unexpected(Failure(std::move(st.error())));
  }
  return tx.commit();  // a failed one is rolled back when the pool takes c back
}

Status PgDb::write(const std::function<Status(Tx&)>& fn) {
  if (!fn) return fail(misuse("write() called with an empty function", "").error);
  writes_.fetch_add(1, std::memory_order_relaxed);
  int stale = 0, attempt = 0;
  for (;;) {
    std::expected<void, Failure> out;
    {
      auto conn = pool_.borrow();
      if (!conn) return fail(std::move(conn.error().error));
      out = run_tx(**conn, fn, attempt > 0);
    }
    if (out) return {};
    Failure& f = out.error();
    if (f.nothing_ran && f.broken && stale++ < pool_.size()) continue;
    if (retryable(f.state) && attempt < kSerializationRetries) {
      backoff(attempt++);
      continue;
    }
    return fail(std::move(f.error));
  }
}

Db::Stats PgDb::stats() const {
  Stats s;
  s.writes = writes_.load(std::memory_order_relaxed);
  s.write_batches = s.writes;  // every write is its own transaction
  s.reads = reads_.load(std::memory_order_relaxed);
  s.pool_size = pool_.size();
  s.pool_in_use = pool_.in_use();
  s.queue_depth = pool_.waiting();
  s.round_trips = pool_.round_trips();
  return s;
}

// Splits our own parameters off the URL, and bounds the connect time so a
// dead server is reported as unavailable instead of hanging a request.
struct Target {
  std::string conninfo;
  int pool_size = kDefaultPoolSize;
};

Result<Target> parse_url(const std::string& url) {
  Target t;
  auto q = url.find('?');
  t.conninfo = url.substr(0, q);
  std::vector<std::string> kept;
  bool has_timeout = false;
  for (std::size_t pos = q; pos != std::string::npos && pos < url.size();) {
    auto next = url.find('&', pos + 1);
    std::string part = url.substr(pos + 1, next == std::string::npos ? next : next - pos - 1);
    pos = next;
    std::string key = part.substr(0, part.find('='));
    if (key == "pool_size" || key == "linli_pool") {
      std::string v = part.substr(std::min(part.size(), key.size() + 1));
      if (!parse_num(v.data(), static_cast<int>(v.size()), t.pool_size) || t.pool_size < 1 ||
          t.pool_size > 1000) {
        return fail(Error::invalid("数据库地址中的 pool_size 应为 1 到 1000 的整数"));
      }
      continue;
    }
    if (key == "connect_timeout") has_timeout = true;
    if (!part.empty()) kept.push_back(part);
  }
  if (!has_timeout) kept.emplace_back("connect_timeout=5");
  for (std::size_t i = 0; i < kept.size(); ++i) t.conninfo += (i ? "&" : "?") + kept[i];
  return t;
}

}  // namespace

Result<std::unique_ptr<Db>> open_pg(const std::string& url) {
  auto target = parse_url(url);
  if (!target) return fail(std::move(target.error()));
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(target->conninfo.c_str(), &err);
  if (!opts) {
    log::event(spdlog::level::err, "store",
               {{"detail", fmt::format("postgres URL rejected: {}", err ? err : "out of memory")}});
    PQfreemem(err);
    return fail(Error::invalid("数据库地址格式不正确"));
  }
  PQconninfoFree(opts);
  auto first = PgConn::connect(target->conninfo);
  if (!first) return fail(std::move(first.error().error));
  return std::make_unique<PgDb>(target->conninfo, target->pool_size, std::move(*first));
}

Result<std::string> conninfo_of(const std::string& url) {
  auto target = parse_url(url);
  if (!target) return fail(std::move(target.error()));
  return target->conninfo;
}

Status exec_script_in(Tx& tx, std::string_view sql) {
  auto* mine = dynamic_cast<PgTx*>(&tx);
  if (!mine) return fail(misuse("exec_script_in given a foreign Tx", sql).error);
  return mine->script(sql);
}

}  // namespace linli::store::pg
