// PostgreSQL LISTEN on a dedicated connection: the way several linli nodes
// learn about each other's committed changes (NOTIFY fires at COMMIT, and
// never for a transaction that rolled back).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/error.hpp"

namespace linli::store::pg {

class Listener {
 public:
  using Handler = std::function<void(std::string_view payload)>;

  // Starts a thread that connects to url (the URL open_pg takes), LISTENs on
  // channel and calls on_payload, on that thread, for every notification.
  // When the connection is lost it reconnects (backing off up to 5 s) and
  // LISTENs again; notifications sent while it was away are not replayed.
  // Fails with invalid when the URL cannot be parsed; an unreachable server
  // is not an error here, the thread keeps trying.
  static Result<std::unique_ptr<Listener>> start(const std::string& url, std::string channel,
                                                 Handler on_payload);
  // Stops the thread (within about half a second) and closes the connection.
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // True while the LISTEN connection is up.
  bool connected() const { return connected_.load(); }
  // How many times a LISTEN connection was established (1 after the first).
  std::int64_t connects() const { return connects_.load(); }

 private:
  Listener(std::string conninfo, std::string channel, Handler h);
  void run(std::stop_token stop);

  std::string conninfo_, channel_;
  Handler handler_;
  std::atomic<bool> connected_{false};
  std::atomic<std::int64_t> connects_{0};
  std::jthread thread_;
};

}  // namespace linli::store::pg
