#pragma once
/// @file
/// The kinds of argument a query takes, beyond plain values: lists for
/// `IN (%s)`, maps for `%S` / `%W` / `%O`, identifiers for `%I`, and named
/// arguments for `%(name)s`.

#include <array>
#include <concepts>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <iterator>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "pgwrap/error.hpp"
#include "pgwrap/fields.hpp"
#include "pgwrap/identifier.hpp"
#include "pgwrap/types.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// A container expanded into one parameter per element (pgwrap::list()).
/**
 * `IN (%s)` with `pgwrap::list(ids)` becomes `IN ($1, $2, $3)`. An empty list
 * is a usage_error (`IN ()` is not SQL). A bare container, without list(),
 * is one array parameter instead: `= ANY(%s)` with `ids` keeps one statement
 * shape for any number of ids, which is kinder to the server's statement
 * cache.
 *
 * @par Errors
 * The call throws usage_error for an empty list, and conversion_error
 * naming the argument when an element cannot be encoded.
 *
 * @par Lifetime
 * It refers to the container, so use it inside the call.
 */
template <typename R>
struct list_arg {
  /// The container, by reference (or an initializer_list)
  R items;
};

namespace detail {
namespace range_access {
using std::begin;
using std::end;
/// What pgwrap needs of a range it reads: that range-for can walk it (begin,
/// end, !=, ++, *). Deliberately not std::ranges::input_range: pgwrap uses
/// no more than this, and the wider concept also demands iterator traits
/// (difference_type, postfix ++) that plain hand-written ranges leave out.
template <typename R>
concept iterable = requires(R& r) {
  { begin(r) != end(r) } -> std::convertible_to<bool>;
  ++std::declval<decltype(begin(r))&>();
  *begin(r);
};
template <typename R>
using reference_t = decltype(*begin(std::declval<R&>()));
}  // namespace range_access

/// A range pgwrap can read rows or list items from (see range_access::iterable).
template <typename R>
concept iterable = range_access::iterable<R>;
/// The element type of such a range (what *begin(r) yields, as a value).
template <typename R>
using range_element_t = std::remove_cvref_t<range_access::reference_t<R>>;
}  // namespace detail

/// @brief Expands `items` into one parameter per element; see list_arg.
/// @code
/// db.query("SELECT * FROM users WHERE id IN (%s)", pgwrap::list(ids));
/// @endcode
/// Taken by forwarding reference, so views that can only be walked when not
/// const (std::views::filter, take_while, ...) work too.
template <detail::iterable R>
[[nodiscard]] list_arg<R&> list(R&& items) {
  return {items};
}
/// The same for a braced list: `pgwrap::list({1, 2, 3})`.
template <typename T>
[[nodiscard]] list_arg<std::initializer_list<T>> list(std::initializer_list<T> items) {
  return {items};
}

/// A named argument for `%(name)s`: `pgwrap::arg("id", 42)`.
/**
 * @par Errors
 * The call throws usage_error when a name has no `%(name)s`, a `%(name)s`
 * has no argument, or two arguments share a name.
 *
 * @par Lifetime
 * It refers to the value, so use it inside the call, as fmt::arg is used.
 */
template <typename T>
struct named_arg {
  /// The type of the value.
  using value_type = T;
  /// The name in `%(name)s`; viewed, not copied.
  std::string_view name;
  /// The value, by reference.
  const T& value;
};
/// @brief Names `value` for `%(name)s`; see named_arg.
/// @code
/// db.query("SELECT * FROM users WHERE id = %(id)s OR boss = %(id)s", pgwrap::arg("id", 42));
/// @endcode
template <typename T>
[[nodiscard]] named_arg<T> arg(std::string_view name, const T& value) {
  return {name, value};
}

