#pragma once
/// @file
/// The exceptions pgwrap throws.
/**
 * The hierarchy is shallow on purpose: a class exists only where a caller can
 * act on it differently (retry a serialization failure, report a duplicate
 * key to the user, reconnect after a lost connection). Everything else from
 * the server is a plain `sql_error`, and `sqlstate()` tells the rest.
 *
 *     error                         client-side text in what()
 *     ├─ connection_error           could not connect, or the connection was lost
 *     │  └─ commit_outcome_unknown  lost during COMMIT: committed or not, nobody knows
 *     ├─ usage_error                the program used the API wrongly
 *     ├─ unexpected_rows            a query returned a row count the call does not allow
 *     ├─ pool_timeout               no pooled connection came free in time
 *     ├─ pool_overloaded            too many callers were waiting for a pooled connection
 *     ├─ standby_unavailable        no standby could serve a read, and the primary may not
 *     ├─ conversion_error           a value did not fit the C++ type asked for
 *     │  └─ unexpected_null         NULL read into a type that cannot hold it
 *     └─ sql_error                  the server rejected a statement
 *        ├─ integrity_violation (23): unique_, foreign_key_, not_null_, check_violation
 *        ├─ transaction_rollback (40): serialization_failure, deadlock_detected
 *        ├─ syntax_error_or_access_rule_violation (42): syntax_error,
 *        │     undefined_table, undefined_column, insufficient_privilege
 *        ├─ data_exception (22), insufficient_resources (53)
 *        └─ operator_intervention (57): query_canceled
 *
 * The server's own text (which may quote user data, e.g. a duplicate key) is
 * kept apart in `server_message()`, `detail()` and `hint()`; `what()` is the
 * primary message plus the SQLSTATE. No message ever contains a password.
 */

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// Root of everything pgwrap throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Connecting failed (bad conninfo, server unreachable, authentication), or
/// the connection was lost while in use. The database object must reconnect.
class connection_error : public error {
 public:
  using error::error;
  /// `not_sent`: the statement never left this process (see not_sent()).
  connection_error(const std::string& message, bool not_sent) : error(message), not_sent_(not_sent) {}
  /// True when the statement that failed was never sent to the server, so
  /// running it again cannot run it twice (the coroutine face reports this
  /// for statements still queued when the connection was lost).
  [[nodiscard]] bool not_sent() const noexcept { return not_sent_; }

 private:
  bool not_sent_ = false;
};

/// The connection was lost while COMMIT was in flight: the server may have
/// committed the transaction or not, and the client cannot tell which. Never
/// run the transaction again blindly; check whether its work is there first
/// (pgwrap::retry_transaction never retries this error).
class commit_outcome_unknown : public connection_error {
 public:
  using connection_error::connection_error;
};

/// The API was used in a way it does not allow: wrong number of arguments
/// for the placeholders, an unknown column name, use after close(), ...
class usage_error : public error {
 public:
  using error::error;
};

/// A query returned a number of rows the call does not allow (scalar()
/// with no row or several, insert() with RETURNING when no row was made).
class unexpected_rows : public error {
 public:
  using error::error;
};

/// pool::acquire() found no free connection within its wait.
class pool_timeout : public error {
 public:
  /// The message names the pool's size and how long the caller waited.
  pool_timeout(std::size_t max_size, std::chrono::milliseconds waited);
  /// The pool's max_size when the wait ran out.
  [[nodiscard]] std::size_t max_size() const noexcept { return max_size_; }
  /// How long acquire() waited.
  [[nodiscard]] std::chrono::milliseconds waited() const noexcept { return waited_; }

 private:
  std::size_t max_size_;
  std::chrono::milliseconds waited_;
};

/// acquire() found pool_options::max_waiting callers waiting already and
/// refused at once, without waiting.
class pool_overloaded : public error {
 public:
  /// The message names the pool's max_waiting.
  explicit pool_overloaded(std::size_t max_waiting);
  /// The pool's max_waiting: how many callers were waiting already.
  [[nodiscard]] std::size_t max_waiting() const noexcept { return max_waiting_; }

 private:
  std::size_t max_waiting_;
};

/// cluster::acquire(read_only) found no standby that could serve the read and
/// was told not to use the primary instead: none healthy and within
/// max_replica_lag with fallback_to_primary off, or (with a consistency_token)
/// none replayed past the token within replay_wait_timeout with
/// on_replay_timeout::throw_error. The message says which, per standby.
class standby_unavailable : public error {
 public:
  using error::error;
};

/// A value could not be converted: a result read as a C++ type that cannot
/// hold it (out of range, not a number), or a parameter PostgreSQL cannot
/// take (a string with a NUL byte). The message names the column or
/// parameter and the types involved.
class conversion_error : public error {
 public:
  using error::error;
};

/// A NULL was read into a type that has no NULL (use std::optional<T>).
class unexpected_null : public conversion_error {
 public:
  using conversion_error::conversion_error;
};

/// The server reported an error for a statement.
class sql_error : public error {
 public:
  /// Everything the server said about the error, plus the statement sent.
  struct info {
    std::string sqlstate;                    ///< five-character SQLSTATE, e.g. "23505"
    std::string message;                     ///< the server's primary message
    std::string detail;                      ///< optional secondary message
    std::string hint;                        ///< optional suggestion
    std::string query;                       ///< the SQL text sent (values travel apart, as parameters)
    std::string schema;                      ///< for integrity errors: the object involved, if known
    std::string table;                       ///< for integrity errors: the table, if known
    std::string column;                      ///< for not-null errors: the column, if known
    std::string constraint;                  ///< for integrity errors: the constraint's name, if known
    std::size_t statement_index = no_index;  ///< in a batch: which statement failed, from 0
  };
  /// statement_index() of an error that was not in a batch.
  static constexpr std::size_t no_index = static_cast<std::size_t>(-1);

