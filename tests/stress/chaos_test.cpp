// Chaos: nothing acknowledged is lost. 16 threads make bank transfers through
// retry_transaction on a pgwrap::cluster (writes on the primary, a
// read-your-writes check on a standby after each), while scripts/pg_chaos.sh
// kills a random backend on each server every 100 ms, restarts a standby and
// restarts the primary once. Afterwards: the balances still sum to what they started
// with, every transfer the client saw commit is logged exactly once, every
// one whose commit outcome was unknown at most once, every other one never.
//
// Needs a primary and two standbys: ctest runs it as stress.chaos through
// tests/env/run_env_test.sh chaos; without that environment it skips.
// PGWRAP_CHAOS_SECONDS sets how long the faults last (default 15).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <pgwrap/pgwrap.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

constexpr int threads = 16;
constexpr int accounts = 50;
constexpr std::int64_t opening_balance = 1'000;

enum class outcome { committed, unknown, failed };

struct transfer_record {
  std::int64_t id;
  outcome result;
};

// The figures the test prints.
struct figures {
  std::atomic<std::int64_t> transfers{0}, retries{0}, unknown{0}, failed{0}, reads{0}, read_retries{0};
};

// Runs `step` until it succeeds, on connection errors only (a killed backend,
// a server restarting); other errors fail the test. Bounded.
template <typename F>
auto with_reconnects(std::atomic<std::int64_t>& retries, F&& step) {
  for (int attempt = 1;; ++attempt) {
    try {
      return step();
    } catch (const pgwrap::commit_outcome_unknown&) {
      throw;
    } catch (const pgwrap::connection_error&) {
      if (attempt >= 200) throw;
      ++retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a restart takes a moment
    }
  }
}

class chaos : public ::testing::Test {
 protected:
  void SetUp() override {
    primary = env("PGWRAP_FAILOVER_PRIMARY_DSN");
    standbys = {env("PGWRAP_FAILOVER_STANDBY_DSN"), env("PGWRAP_FAILOVER_STANDBY2_DSN")};
    faults = env("PGWRAP_CHAOS_COMMAND");
    if (primary.empty() || standbys[0].empty() || standbys[1].empty() || faults.empty()) {
      GTEST_SKIP() << "no primary with two standbys: run `ctest -R stress.chaos` "
                      "(tests/env/run_env_test.sh chaos <this binary>)";
    }
    if (const auto s = env("PGWRAP_CHAOS_SECONDS"); !s.empty()) seconds = std::stoi(s);
  }

  std::string primary, faults;
  std::vector<std::string> standbys;
  int seconds = 15;
};

