// detail::async_session, LISTEN/NOTIFY: the channels it remembers and
// LISTENs to again on every connect, and the coroutines waiting for a
// notification (see async_session.hpp).
//
// A notification is handed to a waiter on the strand, but the waiter's
// coroutine may have been cancelled meanwhile on its own executor (the
// timer of a `||` fired first): Asio would then drop the answer. So the
// answer and the cancellation race for the waiter's state on the caller's
// executor, and a notification that lost is given back, to go to the next
// waiter in its turn.

#include <algorithm>
#include <utility>

#include "asio/async_session.hpp"

namespace pgwrap::detail {

using engine::command;

net::awaitable<std::optional<notification>> async_session::wait_notification(
    std::optional<std::chrono::milliseconds> timeout, bool may_connect) {
  std::shared_ptr<async_session> self = shared_from_this();
  // Named, not a temporary in the co_await expression (GCC bug 100611).
  const auto initiation = [self, timeout, may_connect](auto handler) {
    auto w = std::make_shared<waiter>(self->strand_);
    const std::weak_ptr<async_session> weak = self;
    auto slot = net::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([weak, w](net::cancellation_type) {
        if (!w->settle(waiter::cancelled)) return;  // its answer got there first
        if (std::shared_ptr<async_session> s = weak.lock()) net::post(s->strand_, [s, w] { s->cancel_wait(w); });
      });
    }
    const auto caller = net::get_associated_executor(handler, self->executor);
    auto answer = [h = std::move(handler), weak, w](std::exception_ptr error, std::optional<notification> n) mutable {
      if (!w->settle(waiter::answered)) {  // cancelled first: the caller will never see it
        if (n) {
          if (std::shared_ptr<async_session> s = weak.lock()) {
            net::post(s->strand_, [s, sequence = w->sequence, given = std::move(*n)]() mutable {
              s->give_back(sequence, std::move(given));
            });
          }
        }
        error = aborted();
        n.reset();
      }
      std::move(h)(std::move(error), std::move(n));
    };
    // The answer runs on the caller's executor, with the caller's slot (cleared there).
    w->done = async_completion<std::exception_ptr, std::optional<notification>>(
        net::bind_executor(caller, net::bind_cancellation_slot(slot, std::move(answer))), self->executor);
    net::post(self->strand_, [self, w, timeout, may_connect] { self->add_waiter(w, timeout, may_connect); });
  };
  std::optional<notification> n =
      co_await net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, std::optional<notification>)>(
          initiation, net::use_awaitable);
  co_return n;
}

void async_session::add_waiter(const waiter_ptr& w, std::optional<std::chrono::milliseconds> timeout,
                               bool may_connect) {
  if (w->state != waiter::pending) {  // cancelled on its way here
    finish_waiter(*w, aborted());
    return;
  }
  read_notifications();
  deliver_notifications();
  if (waiters_.empty()) {  // else others wait already: it queues behind them
    notification n;
    if (take_notification(w->sequence, n)) {
      finish_waiter(*w, nullptr, std::move(n));
      return;
    }
  }
  if (closed_) {
    finish_waiter(*w, std::make_exception_ptr(usage_error("the database is closed; call connect() to open it again")));
    return;
  }
  if (timeout && timeout->count() <= 0) {
    finish_waiter(*w, nullptr);
    return;
  }
  if (!conn_.is_ok() && !connecting_) {
    if (!may_connect) {
      finish_waiter(*w, std::make_exception_ptr(connection_error("not connected", true)));
      return;
    }
    auto connect = std::make_shared<op>();  // connects, LISTENing to the remembered channels; nobody awaits it
    connect->kind = op_kind::connect;
    queue_.push_back(std::move(connect));
    queued_count = queue_.size();
  }
  waiters_.push_back(w);
  if (timeout && *timeout < std::chrono::hours(24 * 365 * 100)) {  // longer: no timer (the clock would overflow)
    w->timer.expires_after(*timeout);
    w->timer.async_wait([weak = std::weak_ptr<async_session>(shared_from_this()),
                         weak_waiter = std::weak_ptr<waiter>(w)](const net_error_code& ec) {
      const std::shared_ptr<async_session> s = weak.lock();
      const waiter_ptr expired = weak_waiter.lock();
      if (ec || !s || !expired || expired->finished) return;
      std::erase(s->waiters_, expired);
      s->finish_waiter(*expired, nullptr);  // nothing came in time
    });
  }
  if (!pump_scheduled_) pump();  // connects if needed, watches the socket, hands over what is there
}

