#pragma once
/// @file
/// A database: one PostgreSQL connection, opened lazily, and the query API.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "pgwrap/arguments.hpp"
#include "pgwrap/batch.hpp"
#include "pgwrap/describe.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/fields.hpp"
#include "pgwrap/identifier.hpp"
#include "pgwrap/notification.hpp"
#include "pgwrap/observer.hpp"
#include "pgwrap/result.hpp"
#include "pgwrap/sql.hpp"
#include "pgwrap/stream.hpp"
#include "pgwrap/typed_result.hpp"
#include "pgwrap/types.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

class transaction;
namespace detail {
struct PGWRAP_INTERNAL pool_gate;
}  // namespace detail

/// A connection to a PostgreSQL database, with psycopgwrap's query API.
/**
 * The connection is opened on first use (or by connect()) and closed by
 * close() or the destructor. Transactions work as in psycopg2: unless
 * autocommit is on, the first statement begins a transaction that lasts
 * until commit() or rollback(); closing or destroying a database with
 * uncommitted work rolls it back, never commits it.
 *
 * SQL takes `%s` for each argument, `%(name)s` for pgwrap::arg("name", v),
 * `%S` / `%W` / `%O` for a map (SET list, AND / OR conditions), `%I` for an
 * identifier and `%%` for a literal percent sign (docs/formatting.md).
 * Values are always sent as parameters, never spliced into the text. A
 * string literal is checked at compile time; SQL built at run time must be
 * wrapped in pgwrap::runtime_sql and is checked when the call runs.
 *
 * @par Thread safety
 * A database is not thread-safe; use one per thread (or guard
 * it with a mutex). A call made while another is in progress (from a second
 * thread, or from inside a batch's range or a notice handler) is refused
 * with usage_error rather than let in; cancel() is the one member another
 * thread may call. Results and rows are independent of the database.
 *
 * @par Errors
 * connection_error when connecting fails or the connection is
 * lost, sql_error (or a subclass) when the server rejects a statement,
 * usage_error for API misuse, conversion_error for values that cannot be
 * sent. Nothing is sent when an argument cannot be encoded.
 */
class database {
 public:
  /// Conninfo from the environment, resolved when connecting: DATABASE_URL
  /// when set, else libpq's defaults (PG* variables, ~/.pgpass, service files).
  database();
  /// A key=value or postgresql:// URI conninfo; "" means libpq's defaults.
  explicit database(std::string conninfo);
  ~database();
  /// Takes over the connection and its state. The moved-from database may
  /// be assigned to or destroyed; its other calls throw usage_error (or, for
  /// the noexcept ones, report it as not connected).
  database(database&&) noexcept;
  /// Closes this database's connection (rolling back its uncommitted work),
  /// then takes over `other`'s, as the move constructor.
  database& operator=(database&&) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  /// Connects now with a new conninfo (closing any open connection first,
  /// which rolls back its uncommitted work).
  void connect(std::string conninfo);
  /// Connects now, if not connected yet.
  /**
   * @par Errors
   * Both overloads: connection_error when connecting fails (bad conninfo,
   * server unreachable, authentication; the message never holds a
   * password), and usage_error while another call is in progress.
   */
  void connect();
  /// Rolls back uncommitted work and closes the connection. Using the
  /// database afterwards is a usage_error until connect() is called.
  void close() noexcept;
  /// True while a connection is open.
  [[nodiscard]] bool is_connected() const noexcept;
  /// For logs: where this database connects, as key=value pairs with any
  /// password shown as ********, and whether it is connected. Never contains
  /// a password.
  [[nodiscard]] std::string to_string() const;

