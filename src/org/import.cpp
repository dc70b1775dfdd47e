// Residents in and out of spreadsheets: a CSV import that checks every row
// before touching anything and applies all or nothing, and a masked export.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "auth/scope_sql.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/csv.hpp"
#include "core/validate.hpp"
#include "org/place.hpp"
#include "org/service.hpp"
#include "points/service.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace linli::org {
namespace {

const std::vector<std::string> kRequired = {"姓名", "性别", "身份证号", "网格",
                                            "楼栋", "单元", "房号"};
const std::vector<std::string> kOptional = {"出生日期", "与户主关系", "手机号", "标签"};

// One checked row, ready to write. Personal numbers are sealed, masked and
// blind-indexed before the write transaction (seal()), so the writer only
// inserts.
struct Planned {
  int row = 0;
  std::string name, gender, birth_date, relation, phone, id_number, tags, room;
  std::int64_t unit_id = 0;
  const std::string* unit_path = nullptr;  // owned by Importer::nodes_
  std::int64_t household_id = 0;           // 0: create for (unit_id, room)
  std::int64_t existing_id = 0;            // 0: a new resident
  bool changed = true;
  std::string id_hash, phone_hash;                     // computed while checking
  std::string id_enc, id_mask, phone_enc, phone_mask;  // computed by seal()
};

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (std::size_t i = 0; i < s.size();) {
    // Separators staff type: 、 ， ； (3-byte UTF-8) and , ; |
    if (s.compare(i, 3, "、") == 0 || s.compare(i, 3, "，") == 0 || s.compare(i, 3, "；") == 0) {
      flush();
      i += 3;
    } else if (s[i] == ',' || s[i] == ';' || s[i] == '|' || s[i] == ' ') {
      flush();
      ++i;
    } else {
      cur += s[i++];
    }
  }
  flush();
  return out;
}

// Runs fn(begin, end) over [0, n) on up to `threads` threads.
template <class Fn>
void in_parallel(std::size_t n, Fn fn) {
  std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (n < 2000) threads = 1;
  std::vector<std::thread> pool;
  std::size_t step = (n + threads - 1) / threads;
  for (std::size_t t = 1; t < threads && t * step < n; ++t)
    pool.emplace_back([&, t] { fn(t * step, std::min(n, (t + 1) * step)); });
  fn(0, std::min(n, step));
  for (auto& th : pool) th.join();
}

// Rows per multi-row INSERT: 15 columns × 200 stays under SQLite's 32766
// and PostgreSQL's 65535 parameters, and amortises a statement over many rows.
constexpr std::size_t kInsertBatch = 200;
// Blind indexes per look-up of existing residents.
constexpr std::size_t kMatchBatch = 500;

class Importer {
 public:
  Importer(store::Db& db, const auth::Principal& p, const ImportProgress& progress)
      : db_(db), p_(p), progress_(progress) {}

