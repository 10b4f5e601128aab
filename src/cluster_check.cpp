// The health and lag checks of a cluster's standbys (docs/replicas.md, "Lag").
//
// A standby's lag is how old the data it shows may be. Two upper bounds are
// taken and the smaller is used:
//  - by replay timestamp: now() on the standby minus the commit time of the
//    last transaction it replayed. Exact while the primary commits often, but
//    it grows without bound when the primary is idle (nothing new to replay).
//  - by WAL position: each check samples the primary's WAL position; the
//    standby is at most as old as the newest sample it has replayed past.
//    Caught up means 0, however long the primary has been idle; otherwise the
//    bound is coarse (the time between checks).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "cluster_state.hpp"
#include "internal.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap::detail {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A followed standby's status says why it serves no reads.
constexpr const char* promoted_problem = "promoted: the cluster's primary now";

std::unique_ptr<database> open_probe(const std::string& conninfo) {
  auto db = std::make_unique<database>(conninfo);
  db->set_autocommit(true);  // a check holds no transaction open on the server
  return db;
}

// How long samples are kept: a standby behind all of them counts as at least
// this old, which is then above max_replica_lag.
milliseconds sample_horizon(const cluster_options& o) {
  return 2 * o.max_replica_lag + 2 * o.lag_check_period + milliseconds(1'000);
}

}  // namespace

void cluster_state::check() noexcept {
  try {
    const std::scoped_lock checking(check_mutex);
    const auto now = steady_clock::now();

    // The primary's position first: a standby that has replayed past it is caught up.
    bool primary_reachable = true;
    try {
      if (!primary_probe) primary_probe = open_probe(primary_conninfo);
      const auto lsn = primary_probe->scalar<std::string>("SELECT pg_current_wal_lsn()::text");
      samples.push_back({now, consistency_token::parse(lsn).lsn()});
    } catch (const std::exception&) {
      primary_probe.reset();      // no sample this time; lag then goes by replay timestamps alone
      primary_reachable = false;  // down, or read-only (its conninfo asks for read-write)
    }
    std::optional<std::size_t> promoted;
    while (samples.size() > 1 && samples.front().at < now - sample_horizon(options)) samples.pop_front();

    for (std::size_t i = 0; i < standbys.size(); ++i) {
      auto& s = standbys[i];
      standby_status found;
      found.index = i;
      try {
        if (!s.probe) s.probe = open_probe(s.conninfo);
        // -1: no transaction replayed since the standby started.
        const auto [in_recovery, replayed, ms_since_commit] =
            s.probe
                ->queryone<bool, std::string, std::int64_t>(
                    "SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_replay_lsn()::text, '0/0'), "
                    "COALESCE((extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint, -1)")
                .value();
        found.replayed = consistency_token::parse(replayed);
        if (!in_recovery) {
          found.problem =
              s.status.primary ? std::string(promoted_problem) : "not in recovery (promoted, or not a standby)";
          if (!promoted && !s.status.primary) promoted = i;
        } else {
          found.healthy = true;
          auto by_wal = milliseconds::max();
          if (!samples.empty()) {
            by_wal = std::chrono::duration_cast<milliseconds>(now - samples.front().at);
            const auto newest_replayed = std::find_if(
                samples.rbegin(), samples.rend(), [&](const wal_sample& w) { return w.lsn <= found.replayed.lsn(); });
            if (newest_replayed != samples.rend()) {
              by_wal = std::chrono::duration_cast<milliseconds>(now - newest_replayed->at);
            }
          }
          const auto by_timestamp = ms_since_commit >= 0 ? milliseconds(ms_since_commit) : milliseconds::max();
          found.lag = std::max(milliseconds(0), std::min(by_wal, by_timestamp));
          if (found.lag == milliseconds::max()) found.lag = milliseconds(0);  // nothing to go by
          found.lagging = options.max_replica_lag > milliseconds(0) && found.lag > options.max_replica_lag;
        }
      } catch (const std::exception& e) {
        s.probe.reset();
        found.problem = e.what();
      }
      const std::scoped_lock lock(mutex);
      found.primary = s.status.primary;
      s.status = std::move(found);
    }
    // Only while the primary cannot take writes: a standby out of recovery
    // beside a working primary is a split brain to report, not to write to.
    if (promoted && !primary_reachable && options.follow_promotion) follow(*promoted);
    checked = true;
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; the next check tries again
  }
}

void cluster_state::follow(std::size_t index) {
  auto& s = standbys[index];
  if (s.status.primary) return;  // already followed
  std::string conninfo = with_read_write(s.conninfo);
  auto next = std::make_shared<pool>(conninfo, options.primary_pool);
  std::shared_ptr<pool> old;
  {
    const std::scoped_lock lock(mutex);
    old = primary;
    primary = next;
    retired.push_back(old);
    s.status.primary = true;
    s.status.problem = promoted_problem;
  }
  primary_conninfo = std::move(conninfo);
  primary_probe.reset();
  samples.clear();  // positions on the old primary's timeline
  old->drain();     // idle connections close now, those in use when they come back
  s.connections->drain();
}

void cluster_state::check_once() {
  if (!checked) check();  // two first readers may both check: harmless, one after the other
}

void cluster_state::run_checks() noexcept {
  std::unique_lock lock(stop_mutex);
  while (!stopping) {
    lock.unlock();
    check();
    lock.lock();
    stop_signal.wait_for(lock, options.lag_check_period, [this] { return stopping; });
  }
}

}  // namespace pgwrap::detail
