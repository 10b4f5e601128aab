// async_pool: acquire and return with stats() counting, waiters served first
// come first served, a cancelled acquire leaving the queue, pool_timeout,
// and a connection returned mid-transaction coming back clean.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;

using pool = async_test;

// Connections are opened on demand up to max_size, used as async_databases,
// and come back when the handle goes; stats() counts all along.
TEST_F(pool, AcquireUseReturnAndStats) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_pool p(ex, schema_dsn(), pgwrap::pool_options{.max_size = 2, .wait_timeout = 5s});
    EXPECT_EQ(p.options().max_size, 2u);
    EXPECT_EQ(p.stats().max_size, 2u);
    EXPECT_EQ(p.stats().size, 0u) << "nothing is opened before it is needed";
    int pid_a = 0;
    int pid_b = 0;
    {
      auto a = co_await p.acquire();
      const int v = co_await a->scalar<int>("SELECT %s::int", 5);
      EXPECT_EQ(v, 5);
      pid_a = co_await a.db().scalar<int>("SELECT pg_backend_pid()");
      EXPECT_EQ(p.stats().size, 1u) << stats_text(p.stats());
      EXPECT_EQ(p.stats().in_use, 1u) << stats_text(p.stats());
      EXPECT_EQ(p.stats().idle, 0u) << stats_text(p.stats());
      {
        auto b = co_await p.acquire();
        pid_b = co_await (*b).scalar<int>("SELECT pg_backend_pid()");
        EXPECT_NE(pid_a, pid_b);
        EXPECT_EQ(p.stats().size, 2u) << stats_text(p.stats());
        EXPECT_EQ(p.stats().in_use, 2u) << stats_text(p.stats());
      }
      const bool one_back = co_await eventually([&] { return p.stats().idle == 1 && p.stats().in_use == 1; });
      EXPECT_TRUE(one_back) << stats_text(p.stats());
    }
    const bool both_back = co_await eventually([&] { return p.stats().idle == 2 && p.stats().in_use == 0; });
    EXPECT_TRUE(both_back) << stats_text(p.stats());
    EXPECT_EQ(p.stats().size, 2u);
    EXPECT_EQ(p.stats().waiting, 0u);
    {
      auto again = co_await p.acquire();  // an idle one, not a third
      const int pid = co_await again->scalar<int>("SELECT pg_backend_pid()");
      EXPECT_TRUE(pid == pid_a || pid == pid_b);
      EXPECT_EQ(p.stats().size, 2u);
    }
  });
}

// With max_size 1, coroutines waiting for the connection get it in the
// order they called acquire().
TEST_F(pool, WaitersAreServedInTheOrderTheyAsked) {
  std::vector<int> order;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_pool p(ex, schema_dsn(), pgwrap::pool_options{.max_size = 1, .wait_timeout = 10s});
    std::optional<pgwrap::async_pooled_connection> held;
    held.emplace(co_await p.acquire());
    wait_group waiters(ex);
    for (int k = 0; k < 5; ++k) {
      waiters.spawn([&, k]() -> net::awaitable<void> {
        auto c = co_await p.acquire();
        order.push_back(k);
        const int v = co_await c->scalar<int>("SELECT %s::int", k);
        EXPECT_EQ(v, k);
      });
      const bool queued = co_await eventually([&] { return p.stats().waiting == static_cast<std::size_t>(k) + 1; });
      EXPECT_TRUE(queued) << "waiter " << k << ": " << stats_text(p.stats());
    }
    held.reset();  // back to the pool: the first waiter's turn
    const bool all = co_await waiters.wait(10s);
    EXPECT_TRUE(all) << waiters.pending() << " waiters never got the connection";
    if (!all) co_await waiters.wait();
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

// An acquire() raced against a timer (||) gives up when the timer wins and
// leaves the queue; the waiter behind it still gets the connection when it
// comes back, and the pool has not lost it.
TEST_F(pool, ACancelledAcquireLeavesTheQueue) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_pool p(ex, schema_dsn(), pgwrap::pool_options{.max_size = 1, .wait_timeout = 10s});
    std::optional<pgwrap::async_pooled_connection> held;
    held.emplace(co_await p.acquire());

    std::optional<std::size_t> first_won;  // 0: acquire, 1: the timer
    bool second_got = false;
    wait_group waiters(ex);
    waiters.spawn([&]() -> net::awaitable<void> {
      net::steady_timer timer(ex, 500ms);
      const auto first = co_await (p.acquire() || timer.async_wait(net::use_awaitable));
      first_won = first.index();
    });
    const bool first_queued = co_await eventually([&] { return p.stats().waiting == 1; });
    EXPECT_TRUE(first_queued) << stats_text(p.stats());
    waiters.spawn([&]() -> net::awaitable<void> {
      auto c = co_await p.acquire();
      second_got = true;
      const int v = co_await c->scalar<int>("SELECT 2");
      EXPECT_EQ(v, 2);
    });
    const bool second_queued = co_await eventually([&] { return p.stats().waiting == 2; });
    EXPECT_TRUE(second_queued) << stats_text(p.stats());

    const bool timed_out = co_await eventually([&] { return first_won.has_value(); });
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(first_won, std::optional<std::size_t>(1)) << "the first acquire should have lost to its timer";
    const bool left = co_await eventually([&] { return p.stats().waiting == 1; });
    EXPECT_TRUE(left) << "the cancelled acquire is still in the queue: " << stats_text(p.stats());
    EXPECT_FALSE(second_got);

    held.reset();
    const bool served = co_await waiters.wait(10s);
    EXPECT_TRUE(served) << "the waiter behind the cancelled one never got the connection";
    if (!served) co_await waiters.wait();
    EXPECT_TRUE(second_got);
    const bool settled = co_await eventually([&] { return p.stats().idle == 1; });
    EXPECT_TRUE(settled) << stats_text(p.stats());
    EXPECT_EQ(p.stats().size, 1u);
    EXPECT_EQ(p.stats().waiting, 0u);
    auto again = co_await p.acquire();  // the one connection is still there to hand out
    const int v = co_await again->scalar<int>("SELECT 3");
    EXPECT_EQ(v, 3);
  });
}

