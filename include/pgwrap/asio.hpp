#pragma once
/// @file
/// The coroutine face: async_database, async_transaction, async_pool and
/// async_listener on Asio (standalone Asio by default, Boost.Asio when
/// pgwrap was configured with -DPGWRAP_ASIO=boost). Link pgwrap::asio. See
/// docs/async.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pgwrap/arguments.hpp"
#include "pgwrap/asio_config.hpp"  // generated: which Asio pgwrap::asio was built with
#include "pgwrap/error.hpp"
#include "pgwrap/identifier.hpp"
#include "pgwrap/listener.hpp"
#include "pgwrap/notification.hpp"
#include "pgwrap/pool.hpp"
#include "pgwrap/result.hpp"
#include "pgwrap/sql.hpp"
#include "pgwrap/typed_result.hpp"
#include "pgwrap/types.hpp"

#if PGWRAP_ASIO_BOOST
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
namespace pgwrap {
namespace net = ::boost::asio;  ///< the Asio pgwrap::asio was built with
}  // namespace pgwrap
#else
// Asio 1.22 recognises clang's coroutines only in their pre-C++20 (TS) form;
// pgwrap::asio also sets this for its users' targets, whatever they include first.
#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(ASIO_HAS_CO_AWAIT)
#define ASIO_HAS_CO_AWAIT 1
#endif
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
namespace pgwrap {
namespace net = ::asio;  ///< the Asio pgwrap::asio was built with
}  // namespace pgwrap
#endif

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// How an async_database behaves.
struct async_options {
  /// The most statements sent and not yet answered; more wait in a queue,
  /// first come, first served. Bounds the memory of a burst of callers.
  std::size_t max_in_flight = 1000;
  /// Cancels any statement running longer than this (query_canceled); 0
  /// keeps the server's setting.
  std::chrono::milliseconds statement_timeout{0};
  /// Prepared statements kept per connection (least recently used out);
  /// 0 prepares nothing (as a transaction-pooling pgbouncer needs).
  std::size_t statement_cache_size = 100;
  /// Receives the server's notices, on the database's strand; must not throw.
  std::function<void(std::string_view message)> on_notice{};
};

class async_database;
class async_transaction;
class async_pool;
class async_listener;

namespace detail {

/// One statement as the caller made it: its SQL expanded and its parameters
/// copied (so the caller's arguments need not outlive the call), or the
/// exception that building it threw, raised when it is awaited.
struct async_call;
using async_call_ptr = std::shared_ptr<async_call>;
/// Whether a described statement's rows may come in binary (typed reads).
using binary_chooser = bool (*)(const result_data& description);

/// `kind` (query or execute) and the SQL's summary are for observers.
async_call_ptr make_async_call(const sql_ref& sql, operation_kind kind, std::span<const arg_ref> args,
                               binary_chooser chooser);
async_call_ptr failed_async_call(std::exception_ptr error) noexcept;

template <typename... Args>
async_call_ptr bind_async_call(const sql_ref& sql, operation_kind kind, binary_chooser chooser, const Args&... args) {
  try {
    const bound_args<Args...> bound(args...);
    return make_async_call(sql, kind, bound.refs(), chooser);
  } catch (...) {
    return failed_async_call(std::current_exception());
  }
}

class PGWRAP_INTERNAL async_session;

/// The statement calls async_database and async_transaction share. `Face`
/// runs a call: `net::awaitable<std::shared_ptr<const result_data>> run(async_call_ptr)`.
template <typename Face>
class async_statements {
 public:
  /// Runs a query and returns all its rows, read with row["col"] / row[i].
  template <int&... ExplicitArgumentBarrier, typename... Args>
  net::awaitable<result> query(sql_string<Args...> sql, const Args&... args) {
    return untyped(bind_async_call(sql.ref(), operation_kind::query, nullptr, args...));
  }

