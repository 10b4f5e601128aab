// transaction: the RAII guard, BEGIN / COMMIT at the top, SAVEPOINT /
// RELEASE / ROLLBACK TO when nested.

#include "pgwrap/transaction.hpp"

#include <string>
#include <vector>

#include "session.hpp"

namespace pgwrap {

transaction::transaction(database& db) : db_(db) {
  database::impl& st = db_.state();
  const database::call_scope scope(st);
  if (st.closed) throw usage_error("transaction on a closed database");
  st.connection();
  const PGTransactionStatusType before = st.status();
  std::vector<std::string> statements = st.take_cursor_closes();  // in the same round trip
  if (before == PQTRANS_IDLE) {
    statements.emplace_back("BEGIN");
  } else {
    savepoint_number_ = ++st.savepoints;
    savepoint_ = "pgwrap_savepoint_" + std::to_string(savepoint_number_);
    statements.push_back("SAVEPOINT " + savepoint_);
  }
  st.run_own_statements(statements, before);
  depth_ = ++st.guard_depth;
}

transaction::~transaction() {
  if (done_) return;
  try {
    // Ended before a guard nested in it (guards held on the heap): its whole
    // work still goes, the inner guards' included, never left for a commit().
    if (db_.impl_ && db_.impl_->guard_depth > depth_) db_.impl_->guard_depth = depth_;
    rollback();
  } catch (
      ...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; the next call reports a broken connection
  }
  finish();
}

void transaction::finish() {
  done_ = true;
  if (!db_.impl_) return;
  database::impl& st = *db_.impl_;
  if (st.guard_depth >= depth_) st.guard_depth = depth_ - 1;
}

void transaction::commit() {
  if (done_) throw usage_error("transaction::commit() on a transaction already finished");
  database::impl& st = db_.state();
  const database::call_scope scope(st);
  if (st.closed) throw usage_error("transaction::commit() on a closed database");
  if (st.guard_depth < depth_) {
    throw usage_error(
        "transaction::commit() on a transaction that already ended: the database was closed or "
        "reconnected, or an enclosing guard ended, and its work was rolled back");
  }
  if (st.guard_depth > depth_) {
    throw usage_error("transaction::commit() while an inner pgwrap::transaction is still active");
  }
  finish();
  const std::string release = "RELEASE SAVEPOINT " + savepoint_;
  detail::observed(st.observing, operation_kind::commit, savepoint_.empty() ? "COMMIT" : release.c_str(), [&] {
    if (st.conn.is_open()) st.conn.drain();  // a stream's FETCH in flight decides whether the transaction failed
    if (savepoint_.empty()) {
      try {
        st.commit();
      } catch (const connection_error&) {
        st.rollback();  // the guard owned the transaction: acknowledge the loss for the caller
        throw;
      }
    } else if (st.status() == PQTRANS_INERROR) {
      st.run_own_statement(("ROLLBACK TO SAVEPOINT " + savepoint_).c_str());
      st.rolled_back_to_savepoint(savepoint_number_);
      throw_aborted_commit(
          "commit failed: the savepoint's work was aborted by an error and has been rolled back to the "
          "savepoint; the enclosing transaction goes on");
    } else {
      st.run_own_statement(release.c_str());
    }
  });
}

void transaction::rollback() {
  if (done_) return;
  database::impl& st = db_.state();
  const database::call_scope scope(st);
  if (st.closed || st.guard_depth < depth_) {
    finish();  // closing, reconnecting or an enclosing guard rolled it back already
    return;
  }
  if (st.guard_depth > depth_) {
    throw usage_error("transaction::rollback() while an inner pgwrap::transaction is still active");
  }
  finish();
  const std::string to_savepoint = "ROLLBACK TO SAVEPOINT " + savepoint_;
  detail::observed(st.observing, operation_kind::rollback, savepoint_.empty() ? "ROLLBACK" : to_savepoint.c_str(), [&] {
    if (savepoint_.empty()) {
      st.rollback();
    } else if (!st.lost_in_transaction) {
      st.connection();
      st.run_own_statements({to_savepoint, "RELEASE SAVEPOINT " + savepoint_}, st.status());
      st.rolled_back_to_savepoint(savepoint_number_);
    }
  });
}

}  // namespace pgwrap
