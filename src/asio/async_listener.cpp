// async_listener: an async_database of its own that LISTENs. Its session
// LISTENs again to every channel as it connects; the listener reconnects
// with backoff when async_receive() finds the connection lost, and reports
// each new connection after the first as one `reconnected` event.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include "asio/async_session.hpp"

namespace pgwrap {

using detail::async_session;

struct async_listener::state {
  state(async_database database, listener_options o) : options(o), db(std::move(database)) {}

  const listener_options options;
  async_database db;
  std::shared_ptr<async_session> session;  // db's
  mutable std::mutex mutex;                // guards channels
  std::vector<std::string> channels;       // in the order first listened
  std::atomic<bool> opened{false};         // connected since construction or close()
  std::atomic<std::uint64_t> reported{0};  // the session's connects accounted for
  std::atomic<bool> destroyed{false};
};

namespace {

using state_ptr = std::shared_ptr<async_listener::state>;

const state_ptr& state_of(const state_ptr& st) {
  if (!st) throw usage_error("this async_listener was moved from");
  return st;
}

// Connects, the first time and after close(): a failure is the caller's to
// see, and that connection is no `reconnected`.
net::awaitable<void> open(state_ptr st) {
  if (st->destroyed) throw detail::net_system_error(net::error::operation_aborted);
  if (st->opened) co_return;
  co_await st->db.connect();
  st->reported = st->session->connects.load();
  st->opened = true;
}

// True once for every connection opened since the last one accounted for.
bool take_reconnected(async_listener::state& st) {
  const std::uint64_t now = st.session->connects.load();
  std::uint64_t seen = st.reported.load();
  while (seen < now) {
    if (st.reported.compare_exchange_weak(seen, now)) return true;
  }
  return false;
}

// Tries to connect again at once, then after reconnect_delay, doubling up
// to max_reconnect_delay; the session LISTENs again as it connects.
net::awaitable<void> reconnect(state_ptr st) {
  const std::chrono::milliseconds longest = std::max(st->options.max_reconnect_delay, st->options.reconnect_delay);
  std::chrono::milliseconds delay = st->options.reconnect_delay;
  const auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor);
  for (;;) {
    if (st->destroyed) throw detail::net_system_error(net::error::operation_aborted);
    try {
      co_await st->db.connect();
      co_return;
    } catch (const connection_error&) {  // NOLINT(bugprone-empty-catch): tried again after the delay
    }
    timer.expires_after(delay);
    co_await timer.async_wait(net::use_awaitable);
    delay = std::min(delay * 2, longest);
  }
}

enum class channel_op { listen, unlisten, unlisten_all };

net::awaitable<void> run_channel_op(state_ptr st, channel_op what, std::string channel) {
  co_await open(st);
  for (int attempt = 1;; ++attempt) {
    try {
      if (what == channel_op::listen)
        co_await st->db.listen(channel);
      else if (what == channel_op::unlisten)
        co_await st->db.unlisten(channel);
      else
        co_await st->db.unlisten_all();
      break;
    } catch (const connection_error&) {
      if (attempt == 2) throw;  // once more: the database connects again (and async_receive says so)
    }
  }
  const std::lock_guard lock(st->mutex);
  if (what == channel_op::unlisten_all) {
    st->channels.clear();
  } else if (what == channel_op::unlisten) {
    std::erase(st->channels, channel);
  } else if (std::find(st->channels.begin(), st->channels.end(), channel) == st->channels.end()) {
    st->channels.push_back(std::move(channel));
  }
}

net::awaitable<void> rethrow(std::exception_ptr error) {
  std::rethrow_exception(std::move(error));
  co_return;
}

net::awaitable<void> channel_call(const state_ptr& st, channel_op what, std::string_view channel) {
  try {
    if (what != channel_op::unlisten_all) (void)quote_identifier(channel);  // a bad name fails before connecting
    return run_channel_op(state_of(st), what, std::string(channel));
  } catch (...) {
    return rethrow(std::current_exception());
  }
}

}  // namespace

async_listener::async_listener(net::any_io_executor executor, std::string conninfo, listener_options options) {
  async_options db_options;
  db_options.statement_cache_size = 0;  // LISTEN and friends are never worth preparing
  async_database db(std::move(executor), std::move(conninfo), std::move(db_options));
  db.session_->refuse_pooler = !options.allow_session_pooler;
  std::shared_ptr<async_session> session = db.session_;
  state_ = std::make_shared<state>(std::move(db), options);
  state_->session = std::move(session);
}

async_listener::~async_listener() {
  if (!state_) return;
  // Coroutines still receiving keep the state: end their waits, and any
  // reconnecting, now.
  state_->destroyed = true;
  state_->session->shut_down();
}

async_listener::async_listener(async_listener&&) noexcept = default;

async_listener& async_listener::operator=(async_listener&& other) noexcept {
  if (this != &other) {
    async_listener dropped(std::move(*this));
    state_ = std::move(other.state_);
  }
  return *this;
}

net::awaitable<void> async_listener::listen(std::string_view channel) {
  return channel_call(state_, channel_op::listen, channel);
}

net::awaitable<void> async_listener::unlisten(std::string_view channel) {
  return channel_call(state_, channel_op::unlisten, channel);
}

net::awaitable<void> async_listener::unlisten_all() { return channel_call(state_, channel_op::unlisten_all, ""); }

std::vector<std::string> async_listener::channels() const {
  if (!state_) return {};
  const std::lock_guard lock(state_->mutex);
  return state_->channels;
}

net::awaitable<listener_event> async_listener::async_receive() {
  const state_ptr st = state_of(state_);
  for (;;) {
    co_await open(st);
    if (take_reconnected(*st)) co_return listener_event{listener_event::kind::reconnected, {}};
    try {
      // No auto-connect: the connection gone and the buffer empty, it throws,
      // and the new connection is reported before its notifications.
      std::optional<notification> n = co_await st->session->wait_notification(std::nullopt, false);
      if (n) co_return listener_event{listener_event::kind::notification, std::move(*n)};
    } catch (const connection_error&) {  // NOLINT(bugprone-empty-catch): reconnected below
    }
    co_await reconnect(st);
  }
}

bool async_listener::is_connected() const noexcept { return state_ && state_->db.is_connected(); }

void async_listener::close() noexcept {
  if (!state_) return;
  state_->opened = false;
  state_->session->disconnect();
}

}  // namespace pgwrap
