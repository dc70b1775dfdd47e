// The demo case history: a few months of residents' requests (诉求) worked
// through the tiered closed loop, so that queues, KPIs and the command centre
// have something to show on the first start.
//
// Each case is drawn as a whole life — submitted, accepted and dispatched,
// contacted, perhaps escalated, whistled or sent back, resolved, verified,
// followed up — with times that follow from the deadlines, and then cut off at
// "now": whatever would happen later has not happened yet, so recent cases are
// still open and old ones closed, as in a real queue. The columns of each row
// are what the service (src/cases) would have left after the same steps.
//
// Deadlines use calendar time where the service counts working days (1
// working day ≈ 24 h, 7 ≈ 7 days): close enough for a demo, and it keeps the
// history independent of the work calendar.
#include "demo/demo_cases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cases/model.hpp"
#include "core/calendar.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"

namespace linli::demo::detail {
namespace {

constexpr std::int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute,
                       kDay = 24 * kHour;
constexpr std::int64_t kShanghai = 8 * kHour;
constexpr long kHistoryDays = 120;
constexpr std::int64_t kRatingWindow = 7 * kDay;  // case_settings rating_window_days

// A uniform draw of a duration, to the second.
std::int64_t between(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return rand_between(rng, lo / kSecond, hi / kSecond) * kSecond;
}

template <class T>
int pick_index(Rng& rng, const std::vector<T>& items) {
  return int(rand_between(rng, 0, std::ssize(items) - 1));
}

// ---------------------------------------------------------------------------
// Who works the cases: the demo accounts where they work, invented staff
// elsewhere (they appear by name in timelines only).

struct Actor {
  std::string name;
  int login = -1;
};

struct Roster {
  std::vector<Actor> grid_worker, branch_secretary;  // by grid
  std::vector<Actor> building_head;                  // by building
  std::vector<Actor> community_staff;                // by community
  std::vector<Actor> street_staff;                   // by street
  std::vector<Actor> org_staff;                      // by organisation
  Actor system{"系统", -1};
};

std::string staff_name(Rng& rng) {
  char gender = chance(rng, 500) ? 'M' : 'F';
  std::string surname = pick_weighted(rng, names::kSurnames);
  int year = int(rand_between(rng, 1965, 1998));
  return surname + given_name(rng, gender, year);
}

std::string short_org_name(const std::string& name) {
  for (std::string_view prefix : {"青湖区", "青湖"})
    if (name.starts_with(prefix)) return name.substr(prefix.size());
  return name;
}

Roster plan_roster(Rng& rng, const City& city, const std::vector<int>& grid_places,
                   const std::vector<int>& building_places) {
  Roster r;
  for (std::size_t g = 0; g < city.grids.size(); ++g) {
    r.grid_worker.push_back({staff_name(rng) + "（网格员）"});
    r.branch_secretary.push_back({staff_name(rng) + "（小区党支部书记）"});
  }
  for (std::size_t b = 0; b < city.buildings.size(); ++b)
    r.building_head.push_back({staff_name(rng) + "（楼栋长）"});
  for (std::size_t c = 0; c < city.communities.size(); ++c)
    r.community_staff.push_back({staff_name(rng) + "（社区工作者）"});
  for (std::size_t s = 0; s < city.streets.size(); ++s)
    r.street_staff.push_back({staff_name(rng) + "（街道指挥中心）"});
  for (const Org& o : city.orgs) {
    std::string unit = o.kind == "property" ? "物业公司" : short_org_name(o.name);
    r.org_staff.push_back({staff_name(rng) + "（" + unit + "）"});
  }
  // The demo accounts take their own places.
  auto index_of = [](const std::vector<int>& places, int place) {
    auto it = std::find(places.begin(), places.end(), place);
    return it == places.end() ? -1 : int(it - places.begin());
  };
  for (std::size_t i = 0; i < city.logins.size(); ++i) {
    const Login& l = city.logins[i];
    Actor me{l.display_name, int(i)};
    auto put = [&](std::vector<Actor>& slots, int at) {
      if (at >= 0 && at < std::ssize(slots)) slots[std::size_t(at)] = me;
    };
    if (l.role == "grid_worker") put(r.grid_worker, index_of(grid_places, l.place));
    if (l.role == "branch_secretary") put(r.branch_secretary, index_of(grid_places, l.place));
    if (l.role == "building_head") put(r.building_head, index_of(building_places, l.place));
    if (l.role == "community_staff") put(r.community_staff, index_of(city.communities, l.place));
    if (l.role == "street_center") put(r.street_staff, index_of(city.streets, l.place));
    if (l.role == "department_staff" || l.role == "property_staff") put(r.org_staff, l.org);
  }
  return r;
}

// ---------------------------------------------------------------------------
// Where things are: for each place, the building, grid, community and street
// it lies in (-1 above them).

struct Atlas {
  std::vector<int> building, grid, community, street;  // by place index
  std::vector<int> property_of_grid;                   // org index or -1
  std::vector<int> departments;                        // org index by kDepartments index
  std::vector<std::vector<int>> homes_of_grid;
  std::vector<int> building_places, grid_places;  // place index by building, by grid

