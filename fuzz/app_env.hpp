// A linli App on a small demo city in a temporary SQLite file, built once per
// fuzzing process, with a staff token and an Open311 key for the inputs to use.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "app/app.hpp"
#include "auth/principal.hpp"
#include "core/crypto.hpp"
#include "demo/demo.hpp"
#include "open311/keys.hpp"
#include "store/db.hpp"
#include "store/migrations.hpp"

namespace linli::fuzz {

struct AppEnv {
  std::unique_ptr<store::Db> db;
  std::unique_ptr<App> app;
  std::string token;    // community1, community_staff
  std::string api_key;  // an Open311 key
  auth::Principal staff;

  static AppEnv& get() {
    static AppEnv* env = make();
    return *env;
  }

 private:
  static void die(const std::string& what) {
    std::fprintf(stderr, "fuzz setup failed: %s\n", what.c_str());
    std::abort();
  }
  static AppEnv* make() {
    setenv("LINLI_FAST_HASH", "1", 1);
    char tmpl[] = "/tmp/linli-fuzz.XXXXXX";
    std::string dir = mkdtemp(tmpl);
    crypto::init();
    if (!crypto::load_data_key(dir + "/linli.key")) die("key");
    auto* env = new AppEnv;
    auto db = store::open("sqlite:" + dir + "/linli.db");
    if (!db) die(db.error().detail);
    env->db = std::move(*db);
    if (!store::migrate(*env->db)) die("migrate");
    demo::Options opt;
    opt.households = 40;
    opt.cases = 20;
    if (auto s = demo::load(*env->db, opt); !s) die(s.error().detail);
    AppConfig cfg;
    cfg.web_dir = "/nonexistent";
    env->app = std::make_unique<App>(*env->db, cfg);
    auto login = env->app->auth.login("community1", "Linli@2026", auth::Actor::named("fuzz"), "");
    if (!login) die(login.error().detail);
    env->token = login->token;
    env->staff = login->principal;
    auto key = open311::add_key(*env->db, "fuzz");
    if (!key) die(key.error().detail);
    env->api_key = *key;
    return env;
  }
};

}  // namespace linli::fuzz
