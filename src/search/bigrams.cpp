#include "search/bigrams.hpp"

#include <map>

#include "core/validate.hpp"

namespace linli::search {
namespace {

enum class Class { sep, cjk, word };

struct Cp {
  char32_t cp;
  Class cls;
};

// Decodes one code point at s[i]; advances i. Invalid sequences read as
// U+FFFD (a separator).
char32_t decode(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + static_cast<std::size_t>(n) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += static_cast<std::size_t>(n);
  return cp;
}

bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F) || c == 0x3005 ||
         c == 0x3007 || (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA) ||
         c == 0x30FC || (c >= 0xAC00 && c <= 0xD7A3);
}

// Letters and digits, folded the way both stores' tokenizers would leave
// them: lowercase, fullwidth to ASCII. Only letters both FTS5's unicode61
// and PostgreSQL keep as one token (Latin, Greek, Cyrillic).
Cp classify(char32_t c) {
  if (c >= 0xFF10 && c <= 0xFF19) c = c - 0xFF10 + U'0';
  if (c >= 0xFF21 && c <= 0xFF3A) c = c - 0xFF21 + U'a';
  if (c >= 0xFF41 && c <= 0xFF5A) c = c - 0xFF41 + U'a';
  if ((c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z')) return {c, Class::word};
  if (c >= U'A' && c <= U'Z') return {c + 32, Class::word};
  if (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) {
    if (c <= 0xDE) c += 32;  // Latin-1 capitals
    return {c, Class::word};
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return {c + 32, Class::word};  // Greek capitals
  if (c >= 0x3B1 && c <= 0x3C9) return {c, Class::word};
  if (c >= 0x410 && c <= 0x42F) return {c + 32, Class::word};  // Cyrillic capitals
  if (c >= 0x400 && c <= 0x40F) return {c + 80, Class::word};
  if (c >= 0x430 && c <= 0x45F) return {c, Class::word};
  if (is_cjk(c)) return {c, Class::cjk};
  return {c, Class::sep};
}

// Runs of one class, in order.
struct Run {
  Class cls;
  std::vector<char32_t> cps;
};

std::vector<Run> runs(std::string_view text) {
  std::vector<Run> out;
  Class prev = Class::sep;
  for (std::size_t i = 0; i < text.size();) {
    auto [cp, cls] = classify(decode(text, i));
    if (cls == Class::sep) {
      prev = cls;
      continue;
    }
    if (cls != prev) out.push_back({cls, {}});
    out.back().cps.push_back(cp);
    prev = cls;
  }
  return out;
}

void append_run_tokens(const Run& r, std::vector<std::string>& out) {
  if (r.cls == Class::word || r.cps.size() == 1) {
    std::string t;
    for (auto cp : r.cps) validate::utf8_append(t, cp);
    out.push_back(std::move(t));
    return;
  }
  for (std::size_t k = 0; k + 1 < r.cps.size(); ++k) {
    std::string t;
    validate::utf8_append(t, r.cps[k]);
    validate::utf8_append(t, r.cps[k + 1]);
    out.push_back(std::move(t));
  }
}

bool is_space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == 0x3000 || c == 0xA0;
}

}  // namespace

std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& r : runs(text)) append_run_tokens(r, out);
  return out;
}

Query parse_query(std::string_view q) {
  // Terms: split on whitespace (ASCII, ideographic, no-break).
  std::vector<std::string> terms;
  std::string cur;
  for (std::size_t i = 0; i < q.size();) {
    std::size_t start = i;
    auto cp = decode(q, i);
    if (is_space(cp)) {
      if (!cur.empty()) terms.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.append(q.substr(start, i - start));
    }
  }
  if (!cur.empty()) terms.push_back(std::move(cur));

  Query out;
  for (const auto& term : terms) {
    auto rs = runs(term);
    bool indexable = !rs.empty();
    for (const auto& r : rs)
      if (r.cls == Class::cjk && r.cps.size() == 1) indexable = false;
    if (!indexable) {
      // The index still narrows the search by the term's runs it can answer
      // exactly (Chinese runs of two or more, words between two other runs:
      // a word at either end may be part of a longer word, 14栋 for 4栋);
      // LIKE then checks the whole term on those cases only.
      for (std::size_t k = 0; k < rs.size(); ++k) {
        const auto& r = rs[k];
        bool inner_word = r.cls == Class::word && k > 0 && k + 1 < rs.size();
        if (!(r.cls == Class::cjk && r.cps.size() > 1) && !inner_word) continue;
        Query::Phrase p;
        append_run_tokens(r, p.tokens);
        out.phrases.push_back(std::move(p));
      }
      out.like_terms.push_back(term);
      continue;
    }
    Query::Phrase p;
    for (const auto& r : rs) append_run_tokens(r, p.tokens);
    p.prefix = rs.back().cls == Class::word;
    out.phrases.push_back(std::move(p));
  }
  return out;
}

std::string fts5_match(const Query& q) {
  std::string out;
  for (const auto& p : q.phrases) {
    if (!out.empty()) out += " AND ";
    out += '"';
    for (std::size_t i = 0; i < p.tokens.size(); ++i) out += (i ? " " : "") + p.tokens[i];
    out += '"';
    if (p.prefix) out += '*';
  }
  return out;
}

namespace {
// A lexeme quoted for tsvector/tsquery input. Tokens hold only letters,
// digits and CJK characters, but quote and backslash are escaped all the same.
std::string quoted(const std::string& t) {
  std::string out = "'";
  for (char c : t) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}
}  // namespace

std::string tsquery(const Query& q) {
  std::string out;
  for (const auto& p : q.phrases) {
    if (!out.empty()) out += " & ";
    out += '(';
    for (std::size_t i = 0; i < p.tokens.size(); ++i) {
      if (i) out += " <-> ";
      out += quoted(p.tokens[i]);
      if (p.prefix && i + 1 == p.tokens.size()) out += ":*";
    }
    out += ')';
  }
  return out;
}

std::string tsvector(const std::vector<std::string_view>& fields) {
  // PostgreSQL keeps positions up to 16383 and 255 of them per lexeme.
  std::map<std::string, std::vector<int>> positions;
  int pos = 0;
  for (auto field : fields) {
    for (auto& t : tokens(field)) {
      ++pos;
      auto& v = positions[std::move(t)];
      if (v.size() < 255 && pos <= 16383) v.push_back(pos);
    }
    ++pos;  // the gap between fields
  }
  std::string out;
  for (const auto& [lexeme, ps] : positions) {
    if (!out.empty()) out += ' ';
    out += quoted(lexeme);
    for (std::size_t i = 0; i < ps.size(); ++i) out += (i ? "," : ":") + std::to_string(ps[i]);
  }
  return out;
}

std::string spaced(std::string_view field) {
  std::string out;
  for (const auto& t : tokens(field)) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

}  // namespace linli::search
