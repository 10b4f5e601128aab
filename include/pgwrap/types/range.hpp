#pragma once
/// @file
/// pgwrap::range<T> and pgwrap::multirange<T>: PostgreSQL's range and
/// multirange types.
/**
 * | PostgreSQL                     | C++                                                        |
 * |--------------------------------|------------------------------------------------------------|
 * | int4range / int4multirange     | range<int> (std::int32_t) / multirange<int>                |
 * | int8range / int8multirange     | range<std::int64_t> / multirange<std::int64_t>             |
 * | numrange / nummultirange       | range<pgwrap::numeric> / multirange<pgwrap::numeric>       |
 * | daterange / datemultirange     | range<std::chrono::sys_days> (or year_month_day, local_days, with_infinity<...>) |
 * | tsrange / tsmultirange         | range<std::chrono::local_time<D>>                          |
 * | tstzrange / tstzmultirange     | range<std::chrono::sys_time<D>>                            |
 *
 * A range is empty, or has a lower and an upper bound, each either a value
 * (inclusive or exclusive) or absent (unbounded, "infinite"). pgwrap keeps
 * the range as it was built or as the server sent it: it does not
 * canonicalise discrete ranges (`[1,5]` stays `[1,5]` in C++; the server
 * stores and returns it as `[1,6)`), nor check that lower <= upper (the
 * server does, when the range is sent).
 *
 * A multirange reads as pgwrap::multirange<T> or as std::vector<range<T>>.
 * A std::vector<range<T>> is sent as an *array* of ranges (int4range[]);
 * send a multirange as pgwrap::multirange<T>.
 */

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pgwrap/codec.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types/array.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// A PostgreSQL range of T: empty, or two bounds, each a value or unbounded.
/**
 * Build one with the factories, named after the bounds they make:
 *
 *     range<int>::closed_open(1, 5)     // [1,5)
 *     range<int>::open_closed(1, 5)     // (1,5]
 *     range<int>::closed(1, 5)          // [1,5]
 *     range<int>::open(1, 5)            // (1,5)
 *     range<int>::at_least(1)           // [1,)
 *     range<int>::greater_than(1)       // (1,)
 *     range<int>::less_than(5)          // (,5)
 *     range<int>::at_most(5)            // (,5]
 *     range<int>::unbounded()           // (,)
 *     range<int>::empty()               // empty (also range<int>{})
 *     range<int>(1, std::nullopt, "[)") // any bounds, PostgreSQL's spelling
 *
 * An absent bound is never inclusive. == compares emptiness, bounds and
 * their inclusivity (no canonicalisation: `[1,5]` is not `[1,6)`).
 */
template <typename T>
class range {
 public:
  /// The bounds' type.
  using value_type = T;

  /// The empty range.
  range() = default;

