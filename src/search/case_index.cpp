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

// "INSERT INTO case_search (columns…)".
std::string insert_head(store::Kind kind) {
  std::string head = "INSERT INTO case_search (";
  for (const auto& c : index_columns(kind)) head += (head.back() == '(' ? "" : ", ") + c;
  return head + ")";
}

// Inserts index rows for cases (id, text) with multi-row INSERTs.
Status insert_rows(store::Tx& tx, store::Kind kind,
                   const std::vector<std::pair<std::int64_t, CaseText>>& rows) {
  bool pg = kind == store::Kind::postgres;
  std::string head = insert_head(kind) + " VALUES ";
  for (std::size_t from = 0; from < rows.size(); from += kRowsPerInsert) {
    store::Sql q;
    q << head;
    for (std::size_t i = from; i < rows.size() && i < from + kRowsPerInsert; ++i) {
      auto values = index_row(kind, rows[i].first, rows[i].second);
      q << (i == from ? "(" : ", (") << q.bind(values[0]) << ", " << q.bind(values[1]) << ", ";
      // PostgreSQL's terms arrive as a tsvector literal.
      if (pg)
        q << "CAST(" << q.bind(values[2]) << " AS tsvector))";
      else
        q << q.bind(values[2]) << ", " << q.bind(values[3]) << ")";
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

std::vector<std::string> index_columns(store::Kind kind) {
  if (kind == store::Kind::sqlite) return {"rowid", "title", "description", "address"};
  return {"case_id", "node_path", "terms"};
}

std::vector<store::Value> index_row(store::Kind kind, std::int64_t case_id, const CaseText& t) {
  if (kind == store::Kind::sqlite)
    return {case_id, spaced(t.title), spaced(t.description), spaced(t.address)};
  return {case_id, t.node_path, tsvector({t.title, t.description, t.address})};
}

// SQLite: the rows go in at the end of the group commit (Tx::append), so
// FTS5 writes one segment per batch instead of one per intake.
Status add(store::Tx& tx, store::Kind kind, std::int64_t case_id, const CaseText& text) {
  if (kind == store::Kind::sqlite) {
    static const std::string head = insert_head(kind);
    return tx.append(head, index_row(kind, case_id, text));
  }
  return insert_rows(tx, kind, {{case_id, text}});
}

Status replace(store::Tx& tx, store::Kind kind, std::int64_t case_id, const CaseText& before,
               const CaseText& after) {
  if (kind == store::Kind::sqlite) {
    // A contentless FTS5 row is deleted by naming the tokens it holds; held
    // like the insert, so a case added and changed in one batch stays in order.
    auto d = tx.append("INSERT INTO case_search (case_search, rowid, title, description, address)",
                       {std::string("delete"), case_id, spaced(before.title),
                        spaced(before.description), spaced(before.address)});
    if (!d) return d;
  } else {
    auto d = tx.exec("DELETE FROM case_search WHERE case_id = $1", {case_id});
    if (!d) return fail(d.error());
  }
  return add(tx, kind, case_id, after);
}

Result<std::int64_t> fill(store::Tx& tx, store::Kind kind, std::int64_t after_id) {
  bool rebuild = false;
  if (kind == store::Kind::postgres) {
    auto n = tx.one("SELECT count(*) AS n FROM cases WHERE id > $1", {after_id});
    if (!n) return fail(n.error());
    rebuild = n->i64("n") > kRebuildAbove;
    if (rebuild)
      if (auto d = tx.exec("DROP INDEX IF EXISTS case_search_terms"); !d) return fail(d.error());
  }
  std::int64_t done = 0, last = after_id;
  for (;;) {
    auto rows = tx.query(
        "SELECT id, title, description, address, node_path FROM cases WHERE id > $1 ORDER BY id "
        "LIMIT $2",
        {last, kBatch});
    if (!rows) return fail(rows.error());
    if (rows->empty()) break;
    std::vector<std::pair<std::int64_t, CaseText>> batch;
    batch.reserve(rows->size());
    for (const auto& r : *rows)
      batch.push_back(
          {r.i64("id"),
           {r.str("title"), r.str("description"), r.str("address"), r.str("node_path")}});
    if (auto s = insert_rows(tx, kind, batch); !s) return fail(s.error());
    last = batch.back().first;
    done += static_cast<std::int64_t>(batch.size());
  }
  if (rebuild)
    if (auto c = tx.exec(kPgIndex); !c) return fail(c.error());
  if (kind == store::Kind::sqlite && done > 0)
    if (auto o = tx.exec(kSqliteOptimize); !o) return fail(o.error());
  return done;
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
