// pgwrap::cluster: which server a connection comes from (docs/replicas.md).
// The health and lag checks are in cluster_check.cpp.
#include "pgwrap/cluster.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster_state.hpp"
#include "internal.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Below this offset in a WAL page there is no record end but the page's
// start: the header is 24 bytes (40 on a segment's first page), and a record
// that began on the page before ends at least at the header's end, while a
// record that begins on this page is longer than 16 bytes.
constexpr std::uint64_t wal_page_header_max = 40;

// Upper-case hexadecimal, as PostgreSQL prints an LSN.
std::string hex(std::uint32_t n) {
  std::array<char, 8> buf{};
  auto* const end = std::to_chars(buf.data(), buf.data() + buf.size(), n, 16).ptr;
  std::string s(buf.data(), end);
  for (char& c : s) {
    if (c >= 'a') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

bool read_hex(std::string_view text, std::uint32_t& out) {
  if (text.empty() || text.size() > 8) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && end == text.data() + text.size();
}

// Ends the transaction that our own statement began implicitly (autocommit
// off), so that the caller's next statement takes a new snapshot.
void end_implicit_transaction(database& db, bool was_in_transaction) {
  if (!db.autocommit() && !was_in_transaction && db.in_transaction()) db.rollback();
}

}  // namespace

std::string consistency_token::to_string() const {
  return hex(static_cast<std::uint32_t>(lsn_ >> 32)) + "/" + hex(static_cast<std::uint32_t>(lsn_));
}

consistency_token consistency_token::parse(std::string_view text) {
  const auto slash = text.find('/');
  std::uint32_t high = 0;
  std::uint32_t low = 0;
  if (slash == std::string_view::npos || !read_hex(text.substr(0, slash), high) ||
      !read_hex(text.substr(slash + 1), low)) {
    throw usage_error("consistency_token: '" + std::string(text) +
                      "' is not an LSN (two hexadecimal numbers of up to 8 digits, such as 0/3000148)");
  }
  return consistency_token((std::uint64_t{high} << 32) | low);
}

namespace detail {

cluster_state::cluster_state(std::string primary_conninfo_given, std::vector<std::string> standby_conninfos,
                             cluster_options opts)
    : options(std::move(opts)) {
  if (primary_conninfo_given.empty()) throw usage_error("cluster: the primary's conninfo is empty");
  primary_conninfo = with_read_write(std::move(primary_conninfo_given));
  const auto negative = [](milliseconds d) { return d < milliseconds(0); };
  if (negative(options.max_replica_lag) || negative(options.replay_wait_timeout) ||
      negative(options.lag_check_period)) {
    throw usage_error(
        "cluster_options: max_replica_lag, replay_wait_timeout and lag_check_period must not be negative");
  }
  primary = std::make_shared<pool>(primary_conninfo, options.primary_pool);
  standbys.reserve(standby_conninfos.size());
  for (auto& conninfo : standby_conninfos) {
    if (conninfo.empty()) {
      throw usage_error("cluster: standby " + std::to_string(standbys.size()) + "'s conninfo is empty");
    }
    auto connections = std::make_unique<pool>(conninfo, options.standby_pool);
    standby s;
    s.conninfo = std::move(conninfo);
    s.connections = std::move(connections);
    s.status.index = standbys.size();
    s.status.problem = "not checked yet";
    standbys.push_back(std::move(s));
  }
}

std::shared_ptr<pool> cluster_state::current_primary() const {
  const std::scoped_lock lock(mutex);
  return primary;
}

std::vector<std::size_t> cluster_state::usable_in_turn() {
  const std::size_t n = standbys.size();
  std::vector<std::size_t> usable;
  if (n == 0) return usable;
  const std::size_t first = next_turn.fetch_add(1, std::memory_order_relaxed) % n;
  const std::scoped_lock lock(mutex);
  for (std::size_t k = 0; k < n; ++k) {
    const auto& status = standbys[(first + k) % n].status;
    if (status.healthy && !status.lagging) usable.push_back((first + k) % n);
  }
  return usable;
}

void cluster_state::mark_unhealthy(std::size_t index, const std::string& why) {
  const std::scoped_lock lock(mutex);
  standbys[index].status.healthy = false;
  standbys[index].status.problem = why;
}

std::string cluster_state::describe_standbys() const {
  if (standbys.empty()) return "the cluster has no standbys";
  std::string text;
  const std::scoped_lock lock(mutex);
  for (const auto& s : standbys) {
    if (!text.empty()) text += "; ";
    text += "standby " + std::to_string(s.status.index) + ": ";
    if (!s.status.healthy) {
      text += s.status.problem;
    } else if (s.status.lagging) {
      text += "lag " + std::to_string(s.status.lag.count()) + " ms exceeds max_replica_lag (" +
              std::to_string(options.max_replica_lag.count()) + " ms)";
    } else {
      text += "usable";
    }
  }
  return text;
}

}  // namespace detail

namespace {

// A connection of the first usable standby that connects, in turn, those that
// have replayed past `token` first; nullopt when none.
std::optional<std::pair<std::size_t, pooled_connection>> acquire_standby(detail::cluster_state& state,
                                                                         const consistency_token& token) {
  state.check_once();
  auto order = state.usable_in_turn();
  if (!token.empty()) {
    const std::scoped_lock lock(state.mutex);
    std::stable_partition(order.begin(), order.end(),
                          [&](std::size_t i) { return state.standbys[i].status.replayed >= token; });
  }
  for (const std::size_t i : order) {
    try {
      return std::pair{i, state.standbys[i].connections->acquire()};
    } catch (const connection_error& e) {
      state.mark_unhealthy(i, e.what());
    }
  }
  return std::nullopt;
}

// Polls until `db` has replayed past `token` or `deadline` passes.
bool wait_for_replay(database& db, const consistency_token& token, steady_clock::time_point deadline) {
  const bool was_in_transaction = db.in_transaction();
  const std::string lsn = token.to_string();
  // Short pauses first: a standby that streams is usually a few milliseconds behind.
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    // NULL when the standby was promoted meanwhile: its WAL may have forked before the token.
    const bool replayed = db.scalar<bool>("SELECT COALESCE(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", lsn);
    if (replayed || steady_clock::now() >= deadline) {
      end_implicit_transaction(db, was_in_transaction);
      return replayed;
    }
    std::this_thread::sleep_for(std::min<steady_clock::duration>(pause, deadline - steady_clock::now()));
    pause = std::min<std::chrono::microseconds>(pause * 2, milliseconds(20));
  }
}

[[noreturn]] void throw_no_standby(const detail::cluster_state& state) {
  throw standby_unavailable("cluster: no standby can serve a read and fallback_to_primary is off (" +
                            state.describe_standbys() + ")");
}

}  // namespace

