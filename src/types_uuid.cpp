// pgwrap::uuid: canonical text, errors, and reading results.

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap {

std::string uuid::to_string() const {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto b = static_cast<unsigned>(bytes_[i]);
    out += hex[b >> 4];
    out += hex[b & 0xF];
  }
  return out;
}

void uuid::throw_invalid(std::string_view text) {
  constexpr std::size_t limit = 40;
  std::string shown(text.substr(0, limit));
  if (text.size() > limit) shown += "...";
  throw conversion_error("invalid uuid \"" + shown +
                         "\": expected 32 hex digits, as in a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
}

std::ostream& operator<<(std::ostream& out, const uuid& id) { return out << id.to_string(); }

namespace detail {

uuid read_uuid(const value_view& v) {
  constexpr std::string_view type = "pgwrap::uuid";
  if (v.format == wire_format::binary) {
    if (v.type_oid != oid::uuid) conversion_failure(v, type, "its binary form is not a uuid");
    expect_size(v, 16, type);
    uuid::bytes_type bytes{};
    for (std::size_t i = 0; i < 16; ++i) bytes[i] = static_cast<std::byte>(v.data[i]);
    return uuid(bytes);
  }
  const std::optional<uuid> id = uuid::try_parse(v.data);
  if (!id) conversion_failure(v, type, "not a uuid");
  return *id;
}

}  // namespace detail
}  // namespace pgwrap
