// pgwrap::pool: checkout and return, the size limit, wait timeouts, the
// session reset, the health check of idle connections, and threads.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "recording_observer.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;

class pool_test : public db_test {
 protected:
  void SetUp() override {
    db_test::SetUp();
    if (schema.empty()) return;  // skipped
    app_name = "pgwrap_pool_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  }

  /// This test's schema DSN, its connections named `app_name` on the server.
  std::string pool_dsn() const {
    const std::string base = schema_dsn();
    if (base.find("://") != std::string::npos) return base + "&application_name=" + app_name;
    return base + " application_name=" + app_name;
  }

  pool_options options(std::size_t max_size) const {
    pool_options o;
    o.max_size = max_size;
    return o;
  }

  std::int64_t server_connections() {
    return admin.scalar<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", app_name);
  }

  static int pid_of(database& db) { return db.scalar<int>("SELECT pg_backend_pid()"); }

  std::string app_name;
  static inline int counter = 0;
};

TEST_F(pool_test, AcquireHandsOutAConnectionAndTheHandleReturnsIt) {
  pool p(pool_dsn(), options(2));
  EXPECT_EQ(p.stats().size, 0U);  // nothing opened before it is needed
  int first_pid = 0;
  {
    pooled_connection c = p.acquire();
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->is_connected());
    first_pid = pid_of(*c);
    const pool_stats s = p.stats();
    EXPECT_EQ(s.max_size, 2U);
    EXPECT_EQ(s.size, 1U);
    EXPECT_EQ(s.in_use, 1U);
    EXPECT_EQ(s.idle, 0U);
  }
  const pool_stats s = p.stats();
  EXPECT_EQ(s.size, 1U);
  EXPECT_EQ(s.idle, 1U);
  EXPECT_EQ(s.in_use, 0U);

  pooled_connection again = p.acquire();
  EXPECT_EQ(pid_of(*again), first_pid);  // the same connection, reused
  EXPECT_EQ(server_connections(), 1);
}

TEST_F(pool_test, HandlesMoveReleaseAndDiscard) {
  pool p(pool_dsn(), options(2));
  pooled_connection empty;
  EXPECT_FALSE(empty);
  EXPECT_THROW((void)*empty, usage_error);
  EXPECT_THROW((void)empty->is_connected(), usage_error);

  pooled_connection a = p.acquire();
  database& held = *a;
  const int pid = pid_of(held);
  pooled_connection b = std::move(a);
  EXPECT_FALSE(a);        // NOLINT(bugprone-use-after-move): moved from on purpose
  EXPECT_EQ(&*b, &held);  // references stay valid across moves of the handle
  EXPECT_EQ(pid_of(*b), pid);

  b.release();
  EXPECT_FALSE(b);
  EXPECT_EQ(p.stats().idle, 1U);
  b.release();  // twice is fine

  pooled_connection c = p.acquire();
  EXPECT_EQ(pid_of(*c), pid);
  c.discard();  // closed, not returned
  EXPECT_FALSE(c);
  EXPECT_EQ(p.stats().size, 0U);
  EXPECT_TRUE(wait_until_backend_gone(admin, pid));

  pooled_connection d = p.acquire();
  pooled_connection e = p.acquire();
  EXPECT_EQ(p.stats().in_use, 2U);
  d = std::move(e);  // d's connection goes back first
  EXPECT_EQ(p.stats().in_use, 1U);
  EXPECT_EQ(p.stats().idle, 1U);
}

TEST_F(pool_test, BadOptionsAreRefused) {
  EXPECT_THROW(pool(pool_dsn(), options(0)), usage_error);
  pool_options o = options(1);
  o.wait_timeout = -1ms;
  EXPECT_THROW(pool(pool_dsn(), o), usage_error);
  pool p(pool_dsn(), options(1));
  EXPECT_THROW((void)p.acquire(-5ms), usage_error);
}

TEST_F(pool_test, ConnectFailureIsAConnectionErrorAndFreesTheRoom) {
  pool p("host=/nonexistent/pgwrap-socket-dir dbname=x", options(1));
  EXPECT_THROW((void)p.acquire(), connection_error);
  EXPECT_EQ(p.stats().size, 0U);
  EXPECT_THROW((void)p.acquire(0ms), connection_error);  // room again, not a timeout
}

