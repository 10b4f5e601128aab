// async_pool's lifecycle, as pool's (tests/integration/pool_lifecycle_test.cpp):
// min_size opened in the background and killed backends replaced within one
// health-check period, no backend of a hot pool older than its lifetime,
// shrinking to min_size after a burst, counts that add up at every
// snapshot, the coroutine check/configure callbacks, reconnect backoff, and
// the usage errors (blocking callbacks, a moved-from handle). Every wait is
// on observed state (pg_stat_activity through another connection, stats()).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "async_support.hpp"
#include "sanitizer_slowdown.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;

class async_pool_lifecycle : public async_test {
 protected:
  void SetUp() override {
    async_test::SetUp();
    if (schema.empty()) return;  // skipped
    app_name = "pgwrap_alife_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  }

  /// The schema's DSN with an application_name that tells this test's backends.
  [[nodiscard]] std::string pool_dsn() const {
    const std::string base = schema_dsn();
    if (base.find("://") != std::string::npos) return base + "&application_name=" + app_name;
    return base + " application_name=" + app_name;
  }

  /// The pids of this test's backends, asked through `watch` (not the pool's).
  net::awaitable<std::set<int>> server_pids(pgwrap::async_database& watch) const {
    std::set<int> pids;
    const auto rows =
        co_await watch.query<int>("SELECT pid FROM pg_stat_activity WHERE application_name = %s", app_name);
    for (const auto& [pid] : rows) pids.insert(pid);
    co_return pids;
  }

  std::string app_name;
  static inline int counter = 0;
};

TEST_F(async_pool_lifecycle, MinSizeIsOpenedInTheBackgroundAndKilledConnectionsComeBackWithinOnePeriod) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database watch(ex, dsn());
    pgwrap::pool_options o;
    o.max_size = 8;
    o.min_size = 4;
    o.health_check_period = 1s;
    pgwrap::async_pool p(ex, pool_dsn(), o);
    // A starting backend shows in pg_stat_activity before the pool has it: wait for both.
    const bool opened = co_await eventually([&]() -> net::awaitable<bool> {
      const auto pids = co_await server_pids(watch);
      co_return pids.size() == 4 && p.stats().idle == 4;
    });
    EXPECT_TRUE(opened) << stats_text(p.stats());
    if (!opened) co_return;
    EXPECT_EQ(p.stats().size, 4U);

    const std::set<int> before = co_await server_pids(watch);
    const int first = *before.begin();
    const int second = *std::next(before.begin());
    EXPECT_TRUE(co_await watch.scalar<bool>("SELECT pg_terminate_backend(%s)", first));
    EXPECT_TRUE(co_await watch.scalar<bool>("SELECT pg_terminate_backend(%s)", second));
    const auto killed = steady::now();
    const bool back = co_await eventually([&]() -> net::awaitable<bool> {
      const auto pids = co_await server_pids(watch);
      co_return pids.size() == 4 && pids.count(first) == 0 && pids.count(second) == 0 && p.stats().idle == 4;
    });
    EXPECT_TRUE(back) << stats_text(p.stats());
    if (!back) co_return;
    const auto back_after = steady::now() - killed;
    // One check period, plus the time to open two connections on a busy machine.
    EXPECT_LE(back_after, o.health_check_period + 500ms * sanitizer_slowdown)
        << std::chrono::duration_cast<std::chrono::milliseconds>(back_after).count() << " ms";
    const pgwrap::pool_stats s = p.stats();
    EXPECT_EQ(s.closed(pgwrap::close_reason::failed_check), 2U);
    EXPECT_EQ(s.connections_opened, 6U);
    EXPECT_EQ(s.acquires, 0U);  // nobody asked: the background did it all
  });
}

