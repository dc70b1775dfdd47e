#include "store/sqlite/check_lists.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <regex>
#include <vector>

namespace linli::store::sqlite {
namespace {

// A string literal ('' escapes a quote) or an integer.
const std::string kLiteral = R"((?:'(?:[^']|'')*'|-?[0-9]+))";
// Only a bare column that opens a condition: right after "(" or after AND /
// OR. So `t.x IN`, `a + b IN`, `x COLLATE NOCASE IN`, `"x" NOT IN` or words
// inside a string literal are left as they are (still correct, only slow).
const std::regex kInList(
    R"((\(|\bAND\s|\bOR\s)(\s*)([A-Za-z_][A-Za-z0-9_]*)\s+(NOT\s+)?IN\s*\(\s*()" + kLiteral +
        R"((?:\s*,\s*)" + kLiteral + R"()*)\s*\))",
    std::regex::icase);
const std::regex kOneLiteral(kLiteral);

// True when SQLite accepts `create` (a CREATE TABLE) on an empty in-memory
// database: a definition that did not parse would leave the file unreadable
// once committed, and writable_schema makes SQLite skip that check.
bool parses(const std::string& create) {
  sqlite3* mem = nullptr;
  bool ok = sqlite3_open(":memory:", &mem) == SQLITE_OK &&
            sqlite3_exec(mem, create.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(mem);
  return ok;
}

std::string chain(const std::string& column, bool negated, const std::string& list) {
  if (column == "NOT" || column == "not") return "";
  std::vector<std::string> items;
  for (std::sregex_iterator it(list.begin(), list.end(), kOneLiteral), end; it != end; ++it)
    items.push_back(it->str());
  if (items.size() < 3) return "";
  std::string out = "(";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += fmt::format("{}{} {} {}", i ? (negated ? " AND " : " OR ") : "", column,
                       negated ? "<>" : "=", items[i]);
  return out + ")";
}

}  // namespace

std::string in_lists_as_equality_chains(std::string_view sql) {
  std::string text(sql), out;
  auto from = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), kInList), end; it != end; ++it) {
    const auto& m = *it;
    auto replaced = chain(m[3].str(), m[4].matched, m[5].str());
    out.append(from, m[0].first);
    out += replaced.empty() ? m[0].str() : m[1].str() + m[2].str() + replaced;
    from = m[0].second;
  }
  out.append(from, text.cend());
  return out;
}

Result<int> rewrite_check_in_lists(Tx& tx) {
  auto tables = tx.query(
      "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql LIKE "
      "'%CHECK%' ORDER BY name");
  if (!tables) return fail(std::move(tables.error()));
  std::vector<std::pair<std::string, std::string>> changed;
  for (const auto& t : *tables) {
    auto sql = t.str("sql");
    auto rewritten = in_lists_as_equality_chains(sql);
    if (rewritten == sql) continue;
    if (!parses(rewritten))
      return fail(
          Error::internal(fmt::format("CHECK rewrite of {} does not parse", t.str("name"))));
    changed.emplace_back(t.str("name"), std::move(rewritten));
  }
  if (changed.empty()) return 0;
  auto version = tx.one("PRAGMA schema_version");
  if (!version) return fail(std::move(version.error()));
  if (auto on = tx.exec("PRAGMA writable_schema = ON"); !on) return fail(std::move(on.error()));
  auto edit = [&]() -> Status {
    for (const auto& [name, sql] : changed) {
      auto u = tx.exec("UPDATE sqlite_schema SET sql = $1 WHERE type = 'table' AND name = $2",
                       {sql, name});
      if (!u) return fail(std::move(u.error()));
    }
    // A new version makes every connection read the definitions again.
    auto v = tx.exec(fmt::format("PRAGMA schema_version = {}", version->i64("schema_version") + 1));
    if (!v) return fail(std::move(v.error()));
    return {};
  };
  Status edited = edit();
  // Off again (after a failed statement the Tx runs nothing more; the
  // writer turns the flag off after every batch as well).
  if (auto off = tx.exec("PRAGMA writable_schema = OFF"); !off && edited)
    edited = fail(std::move(off.error()));
  if (!edited) return fail(std::move(edited.error()));
  return static_cast<int>(changed.size());
}

}  // namespace linli::store::sqlite
