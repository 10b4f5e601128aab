#pragma once
/// @file
/// A notification sent with NOTIFY or pg_notify() to a channel a connection
/// LISTENs to (docs/notifications.md).

#include <string>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// One NOTIFY, as the server delivered it.
struct notification {
  std::string channel;  ///< the channel's name, exactly as given to LISTEN (case kept)
  std::string payload;  ///< "" when none was given
  int backend_pid = 0;  ///< the server process of the session that sent it
};

}  // namespace pgwrap
PGWRAP_API_END
