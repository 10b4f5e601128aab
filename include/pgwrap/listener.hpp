#pragma once
/// @file
/// pgwrap::listener: a connection of its own for LISTEN, that keeps its
/// channels across reconnects (docs/notifications.md).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/notification.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// How a listener reconnects, and what it accepts.
struct listener_options {
  /// The first reconnect attempt is immediate; this is the wait before the
  /// second, doubling with every failed attempt up to max_reconnect_delay.
  std::chrono::milliseconds reconnect_delay{100};
  /// The longest wait between two reconnect attempts.
  std::chrono::milliseconds max_reconnect_delay{10'000};
  /// A connection pooler (pgbouncer) is refused by default: in transaction
  /// pooling a LISTEN stays on a server connection other clients then use,
  /// and notifications never come. Set this only for a pooler known to run
  /// in session pooling mode.
  bool allow_session_pooler = false;
};

/// What a listener receives: a notification, or the news that its
/// connection was lost and is back, with every channel listened to again.
/// Notifications sent while it was away are gone: on `reconnected`, re-read
/// whatever state the notifications stand for.
struct listener_event {
  /// Which of the two an event is.
  enum class kind {
    notification,  ///< a NOTIFY arrived: see listener_event::notification
    reconnected    ///< the connection was lost and is back; notifications may have been missed
  };
  kind what = kind::notification;     ///< which of the two this event is
  pgwrap::notification notification;  ///< set when what == kind::notification

  /// True for a `reconnected` event.
  [[nodiscard]] bool reconnected() const noexcept { return what == kind::reconnected; }
};

/// A dedicated connection that LISTENs to channels and hands over what
/// arrives, in order, none twice.
/**
 * ```
 * pgwrap::listener l("dbname=app");
 * l.listen("jobs");
 * for (;;) {
 *   auto event = l.receive(std::chrono::seconds(30));
 *   if (!event) continue;                   // nothing in 30 s
 *   if (event->reconnected()) reload_jobs(); // some may have been missed
 *   else run_job(event->notification.payload);
 * }
 * ```
 * When the connection is lost, receive() reconnects (with backoff, within
 * its timeout), LISTENs again to every channel and then reports exactly one
 * `reconnected` event. Its coroutine twin is pgwrap::async_listener
 * (pgwrap/asio.hpp).
 *
 * @par Thread safety
 * A listener is not thread-safe: use it from one thread at a time.
 */
class listener {
 public:
  /// Nothing connects until the first listen() or receive().
  explicit listener(std::string conninfo, listener_options options = {});
  ~listener();
  /// Takes over the connection, channels and buffered notifications; the
  /// moved-from listener may only be assigned to or destroyed.
  listener(listener&&) noexcept;
  /// Closes this listener's connection, then takes over `other`'s.
  listener& operator=(listener&&) noexcept;
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  /// LISTEN to `channel` (a name, quoted: case and spaces kept), connecting
  /// first when needed. Throws connection_error when it cannot connect, and
  /// usage_error for an empty name, one over 63 bytes, or a pooler refused
  /// by listener_options::allow_session_pooler.
  void listen(std::string_view channel);
  /// UNLISTEN `channel` and forget it, connecting first when needed; errors
  /// as listen().
  void unlisten(std::string_view channel);
  /// UNLISTEN * and forget every channel; errors as listen().
  void unlisten_all();
  /// The channels listened to, in the order first listened.
  [[nodiscard]] const std::vector<std::string>& channels() const noexcept;

  /// The next event, waiting up to `timeout` on the socket (no polling
  /// loop); std::nullopt when nothing came in time. Returns at once when a
  /// notification is already buffered. A lost connection is not an
  /// exception: receive() reconnects and reports it (while reconnecting
  /// fails it returns std::nullopt at the timeout, and goes on trying in the
  /// next call). It throws only what reconnecting cannot mend: a refused
  /// pooler, or a LISTEN the server rejects.
  std::optional<listener_event> receive(std::chrono::milliseconds timeout);

  /// Whether its connection is open now.
  [[nodiscard]] bool is_connected() const noexcept;
  /// Closes the connection, keeping the channels; the next call connects
  /// again and LISTENs to them (and reports no `reconnected`: the caller
  /// chose the gap).
  void close() noexcept;

 private:
  struct PGWRAP_INTERNAL impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pgwrap
PGWRAP_API_END
