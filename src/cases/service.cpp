// Intake, reading, lists and the queue. The state machine is in actions.cpp,
// settings and the sweep in settings.cpp.
#include "cases/service.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <limits>
#include <set>

#include "auth/scope_sql.hpp"
#include "cases/geo.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/json_text.hpp"
#include "core/validate.hpp"
#include "org/place.hpp"
#include "search/case_index.hpp"
#include "store/sql.hpp"

namespace linli::cases {
namespace {

// Joins to case_categories hide c.category_id from the planner (unary +):
// with bound parameters SQLite otherwise drives the query from the category
// table through its index of categories, reading every case (a grid worker's queue took
// 0.76 s instead of 0.06 s on 50,000 cases; see docs/PERFORMANCE.md).
// whistle_count is kept by triggers on case_whistles (migration 0015).
const char* kCaseCols = "c.*, cat.name AS category_name, c.whistle_count AS whistles";

// One case by id (load, load_in, detail), built once.
const std::string kCaseById = fmt::format(
    "SELECT {} FROM cases c JOIN case_categories cat ON cat.id = c.category_id "
    "WHERE c.id = $1",
    kCaseCols);

// What a list row shows (case_summary_json): a page of 50 reads 15 columns
// of each case instead of all 50-odd, descriptions and reporters included.
const char* kSummaryCols =
    "c.id, c.code, c.title, c.category_id, c.case_type, c.urgency, c.channel, c.state, c.level, "
    "c.node_id, c.address, c.created_at, c.resolve_due, cat.name AS category_name, "
    "c.whistle_count AS whistles";

// Where the summary's columns sit in a result, looked up by name once per
// result: by name for every field of every row, Columns::find and Row::at
// were a sixth of a queue page's instructions (callgrind).
struct SummaryColumns {
  std::size_t id, code, title, category_id, category_name, case_type, urgency, channel, state,
      level, node_id, address, created_at, resolve_due, whistles;
  explicit SummaryColumns(const store::RowView& r)
      : id(r.index("id")),
        code(r.index("code")),
        title(r.index("title")),
        category_id(r.index("category_id")),
        category_name(r.index("category_name")),
        case_type(r.index("case_type")),
        urgency(r.index("urgency")),
        channel(r.index("channel")),
        state(r.index("state")),
        level(r.index("level")),
        node_id(r.index("node_id")),
        address(r.index("address")),
        created_at(r.index("created_at")),
        resolve_due(r.index("resolve_due")),
        whistles(r.index("whistles")) {}
};

Case summary_from(const store::RowView& r, const SummaryColumns& at) {
  Case c;
  c.id = r.i64(at.id);
  c.code = std::string(r.text(at.code));
  c.title = std::string(r.text(at.title));
  c.category_id = r.i64(at.category_id);
  c.category_name = std::string(r.text(at.category_name));
  c.case_type = std::string(r.text(at.case_type));
  c.urgency = std::string(r.text(at.urgency));
  c.channel = std::string(r.text(at.channel));
  c.state = std::string(r.text(at.state));
  c.level = std::string(r.text(at.level));
  c.node_id = r.i64(at.node_id);
  c.address = std::string(r.text(at.address));
  c.created_at = r.i64(at.created_at);
  c.resolve_due = r.opt_i64(at.resolve_due);
  c.whistled = r.i64(at.whistles) > 0;
  return c;
}

// What a list row shows of a case, pointing into a Case or into a row being
// read (a queue page is written straight from its rows: Db::each).
struct SummaryView {
  std::int64_t id = 0, category_id = 0, node_id = 0, created_at = 0;
  std::optional<std::int64_t> resolve_due;
  std::string_view code, title, category_name, case_type, urgency, channel, state, level, address;
  bool whistled = false;
};

SummaryView view_of(const Case& c) {
  return {c.id,      c.category_id, c.node_id,       c.created_at, c.resolve_due,
          c.code,    c.title,       c.category_name, c.case_type,  c.urgency,
          c.channel, c.state,       c.level,         c.address,    c.whistled};
}

SummaryView view_of(const store::RowView& r, const SummaryColumns& at) {
  SummaryView v;
  v.id = r.i64(at.id);
  v.code = r.text(at.code);
  v.title = r.text(at.title);
  v.category_id = r.i64(at.category_id);
  v.category_name = r.text(at.category_name);
  v.case_type = r.text(at.case_type);
  v.urgency = r.text(at.urgency);
  v.channel = r.text(at.channel);
  v.state = r.text(at.state);
  v.level = r.text(at.level);
  v.node_id = r.i64(at.node_id);
  v.address = r.text(at.address);
  v.created_at = r.i64(at.created_at);
  v.resolve_due = r.opt_i64(at.resolve_due);
  v.whistled = r.i64(at.whistles) > 0;
  return v;
}

// A whole case: the summary plus everything else the row holds. Its
// columns are looked up by name once per result: a list of 1,000 cases
// (Open311's) spent a tenth of its time finding 50 names in every row.
struct CaseColumns {
  SummaryColumns summary;
  std::size_t node_path, description, suspended_from, level_node_id, household_id, lat, lng,
      reporter_resident_id, reporter_user_id, reporter_name, reporter_phone_mask, anonymous,
      handler_user_id, handler_org_id, merged_into_id, accept_due, contact_due, accepted_at,
      dispatched_at, contacted_at, resolved_at, closed_at, rated_at, closed_level, close_reason,
      rating, rating_comment, rating_solved, rework_count, escalation_count, suspended_ms,
      suspended_at, updated_at, open311_token;
  explicit CaseColumns(const store::RowView& row) : summary(row) {
    for (auto [at, name] : std::initializer_list<std::pair<std::size_t*, const char*>>{
             {&node_path, "node_path"},
             {&description, "description"},
             {&suspended_from, "suspended_from"},
             {&level_node_id, "level_node_id"},
             {&household_id, "household_id"},
             {&lat, "lat"},
             {&lng, "lng"},
             {&reporter_resident_id, "reporter_resident_id"},
             {&reporter_user_id, "reporter_user_id"},
             {&reporter_name, "reporter_name"},
             {&reporter_phone_mask, "reporter_phone_mask"},
             {&anonymous, "anonymous"},
             {&handler_user_id, "handler_user_id"},
             {&handler_org_id, "handler_org_id"},
             {&merged_into_id, "merged_into_id"},
             {&accept_due, "accept_due"},
             {&contact_due, "contact_due"},
             {&accepted_at, "accepted_at"},
             {&dispatched_at, "dispatched_at"},
             {&contacted_at, "contacted_at"},
             {&resolved_at, "resolved_at"},
             {&closed_at, "closed_at"},
             {&rated_at, "rated_at"},
             {&closed_level, "closed_level"},
             {&close_reason, "close_reason"},
             {&rating, "rating"},
             {&rating_comment, "rating_comment"},
             {&rating_solved, "rating_solved"},
             {&rework_count, "rework_count"},
             {&escalation_count, "escalation_count"},
             {&suspended_ms, "suspended_ms"},
             {&suspended_at, "suspended_at"},
             {&updated_at, "updated_at"},
             {&open311_token, "open311_token"}})
      *at = row.index(name);
  }
};

Case case_from(const store::RowView& r, const CaseColumns& at) {
  Case c = summary_from(r, at.summary);
  c.node_path = std::string(r.text(at.node_path));
  c.description = std::string(r.text(at.description));
  c.suspended_from = std::string(r.text(at.suspended_from));
  c.level_node_id = r.i64(at.level_node_id);
  c.household_id = r.opt_i64(at.household_id);
  c.lat = r.opt_f64(at.lat);
  c.lng = r.opt_f64(at.lng);
  c.reporter_resident_id = r.i64(at.reporter_resident_id);
  c.reporter_user_id = r.i64(at.reporter_user_id);
  c.reporter_name = std::string(r.text(at.reporter_name));
  c.reporter_phone_mask = std::string(r.text(at.reporter_phone_mask));
  c.anonymous = r.i64(at.anonymous) != 0;
  c.handler_user_id = r.i64(at.handler_user_id);
  c.handler_org_id = r.i64(at.handler_org_id);
  c.merged_into_id = r.i64(at.merged_into_id);
  c.accept_due = r.opt_i64(at.accept_due);
  c.contact_due = r.opt_i64(at.contact_due);
  c.accepted_at = r.opt_i64(at.accepted_at);
  c.dispatched_at = r.opt_i64(at.dispatched_at);
  c.contacted_at = r.opt_i64(at.contacted_at);
  c.resolved_at = r.opt_i64(at.resolved_at);
  c.closed_at = r.opt_i64(at.closed_at);
  c.rated_at = r.opt_i64(at.rated_at);
  c.closed_level = std::string(r.text(at.closed_level));
  c.close_reason = std::string(r.text(at.close_reason));
  c.rating = std::string(r.text(at.rating));
  c.rating_comment = std::string(r.text(at.rating_comment));
  if (!r.is_null(at.rating_solved)) c.rating_solved = r.i64(at.rating_solved) != 0;
  c.rework_count = r.i64(at.rework_count);
  c.escalation_count = r.i64(at.escalation_count);
  c.suspended_ms = r.i64(at.suspended_ms);
  c.suspended_at = r.opt_i64(at.suspended_at);
  c.updated_at = r.i64(at.updated_at);
  c.open311_token = std::string(r.text(at.open311_token));
  return c;
}

Case case_from(const store::Row& r) {
  const store::RowAsView v(r);
  return case_from(v, CaseColumns(v));
}

bool is_open(std::string_view state) {
  return std::find(kOpenStates.begin(), kOpenStates.end(), state) != kOpenStates.end();
}

// Character bigrams: Chinese has no spaces, and two-character words carry
// most of the meaning ("漏水", "电梯").
std::set<std::string> bigrams(const std::string& s) {
  std::vector<std::string> cps;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = 1;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0)
      n = 4;
    else if (c >= 0xE0)
      n = 3;
    else if (c >= 0xC0)
      n = 2;
    auto cp = s.substr(i, n);
    if (cp != " " && cp != "，" && cp != "。" && cp != "\n") cps.push_back(cp);
    i += n;
  }
  std::set<std::string> out;
  for (std::size_t i = 0; i + 1 < cps.size(); ++i) out.insert(cps[i] + cps[i + 1]);
  return out;
}