  /// Rows as C++ values: `query<int, std::string>` yields tuples, `query<S>`
  /// structs described with PGWRAP_DESCRIBE (as database::query<T...>).
  template <typename... T, typename... Args>
  requires(sizeof...(T) >
           0) net::awaitable<typed_result<typename reader_for<T...>::type>> query(sql_string<Args...> sql,
                                                                                  const Args&... args) {
    using reader = typename reader_for<T...>::type;
    return typed<reader>(bind_async_call(sql.ref(), operation_kind::query, &reader::binary_ok, args...));
  }

  /// The first row, or std::nullopt when there is none.
  template <int&... ExplicitArgumentBarrier, typename... Args>
  net::awaitable<std::optional<row>> queryone(sql_string<Args...> sql, const Args&... args) {
    return first(bind_async_call(sql.ref(), operation_kind::query, nullptr, args...));
  }

  /// The first row as a tuple or struct (as query<T...>), or std::nullopt.
  template <typename... T, typename... Args>
  requires(sizeof...(T) > 0) net::awaitable<std::optional<typename reader_for<T...>::type::value_type>> queryone(
      sql_string<Args...> sql, const Args&... args) {
    using reader = typename reader_for<T...>::type;
    return typed_first<reader>(bind_async_call(sql.ref(), operation_kind::query, &reader::binary_ok, args...));
  }

  /// Runs a statement; returns the number of rows it affected.
  template <typename... Args>
  net::awaitable<std::int64_t> execute(sql_string<Args...> sql, const Args&... args) {
    return affected(bind_async_call(sql.ref(), operation_kind::execute, nullptr, args...));
  }

  /// The first column of the only row, as T (no row or more than one is an
  /// unexpected_rows error; NULL needs T = std::optional<U>).
  template <decodable T, typename... Args>
  net::awaitable<T> scalar(sql_string<Args...> sql, const Args&... args) {
    static_assert(!std::is_same_v<T, std::string_view> && !std::is_same_v<T, std::optional<std::string_view>>,
                  "scalar<std::string_view> would view a result that is gone when scalar returns; "
                  "use std::string");
    return single<T>(bind_async_call(sql.ref(), operation_kind::query, &scalar_binary_ok<T>, args...));
  }

  /// UPDATE table SET %S WHERE %W; an empty `where` is a usage_error (as
  /// database::update).
  template <typename Set, typename Where>
  requires(is_map_category(category_of<Set>()) &&
           is_map_category(category_of<Where>())) net::awaitable<std::int64_t> update(const ident& table,
                                                                                      const Set& set,
                                                                                      const Where& where) {
    if (std::ranges::empty(where)) return affected(failed_async_call(empty_condition("update")));
    return execute("UPDATE %I SET %S WHERE %W", table, set, where);
  }

  /// DELETE FROM table WHERE %W; an empty `where` is a usage_error.
  template <typename Where>
  requires(is_map_category(category_of<Where>())) net::awaitable<std::int64_t> delete_where(const ident& table,
                                                                                            const Where& where) {
    if (std::ranges::empty(where)) return affected(failed_async_call(empty_condition("delete_where")));
    return execute("DELETE FROM %I WHERE %W", table, where);
  }

 protected:
  async_statements() = default;

 private:
  Face& face() { return static_cast<Face&>(*this); }
  template <typename T>
  static bool scalar_binary_ok(const result_data& description) {
    return description.columns() >= 1 && reads_binary<T>(description.type_oid(0), description.types());
  }
  static std::exception_ptr empty_condition(const char* call) {
    return std::make_exception_ptr(usage_error(std::string(call) +
                                               ": an empty WHERE map would touch every row; write the "
                                               "statement out with execute() if that is meant"));
  }

