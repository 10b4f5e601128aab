#pragma once
// The pool's narrow door into a database: what a pool must know or do with
// a connection that a database's public members do not offer. Only the pool
// (src/pool.cpp) goes through it.

#include <string>

#include "observe/operation.hpp"
#include "pgwrap/database.hpp"
#include "pgwrap/pool.hpp"

namespace pgwrap::detail {

struct pool_gate {
  /// Whether an idle connection may be handed out. Reads what arrived while
  /// it sat idle (no round trip), and pings the server when `ping` or when
  /// something did arrive.
  static bool alive(database& db, bool ping) noexcept;
  /// Returns a connection to a new user's state, in one round trip, with the
  /// pool's settings; false when it cannot be (it is then closed instead).
  static bool reset(database& db, const pool_options& options, const std::string& conninfo) noexcept;
  /// Still inside a call or a transaction guard: something may refer to it,
  /// so it is closed but neither freed nor reused.
  static bool in_use(const database& db) noexcept;
  /// Closed or lost (why a reset failed, for observers).
  static bool broken(const database& db) noexcept;
  /// Operations on `db` are seen by the pool's observers too; `observers`
  /// outlives `db`.
  static void observe_with(database& db, const observer_set& observers) noexcept;
};

}  // namespace pgwrap::detail
