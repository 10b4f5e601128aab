#pragma once
/// @file
/// pgwrap::uuid: PostgreSQL's uuid, 16 bytes.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "pgwrap/codec.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// @brief A UUID: 16 bytes, in the order PostgreSQL stores and sends them. The
/// default is the nil UUID (all zeros). Ordered as PostgreSQL orders uuid
/// (bytewise), so it can key a std::map; std::hash is specialised too.
class uuid {
 public:
  /// The 16 bytes, most significant first.
  using bytes_type = std::array<std::byte, 16>;

  /// The nil UUID.
  constexpr uuid() noexcept = default;
  /// The UUID with these bytes.
  constexpr explicit uuid(const bytes_type& bytes) noexcept : bytes_(bytes) {}

  /// @brief Parses a UUID as PostgreSQL does; throws conversion_error.
  ///
  /// Reads the forms PostgreSQL's uuid input reads: 32 hex digits, either
  /// letter case, optionally in braces (`{...}`), with at most one hyphen
  /// after any group of four digits except the last: canonical
  /// `a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`, `A0EEBC999C0B4EF8BB6D6BB9BD380A11`,
  /// `{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}`,
  /// `a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11`. No surrounding whitespace.
  /// Throws conversion_error on anything else. Usable in constant
  /// expressions: `constexpr auto id = pgwrap::uuid::parse("...");`.
  [[nodiscard]] static constexpr uuid parse(std::string_view text) {
    const std::optional<uuid> id = try_parse(text);
    if (!id) throw_invalid(text);
    return *id;
  }

  /// Like parse, but std::nullopt where parse would throw.
  [[nodiscard]] static constexpr std::optional<uuid> try_parse(std::string_view text) noexcept {
    std::size_t i = 0;
    const bool braces = !text.empty() && text[0] == '{';
    if (braces) ++i;
    bytes_type bytes{};
    for (std::size_t b = 0; b < 16; ++b) {
      if (text.size() - i < 2) return std::nullopt;
      const int hi = hex_value(text[i]);
      const int lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      bytes[b] = static_cast<std::byte>(hi * 16 + lo);
      i += 2;
      if (i < text.size() && text[i] == '-' && b % 2 == 1 && b < 15) ++i;
    }
    if (braces) {
      if (i == text.size() || text[i] != '}') return std::nullopt;
      ++i;
    }
    if (i != text.size()) return std::nullopt;
    return uuid(bytes);
  }

  /// The 16 bytes.
  [[nodiscard]] constexpr const bytes_type& bytes() const noexcept { return bytes_; }
  /// All zeros.
  [[nodiscard]] constexpr bool is_nil() const noexcept { return *this == uuid(); }

  /// Canonical lowercase 8-4-4-4-12, as PostgreSQL prints it.
  [[nodiscard]] std::string to_string() const;

  /// Same 16 bytes.
  friend constexpr bool operator==(const uuid&, const uuid&) noexcept = default;
  /// Bytewise, as PostgreSQL orders uuid.
  friend constexpr std::strong_ordering operator<=>(const uuid& a, const uuid& b) noexcept {
    for (std::size_t i = 0; i < 16; ++i) {
      if (a.bytes_[i] != b.bytes_[i]) {
        return static_cast<unsigned>(a.bytes_[i]) < static_cast<unsigned>(b.bytes_[i]) ? std::strong_ordering::less
                                                                                       : std::strong_ordering::greater;
      }
    }
    return std::strong_ordering::equal;
  }

 private:
  static constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  [[noreturn]] static void throw_invalid(std::string_view text);

  bytes_type bytes_{};
};

/// Prints the canonical text.
std::ostream& operator<<(std::ostream& out, const uuid& id);

namespace detail {
uuid read_uuid(const value_view& v);
}  // namespace detail

/// @brief uuid: sent as its 16 bytes (binary, OID uuid). Read from uuid's binary
/// form, and from text in any form uuid::parse takes (a uuid column's text,
/// or text holding a UUID).
template <>
struct codec<uuid> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::uuid;
  static param_ref encode(const uuid& id, std::string& scratch) {
    scratch.resize(16);
    for (std::size_t i = 0; i < 16; ++i) scratch[i] = static_cast<char>(id.bytes()[i]);
    return param_ref::binary(scratch, type_oid);
  }
  static uuid decode(const value_view& v) { return detail::read_uuid(v); }
  static bool reads_binary(std::uint32_t type) { return type == oid::uuid; }
  /// @}
};

}  // namespace pgwrap

/// @cond std_hash
// Doxygen 1.9.4 cannot place a `struct std::hash<...>` specialisation (an
// "internal inconsistency" warning); uuid's own comment mentions it.
template <>
struct std::hash<pgwrap::uuid> {
  std::size_t operator()(const pgwrap::uuid& id) const noexcept {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (const std::byte b : id.bytes()) h = (h ^ static_cast<std::uint64_t>(b)) * 1099511628211ull;
    return static_cast<std::size_t>(h);
  }
};
/// @endcond
PGWRAP_API_END
