#include "ops/backup.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "store/db.hpp"

extern char** environ;

namespace linli::ops {
namespace fs = std::filesystem;
namespace {

Error bad(const std::string& what) { return Error::invalid(what); }

bool is_sqlite(const std::string& url) { return url.starts_with("sqlite:"); }
std::string sqlite_path(const std::string& url) { return url.substr(7); }

// pg_dump and pg_restore do not know linli's own URL parameters.
std::string pg_tool_url(const std::string& url) {
  auto q = url.find('?');
  if (q == std::string::npos) return url;
  std::string out = url.substr(0, q);
  std::stringstream rest(url.substr(q + 1));
  std::string part;
  char sep = '?';
  while (std::getline(rest, part, '&')) {
    auto key = part.substr(0, part.find('='));
    if (key == "pool_size" || key == "linli_pool" || part.empty()) continue;
    out += sep + part;
    sep = '&';
  }
  return out;
}

// Runs a program (looked up in PATH) with its stderr passed through; returns
// its exit status or -1 when it could not be started.
int run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(bad("无法读取 " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes through a temporary file and a rename, so a crash leaves the old
// file or the new one, never half of one; mode 0600 for keys.
Status write_file(const std::string& path, const std::string& bytes, mode_t mode) {
  auto tmp = path + ".part";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(bad("无法写入 " + tmp + ": " + std::strerror(errno)));
  ::fchmod(fd, mode);
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(bad("无法写入 " + tmp + ": " + std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  bool ok = ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail(bad("无法写入 " + path + ": " + std::strerror(errno)));
  }
  return {};
}

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

Result<SqliteHandle> open_sqlite(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteHandle h(raw);
  if (rc != SQLITE_OK) {
    return fail(bad("无法打开数据库 " + path + ": " + (raw ? sqlite3_errmsg(raw) : "内存不足")));
  }
  sqlite3_busy_timeout(raw, 10'000);
  return h;
}

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return {};
  std::string msg = err ? err : sqlite3_errmsg(db);
  sqlite3_free(err);
  return fail(bad(std::string("数据库错误: ") + msg));
}

Result<std::string> text_of(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK)
    return fail(bad(std::string("数据库错误: ") + sqlite3_errmsg(db)));
  std::string out;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    auto* t = sqlite3_column_text(st, 0);
    out = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail(bad(std::string("数据库错误: ") + sqlite3_errmsg(db)));
  return out;
}

using Say = std::function<void(const std::string&)>;

// Copies every page of src into dst, reporting progress every tenth. The
// caller holds a read transaction on src, so the copy is one snapshot even
// while the server keeps committing (WAL readers do not block the writer).
Status copy_pages(sqlite3* src, sqlite3* dst, const Say& say) {
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return fail(bad(std::string("无法开始复制: ") + sqlite3_errmsg(dst)));
  int rc = SQLITE_OK, reported = -1;
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    rc = sqlite3_backup_step(b, 512);
    int total = sqlite3_backup_pagecount(b);
    int done = total - sqlite3_backup_remaining(b);
    int tenth = total > 0 ? done * 10 / total : 10;
    if (tenth != reported) {
      reported = tenth;
      say("  已复制 " + std::to_string(done) + "/" + std::to_string(total) + " 页 (" +
          std::to_string(tenth * 10) + "%)");
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return fail(bad(std::string("复制失败: ") + sqlite3_errstr(rc)));
  return {};
}

Status check_sqlite(sqlite3* db, const Say& say) {
  say("正在校验 (PRAGMA integrity_check) …");
  auto ok = text_of(db, "PRAGMA integrity_check");
  if (!ok) return fail(ok.error());
  if (*ok != "ok") return fail(bad("校验失败: " + *ok));
  return {};
}

Status backup_sqlite(const BackupOptions& opt, const std::string& tmp) {
  auto path = sqlite_path(opt.db_url);
  if (!fs::exists(path)) return fail(bad("数据库文件不存在: " + path));
  auto src = open_sqlite(path, SQLITE_OPEN_READONLY);
  if (!src) return fail(src.error());
  auto dst = open_sqlite(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst) return fail(dst.error());
  // One read transaction for the whole copy: a fixed snapshot.
  if (auto s = exec(src->get(), "BEGIN; SELECT count(*) FROM sqlite_schema;"); !s) return s;
  auto copied = copy_pages(src->get(), dst->get(), opt.say);
  (void)exec(src->get(), "COMMIT");
  if (!copied) return copied;
  // A single self-contained file: no WAL beside it.
  if (auto s = exec(dst->get(), "PRAGMA journal_mode=DELETE"); !s) return s;
  return check_sqlite(dst->get(), opt.say);
}

Status backup_pg(const BackupOptions& opt, const std::string& tmp) {
  opt.say("正在运行 pg_dump (自定义格式，单一快照) …");
  int rc = run({"pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file=" + tmp,
                "--dbname=" + pg_tool_url(opt.db_url)});
  if (rc == -1) return fail(bad("找不到 pg_dump：请安装 postgresql-client"));
  if (rc != 0) return fail(bad("pg_dump 失败，退出码 " + std::to_string(rc)));
  opt.say("正在校验归档 (pg_restore --list) …");
  if (run({"pg_restore", "--list", "--file=/dev/null", tmp}) != 0)
    return fail(bad("备份归档无法读取"));
  return {};
}

Result<bool> sqlite_has_data(const std::string& path) {
  if (!fs::exists(path) || fs::file_size(path) == 0) return false;
  auto db = open_sqlite(path, SQLITE_OPEN_READONLY);
  if (!db) return fail(db.error());
  auto n = text_of(db->get(), "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
  if (!n) return fail(n.error());
  return *n != "0";
}

Result<bool> pg_has_data(const std::string& url) {
  auto db = store::open(url);
  if (!db) return fail(bad("无法连接目标数据库: " + db.error().detail));
  auto r = (*db)->one(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'");
  (*db)->close();
  if (!r) return fail(r.error());
  return r->i64("n") > 0;
}

Status restore_sqlite(const RestoreOptions& opt) {
  auto path = sqlite_path(opt.db_url);
  auto src = open_sqlite(opt.in, SQLITE_OPEN_READONLY);
  if (!src) return fail(src.error());
  if (auto s = check_sqlite(src->get(), opt.say); !s)
    return fail(bad("备份文件已损坏: " + s.error().detail));
  if (auto parent = fs::path(path).parent_path(); !parent.empty()) fs::create_directories(parent);
  auto dst = open_sqlite(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst) return fail(dst.error());
  if (auto s = exec(src->get(), "BEGIN; SELECT count(*) FROM sqlite_schema;"); !s) return s;
  opt.say("正在写入 " + path + " …");
  auto copied = copy_pages(src->get(), dst->get(), opt.say);
  (void)exec(src->get(), "COMMIT");
  if (!copied) return copied;
  if (auto s = exec(dst->get(), "PRAGMA journal_mode=WAL"); !s) return s;
  return check_sqlite(dst->get(), opt.say);
}

Status restore_pg(const RestoreOptions& opt) {
  opt.say("正在运行 pg_restore (单一事务) …");
  std::vector<std::string> argv = {"pg_restore",           "--no-owner",
                                   "--no-privileges",      "--exit-on-error",
                                   "--single-transaction", "--dbname=" + pg_tool_url(opt.db_url)};
  if (opt.force) {
    argv.emplace_back("--clean");
    argv.emplace_back("--if-exists");
  }
  argv.push_back(opt.in);
  int rc = run(argv);
  if (rc == -1) return fail(bad("找不到 pg_restore：请安装 postgresql-client"));
  if (rc != 0) return fail(bad("pg_restore 失败，退出码 " + std::to_string(rc) + "，目标未改变"));
  return {};
}

Status restore_key(const RestoreOptions& opt) {
  auto from = key_path_of(opt.in);
  if (!fs::exists(from)) {
    opt.say("警告: 备份旁没有数据密钥文件 " + from + "。请把原系统的数据密钥放到 " + opt.key_file +
            "（或设置 LINLI_DATA_KEY），否则居民的手机号、身份证号无法解密。");
    return {};
  }
  auto key = read_file(from);
  if (!key) return fail(key.error());
  if (fs::exists(opt.key_file)) {
    auto old = read_file(opt.key_file);
    if (old && *old == *key) {
      opt.say("数据密钥 " + opt.key_file + " 与备份一致");
      return {};
    }
    if (!opt.force) return fail(bad(opt.key_file + " 已有另一把数据密钥；确认要替换请加 --force"));
  }
  if (auto parent = fs::path(opt.key_file).parent_path(); !parent.empty())
    fs::create_directories(parent);
  if (auto s = write_file(opt.key_file, *key, 0600); !s) return s;
  opt.say("已恢复数据密钥到 " + opt.key_file);
  return {};
}

}  // namespace

std::string key_path_of(const std::string& backup_file) { return backup_file + ".key"; }

Status backup(const BackupOptions& opt) {
  Say say = opt.say ? opt.say : [](const std::string&) {};
  BackupOptions o = opt;
  o.say = say;
  if (o.out.empty()) return fail(bad("请用 --out 指定备份文件"));
  auto tmp = o.out + ".part";
  std::error_code ec;
  fs::remove(tmp, ec);
  say("正在备份 " +
      (is_sqlite(o.db_url) ? sqlite_path(o.db_url) : std::string("PostgreSQL 数据库")) + " 到 " +
      o.out + " …");
  auto s = is_sqlite(o.db_url) ? backup_sqlite(o, tmp) : backup_pg(o, tmp);
  if (!s) {
    fs::remove(tmp, ec);
    return s;
  }
  // Sealed personal data and password hashes: readable by the owner only.
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fsync_path(tmp);
  fs::rename(tmp, o.out, ec);
  if (ec) return fail(bad("无法写入 " + o.out + ": " + ec.message()));
  say("数据已备份: " + o.out + " (" + std::to_string(fs::file_size(o.out)) + " 字节)");
  // The key: without it the sealed personal data in the copy is unreadable.
  if (const char* env = std::getenv("LINLI_DATA_KEY"); env && *env) {
    say("警告: 数据密钥来自环境变量 LINLI_DATA_KEY，未写入备份；请另行保管，恢复时需要它。");
  } else if (!o.with_key) {
    say("警告: 未备份数据密钥 (--no-key)；请另行保管 " + o.key_file + "，恢复时需要它。");
  } else if (!fs::exists(o.key_file)) {
    say("警告: 找不到数据密钥 " + o.key_file + "；请用 --key-file 指明，恢复时需要它。");
  } else {
    auto key = read_file(o.key_file);
    if (!key) return fail(key.error());
    if (auto w = write_file(key_path_of(o.out), *key, 0600); !w) return w;
    say("数据密钥已备份: " + key_path_of(o.out) +
        " (权限0600；它能解密居民个人信息，请与备份分开、加密保存)");
  }
  return {};
}

Status restore(const RestoreOptions& opt) {
  Say say = opt.say ? opt.say : [](const std::string&) {};
  RestoreOptions o = opt;
  o.say = say;
  if (o.in.empty() || !fs::exists(o.in)) return fail(bad("备份文件不存在: " + o.in));
  auto has = is_sqlite(o.db_url) ? sqlite_has_data(sqlite_path(o.db_url)) : pg_has_data(o.db_url);
  if (!has) return fail(has.error());
  if (*has && !o.force)
    return fail(bad("目标数据库已有数据，未做任何改动；确认要覆盖请加 --force（先停止服务）"));
  // The key first: refusing over a different key must leave the store untouched.
  if (auto k = restore_key(o); !k) return k;
  auto s = is_sqlite(o.db_url) ? restore_sqlite(o) : restore_pg(o);
  if (!s) return s;
  say("恢复完成。启动服务前可运行 linli migrate 升级数据库结构。");
  return {};
}

}  // namespace linli::ops
