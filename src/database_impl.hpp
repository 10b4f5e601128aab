#pragma once
// database::impl: the state behind a pgwrap::database, shared by the sources
// that implement it (database.cpp, pipeline.cpp).

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <functional>
#include <memory>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal.hpp"
#include "pgwrap/database.hpp"
#include "statement_cache.hpp"

namespace pgwrap {

namespace detail {
struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

inline std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

[[noreturn]] inline void throw_aborted_commit(const char* message) {
  sql_error::info i;
  i.sqlstate = "25P02";  // in_failed_sql_transaction, as the server says for such a statement
  i.message = message;
  i.query = "COMMIT";
  throw sql_error(std::move(i));
}
}  // namespace detail

using detail::result_ptr;

/// Marks one call on a database for its duration (see impl::enter).
class database::call_scope {
 public:
  explicit call_scope(database::impl& st);
  ~call_scope();
  call_scope(const call_scope&) = delete;
  call_scope& operator=(const call_scope&) = delete;

 private:
  database::impl& st_;
};
using detail::throw_aborted_commit;
using detail::trimmed;

struct database::impl {
  std::optional<std::string> conninfo;  // nullopt: DATABASE_URL or libpq's defaults
  PGconn* conn = nullptr;
  bool closed = false;
  bool autocommit = false;
  bool lost_in_transaction = false;  // the connection broke with work uncommitted
  std::size_t guard_depth = 0;       // active pgwrap::transaction guards
  std::size_t savepoints = 0;        // for unique savepoint names
  std::function<void(std::string_view)> notice_handler;
  // Reused per call, so a query allocates nothing here once warm.
  std::string sql;
  std::vector<param_ref> params;
  std::vector<const char*> values;
  std::vector<Oid> types;
  std::vector<int> lengths;
  std::vector<int> formats;
  detail::statement_cache cache;
  bool behind_pooler = false;  // found when connecting; see detect_pooler()

  /// Whether statements may be prepared on this connection.
  [[nodiscard]] bool prepares() const noexcept { return cache.capacity() > 0 && !behind_pooler; }

  // SQL whose directives are all %s and %% expands the same way every time:
  // its expansion is kept, for a literal by its address (its text compared
  // too), for runtime SQL by its text.
  struct literal_expansion {
    std::string text;    // the SQL, compared on every use: an address alone proves nothing
    bool fixed = false;  // only %s and %%: the expansion does not depend on the arguments
    std::size_t placeholders = 0;
    std::string sql;
  };
  std::unordered_map<const char*, literal_expansion> literals;

  /// Expands `text` with `args` into `sql` and `params`.
  void expand(std::string_view text, bool literal, std::span<const detail::arg_ref> args) {
    const bool plain = std::all_of(args.begin(), args.end(), [](const detail::arg_ref& a) {
      return a.name.empty() && (a.category == detail::arg_category::value || a.category == detail::arg_category::text_value);
    });
    if (!plain) {
      detail::expand_sql(text, args, sql, params);
      return;
    }
    // Runtime SQL is kept by its text (bounded): hashing it is cheaper than checking it again.
    if (!literal && runtime_texts.size() >= max_runtime_texts && !runtime_texts.contains(std::string(text))) {
      runtime_texts.clear();
    }
    literal_expansion& known = literal ? literals[text.data()] : runtime_texts[std::string(text)];
    if (known.fixed && known.placeholders == args.size() && known.text == text) {
      sql = known.sql;
      params.clear();
      for (const detail::arg_ref& a : args) params.push_back(a.value);
      return;
    }
    detail::expand_sql(text, args, sql, params);  // checks runtime SQL; throws before anything is kept
    known = {std::string(text), detail::only_positional(text), params.size(), sql};
  }
  std::unordered_map<std::string, literal_expansion> runtime_texts;
  static constexpr std::size_t max_runtime_texts = 256;

  struct pipeline_state;
  std::unique_ptr<pipeline_state> pipeline;  // while executemany/execute_batch runs

