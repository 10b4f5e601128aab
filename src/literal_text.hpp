#pragma once
// The text of one element inside a record or range literal, quoted as the
// server's record_out and range_out quote it, so pgwrap's text of a value
// equals the server's.

#include <string>
#include <string_view>

namespace pgwrap::detail {

// isspace() in the C locale, as the server's literal parsers and printers use it.
inline bool is_literal_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/// Appends `text`, in double quotes (with '"' and '\\' doubled inside) when it
/// is empty or holds '"', '\\', white space or a character `delimits` says
/// would end the element.
template <typename Delimits>
void append_literal_element(std::string_view text, Delimits delimits, std::string& out) {
  bool quote = text.empty();
  for (const char c : text) {
    if (c == '"' || c == '\\' || is_literal_space(c) || delimits(c)) {
      quote = true;
      break;
    }
  }
  if (quote) out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') out += c;
    out += c;
  }
  if (quote) out += '"';
}

}  // namespace pgwrap::detail
