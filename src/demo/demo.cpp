#include "demo/demo.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "auth/totp.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"
#include "demo/demo_cases.hpp"
#include "demo/demo_points.hpp"
#include "demo/names.hpp"
#include "open311/keys.hpp"
#include "search/case_index.hpp"

namespace linli::demo {
namespace {

using namespace detail;
using names::Style;
using std::chrono::sys_days;

// ---------------------------------------------------------------------------
// Drawing (the basic draws are in demo_cases.hpp).

// The first `count` of `items` become a random sample (partial Fisher–Yates).
template <class T>
void sample_front(Rng& rng, std::vector<T>& items, std::size_t count) {
  count = std::min(count, items.size());
  for (std::size_t i = 0; i < count; ++i) {
    auto j =
        static_cast<std::size_t>(rand_between(rng, static_cast<long>(i), std::ssize(items) - 1));
    std::swap(items[i], items[j]);
  }
  items.resize(count);
}

// Splits `total` in proportion to `weights` (largest remainder), so the parts
// add up exactly.
std::vector<long> apportion(long total, const std::vector<long>& weights) {
  long sum = 0;
  for (long w : weights) sum += w;
  std::vector<long> parts(weights.size(), 0);
  if (sum <= 0) return parts;
  std::vector<std::pair<long, std::size_t>> remainders;
  long given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    parts[i] = total * weights[i] / sum;
    given += parts[i];
    remainders.push_back({total * weights[i] % sum, i});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < total && k < remainders.size(); ++k, ++given) {
    ++parts[remainders[k].second];
  }
  return parts;
}

// ---------------------------------------------------------------------------
// Dates. The city is drawn as of a fixed day so that a seed gives the same
// birth dates whenever it is loaded.

constexpr sys_days kAsOf{std::chrono::year{2026} / 11 / 1};

std::string format_date(sys_days day, bool dashes = true) {
  std::chrono::year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, dashes ? "%04d-%02u-%02u" : "%04d%02u%02u", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

int year_of(sys_days day) { return int(std::chrono::year_month_day{day}.year()); }

// A birth day that makes the person `age` whole years old on kAsOf.
sys_days born_at_age(Rng& rng, int age) {
  long days = static_cast<long>(age) * 3652425 / 10000 + rand_between(rng, 1, 364);
  return kAsOf - std::chrono::days{days};
}

// ---------------------------------------------------------------------------
// Personal data: plausible, valid, unique.

}  // namespace

std::string detail::given_name(Rng& rng, char gender, int birth_year) {
  bool male = gender == 'M';
  if (birth_year < 1965)
    return std::string(male ? pick(rng, names::kElderMale) : pick(rng, names::kElderFemale));
  if (birth_year < 1995) {
    if (chance(rng, 350))
      return std::string(male ? pick(rng, names::kMiddleMale1) : pick(rng, names::kMiddleFemale1));
    return std::string(male ? pick(rng, names::kMiddleMale2) : pick(rng, names::kMiddleFemale2));
  }
  return std::string(male ? pick(rng, names::kYoungMale) : pick(rng, names::kYoungFemale));
}

namespace {

std::string new_phone(Rng& rng, City& city) {
  for (;;) {
    char digits[16];
    std::snprintf(digits, sizeof digits, "%08ld", rand_between(rng, 0, 99999999));
    std::string phone = std::string(pick(rng, names::kMobilePrefixes)) + digits;
    if (city.used_phones.insert(phone).second) return phone;
  }
}

// ISO 7064 MOD 11-2, as GB 11643 prescribes for the 18th character.
char id_check_digit(std::string_view first17) {
  static constexpr int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr std::string_view map = "10X98765432";
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * weights[i];
  return map[static_cast<std::size_t>(sum % 11)];
}

// The sequence's last digit is odd for men and even for women; id_hash is
// unique in the schema, so a taken number draws again.
std::string new_id_number(Rng& rng, City& city, sys_days born, char gender) {
  std::string prefix = pick_weighted(rng, names::kBirthRegions) + format_date(born, false);
  for (;;) {
    long seq = rand_between(rng, 0, 99) * 10;
    seq += rand_between(rng, 0, 4) * 2 + (gender == 'M' ? 1 : 0);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03ld", seq);
    std::string id = prefix + buf;
    id += id_check_digit(id);
    if (city.used_ids.insert(id).second) return id;
  }
}

int add_person(Rng& rng, City& city, int home, std::string surname, char gender, int age,
               std::string relation) {
  Person p;
  p.home = home;
  p.gender = gender;
  p.age = std::clamp(age, 0, 95);
  p.born = born_at_age(rng, p.age);
  p.surname = std::move(surname);
  p.name = p.surname + given_name(rng, gender, year_of(p.born));
  p.relation = std::move(relation);
  if (p.age >= 18) p.phone = new_phone(rng, city);
  p.id_number = new_id_number(rng, city, p.born, gender);
  city.people.push_back(std::move(p));
  int index = static_cast<int>(city.people.size()) - 1;
  city.homes[static_cast<std::size_t>(home)].people.push_back(index);
  return index;
}

// ---------------------------------------------------------------------------
// Households. Shapes and their shares (per mille) follow a typical urban
// community: many couples with one child, a good share of older people on
// their own or as couples (空巢), some three-generation families.

enum class Shape {
  elder_single,
  elder_couple,
  young_single,
  young_couple,
  one_child,
  two_children,
  with_a_parent,
  with_both_parents,
  with_grandchild,
  shared
};

struct ShapeShare {
  Shape shape;
  int per_mille;
};

constexpr ShapeShare kShapes[] = {
    {Shape::elder_single, 80},  {Shape::elder_couple, 120},     {Shape::young_single, 80},
    {Shape::young_couple, 100}, {Shape::one_child, 300},        {Shape::two_children, 120},
    {Shape::with_a_parent, 80}, {Shape::with_both_parents, 40}, {Shape::with_grandchild, 50},
    {Shape::shared, 30},
};

Shape draw_shape(Rng& rng) {
  long r = rand_between(rng, 0, 999);
  for (const auto& s : kShapes) {
    if (r < s.per_mille) return s.shape;
    r -= s.per_mille;
  }
  return Shape::one_child;
}

struct Family {
  Rng& rng;
  City& city;
  int home;