  /// @brief Bounds spelled as PostgreSQL does: "[)", "(]", "[]" or "()". An absent
  /// bound (std::nullopt) is unbounded. Throws usage_error for other `bounds`.
  range(std::optional<T> lower, std::optional<T> upper, std::string_view bounds = "[)")
      : lower_(std::move(lower)), upper_(std::move(upper)), empty_(false) {
    if (bounds.size() != 2 || (bounds[0] != '[' && bounds[0] != '(') || (bounds[1] != ']' && bounds[1] != ')')) {
      throw usage_error(R"-(pgwrap::range: bounds must be "[)", "(]", "[]" or "()", not ")-" + std::string(bounds) +
                        "\"");
    }
    lower_inclusive_ = lower_.has_value() && bounds[0] == '[';
    upper_inclusive_ = upper_.has_value() && bounds[1] == ']';
  }

  /// @brief The factories, one per shape of bounds (see the list above).
  /// @{
  [[nodiscard]] static range empty() { return range(); }
  [[nodiscard]] static range unbounded() { return range(std::nullopt, std::nullopt, "()"); }
  [[nodiscard]] static range closed_open(T lower, T upper) { return range(std::move(lower), std::move(upper), "[)"); }
  [[nodiscard]] static range open_closed(T lower, T upper) { return range(std::move(lower), std::move(upper), "(]"); }
  [[nodiscard]] static range closed(T lower, T upper) { return range(std::move(lower), std::move(upper), "[]"); }
  [[nodiscard]] static range open(T lower, T upper) { return range(std::move(lower), std::move(upper), "()"); }
  [[nodiscard]] static range at_least(T lower) { return range(std::move(lower), std::nullopt, "[)"); }
  [[nodiscard]] static range greater_than(T lower) { return range(std::move(lower), std::nullopt, "()"); }
  [[nodiscard]] static range less_than(T upper) { return range(std::nullopt, std::move(upper), "()"); }
  [[nodiscard]] static range at_most(T upper) { return range(std::nullopt, std::move(upper), "(]"); }
  /// @}

  /// True for the empty range (it has no bounds).
  [[nodiscard]] bool is_empty() const noexcept { return empty_; }
  /// The lower bound; std::nullopt when unbounded or empty.
  [[nodiscard]] const std::optional<T>& lower() const noexcept { return lower_; }
  /// The upper bound; std::nullopt when unbounded or empty.
  [[nodiscard]] const std::optional<T>& upper() const noexcept { return upper_; }
  /// @brief Whether a bound is absent in a non-empty range ("infinite").
  /// @{
  [[nodiscard]] bool lower_unbounded() const noexcept { return !empty_ && !lower_; }
  [[nodiscard]] bool upper_unbounded() const noexcept { return !empty_ && !upper_; }
  /// @}
  /// @brief Whether a bound is inclusive (`[` or `]`); false for an absent bound.
  /// @{
  [[nodiscard]] bool lower_inclusive() const noexcept { return lower_inclusive_; }
  [[nodiscard]] bool upper_inclusive() const noexcept { return upper_inclusive_; }
  /// @}

  /// @brief PostgreSQL's text for the range (`[1,5)`, `empty`, `(,"2024-01-01 00:00:00")`),
  /// the same as the server's `r::text` for a range read from it (tstzrange:
  /// with the session's TimeZone set to UTC, as pgwrap prints instants in UTC).
  [[nodiscard]] std::string to_string() const requires requires(const T& v, std::string& s) { codec<T>::encode(v, s); };

  /// Emptiness, bounds and inclusivity (see above).
  friend bool operator==(const range&, const range&) = default;

 private:
  std::optional<T> lower_;
  std::optional<T> upper_;
  bool empty_ = true;
  bool lower_inclusive_ = false;
  bool upper_inclusive_ = false;
};

/// @brief A PostgreSQL multirange of T (PostgreSQL 14+): a list of ranges. The
/// server keeps it sorted, merged and without empty ranges; pgwrap keeps
/// the ranges in the order given.
template <typename T>
class multirange {
 public:
  /// Its elements.
  using value_type = range<T>;

  /// No ranges (`{}`).
  multirange() = default;
  /// @brief These ranges, in this order.
  /// @{
  explicit multirange(std::vector<range<T>> ranges) : ranges_(std::move(ranges)) {}
  multirange(std::initializer_list<range<T>> ranges) : ranges_(ranges) {}
  /// @}

  /// @brief The ranges.
  /// @{
  [[nodiscard]] const std::vector<range<T>>& ranges() const noexcept { return ranges_; }
  [[nodiscard]] std::vector<range<T>>& ranges() noexcept { return ranges_; }
  /// @}
  /// @brief The number of ranges.
  [[nodiscard]] std::size_t size() const noexcept { return ranges_.size(); }
  /// No ranges.
  [[nodiscard]] bool empty() const noexcept { return ranges_.empty(); }
  /// @brief The ranges, in order.
  /// @{
  [[nodiscard]] auto begin() const noexcept { return ranges_.begin(); }
  [[nodiscard]] auto end() const noexcept { return ranges_.end(); }
  /// @}
  /// @brief The i-th range (unchecked, as std::vector's).
  [[nodiscard]] const range<T>& operator[](std::size_t i) const { return ranges_[i]; }

  /// PostgreSQL's text: `{}`, `{[1,3),[5,7)}`.
  [[nodiscard]] std::string to_string() const requires requires(const T& v, std::string& s) { codec<T>::encode(v, s); }
  {
    std::string out = "{";
    for (std::size_t i = 0; i < ranges_.size(); ++i) {
      if (i > 0) out += ',';
      out += ranges_[i].to_string();
    }
    return out + "}";
  }

