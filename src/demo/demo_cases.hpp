// Inside the demo loader: the city as planned in memory, shared by the
// territory and people (demo.cpp) and the case history (demo_cases.cpp).
// Not an API: only the two loader files include it.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "demo/demo.hpp"
#include "demo/names.hpp"
#include "store/db.hpp"

namespace linli::demo::detail {

using Rng = std::mt19937_64;

// ---------------------------------------------------------------------------
// Drawing. std::uniform_int_distribution differs between standard libraries,
// and the demo city must be the same everywhere for a seed, so we draw by hand.

inline long rand_between(Rng& rng, long lo, long hi) {
  auto span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<long>(rng() % span);
}

inline bool chance(Rng& rng, int per_mille) { return rand_between(rng, 0, 999) < per_mille; }

template <class List>
const auto& pick(Rng& rng, const List& items) {
  return items[static_cast<std::size_t>(rand_between(rng, 0, std::ssize(items) - 1))];
}

inline std::string pick_weighted(Rng& rng, std::span<const names::Weighted> items) {
  long total = 0;
  for (const auto& w : items) total += w.weight;
  long r = rand_between(rng, 0, total - 1);
  for (const auto& w : items) {
    if (r < w.weight) return std::string(w.text);
    r -= w.weight;
  }
  return std::string(items.back().text);
}

// ---------------------------------------------------------------------------
// The city as planned in memory. Indices link the parts; ids are filled in
// as rows are written.

struct Place {  // a territory node
  int parent = -1;
  std::string kind{}, name{};
  std::optional<std::int64_t> floors{};
  std::optional<double> lat{}, lng{};
  std::string boundary{};  // grids: GeoJSON Polygon coordinates "[[[lng,lat],…]]"
  std::int64_t id = 0;
  std::int64_t depth = 0;
  std::string path{};
};

struct Grid {
  int place = 0, community = 0;
  std::string compound;
  names::Style style = names::Style::walkup;
  std::vector<int> buildings;
};

struct Building {
  int place = 0, grid = 0, number = 0;
  int floors = 0, units = 0, doors = 0;  // doors per floor in each unit
  std::vector<int> unit_places, homes;
  int party_group = -1;
};

struct Home {
  int unit_place = 0, building = 0;
  std::string room, address;
  double area = 0;
  std::vector<int> people;
  std::int64_t id = 0;
};

struct Person {
  int home = 0;
  std::string surname, name, relation, phone, id_number, tags;
  char gender = 'M';
  int age = 0;
  std::chrono::sys_days born{};
  std::int64_t id = 0;
};

struct PartyOrg {
  int parent = -1, place = 0;
  std::string kind, name;
  std::int64_t id = 0;
};

struct Member {
  int person = 0, party_org = 0;
  std::string category{}, employer{}, joined_on{};
  bool central = false;
  std::vector<int> linked_homes{};
  std::int64_t id = 0;
};

struct Org {
  std::string kind, name, contact_name, contact_phone;
  int place = -1;
  std::vector<int> serves;
  std::int64_t id = 0;
};

struct Login {
  std::string username, display_name, role;
  int place = -1, org = -1, person = -1;
  std::string password_hash{};
  std::int64_t id = 0;           // users.id once written
  std::string totp_secret = {};  // base32; administrators must have a second factor
};

struct City {
  std::vector<Place> places;
  std::vector<int> streets, communities;  // place indices
  std::vector<Grid> grids;
  std::vector<Building> buildings;
  std::vector<Home> homes;
  std::vector<Person> people;
  std::vector<PartyOrg> party_orgs;
  std::vector<Member> members;
  std::vector<Org> orgs;
  std::vector<Login> logins;
  int demo_building = 0;  // where the building/unit/group/resident accounts live
  std::unordered_set<std::string> used_ids, used_phones;

  int add_place(int parent, std::string kind, std::string name) {
    places.push_back({.parent = parent, .kind = std::move(kind), .name = std::move(name)});
    return static_cast<int>(places.size()) - 1;
  }
};

// Personal names drawn as the people of the city are (demo.cpp).
std::string given_name(Rng& rng, char gender, int birth_year);

// ---------------------------------------------------------------------------
// The case history (demo_cases.cpp).

struct CaseEvent {
  std::int64_t at = 0;
  std::string actor;  // display name
  int login = -1;     // the demo account that acted, if any
  std::string action, from_state, to_state, from_level, to_level;
  int org = -1;  // index into City::orgs
  std::string note;
  bool is_public = true;
  int refers_to = -1;  // a case whose code completes the note (merges)
};

struct WhistlePlan {
  int org = 0;  // index into City::orgs
  bool lead = false;
  std::string state = "whistled";
  std::int64_t whistled_at = 0, report_due = 0, act_due = 0;
  int whistled_by = -1;  // login index
  std::optional<std::int64_t> reported_at, arrived_at, acted_at;
  std::string action_note;
};

struct CasePlan {
  std::string category;  // code in case_categories
  std::string title, description, case_type, urgency, channel;
  int place = 0;  // where it is (a unit, building, grid or community)
  int home = -1;  // the reporting household
  int reporter = -1, reporter_login = -1;
  std::string reporter_name, reporter_phone;
  bool anonymous = false;
  std::optional<double> lat, lng;
  std::string address;

  std::string state = "submitted", suspended_from, level = "grid";
  int level_place = -1, handler_org = -1, merged_into = -1;
  std::optional<std::int64_t> accept_due, contact_due, resolve_due, accepted_at, dispatched_at,
      contacted_at, resolved_at, closed_at, rated_at, suspended_at;
  std::string closed_level, close_reason, rating, rating_comment;
  std::optional<bool> rating_solved;
  std::int64_t rework_count = 0, escalation_count = 0, suspended_ms = 0;
  bool near_due_notified = false, overdue_notified = false;
  std::int64_t created_at = 0, updated_at = 0;
  std::vector<CaseEvent> events;
  std::vector<WhistlePlan> whistles;
};

// Plans opt.cases cases over the 120 days before now, deterministic for a
// seed, a city and now.
std::vector<CasePlan> plan_cases(const City& city, const Options& opt, std::int64_t now);

// Writes the planned cases, their timelines and whistles. Re-runnable: it
// sets nothing on `city` or `cases`.
Status write_cases(store::Tx& tx, const City& city, const std::vector<CasePlan>& cases,
                   const Options& opt);

}  // namespace linli::demo::detail
