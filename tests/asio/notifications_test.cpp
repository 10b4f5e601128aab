// LISTEN/NOTIFY on the coroutine face: async_database::wait_notification()
// and async_listener::async_receive(). Nothing is lost or seen twice (10,000
// NOTIFYs while statements run, a cancelled wait racing an arriving
// notification), an empty wait costs no CPU, a killed listener reconnects
// and says so once, and a waiting listener never blocks the loop.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;

class notifications : public async_test {
 protected:
  /// A channel of this test's own (channels are database-wide; tests run in parallel).
  [[nodiscard]] std::string channel(const std::string& name = "ch") const { return schema + "_" + name; }

  /// The test DSN with one more connection option.
  static std::string dsn_with(const std::string& option, const std::string& value) {
    const std::string base = dsn();
    if (base.find("://") != std::string::npos) {
      return base + (base.find('?') == std::string::npos ? "?" : "&") + option + "=" + value;
    }
    return base + " " + option + "=" + value;  // value is [a-z0-9_]
  }
};

/// The CPU time this process has used so far (user + system, every thread).
steady::duration cpu_time() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto of = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return std::chrono::duration_cast<steady::duration>(of(usage.ru_utime) + of(usage.ru_stime));
}

/// Lets coroutines spawned just now run up to their first wait (one-thread io_context).
net::awaitable<void> let_others_run() {
  const auto ex = co_await net::this_coro::executor;
  for (int i = 0; i < 3; ++i) co_await net::post(ex, net::use_awaitable);
}

/// The backend pid of the connection whose application_name is `app`, once there is one other than `not_pid`.
net::awaitable<int> backend_of(pgwrap::async_database& observer, const std::string& app, int not_pid = 0) {
  int pid = 0;
  const bool found = co_await eventually([&]() -> net::awaitable<bool> {
    const auto row = co_await observer.queryone<int>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> %s", app, not_pid);
    if (row) pid = std::get<0>(*row);
    co_return row.has_value();
  });
  EXPECT_TRUE(found) << "no backend with application_name " << app;
  co_return pid;
}