cluster::cluster(std::string primary, std::vector<std::string> standbys, cluster_options options)
    : state_(std::make_unique<detail::cluster_state>(std::move(primary), std::move(standbys), std::move(options))) {
  if (state_->options.lag_check_period > milliseconds(0) && !state_->standbys.empty()) {
    state_->checker = std::thread([s = state_.get()] { s->run_checks(); });
  }
}

cluster::~cluster() {
  {
    const std::scoped_lock lock(state_->stop_mutex);
    state_->stopping = true;
  }
  state_->stop_signal.notify_all();
  if (state_->checker.joinable()) state_->checker.join();
}

pooled_connection cluster::acquire() {
  const auto primary = state_->current_primary();
  try {
    return primary->acquire();
  } catch (const connection_error&) {
    // Perhaps a standby was promoted since the last check: look now, rather than fail every write until then.
    if (!state_->options.follow_promotion || state_->standbys.empty()) throw;
    state_->check();
    const auto now = state_->current_primary();
    if (now == primary) throw;
    return now->acquire();
  }
}

pooled_connection cluster::acquire(read_only_t) {
  if (auto standby = acquire_standby(*state_, {})) return std::move(standby->second);
  if (state_->options.fallback_to_primary) return acquire();
  throw_no_standby(*state_);
}

