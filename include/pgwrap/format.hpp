#pragma once
/// @file
/// Seeing what a call sends, and escaping LIKE patterns.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/arguments.hpp"
#include "pgwrap/sql.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// The SQL text and parameters a call sends (dbapiext's debug print).
struct formatted_query {
  std::string sql;                                 ///< with $1, $2, ... for the parameters
  std::vector<std::optional<std::string>> params;  ///< each parameter's text; nullopt for NULL
  std::vector<std::uint32_t> param_types;          ///< each parameter's type OID (0: inferred)

  /// @brief `sql` followed by the parameters, e.g. `SELECT $1 -- $1 = '42'`. It shows
  /// the values: mind what you log.
  [[nodiscard]] std::string to_string() const;
};

namespace detail {
formatted_query format(std::string_view sql, std::span<const arg_ref> args);
}

/// What `db.query(sql, args...)` would send, without a connection.
/**
 * Checks and throws exactly as the call would.
 * @code
 * std::cout << pgwrap::format_query("SELECT * FROM t WHERE id IN (%s)", pgwrap::list(ids)).to_string();
 * @endcode
 *
 * @par Errors
 * usage_error for what only the call can see: runtime SQL that is malformed
 * or has the wrong number of placeholders, a name without its argument or
 * an argument without its name, an empty list, more than 65535 parameters;
 * conversion_error naming the argument a codec refused.
 */
template <typename... Args>
[[nodiscard]] formatted_query format_query(sql_string<Args...> sql, const Args&... args) {
  const detail::bound_args<Args...> bound(args...);
  return detail::format(sql.text(), bound.refs());
}

/// @brief Escapes LIKE's wildcards, so that `text` matches only itself.
///
/// Escapes `%`, `_` and `\` so that `text` matches itself in a LIKE pattern
/// (PostgreSQL's default LIKE escape character is the backslash):
///     db.query("SELECT * FROM files WHERE name LIKE %s", pgwrap::like_escape(prefix) + "%")
[[nodiscard]] std::string like_escape(std::string_view text);

}  // namespace pgwrap
PGWRAP_API_END