TEST_F(pool_test, WaitTimeoutThrowsPoolTimeout) {
  pool p(pool_dsn(), {.max_size = 1, .wait_timeout = 50ms});  // as docs/pool.md writes it
  pooled_connection held = p.acquire();
  try {
    (void)p.acquire();
    FAIL() << "acquire() should have timed out";
  } catch (const pool_timeout& e) {
    EXPECT_EQ(e.max_size(), 1U);
    EXPECT_EQ(e.waited(), 50ms);
    EXPECT_EQ(std::string(e.what()),
              "pool: no connection came free within 50 ms; all 1 connections (max_size) are in use");
  }
  EXPECT_THROW((void)p.acquire(0ms), pool_timeout);
  EXPECT_THROW((void)p.acquire(10ms), error);  // pool_timeout is a pgwrap::error
  EXPECT_EQ(p.stats().waiting, 0U);

  held.release();
  pooled_connection now = p.acquire(0ms);
  EXPECT_TRUE(now);
}

TEST_F(pool_test, AWaiterGetsTheConnectionThatComesBack) {
  pool p(pool_dsn(), options(1));
  pooled_connection held = p.acquire();
  const int pid = pid_of(*held);
  std::atomic<int> waiter_pid{0};
  std::thread waiter([&] {
    pooled_connection c = p.acquire(60s);
    waiter_pid = pid_of(*c);
  });
  // Until the waiter is blocked in acquire(); bounded, so a waiter that never
  // gets there fails the test instead of hanging it. No ASSERT: the thread must still be joined.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (p.stats().waiting == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(p.stats().waiting, 1U) << "the waiter did not block in acquire() within 20 s";
  EXPECT_EQ(waiter_pid.load(), 0);
  held.release();
  waiter.join();
  EXPECT_EQ(waiter_pid.load(), pid);
}

TEST_F(pool_test, MaxSizeIsRespectedUnderContention) {
  constexpr std::size_t max_size = 3;
  pool_options o = options(max_size);
  o.autocommit = true;
  pool p(pool_dsn(), o);
  std::atomic<int> held{0};
  std::atomic<int> most_held{0};
  std::atomic<std::int64_t> most_on_server{0};
  std::mutex pids_mutex;
  std::set<int> pids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        pooled_connection c = p.acquire(60s);
        const int now = ++held;
        int seen = most_held.load();
        while (now > seen && !most_held.compare_exchange_weak(seen, now)) {
        }
        const auto [pid, on_server] = c->queryone<int, std::int64_t>(
                                           "SELECT pg_backend_pid(), (SELECT count(*) FROM pg_stat_activity "
                                           "WHERE application_name = current_setting('application_name'))")
                                          .value();
        std::int64_t most = most_on_server.load();
        while (on_server > most && !most_on_server.compare_exchange_weak(most, on_server)) {
        }
        {
          const std::lock_guard lock(pids_mutex);
          pids.insert(pid);
        }
        EXPECT_LE(p.stats().size, max_size);
        --held;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(most_held.load(), static_cast<int>(max_size));
  EXPECT_GE(most_held.load(), 1);
  EXPECT_LE(most_on_server.load(), static_cast<std::int64_t>(max_size));
  EXPECT_LE(pids.size(), max_size);
  EXPECT_LE(server_connections(), static_cast<std::int64_t>(max_size));
  EXPECT_EQ(p.stats().in_use, 0U);
}

