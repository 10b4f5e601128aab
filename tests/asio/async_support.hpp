#pragma once
// Shared by the tests of the coroutine face (pgwrap/asio.hpp): the Asio
// flavour pgwrap::asio was built with, a runner that drives a test coroutine
// to its end on a fresh io_context, a wait group for many coroutines, and
// polling helpers that ask the server (never sleep to synchronise).

#include <cxxabi.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pgwrap/asio.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

#if PGWRAP_ASIO_BOOST
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/system/system_error.hpp>
#else
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#endif

#include "test_db.hpp"

namespace pgwrap::test {

namespace net = pgwrap::net;  // ::asio or ::boost::asio, as pgwrap::asio was built

#if PGWRAP_ASIO_BOOST
using system_error = boost::system::system_error;
using error_code = boost::system::error_code;
#else
using system_error = std::system_error;
using error_code = std::error_code;
#endif

using steady = std::chrono::steady_clock;

/// "type: what()" of an exception, for failure messages.
inline std::string describe(const std::exception& e) {
  int status = 0;
  char* name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name ? name : typeid(e).name();
  std::free(name);  // NOLINT(cppcoreguidelines-no-malloc): __cxa_demangle's buffer
  return out + ": " + e.what();
}

inline std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return describe(x);
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

/// True when `e` is the error a call cancelled through Asio ends with.
inline bool is_operation_aborted(const system_error& e) { return e.code() == net::error::operation_aborted; }

/// Runs the coroutine `body()` (net::awaitable<void>) on a fresh one-thread
/// io_context until it ends, then lets what it left behind finish. Fails
/// the test when the body throws, does not end within `limit` (a call that
/// hangs), or leaves work behind that never ends (an object that keeps the
/// io_context busy after it is gone).
template <typename Body>
void run_async(Body body, std::chrono::seconds limit = std::chrono::seconds(60)) {
  net::io_context io;
  bool done = false;
  std::exception_ptr failure;
  net::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
    done = true;
    failure = std::move(e);
  });
  const auto deadline = steady::now() + limit;
  while (!done && !io.stopped() && steady::now() < deadline) io.run_one_until(deadline);
  if (!done) {
    ADD_FAILURE() << "the test coroutine did not end within " << limit.count() << " s (a call hung)";
    io.stop();
    return;
  }
  if (failure) ADD_FAILURE() << "the test coroutine threw " << describe(failure);
  io.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(io.stopped()) << "work was left on the io_context 10 s after the test coroutine ended";
}

/// Spawns coroutines and waits until all of them have ended (one thread:
/// use it from a one-thread io_context). An exception escaping one of them
/// fails the test. The state is shared with the spawned coroutines, so it
/// may go before they end.
class wait_group {
 public:
  explicit wait_group(const net::any_io_executor& executor) : state_(std::make_shared<state>(executor)) {}

  /// Spawns `f` (a function returning net::awaitable<void>; it is kept
  /// alive until its coroutine ends) and counts it.
  template <typename F>
  void spawn(F&& f) {
    ++state_->pending;
    net::co_spawn(state_->timer.get_executor(), std::forward<F>(f), [s = state_](const std::exception_ptr& e) {
      if (e) ADD_FAILURE() << "a spawned coroutine threw " << describe(e);
      if (--s->pending == 0) s->timer.cancel();
    });
  }

