// Asio per-operation cancellation of statements: with awaitable operators
// (`call || timer`) and with a cancellation_signal bound by
// bind_cancellation_slot. A cancelled call ends with operation_aborted (or
// normally, when its result was already there), the others are untouched,
// the server really stops a cancelled statement, and the connection goes on.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;

using cancellation = async_test;

// Statement i: its own value; every 10th one is slow (50 ms on the server).
std::int64_t value_of(int i) { return 1'000'000 + std::int64_t{i} * 7; }
bool is_slow(int i) { return i % 10 == 3; }
net::awaitable<std::int64_t> statement(pgwrap::async_database& db, int i) {
  if (is_slow(i)) co_return co_await db.scalar<std::int64_t>("SELECT %s::int8 FROM pg_sleep(0.05)", value_of(i));
  co_return co_await db.scalar<std::int64_t>("SELECT %s::int8", value_of(i));
}

enum class ending { pending, right_value, wrong_value, aborted, timer_won, other_error };
enum class cancel_by { none, timer_race, signal };

// 200 statements in flight at once, slow and fast mixed; 10% of them, chosen
// at random, are cancelled after a random delay: half by racing a timer
// with ||, half by a cancellation_signal. The cancelled ones end with
// operation_aborted (or their own value, if it had come); the other 90% get
// exactly their own value; a cancelled call ends at once after the signal;
// afterwards the same connection answers and its backend is idle (nothing
// left running on the server).
TEST_F(cancellation, TenPercentCancelledAtRandomTheRestExact) {
  constexpr int total = 200;
  const unsigned seed = std::random_device{}();
  RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<int> order(total);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<cancel_by> how(total, cancel_by::none);
  for (int k = 0; k < total / 10; ++k) how[order[k]] = k % 2 == 0 ? cancel_by::timer_race : cancel_by::signal;
  std::uniform_int_distribution<int> delay_ms(0, 100);
  std::vector<std::chrono::milliseconds> delay(total);
  for (auto& d : delay) d = std::chrono::milliseconds(delay_ms(rng));

  std::vector<ending> ended(total, ending::pending);
  std::vector<std::string> detail(total);
  steady::duration slowest_abort{};  // signal emitted -> call ended with operation_aborted
  std::int64_t fresh = 0;
  bool backend_idle = false;
  int pid = 0;
  int pid_after = 0;

  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    pgwrap::async_database observer(ex, dsn());
    pid = co_await db.scalar<int>("SELECT pg_backend_pid()");

    auto record = [&](int i, std::int64_t got) {
      ended[i] = got == value_of(i) ? ending::right_value : ending::wrong_value;
      if (ended[i] == ending::wrong_value) detail[i] = "got " + std::to_string(got);
    };

    wait_group group(ex);
    for (int i = 0; i < total; ++i) {
      group.spawn([&, i]() -> net::awaitable<void> {
        try {
          if (how[i] == cancel_by::none) {
            record(i, co_await statement(db, i));
          } else if (how[i] == cancel_by::timer_race) {
            net::steady_timer timer(ex, delay[i]);
            const auto first = co_await (statement(db, i) || timer.async_wait(net::use_awaitable));
            if (first.index() == 0) {
              record(i, std::get<0>(first));
            } else {
              ended[i] = ending::timer_won;  // the statement was cancelled
            }
          } else {
            net::cancellation_signal signal;
            std::optional<steady::time_point> emitted;
            auto run = [&]() -> net::awaitable<void> {
              try {
                record(i, co_await net::co_spawn(ex, statement(db, i),
                                                 net::bind_cancellation_slot(signal.slot(), net::use_awaitable)));
              } catch (const system_error& e) {
                ended[i] = is_operation_aborted(e) ? ending::aborted : ending::other_error;
                detail[i] = describe(e);
                if (emitted) slowest_abort = std::max(slowest_abort, steady::now() - *emitted);
              }
            };
            auto cancel = [&]() -> net::awaitable<void> {
              co_await pause(delay[i]);
              emitted = steady::now();
              signal.emit(net::cancellation_type::terminal);
            };
            co_await (run() && cancel());
          }
        } catch (const std::exception& e) {
          ended[i] = ending::other_error;
          detail[i] = describe(e);
        }
      });
    }
    co_await group.wait();

    fresh = co_await db.scalar<std::int64_t>("SELECT 4242::int8");
    backend_idle = co_await eventually(idle(observer, pid));
    pid_after = co_await db.scalar<int>("SELECT pg_backend_pid()");
  });

  int cancelled_in_effect = 0;
  for (int i = 0; i < total; ++i) {
    SCOPED_TRACE("statement " + std::to_string(i) + (is_slow(i) ? " (slow)" : " (fast)"));
    if (how[i] == cancel_by::none) {
      EXPECT_EQ(ended[i], ending::right_value) << detail[i];
    } else {
      EXPECT_TRUE(ended[i] == ending::right_value || ended[i] == ending::aborted || ended[i] == ending::timer_won)
          << "cancelled by " << (how[i] == cancel_by::signal ? "signal" : "timer race") << ": " << detail[i];
      cancelled_in_effect += ended[i] == ending::aborted || ended[i] == ending::timer_won;
    }
  }
  EXPECT_GT(cancelled_in_effect, 0) << "no cancellation took effect: the test tested nothing";
  RecordProperty("cancelled_in_effect", cancelled_in_effect);
  EXPECT_LT(slowest_abort, std::chrono::seconds(1)) << "a cancelled call must end at once, not when its result comes";
  EXPECT_EQ(fresh, 4242);
  EXPECT_TRUE(backend_idle) << "backend " << pid << " still busy (or gone) 10 s after the cancellations";
  EXPECT_EQ(pid_after, pid) << "cancelling must not cost the connection";
}

