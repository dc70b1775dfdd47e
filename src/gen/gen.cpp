#include "gen/gen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <numbers>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "cases/model.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"
#include "demo/demo_cases.hpp"
#include "demo/names.hpp"
#include "gen/sink.hpp"
#include "search/case_index.hpp"

namespace linli::gen {
namespace {

using demo::detail::chance;
using demo::detail::pick;
using demo::detail::pick_weighted;
using demo::detail::rand_between;
using demo::detail::Rng;
using store::null;
using store::Value;
using Row = std::vector<Value>;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMinute = 60000, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr std::int64_t kShanghai = 8 * kHour;

// ---------------------------------------------------------------------------
// Words for invented places.

constexpr std::string_view kPlaceChars[] = {
    "东", "西", "南", "北", "新", "兴", "和", "安", "康", "福", "春", "秋", "桂", "兰", "梅",
    "竹", "松", "柳", "枫", "桃", "杏", "丰", "泰", "华", "明", "光", "瑞", "祥", "宁", "平",
    "乐", "美", "青", "湖", "江", "河", "山", "林", "锦", "绣", "翠", "碧", "金", "银", "玉",
    "龙", "凤", "鹤", "云", "溪", "阳", "景", "嘉", "盛", "裕", "隆", "昌", "怡", "馨", "悦"};
constexpr std::string_view kCompoundSuffix[] = {"小区", "花园", "新村", "家园", "苑",  "雅居",
                                                "华庭", "公寓", "里",   "名邸", "佳园"};
constexpr std::string_view kStaffRoles[] = {"楼栋长", "网格员", "社区工作者", "街道指挥中心"};

std::string two_chars(Rng& rng) {
  return std::string(pick(rng, kPlaceChars)) + std::string(pick(rng, kPlaceChars));
}

struct Share {
  std::string_view code;
  int per_mille;
};
constexpr Share kChannels[] = {{"mobile", 430}, {"patrol", 250}, {"hotline", 200},
                               {"meeting", 50}, {"station", 50}, {"open311", 20}};
constexpr Share kTypes[] = {
    {"practical", 550}, {"important", 120}, {"urgent", 120}, {"hard", 110}, {"big", 100}};

std::string_view draw_share(Rng& rng, std::span<const Share> shares) {
  long r = rand_between(rng, 0, 999);
  for (const auto& s : shares) {
    if (r < s.per_mille) return s.code;
    r -= s.per_mille;
  }
  return shares.back().code;
}

using demo::names::kCaseCategories;

const demo::names::CaseCategory& draw_category(Rng& rng) {
  static const long total = [] {
    long t = 0;
    for (const auto& c : kCaseCategories) t += c.weight;
    return t;
  }();
  long r = rand_between(rng, 0, total - 1);
  for (const auto& c : kCaseCategories) {
    if (r < c.weight) return c;
    r -= c.weight;
  }
  return kCaseCategories[0];
}

// As the demo's dispatcher: the category's default level and routing, then
// judgement (a community matter inside a compound often goes to the grid).
int first_rank(Rng& rng, std::string_view code, int lowest) {
  auto fam = code.substr(0, code.find('.'));
  int rank = fam == "dispute"                      ? 0
             : (fam == "env" || fam == "property") ? 1
             : fam == "urban"                      ? 3
                                                   : 2;
  if (code == "safety.ebike" && lowest == 0) rank = 1;
  if (rank == 2 && chance(rng, 350)) rank = 1;
  if (rank == 3 && chance(rng, 400)) rank = 2;
  return std::max(rank, lowest);
}

struct Limits {
  std::int64_t accept, contact, resolve, report, act;
};

Limits limits_for(std::string_view type, bool urgent) {
  if (urgent) return {1 * kHour, 2 * kHour, 24 * kHour, 2 * kHour, 24 * kHour};
  if (type == "urgent") return {2 * kHour, 4 * kHour, 3 * kDay, 4 * kHour, 2 * kDay};
  // Working days, roughly: 7 working days ≈ 9 calendar days.
  if (type == "big" || type == "hard") return {kDay, kDay, 21 * kDay, kDay, 14 * kDay};
  return {kDay, kDay, 9 * kDay, kDay, 7 * kDay};
}

std::string ymd(std::chrono::sys_days d, bool dashes = true) {
  std::chrono::year_month_day x{d};
  if (dashes)
    return fmt::format("{:04d}-{:02d}-{:02d}", int(x.year()), unsigned(x.month()),
                       unsigned(x.day()));
  return fmt::format("{:04d}{:02d}{:02d}", int(x.year()), unsigned(x.month()), unsigned(x.day()));
}

char id_check_digit(std::string_view first17) {
  static constexpr int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr std::string_view map = "10X98765432";
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * weights[i];
  return map[static_cast<std::size_t>(sum % 11)];
}

// ---------------------------------------------------------------------------
// The city in memory: only what the case history needs to find its places.

struct Street {
  std::int64_t id;
  std::string name, path;
};
struct Community {
  std::int64_t id;
  int street;
  std::string name, path;
};
struct Grid {
  std::int64_t id;
  int community;
  std::string compound, path;
  std::int64_t branch = 0;  // party branch
};
struct Building {
  std::int64_t id;
  int grid, number, units, floors;
  double lat, lng;
};
struct Unit {
  std::int64_t id;
  int building, number;
};

// The KPI roll-ups (migration 0010) for the generated history, summed in
// memory while the cases are drawn: the triggers that keep them on every
// later write are off during the bulk load. Same definitions as
// scripts/kpi-rollup-sql.py; tests/gen_test.cpp checks the result against
// the full recount.
constexpr std::string_view kRollup[] = {"received",
                                        "rejected",
                                        "merged",
                                        "accepted",
                                        "escalated",
                                        "accepted_in_compound",
                                        "closed_in_compound",
                                        "closed_in_community",
                                        "dispatched",
                                        "contacted_in_time",
                                        "due",
                                        "due_suspended",
                                        "due_closed",
                                        "due_closed_on_time",
                                        "closed",
                                        "closed_reworked",
                                        "rated",
                                        "satisfied",
                                        "basic",
                                        "unsatisfied",
                                        "rated_solved",
                                        "solved",
                                        "close_ms_total",
                                        "resolve_ms_total"};
constexpr std::string_view kWhistleRollup[] = {"whistles", "reported_in_time", "acted_in_time",
                                               "due",      "due_suspended",    "due_closed_on_time",
                                               "rated",    "satisfied",        "basic"};
enum R : int {
  kReceived,
  kRejected,
  kMerged,
  kAccepted,
  kEscalated,
  kAcceptedInCompound,
  kClosedInCompound,
  kClosedInCommunity,
  kDispatched,
  kContactedInTime,
  kDue,
  kDueSuspended,
  kDueClosed,
  kDueClosedOnTime,
  kClosed,
  kClosedReworked,
  kRated,
  kSatisfied,
  kBasic,
  kUnsatisfied,
  kRatedSolved,
  kSolved,
  kCloseMs,
  kResolveMs,
  kRollupSize
};
enum W : int {
  kWhistles,
  kReportedInTime,
  kActedInTime,
  kWDue,
  kWDueSuspended,
  kWDueClosedOnTime,
  kWRated,
  kWSatisfied,
  kWBasic,
  kWhistleSize
};
using Counters = std::array<std::int64_t, kRollupSize>;
using WCounters = std::array<std::int64_t, kWhistleSize>;

std::int64_t shanghai_day_no(std::int64_t ms) { return (ms + kShanghai) / kDay; }

struct Ids {
  std::int64_t node, household, resident, party_org, member, org, kase, event, whistle;
};

class Generator {
 public:
  Generator(const Options& opt, Sink& sink, Ids next, std::int64_t district_id,
            std::string district_path, int district_depth)
      : opt_(opt),
        sink_(sink),
        rng_(opt.seed),
        next_(next),
        district_id_(district_id),
        district_path_(std::move(district_path)),
        district_depth_(district_depth) {
    start_ = Clock::now();
    for (int i = 0; i < 256; ++i) {
      staff_.push_back(pick_weighted(rng_, demo::names::kSurnames) +
                       demo::detail::given_name(rng_, chance(rng_, 500) ? 'M' : 'F', 1985));
    }
  }

