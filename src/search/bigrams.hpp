// Splitting text into the tokens of the case search index (issue #5).
//
// Chinese has no spaces and most words people search for are two characters
// long (电梯, 漏水, 噪音), which trigram indexes cannot find. So a run of CJK
// characters becomes its overlapping bigrams ("电梯坏了" → 电梯 梯坏 坏了), a
// run of one CJK character stays that character, and a run of letters or
// digits becomes one lowercase word (fullwidth ＡＢＣ１２３ read as abc123).
// Everything else separates runs. Both stores index exactly these tokens, so
// SQLite and PostgreSQL find the same cases.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace linli::search {

// The index tokens of text, in order. Invalid UTF-8 bytes separate runs.
std::vector<std::string> tokens(std::string_view text);

// A search box entry as the index reads it. Whitespace separates terms; every
// term must match (AND). A term is matched as a phrase of its tokens, so a
// Chinese term matches exactly where it occurs as written (电梯坏 = 电梯
// followed by 梯坏, the same cases as LIKE '%电梯坏%'). When the last token of
// a term is a word, it matches as a prefix (lift → lifts).
struct Query {
  struct Phrase {
    std::vector<std::string> tokens;
    bool prefix = false;  // the last token matches as a prefix
  };
  std::vector<Phrase> phrases;  // what the index answers
  // Terms the index cannot answer alone (one holding a single CJK character
  // such as 坏 or 4栋, or no token at all): matched with LIKE on the cases
  // the phrases found. The parts of such a term the index can answer exactly
  // (嘉秋小区 in 嘉秋小区4栋) are among the phrases.
  std::vector<std::string> like_terms;
};

Query parse_query(std::string_view q);

// The FTS5 MATCH expression for q's phrases: "电梯 梯坏" AND "lift"*.
// Empty when there are no phrases.
std::string fts5_match(const Query& q);

// The tsquery literal for q's phrases: ('电梯' <-> '梯坏') & ('lift':*).
// Empty when there are no phrases.
std::string tsquery(const Query& q);

// A tsvector literal over fields (title, description, address …): each
// token with its positions; a gap of one position between fields, so a phrase
// never spans two fields (FTS5 columns do the same on SQLite).
std::string tsvector(const std::vector<std::string_view>& fields);

// The fields' tokens joined by spaces: what the FTS5 columns receive.
std::string spaced(std::string_view field);

}  // namespace linli::search
