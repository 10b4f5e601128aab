#pragma once
// A PostgreSQL cluster of one test's own, for tests that stop, kill or
// restart the server: never the shared test server, which others use.
//
// It is started with scripts/pg_throwaway.sh (initdb in a temp dir, trust
// auth, Unix socket in that dir, fsync off) under a state file of its own,
// so any number of them can run side by side (ctest -j). stop(), start()
// and restart() drive pg_ctl directly; the destructor stops the server and
// deletes everything it made.

#include <stdlib.h>  // mkdtemp
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#ifndef PGWRAP_SOURCE_DIR
#error "PGWRAP_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace pgwrap::test {

class private_server {
 public:
  /// How stop() shuts the server down (pg_ctl's -m).
  enum class shutdown {
    fast,      // sessions are terminated (with a message to each client), then a clean stop
    immediate  // every process quits at once, as in a crash
  };

  /// True when initdb/pg_ctl can be found, as scripts/pg_throwaway.sh looks for them.
  static bool available() {
    return std::system(
               "{ [ -n \"${PGWRAP_PG_BINDIR:-}\" ] || command -v pg_ctl || "
               "ls /usr/lib/postgresql/*/bin/pg_ctl; } >/dev/null 2>&1") == 0;
  }

  /// Starts a new cluster; `tcp_port` > 0 also makes it listen on 127.0.0.1:tcp_port.
  explicit private_server(int tcp_port = 0) {
    char dir_template[] = "/tmp/pgwrap-private.XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("private_server: mkdtemp failed");
    work_dir_ = dir_template;
    state_file_ = work_dir_ + "/state";
    log_file_ = work_dir_ + "/commands.log";
    std::string start = script("start");
    if (tcp_port > 0) start = "PGWRAP_PG_TCP_PORT=" + std::to_string(tcp_port) + " " + start;
    try {
      run(start);
      read_state();
    } catch (...) {
      cleanup();
      throw;
    }
    dsn_ = "host=" + socket_dir_ + " port=" + port_ + " user=" + superuser_ + " dbname=postgres";
  }

  ~private_server() { cleanup(); }
  private_server(const private_server&) = delete;
  private_server& operator=(const private_server&) = delete;

  /// The conninfo of this server (over its Unix socket, as its superuser).
  [[nodiscard]] const std::string& dsn() const { return dsn_; }
  /// The parts of dsn(): the socket's directory, the port and the superuser.
  [[nodiscard]] const std::string& socket_dir() const { return socket_dir_; }
  [[nodiscard]] const std::string& port() const { return port_; }
  [[nodiscard]] const std::string& superuser() const { return superuser_; }

  /// Stops the server and waits until it is down; it can be start()ed again.
  void stop(shutdown mode = shutdown::fast) {
    run(pg_ctl(std::string("stop -m ") + (mode == shutdown::fast ? "fast" : "immediate") + " -w -t 60"));
    set_state_pid("");  // nothing left for the script to signal
  }

  /// Starts the stopped server again and waits until it accepts connections.
  void start() {
    run(pg_ctl("start -w -t 60 -l " + socket_dir_ + "/server.log"));
    set_state_pid(postmaster_pid());
  }

  /// Restarts in fast mode (every session is terminated) and waits until it
  /// accepts connections again.
  void restart() {
    run(pg_ctl("restart -m fast -w -t 60 -l " + socket_dir_ + "/server.log"));
    set_state_pid(postmaster_pid());
  }

  /// True while the server runs.
  [[nodiscard]] bool running() const { return std::system(pg_ctl("status").c_str()) == 0; }

 private:
  [[nodiscard]] std::string script(const std::string& command) const {
    return "env -u PGWRAP_PG_TCP_PORT PGWRAP_PG_STATE=" + state_file_ +
           " " PGWRAP_SOURCE_DIR "/scripts/pg_throwaway.sh " + command;
  }

  // pg_ctl as the server's user, from a directory that user may enter.
  [[nodiscard]] std::string pg_ctl(const std::string& arguments) const {
    const std::string as_user = ::geteuid() == 0 ? "runuser -u " + superuser_ + " -- " : "";
    return "cd " + socket_dir_ + " && " + as_user + bindir_ + "/pg_ctl -D " + socket_dir_ + "/data " + arguments +
           " >>" + log_file_ + " 2>&1";
  }

  // Runs a shell command; its output goes to the log, shown if it fails.
  void run(const std::string& command) const {
    const std::string line = command.find(">>") == std::string::npos ? command + " >>" + log_file_ + " 2>&1" : command;
    const int status = std::system(line.c_str());
    if (status != 0) {
      throw std::runtime_error("private_server: `" + command + "` failed (status " + std::to_string(status) +
                               "); its output:\n" + read_file(log_file_));
    }
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The script's state file: dir=, port=, superuser=, bindir=, pid= lines.
  void read_state() {
    std::ifstream in(state_file_);
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = line.substr(0, eq);
      const std::string value = line.substr(eq + 1);
      if (key == "dir") socket_dir_ = value;
      if (key == "port") port_ = value;
      if (key == "superuser") superuser_ = value;
      if (key == "bindir") bindir_ = value;
    }
    if (socket_dir_.empty() || port_.empty() || superuser_.empty() || bindir_.empty()) {
      throw std::runtime_error("private_server: incomplete state file " + state_file_);
    }
  }

  [[nodiscard]] std::string postmaster_pid() const {
    std::ifstream in(socket_dir_ + "/data/postmaster.pid");
    std::string pid;
    std::getline(in, pid);
    return pid;
  }

  // The script's stop signals the postmaster pid saved in the state file; after
  // a restart that pid is stale and may belong to another server's process by
  // now, so the state always holds the current one (or none).
  void set_state_pid(const std::string& pid) const {
    std::ifstream in(state_file_);
    std::string line;
    std::string text;
    while (std::getline(in, line)) text += (line.rfind("pid=", 0) == 0 ? "pid=" + pid : line) + "\n";
    in.close();
    std::ofstream(state_file_, std::ios::trunc) << text;
  }

  void cleanup() noexcept {
    if (work_dir_.empty()) return;
    if (std::filesystem::exists(state_file_)) {
      (void)std::system((script("stop") + " >>" + log_file_ + " 2>&1").c_str());
    }
    std::error_code ignored;
    std::filesystem::remove_all(work_dir_, ignored);
    work_dir_.clear();
  }

  std::string work_dir_;  // ours: the state file and the commands' log
  std::string state_file_;
  std::string log_file_;
  std::string socket_dir_;  // the script's: data/, server.log and the socket
  std::string port_;
  std::string superuser_;
  std::string bindir_;
  std::string dsn_;
};

}  // namespace pgwrap::test
