// pgwrap::pool's lifecycle: min_size kept in the background, max_lifetime,
// max_idle, max_waiting, first-come-first-served waiters, drain() and
// resize(), the check/configure callbacks, conninfo_provider with a password
// rotated for real, reconnect backoff, and stats that add up under threads.
// Every wait is on observed state (pg_stat_activity, stats()), bounded.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sanitizer_slowdown.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using steady_clock = std::chrono::steady_clock;

/// Polls `ready` every 10 ms until it holds or `limit` passes; how long it took.
bool eventually(const std::function<bool()>& ready, steady_clock::duration limit = 10s) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return ready();
}

class pool_lifecycle_test : public db_test {
 protected:
  void SetUp() override {
    db_test::SetUp();
    if (schema.empty()) return;  // skipped
    app_name = "pgwrap_life_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  }

  std::string pool_dsn() const {
    const std::string base = schema_dsn();
    if (base.find("://") != std::string::npos) return base + "&application_name=" + app_name;
    return base + " application_name=" + app_name;
  }

  std::int64_t server_connections() {
    return admin.scalar<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", app_name);
  }
  std::set<int> server_pids() {
    std::set<int> pids;
    for (const auto& r : admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = %s", app_name)) {
      pids.insert(r[0].as<int>());
    }
    return pids;
  }

  std::string app_name;
  static inline int counter = 0;
};

TEST_F(pool_lifecycle_test, MinSizeIsOpenedInTheBackgroundAndKilledConnectionsComeBackWithinOnePeriod) {
  pool_options o;
  o.max_size = 8;
  o.min_size = 4;
  o.health_check_period = 1s;
  pool p(pool_dsn(), o);
  // A backend shows in pg_stat_activity while it is still starting up, before
  // the pool has finished opening it: wait for both sides.
  ASSERT_TRUE(eventually([&] { return server_connections() == 4 && p.stats().idle == 4; })) << server_connections();
  EXPECT_EQ(p.stats().size, 4U);
  EXPECT_EQ(p.stats().idle, 4U);

  const std::set<int> before = server_pids();
  const int first = *before.begin();
  const int second = *std::next(before.begin());
  terminate_backend(admin, first);
  terminate_backend(admin, second);
  const auto killed = steady_clock::now();
  ASSERT_TRUE(eventually([&] {
    const std::set<int> now = server_pids();
    return now.size() == 4 && now.count(first) == 0 && now.count(second) == 0 && p.stats().idle == 4;
  }));
  const auto back_after = steady_clock::now() - killed;
  // One check period, plus the time to open two connections on a busy machine.
  EXPECT_LE(back_after, o.health_check_period + 500ms * sanitizer_slowdown)
      << std::chrono::duration_cast<std::chrono::milliseconds>(back_after).count() << " ms";
  const pool_stats s = p.stats();
  EXPECT_EQ(s.closed(close_reason::failed_check), 2U);
  EXPECT_EQ(s.connections_opened, 6U);
  EXPECT_EQ(s.acquires, 0U);  // nobody asked: the background did it all
}

TEST_F(pool_lifecycle_test, AHotPoolHasNoBackendOlderThanItsLifetime) {
  pool_options o;
  o.max_size = 3;
  o.max_lifetime = 2s;
  o.lifetime_jitter = 300ms;
  pool p(pool_dsn(), o);
  // The statements sleep 20 ms; on a busy machine one can take longer, and a
  // connection is never closed in use, so the bound has the longest one seen.
  std::atomic<std::int64_t> longest_statement_us{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        pooled_connection c = p.acquire();
        const auto started = steady_clock::now();
        c->execute("SELECT pg_sleep(0.02)");
        const std::int64_t took =
            std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - started).count();
        std::int64_t seen = longest_statement_us.load();
        while (took > seen && !longest_statement_us.compare_exchange_weak(seen, took)) {
        }
      }
    });
  }
  // Sample the oldest backend of the pool for 5 s (two lifetimes and more).
  double oldest_seen = 0;
  const auto until = steady_clock::now() + 5s;
  while (steady_clock::now() < until) {
    oldest_seen =
        std::max(oldest_seen, admin.scalar<double>("SELECT coalesce(max(extract(epoch FROM clock_timestamp() - "
                                                   "backend_start)), 0)::float8 FROM pg_stat_activity "
                                                   "WHERE application_name = %s",
                                                   app_name));
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  const std::chrono::microseconds longest_statement{longest_statement_us.load()};
  const double bound = std::chrono::duration<double>(o.max_lifetime + o.lifetime_jitter + longest_statement).count();
  const double sampling = 0.1 * sanitizer_slowdown;
  std::cout << "oldest backend seen: " << oldest_seen << " s (bound " << bound << " s + " << sampling
            << " s for sampling)\n";
  EXPECT_LE(oldest_seen, bound + sampling);
  EXPECT_GE(p.stats().closed(close_reason::expired), 3U);  // each of the three replaced at least once
}

