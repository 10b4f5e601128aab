// listener: a database of its own that LISTENs, reconnects with backoff
// when its connection is lost (the database LISTENs again as it connects),
// and reports each loss once as a `reconnected` event.

#include "pgwrap/listener.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "session.hpp"

namespace pgwrap {

using steady_clock = std::chrono::steady_clock;

usage_error detail::listener_behind_pooler(const char* who) {
  return usage_error(std::string(who) +
                     ": this connection goes through a connection pooler (pgbouncer): in transaction pooling a "
                     "LISTEN stays behind on a server connection that other clients then use, and no notification "
                     "would ever arrive; connect the listener to the server itself, or set "
                     "listener_options::allow_session_pooler if the pooler runs in session pooling mode");
}

struct listener::impl {
  listener_options options;
  database db;
  std::vector<std::string> channels;
  bool connected_once = false;  // before the first connection, failing to connect is the caller's error
  bool lost = false;            // lost and not reported yet
  std::chrono::milliseconds delay{0};
  steady_clock::time_point next_attempt{};

  impl(std::string conninfo, listener_options o) : options(o), db(std::move(conninfo)), delay(o.reconnect_delay) {
    db.set_autocommit(true);
    db.set_statement_cache_size(0);  // LISTEN and friends are never worth preparing
  }

  /// Connects when needed; a pooler is refused before anything is LISTENed.
  void connect() {
    db.connect();
    if (db.impl_->conn.behind_pooler() && !options.allow_session_pooler) {
      db.close();
      throw detail::listener_behind_pooler("pgwrap::listener");
    }
    connected_once = true;
  }

  /// Runs `call` connected; a lost connection is noted for receive() to
  /// report, and rethrown.
  template <typename Call>
  void connected(Call call) {
    connect();
    try {
      call();
    } catch (const connection_error&) {
      lost = true;
      throw;
    }
  }

  /// Tries to connect again until `deadline`, waiting between attempts as
  /// the backoff says. The database LISTENs again as it connects.
  bool reconnect(steady_clock::time_point deadline) {
    for (;;) {
      if (next_attempt > deadline) {
        std::this_thread::sleep_until(deadline);
        return false;
      }
      std::this_thread::sleep_until(next_attempt);
      try {
        connect();
        delay = options.reconnect_delay;
        return true;
      } catch (const connection_error&) {
        next_attempt = steady_clock::now() + delay;
        delay = std::min(delay * 2, std::max(options.max_reconnect_delay, options.reconnect_delay));
      }
    }
  }
};

listener::listener(std::string conninfo, listener_options options)
    : impl_(std::make_unique<impl>(std::move(conninfo), options)) {}
listener::~listener() = default;
listener::listener(listener&&) noexcept = default;
listener& listener::operator=(listener&&) noexcept = default;

void listener::listen(std::string_view channel) {
  impl& st = *impl_;
  (void)quote_identifier(channel);  // a bad name is refused before connecting
  st.connected([&] { st.db.listen(channel); });
  if (std::find(st.channels.begin(), st.channels.end(), channel) == st.channels.end())
    st.channels.emplace_back(channel);
}

void listener::unlisten(std::string_view channel) {
  impl& st = *impl_;
  st.connected([&] { st.db.unlisten(channel); });
  std::erase(st.channels, channel);
}

void listener::unlisten_all() {
  impl& st = *impl_;
  st.connected([&] { st.db.unlisten_all(); });
  st.channels.clear();
}

const std::vector<std::string>& listener::channels() const noexcept { return impl_->channels; }

std::optional<listener_event> listener::receive(std::chrono::milliseconds timeout) {
  impl& st = *impl_;
  const auto deadline = steady_clock::now() + std::max(timeout, std::chrono::milliseconds{0});
  for (;;) {
    if (st.lost) {
      if (!st.db.is_connected() && !st.reconnect(deadline)) return std::nullopt;
      st.lost = false;
      return listener_event{listener_event::kind::reconnected, {}};
    }
    try {
      if (!st.connected_once) st.connect();
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
      std::optional<notification> n = st.db.wait_notification(std::max(left, std::chrono::milliseconds{0}));
      if (!n) return std::nullopt;
      return listener_event{listener_event::kind::notification, std::move(*n)};
    } catch (const connection_error&) {
      if (!st.connected_once) throw;
      st.lost = true;  // buffered notifications came first; now reconnect and say so
      st.next_attempt = steady_clock::now();
    }
  }
}

bool listener::is_connected() const noexcept { return impl_ && impl_->db.is_connected(); }

void listener::close() noexcept {
  if (!impl_) return;
  impl_->db.impl_->disconnect();  // not db.close(): the database keeps its channels for the next connection
  impl_->connected_once = false;
  impl_->lost = false;
}

}  // namespace pgwrap