  // Checks every row; look-ups go to the database once per place (node,
  // unit's households) and once per kMatchBatch rows (existing residents),
  // never once per row.
  Status plan(const std::vector<csv::Record>& records, ImportReport& report) {
    if (records.empty()) {
      report.errors.push_back({1, "", "文件是空的，请使用模板填写后再导入"});
      return {};
    }
    if (!read_header(records[0], report)) return {};
    // A chunk's rows are checked on every core, then placed in file order.
    constexpr std::size_t kChunk = 1 << 16;
    std::vector<Checked> checked;
    for (std::size_t from = 1; from < records.size(); from += kChunk) {
      std::size_t to = std::min(records.size(), from + kChunk);
      checked.assign(to - from, Checked{});
      in_parallel(to - from, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) checked[i] = check_row(records[from + i]);
      });
      for (std::size_t i = from; i < to; ++i) {
        if (std::all_of(records[i].begin(), records[i].end(),
                        [](const std::string& c) { return c.empty(); }))
          continue;
        ++report.rows;
        if (auto s = place_row(static_cast<int>(i + 1), records[i], checked[i - from], report); !s)
          return s;
      }
      // The last chunk's count is reported once the existing residents are matched.
      if (progress_ && to < records.size())
        progress_("检查", long(to - 1), long(records.size() - 1));
    }
    if (auto s = match_existing(report); !s) return s;
    std::stable_sort(report.errors.begin(), report.errors.end(),
                     [](const auto& a, const auto& b) { return a.row < b.row; });
    for (const auto& pl : planned) {
      if (!pl.existing_id)
        ++report.created;
      else if (pl.changed)
        ++report.updated;
      else
        ++report.unchanged;
    }
    if (progress_) progress_("检查", long(records.size() - 1), long(records.size() - 1));
    return {};
  }

  // Seals, masks and indexes the rows to be written, on every core.
  void seal() {
    std::erase_if(planned, [](const Planned& pl) { return pl.existing_id && !pl.changed; });
    in_parallel(planned.size(), [this](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) {
        auto& pl = planned[i];
        pl.id_enc = crypto::seal(pl.id_number);
        pl.id_mask = validate::mask_id_number(pl.id_number);
        if (!pl.phone.empty()) {
          pl.phone_enc = crypto::seal(pl.phone);
          pl.phone_mask = validate::mask_phone(pl.phone);
        }
      }
    });
  }

  std::vector<Planned> planned;

 private:
  bool read_header(const csv::Record& h, ImportReport& report) {
    for (std::size_t i = 0; i < h.size(); ++i) col_[h[i]] = i;
    for (const auto& c : kRequired)
      if (!col_.count(c)) report.errors.push_back({1, c, "缺少必填列“" + c + "”，请使用模板"});
    for (const auto& c : kRequired) idx_.push_back(col_.count(c) ? col_[c] : SIZE_MAX);
    for (const auto& c : kOptional) idx_.push_back(col_.count(c) ? col_[c] : SIZE_MAX);
    return report.errors.empty();
  }

  // Column k of kRequired followed by kOptional, trimmed.
  std::string cell(const csv::Record& r, std::size_t k) const {
    std::size_t i = idx_[k];
    if (i >= r.size()) return {};
    const std::string& v = r[i];
    auto b = v.find_first_not_of(" \t");
    auto e = v.find_last_not_of(" \t");
    return b == std::string::npos ? "" : v.substr(b, e - b + 1);
  }
  enum Col : std::size_t {
    kName,
    kGender,
    kId,
    kGrid,
    kBuilding,
    kUnit,
    kRoom,
    kBirth,
    kRelation,
    kPhone,
    kTags
  };

  struct NodeRef {
    std::int64_t id = 0;
    std::string path;
  };

  Result<const NodeRef*> lookup_node(const std::string& kind, const std::string& name,
                                     std::int64_t parent) {
    if (!parent) return lookup_grid(name);
    std::string key = fmt::format("{}|{}|{}", kind, parent, name);
    if (auto it = nodes_.find(key); it != nodes_.end()) return it->second ? &*it->second : nullptr;
    store::Sql q;
    q << "SELECT id, path FROM nodes WHERE kind = " << q.bind(kind)
      << " AND name = " << q.bind(name) << " AND parent_id = " << q.bind(parent);
    auth::and_in_scope(q, p_, "resident.import", "path");
    q << " ORDER BY id LIMIT 2";
    auto rows = db_.query(q.text, q.params);
    if (!rows) return fail(rows.error());
    std::optional<NodeRef> found;
    if (rows->size() == 1) found = NodeRef{(*rows)[0].i64("id"), (*rows)[0].str("path")};
    auto& slot = nodes_.emplace(key, std::move(found)).first->second;
    return slot ? &*slot : nullptr;
  }

  // Grids are found by name alone and names carry no index: every grid in
  // scope is read in one pass the first time (a query per grid read the whole
  // territory each time). A name two grids share matches neither.
  Result<const NodeRef*> lookup_grid(const std::string& name) {
    if (!grids_loaded_) {
      store::Sql q;
      q << "SELECT id, path, name FROM nodes WHERE kind = 'grid'";
      auth::and_in_scope(q, p_, "resident.import", "path");
      q << " ORDER BY id";
      auto rows = db_.query(q.text, q.params);
      if (!rows) return fail(rows.error());
      for (const auto& r : *rows) {
        auto [it, fresh] = grids_.try_emplace(r.str("name"), NodeRef{r.i64("id"), r.str("path")});
        if (!fresh) it->second.reset();
      }
      grids_loaded_ = true;
    }
    auto it = grids_.find(name);
    return it != grids_.end() && it->second ? &*it->second : nullptr;
  }

  // The unit's households by room, read once per unit.
  Result<const std::unordered_map<std::string, std::int64_t>*> households_of(std::int64_t unit) {
    if (auto it = households_.find(unit); it != households_.end()) return &it->second;
    auto rows = db_.query("SELECT id, room FROM households WHERE node_id = $1", {unit});
    if (!rows) return fail(rows.error());
    auto& m = households_[unit];
    for (const auto& r : *rows) m.emplace(r.str("room"), r.i64("id"));
    return &m;
  }

  // What a row says on its own: its cells checked without the database or
  // the file's other rows, so rows are checked on every core (const: reads
  // only the header's column map). The blind indexes, a keyed hash each, are
  // computed here too.
  struct Checked {
    Planned pl;
    std::vector<std::pair<std::string, std::string>> bad;  // column, message
    bool id_ok = false;                                    // the ID number is well formed
  };

  Checked check_row(const csv::Record& r) const {
    Checked c;
    Planned& pl = c.pl;
    auto bad = [&](const char* col, std::string msg) { c.bad.emplace_back(col, std::move(msg)); };
    pl.name = cell(r, kName);
    auto len = validate::utf8_length(pl.name);
    if (pl.name.empty())
      bad("姓名", "姓名不能为空");
    else if (!len || *len > 30)
      bad("姓名", "姓名不能超过30个字");
    auto gender = cell(r, kGender);
    if (gender != "男" && gender != "女") bad("性别", "性别应填“男”或“女”");
    pl.id_number = validate::normalize_id_number(cell(r, kId));
    if (auto m = validate::id_number(pl.id_number)) {
      bad("身份证号", *m);
    } else {
      c.id_ok = true;
      if ((gender == "男") != (validate::gender_from_id(pl.id_number) == 'M') && !gender.empty())
        bad("性别", "性别与身份证号不一致");
    }
    pl.birth_date = cell(r, kBirth);
    if (!pl.birth_date.empty() && !validate::is_date(pl.birth_date))
      bad("出生日期", "出生日期应为 YYYY-MM-DD");
    pl.phone = cell(r, kPhone);
    if (!pl.phone.empty())
      if (auto m = validate::mobile(pl.phone)) bad("手机号", *m);
    pl.relation = cell(r, kRelation);
    if (!pl.relation.empty() &&
        std::find(kRelations.begin(), kRelations.end(), pl.relation) == kRelations.end())
      bad("与户主关系", "应为户主、配偶、子女、父母、孙子女、兄弟姐妹或其他");
    auto tags = split_tags(cell(r, kTags));
    for (const auto& t : tags)
      if (std::find(kCareTags.begin(), kCareTags.end(), t) == kCareTags.end())
        bad("标签", "未知的标签“" + t + "”");
    pl.room = cell(r, kRoom);
    if (pl.room.empty() || pl.room.size() > 16) bad("房号", "请填写房号，如 301");
    if (!c.bad.empty()) return c;
    pl.gender = gender == "男" ? "M" : "F";
    if (pl.birth_date.empty()) pl.birth_date = validate::birth_date_from_id(pl.id_number);
    for (const auto& t : tags) pl.tags += (pl.tags.empty() ? "" : ",") + t;
    pl.id_hash = crypto::blind_index(pl.id_number);
    if (!pl.phone.empty()) pl.phone_hash = crypto::blind_index(pl.phone);
    return c;
  }

  // What needs the file's earlier rows and the database: a repeated ID
  // number, and the row's place.
  Status place_row(int row, const csv::Record& r, Checked& c, ImportReport& report) {
    auto bad = [&](const std::string& col, const std::string& msg) {
      report.errors.push_back({row, col, msg});
    };
    std::size_t before = report.errors.size();
    for (const auto& [col, msg] : c.bad) bad(col, msg);
    if (c.id_ok && !ids_.insert(c.pl.id_number).second) bad("身份证号", "与文件中前面的行重复");
    c.pl.row = row;
    if (auto s = place(c.pl, r, bad); !s) return s;
    if (report.errors.size() != before) return {};
    planned.push_back(std::move(c.pl));
    return {};
  }

  template <class Bad>
  Status place(Planned& pl, const csv::Record& r, Bad& bad) {
    auto grid_name = cell(r, kGrid), building_name = cell(r, kBuilding), unit_name = cell(r, kUnit);
    const NodeRef* unit_ref = nullptr;
    if (last_unit_ref_ && grid_name == last_grid_ && building_name == last_building_ &&
        unit_name == last_unit_) {
      unit_ref = last_unit_ref_;
    } else {
      auto grid = lookup_node("grid", grid_name, 0);
      if (!grid) return fail(grid.error());
      if (!*grid) return bad("网格", "网格“" + grid_name + "”不存在或不在您的管辖范围"), Status{};
      auto building = lookup_node("building", building_name, (*grid)->id);
      if (!building) return fail(building.error());
      if (!*building) return bad("楼栋", "该网格下没有楼栋“" + building_name + "”"), Status{};
      auto unit = lookup_node("unit", unit_name, (*building)->id);
      if (!unit) return fail(unit.error());
      if (!*unit) return bad("单元", "该楼栋下没有单元“" + unit_name + "”"), Status{};
      unit_ref = *unit;
      last_grid_ = std::move(grid_name), last_building_ = std::move(building_name);
      last_unit_ = std::move(unit_name), last_unit_ref_ = unit_ref;
    }
    pl.unit_id = unit_ref->id;
    pl.unit_path = &unit_ref->path;
    auto h = households_of(pl.unit_id);
    if (!h) return fail(h.error());
    if (auto it = (*h)->find(pl.room); it != (*h)->end()) pl.household_id = it->second;
    return {};
  }

  // Residents already registered with these ID numbers, kMatchBatch at a time.
  Status match_existing(ImportReport& report) {
    std::vector<std::size_t> gone;  // planned rows refused here
    for (std::size_t b = 0; b < planned.size(); b += kMatchBatch) {
      std::size_t e = std::min(planned.size(), b + kMatchBatch);
      // The numbers drive the join (SQLite keeps a CROSS JOIN's order): one
      // look-up in the unique index each, whatever the planner's statistics
      // say. With `id_hash IN (…)` and statistics from a near-empty city,
      // SQLite scanned the whole table for every batch: a second import of
      // 1M rows ran for over ten minutes.
      std::string sql =
          "SELECT r.id, r.household_id, r.node_path, r.name, r.gender, r.birth_date, r.relation, "
          "r.phone_hash, r.tags, r.id_hash FROM (VALUES ";
      store::Params params;
      params.reserve(e - b);
      std::unordered_map<std::string_view, std::size_t> at;
      for (std::size_t i = b; i < e; ++i) {
        params.emplace_back(planned[i].id_hash);
        sql += (i > b ? ", ($" : "($") + std::to_string(i - b + 1) + ")";
        at.emplace(planned[i].id_hash, i);
      }
      sql += ") AS v CROSS JOIN residents r WHERE r.id_hash = v.column1";
      auto rows = db_.query(sql, params);
      if (!rows) return fail(rows.error());
      for (const auto& ex : *rows) {
        auto it = at.find(ex.str("id_hash"));
        if (it == at.end()) continue;
        auto& pl = planned[it->second];
        if (!auth::authorize(p_, "resident.import", ex.str("node_path"))) {
          report.errors.push_back(
              {pl.row, "身份证号", "该居民已在您管辖范围以外登记，请联系其所在社区"});
          gone.push_back(it->second);
          continue;
        }
        pl.existing_id = ex.i64("id");
        pl.changed = ex.i64("household_id") != pl.household_id || ex.str("name") != pl.name ||
                     ex.str("gender") != pl.gender || ex.str("birth_date") != pl.birth_date ||
                     ex.str("relation") != pl.relation || ex.str("phone_hash") != pl.phone_hash ||
                     ex.str("tags") != pl.tags;
      }
      if (progress_ && (b / kMatchBatch) % 200 == 0)
        progress_("比对已登记居民", long(e), long(planned.size()));
    }
    std::sort(gone.begin(), gone.end());
    for (auto i = gone.rbegin(); i != gone.rend(); ++i)
      planned.erase(planned.begin() + std::ptrdiff_t(*i));
    return {};
  }

  store::Db& db_;
  const auth::Principal& p_;
  const ImportProgress& progress_;
  std::map<std::string, std::size_t> col_;
  std::vector<std::size_t> idx_;
  // Node-based maps: the addresses of their values stay put.
  std::unordered_map<std::string, std::optional<NodeRef>> nodes_, grids_;
  bool grids_loaded_ = false;
  // The previous row's place: rows of a household or unit come together.
  std::string last_grid_, last_building_, last_unit_;
  const NodeRef* last_unit_ref_ = nullptr;
  std::unordered_map<std::int64_t, std::unordered_map<std::string, std::int64_t>> households_;
  std::unordered_set<std::string> ids_;
};

