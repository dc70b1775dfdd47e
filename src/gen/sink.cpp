#include "gen/sink.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <array>
#include <cstdio>
#include <map>

#include "search/case_index.hpp"

namespace linli::gen {
namespace {

constexpr long kBatchRows = 100000;  // rows per SQLite transaction

// ---------------------------------------------------------------------------
// SQLite

class SqliteSink final : public Sink {
 public:
  ~SqliteSink() override {
    for (auto* st : stmts_) sqlite3_finalize(st);
    if (db_) sqlite3_close(db_);
  }

  static Result<std::unique_ptr<Sink>> open(const std::string& path) {
    auto s = std::make_unique<SqliteSink>();
    if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      return fail(Error::unavailable("无法打开数据库 " + path));
    // Relaxed while loading: no journal, no fsync, no foreign-key checks,
    // a big cache. finish() puts WAL back; synchronous and foreign_keys are
    // per connection and the server sets its own.
    if (auto st = s->exec(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;"
            "PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY; PRAGMA locking_mode=EXCLUSIVE;"
            "BEGIN");
        !st)
      return fail(st.error());
    return std::unique_ptr<Sink>(std::move(s));
  }

  Status exec(std::string_view sql) override {
    char* err = nullptr;
    std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "sqlite error";
      sqlite3_free(err);
      return fail(Error::internal("gen: " + msg + " in " + text.substr(0, 200)));
    }
    return {};
  }

  store::Kind kind() const override { return store::Kind::sqlite; }

