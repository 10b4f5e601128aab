#pragma once
/// @file
/// Observers: the start and end of every operation, and a pool's events,
/// for logs, metrics and traces (docs/observability.md).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// What an operation is. Each API call is one operation of its kind; a call
/// that connects first, or prepares its statement in a round trip of its
/// own, also shows a connect / reconnect / prepare operation inside it.
enum class operation_kind : unsigned char {
  query,         ///< query, queryone, scalar, query<T...>, insert ... returning
  execute,       ///< execute, insert, update, delete_where, and statements pgwrap runs for a call (listen, notify)
  stream_fetch,  ///< one batch of a stream's rows: its first (with the DECLARE) and each FETCH
  batch,         ///< executemany, execute_batch: batch_size statements in one pipeline
  copy_in,       ///< copy_in: COPY ... FROM STDIN
  copy_out,      ///< copy_out: COPY ... TO STDOUT, from its start to its last row
  prepare,       ///< a statement prepared (and described) in a round trip of its own
  commit,        ///< commit(), a transaction guard's or async_transaction's commit
  rollback,      ///< rollback(), and a transaction guard rolling back
  connect,       ///< the first connection (lazy or connect())
  reconnect,     ///< a new connection after one was lost or closed
};
/// "query", "execute", "stream_fetch", ...
[[nodiscard]] std::string_view to_string(operation_kind kind) noexcept;

/// A parameter as it was sent: only in events for an observer installed
/// with observe_options::parameter_values.
struct observed_parameter {
  std::uint32_t type_oid = 0;             ///< 0: the server infers the type
  bool binary = false;                    ///< PostgreSQL's binary format, else text
  std::optional<std::string_view> bytes;  ///< std::nullopt: NULL
};

/// One operation, as observers see it at its start and at its end.
/**
 * Lifetime: the views point into pgwrap's own buffers and the SQL; they are
 * valid only during the observer's call. Copy what you keep.
 *
 * Never in an event: parameter values (unless an observer opts in with
 * observe_options::parameter_values), the conninfo or a password, and the
 * server's error message (it may quote a value; the SQLSTATE is there).
 */
struct event {
  std::uint64_t id = 0;                         ///< the same at the start and the end; unique in the process
  operation_kind kind = operation_kind::query;  ///< what the operation is
  /// The SQL as sent, with $1, $2 ... where the values went; a stream's
  /// fetches carry the streamed query. Empty for connect and reconnect.
  std::string_view query_text;
  /// The statement's verb ("SELECT", "INSERT", "COPY", ...), "" when unknown.
  /// For SQL written as a literal it is found at compile time.
  std::string_view operation_name;
  /// The first table named after FROM, INTO, UPDATE, COPY, TABLE ..., as
  /// written (schema included); "" when there is none. Compile time for a literal.
  std::string_view collection_name;
  std::size_t batch_size = 1;  ///< statements sent together (executemany: its rows)
  /// At the end: rows returned (query, stream_fetch, copy_out), affected
  /// (execute, batch) or loaded (copy_in); -1 when unknown or failed.
  std::int64_t rows = -1;
  bool prepared = false;   ///< ran as a prepared statement
  bool cache_hit = false;  ///< ... that this connection had prepared before

  bool failed = false;          ///< at the end: the operation threw
  std::string_view sqlstate;    ///< the server's SQLSTATE when it reported one, else ""
  std::string_view error_type;  ///< the exception's class, e.g. "pgwrap::unique_violation"

  /// At the end: time waiting in pgwrap before the request left (a
  /// coroutine's statement queued behind others, a lazy connect), and from
  /// then until the last result (network and server).
  std::chrono::nanoseconds queued{0};
  std::chrono::nanoseconds wire{0};  ///< at the end: from sending the request to its last result
  /// At the end: queued + wire, the whole operation.
  [[nodiscard]] std::chrono::nanoseconds duration() const noexcept { return queued + wire; }

  std::string_view server_address;  ///< host name, address, or Unix socket directory; "" before connecting
  int server_port = 0;              ///< the port libpq reports (also for a Unix socket); 0 before connecting
  std::string_view database_name;   ///< the database connected to; "" before connecting
  int backend_pid = 0;              ///< 0 when not connected (behind a pooler: the pooler's pid)

  /// The parameters, in $n order; empty unless the observer opted in.
  std::span<const observed_parameter> parameters;
};

/// Why a pool closed a connection.
enum class close_reason : unsigned char {
  broken,        ///< found dead or out of step (a check, a lost connection)
  reset_failed,  ///< the session could not be reset when it came back
  pool_closed,   ///< the pool was destroyed, or its handle outlived it
  failed_check,  ///< it failed the check before being handed out
  discarded,     ///< its user discarded it (pooled_connection::discard)
  expired,       ///< older than pool_options::max_lifetime (plus its jitter)
  idle_timeout,  ///< idle longer than pool_options::max_idle, above min_size
  drained,       ///< pool::drain() was called after it was opened
  resized,       ///< pool::resize() left no room for it
};
/// "broken", "reset_failed", "pool_closed", ...
[[nodiscard]] std::string_view to_string(close_reason reason) noexcept;

