#pragma once
/// @file
/// A connection pool for multi-threaded programs (docs/pool.md).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "pgwrap/database.hpp"
#include "pgwrap/error.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// What a connection's session goes through when it comes back to the pool.
enum class session_reset {
  /// Everything DISCARD ALL does: the session is as good as new (settings,
  /// temporary tables, advisory locks, LISTEN, cursors, prepared
  /// statements); pgwrap's statement cache is forgotten with it.
  discard_all,
  /// The same, except that prepared statements are kept, so that the next
  /// user's statements skip preparing again. Statements the program
  /// prepared itself with SQL PREPARE are kept too.
  keep_prepared,
};

/// How a pool behaves; every connection it hands out has these settings.
struct pool_options {
  /// The most connections the pool holds at once (open, or being opened).
  std::size_t max_size = 10;
  /// How long acquire() waits for a connection when all are in use.
  std::chrono::milliseconds wait_timeout{30'000};
  /// An idle connection older than this is asked a round trip ("is the
  /// server still there?") before it is handed out; 0 asks every time.
  /// A cheaper check without a round trip is always made (docs/pool.md).
  std::chrono::milliseconds ping_after_idle{1'000};
  /// What a connection's session goes through when it comes back.
  session_reset reset = session_reset::discard_all;
  // The database settings each user starts with (see database); a
  // connection gets them again each time it comes back.

  /// The autocommit mode each user starts with (async_pool: always on).
  bool autocommit = false;
  /// The statement timeout each user starts with; 0: the server's.
  std::chrono::milliseconds statement_timeout{0};
  /// The prepared-statement cache size each user starts with
  /// (database::set_statement_cache_size()).
  std::size_t statement_cache_size = 100;
  /// The rows per round trip of stream() each user starts with; 0 is a
  /// usage_error. Not used by async_pool.
  std::size_t stream_batch_size = 1'000;
  /// Installed on every connection; called from whichever thread uses the
  /// connection, so it must be thread-safe. Empty: notices are dropped.
  std::function<void(std::string_view message)> on_notice{};

  // The lifecycle (docs/pool.md#lifecycle). A background thread does this
  // work; it runs only when min_size, max_lifetime, max_idle or
  // health_check_period is set.

  /// Connections the pool opens in the background and keeps open, idle or
  /// not; at most max_size.
  std::size_t min_size = 0;
  /// A connection older than this (plus its share of lifetime_jitter) is
  /// closed: when it would be handed out, when it comes back, or by the
  /// background thread while idle; never while it is in use. 0: no limit.
  std::chrono::milliseconds max_lifetime{0};
  /// Each connection's lifetime gets a random extra of up to this, so that
  /// connections opened together do not all expire together.
  std::chrono::milliseconds lifetime_jitter{0};
  /// An idle connection unused this long is closed while the pool holds
  /// more than min_size. 0: idle connections are kept.
  std::chrono::milliseconds max_idle{0};
  /// How often the background thread pings idle connections (replacing
  /// dead ones), closes expired ones and opens up to min_size. 0: no pings,
  /// and the other background work runs every second.
  std::chrono::milliseconds health_check_period{0};
  /// The most threads (async_pool: coroutines) waiting in acquire() at
  /// once; one more gets pool_overloaded at once.
  std::size_t max_waiting = std::numeric_limits<std::size_t>::max();
  /// Called before an idle connection is handed out, after the pool's own
  /// check; false or an exception closes it (close_reason::failed_check)
  /// and acquire() goes on to another. Called from the acquiring thread.
  std::function<bool(database& db)> check{};
  /// Called once on each new connection, just after it connects (SET
  /// commands, LISTEN, type registration...). An exception closes it and is
  /// a connection failure; in acquire() it is rethrown. Called from the
  /// thread that opens it (acquire()'s, or the background thread).
  std::function<void(database& db)> configure{};
  /// When set, called for every new connection instead of using the
  /// pool's conninfo (rotating passwords, cloud IAM tokens). It is called
  /// from the thread that opens the connection, without the pool's lock.
  std::function<std::string()> conninfo_provider{};
  /// After a failed connection attempt, the background thread waits this
  /// long before the next, doubling each time up to reconnect_backoff_max.
  std::chrono::milliseconds reconnect_backoff{100};
  /// The longest wait between attempts; below reconnect_backoff is a
  /// usage_error.
  std::chrono::milliseconds reconnect_backoff_max{10'000};
  /// Called on every failed attempt to open a connection once
  /// `connect_failures_to_report` attempts in a row have failed, with the
  /// count and the error's message (which never holds a password). Called
  /// from the opening thread, without the pool's lock; it must not throw.
  std::function<void(std::size_t failures_in_a_row, std::string_view message)> on_connect_failure{};
  /// Failed attempts in a row before on_connect_failure is first called.
  std::size_t connect_failures_to_report = 3;
};

/// A snapshot of a pool's counts.
struct pool_stats {
  std::size_t max_size = 0;  ///< as made, or as set by resize()
  std::size_t size = 0;      ///< connections open or being opened (idle + in use)
  std::size_t idle = 0;      ///< open, waiting in the pool
  std::size_t in_use = 0;    ///< checked out (or being opened, checked, reset)
  std::size_t waiting = 0;   ///< threads (async_pool: coroutines) waiting in acquire()
  // Counted since the pool was made:
  std::uint64_t acquires = 0;              ///< connections handed out
  std::uint64_t timeouts = 0;              ///< acquire() calls that gave up (pool_timeout)
  std::uint64_t connections_opened = 0;    ///< connections made
  std::uint64_t connections_closed = 0;    ///< connections closed (observers see each reason)
  std::chrono::nanoseconds total_wait{0};  ///< time spent in acquire(), summed over every call
  std::chrono::nanoseconds total_use{0};   ///< time connections were out, summed
  std::size_t opening = 0;                 ///< being opened: size = idle + in_use + opening always holds
  std::size_t min_size = 0;                ///< as made, or as set by resize()
  std::uint64_t waits = 0;                 ///< acquire() calls that had to wait
  /// connections_closed by reason, indexed by close_reason (closed(r) reads one).
  std::array<std::uint64_t, 9> closed_by_reason{};
  /// Connections closed for `reason` (its entry in closed_by_reason).
  [[nodiscard]] std::uint64_t closed(close_reason reason) const noexcept {
    return closed_by_reason[static_cast<std::size_t>(reason)];
  }
};

class pool;
namespace detail {
struct PGWRAP_INTERNAL pool_state;  // src/pool.cpp; shared by a pool and its handles
}  // namespace detail

/// A connection checked out of a pool: use it as a database (`c->query(...)`,
/// `*c`), and it goes back to the pool when the handle is destroyed.
/**
 * Move-only. A handle that holds no connection (default-made, moved from,
 * released or discarded) throws usage_error when used.
 *
 * @par Thread safety
 * Like any database, the connection is for one thread at a time; a handle
 * may be moved to another thread and released there.
 *
 * @par Lifetime
 * A reference taken with `*c` stays valid while this handle holds the
 * connection (moving the handle keeps it valid). A pgwrap::transaction on it
 * must end before the handle does (else the connection is closed, not
 * reused). The handle may outlive its pool: the connection is then closed
 * when the handle lets go of it.
 */
class pooled_connection {
 public:
  /// Holds no connection.
  pooled_connection() noexcept;
  /// Returns the connection to the pool, as release().
  ~pooled_connection();
  /// Takes over `other`'s connection; `other` then holds none.
  pooled_connection(pooled_connection&& other) noexcept;
  /// Returns what this handle held, then takes over `other`'s connection.
  pooled_connection& operator=(pooled_connection&& other) noexcept;
  pooled_connection(const pooled_connection&) = delete;
  pooled_connection& operator=(const pooled_connection&) = delete;

  /// The connection; usage_error when the handle holds none.
  [[nodiscard]] database& operator*() const;
  /// The connection, for `c->query(...)`; usage_error as operator*.
  [[nodiscard]] database* operator->() const { return &**this; }
  /// True while the handle holds a connection.
  explicit operator bool() const noexcept { return db_ != nullptr; }

  /// Returns the connection to the pool now (after a rollback and a session
  /// reset); the handle then holds none.
  void release() noexcept;
  /// Closes the connection instead of returning it (for a session whose
  /// state the reset cannot undo); the pool may open a new one in its place.
  void discard() noexcept;

 private:
  friend struct detail::pool_state;
  pooled_connection(std::shared_ptr<detail::pool_state> owner, std::unique_ptr<database> db,
                    std::chrono::steady_clock::time_point lent_at) noexcept;

  std::shared_ptr<detail::pool_state> owner_;  // keeps the pool's state alive
  std::unique_ptr<database> db_;
  std::chrono::steady_clock::time_point lent_at_{};  // for pool_stats::total_use and the released event
};

/// A thread-safe pool of at most max_size connections to one database.
/**
 * Connections are opened on demand, when acquire() finds none idle. A
 * connection that comes back is rolled back and reset (pool_options::reset)
 * and gets the pool's settings again; one that is lost, closed or cannot be
 * reset is closed instead, and the pool opens another when needed. An idle
 * connection is checked before it is handed out; a dead one is replaced,
 * never handed out. With min_size, max_lifetime, max_idle or
 * health_check_period set, a background thread of the pool does the
 * lifecycle work (docs/pool.md, "Lifecycle").
 *
 * @par Thread safety
 * All members may be called from any thread at once. The pool's lock covers
 * only its bookkeeping: connecting, checks and resets run without it.
 *
 * @par Lifetime
 * Destroying the pool closes its idle connections; connections still
 * checked out keep working and are closed when their handles let go. No
 * thread may be inside acquire() while the pool is destroyed.
 */
class pool {
 public:
  /// `conninfo` as for database; nothing connects until acquire() (or the
  /// background thread, for min_size).
  /**
   * @par Errors
   * usage_error for options that cannot work: max_size or stream_batch_size
   * 0, min_size above max_size, a negative duration, or
   * reconnect_backoff_max below reconnect_backoff.
   */
  explicit pool(std::string conninfo, pool_options options = {});
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// A connection, waiting up to options().wait_timeout for one to come
  /// back when all are in use: pool_timeout then. connection_error when a
  /// new connection cannot be opened.
  /**
   * @par Errors
   * Both overloads: pool_timeout when none came free within the wait;
   * pool_overloaded when it would wait and max_waiting callers wait
   * already; connection_error when a new connection cannot be opened (also
   * when conninfo_provider throws or returns ""); what configure threw;
   * usage_error while the pool is being destroyed. A dead or refused idle
   * connection is replaced, never reported.
   */
  [[nodiscard]] pooled_connection acquire();
  /// The same with its own wait (0: do not wait; negative: usage_error).
  [[nodiscard]] pooled_connection acquire(std::chrono::milliseconds wait);

  /// A snapshot of the counts, taken under the pool's lock (size == idle +
  /// in_use + opening); the totals may lag by the operations in flight.
  [[nodiscard]] pool_stats stats() const;
  /// The options the pool was made with (resize() does not change them).
  [[nodiscard]] const pool_options& options() const noexcept;

  /// Closes every idle connection now and every connection in use when it
  /// comes back (close_reason::drained); new ones are opened as needed, up
  /// to min_size in the background. For a changed password or a server that
  /// failed over. Does not wait. Thread-safe; never throws.
  void drain() noexcept;
  /// Changes max_size and min_size (options() keeps the values the pool was
  /// made with; stats() shows the new ones). Shrinking closes idle
  /// connections beyond the new max_size at once and connections in use
  /// when they come back (close_reason::resized); growing lets waiters open
  /// new ones at once. usage_error when max_size is 0 or min_size exceeds
  /// it. Thread-safe.
  void resize(std::size_t max_size, std::size_t min_size);

  /// Installs `o` for this pool (docs/observability.md): it sees the pool's
  /// events (pool_event) and every operation on the connections it lends,
  /// from the next one on. Installing one observer twice here is a
  /// usage_error. Thread-safe.
  void add_observer(std::shared_ptr<observer> o, observe_options options = {});
  /// Removes an observer installed on this pool; false when it was not.
  bool remove_observer(const std::shared_ptr<observer>& o) noexcept;

 private:
  friend struct detail::pool_state;

  std::shared_ptr<detail::pool_state> state_;
};

}  // namespace pgwrap
PGWRAP_API_END