  Status register_tables() {
    auto t = [&](int& out, std::string_view name, std::vector<std::string> cols) -> Status {
      auto r = sink_.table(name, cols);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    };
    if (auto s = t(t_nodes_, "nodes",
                   {"id", "parent_id", "kind", "name", "path", "depth", "floors", "lat", "lng",
                    "boundary", "created_at", "updated_at"});
        !s)
      return s;
    if (auto s = t(
            t_households_, "households",
            {"id", "node_id", "node_path", "room", "address", "area", "created_at", "updated_at"});
        !s)
      return s;
    if (auto s = t(t_residents_, "residents",
                   {"id", "household_id", "node_path", "name", "gender", "birth_date", "relation",
                    "phone_enc", "phone_mask", "phone_hash", "id_enc", "id_mask", "id_hash", "tags",
                    "created_at", "updated_at"});
        !s)
      return s;
    if (auto s = t(t_party_orgs_, "party_orgs",
                   {"id", "parent_id", "kind", "name", "node_id", "node_path", "created_at"});
        !s)
      return s;
    if (auto s = t(t_members_, "party_members",
                   {"id", "resident_id", "party_org_id", "node_path", "category", "employer",
                    "joined_on", "central_household", "created_at"});
        !s)
      return s;
    if (auto s = t(t_orgs_, "orgs",
                   {"id", "kind", "name", "contact_name", "contact_phone_enc", "contact_phone_mask",
                    "node_id", "created_at"});
        !s)
      return s;
    if (auto s = t(t_org_nodes_, "org_nodes", {"org_id", "node_id"}); !s) return s;
    if (auto s = t(t_cases_, "cases",
                   {"id",
                    "code",
                    "title",
                    "description",
                    "category_id",
                    "case_type",
                    "urgency",
                    "channel",
                    "state",
                    "suspended_from",
                    "level",
                    "level_node_id",
                    "node_id",
                    "node_path",
                    "household_id",
                    "lat",
                    "lng",
                    "address",
                    "reporter_resident_id",
                    "reporter_name",
                    "reporter_phone_enc",
                    "reporter_phone_mask",
                    "anonymous",
                    "merged_into_id",
                    "open311_token",
                    "accept_due",
                    "contact_due",
                    "resolve_due",
                    "accepted_at",
                    "dispatched_at",
                    "contacted_at",
                    "resolved_at",
                    "closed_at",
                    "closed_level",
                    "close_reason",
                    "rework_count",
                    "escalation_count",
                    "suspended_ms",
                    "suspended_at",
                    "rating_solved",
                    "rating",
                    "rating_comment",
                    "rated_at",
                    "near_due_notified",
                    "overdue_notified",
                    "whistle_count",
                    "created_at",
                    "updated_at"});
        !s)
      return s;
    if (auto s = t(t_events_, "case_events",
                   {"id", "case_id", "at", "actor_name", "action", "from_state", "to_state",
                    "from_level", "to_level", "org_id", "note", "public"});
        !s)
      return s;
    {
      std::vector<std::string> cols = {"node_id", "day"};
      for (auto c : kRollup) cols.emplace_back(c);
      if (auto st = t(t_rollup_, "case_kpi_days", cols); !st) return st;
      std::vector<std::string> wcols = {"node_id", "day", "org_id"};
      for (auto c : kWhistleRollup) wcols.emplace_back(c);
      if (auto st = t(t_wrollup_, "case_kpi_whistle_days", wcols); !st) return st;
    }
    if (auto s = t(t_whistles_, "case_whistles",
                   {"id", "case_id", "org_id", "lead", "state", "whistled_at", "report_due",
                    "act_due", "reported_at", "arrived_at", "acted_at", "action_note"});
        !s)
      return s;
    // The search index fills as cases are drawn, inside the bulk load: filled
    // afterwards through the serving store (WAL, small cache) it took three
    // quarters of a 500k-case run.
    return t(t_search_, "case_search", search::index_columns(sink_.kind()));
  }

  void set_lookups(std::map<std::string, std::int64_t> categories,
                   std::map<std::string, std::int64_t> departments) {
    category_ids_ = std::move(categories);
    for (auto name : demo::names::kDepartments) {
      auto it = departments.find(std::string(name));
      dept_ids_.push_back(it == departments.end() ? 0 : it->second);
    }
  }

  // ---- territory and people ----

  Status city() {
    now_ = opt_.now_ms;
    as_of_ = std::chrono::floor<std::chrono::days>(
        std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(now_)));
    created_ = now_ - std::int64_t(opt_.years) * 365 * kDay - 30 * kDay;
    while (residents_ < opt_.residents) {
      if (auto s = grid(); !s) return s;
    }
    return properties();
  }

  Status node(std::int64_t id, std::int64_t parent, std::string_view kind, const std::string& name,
              const std::string& path, int depth, Value floors, Value lat, Value lng,
              Value boundary) {
    row_.assign({id, parent, std::string(kind), name, path, std::int64_t{depth}, floors, lat, lng,
                 boundary, created_, created_});
    ++nodes_;
    return sink_.add(t_nodes_, row_);
  }