  explicit Atlas(const City& city) {
    auto n = city.places.size();
    building.assign(n, -1), grid.assign(n, -1), community.assign(n, -1), street.assign(n, -1);
    std::vector<int> grid_at(n, -1), building_at(n, -1), community_at(n, -1), street_at(n, -1);
    for (std::size_t g = 0; g < city.grids.size(); ++g)
      grid_at[std::size_t(city.grids[g].place)] = int(g);
    for (std::size_t b = 0; b < city.buildings.size(); ++b)
      building_at[std::size_t(city.buildings[b].place)] = int(b);
    for (std::size_t c = 0; c < city.communities.size(); ++c)
      community_at[std::size_t(city.communities[c])] = int(c);
    for (std::size_t s = 0; s < city.streets.size(); ++s)
      street_at[std::size_t(city.streets[s])] = int(s);
    // Parents come before children.
    for (std::size_t p = 0; p < n; ++p) {
      int parent = city.places[p].parent;
      if (parent >= 0) {
        auto up = std::size_t(parent);
        building[p] = building[up], grid[p] = grid[up];
        community[p] = community[up], street[p] = street[up];
      }
      if (building_at[p] >= 0) building[p] = building_at[p];
      if (grid_at[p] >= 0) grid[p] = grid_at[p];
      if (community_at[p] >= 0) community[p] = community_at[p];
      if (street_at[p] >= 0) street[p] = street_at[p];
    }
    property_of_grid.assign(city.grids.size(), -1);
    for (std::size_t o = 0; o < city.orgs.size(); ++o) {
      const Org& org = city.orgs[o];
      if (org.kind == "department") departments.push_back(int(o));
      if (org.kind != "property") continue;
      for (int place : org.serves)
        if (grid_at[std::size_t(place)] >= 0)
          property_of_grid[std::size_t(grid_at[std::size_t(place)])] = int(o);
    }
    for (const Building& b : city.buildings) building_places.push_back(b.place);
    for (const Grid& g : city.grids) grid_places.push_back(g.place);
    homes_of_grid.assign(city.grids.size(), {});
    for (std::size_t h = 0; h < city.homes.size(); ++h)
      homes_of_grid[std::size_t(grid[std::size_t(city.homes[h].unit_place)])].push_back(int(h));
  }
};

// ---------------------------------------------------------------------------
// Vocabulary.

struct Share {
  std::string_view code;
  int per_mille;
};

constexpr Share kChannels[] = {
    {"mobile", 450}, {"patrol", 250}, {"hotline", 200}, {"meeting", 50}, {"station", 50}};
constexpr Share kTypes[] = {
    {"practical", 550}, {"important", 120}, {"urgent", 120}, {"hard", 110}, {"big", 100}};

std::string draw_share(Rng& rng, std::span<const Share> shares) {
  long r = rand_between(rng, 0, 999);
  for (const auto& s : shares) {
    if (r < s.per_mille) return std::string(s.code);
    r -= s.per_mille;
  }
  return std::string(shares.back().code);
}

const names::CaseCategory& draw_category(Rng& rng) {
  long total = 0;
  for (const auto& c : names::kCaseCategories) total += c.weight;
  long r = rand_between(rng, 0, total - 1);
  for (const auto& c : names::kCaseCategories) {
    if (r < c.weight) return c;
    r -= c.weight;
  }
  return names::kCaseCategories[0];
}

const names::CaseCategory& category_named(std::string_view code) {
  for (const auto& c : names::kCaseCategories)
    if (c.code == code) return c;
  return names::kCaseCategories[0];
}

std::string_view family(std::string_view code) { return code.substr(0, code.find('.')); }

int rank_of(const std::string& level) { return cases::level_rank(level); }
const std::string& level_at(int rank) { return cases::kLevels[std::size_t(rank)]; }

// The lowest level a case located at this kind of node can be handled at.
int lowest_rank_for(const std::string& kind) {
  if (kind == "unit" || kind == "building") return 0;
  if (kind == "grid") return 1;
  if (kind == "community") return 2;
  return 3;
}

// The first level: the category's default and the routing table of
// 0003_case_defaults.sql, then the dispatcher's judgement — a community-level
// matter inside a compound is often handed to the grid (路灯 in a compound is
// the property's), a street-level one to the community.
int first_rank(Rng& rng, std::string_view code, const std::string& kind) {
  auto fam = family(code);
  int rank = fam == "dispute"                      ? 0
             : (fam == "env" || fam == "property") ? 1
             : fam == "urban"                      ? 3
                                                   : 2;
  if (code == "safety.ebike" && (kind == "unit" || kind == "building")) rank = 1;
  if (rank == 2 && chance(rng, 350)) rank = 1;
  if (rank == 3 && chance(rng, 400)) rank = 2;
  return std::max(rank, lowest_rank_for(kind));
}

// ---------------------------------------------------------------------------
// Deadlines (see the file comment for the approximation).

struct Limits {
  std::int64_t accept, contact, resolve, report, act;
};

Limits limits_for(const std::string& type, const std::string& urgency) {
  if (urgency == "urgent") return {1 * kHour, 2 * kHour, 24 * kHour, 2 * kHour, 24 * kHour};
  if (type == "urgent") return {2 * kHour, 4 * kHour, 3 * kDay, 4 * kHour, 2 * kDay};
  if (type == "big" || type == "hard") return {kDay, kDay, 15 * kDay, kDay, 10 * kDay};
  return {kDay, kDay, 7 * kDay, kDay, 5 * kDay};
}

// ---------------------------------------------------------------------------
// One case's life.

enum class Fate { normal, rejected, merged, stuck_assigned, stuck, suspended, resumed };
enum class FollowUp { rated, phone, unrated, waiting };

struct Draft {
  std::int64_t created = 0;
  int special = 0;  // resident1's household: 1 closed, 2 waiting for a rating, 3 in progress
};

class Planner {
 public:
  Planner(const City& city, const Options& opt, std::int64_t now)
      : city_(city), atlas_(city), now_(now), rng_(opt.seed ^ 0x63617365ULL) {
    roster_ = plan_roster(rng_, city, atlas_.grid_places, atlas_.building_places);
    for (std::size_t i = 0; i < city.logins.size(); ++i)
      if (city.logins[i].role == "resident" && city.logins[i].person >= 0) resident_login_ = int(i);
    if (resident_login_ >= 0)
      resident_home_ =
          city.people[std::size_t(city.logins[std::size_t(resident_login_)].person)].home;
    for (std::size_t h = 0; h < city.homes.size(); ++h)
      if (int(h) != resident_home_) homes_.push_back(int(h));
    for (int h : atlas_.homes_of_grid.front())
      if (h != resident_home_) demo_homes_.push_back(h);
  }

  std::vector<CasePlan> plan(long total) {
    std::vector<Draft> drafts = draft(total);
    for (const Draft& d : drafts) {
      cases_.emplace_back();
      side_.emplace_back();
      build(cases_.back(), side_.back(), d);
    }
    for (std::size_t i = 0; i < cases_.size(); ++i) finish(cases_[i], side_[i]);
    return std::move(cases_);
  }

 private:
  const City& city_;
  Atlas atlas_;
  std::int64_t now_;
  Rng rng_;
  Roster roster_;
  int resident_login_ = -1, resident_home_ = -1;
  std::vector<int> homes_, demo_homes_;  // every household but resident1's; in the first grid
  std::vector<CasePlan> cases_;
  // Events off the main line (whistles, sweeps, merge notes): their states are
  // filled in from the main line once that is complete.
  std::vector<std::vector<CaseEvent>> side_;

  const Place& place(int p) const { return city_.places[std::size_t(p)]; }

  // ---- when ----

