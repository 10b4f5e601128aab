// Observers on the coroutine face: one start/end pair per call with the
// right kind, rows and SQLSTATE; the queued / wire split of pipelined calls;
// connect and reconnect; an async_pool's events and counters.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "async_support.hpp"
#include "recording_observer.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using observers = async_test;

// Each call of the coroutine face is one operation; the first connects.
TEST_F(observers, EveryAsyncCallIsOneOperation) {
  auto watch = std::make_shared<recorder>();
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    db.add_observer(watch);
    EXPECT_THROW(db.add_observer(watch), pgwrap::usage_error) << "installed twice on one database";
    (void)co_await db.execute("CREATE TABLE obs_items (id int PRIMARY KEY, name text)");
    const std::int64_t inserted =
        co_await db.execute("INSERT INTO obs_items VALUES (%s, %s), (%s, %s)", 1, "a", 2, "b");
    EXPECT_EQ(inserted, 2);
    const pgwrap::result rows = co_await db.query("SELECT id FROM obs_items ORDER BY id");
    EXPECT_EQ(rows.size(), 2u);
    for (int i = 0; i < 2; ++i) {  // typed: prepared the first time, from the cache the second
      const auto names = co_await db.query<int, std::string>("SELECT id, name FROM obs_items WHERE id > %s", 0);
      EXPECT_EQ(names.size(), 2u);
    }
    try {
      (void)co_await db.execute("INSERT INTO obs_items VALUES (%s, %s)", 1, "again");
      ADD_FAILURE() << "a duplicate key went in";
    } catch (const pgwrap::unique_violation&) {
    }
    {
      pgwrap::async_transaction tx = co_await db.begin();
      (void)co_await tx.execute("UPDATE obs_items SET name = %s WHERE id = %s", "c", 2);
      co_await tx.commit();
    }
    {
      pgwrap::async_transaction tx = co_await db.begin();
      co_await tx.rollback();
    }
    co_await db.listen("obs_channel");
    EXPECT_TRUE(db.remove_observer(watch));
    EXPECT_FALSE(db.remove_observer(watch));
    (void)co_await db.scalar<int>("SELECT 1");  // unobserved
  });
  const std::vector<seen> ends = watch->ends();
  ASSERT_EQ(kinds(ends), "connect execute execute query query query execute execute commit rollback execute");
  EXPECT_FALSE(ends[0].failed);
  EXPECT_EQ(ends[0].query_text, "");
  EXPECT_GT(ends[0].backend_pid, 0) << "the connect's end knows the server";
  const seen& create = ends[1];
  EXPECT_EQ(create.operation_name, "CREATE");
  const seen& insert = ends[2];
  EXPECT_EQ(insert.query_text, "INSERT INTO obs_items VALUES ($1, $2), ($3, $4)");
  EXPECT_EQ(insert.operation_name, "INSERT");
  EXPECT_EQ(insert.collection_name, "obs_items");
  EXPECT_EQ(insert.rows, 2);
  EXPECT_EQ(insert.batch_size, 1u);
  EXPECT_TRUE(insert.parameters.empty()) << "values only for an observer that asked for them";
  EXPECT_EQ(insert.backend_pid, ends[0].backend_pid);
  EXPECT_EQ(insert.server_port, ends[0].server_port);
  EXPECT_FALSE(insert.database_name.empty());
  EXPECT_EQ(ends[3].rows, 2);
  EXPECT_EQ(ends[3].collection_name, "obs_items");
  EXPECT_TRUE(ends[4].prepared);
  EXPECT_FALSE(ends[4].cache_hit);
  EXPECT_TRUE(ends[5].prepared);
  EXPECT_TRUE(ends[5].cache_hit);
  EXPECT_EQ(ends[5].rows, 2);
  const seen& duplicate = ends[6];
  EXPECT_TRUE(duplicate.failed);
  EXPECT_EQ(duplicate.sqlstate, "23505");
  EXPECT_EQ(duplicate.error_type, "pgwrap::unique_violation");
  EXPECT_EQ(duplicate.rows, -1);
  EXPECT_EQ(ends[7].operation_name, "UPDATE");
  EXPECT_EQ(ends[7].rows, 1);
  EXPECT_EQ(ends[8].query_text, "COMMIT");
  EXPECT_EQ(ends[9].query_text, "ROLLBACK");
  EXPECT_EQ(ends[10].query_text, "LISTEN \"obs_channel\"");
  EXPECT_EQ(ends[10].operation_name, "LISTEN");
  for (const seen& e : ends) {
    EXPECT_GE(e.queued.count(), 0) << to_string(e.kind);
    EXPECT_GT(e.wire.count(), 0) << to_string(e.kind);
  }
}

