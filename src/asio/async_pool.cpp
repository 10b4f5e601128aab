// async_pool: async_databases handed out first come, first served. A
// returned connection gets its session reset queued, so the reset travels
// pipelined ahead of the next user's statements instead of costing a wait.
// The lifecycle rules (lifetimes, drain, resize, max_waiting, the conninfo
// provider) are pool's, from pool_policy.hpp.

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "asio/async_session.hpp"
#include "observe/operation.hpp"
#include "pool_policy.hpp"

namespace pgwrap {

using detail::async_completion;
using detail::async_session;
using steady_clock = std::chrono::steady_clock;

namespace {
/// What a waiting acquire() is handed.
struct handover {
  async_database* db = nullptr;
  bool fresh = false;                 // new: connect it
  steady_clock::duration idle_for{};  // how long it sat idle
  steady_clock::time_point asked{};   // when acquire() was called
};
}  // namespace

struct async_pooled_connection::pool_state {
  pool_state(net::any_io_executor ex, std::string info, pool_options opts)
      : executor(std::move(ex)),
        conninfo(std::move(info)),
        options(std::move(opts)),
        max_size(options.max_size),
        min_size(options.min_size),
        rng(std::random_device{}()) {}

  // A caller of acquire() waiting for a connection.
  struct waiter {
    async_completion<std::exception_ptr, handover> hand_over;
    std::unique_ptr<net::steady_timer> deadline;
    steady_clock::time_point since = steady_clock::now();
    bool done = false;
  };
  using waiter_ptr = std::shared_ptr<waiter>;

  /// An idle connection, a new one (fresh), or a place in line.
  void request(const waiter_ptr& w) {
    // Expired or drained idle connections are closed, not handed out.
    while (!closed && !idle.empty()) {
      const auto life = lives.find(idle.back().db);
      const auto why = life == lives.end()
                           ? std::nullopt
                           : detail::retire_reason(life->second, steady_clock::now(), generation, all.size(), max_size);
      if (!why) break;
      async_database* db = idle.back().db;
      idle.pop_back();
      drop(db, *why);
    }
    if (closed) {
      give(*w, std::make_exception_ptr(usage_error("the async_pool was destroyed")), {});
    } else if (!idle.empty()) {
      const idle_entry e = idle.back();  // the most recently used: likeliest to be warm and alive
      idle.pop_back();
      ++in_use;
      give(*w, nullptr, {e.db, false, steady_clock::now() - e.since, w->since});
    } else if (all.size() < max_size) {
      async_options o;
      o.statement_timeout = options.statement_timeout;
      o.statement_cache_size = options.statement_cache_size;
      o.on_notice = options.on_notice;
      std::string info;
      try {
        info = detail::next_conninfo(options, conninfo);
      } catch (...) {
        give(*w, std::current_exception(), {});
        return;
      }
      all.push_back(std::make_unique<async_database>(executor, info, std::move(o)));
      all.back()->session_->pool_observers = observers;  // before its first call
      lives[all.back().get()] = {detail::expiry(steady_clock::now(), options, rng), generation, std::move(info)};
      ++in_use;
      give(*w, nullptr, {all.back().get(), true, {}, w->since});
    } else {
      const auto in_line = static_cast<std::size_t>(
          std::count_if(waiters.begin(), waiters.end(), [](const waiter_ptr& o) { return !o->done; }));
      if (in_line >= options.max_waiting) {
        give(*w, std::make_exception_ptr(pool_overloaded(options.max_waiting)), {});
        return;
      }
      ++waits;
      waiters.push_back(w);
      w->deadline = std::make_unique<net::steady_timer>(executor, options.wait_timeout);
      w->deadline->async_wait(
          [this_state = self.lock(), weak = std::weak_ptr<waiter>(w)](const detail::net_error_code& ec) {
            const waiter_ptr expired = weak.lock();
            if (ec || !this_state || !expired) return;
            {
              const std::lock_guard lock(this_state->mutex);
              const steady_clock::duration waited = steady_clock::now() - expired->since;
              if (!expired->done) {
                ++this_state->timeouts;
                this_state->total_wait += waited;
                this_state->note(pool_event::kind::timed_out, waited);
              }
              this_state->leave_line(
                  expired, std::make_exception_ptr(pool_timeout(
                               this_state->max_size, std::chrono::duration_cast<std::chrono::milliseconds>(waited))));
            }
            this_state->tell_noted();
          });
    }
  }

