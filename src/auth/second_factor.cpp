// The second factor: enrolment, the second login step, disabling and reset.
// Secrets are sealed at rest (crypto::seal) like phone and ID numbers; a
// code is accepted once per user (totp_last_step only moves forward, in the
// same transaction that accepts the code).
#include "auth/service.hpp"
#include "auth/totp.hpp"
#include "core/crypto.hpp"

namespace linli::auth {
namespace {

Error wrong_code() {
  return {ErrorKind::unauthenticated, "验证码不正确或已使用过，请等待验证器显示新的验证码后再试"};
}

Error no_code() { return Error::invalid("请检查填写的内容", {{"code", "请输入6位数字验证码"}}); }

bool looks_like_code(const std::string& code) {
  return code.size() == 6 && code.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Result<bool> AuthService::holds_admin_role(std::int64_t user_id) {
  auto r =
      db_.one("SELECT count(*) AS n FROM role_assignments WHERE user_id = $1 AND role = 'admin'",
              {user_id});
  if (!r) return fail(r.error());
  return r->i64("n") > 0;
}

Result<TotpStatus> AuthService::totp_status(std::int64_t user_id) {
  auto u = db_.one("SELECT totp_secret_enc FROM users WHERE id = $1", {user_id});
  if (!u) return fail(u.error());
  auto admin = holds_admin_role(user_id);
  if (!admin) return fail(admin.error());
  return TotpStatus{!u->is_null("totp_secret_enc"), *admin};
}

Result<std::string> AuthService::totp_begin(const Principal& p, const Actor& from) {
  auto status = totp_status(p.user_id);
  if (!status) return fail(status.error());
  if (status->enabled) return fail(Error::conflict("已启用两步验证；如需更换，请先关闭再重新设置"));
  auto secret = totp::new_secret();
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec("UPDATE users SET totp_pending_enc = $1 WHERE id = $2",
                     {crypto::seal(secret), p.user_id});
    if (!r) return fail(r.error());
    return record(tx, from, {"auth.totp_begin", "user", p.user_id, "", "开始设置两步验证"});
  });
  if (!w) return fail(w.error());
  return secret;
}

Result<LoginResult> AuthService::upgrade_session(std::int64_t sid, const std::string& from_stage) {
  auto token = crypto::random_token();
  auto now = now_ms();
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "UPDATE sessions SET token_hash = $1, stage = 'full', last_seen_at = $2, expires_at = $3 "
        "WHERE id = $4 AND stage = $5 AND revoked_at IS NULL",
        {crypto::token_hash(token), now, now + policy_.session_absolute_ms, sid, from_stage});
    if (!r) return fail(r.error());
    if (r->changes == 0) return fail(Error{ErrorKind::unauthenticated, "登录已过期，请重新登录"});
    return {};
  });
  if (!w) return fail(w.error());
  auto p = authenticate(token);
  if (!p) return fail(p.error());
  return LoginResult{token, *p};
}

Result<LoginResult> AuthService::totp_confirm(const Principal& p, const std::string& code,
                                              const Actor& from) {
  if (!looks_like_code(code)) return fail(no_code());
  auto u =
      db_.one("SELECT totp_secret_enc, totp_pending_enc, totp_last_step FROM users WHERE id = $1",
              {p.user_id});
  if (!u) return fail(u.error());
  if (!u->is_null("totp_secret_enc")) return fail(Error::conflict("已启用两步验证"));
  if (u->is_null("totp_pending_enc"))
    return fail(Error::conflict("请先生成二维码，再输入验证器显示的验证码"));
  auto secret = crypto::open(u->str("totp_pending_enc"));
  if (!secret) return fail(secret.error());
  auto step = totp::match(*secret, code, now_ms(), u->i64("totp_last_step"));
  if (!step)
    return fail(
        Error::invalid("请检查填写的内容",
                       {{"code", "验证码不正确：请确认手机时间准确，并输入当前显示的6位数字"}}));
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "UPDATE users SET totp_secret_enc = totp_pending_enc, totp_pending_enc = NULL, "
        "totp_last_step = $1 WHERE id = $2 AND totp_pending_enc IS NOT NULL AND "
        "totp_secret_enc IS NULL AND totp_last_step < $1",
        {*step, p.user_id});
    if (!r) return fail(r.error());
    if (r->changes == 0) return fail(Error::conflict("两步验证设置已变化，请刷新后重试"));
    return record(tx, from, {"auth.totp_enable", "user", p.user_id, "", "启用两步验证"});
  });
  if (!w) return fail(w.error());
  if (p.stage == kStageEnrol) return upgrade_session(p.session_id, kStageEnrol);
  return LoginResult{"", p};
}