  Status grid() {
    // A street holds 8–12 communities, a community 6–10 grids.
    if (streets_.empty() || comm_left_ == 0) {
      std::int64_t id = next_.node++;
      std::string path = district_path_ + std::to_string(id) + "/";
      streets_.push_back({id, two_chars(rng_) + "街道", path});
      comm_left_ = int(rand_between(rng_, 8, 12));
      grid_left_ = 0;
      if (auto s = node(id, district_id_, "street", streets_.back().name, path, district_depth_ + 1,
                        null(), null(), null(), null());
          !s)
        return s;
    }
    if (grid_left_ == 0) {
      std::int64_t id = next_.node++;
      const Street& st = streets_.back();
      std::string path = st.path + std::to_string(id) + "/";
      communities_.push_back({id, int(streets_.size()) - 1, two_chars(rng_) + "社区", path});
      --comm_left_;
      grid_left_ = int(rand_between(rng_, 6, 10));
      if (auto s = node(id, st.id, "community", communities_.back().name, path, district_depth_ + 2,
                        null(), null(), null(), null());
          !s)
        return s;
      // The community's party committee.
      std::int64_t po = next_.party_org++;
      committee_ = po;
      row_.assign({po, null(), std::string("committee"), communities_.back().name + "党委", id,
                   path, created_});
      ++party_orgs_;
      if (auto s = sink_.add(t_party_orgs_, row_); !s) return s;
    }
    --grid_left_;
    const Community& cm = communities_.back();
    std::int64_t gid = next_.node++;
    std::string compound = two_chars(rng_) + std::string(pick(rng_, kCompoundSuffix));
    std::string gpath = cm.path + std::to_string(gid) + "/";
    // Grids sit on a lattice east of the demo district, 1 km apart.
    auto g = long(grids_.size());
    double clat = demo::names::kCentreLat + 0.05 + double(g / 150) * 0.009;
    double clng = demo::names::kCentreLng + 0.05 + double(g % 150) * 0.0105;
    double d = 0.004;
    std::string boundary = fmt::format(
        "[[[{:.6f},{:.6f}],[{:.6f},{:.6f}],[{:.6f},{:.6f}],[{:.6f},{:.6f}],[{:.6f},{:.6f}]]]",
        clng - d, clat - d, clng + d, clat - d, clng + d, clat + d, clng - d, clat + d, clng - d,
        clat - d);
    grids_.push_back({gid, int(communities_.size()) - 1, compound, gpath, 0});
    std::string grid_name = compound + "网格";
    if (csv_) {
      // The import finds a grid by its name: no two may share one.
      for (int k = 2; !grid_names_.insert(grid_name).second; ++k)
        grid_name = compound + std::to_string(k) + "网格";
      csv_grid_ = grid_name;
    }
    if (auto s = node(gid, cm.id, "grid", grid_name, gpath, district_depth_ + 3, null(), clat, clng,
                      boundary);
        !s)
      return s;
    std::int64_t branch = next_.party_org++;
    grids_.back().branch = branch;
    row_.assign(
        {branch, committee_, std::string("branch"), compound + "党支部", gid, gpath, created_});
    ++party_orgs_;
    if (auto s = sink_.add(t_party_orgs_, row_); !s) return s;

    // Buildings until the grid holds 250–350 households.
    long target = rand_between(rng_, 250, 350), homes = 0;
    int style = int(rand_between(rng_, 0, 2));  // walk-up, mid-rise, high-rise
    for (int number = 1; homes < target && residents_ < opt_.residents; ++number) {
      int floors = style == 0   ? int(rand_between(rng_, 5, 7))
                   : style == 1 ? int(rand_between(rng_, 11, 18))
                                : int(rand_between(rng_, 24, 33));
      int units = style == 2 ? int(rand_between(rng_, 1, 2)) : int(rand_between(rng_, 2, 4));
      std::int64_t bid = next_.node++;
      double blat = clat + double(rand_between(rng_, -35, 35)) / 10000.0;
      double blng = clng + double(rand_between(rng_, -35, 35)) / 10000.0;
      std::string bpath = gpath + std::to_string(bid) + "/";
      buildings_.push_back({bid, int(grids_.size()) - 1, number, units, floors, blat, blng});
      if (auto s = node(bid, gid, "building", std::to_string(number) + "栋", bpath,
                        district_depth_ + 4, std::int64_t{floors}, blat, blng, null());
          !s)
        return s;
      for (int u = 1; u <= units && residents_ < opt_.residents; ++u) {
        std::int64_t uid = next_.node++;
        std::string upath = bpath + std::to_string(uid) + "/";
        units_.push_back({uid, int(buildings_.size()) - 1, u});
        if (auto s = node(uid, bid, "unit", std::to_string(u) + "单元", upath, district_depth_ + 5,
                          null(), null(), null(), null());
            !s)
          return s;
        std::string address_prefix = streets_.back().name + cm.name + compound +
                                     std::to_string(number) + "栋" + std::to_string(u) + "单元";
        for (int f = 1; f <= floors && residents_ < opt_.residents; ++f) {
          for (int door = 1; door <= 2 && residents_ < opt_.residents; ++door) {
            if (auto s = household(upath, address_prefix, f * 100 + door); !s) return s;
            ++homes;
          }
        }
      }
    }
    return {};
  }

  // 1–5 people, about 2.7 on average.
  int household_size() {
    long r = rand_between(rng_, 0, 99);
    int size = r < 15 ? 1 : r < 45 ? 2 : r < 75 ? 3 : r < 90 ? 4 : 5;
    return int(std::min<long>(size, opt_.residents - residents_));
  }

  struct Member {
    int age;
    char gender;
    const char* relation;
  };
  // The i-th person of a household whose head is head_age and head_gender.
  Member member(int i, int head_age, char head_gender) {
    if (i == 0) return {head_age, head_gender, "户主"};
    if (i == 1)
      return {std::max(20, head_age + int(rand_between(rng_, -5, 3))),
              head_gender == 'M' ? 'F' : 'M', "配偶"};
    bool parent = head_age < 45 && i == 4;
    char gender = chance(rng_, 510) ? 'M' : 'F';
    int age = parent ? head_age + int(rand_between(rng_, 24, 32))
                     : std::max(0, head_age - int(rand_between(rng_, 24, 36)));
    return {age, gender, parent ? "父母" : "子女"};
  }

  Status household(const std::string& upath, const std::string& address_prefix, int room) {
    if (csv_) return csv_household(room);
    std::int64_t hid = next_.household++;
    std::string room_s = std::to_string(room);
    row_.assign({hid, units_.back().id, upath, room_s, address_prefix + room_s + "室",
                 double(rand_between(rng_, 450, 1400)) / 10.0, created_, created_});
    ++households_;
    if (auto s = sink_.add(t_households_, row_); !s) return s;
    hh_unit_.push_back(int(units_.size()) - 1);
    hh_first_.push_back(next_.resident);
    int size = household_size();
    hh_size_.push_back(std::uint8_t(size));
    int head_age = int(rand_between(rng_, size == 1 ? 25 : 30, size == 1 ? 88 : 70));
    char head_gender = chance(rng_, 520) ? 'M' : 'F';
    for (int i = 0; i < size; ++i) {
      auto [age, gender, relation] = member(i, head_age, head_gender);
      if (auto s = person(hid, upath, age, gender, relation, size); !s) return s;
    }
    return {};
  }

  // --residents-csv: the same household and its people, as import rows.
  Status csv_household(int room) {
    ++households_;
    int size = household_size();
    int head_age = int(rand_between(rng_, size == 1 ? 25 : 30, size == 1 ? 88 : 70));
    char head_gender = chance(rng_, 520) ? 'M' : 'F';
    const Unit& unit = units_.back();
    const Building& bld = buildings_[std::size_t(unit.building)];
    std::string place = fmt::format("{},{}栋,{}单元,{}", csv_grid_, bld.number, unit.number, room);
    for (int i = 0; i < size; ++i) {
      auto [age, gender, relation] = member(i, head_age, head_gender);
      auto p = draw_person(age, gender, size);
      // 姓名,性别,出生日期,与户主关系,手机号,身份证号,网格,楼栋,单元,房号,标签
      std::string line =
          fmt::format("{},{},{},{},{},{},{},{}\n", p.name, gender == 'M' ? "男" : "女", p.birth,
                      relation, p.phone, p.id_number, place, csv_tags(p.tags));
      if (std::fwrite(line.data(), 1, line.size(), csv_) != line.size())
        return fail(Error::internal("无法写入 " + opt_.residents_csv));
      ++residents_;
      if (opt_.progress && (++tick_ & 0x3fff) == 0) report("居民CSV", residents_, opt_.residents);
    }
    return {};
  }