  Person& at(int i) { return city.people[static_cast<std::size_t>(i)]; }
  std::string surname() { return pick_weighted(rng, names::kSurnames); }

  int head(int age_lo, int age_hi, int male_per_mille) {
    char g = chance(rng, male_per_mille) ? 'M' : 'F';
    std::string s = surname();
    int age = int(rand_between(rng, age_lo, age_hi));
    return add_person(rng, city, home, std::move(s), g, age, "户主");
  }
  // Husbands are usually a little older than their wives.
  int spouse(int head_index) {
    const Person& h = at(head_index);
    int gap = int(rand_between(rng, -2, 5));
    int age = h.gender == 'M' ? h.age - gap : h.age + gap;
    char g = h.gender == 'M' ? 'F' : 'M';
    return add_person(rng, city, home, surname(), g, std::max(age, 20), "配偶");
  }
  // A child takes the father's surname; the mother was 20–40 at the birth.
  int child(int father, int mother, int min_age = 0) {
    int mother_age = at(mother).age;
    int lo = std::max(min_age, mother_age - 40), hi = std::max(lo, mother_age - 20);
    char g = chance(rng, 510) ? 'M' : 'F';
    return add_person(rng, city, home, at(father).surname, g, int(rand_between(rng, lo, hi)),
                      "子女");
  }
  // The head's own father shares the head's surname; the mother keeps hers.
  int parent(int head_index, char gender) {
    int age = at(head_index).age + int(rand_between(rng, 22, 34));
    std::string s = gender == 'M' ? at(head_index).surname : surname();
    return add_person(rng, city, home, s, gender, age, "父母");
  }
  std::pair<int, int> father_mother(int a, int b) {
    return at(a).gender == 'M' ? std::pair{a, b} : std::pair{b, a};
  }
  int couple_with_children(int head_lo, int head_hi, int children) {
    int h = head(head_lo, head_hi, 700);
    auto [f, m] = father_mother(h, spouse(h));
    for (int i = 0; i < children; ++i) child(f, m);
    return h;
  }
};

void plan_family(Rng& rng, City& city, int home) {
  Family fam{rng, city, home};
  switch (draw_shape(rng)) {
    case Shape::elder_single:
      fam.head(65, 95, 350);
      break;  // mostly widows
    case Shape::elder_couple:
      fam.spouse(fam.head(60, 88, 800));
      break;
    case Shape::young_single:
      fam.head(20, 45, 550);
      break;
    case Shape::young_couple:
      fam.spouse(fam.head(24, 40, 700));
      break;
    case Shape::one_child:
      fam.couple_with_children(28, 55, 1);
      break;
    case Shape::two_children:
      fam.couple_with_children(32, 55, 2);
      break;
    case Shape::with_a_parent: {
      int h = fam.couple_with_children(30, 50, 1);
      fam.parent(h, chance(rng, 300) ? 'M' : 'F');  // widowed mothers outlive fathers
      break;
    }
    case Shape::with_both_parents: {
      int h = fam.couple_with_children(32, 50, 1);
      fam.parent(h, 'M');
      fam.parent(h, 'F');
      break;
    }
    case Shape::with_grandchild: {
      int h = fam.head(55, 75, 750);
      auto [f, m] = fam.father_mother(h, fam.spouse(h));
      int c = fam.child(f, m, 22);  // old enough to be a parent
      // The grandchild's other parent lives elsewhere; when the adult child
      // is a daughter the grandchild carries the other parent's surname.
      int age = int(rand_between(rng, 0, std::min(17, fam.at(c).age - 20)));
      std::string s = fam.at(c).gender == 'M' ? fam.at(c).surname : fam.surname();
      add_person(rng, city, home, s, chance(rng, 510) ? 'M' : 'F', age, "孙子女");
      break;
    }
    case Shape::shared: {
      fam.head(22, 60, 500);  // with a relative or a flatmate
      std::string s = fam.surname();
      char g = chance(rng, 500) ? 'M' : 'F';
      add_person(rng, city, home, std::move(s), g, int(rand_between(rng, 18, 60)), "其他");
      break;
    }
  }
}

// Care tags drive the visits (走访). Older people with no younger household
// member are 空巢; alone they are also 独居. 低保 and 困难 apply to a whole
// household.
void tag_household(Rng& rng, City& city, const Home& home) {
  bool all_old = true;
  for (int i : home.people) all_old = all_old && city.people[std::size_t(i)].age >= 60;
  bool alone = home.people.size() == 1;
  bool low_income = chance(rng, all_old && alone ? 70 : 25);
  bool hardship = chance(rng, 30);
  for (int i : home.people) {
    Person& p = city.people[std::size_t(i)];
    std::vector<std::string_view> tags;
    if (all_old) tags.push_back("空巢老人");
    if (alone && p.age >= 60) tags.push_back("独居");
    if (chance(rng, p.age >= 60 ? 40 : 12)) tags.push_back("残疾");
    if (low_income) tags.push_back("低保");
    if (hardship) tags.push_back("困难群众");
    if (p.gender == 'M' && p.age >= 25 && p.age <= 85 && chance(rng, 40))
      tags.push_back("退役军人");
    for (auto t : tags) {
      if (!p.tags.empty()) p.tags += ',';
      p.tags += t;
    }
  }
}

// ---------------------------------------------------------------------------
// Territory.

struct BuildingShape {
  int floors, units, doors;
};

BuildingShape draw_building_shape(Rng& rng, Style style) {
  switch (style) {
    case Style::walkup:
      return {int(rand_between(rng, 6, 7)), int(rand_between(rng, 3, 4)), 2};
    case Style::mid_rise:
      return {int(rand_between(rng, 11, 18)), int(rand_between(rng, 2, 3)),
              int(rand_between(rng, 2, 3))};
    case Style::high_rise:
      return {int(rand_between(rng, 24, 33)), int(rand_between(rng, 2, 3)),
              int(rand_between(rng, 3, 4))};
  }
  return {6, 2, 2};
}

void plan_building(Rng& rng, City& city, int grid_index, int number) {
  Grid& grid = city.grids[std::size_t(grid_index)];
  Building b;
  b.grid = grid_index;
  b.number = number;
  auto shape = draw_building_shape(rng, grid.style);
  b.floors = shape.floors, b.units = shape.units, b.doors = shape.doors;
  b.place = city.add_place(grid.place, "building", std::to_string(number) + "栋");
  city.places[std::size_t(b.place)].floors = b.floors;
  for (int u = 1; u <= b.units; ++u) {
    b.unit_places.push_back(city.add_place(b.place, "unit", std::to_string(u) + "单元"));
  }
  grid.buildings.push_back(int(city.buildings.size()));
  city.buildings.push_back(std::move(b));
}

void plan_territory(Rng& rng, City& city) {
  int district = city.add_place(-1, "district", std::string(names::kDistrict));
  city.places[0].lat = names::kCentreLat;
  city.places[0].lng = names::kCentreLng;
  for (auto street : names::kStreets) {
    int s = city.add_place(district, "street", std::string(street));
    city.streets.push_back(s);
  }
  for (const auto& community : names::kCommunities) {
    int c = city.add_place(city.streets[std::size_t(community.street)], "community",
                           std::string(community.name));
    city.communities.push_back(c);
    for (const auto& compound : community.compounds) {
      Grid grid;
      grid.community = int(city.communities.size()) - 1;
      grid.compound = std::string(compound.name);
      grid.style = compound.style;
      grid.place = city.add_place(c, "grid", grid.compound + "网格");
      city.grids.push_back(std::move(grid));
      int gi = int(city.grids.size()) - 1;
      long count = rand_between(rng, 7, 9);
      for (int n = 1; n <= count; ++n) plan_building(rng, city, gi, n);
    }
  }
}

// ---------------------------------------------------------------------------
// The map. Positions are planned in metres east (x) and north (y) of the
// district centre and turned into degrees at the end. Each level sits on a
// ring around its parent, spaced so that the circles holding the parts can
// never touch, hence no two grids overlap:
//   streets     1,300–1,400 m from the district centre, evenly round it
//               (everything of a street lies within 1,080 m of its centre);
//   communities 620 m round their street (within 460 m of their centre; at
//               most three per street, so neighbours are ≥ 1,070 m apart);
//   grids       260 m round their community (an outline within 200 m of the
//               grid's centre; neighbours 450 m apart);
//   buildings   inside their grid's outline, 22 m from its edges, ≥ 28 m apart.
// Directions come from a table in 15° steps, not from sin and cos, and every
// draw is an integer: the map is the same bit for bit wherever it is drawn.

struct Point {
  double x = 0, y = 0;
};
using Outline = std::vector<Point>;  // counter-clockwise, convex

constexpr double kMetresPerDegLat = 111320.0;
constexpr double kMetresPerDegLng = 95897.0;  // 111,320 × cos 30.52°

// The unit vector `step` × 15° counter-clockwise from east.
Point direction(long step) {
  static constexpr double kCos[7] = {
      1.0, 0.9659258262890683, 0.8660254037844387, 0.7071067811865476, 0.5, 0.25881904510252074,
      0.0};
  long k = (step % 24 + 24) % 24;
  double c = kCos[k % 6], s = kCos[6 - k % 6];
  switch (k / 6) {
    case 0:
      return {c, s};
    case 1:
      return {-s, c};
    case 2:
      return {-c, -s};
    default:
      return {s, -c};
  }
}

Point towards(Point from, long step, double metres) {
  Point d = direction(step);
  return {from.x + d.x * metres, from.y + d.y * metres};
}

// A compound's outline: most estates are a rough rectangle, some a hexagon.
Outline draw_outline(Rng& rng, Point centre) {
  Outline out;
  long turn = rand_between(rng, 0, 23);
  if (chance(rng, 600)) {
    auto a = double(rand_between(rng, 110, 140));
    auto b = double(rand_between(rng, 90, 120));
    Point ax = direction(turn), ay = direction(turn + 6);
    const double corners[4][2] = {{a, b}, {-a, b}, {-a, -b}, {a, -b}};
    for (const auto& corner : corners) {
      double u = corner[0] + double(rand_between(rng, -8, 8));
      double v = corner[1] + double(rand_between(rng, -8, 8));
      out.push_back({centre.x + u * ax.x + v * ay.x, centre.y + u * ax.y + v * ay.y});
    }
  } else {
    long radius = rand_between(rng, 150, 180);
    for (long i = 0; i < 6; ++i) {
      auto r = double(radius - rand_between(rng, 0, 15));
      out.push_back(towards(centre, turn + 4 * i, r));
    }
  }
  return out;
}

// How far the point lies inside the outline (negative: outside).
double clearance(const Outline& outline, Point p) {
  double least = 1e18;
  for (std::size_t i = 0; i < outline.size(); ++i) {
    Point a = outline[i], b = outline[(i + 1) % outline.size()];
    double ex = b.x - a.x, ey = b.y - a.y;
    double cross = ex * (p.y - a.y) - ey * (p.x - a.x);
    least = std::min(least, cross / std::sqrt(ex * ex + ey * ey));
  }
  return least;
}

void set_position(Place& place, Point p) {
  place.lat = names::kCentreLat + p.y / kMetresPerDegLat;
  place.lng = names::kCentreLng + p.x / kMetresPerDegLng;
}

// GeoJSON Polygon coordinates, the ring closed, to about 0.1 m.
std::string boundary_of(const Outline& outline) {
  std::string out = "[[";
  for (std::size_t i = 0; i <= outline.size(); ++i) {
    const Point& p = outline[i % outline.size()];
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s[%.6f,%.6f]", i ? "," : "",
                  names::kCentreLng + p.x / kMetresPerDegLng,
                  names::kCentreLat + p.y / kMetresPerDegLat);
    out += buf;
  }
  return out + "]]";
}

void place_buildings(Rng& rng, City& city, const Grid& grid, const Outline& outline, Point centre) {
  double x0 = 1e18, x1 = -1e18, y0 = 1e18, y1 = -1e18;
  for (const Point& p : outline) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  std::vector<Point> placed;
  for (int b : grid.buildings) {
    // Spacing gives way after many tries, and the centre is the last resort;
    // the outlines are roomy enough that neither is ever needed.
    Point spot = centre;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      auto x = double(rand_between(rng, long(std::ceil(x0)), long(std::floor(x1))));
      auto y = double(rand_between(rng, long(std::ceil(y0)), long(std::floor(y1))));
      Point p{x, y};
      if (clearance(outline, p) < 22) continue;
      bool apart = true;
      for (const Point& q : placed)
        apart = apart && (p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y) >= 28.0 * 28.0;
      if (apart || attempt >= 800) {
        spot = p;
        break;
      }
    }
    placed.push_back(spot);
    set_position(city.places[std::size_t(city.buildings[std::size_t(b)].place)], spot);
  }
}