// "INSERT INTO table (cols) VALUES ($1, …), (…) …" for n rows.
std::string multi_insert(std::string_view head, std::size_t cols, std::size_t n,
                         std::string_view tail = "") {
  return std::string(head) + store::values_rows(n, cols) + std::string(tail);
}

// Makes SQLite keep the whole import's changes in memory until COMMIT. By
// default the writer's 32 MB page cache spills dirty pages into the WAL in
// the middle of the transaction; every later read of such a page searches the
// WAL index and reads the file again, and the cost grows with the WAL
// (superlinear: 100k rows 22.8 s, 1M rows over 2 minutes). `cache_spill=OFF`
// only takes effect outside a transaction, so this raises the spill threshold
// (in pages) instead, which applies at once; 1 restores the default (spill
// when the cache is full). A pragma acts when it is compiled, so it goes
// through sqlite3_exec, never the statement cache.
class SqliteBulkCache {
 public:
  SqliteBulkCache(store::Tx& tx, bool on) : tx_(tx), on_(on) {
    if (on_) (void)store::sqlite::exec_script_in(tx_, "PRAGMA cache_spill = 2000000000");
  }
  ~SqliteBulkCache() {
    if (on_) (void)store::sqlite::exec_script_in(tx_, "PRAGMA cache_spill = 1");
  }
  SqliteBulkCache(const SqliteBulkCache&) = delete;
  SqliteBulkCache& operator=(const SqliteBulkCache&) = delete;

