// pool: at most max_size connections to one database, shared by threads.
// The mutex guards only the bookkeeping; connecting, checking and resetting
// a connection happen outside it, on the thread that acquires or returns,
// or on the pool's background thread (min_size, lifetimes, idle limits,
// health checks). The rules of the lifecycle are in pool_policy.hpp.

#include "pgwrap/pool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "observe/operation.hpp"
#include "pool_gate.hpp"
#include "pool_policy.hpp"

namespace pgwrap {

using steady_clock = std::chrono::steady_clock;

static_assert(static_cast<std::size_t>(close_reason::resized) + 1 ==
                  std::tuple_size_v<decltype(pool_stats::closed_by_reason)>,
              "pool_stats::closed_by_reason has one count per close_reason");

namespace detail {

struct pool_state {
  pool_state(std::string info, pool_options opts)
      : conninfo(std::move(info)),
        options(std::move(opts)),
        max_size(options.max_size),
        min_size(options.min_size),
        rng(std::random_device{}()) {}

  const std::string conninfo;
  const pool_options options;
  observer_set observers;  // outlives every database made here: they point to it

  struct idle_connection {
    std::unique_ptr<database> db;
    steady_clock::time_point since;
  };
  // A thread waiting in acquire(); what it is given is set under the lock.
  struct waiter {
    std::condition_variable cv;
    std::unique_ptr<database> handed;  // a connection passed straight from a returning user
    bool room = false;                 // leave to open a new one (counted in size and opening already)
  };

  mutable std::mutex mutex;
  std::vector<idle_connection> idle;  // the most recently returned last: it is handed out first
  std::deque<waiter*> waiters;        // oldest first: served first come, first served
  std::unordered_map<const database*, connection_life> lives;  // every open connection's
  std::size_t size = 0;                                        // idle + in use + opening
  std::size_t opening = 0;                                     // being connected
  std::size_t max_size;                                        // as made, or resize()d
  std::size_t min_size;
  std::uint64_t generation = 0;  // drain() count
  bool closed = false;           // the pool is gone; its handles may not be
  std::mt19937_64 rng;           // lifetime jitter
  connect_backoff backoff;
  // Databases a transaction guard (or a call in progress) may still refer to:
  // closed, never reused, and kept until the last handle is gone.
  std::vector<std::unique_ptr<database>> retired;

  std::condition_variable maintainer_wake;  // the background thread: closing, or below min_size
  std::thread maintainer;

  // pool_stats' totals: counted without the lock.
  std::atomic<std::uint64_t> acquires{0}, timeouts{0}, opened{0}, waits{0};
  std::array<std::atomic<std::uint64_t>, std::tuple_size_v<decltype(pool_stats::closed_by_reason)>> closed_count{};
  std::atomic<std::int64_t> wait_ns{0}, use_ns{0};

  /// An event with the counts as they are now (the lock held).
  [[nodiscard]] pool_event event_now(pool_event::kind what) const noexcept {
    pool_event e;
    e.what = what;
    e.max_size = max_size;
    e.idle = idle.size();
    e.in_use = size - idle.size() - opening;
    e.waiting = waiters.size();
    return e;
  }
  /// Tells the observers, taking the lock for the counts (not held by the caller).
  void tell(pool_event::kind what, steady_clock::duration wait = {}, steady_clock::duration use = {},
            close_reason reason = close_reason::broken) noexcept {
    if (!pool_observed(observers)) return;
    pool_event e;
    {
      const std::lock_guard lock(mutex);
      e = event_now(what);
    }
    e.wait = wait;
    e.use = use;
    e.reason = reason;
    tell_pool_event(observers, e);
  }

  /// Hands `db` out, counting the wait since `asked`.
  pooled_connection lend(const std::shared_ptr<pool_state>& self, std::unique_ptr<database> db,
                         steady_clock::time_point asked) noexcept {
    const steady_clock::time_point now = steady_clock::now();
    acquires.fetch_add(1, std::memory_order_relaxed);
    wait_ns.fetch_add((now - asked).count(), std::memory_order_relaxed);
    tell(pool_event::kind::acquired, now - asked);
    return {self, std::move(db), now};
  }