// Gives streets, communities, grids and buildings their positions and every
// grid its boundary, from a stream of draws of its own.
void lay_out(Rng& rng, City& city) {
  std::vector<Point> at(city.places.size());
  set_position(city.places[0], at[0]);
  auto ring = [&](int parent, const std::vector<int>& children, double metres, long extra) {
    long turn = rand_between(rng, 0, 23);
    long n = std::max<long>(1, std::ssize(children));
    for (long i = 0; i < std::ssize(children); ++i) {
      long more = extra > 0 ? rand_between(rng, 0, extra) : 0;
      auto child = std::size_t(children[std::size_t(i)]);
      at[child] = towards(at[std::size_t(parent)], turn + 24 * i / n, metres + double(more));
      set_position(city.places[child], at[child]);
    }
  };
  ring(0, city.streets, 1300, 100);
  for (int s : city.streets) {
    std::vector<int> communities;
    for (int c : city.communities)
      if (city.places[std::size_t(c)].parent == s) communities.push_back(c);
    ring(s, communities, 620, 0);
  }
  for (int c : city.communities) {
    std::vector<int> grids;
    for (const Grid& g : city.grids)
      if (city.places[std::size_t(g.place)].parent == c) grids.push_back(g.place);
    ring(c, grids, 260, 0);
  }
  for (const Grid& g : city.grids) {
    Outline outline = draw_outline(rng, at[std::size_t(g.place)]);
    city.places[std::size_t(g.place)].boundary = boundary_of(outline);
    place_buildings(rng, city, g, outline, at[std::size_t(g.place)]);
  }
}

