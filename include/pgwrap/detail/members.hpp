#pragma once
// What PGWRAP_DESCRIBE (pgwrap/describe.hpp) defines, on its own, so the
// composite codec (pgwrap/types/composite.hpp) can use it without the rest.

#include <string_view>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap::detail {
/// One described member: its column name and its pointer-to-member.
template <typename S, typename M>
struct member {
  std::string_view name;
  M S::*pointer;
  using type = M;
};
template <typename S, typename M>
constexpr member<S, M> make_member(std::string_view name, M S::*pointer) {
  return {name, pointer};
}

// The description is found by argument-dependent lookup, so PGWRAP_DESCRIBE
// works in the struct's own namespace.
template <typename S>
concept described = requires(const S* p) {
  pgwrap_describe(p);
};

template <typename S>
constexpr auto members_of() {
  return pgwrap_describe(static_cast<const S*>(nullptr));
}
}  // namespace pgwrap::detail
PGWRAP_API_END