pooled_connection cluster::acquire(read_only_t, const consistency_token& token) {
  if (token.empty()) return acquire(read_only);
  const auto deadline = steady_clock::now() + state_->options.replay_wait_timeout;
  std::string why;
  // The chosen standby gets the whole wait; another is tried only when it fails.
  while (auto standby = acquire_standby(*state_, token)) {
    auto& [index, conn] = *standby;
    try {
      if (wait_for_replay(*conn, token, deadline)) return std::move(conn);
      why = "standby " + std::to_string(index) + " had not replayed up to " + token.to_string() + " after " +
            std::to_string(state_->options.replay_wait_timeout.count()) + " ms (replay_wait_timeout)";
      break;
    } catch (const connection_error& e) {
      conn.discard();
      state_->mark_unhealthy(index, e.what());
      // A check may call it healthy again meanwhile: the deadline still bounds the loop.
      if (steady_clock::now() >= deadline) {
        why = "standby " + std::to_string(index) + " was lost while waiting for " + token.to_string();
        break;
      }
    }
  }
  if (why.empty()) {
    if (state_->options.fallback_to_primary) return acquire();
    throw_no_standby(*state_);
  }
  if (state_->options.replay_timeout == on_replay_timeout::use_primary) return acquire();
  throw standby_unavailable("cluster: " + why);
}

consistency_token cluster::commit(database& db) {
  db.commit();
  return token(db);
}

consistency_token cluster::token(database& db) {
  const bool was_in_transaction = db.in_transaction();
  std::string insert_lsn;
  std::int64_t page_size = 0;
  try {
    // The insert position, not pg_current_wal_lsn(): with synchronous_commit
    // off the commit record may not be written yet, but it is inserted.
    std::tie(insert_lsn, page_size) =
        db.queryone<std::string, std::int64_t>(
              "SELECT pg_current_wal_insert_lsn()::text, current_setting('wal_block_size')::bigint")
            .value();
  } catch (const sql_error& e) {
    if (e.sqlstate() != "55000") throw;
    end_implicit_transaction(db, was_in_transaction);
    throw usage_error("cluster::token: the connection is not on the primary (" + std::string(e.what()) + ")");
  }
  end_implicit_transaction(db, was_in_transaction);
  auto lsn = consistency_token::parse(insert_lsn).lsn();
  // At a page boundary the insert position points past the next page's
  // header, where no record ends yet; a standby's replay position then stops
  // at the page's start until more WAL comes. Waiting for the page start is
  // enough, since nothing ends between it and the header's end.
  const auto offset = page_size > 0 ? lsn % static_cast<std::uint64_t>(page_size) : 0;
  if (offset <= wal_page_header_max) lsn -= offset;
  return consistency_token(lsn);
}

void cluster::check_now() { state_->check(); }

std::vector<standby_status> cluster::standbys() const {
  std::vector<standby_status> out;
  const std::scoped_lock lock(state_->mutex);
  out.reserve(state_->standbys.size());
  for (const auto& s : state_->standbys) out.push_back(s.status);
  return out;
}

const cluster_options& cluster::options() const noexcept { return state_->options; }

pool& cluster::primary_pool() noexcept { return *state_->current_primary(); }

std::size_t cluster::failovers() const noexcept {
  const std::scoped_lock lock(state_->mutex);
  return state_->retired.size();
}

pool& cluster::standby_pool(std::size_t index) {
  if (index >= state_->standbys.size()) {
    throw usage_error("cluster::standby_pool: no standby " + std::to_string(index) + " (the cluster has " +
                      std::to_string(state_->standbys.size()) + ")");
  }
  return *state_->standbys[index].connections;
}

}  // namespace pgwrap
