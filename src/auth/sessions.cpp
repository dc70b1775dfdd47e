// Listing and ending sessions: a user sees and ends their own, an
// administrator anyone's. Every ending is audited.
#include <fmt/format.h>

#include "auth/service.hpp"

namespace linli::auth {

bool allowed_at_stage(const std::string& stage, const std::string& method,
                      const std::string& pattern) {
  if (stage == kStageFull) return true;
  if ((method == "GET" && pattern == "/api/v1/auth/me") ||
      (method == "POST" && pattern == "/api/v1/auth/logout"))
    return true;
  if (stage == kStageTotp) return method == "POST" && pattern == "/api/v1/auth/login/totp";
  if (stage == kStageEnrol)
    return (method == "GET" && pattern == "/api/v1/auth/totp") ||
           (method == "POST" &&
            (pattern == "/api/v1/auth/totp/enrol" || pattern == "/api/v1/auth/totp/confirm"));
  return false;
}

Result<std::vector<SessionInfo>> AuthService::sessions_of(std::int64_t user_id,
                                                          std::int64_t current_session) {
  auto now = now_ms();
  auto rows = db_.query(
      "SELECT id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions "
      "WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3 "
      "AND stage = 'full' ORDER BY id DESC LIMIT 200",
      {user_id, now, now - policy_.session_idle_ms});
  if (!rows) return fail(rows.error());
  std::vector<SessionInfo> out;
  for (const auto& r : *rows)
    out.push_back({r.i64("id"), r.i64("created_at"), r.i64("last_seen_at"), r.i64("expires_at"),
                   r.str("ip"), r.str("user_agent"), r.i64("id") == current_session});
  return out;
}

Status AuthService::revoke_session(std::int64_t user_id, std::int64_t session_id, const Actor& by) {
  return db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS "
        "NULL",
        {now_ms(), session_id, user_id});
    if (!r) return fail(r.error());
    if (r->changes == 0) return fail(Error::not_found("该会话不存在或已结束"));
    bool own = by.user_id == user_id;
    return record(tx, by,
                  {"auth.session_revoke", "user", user_id, "",
                   fmt::format("{}结束会话 #{}", own ? "" : "管理员", session_id)});
  });
}

Result<std::int64_t> AuthService::revoke_sessions(std::int64_t user_id, std::int64_t keep,
                                                  const Actor& by) {
  if (auto u = get_user(user_id); !u) return fail(u.error());
  std::int64_t n = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS "
        "NULL",
        {now_ms(), user_id, keep});
    if (!r) return fail(r.error());
    n = r->changes;
    bool own = by.user_id == user_id;
    return record(
        tx, by,
        {"auth.session_revoke", "user", user_id, "",
         fmt::format("{}结束{}会话 {} 个", own ? "" : "管理员", keep ? "其他" : "全部", n)});
  });
  if (!w) return fail(w.error());
  return n;
}

}  // namespace linli::auth