 private:
  store::Tx& tx_;
  bool on_;
};

// A load larger than the residents already there builds the table's
// secondary indexes once at the end (SQLite sorts the keys) instead of
// inserting a million random keys into each of them: measured on 1M rows,
// 41 s → 25 s of CPU, and the ID number's unique index (a column constraint
// until migration 0016) another 3 s of wall time. Inside the import's
// transaction, so a failure puts them back with everything else. Set aside,
// the unique index checks nothing until it is rebuilt; the plan has already
// matched every ID number to the file's other rows and to the residents
// registered, so only one registered in between can collide, and then the
// rebuild fails the import. Indexes are read from the schema, so one added
// by a later migration is kept too.
class SqliteIndexesAside {
 public:
  SqliteIndexesAside(store::Tx& tx, bool sqlite) : tx_(tx), sqlite_(sqlite) {}

  Status drop_if_worth(std::size_t rows) {
    if (!sqlite_ || rows < 10000) return {};
    auto have = tx_.one("SELECT COALESCE(MAX(id), 0) AS n FROM residents");
    if (!have) return fail(have.error());
    if (std::int64_t(rows) < have->i64("n")) return {};
    auto idx = tx_.query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'residents' "
        "AND sql IS NOT NULL");
    if (!idx) return fail(idx.error());
    std::string drop;
    for (const auto& r : *idx) {
      create_ += r.str("sql") + ";\n";
      drop += "DROP INDEX \"" + r.str("name") + "\";\n";
    }
    if (drop.empty()) return {};
    return store::sqlite::exec_script_in(tx_, drop);
  }

  bool dropped() const { return !create_.empty(); }

  Status rebuild() {
    if (create_.empty()) return {};
    auto built = store::sqlite::exec_script_in(tx_, std::exchange(create_, {}));
    if (!built && built.error().kind == ErrorKind::conflict)
      return fail(Error::conflict("导入期间有相同身份证号的居民被登记，请重新导入"));
    return built;
  }

 private:
  store::Tx& tx_;
  bool sqlite_;
  std::string create_;
};