TEST_F(pool_test, SessionStateDoesNotLeakToTheNextUser) {
  database fresh(pool_dsn());
  fresh.set_autocommit(true);
  const auto fresh_work_mem = fresh.scalar<std::string>("SHOW work_mem");
  const auto fresh_timeout = fresh.scalar<std::string>("SHOW statement_timeout");
  const auto fresh_date_style = fresh.scalar<std::string>("SHOW DateStyle");
  fresh.close();

  pool p(pool_dsn(), options(1));
  std::atomic<int> notices{0};
  int pid = 0;
  {
    pooled_connection c = p.acquire();
    pid = pid_of(*c);
    c->rollback();
    c->set_autocommit(true);
    c->set_statement_timeout(4321ms);
    c->set_statement_cache_size(3);
    c->on_notice([&](std::string_view) { ++notices; });
    c->execute("SET work_mem = '7MB'");
    c->execute("SET search_path = pg_catalog");
    c->execute("SET DateStyle = 'German'");
    c->execute("SET application_name = 'changed'");
    c->execute("CREATE TEMP TABLE scratch (id int)");
    c->execute("SELECT pg_advisory_lock(4242)");
    c->execute("LISTEN pgwrap_pool_channel");
    (void)c->query<int>("SELECT 1");  // a prepared statement
    c->execute("PREPARE mine AS SELECT 2");
    c->execute("DO $$ BEGIN RAISE NOTICE 'hello'; END $$");
    EXPECT_EQ(notices.load(), 1);
  }
  pooled_connection c = p.acquire();
  // Untyped, so not prepared itself: counts what the first user left.
  EXPECT_EQ(c->query("SELECT count(*)::int AS n FROM pg_prepared_statements")[0]["n"].as<int>(), 0);
  ASSERT_EQ(pid_of(*c), pid);  // the same session, reset
  EXPECT_FALSE(c->autocommit());
  EXPECT_EQ(c->statement_timeout(), 0ms);
  EXPECT_EQ(c->statement_cache_size(), 100U);
  EXPECT_EQ(c->scalar<std::string>("SHOW statement_timeout"), fresh_timeout);
  EXPECT_EQ(c->scalar<std::string>("SHOW work_mem"), fresh_work_mem);
  EXPECT_EQ(c->scalar<std::string>("SHOW DateStyle"), fresh_date_style);
  EXPECT_EQ(c->scalar<std::string>("SHOW search_path"), schema);  // from the conninfo, as at connect time
  EXPECT_EQ(c->scalar<std::string>("SHOW application_name"), app_name);
  EXPECT_FALSE(c->scalar<std::optional<std::string>>("SELECT to_regclass('pg_temp.scratch')::text"));
  EXPECT_EQ(c->scalar<std::int64_t>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %s", pid), 0);
  EXPECT_EQ(c->scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()"), 0);
  c->execute("DO $$ BEGIN RAISE NOTICE 'hello again'; END $$");
  EXPECT_EQ(notices.load(), 1);  // the first user's handler is gone
  EXPECT_EQ(c->scalar<int>("SELECT 7"), 7);
  EXPECT_EQ(c->query<int>("SELECT 1")[0], std::tuple<int>(1));  // prepared again, after DISCARD ALL
}

TEST_F(pool_test, ThePoolsSettingsAreWhatEachUserStartsWith) {
  pool_options o = options(1);
  o.autocommit = true;
  o.statement_timeout = 2500ms;
  o.statement_cache_size = 0;
  std::atomic<int> notices{0};
  o.on_notice = [&](std::string_view) { ++notices; };
  pool p(pool_dsn(), o);
  for (int round = 0; round < 2; ++round) {
    pooled_connection c = p.acquire();
    EXPECT_TRUE(c->autocommit());
    EXPECT_EQ(c->statement_timeout(), 2500ms);
    EXPECT_EQ(c->statement_cache_size(), 0U);
    EXPECT_EQ(c->scalar<std::string>("SHOW statement_timeout"), "2500ms");
    c->execute("DO $$ BEGIN RAISE NOTICE 'n'; END $$");
    EXPECT_EQ(notices.load(), round + 1);
    c->set_autocommit(false);
    c->set_statement_timeout(0ms);
    c->set_statement_cache_size(10);
    c->on_notice(nullptr);
  }
}

TEST_F(pool_test, AnOpenTransactionIsRolledBackOnReturn) {
  admin.execute(runtime_sql("CREATE TABLE " + quote_identifier(schema) + ".items (id int PRIMARY KEY)"));
  pool p(pool_dsn(), options(1));
  {
    pooled_connection c = p.acquire();
    c->execute("INSERT INTO items VALUES (1)");  // begins the implicit transaction, never committed
    EXPECT_TRUE(c->in_transaction());
  }
  {
    pooled_connection c = p.acquire();
    EXPECT_FALSE(c->in_transaction());
    EXPECT_EQ(c->scalar<std::int64_t>("SELECT count(*) FROM items"), 0);
    c->rollback();
  }
  {
    pooled_connection c = p.acquire();
    c->execute("INSERT INTO items VALUES (2)");
    EXPECT_THROW(c->execute("INSERT INTO items VALUES (2)"), unique_violation);  // the transaction is aborted
  }
  {
    pooled_connection c = p.acquire();
    EXPECT_EQ(c->scalar<std::int64_t>("SELECT count(*) FROM items"), 0);
    c->execute("INSERT INTO items VALUES (3)");
    c->commit();
  }
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".items")), 1);
  EXPECT_EQ(p.stats().size, 1U);  // the same connection throughout
}

