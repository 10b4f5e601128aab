#pragma once
/// @file
/// The extension point: pgwrap::codec<T> says how a C++ type travels to and
/// from PostgreSQL. The built-in codecs live in pgwrap/types/*.hpp.

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

namespace detail {
class type_set;  // pgwrap/detail/type_set.hpp: user types from the catalog
}  // namespace detail

/// The two forms PostgreSQL sends values in.
enum class wire_format : std::int16_t { text = 0, binary = 1 };

/// Writes a value's text again once the SQL type it is sent as is known.
/**
 * `value` is what param_ref::late_source points at, `type_oid` the type the
 * server gave the parameter, `types` the connection's catalog. Returns false
 * (leaving `out` alone or not) when it has nothing better than the text
 * already encoded, such as when `type_oid` is no composite the catalog knows.
 * Throws conversion_error when the value does not fit the type.
 */
using late_writer = bool (*)(const void* value, std::uint32_t type_oid, const detail::type_set& types,
                             std::string& out);

/// Copies the value a late_writer reads, so that it outlives the call.
/**
 * `value` is what param_ref::late_source points at. What keeps parameters
 * beyond the call (pgwrap::param, and so `fields` and `batch`) keeps this
 * copy, so the engine can still place the members by name when it sends.
 */
using late_copier = std::shared_ptr<const void> (*)(const void* value);

/// One parameter as libpq takes it.
struct param_ref {
  const char* data = nullptr;  ///< nullptr is SQL NULL; text is NUL-terminated
  std::uint32_t oid = 0;       ///< the parameter's type; 0 lets the server infer it
  std::int32_t length = 0;     ///< bytes of a binary value (unused for text)
  /** How `data` is encoded. */
  wire_format format = wire_format::text;
  /// @brief A value whose text depends on its SQL type (a described struct,
  /// sent by attribute name): what late_write reads. Null for every other value.
  const void* late_source = nullptr;
  /// @brief Set with late_source: the engine calls it with the parameter's
  /// type, once known, and sends what it writes instead of `data`.
  late_writer late_write = nullptr;
  /// @brief Set with late_write when the value owns all its data (no
  /// std::string_view, span or pointer inside): copies it for what keeps
  /// parameters. Null: a kept copy sends the text in `data` as it is.
  late_copier late_copy = nullptr;

  /// A text parameter; `nul_terminated` is not copied (it must outlive the call).
  static constexpr param_ref text(const char* nul_terminated, std::uint32_t type) noexcept {
    return {nul_terminated, type, 0, wire_format::text, nullptr, nullptr, nullptr};
  }
  /// A binary parameter; `bytes` are not copied (they must outlive the call).
  static param_ref binary(std::string_view bytes, std::uint32_t type) noexcept {
    return {bytes.data(), type,   static_cast<std::int32_t>(bytes.size()), wire_format::binary, nullptr,
            nullptr,      nullptr};
  }
  /// SQL NULL of type `type` (0: untyped).
  static constexpr param_ref null(std::uint32_t type) noexcept {
    return {nullptr, type, 0, wire_format::text, nullptr, nullptr, nullptr};
  }
};

/// A non-NULL result value as the server sent it.
/**
 * @par Lifetime
 * `data` points into the result, so it is valid while the
 * result lives; a codec that returns a view of it (std::string_view) passes
 * that limit on to its caller.
 */
struct value_view {
  std::string_view data;  ///< the text, or the binary bytes
  /** The column's type (pg_type.oid). */
  std::uint32_t type_oid = 0;
  /// The form `data` is in.
  wire_format format = wire_format::text;
  /// @brief The user types (composites, ...) the value's result came with; null
  /// when there are none. It lives as long as the result.
  const detail::type_set* types = nullptr;
};

/// Teaches pgwrap a C++ type. Specialise it for your own types:
/**
 *     template <> struct pgwrap::codec<point> {
 *       static constexpr std::uint32_t type_oid = 0;  // optional: the parameter type
 *       // The parameter. `scratch` lives as long as the call: write the value
 *       // there and point at it. Text must be NUL-terminated.
 *       static pgwrap::param_ref encode(const point& p, std::string& scratch) {
 *         scratch = "(" + std::to_string(p.x) + "," + std::to_string(p.y) + ")";
 *         return pgwrap::param_ref::text(scratch.c_str(), 0);
 *       }
 *       // A non-NULL result. Throw pgwrap::conversion_error saying what is
 *       // wrong with the value; pgwrap adds the column and its type.
 *       static point decode(const pgwrap::value_view& v);
 *     };
 *
 * Results come in text unless a codec says it reads a column's binary form:
 * `static bool reads_binary(std::uint32_t oid)` returning true lets pgwrap
 * ask the server for binary when every column of a typed read can take it.
 * Either member may be left out: a type only sent, or only read, needs one.
 *
 * @par Errors
 * encode and decode throw conversion_error for a value they
 * cannot convert; pgwrap adds which argument, or which column and type.
 *
 * @par Thread safety
 * pgwrap calls encode and decode on whatever thread runs
 * the query, concurrently for different connections: keep no shared
 * mutable state in a codec.
 *
 * @par Lifetime
 * A decoded value must not point into the value_view unless
 * the type is a view by nature (std::string_view): the result's memory goes
 * when the result does.
 */