// The households the planned rows need and do not have yet, 200 to a
// statement whatever their unit, each unit's address read once. SQLite (one
// writer) numbers them from MAX(id) + 1, so it needs no RETURNING, which
// builds a temporary table per statement; PostgreSQL hands the ids back.
// Measured on 1M residents (364k households in 16.5k units): a statement per
// unit with RETURNING took about 2 s.
Status add_households(store::Tx& tx, bool sqlite, std::vector<Planned>& planned, std::int64_t now) {
  struct Fresh {
    std::int64_t unit;
    const std::string* path;
    std::string room, address;
    std::int64_t id = 0;
  };
  struct Unit {
    std::optional<std::string> address;
    std::unordered_map<std::string, std::size_t> rooms;  // room → index in fresh
  };
  // In the file's order, so household ids follow it as residents' ids do.
  std::unordered_map<std::int64_t, Unit> units;
  std::vector<Fresh> fresh;
  for (auto& pl : planned) {
    if (pl.household_id) continue;
    auto& u = units[pl.unit_id];
    if (!u.rooms.try_emplace(pl.room, fresh.size()).second) continue;
    if (!u.address) {
      auto address = place_name(tx, *pl.unit_path);
      if (!address) return fail(address.error());
      u.address = std::move(*address);
    }
    fresh.push_back({pl.unit_id, pl.unit_path, pl.room, *u.address + pl.room + "室"});
  }
  if (fresh.empty()) return {};
  std::int64_t next = 0;
  if (sqlite) {
    auto top = tx.one("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM households");
    if (!top) return fail(top.error());
    next = top->i64("id");
  }
  const std::string head = "INSERT INTO households (" + std::string(sqlite ? "id, " : "") +
                           "node_id, node_path, room, address, created_at, updated_at)";
  const std::size_t cols = sqlite ? 7 : 6;
  for (std::size_t b = 0; b < fresh.size(); b += kInsertBatch) {
    std::size_t n = std::min(kInsertBatch, fresh.size() - b);
    store::Params params;
    params.reserve(n * cols);
    for (std::size_t i = b; i < b + n; ++i) {
      auto& f = fresh[i];
      if (sqlite) params.emplace_back(f.id = next++);
      params.insert(params.end(), {f.unit, *f.path, f.room, f.address, now, now});
    }
    if (sqlite) {
      if (auto r = tx.send(multi_insert(head, cols, n), params); !r) return r;
      continue;
    }
    auto r = tx.query(multi_insert(head, cols, n, " RETURNING id, node_id, room"), params);
    if (!r) return fail(r.error());
    for (const auto& row : *r)
      fresh[units.at(row.i64("node_id")).rooms.at(row.str("room"))].id = row.i64("id");
  }
  for (auto& pl : planned)
    if (!pl.household_id) pl.household_id = fresh[units.at(pl.unit_id).rooms.at(pl.room)].id;
  return {};
}

