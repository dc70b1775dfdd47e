// How a place reads in an address: the names along its path below the
// district ("和平街道桃源社区幸福里小区网格3栋2单元"). Works on a Db or inside a Tx.
#pragma once
#include <string>

#include "store/db.hpp"

namespace linli::org {

// Looks the ancestors up by their exact paths (every prefix of node_path that
// ends in '/'), so it reads a handful of index entries whatever the size of
// the territory; a range test on path read every node sorting before it.
template <class Store>
Result<std::string> place_name(Store& store, const std::string& node_path) {
  std::string sql = "SELECT name FROM nodes WHERE path IN (";
  store::Params prefixes;
  for (std::size_t i = node_path.find('/', 1); i != std::string::npos;
       i = node_path.find('/', i + 1)) {
    prefixes.emplace_back(node_path.substr(0, i + 1));
    sql += (prefixes.size() > 1 ? ", $" : "$") + std::to_string(prefixes.size());
  }
  if (prefixes.empty()) return std::string();
  sql += ") AND kind <> 'district' ORDER BY depth";
  auto rows = store.query(sql, prefixes);
  if (!rows) return fail(rows.error());
  std::string out;
  for (const auto& r : *rows) out += r.str("name");
  return out;
}

}  // namespace linli::org