  static void give(waiter& w, std::exception_ptr error, handover h) {
    if (w.done) return;
    w.done = true;
    if (w.deadline) w.deadline->cancel();
    w.hand_over.complete(std::move(error), h);
  }

  void leave_line(const waiter_ptr& w, std::exception_ptr why) {
    std::erase(waiters, w);
    give(*w, std::move(why), {});
  }

  /// A connection comes back after `use`; `broken` ones (connecting failed) are dropped.
  void release(async_database* db, bool broken, steady_clock::duration use) {
    total_use += use;
    note(pool_event::kind::released, {}, use);
    std::optional<close_reason> why;
    if (closed) {
      why = close_reason::pool_closed;
    } else if (broken) {
      why = close_reason::broken;
    } else if (const auto life = lives.find(db); life != lives.end()) {
      why = detail::retire_reason(life->second, steady_clock::now(), generation, all.size(), max_size);
    }
    if (why) {
      --in_use;
      drop(db, *why);
      if (!closed) serve_first_waiter();
      return;
    }
    if (db->is_connected()) {
      auto reset = std::make_shared<async_session::op>();  // an internal operation: observers do not see it
      reset->kind = async_session::op_kind::reset;
      reset->keep_prepared = options.reset == session_reset::keep_prepared;
      db->session_->run_detached(std::move(reset));
    }
    while (!waiters.empty()) {  // first come, first served: it passes from hand to hand
      const waiter_ptr w = waiters.front();
      waiters.pop_front();
      if (w->done) continue;
      give(*w, nullptr, {db, false, {}, w->since});
      return;
    }
    --in_use;
    idle.push_back({db, steady_clock::now()});
  }

  // A dropped connection frees a place: the first in line opens a new one.
  void serve_first_waiter() {
    while (!waiters.empty()) {
      const waiter_ptr w = waiters.front();
      waiters.pop_front();
      if (w->done) continue;
      request(w);
      return;
    }
  }

  struct idle_entry {
    async_database* db;
    steady_clock::time_point since;
  };

  /// Closes a connection no one uses (not idle, not counted in in_use), for `why`.
  void drop(async_database* db, close_reason why) {
    lives.erase(db);
    std::erase_if(all, [&](const std::unique_ptr<async_database>& d) { return d.get() == db; });
    ++closed_by_reason[static_cast<std::size_t>(why)];
    note(pool_event::kind::connection_closed, {}, {}, why);
  }

  /// Notes a pool event to tell once the lock is released (the lock held).
  void note(pool_event::kind what, steady_clock::duration wait = {}, steady_clock::duration use = {},
            close_reason reason = close_reason::broken) {
    if (!detail::pool_observed(*observers)) return;
    pool_event e;
    e.what = what;
    e.wait = wait;
    e.use = use;
    e.reason = reason;
    e.max_size = max_size;
    e.idle = idle.size();
    e.in_use = in_use;
    e.waiting = waiters.size();
    noted.push_back(e);
  }
  /// Tells what was noted (the lock not held: an observer may call stats()).
  void tell_noted() noexcept {
    std::vector<pool_event> events;
    {
      const std::lock_guard lock(mutex);
      if (noted.empty()) return;
      events.swap(noted);
    }
    for (const pool_event& e : events) detail::tell_pool_event(*observers, e);
  }

