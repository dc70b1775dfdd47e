// 积分 history for the demo city, written through the points service so it
// obeys every rule a real community's does.
#pragma once
#include <cstdint>

#include "core/error.hpp"
#include "demo/demo.hpp"
#include "store/db.hpp"

namespace linli::demo {

// Per community: three months of deeds reviewed by the points group, the two
// oldest published, last month reviewed and waiting to be published, this
// month's deeds pending; goods at each station with some orders; services
// at the merchants; last year's honours.
Status load_points(store::Db& db, const Options& opt, std::int64_t now_ms);

}  // namespace linli::demo