  struct Drawn {
    std::int64_t id = 0;
    std::chrono::sys_days born;
    std::string name, birth, id_number, id_hash, phone, tags;  // tags as stored: "独居,空巢老人"
  };
  // A person's name, birth date, unique ID number (region + birth date +
  // sequence, odd for men, + check digit), mobile number and care tags.
  Drawn draw_person(int age, char gender, int household_size) {
    Drawn d;
    std::int64_t id = d.id = next_.resident++;
    auto born =
        as_of_ - std::chrono::days{long(age) * 3652425 / 10000 + rand_between(rng_, 1, 364)};
    int birth_year = int(std::chrono::year_month_day{born}.year());
    d.name = pick_weighted(rng_, demo::names::kSurnames) +
             demo::detail::given_name(rng_, gender, birth_year);
    auto regions = std::span(demo::names::kBirthRegions);
    long total_w = 0;
    for (const auto& w : regions) total_w += w.weight;
    long pickr = rand_between(rng_, 0, total_w - 1);
    std::size_t region = 0;
    for (; region + 1 < regions.size() && pickr >= regions[region].weight; ++region)
      pickr -= regions[region].weight;
    for (;;) {
      auto key = (std::int64_t(region) << 40) + born.time_since_epoch().count() * 2 +
                 (gender == 'M' ? 1 : 0);
      int& used = id_seq_[key];
      if (used < 500) {
        int seq = used++ * 2 + (gender == 'M' ? 1 : 0);
        d.id_number =
            std::string(regions[region].text) + ymd(born, false) + fmt::format("{:03d}", seq);
        d.id_number += id_check_digit(d.id_number);
        d.id_hash = crypto::blind_index(d.id_number);
        if (taken_ids_.contains(d.id_hash)) continue;  // a demo resident has it
        break;
      }
      born -= std::chrono::days{1};
    }
    d.born = born;
    d.birth = ymd(born);
    if (age >= 12)
      d.phone = std::string(pick(rng_, demo::names::kMobilePrefixes)) +
                fmt::format("{:08d}", (id * 48271 + opt_.seed) % 100000000);
    if (age >= 60 && household_size == 1)
      d.tags = "独居,空巢老人";
    else if (chance(rng_, age >= 60 ? 40 : 12))
      d.tags = "残疾";
    return d;
  }

  // The import file writes several tags with 、 (a comma would split the cell).
  static std::string csv_tags(std::string tags) {
    for (auto at = tags.find(','); at != std::string::npos; at = tags.find(',', at))
      tags.replace(at, 1, "、");
    return tags;
  }

  Status person(std::int64_t hid, const std::string& upath, int age, char gender,
                const char* relation, int household_size) {
    auto d = draw_person(age, gender, household_size);
    const auto id = d.id;
    const auto born = d.born;
    Value phone_enc = null(), phone_mask = null(), phone_hash = null();
    if (!d.phone.empty()) {
      phone_enc = crypto::seal(d.phone);
      phone_mask = validate::mask_phone(d.phone);
      phone_hash = crypto::blind_index(d.phone);
    }
    row_.assign({id, hid, upath, d.name, std::string(1, gender), d.birth, std::string(relation),
                 phone_enc, phone_mask, phone_hash, crypto::seal(d.id_number),
                 validate::mask_id_number(d.id_number), d.id_hash, d.tags, created_, created_});
    ++residents_;
    if (auto s = sink_.add(t_residents_, row_); !s) return s;
    // About 7 % of adults are party members of their compound's branch.
    if (age >= 20 && chance(rng_, 70)) {
      std::string category = age >= 65           ? "retired"
                             : chance(rng_, 700) ? "in_service"
                             : chance(rng_, 500) ? "mobile"
                                                 : "direct";
      std::string employer =
          category == "in_service" ? std::string(pick(rng_, demo::names::kEmployers)) : "";
      auto joined =
          born + std::chrono::days{long(rand_between(rng_, 19, std::max(19, age - 1))) * 365};
      row_.assign({next_.member++, id, grids_.back().branch, upath, category, employer, ymd(joined),
                   std::int64_t{chance(rng_, 100) ? 1 : 0}, created_});
      ++members_;
      if (auto s = sink_.add(t_members_, row_); !s) return s;
    }
    if (opt_.progress && (++tick_ & 0x3fff) == 0) report("住户与居民", residents_, opt_.residents);
    return {};
  }

  // A property company per 10–20 grids.
  Status properties() {
    std::set<std::string> used;
    for (std::size_t g = 0; g < grids_.size();) {
      std::string name;
      for (int attempt = 0;; ++attempt) {
        name = two_chars(rng_) + "物业服务有限公司";
        if (attempt > 20) name = two_chars(rng_) + std::to_string(g) + "物业服务有限公司";
        if (used.insert(name).second) break;
      }
      std::int64_t id = next_.org++;
      std::string phone = "139" + fmt::format("{:08d}", (id * 7919) % 100000000);
      row_.assign({id, std::string("property"), name, staff_[std::size_t(id) % staff_.size()],
                   crypto::seal(phone), validate::mask_phone(phone), null(), created_});
      ++orgs_;
      if (auto s = sink_.add(t_orgs_, row_); !s) return s;
      auto n = std::size_t(rand_between(rng_, 10, 20));
      for (std::size_t k = 0; k < n && g < grids_.size(); ++k, ++g) {
        row_.assign({id, grids_[g].id});
        if (auto s = sink_.add(t_org_nodes_, row_); !s) return s;
      }
    }
    return {};
  }

  // ---- the case history ----

  Status history() {
    if (opt_.cases <= 0 || hh_unit_.empty()) return {};
    // Cases per day over the period: seasonality (more in summer: rain,
    // heat, lifts and leaks; fewer over the Spring Festival) and fewer at
    // weekends; split exactly by largest remainder.
    std::int64_t days = std::int64_t(opt_.years) * 365;
    std::int64_t first_day = now_ / kDay * kDay - days * kDay;  // UTC days, roughly Shanghai's
    std::vector<double> w(static_cast<std::size_t>(days));
    double sum = 0;
    for (std::int64_t i = 0; i < days; ++i) {
      auto d = std::chrono::sys_days{std::chrono::days{(first_day + i * kDay) / kDay}};
      std::chrono::year_month_day x{d};
      auto jan1 = std::chrono::sys_days{x.year() / 1 / 1};
      double doy = double((d - jan1).count());
      double season = 1.0 + 0.3 * std::sin(2 * std::numbers::pi * (doy - 105) / 365.0);
      if (doy >= 25 && doy <= 45) season *= 0.45;
      unsigned wd = std::chrono::weekday{d}.c_encoding();
      if (wd == 0 || wd == 6) season *= 0.7;
      w[std::size_t(i)] = season;
      sum += season;
    }
    std::vector<long> per_day(w.size());
    long given = 0;
    std::vector<std::pair<double, std::size_t>> rem;
    for (std::size_t i = 0; i < w.size(); ++i) {
      double exact = double(opt_.cases) * w[i] / sum;
      per_day[i] = long(exact);
      given += per_day[i];
      rem.push_back({exact - double(per_day[i]), i});
    }
    std::stable_sort(rem.begin(), rem.end(), [](auto& a, auto& b) { return a.first > b.first; });
    for (std::size_t k = 0; given < opt_.cases; ++k, ++given) ++per_day[rem[k % rem.size()].second];

    std::vector<std::int64_t> times;
    for (std::size_t i = 0; i < per_day.size(); ++i) {
      std::int64_t day0 = first_day + std::int64_t(i) * kDay - kShanghai;  // Shanghai midnight
      times.clear();
      for (long k = 0; k < per_day[i]; ++k) {
        // Most reports between 08:00 and 21:00.
        std::int64_t t = chance(rng_, 880) ? rand_between(rng_, 8 * kHour, 21 * kHour)
                                           : rand_between(rng_, 0, kDay - 1);
        times.push_back(std::min(day0 + t, now_ - 1));
      }
      std::sort(times.begin(), times.end());
      std::string day =
          ymd(std::chrono::sys_days{std::chrono::days{(day0 + kShanghai) / kDay}}, false);
      for (auto t : times)
        if (auto s = one_case(t, day); !s) return s;
    }
    return {};
  }