  std::int64_t local_midnight() const { return now_ - ((now_ + kShanghai) % kDay + kDay) % kDay; }

  std::vector<Draft> draft(long total) {
    std::vector<Draft> out;
    std::int64_t today = local_midnight();
    bool specials = total >= 3 && resident_login_ >= 0;
    long random = specials ? total - 3 : total;
    for (long i = 0; i < random; ++i) {
      long age = rand_between(rng_, 0, kHistoryDays - 1);
      bool daytime = chance(rng_, 900);
      long minute = daytime ? rand_between(rng_, 7 * 60, 22 * 60 - 1) : rand_between(rng_, 0, 1439);
      long second = rand_between(rng_, 0, 59);
      std::int64_t at = today - age * kDay + minute * kMinute + second * kSecond;
      if (at > now_ - 15 * kMinute) at -= kDay;
      out.push_back({at, 0});
    }
    if (specials) {
      out.push_back({today - 35 * kDay + 9 * kHour + 12 * kMinute, 1});
      out.push_back({today - 3 * kDay + 8 * kHour + 40 * kMinute, 2});
      out.push_back({today - 1 * kDay + 19 * kHour + 5 * kMinute, 3});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Draft& a, const Draft& b) { return a.created < b.created; });
    return out;
  }

  // ---- who ----

  Actor grid_worker(const CasePlan& c) const {
    int g = atlas_.grid[std::size_t(c.place)];
    return g >= 0 ? roster_.grid_worker[std::size_t(g)] : community_staff(c);
  }
  Actor community_staff(const CasePlan& c) const {
    return roster_.community_staff[std::size_t(atlas_.community[std::size_t(c.place)])];
  }
  Actor street_staff(const CasePlan& c) const {
    return roster_.street_staff[std::size_t(atlas_.street[std::size_t(c.place)])];
  }
  // Who works the case at its current level.
  Actor handler(const CasePlan& c) const {
    if (c.handler_org >= 0) return roster_.org_staff[std::size_t(c.handler_org)];
    if (c.level == "building")
      return roster_.building_head[std::size_t(atlas_.building[std::size_t(c.place)])];
    if (c.level == "grid") return grid_worker(c);
    if (c.level == "community") return community_staff(c);
    return street_staff(c);
  }
  // Who accepts, dispatches, verifies and phones back.
  Actor dispatcher(const CasePlan& c) const {
    bool grid_case = atlas_.grid[std::size_t(c.place)] >= 0 &&
                     (c.channel == "mobile" || c.channel == "patrol") && rank_of(c.level) <= 1;
    return grid_case ? grid_worker(c) : community_staff(c);
  }
  Actor verifier(const CasePlan& c) const {
    if (c.level == "building") return grid_worker(c);
    if (c.level == "street") return street_staff(c);
    return community_staff(c);
  }
  Actor reporter(const CasePlan& c) const { return {c.reporter_name, c.reporter_login}; }

  // ---- what and where ----

  int adult_of(int home) {
    const Home& h = city_.homes[std::size_t(home)];
    std::vector<int> adults;
    for (int p : h.people)
      if (!city_.people[std::size_t(p)].phone.empty()) adults.push_back(p);
    if (adults.empty()) return h.people.empty() ? -1 : h.people.front();
    if (chance(rng_, 550)) return adults.front();  // usually the head of household
    return adults[std::size_t(pick_index(rng_, adults))];
  }

  void from_home(CasePlan& c, int home, int person) {
    const Home& h = city_.homes[std::size_t(home)];
    c.home = home;
    c.place = h.unit_place;
    c.address = h.address;
    c.reporter = person;
    if (person >= 0) {
      c.reporter_name = city_.people[std::size_t(person)].name;
      c.reporter_phone = city_.people[std::size_t(person)].phone;
    }
  }

  std::string address_of(int p) const {
    std::string out;
    for (int at = p; at >= 0 && place(at).kind != "district"; at = place(at).parent) {
      std::string name = place(at).name;
      if (place(at).kind == "grid" && name.ends_with("网格")) name.resize(name.size() - 6);
      out = name + out;
    }
    return out;
  }

  void locate(CasePlan& c, std::string_view code) {
    bool have_homes = !homes_.empty();
    if (!have_homes && (c.channel == "mobile" || c.channel == "hotline" || c.channel == "station"))
      c.channel = "patrol";
    // The demo accounts' compound (the first) is a little busier than the
    // rest, so that their queues have something in them.
    bool busy = chance(rng_, 120);
    if (c.channel == "mobile" || c.channel == "hotline" || c.channel == "station") {
      const std::vector<int>& pool = busy && !demo_homes_.empty() ? demo_homes_ : homes_;
      int home = pool[std::size_t(pick_index(rng_, pool))];
      from_home(c, home, adult_of(home));
      c.anonymous = c.channel == "hotline" && chance(rng_, 50);
      return;
    }
    int g = busy ? 0 : int(rand_between(rng_, 0, std::ssize(city_.grids) - 1));
    const Grid& grid = city_.grids[std::size_t(g)];
    if (c.channel == "patrol") {
      c.reporter_name = roster_.grid_worker[std::size_t(g)].name;
      bool street_matter = family(code) == "urban" || code == "repair.road";
      if (street_matter && chance(rng_, 300)) {
        c.place = city_.places[std::size_t(grid.place)].parent;  // on the community's roads
      } else if (!grid.buildings.empty() && chance(rng_, 650)) {
        c.place = city_.buildings[std::size_t(pick(rng_, grid.buildings))].place;
      } else {
        c.place = grid.place;
      }
    } else {  // meeting: raised at a 户院会 (compound) or a 联席会 (community)
      const auto& homes = atlas_.homes_of_grid[std::size_t(g)];
      if (!homes.empty()) {
        int home = homes[std::size_t(pick_index(rng_, homes))];
        int person = adult_of(home);
        if (person >= 0) c.reporter_name = city_.people[std::size_t(person)].name;
      }
      if (c.reporter_name.empty()) c.reporter_name = roster_.branch_secretary[std::size_t(g)].name;
      c.place = chance(rng_, 300) ? city_.places[std::size_t(grid.place)].parent : grid.place;
    }
    c.address = address_of(c.place);
  }

