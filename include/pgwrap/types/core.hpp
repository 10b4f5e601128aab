#pragma once
/// @file
/// Codecs for bool, the integers, float, double, strings and NULL.

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "pgwrap/codec.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

namespace detail {
// Character types are text, not numbers; bool is its own codec.
template <typename T>
concept sql_integer =
    std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, wchar_t> &&
    !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

template <sql_integer T>
constexpr std::string_view integer_name() {
  if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) == 1) return "int8_t";
    if constexpr (sizeof(T) == 2) return "int16";
    if constexpr (sizeof(T) == 4) return "int32";
    if constexpr (sizeof(T) == 8) return "int64";
  } else {
    if constexpr (sizeof(T) == 1) return "uint8_t";
    if constexpr (sizeof(T) == 2) return "uint16";
    if constexpr (sizeof(T) == 4) return "uint32";
    if constexpr (sizeof(T) == 8) return "uint64";
  }
}

// The smallest PostgreSQL integer type that holds every value of T.
template <sql_integer T>
constexpr std::uint32_t integer_oid() {
  if constexpr (std::is_signed_v<T>) return sizeof(T) <= 2 ? oid::int2 : sizeof(T) == 4 ? oid::int4 : oid::int8;
  if constexpr (sizeof(T) == 1) return oid::int2;
  if constexpr (sizeof(T) == 2) return oid::int4;
  if constexpr (sizeof(T) == 4) return oid::int8;
  return oid::numeric;  // uint64 may exceed int8
}

// Out-of-line conversions; each throws conversion_error saying what was wrong.
std::int64_t read_signed(const value_view& v, std::int64_t min, std::int64_t max, std::string_view type_name);
std::uint64_t read_unsigned(const value_view& v, std::uint64_t max, std::string_view type_name);
double read_double(const value_view& v);
float read_float(const value_view& v);
bool read_bool(const value_view& v);
std::string_view read_text(const value_view& v, std::string_view cxx_type);
param_ref write_integer(std::int64_t v, std::uint32_t type, std::string& out);
param_ref write_uint64(std::uint64_t v, std::string& out);
param_ref write_double(double v, std::string& out);
param_ref write_float(float v, std::string& out);
// Returns text's NUL-terminated form, or throws if it holds a NUL byte
// (PostgreSQL text cannot, and libpq would cut the value short silently).
const char* checked_c_str(std::string_view text, bool terminated, std::string& scratch);

bool is_integer_oid(std::uint32_t type);
bool is_text_oid(std::uint32_t type);
}  // namespace detail

/// @brief Integers: sent in binary as the smallest PostgreSQL type that holds every
/// value (uint32 as bigint, uint64 as numeric); read from any integer column
/// (or text that is a number), range-checked, never wrapped.
template <detail::sql_integer T>
struct codec<T> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = detail::integer_oid<T>();
  static param_ref encode(T v, std::string& scratch) {
    if constexpr (type_oid == oid::numeric) {
      return detail::write_uint64(v, scratch);
    } else {
      return detail::write_integer(static_cast<std::int64_t>(v), type_oid, scratch);
    }
  }
  static T decode(const value_view& v) {
    // The common case inline: a binary int2/int4/int8 read into the signed type of its width.
    if constexpr (std::is_signed_v<T> && sizeof(T) >= 2) {
      if (v.format == wire_format::binary && v.type_oid == type_oid && v.data.size() == sizeof(T)) {
        return detail::load_be<T>(v.data.data());
      }
    }
    if constexpr (std::is_signed_v<T>) {
      return static_cast<T>(detail::read_signed(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                                                detail::integer_name<T>()));
    } else {
      return static_cast<T>(detail::read_unsigned(v, std::numeric_limits<T>::max(), detail::integer_name<T>()));
    }
  }
  static bool reads_binary(std::uint32_t type) { return detail::is_integer_oid(type) || type == oid::numeric; }
  /// @}
};

/// @brief bool ↔ boolean: sent in binary; read from boolean's binary form or its
/// text (`t`/`true`, `f`/`false`); anything else is a conversion_error.
template <>
struct codec<bool> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::boolean;
  static param_ref encode(bool v, std::string&) {
    return param_ref::binary(v ? "\1" : std::string_view("\0", 1), type_oid);
  }
  static bool decode(const value_view& v) {
    if (v.format == wire_format::binary && v.type_oid == oid::boolean && v.data.size() == 1) return v.data[0] != 0;
    return detail::read_bool(v);
  }
  static bool reads_binary(std::uint32_t oid) { return oid == oid::boolean; }
  /// @}
};