  /// The same ranges in the same order.
  friend bool operator==(const multirange&, const multirange&) = default;

 private:
  std::vector<range<T>> ranges_;
};

namespace oid {
/// @brief The built-in range and multirange types' OIDs.
/// @{
inline constexpr std::uint32_t int4range = 3904;
inline constexpr std::uint32_t numrange = 3906;
inline constexpr std::uint32_t tsrange = 3908;
inline constexpr std::uint32_t tstzrange = 3910;
inline constexpr std::uint32_t daterange = 3912;
inline constexpr std::uint32_t int8range = 3926;
inline constexpr std::uint32_t int4multirange = 4451;
inline constexpr std::uint32_t nummultirange = 4532;
inline constexpr std::uint32_t tsmultirange = 4533;
inline constexpr std::uint32_t tstzmultirange = 4534;
inline constexpr std::uint32_t datemultirange = 4535;
inline constexpr std::uint32_t int8multirange = 4536;
/// @}
}  // namespace oid

namespace detail {
/// The built-in range type over an element type (0: none).
constexpr std::uint32_t range_oid(std::uint32_t element) {
  switch (element) {
    case oid::int4: return oid::int4range;
    case oid::int8: return oid::int8range;
    case oid::numeric: return oid::numrange;
    case oid::timestamp: return oid::tsrange;
    case oid::timestamptz: return oid::tstzrange;
    case oid::date: return oid::daterange;
    default: return oid::unknown;
  }
}
/// The element type of a built-in range type (0: not one).
constexpr std::uint32_t range_element_oid(std::uint32_t range) {
  switch (range) {
    case oid::int4range: return oid::int4;
    case oid::int8range: return oid::int8;
    case oid::numrange: return oid::numeric;
    case oid::tsrange: return oid::timestamp;
    case oid::tstzrange: return oid::timestamptz;
    case oid::daterange: return oid::date;
    default: return oid::unknown;
  }
}
/// The multirange type of a built-in range type (0: none).
constexpr std::uint32_t multirange_oid(std::uint32_t range) {
  switch (range) {
    case oid::int4range: return oid::int4multirange;
    case oid::int8range: return oid::int8multirange;
    case oid::numrange: return oid::nummultirange;
    case oid::tsrange: return oid::tsmultirange;
    case oid::tstzrange: return oid::tstzmultirange;
    case oid::daterange: return oid::datemultirange;
    default: return oid::unknown;
  }
}
/// The range type of a built-in multirange type (0: not one).
constexpr std::uint32_t multirange_range_oid(std::uint32_t multirange) {
  switch (multirange) {
    case oid::int4multirange: return oid::int4range;
    case oid::int8multirange: return oid::int8range;
    case oid::nummultirange: return oid::numrange;
    case oid::tsmultirange: return oid::tsrange;
    case oid::tstzmultirange: return oid::tstzrange;
    case oid::datemultirange: return oid::daterange;
    default: return oid::unknown;
  }
}

/// One range value taken apart. In text, bounds are unescaped (they may view
/// `lower_text`/`upper_text`, so it neither copies nor moves); in binary,
/// they view the value's bytes.
struct range_parts {
  range_parts() = default;
  range_parts(const range_parts&) = delete;
  range_parts& operator=(const range_parts&) = delete;

