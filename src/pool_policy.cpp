// The lifecycle rules both pools follow (see pool_policy.hpp).

#include "pool_policy.hpp"

#include <algorithm>
#include <exception>

#include "pgwrap/error.hpp"

namespace pgwrap::detail {

namespace {
void not_negative(std::chrono::milliseconds value, std::string_view who, std::string_view name) {
  if (value.count() < 0) throw usage_error(std::string(who) + ": " + std::string(name) + " is negative");
}
}  // namespace

void validate_pool_sizes(std::size_t max_size, std::size_t min_size, std::string_view who) {
  if (max_size == 0) {
    throw usage_error(std::string(who) + ": max_size is 0; a pool needs room for one connection at least");
  }
  if (min_size > max_size) {
    throw usage_error(std::string(who) + ": min_size (" + std::to_string(min_size) + ") is larger than max_size (" +
                      std::to_string(max_size) + ")");
  }
}

void validate_pool_options(const pool_options& options, std::string_view who) {
  validate_pool_sizes(options.max_size, options.min_size, who);
  not_negative(options.wait_timeout, who, "wait_timeout");
  not_negative(options.ping_after_idle, who, "ping_after_idle");
  not_negative(options.statement_timeout, who, "statement_timeout");
  not_negative(options.max_lifetime, who, "max_lifetime");
  not_negative(options.lifetime_jitter, who, "lifetime_jitter");
  not_negative(options.max_idle, who, "max_idle");
  not_negative(options.health_check_period, who, "health_check_period");
  not_negative(options.reconnect_backoff, who, "reconnect_backoff");
  not_negative(options.reconnect_backoff_max, who, "reconnect_backoff_max");
  if (options.stream_batch_size == 0) throw usage_error(std::string(who) + ": stream_batch_size is 0");
  if (options.reconnect_backoff_max < options.reconnect_backoff) {
    throw usage_error(std::string(who) + ": reconnect_backoff_max is smaller than reconnect_backoff");
  }
}

pool_clock::time_point expiry(pool_clock::time_point opened, const pool_options& options, std::mt19937_64& rng) {
  if (options.max_lifetime.count() == 0) return pool_clock::time_point::max();
  std::chrono::milliseconds extra{0};
  if (options.lifetime_jitter.count() > 0) {
    extra = std::chrono::milliseconds(
        std::uniform_int_distribution<std::chrono::milliseconds::rep>(0, options.lifetime_jitter.count())(rng));
  }
  return opened + options.max_lifetime + extra;
}

std::optional<close_reason> retire_reason(const connection_life& life, pool_clock::time_point now,
                                          std::uint64_t generation, std::size_t size, std::size_t max_size) noexcept {
  if (life.generation != generation) return close_reason::drained;
  if (size > max_size) return close_reason::resized;
  if (now >= life.expires) return close_reason::expired;
  return std::nullopt;
}

bool idle_too_long(pool_clock::time_point since, pool_clock::time_point now, const pool_options& options,
                   std::size_t size, std::size_t min_size) noexcept {
  return options.max_idle.count() > 0 && size > min_size && now - since >= options.max_idle;
}

bool needs_maintenance(const pool_options& options) noexcept {
  return options.min_size > 0 || options.max_lifetime.count() > 0 || options.max_idle.count() > 0 ||
         options.health_check_period.count() > 0;
}

pool_clock::duration maintenance_period(const pool_options& options) noexcept {
  if (options.health_check_period.count() > 0) return options.health_check_period;
  return std::chrono::seconds(1);
}

bool connect_backoff::failed(const pool_options& options, pool_clock::time_point now) noexcept {
  ++failures;
  delay = delay.count() == 0 ? options.reconnect_backoff : std::min(delay * 2, options.reconnect_backoff_max);
  next_attempt = now + delay;
  return failures >= options.connect_failures_to_report;
}

void report_connect_failure(const pool_options& options, std::size_t failures, std::string_view message) noexcept {
  if (!options.on_connect_failure) return;
  try {
    options.on_connect_failure(failures, message);
  } catch (...) {  // NOLINT(bugprone-empty-catch): documented as must not throw; a pool cannot act on it
  }
}

std::string next_conninfo(const pool_options& options, const std::string& fixed) {
  if (!options.conninfo_provider) return fixed;
  std::string info;
  try {
    info = options.conninfo_provider();
  } catch (const std::exception& e) {
    throw connection_error(std::string("pool: conninfo_provider threw: ") + e.what());
  }
  if (info.empty()) throw connection_error("pool: conninfo_provider returned an empty conninfo");
  return info;
}

}  // namespace pgwrap::detail
