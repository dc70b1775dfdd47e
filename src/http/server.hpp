// The HTTP transport: Boost.Beast on a few I/O threads, handlers on a worker
// pool so blocking store calls never stall a connection's reads and writes.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "http/message.hpp"

namespace linli::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port (tests)
  int io_threads = 2;
  int workers = 16;      // write handlers wait on the store's group commit: many is right
  int read_workers = 0;  // GET and HEAD handlers; 0 = 2 per core, at least 4
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1024 * 1024;
  std::size_t upload_body_limit = 32 * 1024 * 1024;  // imports, photos, calendar files
  std::chrono::seconds header_timeout{10};           // slow-header clients are cut off
  std::chrono::seconds body_timeout{60};
  std::chrono::seconds idle_timeout{75};  // keep-alive between requests
  std::chrono::seconds drain_timeout{20};
};

using Dispatch = std::function<Response(Request&)>;

class Server {
 public:
  Server(ServerOptions opt, Dispatch dispatch);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting on background threads; returns the bound port.
  Result<std::uint16_t> start();
  // Stops accepting, lets in-flight requests finish (up to drain_timeout),
  // then closes every connection. Idempotent; safe from any thread but the
  // I/O threads themselves.
  void stop();
  // Blocks until SIGINT or SIGTERM, then stop().
  void wait_for_signal();
  std::int64_t in_flight() const { return in_flight_.load(); }
  std::int64_t open_connections() const { return connections_.load(); }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<std::int64_t>& in_flight_;
  std::atomic<std::int64_t>& connections_;
};

// "a=1&b=%E4%B8%AD" → map; '+' reads as a space.
std::map<std::string, std::string> parse_query(std::string_view qs);
std::string percent_decode(std::string_view s, bool plus_as_space);

}  // namespace linli::http