  bool empty = false;
  bool has_lower = false;  ///< false: unbounded (or empty)
  bool has_upper = false;
  bool lower_inclusive = false;
  bool upper_inclusive = false;
  std::string_view lower;
  std::string_view upper;
  std::string lower_text;
  std::string upper_text;
};

/// Takes apart a range value in either form (range_in's text, range_send's
/// binary). Throws conversion_error (naming cxx_type) when it is malformed.
void parse_range(const value_view& v, std::string_view cxx_type, range_parts& out);

/// Splits a multirange value into its ranges: text (`{[1,2),(3,4]}`) gives
/// each range's literal ("empty" ones dropped), binary each range's bytes.
/// Never reserves more ranges than the bytes can hold.
std::vector<std::string_view> split_multirange(const value_view& v, std::string_view cxx_type);

/// Throws conversion_error: a bound's codec threw `why`.
[[noreturn]] void bad_range_bound(const value_view& v, std::string_view cxx_type, bool upper, const char* why);

/// Appends a bound's text as range_out does: quoted when it must be.
void append_range_bound(std::string_view text, std::string& out);

/// Builds a range parameter from its bounds' encoded forms: binary
/// (range_send) with the range type's OID when both bounds are binary of the
/// range's element type, else range_in's text (OID `range_type`, 0 if unknown).
/// `lower`/`upper` are null refs for absent bounds.
param_ref write_range(bool empty, const param_ref* lower, bool lower_inclusive, const param_ref* upper,
                      bool upper_inclusive, std::uint32_t range_type, std::string& out);

/// Builds a multirange parameter from its ranges' parameters (each from
/// write_range): binary with `multirange_type` when every range is binary and
/// the type is known, else the text `{...}` with OID 0.
param_ref write_multirange(std::span<const param_ref> ranges, std::uint32_t multirange_type, std::string& out);

/// Appends the text of a binary range or multirange parameter; false when `p` is not one.
bool append_range_param_text(const param_ref& p, std::string& out);

template <typename T>
range<T> decode_range(const value_view& v, std::uint32_t fallback_element) {
  constexpr std::string_view name = "pgwrap::range";
  range_parts parts;
  parse_range(v, name, parts);
  if (parts.empty) return range<T>();
  std::uint32_t element = range_element_oid(v.type_oid);
  if (element == oid::unknown) element = fallback_element;
  const auto bound = [&](std::string_view data, bool upper) -> std::optional<T> {
    try {
      return codec<T>::decode(value_view{data, element, v.format});
    } catch (const conversion_error& err) {
      bad_range_bound(v, name, upper, err.what());
    }
  };
  std::optional<T> lower = parts.has_lower ? bound(parts.lower, false) : std::nullopt;
  std::optional<T> upper = parts.has_upper ? bound(parts.upper, true) : std::nullopt;
  const char bounds[2] = {parts.lower_inclusive ? '[' : '(', parts.upper_inclusive ? ']' : ')'};
  return range<T>(std::move(lower), std::move(upper), std::string_view(bounds, 2));
}

template <typename T>
param_ref encode_range(const range<T>& r, std::string& out) {
  constexpr std::uint32_t type = range_oid(null_oid<T>());
  if (r.is_empty()) return write_range(true, nullptr, false, nullptr, false, type, out);
  std::string lower_scratch;
  std::string upper_scratch;
  param_ref lower;
  param_ref upper;
  if (r.lower()) lower = codec<T>::encode(*r.lower(), lower_scratch);
  if (r.upper()) upper = codec<T>::encode(*r.upper(), upper_scratch);
  return write_range(false, r.lower() ? &lower : nullptr, r.lower_inclusive(), r.upper() ? &upper : nullptr,
                     r.upper_inclusive(), type, out);
}

template <typename T>
std::vector<range<T>> decode_multirange(const value_view& v) {
  std::uint32_t range_type = multirange_range_oid(v.type_oid);
  if (range_type == oid::unknown) range_type = range_oid(null_oid<T>());
  const std::vector<std::string_view> pieces = split_multirange(v, "pgwrap::multirange");
  std::vector<range<T>> out;
  out.reserve(pieces.size());
  for (const std::string_view piece : pieces) {
    out.push_back(decode_range<T>(value_view{piece, range_type, v.format}, null_oid<T>()));
  }
  return out;
}

template <typename T>
param_ref encode_multirange(std::span<const range<T>> ranges, std::string& out) {
  constexpr std::uint32_t type = multirange_oid(range_oid(null_oid<T>()));
  std::vector<std::string> scratch(ranges.size());
  std::vector<param_ref> refs;
  refs.reserve(ranges.size());
  for (std::size_t i = 0; i < ranges.size(); ++i) refs.push_back(encode_range(ranges[i], scratch[i]));
  return write_multirange(refs, type, out);
}
}  // namespace detail