  /// A place came free (the lock held): the oldest waiter may open a
  /// connection in it; with no waiter, the background thread refills to
  /// min_size.
  void room_freed() {
    if (!waiters.empty() && size < max_size) {
      waiter* w = waiters.front();
      waiters.pop_front();
      ++size;
      ++opening;
      w->room = true;
      w->cv.notify_one();
    } else if (size < min_size) {
      maintainer_wake.notify_one();
    }
  }

  /// A connection ready for use (the lock held): straight to the oldest
  /// waiter, else idle.
  void offer(std::unique_ptr<database> db, steady_clock::time_point since) {
    if (!waiters.empty()) {
      waiter* w = waiters.front();
      waiters.pop_front();
      w->handed = std::move(db);
      w->cv.notify_one();
      return;
    }
    // Kept in order of `since` (the background check puts back old ones).
    const auto at = std::find_if(idle.begin(), idle.end(), [&](const idle_connection& c) { return c.since > since; });
    idle.insert(at, {std::move(db), since});
  }

  /// Closes a connection the pool holds (not idle, counted in size), for
  /// `why`. With `keep_room`, its place is kept for the caller to open a
  /// new one in (true returned) unless a resize() took it away.
  bool close_connection(std::unique_ptr<database> db, close_reason why, bool keep_room = false) noexcept {
    {
      const std::lock_guard lock(mutex);
      lives.erase(db.get());  // before it is freed: its address may be reused
    }
    // NOLINTNEXTLINE(bugprone-use-after-move): db was moved only if it went idle, and then we returned above
    const bool still_referred_to = pool_gate::in_use(*db);
    if (still_referred_to) {
      db->close();
    } else {
      db.reset();  // closes the connection, outside the lock
    }
    closed_count[static_cast<std::size_t>(why)].fetch_add(1, std::memory_order_relaxed);
    bool kept = false;
    {
      const std::lock_guard lock(mutex);
      if (still_referred_to) retired.push_back(std::move(db));
      if (keep_room && !closed && size <= max_size) {
        ++opening;
        kept = true;
      } else {
        --size;
        if (!closed) room_freed();
      }
    }
    tell(pool_event::kind::connection_closed, {}, {}, why);
    return kept;
  }

  /// Opens a connection in a place already counted in size and opening.
  /// On failure the place is freed, the failure counted and reported, and
  /// the error rethrown.
  std::unique_ptr<database> open_connection() {
    const auto connecting = steady_clock::now();
    std::unique_ptr<database> db;
    try {
      std::string info = next_conninfo(options, conninfo);
      db = std::make_unique<database>(info);
      db->set_autocommit(options.autocommit);
      db->set_statement_timeout(options.statement_timeout);  // not connected yet: applied when connecting
      db->set_statement_cache_size(options.statement_cache_size);
      db->set_stream_batch_size(options.stream_batch_size);
      db->on_notice(options.on_notice);
      pool_gate::observe_with(*db, observers);
      db->connect();
      if (options.configure) options.configure(*db);
      const auto now = steady_clock::now();
      {
        const std::lock_guard lock(mutex);
        --opening;
        lives[db.get()] = {expiry(now, options, rng), generation, std::move(info)};
        backoff.succeeded();
      }
      opened.fetch_add(1, std::memory_order_relaxed);
      tell(pool_event::kind::connection_opened, now - connecting);
      return db;
    } catch (const std::exception& e) {
      failed_to_open(e.what());
      throw;
    } catch (...) {
      failed_to_open("unknown error");
      throw;
    }
  }

  void failed_to_open(std::string_view message) noexcept {
    std::size_t failures = 0;
    bool report = false;
    {
      const std::lock_guard lock(mutex);
      --opening;
      --size;
      report = backoff.failed(options, steady_clock::now());
      failures = backoff.failures;
      if (!closed) room_freed();  // another waiter may try
    }
    if (report) report_connect_failure(options, failures, message);
  }

  /// Whether a connection that was idle since `since` may be handed out;
  /// else why it is to be closed.
  std::optional<close_reason> vet(database& db, steady_clock::time_point since) noexcept {
    const steady_clock::time_point now = steady_clock::now();
    {
      const std::lock_guard lock(mutex);
      const auto life = lives.find(&db);
      if (life != lives.end()) {
        if (auto why = retire_reason(life->second, now, generation, size, max_size)) return why;
      }
    }
    if (!pool_gate::alive(db, now - since >= options.ping_after_idle)) return close_reason::failed_check;
    if (options.check) {
      try {
        if (!options.check(db)) return close_reason::failed_check;
      } catch (...) {
        return close_reason::failed_check;
      }
    }
    return std::nullopt;
  }

