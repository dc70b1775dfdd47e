#include "store/db.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "core/log.hpp"
#include "store/postgres/pg_db.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace linli::store {
namespace {

bool parse_i64(std::string_view s, std::int64_t& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return !s.empty() && ec == std::errc() && p == end;
}

bool parse_f64(std::string_view s, double& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return !s.empty() && ec == std::errc() && p == end;
}

// A column that cannot be read as a number is a mismatch between the SQL and
// the code reading it: a programming error, like an unknown column name.
[[noreturn]] void not_a_number(std::string_view name) {
  throw std::invalid_argument("column " + std::string(name) + " does not hold a number");
}

// Doubles that fit are truncated as SQL CAST does; PG returns SUM/AVG of
// integers as NUMERIC, which may arrive as a double.
std::int64_t double_to_i64(double d, std::string_view name) {
  if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)) not_a_number(name);
  return static_cast<std::int64_t>(d);
}

}  // namespace

Columns::Columns(std::vector<std::string> names) : names_(std::move(names)) {
  sorted_.reserve(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i) sorted_.emplace_back(names_[i], i);
  std::sort(sorted_.begin(), sorted_.end());
}

std::optional<std::size_t> Columns::find(std::string_view name) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it == sorted_.end() || it->first != name) return std::nullopt;
  return it->second;
}

std::size_t Row::index(std::string_view name) const {
  if (auto i = columns_->find(name)) return *i;
  throw std::out_of_range("no column named " + std::string(name));
}

const Value& Row::at(std::string_view name) const { return values_[index(name)]; }

std::int64_t value_i64(const Value& v, std::string_view column) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return double_to_i64(*d, column);
  if (const auto* s = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    if (parse_i64(*s, out)) return out;
    double d = 0;
    if (parse_f64(*s, d)) return double_to_i64(d, column);
    not_a_number(column);
  }
  return 0;
}

double value_f64(const Value& v, std::string_view column) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
  if (const auto* s = std::get_if<std::string>(&v)) {
    double out = 0;
    if (parse_f64(*s, out)) return out;
    not_a_number(column);
  }
  return 0;
}

std::string value_str(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    return ec == std::errc() ? std::string(buf, p) : std::string();
  }
  return {};
}

// at() first: it throws past the last column, where names()[i] would not.
std::int64_t Row::i64(std::size_t i) const {
  const Value& v = at(i);
  return value_i64(v, names()[i]);
}

double Row::f64(std::size_t i) const {
  const Value& v = at(i);
  return value_f64(v, names()[i]);
}

std::string Row::str(std::size_t i) const { return value_str(at(i)); }

std::optional<std::int64_t> Row::opt_i64(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return i64(i);
}

std::optional<std::string> Row::opt_str(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return str(i);
}

std::size_t RowView::index(std::string_view name) const {
  for (std::size_t i = 0; i < size(); ++i)
    if (this->name(i) == name) return i;
  throw std::out_of_range("no column named " + std::string(name));
}

std::string_view RowAsView::text(std::size_t i) const {
  if (const auto* s = std::get_if<std::string>(&row_.at(i))) return *s;
  scratch_ = row_.str(i);
  return scratch_;
}

Status Db::each(std::string_view sql, const Params& params, const EachRow& fn) {
  auto rows = query(sql, params);
  if (!rows) return fail(std::move(rows.error()));
  for (const auto& r : *rows)
    if (auto st = fn(RowAsView(r)); !st) return st;
  return {};
}

Result<std::vector<Rows>> Db::query_all(const std::vector<Read>& reads) {
  std::vector<Rows> out;
  out.reserve(reads.size());
  for (const auto& r : reads) {
    auto rows = query(r.sql, r.params);
    if (!rows) return fail(std::move(rows.error()));
    out.push_back(std::move(*rows));
  }
  return out;
}

Status Tx::send(std::string_view sql, const Params& params) {
  auto r = exec(sql, params);
  if (!r) return fail(std::move(r.error()));
  return {};
}

std::string values_rows(std::size_t rows, std::size_t width) {
  std::string out = " VALUES ";
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    out += r ? ", (" : "(";
    for (std::size_t c = 0; c < width; ++c) out += fmt::format("{}${}", c ? ", " : "", ++n);
    out += ")";
  }
  return out;
}

Status Tx::append(std::string_view head, Params row) {
  return send(std::string(head) + values_rows(1, row.size()), row);
}

Result<Rows> Tx::query(std::string_view sql, const Params& params) {
  auto r = exec(sql, params);
  if (!r) return fail(std::move(r.error()));
  return std::move(r->rows);
}

Result<Row> Tx::one(std::string_view sql, const Params& params) {
  auto rows = query(sql, params);
  if (!rows) return fail(std::move(rows.error()));
  if (rows->empty()) return fail(Error::not_found());
  return std::move(rows->front());
}

Result<Row> Db::one(std::string_view sql, const Params& params) {
  auto rows = query(sql, params);
  if (!rows) return fail(std::move(rows.error()));
  if (rows->empty()) return fail(Error::not_found());
  return std::move(rows->front());
}

Result<std::unique_ptr<Db>> open(const std::string& url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return pg::open_pg(url);
  }
  if (!url.starts_with("sqlite:")) {
    return fail(Error::invalid("数据库地址无法识别：应为 sqlite:文件路径 或 postgresql://…"));
  }
  std::string path = url.substr(7);
  if (path.starts_with("//")) path.erase(0, 2);  // tolerate sqlite:///abs/path
  if (path.empty()) return fail(Error::invalid("数据库地址缺少文件路径"));
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    log::event(spdlog::level::err, "store",
               {{"detail", fmt::format("cannot create database directory {}: {}", parent.string(),
                                       ec.message())}});
    return fail(Error::unavailable("无法创建数据库所在目录，请检查路径与权限"));
  }
  return sqlite::open_sqlite(path);
}

}  // namespace linli::store
