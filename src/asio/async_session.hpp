#pragma once
// detail::async_session: the coroutine face's session on the engine's
// connection. Every call becomes an operation in a queue; operations go out
// pipelined, each as its own request (its own sync point), as many as
// async_options::max_in_flight allows; results are routed back in order and
// each completes its caller's coroutine. The socket is watched by Asio (a
// stream_descriptor the session assigns and releases, never closes: the
// socket is libpq's). All state lives on one strand.
//
// LISTEN/NOTIFY: the session remembers the channels LISTENed to and LISTENs
// again as part of every connect; coroutines waiting for a notification are
// served from the engine's buffer, first come first served, and the socket is
// watched while any waits (session_notifications.cpp).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "asio/async_call.hpp"
#include "asio/cancel_worker.hpp"
#include "asio/net.hpp"
#include "engine/connection.hpp"
#include "observe/operation.hpp"

namespace pgwrap {

/// A transaction's state, shared by the async_transaction and its operations.
struct async_transaction::state {
  bool ended = false;  // COMMIT or ROLLBACK has been queued: no more statements
  bool lost = false;   // the connection broke during it: its work is gone
};

namespace detail {

using result_data_ptr = std::shared_ptr<const result_data>;

/// net::error::operation_aborted, as a cancelled call ends.
std::exception_ptr aborted();

/// An awaiting coroutine's completion handler, type-erased. complete()
/// posts it to the handler's own executor (never runs it inline, so a
/// coroutine never re-enters the session or pool that answers it).
template <typename... Args>
class async_completion {
 public:
  async_completion() = default;
  template <typename Handler>
  async_completion(Handler handler, const net::any_io_executor& fallback)
      : target_(std::make_unique<holder<Handler>>(std::move(handler), fallback)) {}

  [[nodiscard]] bool empty() const noexcept { return !target_; }
  void complete(Args... args) {
    if (auto t = std::move(target_)) t->post(std::move(args)...);
  }

 private:
  struct base {
    virtual ~base() = default;
    virtual void post(Args... args) = 0;
  };
  template <typename Handler>
  struct holder final : base {
    holder(Handler h, const net::any_io_executor& fallback)
        : handler(std::move(h)),
          work(net::prefer(net::get_associated_executor(handler, fallback),
                           // NOLINTNEXTLINE(readability-static-accessed-through-instance): how Asio spells it
                           net::execution::outstanding_work.tracked)) {}
    void post(Args... args) override {
      auto executor = work;
      net::post(executor, [h = std::move(handler), ... a = std::move(args)]() mutable {
        net::get_associated_cancellation_slot(h).clear();  // the operation is over: nothing left to cancel
        std::move(h)(std::move(a)...);
      });
    }
    Handler handler;
    net::any_io_executor work;  // keeps the caller's execution context busy until the answer comes
  };
  std::unique_ptr<base> target_;
};

class async_session : public std::enable_shared_from_this<async_session> {
 public:
  enum class op_kind {
    statement,
    begin,
    commit,
    rollback,
    connect,
    close,
    internal,
    reset,
    listen,
    unlisten,
    types,
    describe
  };

  /// One call: queued, then sent (in flight), then answered.
  struct op {
    op_kind kind = op_kind::statement;
    async_call_ptr call;                           // statement: its SQL and parameters
    std::string text;                              // internal, listen, unlisten: the SQL; describe: the statement's key
    std::string channel;                           // listen, unlisten: the name ("" with UNLISTEN *)
    bool keep_prepared = false;                    // reset: as pool_options::reset says
    std::shared_ptr<async_transaction::state> tx;  // the transaction it belongs to (begin: the one it opens)
    async_completion<std::exception_ptr, result_data_ptr> done;  // empty for the session's own operations
    engine::request_ptr request;
    std::size_t result_index = 0;  // which of the request's results is the statement's
    std::string prepared_key;      // it ran a cached statement, or prepares one (prepared_name set)
    std::string prepared_name;
    std::uint64_t cache_epoch = 0;
    bool finished = false;  // its caller has its answer (a cancelled one early: its result is dropped)
    bool retried = false;
    std::uint64_t cancels_at_send = 0;  // server cancels issued before it was sent
    bool cancel_pending_at_send = false;
    std::shared_ptr<bool> cancel_pending;  // a server cancel was sent for it and has not landed yet
    std::unique_ptr<operation> observed;   // what observers see of it: only while any is installed
    // A catalog look-up (types) for a statement whose result has user types
    // the catalog does not know yet; the statement waits with its result held.
    std::vector<std::uint32_t> type_oids;          // types: what it looks up
    int round = 0;                                 // types: levels of nesting looked up before it
    bool savepoint = false;                        // types: sent between a savepoint and its release
    std::shared_ptr<op> parked;                    // types, describe: the statement waiting for it
    std::vector<std::shared_ptr<op>> also_parked;  // describe: more statements waiting for it
    engine::result_ptr held;                       // statement: its result, waiting for a look-up
    // A statement with described structs among its parameters, not sent yet,
    // waits for its parameter types (describe) and their composites (types).
    bool late_looked_up = false;                 // its composites were looked up (found or not)
    std::shared_ptr<const type_set> late_types;  // what that look-up left the catalog knowing
    engine::result_ptr held_description;         // statement: prepared by it, cached once the types are known
  };
  using op_ptr = std::shared_ptr<op>;

