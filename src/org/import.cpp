// Residents in and out of spreadsheets: a CSV import that checks every row
// before touching anything and applies all or nothing, and a masked export.
#include <fmt/format.h>

#include <map>
#include <set>

#include "auth/scope_sql.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/csv.hpp"
#include "core/validate.hpp"
#include "org/place.hpp"
#include "org/service.hpp"
#include "points/service.hpp"

namespace linli::org {
namespace {

const std::vector<std::string> kRequired = {"姓名", "性别", "身份证号", "网格",
                                            "楼栋", "单元", "房号"};
const std::vector<std::string> kOptional = {"出生日期", "与户主关系", "手机号", "标签"};

// One checked row, ready to write.
struct Planned {
  int row = 0;
  ResidentInput in;
  std::int64_t unit_id = 0;
  std::string unit_path, room;
  std::int64_t household_id = 0;  // 0: create for (unit_id, room)
  std::int64_t existing_id = 0;   // 0: a new resident
  bool changed = true;
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

class Importer {
 public:
  Importer(store::Db& db, const auth::Principal& p) : db_(db), p_(p) {}

  Status plan(const std::vector<csv::Record>& records, ImportReport& report) {
    if (records.empty()) {
      report.errors.push_back({1, "", "文件是空的，请使用模板填写后再导入"});
      return {};
    }
    if (!read_header(records[0], report)) return {};
    for (std::size_t i = 1; i < records.size(); ++i) {
      if (std::all_of(records[i].begin(), records[i].end(),
                      [](const std::string& c) { return c.empty(); }))
        continue;
      ++report.rows;
      if (auto s = plan_row(static_cast<int>(i + 1), records[i], report); !s) return s;
    }
    return {};
  }

  Status apply(const auth::Actor& by, ImportReport& report);
  std::vector<Planned> planned;

 private:
  bool read_header(const csv::Record& h, ImportReport& report) {
    for (std::size_t i = 0; i < h.size(); ++i) col_[h[i]] = i;
    for (const auto& c : kRequired)
      if (!col_.count(c)) report.errors.push_back({1, c, "缺少必填列“" + c + "”，请使用模板"});
    return report.errors.empty();
  }

  std::string cell(const csv::Record& r, const std::string& name) {
    auto it = col_.find(name);
    if (it == col_.end() || it->second >= r.size()) return {};
    std::string v = r[it->second];
    auto b = v.find_first_not_of(" \t");
    auto e = v.find_last_not_of(" \t");
    return b == std::string::npos ? "" : v.substr(b, e - b + 1);
  }

  Result<std::optional<store::Row>> lookup_node(const std::string& kind, const std::string& name,
                                                std::int64_t parent) {
    std::string key = fmt::format("{}|{}|{}", kind, parent, name);
    if (auto it = nodes_.find(key); it != nodes_.end()) return it->second;
    store::Sql q;
    q << "SELECT id, path FROM nodes WHERE kind = " << q.bind(kind)
      << " AND name = " << q.bind(name);
    if (parent) q << " AND parent_id = " << q.bind(parent);
    auth::and_in_scope(q, p_, "resident.import", "path");
    q << " ORDER BY id LIMIT 2";
    auto rows = db_.query(q.text, q.params);
    if (!rows) return fail(rows.error());
    std::optional<store::Row> found;
    if (rows->size() == 1) found = (*rows)[0];
    nodes_.emplace(key, found);
    return found;
  }

  Status plan_row(int row, const csv::Record& r, ImportReport& report) {
    auto bad = [&](const std::string& col, const std::string& msg) {
      report.errors.push_back({row, col, msg});
    };
    std::size_t before = report.errors.size();
    Planned pl;
    pl.row = row;
    auto name = cell(r, "姓名");
    auto len = validate::utf8_length(name);
    if (name.empty())
      bad("姓名", "姓名不能为空");
    else if (!len || *len > 30)
      bad("姓名", "姓名不能超过30个字");
    auto gender = cell(r, "性别");
    if (gender != "男" && gender != "女") bad("性别", "性别应填“男”或“女”");
    auto idn = validate::normalize_id_number(cell(r, "身份证号"));
    if (auto m = validate::id_number(idn))
      bad("身份证号", *m);
    else if (!ids_.insert(idn).second)
      bad("身份证号", "与文件中前面的行重复");
    else if ((gender == "男") != (validate::gender_from_id(idn) == 'M') && !gender.empty())
      bad("性别", "性别与身份证号不一致");
    auto birth = cell(r, "出生日期");
    if (!birth.empty() && !validate::is_date(birth)) bad("出生日期", "出生日期应为 YYYY-MM-DD");
    auto phone = cell(r, "手机号");
    if (!phone.empty())
      if (auto m = validate::mobile(phone)) bad("手机号", *m);
    auto relation = cell(r, "与户主关系");
    if (!relation.empty() &&
        std::find(kRelations.begin(), kRelations.end(), relation) == kRelations.end())
      bad("与户主关系", "应为户主、配偶、子女、父母、孙子女、兄弟姐妹或其他");
    auto tags = split_tags(cell(r, "标签"));
    for (const auto& t : tags)
      if (std::find(kCareTags.begin(), kCareTags.end(), t) == kCareTags.end())
        bad("标签", "未知的标签“" + t + "”");
    pl.room = cell(r, "房号");
    if (pl.room.empty() || pl.room.size() > 16) bad("房号", "请填写房号，如 301");
    if (auto s = place(pl, r, bad); !s) return s;
    if (report.errors.size() != before) return {};
    pl.in.name = name;
    pl.in.gender = gender == "男" ? "M" : "F";
    pl.in.birth_date = birth.empty() ? validate::birth_date_from_id(idn) : birth;
    pl.in.relation = relation;
    pl.in.phone = phone;
    pl.in.id_number = idn;
    pl.in.tags = tags;
    if (auto s = match_existing(pl, bad); !s) return s;
    if (report.errors.size() != before) return {};
    if (!pl.existing_id)
      ++report.created;
    else if (pl.changed)
      ++report.updated;
    else
      ++report.unchanged;
    planned.push_back(std::move(pl));
    return {};
  }