/// Something a pool did.
struct pool_event {
  /// Which event it is.
  enum class kind : unsigned char {
    acquired,           ///< a connection was handed out; `wait` is how long acquire() waited
    released,           ///< it came back; `use` is how long it was out
    timed_out,          ///< acquire() gave up after `wait`
    connection_opened,  ///< a new connection; `wait` is how long connecting took
    connection_closed,  ///< a connection was closed, for `reason`
  };
  /// Which event it is. Each acquire() that returns gives connection_opened
  /// (when it opened one) then acquired; each handle that lets go gives
  /// released, then connection_closed when the connection is not kept.
  kind what = kind::acquired;
  std::chrono::nanoseconds wait{0};            ///< acquired, timed_out: the wait; connection_opened: the connect
  std::chrono::nanoseconds use{0};             ///< released: how long the connection was out
  close_reason reason = close_reason::broken;  ///< connection_closed: why
  std::size_t max_size = 0;                    ///< the pool's size and counts just after the event
  std::size_t idle = 0;                        ///< connections open and free, just after the event
  std::size_t in_use = 0;                      ///< connections handed out, just after the event
  std::size_t waiting = 0;                     ///< callers waiting in acquire(), just after the event
};
/// "acquired", "released", "timed_out", ...
[[nodiscard]] std::string_view to_string(pool_event::kind what) noexcept;

/// Sees operations and pool events. Override what you need; every call
/// comes from the thread running the operation, so an observer installed
/// on more than one database (or for the process) must be thread-safe.
/**
 * An observer that throws never changes the operation's result or its
 * exception: pgwrap catches what it throws, passes it to the handler set
 * with set_observer_error_handler() (by default it is dropped), and goes
 * on with the next observer.
 */
class observer {
 public:
  virtual ~observer() = default;
  /// An operation starts: the fields known before it runs are set. Does
  /// nothing unless overridden.
  virtual void on_start(const event& e);
  /// The operation ended (rows, failed, sqlstate, queued and wire are set).
  /// Does nothing unless overridden.
  virtual void on_end(const event& e);
  /// A pool this observer is installed on (or any pool, for a process-wide
  /// observer) did something. Does nothing unless overridden.
  virtual void on_pool_event(const pool_event& e);
};

/// How an observer is installed.
struct observe_options {
  /// Pass the parameters' values in event::parameters. Off by default:
  /// values stay out of logs and traces unless asked for here.
  bool parameter_values = false;
};

/// Installs `o` for every database, pool and coroutine face in the process,
/// alongside any already installed; it sees operations from the next one
/// on. Thread-safe. Installing one observer twice is a usage_error.
void add_observer(std::shared_ptr<observer> o, observe_options options = {});
/// Removes a process-wide observer; false when it was not installed. An
/// operation already started may still end on it.
bool remove_observer(const std::shared_ptr<observer>& o) noexcept;

/// Receives what an observer threw (see observer); thread-safe; nullptr
/// drops it again (the default). The handler must not throw.
void set_observer_error_handler(std::function<void(std::exception_ptr)> handler);

/// An observer that logs operations slower than `threshold` to `sink`, one
/// line each: duration, kind, SQL as sent (placeholders, never values),
/// SQLSTATE on failure, rows, server and backend pid.
[[nodiscard]] std::shared_ptr<observer> slow_query_log(std::chrono::nanoseconds threshold,
                                                       std::function<void(std::string_view line)> sink);

/// A value for OpenTelemetry: a string or an integer.
using attribute_value = std::variant<std::string, std::int64_t>;
/// Attribute names and values; the names are static strings.
using attributes = std::vector<std::pair<std::string_view, attribute_value>>;

/// An operation's attributes named as OpenTelemetry's database client
/// conventions name them: db.system.name (postgresql), db.namespace,
/// db.query.text, db.operation.name, db.collection.name,
/// db.operation.batch.size (2 or more only), db.response.status_code and
/// error.type (on failure), server.address, server.port. Attributes with
/// nothing to say are left out.
[[nodiscard]] attributes otel_attributes(const event& e);

struct pool_stats;
/// A pool's metrics named as OpenTelemetry's connection pool conventions:
/// one entry per metric and attribute set.
struct metric {
  std::string_view name;   ///< e.g. "db.client.connection.count"
  std::string_view unit;   ///< "{connection}", "{request}", "{timeout}", "s"
  std::string_view state;  ///< db.client.connection.state ("idle", "used") or ""
  double value = 0;        ///< the count, or the total in `unit`
};
/// db.client.connection.count (idle, used), .max, .pending_requests,
/// .timeouts (since the pool was made), .wait_time and .use_time (totals in
/// seconds; an observer's pool events give each one for a histogram).
[[nodiscard]] std::vector<metric> pool_metrics(const pool_stats& stats);

}  // namespace pgwrap
PGWRAP_API_END
