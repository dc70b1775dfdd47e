#include "notify/service.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "store/sql.hpp"

namespace linli::notify {
namespace {

constexpr const char* kChannel = "linli_notifications";
// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
constexpr std::size_t kMaxPayload = 7000;

}  // namespace

Notifier::~Notifier() { listener_.reset(); }

Status Notifier::listen(const std::string& url) {
  if (db_.kind() != store::Kind::postgres)
    return fail(Error::invalid("只有 PostgreSQL 支持跨节点实时通知"));
  auto l = store::pg::Listener::start(url, kChannel, [this](std::string_view p) { on_payload(p); });
  if (!l) return fail(l.error());
  listener_ = std::move(*l);
  publish_ = true;
  return {};
}

bool Notifier::listening() const { return listener_ && listener_->connected(); }

std::int64_t Notifier::listen_connects() const { return listener_ ? listener_->connects() : 0; }

void Notifier::on_payload(std::string_view payload) {
  auto n = nlohmann::json::parse(payload, nullptr, false);
  if (!n.is_object() || !n.contains("user_id") || !n.contains("id")) return;
  if (!n.contains("kind")) {
    {
      std::lock_guard lock(mu_);
      if (!sinks_.contains(n["user_id"].get<std::int64_t>())) return;
    }
    auto r = db_.one(
        "SELECT id, user_id, at, kind, case_id, title, body FROM notifications WHERE id = $1",
        {n["id"].get<std::int64_t>()});
    if (!r) return;
    n = {{"user_id", r->i64("user_id")},
         {"id", r->i64("id")},
         {"at", clock::iso(r->i64("at"))},
         {"kind", r->str("kind")},
         {"case_id",
          r->is_null("case_id") ? nlohmann::json(nullptr) : nlohmann::json(r->i64("case_id"))},
         {"title", r->str("title")},
         {"body", r->str("body")},
         {"read", false}};
  }
  deliver(n);
}

namespace {

// One INSERT for every recipient (the single writer runs it once); returns
// (id, user_id) of each row. SQLite answers RETURNING through a temporary
// table it builds and frees for each statement (a pager and its first pages,
// ~80 KB from malloc, in every intake's write); with one writer its next ids
// are simply known.
Result<std::vector<std::pair<std::int64_t, std::int64_t>>> insert_notices(
    store::Tx& tx, bool sqlite, const std::vector<std::int64_t>& user_ids, const Notice& n,
    std::int64_t now) {
  store::Sql q;
  auto at = q.bind(now), kind = q.bind(n.kind), title = q.bind(n.title), body = q.bind(n.body);
  auto case_id = q.bind(n.case_id ? store::Value{n.case_id} : store::null());
  std::int64_t first = 0;
  if (sqlite) {
    auto last = tx.one("SELECT COALESCE(MAX(id), 0) AS id FROM notifications");
    if (!last) return fail(last.error());
    first = last->i64("id") + 1;
  }
  q << "INSERT INTO notifications (" << (sqlite ? "id, " : "")
    << "user_id, at, kind, case_id, title, body) VALUES ";
  for (std::size_t i = 0; i < user_ids.size(); ++i) {
    q << (i ? ", (" : "(");
    if (sqlite) q << q.bind(first + static_cast<std::int64_t>(i)) << ", ";
    q << q.bind(user_ids[i]) << ", " << at << ", " << kind << ", " << case_id << ", " << title
      << ", " << body << ")";
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> made;
  if (sqlite) {
    if (auto ins = tx.exec(q.text, q.params); !ins) return fail(ins.error());
    for (std::size_t i = 0; i < user_ids.size(); ++i)
      made.emplace_back(first + static_cast<std::int64_t>(i), user_ids[i]);
    return made;
  }
  q << " RETURNING id, user_id";
  auto rows = tx.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  for (const auto& r : *rows) made.emplace_back(r.i64("id"), r.i64("user_id"));
  return made;
}

}  // namespace

Status Notifier::add(store::Tx& tx, const std::vector<std::int64_t>& user_ids, const Notice& n,
                     std::vector<nlohmann::json>& pending) {
  if (user_ids.empty()) return {};
  auto now = clock::now_ms();
  auto made = insert_notices(tx, db_.kind() == store::Kind::sqlite, user_ids, n, now);
  if (!made) return fail(made.error());
  for (const auto& [id, uid] : *made) {
    nlohmann::json notice = {
        {"user_id", uid},
        {"id", id},
        {"at", clock::iso(now)},
        {"kind", n.kind},
        {"case_id", n.case_id ? nlohmann::json(n.case_id) : nlohmann::json(nullptr)},
        {"title", n.title},
        {"body", n.body},
        {"read", false}};
    if (publish_) {
      auto text = notice.dump();
      if (text.size() > kMaxPayload) text = nlohmann::json{{"user_id", uid}, {"id", id}}.dump();
      if (auto sent = tx.send("SELECT pg_notify($1, $2)", {std::string(kChannel), text}); !sent)
        return sent;
    } else {
      pending.push_back(std::move(notice));
    }
  }
  return {};
}

void Notifier::deliver(const nlohmann::json& n) {
  std::lock_guard lock(mu_);
  auto it = sinks_.find(n["user_id"].get<std::int64_t>());
  if (it == sinks_.end()) return;
  auto payload = n;
  payload.erase("user_id");
  auto chunk = "event: notification\ndata: " + payload.dump() + "\n\n";
  for (auto& s : it->second) s->send(chunk);
}

void Notifier::flush(std::vector<nlohmann::json>& pending) {
  for (auto& n : pending) deliver(n);
  pending.clear();
}

void Notifier::subscribe(std::int64_t user_id, std::shared_ptr<http::EventSink> sink) {
  sink->send("retry: 5000\n: connected\n\n");
  std::lock_guard lock(mu_);
  sinks_[user_id].push_back(std::move(sink));
}

void Notifier::heartbeat() {
  std::lock_guard lock(mu_);
  for (auto it = sinks_.begin(); it != sinks_.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [](auto& s) { return !s->send(": ping\n\n"); }),
            v.end());
    it = v.empty() ? sinks_.erase(it) : std::next(it);
  }
}

