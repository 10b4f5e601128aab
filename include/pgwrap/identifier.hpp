#pragma once
/// @file
/// SQL identifiers (table and column names), always quoted.

#include <string>
#include <string_view>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// A table, column or other name, optionally schema-qualified.
/**
 * It is always sent quoted ("users", "my schema"."Order"), so any string is
 * safe as a name: it can never change the statement's structure. Quoting also
 * makes the name case-sensitive, as in PostgreSQL: ident("Users") is not users.
 *
 * A dot inside a single name is part of the name: ident("a.b") is the table
 * "a.b"; write ident("a", "b") for table b in schema a.
 *
 * Throws usage_error for an empty name, a name with a NUL byte, or a name
 * longer than 63 bytes (the server would silently cut it short).
 */
class ident {
 public:
  /// The name `name`, quoted; implicit, so `"users"` reads as a name.
  /** @par Errors
   *  usage_error as above. */
  /// @{
  ident(std::string_view name);  // NOLINT(google-explicit-constructor): "users" reads as a name
  ident(const char* name) : ident(std::string_view(name)) {}         // NOLINT(google-explicit-constructor)
  ident(const std::string& name) : ident(std::string_view(name)) {}  // NOLINT(google-explicit-constructor)
  /// @}
  /// @brief `name` in `schema`: each part is quoted, and a dot joins them.
  /**
   * @par Errors
   * usage_error as above, for either part.
   */
  ident(std::string_view schema, std::string_view name);

  /// The quoted form, ready to stand in SQL text.
  [[nodiscard]] const std::string& quoted() const noexcept { return quoted_; }

 private:
  std::string quoted_;
};

/// Quotes one name as a PostgreSQL identifier; throws usage_error as ident does.
[[nodiscard]] std::string quote_identifier(std::string_view name);

}  // namespace pgwrap
PGWRAP_API_END