TEST_F(pool_lifecycle_test, AfterABurstThePoolShrinksToMinSize) {
  pool_options o;
  o.max_size = 6;
  o.min_size = 1;
  o.max_idle = 500ms;
  o.health_check_period = 250ms;
  pool p(pool_dsn(), o);
  {
    std::vector<pooled_connection> burst;
    for (int i = 0; i < 6; ++i) burst.push_back(p.acquire());
    for (pooled_connection& c : burst) c->execute("SELECT 1");
  }
  const auto burst_ended = steady_clock::now();
  EXPECT_EQ(p.stats().idle, 6U);
  ASSERT_TRUE(eventually([&] { return p.stats().size == 1 && server_connections() == 1; }));
  const auto shrunk_after = steady_clock::now() - burst_ended;
  EXPECT_LE(shrunk_after, o.max_idle + o.health_check_period + 300ms * sanitizer_slowdown)
      << std::chrono::duration_cast<std::chrono::milliseconds>(shrunk_after).count() << " ms";
  EXPECT_EQ(p.stats().closed(close_reason::idle_timeout), 5U);
}

TEST_F(pool_lifecycle_test, SixtyFourThreadsOnFourConnectionsNeverTimeOut) {
  pool_options o;
  o.max_size = 4;
  o.wait_timeout = 30s;
  pool p(pool_dsn(), o);
  constexpr int threads_count = 64;
  constexpr int rounds = 8;
  std::mutex waits_mutex;
  std::vector<double> waits_ms;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_count; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        try {
          const auto asked = steady_clock::now();
          pooled_connection c = p.acquire();
          const double waited = std::chrono::duration<double, std::milli>(steady_clock::now() - asked).count();
          c->execute("SELECT pg_sleep(0.005)");  // held for 5 ms
          const std::lock_guard lock(waits_mutex);
          waits_ms.push_back(waited);
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  const pool_stats s = p.stats();
  EXPECT_EQ(s.timeouts, 0U);
  EXPECT_EQ(s.acquires, std::uint64_t{threads_count * rounds});
  EXPECT_LE(s.connections_opened, 4U);
  ASSERT_EQ(waits_ms.size(), std::size_t{threads_count * rounds});
  std::sort(waits_ms.begin(), waits_ms.end());
  const double p50 = waits_ms[waits_ms.size() / 2];
  const double p99 = waits_ms[waits_ms.size() * 99 / 100];
  std::cout << "RESULT pool_64_threads_on_4 acquires=" << waits_ms.size() << " wait_p50_ms=" << p50
            << " wait_p99_ms=" << p99 << " waits=" << s.waits << "\n";
}

TEST_F(pool_lifecycle_test, WaitersAreServedFirstComeFirstServed) {
  pool_options o;
  o.max_size = 1;
  pool p(pool_dsn(), o);
  pooled_connection held = p.acquire();
  std::mutex order_mutex;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      pooled_connection c = p.acquire();
      const std::lock_guard lock(order_mutex);
      order.push_back(t);
    });
    // The next one comes only once this one is in line.
    ASSERT_TRUE(eventually([&] { return p.stats().waiting == std::size_t(t + 1); }));
  }
  held.release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(p.stats().waits, 4U);
  EXPECT_EQ(p.stats().connections_opened, 1U);
}

