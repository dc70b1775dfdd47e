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

  // The environment for a store kind, built on first use.
  static ApiEnv& get(const std::string& kind);
  // Stops every server (called once after all tests).
  static void shutdown_all();

  // A token for the demo account holding `role`.
  std::string token(const std::string& role);
  // The path of a node.
  std::string path_of(std::int64_t node_id);
  std::int64_t count(const std::string& sql, const store::Params& params = {});
};

// Auth policy for tests: throttling and lock-out reachable in seconds.
auth::AuthPolicy test_policy();

}  // namespace linli::test