// Reads what an idle connection received; a session the server closed
// meanwhile is noticed here, before anyone waits on it.
void async_session::read_notifications() {
  if (!in_flight_.empty() || connecting_ || !conn_.is_open())
    return;  // the socket is read for the answers, notifications with them
  if (conn_.is_ok()) conn_.read_idle_input();
  if (conn_.server_closing() || !conn_.is_ok()) lost_while_idle();
}

bool async_session::take_notification(std::uint64_t& sequence, notification& n) {
  if (!returned_.empty()) {  // given back: older than anything still in the engine's buffer
    auto node = returned_.extract(returned_.begin());
    sequence = node.key();
    n = std::move(node.mapped());
    return true;
  }
  std::optional<notification> next = conn_.take_notification();
  if (!next) return false;
  sequence = ++taken_;
  n = std::move(*next);
  return true;
}

void async_session::deliver_notifications() {
  while (!waiters_.empty()) {
    notification n;
    if (!take_notification(waiters_.front()->sequence, n)) return;
    const waiter_ptr w = std::move(waiters_.front());
    waiters_.pop_front();
    finish_waiter(*w, nullptr, std::move(n));
  }
}

void async_session::finish_waiter(waiter& w, std::exception_ptr error, std::optional<notification> n) {
  if (w.finished) return;
  w.finished = true;
  w.timer.cancel();
  w.done.complete(std::move(error), std::move(n));
}

void async_session::fail_waiters(const std::exception_ptr& error) {
  const std::deque<waiter_ptr> failing = std::move(waiters_);
  waiters_.clear();
  for (const waiter_ptr& w : failing) finish_waiter(*w, error);
}

// The server closed the session while nothing was in flight: the waiters
// learn it (they would otherwise wait on the next connection, unaware that
// notifications may have been missed); statements about to go connect again.
void async_session::lost_while_idle() {
  deliver_notifications();
  fail_waiters(std::make_exception_ptr(
      connection_error("connection lost while waiting for a notification: " + conn_.error_message())));
  close_connection();
}

void async_session::cancel_wait(const waiter_ptr& w) {
  if (w->finished) return;
  std::erase(waiters_, w);
  finish_waiter(*w, aborted());
}

void async_session::give_back(std::uint64_t sequence, notification n) {
  returned_.emplace(sequence, std::move(n));
  deliver_notifications();
}

void async_session::disconnect() {
  net::post(strand_, [self = shared_from_this()] {
    self->fail_waiters(aborted());
    if (self->connecting_) {
      self->connect_failed("the connection was closed (async_listener::close())");
    } else if (self->conn_.is_open()) {
      self->connection_lost("the connection was closed (async_listener::close())");
    }
  });
}

// From the moment LISTEN / UNLISTEN is sent: a connection lost before its
// answer still LISTENs again to a channel on the next one (LISTEN twice is
// harmless), and never to one being unlistened.
void async_session::remember_channels(const op& o) {
  if (o.kind == op_kind::unlisten) {
    if (o.channel.empty())
      channels_.clear();
    else
      std::erase(channels_, o.channel);
  } else if (std::find(channels_.begin(), channels_.end(), o.channel) == channels_.end()) {
    channels_.push_back(o.channel);
  }
}

void async_session::forget_notifications() noexcept {
  conn_.discard_notifications();
  returned_.clear();
}

// A new connection LISTENs to the remembered channels, in one request, as
// part of connecting; false when there are none.
bool async_session::send_listens() {
  if (channels_.empty()) return false;
  std::vector<std::string> sql;
  std::vector<command> commands;
  sql.reserve(channels_.size());
  commands.reserve(channels_.size());
  for (const std::string& channel : channels_) sql.push_back("LISTEN " + quote_identifier(channel));
  for (const std::string& s : sql) commands.push_back(command::query(s.c_str()));
  try {
    set_up_ = conn_.submit(commands);
  } catch (const connection_error& e) {
    connect_failed(e.what());
    return true;
  }
  relistening_ = true;
  flush_and_watch();
  return true;
}

}  // namespace pgwrap::detail
