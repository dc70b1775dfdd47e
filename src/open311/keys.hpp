// API keys for Open311 clients (existing 311 apps that file requests).
// Keys are random, shown once, and stored only as a hash (table api_keys).
#pragma once
#include <cstdint>
#include <string>

#include "store/db.hpp"

namespace linli::open311 {

// Creates a key named `name` and returns it in the clear (the only time it
// is ever visible).
Result<std::string> add_key(store::Db& db, const std::string& name);
// The key's id when it exists and is not revoked; forbidden otherwise.
Result<std::int64_t> check_key(store::Db& db, const std::string& key);

}  // namespace linli::open311
