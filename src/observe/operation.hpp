#pragma once
// The one place where operations meet observers: both faces make an
// `operation` for each call, and it tells the observers installed for the
// process, the pool and the database its start and its end. With none
// installed it costs a few pointer tests and does nothing else.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/connection.hpp"
#include "pgwrap/codec.hpp"
#include "pgwrap/observer.hpp"
#include "pgwrap/sql.hpp"

namespace pgwrap::detail {

struct observer_entry {
  std::shared_ptr<observer> who;
  observe_options options;
};
using observer_list = std::vector<observer_entry>;
using observer_list_ptr = std::shared_ptr<const observer_list>;  // null: none

/// A list of observers that is read while it may change (a pool's, the
/// process's): copied on write, read as a snapshot.
class observer_set {
 public:
  /// Adds `o`; usage_error when it is null or already here.
  void add(std::shared_ptr<observer> o, observe_options options);
  bool remove(const std::shared_ptr<observer>& o) noexcept;
  /// The observers now; null when there are none (without locking).
  [[nodiscard]] observer_list_ptr snapshot() const;
  [[nodiscard]] bool empty() const noexcept { return !nonempty_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mutex_;
  observer_list_ptr list_;
  std::atomic<bool> nonempty_{false};
};

/// The process-wide observers; `any_global_observers` is the cheap test.
extern observer_set global_observer_set;
[[nodiscard]] inline bool any_global_observers() noexcept { return !global_observer_set.empty(); }

/// Where an operation runs: the observers installed on its database (or
/// async_database) and on the pool that lent it (both outlive it), and the
/// server it talks to.
struct observed_connection {
  const observer_set* own = nullptr;
  const observer_set* pool = nullptr;
  const engine::server_facts* server = nullptr;

  [[nodiscard]] bool observed() const noexcept {
    return (own != nullptr && !own->empty()) || (pool != nullptr && !pool->empty()) || any_global_observers();
  }
};

/// One operation from its start to its end. Inactive (and free) when no
/// observer is installed anywhere; else every observer's on_start runs in
/// start(), on_end in succeeded() / failed(), or failed(abandoned) in the
/// destructor when neither ran.
class operation {
 public:
  operation(const observed_connection& where, operation_kind kind) noexcept;
  ~operation();
  operation(const operation&) = delete;
  operation& operator=(const operation&) = delete;

  [[nodiscard]] bool active() const noexcept { return active_; }
  [[nodiscard]] bool started() const noexcept { return started_; }

  /// The SQL as sent (copied), its summary (found from the SQL when
  /// `summary` is incomplete; else its views must outlive the operation, as
  /// a literal's do) and its parameters; call before start().
  void describe(std::string_view sent, const statement_summary& summary, std::span<const param_ref> params = {});
  /// The summary describe() settled on, for a nested operation on the same SQL.
  [[nodiscard]] statement_summary summary() const noexcept { return {e_.operation_name, e_.collection_name, true}; }
  void set_batch_size(std::size_t n) noexcept { e_.batch_size = n; }
  void set_prepared(bool prepared, bool cache_hit) noexcept {
    e_.prepared = prepared;
    e_.cache_hit = cache_hit;
  }

  /// Tells the observers the operation starts (the clock starts here).
  void start();
  /// The request leaves now: the time before was queued, after it on the
  /// wire. The server's facts (connected by now, perhaps by a lazy connect
  /// in between) are copied: the event names the server it was sent to,
  /// even if the connection is lost or gone (a copy_out's rows outlive
  /// their database) before it ends.
  void sent() noexcept;
  void succeeded(std::int64_t rows);
  /// Ends it with the exception being handled (call inside a catch block).
  void failed() noexcept { failed(std::current_exception()); }
  void failed(const std::exception_ptr& error) noexcept;

 private:
  void read_server() noexcept;  // at the start and the end: a lazy connect comes in between
  void end() noexcept;
  template <typename Call>
  void each(Call call) noexcept;

  bool active_ = false;
  bool started_ = false;
  bool ended_ = false;
  observer_list_ptr own_, pool_, global_;
  const engine::server_facts* live_server_ = nullptr;  // the connection's
  const engine::server_facts* server_ = nullptr;       // live_server_, or kept_server_ once sent
  engine::server_facts kept_server_;
  event e_;
  std::string text_;                        // the SQL as sent
  std::vector<observed_parameter> values_;  // for observers that asked for values
  std::vector<std::string> value_storage_;  // their bytes, copied: a coroutine's arguments may be gone by the end
  std::exception_ptr error_;                // what failed() got: the event's views point into it
  std::chrono::steady_clock::time_point start_at_{};
  std::chrono::steady_clock::time_point sent_at_{};
};

/// Runs `body` as one operation of `kind` running pgwrap's statement `sql`
/// (commit, rollback): it has no rows to report.
template <typename Body>
void observed(const observed_connection& where, operation_kind kind, std::string_view sql, Body&& body) {
  operation op(where, kind);
  if (op.active()) {
    op.describe(sql, {});
    op.start();
  }
  try {
    body();
  } catch (...) {
    op.failed();
    throw;
  }
  op.succeeded(-1);
}

/// Tells `e` to a pool's observers and the process's.
void tell_pool_event(const observer_set& pool_observers, const pool_event& e) noexcept;
/// Whether a pool's events have anyone to tell.
[[nodiscard]] inline bool pool_observed(const observer_set& pool_observers) noexcept {
  return !pool_observers.empty() || any_global_observers();
}

/// Hands what an observer threw to the handler of set_observer_error_handler.
void observer_threw(std::exception_ptr error) noexcept;

/// The SQLSTATE (or "") and exception class name of `error`; the views
/// stay valid while `error` is held.
void describe_error(const std::exception_ptr& failure, std::string_view& sqlstate, std::string_view& type) noexcept;

}  // namespace pgwrap::detail