// Fresh planner statistics for the tables an import grows, sampled (a few ms
// on 1M rows), in the import's transaction: statistics from a near-empty
// city mislead every later query on them (see match_existing). Readers see
// them after the index rebuild changes the schema, or when they reopen.
Status refresh_statistics(store::Tx& tx) {
  return store::sqlite::exec_script_in(
      tx, "PRAGMA analysis_limit = 1000; ANALYZE residents; ANALYZE households");
}

}  // namespace

Result<ImportReport> OrgService::import_residents(const auth::Principal& p,
                                                  std::string_view csv_text, bool dry_run,
                                                  const auth::Actor& by,
                                                  const ImportProgress& progress) {
  if (!p.can("resident.import")) return fail(Error::forbidden());
  ImportReport report;
  report.dry_run = dry_run;
  if (progress) progress("读取文件", 0, 1);
  // Staff save either CSV or the Excel workbook itself; a ZIP signature tells.
  auto records =
      csv_text.starts_with("PK\x03\x04") ? xlsx::read_first_sheet(csv_text) : csv::parse(csv_text);
  if (!records) {
    report.errors.push_back({0, "", records.error().detail});
    return report;
  }
  if (progress) progress("读取文件", 1, 1);
  Importer imp(db_, p, progress);
  if (auto s = imp.plan(*records, report); !s) return fail(s.error());
  records->clear();
  records->shrink_to_fit();
  if (dry_run || !report.errors.empty()) return report;
  if (progress) progress("加密个人信息", 0, long(imp.planned.size()));
  imp.seal();
  if (progress) progress("加密个人信息", long(imp.planned.size()), long(imp.planned.size()));
  bool sqlite = db_.kind() == store::Kind::sqlite;
  bool ran = false;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    // The plan is spent by the first run (households assigned, values moved
    // into statements): a retry after a PostgreSQL serialization failure
    // must not write from it.
    if (std::exchange(ran, true))
      return fail(Error::conflict("导入期间居民数据被其他操作修改，请重新导入"));
    SqliteBulkCache bulk(tx, sqlite);
    auto now = clock::now_ms();
    if (auto h = add_households(tx, sqlite, imp.planned, now); !h) return h;
    // Residents: every column in one multi-row INSERT; changed ones updated.
    std::vector<Planned*> fresh;
    std::vector<store::Params> spent;
    for (auto& pl : imp.planned) {
      if (!pl.existing_id) {
        fresh.push_back(&pl);
        continue;
      }
      ResidentInput in;
      in.household_id = pl.household_id;
      in.name = pl.name, in.gender = pl.gender, in.birth_date = pl.birth_date;
      in.relation = pl.relation, in.phone = pl.phone, in.id_number = pl.id_number;
      in.tags = split_tags(pl.tags);
      if (auto s = write_resident(tx, pl.existing_id, in, *pl.unit_path); !s) {
        Error e = s.error();
        e.detail = fmt::format("第{}行：{}", pl.row, e.detail);
        return fail(e);
      }
    }
    SqliteIndexesAside indexes(tx, sqlite);
    if (auto s = indexes.drop_if_worth(fresh.size()); !s) return s;
    constexpr std::size_t kCols = 15;
    for (std::size_t b = 0; b < fresh.size(); b += kInsertBatch) {
      std::size_t n = std::min(kInsertBatch, fresh.size() - b);
      store::Params params;
      params.reserve(n * kCols);
      for (std::size_t i = b; i < b + n; ++i) {
        Planned& pl = *fresh[i];
        auto text_or_null = [](std::string& s) {
          return s.empty() ? store::null() : store::Value{std::move(s)};
        };
        params.emplace_back(pl.household_id);
        params.emplace_back(*pl.unit_path);
        params.emplace_back(std::move(pl.name));
        params.emplace_back(std::move(pl.gender));
        params.emplace_back(text_or_null(pl.birth_date));
        params.emplace_back(std::move(pl.relation));
        params.emplace_back(text_or_null(pl.phone_enc));
        params.emplace_back(text_or_null(pl.phone_mask));
        params.emplace_back(text_or_null(pl.phone_hash));
        params.emplace_back(std::move(pl.id_enc));
        params.emplace_back(std::move(pl.id_mask));
        params.emplace_back(std::move(pl.id_hash));
        params.emplace_back(std::move(pl.tags));
        params.emplace_back(now);
        params.emplace_back(now);
      }
      auto r = tx.exec(multi_insert("INSERT INTO residents (household_id, node_path, name, "
                                    "gender, birth_date, relation, phone_enc, phone_mask, "
                                    "phone_hash, id_enc, id_mask, id_hash, tags, created_at, "
                                    "updated_at)",
                                    kCols, n),
                       params);
      if (!r) {
        Error e = r.error();
        if (e.kind == ErrorKind::conflict)
          e = Error::invalid("请检查填写的内容", {{"id_number", "该身份证号已登记在其他居民名下"}});
        e.detail = fmt::format("第{}–{}行：{}", fresh[b]->row, fresh[b + n - 1]->row, e.detail);
        return fail(e);
      }
      // Freed after the transaction, not between batches: small frees
      // interleaved with SQLite's page allocations made glibc consolidate its
      // free lists again and again (unlink_chunk, 10 % of a 1M-row import).
      spent.push_back(std::move(params));
      if (progress && (b / kInsertBatch) % 250 == 0)
        progress("写入", long(b + n), long(fresh.size()));
    }
    if (progress) progress("写入", long(fresh.size()), long(fresh.size()));
    if (indexes.dropped()) {
      if (progress) progress("建立索引", 0, 1);
      if (auto s = indexes.rebuild(); !s) return s;
      if (progress) progress("建立索引", 1, 1);
    }
    if (sqlite)
      if (auto s = refresh_statistics(tx); !s) return s;
    if (progress) progress("保存", 0, 1);
    return auth::record(tx, by,
                        {"resident.import", "resident", 0, "",
                         fmt::format("导入居民：共{}行，新增{}，更新{}，未变{}", report.rows,
                                     report.created, report.updated, report.unchanged)});
  });
  if (w && progress) progress("保存", 1, 1);
  // Back to spilling when the cache is full (the reset inside the write does
  // not run when a statement failed), and hand back the pages the import
  // held: the writer's cache returns to its usual size.
  if (sqlite)
    (void)db_.write([](store::Tx& tx) {
      return store::sqlite::exec_script_in(tx, "PRAGMA cache_spill = 1; PRAGMA shrink_memory");
    });
  if (!w) return fail(w.error());
  return report;
}

