#pragma once
/// @file
/// An RAII transaction guard, nesting through savepoints.

#include <cstddef>
#include <string>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

class database;

/// Begins a transaction (or, inside one, a savepoint) and rolls it back on
/// destruction unless commit() was called.
/**
 *     {
 *       pgwrap::transaction tx(db);
 *       db.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", 10, 1);
 *       db.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", 10, 2);
 *       tx.commit();
 *     }  // an exception before commit() rolls both back
 *
 * When the database is idle the guard runs BEGIN and commit() runs COMMIT.
 * When a transaction is already open (an implicit one, or an outer guard)
 * it uses SAVEPOINT, RELEASE and ROLLBACK TO, so guards nest. Guards must be
 * finished innermost first; while one is active, database::commit() and
 * rollback() are usage errors (finish the guard instead).
 *
 * The destructor never throws: a failed rollback there is swallowed (the
 * connection is then broken, and the next call reports it).
 */
class transaction {
 public:
  /// Runs BEGIN, or SAVEPOINT when a transaction is already open.
  /**
   * @par Errors
   * As database::execute(): connection_error, sql_error, usage_error.
   *
   * @par Lifetime
   * `db` must outlive the guard.
   */
  explicit transaction(database& db);
  /// Rolls back unless commit() or rollback() was called; never throws.
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// Commits (or releases the savepoint). Throws sql_error 25P02 when the
  /// transaction had failed, after rolling it back.
  void commit();
  /// Rolls back (to the savepoint). Calling it again, or after commit(), is a no-op.
  void rollback();
  /// True for a guard that made a savepoint inside an open transaction.
  [[nodiscard]] bool is_savepoint() const noexcept { return !savepoint_.empty(); }

 private:
  void finish();

  database& db_;
  std::string savepoint_;             // empty for a top-level transaction
  std::size_t savepoint_number_ = 0;  // N of pgwrap_savepoint_N
  std::size_t depth_;                 // 1 for the outermost guard
  bool done_ = false;
};

}  // namespace pgwrap
PGWRAP_API_END
