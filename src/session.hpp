#pragma once
// database::impl: one database's session on top of the engine's connection:
// lazy connect and reconnect rules, psycopg2's implicit transactions,
// savepoint guards, the streams' cursors, SQL expansion kept per literal,
// and the statement path (what to prepare, what goes in one round trip).
// The blocking face (database.cpp, transaction.cpp, stream.cpp, batch.cpp,
// copy_in.cpp, copy_out.cpp) drives it; only engine/ talks to libpq's I/O.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/connection.hpp"
#include "internal.hpp"
#include "observe/operation.hpp"
#include "pgwrap/database.hpp"
#include "pgwrap/detail/libpq_limits.hpp"

namespace pgwrap {

using detail::throw_aborted_commit;
using engine::command;
using engine::result_ptr;

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

struct database::impl {
  std::optional<std::string> conninfo;  // nullopt: DATABASE_URL or libpq's defaults
  engine::connection conn;
  bool closed = false;
  bool autocommit = false;
  bool lost_in_transaction = false;                // the connection broke with work uncommitted
  std::size_t guard_depth = 0;                     // active pgwrap::transaction guards
  std::size_t savepoints = 0;                      // for unique savepoint names
  std::chrono::milliseconds statement_timeout{0};  // 0: the server's setting

  impl() = default;
  ~impl() { disconnect(); }  // streams still open learn that their database is gone
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  // --- the call being made: its SQL and parameters, reused so that a warm
  // query allocates nothing here ---
  std::string sql;
  std::vector<param_ref> params;
  std::vector<const char*> values;
  std::vector<Oid> types;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::span<const param_ref> filled;  // the parameters filled in, while the call runs
  bool late = false;                  // one of them carries a late writer (a described struct)
  std::vector<std::string> late_texts;
  std::string statement_key;                // run_statement's statement_cache key
  std::vector<command> statement_commands;  // run_statement's request

  void fill_parameters(std::span<const param_ref> list) {
    values.clear();
    types.clear();
    lengths.clear();
    formats.clear();
    filled = list;
    late = false;
    for (const param_ref& p : list) {
      values.push_back(p.data);
      types.push_back(p.oid);
      lengths.push_back(p.length);
      formats.push_back(static_cast<int>(p.format));
      late = late || p.late_write != nullptr;
    }
  }
  /// When a filled parameter carries a late writer (a described struct):
  /// learns the statement's parameter types (described once per statement
  /// and connection) and the catalog's composites, and writes those
  /// parameters again with members placed by attribute name. `statement`:
  /// the SQL they go with; `before`: the transaction status. Throws the
  /// server's error for a statement that does not parse, conversion_error
  /// for a struct that does not fit.
  void write_late_parameters(const std::string& statement, PGTransactionStatusType before);
  [[nodiscard]] engine::parameters parameters() const noexcept {
    return {static_cast<int>(values.size()), types.data(), values.data(), lengths.data(), formats.data()};
  }

  /// Whether statements may be prepared on this connection.
  [[nodiscard]] bool prepares() const noexcept { return conn.cache.capacity() > 0 && !conn.behind_pooler(); }

  detail::expansion_cache expansions;
  /// Expands `text` with `args` into `sql` and `params`.
  void expand(std::string_view text, bool literal, std::span<const detail::arg_ref> args) {
    expansions.expand(text, literal, args, sql, params);
  }

  bool pipeline = false;  // while executemany/execute_batch runs (batch.cpp)