/// @brief double: float8 both ways; NaN and ±infinity included. Reads real and
/// integer columns too (text), and numeric through its text (rounded).
template <>
struct codec<double> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::float8;
  static param_ref encode(double v, std::string& scratch) { return detail::write_double(v, scratch); }
  static double decode(const value_view& v) {
    if (v.format == wire_format::binary && v.type_oid == oid::float8 &&
        v.data.size() == 8) {  // inline: the common case
      return std::bit_cast<double>(detail::load_be<std::uint64_t>(v.data.data()));
    }
    return detail::read_double(v);
  }
  static bool reads_binary(std::uint32_t oid) { return oid == oid::float8 || oid == oid::float4; }
  /// @}
};

/// @brief float ↔ real (float4): sent in binary. Reads real and double precision
/// (a double out of float's range is a conversion_error, as PostgreSQL's
/// cast is) and the text of numeric or integer columns.
template <>
struct codec<float> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::float4;
  static param_ref encode(float v, std::string& scratch) { return detail::write_float(v, scratch); }
  static float decode(const value_view& v) { return detail::read_float(v); }
  static bool reads_binary(std::uint32_t oid) { return oid == oid::float4; }
  /// @}
};

/// std::string ↔ text, and any column's text.
/**
 * Strings go with OID 0 ("unknown"), as a quoted literal would: the server
 * then reads them as whatever the context needs (text, uuid, date, json,
 * ...). As results they take any column's text (a binary value only of text
 * types and jsonb).
 *
 * @par Errors
 * conversion_error when a string holding a NUL byte is sent (PostgreSQL text
 * cannot hold one; send bytes as bytea).
 */
template <>
struct codec<std::string> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(const std::string& v, std::string& scratch) {
    return param_ref::text(detail::checked_c_str(v, true, scratch), oid::unknown);
  }
  static std::string decode(const value_view& v) { return std::string(detail::read_text(v, "std::string")); }
  static bool reads_binary(std::uint32_t oid) { return detail::is_text_oid(oid); }
  /// @}
};

/// std::string_view ↔ text, as std::string.
/**
 * @par Lifetime
 * A std::string_view read from a result views the result's memory: it is
 * valid while the result lives.
 */
template <>
struct codec<std::string_view> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(std::string_view v, std::string& scratch) {
    return param_ref::text(detail::checked_c_str(v, false, scratch), oid::unknown);
  }
  static std::string_view decode(const value_view& v) { return detail::read_text(v, "std::string_view"); }
  static bool reads_binary(std::uint32_t oid) { return detail::is_text_oid(oid); }
  /// @}
};

/// @brief `const char*` (and `char*`, string literals) → text parameter, sent as
/// std::string is. A null `const char*` is SQL NULL, as in libpq.
/// Parameters only.
template <>
struct codec<const char*> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(const char* v, std::string&) { return param_ref::text(v, oid::unknown); }
  /// @}
};
/// `char*`: as `const char*`.
template <>
struct codec<char*> : codec<const char*> {};

/// `nullptr` → an untyped SQL NULL parameter.
template <>
struct codec<std::nullptr_t> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(std::nullptr_t, std::string&) { return param_ref::null(oid::unknown); }
  /// @}
};
/// `std::nullopt` → an untyped SQL NULL parameter.
template <>
struct codec<std::nullopt_t> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(std::nullopt_t, std::string&) { return param_ref::null(oid::unknown); }
  /// @}
};

/// @brief std::optional<T>: NULL when empty, else as T. As a result, NULL reads as
/// std::nullopt (T itself throws unexpected_null on NULL).
template <typename T>
struct codec<std::optional<T>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = detail::null_oid<T>();
  static param_ref encode(const std::optional<T>& v, std::string& scratch) {
    if (v) return codec<T>::encode(*v, scratch);
    return param_ref::null(type_oid);  // a typed NULL, so `SELECT %s` still works
  }
  static std::optional<T> decode(const value_view& v) { return codec<T>::decode(v); }
  static bool reads_binary(std::uint32_t oid) { return detail::reads_binary<T>(oid); }
  static bool reads_binary(std::uint32_t oid, const detail::type_set* types) {
    return detail::reads_binary<T>(oid, types);
  }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END
