// pool: at most max_size connections to one database, shared by threads.
// The mutex guards only the bookkeeping; connecting, checking and resetting
// a connection happen outside it, on the thread that acquires or returns.

#include "pgwrap/pool.hpp"


#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "observe/operation.hpp"
#include "pool_gate.hpp"

namespace pgwrap {

using steady_clock = std::chrono::steady_clock;

namespace detail {

struct pool_state {
  pool_state(std::string info, pool_options opts) : conninfo(std::move(info)), options(std::move(opts)) {}

  const std::string conninfo;
  const pool_options options;
  observer_set observers;  // outlives every database made here: they point to it

  struct idle_connection {
    std::unique_ptr<database> db;
    steady_clock::time_point since;
  };

  mutable std::mutex mutex;
  std::condition_variable freed;  // a connection came back, or there is room to open one
  std::vector<idle_connection> idle;  // the most recently returned last: it is handed out first
  std::size_t size = 0;               // idle + in use (including those being opened)
  std::size_t waiting = 0;
  bool closed = false;  // the pool is gone; its handles may not be
  // Databases a transaction guard (or a call in progress) may still refer to:
  // closed, never reused, and kept until the last handle is gone.
  std::vector<std::unique_ptr<database>> retired;

  // pool_stats' totals: counted without the lock.
  std::atomic<std::uint64_t> acquires{0}, timeouts{0}, opened{0}, closed_count{0};
  std::atomic<std::int64_t> wait_ns{0}, use_ns{0};

