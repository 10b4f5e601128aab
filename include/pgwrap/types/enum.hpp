#pragma once
/// @file
/// C++ enums as PostgreSQL enums, by label.
/**
 *     enum class color { red, green, blue };
 *     PGWRAP_ENUM(color, red, green, blue)        // labels 'red', 'green', 'blue'
 *
 *     enum class mood { ok, very_happy };
 *     PGWRAP_ENUM_LABELS(mood, (ok, "ok"), (very_happy, "very happy"))
 *
 * Use either macro at namespace scope in the enum's own namespace (it is
 * found by argument-dependent lookup, as PGWRAP_DESCRIBE is). A value is
 * sent as its label in text with type "unknown", so the server reads it as
 * whatever enum the context needs (`INSERT INTO t (c) VALUES (%s)`,
 * `WHERE c = %s`; write `%s::color` where nothing else says the type). A
 * result is read by label from text and binary (an enum's binary form is its
 * label's bytes); a label the mapping does not know is a conversion_error
 * naming it. Duplicate enumerators or labels, empty labels and labels longer
 * than PostgreSQL's 63 bytes are compile errors.
 */

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "pgwrap/codec.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// One enumerator and its PostgreSQL label.
template <typename E>
struct enum_label {
  /// The enumerator.
  E value;
  /// Its label in PostgreSQL.
  std::string_view label;
};

/// What PGWRAP_ENUM records: the C++ type's name (for messages) and its labels.
template <typename E, std::size_t N>
struct enum_mapping {
  /// The enum's C++ name, as written in the macro.
  std::string_view cxx_name;
  /// Every enumerator with its label.
  std::array<enum_label<E>, N> labels;
};

namespace detail {
// Never constexpr: reaching one in a constant evaluation is the compile error.
void pgwrap_enum_error_duplicate_enumerator();
void pgwrap_enum_error_duplicate_label();
void pgwrap_enum_error_empty_label();
void pgwrap_enum_error_label_longer_than_63_bytes();
void pgwrap_enum_error_label_holds_a_nul_byte();

template <typename E, std::size_t N>
consteval bool check_enum_mapping(const enum_mapping<E, N>& m) {
  for (std::size_t i = 0; i < N; ++i) {
    const std::string_view label = m.labels[i].label;
    if (label.empty()) pgwrap_enum_error_empty_label();
    if (label.size() > 63) pgwrap_enum_error_label_longer_than_63_bytes();
    if (label.find('\0') != std::string_view::npos) pgwrap_enum_error_label_holds_a_nul_byte();
    for (std::size_t j = 0; j < i; ++j) {
      if (m.labels[j].value == m.labels[i].value) pgwrap_enum_error_duplicate_enumerator();
      if (m.labels[j].label == label) pgwrap_enum_error_duplicate_label();
    }
  }
  return true;
}

/// An enum described with PGWRAP_ENUM or PGWRAP_ENUM_LABELS.
template <typename E>
concept described_enum = std::is_enum_v<E> && requires(const E* p) {
  pgwrap_enum_mapping(p);
};

template <described_enum E>
constexpr auto enum_mapping_of() {
  return pgwrap_enum_mapping(static_cast<const E*>(nullptr));
}

// The errors, out of line.
[[noreturn]] void enum_value_without_label(std::string_view cxx_name, long long value);
[[noreturn]] void unknown_enum_label(const value_view& v, std::string_view cxx_name, std::string_view label,
                                     std::string_view known);
/// An enum value's label as the server sent it (text, or binary: the label's bytes).
std::string_view read_enum_label(const value_view& v, std::string_view cxx_name);
/// Whether an enum codec takes a column of this type in binary: text types,
/// and the types the catalog says are enums (their OIDs differ per database).
bool enum_reads_binary(std::uint32_t oid, const type_set* types) noexcept;
}  // namespace detail

/// The label of an enum value; std::nullopt for a value the mapping lacks.
template <detail::described_enum E>
[[nodiscard]] constexpr std::optional<std::string_view> enum_to_label(E value) noexcept {
  for (const auto& l : detail::enum_mapping_of<E>().labels) {
    if (l.value == value) return l.label;
  }
  return std::nullopt;
}

/// The enum value of a label; std::nullopt for an unknown label.
template <detail::described_enum E>
[[nodiscard]] constexpr std::optional<E> enum_from_label(std::string_view label) noexcept {
  for (const auto& l : detail::enum_mapping_of<E>().labels) {
    if (l.label == label) return l.value;
  }
  return std::nullopt;
}

/// An enum described with PGWRAP_ENUM: sent as its label, read by label.
/**
 * Sent in text with type "unknown"; read from text and binary.
 *
 * @par Errors
 * conversion_error when a value has no label in the mapping (sending) or a
 * label has no enumerator (reading); both name the value.
 */