  /// Runs a query and returns all its rows, read with row["col"] / row[i].
  /**
   * @code
   * for (auto row : db.query("SELECT id, name FROM users WHERE uid > %s", 5))
   *   std::cout << row["id"].as<int>() << " " << row["name"].as<std::string>() << "\n";
   * @endcode
   *
   * @par Errors
   * usage_error for a call made while another is in progress, or after
   * close(); conversion_error for an argument that cannot be sent (nothing
   * is sent then); connection_error when connecting fails or the connection
   * is lost; sql_error (or the subclass for its SQLSTATE) when the server
   * rejects the statement.
   *
   * @par Lifetime
   * The result owns its rows: it stays valid after the database runs other
   * statements, is closed or is destroyed.
   */
  // (The int&... pack only makes query<T>(...) mean the typed overload below.)
  template <int&... ExplicitArgumentBarrier, typename... Args>
  result query(sql_string<Args...> sql, const Args&... args) {
    const detail::bound_args<Args...> bound(args...);
    return run(sql.ref(), operation_kind::query, bound.refs(), nullptr);
  }

  /// Runs a query whose rows read as C++ values: `query<int, std::string>`
  /// yields std::tuple<int, std::string> (the column count must match);
  /// `query<S>` for a struct described with PGWRAP_DESCRIBE yields S, its
  /// members matched to columns by name (missing or extra columns are a
  /// usage_error, unless read as pgwrap::relaxed<S>).
  /**
   * Typed reads are prepared and cached (see set_statement_cache_size), and
   * their rows come in PostgreSQL's binary format when every column's codec
   * reads it, else in text.
   *
   * @par Errors
   * As query(); also usage_error when the columns do not match T..., and
   * conversion_error (unexpected_null for a NULL) when a value does not fit
   * its C++ type. Columns are checked when the rows arrive, values as each
   * row is read.
   *
   * @par Lifetime
   * As query(): the result owns its rows.
   */
  template <typename... T, typename... Args>
  requires(sizeof...(T) > 0) typed_result<typename detail::reader_for<T...>::type> query(sql_string<Args...> sql,
                                                                                         const Args&... args) {
    using reader = typename detail::reader_for<T...>::type;
    const detail::bound_args<Args...> bound(args...);
    return typed_result<reader>(run(sql.ref(), operation_kind::query, bound.refs(), &reader::binary_ok));
  }

  /// Runs a query and hands its rows over as they arrive: memory stays flat
  /// whatever the size, and the first row comes before the last is made.
  /**
   * `for (auto row : db.stream("SELECT ..."))`: rows come from a server-side
   * cursor, fetched set_stream_batch_size() rows per round trip, so the same
   * database may run other statements inside the loop. The cursor lives in
   * the current transaction (psycopg2's implicit one by default); in
   * autocommit mode it is WITH HOLD, and the server then computes every row
   * before sending the first. Statements a cursor cannot run (INSERT ...
   * RETURNING, SELECT ... INTO, SHOW) run at once and are read from memory.
   * See docs/streaming.md for what inner statements see and cost.
   *
   * @par Errors
   * As query(), both here and while the loop fetches the next batch; also,
   * from the loop, usage_error when the transaction the cursor lives in
   * ended before the last row, and connection_error when the database was
   * closed, destroyed or lost its connection meanwhile.
   *
   * @par Lifetime
   * The stream reads through its database, which should outlive the loop;
   * rows handed out stay valid after it, as any row does.
   */
  template <int&... ExplicitArgumentBarrier, typename... Args>
  row_stream stream(sql_string<Args...> sql, const Args&... args) {
    const detail::bound_args<Args...> bound(args...);
    auto opened = open_stream(sql.ref(), bound.refs(), nullptr);
    return row_stream(std::move(opened.source), std::move(opened.first));
  }

  /// The same, with rows read as tuples or structs as query<T...> reads them;
  /// errors as stream() and query<T...>().
  template <typename... T, typename... Args>
  requires(sizeof...(T) > 0) typed_stream<typename detail::reader_for<T...>::type> stream(sql_string<Args...> sql,
                                                                                          const Args&... args) {
    using reader = typename detail::reader_for<T...>::type;
    const detail::bound_args<Args...> bound(args...);
    auto opened = open_stream(sql.ref(), bound.refs(), &reader::binary_ok);
    return typed_stream<reader>(std::move(opened.source), std::move(opened.first));
  }

