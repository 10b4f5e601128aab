// bytea: reading the binary form and both text output formats.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/types.hpp"

namespace pgwrap::detail {

namespace {

constexpr std::string_view cxx_type = "std::vector<std::byte>";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// `\x` then pairs of hex digits (byteain allows whitespace between pairs).
std::vector<std::byte> read_hex(const value_view& v) {
  std::vector<std::byte> out;
  out.reserve((v.data.size() - 2) / 2);
  for (std::size_t i = 2; i < v.data.size();) {
    if (is_space(v.data[i])) {
      ++i;
      continue;
    }
    const int hi = hex_digit(v.data[i]);
    if (hi < 0) conversion_failure(v, cxx_type, "invalid hexadecimal digit");
    if (i + 1 == v.data.size()) conversion_failure(v, cxx_type, "odd number of hexadecimal digits");
    const int lo = hex_digit(v.data[i + 1]);
    if (lo < 0) conversion_failure(v, cxx_type, "invalid hexadecimal digit");
    out.push_back(static_cast<std::byte>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool is_octal(char c, char max = '7') { return c >= '0' && c <= max; }

// Bytes as themselves, `\\` for a backslash, `\ooo` (000-377) for any byte.
std::vector<std::byte> read_escape(const value_view& v) {
  std::vector<std::byte> out;
  out.reserve(v.data.size());
  const std::string_view s = v.data;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '\\') {
      out.push_back(static_cast<std::byte>(s[i]));
      ++i;
    } else if (i + 1 < s.size() && s[i + 1] == '\\') {
      out.push_back(std::byte{'\\'});
      i += 2;
    } else if (i + 3 < s.size() && is_octal(s[i + 1], '3') && is_octal(s[i + 2]) && is_octal(s[i + 3])) {
      out.push_back(static_cast<std::byte>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 4;
    } else {
      conversion_failure(v, cxx_type, R"(invalid bytea escape (expected \\ or \ooo))");
    }
  }
  return out;
}

}  // namespace

void append_bytea_hex(std::string_view bytes, std::string& out) {
  constexpr std::string_view hex = "0123456789abcdef";
  out.reserve(out.size() + 2 + 2 * bytes.size());
  out += "\\x";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += hex[b >> 4];
    out += hex[b & 0xF];
  }
}

std::vector<std::byte> read_bytea(const value_view& v) {
  if (v.format == wire_format::binary) {
    if (v.type_oid != oid::bytea) conversion_failure(v, cxx_type, "its binary form is not bytea");
    const auto* p = reinterpret_cast<const std::byte*>(v.data.data());
    return {p, p + v.data.size()};
  }
  if (v.data.size() >= 2 && v.data[0] == '\\' && v.data[1] == 'x') return read_hex(v);
  return read_escape(v);
}

}  // namespace pgwrap::detail
