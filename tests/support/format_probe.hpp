#pragma once
// A T read through T's own codec that remembers the form (text or binary)
// it was last read in: proves which form a read asked the server for.

#include <cstdint>
#include <pgwrap/pgwrap.hpp>

namespace pgwrap::test {

template <typename T>
struct format_probe {
  T value{};
  static inline wire_format last = wire_format::text;
};

}  // namespace pgwrap::test

template <typename T>
struct pgwrap::codec<pgwrap::test::format_probe<T>> {
  static pgwrap::test::format_probe<T> decode(const value_view& v) {
    pgwrap::test::format_probe<T>::last = v.format;
    return {codec<T>::decode(v)};
  }
  static bool reads_binary(std::uint32_t oid, const detail::type_set* types) {
    return detail::reads_binary<T>(oid, types);
  }
};
