// Open311 GeoReport v2 (docs/OPEN311.md): /open311/discovery.{fmt} and
// /open311/v2/… in JSON and XML. A request filed here becomes an ordinary
// case (channel open311) and enters the same closed loop as any other.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <ranges>
#include <set>
#include <span>

#include "app/app.hpp"
#include "cases/geo.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/json_text.hpp"
#include "core/validate.hpp"
#include "http/server.hpp"
#include "open311/keys.hpp"

namespace linli {
namespace {

using OJson = nlohmann::ordered_json;

enum class Fmt { json, xml };

constexpr const char* kSpec = "http://wiki.open311.org/GeoReport_v2";
// When this interface last changed (discovery "changeset").
constexpr const char* kChangeset = "2026-11-25T00:00:00+08:00";
constexpr std::int64_t kShanghaiMs = 8LL * 3600 * 1000;
constexpr std::int64_t kDayMs = 86400000LL;
constexpr int kMaxRequests = 1000;

// ---- formats ----

// "requests.json" → ("requests", json); "env.garbage.xml" → ("env.garbage", xml).
std::optional<std::pair<std::string, Fmt>> split_ext(const std::string& seg) {
  auto dot = seg.rfind('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  auto ext = seg.substr(dot + 1);
  if (ext == "json") return std::pair{seg.substr(0, dot), Fmt::json};
  if (ext == "xml") return std::pair{seg.substr(0, dot), Fmt::xml};
  return std::nullopt;
}

void xml_text(std::string& out, std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab and newlines are not allowed in XML 1.0.
        if (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
        out += ch;
    }
  }
}

// The element name of an array's items: services → service, errors → error.
std::string item_name(const std::string& plural) {
  if (plural == "service_requests") return "request";
  if (plural.size() > 1 && plural.back() == 's') return plural.substr(0, plural.size() - 1);
  return "item";
}

void xml_element(std::string& out, const std::string& name, const OJson& v) {
  out += '<';
  out += name;
  out += '>';
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) xml_element(out, k, x);
  } else if (v.is_array()) {
    auto item = item_name(name);
    for (const auto& x : v) xml_element(out, item, x);
  } else if (v.is_string()) {
    xml_text(out, v.get_ref<const std::string&>());
  } else if (!v.is_null()) {
    out += v.dump();  // numbers and booleans
  }
  out += "</";
  out += name;
  out += '>';
}

constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

// An answer's text in format f (XML begun with kXmlDeclaration).
http::Response public_text(Fmt f, std::string body, int status = 200) {
  http::Response r;
  r.status = status;
  if (f == Fmt::xml) r.content_type = "text/xml; charset=utf-8";
  r.body = std::move(body);
  // Public, read-only data: any web page may read it.
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

http::Response reply(Fmt f, const OJson& body, const std::string& xml_root, int status = 200) {
  if (f == Fmt::json) return public_text(f, json_text(body), status);
  std::string text(kXmlDeclaration);
  xml_element(text, xml_root, body);
  return public_text(f, std::move(text), status);
}

int status_for(const Error& e) {
  switch (e.kind) {
    case ErrorKind::invalid:
      return 400;
    case ErrorKind::forbidden:
    case ErrorKind::unauthenticated:
      return 403;
    case ErrorKind::not_found:
      return 404;
    default:
      return http::status_of(e.kind);
  }
}

http::Response error_reply(Fmt f, const Error& e) {
  auto status = status_for(e);
  std::string text = e.detail;
  for (const auto& fe : e.errors) text += fmt::format("；{}：{}", fe.field, fe.message);
  OJson body = OJson::array({OJson{{"code", status}, {"description", text}}});
  return reply(f, body, "errors", status);
}

http::Response answer(Fmt f, const Result<OJson>& r, const std::string& xml_root,
                      int status = 200) {
  if (!r) return error_reply(f, r.error());
  return reply(f, *r, xml_root, status);
}

// ---- times ----

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, out);
  return ec == std::errc{} && p == s.data() + pos + n;
}

// ISO 8601 date-time: YYYY-MM-DDTHH:MM[:SS[.fff]] followed by Z, ±HH:MM,
// ±HHMM or ±HH; without a zone (or a bare date) it is read as Shanghai time.
// A '+' sent unencoded in a query string arrives as a space and is taken back.
std::optional<std::int64_t> parse_datetime(std::string s) {
  std::replace(s.begin(), s.end(), ' ', '+');
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, mo) ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t offset = kShanghaiMs;
  std::size_t i = 10;
  if (i < s.size()) {
    if ((s[i] != 'T' && s[i] != 't') || !digits(s, i + 1, 2, h) || s.size() < i + 6 ||
        s[i + 3] != ':' || !digits(s, i + 4, 2, mi))
      return std::nullopt;
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, i + 1, 2, sec)) return std::nullopt;
      i += 3;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == start) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (i < s.size()) {
      if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
        offset = 0;
      } else if (s[i] == '+' || s[i] == '-') {
        int oh = 0, om = 0;
        auto rest = s.substr(i + 1);
        bool ok = (rest.size() == 2 && digits(rest, 0, 2, oh)) ||
                  (rest.size() == 4 && digits(rest, 0, 2, oh) && digits(rest, 2, 2, om)) ||
                  (rest.size() == 5 && rest[2] == ':' && digits(rest, 0, 2, oh) &&
                   digits(rest, 3, 2, om));
        if (!ok || oh > 14 || om > 59) return std::nullopt;
        offset = (s[i] == '-' ? -1 : 1) * (oh * 3600000LL + om * 60000LL);
      } else {
        return std::nullopt;
      }
    }
  }
  std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  return days * kDayMs + h * 3600000LL + mi * 60000LL + sec * 1000LL - offset;
}