  void position(CasePlan& c) {
    if (c.channel == "hotline" || c.channel == "station") return;  // no map point on the phone
    int b = atlas_.building[std::size_t(c.place)];
    const Place& at = b >= 0 ? place(city_.buildings[std::size_t(b)].place) : place(c.place);
    if (!at.lat || !at.lng) return;
    double dlat = double(rand_between(rng_, -6, 6)) / 111320.0;
    double dlng = double(rand_between(rng_, -6, 6)) / 95897.0;
    c.lat = *at.lat + dlat;
    c.lng = *at.lng + dlng;
  }

  void write_text(CasePlan& c, const names::CaseCategory& cat) {
    int b = atlas_.building[std::size_t(c.place)];
    std::vector<const names::CaseText*> fits;
    for (const auto& t : cat.texts) {
      bool needs_building = t.title.find("{b}") != std::string_view::npos ||
                            t.title.find("{u}") != std::string_view::npos ||
                            t.description.find("{b}") != std::string_view::npos ||
                            t.description.find("{u}") != std::string_view::npos ||
                            t.description.find("{f}") != std::string_view::npos;
      if (b >= 0 || !needs_building) fits.push_back(&t);
    }
    const names::CaseText& t = *fits[std::size_t(pick_index(rng_, fits))];
    std::string compound, building, unit, floor;
    int g = atlas_.grid[std::size_t(c.place)];
    if (g >= 0) compound = city_.grids[std::size_t(g)].compound;
    if (g < 0)
      compound = place(city_.communities[std::size_t(atlas_.community[std::size_t(c.place)])]).name;
    if (b >= 0) {
      const Building& bld = city_.buildings[std::size_t(b)];
      building = std::to_string(bld.number);
      if (c.home >= 0) {
        const Home& h = city_.homes[std::size_t(c.home)];
        auto it = std::find(bld.unit_places.begin(), bld.unit_places.end(), h.unit_place);
        unit = std::to_string(it - bld.unit_places.begin() + 1);
        floor = std::to_string(std::stoi(h.room) / 100);
      } else {
        unit = std::to_string(rand_between(rng_, 1, bld.units));
        floor = std::to_string(rand_between(rng_, 2, std::max(2, bld.floors)));
      }
    }
    auto fill = [&](std::string_view text) {
      std::string out(text);
      for (auto [key, value] : {std::pair<std::string_view, const std::string*>{"{c}", &compound},
                                {"{b}", &building},
                                {"{u}", &unit},
                                {"{f}", &floor}}) {
        for (auto at = out.find(key); at != std::string::npos; at = out.find(key, at))
          out.replace(at, key.size(), *value);
      }
      return out;
    };
    c.title = fill(t.title);
    c.description = fill(t.description);
  }

  // ---- the life ----

  // Appends a step to the main line if it has happened by now. Once a step
  // lies in the future the case stays as it is.
  struct Line {
    CasePlan& c;
    std::int64_t now;
    bool frozen = false;
    bool step(std::int64_t at, const Actor& who, const std::string& action,
              const std::string& to_state, const std::string& to_level = "",
              const std::string& note = "", int refers_to = -1) {
      if (frozen || at > now) {
        frozen = true;
        return false;
      }
      CaseEvent e;
      e.at = at;
      e.actor = who.name;
      e.login = who.login;
      e.action = action;
      e.from_state = c.state;
      e.to_state = to_state.empty() ? c.state : to_state;
      e.from_level = c.level;
      e.to_level = to_level.empty() ? c.level : to_level;
      e.note = note;
      e.refers_to = refers_to;
      c.state = e.to_state;
      c.level = e.to_level;
      c.updated_at = at;
      c.events.push_back(std::move(e));
      return true;
    }
  };

  void side(std::vector<CaseEvent>& out, std::int64_t at, const Actor& who,
            const std::string& action, const std::string& note, int org = -1, bool is_public = true,
            int refers_to = -1) {
    if (at > now_) return;
    CaseEvent e;
    e.at = at;
    e.actor = who.name;
    e.login = who.login;
    e.action = action;
    e.org = org;
    e.note = note;
    e.is_public = is_public;
    e.refers_to = refers_to;
    out.push_back(std::move(e));
  }

  void set_level(CasePlan& c, const std::string& level) {
    int rank = rank_of(level);
    const std::vector<int>& of = rank == 0   ? atlas_.building
                                 : rank == 1 ? atlas_.grid
                                 : rank == 2 ? atlas_.community
                                             : atlas_.street;
    const std::vector<int>& places = rank == 0   ? atlas_.building_places
                                     : rank == 1 ? atlas_.grid_places
                                     : rank == 2 ? city_.communities
                                                 : city_.streets;
    int i = of[std::size_t(c.place)];
    c.level_place = i >= 0 ? places[std::size_t(i)] : c.place;
  }

  // State and level of the case at an instant, from its main line.
  std::pair<std::string, std::string> state_at(const CasePlan& c, std::int64_t at) const {
    std::pair<std::string, std::string> out{"submitted", "grid"};
    for (const CaseEvent& e : c.events) {
      if (e.at > at) break;
      out = {e.to_state, e.to_level};
    }
    return out;
  }

  static bool open_state(const std::string& s) {
    return s != "closed" && s != "rejected" && s != "merged";
  }

  // A recent case in a compound, still open at `at`, that a second report of
  // the same problem could be merged into.
  int duplicate_of(std::int64_t created, std::int64_t at) const {
    for (int i = int(cases_.size()) - 2; i >= 0; --i) {
      const CasePlan& t = cases_[std::size_t(i)];
      if (t.created_at < created - 10 * kDay) break;
      if (atlas_.grid[std::size_t(t.place)] < 0 || t.merged_into >= 0) continue;
      auto [state, level] = state_at(t, at);
      if (open_state(state) && state != "suspended") return i;
    }
    return -1;
  }

  // The second report comes from a neighbour: same building or compound.
  void locate_near(CasePlan& c, const CasePlan& original) {
    int g = atlas_.grid[std::size_t(original.place)];
    int b = atlas_.building[std::size_t(original.place)];
    std::vector<int> homes;
    if (b >= 0)
      for (int h : city_.buildings[std::size_t(b)].homes)
        if (h != resident_home_) homes.push_back(h);
    if (homes.empty())
      for (int h : atlas_.homes_of_grid[std::size_t(g)])
        if (h != resident_home_) homes.push_back(h);
    if (c.channel == "patrol" || c.channel == "meeting" || homes.empty()) {
      c.channel = "patrol";
      c.reporter_name = roster_.grid_worker[std::size_t(g)].name;
      c.place =
          b >= 0 ? atlas_.building_places[std::size_t(b)] : atlas_.grid_places[std::size_t(g)];
      c.address = address_of(c.place);
      return;
    }
    int home = homes[std::size_t(pick_index(rng_, homes))];
    from_home(c, home, adult_of(home));
  }

