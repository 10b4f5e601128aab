#pragma once
/// @file
/// SQL text with %-directives, checked at compile time when it is a literal.

#include <cstddef>
#include <string_view>
#include <type_traits>

#include "pgwrap/detail/scanner.hpp"

namespace pgwrap {

/// Marks SQL built at run time. Such text is checked by the same rules as a
/// literal, when the call runs, and a mistake is a `usage_error` thrown
/// before anything is sent.
/**
 * The text is viewed, not copied: it must outlive the call it is passed to.
 * Values still travel as parameters; runtime_sql only says the SQL text
 * itself was not known at compile time.
 */
struct runtime_sql {
  constexpr explicit runtime_sql(std::string_view sql) noexcept : text(sql) {}
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

consteval void fail_at_compile_time(scan_error e) {
  switch (e) {
    case scan_error::none: return;
    case scan_error::unterminated_quoted_string: sql_error_unterminated_quoted_string(); return;
    case scan_error::unterminated_quoted_identifier: sql_error_unterminated_quoted_identifier(); return;
    case scan_error::unterminated_dollar_quote: sql_error_unterminated_dollar_quote(); return;
    case scan_error::unterminated_block_comment: sql_error_unterminated_block_comment(); return;
    case scan_error::dollar_placeholder: sql_error_dollar_placeholder_write_percent_s_instead(); return;
    case scan_error::percent_at_end:
      sql_error_percent_at_end_write_percent_percent_for_a_literal_percent();
      return;
    case scan_error::unknown_directive:
      sql_error_unknown_directive_write_percent_percent_for_a_literal_percent();
      return;
    case scan_error::malformed_named_directive:
      sql_error_malformed_named_directive_expected_percent_paren_name_paren_s();
      return;
  }
}

/// How many of Args are positional (everything but named arguments).
template <typename T>
struct is_named_argument : std::false_type {};
template <typename... Args>
inline constexpr std::size_t positional_count = (0 + ... + (is_named_argument<Args>::value ? 0 : 1));
}  // namespace detail

/// SQL text for a call taking `Args...`; build it from a string literal.
/**
 * The constructor is consteval: a literal is scanned at compile time, and an
 * unterminated quote or comment, an unknown directive, a hand-written `$1` or
 * a placeholder count that differs from the argument count does not compile.
 * Text known only at run time must be wrapped in `pgwrap::runtime_sql`.
 */
template <typename... Args>
class basic_sql_string {
 public:
  template <typename S>
    requires std::is_convertible_v<const S&, std::string_view>
  consteval basic_sql_string(const S& sql) : text_(sql) {  // NOLINT(google-explicit-constructor)
    const detail::sql_shape shape = detail::analyze_sql(text_);
    detail::fail_at_compile_time(shape.scan.error);
    constexpr std::size_t arguments = detail::positional_count<Args...>;
    if (shape.positional > arguments) detail::sql_error_more_placeholders_than_arguments();
    if (shape.positional < arguments) detail::sql_error_fewer_placeholders_than_arguments();
  }

  // NOLINTNEXTLINE(google-explicit-constructor)
  constexpr basic_sql_string(runtime_sql sql) noexcept : text_(sql.text), checked_(false) {}

  [[nodiscard]] constexpr std::string_view text() const noexcept { return text_; }
  /// True when the text was checked at compile time.
  [[nodiscard]] constexpr bool checked() const noexcept { return checked_; }

 private:
  std::string_view text_;
  bool checked_ = true;
};

/// The parameter type of every call that takes SQL. Args are deduced from
/// the values passed, never from the SQL (as fmt's format_string).
template <typename... Args>
using sql_string = basic_sql_string<std::type_identity_t<std::remove_cvref_t<Args>>...>;

}  // namespace pgwrap