// ---- small helpers ----

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    auto part = trim(std::string_view(s).substr(i, j - i));
    if (!part.empty()) out.push_back(part);
    i = j + 1;
  }
  return out;
}

std::optional<std::int64_t> positive_id(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::optional<double> number(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The first n code points of s, on one line.
std::string first_chars(const std::string& s, std::size_t n) {
  std::string out;
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < s.size() && count < n;) {
    char32_t cp = 0;
    auto len = validate::utf8_next(s, pos, cp);
    if (len == 0) break;
    if (cp == '\n' || cp == '\r' || cp == '\t')
      out += ' ';
    else
      out.append(s, pos, len);
    pos += len;
    ++count;
  }
  return trim(out);
}

// Reads of `sql`, whose "{in}" stands for a list of ids, over `ids` in
// chunks of a fixed number of bound placeholders (padded with 0, never an
// id), so the statement text is always the same and stays prepared. They
// are added to `reads`; the answer's rows for them are the results
// [first, last).
struct ReadsIn {
  std::size_t first = 0, last = 0;
};
ReadsIn reads_in(std::vector<store::Read>& reads, std::string sql,
                 const std::vector<std::int64_t>& ids) {
  // A list of 1,000 cases then makes about 25 reads, within what one
  // PostgreSQL pipeline takes (kMaxQueued, 64).
  constexpr std::size_t kChunk = 200;
  std::string marks;
  for (std::size_t i = 1; i <= kChunk; ++i) marks += (i > 1 ? ",$" : "$") + std::to_string(i);
  sql.replace(sql.find("{in}"), 4, marks);
  ReadsIn span{reads.size(), reads.size()};
  for (std::size_t start = 0; start < ids.size(); start += kChunk) {
    store::Params params;
    params.reserve(kChunk);
    for (std::size_t i = 0; i < kChunk; ++i)
      params.push_back(start + i < ids.size() ? ids[start + i] : std::int64_t{0});
    reads.push_back({sql, std::move(params)});
  }
  span.last = reads.size();
  return span;
}

bool closed_state(const std::string& state) {
  return std::ranges::find(cases::kDoneStates, state) != cases::kDoneStates.end();
}

// "https://linli.example.cn" from the request, when the Host header is sane.
std::string base_url(const http::Request& req) {
  auto host = req.header("host");
  if (host.empty() || host.size() > 255 ||
      host.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
          std::string::npos)
    return {};
  auto proto = req.header("x-forwarded-proto");
  return (proto == "https" ? "https://" : "http://") + host;
}

// Reads as the whole city: street-centre grants on every top-level area.
// Open311 requests are public, and filing one is allowed anywhere in the city.
Result<auth::Principal> city_principal(store::Db& db) {
  auto roots = db.query("SELECT id, path, name FROM nodes WHERE parent_id IS NULL ORDER BY id");
  if (!roots) return fail(roots.error());
  auth::Principal p;
  p.username = "open311";
  p.display_name = "Open311";
  for (const auto& r : *roots)
    p.grants.push_back({"street_center", r.i64("id"), r.str("path"), r.str("name"), 0, ""});
  return p;
}

// ---- services ----

struct Service {
  std::int64_t id = 0;
  std::string code, name, description, group;
};

// Leaf categories whose parent is active: what GET case-categories shows.
Result<std::vector<Service>> services_of(store::Db& db, const std::string& code = {}) {
  std::string sql =
      "SELECT c.id, c.code, c.name, c.description, p.name AS group_name FROM case_categories c "
      "JOIN case_categories p ON p.id = c.parent_id WHERE c.active = 1 AND p.active = 1";
  store::Params params;
  if (!code.empty()) {
    sql += " AND c.code = $1";
    params.push_back(code);
  }
  auto rows = db.query(sql + " ORDER BY c.id", params);
  if (!rows) return fail(rows.error());
  std::vector<Service> out;
  for (const auto& r : *rows)
    out.push_back(
        {r.i64("id"), r.str("code"), r.str("name"), r.str("description"), r.str("group_name")});
  return out;
}

Result<OJson> services_json(App& app) {
  auto list = services_of(app.db);
  if (!list) return fail(list.error());
  OJson out = OJson::array();
  for (const auto& s : *list)
    out.push_back({{"service_code", s.code},
                   {"service_name", s.name},
                   {"description", s.description.empty() ? s.group + "：" + s.name : s.description},
                   {"metadata", false},
                   {"type", "realtime"},
                   {"keywords", s.group + "," + s.name},
                   {"group", s.group}});
  return out;
}

Result<OJson> service_definition(App& app, const std::string& code) {
  auto list = services_of(app.db, code);
  if (!list) return fail(list.error());
  if (list->empty()) return fail(Error::not_found("service_code not found：没有这个服务类型"));
  // No service takes extra attributes (metadata is false for all).
  return OJson{{"service_code", code}, {"attributes", OJson::array()}};
}

// ---- requests: reading ----

// What a request shows of its case. Open311's list reads these columns
// alone, where they lie: its 1,000 cases were read as whole rows of 50
// columns, copied into Rows and again into Cases (a fifth of the list's
// time, perf).
struct PublicCase {
  std::int64_t id = 0, category_id = 0, node_id = 0, level_node_id = 0, merged_into_id = 0,
               created_at = 0, updated_at = 0;
  std::optional<std::int64_t> household_id, resolve_due;
  std::optional<double> lat, lng;
  std::string state, category_name, description, address, level;
  std::vector<std::int64_t> path;  // the place's ancestors and itself, parsed once
};

// PublicCase's columns over list_sql's `c` and `cat`, in public_case's order.
constexpr const char* kPublicCaseCols =
    "c.id, c.category_id, c.node_id, c.level_node_id, c.merged_into_id, c.created_at, "
    "c.updated_at, c.household_id, c.resolve_due, c.lat, c.lng, c.state, cat.name, "
    "c.description, c.address, c.node_path, c.level";

PublicCase public_case(const store::RowView& r) {
  PublicCase c;
  c.id = r.i64(0);
  c.category_id = r.i64(1);
  c.node_id = r.i64(2);
  c.level_node_id = r.i64(3);
  c.merged_into_id = r.i64(4);
  c.created_at = r.i64(5);
  c.updated_at = r.i64(6);
  c.household_id = r.opt_i64(7);
  c.resolve_due = r.opt_i64(8);
  c.lat = r.opt_f64(9);
  c.lng = r.opt_f64(10);
  c.state = r.text(11);
  c.category_name = r.text(12);
  c.description = r.text(13);
  c.address = r.text(14);
  c.path = auth::path_ids(r.text(15));
  c.level = r.text(16);
  return c;
}

PublicCase public_case(const cases::Case& k) {
  return {k.id,
          k.category_id,
          k.node_id,
          k.level_node_id,
          k.merged_into_id,
          k.created_at,
          k.updated_at,
          k.household_id,
          k.resolve_due,
          k.lat,
          k.lng,
          k.state,
          k.category_name,
          k.description,
          k.address,
          k.level,
          auth::path_ids(k.node_path)};
}

// Everything a list of cases needs beyond the case rows, in a few queries.
struct Extras {
  std::map<std::int64_t, std::string> note, lead_org, photo, category_code;
  struct Node {
    std::string kind, name;
    std::optional<double> lat, lng;
  };
  std::map<std::int64_t, Node> nodes;
};

Result<Extras> extras_for(store::Db& db, const std::vector<PublicCase>& list) {
  std::vector<std::int64_t> ids, node_ids;
  ids.reserve(list.size());
  for (const auto& c : list) {
    ids.push_back(c.id);
    if (c.level_node_id) node_ids.push_back(c.level_node_id);
    node_ids.insert(node_ids.end(), c.path.begin(), c.path.end());
    node_ids.push_back(c.node_id);
  }
  std::ranges::sort(node_ids);
  node_ids.erase(std::unique(node_ids.begin(), node_ids.end()), node_ids.end());
  // Every read at once: one connection, and on PostgreSQL one round trip
  // instead of one per chunk (a list of 1,000 made about 45 reads).
  std::vector<store::Read> reads;
  // The latest public note of the people handling it; the reporter's own
  // words (submit, rating) are not repeated here. Chunks split by case, so
  // each case's rows stay in id order.
  const auto notes = reads_in(reads,
                              "SELECT case_id, note FROM case_events WHERE case_id IN ({in}) AND "
                              "public = 1 AND note <> '' AND action NOT IN ('submit', 'rate', "
                              "'phone_followup') ORDER BY id",
                              ids);
  const auto leads = reads_in(reads,
                              "SELECT w.case_id, o.name FROM case_whistles w JOIN orgs o ON o.id = "
                              "w.org_id WHERE w.lead = 1 AND w.state <> 'returned' AND w.case_id "
                              "IN ({in})",
                              ids);
  const auto photos = reads_in(reads,
                               "SELECT case_id, sha256 FROM case_photos WHERE stage = 'report' AND "
                               "case_id IN ({in}) ORDER BY id",
                               ids);
  const auto nodes =
      reads_in(reads, "SELECT id, kind, name, lat, lng FROM nodes WHERE id IN ({in})", node_ids);
  const std::size_t cats = reads.size();
  reads.push_back({"SELECT id, code FROM case_categories", {}});
  auto got = db.query_all(reads);
  if (!got) return fail(got.error());
  auto rows_of = [&](ReadsIn span) {
    return std::span(*got).subspan(span.first, span.last - span.first) | std::views::join;
  };
  Extras x;
  for (const auto& r : rows_of(notes)) x.note[r.i64(0)] = r.str(1);
  for (const auto& r : rows_of(leads)) x.lead_org[r.i64(0)] = r.str(1);
  for (const auto& r : rows_of(photos)) x.photo.emplace(r.i64(0), r.str(1));
  for (const auto& r : (*got)[cats]) x.category_code[r.i64(0)] = r.str(1);
  for (const auto& r : rows_of(nodes)) {
    Extras::Node n{r.str(1), r.str(2), std::nullopt, std::nullopt};
    if (!r.is_null(3)) n.lat = r.f64(3);
    if (!r.is_null(4)) n.lng = r.f64(4);
    x.nodes[r.i64(0)] = std::move(n);
  }
  return x;
}

// A grid is named after its compound: "幸福里小区网格" → "幸福里小区".
std::string place_name(const std::string& kind, const std::string& name) {
  const std::string suffix = "网格";
  if (kind == "grid" && name.size() > suffix.size() && name.ends_with(suffix))
    return name.substr(0, name.size() - suffix.size());
  return name;
}

// "和平街道桃源社区幸福里小区1栋1单元": the place without the district, and
// never a room number.
std::string place_address(const Extras& x, const std::vector<std::int64_t>& path) {
  std::string out;
  for (auto id : path) {
    auto it = x.nodes.find(id);
    if (it == x.nodes.end() || it->second.kind == "district") continue;
    out += place_name(it->second.kind, it->second.name);
  }
  return out;
}

// One request's members written as text in the answer's format, in the
// order Open311's examples give them. A list of 1,000 built an ordered JSON
// object of 17 members per request only to print and free it: a third of
// the list's time (perf), with malloc and free the largest part of it.
class RequestText {
 public:
  RequestText(std::string& out, Fmt f) : out_(out), f_(f) {
    if (f_ == Fmt::json)
      json_.emplace(out_);
    else
      out_ += "<request>";
  }
  RequestText(const RequestText&) = delete;
  RequestText& operator=(const RequestText&) = delete;
  ~RequestText() {
    if (f_ == Fmt::xml) out_ += "</request>";
  }  // the JSON object closes itself

  RequestText& str(std::string_view key, std::string_view v) {
    if (json_) {
      json_->str(key, v);
    } else {
      open(key);
      xml_text(out_, v);
      close(key);
    }
    return *this;
  }
  RequestText& null(std::string_view key) {
    if (json_) {
      json_->null(key);
    } else {
      open(key);
      close(key);
    }
    return *this;
  }
  RequestText& time(std::string_view key, const std::optional<std::int64_t>& ms) {
    return ms ? str(key, clock::shanghai_iso(*ms)) : null(key);
  }
  RequestText& number(std::string_view key, const std::optional<double>& v) {
    if (!v) return null(key);
    if (json_) {
      append_json_double(json_->member(key), *v);
    } else {
      open(key);
      append_json_double(out_, *v);  // the number as the JSON tree wrote it
      close(key);
    }
    return *this;
  }

 private:
  void open(std::string_view key) {
    out_ += '<';
    out_ += key;
    out_ += '>';
  }
  void close(std::string_view key) {
    out_ += "</";
    out_ += key;
    out_ += '>';
  }
  std::string& out_;
  Fmt f_;
  std::optional<JsonObjectText> json_;
};

void write_request(std::string& out, Fmt f, const PublicCase& c, const Extras& x,
                   const std::string& base) {
  auto node = x.nodes.find(c.node_id);
  // The address the case was filed with, unless it names a household: the
  // public sees the building or unit, not the flat.
  std::string address = c.address;
  bool default_address = node != x.nodes.end() && c.address == node->second.name;
  if (c.household_id || address.empty() || default_address) address = place_address(x, c.path);
  // Who handles it: the lead department when whistled, else the place at
  // the case's level (its level node, or the ancestor of that kind).
  std::string agency;
  if (auto it = x.lead_org.find(c.id); it != x.lead_org.end()) {
    agency = it->second;
  } else if (auto n = x.nodes.find(c.level_node_id); n != x.nodes.end()) {
    agency = n->second.name;
  } else {
    for (auto id : c.path)
      if (auto a = x.nodes.find(id); a != x.nodes.end() && a->second.kind == c.level)
        agency = a->second.name;
    if (agency.empty()) agency = cases::level_name(c.level);
  }
  std::string notes = cases::state_name(c.state);
  if (auto it = x.note.find(c.id); it != x.note.end()) notes += "：" + it->second;
  std::string notice;
  if (c.state == "suspended")
    notice = "缓办";
  else if (c.state == "rejected")
    notice = "不予受理";
  else if (c.state == "merged")
    notice = c.merged_into_id ? fmt::format("已合并到诉求 {}", c.merged_into_id) : "已合并";
  else if (c.state == "closed")
    notice = "已办结";
  else if (c.resolve_due)
    notice = fmt::format("由{}办理，预计 {} 前办结", agency, clock::shanghai_text(*c.resolve_due));
  // The map point filed, else that of the place or its nearest ancestor
  // that has one (units have none, their buildings do).
  std::optional<double> lat = c.lat, lng = c.lng;
  for (auto it = c.path.rbegin(); (!lat || !lng) && it != c.path.rend(); ++it)
    if (auto n = x.nodes.find(*it); n != x.nodes.end() && n->second.lat && n->second.lng) {
      lat = n->second.lat;
      lng = n->second.lng;
    }
  std::string media;
  if (auto it = x.photo.find(c.id); it != x.photo.end())
    media = base + "/api/v1/blobs/" + it->second;
  auto code = x.category_code.find(c.category_id);
  RequestText(out, f)
      .str("service_request_id", std::to_string(c.id))
      .str("status", closed_state(c.state) ? "closed" : "open")
      .str("status_notes", notes)
      .str("service_name", c.category_name)
      .str("service_code", code == x.category_code.end() ? "" : code->second)
      .str("description", c.description)
      .str("agency_responsible", agency)
      .str("service_notice", notice)
      .str("requested_datetime", clock::shanghai_iso(c.created_at))
      .str("updated_datetime", clock::shanghai_iso(c.updated_at ? c.updated_at : c.created_at))
      .time("expected_datetime", c.resolve_due)
      .str("address", address)
      .str("address_id", std::to_string(c.node_id))
      .str("zipcode", "")
      .number("lat", lat)
      .number("long", lng)
      .str("media_url", media);
}

// The requests as Open311's service_requests, in JSON or XML.
http::Response requests_reply(App& app, Fmt f, const std::vector<PublicCase>& list,
                              const std::string& base) {
  Extras x;
  if (!list.empty()) {
    auto got = extras_for(app.db, list);
    if (!got) return error_reply(f, got.error());
    x = std::move(*got);
  }
  std::string out;
  out.reserve(list.size() * 900 + 64);
  if (f == Fmt::json) {
    out += '[';
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i) out += ',';
      write_request(out, f, list[i], x, base);
    }
    out += ']';
  } else {
    out += kXmlDeclaration;
    out += "<service_requests>";
    for (const auto& c : list) write_request(out, f, c, x, base);
    out += "</service_requests>";
  }
  return public_text(f, std::move(out));
}