// ---------------------------------------------------------------------------
// Homes: each grid gets a similar number of registered households (grids are
// drawn around ≈300 households); within a grid, bigger buildings get more.

long capacity(const Building& b) { return long(b.floors) * b.units * b.doors; }

std::string address_of(const City& city, const Building& b, int unit, const std::string& room) {
  const Grid& g = city.grids[std::size_t(b.grid)];
  const auto& community = names::kCommunities[g.community];
  return std::string(names::kStreets[community.street]) + std::string(community.name) + g.compound +
         std::to_string(b.number) + "栋" + std::to_string(unit) + "单元" + room + "室";
}

struct Flat {
  int unit, floor, door;
  auto operator<=>(const Flat&) const = default;
};

void plan_homes_in(Rng& rng, City& city, int building_index, long count) {
  Building& b = city.buildings[std::size_t(building_index)];
  std::vector<Flat> flats;
  for (int u = 1; u <= b.units; ++u)
    for (int f = 1; f <= b.floors; ++f)
      for (int d = 1; d <= b.doors; ++d) flats.push_back({u, f, d});
  sample_front(rng, flats, std::size_t(std::max(0L, count)));
  std::sort(flats.begin(), flats.end());  // rows in address order
  auto grid_style = city.grids[std::size_t(b.grid)].style;
  long area_lo = grid_style == Style::walkup ? 500 : grid_style == Style::mid_rise ? 700 : 800;
  long area_hi = grid_style == Style::walkup ? 900 : 1400;
  for (const Flat& flat : flats) {
    Home h;
    h.building = building_index;
    h.unit_place = b.unit_places[std::size_t(flat.unit - 1)];
    h.room = std::to_string(flat.floor * 100 + flat.door);
    h.address = address_of(city, b, flat.unit, h.room);
    h.area = double(rand_between(rng, area_lo, area_hi)) / 10.0;
    b.homes.push_back(int(city.homes.size()));
    city.homes.push_back(std::move(h));
  }
}

void plan_homes(Rng& rng, City& city, long total) {
  std::vector<long> grid_weights;
  for (std::size_t g = 0; g < city.grids.size(); ++g)
    grid_weights.push_back(rand_between(rng, 85, 115));
  auto per_grid = apportion(total, grid_weights);
  for (std::size_t g = 0; g < city.grids.size(); ++g) {
    const auto& ids = city.grids[g].buildings;
    std::vector<long> caps;
    long grid_capacity = 0;
    for (int b : ids) {
      caps.push_back(capacity(city.buildings[std::size_t(b)]));
      grid_capacity += caps.back();
    }
    auto per_building = apportion(std::min(per_grid[g], grid_capacity), caps);
    for (std::size_t k = 0; k < ids.size(); ++k) plan_homes_in(rng, city, ids[k], per_building[k]);
  }
  for (std::size_t h = 0; h < city.homes.size(); ++h) {
    plan_family(rng, city, int(h));
    tag_household(rng, city, city.homes[h]);
  }
}