  // The server-side cursors behind streams (src/stream.cpp). A stream holds
  // its cursor's entry; the database marks it gone when the server drops the
  // cursor, and closes the cursors streams have finished with before its next
  // statement (or with the next stream's DECLARE, in the same round trip).
  struct cursor {
    impl* owner;                 // null once the connection that held it is gone
    std::string name;
    bool hold;                   // WITH HOLD (autocommit): outlives its transaction
    std::size_t savepoint_mark;  // savepoints made before it: rolling back to a later one drops it
    bool finished = false;       // its stream is done with it: close it
    result_ptr prefetched{};     // the next batch, fetched ahead (see fetching)
    bool gone = false;           // the server dropped it (transaction end, rollback to a savepoint)
  };
  std::vector<std::shared_ptr<cursor>> cursors;

  // A copy_out being read (src/copy_out.cpp): the connection is in COPY
  // state, and takes no other statement, until it ends.
  struct copy_out_state {
    impl* owner;  // null once the connection is gone
  };
  std::shared_ptr<copy_out_state> copying;
  std::size_t cursors_opened = 0;  // for unique names
  std::size_t stream_batch_rows = 10000;

  void drop_cursors_if(bool (*dropped)(const cursor&, std::size_t), std::size_t arg = 0) noexcept {
    std::erase_if(cursors, [&](const std::shared_ptr<cursor>& c) {
      if (!dropped(*c, arg)) return false;
      c->gone = true;
      return true;
    });
  }
  /// COMMIT or ROLLBACK (ours or the user's) dropped every cursor but held ones.
  void transaction_ended() noexcept {
    drop_cursors_if([](const cursor& c, std::size_t) { return !c.hold; });
  }
  /// ROLLBACK TO SAVEPOINT number `savepoint` dropped the cursors opened after it.
  void rolled_back_to_savepoint(std::size_t savepoint) noexcept {
    drop_cursors_if([](const cursor& c, std::size_t sp) { return !c.hold && c.savepoint_mark >= sp; }, savepoint);
  }
  // A stream asks for its next batch as soon as it has one, so the server
  // works on it while the loop works on this one. Before anything else is
  // sent, that FETCH's result is read into its cursor (settle), so the
  // connection is free and no batch is lost.
  std::shared_ptr<cursor> fetching;
  void settle() noexcept {
    if (!fetching) return;
    const std::shared_ptr<cursor> c = std::move(fetching);
    fetching.reset();
    c->prefetched.reset(PQgetResult(conn));
    while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
  }

  void connection_gone() noexcept {
    fetching.reset();
    for (const auto& c : cursors) c->owner = nullptr;
    drop_cursors_if([](const cursor&, std::size_t) { return true; });
  }
  /// The CLOSE statements for cursors no stream reads any more (and forgets them).
  std::vector<std::string> take_cursor_closes() {
    std::vector<std::string> closes;
    if (PQtransactionStatus(conn) == PQTRANS_INERROR) return closes;  // CLOSE would fail; ROLLBACK drops them
    std::erase_if(cursors, [&](const std::shared_ptr<cursor>& c) {
      if (!c->finished) return false;
      closes.push_back("CLOSE " + c->name);
      return true;
    });
    return closes;
  }
  /// Closes finished cursors now (one round trip, only when there are some).
  void close_finished_cursors() {
    std::string all;
    for (const std::string& close : take_cursor_closes()) all += close + ";";
    if (!all.empty()) control(all.c_str());
  }

  ~impl();

  // Pipelines (src/pipeline.cpp).
  void fill_parameters(std::span<const param_ref> list);
  void send_internal(const char* statement);
  void read_pipeline_statement();
  std::int64_t end_pipeline();
  void abandon_pipeline() noexcept;

  void disconnect() noexcept {
    {
      const std::lock_guard lock(cancel_mutex);
      if (canceller) PQfreeCancel(canceller);
      canceller = nullptr;
    }
    if (conn) PQfinish(conn);  // the server rolls back whatever was uncommitted
    conn = nullptr;
    connection_gone();
    if (copying) copying->owner = nullptr;
    copying.reset();
  }

  // A database is not thread-safe; a second thread inside a call is caught
  // here and reported, instead of two threads interleaving on one socket.
  std::atomic<bool> busy{false};
  void enter() {
    if (busy.exchange(true, std::memory_order_acquire)) {
      throw usage_error("this database is already in a call (from another thread, or from inside a batch, "
                        "COPY or notice handler); a database is not thread-safe: give each thread its own");
    }
  }
  void leave() noexcept { busy.store(false, std::memory_order_release); }

  // cancel() may come from another thread while this one waits for the
  // server, so the cancel object (not the connection) is shared, under a lock.
  std::mutex cancel_mutex;
  PGcancel* canceller = nullptr;
  std::chrono::milliseconds statement_timeout{0};  // 0: the server's setting