Result<std::vector<PublicCase>> find_requests(App& app, const http::Request& req) {
  auto p = city_principal(app.db);
  if (!p) return fail(p.error());
  std::vector<PublicCase> out;
  // service_request_id overrides every other parameter.
  if (auto ids = req.q("service_request_id")) {
    auto parts = split_commas(*ids);
    if (parts.size() > kMaxRequests)
      return fail(Error::invalid("too many service_request_id：一次最多查询1000条"));
    std::set<std::int64_t> seen;
    for (const auto& part : parts) {
      auto id = positive_id(part);
      if (!id || !seen.insert(*id).second) continue;
      auto c = app.cases.get(*p, *id);
      if (c) {
        out.push_back(public_case(*c));
      } else if (c.error().kind != ErrorKind::not_found) {
        return fail(c.error());
      }
    }
    return out;
  }
  cases::CaseFilter base;
  base.limit = kMaxRequests;
  auto start = req.q("start_date"), end = req.q("end_date");
  std::optional<std::int64_t> from, to;
  if (start) {
    from = parse_datetime(*start);
    if (!from)
      return fail(Error::invalid("start_date is not an ISO 8601 date-time：开始时间格式不正确"));
  }
  if (end) {
    to = parse_datetime(*end);
    if (!to)
      return fail(Error::invalid("end_date is not an ISO 8601 date-time：结束时间格式不正确"));
  }
  if (from && to && *from > *to)
    return fail(Error::invalid("start_date is after end_date：开始时间晚于结束时间"));
  // Without dates: the last 90 days.
  if (!from) from = (to ? *to : clock::now_ms()) - 90 * kDayMs;
  base.from_ms = from;
  if (to) base.to_ms = *to + 1;  // end_date is inclusive
  std::vector<std::string> states = {""};
  if (auto status = req.q("status")) {
    std::set<std::string> want;
    for (const auto& s : split_commas(*status)) {
      if (s != "open" && s != "closed")
        return fail(Error::invalid("status must be open or closed：状态应为 open 或 closed"));
      want.insert(s);
    }
    // One list each way: "done" is closed, rejected and merged together
    // (three lists read the period three times).
    if (want.size() == 1) states = {*want.begin() == "open" ? "open" : "done"};
  }
  std::vector<std::int64_t> categories = {0};
  if (auto codes = req.q("service_code")) {
    categories.clear();
    for (const auto& code : split_commas(*codes)) {
      auto s = services_of(app.db, code);
      if (!s) return fail(s.error());
      if (!s->empty()) categories.push_back(s->front().id);
    }
    if (categories.empty()) return out;  // no such service: nothing filed under it
  }
  // One list per service and status asked for, each newest first; a case
  // in two of them (a service named twice) is answered once.
  std::set<std::int64_t> seen;
  const bool one_list = categories.size() == 1 && states.size() == 1;
  for (auto cat : categories)
    for (const auto& state : states) {
      auto f = base;
      f.category_id = cat;
      f.state = state;
      const auto before = out.size();
      auto restart = [&] {  // a wider way's rows replace this list's so far
        for (auto i = before; i < out.size(); ++i) seen.erase(out[i].id);
        out.resize(before);
      };
      auto st = app.cases.list_each(*p, f, kPublicCaseCols, restart,
                                    [&](const store::RowView& r) -> Status {
                                      if (one_list || seen.insert(r.i64(0)).second)
                                        out.push_back(public_case(r));
                                      return {};
                                    });
      if (!st) return fail(st.error());
    }
  if (!std::ranges::is_sorted(out, std::greater<>{}, &PublicCase::id))
    std::ranges::sort(out, std::greater<>{}, &PublicCase::id);
  if (out.size() > kMaxRequests) out.resize(kMaxRequests);
  return out;
}