/// The `_a` literal for named arguments: `using namespace pgwrap::literals;`.
namespace literals {
/// `"id"_a = 42` is `pgwrap::arg("id", 42)`.
struct argument_name {
  /// The literal's text.
  std::string_view name;
  /// The named argument `name` for `value` (a reference: use it inside the call).
  template <typename T>
  named_arg<T> operator=(const T& value) const {  // NOLINT(misc-unconventional-assign-operator)
    return {name, value};
  }
};
/// `"id"_a`: a name waiting for its value (`"id"_a = 42`).
constexpr argument_name operator""_a(const char* name, std::size_t size) { return {{name, size}}; }
}  // namespace literals

/// @brief A range of (column, value) pairs: std::map<std::string, V>, a vector of
/// pairs, ... (pgwrap::fields qualifies too).
template <typename M>
concept map_like = std::ranges::forward_range<const M> && requires(std::ranges::range_reference_t<const M> e) {
  { e.first } -> std::convertible_to<std::string_view>;
  requires encodable<std::remove_cvref_t<decltype(e.second)>>;
};

namespace detail {

/// What an argument can stand for. Strings may be values or identifiers; a
/// map with a codec of its own (pgwrap::hstore) is one value for `%s` and a
/// map of column to value for `%S` / `%W` / `%A` / `%O` (map_value).
enum class arg_category : unsigned char { value, text_value, list, map, identifier, unsupported, map_value };

/// Whether an argument of this category can stand for a map of column to value.
constexpr bool is_map_category(arg_category c) { return c == arg_category::map || c == arg_category::map_value; }

template <typename T>
struct is_named_arg : std::false_type {};
template <typename T>
struct is_named_arg<named_arg<T>> : std::true_type {};
template <typename T>
struct is_list_arg : std::false_type {};
template <typename R>
struct is_list_arg<list_arg<R>> : std::true_type {};

template <typename T>
constexpr arg_category category_of() {
  using U = std::remove_cvref_t<T>;
  if constexpr (is_named_arg<U>::value) {
    return category_of<typename U::value_type>();
  } else if constexpr (std::same_as<U, ident>) {
    return arg_category::identifier;
  } else if constexpr (is_list_arg<U>::value) {
    return arg_category::list;
  } else if constexpr (map_like<U> && encodable<U>) {
    return arg_category::map_value;
  } else if constexpr (std::same_as<U, fields> || map_like<U>) {
    return arg_category::map;
  } else if constexpr (std::same_as<codec_type<U>, std::string> || std::same_as<codec_type<U>, std::string_view> ||
                       std::same_as<codec_type<U>, const char*> || std::same_as<codec_type<U>, char*>) {
    return arg_category::text_value;
  } else if constexpr (encodable<U>) {
    return arg_category::value;
  } else {
    return arg_category::unsupported;
  }
}

struct map_entry_ref {
  std::string_view column;
  param_ref value;
};

/// One argument, type-erased for the SQL expansion in src/sql.cpp.
struct arg_ref {
  arg_category category = arg_category::value;
  std::string_view name;       // named arguments only
  param_ref value;             // value, text_value
  const char* text = nullptr;  // text_value: the string itself (for %I); identifier: quoted
  std::size_t text_size = 0;
  std::span<const param_ref> list;  // list
  std::span<const map_entry_ref> map;
};

// Binders encode one argument and own whatever its parameters point into;
// they never move once bound.
template <typename T, arg_category = category_of<T>()>
struct binder {
  static_assert(category_of<T>() != arg_category::unsupported,
                "pgwrap: this argument type has no pgwrap::codec; see docs/querying.md");
};

template <typename T>
struct binder<T, arg_category::value> {
  std::string scratch;
  arg_ref bind(const T& v) {
    arg_ref r;
    r.value = codec<codec_type<T>>::encode(v, scratch);
    return r;
  }
};

template <typename T>
struct binder<T, arg_category::text_value> {
  std::string scratch;
  arg_ref bind(const T& v) {
    arg_ref r;
    r.category = arg_category::text_value;
    r.value = codec<codec_type<T>>::encode(v, scratch);
    const std::string_view raw = as_view(v);
    r.text = raw.data();
    r.text_size = raw.size();
    return r;
  }
  static std::string_view as_view(const T& v) {
    if constexpr (std::is_pointer_v<T>) {
      return v ? std::string_view(v) : std::string_view();
    } else {
      return std::string_view(v);
    }
  }
};

template <typename T>
struct binder<T, arg_category::identifier> {
  arg_ref bind(const ident& v) {
    arg_ref r;
    r.category = arg_category::identifier;
    r.text = v.quoted().data();
    r.text_size = v.quoted().size();
    return r;
  }
};

template <typename R>
struct binder<list_arg<R>, arg_category::list> {
  using element = range_element_t<R>;
  // A range that makes its items as it goes (std::views::transform) hands
  // out temporaries, which the parameters must not point into: keep them.
  static constexpr bool keeps_items = !std::is_lvalue_reference_v<range_access::reference_t<R>>;
  std::vector<param_ref> refs;
  std::deque<std::string> scratch;  // a deque: elements never move as it grows
  std::deque<element> kept;         // keeps_items only
  arg_ref bind(const list_arg<R>& l) {
    for (auto&& item : l.items) {  // one pass: the range need not be walkable twice
      const element* value = &item;
      if constexpr (keeps_items) value = &kept.emplace_back(std::forward<decltype(item)>(item));
      refs.push_back(codec<codec_type<element>>::encode(*value, scratch.emplace_back()));
    }
    arg_ref r;
    r.category = arg_category::list;
    r.list = refs;
    return r;
  }
};

template <typename M>
struct binder<M, arg_category::map> {
  std::vector<map_entry_ref> entries;
  std::vector<std::string> scratch;
  arg_ref bind(const M& m) {
    if constexpr (std::same_as<M, fields>) {
      entries.reserve(m.size());
      for (const auto& e : m) entries.push_back({e.column, e.value.ref()});
    } else {
      using value = std::remove_cvref_t<decltype(std::ranges::begin(m)->second)>;
      const auto n = static_cast<std::size_t>(std::ranges::distance(m));
      scratch.resize(n);
      entries.reserve(n);
      for (const auto& [column, v] : m) {
        entries.push_back({column, codec<codec_type<value>>::encode(v, scratch[entries.size()])});
      }
    }
    arg_ref r;
    r.category = arg_category::map;
    r.map = entries;
    return r;
  }
};

// A map that is also a value: the map's entries and its own one parameter.
template <typename M>
struct binder<M, arg_category::map_value> {
  binder<M, arg_category::map> entries;
  std::string scratch;
  arg_ref bind(const M& m) {
    arg_ref r = entries.bind(m);
    r.category = arg_category::map_value;
    r.value = codec<M>::encode(m, scratch);
    return r;
  }
};

template <typename T>
struct named_binder {
  binder<T> inner;
  arg_ref bind(const named_arg<T>& a) {
    arg_ref r = inner.bind(a.value);
    r.name = a.name;
    return r;
  }
};

template <typename T>
struct binder_for {
  using type = binder<T>;
};
template <typename T>
struct binder_for<named_arg<T>> {
  using type = named_binder<T>;
};

// Names the argument (from 1) that could not be encoded.

[[noreturn]] void throw_argument_error(std::size_t index, const char* why);

/// All of a call's arguments, bound in place.
template <typename... Args>
class bound_args {
 public:
  explicit bound_args(const Args&... args) { bind_all(std::index_sequence_for<Args...>{}, args...); }
  bound_args(const bound_args&) = delete;
  bound_args& operator=(const bound_args&) = delete;

  [[nodiscard]] std::span<const arg_ref> refs() const noexcept { return refs_; }

 private:
  template <std::size_t... I>
  void bind_all(std::index_sequence<I...>, const Args&... args) {
    std::size_t i = 0;
    try {
      ((refs_[I] = std::get<I>(binders_).bind(args), ++i), ...);
    } catch (const conversion_error& e) {
      throw_argument_error(i, e.what());
    }
  }

  std::tuple<typename binder_for<Args>::type...> binders_;
  std::array<arg_ref, sizeof...(Args)> refs_{};
};

}  // namespace detail
}  // namespace pgwrap
PGWRAP_API_END