  const net::any_io_executor executor;
  const std::string conninfo;
  const pool_options options;
  std::weak_ptr<pool_state> self;
  std::mutex mutex;      // guards what follows; held only briefly, never across a wait
  std::size_t max_size;  // as made, or resize()d
  std::size_t min_size;
  std::uint64_t generation = 0;  // drain() count
  std::mt19937_64 rng;           // lifetime jitter
  std::unordered_map<const async_database*, detail::connection_life> lives;
  std::vector<std::unique_ptr<async_database>> all;
  std::vector<idle_entry> idle;
  std::size_t in_use = 0;
  std::deque<waiter_ptr> waiters;
  bool closed = false;
  const std::shared_ptr<detail::observer_set> observers =
      std::make_shared<detail::observer_set>();  // its sessions share it
  std::vector<pool_event> noted;                 // to tell observers once the lock is released
  // pool_stats' totals
  std::uint64_t acquires = 0, timeouts = 0, connections_opened = 0, waits = 0;
  decltype(pool_stats::closed_by_reason) closed_by_reason{};
  steady_clock::duration total_wait{}, total_use{};
};

// --- async_pooled_connection ---

async_pooled_connection::async_pooled_connection(std::shared_ptr<pool_state> pool, async_database* db) noexcept
    : pool_(std::move(pool)), db_(db), lent_at_(steady_clock::now()) {}

async_pooled_connection::async_pooled_connection(async_pooled_connection&& other) noexcept
    : pool_(std::move(other.pool_)),
      db_(std::exchange(other.db_, nullptr)),
      broken_(other.broken_),
      lent_at_(other.lent_at_) {}

async_pooled_connection& async_pooled_connection::operator=(async_pooled_connection&& other) noexcept {
  if (this != &other) {
    async_pooled_connection returned(std::move(*this));
    pool_ = std::move(other.pool_);
    db_ = std::exchange(other.db_, nullptr);
    broken_ = other.broken_;
    lent_at_ = other.lent_at_;
  }
  return *this;
}

// NOLINTNEXTLINE(bugprone-exception-escape): as the declaration says, only locking or allocation can throw
async_pooled_connection::~async_pooled_connection() {
  if (!pool_ || db_ == nullptr) return;
  {
    const std::lock_guard lock(pool_->mutex);
    pool_->release(db_, broken_, steady_clock::now() - lent_at_);
  }
  pool_->tell_noted();
}

// --- async_pool ---

async_pool::async_pool(net::any_io_executor executor, std::string conninfo, pool_options options) {
  detail::validate_pool_options(options, "async_pool");
  state_ = std::make_shared<async_pooled_connection::pool_state>(std::move(executor), std::move(conninfo),
                                                                 std::move(options));
  state_->self = state_;
}

// NOLINTNEXTLINE(bugprone-exception-escape): as the declaration says
async_pool::~async_pool() {
  {
    const std::lock_guard lock(state_->mutex);
    state_->closed = true;
    while (!state_->waiters.empty()) {
      state_->leave_line(state_->waiters.front(), std::make_exception_ptr(usage_error("the async_pool was destroyed")));
    }
    const std::vector<async_pooled_connection::pool_state::idle_entry> idle = std::move(state_->idle);
    state_->idle.clear();
    for (const auto& e : idle) state_->drop(e.db, close_reason::pool_closed);
  }
  state_->tell_noted();
}

void async_pool::add_observer(std::shared_ptr<observer> o, observe_options options) {
  state_->observers->add(std::move(o), options);
}

bool async_pool::remove_observer(const std::shared_ptr<observer>& o) noexcept { return state_->observers->remove(o); }

net::awaitable<async_pooled_connection> async_pool::acquire() {
  std::shared_ptr<async_pooled_connection::pool_state> st = state_;
  // Named, not a temporary in the co_await expression (GCC bug 100611).
  const auto initiation = [st](auto handler) {
    auto w = std::make_shared<async_pooled_connection::pool_state::waiter>();
    auto slot = net::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([weak_state = std::weak_ptr(st), weak = std::weak_ptr(w)](net::cancellation_type) {
        const auto s = weak_state.lock();
        const auto waiting = weak.lock();
        if (!s || !waiting) return;
        const std::lock_guard lock(s->mutex);
        s->leave_line(waiting, std::make_exception_ptr(detail::net_system_error(net::error::operation_aborted)));
      });
    }
    w->hand_over = async_completion<std::exception_ptr, handover>(std::move(handler), st->executor);
    const std::lock_guard lock(st->mutex);
    st->request(w);
  };
  const handover h = co_await net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, handover)>(
      initiation, net::use_awaitable);
  async_pooled_connection c(st, h.db);  // from here on it goes back to the pool whatever happens
  try {
    if (!h.fresh && h.idle_for >= st->options.ping_after_idle) {
      // Idle a while: a round trip finds a server that went away silently.
      // The session's own statement: observers see no operation for it.
      auto ping = std::make_shared<async_session::op>();
      ping->kind = async_session::op_kind::internal;
      ping->text = "SELECT 1";
      try {
        co_await h.db->session_->run(ping);
      } catch (const connection_error&) {  // NOLINT(bugprone-empty-catch): connect() below opens it again
      }
    }
    const steady_clock::time_point connecting = steady_clock::now();
    co_await h.db->connect();  // no round trip when open; reconnects one the server closed
    const steady_clock::time_point now = steady_clock::now();
    c.lent_at_ = now;
    {
      const std::lock_guard lock(st->mutex);
      if (h.fresh) {
        ++st->connections_opened;
        st->note(pool_event::kind::connection_opened, now - connecting);
      }
      ++st->acquires;
      st->total_wait += now - h.asked;
      st->note(pool_event::kind::acquired, now - h.asked);
    }
    st->tell_noted();
  } catch (...) {
    c.broken_ = true;
    throw;
  }
  co_return c;
}

