// pool: at most max_size connections to one database, shared by threads.
// The mutex guards only the bookkeeping; connecting, checking and resetting
// a connection happen outside it, on the thread that acquires or returns.

#include "pgwrap/pool.hpp"


#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pool_gate.hpp"

namespace pgwrap {

using steady_clock = std::chrono::steady_clock;

namespace detail {

struct pool_state {
  pool_state(std::string info, pool_options opts) : conninfo(std::move(info)), options(std::move(opts)) {}

  const std::string conninfo;
  const pool_options options;

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

  /// Takes a connection back: reset and made idle when `keep` and possible,
  /// else closed. Never throws; never blocks on the lock while talking to
  /// the server.
  void give_back(std::unique_ptr<database> db, bool keep) noexcept {
    bool pool_gone = false;
    {
      const std::lock_guard lock(mutex);
      pool_gone = closed;
    }
    if (keep && !pool_gone && pool_gate::reset(*db, options, conninfo)) {
      const std::lock_guard lock(mutex);
      if (!closed) {
        idle.push_back({std::move(db), steady_clock::now()});
        freed.notify_one();
        return;
      }
    }
    const bool still_referred_to = pool_gate::in_use(*db);
    if (still_referred_to) {
      db->close();
    } else {
      db.reset();  // closes the connection, outside the lock
    }
    const std::lock_guard lock(mutex);
    --size;
    if (still_referred_to) retired.push_back(std::move(db));
    freed.notify_one();  // room to open a new one
  }
};

}  // namespace detail

// --- pooled_connection ---

pooled_connection::pooled_connection() noexcept = default;

pooled_connection::pooled_connection(std::shared_ptr<detail::pool_state> owner, std::unique_ptr<database> db) noexcept
    : owner_(std::move(owner)), db_(std::move(db)) {}

pooled_connection::~pooled_connection() { release(); }

pooled_connection::pooled_connection(pooled_connection&& other) noexcept
    : owner_(std::move(other.owner_)), db_(std::move(other.db_)) {}

pooled_connection& pooled_connection::operator=(pooled_connection&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    db_ = std::move(other.db_);
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
  owner->give_back(std::move(db_), true);
}

void pooled_connection::discard() noexcept {
  if (!db_) return;
  const std::shared_ptr<detail::pool_state> owner = std::move(owner_);
  owner->give_back(std::move(db_), false);
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
  // `idle` goes here, closing its connections outside the lock.
}

const pool_options& pool::options() const noexcept { return state_->options; }

pool_stats pool::stats() const {
  const std::lock_guard lock(state_->mutex);
  pool_stats s;
  s.max_size = state_->options.max_size;
  s.size = state_->size;
  s.idle = state_->idle.size();
  s.in_use = s.size - s.idle;
  s.waiting = state_->waiting;
  return s;
}

pooled_connection pool::acquire() { return acquire(state_->options.wait_timeout); }

pooled_connection pool::acquire(std::chrono::milliseconds wait) {
  if (wait.count() < 0) throw usage_error("pool: acquire() with a negative wait");
  const std::shared_ptr<detail::pool_state> st = state_;
  const pool_options& options = st->options;
  const auto deadline = steady_clock::now() + wait;
  std::unique_lock lock(st->mutex);
  for (;;) {
    if (st->closed) throw usage_error("pool: acquire() while the pool is being destroyed");
    if (!st->idle.empty()) {
      detail::pool_state::idle_connection entry = std::move(st->idle.back());
      st->idle.pop_back();
      lock.unlock();
      const bool ping = steady_clock::now() - entry.since >= options.ping_after_idle;
      if (detail::pool_gate::alive(*entry.db, ping)) return {st, std::move(entry.db)};
      entry.db.reset();  // dead: close it, and take the next one or open a new one
      lock.lock();
      --st->size;
      continue;
    }
    if (st->size < options.max_size) {
      ++st->size;  // reserves the room while connecting without the lock
      lock.unlock();
      try {
        auto db = std::make_unique<database>(st->conninfo);
        configure(*db, options);
        db->connect();
        return {st, std::move(db)};
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
    if (!woken) throw pool_timeout(options.max_size, wait);
  }
}

}  // namespace pgwrap
