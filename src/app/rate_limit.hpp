// Token buckets for writes, one per key (an account, an address): a burst of
// `burst` requests, refilled at `per_minute`. Thread-safe.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace linli {

struct RateLimit {
  double per_minute = 0;  // 0: no limit
  double burst = 0;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit) : limit_(limit) {}
  // Takes one token for `key` at `now_ms`; 0 when allowed, else the seconds
  // to wait before the next token (at least 1).
  int take(const std::string& key, std::int64_t now_ms);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t at_ms = 0;
  };
  RateLimit limit_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::int64_t last_sweep_ms_ = 0;
};

}  // namespace linli
