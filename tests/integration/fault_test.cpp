// Faults driven by really restarting, stopping and killing a server (a
// private one per test, never the shared one), and what timeouts and
// cancel() leave behind: a connection_error, never a crash or a hang; a
// reconnect only when no transaction was open; never a statement run twice.
#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "private_server.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;

/// The exception `call` throws, as a connection_error; fails the test when it throws none or another.
template <typename F>
std::string connection_error_of(F&& call) {
  try {
    call();
  } catch (const connection_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected connection_error, got: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected connection_error, nothing was thrown";
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class fault_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!private_server::available()) GTEST_SKIP() << "no initdb/pg_ctl here to start a private server";
    server.emplace();
    admin.connect(server->dsn());
    admin.set_autocommit(true);
    admin.execute("CREATE TABLE t (id int)");
    db.connect(server->dsn());
  }

  std::int64_t rows() { return admin.scalar<std::int64_t>("SELECT count(*) FROM t"); }
  int backend_pid(database& d) { return d.scalar<int>("SELECT pg_backend_pid()"); }

  std::optional<private_server> server;  // declared first: destroyed after the connections
  database admin;                        // autocommit; connects again after each restart
  database db;
};

// (a) A restart while the database is idle: nothing can be lost, so the next
// call notices the closed session, reconnects and runs.
TEST_F(fault_test, RestartWhileIdleReconnectsOnTheNextCall) {
  const int before = backend_pid(db);
  db.commit();
  server->restart();
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);
  EXPECT_NE(backend_pid(db), before);
  db.execute("INSERT INTO t VALUES (1)");
  db.commit();
  EXPECT_EQ(rows(), 1);

  // The same in autocommit mode, twice in a row.
  db.set_autocommit(true);
  for (int i = 0; i < 2; ++i) {
    server->restart();
    EXPECT_EQ(db.execute("INSERT INTO t VALUES (2)"), 1);
  }
  EXPECT_EQ(rows(), 3);
}

// (b) A restart while a transaction is open: its work is gone, the next
// statement reports it and is not run anywhere, and only rollback() lets the
// database go on.
TEST_F(fault_test, RestartInsideATransactionLosesItsWorkAndRunsNothingTwice) {
  db.execute("INSERT INTO t VALUES (1)");  // begins the transaction
  server->restart();
  const std::string lost = connection_error_of([&] { db.execute("INSERT INTO t VALUES (2)"); });
  EXPECT_TRUE(contains(lost, "connection lost")) << lost;
  EXPECT_TRUE(db.in_transaction());  // the loss is not forgotten
  const std::string refused = connection_error_of([&] { db.execute("INSERT INTO t VALUES (3)"); });
  EXPECT_TRUE(contains(refused, "rollback()")) << refused;
  EXPECT_THROW(db.commit(), connection_error);
  EXPECT_EQ(rows(), 0);  // neither the lost INSERT nor a re-run of the later ones

  db.rollback();  // acknowledged
  EXPECT_FALSE(db.in_transaction());
  db.execute("INSERT INTO t VALUES (4)");
  db.commit();
  EXPECT_EQ(admin.scalar<std::string>("SELECT string_agg(id::text, ',') FROM t"), "4");
}

// (b) The same through a transaction guard, whose rollback acknowledges the loss.
TEST_F(fault_test, RestartInsideAGuardIsAcknowledgedByTheGuard) {
  {
    pgwrap::transaction tx(db);
    db.execute("INSERT INTO t VALUES (1)");
    server->restart();
    EXPECT_THROW(db.execute("INSERT INTO t VALUES (2)"), connection_error);
  }  // the guard rolls back: the loss is acknowledged
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.execute("INSERT INTO t VALUES (3)"), 1);
  db.commit();
  EXPECT_EQ(rows(), 1);
}

// (b) When COMMIT itself is what meets the closed session, pgwrap cannot know
// whether it got through, and says so with its own class.
TEST_F(fault_test, CommitAfterARestartReportsAnUnknownOutcome) {
  db.execute("INSERT INTO t VALUES (1)");
  server->restart();
  try {
    db.commit();
    FAIL() << "expected commit_outcome_unknown";
  } catch (const commit_outcome_unknown& e) {
    EXPECT_TRUE(contains(e.what(), "may or may not have been committed")) << e.what();
  }
  EXPECT_FALSE(db.in_transaction());  // nothing to acknowledge: the caller must check
  EXPECT_EQ(rows(), 0);               // (here the server never saw the COMMIT)
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);
}

