#pragma once
/// @file
/// Describing a struct's members to pgwrap, so rows read into it by column
/// name and inserts take it: the C++ form of psycopgwrap's `row.id`.
///
///     struct user { int id; std::string name; std::optional<int> uid; };
///     PGWRAP_DESCRIBE(user, id, name, uid)   // at namespace scope, after the struct
///
///     for (const user& u : db.query<user>("SELECT id, name, uid FROM users")) ...
///     db.insert("users", pgwrap::to_fields(u, {"id"}));   // all members but id

#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "pgwrap/detail/members.hpp"
#include "pgwrap/fields.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// @brief A struct read with missing columns left default-initialised and extra
/// columns ignored: `db.query<pgwrap::relaxed<user>>(...)` yields `user`.
template <typename S>
struct relaxed {
  /// The struct read.
  using type = S;
};

/// The members of a described struct as insert() takes them.
/**
 * In declaration order, leaving out the columns named in `except` (e.g. a
 * generated id).
 *
 * @par Errors
 * conversion_error when a member's codec refuses its value.
 */
template <detail::described S>
fields to_fields(const S& value, std::initializer_list<std::string_view> except = {}) {
  fields out;
  std::apply(
      [&](const auto&... m) {
        auto add = [&](const auto& member) {
          for (const std::string_view skipped : except) {
            if (skipped == member.name) return;
          }
          out.add(std::string(member.name), value.*(member.pointer));
        };
        (add(m), ...);
      },
      detail::members_of<S>());
  return out;
}

}  // namespace pgwrap

#define PGWRAP_DETAIL_PARENS ()
#define PGWRAP_DETAIL_EXPAND(...) PGWRAP_DETAIL_EXPAND3(PGWRAP_DETAIL_EXPAND3(PGWRAP_DETAIL_EXPAND3(__VA_ARGS__)))
#define PGWRAP_DETAIL_EXPAND3(...) PGWRAP_DETAIL_EXPAND2(PGWRAP_DETAIL_EXPAND2(PGWRAP_DETAIL_EXPAND2(__VA_ARGS__)))
#define PGWRAP_DETAIL_EXPAND2(...) PGWRAP_DETAIL_EXPAND1(PGWRAP_DETAIL_EXPAND1(PGWRAP_DETAIL_EXPAND1(__VA_ARGS__)))
#define PGWRAP_DETAIL_EXPAND1(...) __VA_ARGS__
/// @brief Describes a struct's members (by name, in order) to pgwrap; up to 27
/// members. Use it at namespace scope in the struct's namespace.
#define PGWRAP_DESCRIBE(type, ...)                                                              \
  [[maybe_unused]] constexpr auto pgwrap_describe(const type*) {                                \
    return ::std::tuple_cat(::std::tuple<>() PGWRAP_DETAIL_FOR_EACH_TUPLES(type, __VA_ARGS__)); \
  }

#define PGWRAP_DETAIL_FOR_EACH_TUPLES(type, ...) \
  __VA_OPT__(PGWRAP_DETAIL_EXPAND(PGWRAP_DETAIL_TUPLE_STEP(type, __VA_ARGS__)))
#define PGWRAP_DETAIL_TUPLE_STEP(type, first, ...)                         \
  , ::std::make_tuple(::pgwrap::detail::make_member(#first, &type::first)) \
        __VA_OPT__(PGWRAP_DETAIL_TUPLE_AGAIN PGWRAP_DETAIL_PARENS(type, __VA_ARGS__))
#define PGWRAP_DETAIL_TUPLE_AGAIN() PGWRAP_DETAIL_TUPLE_STEP
PGWRAP_API_END
