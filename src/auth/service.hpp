// Accounts and sessions: login with throttling and lock-out, bearer/cookie
// sessions stored as token hashes, password changes, user administration.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/audit.hpp"
#include "auth/principal.hpp"
#include "store/db.hpp"

namespace linli::auth {

struct AuthPolicy {
  std::int64_t session_absolute_ms = 12LL * 3600 * 1000;  // a working day
  std::int64_t session_idle_ms = 2LL * 3600 * 1000;
  // A session waiting for its second factor, or an administrator's session
  // that may only enrol one, lives this long.
  std::int64_t second_step_ms = 5LL * 60 * 1000;
  std::int64_t enrol_ms = 15LL * 60 * 1000;
  int account_failures_before_throttle = 5;  // then wait throttle_seconds per try
  int throttle_seconds = 30;
  int address_failures_per_window = 30;  // per IP in 15 minutes
  int failures_before_lock = 10;         // consecutive; an admin unlocks
  std::size_t min_password_chars = 10;
  // The clock sessions, throttling and TOTP read (UTC ms); empty: the system
  // clock. Tests set it to move time.
  std::function<std::int64_t()> now;
};

// Where a session stands: signed in, waiting for the second factor, or an
// administrator who must enrol a second factor before anything else.
inline constexpr const char* kStageFull = "full";
inline constexpr const char* kStageTotp = "totp";
inline constexpr const char* kStageEnrol = "enrol";

// Routes a partly signed-in session may call (stage totp or enrol).
bool allowed_at_stage(const std::string& stage, const std::string& method,
                      const std::string& pattern);

struct SessionInfo {
  std::int64_t id = 0, created_at = 0, last_seen_at = 0, expires_at = 0;
  std::string ip, user_agent;
  bool current = false;
};

struct TotpStatus {
  bool enabled = false;   // a confirmed secret is on file
  bool required = false;  // the account holds the admin role
};

struct RoleInput {
  std::string role;
  std::int64_t node_id = 0;
  std::int64_t org_id = 0;
};

struct UserInfo {
  std::int64_t id = 0;
  std::string username, display_name;
  bool locked = false, disabled = false;
  std::int64_t resident_id = 0;
  std::vector<Grant> grants;
};

struct LoginResult {
  std::string token;
  Principal principal;  // principal.stage says whether a second step follows
};

class AuthService {
 public:
  AuthService(store::Db& db, AuthPolicy policy = {}) : db_(db), policy_(policy) {}

  // Checks the password; on success opens a session. Wrong credentials are
  // unauthenticated (same answer for an unknown user), too many recent
  // failures too_many (with retry_after), a locked account locked.
  Result<LoginResult> login(const std::string& username, const std::string& password,
                            const Actor& from, const std::string& user_agent);
  // The caller behind a token, or unauthenticated when it is unknown,
  // expired, idle too long or revoked.
  Result<Principal> authenticate(const std::string& token);
  Status logout(const Principal& p, const Actor& from);
  // Ends every session of the user, including the current one.
  Status change_password(const Principal& p, const std::string& old_password,
                         const std::string& new_password, const Actor& from);

  // Administration (callers check user.manage first).
  Result<std::vector<UserInfo>> list_users(const std::string& q, std::int64_t after_id, int limit);
  Result<UserInfo> get_user(std::int64_t id);
  Result<UserInfo> create_user(const std::string& username, const std::string& display_name,
                               const std::string& password, const std::vector<RoleInput>& roles,
                               std::int64_t resident_id, const Actor& by);
  Status set_roles(std::int64_t user_id, const std::vector<RoleInput>& roles, const Actor& by);
  Status unlock(std::int64_t user_id, const Actor& by);
  Status reset_password(std::int64_t user_id, const std::string& new_password, const Actor& by);

  // Grants of a user, with node paths and names resolved.
  Result<std::vector<Grant>> grants_of(std::int64_t user_id);
  // Refuses weak passwords with a Chinese reason (auth/password_policy.hpp).
  std::optional<std::string> password_problem(const std::string& password,
                                              const std::string& username = "") const;
  const AuthPolicy& policy() const { return policy_; }
  std::int64_t now_ms() const;

  // Sessions (auth/sessions.cpp). Active sessions of a user, newest first;
  // `current` marks the caller's own.
  Result<std::vector<SessionInfo>> sessions_of(std::int64_t user_id, std::int64_t current_session);
  // Ends one active session of `user_id`; not_found when there is none with
  // that id for that user. Audited.
  Status revoke_session(std::int64_t user_id, std::int64_t session_id, const Actor& by);
  // Ends every active session of `user_id` except `keep` (0: all); the count.
  Result<std::int64_t> revoke_sessions(std::int64_t user_id, std::int64_t keep, const Actor& by);

  // Second factor (auth/second_factor.cpp).
  Result<TotpStatus> totp_status(std::int64_t user_id);
  // Draws a new secret and keeps it pending until confirmed; conflict when a
  // factor is already enabled. Returns the base32 secret.
  Result<std::string> totp_begin(const Principal& p, const Actor& from);
  // Enables the pending secret when `code` matches it. An administrator's
  // enrol-only session becomes a full one under a new token (returned; empty
  // when the session was already full).
  Result<LoginResult> totp_confirm(const Principal& p, const std::string& code, const Actor& from);
  // Turns the factor off after a valid code; refused for administrators.
  Status totp_disable(const Principal& p, const std::string& code, const Actor& from);
  // The second login step: a session at stage totp becomes full under a new
  // token when `code` is right. Wrong codes count as failed logins; after
  // account_failures_before_throttle of them the half-open session ends.
  Result<LoginResult> login_second_step(const Principal& p, const std::string& code,
                                        const Actor& from);
  // An administrator removes a user's factor (a lost phone); the user enrols
  // again (administrators at their next login).
  Status totp_reset(std::int64_t user_id, const Actor& by);

 private:
  struct Failures {
    std::vector<std::int64_t> at_ms;  // recent failures, oldest first
  };
  Status check_throttle(const std::string& username, const std::string& ip);
  void note_failure(const std::string& username, const std::string& ip);
  void clear_failures(const std::string& username);
  Status validate_roles(const std::vector<RoleInput>& roles);
  Result<bool> holds_admin_role(std::int64_t user_id);
  // Turns session `sid` at stage `from_stage` into a full session under a new token.
  Result<LoginResult> upgrade_session(std::int64_t sid, const std::string& from_stage);
  Status write_roles(store::Tx& tx, std::int64_t user_id, const std::vector<RoleInput>& roles);

  store::Db& db_;
  AuthPolicy policy_;
  std::mutex mu_;
  std::unordered_map<std::string, Failures> by_account_, by_address_;
};

}  // namespace linli::auth
