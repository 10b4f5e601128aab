// pgwrap::cluster against a real primary and two streaming standbys. Needs
// the environment of `PGWRAP_REPL_STANDBYS=2 scripts/pg_replication.sh`
// (ctest runs these as env.cluster through tests/env/run_env_test.sh);
// without it they skip. Each test starts from the servers as `start` left
// them: reset remakes them when an earlier test stopped the standbys.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <thread>
#include <vector>

#include "environment.hpp"

namespace {

using std::chrono::milliseconds;

using pgwrap::test::env_or_empty;

class cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    primary_dsn = env_or_empty("PGWRAP_FAILOVER_PRIMARY_DSN");
    standby_dsns = {env_or_empty("PGWRAP_FAILOVER_STANDBY_DSN"), env_or_empty("PGWRAP_FAILOVER_STANDBY2_DSN")};
    stop_standbys = env_or_empty("PGWRAP_REPL_STOP_STANDBYS_COMMAND");
    const std::string reset = env_or_empty("PGWRAP_FAILOVER_RESET_COMMAND");
    if (primary_dsn.empty() || standby_dsns[0].empty() || standby_dsns[1].empty() || stop_standbys.empty() ||
        reset.empty()) {
      GTEST_SKIP() << "no primary with two standbys: run `ctest -R env.cluster` "
                      "(tests/env/run_env_test.sh cluster <this binary>)";
    }
    ASSERT_EQ(std::system(reset.c_str()), 0) << "reset command failed: " << reset;
    // A test that paused replay and failed midway must not leave it paused.
    for (const auto& dsn : standby_dsns) {
      pgwrap::database standby(dsn);
      standby.set_autocommit(true);
      standby.execute("SELECT pg_wal_replay_resume()");
    }
  }

  /// Options without the background thread, so that each test decides when checks run.
  static pgwrap::cluster_options quiet_options() {
    pgwrap::cluster_options o;
    o.lag_check_period = milliseconds(0);
    return o;
  }

  /// Which server a connection is on: each listens in its own socket directory.
  static std::string server_of(pgwrap::database& db) {
    return db.scalar<std::string>("SELECT current_setting('unix_socket_directories')");
  }

  std::string server_of_dsn(const std::string& dsn) {
    pgwrap::database db(dsn);
    return server_of(db);
  }

  std::string primary_dsn, stop_standbys;
  std::vector<std::string> standby_dsns;
};

TEST_F(cluster, RoutesWritesToThePrimaryAndReadsToAStandby) {
  pgwrap::cluster c(primary_dsn, standby_dsns, quiet_options());

  auto writer = c.acquire();
  EXPECT_FALSE(writer->scalar<bool>("SELECT pg_is_in_recovery()"));
  EXPECT_EQ(server_of(*writer), server_of_dsn(primary_dsn));

  auto reader = c.acquire(pgwrap::read_only);
  EXPECT_TRUE(reader->scalar<bool>("SELECT pg_is_in_recovery()"));
  EXPECT_THROW(reader->execute("CREATE TABLE not_on_a_standby (id int)"), pgwrap::sql_error);

  const auto found = c.standbys();
  ASSERT_EQ(found.size(), 2U);
  for (const auto& s : found) {
    EXPECT_TRUE(s.healthy) << s.index << ": " << s.problem;
    EXPECT_FALSE(s.lagging) << s.index << " lag " << s.lag.count() << " ms";
    EXPECT_FALSE(s.replayed.empty());
  }
}

TEST_F(cluster, BalancesReadsAcrossTheStandbys) {
  pgwrap::cluster c(primary_dsn, standby_dsns, quiet_options());
  std::map<std::string, int> reads;
  for (int i = 0; i < 10; ++i) {
    auto reader = c.acquire(pgwrap::read_only);
    ++reads[server_of(*reader)];
  }
  ASSERT_EQ(reads.size(), 2U);
  EXPECT_EQ(reads[server_of_dsn(standby_dsns[0])], 5);
  EXPECT_EQ(reads[server_of_dsn(standby_dsns[1])], 5);
}