  /// An event with the counts as they are now (the lock held).
  [[nodiscard]] pool_event event_now(pool_event::kind what) const noexcept {
    pool_event e;
    e.what = what;
    e.max_size = options.max_size;
    e.idle = idle.size();
    e.in_use = size - idle.size();
    e.waiting = waiting;
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

  /// Takes a connection back: reset and made idle when `keep` and possible,
  /// else closed. Never throws; never blocks on the lock while talking to
  /// the server.
  void give_back(std::unique_ptr<database> db, bool keep, steady_clock::time_point lent_at) noexcept {
    const steady_clock::duration use = steady_clock::now() - lent_at;
    use_ns.fetch_add(use.count(), std::memory_order_relaxed);
    bool pool_gone = false;
    {
      const std::lock_guard lock(mutex);
      pool_gone = closed;
    }
    close_reason why = pool_gone ? close_reason::pool_closed : close_reason::discarded;
    if (keep && !pool_gone) {
      if (pool_gate::reset(*db, options, conninfo)) {
        {
          const std::lock_guard lock(mutex);
          if (!closed) {
            idle.push_back({std::move(db), steady_clock::now()});
            freed.notify_one();
          }
        }
        if (!db) {
          tell(pool_event::kind::released, {}, use);
          return;
        }
        why = close_reason::pool_closed;  // the pool went while it was being reset
      } else {
        why = pool_gate::broken(*db) ? close_reason::broken : close_reason::reset_failed;
      }
    }
    const bool still_referred_to = pool_gate::in_use(*db);
    if (still_referred_to) {
      db->close();
    } else {
      db.reset();  // closes the connection, outside the lock
    }
    closed_count.fetch_add(1, std::memory_order_relaxed);
    {
      const std::lock_guard lock(mutex);
      --size;
      if (still_referred_to) retired.push_back(std::move(db));
      freed.notify_one();  // room to open a new one
    }
    tell(pool_event::kind::released, {}, use);
    tell(pool_event::kind::connection_closed, {}, {}, why);
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

namespace {
// A new connection starts with the pool's settings, as a reset one does.
void configure(database& db, const pool_options& options) {
  db.set_autocommit(options.autocommit);
  db.set_statement_timeout(options.statement_timeout);  // not connected yet: applied when connecting
  db.set_statement_cache_size(options.statement_cache_size);
  db.set_stream_batch_size(options.stream_batch_size);
  db.on_notice(options.on_notice);
}
}  // namespace

pool::pool(std::string conninfo, pool_options options) {
  if (options.max_size == 0) throw usage_error("pool: max_size is 0; a pool needs room for one connection at least");
  if (options.wait_timeout.count() < 0) throw usage_error("pool: wait_timeout is negative");
  if (options.ping_after_idle.count() < 0) throw usage_error("pool: ping_after_idle is negative");
  if (options.statement_timeout.count() < 0) throw usage_error("pool: statement_timeout is negative");
  if (options.stream_batch_size == 0) throw usage_error("pool: stream_batch_size is 0");
  state_ = std::make_shared<detail::pool_state>(std::move(conninfo), std::move(options));
}

pool::~pool() {
  std::vector<detail::pool_state::idle_connection> idle;
  {
    const std::lock_guard lock(state_->mutex);
    state_->closed = true;
    idle.swap(state_->idle);
    state_->size -= idle.size();
  }
  state_->freed.notify_all();
  state_->closed_count.fetch_add(idle.size(), std::memory_order_relaxed);
  for (auto& entry : idle) {
    entry.db.reset();  // closes the connection, outside the lock
    state_->tell(pool_event::kind::connection_closed, {}, {}, close_reason::pool_closed);
  }
}

void pool::add_observer(std::shared_ptr<observer> o, observe_options options) {
  state_->observers.add(std::move(o), options);
}

bool pool::remove_observer(const std::shared_ptr<observer>& o) noexcept { return state_->observers.remove(o); }

const pool_options& pool::options() const noexcept { return state_->options; }

pool_stats pool::stats() const {
  const std::lock_guard lock(state_->mutex);
  pool_stats s;
  s.max_size = state_->options.max_size;
  s.size = state_->size;
  s.idle = state_->idle.size();
  s.in_use = s.size - s.idle;
  s.waiting = state_->waiting;
  s.acquires = state_->acquires.load(std::memory_order_relaxed);
  s.timeouts = state_->timeouts.load(std::memory_order_relaxed);
  s.connections_opened = state_->opened.load(std::memory_order_relaxed);
  s.connections_closed = state_->closed_count.load(std::memory_order_relaxed);
  s.total_wait = std::chrono::nanoseconds(state_->wait_ns.load(std::memory_order_relaxed));
  s.total_use = std::chrono::nanoseconds(state_->use_ns.load(std::memory_order_relaxed));
  return s;
}

pooled_connection pool::acquire() { return acquire(state_->options.wait_timeout); }

pooled_connection pool::acquire(std::chrono::milliseconds wait) {
  if (wait.count() < 0) throw usage_error("pool: acquire() with a negative wait");
  const std::shared_ptr<detail::pool_state> st = state_;
  const pool_options& options = st->options;
  const auto asked = steady_clock::now();
  const auto deadline = asked + wait;
  std::unique_lock lock(st->mutex);
  for (;;) {
    if (st->closed) throw usage_error("pool: acquire() while the pool is being destroyed");
    if (!st->idle.empty()) {
      detail::pool_state::idle_connection entry = std::move(st->idle.back());
      st->idle.pop_back();
      lock.unlock();
      const bool ping = steady_clock::now() - entry.since >= options.ping_after_idle;
      if (detail::pool_gate::alive(*entry.db, ping)) return st->lend(st, std::move(entry.db), asked);
      entry.db.reset();  // dead: close it, and take the next one or open a new one
      st->closed_count.fetch_add(1, std::memory_order_relaxed);
      lock.lock();
      --st->size;
      if (detail::pool_observed(st->observers)) {
        lock.unlock();
        st->tell(pool_event::kind::connection_closed, {}, {}, close_reason::failed_check);
        lock.lock();
      }
      continue;
    }
    if (st->size < options.max_size) {
      ++st->size;  // reserves the room while connecting without the lock
      lock.unlock();
      try {
        const auto connecting = steady_clock::now();
        auto db = std::make_unique<database>(st->conninfo);
        configure(*db, options);
        detail::pool_gate::observe_with(*db, st->observers);
        db->connect();
        st->opened.fetch_add(1, std::memory_order_relaxed);
        st->tell(pool_event::kind::connection_opened, steady_clock::now() - connecting);
        return st->lend(st, std::move(db), asked);
      } catch (...) {
        lock.lock();
        --st->size;
        st->freed.notify_one();  // another waiter may try
        throw;
      }
    }
    ++st->waiting;
    const bool woken = st->freed.wait_until(
        lock, deadline, [&] { return st->closed || !st->idle.empty() || st->size < options.max_size; });
    --st->waiting;
    if (!woken) {
      lock.unlock();
      const steady_clock::duration waited = steady_clock::now() - asked;
      st->timeouts.fetch_add(1, std::memory_order_relaxed);
      st->wait_ns.fetch_add(waited.count(), std::memory_order_relaxed);
      st->tell(pool_event::kind::timed_out, waited);
      throw pool_timeout(options.max_size, wait);
    }
  }
}

}  // namespace pgwrap