  /// Waits until every spawned coroutine has ended, at most `limit`;
  /// returns whether they all did.
  net::awaitable<bool> wait(steady::duration limit = std::chrono::hours(1)) {
    const std::shared_ptr<state> s = state_;
    const auto deadline = steady::now() + limit;
    while (s->pending > 0 && steady::now() < deadline) {
      s->timer.expires_at(deadline);
      error_code ignored;
      co_await s->timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
    co_return s->pending == 0;
  }

  [[nodiscard]] std::size_t pending() const { return state_->pending; }

 private:
  struct state {
    explicit state(const net::any_io_executor& executor) : timer(executor) {}
    net::steady_timer timer;
    std::size_t pending = 0;
  };
  std::shared_ptr<state> state_;
};

/// A pool's counts, for failure messages.
inline std::string stats_text(const pgwrap::pool_stats& s) {
  return "size " + std::to_string(s.size) + ", idle " + std::to_string(s.idle) + ", in_use " +
         std::to_string(s.in_use) + ", opening " + std::to_string(s.opening) + ", waiting " + std::to_string(s.waiting);
}

/// Waits for `d` on the current coroutine's executor.
inline net::awaitable<void> pause(steady::duration d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(net::use_awaitable);
}

/// Evaluates `check` every 5 ms until it is true or `limit` has passed;
/// returns whether it became true. `check` returns bool or
/// net::awaitable<bool> (a query to the server).
template <typename Check>
net::awaitable<bool> eventually(Check check, steady::duration limit = std::chrono::seconds(10)) {
  const auto deadline = steady::now() + limit;
  for (;;) {
    bool ok = false;
    if constexpr (std::is_same_v<decltype(check()), bool>) {
      ok = check();
    } else {
      ok = co_await check();
    }
    if (ok) co_return true;
    if (steady::now() >= deadline) co_return false;
    co_await pause(std::chrono::milliseconds(5));
  }
}

/// pg_stat_activity's state of backend `pid` ("active", "idle", "idle in
/// transaction", ...), or std::nullopt when there is no such backend.
inline net::awaitable<std::optional<std::string>> backend_state(pgwrap::async_database& observer, int pid) {
  const auto row =
      co_await observer.queryone<std::optional<std::string>>("SELECT state FROM pg_stat_activity WHERE pid = %s", pid);
  if (!row) co_return std::nullopt;
  co_return std::get<0>(*row).value_or("(null)");
}

/// A check for eventually(): backend `pid` is running a statement that
/// contains `text` (asked through `observer`, another connection).
inline auto running(pgwrap::async_database& observer, int pid, std::string text) {
  return [&observer, pid, text = std::move(text)]() -> net::awaitable<bool> {
    const auto n = co_await observer.scalar<std::int64_t>(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND state = 'active' AND strpos(query, %s) > 0", pid,
        text);
    co_return n > 0;
  };
}

/// A check for eventually(): backend `pid` is no longer running a statement
/// that contains `text`.
inline auto stopped_running(pgwrap::async_database& observer, int pid, std::string text) {
  return [check = running(observer, pid, std::move(text))]() -> net::awaitable<bool> {
    const bool still = co_await check();
    co_return !still;
  };
}

/// A check for eventually(): backend `pid` is idle (connected, no statement
/// running, no transaction open).
inline auto idle(pgwrap::async_database& observer, int pid) {
  return [&observer, pid]() -> net::awaitable<bool> {
    const auto state = co_await backend_state(observer, pid);
    co_return state == "idle";
  };
}

/// A thread for blocking work (the admin connection's pg_cancel_backend,
/// pg_terminate_backend) that must stay off the loop thread. Made before
/// the loop runs, so that not even starting a thread happens on the loop:
/// the loop hands it a job and polls the job's flag, never waiting on it.
class off_loop_worker {
 public:
  off_loop_worker() : thread_([this] { work(); }) {}
  ~off_loop_worker() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  off_loop_worker(const off_loop_worker&) = delete;
  off_loop_worker& operator=(const off_loop_worker&) = delete;