  // Coroutines: they hold the call (never the caller's arguments). The
  // awaited value is named before use: g++ 12 mishandles temporaries in a
  // full-expression holding co_await (GCC bug 100611).
  net::awaitable<result> untyped(async_call_ptr call) {
    std::shared_ptr<const result_data> data = co_await face().run(std::move(call));
    co_return result(std::move(data));
  }
  template <typename Reader>
  net::awaitable<typed_result<Reader>> typed(async_call_ptr call) {
    std::shared_ptr<const result_data> data = co_await face().run(std::move(call));
    const result rows(std::move(data));
    co_return typed_result<Reader>(rows);
  }
  net::awaitable<std::optional<row>> first(async_call_ptr call) {
    std::shared_ptr<const result_data> data = co_await face().run(std::move(call));
    const result rows(std::move(data));
    co_return first_row(rows);
  }
  template <typename Reader>
  net::awaitable<std::optional<typename Reader::value_type>> typed_first(async_call_ptr call) {
    std::shared_ptr<const result_data> data = co_await face().run(std::move(call));
    const result untyped_rows(std::move(data));
    const typed_result<Reader> rows(untyped_rows);
    if (rows.empty()) co_return std::nullopt;
    co_return rows[0];
  }
  net::awaitable<std::int64_t> affected(async_call_ptr call) {
    std::shared_ptr<const result_data> data = co_await face().run(std::move(call));
    co_return data->affected_rows();
  }
  template <typename T>
  net::awaitable<T> single(async_call_ptr call) {
    std::shared_ptr<const result_data> data = co_await face().run(std::move(call));
    const result rows(std::move(data));
    co_return exactly_one_row(rows)[0].template as<T>();
  }
};

}  // namespace detail

/// One PostgreSQL connection shared by any number of coroutines.
/**
 * Nothing connects until connect() or the first statement. Statements that
 * coroutines await at the same time go out pipelined, each with its own
 * sync point: an error fails only its own caller, and each result reaches
 * the coroutine that asked for it. Outside begin() every statement commits
 * on its own (autocommit); begin() gives one coroutine the connection until
 * it commits or rolls back.
 *
 * @par Thread safety
 * The database keeps its state on its own strand, so its
 * members may be called from coroutines on any thread of the executor's
 * execution context; results resume each coroutine on its own executor.
 * A coroutine that races a call with a timer (`||`) must run on a strand
 * (or a one-thread io_context), as for any Asio operation.
 *
 * @par Cancellation
 * A call cancelled through Asio's per-operation cancellation
 * (including `co_await (db.query(...) || timer.async_wait(...))`) ends at
 * once with net::error::operation_aborted. Not yet sent, it leaves the
 * queue; sent, its result is dropped when it comes; running on the server,
 * the server is asked to cancel it (from another thread: libpq's cancel
 * blocks). Other callers are unaffected.
 *
 * @par Errors
 * Those of database: connection_error (with not_sent() true
 * when the statement never left, so it is safe to run again), sql_error and
 * its subclasses, usage_error, conversion_error, unexpected_rows.
 * Every error, including a bad argument or a wrong directive count for SQL
 * built at run time, is thrown when the call is awaited, never when it is
 * made; nothing is sent for a call whose arguments fail.
 *
 * @par LISTEN/NOTIFY
 * listen() remembers its channel, and every connection the
 * database opens again (after a lost connection) LISTENs to all of them
 * before anything else is sent; close() and an async_pool's reset forget
 * them. Notifications that arrive during any call are buffered until
 * wait_notification() takes them. For a connection that only listens, and
 * reconnects by itself, use async_listener.
 *
 * @par Statements
 * async_database and async_transaction share these calls (from an internal
 * base class); each is the awaitable twin of the database member of the
 * same name, with the same SQL directives, checks and results:
 * @code{.unparsed}
 * net::awaitable<result>            query(sql, args...)
 * net::awaitable<typed_result<...>> query<T...>(sql, args...)
 * net::awaitable<std::optional<row>> queryone(sql, args...)      // and queryone<T...>
 * net::awaitable<std::int64_t>      execute(sql, args...)        // rows affected
 * net::awaitable<T>                 scalar<T>(sql, args...)
 * net::awaitable<std::int64_t>      update(table, set, where)
 * net::awaitable<std::int64_t>      delete_where(table, where)
 * @endcode
 * See database::query(), database::query<T...>(), database::queryone(),
 * database::execute(), database::scalar(), database::update() and
 * database::delete_where().
 *
 * @code
 * pgwrap::async_database db(executor, "dbname=app");
 * pgwrap::result rows = co_await db.query("SELECT id, name FROM users WHERE uid > %s", 5);
 * auto n = co_await db.scalar<std::int64_t>("SELECT count(*) FROM users");
 * @endcode
 *
 * @par Lifetime
 * The SQL and arguments are copied when the call is made, so they need not
 * outlive the awaitable. Results own their rows, as database's do.
 * Destroying the async_database ends the calls still waiting with
 * net::error::operation_aborted (thrown as std::system_error).
 */
