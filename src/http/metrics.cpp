#include "http/metrics.hpp"

#include <fmt/format.h>

namespace linli::http {
namespace {
const std::vector<double> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,   0.25,   0.5,   1,    2.5,   10};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

void Metrics::observe(const std::string& method, const std::string& route, int status,
                      double seconds) {
  auto route_labels = fmt::format("method=\"{}\",route=\"{}\"", method, escape(route));
  auto labels = fmt::format("{},status=\"{}\"", route_labels, status);
  std::lock_guard lock(mu_);
  ++requests_[labels];
  auto& s = latency_[route_labels];
  if (s.buckets.empty()) s.buckets.assign(kBounds.size(), 0);
  ++s.count;
  s.sum += seconds;
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++s.buckets[i];
}

std::string Metrics::render(const std::vector<std::string>& extra) const {
  std::string out;
  out += "# HELP linli_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE linli_http_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [labels, n] : requests_)
    out += fmt::format("linli_http_requests_total{{{}}} {}\n", labels, n);
  out += "# HELP linli_http_request_duration_seconds Time to answer, by route.\n";
  out += "# TYPE linli_http_request_duration_seconds histogram\n";
  for (const auto& [labels, s] : latency_) {
    for (std::size_t i = 0; i < kBounds.size(); ++i)
      out += fmt::format("linli_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         kBounds[i], s.buckets[i]);
    out += fmt::format("linli_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                       s.count);
    out += fmt::format("linli_http_request_duration_seconds_sum{{{}}} {}\n", labels, s.sum);
    out += fmt::format("linli_http_request_duration_seconds_count{{{}}} {}\n", labels, s.count);
  }
  for (const auto& line : extra) out += line + "\n";
  return out;
}

}  // namespace linli::http
