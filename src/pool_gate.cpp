// The pool's narrow door into a database (see pool_gate.hpp).

#include "pool_gate.hpp"

#include "session.hpp"

namespace pgwrap::detail {

bool pool_gate::alive(database& db, bool ping) noexcept {
  database::impl* st = db.impl_.get();
  if (st == nullptr || st->closed || !st->conn.is_open()) return false;
  // A server that ends a session (restart, pg_terminate_backend) first sends
  // a FATAL message, then closes the socket; reading what an idle connection
  // has received finds either.
  const bool arrived = st->conn.read_idle_input();
  if (st->conn.server_closing() || !st->conn.is_ok() || st->conn.transaction_status() != PQTRANS_IDLE) return false;
  return (!ping && !arrived) || st->conn.ping();
}

bool pool_gate::reset(database& db, const pool_options& options, const std::string& conninfo) noexcept {
  database::impl* st = db.impl_.get();
  // Closed, moved from, lost, pointed elsewhere with connect(conninfo), or
  // still inside a call, a transaction guard, a batch or a COPY: not for the
  // next user.
  if (st == nullptr || st->closed || !st->conn.is_ok() || st->busy.load() || st->guard_depth > 0 || st->pipeline ||
      st->copying || st->lost_in_transaction || st->conninfo != conninfo) {
    return false;
  }
  try {
    st->conn.notice_handler = options.on_notice;  // before the reset: the last user's handler may be gone already
    if (!st->conn.reset_session(options.reset == session_reset::keep_prepared, options.statement_cache_size,
                                {options.statement_timeout})) {
      return false;
    }
    st->channels.clear();   // UNLISTEN * ended them (and the engine dropped what they had received)
    st->connection_gone();  // the rollback and CLOSE ALL ended every cursor; a stream still open says so
    st->autocommit = options.autocommit;
    st->statement_timeout = options.statement_timeout;
    st->stream_batch_rows = options.stream_batch_size;
    return true;
  } catch (...) {  // out of memory: the connection is closed instead
    return false;
  }
}

bool pool_gate::in_use(const database& db) noexcept {
  const database::impl* st = db.impl_.get();
  return st != nullptr && (st->guard_depth > 0 || st->busy.load());
}

bool pool_gate::broken(const database& db) noexcept {
  const database::impl* st = db.impl_.get();
  return st == nullptr || st->closed || !st->conn.is_ok() || st->lost_in_transaction;
}

void pool_gate::observe_with(database& db, const observer_set& observers) noexcept {
  db.impl_->observing.pool = &observers;
}

}  // namespace pgwrap::detail
