// Accounts and sessions: login with throttling and lock-out, bearer/cookie
// sessions stored as token hashes, password changes, user administration.
#pragma once
#include <chrono>
#include <cstdint>
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
  int account_failures_before_throttle = 5;  // then wait throttle_seconds per try
  int throttle_seconds = 30;
  int address_failures_per_window = 30;  // per IP in 15 minutes
  int failures_before_lock = 10;         // consecutive; an admin unlocks
  std::size_t min_password_chars = 8;
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
  Principal principal;
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
  // Refuses weak passwords with a Chinese reason.
  std::optional<std::string> password_problem(const std::string& password) const;
  const AuthPolicy& policy() const { return policy_; }

 private:
  struct Failures {
    std::vector<std::int64_t> at_ms;  // recent failures, oldest first
  };
  Status check_throttle(const std::string& username, const std::string& ip);
  void note_failure(const std::string& username, const std::string& ip);
  void clear_failures(const std::string& username);
  Status validate_roles(const std::vector<RoleInput>& roles);
  Status write_roles(store::Tx& tx, std::int64_t user_id, const std::vector<RoleInput>& roles);

  store::Db& db_;
  AuthPolicy policy_;
  std::mutex mu_;
  std::unordered_map<std::string, Failures> by_account_, by_address_;
};

}  // namespace linli::auth