template <typename T>
std::string range<T>::to_string() const requires requires(const T& v, std::string& s) {
  codec<T>::encode(v, s);
}
{
  if (empty_) return "empty";
  std::string out(1, lower_inclusive_ ? '[' : '(');
  std::string scratch;
  std::string text;
  if (lower_) {
    detail::append_param_text(codec<T>::encode(*lower_, scratch), text);
    detail::append_range_bound(text, out);
  }
  out += ',';
  if (upper_) {
    text.clear();
    detail::append_param_text(codec<T>::encode(*upper_, scratch), text);
    detail::append_range_bound(text, out);
  }
  out += upper_inclusive_ ? ']' : ')';
  return out;
}

/// @brief A range: sent in binary (range_send) with the built-in range type's OID
/// when T is one of the element types above; read from the text and binary
/// forms of any range type whose bounds T's codec reads.
template <typename T>
requires detail::has_encode<T> || detail::has_decode<T>
struct codec<range<T>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = detail::range_oid(detail::null_oid<T>());
  static param_ref encode(const range<T>& r, std::string& scratch) requires detail::has_encode<T> {
    return detail::encode_range(r, scratch);
  }
  static range<T> decode(const value_view& v) requires detail::has_decode<T> &&(!detail::views_its_data<T>) {
    return detail::decode_range<T>(v, detail::null_oid<T>());
  }
  static bool reads_binary(std::uint32_t type) {
    const std::uint32_t element = detail::range_element_oid(type);
    return element != oid::unknown && detail::reads_binary<T>(element);
  }
  /// @}
};

/// @brief A multirange: sent as the built-in multirange type (binary), read from
/// the text and binary forms of any multirange type.
template <typename T>
requires detail::has_encode<T> || detail::has_decode<T>
struct codec<multirange<T>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = detail::multirange_oid(detail::range_oid(detail::null_oid<T>()));
  static param_ref encode(const multirange<T>& m, std::string& scratch) requires detail::has_encode<T> {
    return detail::encode_multirange<T>(m.ranges(), scratch);
  }
  static multirange<T> decode(const value_view& v) requires detail::has_decode<T> &&(!detail::views_its_data<T>) {
    return multirange<T>(detail::decode_multirange<T>(v));
  }
  static bool reads_binary(std::uint32_t type) {
    const std::uint32_t element = detail::range_element_oid(detail::multirange_range_oid(type));
    return element != oid::unknown && detail::reads_binary<T>(element);
  }
  /// @}
};

/// @brief std::vector<range<T>>: sent as an array of ranges (int4range[]); read from
/// an array of ranges or from a multirange (the column's type decides).
template <typename T>
requires detail::has_encode<T> || detail::has_decode<T>
struct codec<std::vector<range<T>>> {
  /// As pgwrap's array codec: nested vectors of ranges are arrays too.
  using array_leaf = range<T>;
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::size_t array_rank = 1;
  static constexpr std::uint32_t type_oid = detail::array_oid(detail::range_oid(detail::null_oid<T>()));

  static param_ref encode(const std::vector<range<T>>& values, std::string& scratch) requires detail::has_encode<T> {
    const std::size_t dims[1] = {values.size()};
    detail::array_encoder encoder(scratch, std::span<const std::size_t>(dims, 1), detail::null_oid<range<T>>());
    if (encoder.size() > 0) {
      std::string element;
      bool ok = true;
      detail::encode_array_elements(values, encoder, element, ok);
      if (!ok) {
        encoder.restart_as_text();
        ok = true;
        detail::encode_array_elements(values, encoder, element, ok);
      }
    }
    return encoder.finish();
  }

  static std::vector<range<T>> decode(const value_view& v) requires detail::has_decode<T> &&
      (!detail::views_its_data<T>) {
    if (detail::multirange_range_oid(v.type_oid) != oid::unknown) return detail::decode_multirange<T>(v);
    detail::array_contents a;
    detail::parse_array(v, 1, a);
    std::vector<range<T>> out;
    if (a.dims.empty()) return out;
    std::size_t next = 0;
    detail::decode_array_level(out, v, 1, a, 0, next);
    return out;
  }

  /// An array of ranges, or a multirange, whose bounds T's codec reads in binary.
  static bool reads_binary(std::uint32_t type) {
    std::uint32_t range_type = detail::multirange_range_oid(type);
    if (range_type == oid::unknown) range_type = detail::array_element_oid(type);
    const std::uint32_t element = detail::range_element_oid(range_type);
    return element != oid::unknown && detail::reads_binary<T>(element);
  }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END