  /// what() is the server's primary message followed by the SQLSTATE.
  explicit sql_error(info i);

  /// The five-character SQLSTATE, e.g. "23505" (see PostgreSQL's Appendix A).
  [[nodiscard]] const std::string& sqlstate() const noexcept { return info_.sqlstate; }
  /// The server's primary message; it may quote user data.
  [[nodiscard]] const std::string& server_message() const noexcept { return info_.message; }
  /// The server's secondary message (e.g. the duplicate key); "" when none.
  [[nodiscard]] const std::string& detail() const noexcept { return info_.detail; }
  /// The server's suggestion; "" when none.
  [[nodiscard]] const std::string& hint() const noexcept { return info_.hint; }
  /// The SQL text sent, with $n for the parameters; never the values.
  [[nodiscard]] const std::string& query() const noexcept { return info_.query; }
  /// The schema of the object involved; "" when the server did not say.
  [[nodiscard]] const std::string& schema_name() const noexcept { return info_.schema; }
  /// The table involved; "" when the server did not say.
  [[nodiscard]] const std::string& table_name() const noexcept { return info_.table; }
  /// The column involved; "" when the server did not say.
  [[nodiscard]] const std::string& column_name() const noexcept { return info_.column; }
  /// The constraint that was violated; "" when the server did not say.
  [[nodiscard]] const std::string& constraint_name() const noexcept { return info_.constraint; }
  /// For executemany() and execute_batch(): the failing statement's index
  /// (from 0) among those given; no_index for a single statement.
  [[nodiscard]] std::size_t statement_index() const noexcept { return info_.statement_index; }

 private:
  info info_;
};

#define PGWRAP_SQL_ERROR_CLASS(name, base)                                        \
  class name : public base { /* NOLINT(bugprone-macro-parentheses): type names */ \
   public:                                                                        \
    using base::base;                                                             \
  }

/// SQLSTATE class 23: a constraint rejected the change.
PGWRAP_SQL_ERROR_CLASS(integrity_violation, sql_error);
/// 23505: a unique index or primary key already holds the value.
PGWRAP_SQL_ERROR_CLASS(unique_violation, integrity_violation);  // 23505
/// 23503: the referenced row is missing, or is still referenced.
PGWRAP_SQL_ERROR_CLASS(foreign_key_violation, integrity_violation);  // 23503
/// 23502: NULL given for a NOT NULL column.
PGWRAP_SQL_ERROR_CLASS(not_null_violation, integrity_violation);  // 23502
/// 23514: a CHECK constraint failed.
PGWRAP_SQL_ERROR_CLASS(check_violation, integrity_violation);  // 23514

/// SQLSTATE class 40: the transaction was rolled back; running it again may succeed.
class transaction_rollback : public sql_error {
 public:
  using sql_error::sql_error;
  /// Always true: the whole transaction may be run again (retry_transaction does).
  [[nodiscard]] static constexpr bool is_retryable() noexcept { return true; }
};
/// 40001: a concurrent transaction conflicted (REPEATABLE READ or SERIALIZABLE).
PGWRAP_SQL_ERROR_CLASS(serialization_failure, transaction_rollback);  // 40001
/// 40P01: the server broke a deadlock by aborting this transaction.
PGWRAP_SQL_ERROR_CLASS(deadlock_detected, transaction_rollback);  // 40P01

/// SQLSTATE class 42: the statement is wrong or not allowed.
PGWRAP_SQL_ERROR_CLASS(syntax_error_or_access_rule_violation, sql_error);
/// 42601: the SQL does not parse.
PGWRAP_SQL_ERROR_CLASS(syntax_error, syntax_error_or_access_rule_violation);  // 42601
/// 42P01: no such table or view.
PGWRAP_SQL_ERROR_CLASS(undefined_table, syntax_error_or_access_rule_violation);  // 42P01
/// 42703: no such column.
PGWRAP_SQL_ERROR_CLASS(undefined_column, syntax_error_or_access_rule_violation);  // 42703
/// 42501: the role lacks a privilege the statement needs.
PGWRAP_SQL_ERROR_CLASS(insufficient_privilege, syntax_error_or_access_rule_violation);  // 42501

/// SQLSTATE class 22: a value was invalid for its type (division by zero, bad input syntax, ...).
PGWRAP_SQL_ERROR_CLASS(data_exception, sql_error);
/// SQLSTATE class 53: the server ran out of something (disk, memory, connections).
PGWRAP_SQL_ERROR_CLASS(insufficient_resources, sql_error);
/// SQLSTATE class 57: an operator or timeout stopped the statement.
PGWRAP_SQL_ERROR_CLASS(operator_intervention, sql_error);
/// 57014: the statement was cancelled (statement_timeout, a cancel request, or
/// cancellation of the coroutine that awaited it).
PGWRAP_SQL_ERROR_CLASS(query_canceled, operator_intervention);  // 57014

#undef PGWRAP_SQL_ERROR_CLASS

}  // namespace pgwrap
PGWRAP_API_END