TEST_F(async_pool_lifecycle, AHotPoolHasNoBackendOlderThanItsLifetime) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database watch(ex, dsn());
    pgwrap::pool_options o;
    o.max_size = 3;
    o.max_lifetime = 2s;
    o.lifetime_jitter = 300ms;
    pgwrap::async_pool p(ex, pool_dsn(), o);
    // Never closed in use: the bound has the longest statement seen.
    steady::duration longest_statement{};
    bool stop = false;
    wait_group users(ex);
    for (int t = 0; t < 3; ++t) {
      users.spawn([&]() -> net::awaitable<void> {
        while (!stop) {
          auto c = co_await p.acquire();
          const auto started = steady::now();
          co_await c->execute("SELECT pg_sleep(0.02)");
          longest_statement = std::max(longest_statement, steady::now() - started);
        }
      });
    }
    // Sample the oldest backend of the pool for 5 s (two lifetimes and more).
    double oldest_seen = 0;
    const auto until = steady::now() + 5s;
    while (steady::now() < until) {
      oldest_seen = std::max(oldest_seen,
                             co_await watch.scalar<double>("SELECT coalesce(max(extract(epoch FROM clock_timestamp() - "
                                                           "backend_start)), 0)::float8 FROM pg_stat_activity "
                                                           "WHERE application_name = %s",
                                                           app_name));
      co_await pause(50ms);
    }
    stop = true;
    EXPECT_TRUE(co_await users.wait(30s));
    const double bound = std::chrono::duration<double>(o.max_lifetime + o.lifetime_jitter + longest_statement).count();
    const double sampling = 0.1 * sanitizer_slowdown;
    std::cout << "oldest backend seen: " << oldest_seen << " s (bound " << bound << " s + " << sampling
              << " s for sampling)\n";
    EXPECT_LE(oldest_seen, bound + sampling);
    EXPECT_GE(p.stats().closed(pgwrap::close_reason::expired), 3U);  // each of the three replaced at least once
  });
}

TEST_F(async_pool_lifecycle, AfterABurstThePoolShrinksToMinSize) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database watch(ex, dsn());
    pgwrap::pool_options o;
    o.max_size = 6;
    o.min_size = 1;
    o.max_idle = 500ms;
    o.health_check_period = 250ms;
    pgwrap::async_pool p(ex, pool_dsn(), o);
    {
      std::vector<pgwrap::async_pooled_connection> burst;
      for (int i = 0; i < 6; ++i) burst.push_back(co_await p.acquire());
      for (auto& c : burst) co_await c->execute("SELECT 1");
    }
    const auto burst_ended = steady::now();
    EXPECT_EQ(p.stats().idle, 6U) << stats_text(p.stats());
    const bool shrunk = co_await eventually([&]() -> net::awaitable<bool> {
      const auto pids = co_await server_pids(watch);
      co_return p.stats().size == 1 && pids.size() == 1;
    });
    EXPECT_TRUE(shrunk) << stats_text(p.stats());
    if (!shrunk) co_return;
    const auto shrunk_after = steady::now() - burst_ended;
    EXPECT_LE(shrunk_after, o.max_idle + o.health_check_period + 300ms * sanitizer_slowdown)
        << std::chrono::duration_cast<std::chrono::milliseconds>(shrunk_after).count() << " ms";
    EXPECT_EQ(p.stats().closed(pgwrap::close_reason::idle_timeout), 5U);
  });
}

