// The demo city: a fictional district with streets, communities, grids,
// buildings, households, residents, party organisations and members,
// organisations and one account per role. Invented names, no real people.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace linli::demo {

struct Account {
  std::string username, password, role;
  std::int64_t node = 0;         // scope node id (0 when scoped to an organisation)
  std::int64_t org = 0;          // scope organisation id (department, property, merchant)
  std::string api_key;           // machine clients (Open311): the key, shown only here
  std::string totp_secret = {};  // base32 TOTP secret (the admin account): codes for tests
};

struct Options {
  unsigned seed = 20261125;
  int households = 3000;  // about 8,000 residents
  int cases = 600;        // residents' requests over the 120 days before now; 0: none
  // "Now" for the case history (UTC ms); 0: the clock. A seed and a fixed now
  // give the same history every time.
  std::int64_t now_ms = 0;
  std::string password = "Linli@2026";
  // Three months of 积分 (demo_points.cpp) after the city; tests that count
  // balances from zero leave it out.
  bool points = true;
  // Called now and then with (stage in Chinese, done, total) for progress output.
  std::function<void(const std::string&, long, long)> progress;
};

struct Summary {
  long nodes = 0, households = 0, residents = 0, party_orgs = 0, members = 0, orgs = 0, cases = 0;
  std::vector<Account> accounts;
};

// Loads the demo city into a migrated, empty database, and then creates an
// Open311 key (its account entry carries the key). Refuses (conflict) if the
// database already holds territory nodes.
Result<Summary> load(store::Db& db, const Options& opt);

}  // namespace linli::demo