// ---- requests: filing ----

struct Located {
  std::int64_t node_id = 0;
  std::string address;
};

// Finds the place an address names: nodes whose name (a grid by its
// compound's name) occurs in the text, preferring the one whose ancestors
// are named too ("幸福里小区1栋1单元" → that unit). Ambiguous → not found.
Result<std::optional<std::int64_t>> locate_address(store::Db& db, const std::string& text) {
  auto rows = db.query(
      "SELECT id, kind, name, path FROM nodes WHERE $1 LIKE '%' || name || '%' OR (kind = 'grid' "
      "AND $1 LIKE '%' || replace(name, '网格', '') || '%')",
      {text});
  if (!rows) return fail(rows.error());
  std::map<std::int64_t, std::size_t> matched;  // id → matched name length
  for (const auto& r : *rows) {
    auto name = place_name(r.str("kind"), r.str("name"));
    if (validate::utf8_length(name).value_or(0) < 2) continue;
    if (text.find(r.str("name")) != std::string::npos)
      matched[r.i64("id")] = r.str("name").size();
    else if (text.find(name) != std::string::npos)
      matched[r.i64("id")] = name.size();
  }
  std::int64_t best = 0;
  std::size_t best_score = 0;
  bool tie = false;
  for (const auto& r : *rows) {
    auto id = r.i64("id");
    if (!matched.count(id)) continue;
    std::size_t score = 0;
    for (auto a : auth::path_ids(r.str("path")))
      if (auto it = matched.find(a); it != matched.end()) score += it->second;
    if (score > best_score) {
      best = id;
      best_score = score;
      tie = false;
    } else if (score == best_score && id != best) {
      tie = true;
    }
  }
  if (!best || tie) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{best};
}