pool_stats async_pool::stats() const {
  const std::lock_guard lock(state_->mutex);
  pool_stats s;
  s.max_size = state_->max_size;
  s.min_size = state_->min_size;
  s.size = state_->all.size();
  s.idle = state_->idle.size();
  s.in_use = state_->in_use;
  s.waiting = static_cast<std::size_t>(
      std::count_if(state_->waiters.begin(), state_->waiters.end(), [](const auto& w) { return !w->done; }));
  s.acquires = state_->acquires;
  s.timeouts = state_->timeouts;
  s.connections_opened = state_->connections_opened;
  s.waits = state_->waits;
  s.closed_by_reason = state_->closed_by_reason;
  for (const std::uint64_t n : s.closed_by_reason) s.connections_closed += n;
  s.total_wait = state_->total_wait;
  s.total_use = state_->total_use;
  return s;
}

const pool_options& async_pool::options() const noexcept { return state_->options; }

void async_pool::drain() noexcept {
  {
    const std::lock_guard lock(state_->mutex);
    ++state_->generation;
    const std::vector<async_pooled_connection::pool_state::idle_entry> idle = std::move(state_->idle);
    state_->idle.clear();
    for (const auto& e : idle) state_->drop(e.db, close_reason::drained);
  }
  state_->tell_noted();
}

void async_pool::resize(std::size_t max_size, std::size_t min_size) {
  detail::validate_pool_sizes(max_size, min_size, "async_pool::resize");
  {
    const std::lock_guard lock(state_->mutex);
    state_->max_size = max_size;
    state_->min_size = min_size;
    // The oldest idle ones go first; those in use go when they come back.
    while (state_->all.size() > max_size && !state_->idle.empty()) {
      async_database* db = state_->idle.front().db;
      state_->idle.erase(state_->idle.begin());
      state_->drop(db, close_reason::resized);
    }
    while (state_->all.size() < max_size &&
           std::any_of(state_->waiters.begin(), state_->waiters.end(), [](const auto& w) { return !w->done; })) {
      state_->serve_first_waiter();
    }
  }
  state_->tell_noted();
}

}  // namespace pgwrap
