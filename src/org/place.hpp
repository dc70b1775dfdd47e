// How a place reads in an address: the names along its path below the
// district ("和平街道桃源社区幸福里小区网格3栋2单元"). Works on a Db or inside a Tx.
#pragma once
#include <string>

#include "store/db.hpp"

namespace linli::org {

template <class Store>
Result<std::string> place_name(Store& store, const std::string& node_path) {
  auto rows = store.query(
      "SELECT name FROM nodes WHERE $1 >= path AND substr($1, 1, length(path)) = path AND kind "
      "<> 'district' ORDER BY depth",
      {node_path});
  if (!rows) return fail(rows.error());
  std::string out;
  for (const auto& r : *rows) out += r.str("name");
  return out;
}

}  // namespace linli::org
