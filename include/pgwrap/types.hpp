#pragma once
/// @file
/// How C++ values become query parameters and how result text becomes C++ values.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace pgwrap {

/// One parameter as libpq takes it: text (nullptr for SQL NULL) and a type OID
/// (0 lets the server infer the type from the context, as for a quoted literal).
struct param_ref {
  const char* text = nullptr;
  std::uint32_t oid = 0;
};

/// Teaches pgwrap a C++ type. Specialise it for your own types:
/**
 *     template <> struct pgwrap::codec<my_type> {
 *       // The parameter: text PostgreSQL accepts for the type, with its OID
 *       // (0 = let the server infer it). `scratch` is storage that lives as
 *       // long as the call; return a pointer to NUL-terminated text, or
 *       // {nullptr, oid} for NULL.
 *       static pgwrap::param_ref encode(const my_type& v, std::string& scratch);
 *       // A result: the server's text for a non-NULL value. Throw
 *       // pgwrap::conversion_error naming what was wrong; pgwrap adds the column.
 *       static my_type decode(std::string_view text);
 *     };
 *
 * The built-in codecs cover bool, the integer types, float, double,
 * std::string, std::string_view, const char*, std::optional<T> and
 * std::nullptr_t / std::nullopt_t (NULL). The text protocol is used for now.
 */
template <typename T, typename Enable = void>
struct codec;

/// PostgreSQL OIDs of the built-in types pgwrap names.
namespace oid {
inline constexpr std::uint32_t unknown = 0;
inline constexpr std::uint32_t boolean = 16;
inline constexpr std::uint32_t int8 = 20;
inline constexpr std::uint32_t int2 = 21;
inline constexpr std::uint32_t int4 = 23;
inline constexpr std::uint32_t text = 25;
inline constexpr std::uint32_t float4 = 700;
inline constexpr std::uint32_t float8 = 701;
inline constexpr std::uint32_t numeric = 1700;
}  // namespace oid

namespace detail {
template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};

// Character types are text, not numbers; bool is its own codec.
template <typename T>
concept sql_integer = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                      !std::same_as<T, wchar_t> && !std::same_as<T, char8_t> &&
                      !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

// Out-of-line conversions; they throw conversion_error with a message that
// says what was wrong with the text (the caller adds the column).
std::int64_t parse_signed(std::string_view text, std::int64_t min, std::int64_t max,
                          std::string_view type_name);
std::uint64_t parse_unsigned(std::string_view text, std::uint64_t max, std::string_view type_name);
double parse_double(std::string_view text);
float parse_float(std::string_view text);
bool parse_bool(std::string_view text);
const char* format_signed(std::int64_t v, std::string& out);
const char* format_unsigned(std::uint64_t v, std::string& out);
const char* format_double(double v, std::string& out);
const char* format_float(float v, std::string& out);
// Returns text's NUL-terminated form, or throws if it holds a NUL byte
// (PostgreSQL text cannot, and libpq would cut the value short silently).
const char* checked_c_str(std::string_view text, bool terminated, std::string& scratch);

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

// A codec may name the type its parameters have (`static constexpr std::uint32_t
// type_oid`); a NULL std::optional<T> is then sent with that type.
template <typename T>
constexpr std::uint32_t null_oid() {
  if constexpr (requires { codec<T>::type_oid; }) {
    return codec<T>::type_oid;
  } else {
    return oid::unknown;
  }
}
}  // namespace detail

template <detail::sql_integer T>
struct codec<T> {
  static constexpr std::uint32_t type_oid = detail::integer_oid<T>();
  static param_ref encode(T v, std::string& scratch) {
    if constexpr (std::is_signed_v<T>) {
      return {detail::format_signed(v, scratch), type_oid};
    } else {
      return {detail::format_unsigned(v, scratch), type_oid};
    }
  }
  static T decode(std::string_view text) {
    if constexpr (std::is_signed_v<T>) {
      return static_cast<T>(detail::parse_signed(text, std::numeric_limits<T>::min(),
                                                 std::numeric_limits<T>::max(),
                                                 detail::integer_name<T>()));
    } else {
      return static_cast<T>(
          detail::parse_unsigned(text, std::numeric_limits<T>::max(), detail::integer_name<T>()));
    }
  }
};

template <>
struct codec<bool> {
  static constexpr std::uint32_t type_oid = oid::boolean;
  static param_ref encode(bool v, std::string&) { return {v ? "t" : "f", type_oid}; }
  static bool decode(std::string_view text) { return detail::parse_bool(text); }
};

template <>
struct codec<double> {
  static constexpr std::uint32_t type_oid = oid::float8;
  static param_ref encode(double v, std::string& scratch) {
    return {detail::format_double(v, scratch), type_oid};
  }
  static double decode(std::string_view text) { return detail::parse_double(text); }
};

template <>
struct codec<float> {
  static constexpr std::uint32_t type_oid = oid::float4;
  static param_ref encode(float v, std::string& scratch) {
    return {detail::format_float(v, scratch), type_oid};
  }
  static float decode(std::string_view text) { return detail::parse_float(text); }
};

