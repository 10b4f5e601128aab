#pragma once
/// @file
/// The hstore extension's key/value type as
/// `std::map<std::string, std::optional<std::string>>` (pgwrap::hstore).
/**
 * - Sent as hstore's text form (`"a"=>"1", "b"=>NULL`) with type "unknown":
 *   hstore's OID differs from database to database, so the server takes the
 *   type from the context (a column, a function argument, or `%s::hstore`).
 * - Read from the text form (quoted or bare keys and values, backslash
 *   escapes, NULL) and the binary form (a count, then each key and value with
 *   its length; -1 for a NULL value), checking every length first.
 * - As an argument, the map is one hstore value for `%s`; with `%S`, `%W`,
 *   `%A` and `%O` it is still a map of column to value.
 * - A database without the extension answers `type "hstore" does not exist`;
 *   pgwrap's error then adds a hint to run `CREATE EXTENSION hstore`.
 */

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "pgwrap/codec.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// hstore's C++ form: keys to values, a value std::nullopt for NULL.
using hstore = std::map<std::string, std::optional<std::string>>;

namespace detail {
/// hstore's text form, as the server prints it: `"a"=>"1", "b"=>NULL`.
/// Throws conversion_error when a key or value holds a NUL byte.
void write_hstore_text(const hstore& h, std::string& out);
/// The decoders, for the codec and the fuzzer (both throw conversion_error).
hstore read_hstore_text(const value_view& v);
hstore read_hstore_binary(const value_view& v);
hstore read_hstore(const value_view& v);
/// Whether the hstore codec takes this column type in binary: text types,
/// and the type the catalog says is the hstore extension's.
bool hstore_reads_binary(std::uint32_t oid, const type_set* types) noexcept;
/// For the server's `type "hstore" does not exist` (SQLSTATE 42704), the
/// advice to create the extension; empty for any other error.
std::string_view missing_extension_hint(std::string_view sqlstate, std::string_view message) noexcept;
}  // namespace detail

/// hstore: sent as text with type "unknown", read from text and binary.
/**
 * See the file comment for the forms.
 *
 * @par Errors
 * conversion_error for a key or value holding a NUL byte (sending) and for
 * a malformed value (reading).
 */
template <>
struct codec<hstore> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(const hstore& h, std::string& scratch) {
    detail::write_hstore_text(h, scratch);
    return param_ref::text(scratch.c_str(), oid::unknown);
  }
  static hstore decode(const value_view& v) { return detail::read_hstore(v); }
  static bool reads_binary(std::uint32_t type, const detail::type_set* types) {
    return detail::hstore_reads_binary(type, types);
  }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END
