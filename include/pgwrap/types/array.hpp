#pragma once
/// @file
/// std::vector<T> as a PostgreSQL array, for any T that has a codec.
/**
 * - `std::vector<T>` is a one-dimensional array; `std::vector<std::vector<T>>`
 *   a two-dimensional one, and so on (PostgreSQL allows up to 6 dimensions).
 *   Sub-vectors must all have the same length: a ragged vector is a
 *   conversion_error when it is sent.
 * - NULL elements are `std::optional<T>` elements. Reading a NULL element into
 *   a plain `T` is a conversion_error naming the element, e.g. `element [2]`
 *   (0-based C++ indices).
 * - Sending: when T's codec encodes in binary with a type OID that has a known
 *   array type (int, bigint, double, bool, ...), the vector goes in
 *   PostgreSQL's binary array format with the array type's OID (`integer[]`
 *   for int). Otherwise (strings, which go as "unknown" so that the server
 *   picks the type, numeric in text, ...) it goes as an array literal
 *   `{"a","b",NULL}` with every element quoted, with the array type's OID when
 *   the element's is known, else 0 so that the server infers the array type
 *   from the context (`uuid_col = ANY(%s)` with strings works). An empty vector
 *   and one with only NULLs go as the literal (`{}`, `{NULL}`).
 * - An array with no elements is always `{}`: PostgreSQL has no empty
 *   sub-arrays, so `{{}, {}}` is sent as `{}` (and reads back as an empty
 *   outer vector).
 * - Reading: text (`{1,2,3}`, quoting, escapes, `NULL` vs `"NULL"`, nested
 *   braces) and binary results alike; each element goes to T's codec with the
 *   element type's OID. The number of dimensions must match the nesting of
 *   the vector (an empty array fits any nesting). Lower bounds are dropped:
 *   `'[0:2]={1,2,3}'` reads as {1, 2, 3}.
 * - A vector of std::string_view cannot be read (its elements would view
 *   unescaped text that does not outlive the read); read std::string.
 * - Wrap a vector in pgwrap::list to expand it into `$1, $2, ...` instead.
 */

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pgwrap/codec.hpp"
#include "pgwrap/error.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