// The accounts for building, unit, party group and resident work in the
// first building of the first compound that has residents.
int choose_demo_building(const City& city) {
  for (int b : city.grids.front().buildings) {
    if (!city.buildings[std::size_t(b)].homes.empty()) return b;
  }
  for (std::size_t b = 0; b < city.buildings.size(); ++b) {
    if (!city.buildings[b].homes.empty()) return int(b);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Party: a committee per community, a branch per compound, a group per
// building with members, central households (党员中心户) each looking after
// about ten neighbouring households (党员联户).

std::string category_for(Rng& rng, int age) {
  if (age >= 58) return chance(rng, 900) ? "retired" : "direct";
  if (age >= 20 && age <= 50 && chance(rng, 200)) return "mobile";
  if (age >= 22 && chance(rng, 550)) return "in_service";
  return "direct";
}

std::vector<int> draw_members(Rng& rng, const City& city, long target) {
  std::vector<int> chosen;
  std::vector<bool> taken(city.people.size(), false);
  // Few join before twenty (most at university or work), and membership is
  // commoner among older residents.
  constexpr int kMinAge = 20;
  long eligible = 0;
  for (const auto& p : city.people) eligible += p.age >= kMinAge;
  target = std::min(target, eligible);
  while (long(chosen.size()) < target) {
    auto i = std::size_t(rand_between(rng, 0, std::ssize(city.people) - 1));
    const Person& p = city.people[i];
    if (taken[i] || p.age < kMinAge) continue;
    if (!chance(rng, p.age >= 60 ? 1000 : p.age >= 35 ? 700 : 400)) continue;
    taken[i] = true;
    chosen.push_back(int(i));
  }
  std::sort(chosen.begin(), chosen.end());  // members in address order
  return chosen;
}

std::string joined_on(Rng& rng, const Person& p) {
  int years = int(rand_between(rng, 18, std::max(18, std::min(p.age - 1, 50))));
  sys_days day = p.born + std::chrono::days{long(years) * 365 + rand_between(rng, 0, 300)};
  return format_date(std::min(day, kAsOf - std::chrono::days{30}));
}

int building_of(const City& city, int person) {
  return city.homes[std::size_t(city.people[std::size_t(person)].home)].building;
}

void plan_party_orgs(City& city, const std::vector<int>& chosen) {
  std::vector<int> committee_of;
  for (std::size_t c = 0; c < city.communities.size(); ++c) {
    const Place& p = city.places[std::size_t(city.communities[c])];
    committee_of.push_back(int(city.party_orgs.size()));
    city.party_orgs.push_back(
        {.parent = -1, .place = city.communities[c], .kind = "committee", .name = p.name + "党委"});
  }
  std::vector<int> branch_of;
  for (const Grid& g : city.grids) {
    branch_of.push_back(int(city.party_orgs.size()));
    city.party_orgs.push_back({.parent = committee_of[std::size_t(g.community)],
                               .place = g.place,
                               .kind = "branch",
                               .name = g.compound + "党支部"});
  }
  std::vector<int> members_in(city.buildings.size(), 0);
  for (int person : chosen) ++members_in[std::size_t(building_of(city, person))];
  for (std::size_t b = 0; b < city.buildings.size(); ++b) {
    Building& bld = city.buildings[b];
    if (members_in[b] < 2 && int(b) != city.demo_building) continue;
    const Grid& g = city.grids[std::size_t(bld.grid)];
    bld.party_group = int(city.party_orgs.size());
    city.party_orgs.push_back({.parent = branch_of[std::size_t(bld.grid)],
                               .place = bld.place,
                               .kind = "group",
                               .name = g.compound + std::to_string(bld.number) + "栋党小组"});
  }
  // Members belong to their building's group, else to their compound's branch.
  for (int person : chosen) {
    const Building& bld = city.buildings[std::size_t(building_of(city, person))];
    int org = bld.party_group >= 0 ? bld.party_group : branch_of[std::size_t(bld.grid)];
    city.members.push_back({.person = person, .party_org = org});
  }
}

// In each building with a group, its first settled member (not a mobile one,
// who is away) becomes a central household; a large group has two.
void plan_central_households(Rng& rng, City& city) {
  std::vector<int> centrals_in(city.buildings.size(), 0), members_in(city.buildings.size(), 0);
  for (const Member& m : city.members) ++members_in[std::size_t(building_of(city, m.person))];
  for (Member& m : city.members) {
    auto b = std::size_t(building_of(city, m.person));
    const Building& bld = city.buildings[b];
    int wanted = members_in[b] >= 5 ? 2 : 1;
    if (bld.party_group < 0 || m.category == "mobile" || centrals_in[b] >= wanted) continue;
    int own = city.people[std::size_t(m.person)].home;
    std::vector<int> neighbours;
    for (int h : bld.homes) {
      if (h != own) neighbours.push_back(h);
    }
    if (neighbours.empty()) continue;  // nobody to look after
    sample_front(rng, neighbours, std::size_t(rand_between(rng, 8, 12)));
    std::sort(neighbours.begin(), neighbours.end());
    m.linked_homes = std::move(neighbours);
    m.central = true;
    ++centrals_in[b];
  }
}

void plan_party(Rng& rng, City& city, long households) {
  auto chosen = draw_members(rng, city, std::max(4L, households / 10));
  plan_party_orgs(city, chosen);
  for (Member& m : city.members) {
    const Person& p = city.people[std::size_t(m.person)];
    m.category = category_for(rng, p.age);
    if (m.category == "in_service") m.employer = std::string(pick(rng, names::kEmployers));
    m.joined_on = joined_on(rng, p);
  }
  plan_central_households(rng, city);
}

// ---------------------------------------------------------------------------
// Organisations.

std::string contact_name(Rng& rng) {
  char g = chance(rng, 500) ? 'M' : 'F';
  std::string surname = pick_weighted(rng, names::kSurnames);
  return surname + given_name(rng, g, int(rand_between(rng, 1965, 1994)));
}

int add_org(Rng& rng, City& city, std::string kind, std::string name, int place,
            std::vector<int> serves) {
  city.orgs.push_back({.kind = std::move(kind),
                       .name = std::move(name),
                       .contact_name = contact_name(rng),
                       .contact_phone = new_phone(rng, city),
                       .place = place,
                       .serves = std::move(serves)});
  return int(city.orgs.size()) - 1;
}

void plan_orgs(Rng& rng, City& city) {
  int district = 0;
  for (auto name : names::kDepartments)
    add_org(rng, city, "department", std::string(name), district, city.streets);
  for (std::size_t i = 0; i < std::size(names::kResidentUnits); ++i) {
    int c = city.communities[i % city.communities.size()];
    add_org(rng, city, "resident_unit", std::string(names::kResidentUnits[i]), c, {c});
  }
  // Old walk-up estates have no property company; the others are shared out
  // in turn, so the first compound gets the first company.
  std::vector<std::vector<int>> served(std::size(names::kPropertyCompanies));
  std::size_t turn = 0;
  for (const Grid& g : city.grids) {
    if (g.style != Style::walkup) served[turn++ % served.size()].push_back(g.place);
  }
  for (std::size_t i = 0; i < served.size(); ++i) {
    add_org(rng, city, "property", std::string(names::kPropertyCompanies[i]), district, served[i]);
  }
  const Grid& first = city.grids.front();
  add_org(rng, city, "owners_committee", first.compound + "业主委员会", first.place, {first.place});
  add_org(rng, city, "social", std::string(names::kSocialOrgs[0]), district, city.streets);
  add_org(rng, city, "social", std::string(names::kSocialOrgs[1]), city.communities[0],
          {city.communities[0]});
  for (std::size_t i = 0; i < std::size(names::kMerchants); ++i) {
    int c = city.communities[i < 4 ? 0 : 1];
    add_org(rng, city, "merchant", std::string(names::kMerchants[i]), c, {c});
  }
  for (int c : city.communities) {
    add_org(rng, city, "station", city.places[std::size_t(c)].name + "党群服务站", c, {c});
  }
}

int first_org(const City& city, std::string_view kind) {
  for (std::size_t i = 0; i < city.orgs.size(); ++i) {
    if (city.orgs[i].kind == kind) return int(i);
  }
  return -1;
}

// ---------------------------------------------------------------------------
// Accounts: one per role, scoped as a real deployment would scope them.

// The unit of the demo building with a household; its first household's head
// is the resident account.
std::pair<int, int> demo_unit_and_resident(const City& city) {
  const Building& b = city.buildings[std::size_t(city.demo_building)];
  if (b.homes.empty()) return {b.unit_places.front(), -1};
  const Home& home = city.homes[std::size_t(b.homes.front())];
  return {home.unit_place, home.people.front()};
}

void plan_logins(City& city) {
  const Building& b = city.buildings[std::size_t(city.demo_building)];
  auto [unit, resident] = demo_unit_and_resident(city);
  int community = city.communities[0], grid = city.grids[0].place;
  int merchant = first_org(city, "merchant");
  std::string resident_name = resident >= 0 ? city.people[std::size_t(resident)].name : "居民";
  city.logins = {
      {"admin", "系统管理员", "admin", 0},
      {"street1", "李明（街道指挥中心）", "street_center", city.streets[0]},
      {"community1", "王芳（社区工作者）", "community_staff", community},
      {"first1", "赵建国（第一书记）", "first_secretary", community},
      {"grid1", "刘洋（网格员）", "grid_worker", grid},
      {"branch1", "陈志强（小区党支部书记）", "branch_secretary", grid},
      {"building1", "张桂兰（楼栋长）", "building_head", b.place},
      {"unit1", "杨丽（单元长）", "unit_head", unit},
      {"group1", "黄国华（党小组长）", "party_group_leader", b.place},
      {"dept1", "周涛（城管执法局）", "department_staff", -1, first_org(city, "department")},
      {"property1", "吴静（物业公司）", "property_staff", -1, first_org(city, "property")},
      {"merchant1", "孙磊（" + city.orgs[std::size_t(merchant)].name + "）", "merchant", -1,
       merchant},
      {"resident1", resident_name, "resident", unit, -1, resident},
  };
}

City plan_city(const Options& opt) {
  Rng rng(opt.seed);
  City city;
  plan_territory(rng, city);
  Rng map_rng(opt.seed ^ 0x6d61702dULL);  // the map may change without moving anyone
  lay_out(map_rng, city);
  plan_homes(rng, city, std::max(0, opt.households));
  city.demo_building = choose_demo_building(city);
  plan_party(rng, city, long(city.homes.size()));
  plan_orgs(rng, city);
  plan_logins(city);
  return city;
}

// Argon2id is deliberately slow (about 0.15 s and 64 MiB a hash), so the
// accounts are hashed a few at a time, and before the write lock is taken.
// Each account gets its own salt even though the demo password is shared.
Status hash_passwords(std::vector<Login>& logins, const std::string& password) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (std::size_t i; (i = next++) < logins.size();) {
      try {
        logins[i].password_hash = crypto::hash_password(password);
      } catch (const std::exception&) {
        failed = true;
      }
    }
  };
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
  }
  if (failed) return fail(Error::internal("演示账号的密码散列失败（内存不足）"));
  return {};
}

