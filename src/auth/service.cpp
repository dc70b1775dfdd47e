#include "auth/service.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "auth/password_policy.hpp"
#include "auth/roles.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"
#include "store/sql.hpp"

namespace linli::auth {
namespace {

constexpr std::int64_t kWindowMs = 15LL * 60 * 1000;

Error wrong_credentials() { return {ErrorKind::unauthenticated, "用户名或密码不正确"}; }

Error locked_error() { return {ErrorKind::locked, "账号因多次输错密码已被锁定，请联系管理员解锁"}; }

void prune(std::vector<std::int64_t>& v, std::int64_t now) {
  v.erase(std::remove_if(v.begin(), v.end(), [&](std::int64_t t) { return now - t > kWindowMs; }),
          v.end());
}

Principal principal_from(const store::Row& r, std::vector<Grant> grants) {
  Principal p;
  p.user_id = r.i64("user_id");
  p.session_id = r.i64("session_id");
  p.username = r.str("username");
  p.display_name = r.str("display_name");
  p.resident_id = r.i64("resident_id");
  p.stage = r.str("stage");
  p.grants = std::move(grants);
  return p;
}

constexpr const char* kGrantsSelect =
    "SELECT r.role, r.node_id, r.org_id, n.path, n.name AS node_name, o.name AS org_name "
    "FROM role_assignments r LEFT JOIN nodes n ON n.id = r.node_id "
    "LEFT JOIN orgs o ON o.id = r.org_id ";

// The roles of the session's user, by the session's token hash, so that the
// session and its roles can be read together.
const std::string kGrantsBySession = std::string(kGrantsSelect) +
                                     "WHERE r.user_id = (SELECT user_id FROM sessions WHERE "
                                     "token_hash = $1) ORDER BY r.id";

std::vector<Grant> grants_from(const store::Rows& rows) {
  std::vector<Grant> out;
  out.reserve(rows.size());
  for (const auto& r : rows)
    out.push_back({r.str("role"), r.i64("node_id"), r.str("path"), r.str("node_name"),
                   r.i64("org_id"), r.str("org_name")});
  return out;
}

const char* kSessionQuery =
    "SELECT s.id AS session_id, s.user_id, s.last_seen_at, s.expires_at, s.revoked_at, s.stage, "
    "u.username, u.display_name, u.resident_id, u.locked_at, u.disabled "
    "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";

}  // namespace

std::optional<std::string> AuthService::password_problem(const std::string& password,
                                                         const std::string& username) const {
  return password_policy_problem(password, username, policy_.min_password_chars);
}

std::int64_t AuthService::now_ms() const { return policy_.now ? policy_.now() : clock::now_ms(); }

Status AuthService::check_throttle(const std::string& username, const std::string& ip) {
  std::lock_guard lock(mu_);
  auto now = now_ms();
  auto& acc = by_account_[username];
  prune(acc.at_ms, now);
  if (static_cast<int>(acc.at_ms.size()) >= policy_.account_failures_before_throttle) {
    auto wait_ms = acc.at_ms.back() + policy_.throttle_seconds * 1000LL - now;
    if (wait_ms > 0) {
      Error e{ErrorKind::too_many,
              fmt::format("密码错误次数过多，请{}秒后再试", (wait_ms + 999) / 1000)};
      e.retry_after = static_cast<int>((wait_ms + 999) / 1000);
      return fail(e);
    }
  }
  auto& addr = by_address_[ip];
  prune(addr.at_ms, now);
  if (static_cast<int>(addr.at_ms.size()) >= policy_.address_failures_per_window) {
    auto wait_ms = addr.at_ms.front() + kWindowMs - now;
    Error e{ErrorKind::too_many, "此网络地址登录失败次数过多，请稍后再试"};
    e.retry_after = static_cast<int>(std::max<std::int64_t>(1, (wait_ms + 999) / 1000));
    return fail(e);
  }
  return {};
}

void AuthService::note_failure(const std::string& username, const std::string& ip) {
  std::lock_guard lock(mu_);
  auto now = now_ms();
  by_account_[username].at_ms.push_back(now);
  by_address_[ip].at_ms.push_back(now);
}

void AuthService::clear_failures(const std::string& username) {
  std::lock_guard lock(mu_);
  by_account_.erase(username);
}

Result<LoginResult> AuthService::login(const std::string& username, const std::string& password,
                                       const Actor& from, const std::string& user_agent) {
  if (auto t = check_throttle(username, from.ip); !t) return fail(t.error());
  auto user = db_.query(
      "SELECT id, password_hash, locked_at, disabled, totp_secret_enc FROM users WHERE username = "
      "$1",
      {username});
  if (!user) return fail(user.error());
  if (user->empty() || (*user)[0].i64("disabled")) {
    note_failure(username, from.ip);
    return fail(wrong_credentials());
  }
  const auto& u = (*user)[0];
  auto user_id = u.i64("id");
  if (!u.is_null("locked_at")) return fail(locked_error());
  if (!crypto::verify_password(u.str("password_hash"), password)) {
    note_failure(username, from.ip);
    bool now_locked = false;
    auto w = db_.write([&](store::Tx& tx) -> Status {
      auto r = tx.one(
          "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING "
          "failed_logins",
          {user_id});
      if (!r) return fail(r.error());
      if (r->i64("failed_logins") >= policy_.failures_before_lock) {
        now_locked = true;
        if (auto l = tx.exec("UPDATE users SET locked_at = $1 WHERE id = $2", {now_ms(), user_id});
            !l)
          return fail(l.error());
      }
      Actor who = from;
      who.user_id = user_id;
      who.username = username;
      return record(tx, who,
                    {now_locked ? "auth.lock" : "auth.login_failed", "user", user_id, "",
                     now_locked ? "连续输错密码，账号已锁定" : "密码错误"});
    });
    if (!w) return fail(w.error());
    return fail(now_locked ? locked_error() : wrong_credentials());
  }
  clear_failures(username);
  // A second factor on file asks for a code; an administrator without one
  // may only enrol one.
  std::string stage = kStageFull;
  if (!u.is_null("totp_secret_enc")) {
    stage = kStageTotp;
  } else {
    auto admin = holds_admin_role(user_id);
    if (!admin) return fail(admin.error());
    if (*admin) stage = kStageEnrol;
  }
  auto life = stage == kStageFull   ? policy_.session_absolute_ms
              : stage == kStageTotp ? policy_.second_step_ms
                                    : policy_.enrol_ms;
  std::string token = crypto::random_token();
  auto now = now_ms();
  std::int64_t session_id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto r = tx.exec("UPDATE users SET failed_logins = 0 WHERE id = $1", {user_id}); !r)
      return fail(r.error());
    auto s = tx.one(
        "INSERT INTO sessions (user_id, token_hash, ip, user_agent, created_at, last_seen_at, "
        "expires_at, stage) VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING id",
        {user_id, crypto::token_hash(token), from.ip, user_agent.substr(0, 200), now, now + life,
         stage});
    if (!s) return fail(s.error());
    session_id = s->i64("id");
    Actor who = from;
    who.user_id = user_id;
    who.username = username;
    if (stage == kStageFull) return record(tx, who, {"auth.login", "user", user_id, "", "登录"});
    return record(
        tx, who,
        {"auth.login_password", "user", user_id, "",
         stage == kStageTotp ? "密码正确，等待两步验证码" : "密码正确，须先设置两步验证"});
  });
  if (!w) return fail(w.error());
  auto p = authenticate(token);
  if (!p) return fail(p.error());
  return LoginResult{token, *p};
}