std::optional<std::string> form(const std::map<std::string, std::string>& f, const char* key) {
  auto it = f.find(key);
  if (it == f.end()) return std::nullopt;
  auto v = trim(it->second);
  if (v.empty()) return std::nullopt;
  return v;
}

// +86 138-0013-8000 → 13800138000
std::string normalize_phone(const std::string& raw) {
  std::string s;
  for (char c : raw)
    if (c != ' ' && c != '-' && c != '(' && c != ')') s += c;
  for (const char* prefix : {"+86", "0086", "86"})
    if (s.starts_with(prefix) && s.size() == std::string(prefix).size() + 11)
      return s.substr(std::string(prefix).size());
  return s;
}

Result<OJson> post_request(App& app, const http::Request& req) {
  auto ct = req.header("content-type");
  std::string ct_lower;
  for (char c : ct) ct_lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!ct_lower.starts_with("application/x-www-form-urlencoded"))
    return fail(
        Error::invalid("the body must be application/x-www-form-urlencoded：请以表单格式提交"));
  auto f = http::parse_query(req.body);
  for (const auto& [k, v] : f)
    if (!validate::valid_utf8(k) || !validate::valid_utf8(v))
      return fail(Error::invalid("the request is not valid UTF-8：内容编码应为UTF-8"));
  auto key = form(f, "api_key");
  if (!key) key = req.q("api_key");
  if (!key) return fail(Error::forbidden("api_key is required：请提供 api_key"));
  auto key_id = open311::check_key(app.db, *key);
  if (!key_id) return fail(key_id.error());

  auto code = form(f, "service_code");
  if (!code) return fail(Error::invalid("service_code is required：请提供服务类型"));
  auto services = services_of(app.db, *code);
  if (!services) return fail(services.error());
  if (services->empty()) return fail(Error::invalid("service_code not found：没有这个服务类型"));
  const Service& service = services->front();

  cases::CaseInput in;
  in.category_id = service.id;
  in.channel = "open311";
  in.case_type = "practical";
  in.urgency = "normal";

  // Where: address_id (a node), else the map point, else the address text.
  auto lat_s = form(f, "lat"), lng_s = form(f, "long");
  if (lat_s || lng_s) {
    auto lat = lat_s ? number(*lat_s) : std::nullopt;
    auto lng = lng_s ? number(*lng_s) : std::nullopt;
    if (!lat || !lng || std::abs(*lat) > 90 || std::abs(*lng) > 180)
      return fail(
          Error::invalid("lat and long must both be given as decimal degrees：请同时提供经纬度"));
    in.lat = lat;
    in.lng = lng;
  }
  auto address = form(f, "address_string");
  if (address) {
    if (validate::utf8_length(*address).value_or(1000) > 200)
      return fail(Error::invalid("address_string is too long：地址不能超过200字"));
    in.address = *address;
  }
  if (auto aid = form(f, "address_id")) {
    auto id = positive_id(*aid);
    auto n = id ? app.db.query("SELECT id FROM nodes WHERE id = $1", {*id}) : Result<store::Rows>{};
    if (!n) return fail(n.error());
    if (!id || n->empty()) return fail(Error::invalid("address_id not found：没有这个地址编号"));
    in.node_id = *id;
  }
  if (!in.node_id && in.lat) {
    auto grid = cases::locate_grid(app.db, *in.lat, *in.lng);
    if (!grid) return fail(grid.error());
    if (*grid) in.node_id = **grid;
  }
  if (!in.node_id && address) {
    auto n = locate_address(app.db, *address);
    if (!n) return fail(n.error());
    if (*n) in.node_id = **n;
  }
  if (!in.node_id) {
    if (!in.lat && !address)
      return fail(Error::invalid(
          "a location is required: lat and long, address_string or address_id：请提供位置"));
    return fail(
        Error::invalid("address could not be "
                       "located：该位置不在本系统管辖范围内，请提供小区、楼栋名称或地址编号"));
  }

  // Who: a name and a mainland mobile number, both optional.
  auto first = form(f, "first_name").value_or(""), last = form(f, "last_name").value_or("");
  auto is_ascii = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  };
  bool ascii = is_ascii(first) && is_ascii(last);
  in.reporter_name = ascii ? trim(first + " " + last) : last + first;  // 中文姓名：姓在前，不加空格
  if (validate::utf8_length(in.reporter_name).value_or(1000) > 30)
    return fail(Error::invalid("the name is too long：姓名不能超过30字"));
  if (auto phone = form(f, "phone")) {
    in.reporter_phone = normalize_phone(*phone);
    if (auto m = validate::mobile(in.reporter_phone))
      return fail(Error::invalid("phone is not a valid mobile number：" + *m));
  }

  // What: the description (the service's name when none is given), and a
  // link to a photo the client hosts, kept as text: we do not fetch it.
  auto description = form(f, "description").value_or("");
  if (validate::utf8_length(description).value_or(10000) > 2000)
    return fail(Error::invalid("description is too long：问题描述不能超过2000字"));
  in.title = description.empty() ? service.name : first_chars(description, 30);
  if (in.title.empty()) in.title = service.name;
  in.description = description.empty() ? service.name : description;
  if (auto media = form(f, "media_url")) {
    if (media->size() > 500 || !(media->starts_with("http://") || media->starts_with("https://")) ||
        media->find_first_of(" \t\r\n<>\"") != std::string::npos)
      return fail(Error::invalid("media_url must be an http(s) URL：图片链接格式不正确"));
    in.description += "\n图片：" + *media;
    if (validate::utf8_length(in.description).value_or(10000) > 2000)
      return fail(Error::invalid("description is too long：问题描述不能超过2000字"));
  }
  in.open311_token = crypto::random_token();

  auto p = city_principal(app.db);
  if (!p) return fail(p.error());
  auto key_row = app.db.one("SELECT name FROM api_keys WHERE id = $1", {*key_id});
  if (!key_row) return fail(key_row.error());
  auth::Actor by = App::actor(req);
  by.username = "open311:" + key_row->str("name");
  auto c = app.cases.create(*p, in, by);
  if (!c) return fail(c.error());
  std::string notice = fmt::format("已登记为诉求 {}", c->code);
  if (c->accept_due) notice += fmt::format("，将于 {} 前受理", clock::shanghai_text(c->accept_due));
  return OJson::array({OJson{{"service_request_id", std::to_string(c->id)},
                             {"token", in.open311_token},
                             {"service_notice", notice},
                             {"account_id", nullptr}}});
}