  struct Ev {
    std::int64_t at;
    const char* action;
    const char* from;
    const char* to;
    std::string from_level, to_level;
    Value org;
    std::string note;
    bool is_public;
  };

  Status one_case(std::int64_t created, const std::string& day) {
    std::int64_t id = next_.kase++;
    std::string code = fmt::format("C{}-{:06d}", day, id);
    auto channel = draw_share(rng_, kChannels);
    auto type = draw_share(rng_, kTypes);
    bool urgent = chance(rng_, 80);
    const auto& cat = draw_category(rng_);
    std::int64_t category = category_ids_[std::string(cat.code)];

    // Where: a household's unit, its building, its grid or its community.
    auto h = std::size_t(rand_between(rng_, 0, std::ssize(hh_unit_) - 1));
    const Unit& unit = units_[std::size_t(hh_unit_[h])];
    const Building& bld = buildings_[std::size_t(unit.building)];
    const Grid& grid = grids_[std::size_t(bld.grid)];
    const Community& cm = communities_[std::size_t(grid.community)];
    const Street& st = streets_[std::size_t(cm.street)];
    long where = rand_between(rng_, 0, 99);
    int lowest = where < 55 ? 0 : where < 70 ? 0 : where < 92 ? 1 : 2;
    std::int64_t node_id;
    std::string node_path;
    Value household = null();
    std::string address;
    std::string bpath = grid.path + std::to_string(bld.id) + "/";
    if (where < 55) {
      node_id = unit.id;
      node_path = bpath + std::to_string(unit.id) + "/";
      household = next_household_id(h);
      address = st.name + cm.name + grid.compound + std::to_string(bld.number) + "栋" +
                std::to_string(unit.number) + "单元";
    } else if (where < 70) {
      node_id = bld.id, node_path = bpath;
      address = st.name + cm.name + grid.compound + std::to_string(bld.number) + "栋";
    } else if (where < 92) {
      node_id = grid.id, node_path = grid.path;
      address = st.name + cm.name + grid.compound + "网格";
    } else {
      node_id = cm.id, node_path = cm.path;
      address = st.name + cm.name;
    }
    int rank = first_rank(rng_, cat.code, lowest);
    auto level_node = [&](int r) -> std::int64_t {
      return r == 0 ? bld.id : r == 1 ? grid.id : r == 2 ? cm.id : st.id;
    };

    // Text.
    const auto& text = cat.texts[std::size_t(rand_between(rng_, 0, std::ssize(cat.texts) - 1))];
    std::string floor = std::to_string(rand_between(rng_, 2, std::max(2, bld.floors)));
    auto fill = [&](std::string_view t) {
      std::string out(t);
      std::string b = std::to_string(bld.number), u = std::to_string(unit.number);
      for (auto [key, value] :
           {std::pair<std::string_view, const std::string*>{"{c}", &grid.compound},
            {"{b}", &b},
            {"{u}", &u},
            {"{f}", &floor}}) {
        for (auto at = out.find(key); at != std::string::npos; at = out.find(key, at))
          out.replace(at, key.size(), *value);
      }
      return out;
    };

    // Reporter.
    Value reporter = null(), phone_enc = null(), phone_mask = null(), token = null();
    std::string reporter_name;
    bool anonymous = channel == "mobile" && chance(rng_, 30);
    if (channel == "mobile" || channel == "open311") {
      reporter = hh_first_[h] + rand_between(rng_, 0, hh_size_[h] - 1);
    }
    if (channel == "hotline") {
      reporter_name =
          pick_weighted(rng_, demo::names::kSurnames) + (chance(rng_, 500) ? "先生" : "女士");
      std::string phone = std::string(pick(rng_, demo::names::kMobilePrefixes)) +
                          fmt::format("{:08d}", rand_between(rng_, 0, 99999999));
      phone_enc = crypto::seal(phone);
      phone_mask = validate::mask_phone(phone);
    }
    if (channel == "open311") token = "gen-" + std::to_string(id);
    Value lat = null(), lng = null();
    if (channel != "hotline" && channel != "station") {
      lat = bld.lat + double(rand_between(rng_, -6, 6)) / 111320.0;
      lng = bld.lng + double(rand_between(rng_, -6, 6)) / 95897.0;
    }

    // The life, step by step; it stops at the first step that lies after now.
    Limits lim = limits_for(type, urgent);
    std::string level = cases::kLevels[std::size_t(rank)];
    const char* state = "submitted";
    const char* suspended_from = nullptr;
    std::optional<std::int64_t> accepted, dispatched, contacted, resolved, closed, rated,
        suspended_at, contact_due, resolve_due, merged_into;
    std::int64_t accept_due = created + lim.accept;
    std::string closed_level, close_reason, rating, comment;
    std::optional<std::int64_t> solved;
    std::int64_t rework = 0, escalations = 0, suspended_ms = 0;
    bool near = false, overdue = false;
    events_.clear();
    std::string staff = staff_[std::size_t(grid.id) % staff_.size()];
    auto actor = [&](int r) {
      return staff + "（" + std::string(kStaffRoles[std::size_t(r)]) + "）";
    };
    events_.push_back({created, "submit", nullptr, "submitted", "", level, null(), "", true});
    whistles_.clear();

    long fate = rand_between(rng_, 0, 999);
    std::int64_t t = created + rand_between(rng_, 5 * kMinute, lim.accept * 6 / 5);
    if (t <= now_) {
      if (fate < 30) {  // rejected: not a matter for this platform
        state = "rejected", closed = t, close_reason = "rejected";
        events_.push_back({t, "reject", "submitted", "rejected", "", "", null(),
                           std::string(pick(rng_, demo::names::kRejectReasons)), true});
      } else if (fate < 50 && id > next_first_case_) {  // a duplicate of an earlier report
        state = "merged", closed = t, close_reason = "merged";
        merged_into = id - rand_between(rng_, 1, std::min<std::int64_t>(50, id - next_first_case_));
        events_.push_back({t, "merge", "submitted", "merged", "", "", null(), "", true});
      } else {
        state = "accepted", accepted = t;
        events_.push_back({t, "accept", "submitted", "accepted", "", "", null(), "", true});
      }
    }
    bool stuck = fate >= 50 && fate < 65;  // never finished (stays with its handler)
    bool escalate = chance(rng_, 110), whistle = chance(rng_, 80), redo = chance(rng_, 60),
         pause = chance(rng_, 25);
    if (accepted) {
      resolve_due = *accepted + lim.resolve;
      t = *accepted + rand_between(rng_, 2 * kMinute, 3 * kHour);
      if (t <= now_) {
        state = "assigned", dispatched = t, contact_due = t + lim.contact;
        events_.push_back({t, "dispatch", "accepted", "assigned", "", level, null(), "", false});
        bool late = chance(rng_, 100);
        t = late ? *contact_due + rand_between(rng_, kHour, kDay)
                 : t + rand_between(rng_, 10 * kMinute, lim.contact);
        if (t <= now_) {
          state = "in_progress", contacted = t;
          events_.push_back({t, "start", "assigned", "in_progress", "", "", null(),
                             std::string(pick(rng_, demo::names::kStartNotes)), true});
        }
      }
    }
    if (contacted && escalate && rank < 3) {
      std::int64_t at = *contacted + rand_between(rng_, kHour, 2 * kDay);
      if (at <= now_) {
        std::string from = level;
        ++rank, ++escalations, level = cases::kLevels[std::size_t(rank)];
        events_.push_back({at, "escalate", "in_progress", "in_progress", from, level, null(),
                           std::string(pick(rng_, demo::names::kEscalateReasons)), false});
      }
    }
    if (contacted && whistle) {
      std::int64_t at = *contacted + rand_between(rng_, kHour, kDay);
      if (at <= now_) {
        int n = cat.departments[1] >= 0 && chance(rng_, 400) ? 2 : 1;
        for (int k = 0; k < n; ++k) {
          int dept = cat.departments[k] >= 0
                         ? cat.departments[k]
                         : int(rand_between(rng_, 0, std::ssize(dept_ids_) - 1));
          std::int64_t org = dept_ids_[std::size_t(dept)];
          if (!org || (k == 1 && !whistles_.empty() && org == whistles_[0].org)) continue;
          Whistle w{org, k == 0, at, at + lim.report, at + lim.act, {}, {}, "whistled"};
          std::int64_t rep = chance(rng_, 850) ? at + rand_between(rng_, 30 * kMinute, lim.report)
                                               : w.report_due + rand_between(rng_, kHour, 2 * kDay);
          if (!chance(rng_, 40) && rep <= now_) {
            w.reported = rep, w.state = "reported";
            std::int64_t act =
                chance(rng_, 780)
                    ? rep + rand_between(rng_, kHour, std::max(2 * kHour, w.act_due - rep))
                    : w.act_due + rand_between(rng_, kHour, 3 * kDay);
            if (act <= now_) w.acted = act, w.state = "acted";
          }
          whistles_.push_back(w);
          events_.push_back({at, "whistle", "in_progress", "in_progress", "", "", org,
                             std::string(pick(rng_, demo::names::kWhistleNotes)), false});
        }
      }
    }
    if (contacted && pause) {
      std::int64_t at = *contacted + rand_between(rng_, kHour, kDay);
      std::int64_t len = rand_between(rng_, kDay, 10 * kDay);
      if (at <= now_) {
        events_.push_back({at, "suspend", "in_progress", "suspended", "", "", null(),
                           std::string(pick(rng_, demo::names::kSuspendReasons)), true});
        if (at + len <= now_) {
          suspended_ms = len, *resolve_due += len;
          events_.push_back(
              {at + len, "resume", "suspended", "in_progress", "", "", null(), "", true});
        } else {
          state = "suspended", suspended_from = "in_progress", suspended_at = at;
          stuck = true;
        }
      }
    }
    std::int64_t last = events_.back().at;
    if (contacted && !stuck) {
      bool on_time = chance(rng_, 820);
      t = on_time ? last + rand_between(rng_, 2 * kHour, std::max(3 * kHour, *resolve_due - last))
                  : std::max(last, *resolve_due) + rand_between(rng_, kHour, 5 * kDay);
      for (int round = 0; t <= now_; ++round) {
        state = "resolved", resolved = t;
        events_.push_back({t, "resolve", "in_progress", "resolved", "", "", null(),
                           std::string(cat.resolved[std::size_t(round % 2)]), true});
        std::int64_t v = t + rand_between(rng_, 30 * kMinute, kDay);
        if (v > now_) break;
        if (redo && round == 0) {
          ++rework, state = "in_progress";
          events_.push_back({v, "verify_fail", "resolved", "in_progress", "", "", null(),
                             std::string(pick(rng_, demo::names::kReworkReasons)), false});
          t = v + rand_between(rng_, 4 * kHour, 3 * kDay);
          continue;
        }
        state = "follow_up";
        events_.push_back({v, "verify_pass", "resolved", "follow_up", "", "", null(), "", false});
        // Follow-up: the reporter rates, or a phone visit, or nobody within 7 days.
        long how = rand_between(rng_, 0, 99);
        std::int64_t c = how < 65   ? v + rand_between(rng_, 10 * kMinute, 3 * kDay)
                         : how < 85 ? v + rand_between(rng_, kHour, 5 * kDay)
                                    : v + 7 * kDay;
        if (c > now_) break;
        state = "closed", closed = c, closed_level = level;
        if (how < 85) {
          long r = rand_between(rng_, 0, 99);
          rating = r < 72 ? "satisfied" : r < 90 ? "basic" : "unsatisfied";
          solved =
              rating == "unsatisfied" ? (chance(rng_, 300) ? 1 : 0) : (chance(rng_, 950) ? 1 : 0);
          rated = c;
          close_reason = how < 65 ? "rated" : "phone";
          if (how < 65 && chance(rng_, 300)) {
            comment =
                std::string(rating == "satisfied" ? pick(rng_, demo::names::kSatisfiedComments)
                            : rating == "basic"   ? pick(rng_, demo::names::kBasicComments)
                                                  : pick(rng_, demo::names::kUnsatisfiedComments));
          }
          events_.push_back({c, how < 65 ? "rate" : "phone_followup", "follow_up", "closed", "", "",
                             null(), comment, true});
        } else {
          close_reason = "not_rated";
          events_.push_back({c, "auto_close", "follow_up", "closed", "", "", null(), "", true});
        }
        break;
      }
    }
    if (resolve_due) {
      std::int64_t done_at = resolved ? *resolved : now_;
      std::int64_t span = *resolve_due - (accepted ? *accepted : created);
      near = done_at >= *resolve_due - span / 5;
      overdue = done_at > *resolve_due;
    }
    std::int64_t updated = events_.back().at;
    Value nul = null();
    auto o = [](const std::optional<std::int64_t>& v) { return v ? Value{*v} : Value{}; };
    auto s = [](const std::string& v) { return v.empty() ? Value{} : Value{v}; };
    row_.assign({id,
                 code,
                 fill(text.title),
                 fill(text.description),
                 category,
                 std::string(type),
                 std::string(urgent ? "urgent" : "normal"),
                 std::string(channel),
                 std::string(state),
                 suspended_from ? Value{std::string(suspended_from)} : nul,
                 level,
                 level_node(rank),
                 node_id,
                 node_path,
                 household,
                 lat,
                 lng,
                 address,
                 reporter,
                 reporter_name,
                 phone_enc,
                 phone_mask,
                 std::int64_t{anonymous ? 1 : 0},
                 o(merged_into),
                 token,
                 accept_due,
                 o(contact_due),
                 o(resolve_due),
                 o(accepted),
                 o(dispatched),
                 o(contacted),
                 o(resolved),
                 o(closed),
                 s(closed_level),
                 s(close_reason),
                 rework,
                 escalations,
                 suspended_ms,
                 o(suspended_at),
                 o(solved),
                 s(rating),
                 rated ? Value{comment} : nul,
                 o(rated),
                 std::int64_t{near ? 1 : 0},
                 std::int64_t{overdue ? 1 : 0},
                 static_cast<std::int64_t>(whistles_.size()),
                 created,
                 updated});
    // Roll-ups: each cohort's day, for the district, the street, the community
    // and, for a case placed in a grid or below it, the grid (migration 0023).
    {
      bool live = std::string_view(state) != "rejected" && std::string_view(state) != "merged";
      bool fin = std::string_view(state) == "follow_up" || std::string_view(state) == "closed";
      bool is_closed = std::string_view(state) == "closed";
      const std::string& lvl2 = closed_level.empty() ? level : closed_level;
      bool in_compound = where < 92;
      std::int64_t resolved_or_closed = resolved ? *resolved : closed ? *closed : 0;
      bool has_resolved = resolved || closed;
      const std::int64_t anc_ids[4] = {district_id_, st.id, cm.id, grid.id};
      const std::span<const std::int64_t> anc(anc_ids, in_compound ? 4 : 3);
      auto add = [&](std::int64_t at, auto&& fill) {
        for (auto a : anc) fill(rollup_[{a, shanghai_day_no(at)}]);
      };
      add(created, [&](Counters& k) {
        ++k[kReceived];
        k[kRejected] += std::string_view(state) == "rejected";
        k[kMerged] += std::string_view(state) == "merged";
      });
      if (accepted && live)
        add(*accepted, [&](Counters& k) {
          ++k[kAccepted];
          k[kEscalated] += escalations > 0;
          k[kAcceptedInCompound] += in_compound;
          k[kClosedInCompound] += in_compound && fin && (lvl2 == "building" || lvl2 == "grid");
          k[kClosedInCommunity] +=
              fin && (lvl2 == "building" || lvl2 == "grid" || lvl2 == "community");
        });
      if (dispatched && live)
        add(*dispatched, [&](Counters& k) {
          ++k[kDispatched];
          k[kContactedInTime] += contacted && (!contact_due || *contacted <= *contact_due);
        });
      if (resolve_due && live)
        add(*resolve_due, [&](Counters& k) {
          ++k[kDue];
          k[kDueSuspended] += std::string_view(state) == "suspended";
          k[kDueClosed] += fin;
          k[kDueClosedOnTime] += fin && has_resolved && resolved_or_closed <= *resolve_due;
        });
      if (closed && is_closed)
        add(*closed, [&](Counters& k) {
          ++k[kClosed];
          k[kClosedReworked] += rework > 0;
          k[kRated] += !rating.empty();
          k[kSatisfied] += rating == "satisfied";
          k[kBasic] += rating == "basic";
          k[kUnsatisfied] += rating == "unsatisfied";
          k[kRatedSolved] += solved.has_value();
          k[kSolved] += solved && *solved == 1;
          k[kCloseMs] += *closed - created - suspended_ms;
          k[kResolveMs] += resolved_or_closed - created - suspended_ms;
        });
      for (const auto& w : whistles_) {
        for (auto a : anc) {
          WCounters& k = wrollup_[{a, shanghai_day_no(w.at), w.org}];
          ++k[kWhistles];
          k[kReportedInTime] += w.reported && *w.reported <= w.report_due;
          k[kActedInTime] += w.acted && *w.acted <= w.act_due;
          bool due = live && resolve_due.has_value();
          k[kWDue] += due;
          k[kWDueSuspended] += due && std::string_view(state) == "suspended";
          k[kWDueClosedOnTime] += due && fin && has_resolved && resolved_or_closed <= *resolve_due;
          k[kWRated] += !rating.empty();
          k[kWSatisfied] += rating == "satisfied";
          k[kWBasic] += rating == "basic";
        }
      }
    }
    ++cases_;
    if (auto st = sink_.add(t_cases_, row_); !st) return st;
    if (auto st = sink_.add(
            t_search_, search::index_row(sink_.kind(), id,
                                         {std::get<std::string>(row_[2]),
                                          std::get<std::string>(row_[3]), address, node_path}));
        !st)
      return st;
    for (const auto& e : events_) {
      row_.assign({next_.event++, id, e.at,
                   std::string(std::string_view(e.action) == "submit"
                                   ? (reporter_name.empty() ? "居民" : reporter_name)
                                   : actor(std::min(rank, 3))),
                   std::string(e.action), e.from ? Value{std::string(e.from)} : nul,
                   e.to ? Value{std::string(e.to)} : nul, s(e.from_level), s(e.to_level), e.org,
                   e.note, std::int64_t{e.is_public ? 1 : 0}});
      ++events_n_;
      if (auto st = sink_.add(t_events_, row_); !st) return st;
    }
    for (const auto& w : whistles_) {
      row_.assign({next_.whistle++, id, w.org, std::int64_t{w.lead ? 1 : 0}, std::string(w.state),
                   w.at, w.report_due, w.act_due, o(w.reported), o(w.reported), o(w.acted),
                   w.acted ? Value{std::string(pick(rng_, demo::names::kActNotes))} : Value{""}});
      ++whistles_n_;
      if (auto st = sink_.add(t_whistles_, row_); !st) return st;
    }
    if (opt_.progress && (cases_ & 0x3fff) == 0) report("诉求", cases_, opt_.cases);
    return {};
  }