Result<Principal> AuthService::authenticate(const std::string& token) {
  Error expired{ErrorKind::unauthenticated, "登录已过期，请重新登录"};
  if (token.empty() || token.size() > 100) return fail(expired);
  // The session and its user's roles in one batch (one round trip on
  // PostgreSQL): every authenticated request starts here.
  auto hash = crypto::token_hash(token);
  auto read = db_.query_all({{kSessionQuery, {hash}}, {kGrantsBySession, {hash}}});
  if (!read) return fail(read.error());
  const auto& rows = (*read)[0];
  if (rows.empty()) return fail(expired);
  const auto& r = rows[0];
  auto now = now_ms();
  if (!r.is_null("revoked_at") || r.i64("expires_at") <= now ||
      now - r.i64("last_seen_at") > policy_.session_idle_ms || !r.is_null("locked_at") ||
      r.i64("disabled"))
    return fail(expired);
  // Touch the session at most once a minute: idle timeout without a write
  // per request.
  if (now - r.i64("last_seen_at") > 60'000) {
    auto sid = r.i64("session_id");
    (void)db_.write([&](store::Tx& tx) -> Status {
      auto u = tx.exec("UPDATE sessions SET last_seen_at = $1 WHERE id = $2", {now, sid});
      if (!u) return fail(u.error());
      return {};
    });
  }
  return principal_from(r, grants_from((*read)[1]));
}