// Another connection sends 10,000 NOTIFYs, one after another, while this
// database waits for them; between waits it runs statements, and a second
// coroutine keeps statements running on it throughout, so notifications
// arrive mixed with results. Each must come exactly once, in order; one
// payload is 7,999 bytes of multi-byte UTF-8 (the server's limit is 8,000).
TEST_F(notifications, TenThousandArriveInOrderWhileStatementsRun) {
  constexpr int total = 10'000;
  constexpr int big_at = 5'000;
  std::string big = "5000:";
  while (big.size() + 3 <= 7'997) big += "\xe2\x82\xac";  // €
  big += "\xc3\xa9";                                      // é
  while (big.size() < 7'999) big += "a";
  ASSERT_EQ(big.size(), 7'999u);
  const auto payload = [&](int i) { return i == big_at ? big : std::to_string(i); };

  int received = 0;
  int statements = 0;
  run_async(
      [&]() -> net::awaitable<void> {
        const auto ex = co_await net::this_coro::executor;
        pgwrap::async_database db(ex, dsn());
        pgwrap::async_database sender(ex, dsn());
        const std::string ch = channel();
        co_await db.listen(ch);
        const int sender_pid = co_await sender.scalar<int>("SELECT pg_backend_pid()");

        bool done = false;
        wait_group group(ex);
        group.spawn([&]() -> net::awaitable<void> {
          for (int i = 0; i < total; ++i) {
            const std::string p = payload(i);  // named: no temporary in a co_await expression (GCC bug 100611)
            co_await sender.notify(ch, p);
          }
        });
        group.spawn([&]() -> net::awaitable<void> {  // statements on the waiting database, all along
          while (!done) {
            const int got = co_await db.scalar<int>("SELECT %s::int + 1", statements);
            EXPECT_EQ(got, statements + 1);
            ++statements;
          }
        });
        for (int i = 0; i < total; ++i) {
          const std::optional<pgwrap::notification> n = co_await db.wait_notification(20s);
          if (!n) {
            ADD_FAILURE() << "notification " << i << " did not come within 20 s";
            break;
          }
          const std::string expected = payload(i);
          if (n->payload != expected || n->channel != ch || n->backend_pid != sender_pid) {
            ADD_FAILURE() << "notification " << i << ": got channel " << n->channel << ", pid " << n->backend_pid
                          << ", payload of " << n->payload.size() << " bytes starting " << n->payload.substr(0, 20);
            break;
          }
          ++received;
          if (i % 10 == 0) {  // and statements between the waits
            const std::int64_t one = co_await db.scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()");
            EXPECT_EQ(one, 1);
          }
        }
        done = true;
        const bool ended = co_await group.wait(60s);
        EXPECT_TRUE(ended);
        const std::optional<pgwrap::notification> extra = co_await db.wait_notification(100ms);
        EXPECT_FALSE(extra.has_value()) << "a notification more than was sent: " << extra->payload;
      },
      std::chrono::seconds(300));
  std::printf("notifications: %d of %d received in order; %d statements ran beside the waits\n", received, total,
              statements);
  EXPECT_EQ(received, total);
  EXPECT_GT(statements, 0);
}

// An empty wait of 200 ms on the socket returns std::nullopt after about
// 200 ms, and costs (next to) no CPU: no polling loop.
TEST_F(notifications, EmptyWaitTakesItsTimeAndNoCpu) {
  steady::duration took{};
  steady::duration cpu{};
  bool empty = false;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    const std::string ch = channel();
    co_await db.listen(ch);
    const auto cpu_before = cpu_time();
    const auto start = steady::now();
    const std::optional<pgwrap::notification> n = co_await db.wait_notification(200ms);
    took = steady::now() - start;
    cpu = cpu_time() - cpu_before;
    empty = !n.has_value();
  });
  const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  const auto cpu_us = std::chrono::duration_cast<std::chrono::microseconds>(cpu).count();
  std::printf("notifications: an empty 200 ms wait took %lld ms and %lld us of CPU (getrusage)\n",
              static_cast<long long>(took_ms), static_cast<long long>(cpu_us));
  RecordProperty("empty_wait_cpu_us", static_cast<int>(cpu_us));
  EXPECT_TRUE(empty);
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_LT(cpu, 50ms);
}

// A buffered notification is returned at once, even with a 0 timeout; a 0
// timeout with nothing buffered returns std::nullopt at once.
TEST_F(notifications, BufferedOnesComeAtOnce) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    pgwrap::async_database sender(ex, dsn());
    const std::string ch = channel();
    co_await db.listen(ch);
    // Both in one transaction: delivered together, after the first the second is buffered.
    (void)co_await sender.execute("SELECT pg_notify(%s, 'a'), pg_notify(%s, 'b')", ch, ch);
    const std::optional<pgwrap::notification> a = co_await db.wait_notification(10s);
    EXPECT_EQ(a ? a->payload : "(none)", "a");
    const int answered = co_await db.scalar<int>("SELECT 7");  // a round trip: 'b' has been read by now
    EXPECT_EQ(answered, 7);
    const std::optional<pgwrap::notification> b = co_await db.wait_notification(0ms);
    EXPECT_EQ(b ? b->payload : "(none)", "b");
    const std::optional<pgwrap::notification> none = co_await db.wait_notification(0ms);
    EXPECT_FALSE(none.has_value());
  });
}

