#pragma once
// engine::connection: the one owner of a PGconn, and the only code in pgwrap
// that calls libpq's send and receive functions.
//
// The connection runs in libpq's non-blocking and pipeline modes. A request
// (engine/request.hpp) is sent the moment it is made, ended by its own sync
// point, and results are handed to the request that asked for them, in the
// order the requests went out; several may be in flight at once (a stream's
// next batch, fetched ahead; every coroutine's statement). Nothing here
// blocks except wait(), drain() and the COPY calls, which poll() the socket:
// the blocking face uses them, while an event loop would instead wait for
// socket() itself and call on_readable() / flush().
//
// It also sets up the session when connecting (one round trip: date styles,
// pooler detection, statement timeout), resets it for a pool, keeps the
// statement cache of this session, passes notices on, collects
// notifications (LISTEN/NOTIFY) and sends cancels.

#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/parameter_types.hpp"
#include "engine/request.hpp"
#include "engine/statement_cache.hpp"
#include "engine/type_catalog.hpp"
#include "pgwrap/notification.hpp"

namespace pgwrap::engine {

/// What a session is set up with when connecting, and reset to by a pool.
struct session_settings {
  std::chrono::milliseconds statement_timeout{0};  // 0: the server's setting
};

/// Where a connection goes, for observers; empty until connected.
struct server_facts {
  std::string address;  // host name, address, or Unix socket directory
  int port = 0;
  std::string database;
  int backend_pid = 0;  // the server's, asked for when setting up (behind a pooler too)
};

class connection {
 public:
  connection() = default;
  ~connection() { close(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // --- the connection's life ---

  /// Connects (closing any connection first) with libpq's non-blocking
  /// connect, waiting on the socket, bounded by the conninfo's
  /// connect_timeout; then sets the session up. Throws connection_error.
  void open(const std::string& conninfo, const session_settings& settings);
  // An event loop connects in steps instead (the coroutine face):
  /// Starts a non-blocking connect (closing any connection first); throws
  /// connection_error when libpq refuses the conninfo at once.
  void start_connect(const std::string& conninfo);
  /// Advances the connect when socket() is ready as the last call asked:
  /// PGRES_POLLING_READING / _WRITING (wait, then call again) or _OK. The
  /// socket may change between calls. Throws connection_error on failure.
  PostgresPollingStatusType continue_connect();
  /// Once connected: sends the session set-up (see open()) as one request;
  /// finish_set_up() checks its results and throws connection_error.
  request_ptr send_set_up(const session_settings& settings);
  /// The conninfo's connect_timeout (0: none), once start_connect() ran.
  [[nodiscard]] std::chrono::seconds connect_timeout() const;
  void finish_set_up(const request& set_up);

  /// Closes the connection (the server rolls back what was uncommitted);
  /// requests still in flight are marked lost.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return conn_ != nullptr; }
  /// Open and not known to be broken.
  [[nodiscard]] bool is_ok() const noexcept {
    return conn_ != nullptr && !out_of_step_ && PQstatus(conn_) == CONNECTION_OK;
  }
  /// libpq's last error message, without its trailing newline.
  [[nodiscard]] std::string error_message() const;
  /// For results the engine's users build themselves (copy_out's batches).
  [[nodiscard]] PGconn* native() const noexcept { return conn_; }

  /// The transaction status once nothing is in flight; a broken or closed
  /// connection reports PQTRANS_UNKNOWN.
  [[nodiscard]] PGTransactionStatusType transaction_status() const noexcept;

  /// Behind a connection pooler (pgbouncer) nothing may be prepared: the
  /// backend pid libpq got at startup is the pooler's, not the server's.
  [[nodiscard]] bool behind_pooler() const noexcept { return behind_pooler_; }
  /// The server sent a FATAL goodbye (restart, terminated backend): the
  /// connection is as good as closed, whatever the socket says yet.
  [[nodiscard]] bool server_closing() const noexcept { return server_closing_; }

  /// Reads, without waiting, what arrived while the connection sat idle; a
  /// closed session shows as a broken connection or server_closing().
  /// Returns whether anything arrived.
  bool read_idle_input() noexcept;

  /// A round trip with an empty statement: finds a peer that vanished
  /// without closing the socket, or that sent something unexpected.
  bool ping() noexcept;

  /// SET (or RESET) statement_timeout now.
  void apply_statement_timeout(std::chrono::milliseconds limit);

  /// Returns an idle session to a new user's state in one round trip: ends
  /// any transaction, closes cursors, resets settings, drops temporary
  /// objects, locks and LISTENs (and prepared statements unless
  /// `keep_prepared`), then applies `settings`. False when it failed.
  bool reset_session(bool keep_prepared, std::size_t cache_capacity, const session_settings& settings) noexcept;
  /// reset_session()'s statements, for a caller that sends them itself; the
  /// caller also clears `cache` unless `keep_prepared`.
  static std::vector<std::string> reset_statements(bool in_transaction, bool keep_prepared,
                                                   const session_settings& settings);

  // --- requests ---

  /// Sends `commands` as one request, ended by its sync point.
  request_ptr submit(std::span<const command> commands);
  request_ptr submit(std::initializer_list<command> commands) {
    return submit(std::span<const command>(commands.begin(), commands.size()));
  }
  /// The same into `r`: a new request, or one reset() since its last use.
  void submit(const request_ptr& r, std::span<const command> commands);
  /// A request left open: send() adds commands, sync() ends it.
  static request_ptr open_request() { return std::make_shared<request>(); }
  void send(const request_ptr& r, const command& c);
  void sync(const request_ptr& r);
  /// Asks the server to send the results of an open request's commands so far.
  void flush_request();

  // An event loop waits on socket() itself, then calls these; none blocks.
  [[nodiscard]] int socket() const noexcept { return conn_ != nullptr ? PQsocket(conn_) : -1; }
  /// Reads what arrived and hands every complete result to its request; a
  /// lost connection marks every request in flight lost.
  void on_readable() noexcept;
  /// Sends what libpq holds back; true while some waits for the socket to
  /// take it (wait until writable, then call again).
  bool flush_output() noexcept;

  /// Waits until `r` is complete (or the connection is lost).
  void wait(const request& r);
  /// Waits until `r` has at least `results` results (or is complete).
  void wait_for(const request& r, std::size_t results);
  /// Waits until nothing is in flight.
  void drain();
  [[nodiscard]] bool in_flight() const noexcept { return !inflight_.empty(); }

  // --- COPY (the connection leaves pipeline mode for it) ---

  /// Sends a COPY statement once nothing is in flight; returns its first
  /// result: PGRES_COPY_IN / PGRES_COPY_OUT, or the error.
  result_ptr start_copy(const std::string& sql);
  /// Hands COPY data to the server, waiting while libpq's buffer is full.
  void put_copy_data(std::string_view data);
  /// Ends COPY FROM STDIN; with `error`, the server rejects the whole load.
  void end_copy(const char* error);
  /// The next COPY TO STDOUT row: its size (free the buffer with
  /// PQfreemem), -1 at the end, -2 on failure.
  int get_copy_data(char** buffer);
  /// The COPY's final result; the connection is back in pipeline mode.
  result_ptr finish_copy();

  // --- notifications (LISTEN/NOTIFY) ---

  /// Notifications read during any call are kept, in order, in a buffer
  /// that outlives the connection: none is lost between two waits, or when
  /// the connection closes. The oldest not taken yet, if any:
  std::optional<notification> take_notification();
  /// Waits on the socket (nothing may be in flight) until a notification
  /// comes or `deadline` passes; returns at once when one is buffered.
  /// Throws connection_error when the connection is lost or the server
  /// closes the session.
  std::optional<notification> wait_notification(std::chrono::steady_clock::time_point deadline);
  /// Drops the buffered notifications (a pool's reset: UNLISTEN * ends the
  /// user's LISTENs, and the next user must not see what they received).
  void discard_notifications() noexcept;

  // --- notices and cancel ---

  /// Receives every notice, without its trailing newline.
  std::function<void(std::string_view)> notice_handler;
  /// Asks the server to cancel what it runs; safe from any thread. It
  /// blocks for a round trip to the server (libpq 15 has no other cancel).
  void cancel() noexcept;
  /// What cancel() uses, to be sent later from another thread (an event
  /// loop must not block); it stays valid after the connection closes.
  class cancel_handle {
   public:
    /// Sends the cancel request (blocking); false when there was nothing to cancel with.
    bool send() const noexcept;

   private:
    friend class connection;
    std::shared_ptr<PGcancel> cancel_;
  };
  [[nodiscard]] cancel_handle canceller() const;

  /// The prepared statements of this session.
  statement_cache cache;
  /// The user types this session has looked up (forgotten with `cache`).
  type_catalog types;
  /// The parameter types of statements that send described structs.
  parameter_types statement_types;
  /// Forgets what `types` and `statement_types` know (DDL, a new session).
  void forget_types() noexcept {
    types.clear();
    statement_types.clear();
  }
  /// Where it is connected (kept after close: the last server).
  [[nodiscard]] const server_facts& server() const noexcept { return server_; }

 private:
  struct in_flight_entry {
    request_ptr owner;
    std::size_t index;      // the command's index in its request, or sync_point
    bool answered = false;  // its result was handed over; the end (a null) is next
  };
  static constexpr std::size_t sync_point = static_cast<std::size_t>(-1);

  void connect(const std::string& conninfo);
  [[noreturn]] void fail_connect(const std::string& why);
  void flush_all();
  void wait_not_busy();
  void set_up(const session_settings& settings);
  void send_command(const command& c);
  void route_results() noexcept;
  bool end_unwanted_copy() noexcept;
  void fail_in_flight() noexcept;
  template <typename Done>
  void wait_until(Done done);
  void wait_socket(bool write, int timeout_ms);
  static void receive_notice(void* self, const PGresult* notice);
  void collect_notifications() noexcept;

  PGconn* conn_ = nullptr;
  std::deque<in_flight_entry> inflight_;
  bool behind_pooler_ = false;
  bool server_closing_ = false;
  bool out_of_step_ = false;  // a result came that no request expected: the protocol state is unknown
  // A statement sent as a query turned out to be COPY FROM STDIN / TO STDOUT:
  // its result is handed over as it is, and the COPY ended here.
  ExecStatusType unwanted_copy_ = PGRES_COMMAND_OK;  // PGRES_COPY_IN / _OUT while one is being ended
  // cancel() may come from another thread while this one waits for the
  // server, so the cancel object (not the connection) is shared, under a lock.
  mutable std::mutex cancel_mutex_;
  std::shared_ptr<PGcancel> canceller_;
  std::string connecting_to_;               // the conninfo being connected to, for redacting messages
  std::vector<std::string> set_up_sql_;     // the set-up statements sent, for naming one that failed
  std::deque<notification> notifications_;  // received, not taken yet, oldest first
  server_facts server_;
};

/// `text` without trailing newlines and spaces (libpq's messages end in one).
std::string trimmed(std::string text);

}  // namespace pgwrap::engine
