// The case search index (issue #5): a bigram index over each case's title,
// description and address, the same tokens on both stores (search/bigrams.hpp).
//
// SQLite: `case_search`, a contentless FTS5 table (unicode61 over the
// space-separated tokens, rowid = case id, one column per field).
// PostgreSQL: `case_search (case_id, terms tsvector)` with a GIN index; the
// tsvector is written as a literal with positions, so PostgreSQL's own parser
// never splits Chinese text.
//
// Contentless FTS5 removes a row only when given the tokens it was indexed
// with, so every change of a case's text goes through replace() with the old
// text. Today no write path edits a case's text after intake; one that does
// must call replace() in its transaction.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/db.hpp"
#include "store/sql.hpp"

namespace linli::search {

struct CaseText {
  std::string title, description, address;
  std::string node_path;  // the case's place (PostgreSQL keeps it beside the terms)
};

// Indexes a new case (its id must not be indexed yet).
Status add(store::Tx& tx, store::Kind kind, std::int64_t case_id, const CaseText& text);

// Replaces the index entry of a case whose text changed from before to after.
Status replace(store::Tx& tx, store::Kind kind, std::int64_t case_id, const CaseText& before,
               const CaseText& after);

// Indexes every case with id > after_id, in id order, in batches inside tx.
// Returns the number of cases indexed. On PostgreSQL a large fill drops the
// GIN index first and builds it once at the end (faster than growing it).
Result<std::int64_t> fill(store::Tx& tx, store::Kind kind, std::int64_t after_id);

// The SQL that merges SQLite's index into one segment. A bulk load (fill,
// linli gen) leaves FTS5 many mid-sized segments in the middle of merging
// them, and every later write would pay for that merge at commit: on the
// 1M-case city an intake cost 3.5M instructions instead of 1.7M
// (docs/PERFORMANCE.md). PostgreSQL's GIN index needs nothing.
constexpr const char* kSqliteOptimize = "INSERT INTO case_search (case_search) VALUES ('optimize')";

// The index table's columns and one case's row in them, for bulk loaders
// (linli gen) that insert rows themselves: SQLite (rowid, title, description,
// address), PostgreSQL (case_id, node_path, terms as a tsvector literal).
std::vector<std::string> index_columns(store::Kind kind);
std::vector<store::Value> index_row(store::Kind kind, std::int64_t case_id, const CaseText& text);

// Whether a search for text on this store reads `case_search s JOIN cases c
// ON c.id = s.rowid` ordered by s.rowid: SQLite, and text has a term the
// index answers. FTS5 then walks its matches newest first and the query stops
// at the page's end, however common the term.
bool joins_index(store::Kind kind, const std::string& text);

// Adds to q (a query over `cases c`, and `case_search s` when joins_index())
// the condition that c matches every term of text: terms the index answers
// through it, the rest (a single CJK character) with LIKE on title,
// description and address. A case code (C20261126-000123) also matches its
// case. within: subtree paths every case the caller may get lies in (empty:
// no such bound); PostgreSQL narrows the index by them (the caller's own
// scope conditions still apply).
//
// page (PostgreSQL): when within is exactly what the caller sees and no other
// filter applies, the index also pages (ids below page->after, the newest
// page->limit), so only that many matches meet the cases table.
struct IndexPage {
  std::int64_t after = 0;  // 0: from the newest
  int limit = 0;
};
void add_match(store::Sql& q, store::Kind kind, const std::string& text,
               const std::vector<std::string>& within = {}, const IndexPage* page = nullptr);

}  // namespace linli::search