double similarity(const std::string& a, const std::string& b) {
  auto x = bigrams(a), y = bigrams(b);
  if (x.empty() || y.empty()) return 0;
  std::size_t common = 0;
  for (const auto& g : x) common += y.count(g);
  return static_cast<double>(common) / static_cast<double>(x.size() + y.size() - common);
}

// A place as a letter would name it (org/place.hpp); empty if the store fails.
std::string place_name(store::Db& db, const std::string& path) {
  return org::place_name(db, path).value_or("");
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string image_type(std::string_view b) {
  if (b.size() > 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (b.size() > 8 && b.substr(0, 8) == "\x89PNG\r\n\x1a\n") return "image/png";
  if (b.size() > 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return "";
}

std::string base64(std::string_view b) {
  std::string out(sodium_base64_encoded_len(b.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(b.data()),
                    b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string unbase64(const std::string& s) {
  std::string out(s.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(),
                        s.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return {};
  out.resize(len);
  return out;
}

// An optional instant as JSON: ISO-8601 UTC, or null.
Json opt_iso(const std::optional<std::int64_t>& v) {
  return v ? Json(clock::iso(*v)) : Json(nullptr);
}

// Past its deadline, or into the last fifth of its time. Suspended cases
// wait on purpose and are neither.
struct DueFlags {
  bool overdue = false;
  bool near = false;
};

DueFlags due_flags(const SummaryView& c, std::int64_t now) {
  DueFlags f;
  if (!is_open(c.state) || c.state == "suspended" || !c.resolve_due) return f;
  f.overdue = now > *c.resolve_due;
  f.near = !f.overdue && now >= c.created_at + (*c.resolve_due - c.created_at) * 8 / 10;
  return f;
}

// An instant as quoted ISO text: digits and "-:TZ", nothing to escape.
void put_instant(JsonObjectText& o, std::string_view key, std::int64_t ms) {
  auto& out = o.member(key);
  out.push_back('"');
  clock::append_iso(out, ms);
  out.push_back('"');
}

void put_opt_instant(JsonObjectText& o, std::string_view key, std::optional<std::int64_t> ms) {
  if (ms)
    put_instant(o, key, *ms);
  else
    o.null(key);
}

// A summary's members. The keys are in byte order, the order in which
// case_summary_json's object prints them, so both give the same text.
void put_summary(JsonObjectText& o, const SummaryView& c, std::int64_t now) {
  auto due = due_flags(c, now);
  o.str("address", c.address)
      .str("case_type", c.case_type)
      .str("case_type_name", type_name(c.case_type))
      .integer("category_id", c.category_id)
      .str("category_name", c.category_name)
      .str("channel", c.channel)
      .str("channel_name", channel_name(c.channel))
      .str("code", c.code);
  put_instant(o, "created_at", c.created_at);
  o.integer("id", c.id)
      .str("level", c.level)
      .str("level_name", level_name(c.level))
      .boolean("near_due", due.near)
      .integer("node_id", c.node_id)
      .boolean("overdue", due.overdue);
  put_opt_instant(o, "resolve_due", c.resolve_due);
  o.str("state", c.state)
      .str("state_name", state_name(c.state))
      .str("title", c.title)
      .str("urgency", c.urgency)
      .str("urgency_name", urgency_name(c.urgency))
      .boolean("whistled", c.whistled);
}

// One summary as text.
void append_case_summary(std::string& out, const SummaryView& c, std::int64_t now) {
  JsonObjectText o(out);
  put_summary(o, c, now);
}

}  // namespace

void append_case_summaries(std::string& out, std::span<const Case> list, std::int64_t now) {
  out.reserve(out.size() + list.size() * 640);
  out.push_back('[');
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out.push_back(',');
    append_case_summary(out, view_of(list[i]), now);
  }
  out.push_back(']');
}

Json case_summary_json(const Case& c, std::int64_t now) {
  auto due = due_flags(view_of(c), now);
  // Filled key by key: an initializer list builds every pair as a two-element
  // array first, and a queue page makes 50 of these objects.
  Json j = Json::object();
  auto& o = j.get_ref<Json::object_t&>();
  o.emplace("id", c.id);
  o.emplace("code", c.code);
  o.emplace("title", c.title);
  o.emplace("category_id", c.category_id);
  o.emplace("category_name", c.category_name);
  o.emplace("case_type", c.case_type);
  o.emplace("case_type_name", type_name(c.case_type));
  o.emplace("urgency", c.urgency);
  o.emplace("urgency_name", urgency_name(c.urgency));
  o.emplace("channel", c.channel);
  o.emplace("channel_name", channel_name(c.channel));
  o.emplace("state", c.state);
  o.emplace("state_name", state_name(c.state));
  o.emplace("level", c.level);
  o.emplace("level_name", level_name(c.level));
  o.emplace("node_id", c.node_id);
  o.emplace("address", c.address);
  o.emplace("created_at", clock::iso(c.created_at));
  o.emplace("resolve_due", opt_iso(c.resolve_due));
  o.emplace("overdue", due.overdue);
  o.emplace("near_due", due.near);
  o.emplace("whistled", c.whistled);
  return j;
}

// ---- blobs ----

Result<Json> CaseService::put_blob(std::string_view bytes) {
  auto mime = image_type(bytes);
  if (mime.empty()) return fail(Error::invalid("只能上传 JPG、PNG 或 WebP 格式的照片"));
  if (bytes.size() > 5 * 1024 * 1024) return fail({ErrorKind::too_large, "照片不能超过5MB"});
  auto sha = sha256_hex(bytes);
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "INSERT INTO blobs (sha256, mime, size, data, created_at) VALUES ($1, $2, $3, $4, $5) ON "
        "CONFLICT (sha256) DO NOTHING",
        {sha, mime, static_cast<std::int64_t>(bytes.size()), base64(bytes), clock::now_ms()});
    if (!r) return fail(r.error());
    return {};
  });
  if (!w) return fail(w.error());
  return Json{{"sha256", sha}, {"size", bytes.size()}, {"mime", mime}};
}

Result<std::pair<std::string, std::string>> CaseService::get_blob(const auth::Principal& p,
                                                                  const std::string& sha) {
  auto cases =
      db_.query("SELECT DISTINCT case_id FROM case_photos WHERE sha256 = $1 LIMIT 50", {sha});
  if (!cases) return fail(cases.error());
  bool visible = false;
  for (const auto& r : *cases)
    if (get(p, r.i64("case_id"))) {
      visible = true;
      break;
    }
  if (!visible) return fail(Error::not_found());
  auto b = db_.one("SELECT mime, data FROM blobs WHERE sha256 = $1", {sha});
  if (!b) return fail(b.error());
  return std::make_pair(b->str("mime"), unbase64(b->str("data")));
}

// ---- reading ----

Result<Case> CaseService::load(std::int64_t id) {
  auto rows = db_.query(kCaseById, {id});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(Error::not_found());
  return case_from((*rows)[0]);
}

Result<Case> CaseService::load_in(store::Tx& tx, std::int64_t id) {
  auto rows = tx.query(kCaseById, {id});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(Error::not_found());
  return case_from((*rows)[0]);
}

Status CaseService::can_read(const auth::Principal& p, const Case& c) {
  if (c.reporter_user_id && c.reporter_user_id == p.user_id) return {};
  // A reporter whose duplicate was merged here follows this case.
  if (p.can("case.report")) {
    auto merged = db_.query(
        "SELECT 1 AS x FROM cases WHERE merged_into_id = $1 AND reporter_user_id = $2 LIMIT 1",
        {c.id, p.user_id});
    if (!merged) return fail(merged.error());
    if (!merged->empty()) return {};
  }
  if (p.can("case.read") && auth::authorize(p, "case.read", c.node_path)) return {};
  for (auto org : p.scope_orgs("case.property"))
    if (org == c.handler_org_id) return {};
  auto orgs = p.scope_orgs("case.department");
  if (!orgs.empty()) {
    auto w = db_.query("SELECT org_id FROM case_whistles WHERE case_id = $1", {c.id});
    if (!w) return fail(w.error());
    for (const auto& r : *w)
      if (std::find(orgs.begin(), orgs.end(), r.i64("org_id")) != orgs.end()) return {};
  }
  return fail(Error::not_found());
}

Result<Case> CaseService::get(const auth::Principal& p, std::int64_t id) {
  auto c = load(id);
  if (!c) return fail(c.error());
  if (auto s = can_read(p, *c); !s) return fail(s.error());
  return c;
}

namespace {

void put_opt_integer(JsonObjectText& o, std::string_view key, std::optional<std::int64_t> v) {
  if (v)
    o.integer(key, *v);
  else
    o.null(key);
}

// A reference column the Case holds as 0 when it is empty.
void put_id_or_null(JsonObjectText& o, std::string_view key, std::int64_t id) {
  put_opt_integer(o, key, id ? std::optional(id) : std::nullopt);
}

void put_opt_double(JsonObjectText& o, std::string_view key, std::optional<double> v) {
  if (v)
    append_json_double(o.member(key), *v);
  else
    o.null(key);
}

void append_strings(std::string& out, std::span<const std::string> list) {
  out.push_back('[');
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, list[i]);
  }
  out.push_back(']');
}

// The timeline. Residents see the public story, who acted as "工作人员" and
// themselves as "我".
void put_timeline(JsonObjectText& o, const store::Rows& events, bool staff_view, std::int64_t me) {
  auto& out = o.member("timeline");
  out.push_back('[');
  bool first = true;
  for (const auto& e : events) {
    const bool is_public = e.i64("public") != 0;
    if (!staff_view && !is_public) continue;
    if (!first) out.push_back(',');
    first = false;
    const std::string actor = staff_view                     ? e.str("actor_name")
                              : e.i64("actor_user_id") == me ? "我"
                                                             : "工作人员";
    const auto action = e.str("action");
    JsonObjectText ev(out);
    ev.str("action", action).str("action_name", action_name(action)).str("actor", actor);
    put_instant(ev, "at", e.i64("at"));
    ev.str("from_level", e.str("from_level"))
        .str("from_state", e.str("from_state"))
        .str("note", e.str("note"))
        .str("org", e.str("org_name"))
        .boolean("public", is_public)
        .str("to_level", e.str("to_level"))
        .str("to_state", e.str("to_state"));
  }
  out.push_back(']');
}

void put_photos(JsonObjectText& o, const store::Rows& photos) {
  auto& out = o.member("photos");
  out.push_back('[');
  for (std::size_t i = 0; i < photos.size(); ++i) {
    if (i) out.push_back(',');
    const auto sha = photos[i].str("sha256");
    JsonObjectText item(out);
    item.str("sha256", sha).str("stage", photos[i].str("stage")).str("url", "/api/v1/blobs/" + sha);
  }
  out.push_back(']');
}

// 报而不到: no report in time. 到而不干: reported, but no action in time.
std::vector<std::string> whistle_flags(const store::Row& w, std::string_view state,
                                       std::int64_t now) {
  std::vector<std::string> flags;
  if (state == "returned") return flags;
  auto reported = w.opt_i64("reported_at");
  auto acted = w.opt_i64("acted_at");
  if ((!reported && now > w.i64("report_due")) || (reported && *reported > w.i64("report_due")))
    flags.emplace_back("report_overdue");
  if (reported && ((!acted && now > w.i64("act_due")) || (acted && *acted > w.i64("act_due"))))
    flags.emplace_back("act_overdue");
  return flags;
}

void put_whistles(JsonObjectText& o, const store::Rows& whistles, std::int64_t now) {
  auto& out = o.member("whistles");
  out.push_back('[');
  for (std::size_t i = 0; i < whistles.size(); ++i) {
    if (i) out.push_back(',');
    const auto& w = whistles[i];
    const auto state = w.str("state");
    JsonObjectText item(out);
    put_instant(item, "act_due", w.i64("act_due"));
    put_opt_instant(item, "acted_at", w.opt_i64("acted_at"));
    item.str("action_note", w.str("action_note"));
    put_opt_instant(item, "arrived_at", w.opt_i64("arrived_at"));
    append_strings(item.member("flags"), whistle_flags(w, state, now));
    item.boolean("lead", w.i64("lead") != 0)
        .integer("org_id", w.i64("org_id"))
        .str("org_name", w.str("org_name"));
    put_instant(item, "report_due", w.i64("report_due"));
    put_opt_instant(item, "reported_at", w.opt_i64("reported_at"));
    item.str("return_reason", w.str("return_reason"))
        .str("state", state)
        .str("state_name", whistle_state_name(state));
    put_instant(item, "whistled_at", w.i64("whistled_at"));
  }
  out.push_back(']');
}

}  // namespace