  Status write_rollups() {
    std::vector<std::pair<std::array<std::int64_t, 2>, Counters>> days(rollup_.begin(),
                                                                       rollup_.end());
    std::sort(days.begin(), days.end());
    for (const auto& [key, k] : days) {
      row_.assign({key[0], key[1]});
      for (auto v : k) row_.emplace_back(v);
      if (auto st = sink_.add(t_rollup_, row_); !st) return st;
    }
    std::vector<std::pair<std::array<std::int64_t, 3>, WCounters>> w(wrollup_.begin(),
                                                                     wrollup_.end());
    std::sort(w.begin(), w.end());
    for (const auto& [key, k] : w) {
      row_.assign({key[0], key[1], key[2]});
      for (auto v : k) row_.emplace_back(v);
      if (auto st = sink_.add(t_wrollup_, row_); !st) return st;
    }
    return {};
  }

  Value next_household_id(std::size_t h) const { return first_household_ + std::int64_t(h); }

  void report(const std::string& stage, long done, long total) {
    double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    opt_.progress(stage, done, total, secs > 0 ? double(sink_.rows()) / secs : 0);
  }

  Summary summary() const {
    Summary s;
    s.nodes = nodes_, s.households = households_, s.residents = residents_;
    s.party_orgs = party_orgs_, s.members = members_, s.orgs = orgs_;
    s.cases = cases_, s.events = events_n_, s.whistles = whistles_n_;
    s.rows = sink_.rows();
    if (communities_.size() > 1)
      s.sample_community = communities_[communities_.size() / 2].id;
    else if (!communities_.empty())
      s.sample_community = communities_[0].id;
    if (!grids_.empty()) s.sample_grid = grids_[grids_.size() / 2].id;
    return s;
  }

