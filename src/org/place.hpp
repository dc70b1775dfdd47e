// How a place reads in an address: the names along its path below the
// district ("和平街道桃源社区幸福里小区网格3栋2单元"). Works on a Db or inside a Tx.
#pragma once
#include <string>

#include "store/db.hpp"

namespace linli::org {

template <class Store>
Result<std::string> place_name(Store& store, const std::string& node_path) {
  // The ancestors are the ids along the path ("/1/462/626/674/"): a lookup
  // by primary key each, not a scan of every node sorting before the path
  // (which read most of the nodes table on every intake).
  std::string in;
  store::Params ids;
  for (std::size_t i = 1; i < node_path.size();) {
    auto j = node_path.find('/', i);
    if (j == std::string::npos) break;
    std::int64_t id = 0;
    for (std::size_t k = i; k < j; ++k) {
      if (node_path[k] < '0' || node_path[k] > '9') return std::string();
      id = id * 10 + (node_path[k] - '0');
    }
    ids.push_back(id);
    in += (in.empty() ? "$" : ", $") + std::to_string(ids.size());
    i = j + 1;
  }
  if (ids.empty()) return std::string();
  auto rows = store.query(
      "SELECT name FROM nodes WHERE id IN (" + in + ") AND kind <> 'district' ORDER BY depth", ids);
  if (!rows) return fail(rows.error());
  std::string out;
  for (const auto& r : *rows) out += r.str("name");
  return out;
}

}  // namespace linli::org