// A pg_sleep(30) cancelled while it runs: the call ends with
// operation_aborted at once, the server really stops the statement (the
// backend leaves 'active' within 10 s, not 30), and the next statement
// succeeds on the same connection. First with a cancellation_signal, then
// racing (||) a coroutine that returns once it sees the statement running.
TEST_F(cancellation, ALongStatementIsStoppedOnTheServer) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    pgwrap::async_database observer(ex, dsn());
    const int pid = co_await db.scalar<int>("SELECT pg_backend_pid()");

    // 1. By a cancellation_signal, once the statement is seen running.
    {
      net::cancellation_signal signal;
      std::string how = "not run";
      steady::time_point emitted{};
      steady::time_point ended{};
      auto sleeper = [&]() -> net::awaitable<void> {
        try {
          (void)co_await net::co_spawn(ex, db.execute("SELECT pg_sleep(30) /* long by signal */"),
                                       net::bind_cancellation_slot(signal.slot(), net::use_awaitable));
          how = "finished";
        } catch (const system_error& e) {
          how = is_operation_aborted(e) ? "operation_aborted" : describe(e);
        } catch (const std::exception& e) {
          how = describe(e);
        }
        ended = steady::now();
      };
      auto canceller = [&]() -> net::awaitable<void> {
        const bool started = co_await eventually(running(observer, pid, "long by signal"));
        EXPECT_TRUE(started) << "pg_sleep(30) never showed as running";
        emitted = steady::now();
        signal.emit(net::cancellation_type::terminal);
      };
      co_await (sleeper() && canceller());
      EXPECT_EQ(how, "operation_aborted");
      EXPECT_LT(ended - emitted, std::chrono::seconds(1)) << "the cancelled call did not end at once";
      const auto asked = steady::now();
      const bool stopped = co_await eventually(stopped_running(observer, pid, "long by signal"), 10s);
      EXPECT_TRUE(stopped) << "the server still runs the cancelled pg_sleep(30)";
      RecordProperty(
          "signal_server_stop_ms",
          static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - asked).count()));
      const int next = co_await db.scalar<int>("SELECT pg_backend_pid()");
      EXPECT_EQ(next, pid) << "the next statement should run on the same connection";
    }

    // 2. By || with a coroutine that ends once the statement runs.
    {
      auto until_running = [&]() -> net::awaitable<void> {
        const bool started = co_await eventually(running(observer, pid, "long by race"));
        EXPECT_TRUE(started) << "pg_sleep(30) never showed as running";
      };
      const auto start = steady::now();
      const auto first = co_await (db.execute("SELECT pg_sleep(30) /* long by race */") || until_running());
      EXPECT_EQ(first.index(), 1u) << "pg_sleep(30) finished first?";
      EXPECT_LT(steady::now() - start, std::chrono::seconds(10));
      const bool stopped = co_await eventually(stopped_running(observer, pid, "long by race"), 10s);
      EXPECT_TRUE(stopped) << "the server still runs the cancelled pg_sleep(30)";
      const int next = co_await db.scalar<int>("SELECT %s::int", 77);
      EXPECT_EQ(next, 77);
      const bool idle_now = co_await eventually(idle(observer, pid));
      EXPECT_TRUE(idle_now);
    }
  });
}

// A cancel from outside (pg_cancel_backend from another connection, on
// another thread) ends the running statement with query_canceled, as in the
// blocking face: on a fresh connection, and again right after the library
// itself cancelled a statement through Asio (its own cancel must not make
// it take the outside one for a stray and run the statement again).
TEST_F(cancellation, ACancelFromOutsideIsQueryCanceled) {
  off_loop_worker worker;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    pgwrap::async_database observer(ex, dsn());
    const int pid = co_await db.scalar<int>("SELECT pg_backend_pid()");

    const std::string fresh = co_await cancel_from_outside(db, observer, worker, admin, pid, "outside cancel: fresh");
    EXPECT_EQ(fresh, "query_canceled") << "on a connection that never cancelled anything itself";

    // The library cancels a running statement (Asio cancellation) ...
    net::cancellation_signal signal;
    auto sleeper = [&]() -> net::awaitable<void> {
      try {
        (void)co_await net::co_spawn(ex, db.execute("SELECT pg_sleep(30) /* outside cancel: own */"),
                                     net::bind_cancellation_slot(signal.slot(), net::use_awaitable));
      } catch (const system_error& e) {
        EXPECT_TRUE(is_operation_aborted(e)) << describe(e);
      }
    };
    auto canceller = [&]() -> net::awaitable<void> {
      const bool started = co_await eventually(running(observer, pid, "outside cancel: own"));
      EXPECT_TRUE(started);
      signal.emit(net::cancellation_type::terminal);
    };
    co_await (sleeper() && canceller());
    const bool stopped = co_await eventually(stopped_running(observer, pid, "outside cancel: own"));
    EXPECT_TRUE(stopped);
    // ... and the very next statement is cancelled from outside.
    const std::string after =
        co_await cancel_from_outside(db, observer, worker, admin, pid, "outside cancel: after own");
    EXPECT_EQ(after, "query_canceled") << "right after a cancel of the library's own";

    const int next = co_await db.scalar<int>("SELECT pg_backend_pid()");
    EXPECT_EQ(next, pid);
  });
}

}  // namespace
}  // namespace pgwrap::test