  /// Rows per FETCH for stream() (1,000 by default; two are fetched ahead):
  /// smaller batches cost less memory; larger ones fewer round trips, but
  /// the server stores each FETCH's rows before sending them, which slows
  /// it past a few hundred kilobytes per batch (docs/streaming.md). Takes
  /// effect for the next stream; 0 is a usage_error.
  void set_stream_batch_size(std::size_t rows);
  /// Rows per FETCH for stream() and copy_out() (see set_stream_batch_size()).
  [[nodiscard]] std::size_t stream_batch_size() const noexcept;

  /// The first row, or std::nullopt when there is none (psycopg's
  /// fetchone). Add LIMIT 1 when more rows may match: they are fetched too.
  /// Errors as query().
  template <int&... ExplicitArgumentBarrier, typename... Args>
  std::optional<row> queryone(sql_string<Args...> sql, const Args&... args) {
    return detail::first_row(query(sql, args...));
  }

  /// The first row as a tuple or struct (as query<T...>), or std::nullopt.
  /// Errors as query<T...>().
  template <typename... T, typename... Args>
  requires(sizeof...(T) > 0) auto queryone(sql_string<Args...> sql, const Args&... args)
      -> std::optional<typename detail::reader_for<T...>::type::value_type> {
    const auto rows = query<T...>(sql, args...);
    if (rows.empty()) return std::nullopt;
    return rows[0];
  }

  /// Runs a statement; returns the number of rows it affected (0 for
  /// statements without a count, such as CREATE TABLE). Errors as query().
  template <typename... Args>
  std::int64_t execute(sql_string<Args...> sql, const Args&... args) {
    const detail::bound_args<Args...> bound(args...);
    return run(sql.ref(), operation_kind::execute, bound.refs(), nullptr).affected_rows();
  }

  /// The first column of the only row, as T. No row or more than one row is
  /// an unexpected_rows error; NULL needs T = std::optional<U>.
  /**
   * @code
   * auto n = db.scalar<std::int64_t>("SELECT count(*) FROM users WHERE uid > %s", 5);
   * @endcode
   *
   * @par Errors
   * As query(); also unexpected_rows for no row or several, and
   * conversion_error (unexpected_null for a NULL) when the value does not
   * fit T.
   */
  template <decodable T, typename... Args>
  T scalar(sql_string<Args...> sql, const Args&... args) {
    static_assert(!std::is_same_v<T, std::string_view> && !std::is_same_v<T, std::optional<std::string_view>>,
                  "scalar<std::string_view> would view a result that is gone when scalar returns; "
                  "use std::string");
    const detail::bound_args<Args...> bound(args...);
    return detail::exactly_one_row(run(sql.ref(), operation_kind::query, bound.refs(), &scalar_binary_ok<T>))[0]
        .template as<T>();
  }

  /// INSERT INTO table (columns...) VALUES (values...); returns the row count.
  /// Table and column names are quoted identifiers; values are parameters.
  /// Errors as query().
  std::int64_t insert(const ident& table, const fields& values);
  /// The same with RETURNING: returns the inserted row's `columns`;
  /// unexpected_rows when no row was inserted (e.g. a rule or trigger
  /// dropped it).
  row insert(const ident& table, const fields& values, const returning& columns);
  /// INSERT of a struct described with PGWRAP_DESCRIBE: every member is a
  /// column (use pgwrap::to_fields(value, {"id"}) to leave some out).
  template <detail::described S>
  std::int64_t insert(const ident& table, const S& value) {
    return insert(table, to_fields(value));
  }

