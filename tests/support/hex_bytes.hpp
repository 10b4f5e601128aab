#pragma once
// Wire bytes written by hand in hex ("3f f0 00 ..."; spaces ignored), so
// expected binary forms do not depend on the library's own byte-order code.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace pgwrap::test {

inline std::string hex_bytes(std::string_view hex) {
  std::string out;
  int pending = -1;
  for (const char c : hex) {
    if (c == ' ') continue;
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) ADD_FAILURE() << "bad hex digit in " << hex;
    if (pending < 0) {
      pending = digit;
    } else {
      out += static_cast<char>(pending * 16 + digit);
      pending = -1;
    }
  }
  if (pending >= 0) ADD_FAILURE() << "odd number of hex digits in " << hex;
  return out;
}

}  // namespace pgwrap::test