namespace detail {
// The array type of an element type (0 when pgwrap knows none: the server
// then infers the array type from the context, as for strings).
constexpr std::uint32_t array_oid(std::uint32_t element) {
  switch (element) {
    case oid::boolean: return 1000;
    case oid::bytea: return 1001;
    case oid::char_: return 1002;
    case oid::name: return 1003;
    case oid::int2: return 1005;
    case oid::int4: return 1007;
    case oid::text: return 1009;
    case oid::bpchar: return 1014;
    case oid::varchar: return 1015;
    case oid::int8: return 1016;
    case oid::float4: return 1021;
    case oid::float8: return 1022;
    case oid::oid: return 1028;
    case oid::timestamp: return 1115;
    case oid::date: return 1182;
    case oid::time: return 1183;
    case oid::timestamptz: return 1185;
    case 3904: return 3905;  // int4range (the range OIDs: pgwrap/types/range.hpp)
    case 3906: return 3907;  // numrange
    case 3908: return 3909;  // tsrange
    case 3910: return 3911;  // tstzrange
    case 3912: return 3913;  // daterange
    case 3926: return 3927;  // int8range
    case oid::interval: return 1187;
    case oid::numeric: return 1231;
    case oid::json: return 199;
    case oid::uuid: return 2951;
    case oid::jsonb: return 3807;
    case oid::inet: return 1041;
    case oid::cidr: return 651;
    case oid::macaddr: return 1040;
    case oid::macaddr8: return 775;
    default: return oid::unknown;
  }
}

// The element type of an array type (0 when pgwrap does not know it).
constexpr std::uint32_t array_element_oid(std::uint32_t array) {
  switch (array) {
    case 1000: return oid::boolean;
    case 1001: return oid::bytea;
    case 1002: return oid::char_;
    case 1003: return oid::name;
    case 1005: return oid::int2;
    case 1007: return oid::int4;
    case 1009: return oid::text;
    case 1014: return oid::bpchar;
    case 1015: return oid::varchar;
    case 1016: return oid::int8;
    case 1021: return oid::float4;
    case 1022: return oid::float8;
    case 1028: return oid::oid;
    case 1115: return oid::timestamp;
    case 1182: return oid::date;
    case 1183: return oid::time;
    case 1185: return oid::timestamptz;
    case 3905: return 3904;  // int4range
    case 3907: return 3906;  // numrange
    case 3909: return 3908;  // tsrange
    case 3911: return 3910;  // tstzrange
    case 3913: return 3912;  // daterange
    case 3927: return 3926;  // int8range
    case 1187: return oid::interval;
    case 1231: return oid::numeric;
    case 199: return oid::json;
    case 2951: return oid::uuid;
    case 3807: return oid::jsonb;
    case 1041: return oid::inet;
    case 651: return oid::cidr;
    case 1040: return oid::macaddr;
    case 775: return oid::macaddr8;
    default: return oid::unknown;
  }
}

// The element type of a user array type (an array of composites), as the
// catalog knows it; 0 when `types` is null or does not hold it.
std::uint32_t user_array_element(std::uint32_t array, const type_set* types) noexcept;
// The same when that element type is a composite (or a domain over one), else
// 0. Throws conversion_error when the catalog look-up of either type failed.
std::uint32_t composite_array_element(std::uint32_t array, const type_set& types);

// Appends one element to an array literal: "quoted", with \\ and \" escaped.
void append_array_element(std::string_view text, std::string& out);
// The text form of a parameter, whatever form its codec chose.
void append_param_text(const param_ref& p, std::string& out);

/// PostgreSQL's limit (MAXDIM).
inline constexpr std::size_t max_array_dimensions = 6;

/// How deep a type nests as an array: 0 for an element, 1 for a
/// std::vector of elements, ... (only vectors that pgwrap's array codec
/// handles count, so a codec specialised for a vector stays an element).
template <typename T>
struct array_shape {
  static constexpr std::size_t rank = 0;
  using leaf = T;
};
template <typename U>
requires requires { typename codec<std::vector<U>>::array_leaf; }
struct array_shape<std::vector<U>> {
  static constexpr std::size_t rank = codec<std::vector<U>>::array_rank;
  using leaf = typename codec<std::vector<U>>::array_leaf;
};

template <typename T>
struct is_optional_array : std::false_type {};
template <typename U>
struct is_optional_array<std::optional<U>> : std::bool_constant<(array_shape<U>::rank > 0)> {};

template <typename T>
concept has_encode = requires(const T& v, std::string& s) {
  { codec<T>::encode(v, s) } -> std::same_as<param_ref>;
};
template <typename T>
concept has_decode = requires(const value_view& v) {
  { codec<T>::decode(v) } -> std::convertible_to<T>;
};
// Element types whose decoded value views the data it was read from.
template <typename T>
inline constexpr bool views_its_data = std::is_same_v<T, std::string_view> || std::is_pointer_v<T>;
template <typename T>
inline constexpr bool views_its_data<std::optional<T>> = views_its_data<T>;

/// Whether a value of T holds all its data, so that a copy of it stands on
/// its own: not when it (or an element or member) is a std::string_view, a
/// span or a pointer. Described structs specialise it (composite.hpp).
template <typename T>
struct owns_its_data : std::bool_constant<!views_its_data<T>> {};
template <typename T, std::size_t N>
struct owns_its_data<std::span<T, N>> : std::false_type {};
template <typename T>
struct owns_its_data<std::optional<T>> : owns_its_data<T> {};
template <typename T>
struct owns_its_data<std::vector<T>> : owns_its_data<T> {};

/// The late_copier of a T (see param_ref::late_copy).
template <typename T>
std::shared_ptr<const void> copy_late(const void* value) {
  return std::make_shared<const T>(*static_cast<const T*>(value));
}

/// Whether codec<T>'s parameters carry a late_writer (described structs,
/// also inside std::optional): an array of them then carries one too.
template <typename T>
inline constexpr bool writes_late = requires {
  codec<T>::writes_late;
};
template <typename T>
inline constexpr bool writes_late<std::optional<T>> = writes_late<T>;

/// Builds one array parameter from its elements, given one by one in
/// row-major order. It chooses the binary array format when the first
/// non-NULL element is binary with a type that has a known array type, else
/// the text literal.
class array_encoder {
 public:
  /// `dims`: each dimension's length. `null_oid`: the element type to assume
  /// when there is no non-NULL element.
  array_encoder(std::string& out, std::span<const std::size_t> dims, std::uint32_t null_oid);
  /// Adds the next element. False when the binary form cannot go on (an
  /// element in another format or type than the first): call
  /// restart_as_text() and give every element again.
  [[nodiscard]] bool add(const param_ref& element);
  void restart_as_text();
  /// The parameter; it points into `out`.
  [[nodiscard]] param_ref finish();
  /// The number of elements the dimensions hold (0: the array is `{}`).
  [[nodiscard]] std::size_t size() const noexcept { return total_; }

 private:
  enum class mode : unsigned char { undecided, binary, text };
  void start(const param_ref& first);
  void text_separator();
  void add_text(const param_ref& element);