// Many coroutines on few connections, with lifetimes, idle limits, drains
// and a failing check all churning: size = idle + in_use + opening holds at
// every snapshot (taken between every step of the loop).
TEST_F(async_pool_lifecycle, CountsAddUpAtEverySnapshot) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::pool_options o;
    o.max_size = 5;
    o.min_size = 2;
    o.max_lifetime = 200ms;
    o.lifetime_jitter = 50ms;
    o.max_idle = 100ms;
    o.health_check_period = 50ms;
    o.ping_after_idle = 0ms;
    o.wait_timeout = 30s;
    int checks = 0;
    pgwrap::async_pool_callbacks callbacks;
    callbacks.check = [&](pgwrap::async_database&) -> net::awaitable<bool> { co_return ++checks % 7 != 0; };
    pgwrap::async_pool p(ex, pool_dsn(), o, callbacks);
    std::vector<std::string> broken;
    std::size_t snapshots = 0;
    std::size_t saw_opening = 0;
    bool stop = false;
    wait_group watcher(ex);
    watcher.spawn([&]() -> net::awaitable<void> {
      while (!stop) {
        const pgwrap::pool_stats s = p.stats();
        ++snapshots;
        if (s.opening > 0) ++saw_opening;
        if (s.size != s.idle + s.in_use + s.opening || s.size > s.max_size) broken.push_back(stats_text(s));
        co_await net::post(ex, net::use_awaitable);  // let the others run between snapshots
      }
    });
    wait_group users(ex);
    for (int t = 0; t < 16; ++t) {
      users.spawn([&, t]() -> net::awaitable<void> {
        for (int i = 0; i < 30; ++i) {
          auto c = co_await p.acquire();
          co_await c->execute("SELECT 1");
          if (i % 8 == 0 && t % 4 == 0) p.drain();
        }
      });
    }
    EXPECT_TRUE(co_await users.wait(60s));
    stop = true;
    EXPECT_TRUE(co_await watcher.wait(10s));
    EXPECT_TRUE(broken.empty()) << broken.size() << " snapshots did not add up, first: " << broken.front();
    EXPECT_GT(snapshots, 100U);
    EXPECT_GT(saw_opening, 0U) << "a connection being opened is counted in opening";
    // The health check may be vetting idle connections (counted in use) just now.
    const bool all_back = co_await eventually([&] { return p.stats().in_use == 0; });
    EXPECT_TRUE(all_back) << stats_text(p.stats());
    const pgwrap::pool_stats s = p.stats();
    EXPECT_EQ(s.acquires, 16U * 30U);
    std::uint64_t by_reason = 0;
    for (const std::uint64_t n : s.closed_by_reason) by_reason += n;
    EXPECT_EQ(by_reason, s.connections_closed);
    EXPECT_GT(s.closed(pgwrap::close_reason::drained), 0U);
    EXPECT_GT(s.closed(pgwrap::close_reason::failed_check), 0U);
    EXPECT_EQ(s.connections_opened - s.connections_closed + s.opening, s.size);
  });
}

// configure runs once on every new connection before anyone gets it; check
// vets every idle one handed out, and a refused one is closed and replaced.
TEST_F(async_pool_lifecycle, ConfigureRunsOnEveryNewConnectionAndCheckVetsEveryHandout) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    int configured = 0;
    int checked = 0;
    bool refuse = false;
    pgwrap::async_pool_callbacks callbacks;
    callbacks.configure = [&](pgwrap::async_database& db) -> net::awaitable<void> {
      ++configured;
      co_await db.execute("SET application_name = 'configured'");
    };
    callbacks.check = [&](pgwrap::async_database&) -> net::awaitable<bool> {
      ++checked;
      co_return !refuse;
    };
    pgwrap::async_pool p(ex, pool_dsn(), pgwrap::pool_options{.max_size = 2}, callbacks);
    int first_pid = 0;
    {
      auto c = co_await p.acquire();
      EXPECT_EQ(configured, 1);
      EXPECT_EQ(checked, 0) << "a new connection is not checked";
      first_pid = co_await c->scalar<int>("SELECT pg_backend_pid()");
    }
    {
      auto c = co_await p.acquire();  // the idle one, checked
      EXPECT_EQ(checked, 1);
      EXPECT_EQ(co_await c->scalar<int>("SELECT pg_backend_pid()"), first_pid);
      // DISCARD ALL on return resets application_name: configure's SET is made once, on connecting.
    }
    refuse = true;
    {
      auto c = co_await p.acquire();  // the idle one is refused and closed: a new one
      EXPECT_EQ(checked, 2);
      EXPECT_EQ(configured, 2);
      EXPECT_NE(co_await c->scalar<int>("SELECT pg_backend_pid()"), first_pid);
      EXPECT_EQ(co_await c->scalar<std::string>("SELECT current_setting('application_name')"), "configured");
    }
    EXPECT_EQ(p.stats().closed(pgwrap::close_reason::failed_check), 1U);

    // configure throwing: the connection is closed, the error reaches acquire().
    pgwrap::async_pool_callbacks failing;
    failing.configure = [](pgwrap::async_database&) -> net::awaitable<void> {
      co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
      throw std::runtime_error("configure failed on purpose");
    };
    pgwrap::async_pool q(ex, pool_dsn(), pgwrap::pool_options{.max_size = 1}, failing);
    try {
      (void)co_await q.acquire();
      ADD_FAILURE() << "acquire() did not throw";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "configure failed on purpose");
    }
    EXPECT_EQ(q.stats().size, 0U) << stats_text(q.stats());
    EXPECT_EQ(q.stats().connections_opened, 0U);
  });
}