TEST_F(cluster, ReadsFallBackToThePrimaryWhenNoStandbyIsUp) {
  pgwrap::cluster with_fallback(primary_dsn, standby_dsns, quiet_options());
  auto strict_options = quiet_options();
  strict_options.fallback_to_primary = false;
  pgwrap::cluster strict(primary_dsn, standby_dsns, strict_options);
  with_fallback.check_now();
  strict.check_now();
  for (const auto& s : with_fallback.standbys()) ASSERT_TRUE(s.healthy) << s.problem;

  ASSERT_EQ(std::system(stop_standbys.c_str()), 0) << stop_standbys;

  // The last check still calls both healthy: connecting fails and marks them.
  auto reader = with_fallback.acquire(pgwrap::read_only);
  EXPECT_FALSE(reader->scalar<bool>("SELECT pg_is_in_recovery()"));
  EXPECT_EQ(server_of(*reader), server_of_dsn(primary_dsn));
  for (const auto& s : with_fallback.standbys()) {
    EXPECT_FALSE(s.healthy);
    EXPECT_FALSE(s.problem.empty());
  }

  try {
    (void)strict.acquire(pgwrap::read_only);
    FAIL() << "expected standby_unavailable";
  } catch (const pgwrap::standby_unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("fallback_to_primary is off"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("standby 1"), std::string::npos) << e.what();
  }
  // A check finds them down too; writes still go to the primary.
  strict.check_now();
  for (const auto& s : strict.standbys()) EXPECT_FALSE(s.healthy);
  EXPECT_THROW((void)strict.acquire(pgwrap::read_only), pgwrap::standby_unavailable);
  EXPECT_FALSE(strict.acquire()->scalar<bool>("SELECT pg_is_in_recovery()"));
}

TEST_F(cluster, SkipsAStandbyThatLagsMoreThanMaxReplicaLag) {
  auto options = quiet_options();
  options.max_replica_lag = milliseconds(200);
  pgwrap::cluster c(primary_dsn, standby_dsns, options);

  pgwrap::database primary(primary_dsn), paused(standby_dsns[0]);
  primary.set_autocommit(true);
  // Each write reaches the healthy standby at once (the test servers run with
  // it off, which would delay the WAL up to wal_writer_delay and so its lag).
  primary.execute("SET synchronous_commit = on");
  paused.set_autocommit(true);
  primary.execute("CREATE TABLE IF NOT EXISTS lag_probe (n int)");
  paused.execute("SELECT pg_wal_replay_pause()");

  // Writes the paused standby cannot replay, until a check finds it too old.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<pgwrap::standby_status> found;
  for (int n = 0;; ++n) {
    primary.execute("INSERT INTO lag_probe VALUES (%s)", n);
    c.check_now();
    found = c.standbys();
    if (found[0].lagging && !found[1].lagging) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "lags: " << found[0].lag.count() << " ms, " << found[1].lag.count() << " ms";
  }
  EXPECT_GT(found[0].lag, options.max_replica_lag);
  EXPECT_LT(found[0].replayed, c.token(primary));

  const std::string healthy_one = server_of_dsn(standby_dsns[1]);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(server_of(*c.acquire(pgwrap::read_only)), healthy_one);

  // Resumed, it catches up and is used again.
  paused.execute("SELECT pg_wal_replay_resume()");
  for (;;) {
    c.check_now();
    if (!c.standbys()[0].lagging) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the resumed standby still lags";
  }
  std::map<std::string, int> reads;
  for (int i = 0; i < 4; ++i) ++reads[server_of(*c.acquire(pgwrap::read_only))];
  EXPECT_EQ(reads.size(), 2U);
}