  std::int64_t first_household_ = 0, next_first_case_ = 0;
  std::unordered_set<std::string> taken_ids_;  // id_hash of the demo's residents
  std::FILE* csv_ = nullptr;                   // --residents-csv, owned by generate()
  std::set<std::string> grid_names_;           // the demo's and ours, in CSV mode

 private:
  struct Whistle {
    std::int64_t org;
    bool lead;
    std::int64_t at, report_due, act_due;
    std::optional<std::int64_t> reported, acted;
    const char* state;
  };

  const Options& opt_;
  Sink& sink_;
  Rng rng_;
  Ids next_;
  std::int64_t district_id_;
  std::string district_path_;
  int district_depth_;
  Clock::time_point start_;
  std::int64_t now_ = 0, created_ = 0;
  std::chrono::sys_days as_of_{};
  std::vector<std::string> staff_;
  std::map<std::string, std::int64_t> category_ids_;
  std::vector<std::int64_t> dept_ids_;
  int t_nodes_ = 0, t_households_ = 0, t_residents_ = 0, t_party_orgs_ = 0, t_members_ = 0,
      t_orgs_ = 0, t_org_nodes_ = 0, t_cases_ = 0, t_events_ = 0, t_whistles_ = 0, t_search_ = 0;
  Row row_;
  std::vector<Street> streets_;
  std::vector<Community> communities_;
  std::vector<Grid> grids_;
  std::vector<Building> buildings_;
  std::vector<Unit> units_;
  std::vector<int> hh_unit_;
  std::vector<std::int64_t> hh_first_;
  std::vector<std::uint8_t> hh_size_;
  std::unordered_map<std::int64_t, int> id_seq_;
  std::vector<Ev> events_;
  std::map<std::array<std::int64_t, 2>, Counters> rollup_;
  std::map<std::array<std::int64_t, 3>, WCounters> wrollup_;
  int t_rollup_ = 0, t_wrollup_ = 0;
  std::vector<Whistle> whistles_;
  int comm_left_ = 0, grid_left_ = 0;
  std::string csv_grid_;
  std::int64_t committee_ = 0;
  long nodes_ = 0, households_ = 0, residents_ = 0, party_orgs_ = 0, members_ = 0, orgs_ = 0;
  long cases_ = 0, events_n_ = 0, whistles_n_ = 0;
  unsigned tick_ = 0;
};

Result<std::int64_t> max_id(store::Db& db, const std::string& table) {
  auto r = db.one("SELECT COALESCE(MAX(id), 0) AS m FROM " + table);
  if (!r) return fail(r.error());
  return r->i64("m");
}

}  // namespace

