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
#include <vector>

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

// pgwrap::cluster follows the promotion: the statements in flight fail (a
// COMMIT in flight with commit_outcome_unknown), the next acquire() writes on
// the promoted standby, and the old primary is not used again.
TEST_F(failover, ClusterWritesFollowAPromotedStandby) {
  pgwrap::database primary(primary_dsn), standby(standby_dsn);
  primary.set_autocommit(true);
  const std::string primary_dir = server_of(primary), standby_dir = server_of(standby);
  primary.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)");
  primary.execute(
      "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$");
  primary.execute(
      "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON accounts DEFERRABLE INITIALLY DEFERRED "
      "FOR EACH ROW WHEN (NEW.id = 98) EXECUTE FUNCTION slow_commit()");

  pgwrap::cluster_options options;
  options.lag_check_period = std::chrono::milliseconds(50);
  pgwrap::cluster cluster(primary_dsn, {standby_dsn}, options);
  {
    auto writer = cluster.acquire();
    EXPECT_EQ(server_of(*writer), primary_dir);
    writer->execute("INSERT INTO accounts VALUES (%s, %s)", 1, 100);
    const auto token = pgwrap::cluster::commit(*writer);
    auto reader = cluster.acquire(pgwrap::read_only, token);
    EXPECT_EQ(server_of(*reader), standby_dir);
    EXPECT_EQ(reader->scalar<std::int64_t>("SELECT count(*) FROM accounts"), 1);
  }
  wait_for_replay();

  // In flight when the primary goes: an open transaction, and a COMMIT held up by its deferred trigger.
  auto in_transaction = cluster.acquire();
  in_transaction->execute("INSERT INTO accounts VALUES (%s, %s)", 99, 100);
  auto committing = cluster.acquire();
  committing->execute("INSERT INTO accounts VALUES (%s, %s)", 98, 100);
  std::string commit_error;
  std::thread commit_thread([&] {
    try {
      (void)pgwrap::cluster::commit(*committing);
      commit_error = "committed";
    } catch (const pgwrap::commit_outcome_unknown& e) {
      commit_error = e.what();
    } catch (const std::exception& e) {
      commit_error = std::string("wrong exception: ") + e.what();
    }
  });
  {
    pgwrap::database watch(primary_dsn);
    watch.set_autocommit(true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (watch.scalar<std::int64_t>(
               "SELECT count(*) FROM pg_stat_activity WHERE query = 'COMMIT' AND wait_event = 'PgSleep'") == 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the COMMIT never reached its trigger";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_EQ(std::system(command.c_str()), 0) << "failover command failed: " << command;
  commit_thread.join();
  EXPECT_NE(commit_error.find("may or may not have been committed"), std::string::npos) << commit_error;

  // The background check follows the promotion within its period; the
  // primary's idle connections are closed then, so the next write opens one
  // on the promoted standby.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (cluster.failovers() == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the cluster did not follow the promotion";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    auto writer = cluster.acquire();
    EXPECT_EQ(server_of(*writer), standby_dir);
    EXPECT_FALSE(writer->scalar<bool>("SELECT pg_is_in_recovery()"));
    writer->execute("INSERT INTO accounts VALUES (%s, %s)", 2, 100);
    writer->commit();
    EXPECT_EQ(writer->scalar<std::int64_t>("SELECT count(*) FROM accounts WHERE id IN (1, 2)"), 2);
    writer->rollback();
  }
  EXPECT_EQ(cluster.failovers(), 1U);
  const auto statuses = cluster.standbys();
  ASSERT_EQ(statuses.size(), 1U);
  EXPECT_TRUE(statuses[0].primary);
  EXPECT_FALSE(statuses[0].healthy);
  EXPECT_NE(statuses[0].problem.find("promoted"), std::string::npos) << statuses[0].problem;

  // The transaction in flight failed loudly; its row is not on the new primary.
  EXPECT_THROW(in_transaction->execute("INSERT INTO accounts VALUES (%s, %s)", 100, 100), pgwrap::connection_error);
  in_transaction->rollback();
  in_transaction.discard();

  // No standby left: reads fall back to the (new) primary.
  auto reader = cluster.acquire(pgwrap::read_only);
  EXPECT_EQ(server_of(*reader), standby_dir);
  EXPECT_EQ(reader->scalar<std::int64_t>("SELECT count(*) FROM accounts WHERE id >= 99"), 0);
  reader->rollback();
  EXPECT_GE(cluster.primary_pool().stats().connections_opened, 1U);
}

// Without the background check, acquire() looks for a promoted standby itself
// when the primary cannot be reached.
TEST_F(failover, ClusterAcquireFollowsAPromotionWithoutTheBackgroundCheck) {
  pgwrap::database standby(standby_dsn);
  const std::string standby_dir = server_of(standby);
  standby.close();
  pgwrap::cluster_options options;
  options.lag_check_period = std::chrono::milliseconds(0);
  pgwrap::cluster cluster(primary_dsn, {standby_dsn}, options);
  cluster.acquire().discard();  // connects, and keeps nothing idle for after the failover
  ASSERT_EQ(std::system(command.c_str()), 0) << "failover command failed: " << command;

  auto writer = cluster.acquire();
  EXPECT_EQ(server_of(*writer), standby_dir);
  writer->execute("CREATE TABLE after_failover (id int)");
  writer->commit();
  EXPECT_EQ(cluster.failovers(), 1U);
}

}  // namespace