  /// UPDATE table SET %S WHERE %W; returns the number of rows updated.
  /**
   * `set` and `where` are maps of column to value (pgwrap::fields,
   * std::map<std::string, V>, a vector of pairs); a NULL in `where` matches
   * with IS NULL. An empty `where` is a usage_error, not "every row": write
   * that out with execute() if you mean it.
   */
  template <typename Set, typename Where>
  requires(detail::is_map_category(detail::category_of<Set>()) &&
           detail::is_map_category(detail::category_of<Where>())) std::int64_t
      update(const ident& table, const Set& set, const Where& where) {
    require_condition(std::ranges::empty(where), "update");
    return execute("UPDATE %I SET %S WHERE %W", table, set, where);
  }

  /// DELETE FROM table WHERE %W; returns the number of rows deleted. An
  /// empty `where` is a usage_error, as for update().
  template <typename Where>
  requires(detail::is_map_category(detail::category_of<Where>())) std::int64_t
      delete_where(const ident& table, const Where& where) {
    require_condition(std::ranges::empty(where), "delete_where");
    return execute("DELETE FROM %I WHERE %W", table, where);
  }

  /// Runs the statement once per row of `rows` (each a std::tuple of the
  /// arguments), pipelined: the rows travel in batches, not a round trip
  /// each. Returns the total number of rows affected.
  /**
   * All or nothing: in autocommit mode the rows run in one transaction; in
   * a transaction they run inside a savepoint, released at the end. A server
   * error throws the matching sql_error with statement_index() naming the
   * failing row (from 0); an argument that cannot be encoded throws
   * conversion_error, and what was sent of the run is undone.
   *
   * @code
   * std::vector<std::tuple<std::string, int>> users{{"Al", 10}, {"Bea", 11}};
   * db.executemany("INSERT INTO users (name, uid) VALUES (%s, %s)", users);
   * @endcode
   *
   * @par Errors
   * As above, and as query() for the rest (usage_error, connection_error).
   * An exception thrown by the range itself propagates, and the run is
   * undone as for a failed row.
   */
  template <detail::iterable R>
  std::int64_t executemany(typename detail::sql_for_rows<R>::type sql, R&& rows) {
    std::size_t expected = 0;  // for observers; 0: unknown
    if constexpr (requires { std::size(rows); }) expected = static_cast<std::size_t>(std::size(rows));
    const run_handle<pipeline_run> run = start_pipeline(nullptr, expected);
    try {
      std::size_t index = 0;
      for (const auto& row : rows) {
        try {
          std::apply(
              [&](const auto&... args) {
                const detail::bound_args<std::remove_cvref_t<decltype(args)>...> bound(args...);
                pipeline_send(*run, sql.ref(), bound.refs());
              },
              row);
        } catch (const conversion_error& e) {  // name the row, as a server error's statement_index() does
          throw conversion_error("executemany: row " + std::to_string(index) + ": " + e.what());
        }
        ++index;
      }
      return pipeline_finish(*run);
    } catch (...) {
      pipeline_failed(*run);
      throw;
    }
  }

  /// Runs the batch's statements in one pipeline and returns their results,
  /// in order; all or nothing, with errors as for executemany().
  std::vector<result> execute_batch(const batch& statements);

  /// Bulk-loads `rows` (each a std::tuple, one element per column, or a
  /// struct described with PGWRAP_DESCRIBE) into `columns` of `table` with
  /// COPY ... FROM STDIN; returns the number of rows loaded.
  /**
   * Binary COPY when every value's binary form is exactly its column's type
   * (e.g. int into integer, std::int64_t into bigint, double into double
   * precision), else text COPY with each value escaped; either way values
   * never pass through SQL text. COPY is one statement: a row that cannot be
   * encoded or that the server rejects fails the whole load, leaving the
   * table unchanged, and the error's statement_index() names the row (from
   * 0). For structs, `columns` may be left empty to mean every member.
   *
   * @par Errors
   * sql_error from the server (statement_index() names the row when the
   * server says which line failed); conversion_error naming the row for a
   * value that cannot be encoded; usage_error for a row element that is not
   * a value (a list, map or identifier), and as query(); connection_error.
   */
  template <detail::iterable R>
  std::int64_t copy_in(const ident& table, std::initializer_list<std::string_view> columns, R&& rows) {
    using row_type = detail::range_element_t<R>;
    std::vector<std::string> names(columns.begin(), columns.end());
    if constexpr (detail::described<row_type>) {
      if (names.empty()) {
        std::apply([&](const auto&... m) { (names.emplace_back(m.name), ...); }, detail::members_of<row_type>());
      }
    }
    const run_handle<copy_run> run = start_copy(table, names);
    try {
      std::size_t index = 0;
      for (const auto& row : rows) {
        try {
          if constexpr (detail::described<row_type>) {
            std::apply([&](const auto&... m) { send_copy_row(*run, row.*(m.pointer)...); },
                       detail::members_of<row_type>());
          } else {
            std::apply([&](const auto&... values) { send_copy_row(*run, values...); }, row);
          }
        } catch (const conversion_error& e) {
          throw conversion_error("copy_in: row " + std::to_string(index) + ": " + e.what());
        }
        ++index;
      }
      return copy_finish(*run);
    } catch (...) {
      copy_failed(*run);
      throw;
    }
  }