Result<Summary> generate(const Options& opt) {
  auto started = Clock::now();
  if (opt.residents < 1 || opt.cases < 0 || opt.years < 1)
    return fail(Error::invalid("--residents 至少为1，--cases 不能为负，--years 至少为1"));
  if (!crypto::data_key_loaded()) return fail(Error::internal("未加载数据密钥"));
  Options o = opt;
  if (!o.now_ms) {
    // Today 00:00 Shanghai: the same seed gives the same city all day.
    o.now_ms = (clock::now_ms() + kShanghai) / kDay * kDay - kShanghai;
  }
  // The demo city first: accounts, categories, departments, Open311 key.
  std::vector<demo::Account> accounts;
  Ids next{};
  std::int64_t district = 0;
  std::string district_path;
  int depth = 0;
  std::map<std::string, std::int64_t> categories, departments;
  std::unordered_set<std::string> taken_ids;
  std::set<std::string> grid_names;
  {
    auto db = store::open(o.db_url);
    if (!db) return fail(db.error());
    demo::Options d;
    d.seed = o.seed;
    d.households = 200;
    d.cases = 0;
    d.now_ms = o.now_ms;
    auto loaded = demo::load(**db, d);
    if (!loaded) return fail(loaded.error());
    accounts = loaded->accounts;
    auto root = (*db)->one("SELECT id, path, depth FROM nodes WHERE parent_id IS NULL ORDER BY id");
    if (!root) return fail(root.error());
    district = root->i64("id"), district_path = root->str("path"), depth = int(root->i64("depth"));
    for (auto [field, table] : {std::pair<std::int64_t Ids::*, const char*>{&Ids::node, "nodes"},
                                {&Ids::household, "households"},
                                {&Ids::resident, "residents"},
                                {&Ids::party_org, "party_orgs"},
                                {&Ids::member, "party_members"},
                                {&Ids::org, "orgs"},
                                {&Ids::kase, "cases"},
                                {&Ids::event, "case_events"},
                                {&Ids::whistle, "case_whistles"}}) {
      auto m = max_id(**db, table);
      if (!m) return fail(m.error());
      next.*field = *m + 1;
    }
    auto taken = (*db)->query("SELECT id_hash FROM residents WHERE id_hash IS NOT NULL");
    if (!taken) return fail(taken.error());
    for (const auto& r : *taken) taken_ids.insert(r.str("id_hash"));
    auto grids = (*db)->query("SELECT name FROM nodes WHERE kind = 'grid'");
    if (!grids) return fail(grids.error());
    for (const auto& r : *grids) grid_names.insert(r.str("name"));
    auto cats = (*db)->query("SELECT id, code FROM case_categories");
    if (!cats) return fail(cats.error());
    for (const auto& r : *cats) categories[r.str("code")] = r.i64("id");
    auto depts = (*db)->query("SELECT id, name FROM orgs WHERE kind = 'department'");
    if (!depts) return fail(depts.error());
    for (const auto& r : *depts) departments[r.str("name")] = r.i64("id");
    (*db)->close();
  }
  auto sink = open_sink(o.db_url);
  if (!sink) return fail(sink.error());
  if (auto s = (*sink)->drop_indexes({"households", "residents", "party_members", "cases",
                                      "case_events", "case_whistles", "case_search"});
      !s)
    return fail(s.error());
  Generator g(o, **sink, next, district, district_path, depth);
  g.first_household_ = next.household;
  g.next_first_case_ = next.kase;
  g.taken_ids_ = std::move(taken_ids);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> csv(nullptr, &std::fclose);
  if (!o.residents_csv.empty()) {
    csv.reset(std::fopen(o.residents_csv.c_str(), "wb"));
    if (!csv) return fail(Error::invalid("无法写入 " + o.residents_csv));
    static const char header[] =
        "姓名,性别,出生日期,与户主关系,手机号,身份证号,网格,楼栋,单元,房号,标签\n";
    std::fputs(header, csv.get());
    g.csv_ = csv.get();
    g.grid_names_ = std::move(grid_names);
  }
  if (auto s = g.register_tables(); !s) return fail(s.error());
  g.set_lookups(categories, departments);
  if (auto s = g.city(); !s) return fail(s.error());
  if (o.progress) g.report("住户与居民", opt.residents, opt.residents);
  if (auto s = g.history(); !s) return fail(s.error());
  if (auto s = g.write_rollups(); !s) return fail(s.error());
  if (o.progress) g.report("诉求", opt.cases, opt.cases);
  if (o.progress) o.progress("建索引", 0, 1, 0);
  if (auto s = (*sink)->finish(); !s) return fail(s.error());
  if (csv && std::fclose(csv.release()) != 0)
    return fail(Error::internal("无法写入 " + o.residents_csv));
  Summary out = g.summary();
  out.accounts = std::move(accounts);
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return out;
}

}  // namespace linli::gen
