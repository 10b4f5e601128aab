#pragma once
/// @file
/// json and jsonb: pgwrap::json / pgwrap::jsonb hold JSON text; with
/// nlohmann/json available, nlohmann::json and nlohmann::ordered_json too.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "pgwrap/codec.hpp"
#include "pgwrap/types/core.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// @brief JSON text bound for a column of type `Oid` (json or jsonb); use the
/// aliases pgwrap::json and pgwrap::jsonb. pgwrap does not parse it: the
/// server checks it when it is sent (invalid JSON is an sql_error, SQLSTATE
/// 22P02), and reading gives back the server's text as is.
///
/// Which one to send: pgwrap::jsonb suits jsonb columns and the jsonb
/// operators (`->`, `@>`, `=`, ...), and is what most schemas use; pgwrap::json
/// keeps the text exactly as written (key order, duplicates, spaces). Each
/// is converted to the other by the server where a column needs it (json and
/// jsonb cast to each other on assignment). Either reads a column of any of
/// the two types, or any text column: jsonb comes back normalised by the
/// server (`{"a": 1, "b": [1, 2]}`: keys sorted, one space after `:` and `,`).
///
/// == compares the text, not the JSON values (`{"a":1}` and `{"a": 1}`
/// differ).
template <std::uint32_t Oid>
class basic_json {
 public:
  /// The JSON `null`.
  basic_json() = default;
  /// @brief Holds `text` as is: it is not parsed or checked here.
  /// @{
  explicit basic_json(std::string text) : text_(std::move(text)) {}
  explicit basic_json(std::string_view text) : text_(text) {}
  explicit basic_json(const char* text) : text_(text) {}
  /// @}
  /// @brief The same text, for the other type.
  template <std::uint32_t Other>
  explicit basic_json(const basic_json<Other>& other) : text_(other.text()) {}

  /// The JSON text.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

  /// The same text (see above).
  friend bool operator==(const basic_json&, const basic_json&) = default;

 private:
  std::string text_ = "null";
};

/// JSON text sent as json (OID 114): kept exactly as written.
using json = basic_json<oid::json>;
/// JSON text sent as jsonb (OID 3802).
using jsonb = basic_json<oid::jsonb>;

/// Prints the text.
template <std::uint32_t Oid>
std::ostream& operator<<(std::ostream& out, const basic_json<Oid>& j) {
  return out << j.text();
}

/// @brief Sent in text with the wrapper's OID (json or jsonb). Read from text, and
/// from the binary form of json, jsonb (a version byte, then the text) and
/// the text types.
template <std::uint32_t Oid>
struct codec<basic_json<Oid>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = Oid;
  static param_ref encode(const basic_json<Oid>& j, std::string& scratch) {
    return param_ref::text(detail::checked_c_str(j.text(), true, scratch), type_oid);
  }
  static basic_json<Oid> decode(const value_view& v) {
    return basic_json<Oid>(detail::read_text(v, Oid == oid::json ? "pgwrap::json" : "pgwrap::jsonb"));
  }
  static bool reads_binary(std::uint32_t type) { return detail::is_text_oid(type); }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END

// nlohmann::json, when its header is there (Debian: nlohmann-json3-dev).
// Define PGWRAP_NO_NLOHMANN_JSON to leave it out (and not include it).
// PGWRAP_HAS_NLOHMANN_JSON says which it is: 1 with the codec, else 0.
#if !defined(PGWRAP_NO_NLOHMANN_JSON) && __has_include(<nlohmann/json.hpp>)
/// @brief 1 when the nlohmann::json codecs are there (`<nlohmann/json.hpp>` was
/// found and PGWRAP_NO_NLOHMANN_JSON is not defined), else 0.
#define PGWRAP_HAS_NLOHMANN_JSON 1
#include <nlohmann/json.hpp>

#include "pgwrap/error.hpp"

namespace pgwrap {
namespace detail {
template <typename Json>
struct nlohmann_codec {
  static constexpr std::string_view cxx_type =
      std::is_same_v<Json, nlohmann::ordered_json> ? "nlohmann::ordered_json" : "nlohmann::json";
  static constexpr std::uint32_t type_oid = oid::jsonb;
  static param_ref encode(const Json& j, std::string& scratch) {
    try {
      scratch = j.dump();                           // compact; strings escape control characters, so no NUL byte
    } catch (const nlohmann::json::exception& e) {  // e.g. a string that is not UTF-8
      throw conversion_error(std::string(cxx_type) + " cannot be sent: " + e.what());
    }
    return param_ref::text(scratch.c_str(), type_oid);
  }
  static Json decode(const value_view& v) {
    const std::string_view text = read_text(v, cxx_type);
    try {
      return Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      conversion_failure(v, cxx_type, e.what());
    }
  }
  static bool reads_binary(std::uint32_t type) { return is_text_oid(type); }
};
}  // namespace detail

/// nlohmann::json and nlohmann::ordered_json: sent as jsonb (OID 3802) in
/// text (dump()); read with parse() from json, jsonb or text columns, text
/// or binary. Text that is not JSON, and a value with a string that is not
/// UTF-8, are conversion_errors. Numbers are as nlohmann reads them: an
/// integer beyond 64 bits becomes a double. jsonb normalises what it stores:
/// key order (ordered_json cannot keep it through a jsonb column; send
/// pgwrap::json to a json column for that) and duplicate keys (the last wins).
template <>
struct codec<nlohmann::json> : detail::nlohmann_codec<nlohmann::json> {};
/// nlohmann::ordered_json: as nlohmann::json.
template <>
struct codec<nlohmann::ordered_json> : detail::nlohmann_codec<nlohmann::ordered_json> {};

}  // namespace pgwrap
#else
/// @brief 1 when the nlohmann::json codecs are there (`<nlohmann/json.hpp>` was
/// found and PGWRAP_NO_NLOHMANN_JSON is not defined), else 0.
#define PGWRAP_HAS_NLOHMANN_JSON 0
#endif