class async_database : public detail::async_statements<async_database> {
 public:
  /// The type of executor it runs on (Asio's I/O object convention).
  using executor_type = net::any_io_executor;

  /// A database that will connect with `conninfo` ("" means libpq's
  /// defaults, PG* variables included). Nothing connects yet.
  async_database(executor_type executor, std::string conninfo, async_options options = {});
  /// Closes the connection (uncommitted work is rolled back by the server);
  /// calls still waiting end with net::error::operation_aborted.
  ~async_database();
  /// Takes over the connection, its queue and its calls in progress. The
  /// moved-from database may be assigned to or destroyed; its awaitable
  /// calls throw usage_error when awaited.
  async_database(async_database&&) noexcept;
  /// Shuts this database down (as the destructor), then takes over `other`'s.
  async_database& operator=(async_database&&) noexcept;
  async_database(const async_database&) = delete;
  async_database& operator=(const async_database&) = delete;

  /// Connects now, if not connected yet (PQconnectStart / PQconnectPoll,
  /// never blocking the thread; the conninfo's connect_timeout bounds it).
  /// After close(), connect() opens the database again.
  net::awaitable<void> connect();
  /// Waits for the statements in flight, then closes the connection. Using
  /// the database afterwards is a usage_error until connect() is called.
  net::awaitable<void> close();
  /// Begins a transaction that has the connection to itself: other
  /// coroutines' statements wait until it commits or rolls back.
  net::awaitable<async_transaction> begin();

  /// The executor given to the constructor; a default-constructed one when
  /// moved from.
  [[nodiscard]] executor_type get_executor() const noexcept;
  /// The options given to the constructor.
  [[nodiscard]] const async_options& options() const noexcept;
  /// True while a connection is open.
  [[nodiscard]] bool is_connected() const noexcept;
  /// Where this database connects (password shown as ********).
  [[nodiscard]] std::string to_string() const;

  /// Statements sent and not yet answered (at most max_in_flight); a
  /// snapshot, for metrics and tests.
  [[nodiscard]] std::size_t in_flight() const noexcept;
  /// Calls waiting to be sent (not counted in in_flight()); a snapshot.
  [[nodiscard]] std::size_t queued() const noexcept;

  // --- LISTEN/NOTIFY (docs/async.md#notifications) ---
  // The channel is a name, sent quoted (case and spaces kept); an empty one,
  // one with a NUL byte or one over 63 bytes throws usage_error when awaited,
  // and nothing is sent. The arguments are copied when the call is made.

  /// LISTEN "channel"; the database remembers the channel (from the moment
  /// LISTEN is sent) and LISTENs to it again whenever it connects again.
  net::awaitable<void> listen(std::string_view channel);
  /// UNLISTEN "channel", forgotten from the moment it is sent.
  net::awaitable<void> unlisten(std::string_view channel);
  /// UNLISTEN *: every channel is forgotten.
  net::awaitable<void> unlisten_all();
  /// Sends `payload` to `channel`: SELECT pg_notify($1, $2), both as
  /// parameters (the payload must be under 8000 bytes: sql_error otherwise).
  net::awaitable<void> notify(std::string_view channel, std::string_view payload);