// Waits cancelled through `||` with a 1 ms timer, over and over, while
// notifications keep arriving: a cancelled wait ends with operation_aborted
// (seen directly with a cancellation signal), and every notification is
// received once, in order, by some later wait, including those that
// arrived as a wait was being cancelled.
TEST_F(notifications, CancelledWaitsLoseNothing) {
  constexpr int total = 2'000;
  int received = 0;
  int cancelled = 0;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    pgwrap::async_database sender(ex, dsn());
    const std::string ch = channel();
    co_await db.listen(ch);

    {  // cancelled with a signal: operation_aborted
      net::cancellation_signal signal;
      std::string how = "not ended";
      wait_group one(ex);
      one.spawn([&]() -> net::awaitable<void> {
        try {
          (void)co_await net::co_spawn(ex, db.wait_notification(30s),
                                       net::bind_cancellation_slot(signal.slot(), net::use_awaitable));
          how = "returned";
        } catch (const system_error& e) {
          how = is_operation_aborted(e) ? "operation_aborted" : describe(e);
        }
      });
      co_await let_others_run();
      signal.emit(net::cancellation_type::terminal);
      const bool ended = co_await one.wait(5s);
      EXPECT_TRUE(ended);
      EXPECT_EQ(how, "operation_aborted");
    }

    wait_group group(ex);
    group.spawn([&]() -> net::awaitable<void> {
      for (int i = 0; i < total; ++i) {
        const std::string p = std::to_string(i);
        co_await sender.notify(ch, p);
      }
    });
    net::steady_timer timer(ex);
    while (received < total) {
      timer.expires_after(1ms);
      auto first = co_await (db.wait_notification(20s) || timer.async_wait(net::use_awaitable));
      if (first.index() == 1) {
        ++cancelled;
        continue;
      }
      const std::optional<pgwrap::notification> n = std::get<0>(std::move(first));
      if (!n || n->payload != std::to_string(received)) {
        ADD_FAILURE() << "expected notification " << received << ", got " << (n ? n->payload : "nothing");
        break;
      }
      ++received;
    }
    const bool ended = co_await group.wait(60s);
    EXPECT_TRUE(ended);
    const std::optional<pgwrap::notification> extra = co_await db.wait_notification(100ms);
    EXPECT_FALSE(extra.has_value()) << "one more than was sent: " << extra->payload;
  });
  std::printf("notifications: %d received in order through %d cancelled waits\n", received, cancelled);
  EXPECT_EQ(received, total);
  EXPECT_GT(cancelled, 0) << "no wait was ever cancelled: the race was not exercised";
}

// A notification that comes in the same read as a statement's result,
// behind it, reaches the waiter then, not at some later read. The database
// NOTIFYs itself: the server sends the notification right after the
// statement's ReadyForQuery, often in the same read; 300 times over.
TEST_F(notifications, OneBehindAResultIsHandedOverAtOnce) {
  int handed_over = 0;
  steady::duration slowest{};
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    const std::string ch = channel();
    co_await db.listen(ch);
    for (int i = 0; i < 300; ++i) {
      wait_group group(ex);
      const auto start = steady::now();
      group.spawn([&]() -> net::awaitable<void> {
        const std::optional<pgwrap::notification> n = co_await db.wait_notification(2s);
        slowest = std::max(slowest, steady::now() - start);
        if (n && n->payload == "to myself") ++handed_over;
      });
      co_await let_others_run();
      co_await db.notify(ch, "to myself");
      const bool ended = co_await group.wait(20s);
      EXPECT_TRUE(ended);
    }
  });
  EXPECT_EQ(handed_over, 300);
  EXPECT_LT(slowest, 1s) << "one was handed over only at the timeout";
}

// Several coroutines wait at once: each notification goes to exactly one,
// first come, first served.
TEST_F(notifications, SeveralWaitersAreServedInTurn) {
  std::vector<std::string> got(3);
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    pgwrap::async_database sender(ex, dsn());
    const std::string ch = channel();
    co_await db.listen(ch);
    wait_group group(ex);
    for (std::size_t k = 0; k < got.size(); ++k) {
      group.spawn([&, k]() -> net::awaitable<void> {
        const std::optional<pgwrap::notification> n = co_await db.wait_notification(20s);
        got[k] = n ? n->payload : "(none)";
      });
      co_await let_others_run();  // waiting in this order
    }
    const char* const payloads[] = {"first", "second", "third"};
    for (const char* p : payloads) co_await sender.notify(ch, p);
    const bool ended = co_await group.wait(30s);
    EXPECT_TRUE(ended);
  });
  EXPECT_EQ(got, (std::vector<std::string>{"first", "second", "third"}));
}

// Waiting while a transaction holds the connection is allowed; the server
// delivers the notification once the transaction ends.
TEST_F(notifications, InsideATransactionTheyComeAfterItEnds) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    pgwrap::async_database sender(ex, dsn());
    const std::string ch = channel();
    co_await db.listen(ch);
    pgwrap::async_transaction tx = co_await db.begin();
    (void)co_await tx.execute("SELECT 1");
    co_await sender.notify(ch, "during the transaction");
    const std::optional<pgwrap::notification> during = co_await db.wait_notification(200ms);
    EXPECT_FALSE(during.has_value()) << "delivered inside a transaction";
    co_await tx.commit();
    const std::optional<pgwrap::notification> after = co_await db.wait_notification(10s);
    EXPECT_EQ(after ? after->payload : "(none)", "during the transaction");
  });
}

