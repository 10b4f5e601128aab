// Many coroutines on ONE async_database: every result reaches the coroutine
// that asked for it, statements really go out pipelined, an error fails
// only its own caller, max_in_flight bounds what is on the wire, and a
// typed statement run by many coroutines at once is prepared only once.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using routing = async_test;

/// Samples db.in_flight() and db.queued() each time the loop comes round to
/// it, until `stop` is set (a one-thread io_context).
struct load_sampler {
  std::size_t most_in_flight = 0;
  std::size_t most_queued = 0;
  std::size_t samples = 0;
  bool stop = false;

  net::awaitable<void> run(const pgwrap::async_database& db) {
    const auto ex = co_await net::this_coro::executor;
    while (!stop) {
      most_in_flight = std::max(most_in_flight, db.in_flight());
      most_queued = std::max(most_queued, db.queued());
      ++samples;
      co_await net::post(ex, net::use_awaitable);
    }
  }
};

// 1,000 coroutines x 100 statements on one connection. Each result is
// unique to its caller and sequence number, so a result handed to the
// wrong coroutine, lost or duplicated cannot go unnoticed. Pipelining is
// shown by in_flight() > 1 seen as results come in. (PGWRAP_ASYNC_ROUTING_CALLERS
// scales the callers down for slow sanitizer runs; the default is the full
// 1,000.)
TEST_F(routing, EveryOneOfAHundredThousandResultsReachesItsCaller) {
  const int callers = env_int("PGWRAP_ASYNC_ROUTING_CALLERS", 1000);
  constexpr int per_caller = 100;
  std::int64_t right = 0;
  std::int64_t wrong = 0;
  std::size_t most_in_flight = 0;
  std::vector<int> done_per_caller(static_cast<std::size_t>(callers), 0);
  run_async(
      [&]() -> net::awaitable<void> {
        const auto ex = co_await net::this_coro::executor;
        pgwrap::async_database db(ex, schema_dsn());
        co_await db.connect();
        wait_group group(ex);
        for (int caller = 0; caller < callers; ++caller) {
          group.spawn([&, caller]() -> net::awaitable<void> {
            for (int seq = 0; seq < per_caller; ++seq) {
              const std::int64_t got = co_await db.scalar<std::int64_t>("SELECT %s::int8 * 1000 + %s", caller, seq);
              if (got == std::int64_t{caller} * 1000 + seq) {
                ++right;
              } else if (++wrong <= 5) {
                ADD_FAILURE() << "caller " << caller << " statement " << seq << " got " << got;
              }
              most_in_flight = std::max(most_in_flight, db.in_flight());
              ++done_per_caller[static_cast<std::size_t>(caller)];
            }
          });
        }
        co_await group.wait();
      },
      std::chrono::seconds(120));
  EXPECT_EQ(right, std::int64_t{callers} * per_caller);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(std::count(done_per_caller.begin(), done_per_caller.end(), per_caller), callers);
  EXPECT_GT(most_in_flight, 1u) << "statements were never pipelined";
  RecordProperty("most_in_flight", static_cast<int>(most_in_flight));
}

