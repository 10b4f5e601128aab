// The connection is lost (its backend terminated) with 500 statements on
// it: every one of them fails with connection_error at once, none hangs,
// the ones that never left say so (not_sent()), and the next statement on
// the same async_database reconnects.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;

using lost_connection = async_test;

/// A check for eventually(): backend `pid` is waiting for a lock.
auto waiting_for_lock(pgwrap::async_database& observer, int pid) {
  return [&observer, pid]() -> net::awaitable<bool> {
    const auto n = co_await observer.scalar<std::int64_t>(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'", pid);
    co_return n > 0;
  };
}

// 500 statements, at most 50 on the wire (max_in_flight), the other 450
// queued. So that none can finish before the terminate, each takes a shared
// advisory lock that `admin` holds exclusively: the first blocks on the
// server, the rest wait behind it. Then the backend is terminated from
// admin (a second, blocking connection). All 500 must fail with
// connection_error within 1 s of the terminate; the 450 queued ones with
// not_sent() true, those on the wire with not_sent() false. The next
// statement reconnects (a new backend).
TEST_F(lost_connection, FiveHundredInFlightFailAtOnceThenItReconnects) {
  constexpr int total = 500;
  constexpr std::size_t on_the_wire = 50;
  const std::int64_t lock_key = 0x70677761'00000000LL + ::getpid();  // this process's own lock
  admin.execute("SELECT pg_advisory_lock(%s)", lock_key);

  struct outcome {
    bool connection_error = false;
    bool not_sent = false;
    std::string other;  // anything but connection_error
    steady::time_point at{};
  };
  std::vector<outcome> outcomes(total);
  steady::time_point terminated_at{};
  bool all_ended_in_time = false;
  bool wire_full = false;
  bool blocked = false;
  int pid = 0;
  int new_pid = 0;
  std::size_t in_flight_then = 0;
  std::size_t queued_then = 0;

  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn(), pgwrap::async_options{.max_in_flight = on_the_wire});
    pgwrap::async_database observer(ex, dsn());
    pid = co_await db.scalar<int>("SELECT pg_backend_pid()");

    wait_group group(ex);
    for (int i = 0; i < total; ++i) {
      group.spawn([&, i]() -> net::awaitable<void> {
        outcome& o = outcomes[static_cast<std::size_t>(i)];
        try {
          (void)co_await db.scalar<int>(
              "SELECT %s::int FROM (SELECT pg_advisory_xact_lock_shared(%s)) AS l, pg_sleep(0.01)", i, lock_key);
          o.other = "succeeded";
        } catch (const pgwrap::connection_error& e) {
          o.connection_error = true;
          o.not_sent = e.not_sent();
        } catch (const std::exception& e) {
          o.other = describe(e);
        }
        o.at = steady::now();
      });
    }
    // Everything is issued: 50 on the wire, 450 queued, the first blocked on the lock.
    wire_full =
        co_await eventually([&] { return db.in_flight() == on_the_wire && db.queued() == total - on_the_wire; });
    blocked = co_await eventually(waiting_for_lock(observer, pid));
    in_flight_then = db.in_flight();
    queued_then = db.queued();

    terminated_at = steady::now();
    const bool terminated = admin.scalar<bool>("SELECT pg_terminate_backend(%s)", pid);
    EXPECT_TRUE(terminated);
    all_ended_in_time = co_await group.wait(10s);
    if (!all_ended_in_time) {
      ADD_FAILURE() << group.pending() << " statements still pending 10 s after the terminate: they hang";
      co_await group.wait();
    }

    // The same async_database reconnects for the next statement.
    try {
      new_pid = co_await db.scalar<int>("SELECT pg_backend_pid()");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the statement after the lost connection threw " << describe(e);
    }
    EXPECT_TRUE(db.is_connected());
  });
  admin.execute("SELECT pg_advisory_unlock(%s)", lock_key);

  EXPECT_TRUE(wire_full) << "never saw 50 in flight and 450 queued: in_flight() " << in_flight_then << ", queued() "
                         << queued_then;
  EXPECT_TRUE(blocked) << "the first statement never waited for the lock";
  EXPECT_TRUE(all_ended_in_time);
  int connection_errors = 0;
  int not_sent = 0;
  int sent = 0;
  steady::time_point last{};
  for (int i = 0; i < total; ++i) {
    const outcome& o = outcomes[static_cast<std::size_t>(i)];
    EXPECT_TRUE(o.connection_error) << "statement " << i << ": " << o.other;
    connection_errors += o.connection_error;
    not_sent += o.connection_error && o.not_sent;
    sent += o.connection_error && !o.not_sent;
    last = std::max(last, o.at);
  }
  EXPECT_EQ(connection_errors, total);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(last - terminated_at).count();
  std::printf("lost connection: all %d statements failed %lld ms after the terminate (%d not sent, %d sent)\n",
              connection_errors, static_cast<long long>(ms), not_sent, sent);
  RecordProperty("last_failure_after_terminate_ms", static_cast<int>(ms));
  EXPECT_LT(last - terminated_at, 1s) << "the statements must fail within 1 s of the terminate";
  EXPECT_GE(not_sent, total - static_cast<int>(on_the_wire)) << "the queued statements never left: not_sent() true";
  EXPECT_GE(sent, 1) << "the statements on the wire were sent: not_sent() false";
  EXPECT_LE(sent, static_cast<int>(on_the_wire)) << "more statements claim to have been sent than max_in_flight";
  EXPECT_NE(new_pid, 0);
  EXPECT_NE(new_pid, pid) << "the next statement should have run on a new connection";
}

}  // namespace
}  // namespace pgwrap::test
