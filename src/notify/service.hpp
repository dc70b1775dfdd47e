// The in-app inbox: rows written in the same transaction as the change that
// caused them, pushed live to open consoles over Server-Sent Events.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.hpp"
#include "store/db.hpp"

namespace linli::notify {

struct Notice {
  std::string kind;  // assignment, whistle, near_due, overdue, reply, rating_request
  std::int64_t case_id = 0;
  std::string title, body;
};

class Notifier {
 public:
  explicit Notifier(store::Db& db) : db_(db) {}
  // Adds a notice for each user inside the caller's transaction and keeps it
  // to push once that transaction commits (see flush).
  Status add(store::Tx& tx, const std::vector<std::int64_t>& user_ids, const Notice& n,
             std::vector<nlohmann::json>& pending);
  // Pushes committed notices to connected consoles.
  void flush(std::vector<nlohmann::json>& pending);
  // Registers an open SSE connection for a user.
  void subscribe(std::int64_t user_id, std::shared_ptr<http::EventSink> sink);
  // Sends a keep-alive comment to every connection and forgets closed ones.
  void heartbeat();

  Result<nlohmann::json> list(std::int64_t user_id, bool unread_only, std::int64_t after,
                              int limit);
  Status mark_read(std::int64_t user_id, const std::vector<std::int64_t>& ids, bool all);

 private:
  store::Db& db_;
  std::mutex mu_;
  std::unordered_map<std::int64_t, std::vector<std::shared_ptr<http::EventSink>>> sinks_;
};

}  // namespace linli::notify
