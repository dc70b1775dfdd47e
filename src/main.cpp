// linli: serve, migrate, demo, import, export, user. Each subcommand has --help.

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/app.hpp"
#include "app/audit_cli.hpp"
#include "app/cluster.hpp"
#include "app/heap.hpp"
#include "app/serve_flags.hpp"
#include "auth/roles.hpp"
#include "auth/totp.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/csv.hpp"
#include "core/log.hpp"
#include "demo/demo.hpp"
#include "gen/cli.hpp"
#include "http/server.hpp"
#include "open311/keys.hpp"
#include "ops/backup.hpp"
#include "org/service.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace {

using namespace linli;

struct Common {
  std::string db_url = "sqlite:data/linli.db";
  std::string key_file;  // default: beside the SQLite file, or data/linli.key
};

int die(const std::string& msg) {
  std::cerr << "错误: " << msg << "\n";
  return 1;
}

std::string default_key_file(const std::string& url) {
  if (url.starts_with("sqlite:")) {
    auto path = std::filesystem::path(url.substr(7));
    return (path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path()) /
           "linli.key";
  }
  return "data/linli.key";
}

// Opens the store, loads the data key and applies pending migrations.
Result<std::unique_ptr<store::Db>> open_store(const Common& c) {
  crypto::init();
  if (auto k = crypto::load_data_key(c.key_file.empty() ? default_key_file(c.db_url) : c.key_file);
      !k)
    return fail(k.error());
  auto db = store::open(c.db_url);
  if (!db) return fail(db.error());
  auto applied = store::migrate(**db);
  if (!applied) return fail(applied.error());
  if (*applied > 0) log::info("migrations applied", {{"count", *applied}});
  if (auto s = auth::seal_existing(**db); !s) return fail(s.error());
  return db;
}

// The command line acts as an administrator of every top-level area.
Result<auth::Principal> cli_principal(store::Db& db) {
  auto roots = db.query("SELECT id, path, name FROM nodes WHERE parent_id IS NULL ORDER BY id");
  if (!roots) return fail(roots.error());
  auth::Principal p;
  p.username = "cli";
  for (const auto& r : *roots)
    p.grants.push_back({"admin", r.i64("id"), r.str("path"), r.str("name"), 0, ""});
  return p;
}

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--db", c.db_url, "sqlite:PATH 或 postgresql://… (默认 sqlite:data/linli.db)");
  cmd->add_option("--key-file", c.key_file,
                  "个人信息加密密钥文件（默认与数据库同目录的 linli.key）");
}