// When no connection comes back within wait_timeout, acquire() throws
// pool_timeout, after waiting that long and not much longer.
TEST_F(pool, NoConnectionFreeWithinWaitTimeoutIsPoolTimeout) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_pool p(ex, schema_dsn(), pgwrap::pool_options{.max_size = 1, .wait_timeout = 200ms});
    auto held = co_await p.acquire();
    const auto start = steady::now();
    std::string threw = "nothing";
    std::size_t max_size = 0;
    try {
      auto c = co_await p.acquire();
    } catch (const pgwrap::pool_timeout& e) {
      threw = "pool_timeout";
      max_size = e.max_size();
    } catch (const std::exception& e) {
      threw = describe(e);
    }
    const auto waited = steady::now() - start;
    EXPECT_EQ(threw, "pool_timeout");
    EXPECT_EQ(max_size, 1u);
    EXPECT_GE(waited, 190ms);
    EXPECT_LT(waited, 5s);
    EXPECT_EQ(p.stats().waiting, 0u);
    const int v = co_await held->scalar<int>("SELECT 1");  // the held one is unharmed
    EXPECT_EQ(v, 1);
  });
}

// A connection returned with a transaction open comes back clean: no
// transaction (its backend idle, seen from another connection), the
// uncommitted row rolled back, the temporary table gone (the reset). Once
// with an async_transaction destroyed with its handle, once with a BEGIN
// sent as a plain statement.
TEST_F(pool, AConnectionReturnedInATransactionComesBackClean) {
  admin.execute(runtime_sql("CREATE TABLE " + qualified("pool_reset_rows") + " (v int)"));
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_pool p(ex, schema_dsn(), pgwrap::pool_options{.max_size = 1, .wait_timeout = 10s});
    pgwrap::async_database observer(ex, dsn());

    const auto check_clean = [&](const char* after) -> net::awaitable<void> {
      auto c = co_await p.acquire();
      const int pid = co_await c->scalar<int>("SELECT pg_backend_pid()");
      const auto state = co_await backend_state(observer, pid);
      EXPECT_EQ(state, std::optional<std::string>("idle"))
          << after << ": the connection came back inside a transaction";
      const auto temp =
          co_await c->scalar<std::optional<std::string>>("SELECT to_regclass('pg_temp.pool_reset_temp')::text");
      EXPECT_EQ(temp, std::nullopt) << after << ": the temporary table survived the reset";
      const std::int64_t rows = co_await c->scalar<std::int64_t>("SELECT count(*) FROM pool_reset_rows");
      EXPECT_EQ(rows, 0) << after << ": the uncommitted row was committed";
    };

    {
      auto c = co_await p.acquire();
      (void)co_await c->execute("CREATE TEMP TABLE pool_reset_temp (v int)");
      auto tx = co_await c->begin();
      (void)co_await tx.execute("INSERT INTO pool_reset_rows VALUES (1)");
    }  // the transaction, then the handle, go without commit
    co_await check_clean("after an async_transaction left open");

    {
      auto c = co_await p.acquire();
      (void)co_await c->execute("CREATE TEMP TABLE pool_reset_temp (v int)");
      (void)co_await c->execute("BEGIN");
      (void)co_await c->execute("INSERT INTO pool_reset_rows VALUES (2)");
    }  // returned inside the transaction
    co_await check_clean("after a plain BEGIN left open");

    const bool idle_again = co_await eventually([&] { return p.stats().idle == 1 && p.stats().in_use == 0; });
    EXPECT_TRUE(idle_again) << stats_text(p.stats());
  });
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + qualified("pool_reset_rows"))), 0);
}

}  // namespace
}  // namespace pgwrap::test
