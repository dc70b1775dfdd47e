#include "gen/cli.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "gen/gen.hpp"
#include "store/migrations.hpp"

namespace linli::gen {

CLI::App* add_command(CLI::App& cli, CliArgs& a) {
  auto* cmd = cli.add_subcommand("gen", "生成大规模模拟城市（压测用，空库）");
  cmd->add_option("--db", a.db_url, "sqlite:PATH 或 postgresql://…");
  cmd->add_option("--key-file", a.key_file,
                  "个人信息加密密钥文件（默认与数据库同目录的 linli.key）");
  cmd->add_option("--residents", a.residents, "居民人数（区划按此规模生成）");
  cmd->add_option("--cases", a.cases, "诉求件数");
  cmd->add_option("--years", a.years, "诉求历史的年数");
  cmd->add_option("--seed", a.seed, "随机种子（同一种子、同一 --now 生成同样的内容）");
  cmd->add_option("--now", a.now, "历史截止日 YYYY-MM-DD（上海时间0点；默认今天）");
  cmd->add_option("--accounts-json", a.accounts_json, "把演示账号写入此JSON文件");
  cmd->add_option("--residents-csv", a.residents_csv,
                  "只生成区划；住户与居民写入此CSV文件（居民导入格式，压测导入用）");
  return cmd;
}

int run(const CliArgs& a) {
  auto die = [](const std::string& msg) {
    std::cerr << "错误: " << msg << "\n";
    return 1;
  };
  crypto::init();
  std::string key = a.key_file;
  if (key.empty()) {
    if (a.db_url.starts_with("sqlite:")) {
      auto p = std::filesystem::path(a.db_url.substr(7));
      key = ((p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path()) / "linli.key")
                .string();
    } else {
      key = "data/linli.key";
    }
  }
  if (auto k = crypto::load_data_key(key); !k) return die(k.error().detail);
  {
    auto db = store::open(a.db_url);
    if (!db) return die(db.error().detail);
    auto applied = store::migrate(**db);
    if (!applied) return die(applied.error().detail);
    (*db)->close();
  }
  Options o;
  o.db_url = a.db_url, o.residents = a.residents, o.cases = a.cases, o.years = a.years;
  o.seed = a.seed;
  o.residents_csv = a.residents_csv;
  if (!a.now.empty()) {
    auto t = clock::shanghai_day_start(a.now);
    if (!t) return die("--now 应为 YYYY-MM-DD");
    o.now_ms = *t;
  }
  o.progress = [](const std::string& stage, long done, long total, double rate) {
    std::cerr << "\r  " << stage << " " << done << "/" << total << "  " << long(rate)
              << " 行/秒        " << std::flush;
    if (done == total) std::cerr << "\n";
  };
  auto s = generate(o);
  if (!s) return die(s.error().detail);
  std::cout << "模拟城市已生成: " << s->nodes << " 个区划, " << s->households << " 户, "
            << s->residents << " 名居民, " << s->party_orgs << " 个党组织, " << s->members
            << " 名党员, " << s->orgs << " 个单位, " << s->cases << " 件诉求 (" << s->events
            << " 条流转记录, " << s->whistles << " 次吹哨); " << s->rows << " 行, "
            << long(s->seconds) << " 秒, " << long(double(s->rows) / std::max(s->seconds, 1e-3))
            << " 行/秒\n";
  std::cout << "sample_community=" << s->sample_community << " sample_grid=" << s->sample_grid
            << "\n";
  if (!a.accounts_json.empty()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& acc : s->accounts) {
      nlohmann::json e = {{"username", acc.username},
                          {"password", acc.password},
                          {"role", acc.role},
                          {"node", acc.node ? nlohmann::json(acc.node) : nlohmann::json(nullptr)},
                          {"org", acc.org ? nlohmann::json(acc.org) : nlohmann::json(nullptr)}};
      if (!acc.api_key.empty()) e["api_key"] = acc.api_key;
      if (!acc.totp_secret.empty()) e["totp_secret"] = acc.totp_secret;
      arr.push_back(std::move(e));
    }
    arr.push_back(
        {{"username", "_sample"}, {"community", s->sample_community}, {"grid", s->sample_grid}});
    std::ofstream out(a.accounts_json);
    out << arr.dump(2) << "\n";
    if (!out) return die("无法写入 " + a.accounts_json);
  }
  return 0;
}

}  // namespace linli::gen