TEST_F(pool_lifecycle_test, BeyondMaxWaitingAcquireIsRefusedAtOnce) {
  pool_options o;
  o.max_size = 1;
  o.max_waiting = 1;
  pool p(pool_dsn(), o);
  pooled_connection held = p.acquire();
  std::thread waiter([&] { pooled_connection c = p.acquire(); });
  ASSERT_TRUE(eventually([&] { return p.stats().waiting == 1; }));
  const auto asked = steady_clock::now();
  try {
    (void)p.acquire(10s);
    ADD_FAILURE() << "no pool_overloaded";
  } catch (const pool_overloaded& e) {
    EXPECT_EQ(e.max_waiting(), 1U);
    EXPECT_NE(std::string(e.what()).find("max_waiting"), std::string::npos) << e.what();
  }
  EXPECT_LT(steady_clock::now() - asked, 5s);  // refused, not timed out
  held.release();
  waiter.join();
}

TEST_F(pool_lifecycle_test, DrainClosesIdleNowAndInUseWhenReturned) {
  pool p(pool_dsn(), {.max_size = 3});
  pooled_connection out = p.acquire();
  const int out_pid = out->scalar<int>("SELECT pg_backend_pid()");
  int idle_pid = 0;
  {
    pooled_connection c = p.acquire();
    idle_pid = c->scalar<int>("SELECT pg_backend_pid()");
  }
  p.drain();
  EXPECT_EQ(p.stats().closed(close_reason::drained), 1U);
  EXPECT_EQ(out->scalar<int>("SELECT 1"), 1);  // still usable while out
  out.release();
  EXPECT_EQ(p.stats().closed(close_reason::drained), 2U);
  ASSERT_TRUE(eventually([&] { return server_connections() == 0; }));
  pooled_connection fresh = p.acquire();
  const int pid = fresh->scalar<int>("SELECT pg_backend_pid()");
  EXPECT_NE(pid, out_pid);
  EXPECT_NE(pid, idle_pid);
}

TEST_F(pool_lifecycle_test, ResizeGrowsForWaitersAndShrinksIdle) {
  pool p(pool_dsn(), {.max_size = 1});
  pooled_connection held = p.acquire();
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    pooled_connection c = p.acquire(20s);
    got = true;
  });
  ASSERT_TRUE(eventually([&] { return p.stats().waiting == 1; }));
  p.resize(3, 0);
  waiter.join();  // served by a new connection, not by `held`
  EXPECT_TRUE(got);
  EXPECT_EQ(p.stats().max_size, 3U);
  EXPECT_EQ(p.stats().connections_opened, 2U);
  EXPECT_EQ(p.stats().idle, 1U);
  p.resize(1, 0);  // one idle and one in use: the idle one goes at once, the other stays
  EXPECT_EQ(p.stats().closed(close_reason::resized), 1U);
  EXPECT_EQ(p.stats().size, 1U);
  EXPECT_THROW(p.resize(0, 0), usage_error);
  EXPECT_THROW(p.resize(2, 3), usage_error);
  held.release();
  EXPECT_EQ(p.stats().idle, 1U);
}

TEST_F(pool_lifecycle_test, ConfigureRunsOnEveryNewConnectionAndCheckVetsEveryHandout) {
  std::atomic<int> configured{0};
  std::atomic<int> checked{0};
  std::atomic<bool> refuse{false};
  pool_options o;
  o.max_size = 2;
  o.configure = [&](database& d) {
    ++configured;
    d.execute("SELECT 1");  // a working connection is passed
  };
  o.check = [&](database&) {
    ++checked;
    return !refuse.load();
  };
  pool p(pool_dsn(), o);
  int pid = 0;
  {
    pooled_connection c = p.acquire();
    pid = c->scalar<int>("SELECT pg_backend_pid()");
  }
  EXPECT_EQ(configured, 1);
  EXPECT_EQ(checked, 0);  // a new connection is not checked
  {
    pooled_connection c = p.acquire();
    EXPECT_EQ(c->scalar<int>("SELECT pg_backend_pid()"), pid);
  }
  EXPECT_EQ(checked, 1);
  refuse = true;
  {
    pooled_connection c = p.acquire();  // the idle one fails the check: a new one replaces it
    EXPECT_NE(c->scalar<int>("SELECT pg_backend_pid()"), pid);
  }
  EXPECT_EQ(configured, 2);
  EXPECT_EQ(p.stats().closed(close_reason::failed_check), 1U);

  pool_options failing;
  failing.configure = [](database&) { throw std::runtime_error("configure says no"); };
  pool q(pool_dsn(), failing);
  EXPECT_THROW((void)q.acquire(), std::runtime_error);
  EXPECT_EQ(q.stats().size, 0U);  // the room is free again
}

