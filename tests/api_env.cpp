#include "api_env.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "auth/totp.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"

namespace linli::test {
namespace {

std::map<std::string, std::unique_ptr<ApiEnv>>& envs() {
  static std::map<std::string, std::unique_ptr<ApiEnv>> m;
  return m;
}

struct ShutdownAtEnd : ::testing::Environment {
  void TearDown() override { ApiEnv::shutdown_all(); }
};
[[maybe_unused]] auto* const kRegistered = ::testing::AddGlobalTestEnvironment(new ShutdownAtEnd);

std::atomic<std::int64_t> g_clock_offset_ms{0};

}  // namespace

void advance_test_clock(std::int64_t ms) { g_clock_offset_ms += ms; }
std::int64_t test_now_ms() { return clock::now_ms() + g_clock_offset_ms.load(); }

auth::AuthPolicy test_policy() {
  auth::AuthPolicy p;
  p.now = test_now_ms;
  p.account_failures_before_throttle = 3;
  p.throttle_seconds = 1;
  p.failures_before_lock = 5;
  p.address_failures_per_window = 1000;
  return p;
}

std::string ApiEnv::key_file() {
  auto dir = std::filesystem::temp_directory_path() / ("linli-api-key-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return (dir / "key").string();
}

ApiEnv& ApiEnv::get(const std::string& kind) {
  auto& slot = envs()[kind];
  if (slot) return *slot;
  setenv("LINLI_FAST_HASH", "1", 1);
  // Access logs of every test request drown the report; LINLI_TEST_LOG=info shows them.
  // LINLI_TEST_LOG_DIR keeps every server log line of the run in a file there,
  // which `make test` scans for personal data and secrets (scripts/scan-logs.sh).
  if (const char* dir = getenv("LINLI_TEST_LOG_DIR"); dir && *dir) {
    auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    console->set_level(getenv("LINLI_TEST_LOG") ? spdlog::level::info : spdlog::level::warn);
    std::filesystem::create_directories(dir);
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(
        (std::filesystem::path(dir) / ("api-" + kind + "-" + std::to_string(getpid()) + ".log"))
            .string());
    auto logger =
        std::make_shared<spdlog::logger>("linli-test", spdlog::sinks_init_list{console, file});
    logger->set_pattern("%v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::info);
  } else {
    spdlog::set_level(getenv("LINLI_TEST_LOG") ? spdlog::level::info : spdlog::level::warn);
  }
  crypto::init();
  if (auto k = crypto::load_data_key(key_file()); !k) throw std::runtime_error(k.error().detail);
  auto env = std::make_unique<ApiEnv>();
  env->kind = kind;
  env->db = open_migrated(fresh_store_url(kind));
  demo::Options opt;
  opt.households = 400;
  opt.points = false;  // points tests count balances from zero
  auto summary = demo::load(*env->db, opt);
  if (!summary) throw std::runtime_error("demo: " + summary.error().detail);
  env->password = opt.password;
  for (const auto& a : summary->accounts) env->accounts[a.role] = a;
  AppConfig cfg;
  cfg.web_dir = "/nonexistent";
  cfg.auth = test_policy();
  env->app = std::make_unique<App>(*env->db, cfg);
  http::ServerOptions so;
  so.port = 0;
  so.workers = 8;
  env->server = std::make_unique<http::Server>(
      so, [app = env->app.get()](http::Request& r) { return app->handle(r); });
  auto port = env->server->start();
  if (!port) throw std::runtime_error(port.error().detail);
  env->client = std::make_unique<HttpClient>(*port);
  slot = std::move(env);
  return *slot;
}

void ApiEnv::shutdown_all() {
  for (auto& [kind, env] : envs()) {
    if (!env) continue;
    env->server->stop();
    env->db->close();
  }
  envs().clear();
}

std::string ApiEnv::token(const std::string& role) {
  auto it = accounts.find(role);
  if (it == accounts.end()) throw std::runtime_error("no demo account for " + role);
  if (!it->second.totp_secret.empty()) {
    auto& cached = totp_tokens[role];
    if (!cached.empty() && client->get("/api/v1/auth/me", cached).status == 200) return cached;
    cached = login_totp(it->second.username, password, it->second.totp_secret);
    if (cached.empty()) throw std::runtime_error("two-step login failed for " + role);
    return cached;
  }
  auto t = client->login(it->second.username, password);
  if (t.empty()) throw std::runtime_error("login failed for " + it->second.username);
  return t;
}

std::string ApiEnv::login_totp(const std::string& username, const std::string& password,
                               const std::string& secret) {
  namespace totp = auth::totp;
  for (int round = 0; round < 3; ++round) {
    auto r = client->post("/api/v1/auth/login", {{"username", username}, {"password", password}});
    auto j = r.json();
    if (r.status != 200 || !j.contains("token")) return "";
    auto token = j["token"].get<std::string>();
    if (j["stage"] == "full") return token;
    auto now = totp::step_of(test_now_ms());
    for (auto step : {now, now + 1}) {
      if (step <= last_totp_step) continue;
      auto v =
          client->post("/api/v1/auth/login/totp", {{"code", totp::code_at(secret, step)}}, token);
      if (v.status == 200) {
        last_totp_step = step;
        return v.json()["token"].get<std::string>();
      }
    }
    // Both codes of this window are spent: wait for the next step.
    auto next_ms = (now + 1) * totp::kStepSeconds * 1000 + 200;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::max<std::int64_t>(0, next_ms - test_now_ms())));
  }
  return "";
}

std::string ApiEnv::path_of(std::int64_t node_id) {
  auto r = db->one("SELECT path FROM nodes WHERE id = $1", {node_id});
  if (!r) throw std::runtime_error("no node " + std::to_string(node_id));
  return r->str("path");
}

std::int64_t ApiEnv::count(const std::string& sql, const store::Params& params) {
  auto r = db->one(sql, params);
  if (!r) throw std::runtime_error(r.error().detail);
  return r->i64("n");
}

}  // namespace linli::test