  /// The oldest notification not taken yet: at once when one is buffered,
  /// else waiting on the socket (no polling) until one arrives, or
  /// std::nullopt once `timeout` has passed (0: only what is buffered).
  /**
   * Connects (and LISTENs to the remembered channels) when not connected.
   * Notifications that arrived during other calls are buffered, never lost.
   * Several coroutines may wait at once: each notification goes to exactly
   * one of them, first come first served. A wait while an async_transaction
   * holds the connection is allowed, but the server only delivers
   * notifications between transactions: they come once it ends.
   *
   * Cancellable (Asio per-operation cancellation, `||` with a timer): it
   * then ends with net::error::operation_aborted and loses nothing; a
   * notification that arrives at the same moment stays buffered for the
   * next wait. Throws connection_error when the connection is lost while
   * waiting (the next call connects again, and LISTENs again), usage_error
   * after close(); close() and the destructor end waits with
   * operation_aborted.
   */
  net::awaitable<std::optional<notification>> wait_notification(std::chrono::milliseconds timeout);

  /// Installs `o` for this database (docs/observability.md): it sees the
  /// start and end of every operation from the next one on, called on the
  /// database's strand. Any thread; installing one observer twice here is
  /// a usage_error.
  void add_observer(std::shared_ptr<observer> o, observe_options options = {});
  /// Removes an observer installed on this database; false when it was not.
  bool remove_observer(const std::shared_ptr<observer>& o) noexcept;

 private:
  friend class detail::async_statements<async_database>;
  friend class async_transaction;
  friend class async_pool;
  friend class async_listener;           // its database's session: pooler refused, waits that never connect
  friend class async_pooled_connection;  // its pool queues a session reset on a returned connection
  net::awaitable<std::shared_ptr<const detail::result_data>> run(detail::async_call_ptr call);

  std::shared_ptr<detail::async_session> session_;
};

/// A transaction from async_database::begin(): while it is open, only its
/// own statements run on the connection. Destroyed without commit(), it is
/// rolled back (the ROLLBACK is sent without waiting for it).
class async_transaction : public detail::async_statements<async_transaction> {
 public:
  /// Takes over the open transaction; the moved-from one is no longer active().
  async_transaction(async_transaction&&) noexcept;
  /// Rolls back this transaction if it is still active (as the destructor),
  /// then takes over `other`'s.
  async_transaction& operator=(async_transaction&&) noexcept;
  async_transaction(const async_transaction&) = delete;
  async_transaction& operator=(const async_transaction&) = delete;
  ~async_transaction();

  /// Commits. A transaction an earlier error aborted is rolled back and the
  /// call throws sql_error 25P02; a connection lost during COMMIT throws
  /// commit_outcome_unknown. Afterwards the transaction is over.
  net::awaitable<void> commit();
  /// Rolls back; afterwards the transaction is over.
  net::awaitable<void> rollback();
  /// Neither committed nor rolled back yet.
  [[nodiscard]] bool active() const noexcept;

  struct PGWRAP_INTERNAL state;  ///< opaque: what the transaction's statements share with the database

 private:
  friend class detail::async_statements<async_transaction>;
  friend class async_database;
  async_transaction(std::shared_ptr<detail::async_session> session, std::shared_ptr<state> st) noexcept;
  net::awaitable<std::shared_ptr<const detail::result_data>> run(detail::async_call_ptr call);
  net::awaitable<void> finish(bool commit);

  std::shared_ptr<detail::async_session> session_;
  std::shared_ptr<state> state_;
};

/// A connection from async_pool::acquire(); it goes back to the pool when
/// destroyed (a transaction still open rolled back, the session reset).
/**
 * Move-only. The reset is queued on the connection, not awaited: it goes
 * out pipelined ahead of the next user's statements.
 *
 * @par Thread safety
 * The connection is an async_database (its calls from any thread of the
 * executor's context); the handle may be destroyed on any thread.
 *
 * @par Lifetime
 * The async_database stays valid while the handle holds it, also across
 * moves. A moved-from handle holds none: using it is a usage_error; assign
 * to it or destroy it.
 * The handle may outlive its pool: the connection keeps working and is
 * closed when the handle lets go of it.
 */
