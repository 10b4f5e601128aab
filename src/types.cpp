// Text conversions of the built-in codecs. Every failure is a
// conversion_error that says what the text was and why it does not fit;
// nothing is ever truncated or wrapped silently.

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "pgwrap/database.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

namespace {
// Quotes a value for an error message, cut to a readable length.
std::string shown(std::string_view text) {
  constexpr std::size_t limit = 40;
  std::string out = "\"";
  out += text.substr(0, limit);
  out += text.size() > limit ? "...\"" : "\"";
  return out;
}

[[noreturn]] void fail(std::string_view text, std::string_view type, std::string_view why) {
  std::string message = "cannot read ";
  message += shown(text);
  message += " as ";
  message += type;
  message += ": ";
  message += why;
  throw conversion_error(message);
}

template <typename T>
T parse_number(std::string_view text, std::string_view type) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) fail(text, type, "out of range");
  if (ec != std::errc() || ptr != end) fail(text, type, "not a number");
  return value;
}

template <typename T>
const char* format_number(T v, std::string& out) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 64 characters hold any integer and the shortest form of any double
  out.assign(buf, ptr);
  return out.c_str();
}

template <typename T>
const char* format_floating(T v, std::string& out) {
  // PostgreSQL spells the special values this way; to_chars would write "inf".
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return format_number(v, out);
}
}  // namespace

std::int64_t parse_signed(std::string_view text, std::int64_t min, std::int64_t max,
                          std::string_view type_name) {
  const auto v = parse_number<std::int64_t>(text, type_name);
  if (v < min || v > max) fail(text, type_name, "out of range");
  return v;
}

std::uint64_t parse_unsigned(std::string_view text, std::uint64_t max, std::string_view type_name) {
  if (!text.empty() && text.front() == '-') {
    parse_number<std::int64_t>(text, type_name);  // reports "not a number" before "out of range"
    fail(text, type_name, "out of range");
  }
  const auto v = parse_number<std::uint64_t>(text, type_name);
  if (v > max) fail(text, type_name, "out of range");
  return v;
}

double parse_double(std::string_view text) { return parse_number<double>(text, "double"); }
float parse_float(std::string_view text) { return parse_number<float>(text, "float"); }

bool parse_bool(std::string_view text) {
  if (text == "t" || text == "true") return true;
  if (text == "f" || text == "false") return false;
  fail(text, "bool", "not a boolean (expected t or f)");
}

const char* format_signed(std::int64_t v, std::string& out) { return format_number(v, out); }
const char* format_unsigned(std::uint64_t v, std::string& out) { return format_number(v, out); }
const char* format_double(double v, std::string& out) { return format_floating(v, out); }
const char* format_float(float v, std::string& out) { return format_floating(v, out); }

const char* checked_c_str(std::string_view text, bool terminated, std::string& scratch) {
  if (text.empty()) return "";  // a default string_view has no data() to search or copy
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    const auto at = static_cast<const char*>(nul) - text.data();
    throw conversion_error("string contains a NUL byte at offset " + std::to_string(at) +
                           "; PostgreSQL text cannot hold NUL (send binary data as bytea)");
  }
  if (terminated) return text.data();
  scratch.assign(text);
  return scratch.c_str();
}

void append_array_element(const char* text, std::string& out) {
  out += '"';
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c == '"' || *c == '\\') out += '\\';
    out += *c;
  }
  out += '"';
}

void throw_argument_error(std::size_t index, const char* why) {
  throw conversion_error("argument " + std::to_string(index + 1) + ": " + why);
}

}  // namespace pgwrap::detail
