#pragma once
/// @file
/// PostgreSQL's network types: pgwrap::inet, pgwrap::cidr, pgwrap::macaddr
/// and pgwrap::macaddr8.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pgwrap/codec.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// The address family of an inet or cidr value.
enum class ip_family : unsigned char { v4 = 4, v6 = 6 };

namespace detail {
/// What inet and cidr share: a family, 4 or 16 address bytes (network
/// order), and a prefix length (0 to 32 or 128).
class ip_value {
 public:
  using bytes_type = std::array<std::uint8_t, 16>;

  [[nodiscard]] constexpr ip_family family() const noexcept { return family_; }
  /// The address bytes, 4 for IPv4 and 16 for IPv6, in network order.
  [[nodiscard]] constexpr std::span<const std::uint8_t> address() const noexcept {
    return {bytes_.data(), family_ == ip_family::v4 ? std::size_t{4} : std::size_t{16}};
  }
  /// The prefix length (netmask bits).
  [[nodiscard]] constexpr int prefix_length() const noexcept { return prefix_; }
  /// 32 for IPv4, 128 for IPv6.
  [[nodiscard]] constexpr int max_prefix_length() const noexcept { return family_ == ip_family::v4 ? 32 : 128; }
  /// Whether bits right of the prefix are set (a cidr never has any).
  [[nodiscard]] bool has_host_bits() const noexcept;

  friend constexpr bool operator==(const ip_value&, const ip_value&) noexcept = default;
  /// As PostgreSQL orders inet: IPv4 before IPv6, then by the network part,
  /// then the prefix length, then the whole address.
  friend std::strong_ordering operator<=>(const ip_value& a, const ip_value& b) noexcept;

 protected:
  constexpr ip_value() noexcept = default;
  /// Unchecked: the public constructors validate first.
  ip_value(ip_family family, std::span<const std::uint8_t> address, int prefix) noexcept;

  ip_family family_ = ip_family::v4;
  std::uint8_t prefix_ = 32;
  bytes_type bytes_{};
};

// The parsers and printers, exposed for pgwrap's own tests and fuzzers.
// Parse: std::nullopt when the text is not an address PostgreSQL reads.
struct parsed_ip {
  ip_family family = ip_family::v4;
  ip_value::bytes_type bytes{};
  int prefix = 32;
};
std::optional<parsed_ip> parse_inet_text(std::string_view text);
std::optional<parsed_ip> parse_cidr_text(std::string_view text);  // host bits not yet checked
std::string format_ip(ip_family family, std::span<const std::uint8_t> address, int prefix, bool is_cidr);
}  // namespace detail

/// @brief An inet value: a host address with an optional netmask (IPv4 or IPv6),
/// as `192.168.0.1`, `10.1.2.3/8` or `2001:db8::1/64`. The default is
/// 0.0.0.0/32. Equality, ordering (as the server sorts inet) and std::hash.
///
/// Shared with cidr: `family()` (ip_family), `address()` (4 or 16 bytes,
/// network order, a span into the value), `prefix_length()`,
/// `max_prefix_length()` (32 or 128), `has_host_bits()` (bits set right of
/// the prefix), and ==, <=> (IPv4 before IPv6, then the network part, the
/// prefix length, the whole address).
class inet : public detail::ip_value {
 public:
  /// 0.0.0.0/32.
  constexpr inet() noexcept = default;
  /// @brief Throws conversion_error when `address` is not 4 (v4) or 16 (v6) bytes
  /// or the prefix is outside 0..32 / 0..128.
  inet(ip_family family, std::span<const std::uint8_t> address, int prefix_length);
  /// A host address: the prefix is the full length.
  inet(ip_family family, std::span<const std::uint8_t> address)
      : inet(family, address, family == ip_family::v4 ? 32 : 128) {}

  /// @brief Parses an inet as PostgreSQL does; throws conversion_error.
  ///
  /// Reads what PostgreSQL's inet input reads: dotted IPv4 (`10.1.2.3`, or
  /// fewer octets with a prefix, `10.1/16`), IPv6 with `::` and a trailing
  /// dotted IPv4 part, each with an optional `/prefix`. Throws
  /// conversion_error naming the text otherwise.
  [[nodiscard]] static inet parse(std::string_view text);
  /// Like parse, but std::nullopt where parse would throw.
  [[nodiscard]] static std::optional<inet> try_parse(std::string_view text) noexcept;

  /// @brief As PostgreSQL prints an inet: the `/prefix` only when it is not the
  /// full length, IPv6 with its longest run of zero groups as `::`, and
  /// IPv4-mapped and IPv4-compatible addresses with a dotted tail
  /// (\::ffff:10.0.0.1). (SQL's `inet::text` always adds the prefix;
  /// what the server sends and psql shows does not.)
  [[nodiscard]] std::string to_string() const;
};

