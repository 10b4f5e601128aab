#pragma once
/// @file
/// SQL text with %-directives, checked at compile time when it is a literal.

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "pgwrap/arguments.hpp"
#include "pgwrap/detail/scanner.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// @brief Marks SQL built at run time. Such text is checked by the same rules as a
/// literal, when the call runs, and a mistake is a `usage_error` thrown
/// before anything is sent.
/**
 * The text is viewed, not copied: it must outlive the call it is passed to.
 * Values still travel as parameters; runtime_sql only says the SQL text
 * itself was not known at compile time.
 */
struct runtime_sql {
  /// @brief Wraps `sql`, without copying it.
  /// @code
  /// const std::string sql = read_file("reports/monthly.sql");  // with %s directives
  /// db.query(pgwrap::runtime_sql(sql), year);
  /// @endcode
  constexpr explicit runtime_sql(std::string_view sql) noexcept : text(sql) {}
  /// The SQL, viewed.
  std::string_view text;
};

namespace detail {
// Reaching one of these in a constant expression is the compile error, and
// the function's name is the message (none is constexpr, none is defined).
void sql_error_unterminated_quoted_string();
void sql_error_unterminated_quoted_identifier();
void sql_error_unterminated_dollar_quote();
void sql_error_unterminated_block_comment();
void sql_error_dollar_placeholder_write_percent_s_instead();
void sql_error_percent_at_end_write_percent_percent_for_a_literal_percent();
void sql_error_unknown_directive_write_percent_percent_for_a_literal_percent();
void sql_error_malformed_named_directive_expected_percent_paren_name_paren_s();
void sql_error_more_placeholders_than_arguments();
void sql_error_fewer_placeholders_than_arguments();
void sql_error_percent_s_needs_a_value_or_a_list_not_a_map();
void sql_error_percent_s_needs_a_value_or_a_list_not_an_identifier();
void sql_error_percent_S_W_A_O_need_a_map_argument();
void sql_error_percent_I_needs_an_identifier_or_a_string_argument();
void sql_error_named_directives_and_named_arguments_differ_in_number();

constexpr void fail_at_compile_time(scan_error e) {
  switch (e) {
    case scan_error::none: return;
    case scan_error::unterminated_quoted_string: sql_error_unterminated_quoted_string(); return;
    case scan_error::unterminated_quoted_identifier: sql_error_unterminated_quoted_identifier(); return;
    case scan_error::unterminated_dollar_quote: sql_error_unterminated_dollar_quote(); return;
    case scan_error::unterminated_block_comment: sql_error_unterminated_block_comment(); return;
    case scan_error::dollar_placeholder: sql_error_dollar_placeholder_write_percent_s_instead(); return;
    case scan_error::percent_at_end: sql_error_percent_at_end_write_percent_percent_for_a_literal_percent(); return;
    case scan_error::unknown_directive:
      sql_error_unknown_directive_write_percent_percent_for_a_literal_percent();
      return;
    case scan_error::malformed_named_directive:
      sql_error_malformed_named_directive_expected_percent_paren_name_paren_s();
      return;
  }
}

template <typename... Args>
inline constexpr std::size_t named_count = (0 + ... + (is_named_arg<std::remove_cvref_t<Args>>::value ? 1 : 0));
template <typename... Args>
inline constexpr std::size_t positional_count = sizeof...(Args) - named_count<Args...>;

/// The categories of the positional arguments, in order.
template <typename... Args>
consteval std::array<arg_category, positional_count<Args...>> positional_categories() {
  std::array<arg_category, positional_count<Args...>> out{};
  std::size_t i = 0;
  ((is_named_arg<std::remove_cvref_t<Args>>::value ? void() : void(out[i++] = category_of<Args>())), ...);
  return out;
}

/// Whether a directive can take an argument of a category (the run-time twin
/// is in src/sql.cpp).
constexpr bool fits(directive_kind kind, arg_category category) {
  switch (kind) {
    case directive_kind::positional:
    case directive_kind::named:
      return category == arg_category::value || category == arg_category::text_value ||
             category == arg_category::list || category == arg_category::map_value;
    case directive_kind::set_list:
    case directive_kind::and_list:
    case directive_kind::or_list: return is_map_category(category);
    case directive_kind::identifier:
      return category == arg_category::identifier || category == arg_category::text_value;
    case directive_kind::percent: break;
  }
  return false;
}

constexpr void check_fits_at_compile_time(directive_kind kind, arg_category category) {
  if (fits(kind, category) || category == arg_category::unsupported) return;  // unsupported: binder says why
  switch (kind) {
    case directive_kind::set_list:
    case directive_kind::and_list:
    case directive_kind::or_list: sql_error_percent_S_W_A_O_need_a_map_argument(); return;
    case directive_kind::identifier: sql_error_percent_I_needs_an_identifier_or_a_string_argument(); return;
    default:
      if (category == arg_category::map) sql_error_percent_s_needs_a_value_or_a_list_not_a_map();
      if (category == arg_category::identifier) sql_error_percent_s_needs_a_value_or_a_list_not_an_identifier();
  }
}

/// The number of different names among the %(name)s directives.
constexpr std::size_t distinct_names(std::string_view sql) {
  std::size_t distinct = 0;
  scan_sql(sql, [&](const directive& d) {
    if (d.kind != directive_kind::named) return;
    bool seen = false;
    scan_sql(sql.substr(0, d.begin), [&](const directive& e) {
      if (e.kind == directive_kind::named && e.name == d.name) seen = true;
    });
    if (!seen) ++distinct;
  });
  return distinct;
}

/// SQL as a call passes it inward: its text, whether it was checked at
/// compile time, and its summary for observers (incomplete for runtime SQL).
struct sql_ref {
  std::string_view text;
  bool checked = false;
  statement_summary summary;
};
}  // namespace detail

