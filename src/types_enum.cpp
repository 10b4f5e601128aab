// Enums by label: the errors, and a label as the server sends it.

#include <cstdint>
#include <string>
#include <string_view>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

namespace {
// Types below this OID are built in (FirstNormalObjectId); enums, and the
// other types a database or extension creates, are at or above it.
constexpr std::uint32_t first_normal_oid = 16384;
}  // namespace

void enum_value_without_label(std::string_view cxx_name, long long value) {
  throw conversion_error("cannot send " + std::string(cxx_name) + " value " + std::to_string(value) +
                         ": it has no label in its PGWRAP_ENUM mapping");
}

void unknown_enum_label(const value_view& v, std::string_view cxx_name, std::string_view label,
                        std::string_view known) {
  constexpr std::size_t limit = 63;  // a label is at most 63 bytes; anything longer is cut
  std::string shown(label.substr(0, limit));
  if (label.size() > limit) shown += "...";
  conversion_failure(v, cxx_name,
                     "unknown label \"" + shown + "\" (" + std::string(cxx_name) + " maps " + std::string(known) + ")");
}

std::string_view read_enum_label(const value_view& v, std::string_view cxx_name) {
  if (v.format == wire_format::binary && v.type_oid >= first_normal_oid) return v.data;  // the label's bytes
  return read_text(v, cxx_name);
}

bool enum_reads_binary(std::uint32_t oid) noexcept { return is_text_oid(oid) || oid >= first_normal_oid; }

}  // namespace pgwrap::detail