  template <class Bad>
  Status place(Planned& pl, const csv::Record& r, Bad& bad) {
    auto grid = lookup_node("grid", cell(r, "网格"), 0);
    if (!grid) return fail(grid.error());
    if (!*grid)
      return bad("网格", "网格“" + cell(r, "网格") + "”不存在或不在您的管辖范围"), Status{};
    auto building = lookup_node("building", cell(r, "楼栋"), (*grid)->i64("id"));
    if (!building) return fail(building.error());
    if (!*building) return bad("楼栋", "该网格下没有楼栋“" + cell(r, "楼栋") + "”"), Status{};
    auto unit = lookup_node("unit", cell(r, "单元"), (*building)->i64("id"));
    if (!unit) return fail(unit.error());
    if (!*unit) return bad("单元", "该楼栋下没有单元“" + cell(r, "单元") + "”"), Status{};
    pl.unit_id = (*unit)->i64("id");
    pl.unit_path = (*unit)->str("path");
    auto h = db_.query("SELECT id FROM households WHERE node_id = $1 AND room = $2",
                       {pl.unit_id, pl.room});
    if (!h) return fail(h.error());
    if (!h->empty()) pl.household_id = (*h)[0].i64("id");
    return {};
  }

  template <class Bad>
  Status match_existing(Planned& pl, Bad& bad) {
    auto rows = db_.query(
        "SELECT id, household_id, node_path, name, gender, birth_date, relation, phone_hash, tags "
        "FROM residents WHERE id_hash = $1",
        {crypto::blind_index(*pl.in.id_number)});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return {};
    const auto& e = (*rows)[0];
    if (!auth::authorize(p_, "resident.import", e.str("node_path")))
      return bad("身份证号", "该居民已在您管辖范围以外登记，请联系其所在社区"), Status{};
    pl.existing_id = e.i64("id");
    std::string tags;
    for (const auto& t : *pl.in.tags) tags += (tags.empty() ? "" : ",") + t;
    std::string phone_hash = pl.in.phone->empty() ? "" : crypto::blind_index(*pl.in.phone);
    pl.changed = e.i64("household_id") != pl.household_id || e.str("name") != *pl.in.name ||
                 e.str("gender") != *pl.in.gender || e.str("birth_date") != *pl.in.birth_date ||
                 e.str("relation") != *pl.in.relation || e.str("phone_hash") != phone_hash ||
                 e.str("tags") != tags;
    return {};
  }

  store::Db& db_;
  const auth::Principal& p_;
  std::map<std::string, std::size_t> col_;
  std::map<std::string, std::optional<store::Row>> nodes_;
  std::set<std::string> ids_;
};

}  // namespace

Result<ImportReport> OrgService::import_residents(const auth::Principal& p,
                                                  std::string_view csv_text, bool dry_run,
                                                  const auth::Actor& by) {
  if (!p.can("resident.import")) return fail(Error::forbidden());
  ImportReport report;
  report.dry_run = dry_run;
  // Staff save either CSV or the Excel workbook itself; a ZIP signature tells.
  auto records =
      csv_text.starts_with("PK\x03\x04") ? xlsx::read_first_sheet(csv_text) : csv::parse(csv_text);
  if (!records) {
    report.errors.push_back({0, "", records.error().detail});
    return report;
  }
  Importer imp(db_, p);
  if (auto s = imp.plan(*records, report); !s) return fail(s.error());
  if (dry_run || !report.errors.empty()) return report;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> new_households;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto now = clock::now_ms();
    for (auto& pl : imp.planned) {
      if (pl.existing_id && !pl.changed) continue;
      if (!pl.household_id) {
        auto key = std::make_pair(pl.unit_id, pl.room);
        if (auto it = new_households.find(key); it != new_households.end()) {
          pl.household_id = it->second;
        } else {
          auto address = place_name(tx, pl.unit_path);
          if (!address) return fail(address.error());
          auto h = tx.one(
              "INSERT INTO households (node_id, node_path, room, address, created_at, "
              "updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
              {pl.unit_id, pl.unit_path, pl.room, *address + pl.room + "室", now});
          if (!h) return fail(h.error());
          pl.household_id = h->i64("id");
          new_households[key] = pl.household_id;
        }
      }
      std::int64_t id = pl.existing_id;
      if (!id) {
        auto r = tx.one(
            "INSERT INTO residents (household_id, node_path, name, gender, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            {pl.household_id, pl.unit_path, *pl.in.name, *pl.in.gender, now});
        if (!r) return fail(r.error());
        id = r->i64("id");
      }
      pl.in.household_id = pl.household_id;
      if (auto s = write_resident(tx, id, pl.in, pl.unit_path); !s) {
        Error e = s.error();
        e.detail = fmt::format("第{}行：{}", pl.row, e.detail);
        return fail(e);
      }
    }
    return auth::record(tx, by,
                        {"resident.import", "resident", 0, "",
                         fmt::format("导入居民：共{}行，新增{}，更新{}，未变{}", report.rows,
                                     report.created, report.updated, report.unchanged)});
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