// ---------------------------------------------------------------------------
// Writing.

struct Sealed {
  store::Value enc, mask, hash;
};

Sealed seal_phone(const std::string& phone) {
  if (phone.empty()) return {store::null(), store::null(), store::null()};
  return {crypto::seal(phone), validate::mask_phone(phone), crypto::blind_index(phone)};
}

Sealed seal_id(const std::string& id) {
  return {crypto::seal(id), validate::mask_id_number(id), crypto::blind_index(id)};
}

Result<std::int64_t> insert_id(store::Tx& tx, std::string_view sql, const store::Params& params) {
  auto r = tx.exec(sql, params);
  if (!r) return fail(r.error());
  if (r->rows.empty()) return fail(Error::internal("写入演示数据时未返回编号"));
  return r->rows.front().i64("id");
}

void report(const Options& opt, const std::string& stage, long done, long total) {
  if (opt.progress) opt.progress(stage, done, total);
}

store::Value place_id(const City& city, int place) {
  if (place < 0) return store::null();
  return city.places[std::size_t(place)].id;
}

store::Value opt_value(const std::optional<std::int64_t>& v) {
  return v ? store::Value{*v} : store::null();
}
store::Value opt_value(const std::optional<double>& v) {
  return v ? store::Value{*v} : store::null();
}