TEST_F(pool_lifecycle_test, RepeatedConnectFailuresBackOffAndAreReported) {
  std::mutex m;
  std::vector<std::pair<std::size_t, steady_clock::time_point>> reports;
  std::string last_message;
  pool_options o;
  o.min_size = 1;
  o.reconnect_backoff = 100ms;
  o.reconnect_backoff_max = 400ms;
  o.connect_failures_to_report = 2;
  o.on_connect_failure = [&](std::size_t failures, std::string_view message) {
    const std::lock_guard lock(m);
    reports.emplace_back(failures, steady_clock::now());
    last_message = std::string(message);
  };
  const auto started = steady_clock::now();
  pool p("host=/nonexistent/pgwrap port=5432 password=pool-secret-xyz", o);
  ASSERT_TRUE(eventually([&] {
    const std::lock_guard lock(m);
    return reports.size() >= 3;
  }));
  const std::lock_guard lock(m);
  EXPECT_EQ(reports[0].first, 2U);  // first told at the second failure in a row
  EXPECT_EQ(reports[2].first, 4U);
  // Waits of 100, 200 and 400 ms come before the fourth attempt.
  EXPECT_GE(reports[2].second - started, 700ms);
  EXPECT_EQ(last_message.find("pool-secret-xyz"), std::string::npos) << last_message;
  EXPECT_EQ(p.stats().size, 0U);
}

// Rotation with two alternating users, as secret managers do: each second
// the user not in use gets a new password (ALTER ROLE), then the provider
// switches to it. A connection being opened with the previous user's
// password meanwhile still succeeds, since that password is not changed
// until the next rotation.
TEST_F(pool_lifecycle_test, APasswordRotatedEverySecondThroughConninfoProviderNeverFails) {
  const std::string base = schema_dsn();
  if (base.find("://") != std::string::npos) GTEST_SKIP() << "needs a key=value PGWRAP_TEST_DSN";
  // The group the throwaway server's pg_hba.conf asks a password of (scripts/pg_throwaway.sh).
  admin.execute(
      "DO $$ BEGIN CREATE ROLE pgwrap_password_auth NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  const std::vector<std::string> roles = {app_name + "_blue", app_name + "_green"};
  for (const std::string& role : roles) {
    admin.execute(runtime_sql("CREATE ROLE " + quote_identifier(role) + " LOGIN IN ROLE pgwrap_password_auth"));
    admin.execute(runtime_sql("GRANT USAGE ON SCHEMA " + quote_identifier(schema) + " TO " + quote_identifier(role)));
  }
  // ALTER ROLE takes no parameters: a function takes the password as one.
  admin.execute(runtime_sql("CREATE FUNCTION " + quote_identifier(schema) +
                            ".set_password(r text, p text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
                            "EXECUTE 'ALTER ROLE ' || quote_ident(r) || ' PASSWORD ' || quote_literal(p); END $$"));
  const auto set_password = [&](const std::string& role, const std::string& password) {
    admin.execute(runtime_sql("SELECT " + quote_identifier(schema) + ".set_password(%s, %s)"), role, password);
  };
  set_password(roles[0], "secret-0");
  {
    database wrong(pool_dsn() + " user=" + roles[0] + " password=wrong");
    try {
      wrong.connect();
      GTEST_SKIP() << "the server does not ask " << roles[0]
                   << " for a password (start it with scripts/pg_throwaway.sh)";
    } catch (const connection_error&) {  // as it should be
    }
  }

  std::mutex secret_mutex;  // the secret store
  std::string user = roles[0];
  std::string secret = "secret-0";
  std::atomic<int> provided{0};
  std::atomic<int> failures{0};
  pool_options o;
  o.max_size = 3;
  o.max_lifetime = 300ms;  // connections come and go, each with the password of its moment
  o.conninfo_provider = [&] {
    const std::lock_guard lock(secret_mutex);
    ++provided;
    return pool_dsn() + " user=" + user + " password=" + secret;
  };
  o.on_connect_failure = [&](std::size_t, std::string_view) { ++failures; };
  o.connect_failures_to_report = 1;
  std::set<std::string> users_seen;
  {
    pool p(pool_dsn(), o);
    std::atomic<bool> stop{false};
    std::mutex seen_mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        while (!stop) {
          try {
            pooled_connection c = p.acquire();
            const auto who = c->scalar<std::string>("SELECT current_user");
            const std::lock_guard lock(seen_mutex);
            users_seen.insert(who);
          } catch (const std::exception& e) {
            ++failures;
            ADD_FAILURE() << e.what();
          }
        }
      });
    }
    for (int rotation = 1; rotation <= 3; ++rotation) {
      std::this_thread::sleep_for(1s);
      const std::string next_user = roles[static_cast<std::size_t>(rotation % 2)];
      const std::string next_secret = "secret-" + std::to_string(rotation);
      set_password(next_user, next_secret);  // the user not in use: nothing in flight relies on it
      const std::lock_guard lock(secret_mutex);
      user = next_user;
      secret = next_secret;
    }
    std::this_thread::sleep_for(500ms);  // connections made with the last password are used too
    stop = true;
    for (std::thread& t : threads) t.join();
    EXPECT_GE(p.stats().closed(close_reason::expired), 3U);
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GE(provided, 6);
  EXPECT_EQ(users_seen, (std::set<std::string>(roles.begin(), roles.end())));
  ASSERT_TRUE(eventually([&] { return server_connections() == 0; }));
  for (const std::string& role : roles) {
    admin.execute(runtime_sql("DROP OWNED BY " + quote_identifier(role)));
    admin.execute(runtime_sql("DROP ROLE " + quote_identifier(role)));
  }
}