template <typename T, typename Enable = void>
struct codec;

/// PostgreSQL OIDs of the built-in types (pg_type.oid, stable across versions).
namespace oid {
/// @brief The OID of the type of this name (`char_` is "char").
/// @{
inline constexpr std::uint32_t unknown = 0;
inline constexpr std::uint32_t boolean = 16;
inline constexpr std::uint32_t bytea = 17;
inline constexpr std::uint32_t char_ = 18;
inline constexpr std::uint32_t name = 19;
inline constexpr std::uint32_t int8 = 20;
inline constexpr std::uint32_t int2 = 21;
inline constexpr std::uint32_t int4 = 23;
inline constexpr std::uint32_t text = 25;
inline constexpr std::uint32_t oid = 26;
inline constexpr std::uint32_t json = 114;
inline constexpr std::uint32_t cidr = 650;
inline constexpr std::uint32_t float4 = 700;
inline constexpr std::uint32_t float8 = 701;
inline constexpr std::uint32_t macaddr8 = 774;
inline constexpr std::uint32_t macaddr = 829;
inline constexpr std::uint32_t inet = 869;
inline constexpr std::uint32_t bpchar = 1042;
inline constexpr std::uint32_t varchar = 1043;
inline constexpr std::uint32_t date = 1082;
inline constexpr std::uint32_t time = 1083;
inline constexpr std::uint32_t timestamp = 1114;
inline constexpr std::uint32_t timestamptz = 1184;
inline constexpr std::uint32_t interval = 1186;
inline constexpr std::uint32_t numeric = 1700;
inline constexpr std::uint32_t uuid = 2950;
inline constexpr std::uint32_t jsonb = 3802;
/// @}
}  // namespace oid

namespace detail {
/// Big-endian integers, as PostgreSQL's binary formats use them.
template <std::integral T>
[[nodiscard]] inline T load_be(const char* p) noexcept {
  std::make_unsigned_t<T> v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v = static_cast<std::make_unsigned_t<T>>((v << 8) | static_cast<unsigned char>(p[i]));
  return static_cast<T>(v);
}
template <std::integral T>
inline void store_be(T value, std::string& out) {
  const auto v = static_cast<std::make_unsigned_t<T>>(value);
  char bytes[sizeof(T)];  // one append, not one per byte: COPY writes several per row
  for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>((v >> (8 * (sizeof(T) - 1 - i))) & 0xFF);
  out.append(bytes, sizeof(T));
}

/// Names a type in messages: a built-in's PostgreSQL name, else "type <oid>".
std::string type_name(std::uint32_t type);

/// Throws conversion_error: "cannot read <what> as <cxx_type>: <why>".
[[noreturn]] void conversion_failure(const value_view& v, std::string_view cxx_type, std::string_view why);

/// Throws conversion_error unless a binary value has exactly `size` bytes.
void expect_size(const value_view& v, std::size_t size, std::string_view cxx_type);

template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};

// A codec may name its parameter type (`static constexpr std::uint32_t
// type_oid`); a NULL std::optional<T> is then sent with that type.
template <typename T>
constexpr std::uint32_t null_oid() {
  if constexpr (requires { codec<T>::type_oid; }) {
    return codec<T>::type_oid;
  } else {
    return oid::unknown;
  }
}

/// Whether codec<T> reads the binary form of a column of type `oid`.
template <typename T>
bool reads_binary(std::uint32_t oid) {
  if constexpr (requires { codec<T>::reads_binary(oid); }) {
    return codec<T>::reads_binary(oid);
  } else {
    return false;
  }
}
/// The same for a codec that needs the catalog's user types to tell (a
/// composite's attributes, an array of them): `reads_binary(oid, types)`.
template <typename T>
bool reads_binary(std::uint32_t oid, const type_set* types) {
  if constexpr (requires { codec<T>::reads_binary(oid, types); }) {
    return codec<T>::reads_binary(oid, types);
  } else {
    return reads_binary<T>(oid);
  }
}

// String literals and arrays bind as const char*.
template <typename T>
using codec_type = std::conditional_t<std::is_array_v<std::remove_cvref_t<T>>, const char*, std::remove_cvref_t<T>>;
}  // namespace detail

/// A type pgwrap can send as a parameter.
template <typename T>
concept encodable = requires(const T& v, std::string& s) {
  { codec<detail::codec_type<T>>::encode(v, s) } -> std::same_as<param_ref>;
};

/// A type pgwrap can read a result value into.
template <typename T>
concept decodable = requires(const value_view& v) {
  { codec<T>::decode(v) } -> std::convertible_to<T>;
};

}  // namespace pgwrap
PGWRAP_API_END