Result<std::string> CaseService::detail(const auth::Principal& p, std::int64_t id) {
  // The case, its timeline, photos and whistles in one batch (one round trip
  // on PostgreSQL); nothing of it is shown unless can_read() allows it.
  auto read = db_.query_all(
      {{kCaseById, {id}},
       {"SELECT e.*, o.name AS org_name FROM case_events e LEFT JOIN orgs o ON o.id = e.org_id "
        "WHERE e.case_id = $1 ORDER BY e.id",
        {id}},
       {"SELECT sha256, stage FROM case_photos WHERE case_id = $1 ORDER BY id", {id}},
       {"SELECT w.*, o.name AS org_name FROM case_whistles w JOIN orgs o ON o.id = w.org_id WHERE "
        "w.case_id = $1 ORDER BY w.lead DESC, w.id",
        {id}}});
  if (!read) return fail(read.error());
  if ((*read)[0].empty()) return fail(Error::not_found());
  const Case c = case_from((*read)[0][0]);
  if (auto s = can_read(p, c); !s) return fail(s.error());
  const auto now = clock::now_ms();
  const bool staff_view = p.can("case.read") && auth::authorize(p, "case.read", c.node_path);
  const bool own = c.reporter_user_id == p.user_id;
  // Written as text, as the lists are: building the page as a nlohmann
  // object, printing and freeing it was a fifth of a detail request (perf).
  // The summary's members come first, then the page's own, each group in
  // byte order.
  std::string out;
  out.reserve(4096);
  {
    JsonObjectText o(out);
    put_summary(o, view_of(c), now);
    put_opt_instant(o, "accept_due", c.accept_due);
    append_strings(o.member("actions"), allowed_actions(p, c));
    o.boolean("anonymous", c.anonymous).str("close_reason", c.close_reason);
    put_opt_instant(o, "closed_at", c.closed_at);
    put_opt_instant(o, "contact_due", c.contact_due);
    put_opt_instant(o, "contacted_at", c.contacted_at);
    o.str("description", c.description).integer("escalation_count", c.escalation_count);
    put_id_or_null(o, "handler_org_id", c.handler_org_id);
    put_id_or_null(o, "handler_user_id", c.handler_user_id);
    put_opt_integer(o, "household_id", c.household_id);
    put_opt_double(o, "lat", c.lat);
    put_opt_double(o, "lng", c.lng);
    put_id_or_null(o, "merged_into_id", c.merged_into_id);
    put_photos(o, (*read)[2]);
    o.str("rating", c.rating)
        .str("rating_comment", c.rating_comment)
        .str("rating_name", rating_name(c.rating));
    if (c.rating_solved)
      o.boolean("rating_solved", *c.rating_solved);
    else
      o.null("rating_solved");
    if ((c.anonymous && !own) || (!staff_view && !own)) {
      o.null("reporter");
    } else {
      JsonObjectText reporter(o.member("reporter"));
      reporter.str("name", c.reporter_name).str("phone_masked", c.reporter_phone_mask);
    }
    put_opt_instant(o, "resolved_at", c.resolved_at);
    o.integer("rework_count", c.rework_count);
    put_timeline(o, (*read)[1], staff_view, p.user_id);
    put_whistles(o, (*read)[3], now);
  }
  return out;
}

namespace {
// No filter but a state or a level (or none), and not a state of a few
// cases in a hundred (rejected, merged): the newest ids hold a page of it,
// unless the state is rare in the scope (CaseService::few_to_seek).
bool state_alone(const CaseFilter& f) {
  return f.state != "rejected" && f.state != "merged" && !f.category_id && f.case_type.empty() &&
         f.urgency.empty() && f.channel.empty() && !f.from_ms && !f.to_ms && !f.org_id &&
         !f.node_id && !f.overdue && !f.mine && f.q.empty();
}

// "<the id of a case's ancestor at `depth`> = <that id>" (1 = the district),
// the key of cases_street_newest (2), cases_community_newest (3) and
// cases_grid_newest (4), written as their migrations (0027, 0028) write it:
// SQLite and PostgreSQL use an index on an expression only for the same
// expression. SQLite reads the id as a number, PostgreSQL's split_part as
// text.
std::string ancestor_is_sql(store::Sql& q, store::Kind kind, int depth, std::int64_t id) {
  if (kind == store::Kind::sqlite)
    return "json_extract('[' || replace(trim(c.node_path, '/'), '/', ',') || ']', '$[" +
           std::to_string(depth - 1) + "]') = " + q.bind(id);
  return "split_part(c.node_path, '/', " + std::to_string(depth + 1) +
         ") = " + q.bind(std::to_string(id));
}
}  // namespace