TEST_F(pool_test, KeepPreparedKeepsStatementsButResetsTheRest) {
  pool_options o = options(1);
  o.reset = session_reset::keep_prepared;
  pool p(pool_dsn(), o);
  {
    pooled_connection c = p.acquire();
    c->execute("CREATE TEMP TABLE scratch (id int)");  // (DDL makes pgwrap forget what it prepared before)
    c->execute("SET work_mem = '7MB'");
    EXPECT_EQ(c->query<int>("SELECT 41 + %s", 1)[0], std::tuple<int>(42));
  }
  pooled_connection c = p.acquire();
  // Untyped queries (run fewer than 5 times) are not prepared: the count is the first user's.
  const auto prepared = [&] {
    return c->query("SELECT count(*)::int AS n FROM pg_prepared_statements")[0]["n"].as<int>();
  };
  EXPECT_EQ(prepared(), 1);
  EXPECT_EQ(c->query<int>("SELECT 41 + %s", 1)[0], std::tuple<int>(42));  // the cached statement works
  EXPECT_EQ(prepared(), 1);                                               // and was not prepared again
  EXPECT_FALSE(c->scalar<std::optional<std::string>>("SELECT to_regclass('pg_temp.scratch')::text"));
  EXPECT_NE(c->scalar<std::string>("SHOW work_mem"), "7MB");
}

TEST_F(pool_test, IdleConnectionsKilledByTheServerAreNeverHandedOut) {
  for (const auto ping_after_idle : {std::chrono::milliseconds(24h), std::chrono::milliseconds(0)}) {
    pool_options o = options(3);
    o.ping_after_idle = ping_after_idle;
    pool p(pool_dsn(), o);
    std::vector<int> old_pids;
    {
      std::vector<pooled_connection> all;
      for (int i = 0; i < 3; ++i) all.push_back(p.acquire());
      for (pooled_connection& c : all) old_pids.push_back(pid_of(*c));
    }
    ASSERT_EQ(p.stats().idle, 3U);
    // Every idle connection of this pool, found by its application_name.
    const auto killed = admin.query<int>("SELECT pid FROM pg_stat_activity WHERE application_name = %s", app_name);
    ASSERT_EQ(killed.size(), 3U);
    for (const auto [pid] : killed) terminate_backend(admin, pid);

    for (int i = 0; i < 3; ++i) {
      pooled_connection c = p.acquire();  // each must work at once: no connection_error
      // The check dropped all three dead ones before handing out a new one. (A
      // database would also reconnect on its own before its first statement, so
      // the pool's size is what shows the pool's own check.)
      EXPECT_EQ(p.stats().size, 1U);
      const int pid = pid_of(*c);
      EXPECT_EQ(std::count(old_pids.begin(), old_pids.end(), pid), 0);
      c->commit();
    }
    EXPECT_EQ(p.stats().size, 1U);  // the dead ones were dropped, one new one opened
  }
}

TEST_F(pool_test, AConnectionLostWhileCheckedOutIsNotReturned) {
  pool p(pool_dsn(), options(1));
  int pid = 0;
  {
    pooled_connection c = p.acquire();
    pid = pid_of(*c);
    terminate_backend(admin, pid);
    EXPECT_THROW(c->execute("SELECT 1"), connection_error);  // lost inside the implicit transaction
  }
  EXPECT_EQ(p.stats().size, 0U);
  pooled_connection c = p.acquire();
  EXPECT_NE(pid_of(*c), pid);
}

