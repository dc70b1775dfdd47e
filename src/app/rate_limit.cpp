#include "app/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace linli {

int RateLimiter::take(const std::string& key, std::int64_t now_ms) {
  if (limit_.per_minute <= 0 || limit_.burst < 1) return 0;
  double per_ms = limit_.per_minute / 60000.0;
  std::lock_guard lock(mu_);
  // Forget buckets that have refilled completely, so the map stays small.
  if (now_ms - last_sweep_ms_ > 60'000) {
    last_sweep_ms_ = now_ms;
    for (auto it = buckets_.begin(); it != buckets_.end();)
      if (it->second.tokens + double(now_ms - it->second.at_ms) * per_ms >= limit_.burst)
        it = buckets_.erase(it);
      else
        ++it;
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{limit_.burst, now_ms});
  auto& b = it->second;
  if (!fresh) {
    b.tokens = std::min(limit_.burst,
                        b.tokens + double(std::max<std::int64_t>(0, now_ms - b.at_ms)) * per_ms);
    b.at_ms = now_ms;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / per_ms / 1000.0)));
}

}  // namespace linli