Result<store::Sql> CaseService::list_sql(const auth::Principal& p, const CaseFilter& f,
                                         const char* columns, ListPlan plan, std::int64_t window) {
  store::Sql q;
  // A search on SQLite walks the FTS5 index newest first (search/case_index.hpp).
  bool fts = !f.q.empty() && search::joins_index(db_.kind(), f.q);
  const bool sqlite = db_.kind() == store::Kind::sqlite;
  if (!f.q.empty()) plan = ListPlan::one_pass;  // the search index pages by itself
  std::string id_col = fts ? "s.rowid" : "c.id";
  std::optional<std::string> node_path;
  if (f.node_id) {
    auto n = db_.query("SELECT path FROM nodes WHERE id = $1", {f.node_id});
    if (!n) return fail(n.error());
    if (n->empty()) return fail(Error::not_found());
    node_path = (*n)[0].str("path");
  }
  // Visible: in a case.read subtree, reported by me, whistled to my
  // department, or handled by my property company. One condition each, the
  // scope's subtrees first (see ids_first below), each with the index that
  // finds its cases on SQLite.
  struct Visible {
    std::string cond;
    const char* index = nullptr;
    bool subtree = false;  // holds the node filter's range already
    int depth = 0;         // of the subtree's root (1 = the district)
    // The ids_first branch of the first subtree, walked newest first through
    // newest_index: its condition on that index's key.
    std::string newest = {};
  };
  std::vector<Visible> visible;
  if (p.can("case.read"))
    for (const auto& root : p.scope_paths("case.read")) {
      // The node filter narrows a subtree to where the two meet: one range,
      // so SQLite seeks the narrower one.
      std::string within = root;
      if (node_path && auth::in_subtree(*node_path, root))
        within = *node_path;
      else if (node_path && !auth::in_subtree(root, *node_path))
        continue;  // the node lies outside this subtree
      Visible v{"(" + auth::in_subtree_sql(q, within, "c.node_path") + ")",
                subtree_index(f, within), true, auth::path_depth(within)};
      // Only the first branch: a later one would check the earlier
      // subtrees' paths, which the index does not hold, on every row.
      if (const char* newest = newest_index(f, within);
          newest && plan == ListPlan::ids_first && visible.empty()) {
        v.index = newest;
        v.newest =
            ancestor_is_sql(q, db_.kind(), auth::path_depth(within), auth::path_ids(within).back());
      }
      visible.push_back(std::move(v));
    }
  visible.push_back({"c.reporter_user_id = " + q.bind(p.user_id), "cases_reporter"});
  for (auto org : p.scope_orgs("case.department"))
    visible.push_back(
        {"c.id IN (SELECT case_id FROM case_whistles WHERE org_id = " + q.bind(org) + ")"});
  for (auto org : p.scope_orgs("case.property"))
    visible.push_back({"c.handler_org_id = " + q.bind(org)});
  const std::string in_node =
      node_path ? " AND " + auth::in_subtree_sql(q, *node_path, "c.node_path") : "";
  const std::string filters = list_filters(q, p, f);
  const std::string after = f.after > 0 ? " AND " + id_col + " < " + q.bind(f.after) : "";
  const std::string limit = q.bind(static_cast<std::int64_t>(f.limit + 1));
  auto any_of = [&](std::size_t n) {
    std::string out = "(";
    for (std::size_t i = 0; i < n; ++i) out += (i ? " OR " : "") + visible[i].cond;
    return out + ")";
  };
  // PostgreSQL: a generic plan cannot tell a grid from the whole city, nor
  // the newest ids' window from the table (store::kPlanWithValues). The walk
  // of one street's, community's or grid's key is one plan whatever the
  // place, and planning it took 0.8-0.9 ms a page where running it takes
  // 0.05 ms: it stays prepared, and PostgreSQL keeps its generic plan after
  // five. So does one place's seek of cases_queue (an open state, a level):
  // the states and the level are in the statement's text, and the place's
  // range only narrows the seek (the generic plan and the one made with the
  // values were node for node the same for a grid, a community and a street
  // of a 300k-case city; planning 0.68 ms, running 0.5). Not with a period,
  // whose plan depends on how far back it lies, nor the overdue, whose
  // deadline is a value too. The window's walk behind its fence (a state
  // alone, below) is prepared too: the fence leaves one way to run it, and
  // the generic plan was that same backward walk. (PostgreSQL may still
  // plan each call with its values, since it costs the generic plan's walk
  // by a guessed third of the table.)
  const auto subtrees = std::ranges::count_if(visible, [](const Visible& v) { return v.subtree; });
  const bool one_place = plan == ListPlan::ids_first && subtrees == 1 && !visible.empty() &&
                         visible.front().depth >= 2 && !f.from_ms && !f.to_ms && !f.overdue;
  const bool one_plan =
      one_place &&
      (!visible.front().newest.empty() ||
       std::string_view(visible.front().index ? visible.front().index : "") == "cases_queue");
  std::string least;  // the newest window's least id
  bool fenced_window = false;
  if (plan == ListPlan::newest_window) {
    auto bound = window_least(f, window);
    if (!bound) return fail(bound.error());
    least = bound->sql.empty() ? q.bind(bound->id) : bound->sql + q.bind(window);
    fenced_window = !sqlite && window <= list_window_.load(std::memory_order_relaxed);
    if (fenced_window && !state_alone(f)) {
      auto holds = window_in_period(f, bound->id);
      if (!holds) return fail(holds.error());
      fenced_window = *holds;
    }
  }
  if (!one_plan && !fenced_window) q << store::kPlanWithValues;
  if (plan == ListPlan::period_span) {
    // The least and greatest id created in the period, from the entries of
    // cases_created alone (no row, no sort: 45 ms for a month of 10M
    // cases). Walking the ids between them newest first is exact whatever
    // the order of ids and creation times, and stops at the page where the
    // period's cases are dense; sorting the month's 432k ids for the newest
    // took 0.3-0.45 s, reading their rows in creation order 0.5-0.8 s.
    q << "WITH span AS MATERIALIZED (SELECT min(id) AS lo, max(id) AS hi FROM cases INDEXED BY "
         "cases_created WHERE created_at >= "
      << q.bind(*f.from_ms);
    if (f.to_ms) q << " AND created_at < " << q.bind(*f.to_ms);
    q << ") SELECT " << columns
      << " FROM cases c NOT INDEXED JOIN case_categories cat ON cat.id = +c.category_id WHERE "
         "c.id >= (SELECT lo FROM span) AND c.id <= (SELECT hi FROM span)"
      << after << " AND " << any_of(visible.size()) << in_node << filters
      << " ORDER BY c.id DESC LIMIT " << limit;
    return q;
  }
  q << "SELECT " << columns << " FROM ";
  if (plan == ListPlan::ids_first) {
    // The newest ids first, then only their rows. One branch per way a case
    // is visible, each without the cases of the branches before it
    // (disjoint: UNION ALL, no temporary table), so each branch seeks its
    // own index: the scope's path, with the state filter if any
    // (cases_queue), the reporter, the whistles. One condition with OR let
    // SQLite take one index for the state and read every case in that state
    // across the city (0.65 s for a grid on 10M cases), and its statistics
    // chose the state's index for a reporter with no cases too: the index is
    // named. The subtrees come first so that their branches need no table
    // row (covering); the later, smaller branches check the earlier
    // conditions on their rows.
    q << "(SELECT id FROM (";
    for (std::size_t i = 0; i < visible.size(); ++i) {
      q << (i ? " UNION ALL " : "");
      if (!visible[i].newest.empty()) {
        // A street's, a community's or a grid's ids come newest first from
        // their ancestor's index: the walk stops at the page instead of
        // sorting the subtree (migrations 0027, 0028).
        q << "SELECT id FROM (SELECT c.id AS id FROM cases c";
        if (sqlite) q << " INDEXED BY " << visible[i].index;
        q << " WHERE " << visible[i].newest << after << filters << " ORDER BY c.id DESC LIMIT "
          << limit << ") newest";
        continue;
      }
      q << "SELECT c.id AS id FROM cases c";
      if (sqlite && visible[i].index) q << " INDEXED BY " << visible[i].index;
      q << " WHERE " << visible[i].cond;
      if (i) q << " AND " << any_of(i) << " IS NOT TRUE";
      q << after << (visible[i].subtree ? "" : in_node) << filters;
    }
    // "LIMIT -1" keeps SQLite from sorting each branch to merge them (as in
    // the queue); one top-N sort of ids remains.
    q << (sqlite ? " LIMIT -1" : "") << ") ids ORDER BY id DESC LIMIT " << limit << ") page "
      << (sqlite ? "CROSS JOIN" : "JOIN")
      << " cases c ON c.id = page.id JOIN case_categories cat ON cat.id = +c.category_id";
    // SQLite gives the rows in the page's order (the ids' co-routine is the
    // outer loop); they are checked, not trusted (page_in_order).
    if (!sqlite) q << " ORDER BY c.id DESC";
    return q;
  }
  if (plan == ListPlan::newest_window) {
    if (!fenced_window) {
      // NOT INDEXED: the rowid range below, newest first, and nothing else;
      // an index would hand SQLite the whole scope to sort.
      q << "cases c" << (sqlite ? " NOT INDEXED" : "")
        << " JOIN case_categories cat ON cat.id = +c.category_id WHERE c.id >= " << least;
    } else {
      // PostgreSQL takes the newest cases' states to be those of the table,
      // where most of the newest are open: for an open state it guessed 184
      // of the window's 8,192 cases (there were 2,083), and read and sorted
      // them all through three bitmaps (6-7 ms). The first window is walked
      // newest first behind a fence (OFFSET 0 keeps the filters out of it)
      // and stops at the page: 0.4 ms. So is a period from a time on that
      // holds the whole window (window_in_period). A filter on other
      // columns keeps the planner's choice, which is then the better one
      // (a category: 0.15 ms against 5 ms for the whole window's walk); so
      // does the wider window, whose walk would read 131,072 rows for a
      // page it may not hold. The category is looked up case by case
      // (LATERAL), which keeps the walk's order: joined, it was hashed and
      // the window's rows sorted whenever PostgreSQL guessed few of them
      // would pass (Open311's last 90 days: 134 guessed of 8,192; 15-19 ms
      // against 2.7).
      q << "(SELECT * FROM cases WHERE id >= " << least
        << " ORDER BY id DESC OFFSET 0) c CROSS JOIN LATERAL (SELECT name FROM case_categories "
           "WHERE id = c.category_id) cat WHERE 1 = 1";
    }
  } else {
    q << (fts ? "case_search s JOIN cases c ON c.id = s.rowid" : "cases c")
      << " JOIN case_categories cat ON cat.id = +c.category_id WHERE 1 = 1";
  }
  q << after << " AND " << any_of(visible.size()) << in_node << filters;
  if (!f.q.empty()) {
    // Subtrees that hold every case this list can return, for the search
    // index (search::add_match): the node filter's, or the caller's
    // case.read subtrees when those are all they see (no reports of their
    // own, no department or property company).
    std::vector<std::string> within;
    if (!p.can("case.report") && !p.resident_id && p.scope_orgs("case.department").empty() &&
        p.scope_orgs("case.property").empty())
      within = p.scope_paths("case.read");
    if (node_path) within = {*node_path};
    // Only the search and the caller's scope: the index may page by itself.
    bool only_q = !f.node_id && !f.mine && f.state.empty() && f.level.empty() &&
                  f.case_type.empty() && f.urgency.empty() && f.channel.empty() && !f.category_id &&
                  !f.org_id && !f.overdue && !f.from_ms && !f.to_ms;
    search::IndexPage page{f.after, f.limit + 1};
    search::add_match(q, db_.kind(), f.q, within, only_q ? &page : nullptr);
  }
  q << " ORDER BY " << id_col << " DESC LIMIT " << limit;
  return q;
}

namespace {
// The city and a street.
bool top_two_levels(std::string_view path) { return auth::path_depth(path) <= 2; }
}  // namespace

const char* CaseService::newest_index(const CaseFilter& f, std::string_view within) {
  // Where the subtree would be read from cases_path: no filter, or filters
  // on the columns the index entries hold. An open state or the
  // department's level alone seeks cases_queue; a period of the whole city,
  // the reporter and the overdue have indexes of their own (subtree_index).
  if (std::string_view(subtree_index(f, within)) != "cases_path") return nullptr;
  switch (auth::path_depth(within)) {
    case 2:
      return "cases_street_newest";
    case 3:
      return "cases_community_newest";
    case 4:
      return "cases_grid_newest";
    default:
      return nullptr;  // the city pages among the newest ids; below, few cases
  }
}