// Bad channel names throw usage_error when awaited, and nothing is sent.
TEST_F(notifications, BadChannelNamesAreUsageErrors) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    const std::vector<std::string> bad_names{std::string(), std::string(64, 'x'), std::string("a\0b", 3)};
    for (const std::string& bad : bad_names) {
      int errors = 0;
      try {
        co_await db.listen(bad);
      } catch (const pgwrap::usage_error&) {
        ++errors;
      }
      try {
        co_await db.notify(bad, "x");
      } catch (const pgwrap::usage_error&) {
        ++errors;
      }
      try {
        co_await db.unlisten(bad);
      } catch (const pgwrap::usage_error&) {
        ++errors;
      }
      EXPECT_EQ(errors, 3) << "channel of " << bad.size() << " bytes";
    }
    EXPECT_FALSE(db.is_connected()) << "something was sent";
    // Quoted: case and spaces are kept.
    co_await db.listen("Mixed Case \"quoted\"");
    const auto names = co_await db.query<std::string>("SELECT pg_listening_channels()");
    EXPECT_EQ(names.size(), 1u);
    if (!names.empty()) {
      EXPECT_EQ(std::get<0>(names[0]), "Mixed Case \"quoted\"");
    }
    co_await db.unlisten_all();
    const std::int64_t left = co_await db.scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()");
    EXPECT_EQ(left, 0);
  });
}

// The connection lost while waiting: the wait throws connection_error; the
// next call connects again and LISTENs again to the remembered channels.
TEST_F(notifications, LostWhileWaitingThenListensAgain) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, dsn());
    pgwrap::async_database observer(ex, dsn());
    const std::string ch = channel();
    const std::string other = channel("other");
    co_await db.listen(ch);
    co_await db.listen(other);
    const int pid = co_await db.scalar<int>("SELECT pg_backend_pid()");
    std::string how = "not ended";
    wait_group group(ex);
    group.spawn([&]() -> net::awaitable<void> {
      try {
        const std::optional<pgwrap::notification> n = co_await db.wait_notification(30s);
        how = n ? "got " + n->payload : "timed out";
      } catch (const pgwrap::connection_error&) {
        how = "connection_error";
      }
    });
    co_await let_others_run();
    const bool killed = co_await observer.scalar<bool>("SELECT pg_terminate_backend(%s)", pid);
    EXPECT_TRUE(killed);
    const bool ended = co_await group.wait(10s);
    EXPECT_TRUE(ended);
    EXPECT_EQ(how, "connection_error");

    const std::int64_t listening = co_await db.scalar<std::int64_t>(
        "SELECT count(*) FROM pg_listening_channels() AS c WHERE c IN (%s, %s)", ch, other);
    EXPECT_EQ(listening, 2) << "the new connection does not LISTEN to both channels";
    const int new_pid = co_await db.scalar<int>("SELECT pg_backend_pid()");
    EXPECT_NE(new_pid, pid);
    co_await observer.notify(ch, "after");
    const std::optional<pgwrap::notification> n = co_await db.wait_notification(10s);
    EXPECT_EQ(n ? n->payload : "(none)", "after");
  });
}

// A connection an async_pool gets back is reset: its channels are gone and
// what it received is not handed to the next user.
TEST_F(notifications, PoolResetForgetsChannelsAndNotifications) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_pool pool(ex, dsn(), {.max_size = 1});
    pgwrap::async_database sender(ex, dsn());
    const std::string ch = channel();
    int pid = 0;
    {
      pgwrap::async_pooled_connection c = co_await pool.acquire();
      co_await c->listen(ch);
      pid = co_await c->scalar<int>("SELECT pg_backend_pid()");
      (void)co_await sender.execute("SELECT pg_notify(%s, 'a'), pg_notify(%s, 'b')", ch, ch);
      const std::optional<pgwrap::notification> a = co_await c->wait_notification(10s);
      EXPECT_EQ(a ? a->payload : "(none)", "a");  // 'b' stays behind, buffered
    }
    pgwrap::async_pooled_connection c = co_await pool.acquire();
    const int same = co_await c->scalar<int>("SELECT pg_backend_pid()");
    EXPECT_EQ(same, pid) << "not the same connection: the test proves nothing";
    const std::int64_t listening = co_await c->scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()");
    EXPECT_EQ(listening, 0);
    const std::optional<pgwrap::notification> left = co_await c->wait_notification(0ms);
    EXPECT_FALSE(left.has_value()) << "the previous user's notification: " << left->payload;
  });
}

