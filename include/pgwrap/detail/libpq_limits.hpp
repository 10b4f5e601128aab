#pragma once
// Limits of the libpq pgwrap runs with, found at run time, and a switch for
// pgwrap's own tests to take the paths an older libpq needs.

#include <cstddef>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap::detail {

/// Whether this libpq drops the connection on a ParameterDescription message
/// over 30,000 bytes (about 7,500 parameters): releases before the fix of
/// April 2026. Statements with more than max_described_parameters are then
/// never described: they run unprepared, their rows in text.
[[nodiscard]] bool parameter_description_limited() noexcept;
inline constexpr std::size_t max_described_parameters = 7000;

/// For tests: behave as with such a libpq whatever libpq is loaded.
void force_parameter_description_limit(bool on) noexcept;

}  // namespace pgwrap::detail
PGWRAP_API_END
