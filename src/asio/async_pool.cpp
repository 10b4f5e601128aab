// async_pool: async_databases handed out first come, first served. A
// returned connection gets its session reset queued, so the reset travels
// pipelined ahead of the next user's statements instead of costing a wait.
// The lifecycle rules (lifetimes, idle limits, drain, resize, max_waiting,
// backoff, the conninfo provider) are pool's, from pool_policy.hpp; the
// background work is a coroutine on a strand, woken by a timer.

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
  pool_state(net::any_io_executor ex, std::string info, pool_options opts, async_pool_callbacks hooks)
      : executor(std::move(ex)),
        conninfo(std::move(info)),
        options(std::move(opts)),
        callbacks(std::move(hooks)),
        strand(net::make_strand(executor)),
        timer(std::make_shared<net::steady_timer>(strand)),
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

  struct idle_entry {
    async_database* db;
    steady_clock::time_point since;
  };

  /// Why a connection not in use must be closed now, if it must (the lock held).
  std::optional<close_reason> retire(const async_database* db, steady_clock::time_point now) const {
    const auto life = lives.find(db);
    if (life == lives.end()) return std::nullopt;
    return detail::retire_reason(life->second, now, generation, all.size(), max_size);
  }

  /// An idle connection, a new one (fresh), or a place in line.
  void request(const waiter_ptr& w) {
    // Expired or drained idle connections are closed, not handed out.
    while (!closed && !idle.empty()) {
      const auto why = retire(idle.back().db, steady_clock::now());
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
      std::string info;
      try {
        info = detail::next_conninfo(options, conninfo);
      } catch (const std::exception& e) {
        failed_to_open(nullptr, e.what());
        give(*w, std::current_exception(), {});
        return;
      }
      give(*w, nullptr, {start_opening(std::move(info)), true, {}, w->since});
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
    --in_use;
    std::optional<close_reason> why;
    if (closed) {
      why = close_reason::pool_closed;
    } else if (broken) {
      why = close_reason::broken;
    } else {
      why = retire(db, steady_clock::now());
    }
    if (why) {
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
    offer(db, steady_clock::now());
  }

  /// A connection no one uses goes to the first waiter (first come, first
  /// served: it passes from hand to hand), else joins the idle ones, kept in
  /// order of `since` (the health check puts back old ones).
  void offer(async_database* db, steady_clock::time_point since) {
    while (!waiters.empty()) {
      const waiter_ptr w = waiters.front();
      waiters.pop_front();
      if (w->done) continue;
      ++in_use;
      give(*w, nullptr, {db, false, {}, w->since});
      return;
    }
    const auto place = std::upper_bound(idle.begin(), idle.end(), since,
                                        [](steady_clock::time_point t, const idle_entry& e) { return t < e.since; });
    idle.insert(place, {db, since});
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

  /// A place for a new connection, counted in opening until open() is done
  /// and its caller places it (the lock held).
  async_database* start_opening(std::string info) {
    async_options o;
    o.statement_timeout = options.statement_timeout;
    o.statement_cache_size = options.statement_cache_size;
    o.on_notice = options.on_notice;
    all.push_back(std::make_unique<async_database>(executor, info, std::move(o)));
    async_database* db = all.back().get();
    db->session_->pool_observers = observers;                                    // before its first call
    lives[db] = {steady_clock::time_point::max(), generation, std::move(info)};  // expires: counted from open()
    ++opening;
    return db;
  }

  /// Connects and configures a connection from start_opening(); it stays in
  /// opening for the caller to place. On failure it is forgotten, the
  /// failure counted, backed off and reported, and the error rethrown.
  static net::awaitable<void> open(std::shared_ptr<pool_state> st, async_database* db) {
    const steady_clock::time_point connecting = steady_clock::now();
    std::exception_ptr failure;
    std::string message;
    try {
      co_await db->connect();
      if (st->callbacks.configure) co_await st->callbacks.configure(*db);
    } catch (const std::exception& e) {
      failure = std::current_exception();
      message = e.what();
    } catch (...) {
      failure = std::current_exception();
      message = "unknown error";
    }
    if (failure) {
      {
        const std::lock_guard lock(st->mutex);
        st->failed_to_open(db, message);
      }
      st->tell_noted();
      std::rethrow_exception(failure);
    }
    {
      const std::lock_guard lock(st->mutex);
      const steady_clock::time_point now = steady_clock::now();
      st->lives[db].expires = detail::expiry(now, st->options, st->rng);
      ++st->connections_opened;
      st->backoff.succeeded();
      st->note(pool_event::kind::connection_opened, now - connecting);
    }
    st->tell_noted();
  }

  /// Counts a failed attempt to open `db` (nullptr: no conninfo to open it
  /// with) and forgets it; on_connect_failure hears of it from tell_noted(),
  /// once the lock is released. The lock held.
  void failed_to_open(async_database* db, std::string_view message) {
    if (db != nullptr) {
      lives.erase(db);
      std::erase_if(all, [&](const std::unique_ptr<async_database>& d) { return d.get() == db; });
      --opening;
      if (!closed) serve_first_waiter();  // another waiter may try
    }
    if (backoff.failed(options, steady_clock::now())) {
      failure_to_report = {backoff.failures, std::string(message)};
    }
  }

  /// Whether a round trip succeeds on the connection the session had: one
  /// it lost, or lost and opened again by itself (a different backend, not
  /// configured), fails.
  static net::awaitable<bool> answers(async_database& db) {
    const std::uint64_t connects = db.session_->connects.load();
    if (!db.is_connected()) co_return false;
    try {
      // The session's own statement: observers see no operation for it.
      auto ping = std::make_shared<async_session::op>();
      ping->kind = async_session::op_kind::internal;
      ping->text = "SELECT 1";
      co_await db.session_->run(ping);
    } catch (...) {
      co_return false;
    }
    co_return db.session_->connects.load() == connects;
  }

  /// Whether an idle connection may be handed out (or kept): alive (with a
  /// round trip when `round_trip`), and the check callback agrees (a throw
  /// is a no).
  net::awaitable<bool> vet(async_database& db, bool round_trip) const {
    const bool alive = round_trip ? co_await answers(db) : db.is_connected();
    if (!alive) co_return false;
    if (!callbacks.check) co_return true;
    bool ok = false;
    try {
      ok = co_await callbacks.check(db);
    } catch (...) {
      ok = false;
    }
    co_return ok;
  }

  /// Closes a connection no one uses (not idle, not counted in in_use), for `why`.
  void drop(async_database* db, close_reason why) {
    lives.erase(db);
    std::erase_if(all, [&](const std::unique_ptr<async_database>& d) { return d.get() == db; });
    ++closed_by_reason[static_cast<std::size_t>(why)];
    note(pool_event::kind::connection_closed, {}, {}, why);
    if (!closed && all.size() < min_size) wake();
  }

  /// Has the background coroutine run a round now (the lock held); a wait
  /// it is in is cancelled on its strand, where the timer lives.
  void wake() noexcept {
    if (!detail::needs_maintenance(options)) return;
    wake_pending = true;
    try {
      net::post(strand, [t = timer] { t->cancel(); });
    } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; the round comes at its period instead
    }
  }

  /// One round of the background work: close what is expired, drained,
  /// beyond max_size or idle too long; vet idle connections when
  /// `check_idle`; open up to min_size.
  net::awaitable<void> maintain_once(bool check_idle) {
    const std::shared_ptr<pool_state> st = self.lock();
    std::vector<idle_entry> to_check;
    {
      const std::lock_guard lock(mutex);
      const steady_clock::time_point now = steady_clock::now();
      // Oldest idle first: those are the ones max_idle lets go.
      for (auto it = idle.begin(); it != idle.end();) {
        auto why = retire(it->db, now);
        if (!why && detail::idle_too_long(it->since, now, options, all.size(), min_size)) {
          why = close_reason::idle_timeout;
        }
        async_database* db = it->db;
        if (why) {
          it = idle.erase(it);
          drop(db, *why);
        } else if (check_idle) {
          to_check.push_back(*it);
          it = idle.erase(it);
          ++in_use;  // being checked counts as in use
        } else {
          ++it;
        }
      }
    }
    tell_noted();
    for (const idle_entry& e : to_check) {
      // A dead one is found here, not by the next user.
      const bool good = co_await vet(*e.db, true);
      {
        const std::lock_guard lock(mutex);
        --in_use;
        std::optional<close_reason> why = closed ? close_reason::pool_closed : retire(e.db, steady_clock::now());
        if (!why && !good) why = close_reason::failed_check;
        if (why) {
          drop(e.db, *why);
          if (!closed) serve_first_waiter();
        } else {
          offer(e.db, e.since);
        }
      }
      tell_noted();
    }
    for (;;) {
      {
        const std::lock_guard lock(mutex);
        if (closed || all.size() >= min_size || steady_clock::now() < backoff.next_attempt) co_return;
      }
      // The provider is called without the lock; the place is taken after.
      std::string info;
      try {
        info = detail::next_conninfo(options, conninfo);
      } catch (const std::exception& e) {
        {
          const std::lock_guard lock(mutex);
          failed_to_open(nullptr, e.what());
        }
        tell_noted();
        co_return;
      }
      async_database* db = nullptr;
      {
        const std::lock_guard lock(mutex);
        if (closed || all.size() >= min_size) co_return;
        db = start_opening(std::move(info));
      }
      try {
        co_await open(st, db);
      } catch (...) {  // counted, backed off and reported by open()
        co_return;
      }
      {
        const std::lock_guard lock(mutex);
        --opening;
        if (closed) {
          drop(db, close_reason::pool_closed);
        } else {
          offer(db, steady_clock::now());
        }
      }
      tell_noted();
    }
  }

  /// The background coroutine, on the pool's strand: a round of
  /// maintain_once() each period, or sooner when woken; it holds the state
  /// only during a round, and ends once the pool is destroyed.
  static net::awaitable<void> maintain(std::weak_ptr<pool_state> weak, std::shared_ptr<net::steady_timer> timer) {
    steady_clock::time_point next_check{};
    for (;;) {
      {
        const std::shared_ptr<pool_state> st = weak.lock();
        if (!st) co_return;
        const steady_clock::duration period = detail::maintenance_period(st->options);
        const steady_clock::time_point now = steady_clock::now();
        if (next_check == steady_clock::time_point{}) next_check = now + period;
        const bool check_idle = st->options.health_check_period.count() > 0 && now >= next_check;
        if (now >= next_check) next_check = now + period;
        try {
          co_await st->maintain_once(check_idle);
        } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; the next round tries again
        }
        const std::lock_guard lock(st->mutex);
        if (st->closed) co_return;
        steady_clock::time_point until = next_check;
        if (st->all.size() < st->min_size) until = std::max(std::min(until, st->backoff.next_attempt), now);
        if (st->wake_pending) until = now;
        st->wake_pending = false;
        timer->expires_at(until);
      }
      detail::net_error_code ignored;  // cancelled: woken, or the pool is gone
      co_await timer->async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
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
  /// Tells what was noted, and a connection failure to report (the lock
  /// not held: an observer or callback may call stats()).
  void tell_noted() noexcept {
    std::vector<pool_event> events;
    std::optional<std::pair<std::size_t, std::string>> failure;
    {
      const std::lock_guard lock(mutex);
      events.swap(noted);
      failure.swap(failure_to_report);
    }
    for (const pool_event& e : events) detail::tell_pool_event(*observers, e);
    if (failure) detail::report_connect_failure(options, failure->first, failure->second);
  }

  const net::any_io_executor executor;
  const std::string conninfo;
  const pool_options options;
  const async_pool_callbacks callbacks;
  const net::strand<net::any_io_executor> strand;  // the background coroutine's
  const std::shared_ptr<net::steady_timer> timer;  // its wait; touched only on the strand
  std::weak_ptr<pool_state> self;
  std::mutex mutex;      // guards what follows; held only briefly, never across a wait
  std::size_t max_size;  // as made, or resize()d
  std::size_t min_size;
  std::uint64_t generation = 0;  // drain() count
  std::mt19937_64 rng;           // lifetime jitter
  std::unordered_map<const async_database*, detail::connection_life> lives;
  std::vector<std::unique_ptr<async_database>> all;  // size = idle + in_use + opening
  std::vector<idle_entry> idle;                      // oldest first
  std::size_t in_use = 0;
  std::size_t opening = 0;
  std::deque<waiter_ptr> waiters;
  detail::connect_backoff backoff;
  bool closed = false;
  bool wake_pending = false;  // the background coroutine is to run a round at once
  const std::shared_ptr<detail::observer_set> observers =
      std::make_shared<detail::observer_set>();                          // its sessions share it
  std::vector<pool_event> noted;                                         // to tell observers once the lock is released
  std::optional<std::pair<std::size_t, std::string>> failure_to_report;  // for on_connect_failure, likewise
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

async_database& async_pooled_connection::db() const {
  if (db_ == nullptr) throw usage_error("this async_pooled_connection holds no connection: it was moved from");
  return *db_;
}

// --- async_pool ---

async_pool::async_pool(net::any_io_executor executor, std::string conninfo, pool_options options)
    : async_pool(std::move(executor), std::move(conninfo), std::move(options), async_pool_callbacks{}) {}

async_pool::async_pool(net::any_io_executor executor, std::string conninfo, pool_options options,
                       async_pool_callbacks callbacks) {
  detail::validate_pool_options(options, "async_pool");
  // Those take a blocking database: they would block the loop.
  if (options.check) {
    throw usage_error("async_pool: pool_options::check is for pool; set async_pool_callbacks::check instead");
  }
  if (options.configure) {
    throw usage_error("async_pool: pool_options::configure is for pool; set async_pool_callbacks::configure instead");
  }
  state_ = std::make_shared<async_pooled_connection::pool_state>(std::move(executor), std::move(conninfo),
                                                                 std::move(options), std::move(callbacks));
  state_->self = state_;
  if (detail::needs_maintenance(state_->options)) {
    net::co_spawn(state_->strand, async_pooled_connection::pool_state::maintain(state_, state_->timer), net::detached);
  }
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
    state_->wake();  // the background coroutine sees `closed` and ends
  }
  state_->tell_noted();
}

void async_pool::add_observer(std::shared_ptr<observer> o, observe_options options) {
  state_->observers->add(std::move(o), options);
}

bool async_pool::remove_observer(const std::shared_ptr<observer>& o) noexcept { return state_->observers->remove(o); }

net::awaitable<async_pooled_connection> async_pool::acquire() {
  using state = async_pooled_connection::pool_state;
  std::shared_ptr<state> st = state_;
  const steady_clock::time_point asked = steady_clock::now();
  // Named, not a temporary in the co_await expression (GCC bug 100611).
  const auto initiation = [st, asked](auto handler) {
    auto w = std::make_shared<state::waiter>();
    w->since = asked;
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
    {
      const std::lock_guard lock(st->mutex);
      st->request(w);
    }
    st->tell_noted();
  };
  for (;;) {  // again when the check callback refuses an idle connection
    const handover h = co_await net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, handover)>(
        initiation, net::use_awaitable);
    if (h.fresh) {
      co_await state::open(st, h.db);  // on failure, forgotten and rethrown
      const std::lock_guard lock(st->mutex);
      --st->opening;
      ++st->in_use;
    }
    async_pooled_connection c(st, h.db);  // from here on it goes back to the pool whatever happens
    try {
      // Idle a while: a round trip finds a server that went away silently. A
      // dead one, or one check refuses, is replaced.
      if (!h.fresh && !co_await st->vet(*h.db, h.idle_for >= st->options.ping_after_idle)) {
        {
          const std::lock_guard lock(st->mutex);
          --st->in_use;
          st->drop(std::exchange(c.db_, nullptr), close_reason::failed_check);
          if (!st->closed) st->serve_first_waiter();
        }
        st->tell_noted();
        continue;
      }
      const steady_clock::time_point now = steady_clock::now();
      c.lent_at_ = now;
      {
        const std::lock_guard lock(st->mutex);
        ++st->acquires;
        st->total_wait += now - asked;
        st->note(pool_event::kind::acquired, now - asked);
      }
      st->tell_noted();
    } catch (...) {
      c.broken_ = true;
      throw;
    }
    co_return c;
  }
}

pool_stats async_pool::stats() const {
  const std::lock_guard lock(state_->mutex);
  pool_stats s;
  s.max_size = state_->max_size;
  s.min_size = state_->min_size;
  s.size = state_->all.size();
  s.idle = state_->idle.size();
  s.in_use = state_->in_use;
  s.opening = state_->opening;
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
    state_->wake();  // up to the new min_size
  }
  state_->tell_noted();
}

}  // namespace pgwrap