// The listener's backend is killed: async_receive() reconnects, reports
// exactly one `reconnected`, and notifications sent afterwards arrive.
TEST_F(notifications, ListenerReconnectsOnceAfterItsBackendIsKilled) {
  std::vector<std::string> events;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    const std::string app = "pgwrap_listener_" + schema;
    pgwrap::async_listener listener(ex, dsn_with("application_name", app),
                                    {.reconnect_delay = 10ms, .max_reconnect_delay = 200ms});
    pgwrap::async_database other(ex, dsn());
    const std::string ch = channel();
    const std::string second = channel("second");
    co_await listener.listen(ch);
    co_await listener.listen(second);
    EXPECT_EQ(listener.channels(), (std::vector<std::string>{ch, second}));
    const int pid = co_await backend_of(other, app);

    const auto receive = [&]() -> net::awaitable<void> {
      net::steady_timer timer(ex, 20s);
      auto first = co_await (listener.async_receive() || timer.async_wait(net::use_awaitable));
      if (first.index() == 1) {
        events.emplace_back("(nothing in 20 s)");
        co_return;
      }
      const pgwrap::listener_event e = std::get<0>(std::move(first));
      events.push_back(e.reconnected() ? "reconnected" : e.notification.channel + ":" + e.notification.payload);
    };
    co_await other.notify(ch, "before");
    co_await receive();

    const bool killed = co_await other.scalar<bool>("SELECT pg_terminate_backend(%s)", pid);
    EXPECT_TRUE(killed);
    co_await receive();  // reconnected, once the new connection LISTENs again
    const int new_pid = co_await backend_of(other, app, pid);
    EXPECT_NE(new_pid, pid);
    co_await other.notify(ch, "after-1");
    co_await other.notify(second, "after-2");
    co_await other.notify(ch, "after-3");
    for (int i = 0; i < 3; ++i) co_await receive();

    net::steady_timer quiet(ex, 200ms);  // and nothing else
    auto last = co_await (listener.async_receive() || quiet.async_wait(net::use_awaitable));
    EXPECT_EQ(last.index(), 1u) << "an event more";
    EXPECT_TRUE(listener.is_connected());
  });
  const std::string ch = channel();
  EXPECT_EQ(events, (std::vector<std::string>{ch + ":before", "reconnected", ch + ":after-1",
                                              channel("second") + ":after-2", ch + ":after-3"}));
}

// close() keeps the channels: the next call connects again, LISTENs again,
// and reports no `reconnected`; waits in progress end with operation_aborted.
TEST_F(notifications, ListenerCloseKeepsItsChannels) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_listener listener(ex, dsn());
    pgwrap::async_database sender(ex, dsn());
    const std::string ch = channel();
    co_await listener.listen(ch);
    std::string how = "not ended";
    wait_group group(ex);
    group.spawn([&]() -> net::awaitable<void> {
      try {
        (void)co_await listener.async_receive();
        how = "returned";
      } catch (const system_error& e) {
        how = is_operation_aborted(e) ? "operation_aborted" : describe(e);
      }
    });
    co_await let_others_run();
    listener.close();
    const bool ended = co_await group.wait(10s);
    EXPECT_TRUE(ended);
    EXPECT_EQ(how, "operation_aborted");
    EXPECT_FALSE(listener.is_connected());

    const std::string more = channel("more");
    co_await listener.listen(more);  // connects again, LISTENs to both
    co_await sender.notify(ch, "kept");
    net::steady_timer timer(ex, 10s);
    auto first = co_await (listener.async_receive() || timer.async_wait(net::use_awaitable));
    EXPECT_EQ(first.index(), 0u) << "nothing in 10 s";
    if (first.index() == 0) {
      const pgwrap::listener_event e = std::get<0>(std::move(first));
      EXPECT_FALSE(e.reconnected());
      EXPECT_EQ(e.notification.payload, "kept");
    }
    co_await listener.unlisten(ch);
    EXPECT_EQ(listener.channels(), (std::vector<std::string>{more}));
  });
}