// Parents come before children in `places`, so a child's path can be built
// from its parent's once the row has its id.
Status write_places(store::Tx& tx, City& city, std::int64_t now) {
  for (Place& p : city.places) {
    const Place* parent = p.parent >= 0 ? &city.places[std::size_t(p.parent)] : nullptr;
    p.depth = parent ? parent->depth + 1 : 0;
    auto id = insert_id(tx,
                        "INSERT INTO nodes (parent_id, kind, name, depth, floors, lat, lng, "
                        "boundary, created_at, updated_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                        {parent ? store::Value{parent->id} : store::null(), p.kind, p.name, p.depth,
                         opt_value(p.floors), opt_value(p.lat), opt_value(p.lng),
                         p.boundary.empty() ? store::null() : store::Value{p.boundary}, now, now});
    if (!id) return fail(id.error());
    p.id = *id;
    p.path = (parent ? parent->path : std::string("/")) + std::to_string(p.id) + "/";
    auto r = tx.exec("UPDATE nodes SET path = $1 WHERE id = $2", {p.path, p.id});
    if (!r) return fail(r.error());
  }
  return {};
}

Status write_person(store::Tx& tx, Person& p, const Home& home, const std::string& path,
                    std::int64_t now) {
  Sealed phone = seal_phone(p.phone), id = seal_id(p.id_number);
  auto row = insert_id(
      tx,
      "INSERT INTO residents (household_id, node_path, name, gender, birth_date, relation, "
      "phone_enc, phone_mask, phone_hash, id_enc, id_mask, id_hash, tags, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
      {home.id, path, p.name, std::string(1, p.gender), format_date(p.born), p.relation, phone.enc,
       phone.mask, phone.hash, id.enc, id.mask, id.hash, p.tags, now, now});
  if (!row) return fail(row.error());
  p.id = *row;
  return {};
}

Status write_homes(store::Tx& tx, City& city, const Options& opt, std::int64_t now) {
  long total = long(city.homes.size()), done = 0;
  for (Home& h : city.homes) {
    const std::string& path = city.places[std::size_t(h.unit_place)].path;
    auto id = insert_id(
        tx,
        "INSERT INTO households (node_id, node_path, room, address, area, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        {place_id(city, h.unit_place), path, h.room, h.address, h.area, now, now});
    if (!id) return fail(id.error());
    h.id = *id;
    for (int i : h.people) {
      if (auto s = write_person(tx, city.people[std::size_t(i)], h, path, now); !s) return s;
    }
    if (++done % 500 == 0 || done == total) report(opt, "住户与居民", done, total);
  }
  return {};
}

Status write_party(store::Tx& tx, City& city, const Options& opt, std::int64_t now) {
  for (PartyOrg& o : city.party_orgs) {
    const Place& place = city.places[std::size_t(o.place)];
    auto id = insert_id(
        tx,
        "INSERT INTO party_orgs (parent_id, kind, name, node_id, node_path, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        {o.parent >= 0 ? store::Value{city.party_orgs[std::size_t(o.parent)].id} : store::null(),
         o.kind, o.name, place.id, place.path, now});
    if (!id) return fail(id.error());
    o.id = *id;
  }
  // A member hangs on the unit they live in, inside their party org's subtree.
  for (Member& m : city.members) {
    const Person& p = city.people[std::size_t(m.person)];
    const Home& home = city.homes[std::size_t(p.home)];
    auto id = insert_id(
        tx,
        "INSERT INTO party_members (resident_id, party_org_id, node_path, category, employer, "
        "joined_on, central_household, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "RETURNING id",
        {p.id, city.party_orgs[std::size_t(m.party_org)].id,
         city.places[std::size_t(home.unit_place)].path, m.category, m.employer, m.joined_on,
         std::int64_t{m.central ? 1 : 0}, now});
    if (!id) return fail(id.error());
    m.id = *id;
    for (int h : m.linked_homes) {
      auto r = tx.exec("INSERT INTO member_households (member_id, household_id) VALUES ($1, $2)",
                       {m.id, city.homes[std::size_t(h)].id});
      if (!r) return fail(r.error());
    }
  }
  report(opt, "党组织与党员", long(city.members.size()), long(city.members.size()));
  return {};
}

