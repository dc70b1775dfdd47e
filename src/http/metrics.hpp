// Prometheus text exposition of request counts and latency by route.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace linli::http {

class Metrics {
 public:
  void observe(const std::string& method, const std::string& route, int status, double seconds);
  // Text format 0.0.4; `extra` lines (store figures) are appended as given.
  std::string render(const std::vector<std::string>& extra) const;

 private:
  struct Series {
    std::int64_t count = 0;
    double sum = 0;
    std::vector<std::int64_t> buckets;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> requests_;  // labels → count
  std::map<std::string, Series> latency_;         // labels → histogram
};

}  // namespace linli::http