  void apply_statement_timeout() {
    const std::string set = statement_timeout.count() == 0
                                ? std::string("RESET statement_timeout")
                                : "SET statement_timeout = " + std::to_string(statement_timeout.count());
    result_ptr res(PQexec(conn, set.c_str()));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) detail::throw_sql_error(res.get(), set);
  }

  [[nodiscard]] std::string effective_conninfo() const {
    if (conninfo) return *conninfo;
    const char* url = std::getenv("DATABASE_URL");
    return url ? url : "";
  }

  void open() {
    const std::string info = effective_conninfo();
    // The user's conninfo is expanded last, so what it says wins.
    const char* const keys[] = {"fallback_application_name", "client_encoding", "dbname", nullptr};
    const char* const vals[] = {"pgwrap", "UTF8", info.c_str(), nullptr};
    PGconn* c = PQconnectdbParams(keys, vals, 1);
    if (c == nullptr) throw connection_error("could not connect: out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
      std::string message = detail::redact_password(trimmed(PQerrorMessage(c)), info);
      PQfinish(c);
      throw connection_error("could not connect: " + message);
    }
    PQsetNoticeReceiver(c, &impl::receive_notice, this);  // impl never moves: it lives on the heap
    conn = c;
    server_closing = false;
    lost_in_transaction = false;
    cache.clear();  // a new session has no prepared statements
    normalize_session();
    behind_pooler = detect_pooler();
    if (statement_timeout.count() > 0) apply_statement_timeout();
    const std::lock_guard lock(cancel_mutex);
    canceller = PQgetCancel(conn);
  }

