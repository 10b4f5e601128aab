#pragma once
/// @file
/// retry_transaction: runs a function as one transaction, again when the
/// server says running it again may succeed.

#include <chrono>
#include <concepts>
#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#include "pgwrap/database.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/transaction.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// The isolation level retry_transaction sets at the start of each attempt.
enum class isolation_level { server_default, read_committed, repeatable_read, serializable };

/// One failed attempt that is about to be retried, for retry_options::on_retry.
struct retry_event {
  int attempt;                      ///< the attempt that failed, from 1
  const error& cause;               ///< why it failed (serialization_failure, deadlock_detected, connection_error)
  std::chrono::milliseconds delay;  ///< the wait before the next attempt
};

/// How retry_transaction retries.
struct retry_options {
  /// Attempts in all, the first one included; at least 1.
  int max_attempts = 5;
  /// The wait after the first failure; it grows by `backoff` per failure, up to `max_delay`.
  /// Each wait is chosen at random between half of that and all of it (jitter), so that
  /// two transactions that collided do not collide again in step.
  std::chrono::milliseconds first_delay{10};
  std::chrono::milliseconds max_delay{1000};  ///< the longest wait, before jitter
  double backoff = 2.0;                       ///< at least 1
  /// Sent as SET TRANSACTION ISOLATION LEVEL at the start of every attempt.
  isolation_level isolation = isolation_level::server_default;
  /// Called before each wait (for logging); must not throw. May be empty.
  std::function<void(const retry_event&)> on_retry = nullptr;
};

/// True for a failure after which running the whole transaction again is
/// safe and may succeed: serialization_failure (40001), deadlock_detected
/// (40P01), and connection_error, except commit_outcome_unknown.
/**
 * A connection_error while the transaction was open means its work is gone
 * (the server rolls back what a lost session had not committed); one while
 * connecting means nothing was done. commit_outcome_unknown is the one lost
 * connection after which the work may be committed, so it is never retryable.
 * Everything else (other sql_errors, usage_error, conversion_error, and any
 * exception that is not a pgwrap::error) is not retryable either.
 */
[[nodiscard]] bool is_retryable(const std::exception& e) noexcept;

namespace detail {
void check_retry_start(const database& db, const retry_options& options);
void begin_attempt(database& db, isolation_level isolation);
/// Throws usage_error when the body ended the transaction itself (COMMIT or ROLLBACK as SQL).
void require_open_transaction(const database& db);
/// Whether to go on after `attempt` failed with `e`; if so, reports it and waits.
bool wait_before_retry(const database& db, const error& e, int attempt, const retry_options& options);
}  // namespace detail

/// Runs `body(db)` inside a transaction and commits it; when an attempt fails
/// in a way that is safe to retry (see is_retryable), rolls back, waits, and
/// runs the whole body again, at most `options.max_attempts` times in all.
/// Returns what the last, committed run of `body` returned.
/**
 *     int moved = pgwrap::retry_transaction(db, [&](pgwrap::database& tx) {
 *       int balance = tx.scalar<int>("SELECT balance FROM accounts WHERE id = %s", 1);
 *       tx.execute("UPDATE accounts SET balance = %s WHERE id = %s", balance - 10, 1);
 *       tx.execute("UPDATE accounts SET balance = balance + 10 WHERE id = %s", 2);
 *       return 10;
 *     }, {.isolation = pgwrap::isolation_level::serializable});
 *
 * Each attempt is BEGIN (through a pgwrap::transaction guard), the isolation
 * level if one is asked for, `body(db)`, then COMMIT. A failed attempt is
 * rolled back (for a lost connection: acknowledged) before the next begins.
 *
 * Retried: serialization_failure, deadlock_detected, and a connection_error
 * from connecting or from a statement (the server rolls back a lost
 * session's work, so nothing is done twice). Never retried, and rethrown at
 * once: commit_outcome_unknown (the connection was lost during COMMIT, so the
 * work may be committed), every other error, whatever `body` throws itself,
 * and any error after which the rollback could not leave the database idle.
 * After the last attempt the last error is rethrown.
 *
 * The body may run several times: it must not have effects outside the
 * database that cannot be repeated, and it must not end the transaction
 * itself (database::commit() and rollback() are usage errors inside the
 * guard; COMMIT or ROLLBACK sent as SQL is found afterwards and reported as
 * usage_error, not retried). It may use savepoints
 * (pgwrap::transaction guards) inside.
 *
 * @par Errors
 * usage_error when `db` is already in a transaction (its earlier work could
 * not be re-run), or when the options are out of range; otherwise the last
 * attempt's error, or the first one that is not retried, as above.
 *
 * @par Thread safety
 * As for any call on `db`. The waits sleep the calling thread.
 */
template <typename F>
requires std::invocable<F&, database&> std::invoke_result_t<F&, database&> retry_transaction(
    database& db, F&& body, const retry_options& options = {}) {
  using value_type = std::invoke_result_t<F&, database&>;
  detail::check_retry_start(db, options);
  for (int attempt = 1;; ++attempt) {
    try {
      transaction tx(db);
      detail::begin_attempt(db, options.isolation);
      if constexpr (std::is_void_v<value_type>) {
        std::invoke(body, db);
        detail::require_open_transaction(db);
        tx.commit();
        return;
      } else {
        value_type value = std::invoke(body, db);
        detail::require_open_transaction(db);
        tx.commit();
        return value;
      }
    } catch (const error& e) {  // the guard has rolled back (or acknowledged a lost connection) by now
      if (!detail::wait_before_retry(db, e, attempt, options)) throw;
    }
  }
}

}  // namespace pgwrap
PGWRAP_API_END