/// @brief A cidr value: a network (`10.0.0.0/8`, `2001:db8::/32`); the bits right
/// of the prefix are zero, as the server demands. Equality, ordering and std::hash.
/// The accessors are inet's: family(), address(), prefix_length(), ...
class cidr : public detail::ip_value {
 public:
  /// 0.0.0.0/32.
  constexpr cidr() noexcept = default;
  /// @brief Throws conversion_error on a bad length or prefix, or bits set right
  /// of the prefix.
  cidr(ip_family family, std::span<const std::uint8_t> address, int prefix_length);

  /// @brief Parses a cidr as PostgreSQL does; throws conversion_error.
  ///
  /// Reads what PostgreSQL's cidr input reads: as inet::parse, plus the
  /// abbreviated IPv4 forms (`10` is 10.0.0.0/8, `172.16` is
  /// 172.16.0.0/16, by the old address classes). Host bits set
  /// (`10.1.2.3/8`) are an error, as on the server.
  [[nodiscard]] static cidr parse(std::string_view text);
  /// Like parse, but std::nullopt where parse would throw.
  [[nodiscard]] static std::optional<cidr> try_parse(std::string_view text) noexcept;

  /// As PostgreSQL prints a cidr: always with the `/prefix`.
  [[nodiscard]] std::string to_string() const;

  /// The same network as an inet (`cidr::text` and `inet` agree on it).
  [[nodiscard]] inet to_inet() const { return inet(family_, address(), prefix_); }
};

/// A MAC address (macaddr): 6 bytes. Equality, ordering and std::hash.
class macaddr {
 public:
  /// The 6 bytes, in order.
  using bytes_type = std::array<std::uint8_t, 6>;
  /// 00:00:00:00:00:00.
  constexpr macaddr() noexcept = default;
  /// The address with these bytes.
  constexpr explicit macaddr(const bytes_type& bytes) noexcept : bytes_(bytes) {}

  /// @brief Parses a macaddr as PostgreSQL does; throws conversion_error.
  ///
  /// Reads the forms PostgreSQL's macaddr input reads: `08:00:2b:01:02:03`,
  /// `08-00-2b-01-02-03`, `08002b:010203`, `08002b-010203`,
  /// `0800.2b01.0203`, `0800-2b01-0203`, `08002b010203`, either case,
  /// with surrounding spaces. Throws conversion_error otherwise.
  [[nodiscard]] static macaddr parse(std::string_view text);
  /// Like parse, but std::nullopt where parse would throw.
  [[nodiscard]] static std::optional<macaddr> try_parse(std::string_view text) noexcept;

  /// The 6 bytes.
  [[nodiscard]] constexpr const bytes_type& bytes() const noexcept { return bytes_; }
  /// `08:00:2b:01:02:03`, lowercase, as PostgreSQL prints it.
  [[nodiscard]] std::string to_string() const;

  /// @brief Bytewise, as PostgreSQL compares macaddr.
  /// @{
  friend constexpr bool operator==(const macaddr&, const macaddr&) noexcept = default;
  friend constexpr auto operator<=>(const macaddr&, const macaddr&) noexcept = default;
  /// @}

 private:
  bytes_type bytes_{};
};

/// An EUI-64 MAC address (macaddr8): 8 bytes. Equality, ordering and std::hash.
class macaddr8 {
 public:
  /// The 8 bytes, in order.
  using bytes_type = std::array<std::uint8_t, 8>;
  /// 00:00:00:00:00:00:00:00.
  constexpr macaddr8() noexcept = default;
  /// The address with these bytes.
  constexpr explicit macaddr8(const bytes_type& bytes) noexcept : bytes_(bytes) {}
  /// A 6-byte address as PostgreSQL converts it: ff:fe in the middle.
  constexpr explicit macaddr8(const macaddr& m) noexcept
      : bytes_{m.bytes()[0], m.bytes()[1], m.bytes()[2], 0xff, 0xfe, m.bytes()[3], m.bytes()[4], m.bytes()[5]} {}

  /// @brief Parses a macaddr8 as PostgreSQL does; throws conversion_error.
  ///
  /// Reads what PostgreSQL's macaddr8 input reads: 6 or 8 bytes as pairs of
  /// hex digits, optionally separated throughout by one kind of separator,
  /// colons, hyphens or dots (`08:00:2b:01:02:03:04:05`, `0800.2b01.0203.0405`,
  /// `08002b0102030405`); 6 bytes become 8 with ff:fe in the middle.
  /// Leading and trailing spaces are allowed. Throws conversion_error otherwise.
  [[nodiscard]] static macaddr8 parse(std::string_view text);
  /// Like parse, but std::nullopt where parse would throw.
  [[nodiscard]] static std::optional<macaddr8> try_parse(std::string_view text) noexcept;

