#include "search/case_index.hpp"

#include <fmt/format.h>

#include "auth/principal.hpp"
#include "search/bigrams.hpp"

namespace linli::search {
namespace {

// Rows per multi-row INSERT and cases read per batch of a fill.
constexpr std::size_t kRowsPerInsert = 200;
constexpr std::int64_t kBatch = 5000;
// Fills larger than this rebuild the PostgreSQL GIN index instead of growing it.
constexpr std::int64_t kRebuildAbove = 20000;

constexpr const char* kPgIndex =
    "CREATE INDEX IF NOT EXISTS case_search_terms ON case_search USING gin (terms)";

// Inserts index rows for cases (id, text) with multi-row INSERTs.
Status insert_rows(store::Tx& tx, store::Kind kind,
                   const std::vector<std::pair<std::int64_t, CaseText>>& rows) {
  for (std::size_t from = 0; from < rows.size(); from += kRowsPerInsert) {
    store::Sql q;
    q << (kind == store::Kind::sqlite
              ? "INSERT INTO case_search (rowid, title, description, address) VALUES "
              : "INSERT INTO case_search (case_id, node_path, terms) VALUES ");
    for (std::size_t i = from; i < rows.size() && i < from + kRowsPerInsert; ++i) {
      const auto& [id, t] = rows[i];
      q << (i == from ? "(" : ", (") << q.bind(id) << ", ";
      if (kind == store::Kind::sqlite)
        q << q.bind(spaced(t.title)) << ", " << q.bind(spaced(t.description)) << ", "
          << q.bind(spaced(t.address)) << ")";
      else
        q << q.bind(t.node_path) << ", CAST("
          << q.bind(tsvector({t.title, t.description, t.address})) << " AS tsvector))";
    }
    if (auto r = tx.send(q.text, q.params); !r) return r;
  }
  return {};
}

bool code_shaped(const std::string& s) {
  // C20261126-000123: C, the Shanghai date, '-', the id.
  if (s.size() < 11 || (s[0] != 'C' && s[0] != 'c') || s[9] != '-') return false;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (i != 9 && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

}  // namespace

Status add(store::Tx& tx, store::Kind kind, std::int64_t case_id, const CaseText& text) {
  return insert_rows(tx, kind, {{case_id, text}});
}

Status replace(store::Tx& tx, store::Kind kind, std::int64_t case_id, const CaseText& before,
               const CaseText& after) {
  if (kind == store::Kind::sqlite) {
    // A contentless FTS5 row is deleted by naming the tokens it holds.
    auto d = tx.exec(
        "INSERT INTO case_search (case_search, rowid, title, description, address) VALUES "
        "('delete', $1, $2, $3, $4)",
        {case_id, spaced(before.title), spaced(before.description), spaced(before.address)});
    if (!d) return fail(d.error());
  } else {
    auto d = tx.exec("DELETE FROM case_search WHERE case_id = $1", {case_id});
    if (!d) return fail(d.error());
  }
  return add(tx, kind, case_id, after);
}

namespace {

using Batch = std::vector<std::pair<std::int64_t, CaseText>>;

// Walks the cases after after_id in batches of kBatch: query(sql, params)
// reads, store(batch) indexes. On PostgreSQL a large fill drops the GIN index
// first and builds it once at the end (run(sql) executes DDL).
template <class Query, class Store, class Run>
Result<std::int64_t> walk(store::Kind kind, std::int64_t after_id, Query query, Store store,
                          Run run) {
  bool rebuild = false;
  if (kind == store::Kind::postgres) {
    auto n = query("SELECT count(*) AS n FROM cases WHERE id > $1",
                   store::Params{store::Value(after_id)});
    if (!n) return fail(n.error());
    rebuild = !n->empty() && n->front().i64("n") > kRebuildAbove;
    if (rebuild)
      if (auto d = run("DROP INDEX IF EXISTS case_search_terms"); !d) return fail(d.error());
  }
  std::int64_t done = 0, last = after_id;
  for (;;) {
    auto rows = query(
        "SELECT id, title, description, address, node_path FROM cases WHERE id > $1 ORDER BY id "
        "LIMIT $2",
        store::Params{store::Value(last), store::Value(kBatch)});
    if (!rows) return fail(rows.error());
    if (rows->empty()) break;
    Batch batch;
    batch.reserve(rows->size());
    for (const auto& r : *rows)
      batch.push_back(
          {r.i64("id"),
           {r.str("title"), r.str("description"), r.str("address"), r.str("node_path")}});
    if (auto s = store(batch); !s) return fail(s.error());
    last = batch.back().first;
    done += static_cast<std::int64_t>(batch.size());
  }
  if (rebuild)
    if (auto c = run(kPgIndex); !c) return fail(c.error());
  return done;
}

}  // namespace

Result<std::int64_t> fill(store::Tx& tx, store::Kind kind, std::int64_t after_id) {
  return walk(
      kind, after_id,
      [&](std::string_view sql, const store::Params& p) { return tx.query(sql, p); },
      [&](const Batch& batch) { return insert_rows(tx, kind, batch); },
      [&](std::string_view sql) -> Status {
        if (auto r = tx.exec(sql); !r) return fail(r.error());
        return {};
      });
}

Result<std::int64_t> fill(store::Db& db, std::int64_t after_id) {
  auto kind = db.kind();
  return walk(
      kind, after_id,
      [&](std::string_view sql, const store::Params& p) { return db.query(sql, p); },
      [&](const Batch& batch) {
        return db.write([&](store::Tx& tx) { return insert_rows(tx, kind, batch); });
      },
      [&](std::string_view sql) {
        return db.write([&](store::Tx& tx) -> Status {
          if (auto r = tx.exec(sql); !r) return fail(r.error());
          return {};
        });
      });
}

bool joins_index(store::Kind kind, const std::string& text) {
  return kind == store::Kind::sqlite && !code_shaped(text) && !parse_query(text).phrases.empty();
}

void add_match(store::Sql& q, store::Kind kind, const std::string& text,
               const std::vector<std::string>& within, const IndexPage* page) {
  auto parsed = parse_query(text);
  bool code = code_shaped(text);
  bool sqlite = kind == store::Kind::sqlite;
  // A case code matches its case, as it always did.
  std::string open = code ? " AND (c.code = " + q.bind(text) + " OR (1 = 1" : "";
  q << open;
  if (!parsed.phrases.empty()) {
    if (sqlite && !code)
      q << " AND s.case_search MATCH " << q.bind(fts5_match(parsed));
    else if (sqlite)
      q << " AND c.id IN (SELECT rowid FROM case_search WHERE case_search MATCH "
        << q.bind(fts5_match(parsed)) << ")";
    else {
      q << " AND c.id IN (SELECT case_id FROM case_search WHERE terms @@ CAST("
        << q.bind(tsquery(parsed)) << " AS tsquery)";
      for (std::size_t i = 0; i < within.size(); ++i) {
        q << (i ? " OR " : " AND (") << "(node_path >= " << q.bind(within[i]) << " AND node_path < "
          << q.bind(auth::subtree_end(within[i])) << ")";
      }
      if (!within.empty()) q << ")";
      // Paging inside is exact only when nothing outside can drop a row.
      if (page && !within.empty() && parsed.like_terms.empty()) {
        if (page->after > 0) q << " AND case_id < " << q.bind(page->after);
        q << " ORDER BY case_id DESC LIMIT " << q.bind(static_cast<std::int64_t>(page->limit));
      }
      q << ")";
    }
  }
  for (const auto& t : parsed.like_terms) {
    auto pat = q.bind("%" + store::like_escape(t) + "%");
    q << " AND (c.title LIKE " << pat << " ESCAPE '\\' OR c.description LIKE " << pat
      << " ESCAPE '\\' OR c.address LIKE " << pat << " ESCAPE '\\')";
  }
  if (code) q << "))";
}

}  // namespace linli::search