// No server to connect to: the background attempts back off
// (doubling) and on_connect_failure hears of each after the third in a row.
TEST_F(async_pool_lifecycle, RepeatedConnectFailuresBackOffAndAreReported) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    std::vector<std::size_t> reported;
    std::vector<steady::time_point> when;
    pgwrap::pool_options o;
    o.max_size = 2;
    o.min_size = 1;
    o.reconnect_backoff = 50ms;
    o.reconnect_backoff_max = 400ms;
    o.connect_failures_to_report = 3;
    o.on_connect_failure = [&](std::size_t failures, std::string_view message) {
      reported.push_back(failures);
      when.push_back(steady::now());
      EXPECT_FALSE(message.empty());
    };
    // No server at that socket: every attempt fails.
    pgwrap::async_pool p(ex, "host=/nonexistent/pgwrap port=5432", o);
    const bool enough = co_await eventually([&] { return reported.size() >= 3; }, 20s);
    EXPECT_TRUE(enough) << reported.size();
    if (!enough) co_return;
    EXPECT_EQ(reported[0], 3U);
    EXPECT_EQ(reported[1], 4U);
    EXPECT_EQ(reported[2], 5U);
    // The 4th attempt came 200 ms after the 3rd, the 5th 400 ms after it (the maximum).
    EXPECT_GE(when[1] - when[0], 190ms);
    EXPECT_GE(when[2] - when[1], 390ms);
    EXPECT_EQ(p.stats().size, 0U);
    EXPECT_EQ(p.stats().connections_opened, 0U);
  });
}

TEST_F(async_pool_lifecycle, BlockingCallbacksAndAMovedFromHandleAreUsageErrors) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::pool_options with_check;
    with_check.check = [](pgwrap::database&) { return true; };
    EXPECT_THROW(pgwrap::async_pool refused(ex, pool_dsn(), with_check), pgwrap::usage_error);
    pgwrap::pool_options with_configure;
    with_configure.configure = [](pgwrap::database&) {};
    try {
      pgwrap::async_pool p(ex, pool_dsn(), with_configure);
      ADD_FAILURE() << "no usage_error";
    } catch (const pgwrap::usage_error& e) {
      EXPECT_NE(std::string(e.what()).find("async_pool_callbacks::configure"), std::string::npos) << e.what();
    }

    pgwrap::async_pool p(ex, pool_dsn(), pgwrap::pool_options{.max_size = 1});
    auto c = co_await p.acquire();
    auto taken = std::move(c);
    EXPECT_TRUE(taken);
    EXPECT_FALSE(c);                                  // NOLINT(bugprone-use-after-move): what the test is about
    EXPECT_THROW((void)c.db(), pgwrap::usage_error);  // NOLINT(bugprone-use-after-move)
    EXPECT_THROW((void)*c, pgwrap::usage_error);      // NOLINT(bugprone-use-after-move)
    EXPECT_THROW((void)c->is_connected(), pgwrap::usage_error);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(co_await taken->scalar<int>("SELECT 1"), 1);
  });
}

}  // namespace
}  // namespace pgwrap::test
