#pragma once
// Declarations shared by pgwrap's sources; never installed.

#include <libpq-fe.h>

#include <cstddef>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "pgwrap/arguments.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap::detail {

/// Throws the sql_error subclass that matches the result's SQLSTATE.
[[noreturn]] void throw_sql_error(const PGresult* res, std::string_view query,
                                  std::size_t statement_index = sql_error::no_index);

/// The conninfo as key=value pairs with the password masked, for display.
[[nodiscard]] std::string masked_conninfo(std::string_view conninfo);

/// Removes the password in `conninfo` (if any) from a libpq message.
[[nodiscard]] std::string redact_password(std::string message, std::string_view conninfo);

/// Writes `sql` to `out` with each directive expanded (%s to $n, %S to a SET
/// list, %I to a quoted name, ...) and the parameters, in $n order, to
/// `params`. Throws usage_error naming the problem and where it is, so
/// runtime SQL meets the rules literals meet at compile time.
void expand_sql(std::string_view sql, std::span<const arg_ref> args, std::string& out,
                std::vector<param_ref>& params);

/// True when every directive in `sql` is %s or %% (so its expansion does not
/// depend on the arguments' values).
[[nodiscard]] bool only_positional(std::string_view sql);

}  // namespace pgwrap::detail
