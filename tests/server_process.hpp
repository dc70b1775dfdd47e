// The real build/linli binary as a child process, and a throwaway PostgreSQL
// cluster of a test's own, for tests that kill, stop or starve them.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "http_client.hpp"

namespace linli::test {

inline unsigned short free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// Runs a shell command; true when it exits 0.
inline bool sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

class ServerProcess {
 public:
  ServerProcess(std::string url, std::string key, unsigned short port, std::string log = "")
      : url_(std::move(url)), key_(std::move(key)), port_(port), log_(std::move(log)) {}
  ~ServerProcess() { kill_hard(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits until /readyz answers 200; false if it never does.
  bool start() {
    pid_ = fork();
    if (pid_ == 0) {
      auto listen = "127.0.0.1:" + std::to_string(port_);
      int out = log_.empty() ? ::open("/dev/null", O_WRONLY)
                             : ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(out, 2);
      execl(LINLI_BINARY, LINLI_BINARY, "serve", "--db", url_.c_str(), "--key-file", key_.c_str(),
            "--listen", listen.c_str(), "--web", "/nonexistent", nullptr);
      _exit(127);
    }
    HttpClient c(port_);
    for (int i = 0; i < 600; ++i) {
      try {
        if (c.get("/readyz").status == 200) return true;
      } catch (const std::exception&) {
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int terminate() {
    int status = 0;
    ::kill(pid_, SIGTERM);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_t pid() const { return pid_; }
  unsigned short port() const { return port_; }

 private:
  std::string url_, key_;
  unsigned short port_;
  std::string log_;
  pid_t pid_ = -1;
};

// A PostgreSQL 15 cluster of the test's own in a temp dir, as
// scripts/with-postgres.sh makes them (trust auth, role linli), so the test
// can stop and start it. available() is false (and the test should skip)
// without the server binaries.
class PgCluster {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";
  static bool available() {
    return std::filesystem::exists(std::string(kBin) + "/initdb") && geteuid() == 0;
  }
  PgCluster() : port_(free_port()) {
    char tmpl[] = "/tmp/linli-pgc.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~PgCluster() {
    stop(true);
    std::filesystem::remove_all(dir_);
  }
  bool init() {
    return sh("chown postgres:postgres " + dir_ + " && " + as_owner() + kBin + "/initdb -D " +
              dir_ +
              "/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 "
              "--no-sync >" +
              dir_ + "/initdb.log 2>&1") &&
           start() &&
           sh(std::string(kBin) + "/psql -q -h 127.0.0.1 -p " + std::to_string(port_) +
              " -U postgres -d postgres -c 'CREATE ROLE linli LOGIN SUPERUSER' >/dev/null");
  }
  bool start() {
    std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                       " -c unix_socket_directories=" + dir_ + " -c fsync=off";
    return sh(as_owner() + kBin + "/pg_ctl -D " + dir_ + "/data -o '" + opts + "' -l " + dir_ +
              "/server.log -w -t 60 start >/dev/null");
  }
  bool stop(bool quiet = false) {
    if (!std::filesystem::exists(dir_ + "/data/postmaster.pid")) return true;
    return sh(as_owner() + kBin + "/pg_ctl -D " + dir_ + "/data -m fast -w stop " +
              (quiet ? ">/dev/null 2>&1" : ">/dev/null"));
  }
  std::string url() const {
    return "postgresql://linli@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

 private:
  std::string as_owner() const { return "cd " + dir_ + " && runuser -u postgres -- "; }
  unsigned short port_;
  std::string dir_;
};

}  // namespace linli::test