  async_session(net::any_io_executor ex, std::string info, async_options opts);
  ~async_session();
  async_session(const async_session&) = delete;
  async_session& operator=(const async_session&) = delete;

  /// Awaits `o` (made by the caller; any thread): queued on the strand,
  /// completed with its result or exception, cancellable.
  net::awaitable<result_data_ptr> run(op_ptr o);
  /// Queues an operation nobody waits for (a transaction's ROLLBACK when it
  /// is destroyed, a pool's reset).
  void run_detached(op_ptr o);
  /// Ends everything: waiting calls end with operation_aborted, the
  /// connection closes. For the database's destructor.
  void shut_down();

  /// Awaits a notification (any thread): at once when one is buffered, else
  /// when one arrives or after `timeout` (none: no limit) with std::nullopt.
  /// Not connected, it connects when `may_connect`, else throws
  /// connection_error (async_listener reconnects by itself). Cancellable
  /// without losing a notification.
  net::awaitable<std::optional<notification>> wait_notification(std::optional<std::chrono::milliseconds> timeout,
                                                                bool may_connect);
  /// Closes the connection now, keeping the channels (async_listener::close):
  /// waits end with operation_aborted, statements with connection_error.
  void disconnect();
  /// A connection through a pooler fails to connect with usage_error
  /// (async_listener); set before the first call.
  bool refuse_pooler = false;
  /// Connections opened so far (async_listener: a new one after a loss is a
  /// `reconnected` event).
  std::atomic<std::uint64_t> connects{0};

  const net::any_io_executor executor;
  const std::string conninfo;
  const async_options options;

  /// Observers of this database, and of the pool that made it (set by the
  /// pool before the first call).
  observer_set observers;
  std::shared_ptr<const observer_set> pool_observers;

  // Snapshots for any thread.
  std::atomic<bool> connected{false};
  std::atomic<std::size_t> in_flight_count{0};
  std::atomic<std::size_t> queued_count{0};

 private:
  using strand_type = net::strand<net::any_io_executor>;

  void enqueue(op_ptr o);
  void observe(op& o);
  void schedule_pump();
  void pump();
  std::deque<op_ptr>::iterator next_sendable();
  void send(const op_ptr& o);
  void send_statement(op& o);
  void send_internal(std::string sql, std::shared_ptr<async_transaction::state> tx = nullptr);
  void queue_first(op_ptr o);
  void flush_and_watch();
  void on_readable(std::uint64_t generation, const detail::net_error_code& ec);
  void on_writable(std::uint64_t generation, const detail::net_error_code& ec);
  void finish_answered();
  void answer(const op_ptr& o);
  void answer_statement(const op_ptr& o);
  void keep_prepared(op& o, engine::result_ptr described);
  bool ready_to_send(const op_ptr& o);
  void answer_describe(const op_ptr& o);
  void look_up_types(const op_ptr& waiting, std::vector<std::uint32_t> wanted, int round);
  void answer_types(const op_ptr& o);
  bool retry_after(const op_ptr& o, const PGresult* res);
  void finish_with_result(const op_ptr& o, engine::result_ptr res, std::shared_ptr<const type_set> types = nullptr);
  void finish(op& o, std::exception_ptr error, result_data_ptr result = nullptr);
  void cancel(const op_ptr& o);
  void request_server_cancel(op& target);
  void cancel_settled(bool& pending) noexcept;
  void connection_lost();
  void connection_lost(const std::string& why);
  void fail_queued(const std::string& message);
  void close_connection() noexcept;

