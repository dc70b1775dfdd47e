// Locating a map point to its grid: point-in-polygon over the grids'
// boundaries (GeoJSON Polygon coordinates, [lng, lat] pairs).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/db.hpp"

namespace linli::cases {

using Ring = std::vector<std::pair<double, double>>;  // (lng, lat)

// Parses "[[[lng,lat],…]]" (a Polygon's coordinates; the outer ring is used).
std::optional<Ring> parse_ring(const std::string& geojson_coords);
// Ray casting; points on an edge may fall either way.
bool inside(const Ring& ring, double lng, double lat);
// The grid whose boundary holds the point, or nullopt.
Result<std::optional<std::int64_t>> locate_grid(store::Db& db, double lat, double lng);

}  // namespace linli::cases
