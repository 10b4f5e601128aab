// Turning pgwrap's %-directives into PostgreSQL's $n placeholders, and the
// run-time half of the SQL check: the same scanner as the compile-time check,
// with the same rules, reporting through usage_error instead.

#include <string>
#include <string_view>

#include "internal.hpp"
#include "pgwrap/detail/scanner.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap::detail {

namespace {
std::string_view scan_error_text(scan_error e) {
  switch (e) {
    case scan_error::none: break;
    case scan_error::unterminated_quoted_string: return "unterminated quoted string";
    case scan_error::unterminated_quoted_identifier: return "unterminated quoted identifier";
    case scan_error::unterminated_dollar_quote: return "unterminated dollar-quoted string";
    case scan_error::unterminated_block_comment: return "unterminated /* comment";
    case scan_error::dollar_placeholder:
      return "$n placeholder written by hand; write %s and pass the value as an argument";
    case scan_error::percent_at_end: return "'%' at the end; write %% for a literal percent sign";
    case scan_error::unknown_directive:
      return "unknown directive; write %% for a literal percent sign (e.g. the modulo operator)";
    case scan_error::malformed_named_directive: return "malformed named directive; write %(name)s";
  }
  return "no error";
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

[[noreturn]] void fail(std::string_view sql, scan_result r) {
  std::string message = "invalid SQL: ";
  message += scan_error_text(r.error);
  message += " at offset " + std::to_string(r.position) + ": ";
  constexpr std::size_t context = 30;
  message += sql.substr(r.position, context);
  if (sql.size() > r.position + context) message += "...";
  throw usage_error(message);
}
}  // namespace

void expand_sql(std::string_view sql, std::size_t argument_count, std::string& out) {
  // One pass both checks and expands: a literal was checked at compile time
  // already, and runtime SQL gets the same checks here, before anything is sent.
  out.clear();
  out.reserve(sql.size() + 8);
  std::size_t copied = 0;
  std::size_t placeholders = 0;
  const scan_result scanned = scan_sql(sql, [&](const directive& d) {
    out.append(sql.substr(copied, d.begin - copied));
    copied = d.end;
    switch (d.kind) {
      case directive_kind::percent: out += '%'; break;
      case directive_kind::positional:
        out += '$';
        out += std::to_string(++placeholders);
        break;
      default:
        throw usage_error("directive " + std::string(sql.substr(d.begin, d.end - d.begin)) +
                          " is not supported yet");
    }
  });
  if (scanned.error != scan_error::none) fail(sql, scanned);
  if (placeholders != argument_count) {
    throw usage_error("the SQL has " + plural(placeholders, "placeholder") + " but " +
                      plural(argument_count, "argument") +
                      (argument_count == 1 ? " was given" : " were given"));
  }
  out.append(sql.substr(copied));
}

}  // namespace pgwrap::detail