// (c) A backend terminated while it runs a long statement: connection_error
// at once, not a hang; outside a transaction the next call reconnects.
TEST_F(fault_test, BackendTerminatedDuringALongQuery) {
  db.set_autocommit(true);
  const int pid = backend_pid(db);
  auto killer = std::async(std::launch::async, [&] {
    EXPECT_TRUE(wait_until_running(admin, pid, "pg_sleep"));
    EXPECT_TRUE(admin.scalar<bool>("SELECT pg_terminate_backend(%s)", pid));
  });
  const auto start = std::chrono::steady_clock::now();
  const std::string lost = connection_error_of([&] { db.execute("SELECT pg_sleep(60)"); });
  killer.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_TRUE(contains(lost, "connection lost")) << lost;
  EXPECT_EQ(db.scalar<int>("SELECT 2"), 2);
  EXPECT_NE(backend_pid(db), pid);
}

// (c) The same inside a transaction: the work before it is gone, and must be acknowledged.
TEST_F(fault_test, BackendTerminatedDuringALongQueryInATransaction) {
  db.execute("INSERT INTO t VALUES (1)");
  const int pid = backend_pid(db);
  auto killer = std::async(std::launch::async, [&] {
    EXPECT_TRUE(wait_until_running(admin, pid, "pg_sleep"));
    EXPECT_TRUE(admin.scalar<bool>("SELECT pg_terminate_backend(%s)", pid));
  });
  EXPECT_THROW(db.execute("SELECT pg_sleep(60)"), connection_error);
  killer.get();
  EXPECT_TRUE(db.in_transaction());
  EXPECT_THROW(db.scalar<int>("SELECT 1"), connection_error);
  db.rollback();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
}

// (d) A stopped server: each call says it cannot connect and why (the
// socket it tried), promptly; once the server is back, the same object works.
TEST_F(fault_test, StoppedServerGivesAClearErrorUntilItIsBack) {
  db.set_autocommit(true);
  EXPECT_EQ(db.execute("INSERT INTO t VALUES (1)"), 1);
  server->stop();
  for (int i = 0; i < 2; ++i) {
    const std::string message = connection_error_of([&] { db.execute("INSERT INTO t VALUES (2)"); });
    EXPECT_TRUE(contains(message, "could not connect")) << message;
    EXPECT_TRUE(contains(message, ".s.PGSQL.")) << message;  // names the socket it tried
  }
  EXPECT_FALSE(db.is_connected());
  server->start();
  EXPECT_EQ(db.execute("INSERT INTO t VALUES (3)"), 1);
  EXPECT_EQ(db.scalar<std::string>("SELECT string_agg(id::text, ',' ORDER BY id) FROM t"), "1,3");
}

// (d) Stopped during a transaction: the loss first, then (after rollback())
// "could not connect" while the server is down, and work again once it is up.
TEST_F(fault_test, StoppedServerDuringATransaction) {
  db.execute("INSERT INTO t VALUES (1)");
  server->stop();
  EXPECT_THROW(db.execute("INSERT INTO t VALUES (2)"), connection_error);
  EXPECT_THROW(db.execute("INSERT INTO t VALUES (3)"), connection_error);  // still unacknowledged
  db.rollback();
  const std::string message = connection_error_of([&] { db.execute("INSERT INTO t VALUES (4)"); });
  EXPECT_TRUE(contains(message, "could not connect")) << message;
  server->start();
  db.execute("INSERT INTO t VALUES (5)");
  db.commit();
  EXPECT_EQ(admin.scalar<std::string>("SELECT string_agg(id::text, ',') FROM t"), "5");
}

// (e) The server shut down while a thread waits in a query: the wait ends with
// connection_error (immediate shutdown: the backend just quits; fast: it is
// told to terminate), and the database works again after a start.
TEST_F(fault_test, ShutdownWhileAThreadIsBlockedInAQuery) {
  db.set_autocommit(true);
  for (const auto mode : {private_server::shutdown::immediate, private_server::shutdown::fast}) {
    const int pid = backend_pid(db);
    auto blocked =
        std::async(std::launch::async, [&] { return connection_error_of([&] { db.execute("SELECT pg_sleep(60)"); }); });
    ASSERT_TRUE(wait_until_running(admin, pid, "pg_sleep"));
    const auto start = std::chrono::steady_clock::now();
    server->stop(mode);
    ASSERT_EQ(blocked.wait_for(30s), std::future_status::ready) << "the query did not end after the shutdown";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
    const std::string message = blocked.get();
    EXPECT_FALSE(message.empty());
    server->start();
    EXPECT_EQ(db.scalar<int>("SELECT 5"), 5);
  }
}

