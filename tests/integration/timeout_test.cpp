// Statement timeouts, cancel() from another thread, and connect timeouts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
/// Sends its number; when it has a database, it first (wrongly) queries it.
struct reentrant_value {
  database* db = nullptr;
  int value = 0;
};
}  // namespace pgwrap::test

template <>
struct pgwrap::codec<pgwrap::test::reentrant_value> {
  static param_ref encode(const pgwrap::test::reentrant_value& v, std::string& scratch) {
    if (v.db != nullptr) (void)v.db->scalar<int>("SELECT 1");
    return codec<int>::encode(v.value, scratch);
  }
};

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using timeout_test = db_test;

/// Cancels `db`'s statement from another thread once backend `pid` runs it: a
/// cancel that arrives before the statement starts is lost, and on a busy
/// machine no fixed sleep is sure to be long enough.
std::future<void> cancel_when_running(database& admin, database& db, int pid) {
  return std::async(std::launch::async, [&admin, &db, pid] {
    EXPECT_TRUE(wait_until_running(admin, pid, "pg_sleep"));
    db.cancel();
  });
}

TEST_F(timeout_test, StatementTimeoutCancelsAndSurvivesReconnects) {
  db.set_autocommit(true);
  db.set_statement_timeout(150ms);
  EXPECT_EQ(db.statement_timeout(), 150ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(db.execute("SELECT pg_sleep(5)"), query_canceled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);  // the connection is fine

  terminate_backend(admin, db.scalar<int>("SELECT pg_backend_pid()"));
  EXPECT_EQ(db.scalar<std::string>("SHOW statement_timeout"), "150ms");  // reconnected, and set again

  db.set_statement_timeout(0ms);
  EXPECT_EQ(db.scalar<std::string>("SHOW statement_timeout"), "0");
}

TEST_F(timeout_test, StatementTimeoutIsSetOutsideTransactions) {
  db.execute("SELECT 1");  // begins the implicit transaction
  EXPECT_THROW(db.set_statement_timeout(100ms), usage_error);
  db.rollback();
  db.set_statement_timeout(100ms);
  EXPECT_EQ(db.scalar<std::string>("SHOW statement_timeout"), "100ms");
}

TEST_F(timeout_test, CancelFromAnotherThreadStopsTheStatement) {
  db.set_autocommit(true);
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");  // connected
  auto canceller = cancel_when_running(admin, db, pid);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(db.execute("SELECT pg_sleep(10)"), query_canceled);
  canceller.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(db.scalar<int>("SELECT 2"), 2);
}

TEST_F(timeout_test, CancelInsideATransactionAbortsIt) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  db.execute("INSERT INTO t VALUES (1)");
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  auto canceller = cancel_when_running(admin, db, pid);
  EXPECT_THROW(db.execute("SELECT pg_sleep(10)"), query_canceled);
  canceller.get();
  EXPECT_THROW(db.execute("SELECT 1"), sql_error);  // 25P02
  db.rollback();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
}

TEST_F(timeout_test, CancelWithNothingRunningDoesNothing) {
  pgwrap::database never_connected(schema_dsn());
  never_connected.cancel();
  db.execute("SELECT 1");
  db.cancel();
  EXPECT_EQ(db.scalar<int>("SELECT 3"), 3);
}

TEST_F(timeout_test, ConnectTimeoutBoundsTheWaitForASilentServer) {
  // A local socket that accepts connections and never answers.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  pgwrap::database silent("host=127.0.0.1 port=" + std::to_string(port) + " connect_timeout=2 sslmode=disable");
  const auto start = std::chrono::steady_clock::now();
  try {
    silent.connect();
    FAIL() << "expected connection_error";
  } catch (const connection_error& e) {
    EXPECT_NE(std::string(e.what()).find("timeout"), std::string::npos) << e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  // libpq (15) sets its deadline to time(NULL) + 2, in whole seconds, and
  // recomputes the wait from time(NULL) too: a connect started just before a
  // second ticks over gives up after little more than 1 s. So 1 s, less a
  // margin for steady_clock against the wall clock, is all it promises; the
  // upper bound catches a wait the timeout did not end.
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 10s);
  ::close(listener);
}

}  // namespace
}  // namespace pgwrap::test

namespace pgwrap::test {
namespace {

TEST_F(timeout_test, TwoThreadsOnOneDatabaseAreReportedNotInterleaved) {
  db.set_autocommit(true);
  std::atomic<int> refused{0};
  std::atomic<int> done{0};
  auto worker = [&] {
    for (int i = 0; i < 200; ++i) {
      try {
        if (db.scalar<int>("SELECT %s", i) == i) ++done;
      } catch (const usage_error& e) {
        if (std::string(e.what()).find("already in a call") != std::string::npos) ++refused;
      }
    }
  };
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
  EXPECT_EQ(done + refused, 400);  // every call either ran correctly or was refused; none corrupted the protocol
  EXPECT_EQ(db.scalar<int>("SELECT 9"), 9);
}

TEST_F(timeout_test, UsingTheDatabaseInsideABatchIsRefused) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  // A value whose encoding runs a query on the same database, in the middle of the run.
  std::vector<std::tuple<reentrant_value>> rows{{{nullptr, 1}}, {{&db, 2}}, {{nullptr, 3}}};
  EXPECT_THROW(db.executemany("INSERT INTO t VALUES (%s)", rows), usage_error);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);  // the run was undone; the transaction goes on
}

}  // namespace
}  // namespace pgwrap::test