TEST_F(pool_test, AClosedOrRedirectedConnectionIsNotReturned) {
  pool p(pool_dsn(), options(1));
  {
    pooled_connection c = p.acquire();
    c->close();
  }
  EXPECT_EQ(p.stats().size, 0U);
  {
    pooled_connection c = p.acquire();
    c->connect(dsn());  // somewhere else: not this pool's connection any more
  }
  EXPECT_EQ(p.stats().size, 0U);
  {
    pooled_connection c = p.acquire();
    database taken = std::move(*c);  // moved out of the handle
    EXPECT_EQ(taken.scalar<std::string>("SHOW application_name"), app_name);
  }
  EXPECT_EQ(p.stats().size, 0U);
  pooled_connection c = p.acquire();
  EXPECT_EQ(c->scalar<int>("SELECT 1"), 1);
}

TEST_F(pool_test, ATransactionGuardOutlivingItsHandleIsSafe) {
  admin.execute(runtime_sql("CREATE TABLE " + quote_identifier(schema) + ".items (id int PRIMARY KEY)"));
  pool p(pool_dsn(), options(1));
  std::optional<transaction> tx;
  {
    pooled_connection c = p.acquire();
    tx.emplace(*c);
    c->execute("INSERT INTO items VALUES (1)");
  }  // the handle goes first: its connection is closed, never reused
  EXPECT_EQ(p.stats().size, 0U);
  tx.reset();  // its rollback finds a closed database, nothing else
  pooled_connection c = p.acquire();
  EXPECT_EQ(c->scalar<std::int64_t>("SELECT count(*) FROM items"), 0);
}