Status write_orgs(store::Tx& tx, City& city, const Options& opt, std::int64_t now) {
  for (Org& o : city.orgs) {
    auto id = insert_id(tx,
                        "INSERT INTO orgs (kind, name, contact_name, contact_phone_enc, "
                        "contact_phone_mask, node_id, "
                        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        {o.kind, o.name, o.contact_name, crypto::seal(o.contact_phone),
                         validate::mask_phone(o.contact_phone), place_id(city, o.place), now});
    if (!id) return fail(id.error());
    o.id = *id;
    for (int node : o.serves) {
      auto r = tx.exec("INSERT INTO org_nodes (org_id, node_id) VALUES ($1, $2)",
                       {o.id, place_id(city, node)});
      if (!r) return fail(r.error());
    }
  }
  report(opt, "单位", long(city.orgs.size()), long(city.orgs.size()));
  return {};
}

Status write_logins(store::Tx& tx, City& city, const Options& opt, std::int64_t now) {
  for (Login& l : city.logins) {
    store::Value resident =
        l.person >= 0 ? store::Value{city.people[std::size_t(l.person)].id} : store::null();
    // Administrators cannot work without a second factor: the demo enrols
    // them, and the secret goes to --accounts-json so tests can make codes.
    if (l.role == "admin" && l.totp_secret.empty()) l.totp_secret = auth::totp::new_secret();
    store::Value totp =
        l.totp_secret.empty() ? store::null() : store::Value{crypto::seal(l.totp_secret)};
    auto id = insert_id(tx,
                        "INSERT INTO users (username, display_name, password_hash, resident_id, "
                        "password_changed_at, created_at, totp_secret_enc) VALUES ($1, $2, $3, "
                        "$4, $5, $6, $7) RETURNING id",
                        {l.username, l.display_name, l.password_hash, resident, now, now, totp});
    if (!id) return fail(id.error());
    store::Value org = l.org >= 0 ? store::Value{city.orgs[std::size_t(l.org)].id} : store::null();
    auto r = tx.exec(
        "INSERT INTO role_assignments (user_id, role, node_id, org_id) VALUES ($1, $2, $3, $4)",
        {*id, l.role, place_id(city, l.place), org});
    if (!r) return fail(r.error());
    l.id = *id;
  }
  report(opt, "账号", long(city.logins.size()), long(city.logins.size()));
  return {};
}

constexpr const char* kNotEmpty = "数据库中已有区划数据，演示数据只能载入空库";

Status refuse_if_not_empty(store::Tx& tx) {
  auto row = tx.one("SELECT count(*) AS n FROM nodes");
  if (!row) return fail(row.error());
  if (row->i64("n") > 0) return fail(Error::conflict(kNotEmpty));
  return {};
}

Summary summarise(const City& city, const Options& opt, long cases) {
  Summary s;
  s.cases = cases;
  s.nodes = long(city.places.size());
  s.households = long(city.homes.size());
  s.residents = long(city.people.size());
  s.party_orgs = long(city.party_orgs.size());
  s.members = long(city.members.size());
  s.orgs = long(city.orgs.size());
  for (const Login& l : city.logins) {
    std::int64_t node = l.place >= 0 ? city.places[std::size_t(l.place)].id : 0;
    std::int64_t org = l.org >= 0 ? city.orgs[std::size_t(l.org)].id : 0;
    s.accounts.push_back({l.username, opt.password, l.role, node, org, "", l.totp_secret});
  }
  return s;
}

}  // namespace

Result<Summary> load(store::Db& db, const Options& opt) {
  crypto::init();
  if (!crypto::data_key_loaded())
    return fail(Error::internal("未加载数据密钥，无法加密居民的手机号和身份证号"));
  // Refuse before the costly part; checked again inside the transaction.
  auto existing = db.one("SELECT count(*) AS n FROM nodes");
  if (!existing) return fail(existing.error());
  if (existing->i64("n") > 0) return fail(Error::conflict(kNotEmpty));

  City city = plan_city(opt);
  if (auto s = hash_passwords(city.logins, opt.password); !s) return fail(s.error());
  std::int64_t now = opt.now_ms ? opt.now_ms : clock::now_ms();
  std::vector<CasePlan> cases = plan_cases(city, opt, now);

  // One transaction: a half-loaded city would block a second attempt. The
  // function only sets ids and paths on `city`, so the PostgreSQL adapter may
  // re-run it after a serialization failure.
  auto kind = db.kind();
  auto written = db.write([&](store::Tx& tx) -> Status {
    if (auto s = refuse_if_not_empty(tx); !s) return s;
    if (auto s = write_places(tx, city, now); !s) return s;
    report(opt, "区划", long(city.places.size()), long(city.places.size()));
    if (auto s = write_homes(tx, city, opt, now); !s) return s;
    if (auto s = write_party(tx, city, opt, now); !s) return s;
    if (auto s = write_orgs(tx, city, opt, now); !s) return s;
    if (auto s = write_logins(tx, city, opt, now); !s) return s;
    if (auto s = write_cases(tx, city, cases, opt); !s) return s;
    // The search index once for every case, as a bulk load should.
    auto indexed = search::fill(tx, kind, 0);
    if (!indexed) return fail(indexed.error());
    return {};
  });
  if (!written) return fail(written.error());
  Summary summary = summarise(city, opt, long(cases.size()));
  if (opt.points) {
    if (auto s = load_points(db, opt, now); !s)
      return fail(Error::internal("演示城市已载入，但未能写入积分记录：" + s.error().detail));
    report(opt, "积分", 1, 1);
  }

  // The Open311 client's key is made the way an administrator would make one,
  // after the city (the key service writes on its own).
  auto key = open311::add_key(db, "演示Open311客户端");
  if (!key)
    return fail(Error::internal("演示城市已载入，但未能创建Open311密钥：" + key.error().detail));
  summary.accounts.push_back({"open311", "", "open311_client", 0, 0, std::move(*key), ""});
  return summary;
}

}  // namespace linli::demo