  /// Bulk export: `COPY (query) TO STDOUT`, its rows handed over as they
  /// arrive, as pgwrap::row (text COPY) or, with T..., as tuples or structs
  /// (binary COPY when every column's codec reads binary, else text).
  /**
   * COPY takes no parameters, so the query takes no values: only table and
   * column names, as pgwrap::ident for %I (a value is a compile error; use
   * stream() for queries with values). `db.copy_out("TABLE %I", ident("t"))`
   * exports a whole table. The connection is busy until the last row has
   * been read: another call on the database inside the loop is a
   * usage_error, and a loop left early reads and drops the rest. Memory
   * stays flat (set_stream_batch_size() rows at a time).
   *
   * @par Errors
   * As stream(); an argument other than pgwrap::ident is a compile error.
   *
   * @par Lifetime
   * As stream(): the database must outlive the loop.
   * @{
   */
  template <typename... Names>
  row_stream copy_out(sql_string<Names...> query, const Names&... names) {
    check_copy_out_names<Names...>();
    const detail::bound_args<Names...> bound(names...);
    auto opened = open_copy_out(query.ref(), bound.refs(), nullptr);
    return row_stream(std::move(opened.source), std::move(opened.first));
  }
  template <typename... T, typename... Names>
  requires(sizeof...(T) > 0) typed_stream<typename detail::reader_for<T...>::type> copy_out(sql_string<Names...> query,
                                                                                            const Names&... names) {
    check_copy_out_names<Names...>();
    using reader = typename detail::reader_for<T...>::type;
    const detail::bound_args<Names...> bound(names...);
    auto opened = open_copy_out(query.ref(), bound.refs(), &reader::binary_ok);
    return typed_stream<reader>(std::move(opened.source), std::move(opened.first));
  }
  /// @}

  /// Commits the current transaction; nothing to do when none is open.
  /**
   * Throws sql_error with SQLSTATE 25P02 when the transaction had failed
   * (the server then rolled it back instead), and usage_error while a
   * pgwrap::transaction guard is active (commit through the guard).
   */
  void commit();
  /// Rolls back the current transaction; nothing to do when none is open.
  /// Also acknowledges a connection lost during a transaction.
  void rollback();

  /// In autocommit mode every statement commits on its own; no implicit
  /// transaction begins. Changing it inside a transaction is a usage_error.
  void set_autocommit(bool on);
  /// Whether autocommit mode is on (off by default).
  [[nodiscard]] bool autocommit() const noexcept;
  /// True while a transaction is open (implicit or through a guard).
  [[nodiscard]] bool in_transaction() const noexcept;

  /// Asks the server to stop the statement this database is running. Safe
  /// to call from another thread (the one thread-safe member); the statement
  /// then fails with query_canceled, and the connection stays usable (inside
  /// a transaction, the transaction is aborted: rollback()). Nothing happens
  /// when no statement is running or no connection is open.
  void cancel() noexcept;