  /// Takes a connection back: reset and made idle (or handed to a waiter)
  /// when `keep` and possible, else closed. Never throws; never holds the
  /// lock while talking to the server.
  void give_back(std::unique_ptr<database> db, bool keep, steady_clock::time_point lent_at) noexcept {
    const steady_clock::time_point now = steady_clock::now();
    const steady_clock::duration use = now - lent_at;
    use_ns.fetch_add(use.count(), std::memory_order_relaxed);
    std::optional<close_reason> why;
    std::string info;
    {
      const std::lock_guard lock(mutex);
      if (closed) {
        why = close_reason::pool_closed;
      } else if (!keep) {
        why = close_reason::discarded;
      } else if (const auto life = lives.find(db.get()); life != lives.end()) {
        why = retire_reason(life->second, now, generation, size, max_size);
        try {
          info = life->second.conninfo;
        } catch (...) {  // out of memory: the reset below fails the conninfo check
        }
      }
    }
    if (!why) {
      if (pool_gate::reset(*db, options, info)) {
        {
          const std::lock_guard lock(mutex);
          if (!closed) offer(std::move(db), steady_clock::now());
        }
        tell(pool_event::kind::released, {}, use);
        if (!db) return;
        why = close_reason::pool_closed;  // the pool went while it was being reset
      } else {
        why = pool_gate::broken(*db) ? close_reason::broken : close_reason::reset_failed;
      }
    } else {
      tell(pool_event::kind::released, {}, use);
    }
    close_connection(std::move(db), *why);
  }