const char* CaseService::subtree_index(const CaseFilter& f, std::string_view within) {
  // cases_path holds the path and every column the list filters on but the
  // deadline (migration 0018): with a filter, a subtree is read from its
  // index entries alone. Before, a community or street asking for one
  // category read the row of every case in its subtree (10M cases: a street
  // 2-3 s, a community 0.15-0.2 s). cases_queue seeks a state or a level
  // within the path, and the few open cases past their deadline. The whole
  // city's period is a range of cases_created (a month is 1/24 of two
  // years), where cases_path would hold all 10M entries.
  // The whole city's category is a range of cases_category_state (category,
  // state, period; migration 0022), where the period's index read the row of
  // each case of the period (Open311's closed cases of a service in 90 days:
  // 1.25M rows).
  if (f.mine) return "cases_reporter";
  if (f.overdue) return "cases_queue";
  // The departments' level: its own partial index (migration 0029), where
  // cases_queue would read every entry of the subtree in every state.
  if (f.level == "department") return "cases_department_level";
  if (f.category_id && auth::whole_city(within)) return "cases_category_state";
  if ((f.from_ms || f.to_ms) && auth::whole_city(within)) return "cases_created";
  const bool filtered = f.category_id || !f.case_type.empty() || !f.urgency.empty() ||
                        !f.channel.empty() || f.from_ms || f.to_ms;
  // Closed cases are most of a place's history (92 % of a generated city),
  // and each level but the department's holds a good share of it: a street,
  // a community or a grid finds its newest 51 sooner walking its key
  // (newest_index) than sorting every id cases_queue holds for it in that
  // state or at that level (a community of the 300k-case city on
  // PostgreSQL: 14-21 ms). The open states are few and seek cases_queue.
  const auto depth = auth::path_depth(within);
  const bool history = f.state == "closed" || f.state == "done" || f.state.empty();
  const bool walks_history = history && depth >= 2 && depth <= 4;
  if (!filtered && !walks_history && (!f.state.empty() || !f.level.empty())) return "cases_queue";
  return "cases_path";
}

Result<CaseService::WindowBound> CaseService::window_least(const CaseFilter& f,
                                                           std::int64_t window) {
  if (f.after > 0) return WindowBound{f.after - window, ""};
  // SQLite reads the newest id inside the statement.
  if (db_.kind() == store::Kind::sqlite)
    return WindowBound{0, "(SELECT max(id) + 1 FROM cases) - "};
  // PostgreSQL plans with a number, not a subquery it cannot see into: with
  // the subquery it guessed a third of the table and sought the state's
  // index instead, every open case of that state in the city sorted for a
  // page (the city's in_progress: 13-15 ms on 300k cases).
  auto newest = db_.one("SELECT COALESCE(max(id), 0) AS id FROM cases");
  if (!newest) return fail(newest.error());
  return WindowBound{newest->i64("id") + 1 - window, ""};
}

Result<bool> CaseService::window_in_period(const CaseFilter& f, std::int64_t least) {
  // A period from a time on, and otherwise a state alone: when the window's
  // oldest case lies in the period, the period passes nearly all of the
  // window (ids grow with intake), and PostgreSQL's guess that the two
  // conditions are independent (a tenth of a tenth) is far off. Open311's
  // last 90 days are that list. One read of the primary key says so.
  CaseFilter rest = f;
  rest.from_ms.reset();
  if (!f.from_ms || f.to_ms || !state_alone(rest)) return false;
  auto oldest =
      db_.query("SELECT created_at FROM cases WHERE id >= $1 ORDER BY id LIMIT 1", {least});
  if (!oldest) return fail(oldest.error());
  return oldest->empty() || (*oldest)[0].i64("created_at") >= *f.from_ms;
}

std::string CaseService::list_filters(store::Sql& q, const auth::Principal& p,
                                      const CaseFilter& f) {
  std::string w;
  if (f.mine) w += " AND c.reporter_user_id = " + q.bind(p.user_id);
  // States as a list SQLite can seek in cases_queue (state, node_path, …)
  // with the scope's path, where NOT IN could only be checked row by row.
  auto states_but = [](const std::vector<std::string>& states,
                       std::initializer_list<std::string_view> left_out) {
    std::string in;
    for (const auto& s : states)
      if (std::ranges::find(left_out, s) == left_out.end())
        in += (in.empty() ? "'" : ", '") + s + "'";
    return " AND c.state IN (" + in + ")";
  };
  if (f.state == "open")
    w += states_but(kOpenStates, {});
  else if (f.state == "done")
    w += states_but(kDoneStates, {});
  else if (!f.state.empty())
    w += " AND c.state = " + q.bind(f.state);
  if (!f.level.empty()) {
    // Every state, when no state was asked for: the level is then read from
    // cases_queue with the path instead of from each case's row.
    if (f.state.empty() && !f.overdue) w += states_but(kStates, {});
    // The departments' level as the literal of its partial index's WHERE
    // (migration 0029): SQLite uses such an index only for a query whose
    // terms hold that one, and a bound value is not one.
    w += f.level == "department" ? " AND c.level = 'department'"
                                 : " AND c.level = " + q.bind(f.level);
  }
  if (!f.case_type.empty()) w += " AND c.case_type = " + q.bind(f.case_type);
  if (!f.urgency.empty()) w += " AND c.urgency = " + q.bind(f.urgency);
  if (!f.channel.empty()) w += " AND c.channel = " + q.bind(f.channel);
  // Every state, when a category but no state was asked for: SQLite then
  // seeks each state's period in cases_category_state (category, state,
  // created_at) instead of reading all of the category's entries.
  if (f.category_id && f.state.empty() && f.level.empty() && !f.overdue)
    w += states_but(kStates, {});
  if (f.category_id)  // the category and those under it, a list read once
    w += " AND c.category_id IN (SELECT id FROM case_categories WHERE id = " +
         q.bind(f.category_id) + " OR parent_id = " + q.bind(f.category_id) + ")";
  if (f.org_id)
    w += " AND c.id IN (SELECT case_id FROM case_whistles WHERE org_id = " + q.bind(f.org_id) + ")";
  if (f.overdue)
    w += states_but(kOpenStates, {"suspended"}) + " AND c.resolve_due < " + q.bind(clock::now_ms());
  if (f.from_ms) w += " AND c.created_at >= " + q.bind(*f.from_ms);
  if (f.to_ms) w += " AND c.created_at < " + q.bind(*f.to_ms);
  return w;
}

Result<std::vector<Case>> CaseService::list(const auth::Principal& p, const CaseFilter& f) {
  std::vector<Case> out;
  std::optional<CaseColumns> at;
  auto st = list_each(
      p, f, kCaseCols, [&] { out.clear(); },
      [&](const store::RowView& r) -> Status {
        if (!at) at.emplace(r);
        out.push_back(case_from(r, *at));
        return {};
      });
  if (!st) return fail(st.error());
  // Usually already so; sorting 1,000 cases moved their strings about.
  if (!std::ranges::is_sorted(out, std::greater<>{}, &Case::id))
    std::ranges::sort(out, std::greater<>{}, &Case::id);
  return out;
}

Status CaseService::list_each(const auth::Principal& p, const CaseFilter& f, const char* columns,
                              const std::function<void()>& restart, const store::EachRow& row) {
  // The ways list does, each way's rows handed out as read.
  for (const auto& [plan, window] : list_plans(p, f)) {
    auto q = list_sql(p, f, columns, plan, window);
    if (!q) return fail(q.error());
    restart();
    std::size_t read = 0;
    auto st = db_.each(q->text, q->params, [&](const store::RowView& r) {
      ++read;
      return row(r);
    });
    if (!st) return st;
    if (read > static_cast<std::size_t>(f.limit)) break;  // the newest that match
  }  // else the last way's rows, whatever their number
  return {};
}

Result<ListPage> CaseService::list_page(const auth::Principal& p, const CaseFilter& f) {
  Result<ListPage> page;
  for (const auto& [plan, window] : list_plans(p, f)) {
    page = list_rows(p, f, plan, window);
    if (!page) return fail(page.error());
    if (page->next) break;  // a whole page: the newest that match
  }
  return page;  // or the last way's page, whatever its length
}

std::vector<std::pair<CaseService::ListPlan, std::int64_t>> CaseService::list_plans(
    const auth::Principal& p, const CaseFilter& f) {
  // Newest first. Staff with a wide scope (the whole city, a street: the
  // first two levels of the tree) find a page among the newest cases of the
  // table: the last list_window_ ids, newest first, stopping at a page. A
  // narrower scope (a community holds about 1 case in 300 on 10M cases)
  // would rarely fill a page there and pay for the look; its ids come from
  // its indexes, and only the page's rows are read. On 10M cases the one
  // statement that did both sorted every case of the scope: 2.1 s for a
  // street, 0.28 s for a community (docs/PERFORMANCE.md, session 11).
  // A street and a community walk their own index newest first
  // (newest_index, migration 0027) and stop at the page: a street looks
  // through no window first unless the filter is a state or a level alone
  // (cases_queue).
  std::vector<std::pair<ListPlan, std::int64_t>> plans;
  const bool sqlite = db_.kind() == store::Kind::sqlite;
  auto windowed = [&](const std::string& root) {
    return auth::whole_city(root) || (top_two_levels(root) && !newest_index(f, root));
  };
  const auto window = list_window_.load(std::memory_order_relaxed);
  const bool city = std::ranges::any_of(p.scope_paths("case.read"), auth::whole_city);
  // The whole city finds a state's page among the newest ids when one in
  // 160 of them is in it (51 in 8,192); a street holds a fifth of those ids
  // or less, so its states are sought unless they are five times as common.
  const bool wide = f.q.empty() && !f.mine && p.can("case.read") &&
                    std::ranges::any_of(p.scope_paths("case.read"), windowed) &&
                    !few_to_seek(p, f, city ? window / 8 : window / 2);
  // A window answers only with more than f.limit cases in it (an export's
  // 50,000 skip the first).
  auto holds_a_page = [&](std::int64_t ids) { return ids > f.limit; };
  if (wide) {
    if (holds_a_page(window)) plans.emplace_back(ListPlan::newest_window, window);
    // The whole city tries a window 16 times as wide (about 65 ms at 8,192
    // ids) before its indexes, which hold every case: 10M entries of
    // cases_path for a rare filter take 2 s. Older cases are closed, so the
    // first window says little of the next (10M cases: 2 closed cases of
    // one category in the newest 8,192, 3,569 in the newest 131,072). A
    // street's filtered subtree is read from cases_path in about as long as
    // the wider window (~300k entries on 10M cases, 70-100 ms). A period
    // that ends is rarely among the newest cases; cases_created finds it.
    // A category in a state and a period is a range of its own
    // (cases_category_state), cheaper than the wider window when the state
    // is rare among the newest: Open311's closed cases of a service (closed,
    // rejected and merged in the last 90 days).
    const bool category_range = f.category_id && !f.state.empty() && f.from_ms;
    if (!f.to_ms && !category_range && city && holds_a_page(window * 16))
      plans.emplace_back(ListPlan::newest_window, window * 16);
  }
  // The whole city's period on SQLite (without a category, which has its
  // own index) is walked between the period's ids.
  const bool city_period = sqlite && city && f.from_ms && !f.category_id && f.q.empty() &&
                           !f.mine && !f.overdue && !f.node_id;
  if (city_period && by_ids(p, f))
    plans.emplace_back(ListPlan::period_span, 0);
  else
    plans.emplace_back(by_ids(p, f) ? ListPlan::ids_first : ListPlan::one_pass, 0);
  return plans;
}

