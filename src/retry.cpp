// retry_transaction's non-template parts: what may be retried, and the
// bounded, jittered exponential backoff between attempts.

#include "pgwrap/retry.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <thread>

namespace pgwrap {

bool is_retryable(const std::exception& e) noexcept {
  // The one lost connection after which the work may have been committed.
  if (dynamic_cast<const commit_outcome_unknown*>(&e) != nullptr) return false;
  return dynamic_cast<const serialization_failure*>(&e) != nullptr ||
         dynamic_cast<const deadlock_detected*>(&e) != nullptr || dynamic_cast<const connection_error*>(&e) != nullptr;
}

namespace detail {
namespace {

// Between half of the exponential delay and all of it: bounded, never zero
// unless asked for, and two colliding transactions drift apart.
std::chrono::milliseconds backoff_delay(const retry_options& options, int failed_attempt) {
  const double base = static_cast<double>(options.first_delay.count()) *
                      std::pow(options.backoff, static_cast<double>(failed_attempt - 1));
  const double capped = std::min(base, static_cast<double>(options.max_delay.count()));
  thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_real_distribution<double> share(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::llround(capped * share(random))));
}

}  // namespace

void check_retry_start(const database& db, const retry_options& options) {
  if (options.max_attempts < 1) {
    throw usage_error("retry_transaction: max_attempts is " + std::to_string(options.max_attempts) +
                      "; it must be at least 1");
  }
  if (options.first_delay.count() < 0 || options.max_delay.count() < 0) {
    throw usage_error("retry_transaction: first_delay and max_delay must not be negative");
  }
  if (!(options.backoff >= 1.0) || !std::isfinite(options.backoff)) {  // NaN fails >= too
    throw usage_error("retry_transaction: backoff must be a finite number of at least 1");
  }
  if (db.in_transaction()) {
    throw usage_error(
        "retry_transaction inside an open transaction: its earlier work could not be run again; "
        "commit() or rollback() first (a lost connection is acknowledged by rollback())");
  }
}

void begin_attempt(database& db, isolation_level isolation) {
  switch (isolation) {
    case isolation_level::server_default: return;
    case isolation_level::read_committed: db.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"); return;
    case isolation_level::repeatable_read: db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); return;
    case isolation_level::serializable: db.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"); return;
  }
  throw usage_error("retry_transaction: isolation is not an isolation_level value");
}

void require_open_transaction(const database& db) {
  if (!db.in_transaction()) {
    throw usage_error(
        "retry_transaction: the body ended the transaction itself (COMMIT or ROLLBACK sent as SQL); "
        "only retry_transaction may end it, so its work was not retried or checked");
  }
}

bool wait_before_retry(const database& db, const error& e, int attempt, const retry_options& options) {
  if (attempt >= options.max_attempts || !is_retryable(e)) return false;
  // The guard's rollback could not leave the database idle: a new attempt would
  // run inside what is left (a savepoint, not a transaction of its own).
  if (db.in_transaction()) return false;
  const std::chrono::milliseconds delay = backoff_delay(options, attempt);
  if (options.on_retry) options.on_retry(retry_event{attempt, e, delay});
  std::this_thread::sleep_for(delay);
  return true;
}

}  // namespace detail
}  // namespace pgwrap
