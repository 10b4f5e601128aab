#pragma once
/// @file
/// bytea: binary strings as std::vector<std::byte> and std::span<const std::byte>.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/codec.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

namespace detail {
std::vector<std::byte> read_bytea(const value_view& v);
// Appends bytea's hex text form of `bytes` (`\x0a0b...`), as the server prints it.
void append_bytea_hex(std::string_view bytes, std::string& out);
inline param_ref write_bytea(const std::byte* data, std::size_t size, std::string& scratch) {
  if (size == 0) {  // an empty value still needs a non-null pointer: null is SQL NULL
    scratch.clear();
    return param_ref::binary(scratch, oid::bytea);
  }
  return param_ref::binary(std::string_view(reinterpret_cast<const char*>(data), size), oid::bytea);
}
}  // namespace detail

/// @brief std::vector<std::byte> ↔ bytea.
///
/// std::vector<std::byte> is bytea both ways. Sent in binary (OID bytea), so
/// every byte value, NUL included, travels as is. Read from bytea's binary
/// form, or from its text in either output format the server may use:
/// hex (`\x0a0b...`, the default `bytea_output`) or escape (`\\` and
/// `\ooo` octal, other bytes as themselves). A column of another type is read
/// as if its text were bytea's escape format (a text column's UTF-8 bytes, so
/// long as it holds no backslash); cast to bytea to be explicit.
///
/// Reading a bytea column as std::string gives its text form (`\x0a0b...`),
/// not the bytes: read std::vector<std::byte> for the bytes.
template <>
struct codec<std::vector<std::byte>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::bytea;
  static param_ref encode(const std::vector<std::byte>& v, std::string& scratch) {
    return detail::write_bytea(v.data(), v.size(), scratch);
  }
  static std::vector<std::byte> decode(const value_view& v) { return detail::read_bytea(v); }
  static bool reads_binary(std::uint32_t type) { return type == oid::bytea; }
  /// @}
};

/// @brief A std::span of bytes is a bytea parameter without a copy: the parameter
/// points at the bytes, so they must stay alive and unchanged until the call
/// that takes the span returns (a pgwrap::param or fields copies them).
/// Parameters only: a result is read as std::vector<std::byte>.
template <std::size_t N>
struct codec<std::span<const std::byte, N>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::bytea;
  static param_ref encode(std::span<const std::byte, N> v, std::string& scratch) {
    return detail::write_bytea(v.data(), v.size(), scratch);
  }
  /// @}
};
/// A span of mutable bytes: as std::span<const std::byte, N>.
template <std::size_t N>
struct codec<std::span<std::byte, N>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::bytea;
  static param_ref encode(std::span<std::byte, N> v, std::string& scratch) {
    return detail::write_bytea(v.data(), v.size(), scratch);
  }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END