// retry_transaction across a real restart in the middle of an attempt: the
// attempt's work went with the old server's session; the retry's is there once.
TEST_F(fault_test, RetryTransactionRunsTheBodyAgainAfterARestart) {
  int calls = 0;
  retry_options options;
  options.first_delay = 1ms;
  const int value = retry_transaction(
      db,
      [&](database& tx) {
        tx.execute("INSERT INTO t VALUES (%s)", ++calls);
        if (calls == 1) server->restart();
        tx.execute("INSERT INTO t VALUES (%s)", 10 * calls);
        return calls;
      },
      options);
  EXPECT_EQ(value, 2);
  EXPECT_EQ(admin.scalar<std::string>("SELECT string_agg(id::text, ',' ORDER BY id) FROM t"), "2,20");
}

// A server that stays down: every attempt fails to connect, and after the
// last one that connection_error comes out.
TEST_F(fault_test, RetryTransactionGivesUpWhileTheServerIsDown) {
  server->stop();
  int calls = 0;
  int retried = 0;
  retry_options options;
  options.max_attempts = 3;
  options.first_delay = 1ms;
  options.on_retry = [&](const retry_event&) { ++retried; };
  const std::string message = connection_error_of([&] {
    retry_transaction(
        db, [&](database&) { ++calls; }, options);
  });
  EXPECT_TRUE(contains(message, "could not connect")) << message;
  EXPECT_EQ(calls, 0);  // never got as far as the body
  EXPECT_EQ(retried, 2);
  server->start();
  EXPECT_EQ(retry_transaction(db, [](database& tx) { return tx.scalar<int>("SELECT 7"); }), 7);
}

}  // namespace

// (f) Statement timeouts and cancel() leave the same session usable (the
// backend pid does not change): outside a transaction at once, inside one
// after rollback(). These need no private server.
namespace {

using timeout_usability_test = db_test;

TEST_F(timeout_usability_test, StatementTimeoutOutsideATransactionKeepsTheSession) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  db.commit();
  db.set_statement_timeout(100ms);
  EXPECT_THROW(db.execute("SELECT pg_sleep(5)"), query_canceled);  // the implicit transaction it began is aborted
  EXPECT_TRUE(db.in_transaction());
  db.rollback();
  EXPECT_EQ(db.scalar<int>("SELECT pg_backend_pid()"), pid);
  db.execute("INSERT INTO t VALUES (1)");
  db.commit();
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".t")), 1);
}

TEST_F(timeout_usability_test, StatementTimeoutInsideATransactionAbortsOnlyIt) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  db.set_statement_timeout(100ms);
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  db.execute("INSERT INTO t VALUES (1)");
  EXPECT_THROW(db.execute("SELECT pg_sleep(5)"), query_canceled);
  EXPECT_THROW(db.execute("INSERT INTO t VALUES (2)"), sql_error);  // 25P02: aborted until rollback
  EXPECT_THROW(db.commit(), sql_error);                             // 25P02, and rolled back
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<int>("SELECT pg_backend_pid()"), pid);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
  db.execute("INSERT INTO t VALUES (3)");
  db.commit();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 1);
}

TEST_F(timeout_usability_test, StatementTimeoutInsideAGuard) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  db.set_statement_timeout(100ms);
  {
    pgwrap::transaction tx(db);
    db.execute("INSERT INTO t VALUES (1)");
    EXPECT_THROW(db.execute("SELECT pg_sleep(5)"), query_canceled);
    EXPECT_THROW(tx.commit(), sql_error);  // 25P02, rolled back
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
}

TEST_F(timeout_usability_test, CancelKeepsTheSessionInAndOutsideATransaction) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  db.set_autocommit(true);
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  auto cancel_when_running = [&] {
    return std::async(std::launch::async, [&] {
      EXPECT_TRUE(wait_until_running(admin, pid, "pg_sleep"));
      db.cancel();
    });
  };

  auto outside = cancel_when_running();
  EXPECT_THROW(db.execute("SELECT pg_sleep(30)"), query_canceled);
  outside.get();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.execute("INSERT INTO t VALUES (1)"), 1);
  EXPECT_EQ(db.scalar<int>("SELECT pg_backend_pid()"), pid);

  {
    pgwrap::transaction tx(db);
    db.execute("INSERT INTO t VALUES (2)");
    auto inside = cancel_when_running();
    EXPECT_THROW(db.execute("SELECT pg_sleep(30)"), query_canceled);
    inside.get();
    EXPECT_THROW(db.execute("SELECT 1"), sql_error);  // 25P02
    tx.rollback();
  }
  EXPECT_EQ(db.scalar<int>("SELECT pg_backend_pid()"), pid);
  EXPECT_EQ(db.scalar<std::string>("SELECT string_agg(id::text, ',') FROM t"), "1");
}

}  // namespace
}  // namespace pgwrap::test
