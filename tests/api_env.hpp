// An in-process linli server on 127.0.0.1 with a small demo city, one per
// store kind, shared by the API tests of a run (tests that change shared
// state create their own users or records).
#pragma once
#include <map>
#include <memory>
#include <string>

#include "app/app.hpp"
#include "demo/demo.hpp"
#include "http/server.hpp"
#include "http_client.hpp"
#include "support.hpp"

namespace linli::test {

struct ApiEnv {
  std::string kind;
  std::unique_ptr<store::Db> db;
  std::unique_ptr<App> app;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<HttpClient> client;
  std::map<std::string, demo::Account> accounts;  // by role
  std::string password;
  std::map<std::string, std::string> totp_tokens;  // by role
  std::int64_t last_totp_step = 0;

  // The environment for a store kind, built on first use.
  static ApiEnv& get(const std::string& kind);
  // Stops every server (called once after all tests).
  static void shutdown_all();
  // The data key file of this test process, created on first use. Every
  // in-process helper that seals or opens personal data loads this one: the
  // key is process-wide, and a suite installing a key of its own would leave
  // the servers of later tests unable to open what they sealed.
  static std::string key_file();

  // A token for the demo account holding `role`. Accounts with a second
  // factor (the admin) sign in once with a computed code and reuse the
  // token while it stays valid: a TOTP code is accepted only once.
  std::string token(const std::string& role);
  // Full two-step login with a base32 TOTP secret; waits for the next 30 s
  // step when the current codes are used up. Empty on failure.
  std::string login_totp(const std::string& username, const std::string& password,
                         const std::string& secret);
  // The path of a node.
  std::string path_of(std::int64_t node_id);
  std::int64_t count(const std::string& sql, const store::Params& params = {});
};

// Auth policy for tests: throttling and lock-out reachable in seconds; its
// clock is the system clock plus advance_test_clock() (sessions, throttling
// and TOTP read it).
auth::AuthPolicy test_policy();
// Moves the API servers' auth clock forward (never back).
void advance_test_clock(std::int64_t ms);
std::int64_t test_now_ms();

}  // namespace linli::test