  void build(CasePlan& c, std::vector<CaseEvent>& side_events, const Draft& d) {
    c.created_at = c.updated_at = d.created;
    // The fate is drawn first: a duplicate takes the category and place of
    // the report it repeats.
    long r = rand_between(rng_, 0, 999);
    int original =
        !d.special && r >= 25 && r < 50 ? duplicate_of(d.created, d.created + kHour) : -1;
    // What, how and where.
    const names::CaseCategory* cat = nullptr;
    if (d.special == 1) cat = &category_named("env.hallway");
    if (d.special == 2) cat = &category_named("property.lift");
    if (d.special == 3) cat = &category_named("dispute.noise");
    if (original >= 0) cat = &category_named(cases_[std::size_t(original)].category);
    if (!cat) cat = &draw_category(rng_);
    c.category = std::string(cat->code);
    c.channel = d.special ? "mobile" : draw_share(rng_, kChannels);
    c.case_type = d.special ? "practical" : draw_share(rng_, kTypes);
    int urgent_per_mille = c.case_type == "urgent" ? 500 : 50;
    c.urgency = !d.special && chance(rng_, urgent_per_mille) ? "urgent" : "normal";
    if (d.special) {
      const Login& me = city_.logins[std::size_t(resident_login_)];
      from_home(c, resident_home_, me.person);
      c.reporter_login = resident_login_;
    } else if (original >= 0) {
      locate_near(c, cases_[std::size_t(original)]);
    } else {
      locate(c, cat->code);
    }
    position(c);
    write_text(c, *cat);
    if (original >= 0) {
      c.title = cases_[std::size_t(original)].title;
      c.description = cases_[std::size_t(original)].description;
    }

    Limits lim = limits_for(c.case_type, c.urgency);
    bool urgent = c.urgency == "urgent";
    c.accept_due = c.created_at + lim.accept;
    c.resolve_due = c.created_at + lim.resolve;
    std::int64_t age = now_ - c.created_at;

    Fate fate = Fate::normal;
    bool past_due = age > lim.resolve + kDay;
    if (d.special) {
      fate = Fate::normal;
    } else if (r < 25) {
      fate = Fate::rejected;
    } else if (original >= 0) {
      fate = Fate::merged;
    } else if (r >= 65 && r < 80 && age > 5 * kDay) {
      fate = Fate::suspended;
    } else if (r >= 80 && r < 100) {
      fate = Fate::resumed;
    } else if (past_due && r >= 100 && r < (age < 60 * kDay ? 170 : 110)) {
      fate = r % 3 == 0 ? Fate::stuck_assigned : Fate::stuck;
    }

    int rank = first_rank(rng_, c.category, place(c.place).kind);
    if (d.special == 2) rank = 1;
    int escalations = 0;
    int escalate_per_mille = rank == 0 ? 120 : rank == 1 ? 60 : rank == 2 ? 60 : 0;
    if (chance(rng_, escalate_per_mille)) ++escalations;
    if (escalations && rank + 1 < 3 && chance(rng_, 150)) ++escalations;
    bool escalate_first = chance(rng_, 400);  // before the first contact
    if (d.special) escalations = 0;
    int final_rank = std::min(3, rank + escalations);
    bool has_departments = cat->departments[0] >= 0;
    int whistle_per_mille = family(c.category) == "urban" ? 600 : 330;
    bool whistle = final_rank >= 2 && has_departments && chance(rng_, whistle_per_mille) &&
                   fate != Fate::suspended && fate != Fate::resumed;
    bool rework = chance(rng_, 70);
    if (d.special) whistle = rework = false;

    Line line{c, now_};
    std::string submit_note = cases::channel_name(c.channel);
    Actor submitter = reporter(c);
    if (c.channel == "patrol") submitter = grid_worker(c);
    if (c.channel == "hotline") submitter = street_staff(c);
    if (c.channel == "station") submitter = community_staff(c);
    if (c.channel == "meeting") {
      int g = atlas_.grid[std::size_t(c.place)];
      submitter = g >= 0 ? roster_.branch_secretary[std::size_t(g)] : community_staff(c);
    }
    line.step(c.created_at, submitter, "submit", "submitted", "", submit_note);

    // Acceptance: mostly within hours, some the next day (the limit is one
    // working day, and a few miss it); what comes in at night waits for the
    // morning.
    std::int64_t t = c.created_at;
    std::int64_t local = (t + kShanghai) % kDay;
    long wait = rand_between(rng_, 0, 999);
    std::int64_t delay = wait < 600   ? between(rng_, 10 * kMinute, 3 * kHour)
                         : wait < 850 ? between(rng_, 3 * kHour, 12 * kHour)
                         : wait < 970 ? between(rng_, 12 * kHour, 22 * kHour)
                                      : between(rng_, 24 * kHour, 40 * kHour);
    if (urgent) delay = between(rng_, 5 * kMinute, 40 * kMinute);
    if (!urgent && (local >= 21 * kHour || local < 7 * kHour)) {
      std::int64_t morning = (local >= 21 * kHour ? kDay : 0) + 8 * kHour - local;
      delay = std::max(delay, morning + between(rng_, 0, 90 * kMinute));
    }
    if (d.special) delay = 35 * kMinute;
    t += delay;

    if (fate == Fate::rejected) {
      Actor who = dispatcher(c);
      std::string reason(pick(rng_, names::kRejectReasons));
      if (line.step(t, who, "reject", "rejected", "", reason)) {
        c.closed_at = t;
        c.close_reason = "rejected";
        c.closed_level = c.level;
      }
      return;
    }
    if (fate == Fate::merged) {
      int target = original;
      if (open_state(state_at(cases_[std::size_t(target)], t).first)) {
        Actor who = dispatcher(c);
        int self = int(cases_.size()) - 1;
        if (line.step(t, who, "merge", "merged", "", "合并到 ", target)) {
          c.merged_into = target;
          c.closed_at = t;
          c.close_reason = "merged";
          c.closed_level = c.level;
          side(side_[std::size_t(target)], t, who, "comment", "合并了重复诉求 ", -1, true, self);
        }
        return;
      }
      fate = Fate::normal;
    }

    Actor acceptor = dispatcher(c);
    if (!line.step(t, acceptor, "accept", "accepted")) return;
    c.accepted_at = t;
    std::string level = level_at(rank);
    int grid = atlas_.grid[std::size_t(c.place)];
    bool property_work =
        (family(c.category) == "property" || (family(c.category) == "env" && chance(rng_, 500)));
    if (rank == 1 && grid >= 0 && property_work)
      c.handler_org = atlas_.property_of_grid[std::size_t(grid)];
    std::string dispatch_note =
        c.handler_org >= 0 ? "请" + city_.orgs[std::size_t(c.handler_org)].name + "尽快处理" : "";
    if (!line.step(t, acceptor, "dispatch", "assigned", level, dispatch_note)) return;
    set_level(c, level);
    c.dispatched_at = t;
    c.contact_due = t + lim.contact;

    auto escalate = [&]() -> bool {
      t += between(rng_, 2 * kHour, urgent ? 8 * kHour : 2 * kDay);
      Actor who = handler(c);
      std::string next = level_at(rank_of(c.level) + 1);
      std::string reason(pick(rng_, names::kEscalateReasons));
      if (!line.step(t, who, "escalate", "assigned", next, reason)) return false;
      set_level(c, next);
      c.handler_org = -1;
      ++c.escalation_count;
      return true;
    };
    auto start = [&](std::int64_t after) -> bool {
      t += after;
      Actor who = handler(c);
      std::string note(pick(rng_, names::kStartNotes));
      if (!line.step(t, who, "start", "in_progress", "", note)) return false;
      if (!c.contacted_at) c.contacted_at = t;
      return true;
    };

    for (int i = 0; escalate_first && i < escalations; ++i)
      if (!escalate()) return;
    if (fate == Fate::stuck_assigned) return;
    bool late_contact = chance(rng_, 80);
    std::int64_t contact = urgent ? between(rng_, 10 * kMinute, 90 * kMinute)
                                  : between(rng_, 30 * kMinute, 20 * kHour);
    if (late_contact) contact = lim.contact + between(rng_, kHour, urgent ? 6 * kHour : 36 * kHour);
    if (d.special) contact = 3 * kHour;
    if (!start(contact)) return;
    for (int i = 0; !escalate_first && i < escalations; ++i) {
      if (!escalate()) return;
      if (!start(between(rng_, 30 * kMinute, 8 * kHour))) return;
    }

    // 吹哨报到: the lead department and perhaps a second one.
    std::int64_t ready = t;
    if (whistle) {
      std::int64_t at = t + between(rng_, kHour, urgent ? 3 * kHour : kDay);
      Actor whistler = c.level == "street" ? street_staff(c) : community_staff(c);
      std::vector<int> depts = {cat->departments[0]};
      if (cat->departments[1] >= 0 && chance(rng_, 400)) depts.push_back(cat->departments[1]);
      std::string note(pick(rng_, names::kWhistleNotes));
      for (std::size_t k = 0; k < depts.size(); ++k) {
        int org = atlas_.departments[std::size_t(depts[k])];
        WhistlePlan w;
        w.org = org;
        w.lead = k == 0;
        w.whistled_at = at;
        w.whistled_by = whistler.login;
        w.report_due = at + lim.report;
        w.act_due = at + lim.act;
        Actor staff = roster_.org_staff[std::size_t(org)];
        // 报而不到: reported after the deadline; 到而不干: acted after it.
        bool late_report = chance(rng_, 100);
        bool late_act = chance(rng_, 100);
        std::int64_t reported = late_report ? w.report_due + between(rng_, 2 * kHour, 30 * kHour)
                                            : at + between(rng_, 20 * kMinute, lim.report * 8 / 10);
        std::int64_t arrived = reported + between(rng_, 15 * kMinute, urgent ? kHour : 4 * kHour);
        std::int64_t window = std::max(w.act_due - arrived, 2 * kHour);
        std::int64_t acted = late_act ? w.act_due + between(rng_, kDay, 3 * kDay)
                                      : arrived + between(rng_, window / 10, window * 9 / 10);
        acted = std::max(acted, arrived + kHour);
        std::string act_note(pick(rng_, names::kActNotes));
        if (at > now_) break;
        side(side_events, at, whistler, "whistle", note, org);
        if (reported <= now_) {
          w.state = "reported";
          w.reported_at = reported;
          side(side_events, reported, staff, "whistle_report", "", org);
        }
        if (arrived <= now_ && w.reported_at) {
          w.state = "arrived";
          w.arrived_at = arrived;
          side(side_events, arrived, staff, "whistle_arrive", "", org);
        }
        if (acted <= now_ && w.arrived_at) {
          w.state = "acted";
          w.acted_at = acted;
          w.action_note = act_note;
          side(side_events, acted, staff, "whistle_act", act_note, org);
        }
        c.whistles.push_back(w);
        ready = std::max(ready, acted + between(rng_, 2 * kHour, 20 * kHour));
      }
    }

    if (fate == Fate::suspended || fate == Fate::resumed) {
      t += between(rng_, 4 * kHour, 3 * kDay);
      Actor who = c.level == "street" ? street_staff(c) : community_staff(c);
      std::string reason(pick(rng_, names::kSuspendReasons));
      std::string from = c.state;
      if (!line.step(t, who, "suspend", "suspended", "", reason)) return;
      c.suspended_from = from;
      c.suspended_at = t;
      if (fate == Fate::suspended) return;  // still waiting
      std::int64_t pause = between(rng_, 3 * kDay, 20 * kDay);
      if (!line.step(t + pause, who, "resume", from, "", "条件已具备，恢复办理")) return;
      t += pause;
      c.suspended_from.clear();
      c.suspended_at.reset();
      c.suspended_ms += pause;
      *c.resolve_due += pause;
    }
    if (fate == Fate::stuck) return;

    // The fix: mostly well inside the deadline, some late.
    std::int64_t remaining = std::max(*c.resolve_due - t, kHour);
    bool late = chance(rng_, 110);
    long per_mille = late ? rand_between(rng_, 1050, 1600) : rand_between(rng_, 30, 850);
    std::int64_t took = remaining / 1000 * per_mille;
    if (d.special == 2) took = kDay;
    if (d.special == 3) took = 4 * kDay;
    t = std::max(t + took, ready);
    const auto& notes = cat->resolved;
    std::string resolved_note(notes[std::size_t(rand_between(rng_, 0, 1))]);
    if (!line.step(t, handler(c), "resolve", "resolved", "", resolved_note)) return;
    c.resolved_at = t;

    auto verify_delay = [&] {
      return urgent ? between(rng_, 30 * kMinute, 4 * kHour) : between(rng_, 2 * kHour, 30 * kHour);
    };
    if (rework) {
      t += verify_delay();
      std::string reason(pick(rng_, names::kReworkReasons));
      if (!line.step(t, verifier(c), "verify_fail", "in_progress", "", reason)) return;
      ++c.rework_count;
      t += urgent ? between(rng_, 2 * kHour, 8 * kHour) : between(rng_, kDay, 3 * kDay);
      if (!line.step(t, handler(c), "resolve", "resolved", "", "已按核查意见返工处理。")) return;
      c.resolved_at = t;
    }
    t += d.special == 2 ? 3 * kHour : verify_delay();
    std::string pass_note = chance(rng_, 500) ? "现场核查已整改到位。" : "";
    if (!line.step(t, verifier(c), "verify_pass", "follow_up", "", pass_note)) return;
    std::int64_t verified = t;

    // Follow-up: residents who reported on their phones rate it themselves;
    // the others are phoned; some never answer and the window closes it.
    FollowUp follow = FollowUp::phone;
    long f = rand_between(rng_, 0, 999);
    if (c.channel == "mobile" && c.reporter >= 0) {
      follow = f < 800 ? FollowUp::rated : f < 900 ? FollowUp::phone : FollowUp::unrated;
    } else if (c.reporter >= 0) {
      follow = f < 850 ? FollowUp::phone : FollowUp::unrated;
    } else {
      follow = f < 550 ? FollowUp::phone : FollowUp::unrated;
    }
    if (d.special == 1) follow = FollowUp::rated;
    if (d.special == 2) follow = FollowUp::waiting;
    long rr = rand_between(rng_, 0, 999);
    std::string rating = rr < 850 ? "satisfied" : rr < 950 ? "basic" : "unsatisfied";
    if (d.special == 1) rating = "satisfied";
    bool solved = rating == "satisfied" ? true
                  : rating == "basic"   ? chance(rng_, 850)
                                        : chance(rng_, 300);
    std::string comment(rating == "satisfied" ? pick(rng_, names::kSatisfiedComments)
                        : rating == "basic"   ? pick(rng_, names::kBasicComments)
                                              : pick(rng_, names::kUnsatisfiedComments));
    std::int64_t answer = follow == FollowUp::rated ? between(rng_, kHour, 4 * kDay)
                                                    : between(rng_, 3 * kHour, 3 * kDay);
    if (follow == FollowUp::waiting) return;
    if (follow == FollowUp::unrated) {
      t = verified + kRatingWindow + between(rng_, 0, 59 * kSecond);
      if (!line.step(t, roster_.system, "auto_close", "closed", "", "7天内未评价，按未评价结案"))
        return;
      c.closed_at = t;
      c.closed_level = c.level;
      c.close_reason = "not_rated";
      return;
    }
    t += answer;
    bool rated = follow == FollowUp::rated;
    Actor who = rated ? reporter(c) : verifier(c);
    std::string note = std::string(solved ? "已解决" : "未解决") + "，" +
                       cases::rating_name(rating) + (comment.empty() ? "" : "：") + comment;
    if (!line.step(t, who, rated ? "rate" : "phone_followup", "closed", "", note)) return;
    c.closed_at = c.rated_at = t;
    c.closed_level = c.level;
    c.close_reason = rated ? "rated" : "phone";
    c.rating = rating;
    c.rating_solved = solved;
    c.rating_comment = comment;
  }