Result<OJson> token_json(App& app, const std::string& token) {
  Error missing = Error::not_found("token not found：没有这个受理凭证");
  if (token.empty() || token.size() > 128) return fail(missing);
  auto rows = app.db.query("SELECT id FROM cases WHERE open311_token = $1", {token});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(missing);
  return OJson::array(
      {OJson{{"service_request_id", std::to_string((*rows)[0].i64("id"))}, {"token", token}}});
}

OJson discovery_json(const http::Request& req) {
  return {{"changeset", kChangeset},
          {"contact", "所在社区居委会或街道指挥中心"},
          {"key_service", "向平台管理员申请 api_key（linli open311 keys add 名称）"},
          {"endpoints",
           OJson::array({OJson{{"specification", kSpec},
                               {"url", base_url(req) + "/open311/v2"},
                               {"changeset", kChangeset},
                               {"type", "production"},
                               {"formats", OJson::array({"application/json", "text/xml"})}}})}};
}

// ---- registration ----

constexpr const char* kTag = "open311";

// One route per format for a fixed path: "/open311/v2/services" → .json and .xml.
void add_both(App& app, const std::string& method, const std::string& path,
              const std::string& summary, std::function<http::Response(http::Request&, Fmt)> fn,
              std::vector<http::QueryParam> query = {}) {
  for (const auto& [ext, format] : {std::pair{".json", Fmt::json}, std::pair{".xml", Fmt::xml}}) {
    Fmt f = format;
    app.router.add({method, path + ext, http::access::kPublic, kTag, summary,
                    [fn, f](http::Request& req) { return fn(req, f); }, nullptr, query});
  }
}

