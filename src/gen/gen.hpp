// `linli gen`: a synthetic city at scale for benchmarks and capacity tests.
// It loads the small demo city first (accounts, categories, departments, the
// Open311 key — so the demo logins work on the big city too), then appends
// streets, communities, grids, buildings, units, households, residents, party
// organisations and members, property companies and the case history of
// `years` years, written through a bulk path (one transaction per batch,
// prepared statements on SQLite, COPY on PostgreSQL).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "demo/demo.hpp"

namespace linli::gen {

struct Options {
  std::string db_url;  // sqlite:PATH or postgresql://…; migrated, empty
  long residents = 100000;
  long cases = 100000;
  int years = 1;
  unsigned seed = 1;
  // The instant the history ends ("now" of the generated city), UTC ms. The
  // same seed and now give the same content (sealed columns differ: each seal
  // draws a fresh nonce; their plaintexts are the same).
  std::int64_t now_ms = 0;
  // When set: the territory goes into the database as usual, but the
  // households and residents are written to this file in the import's CSV
  // format (docs/IMPORT.md) instead — a city ready for `linli import
  // residents`. No residents, party members or cases go into the database;
  // grid names are made unique (the import names grids).
  std::string residents_csv;
  // Progress: (stage, done, total, rows per second so far).
  std::function<void(const std::string&, long, long, double)> progress;
};

struct Summary {
  long nodes = 0, households = 0, residents = 0, party_orgs = 0, members = 0, orgs = 0;
  long cases = 0, events = 0, whistles = 0;
  long rows = 0;
  double seconds = 0;
  std::vector<demo::Account> accounts;  // the demo accounts (password, roles)
  std::int64_t sample_community = 0;    // a generated community of typical size
  std::int64_t sample_grid = 0;
};

// Needs the data key loaded (crypto::load_data_key): residents' phone and ID
// numbers are sealed like any other.
Result<Summary> generate(const Options& opt);

}  // namespace linli::gen