  // Adds what the sweep would have written (near-due and overdue notices),
  // gives the side events their states and puts the timeline in order.
  void finish(CasePlan& c, std::vector<CaseEvent>& side_events) {
    auto watched = [](const std::string& s) {
      return s == "accepted" || s == "assigned" || s == "in_progress";
    };
    if (c.resolve_due) {
      std::int64_t due = *c.resolve_due;
      std::int64_t near = c.created_at + (due - c.created_at) * 8 / 10;
      long near_s = rand_between(rng_, 0, 59);
      long due_s = rand_between(rng_, 0, 59);
      near += near_s * kSecond;
      due += due_s * kSecond;
      if (near <= now_ && near < *c.resolve_due && watched(state_at(c, near).first)) {
        side(side_events, near, roster_.system, "near_due", "", -1, false);
        c.near_due_notified = true;
      }
      if (due <= now_ && watched(state_at(c, due).first)) {
        side(side_events, due, roster_.system, "overdue", "", -1, false);
        c.overdue_notified = true;
      }
    }
    for (CaseEvent& e : side_events) {
      auto [state, level] = state_at(c, e.at);
      e.from_state = e.to_state = state;
      e.from_level = e.to_level = level;
    }
    for (CaseEvent& e : side_events) {
      c.updated_at = std::max(c.updated_at, e.at);
      c.events.push_back(std::move(e));
    }
    std::stable_sort(c.events.begin(), c.events.end(),
                     [](const CaseEvent& a, const CaseEvent& b) { return a.at < b.at; });
  }
};

// ---------------------------------------------------------------------------
// Writing.

store::Value maybe(const std::optional<std::int64_t>& v) {
  return v ? store::Value{*v} : store::null();
}
store::Value maybe(const std::optional<double>& v) { return v ? store::Value{*v} : store::null(); }
store::Value maybe(const std::string& s) { return s.empty() ? store::null() : store::Value{s}; }

std::string case_code(std::int64_t created_at, std::int64_t id) {
  auto day = calendar::shanghai_day(created_at);
  return fmt::format("C{}{}{}-{:06d}", day.substr(0, 4), day.substr(5, 2), day.substr(8, 2), id);
}

// Timeline rows go in batches: one statement for many rows saves round trips.
class EventWriter {
 public:
  explicit EventWriter(store::Tx& tx) : tx_(tx) {}
  Status add(store::Params row) {
    rows_.push_back(std::move(row));
    return rows_.size() >= 50 ? flush() : Status{};
  }
  Status flush() {
    if (rows_.empty()) return {};
    std::string sql =
        "INSERT INTO case_events (case_id, at, actor_user_id, actor_name, action, from_state, "
        "to_state, from_level, to_level, org_id, note, public) VALUES ";
    store::Params params;
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      sql += r ? ", (" : "(";
      for (std::size_t k = 0; k < rows_[r].size(); ++k) {
        params.push_back(std::move(rows_[r][k]));
        sql += (k ? ", $" : "$") + std::to_string(params.size());
      }
      sql += ")";
    }
    rows_.clear();
    auto r = tx_.exec(sql, params);
    if (!r) return fail(r.error());
    return {};
  }