class async_pooled_connection {
 public:
  /// Takes over `other`'s connection; `other` then holds none.
  async_pooled_connection(async_pooled_connection&&) noexcept;
  /// Returns the connection this handle holds to the pool, then takes over
  /// `other`'s.
  async_pooled_connection& operator=(async_pooled_connection&&) noexcept;
  async_pooled_connection(const async_pooled_connection&) = delete;
  async_pooled_connection& operator=(const async_pooled_connection&) = delete;
  /// Returns the connection to the pool, or closes it when the pool no
  /// longer wants it (expired, drained, resized, pool destroyed).
  // Only std::system_error (locking) or std::bad_alloc can escape; terminating
  // then beats a pool that believes the connection is still lent.
  ~async_pooled_connection();  // NOLINT(bugprone-exception-escape)

  /// The connection.
  /**
   * @par Errors
   * usage_error on a handle that holds none (moved from, or the pool's own
   * handle for a connection it closed).
   */
  [[nodiscard]] async_database& db() const;
  /// The connection; as db().
  async_database& operator*() const { return db(); }
  /// The connection, for `c->query(...)`; as db().
  async_database* operator->() const { return &db(); }
  /// True while the handle holds a connection (false once moved from).
  explicit operator bool() const noexcept { return db_ != nullptr; }

 private:
  friend class async_pool;
  struct PGWRAP_INTERNAL pool_state;
  async_pooled_connection(std::shared_ptr<pool_state> pool, async_database* db) noexcept;
  std::shared_ptr<pool_state> pool_;
  async_database* db_ = nullptr;
  bool broken_ = false;                              // connecting it failed: dropped, not returned
  std::chrono::steady_clock::time_point lent_at_{};  // for pool_stats::total_use and the released event
};

/// A connection of its own that LISTENs to channels, for coroutines: the
/// twin of pgwrap::listener (pgwrap/listener.hpp).
/**
 * ```
 * pgwrap::async_listener jobs(executor, "dbname=app");
 * co_await jobs.listen("jobs");
 * for (;;) {
 *   pgwrap::listener_event event = co_await jobs.async_receive();
 *   if (event.reconnected()) co_await reload_jobs();  // some may have been missed
 *   else co_await run_job(event.notification.payload);
 * }
 * ```
 * Nothing connects until the first call. When the connection is lost,
 * async_receive() reconnects by itself, with backoff (reconnect_delay,
 * doubling up to max_reconnect_delay, on a timer: the loop never blocks),
 * LISTENs again to every channel, and then reports exactly one
 * `reconnected` event, before any notification of the new connection;
 * notifications received before the loss come first. Notifications sent
 * while it was away are gone: on `reconnected`, re-read what they stand for.
 *
 * It refuses a connection pooler (pgbouncer) with usage_error, before any
 * LISTEN: in transaction pooling a LISTEN stays on a server connection that
 * other clients then use. listener_options::allow_session_pooler accepts a
 * pooler in session pooling mode.
 *
 * @par Thread safety
 * Calls may come from coroutines on any thread of the executor's execution
 * context; state lives on the connection's strand.
 *
 * @par Errors
 * connection_error when the first connection (or the first after close())
 * cannot be made, and from listen() / unlisten() when the connection is lost
 * and cannot be made again; usage_error for a bad channel name or a refused
 * pooler; sql_error for a LISTEN the server rejects (also when it rejects one
 * while LISTENing again after a reconnect: trying again would not mend it).
 */