int run_serve(const Common& c, const std::string& listen, const std::string& web, int workers,
              const SecurityFlags& security, const std::string& replica_url,
              const std::vector<std::string>& trusted_proxies) {
  bound_heap();
  // Before the store opens: the SQLite budget sizes each connection's cache.
  AppConfig cfg;
  cfg.web_dir = web;
  if (auto bad = apply_security_flags(security, cfg); !bad.empty()) return die(bad);
  auto db = open_store(c);
  if (!db) return die(db.error().detail);
  // Several nodes (docs/SCALING.md): one key, notices across nodes, a replica.
  if (auto k = cluster::check_data_key(**db); !k) return die(k.error().detail);
  std::unique_ptr<store::Db> reads;
  if (!replica_url.empty()) {
    auto r = cluster::open_reads(**db, replica_url);
    if (!r) return die("只读副本: " + r.error().detail);
    reads = std::move(*r);
  }
  http::ServerOptions opt;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return die("--listen 应为 HOST:PORT");
  opt.host = listen.substr(0, colon);
  opt.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
  if (workers > 0) opt.workers = workers;
  cfg.trusted_proxies = trusted_proxies;
  App app(**db, cfg, reads.get());
  if ((*db)->kind() == store::Kind::postgres)
    if (auto l = app.notifier.listen(c.db_url); !l) return die(l.error().detail);
  if (app.statics.empty()) log::warn("web UI not found, serving the API only", {{"dir", web}});
  http::Server server(opt, [&app](http::Request& r) { return app.handle(r); });
  auto port = server.start();
  if (!port) return die(port.error().detail);
  log::info("listening", {{"url", "http://" + opt.host + ":" + std::to_string(*port)}});
  // Background duties: the deadline sweep and the modules' minute jobs,
  // SSE keep-alives.
  std::jthread duties([&app](std::stop_token stop) {
    for (int tick = 0; !stop.stop_requested(); ++tick) {
      if (tick % 60 == 0) {
        if (auto n = app.cases.sweep(clock::now_ms()); !n)
          log::warn("sweep failed", {{"detail", n.error().detail}});
        for (auto& duty : app.minutely) duty(clock::now_ms());
        trim_heap();
      }
      if (tick % 20 == 0) app.notifier.heartbeat();
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  server.wait_for_signal();
  duties.request_stop();
  duties.join();
  if (reads) reads->close();
  (*db)->close();
  log::info("stopped cleanly");
  return 0;
}

int run_demo(const Common& c, const std::string& accounts_json) {
  auto db = open_store(c);
  if (!db) return die(db.error().detail);
  demo::Options opt;
  opt.progress = [](const std::string& stage, long done, long total) {
    std::cerr << "\r  " << stage << " " << done << "/" << total << "        " << std::flush;
    if (done == total) std::cerr << "\n";
  };
  auto s = demo::load(**db, opt);
  if (!s) return die(s.error().detail);
  std::cout << "演示城市已载入: " << s->nodes << " 个区划, " << s->households << " 户, "
            << s->residents << " 名居民, " << s->party_orgs << " 个党组织, " << s->members
            << " 名党员, " << s->orgs << " 个单位, " << s->accounts.size() << " 个账号\n";
  if (!accounts_json.empty()) {
    Json arr = Json::array();
    for (const auto& a : s->accounts) {
      Json entry = {{"username", a.username},
                    {"password", a.password},
                    {"role", a.role},
                    {"node", a.node ? Json(a.node) : Json(nullptr)},
                    {"org", a.org ? Json(a.org) : Json(nullptr)}};
      if (!a.api_key.empty()) entry["api_key"] = a.api_key;
      if (!a.totp_secret.empty()) entry["totp_secret"] = a.totp_secret;
      arr.push_back(std::move(entry));
    }
    std::ofstream out(accounts_json);
    out << arr.dump(2) << "\n";
    if (!out) return die("无法写入 " + accounts_json);
  }
  (*db)->close();
  return 0;
}

int run_import(const Common& c, const std::string& file, bool dry_run) {
  store::sqlite::use_rollback_journal_when_alone(true);
  auto db = open_store(c);
  if (!db) return die(db.error().detail);
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return die("无法读取文件 " + file);
  // One read into a string of the file's size: a stringstream copied 100 MB
  // (1M residents) twice.
  std::string text(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(text.data(), static_cast<std::streamsize>(text.size())))
    return die("无法读取文件 " + file);
  auto p = cli_principal(**db);
  if (!p) return die(p.error().detail);
  org::OrgService svc(**db);
  std::cerr << "正在检查 " << file << " …\n";
  auto started = std::chrono::steady_clock::now();
  auto rep = svc.import_residents(
      *p, text, dry_run, auth::Actor::named("cli"),
      [&](const std::string& stage, long done, long total) {
        double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cerr << "\r  " << stage << " " << done << "/" << total << "  " << long(s)
                  << " 秒      " << (done == total ? "\n" : "") << std::flush;
      });
  if (!rep) return die(rep.error().detail);
  for (const auto& e : rep->errors)
    std::cout << "第" << e.row << "行 " << e.column << ": " << e.message << "\n";
  std::cout << (dry_run ? "检查完成" : (rep->errors.empty() ? "导入完成" : "未导入")) << ": 共 "
            << rep->rows << " 行, 新增 " << rep->created << ", 更新 " << rep->updated << ", 未变 "
            << rep->unchanged << ", 错误 " << rep->errors.size() << "\n";
  // Closing copies the import's pages from the WAL into the database file
  // when a server shared the file (WAL): seconds for a large file, so say what
  // is happening.
  if (!dry_run && rep->created + rep->updated > 10000) std::cerr << "正在整理数据库文件 …\n";
  (*db)->close();
  return rep->errors.empty() ? 0 : 2;
}

int run_export(const Common& c, std::int64_t node, const std::string& format,
               const std::string& out_file) {
  auto db = open_store(c);
  if (!db) return die(db.error().detail);
  auto p = cli_principal(**db);
  if (!p) return die(p.error().detail);
  org::OrgService svc(**db);
  auto rows = svc.export_residents(*p, node, auth::Actor::named("cli"));
  if (!rows) return die(rows.error().detail);
  std::string body = format == "csv" ? csv::format(*rows) : xlsx::workbook("居民名单", *rows);
  if (out_file.empty() || out_file == "-") {
    std::cout << body;
  } else {
    std::ofstream out(out_file, std::ios::binary);
    out << body;
    std::cerr << "已导出 " << rows->size() - 1 << " 名居民到 " << out_file << "\n";
  }
  (*db)->close();
  return 0;
}

std::vector<auth::RoleInput> parse_roles(const std::vector<std::string>& specs) {
  // "role@node:ID" or "role@org:ID"
  std::vector<auth::RoleInput> out;
  for (const auto& s : specs) {
    auth::RoleInput r;
    auto at = s.find('@');
    r.role = s.substr(0, at);
    if (at != std::string::npos) {
      auto rest = s.substr(at + 1);
      if (rest.starts_with("node:")) r.node_id = std::atoll(rest.c_str() + 5);
      if (rest.starts_with("org:")) r.org_id = std::atoll(rest.c_str() + 4);
    }
    out.push_back(r);
  }
  return out;
}

Result<std::int64_t> user_id_of(store::Db& db, const std::string& username) {
  auto r = db.one("SELECT id FROM users WHERE username = $1", {username});
  if (!r) return fail(Error::not_found("没有用户 " + username));
  return r->i64("id");
}

// linli open311 keys add|list|revoke: api_keys for Open311 clients (docs/OPEN311.md).
int run_open311_keys(const Common& c, const std::string& action, const std::string& name,
                     std::int64_t id) {
  auto db = open_store(c);
  if (!db) return die(db.error().detail);
  int rc = 0;
  if (action == "add") {
    auto key = open311::add_key(**db, name);
    if (!key) {
      rc = die(key.error().detail);
    } else {
      std::cout << *key << "\n";
      std::cerr << "已为“" << name << "”新建 api_key。密钥只显示这一次，请妥善转交。\n";
    }
  } else if (action == "list") {
    auto rows = (*db)->query("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY id");
    if (!rows) {
      rc = die(rows.error().detail);
    } else {
      for (const auto& r : *rows)
        std::cout << r.i64("id") << "\t" << r.str("name") << "\t" << clock::iso(r.i64("created_at"))
                  << "\t"
                  << (r.is_null("revoked_at") ? std::string("有效")
                                              : "已停用 " + clock::iso(r.i64("revoked_at")))
                  << "\n";
    }
  } else {
    std::int64_t changed = 0;
    auto w = (*db)->write([&](store::Tx& tx) -> Status {
      auto r = tx.exec("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                       {clock::now_ms(), id});
      if (!r) return fail(r.error());
      changed = r->changes;
      if (!changed) return {};
      return auth::record(tx, auth::Actor::named("cli"),
                          {"open311.key_revoke", "api_key", id, "", "停用 Open311 api_key"});
    });
    if (!w)
      rc = die(w.error().detail);
    else if (!changed)
      rc = die("没有编号为 " + std::to_string(id) + " 的有效密钥");
    else
      std::cout << "已停用\n";
  }
  (*db)->close();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  log::init();

  CLI::App cli{"linli 邻里 — 党建引领基层治理平台"};
  cli.require_subcommand(1);
  Common c;

  auto* serve = cli.add_subcommand("serve", "启动服务 (JSON API、Open311、网页)");
  add_common(serve, c);
  std::string listen = "127.0.0.1:8080", web = "web/dist";
  int workers = 0;
  serve->add_option("--listen", listen, "HOST:PORT (默认 127.0.0.1:8080)");
  serve->add_option("--web", web, "网页文件目录 (默认 web/dist)");
  serve->add_option("--workers", workers, "处理写请求的工作线程数（默认16；读请求另用每核2个）");
  SecurityFlags security;
  add_security_flags(serve, security);

  auto* totp_code =
      cli.add_subcommand("totp-code", "显示两步验证密钥当前的6位验证码（演示、测试用）");
  std::string totp_secret;
  totp_code->add_option("SECRET", totp_secret, "base32 密钥（见 accounts.json 的 totp_secret）")
      ->required();
  std::string replica_url;
  serve->add_option("--replica-url", replica_url,
                    "PostgreSQL 只读副本 (postgresql://…)：统计指标与导出从副本读取");
  std::vector<std::string> trusted_proxies;
  serve->add_option("--trusted-proxy", trusted_proxies,
                    "反向代理地址 (如 127.0.0.1)：采用其 X-Real-IP 作为客户端地址");

  auto* migrate = cli.add_subcommand("migrate", "升级数据库结构");
  add_common(migrate, c);

  auto* demo_cmd = cli.add_subcommand("demo", "载入演示城市（空库）");
  add_common(demo_cmd, c);
  std::string accounts_json;
  demo_cmd->add_option("--accounts-json", accounts_json, "把创建的账号写入此JSON文件");

  auto* import_cmd = cli.add_subcommand("import", "导入数据");
  import_cmd->require_subcommand(1);
  auto* import_res = import_cmd->add_subcommand("residents", "导入居民CSV");
  add_common(import_res, c);
  std::string import_file;
  bool dry_run = false;
  import_res->add_option("FILE", import_file, "CSV文件")->required();
  import_res->add_flag("--dry-run", dry_run, "只检查，不导入");

  auto* export_cmd = cli.add_subcommand("export", "导出数据");
  export_cmd->require_subcommand(1);
  auto* export_res = export_cmd->add_subcommand("residents", "导出居民名单（已脱敏）");
  add_common(export_res, c);
  std::int64_t export_node = 0;
  std::string export_format = "csv", export_out;
  export_res->add_option("--node", export_node, "区划编号")->required();
  export_res->add_option("--format", export_format, "csv 或 xlsx")
      ->check(CLI::IsMember({"csv", "xlsx"}));
  export_res->add_option("--out", export_out, "输出文件（默认标准输出）");

  auto* user = cli.add_subcommand("user", "账号管理");
  user->require_subcommand(1);
  std::string uname, display, password;
  std::vector<std::string> role_specs;
  auto* user_add = user->add_subcommand("add", "新建账号");
  add_common(user_add, c);
  user_add->add_option("USERNAME", uname)->required();
  user_add->add_option("--name", display, "显示姓名");
  user_add->add_option("--password", password, "密码")->required();
  user_add->add_option("--role", role_specs, "角色，如 community_staff@node:3 或 merchant@org:5")
      ->required();
  auto* user_pw = user->add_subcommand("passwd", "重置密码");
  add_common(user_pw, c);
  user_pw->add_option("USERNAME", uname)->required();
  user_pw->add_option("--password", password, "新密码")->required();
  auto* user_roles = user->add_subcommand("roles", "设置角色（替换原有角色）");
  add_common(user_roles, c);
  user_roles->add_option("USERNAME", uname)->required();
  user_roles->add_option("--role", role_specs, "角色，如 grid_worker@node:12")->required();

  auto* open311_cmd = cli.add_subcommand("open311", "Open311 接口");
  open311_cmd->require_subcommand(1);
  auto* o311_keys = open311_cmd->add_subcommand("keys", "api_key 管理");
  o311_keys->require_subcommand(1);
  std::string o311_name;
  std::int64_t o311_id = 0;
  auto* o311_add = o311_keys->add_subcommand("add", "新建 api_key（密钥只显示这一次）");
  add_common(o311_add, c);
  o311_add->add_option("NAME", o311_name, "使用方名称，如 市民热线App")->required();
  auto* o311_list = o311_keys->add_subcommand("list", "列出 api_key（不显示密钥）");
  add_common(o311_list, c);
  auto* o311_revoke = o311_keys->add_subcommand("revoke", "停用 api_key");
  add_common(o311_revoke, c);
  o311_revoke->add_option("ID", o311_id, "密钥编号（见 list）")->required();

  auto* audit_cmd = cli.add_subcommand("audit", "审计日志");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand("verify", "校验审计哈希链，报告第一处断裂");
  add_common(audit_verify, c);

  gen::CliArgs gen_args;  // linli gen: the synthetic city for benchmarks (src/gen/)
  auto* gen_cmd = gen::add_command(cli, gen_args);

  // linli backup / restore (src/ops/backup.cpp, docs/OPERATIONS.md).
  ops::BackupOptions bk;
  ops::RestoreOptions rs;
  auto* backup_cmd = cli.add_subcommand("backup", "在线备份数据库和数据密钥");
  add_common(backup_cmd, c);
  backup_cmd->add_option("--out", bk.out, "备份文件；密钥写到 FILE.key")->required();
  bool bk_no_key = false;
  backup_cmd->add_flag("--no-key", bk_no_key, "不备份数据密钥（须另行保管）");
  auto* restore_cmd = cli.add_subcommand("restore", "从备份恢复到空数据库");
  add_common(restore_cmd, c);
  restore_cmd->add_option("--in", rs.in, "备份文件（密钥从 FILE.key 读取）")->required();
  restore_cmd->add_flag("--force", rs.force, "覆盖已有数据的数据库和密钥");

  CLI11_PARSE(cli, argc, argv);
  if (backup_cmd->parsed() || restore_cmd->parsed()) {
    auto say = [](const std::string& line) { std::cerr << line << "\n"; };
    auto key = c.key_file.empty() ? default_key_file(c.db_url) : c.key_file;
    bk.db_url = rs.db_url = c.db_url;
    bk.key_file = rs.key_file = key;
    bk.with_key = !bk_no_key;
    bk.say = rs.say = say;
    auto s = backup_cmd->parsed() ? ops::backup(bk) : ops::restore(rs);
    return s ? 0 : die(s.error().detail);
  }

  if (gen_cmd->parsed()) return gen::run(gen_args);
  if (audit_verify->parsed()) {
    auto db = open_store(c);
    if (!db) return die(db.error().detail);
    int rc = run_audit_verify(**db);
    (*db)->close();
    return rc;
  }

  if (serve->parsed())
    return run_serve(c, listen, web, workers, security, replica_url, trusted_proxies);
  if (totp_code->parsed()) {
    auto code = auth::totp::code_at(totp_secret, auth::totp::step_of(clock::now_ms()));
    if (code.empty()) return die("密钥不是有效的 base32");
    std::cout << code << "\n";
    return 0;
  }
  if (migrate->parsed()) {
    auto db = open_store(c);
    if (!db) return die(db.error().detail);
    std::cout << "数据库结构已是最新\n";
    (*db)->close();
    return 0;
  }
  if (demo_cmd->parsed()) return run_demo(c, accounts_json);
  if (o311_add->parsed()) return run_open311_keys(c, "add", o311_name, 0);
  if (o311_list->parsed()) return run_open311_keys(c, "list", "", 0);
  if (o311_revoke->parsed()) return run_open311_keys(c, "revoke", "", o311_id);
  if (import_res->parsed()) return run_import(c, import_file, dry_run);
  if (export_res->parsed()) return run_export(c, export_node, export_format, export_out);
  if (user_add->parsed() || user_pw->parsed() || user_roles->parsed()) {
    auto db = open_store(c);
    if (!db) return die(db.error().detail);
    auth::AuthService svc(**db);
    auto cli_actor = auth::Actor::named("cli");
    Status s;
    if (user_add->parsed()) {
      auto u = svc.create_user(uname, display.empty() ? uname : display, password,
                               parse_roles(role_specs), 0, cli_actor);
      s = u ? Status{} : Status{fail(u.error())};
    } else {
      auto id = user_id_of(**db, uname);
      if (!id) return die(id.error().detail);
      s = user_pw->parsed() ? svc.reset_password(*id, password, cli_actor)
                            : svc.set_roles(*id, parse_roles(role_specs), cli_actor);
    }
    (*db)->close();
    if (!s) {
      std::string msg = s.error().detail;
      for (const auto& e : s.error().errors) msg += "; " + e.field + ": " + e.message;
      return die(msg);
    }
    std::cout << "完成\n";
    return 0;
  }
  return 0;
}
