// The in-app inbox: rows written in the same transaction as the change that
// caused them, pushed live to open consoles over Server-Sent Events. One node
// pushes from memory after the commit; several nodes on one PostgreSQL
// database publish each notice with NOTIFY inside the writing transaction and
// every node pushes what its LISTEN connection receives (see listen).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.hpp"
#include "store/db.hpp"
#include "store/postgres/listener.hpp"

namespace linli::notify {

struct Notice {
  std::string kind;  // assignment, whistle, near_due, overdue, reply, rating_request
  std::int64_t case_id = 0;
  std::string title, body;
};

class Notifier {
 public:
  explicit Notifier(store::Db& db) : db_(db) {}
  ~Notifier();
  // PostgreSQL only: from now on notices are published with NOTIFY (fired at
  // COMMIT, so a rolled-back write announces nothing) and pushed to this
  // node's consoles when they come back on a dedicated LISTEN connection to
  // url — so a console on any node sees a write made through any other.
  // Call once, before serving. Fails with invalid for a bad URL.
  Status listen(const std::string& url);
  // True while the LISTEN connection is up (always false without listen).
  bool listening() const;
  // How many times the LISTEN connection was (re)established.
  std::int64_t listen_connects() const;
  // Adds a notice for each user inside the caller's transaction and keeps it
  // to push once that transaction commits (see flush).
  Status add(store::Tx& tx, const std::vector<std::int64_t>& user_ids, const Notice& n,
             std::vector<nlohmann::json>& pending);
  // Pushes committed notices to connected consoles (after listen, the
  // LISTEN connection does that and flush only forgets them).
  void flush(std::vector<nlohmann::json>& pending);
  // Registers an open SSE connection for a user.
  void subscribe(std::int64_t user_id, std::shared_ptr<http::EventSink> sink);
  // Sends a keep-alive comment to every connection and forgets closed ones.
  void heartbeat();

  Result<nlohmann::json> list(std::int64_t user_id, bool unread_only, std::int64_t after,
                              int limit);
  Status mark_read(std::int64_t user_id, const std::vector<std::int64_t>& ids, bool all);

 private:
  // Pushes one notice (with its user_id) to that user's open connections.
  void deliver(const nlohmann::json& n);
  // A NOTIFY payload: the notice, or just its ids when it would not fit.
  void on_payload(std::string_view payload);

  store::Db& db_;
  std::mutex mu_;
  std::unordered_map<std::int64_t, std::vector<std::shared_ptr<http::EventSink>>> sinks_;
  std::atomic<bool> publish_{false};
  // Last member: destroyed first, so its thread stops before sinks_ go.
  std::unique_ptr<store::pg::Listener> listener_;
};

}  // namespace linli::notify