bool CaseService::few_to_seek(const auth::Principal& p, const CaseFilter& f, std::int64_t cap) {
  // A state or a level alone is sought in its own index entries, and their
  // ids sorted: that costs what the scope holds in that state or at that
  // level. Common ones fill a page from the newest ids at once; a rare one
  // (the city's 3 cases awaiting acceptance, a level no case has reached)
  // does not, and the wide scope read the rows of both windows first (the
  // whole city of 1M cases: 70 ms, the departments' level 0.27 s; a street
  // 4 ms) to seek a handful of entries after. Counting the entries up to
  // `cap` costs a fraction of one window, and reads no row.
  const auto roots = p.scope_paths("case.read");
  if (cap <= f.limit || roots.size() != 1) return false;
  // Not counted: a handling level alone (each holds a good share of every
  // place's cases, and its entries are read among every state's), finished
  // cases (closed, rejected, merged: every place's history), nor the whole
  // city's backlog (`open`: a city whose open cases are rare among its
  // newest is one whose window holds all its cases).
  const std::string_view index = subtree_index(f, roots.front());
  const bool history = f.state != "open" && !is_open(f.state);
  const bool backlog = f.state == "open" && auth::whole_city(roots.front());
  if (index != "cases_department_level" &&
      (index != "cases_queue" || f.state.empty() || history || backlog))
    return false;
  store::Sql q;
  q << "SELECT count(*) AS n FROM (SELECT 1 FROM cases c";
  if (db_.kind() == store::Kind::sqlite) q << " INDEXED BY " << index;
  q << " WHERE " << auth::in_subtree_sql(q, roots.front(), "c.node_path");
  q << list_filters(q, p, f) << " LIMIT " << q.bind(cap) << ") entries";
  // On an error the windows are tried as before, and say what it was.
  auto n = db_.one(q.text, q.params);
  return n && n->i64("n") < cap;
}

bool CaseService::by_ids(const auth::Principal& p, const CaseFilter& f) {
  // A property company's cases have no index of their own (handler_org_id
  // is the last column of cases_queue): one pass newest first stops at its
  // page, where an ids_first branch would read the whole table.
  return f.q.empty() && p.scope_orgs("case.property").empty();
}

Result<ListPage> CaseService::list_rows(const auth::Principal& p, const CaseFilter& f,
                                        ListPlan plan, std::int64_t window) {
  auto q = list_sql(p, f, kSummaryCols, plan, window);
  if (!q) return fail(q.error());
  // Written as read, like the queue.
  std::string text = "[";
  text.reserve(static_cast<std::size_t>(f.limit + 1) * 640);
  std::vector<PageRow> read;
  read.reserve(static_cast<std::size_t>(f.limit + 1));
  std::optional<SummaryColumns> at;
  const auto now = clock::now_ms();
  auto st = db_.each(q->text, q->params, [&](const store::RowView& r) -> Status {
    if (!at) at.emplace(r);
    auto c = view_of(r, *at);
    if (!read.empty()) text.push_back(',');
    // Newest first is the order of -id.
    PageRow row{-c.id, c.id, text.size(), 0};
    append_case_summary(text, c, now);
    row.end = text.size();
    read.push_back(row);
    return {};
  });
  if (!st) return fail(st.error());
  auto page = page_in_order(std::move(text), std::move(read), static_cast<std::size_t>(f.limit));
  ListPage out;
  out.items = std::move(page.items);
  if (page.next) out.next = page.next->id;
  return out;
}

namespace {
// The roles that work cases at each level.
std::vector<std::string> roles_for_level(const std::string& level) {
  if (level == "building") return {"building_head", "unit_head", "party_group_leader"};
  if (level == "grid") return {"grid_worker", "branch_secretary"};
  if (level == "community") return {"community_staff", "first_secretary"};
  if (level == "street") return {"street_center"};
  return {};
}
std::vector<std::string> levels_of_role(const std::string& role) {
  for (const auto& l : kLevels) {
    auto rs = roles_for_level(l);
    if (std::find(rs.begin(), rs.end(), role) != rs.end()) return {l};
  }
  if (role == "admin") return {"building", "grid", "community", "street"};
  return {};
}
}  // namespace

bool CaseService::handles(const auth::Principal& p, const Case& c) {
  for (const auto& g : p.grants) {
    if (g.org_id && g.org_id == c.handler_org_id && g.role == "property_staff") return true;
    if (g.node_path.empty() || !auth::in_subtree(c.node_path, g.node_path)) continue;
    auto ls = levels_of_role(g.role);
    if (std::find(ls.begin(), ls.end(), c.level) != ls.end()) return true;
  }
  return false;
}

bool CaseService::dispatches(const auth::Principal& p, const Case& c) {
  return p.can("case.dispatch") && auth::authorize(p, "case.dispatch", c.node_path).has_value();
}

Result<QueuePage> CaseService::queue(const auth::Principal& p, int limit,
                                     const std::optional<QueueCursor>& after) {
  // Open cases at a level the caller works, in the subtree where they work it,
  // soonest deadline first (no deadline last). Two steps in one statement: the
  // page's ids from the covering index cases_queue (state, node_path, level,
  // resolve_due, handler_org_id; migration 0012) without touching a table row,
  // then the full rows and whistle counts for that page only. A grid with
  // 11,000 waiting cases read and sorted every full row (and counted every
  // case's whistles) to answer 200 of them (docs/PERFORMANCE.md).
  // One UNION branch per grant so each branch can seek (state, node_path).
  constexpr std::int64_t kNoDue = std::numeric_limits<std::int64_t>::max();
  store::Sql q;
  const std::string key = "COALESCE(c.resolve_due, " + std::to_string(kNoDue) + ")";
  // Bound where used: every placeholder must appear in the statement.
  auto after_sql = [&]() -> std::string {
    if (!after) return "";
    auto d = q.bind(after->due), d2 = q.bind(after->due), i = q.bind(after->id);
    return " AND (" + key + " > " + d + " OR (" + key + " = " + d2 + " AND c.id > " + i + "))";
  };
  // Per grant one branch per state, each a plain seek of cases_queue on
  // (state, node_path). A state IN (...) list made SQLite build a temporary
  // B-tree per list and request; so did the per-branch sorts it chose for a
  // compound ORDER BY (callgrind: five per queue page, about 40k
  // instructions each). The branches of one grant are disjoint (UNION ALL);
  // several grants may overlap (UNION).
  const std::string head = "SELECT c.id AS id, " + key + " AS due FROM cases c WHERE ";
  std::vector<std::string> branches;
  auto per_state = [&](std::initializer_list<const char*> states, const std::string& rest) {
    for (const char* state : states) branches.push_back(head + "c.state = '" + state + "'" + rest);
  };
  // The whole city walks each state in deadline order (cases_state_due) and
  // stops at the page: through cases_queue it read and sorted the ids of
  // every open case (10M cases: 253k, 80-146 ms for the admin). Its path
  // holds every case, so the row checked for the path and level is nearly
  // always on the page. Cases without a deadline come last, after their
  // own walk by id; a cursor on them (kNoDue) ends the deadline walk.
  const bool sqlite = db_.kind() == store::Kind::sqlite;
  auto by_deadline = [&](std::initializer_list<const char*> states, const std::string& rest) {
    auto walk = [&](const char* state, const std::string& due, const std::string& cond,
                    const char* order) {
      branches.push_back("SELECT * FROM (SELECT c.id AS id, " + due + " AS due FROM cases c" +
                         (sqlite ? " INDEXED BY cases_state_due" : "") + " WHERE c.state = '" +
                         state + "'" + rest + cond + " ORDER BY " + order + " LIMIT " +
                         q.bind(static_cast<std::int64_t>(limit + 1)) + ") AS walk");
    };
    const bool past_deadlines = after && after->due == kNoDue;
    for (const char* state : states) {
      // Bound only for the walk that uses them (placeholders without gaps).
      if (!past_deadlines) {
        const std::string due_after = after ? " AND c.resolve_due >= " + q.bind(after->due) +
                                                  " AND (c.resolve_due > " + q.bind(after->due) +
                                                  " OR c.id > " + q.bind(after->id) + ")"
                                            : "";
        walk(state, "c.resolve_due", " AND c.resolve_due IS NOT NULL" + due_after,
             "c.resolve_due, c.id");
      }
      const std::string none_after = past_deadlines ? " AND c.id > " + q.bind(after->id) : "";
      walk(state, std::to_string(kNoDue), " AND c.resolve_due IS NULL" + none_after, "c.id");
    }
  };
  std::size_t grants = 0;
  for (const auto& g : p.grants) {
    if (g.org_id && g.role == "property_staff") {
      per_state({"submitted", "accepted", "assigned", "in_progress", "resolved", "follow_up"},
                " AND c.handler_org_id = " + q.bind(g.org_id) + after_sql());
      ++grants;
      continue;
    }
    if (g.node_path.empty()) continue;
    auto levels = levels_of_role(g.role);
    std::string in_levels;
    for (const auto& l : levels) in_levels += (in_levels.empty() ? "'" : ", '") + l + "'";
    // Dispatching roles also see what waits for acceptance or verification.
    bool dispatcher = p.can("case.dispatch") && g.role != "first_secretary";
    if (in_levels.empty() && !dispatcher) continue;
    auto range = " AND " + auth::in_subtree_sql(q, g.node_path, "c.node_path");
    const bool walk = auth::whole_city(g.node_path);
    auto branch = [&](std::initializer_list<const char*> states, const std::string& rest) {
      walk ? by_deadline(states, rest) : per_state(states, rest + after_sql());
    };
    if (dispatcher) branch({"submitted", "accepted", "resolved", "follow_up"}, range);
    if (!in_levels.empty())
      branch({"assigned", "in_progress"}, range + " AND c.level IN (" + in_levels + ")");
    ++grants;
  }
  if (branches.empty()) return page_in_order("[", {}, static_cast<std::size_t>(limit));
  // SQLite: "LIMIT -1" keeps the branches from being flattened into the
  // page's ORDER BY (which sorts each branch into a temporary B-tree to merge
  // them), and CROSS JOIN keeps the page the outer loop, read as a
  // co-routine instead of a materialized table. One top-N sort of ids
  // remains; the page's rows are put in order here, not by a second ORDER BY
  // that copied all their columns through a sorter (callgrind).
  q << "SELECT " << kSummaryCols << " FROM (SELECT id, due FROM (";
  for (std::size_t i = 0; i < branches.size(); ++i)
    q << (i ? (grants > 1 ? " UNION " : " UNION ALL ") : "") << branches[i];
  q << (sqlite ? " LIMIT -1" : "") << ") arms ORDER BY due, id LIMIT "
    << q.bind(static_cast<std::int64_t>(limit + 1)) << ") page " << (sqlite ? "CROSS JOIN" : "JOIN")
    << " cases c ON c.id = page.id JOIN case_categories cat ON cat.id = "
       "+c.category_id";
  // Each row is written into the page as SQLite steps to it: no Row, no
  // Case, no copied strings (Db::each; callgrind: a quarter of a page went
  // into those copies).
  std::string text = "[";
  text.reserve(static_cast<std::size_t>(limit + 1) * 640);
  std::vector<PageRow> read;
  read.reserve(static_cast<std::size_t>(limit + 1));
  std::optional<SummaryColumns> at;
  const auto now = clock::now_ms();
  auto st = db_.each(q.text, q.params, [&](const store::RowView& r) -> Status {
    if (!at) at.emplace(r);
    auto c = view_of(r, *at);
    if (!read.empty()) text.push_back(',');
    PageRow row{c.resolve_due.value_or(kNoDue), c.id, text.size(), 0};
    append_case_summary(text, c, now);
    row.end = text.size();
    read.push_back(row);
    return {};
  });
  if (!st) return fail(st.error());
  return page_in_order(std::move(text), std::move(read), static_cast<std::size_t>(limit));
}