  /// Cancels any statement running longer than `limit` (query_canceled),
  /// for this connection and the ones it reconnects to; 0 restores the
  /// server's default. Set it outside a transaction (usage_error otherwise),
  /// so that no rollback can undo it. For connecting, libpq's conninfo
  /// parameter `connect_timeout=<seconds>` bounds the wait.
  void set_statement_timeout(std::chrono::milliseconds limit);
  /// The limit set with set_statement_timeout(); 0 for the server's default.
  [[nodiscard]] std::chrono::milliseconds statement_timeout() const noexcept;

  /// How many prepared statements to keep per connection (least recently
  /// used first out); 100 by default. 0 prepares nothing: every statement is
  /// sent with its parameters in one round trip and read in text, as a
  /// transaction-pooling pgbouncer needs. Takes effect for the next statement.
  /// Behind a connection pooler (pgbouncer, detected when connecting: the
  /// backend pid it reports is not the server's) nothing is prepared,
  /// whatever the size (docs/deployment.md).
  void set_statement_cache_size(std::size_t size);
  /// The size set with set_statement_cache_size() (100 by default).
  [[nodiscard]] std::size_t statement_cache_size() const noexcept;

  // --- LISTEN/NOTIFY (docs/notifications.md) ---

  /// LISTEN to `channel`, a name quoted as an identifier (case and spaces
  /// kept; empty, NUL or over 63 bytes is a usage_error). It takes effect at
  /// once, so it must be called outside a transaction (usage_error inside
  /// one, where it would wait for the commit and vanish on rollback). The
  /// database remembers its channels and LISTENs again whenever it
  /// reconnects; close() and a pool's reset forget them.
  void listen(std::string_view channel);
  /// UNLISTEN `channel` (outside a transaction, as listen()).
  void unlisten(std::string_view channel);
  /// UNLISTEN * (outside a transaction, as listen()).
  void unlisten_all();
  /// Sends `payload` to `channel` with pg_notify(), both as parameters.
  /// Outside a transaction it is delivered at once (no implicit transaction
  /// begins); inside one, when the transaction commits, and never if it
  /// rolls back. The server limits a payload to 7,999 bytes.
  void notify(std::string_view channel, std::string_view payload = {});
  /// The next notification for a channel this database LISTENs to, waiting
  /// up to `timeout` on the socket (no polling loop); std::nullopt when none
  /// came in time. Returns at once with one that is already buffered:
  /// notifications that arrive during any other call are kept, in order,
  /// never lost. Inside a transaction it is a usage_error (the server
  /// delivers notifications only between transactions). Every loss of the
  /// connection while listening is reported once, as connection_error:
  /// lost during the wait, or found lost (and opened again) by this or an
  /// earlier call. The database LISTENs again as it reconnects, but what
  /// was sent meanwhile is gone (pgwrap::listener reports it as an event).
  std::optional<notification> wait_notification(std::chrono::milliseconds timeout);

  /// Receives the server's notices and warnings (RAISE NOTICE, "relation
  /// already exists, skipping", ...), one message per call, without the
  /// trailing newline. By default they are dropped, not printed to stderr as
  /// libpq would. The handler must not throw; pass nullptr to drop again.
  void on_notice(std::function<void(std::string_view message)> handler);

  /// Installs `o` on this database, alongside those installed for the
  /// process (and, for a pool's connection, the pool's): it sees the start
  /// and end of every operation from the next one on (docs/observability.md).
  /// Installing one observer twice here is a usage_error.
  void add_observer(std::shared_ptr<observer> o, observe_options options = {});
  /// Removes an observer installed on this database; false when it was not.
  bool remove_observer(const std::shared_ptr<observer>& o) noexcept;

 private:
  friend class transaction;
  friend class listener;            // refuses a connection pooler (src/listener.cpp)
  friend struct detail::pool_gate;  // the pool's narrow door: is a connection alive, reset it (src/pool_gate.cpp)
  struct PGWRAP_INTERNAL impl;
  class PGWRAP_INTERNAL call_scope;  // one call at a time: a second thread is reported, not let in