  /// The 8 bytes.
  [[nodiscard]] constexpr const bytes_type& bytes() const noexcept { return bytes_; }
  /// `08:00:2b:01:02:03:04:05`, lowercase, as PostgreSQL prints it.
  [[nodiscard]] std::string to_string() const;

  /// @brief Bytewise, as PostgreSQL compares macaddr8.
  /// @{
  friend constexpr bool operator==(const macaddr8&, const macaddr8&) noexcept = default;
  friend constexpr auto operator<=>(const macaddr8&, const macaddr8&) noexcept = default;
  /// @}

 private:
  bytes_type bytes_{};
};

/// @brief Prints `v.to_string()`.
/// @{
std::ostream& operator<<(std::ostream& out, const inet& v);
std::ostream& operator<<(std::ostream& out, const cidr& v);
std::ostream& operator<<(std::ostream& out, const macaddr& v);
std::ostream& operator<<(std::ostream& out, const macaddr8& v);
/// @}

namespace detail {
// The decoders (text and binary), for the codecs and the fuzzer.
inet read_inet(const value_view& v);
cidr read_cidr(const value_view& v);
macaddr read_macaddr(const value_view& v);
macaddr8 read_macaddr8(const value_view& v);
// The binary forms.
param_ref write_ip(const ip_value& v, bool is_cidr, std::string& out);
param_ref write_macaddr(std::span<const std::uint8_t> bytes, std::uint32_t type, std::string& out);
// The text of a binary network parameter; false when `p` is not one.
bool append_network_param_text(const param_ref& p, std::string& out);
std::size_t hash_bytes(std::span<const std::uint8_t> bytes, std::size_t seed) noexcept;
}  // namespace detail

/// @brief inet: sent in binary (OID inet); read from inet and cidr columns, in
/// text and binary, and from text holding an address.
template <>
struct codec<inet> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::inet;
  static param_ref encode(const inet& v, std::string& scratch) { return detail::write_ip(v, false, scratch); }
  static inet decode(const value_view& v) { return detail::read_inet(v); }
  static bool reads_binary(std::uint32_t type) { return type == oid::inet || type == oid::cidr; }
  /// @}
};

/// @brief cidr: sent in binary (OID cidr); read from cidr columns (and inet ones
/// whose value has no host bits), text and binary.
template <>
struct codec<cidr> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::cidr;
  static param_ref encode(const cidr& v, std::string& scratch) { return detail::write_ip(v, true, scratch); }
  static cidr decode(const value_view& v) { return detail::read_cidr(v); }
  static bool reads_binary(std::uint32_t type) { return type == oid::cidr || type == oid::inet; }
  /// @}
};

/// macaddr: sent as its 6 bytes (binary, OID macaddr); read from text and binary.
template <>
struct codec<macaddr> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::macaddr;
  static param_ref encode(const macaddr& v, std::string& scratch) {
    return detail::write_macaddr(v.bytes(), type_oid, scratch);
  }
  static macaddr decode(const value_view& v) { return detail::read_macaddr(v); }
  static bool reads_binary(std::uint32_t type) { return type == oid::macaddr; }
  /// @}
};

/// @brief macaddr8: sent as its 8 bytes (binary, OID macaddr8); read from text and
/// binary, and from macaddr columns (converted as the server does).
template <>
struct codec<macaddr8> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::macaddr8;
  static param_ref encode(const macaddr8& v, std::string& scratch) {
    return detail::write_macaddr(v.bytes(), type_oid, scratch);
  }
  static macaddr8 decode(const value_view& v) { return detail::read_macaddr8(v); }
  static bool reads_binary(std::uint32_t type) { return type == oid::macaddr8 || type == oid::macaddr; }
  /// @}
};

}  // namespace pgwrap

/// @cond std_hash
// Doxygen 1.9.4 cannot place a `struct std::hash<...>` specialisation (an
// "internal inconsistency" warning); the classes' own comments mention them.
template <>
struct std::hash<pgwrap::inet> {
  std::size_t operator()(const pgwrap::inet& v) const noexcept {
    return pgwrap::detail::hash_bytes(v.address(), static_cast<std::size_t>(v.prefix_length()));
  }
};
template <>
struct std::hash<pgwrap::cidr> {
  std::size_t operator()(const pgwrap::cidr& v) const noexcept {
    return pgwrap::detail::hash_bytes(v.address(), static_cast<std::size_t>(v.prefix_length()));
  }
};
template <>
struct std::hash<pgwrap::macaddr> {
  std::size_t operator()(const pgwrap::macaddr& v) const noexcept { return pgwrap::detail::hash_bytes(v.bytes(), 6); }
};
template <>
struct std::hash<pgwrap::macaddr8> {
  std::size_t operator()(const pgwrap::macaddr8& v) const noexcept { return pgwrap::detail::hash_bytes(v.bytes(), 8); }
};
/// @endcond
PGWRAP_API_END