  // --- streams' cursors (stream.cpp). A stream holds its cursor's entry;
  // the session marks it gone when the server drops the cursor, and closes
  // the cursors streams have finished with in its next request. ---
  struct cursor {
    impl* owner;  // null once the connection that held it is gone
    std::string name;
    bool hold;                                // WITH HOLD (autocommit): outlives its transaction
    std::size_t savepoint_mark;               // savepoints made before it: rolling back to a later one drops it
    bool finished = false;                    // its stream is done with it: close it
    std::deque<engine::request_ptr> ahead{};  // the next batches' FETCHes, sent ahead while the loop reads
    bool gone = false;                        // the server dropped it (transaction end, rollback to a savepoint)
  };
  std::vector<std::shared_ptr<cursor>> cursors;
  std::size_t cursors_opened = 0;  // for unique names
  // The server stores a FETCH's rows before sending them; past a few hundred
  // kilobytes that store costs it twice the time per row (bench F2), so the
  // default batch stays well under that for rows of up to ~150 bytes.
  std::size_t stream_batch_rows = 1000;

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
  void connection_gone() noexcept {
    for (const auto& c : cursors) c->owner = nullptr;
    drop_cursors_if([](const cursor&, std::size_t) { return true; });
  }
  /// The CLOSE statements for cursors no stream reads any more (and forgets them).
  std::vector<std::string> take_cursor_closes();

  // A copy_out being read (copy_out.cpp): the connection is in COPY state,
  // and takes no other statement, until it ends.
  struct copy_out_state {
    impl* owner;  // null once the connection is gone
  };
  std::shared_ptr<copy_out_state> copying;

  // --- one call at a time: a database is not thread-safe; a second thread
  // inside a call is caught here and reported, instead of two threads
  // interleaving on one socket ---
  std::atomic<bool> busy{false};
  void enter() {
    if (busy.exchange(true, std::memory_order_acquire)) {
      throw usage_error(
          "this database is already in a call (from another thread, or from inside a batch, "
          "COPY or notice handler); a database is not thread-safe: give each thread its own");
    }
  }
  void leave() noexcept { busy.store(false, std::memory_order_release); }

  // --- LISTEN/NOTIFY (notifications.cpp): the channels listened to, in the
  // order first listened, LISTENed again on every new connection ---
  std::vector<std::string> channels;
  bool notifications_gap = false;  // reconnected while listening: the next wait reports the gap
  bool loss_reported = false;      // a wait already reported this loss: the reconnect is no news
  void listen_again();
  /// Runs `sql` with `args` as parameters, unprepared and without
  /// psycopg2's implicit BEGIN: outside a transaction it takes effect at once.
  void run_outside_implicit_transaction(const std::string& statement, std::span<const param_ref> args);
  /// usage_error naming `call` and `why` when a transaction is open.
  void require_no_transaction(const char* call, const char* why) const;

  // --- observers (observe/operation.hpp): this database's own, and the
  // pool's while a pool lends it ---
  detail::observer_set observers;
  detail::observed_connection observing{&observers, nullptr, &conn.server()};  // pool_gate sets .pool while lent

  // --- connecting ---
  [[nodiscard]] std::string effective_conninfo() const {
    if (conninfo) return *conninfo;
    const char* url = std::getenv("DATABASE_URL");
    return url ? url : "";
  }
  bool ever_connected = false;  // the next open() is a reconnect, for observers
  void open() {
    detail::operation op(observing, ever_connected ? operation_kind::reconnect : operation_kind::connect);
    op.start();
    try {
      conn.open(effective_conninfo(), {statement_timeout});
    } catch (...) {
      op.failed();
      throw;
    }
    ever_connected = true;
    op.succeeded(-1);
    lost_in_transaction = false;
    // Channels kept from an earlier connection: what was sent to them
    // meanwhile is gone, and the next wait says so (unless one did already).
    notifications_gap = !channels.empty() && !loss_reported;
    loss_reported = false;
    listen_again();
  }
  void disconnect() noexcept {
    conn.close();
    connection_gone();
    if (copying) copying->owner = nullptr;
    copying.reset();
  }
  /// Connects first when needed (lazily, or again after a connection lost
  /// outside a transaction, when nothing can be lost); every request in
  /// flight (a stream's FETCH sent ahead) has its results when it returns.
  void connection();

  // --- requests and results ---