QueuePage page_in_order(std::string text, std::vector<PageRow> rows, std::size_t limit) {
  auto order = [](const PageRow& a, const PageRow& b) {
    return std::pair(a.due, a.id) < std::pair(b.due, b.id);
  };
  QueuePage out;
  if (std::is_sorted(rows.begin(), rows.end(), order)) {
    out.items = std::move(text);
    if (rows.size() > limit)  // the rows past the page, and the comma before them
      out.items.resize(rows[limit].begin - (limit ? 1 : 0));
  } else {
    // Never seen; the page is put together again in order.
    std::sort(rows.begin(), rows.end(), order);
    out.items = "[";
    for (std::size_t i = 0; i < rows.size() && i < limit; ++i) {
      if (i) out.items.push_back(',');
      out.items.append(text, rows[i].begin, rows[i].end - rows[i].begin);
    }
  }
  out.items.push_back(']');
  // limit + 1 rows read: the extra one says another page follows.
  if (rows.size() > limit && limit > 0)
    out.next = QueueCursor{rows[limit - 1].due, rows[limit - 1].id};
  return out;
}

Result<Json> CaseService::duplicates(const auth::Principal& p, std::int64_t node_id,
                                     std::int64_t category_id, const std::string& text) {
  auto n = db_.query("SELECT path FROM nodes WHERE id = $1", {node_id});
  if (!n) return fail(n.error());
  if (n->empty()) return fail(Error::not_found());
  auto grid = level_node((*n)[0].str("path"), "grid");
  if (!grid) return fail(grid.error());
  auto gpath = db_.one("SELECT path FROM nodes WHERE id = $1", {*grid});
  if (!gpath) return fail(gpath.error());
  CaseFilter f;
  f.state = "open";
  f.node_id = *grid;
  f.category_id = category_id;
  f.from_ms = clock::now_ms() - 30LL * 86400000;
  f.limit = 200;
  auto candidates = list(p, f);
  if (!candidates) return fail(candidates.error());
  Json out = Json::array();
  auto now = clock::now_ms();
  std::vector<std::pair<double, Json>> scored;
  for (const auto& c : *candidates) {
    double s = similarity(text, c.title + c.description);
    if (s < 0.15) continue;
    auto j = case_summary_json(c, now);
    j["similarity"] = std::round(s * 100) / 100;
    scored.emplace_back(s, std::move(j));
  }
  std::sort(scored.begin(), scored.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [s, j] : scored) out.push_back(std::move(j));
  return out;
}

// ---- intake ----

Result<std::int64_t> CaseService::level_node(const std::string& node_path,
                                             const std::string& level) {
  // Path ids by depth: district, street, community, grid, building, unit.
  static const std::vector<std::string> kinds = {"district", "street",   "community",
                                                 "grid",     "building", "unit"};
  auto ids = auth::path_ids(node_path);
  std::string kind = level == "department" ? "community" : level;
  for (std::size_t k = 0; k < kinds.size() && k < ids.size(); ++k)
    if (kinds[k] == kind) return ids[k];
  return ids.empty() ? fail(Error::not_found()) : Result<std::int64_t>(ids.back());
}

Result<CaseService::Place> CaseService::validate(const auth::Principal& p, CaseInput& in) {
  std::vector<FieldError> errs;
  auto len = [](const std::string& s) { return validate::utf8_length(s).value_or(100000); };
  if (in.title.empty() || len(in.title) > 60) errs.push_back({"title", "请用1到60个字概括问题"});
  if (in.description.empty() || len(in.description) > 2000)
    errs.push_back({"description", "请描述问题（不超过2000字）"});
  auto in_list = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  if (!in_list(kTypes, in.case_type))
    errs.push_back({"case_type", "请选择事项类型（大事、实事、要事、急事、难事）"});
  if (!in_list(kUrgencies, in.urgency)) errs.push_back({"urgency", "请选择紧急程度"});
  if (!in_list(kChannels, in.channel)) errs.push_back({"channel", "来源渠道不正确"});
  if (in.photos.size() > 9) errs.push_back({"photos", "最多上传9张照片"});
  if (!in.reporter_phone.empty())
    if (auto m = validate::mobile(in.reporter_phone)) errs.push_back({"reporter_phone", *m});
  if (len(in.address) > 200) errs.push_back({"address", "地址不能超过200字"});
  auto cat = db_.query("SELECT id, parent_id FROM case_categories WHERE id = $1 AND active = 1",
                       {in.category_id});
  if (!cat) return fail(cat.error());
  if (cat->empty()) errs.push_back({"category_id", "请选择诉求分类"});
  for (const auto& sha : in.photos) {
    auto b = db_.query("SELECT sha256 FROM blobs WHERE sha256 = $1", {sha});
    if (!b) return fail(b.error());
    if (b->empty()) errs.push_back({"photos", "照片未上传成功，请重新上传"});
  }
  // Where: a household, a node, or a map point located to its grid.
  // Residents report for their own household or places in their community
  // (or a map point); staff anywhere in their scope.
  std::string own_path;
  std::int64_t own_household = 0;
  Place place;
  if (p.can("case.report") && p.resident_id) {
    auto me =
        db_.one("SELECT household_id, node_path, name, phone_enc FROM residents WHERE id = $1",
                {p.resident_id});
    if (!me) return fail(me.error());
    own_household = me->i64("household_id");
    own_path = me->str("node_path");
    place.reporter_name = me->str("name");
    place.reporter_phone_enc = me->str("phone_enc");
  }
  std::string typed = in.address;
  if (in.household_id) {
    auto h = db_.query("SELECT node_id, node_path, address FROM households WHERE id = $1",
                       {in.household_id});
    if (!h) return fail(h.error());
    if (h->empty() || (own_household && in.household_id != own_household)) {
      errs.push_back({"household_id", "请选择您自己的住户，或改选小区里的地点"});
    } else {
      in.node_id = (*h)[0].i64("node_id");
      if (in.anonymous) {
        // Anonymous: the room would name the reporter; keep the unit only.
        in.household_id = 0;
        in.address =
            place_name(db_, (*h)[0].str("node_path")) + (typed.empty() ? "" : "，" + typed);
      } else {
        in.address = (*h)[0].str("address") + (typed.empty() ? "" : "，" + typed);
      }
    }
  } else if (!in.node_id && in.lat && in.lng) {
    auto grid = locate_grid(db_, *in.lat, *in.lng);
    if (!grid) return fail(grid.error());
    if (!*grid)
      errs.push_back({"lat", "该位置不在本系统管辖的网格内，请在地图上重新选择或选择楼栋"});
    else
      in.node_id = **grid;
  }
  if (!in.node_id && errs.empty())
    errs.push_back({"node_id", "请选择问题发生的位置（住户、楼栋或地图）"});
  if (!errs.empty()) return fail(Error::invalid("请检查填写的内容", errs));
  auto node = db_.query("SELECT path, name FROM nodes WHERE id = $1", {in.node_id});
  if (!node) return fail(node.error());
  if (node->empty())
    return fail(Error::invalid("请检查填写的内容", {{"node_id", "所选位置不存在"}}));
  auto path = (*node)[0].str("path");
  if (!p.can("case.report")) {
    if (auto a = auth::authorize(p, "case.create", path); !a) return fail(a.error());
  } else if (!own_path.empty() && !in.household_id && !(in.lat && in.lng)) {
    // A resident's place must be in their own community.
    if (!auth::in_subtree(path, auth::ancestor_path(own_path, 2)))
      return fail(Error::invalid("请检查填写的内容",
                                 {{"node_id", "请选择您所在社区里的地点，或在地图上选择"}}));
  }
  // A place without a household reads as its full name plus what was typed.
  // (Open311 clients send a whole address_string; it stands as given.)
  if (!in.household_id && in.address == typed && in.channel != "open311")
    in.address = place_name(db_, path) + (typed.empty() ? "" : "，" + typed);
  place.path = path;
  place.name = (*node)[0].str("name");
  return place;
}