Result<nlohmann::json> Notifier::list(std::int64_t user_id, bool unread_only, std::int64_t after,
                                      int limit) {
  store::Sql q;
  q << "SELECT id, at, kind, case_id, title, body, read_at FROM notifications WHERE user_id = "
    << q.bind(user_id);
  if (unread_only) q << " AND read_at IS NULL";
  if (after > 0) q << " AND id < " << q.bind(after);
  q << " ORDER BY id DESC LIMIT " << q.bind(static_cast<std::int64_t>(limit + 1));
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", r.i64("id")},
                     {"at", clock::iso(r.i64("at"))},
                     {"kind", r.str("kind")},
                     {"case_id", r.is_null("case_id") ? nlohmann::json(nullptr)
                                                      : nlohmann::json(r.i64("case_id"))},
                     {"title", r.str("title")},
                     {"body", r.str("body")},
                     {"read", !r.is_null("read_at")}});
  auto unread = db_.one(
      "SELECT count(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL", {user_id});
  if (!unread) return fail(unread.error());
  bool more = static_cast<int>(items.size()) > limit;
  if (more) items.erase(items.size() - 1);
  nlohmann::json next = more
                            ? nlohmann::json(std::to_string(items.back()["id"].get<std::int64_t>()))
                            : nlohmann::json(nullptr);
  return nlohmann::json{{"items", items}, {"next_cursor", next}, {"unread", unread->i64("n")}};
}

Status Notifier::mark_read(std::int64_t user_id, const std::vector<std::int64_t>& ids, bool all) {
  return db_.write([&](store::Tx& tx) -> Status {
    auto now = clock::now_ms();
    if (all) {
      auto r =
          tx.exec("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                  {now, user_id});
      if (!r) return fail(r.error());
      return {};
    }
    for (auto id : ids) {
      auto r = tx.exec(
          "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS "
          "NULL",
          {now, id, user_id});
      if (!r) return fail(r.error());
    }
    return {};
  });
}

}  // namespace linli::notify
