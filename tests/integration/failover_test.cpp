// Failover to a streaming-replication standby: a multi-host conninfo follows
// the promotion. Needs the environment of scripts/pg_replication.sh (ctest
// runs these as env.failover through tests/env/run_env_test.sh); without it
// they skip. Each test starts from a primary with a streaming standby: a
// failover in an earlier test is undone by a fresh pair (reset), so the
// tests pass in any order.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <thread>

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

class failover : public ::testing::Test {
 protected:
  void SetUp() override {
    hosts = env("PGWRAP_FAILOVER_DSN");
    primary_dsn = env("PGWRAP_FAILOVER_PRIMARY_DSN");
    standby_dsn = env("PGWRAP_FAILOVER_STANDBY_DSN");
    command = env("PGWRAP_FAILOVER_COMMAND");
    const std::string reset = env("PGWRAP_FAILOVER_RESET_COMMAND");
    if (hosts.empty() || primary_dsn.empty() || standby_dsn.empty() || command.empty() || reset.empty()) {
      GTEST_SKIP() << "no primary/standby environment: run `ctest -R env.failover` "
                      "(tests/env/run_env_test.sh failover <this binary>)";
    }
    ASSERT_EQ(std::system(reset.c_str()), 0) << "reset command failed: " << reset;
  }

  /// Which server a database is on: each listens in its own socket directory.
  static std::string server_of(pgwrap::database& db) {
    return db.scalar<std::string>("SELECT current_setting('unix_socket_directories')");
  }

  /// Waits (bounded) until the standby has replayed everything the primary
  /// has written so far, so data committed before a failover is there after it.
  void wait_for_replay() {
    pgwrap::database primary(primary_dsn);
    primary.set_autocommit(true);
    const auto lsn = primary.scalar<std::string>("SELECT pg_current_wal_lsn()::text");
    pgwrap::database standby(standby_dsn);
    standby.set_autocommit(true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!standby.scalar<bool>("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", lsn)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the standby did not replay up to " << lsn;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::string hosts, primary_dsn, standby_dsn, command;
};

TEST_F(failover, TargetSessionAttrsRouteToPrimaryOrStandby) {
  pgwrap::database primary(primary_dsn), standby(standby_dsn);
  const std::string primary_dir = server_of(primary), standby_dir = server_of(standby);
  ASSERT_NE(primary_dir, standby_dir);

  pgwrap::database writer(hosts + " target_session_attrs=read-write");
  EXPECT_EQ(server_of(writer), primary_dir);
  EXPECT_FALSE(writer.scalar<bool>("SELECT pg_is_in_recovery()"));

  // The standby is listed second, yet read-only sessions go there.
  for (const char* attrs : {"standby", "prefer-standby", "read-only"}) {
    SCOPED_TRACE(attrs);
    pgwrap::database reader(hosts + " target_session_attrs=" + attrs);
    reader.set_autocommit(true);
    EXPECT_EQ(server_of(reader), standby_dir);
    EXPECT_TRUE(reader.scalar<bool>("SELECT pg_is_in_recovery()"));
    EXPECT_THROW(reader.execute("CREATE TABLE not_on_a_standby (id int)"), pgwrap::sql_error);
  }
}

TEST_F(failover, NextCallAfterPromotionRunsOnTheNewPrimary) {
  pgwrap::database primary(primary_dsn), standby(standby_dsn);
  const std::string primary_dir = server_of(primary), standby_dir = server_of(standby);
  primary.close();
  standby.close();
  const std::string conninfo = hosts + " target_session_attrs=read-write";

  // Committed before the failover: rows 1-3 (implicit transaction), 4 (autocommit).
  pgwrap::database idle(conninfo);
  EXPECT_EQ(server_of(idle), primary_dir);
  idle.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)");
  for (int id = 1; id <= 3; ++id) idle.execute("INSERT INTO accounts VALUES (%s, %s)", id, 100);
  idle.commit();
  pgwrap::database autocommit(conninfo);
  autocommit.set_autocommit(true);
  autocommit.execute("INSERT INTO accounts VALUES (%s, %s)", 4, 100);
  // Uncommitted when the primary goes: row 99 must be lost, loudly.
  pgwrap::database in_transaction(conninfo);
  in_transaction.execute("INSERT INTO accounts VALUES (%s, %s)", 99, 100);
  ASSERT_TRUE(in_transaction.in_transaction());

  wait_for_replay();
  ASSERT_EQ(std::system(command.c_str()), 0) << "failover command failed: " << command;

  // Outside a transaction: the call finds the session gone before sending
  // anything, reconnects (libpq skips the stopped host) and runs.
  EXPECT_EQ(server_of(idle), standby_dir);
  EXPECT_FALSE(idle.scalar<bool>("SELECT pg_is_in_recovery()"));
  EXPECT_EQ(idle.scalar<std::int64_t>("SELECT count(*) FROM accounts WHERE id <= 4"), 4);
  idle.execute("INSERT INTO accounts VALUES (%s, %s)", 5, 100);
  idle.commit();
  EXPECT_EQ(autocommit.execute("UPDATE accounts SET balance = balance + 1 WHERE id = %s", 4), 1);
  EXPECT_EQ(server_of(autocommit), standby_dir);

  // Inside a transaction: its work is gone, so the call throws instead of
  // going on without it, and keeps throwing until rollback() acknowledges it.
  EXPECT_THROW(in_transaction.execute("INSERT INTO accounts VALUES (%s, %s)", 100, 100), pgwrap::connection_error);
  EXPECT_THROW(in_transaction.scalar<int>("SELECT 1"), pgwrap::connection_error);
  EXPECT_THROW(in_transaction.commit(), pgwrap::connection_error);
  in_transaction.rollback();
  EXPECT_EQ(server_of(in_transaction), standby_dir);
  EXPECT_EQ(in_transaction.scalar<std::int64_t>("SELECT count(*) FROM accounts WHERE id >= 99"), 0);
  EXPECT_EQ(in_transaction.scalar<std::int64_t>("SELECT sum(balance) FROM accounts"), 501);
  in_transaction.rollback();

  // The old primary is down for good: a conninfo naming only it cannot connect.
  pgwrap::database old_primary(primary_dsn);
  EXPECT_THROW(old_primary.connect(), pgwrap::connection_error);
}

}  // namespace