  std::string& out_;
  std::array<std::size_t, max_array_dimensions> dims_{};
  std::size_t ndim_ = 0;
  std::size_t total_ = 0;
  std::uint32_t null_oid_ = 0;
  mode mode_ = mode::undecided;
  bool force_text_ = false;
  bool has_null_ = false;
  bool mixed_types_ = false;
  std::uint32_t element_oid_ = 0;
  std::size_t index_ = 0;
  std::size_t leading_nulls_ = 0;
  std::string element_text_;
};

/// Throws conversion_error: a ragged nested vector cannot be sent.
[[noreturn]] void ragged_array(std::span<const std::size_t> at, std::size_t size, std::size_t expected);

/// One element of an array result: its text (unescaped) or binary bytes.
struct array_element {
  std::string_view data;
  bool null = false;
};

/// An array result taken apart. Elements may view `unescaped` (and the
/// value read), so it neither copies nor moves.
struct array_contents {
  array_contents() = default;
  array_contents(const array_contents&) = delete;
  array_contents& operator=(const array_contents&) = delete;

  std::vector<std::size_t> dims;  ///< empty when the array has no elements
  std::uint32_t element_oid = 0;
  wire_format element_format = wire_format::text;
  std::vector<array_element> elements;  ///< row-major
  std::string unescaped;                ///< text elements that had quoting or escapes
};

/// Takes apart a text or binary array value. Throws conversion_error when it
/// is malformed or has another number of dimensions than `rank` (an empty
/// array fits any).
void parse_array(const value_view& v, std::size_t rank, array_contents& out);

/// Throws conversion_error: a NULL element read into a type that is not a std::optional.
[[noreturn]] void null_array_element(const value_view& v, std::size_t rank, const array_contents& a, std::size_t index);
/// Throws conversion_error naming the element whose codec threw `why`.
[[noreturn]] void bad_array_element(const array_contents& a, std::size_t index, const char* why);

/// Appends the text form of a binary array parameter (`{"1","2",NULL}`, as
/// the text encoding would send it); false when `p` is not one.
bool append_array_param_text(const param_ref& p, std::string& out);

template <typename V>
void encode_array_elements(const V& values, array_encoder& encoder, std::string& scratch, bool& ok) {
  using element = typename V::value_type;
  for (const element& v : values) {
    if constexpr (array_shape<element>::rank > 0) {
      encode_array_elements(v, encoder, scratch, ok);
    } else {
      if (!encoder.add(codec<element>::encode(v, scratch))) {
        ok = false;
        return;
      }
    }
    if (!ok) return;
  }
}

// Records each dimension's length and checks that sub-vectors agree.
template <typename V>
void measure_array(const V& values, std::size_t level, std::array<std::size_t, max_array_dimensions>& dims,
                   std::array<std::size_t, max_array_dimensions>& at, std::size_t& seen) {
  if (level == seen) {
    dims[level] = values.size();
    ++seen;
  } else if (values.size() != dims[level]) {
    ragged_array(std::span<const std::size_t>(at.data(), level), values.size(), dims[level]);
  }
  using element = typename V::value_type;
  if constexpr (array_shape<element>::rank > 0) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      at[level] = i;
      measure_array(values[i], level + 1, dims, at, seen);
    }
  }
}

// Adds each element, written again for `element_oid` where it can be.
template <typename V>
void add_late_elements(const V& values, std::uint32_t element_oid, const type_set& types, array_encoder& encoder) {
  using element = typename V::value_type;
  std::string scratch;
  std::string text;
  for (const element& v : values) {
    if constexpr (array_shape<element>::rank > 0) {
      add_late_elements(v, element_oid, types, encoder);
    } else {
      param_ref p = codec<element>::encode(v, scratch);
      if (p.late_write != nullptr && p.data != nullptr && p.late_write(p.late_source, element_oid, types, text)) {
        p = param_ref::text(text.c_str(), oid::unknown);
      }
      (void)encoder.add(p);  // text elements: the literal always takes them
    }
  }
}

/// The array literal of a vector of described structs, each element written
/// by attribute name for the element type of `type_oid` (a late_writer).
/// False when that is no array of a composite the catalog knows.
template <typename V>
bool write_array_late(const void* value, std::uint32_t type_oid, const type_set& types, std::string& out) {
  const std::uint32_t element = composite_array_element(type_oid, types);
  if (element == oid::unknown) return false;
  const V& values = *static_cast<const V*>(value);
  std::array<std::size_t, max_array_dimensions> dims{};
  std::array<std::size_t, max_array_dimensions> at{};
  std::size_t seen = 0;
  measure_array(values, 0, dims, at, seen);
  array_encoder encoder(out, std::span<const std::size_t>(dims.data(), seen), oid::unknown);
  if (encoder.size() > 0) add_late_elements(values, element, types, encoder);
  (void)encoder.finish();  // the literal is in `out`
  return true;
}

