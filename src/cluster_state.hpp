#pragma once
// A cluster's shared state: its pools, what the checks found, and the
// background thread. Routing lives in cluster.cpp, checks in cluster_check.cpp.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pgwrap/cluster.hpp"

namespace pgwrap::detail {

struct cluster_state {
  struct standby {
    std::string conninfo;
    std::unique_ptr<pool> connections;
    standby_status status;              // guarded by cluster_state::mutex
    std::unique_ptr<database> probe{};  // the check's own connection; guarded by check_mutex
  };
  /// The primary's WAL position at one check (for measuring lag, cluster_check.cpp).
  struct wal_sample {
    std::chrono::steady_clock::time_point at;
    std::uint64_t lsn;
  };

  cluster_state(std::string primary_conninfo, std::vector<std::string> standby_conninfos, cluster_options opts);

  /// Checks every standby now (cluster_check.cpp); never throws.
  void check() noexcept;
  /// Runs the first check if none has run yet.
  void check_once();
  /// The background thread: check() every lag_check_period until stopping.
  void run_checks() noexcept;
  /// The standbys usable for reads, starting at the next in turn.
  [[nodiscard]] std::vector<std::size_t> usable_in_turn();
  /// Records that a standby failed outside a check (it stays unusable until
  /// a check finds it well again).
  void mark_unhealthy(std::size_t index, const std::string& why);
  /// Why each standby cannot serve, for standby_unavailable's message.
  [[nodiscard]] std::string describe_standbys() const;
  /// The pool writes go to now (it changes on failover).
  [[nodiscard]] std::shared_ptr<pool> current_primary() const;
  /// Makes standby `index`, found out of recovery while the primary is
  /// unreachable, the primary (cluster_check.cpp); called under check_mutex.
  void follow(std::size_t index);

  const cluster_options options;
  std::string primary_conninfo;                  // with read-write; changes on failover, guarded by check_mutex
  std::shared_ptr<pool> primary;                 // guarded by mutex (read through current_primary())
  std::vector<std::shared_ptr<pool>> retired{};  // former primaries' pools, drained; guarded by mutex
  std::vector<standby> standbys;                 // fixed after construction

  mutable std::mutex mutex;  // the statuses
  std::atomic<std::size_t> next_turn{0};
  std::atomic<bool> checked{false};  // a check has run

  std::mutex check_mutex;  // one check at a time; the probes and samples
  std::unique_ptr<database> primary_probe{};
  std::deque<wal_sample> samples{};

  std::mutex stop_mutex;
  std::condition_variable stop_signal;
  bool stopping = false;  // guarded by stop_mutex
  std::thread checker{};  // runs check() every lag_check_period, when set
};

}  // namespace pgwrap::detail