// A 1 ms timer beside a listener keeps ticking on time while the listener
// waits idle, receives a stream of notifications, and loses its connection
// and reconnects.
TEST_F(notifications, AWaitingListenerNeverBlocksTheLoop) {
  steady::duration worst{};
  std::string worst_phase = "none";
  std::string phase = "start";
  long ticks = 0;
  int got = 0;
  int reconnects = 0;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    bool stop = false;
    wait_group background(ex);
    background.spawn(tick_every_millisecond(stop, phase, worst, worst_phase, ticks));
    const std::string app = "pgwrap_loop_listener_" + schema;
    pgwrap::async_listener listener(ex, dsn_with("application_name", app), {.reconnect_delay = 10ms});
    pgwrap::async_database other(ex, dsn());
    const std::string ch = channel();
    phase = "connect";
    co_await listener.listen(ch);
    const int pid = co_await backend_of(other, app);
    background.spawn([&]() -> net::awaitable<void> {
      while (!stop) {
        net::steady_timer limit(ex, 100ms);
        auto first = co_await (listener.async_receive() || limit.async_wait(net::use_awaitable));
        if (first.index() == 0) {
          if (std::get<0>(first).reconnected())
            ++reconnects;
          else
            ++got;
        }
      }
    });
    phase = "waiting idle";
    const long idle_from = ticks;
    const bool idled = co_await eventually([&] { return ticks >= idle_from + 300; });
    EXPECT_TRUE(idled);
    phase = "notifications";
    for (int i = 0; i < 1'000; ++i) {
      const std::string p = std::to_string(i);
      co_await other.notify(ch, p);
    }
    const bool all = co_await eventually([&] { return got == 1'000; });
    EXPECT_TRUE(all) << got << " of 1000 notifications";
    phase = "lost connection";
    const bool killed = co_await other.scalar<bool>("SELECT pg_terminate_backend(%s)", pid);
    EXPECT_TRUE(killed);
    phase = "reconnect";
    const bool back = co_await eventually([&] { return reconnects == 1; });
    EXPECT_TRUE(back);
    phase = "stopping";
    stop = true;
    co_await background.wait();
  });
  const auto worst_us = std::chrono::duration_cast<std::chrono::microseconds>(worst).count();
  std::printf("notifications: worst 1 ms timer lateness beside a listener %lld us (during: %s), %ld ticks\n",
              static_cast<long long>(worst_us), worst_phase.c_str(), ticks);
  EXPECT_LE(worst, 50ms) << "the loop was blocked for " << worst_us << " us during: " << worst_phase;
  EXPECT_EQ(reconnects, 1);
}

// Behind pgbouncer (scripts/pgbouncer_throwaway.sh's environment), the
// listener refuses to LISTEN, unless told the pooler is in session mode.
// ctest runs it as env.pgbouncer.async (tests/env/run_env_test.sh).
TEST(pgbouncer, AsyncListenerRefusesAPooler) {
  const char* bouncer = std::getenv("PGWRAP_PGBOUNCER_DSN");
  if (bouncer == nullptr || *bouncer == '\0') GTEST_SKIP() << "no pgbouncer environment (PGWRAP_PGBOUNCER_DSN)";
  std::string message;
  std::string allowed;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    const std::string ch = "jobs";
    pgwrap::async_listener refusing(ex, bouncer);
    try {
      co_await refusing.listen(ch);
      message = "accepted";
    } catch (const pgwrap::usage_error& e) {
      message = e.what();
    }
    EXPECT_FALSE(refusing.is_connected());
    pgwrap::async_listener told(ex, bouncer, {.allow_session_pooler = true});
    try {
      co_await told.listen(ch);
      allowed = "accepted";
    } catch (const std::exception& e) {
      allowed = describe(e);
    }
  });
  EXPECT_NE(message.find("transaction pooling"), std::string::npos) << message;
  EXPECT_EQ(allowed, "accepted");
}

}  // namespace
}  // namespace pgwrap::test
