// Many coroutines sharing one pgwrap::async_database: the statements they
// await at the same time go out pipelined on its one connection. Runs 20,000
// point lookups one at a time, then from 200 coroutines at once, checks every
// answer and prints the speed-up. Connects to DATABASE_URL, else libpq's PG*
// variables; works in a temporary table.
#include <pgwrap/asio.hpp>

#if PGWRAP_ASIO_BOOST
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#else
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace net = pgwrap::net;  // standalone Asio or Boost.Asio, as pgwrap was built

constexpr int lookups = 20'000;
constexpr int coroutines = 200;
constexpr int items = 1'000;

// Lookups number first, first + step, ... below `lookups`; counts wrong answers.
net::awaitable<void> look_up(pgwrap::async_database& db, int first, int step, int& wrong) {
  for (int i = first; i < lookups; i += step) {
    const int id = i % items + 1;
    const auto name = co_await db.scalar<std::string>("SELECT name FROM lookup_items WHERE id = %s", id);
    if (name != "item " + std::to_string(id)) ++wrong;
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Returns the number of wrong answers.
net::awaitable<int> time_lookups(pgwrap::async_database& db) {
  co_await db.execute("CREATE TEMP TABLE lookup_items (id int PRIMARY KEY, name text NOT NULL)");
  co_await db.execute("INSERT INTO lookup_items SELECT i, 'item ' || i FROM generate_series(1, %s) AS i", items);
  int wrong = 0;

  // One at a time: each lookup waits for the one before, a round trip each.
  auto start = std::chrono::steady_clock::now();
  co_await look_up(db, 0, 1, wrong);
  const double one_at_a_time = seconds_since(start);

  // 200 coroutines at once, each with its share; the last to finish wakes this one.
  start = std::chrono::steady_clock::now();
  const auto executor = co_await net::this_coro::executor;
  net::steady_timer all_done(executor, net::steady_timer::time_point::max());
  int running = coroutines;
  std::exception_ptr failure;
  for (int k = 0; k < coroutines; ++k) {
    net::co_spawn(executor, look_up(db, k, coroutines, wrong), [&](std::exception_ptr error) {
      if (error && !failure) failure = error;
      if (--running == 0) all_done.cancel();
    });
  }
  co_await all_done.async_wait(net::experimental::as_tuple(net::use_awaitable));  // ends when cancelled
  if (failure) std::rethrow_exception(failure);
  const double concurrently = seconds_since(start);

  std::printf("%d lookups: one at a time %.2f s, %d coroutines %.2f s, speed-up %.1fx\n", lookups, one_at_a_time,
              coroutines, concurrently, one_at_a_time / concurrently);
  co_await db.close();
  co_return wrong;
}

int main() {
  const char* url = std::getenv("DATABASE_URL");
  net::io_context io;  // one thread: the coroutines need no strand
  pgwrap::async_database db(io.get_executor(), url != nullptr ? url : "");
  int wrong = -1;
  net::co_spawn(io, time_lookups(db), [&](std::exception_ptr error, int result) {
    if (error) std::rethrow_exception(error);
    wrong = result;
  });
  try {
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "async_lookups: %s\n", e.what());
    return 1;
  }
  if (wrong != 0) {
    std::printf("%d wrong results\n", wrong);
    return 1;
  }
  std::printf("all results correct\n");
}