  /// Sends `commands` as one request and waits for all its results. The
  /// request is reused once its last holder has let it go.
  engine::request_ptr exchange(std::span<const command> commands) {
    if (spare_request.use_count() == 1) {
      spare_request->reset();
    } else {
      spare_request = engine::connection::open_request();  // none yet, or a caller still reads the last one
    }
    conn.submit(spare_request, commands);
    conn.wait(*spare_request);
    return spare_request;
  }
  engine::request_ptr spare_request;
  /// The result of command `i` of a finished request (null: never came).
  static result_ptr result_of(engine::request& r, std::size_t i) {
    return i < r.results.size() ? std::move(r.results[i]) : nullptr;
  }
  /// A finished statement's result, checked: throws what the server reported
  /// (or the lost connection); after DDL, forgets cached plans and types.
  std::shared_ptr<const detail::result_data> checked_result(result_ptr res, std::string_view query,
                                                            PGTransactionStatusType before);
  /// Runs one of pgwrap's own statements (BEGIN, COMMIT, SAVEPOINT, ...).
  std::shared_ptr<const detail::result_data> run_own_statement(const char* statement);
  /// After a COMMIT or ROLLBACK that was answered.
  void forget_loss_after_end() noexcept;
  /// Runs pgwrap's own statements in one round trip (connected already);
  /// throws the first failure, else returns the last one's result.
  std::shared_ptr<const detail::result_data> run_own_statements(const std::vector<std::string>& statements,
                                                                PGTransactionStatusType before);
  /// What goes before a statement in its request: CLOSE of finished cursors,
  /// and psycopg2's implicit BEGIN. Returns whether BEGIN is among them.
  bool prelude(std::vector<std::string>& out, PGTransactionStatusType before);
  /// Runs `sql` with the filled parameters, prepared (cached) or not, with
  /// binary results when `chooser` accepts the described columns; tells
  /// `op` when it is sent and whether it was prepared.
  std::shared_ptr<const detail::result_data> run_statement(binary_chooser chooser, detail::operation& op);

  // DDL can change what a prepared statement returns, and the server then
  // refuses to run it ("cached plan must not change result type"). Statements
  // prepared before DDL that this connection ran are forgotten at once.
  static bool changes_schema(std::string_view command) {
    return command.starts_with("ALTER") || command.starts_with("DROP") || command.starts_with("CREATE");
  }
  void forget_prepared() noexcept {
    conn.forget_types();
    conn.cache.clear();
    deallocate("DEALLOCATE ALL");
  }
  // DEALLOCATE is not transactional, but fails inside an aborted transaction;
  // then the statement just stays on the server until the session ends.
  void deallocate(const std::string& statement) noexcept;

  /// The transaction state; a broken connection counts as idle unless it
  /// broke with work uncommitted.
  [[nodiscard]] PGTransactionStatusType status() const noexcept {
    if (!conn.is_ok()) return lost_in_transaction ? PQTRANS_UNKNOWN : PQTRANS_IDLE;
    return conn.transaction_status();
  }
  /// Whether what runs next runs inside a transaction block (`before`: the
  /// status before the statement just run). FETCHes a stream sent ahead
  /// keep the status unknown (active) while they are out; they only run in
  /// transactions.
  [[nodiscard]] bool in_transaction_block(PGTransactionStatusType before) const noexcept {
    const PGTransactionStatusType now = status();
    return now == PQTRANS_INTRANS || (now == PQTRANS_ACTIVE && before != PQTRANS_IDLE);
  }
  void commit();
  void rollback();
  void check_no_guard(const char* call) const {
    if (guard_depth > 0) {
      throw usage_error(std::string(call) + " while a pgwrap::transaction is active; finish it through the guard");
    }
  }
};

inline database::call_scope::call_scope(database::impl& st) : st_(st) { st_.enter(); }
inline database::call_scope::~call_scope() { st_.leave(); }

}  // namespace pgwrap