  Result<int> table(std::string_view name, const std::vector<std::string>& cols) override {
    std::string sql = "INSERT INTO " + std::string(name) + " (";
    std::string vals;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      sql += (i ? ", " : "") + cols[i];
      vals += i ? ", ?" : "?";
    }
    sql += ") VALUES (" + vals + ")";
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
        SQLITE_OK)
      return fail(Error::internal(std::string("gen: ") + sqlite3_errmsg(db_)));
    stmts_.push_back(st);
    return int(stmts_.size()) - 1;
  }

  Status add(int t, const std::vector<store::Value>& row) override {
    sqlite3_stmt* st = stmts_[std::size_t(t)];
    for (std::size_t i = 0; i < row.size(); ++i) {
      int k = int(i) + 1;
      const auto& v = row[i];
      if (std::holds_alternative<std::monostate>(v)) {
        sqlite3_bind_null(st, k);
      } else if (auto* n = std::get_if<std::int64_t>(&v)) {
        sqlite3_bind_int64(st, k, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(st, k, *d);
      } else {
        const auto& s = std::get<std::string>(v);
        sqlite3_bind_text(st, k, s.data(), int(s.size()), SQLITE_STATIC);
      }
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return fail(Error::internal(std::string("gen: ") + sqlite3_errmsg(db_)));
    if (++rows_ % kBatchRows == 0) return exec("COMMIT; BEGIN");
    return {};
  }

  Status drop_indexes(const std::vector<std::string>& tables) override {
    for (const auto& t : tables) {
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(
          db_,
          "SELECT name, sql, type FROM sqlite_master WHERE type IN ('index', 'trigger') AND "
          "tbl_name = ? AND sql IS NOT NULL",
          -1, &st, nullptr);
      sqlite3_bind_text(st, 1, t.c_str(), -1, SQLITE_TRANSIENT);
      std::vector<std::array<std::string, 3>> found;
      auto text = [&](int i) {
        const unsigned char* p = sqlite3_column_text(st, i);
        return std::string(p ? reinterpret_cast<const char*>(p) : "");
      };
      while (sqlite3_step(st) == SQLITE_ROW) found.push_back({text(0), text(1), text(2)});
      sqlite3_finalize(st);
      // Triggers (the KPI roll-ups) are off while loading: gen writes the
      // roll-ups it summed itself.
      for (auto& [name, sql, type] : found) {
        if (auto s = exec((type == "index" ? "DROP INDEX " : "DROP TRIGGER ") + name); !s) return s;
        recreate_.push_back(sql);
      }
    }
    return {};
  }

  Status finish() override {
    if (auto s = exec("COMMIT"); !s) return s;
    // Index builds sort with helper threads; ANALYZE samples each index
    // instead of reading it whole (on 10M cases the full read took minutes).
    if (auto s = exec("PRAGMA threads=4; BEGIN"); !s) return s;
    for (const auto& sql : recreate_)
      if (auto s = exec(sql); !s) return s;
    // The search index was written in one transaction (search::kSqliteOptimize).
    if (auto s = exec(search::kSqliteOptimize); !s) return s;
    if (auto s = exec("COMMIT; PRAGMA analysis_limit=1000; ANALYZE; PRAGMA locking_mode=NORMAL; "
                      "PRAGMA journal_mode=WAL;");
        !s)
      return s;
    return {};
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
  std::vector<std::string> recreate_;
};

// ---------------------------------------------------------------------------
// PostgreSQL: COPY … FROM STDIN (text format).

class PgSink final : public Sink {
 public:
  ~PgSink() override {
    if (conn_) PQfinish(conn_);
  }

  static Result<std::unique_ptr<Sink>> open(const std::string& url) {
    auto s = std::make_unique<PgSink>();
    s->conn_ = PQconnectdb(url.c_str());
    if (PQstatus(s->conn_) != CONNECTION_OK)
      return fail(Error::unavailable(std::string("gen: ") + PQerrorMessage(s->conn_)));
    // Triggers stay on: the KPI roll-ups (migration 0010) fill as rows arrive.
    (void)s->exec("SET synchronous_commit = off");
    return std::unique_ptr<Sink>(std::move(s));
  }

  Status exec(std::string_view sql) override {
    std::string text(sql);
    PGresult* r = PQexec(conn_, text.c_str());
    auto st = PQresultStatus(r);
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      return fail(Error::internal("gen: " + err + " in " + text.substr(0, 200)));
    return {};
  }

  store::Kind kind() const override { return store::Kind::postgres; }

  Result<int> table(std::string_view name, const std::vector<std::string>& cols) override {
    Table t;
    t.copy = "COPY " + std::string(name) + " (";
    for (std::size_t i = 0; i < cols.size(); ++i) t.copy += (i ? ", " : "") + cols[i];
    t.copy += ") FROM STDIN";
    t.name = name;
    tables_.push_back(std::move(t));
    return int(tables_.size()) - 1;
  }

  Status add(int t, const std::vector<store::Value>& row) override {
    std::string& b = tables_[std::size_t(t)].buf;
    char num[32];
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) b += '\t';
      const auto& v = row[i];
      if (std::holds_alternative<std::monostate>(v)) {
        b += "\\N";
      } else if (auto* n = std::get_if<std::int64_t>(&v)) {
        b.append(num, std::size_t(std::snprintf(num, sizeof num, "%lld", (long long)*n)));
      } else if (auto* d = std::get_if<double>(&v)) {
        b.append(num, std::size_t(std::snprintf(num, sizeof num, "%.17g", *d)));
      } else {
        for (char c : std::get<std::string>(v)) {
          switch (c) {
            case '\\':
              b += "\\\\";
              break;
            case '\t':
              b += "\\t";
              break;
            case '\n':
              b += "\\n";
              break;
            case '\r':
              b += "\\r";
              break;
            default:
              b += c;
          }
        }
      }
    }
    b += '\n';
    ++rows_;
    if (b.size() > (8u << 20)) return flush_all();
    return {};
  }

  Status drop_indexes(const std::vector<std::string>& tables) override {
    for (const auto& t : tables) {
      // The KPI roll-up triggers are off while loading (gen writes the
      // roll-ups it summed itself); FK triggers stay.
      if (auto s = exec("ALTER TABLE " + t + " DISABLE TRIGGER USER"); !s) return s;
      enable_.push_back("ALTER TABLE " + t + " ENABLE TRIGGER USER");
      std::string q =
          "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND "
          "tablename = '" +
          t + "' AND indexname NOT IN (SELECT conname FROM pg_constraint)";
      PGresult* r = PQexec(conn_, q.c_str());
      if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::string err = PQresultErrorMessage(r);
        PQclear(r);
        return fail(Error::internal("gen: " + err));
      }
      std::vector<std::pair<std::string, std::string>> found;
      for (int i = 0; i < PQntuples(r); ++i)
        found.emplace_back(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
      PQclear(r);
      for (auto& [name, sql] : found) {
        if (auto s = exec("DROP INDEX " + name); !s) return s;
        recreate_.push_back(sql);
      }
    }
    return {};
  }

  Status finish() override {
    if (auto s = flush_all(); !s) return s;
    for (const auto& sql : recreate_)
      if (auto s = exec(sql); !s) return s;
    for (const auto& sql : enable_)
      if (auto s = exec(sql); !s) return s;
    // Ids were given explicitly: move every identity past them.
    for (const auto& t : tables_) {
      PGresult* r =
          PQexec(conn_, ("SELECT pg_get_serial_sequence('" + t.name + "', 'id')").c_str());
      bool has = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
      PQclear(r);
      if (!has) continue;
      if (auto s = exec("SELECT setval(pg_get_serial_sequence('" + t.name +
                        "', 'id'), (SELECT COALESCE(max(id), 1) FROM " + t.name + "))");
          !s)
        return s;
    }
    return exec("ANALYZE");
  }

 private:
  struct Table {
    std::string name, copy, buf;
  };

  Status flush_all() {
    for (auto& t : tables_) {
      if (t.buf.empty()) continue;
      PGresult* r = PQexec(conn_, t.copy.c_str());
      bool ok = PQresultStatus(r) == PGRES_COPY_IN;
      PQclear(r);
      if (!ok) return fail(Error::internal(std::string("gen: ") + PQerrorMessage(conn_)));
      if (PQputCopyData(conn_, t.buf.data(), int(t.buf.size())) != 1 ||
          PQputCopyEnd(conn_, nullptr) != 1)
        return fail(Error::internal(std::string("gen: ") + PQerrorMessage(conn_)));
      std::string err;
      while ((r = PQgetResult(conn_)) != nullptr) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
        PQclear(r);
      }
      if (!err.empty()) return fail(Error::internal("gen: " + t.name + ": " + err));
      t.buf.clear();
    }
    return {};
  }

  PGconn* conn_ = nullptr;
  std::vector<Table> tables_;
  std::vector<std::string> recreate_, enable_;
};

}  // namespace

Result<std::unique_ptr<Sink>> open_sink(const std::string& url) {
  if (url.starts_with("sqlite:")) return SqliteSink::open(url.substr(7));
  return PgSink::open(url);
}

}  // namespace linli::gen