template <detail::described_enum E>
struct codec<E> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(E value, std::string& scratch) {
    const std::optional<std::string_view> label = enum_to_label(value);
    if (!label) {
      detail::enum_value_without_label(detail::enum_mapping_of<E>().cxx_name,
                                       static_cast<long long>(static_cast<std::underlying_type_t<E>>(value)));
    }
    scratch.assign(*label);
    return param_ref::text(scratch.c_str(), oid::unknown);
  }
  static E decode(const value_view& v) {
    constexpr auto mapping = detail::enum_mapping_of<E>();
    const std::string_view label = detail::read_enum_label(v, mapping.cxx_name);
    if (const std::optional<E> e = enum_from_label<E>(label)) return *e;
    std::string known;
    for (const auto& l : mapping.labels) {
      if (!known.empty()) known += ", ";
      known += l.label;
    }
    detail::unknown_enum_label(v, mapping.cxx_name, label, known);
  }
  static bool reads_binary(std::uint32_t type, const detail::type_set* types) {
    return detail::enum_reads_binary(type, types);
  }
  /// @}
};

}  // namespace pgwrap

// The macros' own repetition (up to 256 enumerators).
#define PGWRAP_DETAIL_ENUM_PARENS ()
#define PGWRAP_DETAIL_ENUM_EXPAND(...) \
  PGWRAP_DETAIL_ENUM_EXPAND4(          \
      PGWRAP_DETAIL_ENUM_EXPAND4(PGWRAP_DETAIL_ENUM_EXPAND4(PGWRAP_DETAIL_ENUM_EXPAND4(__VA_ARGS__))))
#define PGWRAP_DETAIL_ENUM_EXPAND4(...) \
  PGWRAP_DETAIL_ENUM_EXPAND1(           \
      PGWRAP_DETAIL_ENUM_EXPAND1(PGWRAP_DETAIL_ENUM_EXPAND1(PGWRAP_DETAIL_ENUM_EXPAND1(__VA_ARGS__))))
#define PGWRAP_DETAIL_ENUM_EXPAND1(...) __VA_ARGS__

#define PGWRAP_DETAIL_ENUM_NAMES(type, first, ...) \
  ::pgwrap::enum_label<type>{                      \
      type::first, #first} __VA_OPT__(, PGWRAP_DETAIL_ENUM_NAMES_AGAIN PGWRAP_DETAIL_ENUM_PARENS(type, __VA_ARGS__))
#define PGWRAP_DETAIL_ENUM_NAMES_AGAIN() PGWRAP_DETAIL_ENUM_NAMES

#define PGWRAP_DETAIL_ENUM_PAIR_VALUE(value, label) value
#define PGWRAP_DETAIL_ENUM_PAIR_LABEL(value, label) label
#define PGWRAP_DETAIL_ENUM_PAIRS(type, first, ...)                                                              \
  ::pgwrap::enum_label<type>{                                                                                   \
      type::PGWRAP_DETAIL_ENUM_PAIR_VALUE first,                                                                \
      PGWRAP_DETAIL_ENUM_PAIR_LABEL first} __VA_OPT__(,                                                         \
                                                      PGWRAP_DETAIL_ENUM_PAIRS_AGAIN PGWRAP_DETAIL_ENUM_PARENS( \
                                                          type, __VA_ARGS__))
#define PGWRAP_DETAIL_ENUM_PAIRS_AGAIN() PGWRAP_DETAIL_ENUM_PAIRS

#define PGWRAP_DETAIL_ENUM_DEFINE(type, ...)                                      \
  [[maybe_unused]] constexpr auto pgwrap_enum_mapping(const type*) {              \
    constexpr ::std::array labels{__VA_ARGS__};                                   \
    constexpr ::pgwrap::enum_mapping<type, labels.size()> mapping{#type, labels}; \
    static_assert(::pgwrap::detail::check_enum_mapping(mapping));                 \
    return mapping;                                                               \
  }

/// @brief Maps an enum to a PostgreSQL enum whose labels are the enumerators'
/// names: `PGWRAP_ENUM(color, red, green, blue)`. At namespace scope in the
/// enum's namespace; up to 256 enumerators.
#define PGWRAP_ENUM(type, ...) \
  PGWRAP_DETAIL_ENUM_DEFINE(type, PGWRAP_DETAIL_ENUM_EXPAND(PGWRAP_DETAIL_ENUM_NAMES(type, __VA_ARGS__)))

/// @brief Maps an enum to a PostgreSQL enum with labels given as strings:
/// `PGWRAP_ENUM_LABELS(mood, (ok, "ok"), (very_happy, "very happy"))`.
#define PGWRAP_ENUM_LABELS(type, ...) \
  PGWRAP_DETAIL_ENUM_DEFINE(type, PGWRAP_DETAIL_ENUM_EXPAND(PGWRAP_DETAIL_ENUM_PAIRS(type, __VA_ARGS__)))
PGWRAP_API_END
