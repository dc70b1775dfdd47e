#include "store/postgres/listener.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <chrono>

#include "core/log.hpp"
#include "store/postgres/pg_db.hpp"

namespace linli::store::pg {
namespace {

// A connection that looks idle may be dead without a FIN (a failed-over
// primary, a cut cable): ask it something this often.
constexpr auto kPingEvery = std::chrono::seconds(15);
constexpr int kPollMs = 250;

void warn(const std::string& what) {
  log::event(spdlog::level::warn, "notify", {{"detail", what}});
}

// Sleeps up to d, waking early when stop is requested.
void nap(std::stop_token& stop, std::chrono::milliseconds d) {
  for (auto left = d; left.count() > 0 && !stop.stop_requested();
       left -= std::chrono::milliseconds(100))
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(100)));
}

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;

bool ok(PGresult* r) {
  bool good = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  good = good || (r && PQresultStatus(r) == PGRES_TUPLES_OK);
  PQclear(r);
  return good;
}

}  // namespace

Result<std::unique_ptr<Listener>> Listener::start(const std::string& url, std::string channel,
                                                  Handler on_payload) {
  auto conninfo = conninfo_of(url);
  if (!conninfo) return fail(conninfo.error());
  // Named, so an operator (or a test) can tell it from the pool's connections.
  auto named = *conninfo + (conninfo->find('?') == std::string::npos ? "?" : "&") +
               "application_name=linli_listener";
  std::unique_ptr<Listener> l(
      new Listener(std::move(named), std::move(channel), std::move(on_payload)));
  l->thread_ = std::jthread([p = l.get()](std::stop_token st) { p->run(std::move(st)); });
  return l;
}

Listener::Listener(std::string conninfo, std::string channel, Handler h)
    : conninfo_(std::move(conninfo)), channel_(std::move(channel)), handler_(std::move(h)) {}

Listener::~Listener() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void Listener::run(std::stop_token stop) {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop.stop_requested()) {
    Conn c(PQconnectdb(conninfo_.c_str()));
    if (!c || PQstatus(c.get()) != CONNECTION_OK) {
      warn(fmt::format("LISTEN connection failed: {}",
                       c ? PQerrorMessage(c.get()) : "out of memory"));
      nap(stop, backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    char* quoted = PQescapeIdentifier(c.get(), channel_.data(), channel_.size());
    std::string listen = fmt::format("LISTEN {}", quoted ? quoted : "");
    PQfreemem(quoted);
    if (!ok(PQexec(c.get(), listen.c_str()))) {
      warn(fmt::format("LISTEN failed: {}", PQerrorMessage(c.get())));
      nap(stop, backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    connected_ = true;
    ++connects_;
    log::event(spdlog::level::info, "notify", {{"detail", "listening for notifications"}});
    auto last = std::chrono::steady_clock::now();
    bool alive = true;
    while (alive && !stop.stop_requested()) {
      pollfd pfd{PQsocket(c.get()), POLLIN, 0};
      int n = ::poll(&pfd, 1, kPollMs);
      if (n > 0) {
        if (!PQconsumeInput(c.get())) alive = false;
        last = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - last > kPingEvery) {
        alive = ok(PQexec(c.get(), "SELECT 1"));
        last = std::chrono::steady_clock::now();
      }
      while (PGnotify* note = PQnotifies(c.get())) {
        std::string payload = note->extra ? note->extra : "";
        PQfreemem(note);
        try {
          handler_(payload);
        } catch (const std::exception& e) {
          warn(fmt::format("notification handler threw: {}", e.what()));
        }
      }
      if (PQstatus(c.get()) != CONNECTION_OK) alive = false;
    }
    connected_ = false;
    if (!stop.stop_requested()) {
      warn("LISTEN connection lost; reconnecting");
      nap(stop, backoff);
    }
  }
}

}  // namespace linli::store::pg