// A route whose last segment is "{x}.json" or "{x}.xml".
void add_item(App& app, const std::string& pattern, const std::string& param,
              const std::string& summary,
              std::function<http::Response(http::Request&, Fmt, const std::string&)> fn) {
  app.router.add(
      {"GET", pattern, http::access::kPublic, kTag, summary, [fn, param](http::Request& req) {
         auto split = split_ext(req.params[param]);
         if (!split)
           return error_reply(Fmt::json, Error::not_found("format must be .json or .xml：仅支持 "
                                                          "JSON 或 XML 格式"));
         return fn(req, split->second, split->first);
       }});
}

}  // namespace

void register_open311_routes(App& app) {
  add_both(app, "GET", "/open311/discovery", "Open311 服务发现文档",
           [](http::Request& req, Fmt f) { return reply(f, discovery_json(req), "discovery"); });
  add_both(app, "GET", "/open311/v2/services", "Open311 服务类型列表（诉求分类）",
           [&app](http::Request&, Fmt f) { return answer(f, services_json(app), "services"); });
  add_item(app, "/open311/v2/services/{code}", "code", "Open311 服务类型定义",
           [&app](http::Request&, Fmt f, const std::string& code) {
             return answer(f, service_definition(app, code), "service_definition");
           });
  add_both(app, "GET", "/open311/v2/requests", "Open311 查询诉求（公开信息）",
           [&app](http::Request& req, Fmt f) {
             auto list = find_requests(app, req);
             if (!list) return error_reply(f, list.error());
             return requests_reply(app, f, *list, base_url(req));
           },
           {"service_request_id", "service_code", "start_date", "end_date", "status"});
  add_both(app, "POST", "/open311/v2/requests", "Open311 提交诉求（需 api_key）",
           [&app](http::Request& req, Fmt f) {
             return answer(f, post_request(app, req), "service_requests", 201);
           });
  add_item(app, "/open311/v2/requests/{id}", "id", "Open311 查询一条诉求",
           [&app](http::Request& req, Fmt f, const std::string& id_text) {
             auto id = positive_id(id_text);
             auto p = city_principal(app.db);
             if (!p) return error_reply(f, p.error());
             auto c = id ? app.cases.get(*p, *id) : Result<cases::Case>{fail(Error::not_found())};
             if (!c)
               return error_reply(
                   f, c.error().kind == ErrorKind::not_found
                          ? Error::not_found("service_request_id not found：没有这条诉求")
                          : c.error());
             return requests_reply(app, f, {public_case(*c)}, base_url(req));
           });
  add_item(app, "/open311/v2/tokens/{token}", "token", "Open311 凭受理凭证查询诉求编号",
           [&app](http::Request&, Fmt f, const std::string& token) {
             return answer(f, token_json(app, token), "service_requests");
           });
}

}  // namespace linli