TEST_F(pool_test, AStreamOutlivingItsHandleStopsInsteadOfReadingAnotherSession) {
  pool p(pool_dsn(), options(1));
  std::optional<row_stream> rows;
  {
    pooled_connection c = p.acquire();
    c->set_stream_batch_size(5);
    rows.emplace(c->stream("SELECT g FROM generate_series(1, 20) g"));
  }
  pooled_connection c = p.acquire();  // the same connection, reset
  EXPECT_EQ(c->stream_batch_size(), 1'000U);
  int read = 0;
  EXPECT_THROW(
      {
        for (auto row : *rows) read += row[0].as<int>() > 0 ? 1 : 0;
      },
      connection_error);
  EXPECT_EQ(read, 5);  // the first batch, fetched before the handle went
  EXPECT_EQ(c->scalar<int>("SELECT 3"), 3);
}

TEST_F(pool_test, AHandleMayOutliveItsPool) {
  std::optional<pool> p(std::in_place, pool_dsn(), options(2));
  pooled_connection kept = p->acquire();
  { pooled_connection returned = p->acquire(); }
  EXPECT_EQ(p->stats().idle, 1U);
  p.reset();  // closes the idle connection
  EXPECT_EQ(kept->scalar<int>("SELECT 5"), 5);
  // A closed connection's backend exits a moment after the client hangs up.
  const auto settle_at = [&](int count) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (server_connections() > count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    return server_connections();
  };
  EXPECT_EQ(settle_at(1), 1);
  kept.release();  // no pool to go back to: closed
  EXPECT_FALSE(kept);
  EXPECT_EQ(settle_at(0), 0);
}

TEST_F(pool_test, ManyThreadsShareThePool) {
  admin.execute(
      runtime_sql("CREATE TABLE " + quote_identifier(schema) + ".hits (thread int, n int, PRIMARY KEY (thread, n))"));
  pool p(pool_dsn(), options(4));
  constexpr int threads_count = 8;
  constexpr int per_thread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_count; ++t) {
    threads.emplace_back([&p, t] {
      for (int n = 0; n < per_thread; ++n) {
        pooled_connection c = p.acquire(60s);
        if (n % 2 == 0) {
          c->insert("hits", {{"thread", t}, {"n", n}});
          c->commit();
        } else {
          transaction tx(*c);
          c->execute("INSERT INTO hits VALUES (%s, %s)", t, n);
          tx.commit();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".hits")),
            threads_count * per_thread);
  EXPECT_LE(p.stats().size, 4U);
}

// A pool's observer sees its events in order, with waits, uses and counts,
// and every operation on the connections it lends; pool_stats counts them.
TEST_F(pool_test, ObserversSeeThePoolsEventsAndItsConnectionsOperations) {
  auto watch = std::make_shared<recorder>();
  pool_options o = options(1);
  o.wait_timeout = 50ms;
  pool p(pool_dsn(), o);
  p.add_observer(watch);
  EXPECT_THROW(p.add_observer(watch), usage_error);
  {
    pooled_connection c = p.acquire();
    EXPECT_EQ(c->scalar<int>("SELECT %s::int", 7), 7);
    EXPECT_THROW((void)p.acquire(), pool_timeout);
  }
  {
    pooled_connection c = p.acquire();
    c.discard();  // closed, not returned
  }
  {
    pooled_connection c = p.acquire();  // a new one
    c->commit();
  }
  const pool_stats after = p.stats();
  EXPECT_TRUE(p.remove_observer(watch));
  EXPECT_FALSE(p.remove_observer(watch));
  { pooled_connection unobserved = p.acquire(); }

  // (scalar<int> is a typed read: its first use prepares in a round trip of its own.)
  EXPECT_EQ(kinds(watch->ends()), "connect prepare query connect commit");
  EXPECT_EQ(kinds(watch->pool_events()),
            "connection_opened acquired timed_out released acquired released connection_closed "
            "connection_opened acquired released");
  const std::vector<pool_event> events = watch->pool_events();
  EXPECT_GE(events[2].wait, 50ms) << "the timeout waited its wait_timeout";
  EXPECT_EQ(events[1].max_size, 1U);
  EXPECT_EQ(events[1].in_use, 1U);
  EXPECT_EQ(events[1].idle, 0U);
  EXPECT_GT(events[3].use, std::chrono::nanoseconds(0));
  EXPECT_EQ(events[6].reason, close_reason::discarded);
  EXPECT_EQ(events[9].idle, 1U) << "kept: back among the idle";
  EXPECT_EQ(after.acquires, 3U);
  EXPECT_EQ(after.timeouts, 1U);
  EXPECT_EQ(after.connections_opened, 2U);
  EXPECT_EQ(after.connections_closed, 1U);
  EXPECT_GE(after.total_wait, events[2].wait) << "a timed-out wait counts too";
  EXPECT_GT(after.total_use, std::chrono::nanoseconds(0));
}

// Idle connections the server ended are closed as failed_check; the pool's
// end closes the rest as pool_closed; a process-wide observer hears both.
TEST_F(pool_test, ObserversHearWhyConnectionsClose) {
  auto watch = std::make_shared<recorder>();
  std::optional<global_observer> installed;  // below, after the pool's start; removed at the end
  {
    pool p(pool_dsn(), options(2));
    {
      pooled_connection a = p.acquire();
      pooled_connection b = p.acquire();
    }
    const auto pids = admin.query<int>("SELECT pid FROM pg_stat_activity WHERE application_name = %s", app_name);
    ASSERT_EQ(pids.size(), 2U);
    terminate_backend(admin, std::get<0>(pids[0]));
    installed.emplace(watch);
    {
      pooled_connection c = p.acquire();
      EXPECT_EQ(c->scalar<int>("SELECT 1"), 1);
    }
    const pool_stats s = p.stats();
    EXPECT_EQ(s.connections_closed, 1U);
    EXPECT_EQ(s.connections_opened, 2U);
    std::vector<pool_event> events = watch->pool_events();
    // The most recently returned goes first: the dead one may be the first
    // or the second tried.
    std::size_t failed_checks = 0;
    for (const pool_event& e : events) {
      if (e.what == pool_event::kind::connection_closed) {
        EXPECT_EQ(e.reason, close_reason::failed_check);
        ++failed_checks;
      }
    }
    EXPECT_EQ(failed_checks, 1U) << kinds(events);
    watch->clear();
  }
  EXPECT_EQ(kinds(watch->pool_events()), "connection_closed");
  ASSERT_EQ(watch->pool_events().size(), 1U);
  EXPECT_EQ(watch->pool_events()[0].reason, close_reason::pool_closed);
}

}  // namespace
}  // namespace pgwrap::test