/// SQL text for a call taking `Args...`; build it from a string literal.
/**
 * The constructor is consteval: a literal is scanned at compile time, and an
 * unterminated quote or comment, an unknown directive, a hand-written `$1`, a
 * placeholder count that differs from the argument count, an argument of the
 * wrong kind for its directive (a map for %s, an int for %S or %I) or a
 * number of distinct %(name)s that differs from the named arguments does
 * not compile. Which name goes with which named argument is checked when the
 * call runs (the names are values, not types).
 * Text known only at run time must be wrapped in `pgwrap::runtime_sql`.
 */
template <typename... Args>
class basic_sql_string {
 public:
  /// Checks the literal `sql` against `Args...` at compile time.
  /**
   * A mistake does not compile, and the compiler's message names a function
   * such as `sql_error_more_placeholders_than_arguments`.
   *
   * @par Lifetime
   * The text is viewed, not copied (a literal lives as long as the program).
   */
  template <typename S>
  requires std::is_convertible_v<const S&, std::string_view>
  consteval basic_sql_string(const S& sql) : text_(sql) {  // NOLINT(google-explicit-constructor)
    constexpr auto arguments = detail::positional_categories<Args...>();
    std::size_t positional = 0;
    const detail::scan_result scanned = detail::scan_sql(text_, [&](const detail::directive& d) {
      if (!detail::takes_positional_argument(d.kind)) return;
      if (positional < arguments.size()) detail::check_fits_at_compile_time(d.kind, arguments[positional]);
      ++positional;
    });
    detail::fail_at_compile_time(scanned.error);
    if (positional > arguments.size()) detail::sql_error_more_placeholders_than_arguments();
    if (positional < arguments.size()) detail::sql_error_fewer_placeholders_than_arguments();
    if (detail::distinct_names(text_) != detail::named_count<Args...>) {
      detail::sql_error_named_directives_and_named_arguments_differ_in_number();
    }
    summary_ = detail::summarize_sql(text_, detail::sql_form::directives);
  }

  /// Text known only at run time, checked when the call runs (usage_error).
  // NOLINTNEXTLINE(google-explicit-constructor)
  constexpr basic_sql_string(runtime_sql sql) noexcept : text_(sql.text), checked_(false) {}

  /// The SQL text, as written (directives not yet expanded).
  [[nodiscard]] constexpr std::string_view text() const noexcept { return text_; }
  /// True when the text was checked at compile time.
  [[nodiscard]] constexpr bool checked() const noexcept { return checked_; }
  /// @brief What observers are told (pgwrap::event): the verb ("SELECT") and the first table.
  ///
  /// Found at compile time for a literal; "" for runtime SQL, whose summary
  /// is found from the SQL as sent, when an observer asks.
  /// @{
  [[nodiscard]] constexpr std::string_view operation_name() const noexcept { return summary_.operation; }
  [[nodiscard]] constexpr std::string_view collection_name() const noexcept { return summary_.collection; }
  /// @}
  /// @brief The text, whether it was checked and its summary, as pgwrap's calls
  /// pass SQL inward (internal; not needed by users).
  [[nodiscard]] constexpr detail::sql_ref ref() const noexcept { return {text_, checked_, summary_}; }

 private:
  std::string_view text_;
  // The summary before the bool: clang 14, emitting the object the consteval
  // constructor made for a by-value parameter, writes a member that follows a
  // bool into the bool's padding, so every observer saw a garbage summary.
  detail::statement_summary summary_{};
  bool checked_ = true;
};

/// @brief The parameter type of every call that takes SQL. Args are deduced from
/// the values passed, never from the SQL (as fmt's format_string).
template <typename... Args>
using sql_string = basic_sql_string<std::type_identity_t<std::remove_cvref_t<Args>>...>;

namespace detail {
/// The SQL type for rows of arguments given as std::tuple<Args...> (executemany).
template <typename Row>
struct sql_for_row;
template <typename... Args>
struct sql_for_row<std::tuple<Args...>> {
  using type = sql_string<Args...>;
};

/// The SQL type for executemany's `rows`. For a non-range it is a stand-in,
/// so that the call fails on executemany's constraint, which says what is
/// wrong; clang 14 substitutes this type before checking the constraint.
struct rows_are_not_a_range {};
template <typename Rows>
struct sql_for_rows {
  using type = rows_are_not_a_range;
};
template <iterable Rows>
struct sql_for_rows<Rows> : sql_for_row<range_element_t<Rows>> {};
}  // namespace detail

}  // namespace pgwrap
PGWRAP_API_END