Status AuthService::logout(const Principal& p, const Actor& from) {
  return db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                     {now_ms(), p.session_id});
    if (!r) return fail(r.error());
    return record(tx, from, {"auth.logout", "user", p.user_id, "", "退出登录"});
  });
}

Status AuthService::change_password(const Principal& p, const std::string& old_password,
                                    const std::string& new_password, const Actor& from) {
  auto u = db_.one("SELECT password_hash FROM users WHERE id = $1", {p.user_id});
  if (!u) return fail(u.error());
  if (!crypto::verify_password(u->str("password_hash"), old_password))
    return fail(Error::invalid("请检查填写的内容", {{"old_password", "原密码不正确"}}));
  if (auto prob = password_problem(new_password, p.username))
    return fail(Error::invalid("请检查填写的内容", {{"new_password", *prob}}));
  auto hash = crypto::hash_password(new_password);
  return db_.write([&](store::Tx& tx) -> Status {
    auto now = now_ms();
    if (auto r = tx.exec("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE "
                         "id = $3",
                         {hash, now, p.user_id});
        !r)
      return fail(r.error());
    if (auto r = tx.exec("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at "
                         "IS NULL",
                         {now, p.user_id});
        !r)
      return fail(r.error());
    return record(tx, from, {"auth.password", "user", p.user_id, "", "修改密码，所有会话已退出"});
  });
}

Result<std::vector<Grant>> AuthService::grants_of(std::int64_t user_id) {
  auto rows =
      db_.query(std::string(kGrantsSelect) + "WHERE r.user_id = $1 ORDER BY r.id", {user_id});
  if (!rows) return fail(rows.error());
  return grants_from(*rows);
}

Status AuthService::validate_roles(const std::vector<RoleInput>& roles) {
  std::vector<FieldError> errs;
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const auto& r = roles[i];
    auto field = fmt::format("roles[{}]", i);
    const RoleInfo* info = find_role(r.role);
    if (!info) {
      errs.push_back({field, "未知的角色"});
      continue;
    }
    if (info->scope == ScopeKind::node) {
      if (!r.node_id) {
        errs.push_back({field, fmt::format("{}需要指定所辖区划", info->name_zh)});
        continue;
      }
      auto n = db_.query("SELECT id FROM nodes WHERE id = $1", {r.node_id});
      if (!n) return fail(n.error());
      if (n->empty()) errs.push_back({field, "所选区划不存在"});
    } else {
      if (!r.org_id) {
        errs.push_back({field, fmt::format("{}需要指定所属单位", info->name_zh)});
        continue;
      }
      auto o = db_.query("SELECT id FROM orgs WHERE id = $1", {r.org_id});
      if (!o) return fail(o.error());
      if (o->empty()) errs.push_back({field, "所选单位不存在"});
    }
  }
  if (!errs.empty()) return fail(Error::invalid("请检查角色设置", errs));
  return {};
}

Status AuthService::write_roles(store::Tx& tx, std::int64_t user_id,
                                const std::vector<RoleInput>& roles) {
  if (auto r = tx.exec("DELETE FROM role_assignments WHERE user_id = $1", {user_id}); !r)
    return fail(r.error());
  for (const auto& role : roles) {
    auto r = tx.exec(
        "INSERT INTO role_assignments (user_id, role, node_id, org_id) VALUES ($1, $2, $3, $4)",
        {user_id, role.role, role.node_id ? store::Value{role.node_id} : store::null(),
         role.org_id ? store::Value{role.org_id} : store::null()});
    if (!r) return fail(r.error());
  }
  return {};
}