// Strings go with OID 0 ("unknown"), as a quoted literal would: the server
// then reads them as whatever the context needs (text, uuid, date, json, ...).
template <>
struct codec<std::string> {
  static param_ref encode(const std::string& v, std::string& scratch) {
    return {detail::checked_c_str(v, true, scratch), oid::unknown};
  }
  static std::string decode(std::string_view text) { return std::string(text); }
};

/// Reading a std::string_view views the result's memory: valid while the result lives.
template <>
struct codec<std::string_view> {
  static param_ref encode(std::string_view v, std::string& scratch) {
    return {detail::checked_c_str(v, false, scratch), oid::unknown};
  }
  static std::string_view decode(std::string_view text) { return text; }
};

/// A null `const char*` is SQL NULL, as in libpq.
template <>
struct codec<const char*> {
  static param_ref encode(const char* v, std::string&) { return {v, oid::unknown}; }
};
template <>
struct codec<char*> : codec<const char*> {};

template <>
struct codec<std::nullptr_t> {
  static param_ref encode(std::nullptr_t, std::string&) { return {}; }
};
template <>
struct codec<std::nullopt_t> {
  static param_ref encode(std::nullopt_t, std::string&) { return {}; }
};

/// std::optional<T>: NULL when empty. As a result, NULL reads as std::nullopt.
template <typename T>
struct codec<std::optional<T>> {
  static param_ref encode(const std::optional<T>& v, std::string& scratch) {
    if (v) return codec<T>::encode(*v, scratch);
    return {nullptr, detail::null_oid<T>()};  // a typed NULL, so `SELECT %s` still works
  }
  static std::optional<T> decode(std::string_view text) { return codec<T>::decode(text); }
};

namespace detail {
// The array type of an element type pgwrap names (0 when there is none: the
// server then infers the array type from the context, as for strings).
constexpr std::uint32_t array_oid(std::uint32_t element) {
  switch (element) {
    case oid::boolean: return 1000;
    case oid::int2: return 1005;
    case oid::int4: return 1007;
    case oid::int8: return 1016;
    case oid::text: return 1009;
    case oid::float4: return 1021;
    case oid::float8: return 1022;
    case oid::numeric: return 1231;
    default: return oid::unknown;
  }
}
// Appends one element to an array literal: "quoted", with \ and \" escaped.
void append_array_element(const char* text, std::string& out);
}  // namespace detail

/// A std::vector is one array parameter: `WHERE id = ANY(%s)` with a vector
/// of ids. (Wrap it in pgwrap::list to expand it into `$1, $2, ...` instead.)
template <typename T>
  requires requires(const T& v, std::string& s) {
    { codec<T>::encode(v, s) } -> std::same_as<param_ref>;
  }
struct codec<std::vector<T>> {
  static constexpr std::uint32_t type_oid = detail::array_oid(detail::null_oid<T>());
  static param_ref encode(const std::vector<T>& values, std::string& scratch) {
    scratch.assign(1, '{');
    std::string element;
    for (const T& v : values) {
      if (scratch.size() > 1) scratch += ',';
      const param_ref ref = codec<T>::encode(v, element);
      if (ref.text == nullptr) {
        scratch += "NULL";
      } else {
        detail::append_array_element(ref.text, scratch);
      }
    }
    scratch += '}';
    return {scratch.c_str(), type_oid};
  }
};

namespace detail {
// String literals and arrays bind as const char*.
template <typename T>
using codec_type = std::conditional_t<std::is_array_v<std::remove_cvref_t<T>>,
                                      const char*, std::remove_cvref_t<T>>;
}  // namespace detail

/// A type pgwrap can send as a parameter.
template <typename T>
concept encodable = requires(const T& v, std::string& s) {
  { codec<detail::codec_type<T>>::encode(v, s) } -> std::same_as<param_ref>;
};

/// A type pgwrap can read a result value into.
template <typename T>
concept decodable = requires(std::string_view text) {
  { codec<T>::decode(text) } -> std::convertible_to<T>;
};

/// One parameter value, owned and type-erased: what `fields` holds.
class param {
 public:
  template <encodable T>
    requires(!std::same_as<std::remove_cvref_t<T>, param>)
  param(const T& value) {  // NOLINT(google-explicit-constructor): {"col", 10} must read naturally
    const param_ref ref = codec<detail::codec_type<T>>::encode(value, text_);
    oid_ = ref.oid;
    null_ = ref.text == nullptr;
    if (!null_ && ref.text != text_.data()) text_.assign(ref.text);
  }

  [[nodiscard]] bool is_null() const noexcept { return null_; }
  [[nodiscard]] std::uint32_t type_oid() const noexcept { return oid_; }
  /// The text sent to the server (empty for NULL).
  [[nodiscard]] std::string_view text() const noexcept { return text_; }
  [[nodiscard]] param_ref ref() const noexcept { return {null_ ? nullptr : text_.c_str(), oid_}; }

 private:
  std::string text_;
  std::uint32_t oid_ = 0;
  bool null_ = false;
};

template <>
struct codec<param> {
  static param_ref encode(const param& p, std::string&) { return p.ref(); }
};

}  // namespace pgwrap