TEST_F(cluster, ReadYourWritesThousandCyclesThroughTheStandbys) {
  auto options = quiet_options();
  options.replay_wait_timeout = milliseconds(10'000);
  options.replay_timeout = pgwrap::on_replay_timeout::throw_error;  // a primary read would hide a miss
  options.fallback_to_primary = false;
  pgwrap::cluster c(primary_dsn, standby_dsns, options);
  {
    auto writer = c.acquire();
    writer->execute("DROP TABLE IF EXISTS ryw");
    writer->execute("CREATE TABLE ryw (n int PRIMARY KEY, note text)");
    (void)c.commit(*writer);
  }

  std::map<std::string, int> reads;
  pgwrap::consistency_token previous;
  for (int n = 0; n < 1000; ++n) {
    pgwrap::consistency_token token;
    {
      auto writer = c.acquire();
      // The test servers run with synchronous_commit off; a real primary
      // flushes at commit, and so a standby can stream the commit at once.
      writer->execute("SET LOCAL synchronous_commit = on");
      writer->execute("INSERT INTO ryw VALUES (%s, %s)", n, "cycle " + std::to_string(n));
      token = c.commit(*writer);
    }
    ASSERT_FALSE(token.empty());
    ASSERT_GT(token, previous);
    previous = token;

    auto reader = c.acquire(pgwrap::read_only, token);
    ASSERT_TRUE(reader->scalar<bool>("SELECT pg_is_in_recovery()")) << "cycle " << n;
    const auto row = reader->queryone("SELECT note FROM ryw WHERE n = %s", n);
    ASSERT_TRUE(row.has_value()) << "cycle " << n << ": the standby does not see its write";
    ASSERT_EQ((*row)[0].as<std::string>(), "cycle " + std::to_string(n));
    ++reads[server_of(*reader)];
  }
  // Both standbys served reads, in turn.
  EXPECT_EQ(reads.size(), 2U);
}

TEST_F(cluster, AReplayWaitThatRunsOutUsesThePrimaryOrThrows) {
  auto options = quiet_options();
  options.replay_wait_timeout = milliseconds(100);
  pgwrap::cluster to_primary(primary_dsn, standby_dsns, options);
  options.replay_timeout = pgwrap::on_replay_timeout::throw_error;
  pgwrap::cluster strict(primary_dsn, standby_dsns, options);

  for (const auto& dsn : standby_dsns) {
    pgwrap::database standby(dsn);
    standby.set_autocommit(true);
    standby.execute("SELECT pg_wal_replay_pause()");
  }
  pgwrap::consistency_token token;
  {
    auto writer = to_primary.acquire();
    writer->execute("CREATE TABLE IF NOT EXISTS replay_wait (n int)");
    writer->execute("INSERT INTO replay_wait VALUES (1)");
    token = to_primary.commit(*writer);
  }
  // Neither standby replays the write: the read goes to the primary, which has it.
  auto reader = to_primary.acquire(pgwrap::read_only, token);
  EXPECT_FALSE(reader->scalar<bool>("SELECT pg_is_in_recovery()"));
  EXPECT_EQ(reader->scalar<std::int64_t>("SELECT count(*) FROM replay_wait"), 1);
  try {
    (void)strict.acquire(pgwrap::read_only, token);
    FAIL() << "expected standby_unavailable";
  } catch (const pgwrap::standby_unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("replay_wait_timeout"), std::string::npos) << e.what();
  }
  // The standbys themselves are fine: a read that needs no token still goes there.
  EXPECT_TRUE(strict.acquire(pgwrap::read_only)->scalar<bool>("SELECT pg_is_in_recovery()"));
}

TEST_F(cluster, TokensRoundTripAsText) {
  pgwrap::cluster c(primary_dsn, standby_dsns, quiet_options());
  auto writer = c.acquire();
  const auto token = c.token(*writer);
  EXPECT_EQ(pgwrap::consistency_token::parse(token.to_string()), token);
  EXPECT_EQ(pgwrap::consistency_token::parse("16/B374D848").lsn(), 0x16B374D848ULL);
  EXPECT_EQ(pgwrap::consistency_token(0x16B374D848ULL).to_string(), "16/B374D848");
  EXPECT_THROW((void)pgwrap::consistency_token::parse("16-B374D848"), pgwrap::usage_error);
  EXPECT_THROW((void)pgwrap::consistency_token::parse("1/123456789"), pgwrap::usage_error);
  EXPECT_TRUE(pgwrap::consistency_token().empty());

  // On a standby there is no insert position to read.
  auto reader = c.acquire(pgwrap::read_only);
  EXPECT_THROW((void)c.token(*reader), pgwrap::usage_error);
  EXPECT_THROW(pgwrap::cluster("", standby_dsns), pgwrap::usage_error);
}

TEST_F(cluster, TheBackgroundCheckFindsStandbys) {
  auto options = quiet_options();
  options.lag_check_period = milliseconds(50);
  pgwrap::cluster c(primary_dsn, standby_dsns, options);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    const auto found = c.standbys();
    if (found[0].healthy && found[1].healthy) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << found[0].problem << " / " << found[1].problem;
    std::this_thread::sleep_for(milliseconds(5));  // between polls of the state
  }
  EXPECT_TRUE(c.acquire(pgwrap::read_only)->scalar<bool>("SELECT pg_is_in_recovery()"));
}

TEST_F(cluster, ThreadsReadWhileTheBackgroundCheckRuns) {
  auto options = quiet_options();
  options.lag_check_period = milliseconds(5);
  options.standby_pool.max_size = 2;
  pgwrap::cluster c(primary_dsn, standby_dsns, options);
  std::atomic<int> on_standby{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (c.acquire(pgwrap::read_only)->scalar<bool>("SELECT pg_is_in_recovery()")) ++on_standby;
      }
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(on_standby.load(), 400);
  EXPECT_GE(c.standby_pool(0).stats().acquires, 1U);
  EXPECT_GE(c.standby_pool(1).stats().acquires, 1U);
  EXPECT_EQ(c.primary_pool().stats().acquires, 0U);
}

}  // namespace
