#pragma once
/// @file
/// One primary and its read replicas behind one object (docs/replicas.md).

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/database.hpp"
#include "pgwrap/pool.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// The tag type of pgwrap::read_only.
struct read_only_t {
  explicit read_only_t() = default;
};
/// Asks cluster::acquire() for a standby's connection: `c.acquire(pgwrap::read_only)`.
inline constexpr read_only_t read_only{};

/// A point in the primary's write-ahead log (an LSN) that a read must see.
/**
 * cluster::commit() returns one after a write transaction commits: it is at
 * or after that transaction's commit record. Passed to
 * `cluster::acquire(read_only, token)`, it makes the read wait until the
 * standby has replayed that far, so the read sees the write.
 *
 * A default-made token is empty: it asks for nothing. Tokens are plain
 * values, cheap to copy and safe to share between threads; to_string() and
 * parse() carry one across processes (an HTTP cookie, a queue message).
 */
class consistency_token {
 public:
  /// The empty token: a read with it waits for nothing.
  consistency_token() noexcept = default;
  /// The token for the LSN `lsn` (PostgreSQL's pg_lsn as a 64-bit number).
  explicit consistency_token(std::uint64_t lsn) noexcept : lsn_(lsn) {}

  /// The LSN; 0 for the empty token.
  [[nodiscard]] std::uint64_t lsn() const noexcept { return lsn_; }
  /// True for the empty token.
  [[nodiscard]] bool empty() const noexcept { return lsn_ == 0; }
  /// PostgreSQL's text form of the LSN, such as "0/3000148" ("0/0" when empty).
  [[nodiscard]] std::string to_string() const;
  /// Reads the text form of to_string() (or of pg_lsn).
  /**
   * @par Errors
   * usage_error naming the text when it is not `X/Y` with X and Y
   * hexadecimal numbers of at most 8 digits.
   */
  [[nodiscard]] static consistency_token parse(std::string_view text);

  /// Tokens order as their LSNs (a later write has a later token).
  friend constexpr std::strong_ordering operator<=>(const consistency_token& a, const consistency_token& b) noexcept {
    return a.lsn_ <=> b.lsn_;
  }
  /// Equal tokens name the same LSN.
  friend constexpr bool operator==(const consistency_token& a, const consistency_token& b) noexcept {
    return a.lsn_ == b.lsn_;
  }

 private:
  std::uint64_t lsn_ = 0;
};

/// What `acquire(read_only, token)` does when no standby replays past the token in time.
enum class on_replay_timeout {
  /// Hands out a primary connection instead: the read is correct, the primary busier.
  use_primary,
  /// Throws standby_unavailable.
  throw_error,
};

