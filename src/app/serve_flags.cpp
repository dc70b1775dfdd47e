#include "app/serve_flags.hpp"

#include "store/sqlite/sqlite_db.hpp"

namespace linli {

void add_security_flags(CLI::App* serve, SecurityFlags& f) {
  serve->add_option("--session-hours", f.session_hours, "登录会话最长有效小时数（默认12）");
  serve->add_option("--session-idle-minutes", f.session_idle_minutes,
                    "无操作多少分钟后会话失效（默认120）");
  serve->add_option("--public-origin", f.public_origin,
                    "对外地址，如 https://linli.example.gov.cn；带Cookie的写请求必须来自此来源");
  serve->add_flag("--secure-cookie", f.secure_cookie, "会话Cookie加Secure（经HTTPS访问时使用）");
  serve->add_option("--write-rate-account", f.writes_per_minute_account,
                    "每个账号每分钟可写请求数（默认6000，0为不限）");
  serve->add_option("--write-burst-account", f.write_burst_account,
                    "每个账号的突发写请求数（默认1000）");
  serve->add_option("--write-rate-address", f.writes_per_minute_address,
                    "每个网络地址每分钟可写请求数（默认60000，0为不限）");
  serve->add_option("--write-burst-address", f.write_burst_address,
                    "每个网络地址的突发写请求数（默认10000）");
  serve->add_option("--sqlite-memory-mb", f.sqlite_memory_mb,
                    "内置数据库（SQLite）缓存可用内存上限，单位MB（默认32）");
}

std::string apply_security_flags(const SecurityFlags& f, AppConfig& cfg) {
  if (f.session_hours <= 0 || f.session_hours > 24 * 30) return "--session-hours 应在0到720之间";
  if (f.session_idle_minutes <= 0) return "--session-idle-minutes 应大于0";
  if (!f.public_origin.empty() && !f.public_origin.starts_with("http://") &&
      !f.public_origin.starts_with("https://"))
    return "--public-origin 应以 http:// 或 https:// 开头";
  if (f.public_origin.ends_with("/")) return "--public-origin 末尾不要加 /";
  if (f.sqlite_memory_mb < 4 || f.sqlite_memory_mb > 1 << 20)
    return "--sqlite-memory-mb 应在4到1048576之间";
  store::sqlite::set_memory_budget(static_cast<std::int64_t>(f.sqlite_memory_mb * (1 << 20)));
  cfg.auth.session_absolute_ms = static_cast<std::int64_t>(f.session_hours * 3600 * 1000);
  cfg.auth.session_idle_ms = static_cast<std::int64_t>(f.session_idle_minutes * 60 * 1000);
  cfg.public_origin = f.public_origin;
  cfg.secure_cookie = f.secure_cookie || f.public_origin.starts_with("https://");
  cfg.writes_per_account = {f.writes_per_minute_account, f.write_burst_account};
  cfg.writes_per_address = {f.writes_per_minute_address, f.write_burst_address};
  return {};
}

}  // namespace linli