 private:
  store::Tx& tx_;
  std::vector<store::Params> rows_;
};

}  // namespace

std::vector<CasePlan> plan_cases(const City& city, const Options& opt, std::int64_t now) {
  if (opt.cases <= 0 || city.grids.empty()) return {};
  return Planner(city, opt, now).plan(opt.cases);
}

Status write_cases(store::Tx& tx, const City& city, const std::vector<CasePlan>& cases,
                   const Options& opt) {
  if (cases.empty()) return {};
  auto cats = tx.query("SELECT id, code FROM case_categories");
  if (!cats) return fail(cats.error());
  std::map<std::string, std::int64_t> category_id;
  for (const auto& r : *cats) category_id[r.str("code")] = r.i64("id");
  for (const auto& c : names::kCaseCategories)
    if (!category_id.count(std::string(c.code)))
      return fail(Error::internal("诉求分类缺少 " + std::string(c.code) + "，请先升级数据库"));

  auto login_id = [&](int login) {
    return login >= 0 ? store::Value{city.logins[std::size_t(login)].id} : store::null();
  };
  auto org_id = [&](int org) {
    return org >= 0 ? store::Value{city.orgs[std::size_t(org)].id} : store::null();
  };
  static const char* kColumns[] = {"code",
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
                                   "reporter_user_id",
                                   "reporter_name",
                                   "reporter_phone_enc",
                                   "reporter_phone_mask",
                                   "anonymous",
                                   "handler_org_id",
                                   "merged_into_id",
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
                                   "created_at",
                                   "updated_at"};
  std::string insert = "INSERT INTO cases (";
  std::string values;
  for (std::size_t i = 0; i < std::size(kColumns); ++i) {
    insert += (i ? ", " : "") + std::string(kColumns[i]);
    values += (i ? ", $" : "$") + std::to_string(i + 1);
  }
  insert += ") VALUES (" + values + ") RETURNING id";

  std::vector<std::int64_t> ids(cases.size(), 0);
  std::vector<std::string> codes(cases.size());
  long total = long(cases.size()), done = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CasePlan& c = cases[i];
    const Place& at = city.places[std::size_t(c.place)];
    std::string phone = c.reporter_phone;
    store::Value household =
        c.home >= 0 ? store::Value{city.homes[std::size_t(c.home)].id} : store::null();
    store::Value resident =
        c.reporter >= 0 ? store::Value{city.people[std::size_t(c.reporter)].id} : store::null();
    store::Value level_node = c.level_place >= 0
                                  ? store::Value{city.places[std::size_t(c.level_place)].id}
                                  : store::null();
    store::Value merged =
        c.merged_into >= 0 ? store::Value{ids[std::size_t(c.merged_into)]} : store::null();
    store::Value solved =
        c.rating_solved ? store::Value{std::int64_t{*c.rating_solved ? 1 : 0}} : store::null();
    store::Params p = {
        "new-" + std::to_string(i),
        c.title,
        c.description,
        category_id[c.category],
        c.case_type,
        c.urgency,
        c.channel,
        c.state,
        maybe(c.suspended_from),
        c.level,
        level_node,
        at.id,
        at.path,
        household,
        maybe(c.lat),
        maybe(c.lng),
        c.address,
        resident,
        login_id(c.reporter_login),
        c.reporter_name,
        phone.empty() ? store::null() : store::Value{crypto::seal(phone)},
        phone.empty() ? store::null() : store::Value{validate::mask_phone(phone)},
        std::int64_t{c.anonymous ? 1 : 0},
        org_id(c.handler_org),
        merged,
        maybe(c.accept_due),
        maybe(c.contact_due),
        maybe(c.resolve_due),
        maybe(c.accepted_at),
        maybe(c.dispatched_at),
        maybe(c.contacted_at),
        maybe(c.resolved_at),
        maybe(c.closed_at),
        maybe(c.closed_level),
        maybe(c.close_reason),
        c.rework_count,
        c.escalation_count,
        c.suspended_ms,
        maybe(c.suspended_at),
        solved,
        maybe(c.rating),
        c.rated_at ? store::Value{c.rating_comment} : store::null(),
        maybe(c.rated_at),
        std::int64_t{c.near_due_notified ? 1 : 0},
        std::int64_t{c.overdue_notified ? 1 : 0},
        c.created_at,
        c.updated_at,
    };
    auto row = tx.one(insert, p);
    if (!row) return fail(row.error());
    ids[i] = row->i64("id");
    codes[i] = case_code(c.created_at, ids[i]);
    auto u = tx.exec("UPDATE cases SET code = $1 WHERE id = $2", {codes[i], ids[i]});
    if (!u) return fail(u.error());
    if (++done % 100 == 0 && done < total && opt.progress) opt.progress("诉求", done, total);
  }

  EventWriter events(tx);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (const CaseEvent& e : cases[i].events) {
      std::string note = e.note;
      if (e.refers_to >= 0) note += codes[std::size_t(e.refers_to)];
      if (auto s = events.add({ids[i], e.at, login_id(e.login), e.actor, e.action, e.from_state,
                               e.to_state, e.from_level, e.to_level, org_id(e.org), note,
                               std::int64_t{e.is_public ? 1 : 0}});
          !s)
        return s;
    }
    for (const WhistlePlan& w : cases[i].whistles) {
      auto r = tx.exec(
          "INSERT INTO case_whistles (case_id, org_id, lead, state, whistled_at, whistled_by, "
          "report_due, act_due, reported_at, arrived_at, acted_at, action_note) VALUES ($1, $2, "
          "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
          {ids[i], org_id(w.org), std::int64_t{w.lead ? 1 : 0}, w.state, w.whistled_at,
           login_id(w.whistled_by), w.report_due, w.act_due, maybe(w.reported_at),
           maybe(w.arrived_at), maybe(w.acted_at), w.action_note});
      if (!r) return fail(r.error());
    }
  }
  if (auto s = events.flush(); !s) return s;
  if (opt.progress) opt.progress("诉求", total, total);
  return {};
}

}  // namespace linli::demo::detail