  /// Runs `job` on the worker thread; the flag is set once it has returned
  /// (what it wrote is then visible to the reader of the flag).
  std::shared_ptr<std::atomic<bool>> start(std::function<void()> job) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      jobs_.emplace_back(std::move(job), done);
    }
    wake_.notify_one();
    return done;
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      auto [job, done] = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      *done = true;
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::function<void()>, std::shared_ptr<std::atomic<bool>>>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

/// Has `admin` (a blocking connection, used by no other thread meanwhile)
/// run `SELECT <function>(pid)` on `worker`, and waits for it without
/// blocking the loop; returns "" or what went wrong.
inline net::awaitable<std::string> admin_call(off_loop_worker& worker, pgwrap::database& admin, const char* function,
                                              int pid) {
  auto error = std::make_shared<std::string>();
  const std::string sql = std::string("SELECT ") + function + "(%s)";
  const auto done = worker.start([&admin, sql, pid, error] {
    try {
      if (!admin.scalar<bool>(pgwrap::runtime_sql(sql), pid)) *error = sql + " returned false";
    } catch (const std::exception& e) {
      *error = describe(e);
    }
  });
  const bool finished = co_await eventually([&] { return done->load(); }, std::chrono::seconds(20));
  if (!finished) co_return std::string(function) + " did not return within 20 s";
  co_return *error;
}

/// Runs `SELECT pg_sleep(30) /* tag */` on `db` and, once `observer` sees
/// it running on backend `pid`, has `admin` cancel it with pg_cancel_backend
/// on `worker`. Returns how the statement ended: "query_canceled" is right;
/// when it has not ended 5 s after the cancel, it is cancelled through Asio
/// instead and the answer says so.
inline net::awaitable<std::string> cancel_from_outside(pgwrap::async_database& db, pgwrap::async_database& observer,
                                                       off_loop_worker& worker, pgwrap::database& admin, int pid,
                                                       const std::string& tag) {
  using namespace net::experimental::awaitable_operators;
  const auto ex = co_await net::this_coro::executor;
  const std::string sql = "SELECT pg_sleep(30) /* " + tag + " */";
  net::cancellation_signal rescue;
  std::string how = "not run";
  bool ended = false;
  auto sleeper = [&]() -> net::awaitable<void> {
    try {
      (void)co_await net::co_spawn(ex, db.execute(pgwrap::runtime_sql(sql)),
                                   net::bind_cancellation_slot(rescue.slot(), net::use_awaitable));
      how = "finished (ran 30 s: the cancel was lost)";
    } catch (const pgwrap::query_canceled&) {
      how = "query_canceled";
    } catch (const system_error& e) {
      how = is_operation_aborted(e) ? "still running 5 s after pg_cancel_backend (the cancel was lost)" : describe(e);
    } catch (const std::exception& e) {
      how = describe(e);
    }
    ended = true;
  };
  auto canceller = [&]() -> net::awaitable<void> {
    const bool started = co_await eventually(running(observer, pid, tag));
    EXPECT_TRUE(started) << tag << ": pg_sleep(30) never showed as running";
    const std::string error = co_await admin_call(worker, admin, "pg_cancel_backend", pid);
    EXPECT_EQ(error, "");
    const bool in_time = co_await eventually([&] { return ended; }, std::chrono::seconds(5));
    if (!in_time) rescue.emit(net::cancellation_type::terminal);
  };
  co_await (sleeper() && canceller());
  co_return how;
}

/// An environment variable as a positive integer, else `fallback`.
inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr) return fallback;
  const int n = std::atoi(v);
  return n > 0 ? n : fallback;
}

/// Ticks a 1 ms steady_timer until `stop`, keeping its worst lateness (when
/// it ran minus when it was due: how long the loop thread was kept from it)
/// and the `phase` the test was in then.
inline net::awaitable<void> tick_every_millisecond(const bool& stop, const std::string& phase, steady::duration& worst,
                                                   std::string& worst_phase, long& ticks) {
  net::steady_timer timer(co_await net::this_coro::executor);
  while (!stop) {
    const auto due = steady::now() + std::chrono::milliseconds(1);
    timer.expires_at(due);
    co_await timer.async_wait(net::use_awaitable);
    const auto late = steady::now() - due;
    if (late > worst) {
      worst = late;
      worst_phase = phase;
    }
    ++ticks;
  }
}

/// The tests' fixture: skips without a server; gives each test a schema of
/// its own (dropped afterwards, with every table the test made in it) and
/// `admin`, a blocking autocommit connection for setting up and checking
/// from outside. (db_test's blocking `db` member is left out: the async
/// tests call their async_database `db`.)
class async_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_configured()) GTEST_SKIP() << "no test server: set PGWRAP_TEST_DSN or run ./dev test";
    admin.connect(dsn());
    admin.set_autocommit(true);
    static int counter = 0;
    schema = "pgwrap_async_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    admin.execute(pgwrap::runtime_sql("CREATE SCHEMA " + pgwrap::quote_identifier(schema)));
  }

  void TearDown() override {
    if (schema.empty()) return;
    admin.execute(pgwrap::runtime_sql("DROP SCHEMA " + pgwrap::quote_identifier(schema) + " CASCADE"));
  }

  /// The test DSN with this test's schema first on the search_path (a
  /// connection option, so that it survives reconnects).
  [[nodiscard]] std::string schema_dsn() const {
    const std::string base = dsn();
    if (base.find("://") != std::string::npos) {
      return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
    }
    return base + " options=-csearch_path=" + schema;  // schema is [a-z0-9_]
  }

  /// `name` qualified with this test's schema, for SQL `admin` runs.
  [[nodiscard]] std::string qualified(const std::string& name) const {
    return pgwrap::quote_identifier(schema) + "." + pgwrap::quote_identifier(name);
  }

  pgwrap::database admin{dsn()};
  std::string schema;
};

}  // namespace pgwrap::test