  // connecting, in steps on the socket
  void start_connect();
  void connect_step(PostgresPollingStatusType polling);
  void connect_failed(const std::string& message);
  void connect_failed(const std::exception_ptr& error);
  void set_up_answered();
  void connected_now();
  void watch_socket();
  void release_socket() noexcept;

  // notifications (session_notifications.cpp)
  struct waiter;
  using waiter_ptr = std::shared_ptr<waiter>;
  void add_waiter(const waiter_ptr& w, std::optional<std::chrono::milliseconds> timeout, bool may_connect);
  void read_notifications();
  bool take_notification(std::uint64_t& sequence, notification& n);
  void deliver_notifications();
  static void finish_waiter(waiter& w, std::exception_ptr error, std::optional<notification> n = std::nullopt);
  void fail_waiters(const std::exception_ptr& error);
  void lost_while_idle();
  void cancel_wait(const waiter_ptr& w);
  void give_back(std::uint64_t sequence, notification n);
  void remember_channels(const op& o);
  void forget_notifications() noexcept;
  [[nodiscard]] bool send_listens();

  strand_type strand_;
  engine::connection conn_;
  net::posix::stream_descriptor socket_;
  std::uint64_t socket_generation_ = 0;  // waits from an earlier socket are ignored
  bool reading_ = false;
  bool writing_ = false;
  bool write_pending_ = false;
  bool pump_scheduled_ = false;
  bool lookup_holds_pipeline_ = false;  // a look-up under a savepoint is out: nothing goes behind it
  bool connecting_ = false;
  engine::request_ptr set_up_;                // the session set-up in flight while connecting
  std::unique_ptr<operation> connecting_op_;  // observers' connect or reconnect
  net::steady_timer connect_timer_;
  std::uint64_t connect_generation_ = 0;
  bool closed_ = false;  // close() was called: statements are a usage_error until connect()
  std::chrono::steady_clock::time_point last_answer_{};  // when the server last sent something
  static constexpr std::chrono::milliseconds idle_check_after{20};

  std::deque<op_ptr> queue_;                         // not sent yet, in call order
  std::deque<op_ptr> in_flight_;                     // sent, in the order the answers come
  std::shared_ptr<async_transaction::state> owner_;  // the transaction that has the connection
  std::unordered_set<std::string> preparing_;        // statements being prepared now: prepared once
  std::map<std::string, op_ptr> describing_;         // statements being described now (by key): described once
  std::uint64_t cache_epoch_ = 0;                    // bumped when the server's statements are dropped

  std::vector<std::string> channels_;               // LISTENed to, in the order first listened: again on every connect
  bool relistening_ = false;                        // set_up_ is the LISTENs of a new connection
  std::deque<waiter_ptr> waiters_;                  // waiting for a notification, first come first served
  std::map<std::uint64_t, notification> returned_;  // handed to a waiter that was cancelled meanwhile
  std::uint64_t taken_ = 0;                         // notifications taken from the engine's buffer (their numbers)

  std::uint64_t cancels_issued_ = 0;
  std::size_t cancels_pending_ = 0;
  cancel_worker canceller_;
};

/// A coroutine waiting for a notification.
struct async_session::waiter {
  explicit waiter(const net::any_io_executor& strand) : timer(strand) {}
  // On the caller's executor, which also runs its cancellation handler (as
  // Asio's `||` does): whichever of the answer and a cancellation gets there
  // first wins. A notification that lost is given back to the session.
  enum outcome : int { pending, answered, cancelled };
  bool settle(outcome o) noexcept {
    int expected = pending;
    return state.compare_exchange_strong(expected, o);
  }

  async_completion<std::exception_ptr, std::optional<notification>> done;
  net::steady_timer timer;     // its timeout (strand)
  bool finished = false;       // strand: it has its answer
  std::uint64_t sequence = 0;  // the number of the notification it was given
  std::atomic<int> state{pending};
};

}  // namespace detail
}  // namespace pgwrap
