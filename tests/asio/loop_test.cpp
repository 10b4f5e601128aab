// The event loop is never blocked by the coroutine face: a 1 ms timer keeps
// ticking on time beside a busy connection while it connects, while a
// running statement is cancelled (pg_cancel_backend from another thread;
// then Asio cancellation, the library's own server cancel), and while the
// connection is lost and opened again.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;

using loop = async_test;

// The worst lateness of a 1 ms timer (when it ran minus when it was due) is
// how long the loop thread was kept from running it. Through every phase it
// must stay under 50 ms. The blocking admin connection cancels and
// terminates from another std::thread, never from the loop thread.
TEST_F(loop, TheLoopNeverBlocksThroughConnectCancelAndReconnect) {
  steady::duration worst{};
  std::string worst_phase = "none";
  std::string phase = "start";
  long ticks = 0;
  int busy_ok = 0;
  int busy_lost = 0;
  int busy_other = 0;
  std::string busy_other_first;
  off_loop_worker worker;  // admin's cancel and terminate, off the loop thread

  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    bool stop = false;
    wait_group background(ex);
    background.spawn(tick_every_millisecond(stop, phase, worst, worst_phase, ticks));
    const bool ticking = co_await eventually([&] { return ticks >= 3; });
    EXPECT_TRUE(ticking);

    const auto db = std::make_shared<pgwrap::async_database>(ex, schema_dsn());
    pgwrap::async_database observer(ex, dsn());
    phase = "connect";
    co_await db->connect();
    co_await observer.connect();
    const int pid = co_await db->scalar<int>("SELECT pg_backend_pid()");

    // Keep the connection busy: 8 coroutines issuing statements back to back.
    phase = "busy";
    for (int b = 0; b < 8; ++b) {
      background.spawn([&, db, b]() -> net::awaitable<void> {
        int n = 0;
        while (!stop) {
          ++n;
          try {
            const int got = co_await db->scalar<int>("SELECT %s::int", b * 1'000'000 + n);
            if (got == b * 1'000'000 + n) {
              ++busy_ok;
            } else if (++busy_other == 1) {
              busy_other_first = "got " + std::to_string(got);
            }
          } catch (const pgwrap::connection_error&) {
            ++busy_lost;
          } catch (const std::exception& e) {
            if (++busy_other == 1) busy_other_first = describe(e);
          }
        }
      });
    }
    const bool busy = co_await eventually([&] { return busy_ok >= 200; });
    EXPECT_TRUE(busy);

    // A running statement cancelled from the server side (pg_cancel_backend on another thread).
    phase = "cancel by admin";
    {
      const std::string how = co_await cancel_from_outside(*db, observer, worker, admin, pid, "loop: admin cancel");
      EXPECT_EQ(how, "query_canceled");
    }

    // A running statement cancelled through Asio: the library asks the server to cancel it.
    phase = "cancel by Asio";
    {
      net::cancellation_signal signal;
      std::string how = "not run";
      auto sleeper = [&]() -> net::awaitable<void> {
        try {
          (void)co_await net::co_spawn(ex, db->execute("SELECT pg_sleep(30) /* loop: asio cancel */"),
                                       net::bind_cancellation_slot(signal.slot(), net::use_awaitable));
          how = "finished";
        } catch (const system_error& e) {
          how = is_operation_aborted(e) ? "operation_aborted" : describe(e);
        } catch (const std::exception& e) {
          how = describe(e);
        }
      };
      auto canceller = [&]() -> net::awaitable<void> {
        const bool started = co_await eventually(running(observer, pid, "loop: asio cancel"));
        EXPECT_TRUE(started);
        signal.emit(net::cancellation_type::terminal);
      };
      co_await (sleeper() && canceller());
      EXPECT_EQ(how, "operation_aborted");
      const bool stopped = co_await eventually(stopped_running(observer, pid, "loop: asio cancel"));
      EXPECT_TRUE(stopped) << "the server still runs the cancelled statement";
    }

    // The connection lost (pg_terminate_backend on another thread), then opened again.
    phase = "lost connection";
    {
      const int ok_before = busy_ok;
      const std::string error = co_await admin_call(worker, admin, "pg_terminate_backend", pid);
      EXPECT_EQ(error, "");
      // Statements in flight when the server's goodbye arrives fail; if it
      // arrives between two of them, nothing was lost and none fails (the
      // in-flight case is lost_connection_test's). Either way the next
      // statements run on a new connection, checked below.
      phase = "reconnect";
      const bool reconnected = co_await eventually([&]() -> net::awaitable<bool> {
        try {
          const int now_pid = co_await db->scalar<int>("SELECT pg_backend_pid()");
          co_return now_pid != pid;
        } catch (const pgwrap::connection_error&) {
          co_return false;
        }
      });
      EXPECT_TRUE(reconnected);
      const bool busy_again = co_await eventually([&] { return busy_ok >= ok_before + 200; });
      EXPECT_TRUE(busy_again) << "the busy coroutines did not go on after the reconnect";
    }

    phase = "stopping";
    stop = true;
    co_await background.wait();
  });

  const auto worst_us = std::chrono::duration_cast<std::chrono::microseconds>(worst).count();
  std::printf("loop: worst 1 ms timer lateness %lld us (during: %s), %ld ticks; busy statements: %d ok, %d lost\n",
              static_cast<long long>(worst_us), worst_phase.c_str(), ticks, busy_ok, busy_lost);
  RecordProperty("worst_timer_lateness_us", static_cast<int>(worst_us));
  RecordProperty("worst_timer_lateness_phase", worst_phase);
  EXPECT_LE(worst, 50ms) << "the loop was blocked for " << worst_us << " us during: " << worst_phase;
  EXPECT_EQ(busy_other, 0) << "a busy statement, not the cancelled one, failed: " << busy_other_first;
}

}  // namespace
}  // namespace pgwrap::test