  // A pooler such as pgbouncer answers the client's startup itself, so the
  // backend pid libpq was told is the pooler's, not the server's. Behind a
  // transaction-pooling one each transaction may run on another server
  // connection, where this connection's prepared statements are missing, or
  // another client's statement of the same name would run instead: so
  // nothing is prepared there. One round trip per connect.
  bool detect_pooler() {
    result_ptr res(PQexec(conn, "SELECT pg_backend_pid()"));
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1) return false;
    return std::string_view(PQgetvalue(res.get(), 0, 0)) != std::to_string(PQbackendPID(conn));
  }

  // Text results of dates and intervals are parsed, so their styles must be
  // the ones the codecs read. The server reports both at connect time; a SET
  // (one round trip) is needed only when a setting differs.
  void normalize_session() {
    const char* date_style = PQparameterStatus(conn, "DateStyle");
    const char* interval_style = PQparameterStatus(conn, "IntervalStyle");
    std::string set;
    if (!date_style || std::string_view(date_style).substr(0, 3) != "ISO") set += "SET DateStyle = ISO;";
    if (!interval_style || std::string_view(interval_style) != "postgres") set += "SET IntervalStyle = postgres;";
    if (set.empty()) return;
    result_ptr res(PQexec(conn, set.c_str()));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      std::string message = "could not set DateStyle/IntervalStyle: " + trimmed(PQerrorMessage(conn));
      disconnect();
      throw connection_error(message);
    }
  }

  // A server closing an idle session first sends a FATAL message, which libpq
  // passes on as a notice; the end of the stream may follow a moment later.
  bool server_closing = false;

  static void receive_notice(void* self, const PGresult* notice) {
    auto& st = *static_cast<impl*>(self);
    const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr && std::string_view(severity) == "FATAL") st.server_closing = true;
    if (!st.notice_handler) return;
    std::string_view text(PQresultErrorMessage(notice));
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    st.notice_handler(text);
  }

  /// Reads and parses, without waiting, what the server sent while the
  /// connection sat idle: a closed session shows as CONNECTION_BAD or, its
  /// goodbye read but the end of the stream not yet, as server_closing. One
  /// read may take only the goodbye message; the end needs another.
  /// Returns whether anything arrived.
  bool read_idle_input() noexcept {
    bool arrived = false;
    for (int reads = 0; reads < 3 && PQstatus(conn) == CONNECTION_OK; ++reads) {
      pollfd fd{PQsocket(conn), POLLIN, 0};
      if (::poll(&fd, 1, 0) <= 0) break;
      arrived = true;
      if (PQconsumeInput(conn) == 0) break;
      PQisBusy(conn);  // parses what came: a FATAL goodbye reaches receive_notice
    }
    return arrived;
  }

  /// The open connection; connects first when needed (lazily, or again after
  /// a connection lost outside a transaction, when nothing can be lost).
  PGconn* connection() {
    if (conn != nullptr) settle();
    if (closed) throw usage_error("the database is closed; call connect() to open it again");
    if (copying) {
      throw usage_error("a copy_out is still being read on this database: finish or leave its loop first "
                        "(stream() allows statements inside the loop)");
    }
    if (conn && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE) {
      // A server that closed an idle session (restart, failover, terminated
      // backend) has usually said so already: reading it now (non-blocking)
      // lets the reconnect below happen before anything is sent. One read
      // may take only the goodbye message ("terminating connection ..."); the
      // end of the stream, which marks the connection bad, needs another.
      read_idle_input();
      if (server_closing) disconnect();  // it said goodbye: nothing sent now would be run
    }
    if (conn && PQstatus(conn) == CONNECTION_BAD) {
      if (lost_in_transaction) {
        throw connection_error(
            "the connection was lost during a transaction, whose work is gone; call rollback() "
            "to acknowledge it before running more statements");
      }
      disconnect();
    }
    if (!conn) open();
    return conn;
  }

  /// Takes a finished statement's result; throws what the server reported.
  std::shared_ptr<const detail::result_data> take(PGresult* raw, std::string_view query,
                                                  PGTransactionStatusType before) {
    result_ptr res(raw);
    const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (before != PQTRANS_IDLE && !cursors.empty() && PQtransactionStatus(conn) == PQTRANS_IDLE) {
      transaction_ended();
    }
    switch (status) {
      case PGRES_COMMAND_OK:
        if (cache.size() > 0 && changes_schema(PQcmdStatus(res.get()))) forget_prepared();
        [[fallthrough]];
      case PGRES_TUPLES_OK:
        return std::make_shared<const detail::result_data>(res.release(), std::string(query));
      case PGRES_EMPTY_QUERY: throw usage_error("empty query: the SQL has no statement");
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        res.reset();
        abandon_copy(status);
        throw usage_error("COPY FROM STDIN / TO STDOUT cannot run as a query; it was cancelled");
      default: break;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
      lost_in_transaction = before != PQTRANS_IDLE;
      throw connection_error("connection lost: " + trimmed(PQerrorMessage(conn)));
    }
    if (!res) throw connection_error("no result from the server: " + trimmed(PQerrorMessage(conn)));
    detail::throw_sql_error(res.get(), query);
  }

  // DDL can change what a prepared statement returns, and the server then
  // refuses to run it ("cached plan must not change result type"). Statements
  // prepared before DDL that this connection ran are forgotten at once.
  static bool changes_schema(std::string_view command) {
    return command.starts_with("ALTER") || command.starts_with("DROP") || command.starts_with("CREATE");
  }

  void forget_prepared() noexcept {
    cache.clear();
    deallocate("DEALLOCATE ALL");
  }

  // DEALLOCATE is not transactional, but fails inside an aborted transaction;
  // then the statement just stays on the server until the session ends.
  void deallocate(const std::string& statement) noexcept {
    settle();
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return;
    PQclear(PQexec(conn, statement.c_str()));
  }

  /// Prepares `sql` as a named statement, learns its result columns, caches it.
  const detail::prepared_statement& prepare(const std::string& key, PGTransactionStatusType before) {
    std::string name = cache.next_name();
    take(PQprepare(conn, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()), sql, before);
    auto description = take(PQdescribePrepared(conn, name.c_str()), sql, before);
    for (const std::string& evicted : cache.add(key, {std::move(name), std::move(description)})) {
      deallocate("DEALLOCATE " + evicted);
    }
    return *cache.find(key);
  }

  /// Runs the statement in `sql` prepared (cached), with binary results when
  /// `chooser` (if any) accepts the columns; retries once when the server says the
  /// cached statement's result type changed and nothing else can be lost.
  PGresult* execute_prepared(const std::string& key, database::binary_chooser chooser,
                             PGTransactionStatusType before) {
    for (int attempt = 0;; ++attempt) {
      const detail::prepared_statement* ps = cache.find(key);
      if (ps == nullptr) ps = &prepare(key, before);
      const int format = chooser != nullptr && chooser(*ps->description) ? 1 : 0;
      PGresult* res = PQexecPrepared(conn, ps->name.c_str(), static_cast<int>(values.size()), values.data(),
                                     lengths.data(), formats.data(), format);
      if (attempt > 0 || !stale_plan(res)) return res;
      deallocate("DEALLOCATE " + cache.erase(key));
      if (before != PQTRANS_IDLE) return res;  // earlier work in this transaction: the error must surface
      PQclear(res);
      if (!autocommit) {  // only this call's BEGIN is in the aborted transaction: start it again
        control("ROLLBACK");
        control("BEGIN");
      }
    }
  }

  static bool stale_plan(const PGresult* res) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state != nullptr && std::string_view(state) == "0A000";  // feature_not_supported: plan changed
  }

  // Ends a COPY the caller did not ask to handle, leaving the connection usable.
  void abandon_copy(ExecStatusType status) {
    if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
      PQputCopyEnd(conn, "COPY is not supported through query()");
    }
    if (status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      char* buffer = nullptr;
      while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
    }
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
  }

  /// Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT, ...).
  std::shared_ptr<const detail::result_data> control(const char* statement) {
    PGconn* c = connection();
    const PGTransactionStatusType before = PQtransactionStatus(c);
    return take(PQexec(c, statement), statement, before);
  }

  /// The transaction state; a broken connection counts as idle unless it
  /// broke with work uncommitted (libpq itself says "unknown" then).
  [[nodiscard]] PGTransactionStatusType status() const noexcept {
    if (!conn || PQstatus(conn) == CONNECTION_BAD) {
      return lost_in_transaction ? PQTRANS_UNKNOWN : PQTRANS_IDLE;
    }
    return PQtransactionStatus(conn);
  }

  void commit() {
    settle();  // the transaction's state is known only once a FETCH in flight has finished
    if (lost_in_transaction) {
      throw connection_error(
          "commit failed: the connection was lost during the transaction and its work is gone; "
          "call rollback() to acknowledge it");
    }
    switch (status()) {
      case PQTRANS_IDLE: return;
      case PQTRANS_INERROR:
        control("ROLLBACK");
        throw_aborted_commit(
            "commit failed: the transaction was aborted by an earlier error and has been rolled back");
      default: break;
    }
    try {
      control("COMMIT");
    } catch (const connection_error& e) {
      // COMMIT may or may not have reached the server: say so, rather than "the work is gone".
      lost_in_transaction = false;
      disconnect();
      throw commit_outcome_unknown(std::string("the connection was lost while committing; the transaction "
                                               "may or may not have been committed (") + e.what() + ")");
    }
  }

  void rollback() {
    settle();
    if (!lost_in_transaction && status() != PQTRANS_IDLE) {
      try {
        control("ROLLBACK");
        return;
      } catch (const connection_error&) {  // lost just now, unnoticed until ROLLBACK: the work is gone either way
      }
    }
    if (lost_in_transaction || (conn && PQstatus(conn) == CONNECTION_BAD)) {
      lost_in_transaction = false;  // acknowledged
      disconnect();                 // reconnect on next use
    }
  }

  void check_no_guard(const char* call) const {
    if (guard_depth > 0) {
      throw usage_error(std::string(call) +
                        " while a pgwrap::transaction is active; finish it through the guard");
    }
  }
};

// The state of one executemany() / execute_batch() run.
struct database::impl::pipeline_state {
  static constexpr std::size_t internal = static_cast<std::size_t>(-1);  // a statement of pgwrap's own
  bool own_transaction = false;  // BEGIN was ours: COMMIT or ROLLBACK is too
  std::string savepoint;         // inside the user's transaction
  struct sent {
    std::size_t index;  // among the user's statements, or internal
    std::size_t sql;    // into `texts`
  };
  std::deque<sent> pending;
  std::vector<std::string> texts{std::string()};  // the SQL of what was sent, for results and errors
  std::size_t user_statements = 0;
  bool prepared = false;      // the unnamed statement holds the run's current statement
  std::string prepared_sql;   // and what it holds
  std::vector<Oid> prepared_types;
  result_ptr error;  // the first failure
  std::size_t error_index = sql_error::no_index;
  std::string error_sql;
  std::int64_t affected = 0;
  std::vector<result>* results = nullptr;
};

inline database::call_scope::call_scope(database::impl& st) : st_(st) { st_.enter(); }
inline database::call_scope::~call_scope() { st_.leave(); }

}  // namespace pgwrap