  // The engine's side of executemany (src/batch.cpp) and copy_in
  // (src/copy_in.cpp), reached by the templates above through these.
  class PGWRAP_INTERNAL pipeline_run;
  class PGWRAP_INTERNAL copy_run;
  struct run_deleter {
    void operator()(pipeline_run* run) const noexcept;
    void operator()(copy_run* run) const noexcept;
  };
  template <typename Run>
  using run_handle = std::unique_ptr<Run, run_deleter>;
  /// `results`, when not null, receives every statement's result, in order.
  run_handle<pipeline_run> start_pipeline(std::vector<result>* results, std::size_t expected_statements);
  static void pipeline_send(pipeline_run& run, const detail::sql_ref& sql, std::span<const detail::arg_ref> args);
  /// Waits for every result; returns the rows affected; throws the first error.
  static std::int64_t pipeline_finish(pipeline_run& run);
  /// Tells observers the run failed with the exception being handled.
  static void pipeline_failed(pipeline_run& run) noexcept;
  run_handle<copy_run> start_copy(const ident& table, const std::vector<std::string>& columns);
  static void copy_send_row(copy_run& run, std::span<const param_ref> values);
  static std::int64_t copy_finish(copy_run& run);
  static void copy_failed(copy_run& run) noexcept;
  template <typename... V>
  static void send_copy_row(copy_run& run, const V&... values) {
    const detail::bound_args<V...> bound(values...);
    std::array<param_ref, sizeof...(V)> refs{};
    for (std::size_t i = 0; i < refs.size(); ++i) {
      if (bound.refs()[i].category != detail::arg_category::value &&
          bound.refs()[i].category != detail::arg_category::text_value &&
          bound.refs()[i].category != detail::arg_category::map_value) {
        throw usage_error("copy_in: a row holds a list, map or identifier; COPY takes values only");
      }
      refs[i] = bound.refs()[i].value;
    }
    copy_send_row(run, refs);
  }

  /// Whether a described statement's rows may come in binary.
  using binary_chooser = bool (*)(const detail::result_data& description);
  // chooser == nullptr: the untyped path, one round trip, text results.
  // A literal's (sql.checked) expansion may be kept; `kind` is for observers.
  result run(const detail::sql_ref& sql, operation_kind kind, std::span<const detail::arg_ref> args,
             binary_chooser chooser);
  template <typename T>
  static bool scalar_binary_ok(const detail::result_data& description) {
    return description.columns() >= 1 && detail::reads_binary<T>(description.type_oid(0), description.types());
  }
  struct opened_stream {
    detail::stream_handle source;  // null when every row came at once
    std::shared_ptr<const detail::result_data> first;
  };
  opened_stream open_stream(const detail::sql_ref& sql, std::span<const detail::arg_ref> args, binary_chooser chooser);
  template <typename... Names>
  static constexpr void check_copy_out_names() {
    static_assert((std::is_same_v<Names, ident> && ...),
                  "copy_out: COPY takes no parameters; pass table and column names as pgwrap::ident for %I, and "
                  "use stream() for a query with values");
  }
  friend class detail::cursor_source;
  friend class detail::copy_source;
  opened_stream open_copy_out(const detail::sql_ref& sql, std::span<const detail::arg_ref> args,
                              binary_chooser chooser);
  static void require_condition(bool empty, const char* call);
  impl& state() const;

  std::unique_ptr<impl> impl_;
};

/// The process-wide default database (psycopgwrap's module-level one).
/**
 * Created on first call, connected on first use with the conninfo from the
 * environment (see database()), or with db().connect("...") beforehand.
 *
 * @par Thread safety
 * Like any database it is not thread-safe: use it from one thread, or
 * give each thread its own database (or a pool).
 *
 * @par Lifetime
 * A function-local static: it lives until the program exits, when
 * uncommitted work is rolled back.
 */
database& db();

}  // namespace pgwrap
PGWRAP_API_END