class async_listener {
 public:
  /// A listener that will connect with `conninfo` ("" means libpq's
  /// defaults). Nothing connects yet.
  async_listener(net::any_io_executor executor, std::string conninfo, listener_options options = {});
  /// Closes the connection; async_receive() calls still waiting end with
  /// net::error::operation_aborted.
  ~async_listener();
  /// Takes over the connection, channels and waiting calls. The moved-from
  /// listener may be assigned to or destroyed; its awaitable calls throw
  /// usage_error when awaited.
  async_listener(async_listener&&) noexcept;
  /// Closes this listener (as the destructor), then takes over `other`'s.
  async_listener& operator=(async_listener&&) noexcept;
  async_listener(const async_listener&) = delete;
  async_listener& operator=(const async_listener&) = delete;

  /// LISTEN to `channel` (quoted: case and spaces kept), connecting first
  /// when needed; tried once more on a connection lost meanwhile (LISTEN
  /// twice is harmless). Bad names throw usage_error when awaited.
  net::awaitable<void> listen(std::string_view channel);
  /// UNLISTEN `channel` and forget it; errors as listen().
  net::awaitable<void> unlisten(std::string_view channel);
  /// UNLISTEN * and forget every channel; errors as listen().
  net::awaitable<void> unlisten_all();
  /// The channels listened to, in the order first listened (a snapshot).
  [[nodiscard]] std::vector<std::string> channels() const;

  /// The next event: a notification, or `reconnected` after the connection
  /// was lost and opened again. Returns at once when a notification is
  /// buffered; otherwise waits on the socket, without limit: race it with a
  /// timer (`||`) for a timeout. Cancellable like any call (operation_aborted;
  /// nothing is lost: a notification that arrives at that moment stays for
  /// the next call). Several coroutines may receive at once: each event goes
  /// to one of them.
  net::awaitable<listener_event> async_receive();

  /// Whether its connection is open now.
  [[nodiscard]] bool is_connected() const noexcept;
  /// Closes the connection now, keeping the channels: waiting
  /// async_receive() calls end with operation_aborted, and the next call
  /// connects again, LISTENs to every channel, and reports no `reconnected`
  /// (the caller chose the gap).
  void close() noexcept;

  struct state;  ///< opaque: shared with its calls in progress

 private:
  std::shared_ptr<state> state_;
};

/// The coroutine twins of pool_options::check and configure, for async_pool.
/**
 * pool_options::check and configure take a blocking database, which would
 * block the loop: async_pool refuses them (usage_error) and takes these,
 * through its second constructor, instead. Each runs in the coroutine that
 * opens or vets the connection (acquire()'s caller, or the background one,
 * on the pool's strand); it may run statements on it, but not keep it.
 */
struct async_pool_callbacks {
  /// Awaited before an idle connection is handed out, after the pool's own
  /// check, and on each idle connection by the health check; false or an
  /// exception closes it (close_reason::failed_check) and acquire() goes on
  /// to another. Not called for a connection just opened.
  std::function<net::awaitable<bool>(async_database& db)> check{};
  /// Awaited once on each new connection, just after it connects (SET
  /// commands, LISTEN, type look-ups...). An exception closes it and counts
  /// as a failed connection attempt (backoff, on_connect_failure); in
  /// acquire() it is rethrown.
  std::function<net::awaitable<void>(async_database& db)> configure{};
};

/// A pool of async_databases for coroutines, with the options of pool.
/**
 * `co_await pool.acquire()` hands out an idle connection, opens a new one
 * while fewer than max_size exist, or waits, first come first served, up to
 * wait_timeout (then pool_timeout). A cancelled wait leaves the queue.
 * Every connection is in autocommit mode (pool_options::autocommit does not
 * apply, nor does stream_batch_size); reset, statement_timeout,
 * statement_cache_size, ping_after_idle and on_notice do.
 *
 * The lifecycle options apply as in pool (docs/pool.md, "Lifecycle"):
 * min_size, max_lifetime with its jitter, max_idle, health_check_period,
 * max_waiting, conninfo_provider, and the reconnect backoff with
 * on_connect_failure. The background work runs, only when one of min_size,
 * max_lifetime, max_idle or health_check_period is set, as a coroutine on a
 * strand of the pool's executor, driven by a timer: it never blocks the
 * loop, and it ends when the pool is destroyed. check and configure are
 * async_pool_callbacks' (pool_options' blocking ones are refused).
 *
 * @par Thread safety
 * Every member may be called from any thread; a mutex guards the pool's
 * bookkeeping, held briefly and never across a wait. conninfo_provider is
 * called on the executor (in acquire(), under that mutex; in the
 * background, without it); on_connect_failure and observers without it.
 *
 * @par Lifetime
 * Destroying the pool closes its idle connections, ends waiting acquire()
 * calls with usage_error and stops the background coroutine (which lets go
 * of the pool's state at its next step); connections checked out keep
 * working and are closed when their handles let go
 * (close_reason::pool_closed).
 */