Status AuthService::totp_disable(const Principal& p, const std::string& code, const Actor& from) {
  if (!looks_like_code(code)) return fail(no_code());
  auto status = totp_status(p.user_id);
  if (!status) return fail(status.error());
  if (status->required) return fail(Error::conflict("系统管理员必须使用两步验证，不能关闭"));
  if (!status->enabled) return fail(Error::conflict("尚未启用两步验证"));
  auto u = db_.one("SELECT totp_secret_enc, totp_last_step FROM users WHERE id = $1", {p.user_id});
  if (!u) return fail(u.error());
  auto secret = crypto::open(u->str("totp_secret_enc"));
  if (!secret) return fail(secret.error());
  auto step = totp::match(*secret, code, now_ms(), u->i64("totp_last_step"));
  if (!step) return fail(Error::invalid("请检查填写的内容", {{"code", "验证码不正确或已使用过"}}));
  return db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec(
        "UPDATE users SET totp_secret_enc = NULL, totp_pending_enc = NULL, totp_last_step = $1 "
        "WHERE id = $2 AND totp_last_step < $1",
        {*step, p.user_id});
    if (!r) return fail(r.error());
    if (r->changes == 0)
      return fail(Error::invalid("请检查填写的内容", {{"code", "验证码不正确或已使用过"}}));
    return record(tx, from, {"auth.totp_disable", "user", p.user_id, "", "关闭两步验证"});
  });
}

Result<LoginResult> AuthService::login_second_step(const Principal& p, const std::string& code,
                                                   const Actor& from) {
  if (p.stage != kStageTotp) return fail(Error::conflict("此会话无需输入验证码"));
  if (auto t = check_throttle(p.username, from.ip); !t) return fail(t.error());
  if (!looks_like_code(code)) return fail(no_code());
  auto u = db_.one("SELECT totp_secret_enc, totp_last_step FROM users WHERE id = $1", {p.user_id});
  if (!u) return fail(u.error());
  std::optional<std::int64_t> step;
  if (!u->is_null("totp_secret_enc")) {
    auto secret = crypto::open(u->str("totp_secret_enc"));
    if (!secret) return fail(secret.error());
    step = totp::match(*secret, code, now_ms(), u->i64("totp_last_step"));
  }
  bool accepted = false;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (step) {
      auto r = tx.exec("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
                       {*step, p.user_id});
      if (!r) return fail(r.error());
      accepted = r->changes == 1;
    }
    Actor who = from;
    who.user_id = p.user_id;
    who.username = p.username;
    if (accepted) return record(tx, who, {"auth.login", "user", p.user_id, "", "登录（两步验证）"});
    return record(tx, who, {"auth.totp_failed", "user", p.user_id, "", "两步验证码错误"});
  });
  if (!w) return fail(w.error());
  if (!accepted) {
    note_failure(p.username, from.ip);
    bool too_many = false;
    {
      std::lock_guard lock(mu_);
      too_many = static_cast<int>(by_account_[p.username].at_ms.size()) >=
                 policy_.account_failures_before_throttle;
    }
    // Guessing codes: end the half-open session, so the password (throttled
    // and locking) must be given again.
    if (too_many) {
      (void)db_.write([&](store::Tx& tx) -> Status {
        auto r =
            tx.exec("UPDATE sessions SET revoked_at = $1 WHERE id = $2", {now_ms(), p.session_id});
        if (!r) return fail(r.error());
        return {};
      });
    }
    return fail(wrong_code());
  }
  clear_failures(p.username);
  return upgrade_session(p.session_id, kStageTotp);
}

Status AuthService::totp_reset(std::int64_t user_id, const Actor& by) {
  if (auto u = get_user(user_id); !u) return fail(u.error());
  return db_.write([&](store::Tx& tx) -> Status {
    auto r =
        tx.exec("UPDATE users SET totp_secret_enc = NULL, totp_pending_enc = NULL WHERE id = $1",
                {user_id});
    if (!r) return fail(r.error());
    if (auto s =
            tx.exec("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                    {now_ms(), user_id});
        !s)
      return fail(s.error());
    return record(tx, by,
                  {"user.totp_reset", "user", user_id, "", "管理员清除两步验证并结束其会话"});
  });
}

}  // namespace linli::auth
