// Enums by label: the errors, and a label as the server sends it.

#include <cstdint>
#include <string>
#include <string_view>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

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

// Binary is asked for only where the catalog says enum; a binary value of
// a type not built in is read as an enum's (its label's bytes) also where
// the catalog is not at hand (a value fetched by other means).
std::string_view read_enum_label(const value_view& v, std::string_view cxx_name) {
  if (v.format == wire_format::binary && v.type_oid >= first_user_oid) return v.data;  // the label's bytes
  return read_text(v, cxx_name);
}

bool enum_reads_binary(std::uint32_t oid, const type_set* types) noexcept {
  return is_text_oid(oid) || (types != nullptr && types->is_enum(oid));
}

}  // namespace pgwrap::detail