TEST_F(pool_lifecycle_test, CountsAddUpAtEverySnapshotUnderSixteenThreads) {
  pool_options o;
  o.max_size = 5;
  o.min_size = 2;
  o.max_lifetime = 200ms;
  o.lifetime_jitter = 50ms;
  o.max_idle = 100ms;
  o.health_check_period = 50ms;
  o.wait_timeout = 30s;
  pool p(pool_dsn(), o);
  std::atomic<bool> stop{false};
  std::atomic<int> snapshots{0};
  std::vector<std::string> broken;
  std::thread watcher([&] {
    while (!stop) {
      const pool_stats s = p.stats();
      ++snapshots;
      if (s.size != s.idle + s.in_use + s.opening || s.size > s.max_size || s.in_use > s.max_size) {
        broken.push_back("size " + std::to_string(s.size) + " idle " + std::to_string(s.idle) + " in_use " +
                         std::to_string(s.in_use) + " opening " + std::to_string(s.opening));
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        pooled_connection c = p.acquire();
        c->execute("SELECT 1");
        if ((i + t) % 10 == 0) c.discard();
        if (i % 8 == 0) p.drain();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  stop = true;
  watcher.join();
  EXPECT_TRUE(broken.empty()) << broken.size() << " snapshots did not add up, first: " << broken.front();
  EXPECT_GT(snapshots, 0);
  const pool_stats s = p.stats();
  EXPECT_EQ(s.acquires, 16U * 40U);
  EXPECT_EQ(s.in_use, 0U);
  std::uint64_t by_reason = 0;
  for (const std::uint64_t n : s.closed_by_reason) by_reason += n;
  EXPECT_EQ(by_reason, s.connections_closed);
  EXPECT_GT(s.closed(close_reason::discarded), 0U);
  EXPECT_GT(s.closed(close_reason::drained), 0U);
  // Everything opened is either closed or still held (the background may be opening one).
  EXPECT_EQ(s.connections_opened - s.connections_closed + s.opening, s.size);
}

}  // namespace
}  // namespace pgwrap::test
