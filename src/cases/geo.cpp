#include "cases/geo.hpp"

#include <nlohmann/json.hpp>

namespace linli::cases {

std::optional<Ring> parse_ring(const std::string& coords) {
  auto j = nlohmann::json::parse(coords, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty() || !j[0].is_array()) return std::nullopt;
  Ring ring;
  for (const auto& pt : j[0]) {
    if (!pt.is_array() || pt.size() < 2 || !pt[0].is_number() || !pt[1].is_number())
      return std::nullopt;
    ring.emplace_back(pt[0].get<double>(), pt[1].get<double>());
  }
  if (ring.size() < 3) return std::nullopt;
  return ring;
}

bool inside(const Ring& ring, double lng, double lat) {
  bool in = false;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    auto [xi, yi] = ring[i];
    auto [xj, yj] = ring[j];
    if ((yi > lat) != (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

Result<std::optional<std::int64_t>> locate_grid(store::Db& db, double lat, double lng) {
  auto rows =
      db.query("SELECT id, boundary FROM nodes WHERE kind = 'grid' AND boundary IS NOT NULL");
  if (!rows) return fail(rows.error());
  for (const auto& r : *rows) {
    auto ring = parse_ring(r.str("boundary"));
    if (ring && inside(*ring, lng, lat)) return std::optional<std::int64_t>(r.i64("id"));
  }
  return std::optional<std::int64_t>{};
}

}  // namespace linli::cases