Result<CaseService::Intake> CaseService::prepare_intake(const auth::Principal& p,
                                                        const CaseInput& in, const Place& place) {
  Intake k;
  k.in = &in;
  k.path = place.path;
  k.address = in.address.empty() ? place.name : in.address;
  auto limits = limits_for(in.case_type, in.urgency, in.category_id);
  if (!limits) return fail(limits.error());
  auto cal = work_calendar();
  k.now = clock::now_ms();
  k.accept_due = cal.add(k.now, limits->accept, limits->accept_u);
  k.resolve_due = cal.add(k.now, limits->resolve, limits->resolve_u);
  k.reporter_name = in.reporter_name;
  std::string phone = in.reporter_phone;
  if (p.can("case.report") && p.resident_id) {
    k.resident = p.resident_id;
    k.user = p.user_id;
    k.reporter_name = place.reporter_name;
    if (!place.reporter_phone_enc.empty())
      if (auto plain = crypto::open(place.reporter_phone_enc)) phone = *plain;
  }
  if (!phone.empty()) {
    k.phone_sealed = crypto::seal(phone);
    k.phone_mask = validate::mask_phone(phone);
  }
  // Whoever accepts at this place hears of it. The place's ancestors are the
  // ids along its path: index lookups on role_assignments_node (migration
  // 0012) instead of reading every grid and community worker's assignment.
  store::Sql dq;
  dq << "SELECT DISTINCT user_id FROM role_assignments WHERE role IN ('grid_worker', "
        "'community_staff') AND node_id IN (";
  auto ancestors = auth::path_ids(k.path);
  for (std::size_t i = 0; i < ancestors.size(); ++i) dq << (i ? ", " : "") << dq.bind(ancestors[i]);
  dq << (ancestors.empty() ? "NULL)" : ")");
  auto dispatchers = db_.query(dq.text, dq.params);
  if (!dispatchers) return fail(dispatchers.error());
  for (const auto& d : *dispatchers) k.dispatchers.push_back(d.i64("user_id"));
  return k;
}

Result<CaseService::Registered> CaseService::insert(store::Tx& tx, const Intake& k,
                                                    const auth::Actor& by,
                                                    std::vector<Json>& pending) {
  const CaseInput& in = *k.in;
  // The id first, so the code people read out on the phone (C + Shanghai date
  // + id) goes in with the row: no second write of the row and its indexes.
  // SQLite has one writer, so max + 1 is this transaction's; PostgreSQL draws
  // from the identity's sequence.
  auto next = tx.one(db_.kind() == store::Kind::postgres
                         ? "SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id"
                         : "SELECT COALESCE(MAX(id), 0) + 1 AS id FROM cases");
  if (!next) return fail(next.error());
  auto id = next->i64("id");
  auto day = calendar::shanghai_day(k.now);
  auto code =
      fmt::format("C{}{}{}-{:06d}", day.substr(0, 4), day.substr(5, 2), day.substr(8, 2), id);
  auto opt = [](std::int64_t v) { return v ? store::Value{v} : store::null(); };
  auto opt_text = [](const std::string& v) { return v.empty() ? store::null() : store::Value{v}; };
  auto r = tx.send(
      "INSERT INTO cases (id, code, title, description, category_id, case_type, urgency, channel, "
      "state, level, node_id, node_path, household_id, lat, lng, address, reporter_resident_id, "
      "reporter_user_id, reporter_name, reporter_phone_enc, reporter_phone_mask, anonymous, "
      "open311_token, accept_due, resolve_due, created_at, updated_at) VALUES ($1, $2, $3, $4, "
      "$5, $6, $7, $8, 'submitted', 'grid', $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
      "$20, $21, $22, $23, $24, $24)",
      {id,
       code,
       in.title,
       in.description,
       in.category_id,
       in.case_type,
       in.urgency,
       in.channel,
       in.node_id,
       k.path,
       opt(in.household_id),
       in.lat ? store::Value{*in.lat} : store::null(),
       in.lng ? store::Value{*in.lng} : store::null(),
       k.address,
       opt(k.resident),
       opt(k.user),
       k.reporter_name,
       opt_text(k.phone_sealed),
       opt_text(k.phone_mask),
       static_cast<std::int64_t>(in.anonymous ? 1 : 0),
       opt_text(in.open311_token),
       k.accept_due,
       k.resolve_due,
       k.now});
  if (!r) return fail(r.error());
  if (auto s = search::add(tx, db_.kind(), id, {in.title, in.description, k.address, k.path}); !s)
    return fail(s.error());
  for (const auto& sha : in.photos)
    if (auto ph =
            tx.send("INSERT INTO case_photos (case_id, sha256, stage) VALUES ($1, $2, 'report')",
                    {id, sha});
        !ph)
      return fail(ph.error());
  Case c;  // what the timeline entry reads of the new case
  c.id = id;
  c.state = "submitted";
  c.level = "grid";
  if (auto e = event(tx, c, by, "submit", "submitted", "", channel_name(in.channel)); !e)
    return fail(e.error());
  if (auto n = notifier_.add(tx, k.dispatchers,
                             {"assignment", id, "新诉求待受理：" + in.title, code}, pending);
      !n)
    return fail(n.error());
  // Last: on PostgreSQL this takes the audit chain's lock, held to the commit.
  if (auto a = auth::record(tx, by, {"case.create", "case", id, k.path, "登记诉求 " + code}); !a)
    return fail(a.error());
  return Registered{id, code, k.accept_due};
}

namespace {
// Intake spends nothing and only adds rows; the one thing to order is the
// audit chain, and auth::record takes its lock (at the end of insert(), so
// it is held only for the audit entry and the commit). serialize_on() first
// runs the transaction at READ COMMITTED on PostgreSQL (store/db.hpp):
// intakes no longer fail serialization under SERIALIZABLE and retry. Its key
// is this transaction's own, so nobody waits on it. SQLite: one writer anyway.
Status read_committed(store::Tx& tx) {
  return tx.serialize_on("linli:intake:" + crypto::random_token());
}
}  // namespace

Result<CaseService::Registered> CaseService::create(const auth::Principal& p,
                                                    const CaseInput& input, const auth::Actor& by) {
  if (!p.can("case.create") && !p.can("case.report")) return fail(Error::forbidden());
  CaseInput in = input;
  auto place = validate(p, in);
  if (!place) return fail(place.error());
  auto k = prepare_intake(p, in, *place);
  if (!k) return fail(k.error());
  Registered made;
  std::vector<Json> pending;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto rc = read_committed(tx); !rc) return rc;
    pending.clear();
    auto r = insert(tx, *k, by, pending);
    if (!r) return fail(r.error());
    made = std::move(*r);
    return {};
  });
  if (!w) return fail(w.error());
  notifier_.flush(pending);
  return made;
}

Result<std::vector<Case>> CaseService::create_batch(const auth::Principal& p,
                                                    const std::vector<CaseInput>& inputs,
                                                    const auth::Actor& by) {
  if (!p.can("case.create")) return fail(Error::forbidden());
  if (inputs.empty() || inputs.size() > 100) return fail(Error::invalid("一次可登记1到100条诉求"));
  // Every row's problems at once, so a meeting secretary fixes them in one go.
  std::vector<CaseInput> checked = inputs;
  std::vector<Place> places(checked.size());
  Error all = Error::invalid("请检查填写的内容");
  for (std::size_t i = 0; i < checked.size(); ++i) {
    auto v = validate(p, checked[i]);
    if (v) {
      places[i] = std::move(*v);
      continue;
    }
    if (v.error().kind != ErrorKind::invalid) return fail(v.error());
    for (auto f : v.error().errors) {
      f.field = fmt::format("cases[{}].{}", i, f.field);
      all.errors.push_back(std::move(f));
    }
  }
  if (!all.errors.empty()) return fail(all);
  std::vector<Intake> intakes;
  for (std::size_t i = 0; i < checked.size(); ++i) {
    auto k = prepare_intake(p, checked[i], places[i]);
    if (!k) return fail(k.error());
    intakes.push_back(std::move(*k));
  }
  std::vector<std::int64_t> ids;
  std::vector<Json> pending;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto rc = read_committed(tx); !rc) return rc;
    ids.clear();
    pending.clear();
    for (const auto& k : intakes) {
      auto r = insert(tx, k, by, pending);
      if (!r) return fail(r.error());
      ids.push_back(r->id);
    }
    return {};
  });
  if (!w) return fail(w.error());
  notifier_.flush(pending);
  std::vector<Case> out;
  for (auto id : ids)
    if (auto c = get(p, id)) out.push_back(std::move(*c));
  return out;
}

}  // namespace linli::cases