// Calls behind others wait in pgwrap's queue: with one statement in flight
// at a time, the third of three 50 ms sleeps waits for the first two, and
// that wait is its `queued` time, not its `wire` time.
TEST_F(observers, QueuedTimeIsTheWaitBehindOtherCalls) {
  auto watch = std::make_shared<recorder>();
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn(), pgwrap::async_options{.max_in_flight = 1});
    co_await db.connect();
    db.add_observer(watch);
    wait_group group(ex);
    for (int i = 0; i < 3; ++i) {
      group.spawn([&db, i]() -> net::awaitable<void> { (void)co_await db.execute("SELECT pg_sleep(0.05), %s", i); });
    }
    co_await group.wait();
  });
  const std::vector<seen> ends = watch->ends();
  ASSERT_EQ(kinds(ends), "execute execute execute");
  // Answers come in order; the last waited for two sleeps before it was sent.
  EXPECT_GE(ends[2].queued, 100ms);
  EXPECT_GE(ends[2].wire, 50ms);
  EXPECT_LT(ends[0].queued, ends[2].queued);
}

// A connection lost while idle is opened again by the next call: observers
// see a reconnect, on a new backend.
TEST_F(observers, ReconnectAfterTheBackendIsTerminated) {
  auto watch = std::make_shared<recorder>();
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    pgwrap::async_database watcher(ex, schema_dsn());
    db.add_observer(watch);
    const int pid = co_await db.scalar<int>("SELECT pg_backend_pid()");
    EXPECT_TRUE(admin.scalar<bool>("SELECT pg_terminate_backend(%s)", pid));
    const bool gone = co_await eventually([&]() -> net::awaitable<bool> {
      const auto n = co_await watcher.scalar<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", pid);
      co_return n == 0;
    });
    EXPECT_TRUE(gone);
    int again = 0;
    for (int attempt = 0; attempt < 2 && again == 0; ++attempt) {  // the loss may show on the first call
      try {
        again = co_await db.scalar<int>("SELECT pg_backend_pid()");
      } catch (const pgwrap::connection_error&) {
      }
    }
    EXPECT_NE(again, 0);
    EXPECT_NE(again, pid);
  });
  const std::string sequence = kinds(watch->ends());
  EXPECT_TRUE(sequence == "connect query reconnect query" || sequence == "connect query query reconnect query")
      << sequence;
  const seen last = watch->ends().back();
  EXPECT_FALSE(last.failed);
  EXPECT_NE(last.backend_pid, watch->ends().front().backend_pid);
}

// An async_pool's observer sees its events, with waits and counts, and
// every operation on the connections it lends.
TEST_F(observers, AsyncPoolEventsAndCounters) {
  auto watch = std::make_shared<recorder>();
  pgwrap::pool_stats after{};
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_pool p(ex, schema_dsn(), pgwrap::pool_options{.max_size = 1, .wait_timeout = 50ms});
    p.add_observer(watch);
    {
      auto c = co_await p.acquire();
      const int seven = co_await c->scalar<int>("SELECT %s::int", 7);
      EXPECT_EQ(seven, 7);
      try {
        auto second = co_await p.acquire();  // the only connection is out
        ADD_FAILURE() << "a second connection from a pool of one";
      } catch (const pgwrap::pool_timeout&) {
      }
    }
    {
      auto c = co_await p.acquire();  // the same one, back from the pool
      (void)co_await c->execute("SELECT 1");
    }
    after = p.stats();
    EXPECT_TRUE(p.remove_observer(watch));
  });
  EXPECT_EQ(kinds(watch->ends()), "connect query execute") << "the lent database's operations";
  EXPECT_EQ(kinds(watch->pool_events()), "connection_opened acquired timed_out released acquired released");
  const std::vector<pool_event> events = watch->pool_events();
  EXPECT_GE(events[2].wait, 50ms) << "the timeout waited its wait_timeout";
  EXPECT_EQ(events[1].max_size, 1u);
  EXPECT_EQ(events[1].in_use, 1u);
  EXPECT_GT(events[3].use, std::chrono::nanoseconds(0));
  EXPECT_EQ(after.acquires, 2u);
  EXPECT_EQ(after.timeouts, 1u);
  EXPECT_EQ(after.connections_opened, 1u);
  EXPECT_EQ(after.connections_closed, 0u);
  EXPECT_GE(after.total_wait, events[1].wait + events[4].wait);
  EXPECT_GT(after.total_use, std::chrono::nanoseconds(0));
}

}  // namespace
}  // namespace pgwrap::test