/// How a cluster behaves.
struct cluster_options {
  /// The options of the primary's pool.
  pool_options primary_pool{};
  /// The options of each standby's pool (one pool per standby).
  pool_options standby_pool{};
  /// A standby whose data is older than this is skipped for reads (see
  /// docs/replicas.md for how the age is measured). 0: lag is not checked.
  std::chrono::milliseconds max_replica_lag{5'000};
  /// When no standby can serve a read, hand out a primary connection; when
  /// false, `acquire(read_only)` throws standby_unavailable instead.
  bool fallback_to_primary = true;
  /// How long `acquire(read_only, token)` waits for the chosen standby to
  /// replay past the token.
  std::chrono::milliseconds replay_wait_timeout{1'000};
  /// What `acquire(read_only, token)` does when that wait runs out.
  on_replay_timeout replay_timeout = on_replay_timeout::use_primary;
  /// How often a background thread checks each standby's health and lag.
  /// 0: no thread; checks happen on the first read and on check_now().
  std::chrono::milliseconds lag_check_period{1'000};
  /// Follow a promoted standby: when a check finds the primary unreachable
  /// (or read-only) and a standby out of recovery, that standby becomes the
  /// primary (docs/replicas.md, "Failover"). When false, writes keep going
  /// to the primary given to the constructor.
  bool follow_promotion = true;
};

/// What the last check found about one standby (cluster::standbys()).
struct standby_status {
  std::size_t index = 0;             ///< its place in the list the cluster was made with
  bool healthy = false;              ///< reachable and in recovery at the last check
  bool lagging = false;              ///< its lag exceeded max_replica_lag at the last check
  std::chrono::milliseconds lag{0};  ///< how old its data was at the last check (an upper bound)
  consistency_token replayed{};      ///< how far it had replayed at the last check (empty: not known)
  std::string problem{};             ///< why it is not healthy ("" when it is)
  bool primary = false;              ///< it was promoted and is the cluster's primary now
};

namespace detail {
struct PGWRAP_INTERNAL cluster_state;  // src/cluster.cpp
}  // namespace detail

/// A primary and its standbys: writes go to the primary, reads to a healthy standby.
/**
 * Each server gets its own pgwrap::pool. `acquire()` lends a primary
 * connection; `acquire(read_only)` lends a standby's, taking the healthy
 * standbys in turn (round robin) and skipping those whose lag exceeds
 * max_replica_lag; when none can serve, a primary connection (or
 * standby_unavailable, with fallback_to_primary off). After a write
 * transaction, commit() gives a consistency_token, and
 * `acquire(read_only, token)` waits, bounded, until the chosen standby has
 * replayed past it (docs/replicas.md).
 *
 * Every primary connection is opened with `target_session_attrs=read-write`
 * (unless the conninfo says otherwise), so a write never lands on a server
 * in recovery. With follow_promotion (the default), a check that finds the
 * primary unreachable or read-only and a standby promoted makes that standby
 * the primary: the old primary's pool is drained (its connections in use
 * fail on their next statement, idle ones close), and acquire() lends the
 * new primary's connections, without a restart. A primary that comes back
 * as a primary later is not used again (no split brain). acquire() runs
 * that check itself when the primary cannot be reached.
 *
 * Not yet: an async face.
 *
 * @par Thread safety
 * All members may be called from any thread at once.
 *
 * @par Lifetime
 * As for pool: connections still lent out when the cluster is destroyed keep
 * working and are closed when their handles let go. No thread may be inside
 * a member while the cluster is destroyed.
 */
class cluster {
 public:
  /// Conninfos as for database; nothing connects until the first acquire()
  /// or the background check.
  /**
   * @par Errors
   * usage_error when the primary's conninfo is empty, a standby's is empty,
   * a duration in `options` is negative, or a pool option is invalid (as
   * for pool).
   */
  cluster(std::string primary, std::vector<std::string> standbys, cluster_options options = {});
  /// Stops the background check; see the class's lifetime notes.
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  /// A primary connection, for writes (and reads that must see everything).
  /**
   * @par Errors
   * As pool::acquire(): pool_timeout, pool_overloaded, connection_error.
   */
  [[nodiscard]] pooled_connection acquire();
  /// A standby's connection, for reads; balanced across the usable standbys.
  /**
   * A standby is usable when its last check found it reachable and in
   * recovery, and its lag within max_replica_lag. One that fails to connect
   * is marked unhealthy and the next is tried. When none is usable: a
   * primary connection, or standby_unavailable with fallback_to_primary off.
   *
   * @par Errors
   * standby_unavailable as above; pool_timeout or pool_overloaded from the
   * chosen standby's pool; from the primary's pool when falling back.
   */
  [[nodiscard]] pooled_connection acquire(read_only_t);
  /// A standby's connection that sees everything up to `token`.
  /**
   * Chooses a standby as `acquire(read_only)`, then waits up to
   * replay_wait_timeout until it has replayed past `token` (polling
   * pg_last_wal_replay_lsn()). When the wait runs out: a primary
   * connection, or standby_unavailable, as replay_timeout says. An empty
   * token waits for nothing. The connection comes back with no transaction
   * open, so the first statement's snapshot is taken after the replay.
   *
   * @par Errors
   * As `acquire(read_only)`, and standby_unavailable when the wait runs out
   * with on_replay_timeout::throw_error.
   */
  [[nodiscard]] pooled_connection acquire(read_only_t, const consistency_token& token);

  /// Commits `db`'s transaction (database::commit()) and returns a token for reads that must see it.
  /**
   * Static: it needs only the connection (`c.commit(conn)` reads as well).
   * `db` must be a primary connection (from acquire()). The token is the
   * primary's WAL insert position read just after the commit, so it is at
   * or after the commit record.
   *
   * @par Errors
   * What database::commit() throws (commit_outcome_unknown when the
   * connection was lost during COMMIT: then no token); usage_error when
   * `db` is on a standby.
   */
  [[nodiscard]] static consistency_token commit(database& db);
  /// A token covering everything `db` has committed so far, without committing.
  /**
   * Static, as commit(). For autocommit connections, whose statements commit on their own. Any
   * open transaction of `db` is left as it was (its uncommitted work is
   * not covered).
   *
   * @par Errors
   * usage_error when `db` is on a standby; connection_error when it is lost.
   */
  [[nodiscard]] static consistency_token token(database& db);

  /// Checks every standby's health and lag now (the background thread's
  /// work), waiting for a check already running instead of running twice.
  void check_now();
  /// What the last check found about each standby, in the order given.
  [[nodiscard]] std::vector<standby_status> standbys() const;
  /// The options the cluster was made with.
  [[nodiscard]] const cluster_options& options() const noexcept;
  /// The current primary's pool (for stats(), drain(), observers).
  /**
   * After a failover this is the promoted server's pool; the old one stays
   * valid (drained) until the cluster is destroyed.
   */
  [[nodiscard]] pool& primary_pool() noexcept;
  /// How many times the cluster has followed a promoted standby.
  [[nodiscard]] std::size_t failovers() const noexcept;
  /// Standby `index`'s pool; usage_error when there is no such standby.
  [[nodiscard]] pool& standby_pool(std::size_t index);

 private:
  std::unique_ptr<detail::cluster_state> state_;
};

}  // namespace pgwrap
PGWRAP_API_END
