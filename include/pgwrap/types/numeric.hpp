#pragma once
/// @file
/// pgwrap::numeric: PostgreSQL's exact decimal, kept exact.

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "pgwrap/codec.hpp"
#include "pgwrap/types/core.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

class numeric;
namespace detail {
numeric read_numeric(const value_view& v);
}  // namespace detail

/// @brief An exact decimal as PostgreSQL's `numeric` holds it: any number of digits,
/// its scale (digits after the point, trailing zeros included), NaN and
/// ±Infinity. It never goes through a double unless to_double() is called.
///
/// The value is kept as its canonical text, the very text PostgreSQL prints
/// for it: `-12.3400`, `0`, `0.00`, `NaN`, `Infinity`, `-Infinity`.
/// Construction from a string accepts what PostgreSQL's numeric input does
/// (except surrounding whitespace) and normalises it the same way:
///
///  - an optional sign, digits with an optional point (`5.`, `.5`), and an
///    optional exponent (`1.5e-3`, `1E+3`): `1.5e-3` is `0.0015`, `1.50e1`
///    is `15.0` (scale = fraction digits − exponent, never below 0), `1e5`
///    is `100000`;
///  - leading zeros go (`007.10` is `7.10`); trailing fraction zeros stay;
///  - a negative zero is zero (`-0.00` is `0.00`), as PostgreSQL has none;
///  - `NaN`, `Infinity` and `inf`, with any letter case (a sign is allowed
///    before the infinities, not before NaN);
///  - PostgreSQL's limits hold: at most 131072 digits before the point and
///    16383 after it; past them, and for anything else, conversion_error.
///
/// == compares the canonical text: the same value *and* scale (`1.5` and
/// `1.50` differ, as their text does; `NaN` equals `NaN`).
class numeric {
 public:
  /// Zero.
  numeric() = default;

  /// Exact; implicit, as an integer always fits.
  template <detail::sql_integer T>
  numeric(T value) : text_(from_integer(value)) {}  // NOLINT(google-explicit-constructor)

  /// Parses and normalises `text` (see above); throws conversion_error.
  explicit numeric(std::string_view text);
  /// @copydoc numeric(std::string_view)
  explicit numeric(const char* text) : numeric(text ? std::string_view(text) : std::string_view()) {}
  /// @copydoc numeric(std::string_view)
  explicit numeric(const std::string& text) : numeric(std::string_view(text)) {}

  /// The canonical text, as PostgreSQL prints the same value.
  [[nodiscard]] const std::string& to_string() const noexcept { return text_; }

  /// NaN.
  [[nodiscard]] bool is_nan() const noexcept { return text_ == "NaN"; }
  /// Infinity or -Infinity.
  [[nodiscard]] bool is_infinite() const noexcept { return text_ == "Infinity" || text_ == "-Infinity"; }
  /// Negative and not zero (-Infinity included).
  [[nodiscard]] bool is_negative() const noexcept { return !text_.empty() && text_[0] == '-'; }
  /// Digits after the point (0 for NaN and the infinities).
  [[nodiscard]] int scale() const noexcept;

  /// @brief The nearest double (the one explicit inexact path). NaN and ±Infinity
  /// map to theirs; a value too small for a double gives ±0. Throws
  /// conversion_error when the value is too large for a double.
  [[nodiscard]] double to_double() const;

  /// Same canonical text: same value and scale (see above).
  friend bool operator==(const numeric&, const numeric&) = default;

  /// Like the constructor, but std::nullopt where it would throw.
  [[nodiscard]] static std::optional<numeric> try_parse(std::string_view text);

 private:
  struct canonical_tag {};
  numeric(canonical_tag, std::string text) : text_(std::move(text)) {}
  friend numeric detail::read_numeric(const value_view& v);

  template <typename T>
  static std::string from_integer(T value) {
    if constexpr (std::is_signed_v<T>) {
      return from_signed(static_cast<std::int64_t>(value));
    } else {
      return from_unsigned(static_cast<std::uint64_t>(value));
    }
  }
  static std::string from_signed(std::int64_t v);
  static std::string from_unsigned(std::uint64_t v);

  std::string text_ = "0";
};

/// Prints the canonical text.
std::ostream& operator<<(std::ostream& out, const numeric& n);

namespace detail {
// numeric's binary wire form <-> its canonical text. Both throw
// conversion_error (via conversion_failure for the reader).
void write_numeric_binary(std::string_view canonical, std::string& out);
std::string read_numeric_binary(const value_view& v, std::string_view cxx_type);

// A numeric value (text or binary) that is an integer, whatever its scale
// (`42.00` is 42): its sign and magnitude. conversion_failure naming
// cxx_type when it is NaN, infinite, has a non-zero fraction ("not
// integral") or a magnitude past 2^64 - 1 ("out of range").
struct integral_numeric {
  bool negative = false;
  std::uint64_t magnitude = 0;
};
integral_numeric read_integral_numeric(const value_view& v, std::string_view cxx_type);
}  // namespace detail

/// @brief numeric: sent in binary with OID numeric (exact). Read from the text of
/// any column (numeric, integers, real/double precision text such as
/// `1e+100`, or text holding a number) and from the binary form of numeric
/// and the integer types.
template <>
struct codec<numeric> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::numeric;
  static param_ref encode(const numeric& n, std::string& scratch) {
    detail::write_numeric_binary(n.to_string(), scratch);
    return param_ref::binary(scratch, type_oid);
  }
  static numeric decode(const value_view& v) { return detail::read_numeric(v); }
  static bool reads_binary(std::uint32_t type) { return type == oid::numeric || detail::is_integer_oid(type); }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END