template <typename Leaf>
Leaf decode_array_element(const value_view& whole, std::size_t rank, const array_contents& a, std::size_t index) {
  const array_element& e = a.elements[index];
  if (e.null) {
    if constexpr (is_optional<Leaf>::value) {
      return std::nullopt;
    } else {
      null_array_element(whole, rank, a, index);
    }
  }
  try {
    return codec<Leaf>::decode(value_view{e.data, a.element_oid, a.element_format, whole.types});
  } catch (const conversion_error& err) {
    bad_array_element(a, index, err.what());
  }
}

template <typename V>
void decode_array_level(V& out, const value_view& whole, std::size_t rank, const array_contents& a, std::size_t level,
                        std::size_t& next) {
  using element = typename V::value_type;
  const std::size_t n = a.dims[level];
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (array_shape<element>::rank > 0) {
      element inner;
      decode_array_level(inner, whole, rank, a, level + 1, next);
      out.push_back(std::move(inner));
    } else {
      out.push_back(decode_array_element<element>(whole, rank, a, next++));
    }
  }
}
}  // namespace detail

/// @brief A std::vector is one array parameter: `WHERE id = ANY(%s)` with a vector
/// of ids. (Wrap it in pgwrap::list to expand it into `$1, $2, ...` instead.)
template <typename T>
requires detail::has_encode<T> || detail::has_decode<T>
struct codec<std::vector<T>> {
  /// Marks pgwrap's array codec: nested vectors are further dimensions.
  using array_leaf = typename detail::array_shape<T>::leaf;
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::size_t array_rank = detail::array_shape<T>::rank + 1;
  static_assert(array_rank <= detail::max_array_dimensions, "pgwrap: PostgreSQL arrays have at most 6 dimensions");
  static_assert(!detail::is_optional_array<array_leaf>::value,
                "pgwrap: an array element cannot be an optional array (PostgreSQL has no NULL sub-arrays)");

  static constexpr std::uint32_t type_oid = detail::array_oid(detail::null_oid<array_leaf>());

  static param_ref encode(const std::vector<T>& values, std::string& scratch) requires detail::has_encode<array_leaf> {
    std::array<std::size_t, detail::max_array_dimensions> dims{};
    std::array<std::size_t, detail::max_array_dimensions> at{};
    std::size_t seen = 0;
    detail::measure_array(values, 0, dims, at, seen);
    detail::array_encoder encoder(scratch, std::span<const std::size_t>(dims.data(), seen),
                                  detail::null_oid<array_leaf>());
    if (encoder.size() > 0) {
      std::string element;
      bool ok = true;
      detail::encode_array_elements(values, encoder, element, ok);
      if (!ok) {  // an element in another form or type than the first: the text literal
        encoder.restart_as_text();
        ok = true;
        detail::encode_array_elements(values, encoder, element, ok);
      }
    }
    param_ref p = encoder.finish();
    if constexpr (detail::writes_late<array_leaf>) {  // elements by attribute name, once the array's type is known
      p.late_source = &values;
      p.late_write = &detail::write_array_late<std::vector<T>>;
      if constexpr (detail::owns_its_data<std::vector<T>>::value) p.late_copy = &detail::copy_late<std::vector<T>>;
    }
    return p;
  }

  static std::vector<T> decode(const value_view& v) requires detail::has_decode<array_leaf> &&
      (!detail::views_its_data<array_leaf>) {
    detail::array_contents a;
    detail::parse_array(v, array_rank, a);
    std::vector<T> out;
    if (a.dims.empty()) return out;
    std::size_t next = 0;
    detail::decode_array_level(out, v, array_rank, a, 0, next);
    return out;
  }

  /// True for an array type whose elements T's codec reads in binary.
  static bool reads_binary(std::uint32_t oid) {
    const std::uint32_t element = detail::array_element_oid(oid);
    return element != oid::unknown && detail::reads_binary<array_leaf>(element);
  }
  /// The same, also for arrays of user types (composites) the catalog knows.
  static bool reads_binary(std::uint32_t oid, const detail::type_set* types) {
    const std::uint32_t element = detail::array_element_oid(oid);
    if (element != oid::unknown) return detail::reads_binary<array_leaf>(element, types);
    const std::uint32_t user_element = detail::user_array_element(oid, types);
    return user_element != oid::unknown && detail::reads_binary<array_leaf>(user_element, types);
  }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END