TEST_F(chaos, NothingAcknowledgedIsLost) {
  {
    pgwrap::database setup(primary);
    setup.execute("DROP TABLE IF EXISTS accounts, transfers");
    setup.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)");
    setup.execute("CREATE TABLE transfers (id bigint PRIMARY KEY, from_id int, to_id int, amount bigint)");
    setup.execute("INSERT INTO accounts SELECT g, %s FROM generate_series(1, %s) AS g", opening_balance, accounts);
    setup.commit();
  }

  pgwrap::cluster_options options;
  options.primary_pool.max_size = threads;
  options.primary_pool.wait_timeout = std::chrono::seconds(30);
  options.standby_pool.max_size = threads;
  options.standby_pool.wait_timeout = std::chrono::seconds(30);
  options.lag_check_period = std::chrono::milliseconds(200);
  options.replay_wait_timeout = std::chrono::seconds(5);
  pgwrap::cluster cluster(primary, standbys, options);

  // The faults run beside the load; their summary line is read at the end.
  std::string fault_summary;
  int fault_status = -1;
  std::atomic<bool> faults_done{false};
  std::thread fault_thread([&] {
    const std::string command = faults + " " + std::to_string(seconds) + " 2>&1";
    if (FILE* out = popen(command.c_str(), "r")) {
      char line[512];
      while (std::fgets(line, sizeof line, out) != nullptr) fault_summary += line;
      fault_status = pclose(out);
    }
    faults_done = true;
  });

  figures f;
  std::mutex records_mutex;
  std::vector<transfer_record> records;
  std::atomic<std::int64_t> read_your_writes_misses{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        std::mt19937 random(static_cast<unsigned>(t) + 1);
        std::uniform_int_distribution<int> account(1, accounts);
        std::uniform_int_distribution<std::int64_t> amount(1, 50);
        std::vector<transfer_record> mine;
        for (std::int64_t seq = 0; !faults_done; ++seq) {
          const std::int64_t id = std::int64_t{t} * 1'000'000 + seq;
          const int from = account(random);
          const int to = from % accounts + 1;
          const std::int64_t how_much = amount(random);
          pgwrap::retry_options retry;
          retry.max_attempts = 50;
          retry.max_delay = std::chrono::milliseconds(200);
          retry.on_retry = [&](const pgwrap::retry_event&) { ++f.retries; };
          pgwrap::consistency_token token;
          try {
            with_reconnects(f.retries, [&] {
              auto conn = cluster.acquire();
              pgwrap::retry_transaction(
                  *conn,
                  [&](pgwrap::database& tx) {
                    // As in production: the commit is flushed, and so streamed, at once (the
                    // throwaway servers default to off, which holds WAL back up to 200 ms).
                    tx.execute("SET LOCAL synchronous_commit = on");
                    tx.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", how_much, from);
                    tx.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", how_much, to);
                    tx.execute("INSERT INTO transfers VALUES (%s, %s, %s, %s)", id, from, to, how_much);
                  },
                  retry);
              // Committed: a token for the read. Losing the connection here loses only the token.
              try {
                token = pgwrap::cluster::token(*conn);
              } catch (const pgwrap::connection_error&) {
                conn.discard();
              }
            });
            mine.push_back({id, outcome::committed});
            ++f.transfers;
          } catch (const pgwrap::commit_outcome_unknown&) {
            mine.push_back({id, outcome::unknown});
            ++f.unknown;
            continue;
          } catch (const pgwrap::connection_error&) {
            mine.push_back({id, outcome::failed});
            ++f.failed;
            continue;
          }
          if (token.empty()) continue;
          // Read-your-writes on a standby (or the primary, when the standby cannot catch up in time).
          const auto seen = with_reconnects(f.read_retries, [&] {
            auto reader = cluster.acquire(pgwrap::read_only, token);
            const auto n = reader->scalar<std::int64_t>("SELECT count(*) FROM transfers WHERE id = %s", id);
            reader->rollback();
            return n;
          });
          ++f.reads;
          if (seen != 1) ++read_your_writes_misses;
        }
        const std::scoped_lock lock(records_mutex);
        records.insert(records.end(), mine.begin(), mine.end());
      } catch (const std::exception& e) {
        ADD_FAILURE() << "worker " << t << ": " << e.what();
      }
    });
  }
  for (auto& w : workers) w.join();
  fault_thread.join();
  ASSERT_EQ(fault_status, 0) << "the fault script failed:\n" << fault_summary;

  // The verdict, on the primary, once it answers again.
  pgwrap::database check(primary);
  check.set_autocommit(true);
  const auto total =
      with_reconnects(f.retries, [&] { return check.scalar<std::int64_t>("SELECT sum(balance) FROM accounts"); });
  EXPECT_EQ(total, opening_balance * accounts) << "money was created or lost";
  std::vector<std::int64_t> logged;
  for (auto [id] : check.query<std::int64_t>("SELECT id FROM transfers ORDER BY id")) logged.push_back(id);
  const auto times_logged = [&](std::int64_t id) {
    const auto [first, last] = std::equal_range(logged.begin(), logged.end(), id);
    return last - first;
  };
  std::int64_t unknown_committed = 0, unknown_not = 0, lost = 0, ghosts = 0;
  for (const auto& r : records) {
    const auto n = times_logged(r.id);
    switch (r.result) {
      case outcome::committed:
        if (n != 1) ++lost;
        break;
      case outcome::unknown:
        (n == 1 ? unknown_committed : unknown_not) += 1;
        EXPECT_LE(n, 1) << "transfer " << r.id;
        break;
      case outcome::failed:
        if (n != 0) ++ghosts;
        break;
    }
  }
  EXPECT_EQ(lost, 0) << "transfers acknowledged as committed but not logged exactly once";
  EXPECT_EQ(ghosts, 0) << "transfers reported failed but logged";
  EXPECT_EQ(static_cast<std::int64_t>(logged.size()), f.transfers + unknown_committed);
  EXPECT_EQ(read_your_writes_misses, 0) << "reads through a token that did not see their write";
  EXPECT_GT(f.transfers, 0);

  std::uint64_t opened = cluster.primary_pool().stats().connections_opened;
  std::uint64_t closed = cluster.primary_pool().stats().connections_closed;
  for (std::size_t i = 0; i < standbys.size(); ++i) {
    opened += cluster.standby_pool(i).stats().connections_opened;
    closed += cluster.standby_pool(i).stats().connections_closed;
  }
  std::cout << "chaos figures: transfers=" << f.transfers << " commit_outcome_unknown=" << f.unknown << " (logged "
            << unknown_committed << ", not logged " << unknown_not << ") failed=" << f.failed
            << " retries=" << f.retries << " reads=" << f.reads << " read_retries=" << f.read_retries
            << " connections_opened=" << opened << " connections_replaced=" << closed << "\n"
            << fault_summary;
}

}  // namespace
