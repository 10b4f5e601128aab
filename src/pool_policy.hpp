#pragma once
// The lifecycle rules both pools follow (pool in src/pool.cpp, async_pool in
// src/asio/async_pool.cpp): which options are valid, when a connection
// expires or is no longer wanted, and how long to wait after a failed
// connection attempt. The two faces differ in how they wait, not in these.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "pgwrap/observer.hpp"
#include "pgwrap/pool.hpp"

namespace pgwrap::detail {

using pool_clock = std::chrono::steady_clock;

/// usage_error naming the option when `options` cannot work; `who` is the
/// pool's class name, for the message.
void validate_pool_options(const pool_options& options, std::string_view who);
/// usage_error for a resize() the pool cannot take.
void validate_pool_sizes(std::size_t max_size, std::size_t min_size, std::string_view who);

/// What a pool knows of one open connection.
struct connection_life {
  pool_clock::time_point expires = pool_clock::time_point::max();
  std::uint64_t generation = 0;  // the pool's drain() count when it was opened
  std::string conninfo;          // what it was opened with (conninfo_provider may vary it)
};

/// When a connection opened `opened` expires: max_lifetime plus a random
/// share of lifetime_jitter; never when max_lifetime is 0.
[[nodiscard]] pool_clock::time_point expiry(pool_clock::time_point opened, const pool_options& options,
                                            std::mt19937_64& rng);

/// Why a connection that is not in use must be closed now, if it must:
/// drained since it was opened, no room for it after a resize (`size`
/// counts it), or past its lifetime.
[[nodiscard]] std::optional<close_reason> retire_reason(const connection_life& life, pool_clock::time_point now,
                                                        std::uint64_t generation, std::size_t size,
                                                        std::size_t max_size) noexcept;

/// Whether an idle connection, idle since `since`, has been idle too long
/// while the pool holds more than min_size (`size` counts it).
[[nodiscard]] bool idle_too_long(pool_clock::time_point since, pool_clock::time_point now, const pool_options& options,
                                 std::size_t size, std::size_t min_size) noexcept;

/// Whether the pool needs a background thread (or timer) at all.
[[nodiscard]] bool needs_maintenance(const pool_options& options) noexcept;
/// How often the background work runs.
[[nodiscard]] pool_clock::duration maintenance_period(const pool_options& options) noexcept;

/// Failed connection attempts in a row, and when to try again.
struct connect_backoff {
  std::size_t failures = 0;
  std::chrono::milliseconds delay{0};
  pool_clock::time_point next_attempt{};

  /// Counts a failure; true when on_connect_failure is to be told.
  bool failed(const pool_options& options, pool_clock::time_point now) noexcept;
  void succeeded() noexcept { *this = {}; }
};

/// Tells on_connect_failure (when set) of a failed attempt; never throws.
void report_connect_failure(const pool_options& options, std::size_t failures, std::string_view message) noexcept;

/// The conninfo for a new connection: conninfo_provider's, else `fixed`.
/// connection_error when the provider throws or gives an empty string.
[[nodiscard]] std::string next_conninfo(const pool_options& options, const std::string& fixed);

}  // namespace pgwrap::detail