  /// One round of the background work: close what is expired, drained,
  /// beyond max_size or idle too long; check idle connections; open up to
  /// min_size. Called by the background thread, the lock not held.
  void maintain(bool check_idle) {
    const steady_clock::time_point now = steady_clock::now();
    std::vector<std::pair<std::unique_ptr<database>, close_reason>> to_close;
    std::vector<idle_connection> to_check;
    {
      const std::lock_guard lock(mutex);
      std::size_t remaining = size;
      // Oldest idle first: those are the ones max_idle lets go.
      for (auto it = idle.begin(); it != idle.end();) {
        std::optional<close_reason> why;
        if (const auto life = lives.find(it->db.get()); life != lives.end()) {
          why = retire_reason(life->second, now, generation, remaining, max_size);
        }
        if (!why && idle_too_long(it->since, now, options, remaining, min_size)) why = close_reason::idle_timeout;
        if (why) {
          to_close.emplace_back(std::move(it->db), *why);
          it = idle.erase(it);
          --remaining;
        } else if (check_idle) {
          to_check.push_back(std::move(*it));
          it = idle.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& [db, why] : to_close) close_connection(std::move(db), why);
    for (idle_connection& c : to_check) {
      // A dead one is found here, not by the next user; a live one goes back
      // where it was (or to a waiter that came meanwhile).
      if (auto why = vet(*c.db, c.since)) {
        close_connection(std::move(c.db), *why);
      } else {
        const std::lock_guard lock(mutex);
        offer(std::move(c.db), c.since);
      }
    }
    for (;;) {
      {
        const std::lock_guard lock(mutex);
        if (closed || size >= min_size || steady_clock::now() < backoff.next_attempt) return;
        ++size;
        ++opening;
      }
      std::unique_ptr<database> db;
      try {
        db = open_connection();
      } catch (...) {  // NOLINT(bugprone-empty-catch): counted, reported and backed off by open_connection()
        return;
      }
      const std::lock_guard lock(mutex);
      offer(std::move(db), steady_clock::now());
    }
  }

  /// The background thread's loop, until the pool is destroyed.
  void run_maintainer() noexcept {
    const steady_clock::duration period = maintenance_period(options);
    steady_clock::time_point next_check = steady_clock::now() + period;
    for (;;) {
      const steady_clock::time_point now = steady_clock::now();
      const bool check_idle = options.health_check_period.count() > 0 && now >= next_check;
      if (now >= next_check) next_check = now + period;
      try {
        maintain(check_idle);
      } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; the next round tries again
      }
      std::unique_lock lock(mutex);
      if (closed) return;
      steady_clock::time_point until = next_check;
      if (size < min_size) until = std::max(std::min(until, backoff.next_attempt), steady_clock::now());
      if (size < min_size && until <= steady_clock::now()) continue;
      maintainer_wake.wait_until(lock, until);
      if (closed) return;
    }
  }
};

}  // namespace detail

// --- pooled_connection ---

pooled_connection::pooled_connection() noexcept = default;

pooled_connection::pooled_connection(std::shared_ptr<detail::pool_state> owner, std::unique_ptr<database> db,
                                     std::chrono::steady_clock::time_point lent_at) noexcept
    : owner_(std::move(owner)), db_(std::move(db)), lent_at_(lent_at) {}

pooled_connection::~pooled_connection() { release(); }

pooled_connection::pooled_connection(pooled_connection&& other) noexcept
    : owner_(std::move(other.owner_)), db_(std::move(other.db_)), lent_at_(other.lent_at_) {}

pooled_connection& pooled_connection::operator=(pooled_connection&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    db_ = std::move(other.db_);
    lent_at_ = other.lent_at_;
  }
  return *this;
}

database& pooled_connection::operator*() const {
  if (!db_) throw usage_error("pooled_connection holds no connection (moved from, released or discarded)");
  return *db_;
}

void pooled_connection::release() noexcept {
  if (!db_) return;
  const std::shared_ptr<detail::pool_state> owner = std::move(owner_);
  owner->give_back(std::move(db_), true, lent_at_);
}

void pooled_connection::discard() noexcept {
  if (!db_) return;
  const std::shared_ptr<detail::pool_state> owner = std::move(owner_);
  owner->give_back(std::move(db_), false, lent_at_);
}

// --- pool ---

pool::pool(std::string conninfo, pool_options options) {
  detail::validate_pool_options(options, "pool");
  state_ = std::make_shared<detail::pool_state>(std::move(conninfo), std::move(options));
  if (detail::needs_maintenance(state_->options)) {
    detail::pool_state* st = state_.get();  // the pool joins the thread before its state can go
    state_->maintainer = std::thread([st] { st->run_maintainer(); });
  }
}

pool::~pool() {
  std::vector<detail::pool_state::idle_connection> idle;
  {
    const std::lock_guard lock(state_->mutex);
    state_->closed = true;
    idle.swap(state_->idle);
    for (auto* w : state_->waiters) w->cv.notify_one();
    state_->maintainer_wake.notify_one();
  }
  if (state_->maintainer.joinable()) state_->maintainer.join();
  for (auto& entry : idle) state_->close_connection(std::move(entry.db), close_reason::pool_closed);
}

void pool::add_observer(std::shared_ptr<observer> o, observe_options options) {
  state_->observers.add(std::move(o), options);
}

bool pool::remove_observer(const std::shared_ptr<observer>& o) noexcept { return state_->observers.remove(o); }

const pool_options& pool::options() const noexcept { return state_->options; }

pool_stats pool::stats() const {
  const std::lock_guard lock(state_->mutex);
  pool_stats s;
  s.max_size = state_->max_size;
  s.min_size = state_->min_size;
  s.size = state_->size;
  s.idle = state_->idle.size();
  s.opening = state_->opening;
  s.in_use = s.size - s.idle - s.opening;
  s.waiting = state_->waiters.size();
  s.acquires = state_->acquires.load(std::memory_order_relaxed);
  s.waits = state_->waits.load(std::memory_order_relaxed);
  s.timeouts = state_->timeouts.load(std::memory_order_relaxed);
  s.connections_opened = state_->opened.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.closed_by_reason.size(); ++i) {
    s.closed_by_reason[i] = state_->closed_count[i].load(std::memory_order_relaxed);
    s.connections_closed += s.closed_by_reason[i];
  }
  s.total_wait = std::chrono::nanoseconds(state_->wait_ns.load(std::memory_order_relaxed));
  s.total_use = std::chrono::nanoseconds(state_->use_ns.load(std::memory_order_relaxed));
  return s;
}