Result<std::vector<std::vector<std::string>>> OrgService::export_residents(const auth::Principal& p,
                                                                           std::int64_t node_id,
                                                                           const auth::Actor& by) {
  auto n = node(p, node_id, "resident.export");
  if (!n) return fail(n.error());
  std::vector<std::vector<std::string>> rows = {{"姓名", "性别", "出生日期", "年龄", "与户主关系",
                                                 "手机号", "身份证号", "住址", "标签", "荣誉"}};
  auto honours = points::honours_in(db_, n->path);
  if (!honours) return fail(honours.error());
  std::int64_t after = 0;
  for (;;) {
    ListQuery lq;
    lq.node = node_id;
    lq.after = after;
    lq.limit = 5000;
    auto page = residents(p, lq);
    if (!page) return fail(page.error());
    for (std::size_t i = 0; i < page->size() && i < 5000; ++i) {
      const auto& r = (*page)[i];
      std::string tags;
      for (const auto& t : r.tags) tags += (tags.empty() ? "" : "、") + t;
      rows.push_back({r.name, r.gender == "M" ? "男" : "女", r.birth_date,
                      std::to_string(clock::age_from_birth(r.birth_date)), r.relation, r.phone_mask,
                      r.id_mask, r.address, tags,
                      honours->count(r.id) ? honours->at(r.id) : std::string()});
      after = r.id;
    }
    if (page->size() <= 5000) break;
  }
  auto w = db_.write([&](store::Tx& tx) -> Status {
    return auth::record(tx, by,
                        {"resident.export", "node", node_id, n->path,
                         fmt::format("导出{}居民名单 {} 人（已脱敏）", n->name, rows.size() - 1)});
  });
  if (!w) return fail(w.error());
  return rows;
}

}  // namespace linli::org