Result<std::vector<UserInfo>> AuthService::list_users(const std::string& q, std::int64_t after_id,
                                                      int limit) {
  auto rows = db_.query(
      "SELECT id FROM users WHERE id > $1 AND ($2 = '' OR username LIKE $3 ESCAPE '\\' OR "
      "display_name LIKE $3 ESCAPE '\\') ORDER BY id LIMIT $4",
      {after_id, q, "%" + store::like_escape(q) + "%", static_cast<std::int64_t>(limit)});
  if (!rows) return fail(rows.error());
  std::vector<UserInfo> out;
  for (const auto& r : *rows) {
    auto u = get_user(r.i64("id"));
    if (!u) return fail(u.error());
    out.push_back(std::move(*u));
  }
  return out;
}

Result<UserInfo> AuthService::get_user(std::int64_t id) {
  auto r = db_.one(
      "SELECT id, username, display_name, locked_at, disabled, resident_id FROM users WHERE id = "
      "$1",
      {id});
  if (!r) return fail(r.error());
  auto grants = grants_of(id);
  if (!grants) return fail(grants.error());
  return UserInfo{id,
                  r->str("username"),
                  r->str("display_name"),
                  !r->is_null("locked_at"),
                  r->i64("disabled") != 0,
                  r->i64("resident_id"),
                  std::move(*grants)};
}

Result<UserInfo> AuthService::create_user(const std::string& username,
                                          const std::string& display_name,
                                          const std::string& password,
                                          const std::vector<RoleInput>& roles,
                                          std::int64_t resident_id, const Actor& by) {
  if (auto prob = password_problem(password, username))
    return fail(Error::invalid("请检查填写的内容", {{"password", *prob}}));
  if (auto v = validate_roles(roles); !v) return fail(v.error());
  auto hash = crypto::hash_password(password);
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto now = now_ms();
    auto r = tx.one(
        "INSERT INTO users (username, display_name, password_hash, resident_id, "
        "password_changed_at, created_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        {username, display_name, hash, resident_id ? store::Value{resident_id} : store::null(),
         now});
    if (!r) {
      if (r.error().kind == ErrorKind::conflict)
        return fail(Error::invalid("请检查填写的内容", {{"username", "该用户名已被使用"}}));
      return fail(r.error());
    }
    id = r->i64("id");
    if (auto s = write_roles(tx, id, roles); !s) return s;
    return record(tx, by, {"user.create", "user", id, "", "新建账号 " + username});
  });
  if (!w) return fail(w.error());
  return get_user(id);
}

Status AuthService::set_roles(std::int64_t user_id, const std::vector<RoleInput>& roles,
                              const Actor& by) {
  if (auto u = get_user(user_id); !u) return fail(u.error());
  if (auto v = validate_roles(roles); !v) return v;
  return db_.write([&](store::Tx& tx) -> Status {
    if (auto s = write_roles(tx, user_id, roles); !s) return s;
    return record(tx, by, {"user.roles", "user", user_id, "", "调整角色"});
  });
}

Status AuthService::unlock(std::int64_t user_id, const Actor& by) {
  if (auto u = get_user(user_id); !u) return fail(u.error());
  clear_failures(get_user(user_id)->username);
  return db_.write([&](store::Tx& tx) -> Status {
    if (auto r = tx.exec("UPDATE users SET locked_at = NULL, failed_logins = 0 WHERE id = $1",
                         {user_id});
        !r)
      return fail(r.error());
    return record(tx, by, {"user.unlock", "user", user_id, "", "解锁账号"});
  });
}

Status AuthService::reset_password(std::int64_t user_id, const std::string& new_password,
                                   const Actor& by) {
  auto target = get_user(user_id);
  if (!target) return fail(target.error());
  if (auto prob = password_problem(new_password, target->username))
    return fail(Error::invalid("请检查填写的内容", {{"new_password", *prob}}));
  auto hash = crypto::hash_password(new_password);
  return db_.write([&](store::Tx& tx) -> Status {
    auto now = now_ms();
    if (auto r =
            tx.exec("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
                    {hash, now, user_id});
        !r)
      return fail(r.error());
    if (auto r =
            tx.exec("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                    {now, user_id});
        !r)
      return fail(r.error());
    return record(tx, by, {"user.password_reset", "user", user_id, "", "管理员重置密码"});
  });
}

}  // namespace linli::auth