class async_pool {
 public:
  /// A pool whose connections run on `executor` and connect with
  /// `conninfo` ("" means libpq's defaults); nothing connects until
  /// acquire() (or the background work, for min_size).
  /**
   * @par Errors
   * usage_error for options that cannot work, as pool's, and when
   * pool_options::check or configure is set (use async_pool_callbacks).
   */
  async_pool(net::any_io_executor executor, std::string conninfo, pool_options options = {});
  /// The same, with coroutine check and configure callbacks.
  async_pool(net::any_io_executor executor, std::string conninfo, pool_options options, async_pool_callbacks callbacks);
  /// Closes the idle connections; waiting acquire() calls end with
  /// usage_error (see Lifetime above).
  // As ~async_pooled_connection: only system_error or bad_alloc can escape.
  ~async_pool();  // NOLINT(bugprone-exception-escape)
  async_pool(const async_pool&) = delete;
  async_pool& operator=(const async_pool&) = delete;

  /// A connection, connected: an idle one (pinged first when idle for
  /// ping_after_idle, then vetted by async_pool_callbacks::check; a dead or
  /// refused one is closed and another taken), a new one (configured by
  /// async_pool_callbacks::configure), or the first to come back.
  /**
   * @par Errors
   * Thrown when awaited: pool_timeout when none came free within
   * wait_timeout; pool_overloaded when it would wait and max_waiting
   * coroutines wait already; connection_error when connecting fails (also
   * when conninfo_provider throws or returns ""); what
   * async_pool_callbacks::configure threw; usage_error when the pool
   * is destroyed first; net::error::operation_aborted (as std::system_error)
   * when the wait is cancelled.
   *
   * @par Lifetime
   * The pool must exist when the call is awaited; the awaitable keeps what
   * it needs after that.
   */
  net::awaitable<async_pooled_connection> acquire();
  /// A snapshot of the counts, as pool::stats(), taken under the pool's
  /// mutex: size == idle + in_use + opening (a connection being vetted by
  /// the health check counts as in use).
  [[nodiscard]] pool_stats stats() const;
  /// The options the pool was made with (resize() does not change them).
  [[nodiscard]] const pool_options& options() const noexcept;

  /// As pool::drain(): closes every idle connection now and every one in
  /// use when it comes back (close_reason::drained); up to min_size are
  /// opened again in the background. Thread-safe; never throws.
  void drain() noexcept;
  /// As pool::resize(): a new max_size and min_size (the background work
  /// opens up to the new min_size only when the pool was made with a
  /// lifecycle option that starts it). usage_error when max_size is 0 or
  /// min_size exceeds it. Thread-safe.
  void resize(std::size_t max_size, std::size_t min_size);

  /// Installs `o` for this pool: it sees the pool's events and every
  /// operation on the connections it lends (as pool::add_observer).
  void add_observer(std::shared_ptr<observer> o, observe_options options = {});
  /// Removes an observer installed on this pool; false when it was not.
  bool remove_observer(const std::shared_ptr<observer>& o) noexcept;

 private:
  std::shared_ptr<async_pooled_connection::pool_state> state_;
};

}  // namespace pgwrap
PGWRAP_API_END
