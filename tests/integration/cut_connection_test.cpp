// A connection that breaks right after a statement's result, before the
// ReadyForQuery that ends it. The statement's result is real, but inside a
// transaction block the session's work is gone: the next call must say so
// (connection_error) rather than reconnect and run the rest of the
// transaction without its start, which would commit half of it. After an
// answered COMMIT, or an autocommit COPY (committed by then), the same cut
// costs nothing: the next call reconnects.
//
// A relay on a Unix socket of the test's own stands between the client and a
// private server, and cuts both sides right after a chosen CommandComplete.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "private_server.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Relays one connection at a time between libpq and the server's socket,
// reading the server's side message by message (type byte, 4-byte length).
class cutting_relay {
 public:
  cutting_relay(const std::string& server_dir, const std::string& port)
      : server_path_(server_dir + "/.s.PGSQL." + port), port_(port) {
    char dir[] = "/tmp/pgwrap-relay.XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    const sockaddr_un address = unix_address(dir_ + "/.s.PGSQL." + port);
    if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 4) != 0 || ::pipe(wake_) != 0) {
      throw std::runtime_error(std::string("relay set-up failed: ") + std::strerror(errno));
    }
    thread_ = std::thread([this] { run(); });
  }
  ~cutting_relay() {
    (void)!::write(wake_[1], "x", 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
    ::unlink((dir_ + "/.s.PGSQL." + port_).c_str());
    ::rmdir(dir_.c_str());
  }
  cutting_relay(const cutting_relay&) = delete;
  cutting_relay& operator=(const cutting_relay&) = delete;

  [[nodiscard]] std::string dir() const { return dir_; }
  /// The next CommandComplete whose tag starts with `tag` is the last thing relayed.
  void cut_after(const std::string& tag) {
    const std::scoped_lock lock(mutex_);
    cut_tag_ = tag;
  }
  [[nodiscard]] int cuts() const { return cuts_; }

 private:
  static sockaddr_un unix_address(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    return a;
  }

  void run() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) return;
      if (fds[1].revents != 0) return;
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      const int server = ::socket(AF_UNIX, SOCK_STREAM, 0);
      const sockaddr_un address = unix_address(server_path_);
      const bool connected = ::connect(server, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
      const bool stop = connected && relay(client, server);
      ::close(server);
      ::close(client);
      if (stop) return;
    }
  }

  // Returns true when the relay is to stop.
  bool relay(int client, int server) {
    std::string from_server;
    char buffer[8192];
    for (;;) {
      pollfd fds[3] = {{client, POLLIN, 0}, {server, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, 3, -1) < 0) return true;
      if (fds[2].revents != 0) return true;
      if (fds[0].revents != 0) {
        const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0 || !send_all(server, buffer, static_cast<std::size_t>(n))) return false;
      }
      if (fds[1].revents != 0) {
        const ssize_t n = ::recv(server, buffer, sizeof buffer, 0);
        if (n <= 0) return false;
        from_server.append(buffer, static_cast<std::size_t>(n));
        // Forward whole messages; stop after the one to cut after.
        while (from_server.size() >= 5) {
          std::uint32_t length = 0;
          for (int i = 1; i <= 4; ++i) length = (length << 8) | static_cast<unsigned char>(from_server[i]);
          const std::size_t size = 1 + length;
          if (from_server.size() < size) break;
          if (!send_all(client, from_server.data(), size)) return false;
          const bool cut = from_server[0] == 'C' && is_cut_tag(from_server.substr(5, size - 5));
          from_server.erase(0, size);
          if (cut) {
            ++cuts_;
            return false;  // both sockets close: the client has the result, then the end of the stream
          }
        }
      }
    }
  }

  bool is_cut_tag(const std::string& tag) {
    const std::scoped_lock lock(mutex_);
    if (cut_tag_.empty() || tag.rfind(cut_tag_, 0) != 0) return false;
    cut_tag_.clear();
    return true;
  }

  std::string server_path_, port_, dir_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::mutex mutex_;
  std::string cut_tag_;
  std::atomic<int> cuts_{0};
  std::thread thread_;
};

class cut_connection_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!private_server::available()) GTEST_SKIP() << "no initdb/pg_ctl here to start a private server";
    server.emplace();
    relay.emplace(server->socket_dir(), server->port());
    admin.connect(server->dsn());
    admin.set_autocommit(true);
    admin.execute("CREATE TABLE t (id int)");
    db.connect("host=" + relay->dir() + " port=" + server->port() + " user=" + server->superuser() +
               " dbname=postgres");
  }

  std::int64_t rows() { return admin.scalar<std::int64_t>("SELECT count(*) FROM t"); }

  std::optional<private_server> server;  // declared first: destroyed after the relay and the connections
  std::optional<cutting_relay> relay;
  database admin;  // straight to the server
  database db;     // through the relay
};

TEST_F(cut_connection_test, ACutAfterAResultInsideATransactionFailsTheNextCall) {
  db.execute("INSERT INTO t VALUES (1)");  // opens the implicit transaction
  relay->cut_after("INSERT");
  db.execute("INSERT INTO t VALUES (2)");  // its result came; the end of the stream came before ReadyForQuery
  ASSERT_EQ(relay->cuts(), 1);
  try {
    db.execute("INSERT INTO t VALUES (3)");
    ADD_FAILURE() << "a statement after the cut ran (on a new connection, without the transaction's start)";
  } catch (const connection_error& e) {
    EXPECT_NE(std::string(e.what()).find("lost during a transaction"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db.commit(), connection_error);
  db.rollback();  // acknowledged
  EXPECT_EQ(rows(), 0) << "part of the transaction was committed";
  db.execute("INSERT INTO t VALUES (4)");  // a new connection, a new transaction
  db.commit();
  EXPECT_EQ(rows(), 1);
}

TEST_F(cut_connection_test, ACutAfterAnAnsweredCommitCostsNothing) {
  db.execute("INSERT INTO t VALUES (1)");
  relay->cut_after("COMMIT");
  db.commit();  // answered: committed, whatever comes after
  ASSERT_EQ(relay->cuts(), 1);
  EXPECT_EQ(rows(), 1);
  db.execute("INSERT INTO t VALUES (2)");  // reconnects: nothing was open
  db.commit();
  EXPECT_EQ(rows(), 2);
}

// In autocommit mode a COPY has committed by the time its CommandComplete comes.
TEST_F(cut_connection_test, ACutAfterAnAutocommitCopyCostsNothing) {
  db.set_autocommit(true);
  relay->cut_after("COPY");
  const std::vector<std::tuple<int>> loaded{{1}, {2}};
  EXPECT_EQ(db.copy_in("t", {"id"}, loaded), 2);
  ASSERT_EQ(relay->cuts(), 1);
  EXPECT_EQ(rows(), 2);
  db.execute("INSERT INTO t VALUES (3)");  // reconnects: no transaction was open
  EXPECT_EQ(rows(), 3);
}

}  // namespace
}  // namespace pgwrap::test
