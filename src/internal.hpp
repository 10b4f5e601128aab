#pragma once
// Declarations shared by pgwrap's sources; never installed.

#include <libpq-fe.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace pgwrap::detail {

/// Throws the sql_error subclass that matches the result's SQLSTATE.
[[noreturn]] void throw_sql_error(const PGresult* res, std::string_view query);

/// Removes the password in `conninfo` (if any) from a libpq message.
[[nodiscard]] std::string redact_password(std::string message, std::string_view conninfo);

/// Writes `sql` to `out` with each %s replaced by $1, $2, ... and %% by %.
/// Throws usage_error naming the problem and where it is, or the count
/// mismatch, so runtime SQL meets the rules literals meet at compile time.
void expand_sql(std::string_view sql, std::size_t argument_count, std::string& out);

}  // namespace pgwrap::detail