// Every 7th statement divides by zero: exactly those callers get the error
// (data_exception, SQLSTATE 22012; pgwrap has no division_by_zero class),
// every other statement, before and after them in the same pipeline,
// succeeds with its own value.
TEST_F(routing, AnErrorFailsOnlyItsOwnCaller) {
  constexpr int callers = 200;
  constexpr int per_caller = 35;
  int right = 0;
  int divided_by_zero = 0;
  int misrouted = 0;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    wait_group group(ex);
    for (int caller = 0; caller < callers; ++caller) {
      group.spawn([&, caller]() -> net::awaitable<void> {
        for (int seq = 0; seq < per_caller; ++seq) {
          const bool fails = (caller * per_caller + seq) % 7 == 6;
          const std::int64_t expected = std::int64_t{caller} * 1000 + seq;
          try {
            const std::int64_t got =
                co_await db.scalar<std::int64_t>("SELECT (%s::int8 * 1000 + %s) / %s", caller, seq, fails ? 0 : 1);
            if (!fails && got == expected) {
              ++right;
            } else if (++misrouted <= 5) {
              ADD_FAILURE() << "caller " << caller << " statement " << seq << " got " << got
                            << (fails ? " instead of division_by_zero" : "");
            }
          } catch (const pgwrap::data_exception& e) {
            if (fails && e.sqlstate() == "22012") {
              ++divided_by_zero;
            } else if (++misrouted <= 5) {
              ADD_FAILURE() << "caller " << caller << " statement " << seq << " threw " << describe(e);
            }
          } catch (const std::exception& e) {
            if (++misrouted <= 5)
              ADD_FAILURE() << "caller " << caller << " statement " << seq << " threw " << describe(e);
          }
        }
      });
    }
    co_await group.wait();
    const int alive = co_await db.scalar<int>("SELECT 1");
    EXPECT_EQ(alive, 1);
  });
  constexpr int total = callers * per_caller;
  EXPECT_EQ(divided_by_zero, total / 7);
  EXPECT_EQ(right, total - total / 7);
  EXPECT_EQ(misrouted, 0);
}

// max_in_flight = 8: of 200 statements fired at once, never more than 8
// are on the wire (sampled every time round the loop), the rest wait in
// the queue, and all of them succeed.
TEST_F(routing, MaxInFlightBoundsTheStatementsOnTheWire) {
  constexpr int statements = 200;
  int right = 0;
  load_sampler sampler;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn(), pgwrap::async_options{.max_in_flight = 8});
    co_await db.connect();
    wait_group sampling(ex);
    sampling.spawn([&]() -> net::awaitable<void> { co_await sampler.run(db); });
    wait_group group(ex);
    for (int i = 0; i < statements; ++i) {
      group.spawn([&, i]() -> net::awaitable<void> {
        const int got = co_await db.scalar<int>("SELECT %s::int + 1", i);
        if (got == i + 1) ++right;
        sampler.most_in_flight = std::max(sampler.most_in_flight, db.in_flight());
      });
    }
    co_await group.wait();
    sampler.stop = true;
    co_await sampling.wait();
  });
  EXPECT_EQ(right, statements);
  EXPECT_LE(sampler.most_in_flight, 8u);
  EXPECT_GT(sampler.most_in_flight, 1u) << "statements were never pipelined";
  EXPECT_GT(sampler.most_queued, 0u) << "nothing ever waited in the queue";
  RecordProperty("most_in_flight", static_cast<int>(sampler.most_in_flight));
  RecordProperty("most_queued", static_cast<int>(sampler.most_queued));
  RecordProperty("samples", static_cast<int>(sampler.samples));
}

// Many coroutines run the same typed statement at once; the session ends up
// with exactly one prepared statement for that SQL (pg_prepared_statements
// is per session, so it is asked through the same async_database, with the
// pattern as a parameter so that the asking statement does not match).
TEST_F(routing, ATypedStatementRunByManyAtOnceIsPreparedOnce) {
  constexpr int callers = 100;
  int right = 0;
  std::int64_t prepared = -1;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    EXPECT_EQ(db.options().statement_cache_size, 100u);
    co_await db.connect();
    wait_group group(ex);
    for (int i = 0; i < callers; ++i) {
      group.spawn([&, i]() -> net::awaitable<void> {
        const auto rows = co_await db.query<int>("SELECT %s::int * 2 AS prepared_once_probe", i);
        if (rows.size() == 1 && std::get<0>(rows[0]) == i * 2) ++right;
      });
    }
    co_await group.wait();
    const pgwrap::result count =
        co_await db.query("SELECT count(*) FROM pg_prepared_statements WHERE strpos(statement, %s) > 0",
                          std::string("prepared_once_probe"));
    prepared = count[0][0].as<std::int64_t>();
  });
  EXPECT_EQ(right, callers);
  EXPECT_EQ(prepared, 1) << "the statement should be prepared exactly once in the session";
}

}  // namespace
}  // namespace pgwrap::test