void pool::drain() noexcept {
  std::vector<detail::pool_state::idle_connection> idle;
  {
    const std::lock_guard lock(state_->mutex);
    ++state_->generation;
    idle.swap(state_->idle);
  }
  for (auto& entry : idle) state_->close_connection(std::move(entry.db), close_reason::drained);
  const std::lock_guard lock(state_->mutex);
  state_->maintainer_wake.notify_one();
}

void pool::resize(std::size_t max_size, std::size_t min_size) {
  detail::validate_pool_sizes(max_size, min_size, "pool::resize");
  std::vector<detail::pool_state::idle_connection> beyond;
  {
    const std::lock_guard lock(state_->mutex);
    state_->max_size = max_size;
    state_->min_size = min_size;
    // The oldest idle ones go first; those in use go when they come back.
    std::size_t size = state_->size;
    while (size > max_size && !state_->idle.empty()) {
      beyond.push_back(std::move(state_->idle.front()));
      state_->idle.erase(state_->idle.begin());
      --size;
    }
    while (!state_->waiters.empty() && state_->size < max_size) state_->room_freed();
    state_->maintainer_wake.notify_one();
  }
  for (auto& entry : beyond) state_->close_connection(std::move(entry.db), close_reason::resized);
}

pooled_connection pool::acquire() { return acquire(state_->options.wait_timeout); }

pooled_connection pool::acquire(std::chrono::milliseconds wait) {
  if (wait.count() < 0) throw usage_error("pool: acquire() with a negative wait");
  const std::shared_ptr<detail::pool_state> st = state_;
  const auto asked = steady_clock::now();
  const auto deadline = asked + wait;
  detail::pool_state::waiter me;
  bool queued = false;    // `me` is in st->waiters
  bool turn = false;      // served once already: keeps its turn ahead of the line
  bool reserved = false;  // holds a place counted in size and opening
  std::unique_lock lock(st->mutex);
  for (;;) {
    if (st->closed) {
      if (queued) std::erase(st->waiters, &me);
      if (reserved) {
        --st->size;
        --st->opening;
      }
      throw usage_error("pool: acquire() while the pool is being destroyed");
    }
    std::unique_ptr<database> got;
    steady_clock::time_point since{};
    bool open = false;
    if (me.handed) {  // popped from the line by the giver
      queued = false;
      turn = true;
      got = std::move(me.handed);
      since = steady_clock::now();
    } else {
      if (me.room) {  // popped from the line by the giver
        me.room = false;
        queued = false;
        reserved = true;
      }
      const bool first = reserved || (!queued && (turn || st->waiters.empty()));
      if (first && !st->idle.empty()) {
        if (reserved) {  // an idle one after all: the place is not needed
          --st->size;
          --st->opening;
          reserved = false;
        }
        turn = true;
        got = std::move(st->idle.back().db);
        since = st->idle.back().since;
        st->idle.pop_back();
      } else if (reserved) {
        reserved = false;
        open = true;
      } else if (first && st->size < st->max_size) {
        ++st->size;  // reserves the room while connecting without the lock
        ++st->opening;
        open = true;
      } else {
        if (!queued) {
          if (st->waiters.size() >= st->options.max_waiting) throw pool_overloaded(st->options.max_waiting);
          st->waiters.push_back(&me);
          queued = true;
          st->waits.fetch_add(1, std::memory_order_relaxed);
        }
        if (me.cv.wait_until(lock, deadline) == std::cv_status::timeout && !me.handed && !me.room && !st->closed) {
          std::erase(st->waiters, &me);
          lock.unlock();
          const steady_clock::duration waited = steady_clock::now() - asked;
          st->timeouts.fetch_add(1, std::memory_order_relaxed);
          st->wait_ns.fetch_add(waited.count(), std::memory_order_relaxed);
          st->tell(pool_event::kind::timed_out, waited);
          throw pool_timeout(st->max_size, wait);
        }
        continue;
      }
    }
    lock.unlock();
    if (open) return st->lend(st, st->open_connection(), asked);
    const std::optional<close_reason> why = st->vet(*got, since);
    if (!why) return st->lend(st, std::move(got), asked);
    // Closed; its place is kept for this caller, for another idle one or a new one.
    reserved = st->close_connection(std::move(got), *why, true);
    lock.lock();
  }
}

}  // namespace pgwrap
