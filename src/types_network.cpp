// inet, cidr, macaddr and macaddr8: parsing what the server's input functions
// accept, printing exactly what its output functions print, and reading the
// binary forms (family, bits, is_cidr, length, address; 6 or 8 bytes).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap {
namespace detail {

namespace {

// The family bytes of the binary form (PGSQL_AF_INET, PGSQL_AF_INET6).
constexpr std::uint8_t wire_v4 = 2;
constexpr std::uint8_t wire_v6 = 3;

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// "/bits" at `text[i]` (after the '/'): digits up to `max`, then the end.
std::optional<int> parse_bits(std::string_view text, std::size_t i, int max) {
  if (i >= text.size() || !is_digit(text[i])) return std::nullopt;
  int bits = 0;
  for (; i < text.size(); ++i) {
    if (!is_digit(text[i])) return std::nullopt;
    bits = bits * 10 + (text[i] - '0');
    if (bits > max) return std::nullopt;
  }
  return bits;
}

// Dotted decimal octets (1 to 4 of them) up to '/' or the end; `end` gets
// where they stopped.
std::optional<std::size_t> parse_octets(std::string_view text, std::uint8_t* out, std::size_t& end) {
  std::size_t n = 0;
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) {
    int value = 0;
    while (i < text.size() && is_digit(text[i])) {
      value = value * 10 + (text[i] - '0');
      if (value > 255) return std::nullopt;
      ++i;
    }
    if (n == 4) return std::nullopt;
    out[n++] = static_cast<std::uint8_t>(value);
    if (i == text.size() || text[i] == '/') break;
    if (text[i] != '.') return std::nullopt;
    ++i;
  }
  end = i;
  if (n == 0) return std::nullopt;
  return n;
}

std::optional<parsed_ip> parse_v4(std::string_view text, bool is_cidr) {
  parsed_ip out;
  out.family = ip_family::v4;
  std::size_t end = 0;
  const std::optional<std::size_t> octets = parse_octets(text, out.bytes.data(), end);
  if (!octets) return std::nullopt;
  int bits = -1;
  if (end < text.size()) {  // text[end] == '/'
    const std::optional<int> b = parse_bits(text, end + 1, 32);
    if (!b) return std::nullopt;
    bits = *b;
  }
  const int given = static_cast<int>(*octets) * 8;
  if (bits == -1) {
    if (!is_cidr) {
      if (*octets != 4) return std::nullopt;  // only a full address implies /32
      bits = 32;
    } else {
      // The classful default for an abbreviated network, widened to the octets given.
      const std::uint8_t first = out.bytes[0];
      bits = first >= 240 ? 32 : first >= 224 ? 8 : first >= 192 ? 24 : first >= 128 ? 16 : 8;
      if (bits < given) bits = given;
      if (bits == 8 && first == 224) bits = 4;
    }
  } else if (!is_cidr && bits / 8 > static_cast<int>(*octets)) {
    return std::nullopt;  // the prefix claims octets that were not written
  }
  out.prefix = bits;
  return out;
}

std::optional<parsed_ip> parse_v6(std::string_view text) {
  parsed_ip out;
  out.family = ip_family::v6;
  std::string_view address = text;
  const std::size_t slash = text.find('/');
  out.prefix = 128;
  if (slash != std::string_view::npos) {
    const std::optional<int> b = parse_bits(text, slash + 1, 128);
    if (!b) return std::nullopt;
    out.prefix = *b;
    address = text.substr(0, slash);
  }
  std::uint8_t bytes[16] = {};
  std::size_t n = 0;               // bytes written
  std::optional<std::size_t> gap;  // where "::" was
  std::size_t i = 0;
  if (address.size() >= 2 && address[0] == ':' && address[1] == ':') {
    gap = 0;
    i = 2;
  } else if (!address.empty() && address[0] == ':') {
    return std::nullopt;
  }
  bool done = i == address.size();
  while (!done) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < address.size() && hex_digit(address[i]) >= 0 && i - start < 5) {
      value = value * 16 + static_cast<unsigned>(hex_digit(address[i]));
      ++i;
    }
    const std::size_t digits = i - start;
    if (i < address.size() && address[i] == '.') {
      // A dotted IPv4 tail: the last 4 bytes.
      if (n + 4 > 16) return std::nullopt;
      std::size_t end = 0;
      std::uint8_t v4[4];
      const std::string_view tail = address.substr(start);
      const std::optional<std::size_t> octets = parse_octets(tail, v4, end);
      if (!octets || *octets != 4 || end != tail.size()) return std::nullopt;
      std::copy(v4, v4 + 4, bytes + n);
      n += 4;
      break;
    }
    if (digits == 0 || digits > 4) return std::nullopt;
    if (n + 2 > 16) return std::nullopt;
    bytes[n++] = static_cast<std::uint8_t>(value >> 8);
    bytes[n++] = static_cast<std::uint8_t>(value & 0xFF);
    if (i == address.size()) break;
    if (address[i] != ':') return std::nullopt;
    ++i;
    if (i < address.size() && address[i] == ':') {
      if (gap) return std::nullopt;  // "::" twice
      gap = n;
      ++i;
      if (i == address.size()) break;
    } else if (i == address.size()) {
      return std::nullopt;  // a trailing single ':'
    }
  }
  if (gap) {
    if (n == 16) return std::nullopt;  // "::" must stand for at least one group
    const std::size_t moved = n - *gap;
    std::copy_backward(bytes + *gap, bytes + n, bytes + 16);
    std::fill(bytes + *gap, bytes + 16 - moved, std::uint8_t{0});
  } else if (n != 16) {
    return std::nullopt;
  }
  std::copy(bytes, bytes + 16, out.bytes.begin());
  return out;
}

std::optional<parsed_ip> parse_ip(std::string_view text, bool is_cidr) {
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  return parse_v4(text, is_cidr);
}

bool host_bits_set(std::span<const std::uint8_t> address, int prefix) noexcept {
  for (std::size_t i = 0; i < address.size(); ++i) {
    const int first_bit = static_cast<int>(i) * 8;
    if (first_bit + 8 <= prefix) continue;
    const int kept = prefix > first_bit ? prefix - first_bit : 0;  // 0..7
    const auto mask = static_cast<std::uint8_t>(0xFFu >> kept);
    if ((address[i] & mask) != 0) return true;
  }
  return false;
}

std::string shown_text(std::string_view text) {
  constexpr std::size_t limit = 60;
  std::string out = "\"";
  out += text.substr(0, limit);
  out += text.size() > limit ? "...\"" : "\"";
  return out;
}

void append_hex_bytes(std::span<const std::uint8_t> bytes, std::string& out) {
  constexpr std::string_view hex = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += ':';
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 0xF];
  }
}

// Reads the binary inet/cidr form into its parts, checking every byte.
parsed_ip read_ip_binary(const value_view& v, std::string_view cxx_type, bool& sent_as_cidr) {
  if (v.type_oid != oid::inet && v.type_oid != oid::cidr) {
    conversion_failure(v, cxx_type, "its binary form is not an inet or cidr");
  }
  if (v.data.size() < 4) conversion_failure(v, cxx_type, "shorter than the 4-byte inet header");
  const auto family = static_cast<std::uint8_t>(v.data[0]);
  const auto bits = static_cast<std::uint8_t>(v.data[1]);
  const auto flag = static_cast<std::uint8_t>(v.data[2]);
  const auto length = static_cast<std::uint8_t>(v.data[3]);
  parsed_ip out;
  std::size_t expected = 0;
  if (family == wire_v4) {
    out.family = ip_family::v4;
    expected = 4;
  } else if (family == wire_v6) {
    out.family = ip_family::v6;
    expected = 16;
  } else {
    conversion_failure(v, cxx_type, "unknown address family " + std::to_string(family));
  }
  if (bits > expected * 8) {
    conversion_failure(v, cxx_type,
                       "prefix length " + std::to_string(bits) + " exceeds " + std::to_string(expected * 8));
  }
  if (flag > 1) conversion_failure(v, cxx_type, "is_cidr flag " + std::to_string(flag) + " is neither 0 nor 1");
  if (length != expected) {
    conversion_failure(
        v, cxx_type,
        "address length " + std::to_string(length) + " where " + std::to_string(expected) + " was expected");
  }
  if (v.data.size() != 4 + expected) {
    conversion_failure(
        v, cxx_type, std::to_string(v.data.size()) + " bytes where " + std::to_string(4 + expected) + " were expected");
  }
  for (std::size_t i = 0; i < expected; ++i) out.bytes[i] = static_cast<std::uint8_t>(v.data[4 + i]);
  out.prefix = bits;
  sent_as_cidr = flag == 1;
  return out;
}

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> read_mac_binary(const value_view& v, std::string_view cxx_type) {
  expect_size(v, N, cxx_type);
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint8_t>(v.data[i]);
  return out;
}

// One of macaddr's text forms: `groups` groups of 6/groups bytes between `separator`s;
// with `free_digits`, each group is one byte of 1+ hex digits (sscanf's %x).
std::optional<macaddr::bytes_type> parse_mac_groups(std::string_view text, std::size_t groups, char separator,
                                                    bool free_digits) {
  macaddr::bytes_type out{};
  const std::size_t per_group = 6 / groups;
  std::size_t i = 0;
  std::size_t b = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    if (g > 0) {
      if (i >= text.size() || text[i] != separator) return std::nullopt;
      ++i;
    }
    if (free_digits) {  // 1+ hex digits, value at most 255
      const std::size_t start = i;
      unsigned value = 0;
      while (i < text.size() && hex_digit(text[i]) >= 0) {
        value = value * 16 + static_cast<unsigned>(hex_digit(text[i]));
        if (value > 255) return std::nullopt;
        ++i;
      }
      if (i == start) return std::nullopt;
      out[b++] = static_cast<std::uint8_t>(value);
    } else {
      for (std::size_t k = 0; k < per_group; ++k) {
        if (text.size() - i < 2) return std::nullopt;
        const int hi = hex_digit(text[i]);
        const int lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[b++] = static_cast<std::uint8_t>(hi * 16 + lo);
        i += 2;
      }
    }
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<parsed_ip> parse_inet_text(std::string_view text) { return parse_ip(text, false); }
std::optional<parsed_ip> parse_cidr_text(std::string_view text) { return parse_ip(text, true); }

std::string format_ip(ip_family family, std::span<const std::uint8_t> a, int prefix, bool is_cidr) {
  std::string out;
  out.reserve(48);
  const int max = family == ip_family::v4 ? 32 : 128;
  auto dotted = [&out](std::span<const std::uint8_t> four) {
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) out += '.';
      out += std::to_string(four[i]);
    }
  };
  if (family == ip_family::v4) {
    dotted(a.subspan(0, 4));
  } else {
    std::uint16_t words[8];
    for (std::size_t i = 0; i < 8; ++i) words[i] = static_cast<std::uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
    // The longest run of zero words (the first of equals), if at least two long.
    int best_base = -1;
    int best_len = 0;
    int cur_base = -1;
    int cur_len = 0;
    for (int i = 0; i < 8; ++i) {
      if (words[i] == 0) {
        if (cur_base == -1) {
          cur_base = i;
          cur_len = 1;
        } else {
          ++cur_len;
        }
      } else if (cur_base != -1) {
        if (best_base == -1 || cur_len > best_len) best_base = cur_base, best_len = cur_len;
        cur_base = -1;
      }
    }
    if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) best_base = cur_base, best_len = cur_len;
    if (best_base != -1 && best_len < 2) best_base = -1;
    constexpr std::string_view hex = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
      if (best_base != -1 && i >= best_base && i < best_base + best_len) {
        if (i == best_base) out += ':';
        continue;
      }
      if (i != 0) out += ':';
      // An IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) address; a run of
      // seven zero groups is not one (the server prints ::102, not ::0.0.1.2).
      if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
        dotted(a.subspan(12, 4));
        break;
      }
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned digit = (words[i] >> shift) & 0xF;
        if (digit != 0 || started || shift == 0) {
          out += hex[digit];
          started = true;
        }
      }
    }
    if (best_base != -1 && best_base + best_len == 8) out += ':';
  }
  if (is_cidr || prefix != max) {
    out += '/';
    out += std::to_string(prefix);
  }
  return out;
}

ip_value::ip_value(ip_family family, std::span<const std::uint8_t> address, int prefix) noexcept
    : family_(family), prefix_(static_cast<std::uint8_t>(prefix)) {
  std::copy(address.begin(), address.end(), bytes_.begin());
}

bool ip_value::has_host_bits() const noexcept { return host_bits_set(address(), prefix_); }

std::strong_ordering operator<=>(const ip_value& a, const ip_value& b) noexcept {
  if (a.family_ != b.family_) return a.family_ <=> b.family_;
  // Compare the first min(prefix) bits, then the prefixes, then every bit.
  auto compare_bits = [&](int bits) {
    for (int i = 0; i < bits; ++i) {
      const auto byte = static_cast<std::size_t>(i / 8);
      const int shift = 7 - i % 8;
      const int x = (a.bytes_[byte] >> shift) & 1;
      const int y = (b.bytes_[byte] >> shift) & 1;
      if (x != y) return x <=> y;
    }
    return std::strong_ordering::equal;
  };
  // NOLINTNEXTLINE(modernize-use-nullptr): comparing an ordering with 0 is how C++ asks for not-equal
  if (const auto order = compare_bits(std::min(a.prefix_, b.prefix_)); order != 0) return order;
  if (a.prefix_ != b.prefix_) return a.prefix_ <=> b.prefix_;
  return compare_bits(a.max_prefix_length());
}

inet read_inet(const value_view& v) {
  constexpr std::string_view type = "pgwrap::inet";
  if (v.format == wire_format::binary && !is_text_oid(v.type_oid)) {
    bool sent_as_cidr = false;
    const parsed_ip p = read_ip_binary(v, type, sent_as_cidr);
    return inet(p.family, std::span<const std::uint8_t>(p.bytes.data(), p.family == ip_family::v4 ? 4 : 16), p.prefix);
  }
  const std::string_view text = read_text(v, type);
  const std::optional<parsed_ip> p = parse_inet_text(text);
  if (!p) conversion_failure(v, type, "not an inet address");
  return inet(p->family, std::span<const std::uint8_t>(p->bytes.data(), p->family == ip_family::v4 ? 4 : 16),
              p->prefix);
}

cidr read_cidr(const value_view& v) {
  constexpr std::string_view type = "pgwrap::cidr";
  parsed_ip p;
  if (v.format == wire_format::binary && !is_text_oid(v.type_oid)) {
    bool sent_as_cidr = false;
    p = read_ip_binary(v, type, sent_as_cidr);
  } else {
    const std::optional<parsed_ip> parsed = parse_cidr_text(read_text(v, type));
    if (!parsed) conversion_failure(v, type, "not a cidr network");
    p = *parsed;
  }
  const std::span<const std::uint8_t> address(p.bytes.data(), p.family == ip_family::v4 ? 4 : 16);
  if (host_bits_set(address, p.prefix)) {
    conversion_failure(v, type, "bits are set right of the /" + std::to_string(p.prefix) + " prefix");
  }
  return cidr(p.family, address, p.prefix);
}

macaddr read_macaddr(const value_view& v) {
  constexpr std::string_view type = "pgwrap::macaddr";
  if (v.format == wire_format::binary && !is_text_oid(v.type_oid)) {
    if (v.type_oid != oid::macaddr) conversion_failure(v, type, "its binary form is not a macaddr");
    return macaddr(*read_mac_binary<6>(v, type));
  }
  const std::optional<macaddr> m = macaddr::try_parse(read_text(v, type));
  if (!m) conversion_failure(v, type, "not a MAC address");
  return *m;
}

macaddr8 read_macaddr8(const value_view& v) {
  constexpr std::string_view type = "pgwrap::macaddr8";
  if (v.format == wire_format::binary && !is_text_oid(v.type_oid)) {
    if (v.type_oid == oid::macaddr) return macaddr8(macaddr(*read_mac_binary<6>(v, type)));
    if (v.type_oid != oid::macaddr8) conversion_failure(v, type, "its binary form is not a macaddr8");
    return macaddr8(*read_mac_binary<8>(v, type));
  }
  const std::optional<macaddr8> m = macaddr8::try_parse(read_text(v, type));
  if (!m) conversion_failure(v, type, "not a MAC address (6 or 8 bytes)");
  return *m;
}

param_ref write_ip(const ip_value& v, bool is_cidr, std::string& out) {
  out.clear();
  out += static_cast<char>(v.family() == ip_family::v4 ? wire_v4 : wire_v6);
  out += static_cast<char>(v.prefix_length());
  out += static_cast<char>(is_cidr ? 1 : 0);
  out += static_cast<char>(v.address().size());
  for (const std::uint8_t b : v.address()) out += static_cast<char>(b);
  return param_ref::binary(out, is_cidr ? oid::cidr : oid::inet);
}

param_ref write_macaddr(std::span<const std::uint8_t> bytes, std::uint32_t type, std::string& out) {
  out.assign(bytes.begin(), bytes.end());
  return param_ref::binary(out, type);
}

bool append_network_param_text(const param_ref& p, std::string& out) {
  if (p.format != wire_format::binary) return false;
  const value_view v{{p.data, static_cast<std::size_t>(p.length)}, p.oid, wire_format::binary};
  switch (p.oid) {
    case oid::inet: out += read_inet(v).to_string(); return true;
    case oid::cidr: out += read_cidr(v).to_string(); return true;
    case oid::macaddr: out += read_macaddr(v).to_string(); return true;
    case oid::macaddr8: out += read_macaddr8(v).to_string(); return true;
    default: return false;
  }
}

std::size_t hash_bytes(std::span<const std::uint8_t> bytes, std::size_t seed) noexcept {
  std::uint64_t h = 14695981039346656037ull ^ seed;  // FNV-1a
  for (const std::uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

}  // namespace detail

namespace {
void check_ip(ip_family family, std::span<const std::uint8_t> address, int prefix, std::string_view type) {
  const std::size_t size = family == ip_family::v4 ? 4 : family == ip_family::v6 ? 16 : 0;
  if (size == 0) throw conversion_error(std::string(type) + ": unknown address family");
  if (address.size() != size) {
    throw conversion_error(std::string(type) + ": " + std::to_string(address.size()) + " address bytes where " +
                           std::to_string(size) + " were expected");
  }
  if (prefix < 0 || prefix > static_cast<int>(size) * 8) {
    throw conversion_error(std::string(type) + ": prefix length " + std::to_string(prefix) + " is outside 0.." +
                           std::to_string(size * 8));
  }
}
}  // namespace

inet::inet(ip_family family, std::span<const std::uint8_t> address, int prefix_length)
    : ip_value((check_ip(family, address, prefix_length, "pgwrap::inet"), family), address, prefix_length) {}

cidr::cidr(ip_family family, std::span<const std::uint8_t> address, int prefix_length)
    : ip_value((check_ip(family, address, prefix_length, "pgwrap::cidr"), family), address, prefix_length) {
  if (has_host_bits()) {
    throw conversion_error("pgwrap::cidr: " + detail::format_ip(family, address, prefix_length, true) +
                           " has bits set right of the /" + std::to_string(prefix_length) + " prefix");
  }
}

std::optional<inet> inet::try_parse(std::string_view text) noexcept {
  const std::optional<detail::parsed_ip> p = detail::parse_inet_text(text);
  if (!p) return std::nullopt;
  inet out;
  out.family_ = p->family;
  out.prefix_ = static_cast<std::uint8_t>(p->prefix);
  out.bytes_ = p->bytes;
  return out;
}

inet inet::parse(std::string_view text) {
  if (std::optional<inet> v = try_parse(text)) return *v;
  throw conversion_error("invalid inet " + detail::shown_text(text) +
                         ": expected an IPv4 or IPv6 address with an optional /prefix");
}

std::optional<cidr> cidr::try_parse(std::string_view text) noexcept {
  const std::optional<detail::parsed_ip> p = detail::parse_cidr_text(text);
  if (!p) return std::nullopt;
  cidr out;
  out.family_ = p->family;
  out.prefix_ = static_cast<std::uint8_t>(p->prefix);
  out.bytes_ = p->bytes;
  if (out.has_host_bits()) return std::nullopt;
  return out;
}

cidr cidr::parse(std::string_view text) {
  if (std::optional<cidr> v = try_parse(text)) return *v;
  if (const std::optional<detail::parsed_ip> p = detail::parse_cidr_text(text)) {
    throw conversion_error("invalid cidr " + detail::shown_text(text) + ": bits are set right of the /" +
                           std::to_string(p->prefix) + " prefix");
  }
  throw conversion_error("invalid cidr " + detail::shown_text(text) +
                         ": expected an IPv4 or IPv6 network with an optional /prefix");
}

std::string inet::to_string() const { return detail::format_ip(family_, address(), prefix_, false); }
std::string cidr::to_string() const { return detail::format_ip(family_, address(), prefix_, true); }

std::optional<macaddr> macaddr::try_parse(std::string_view text) noexcept {
  text = detail::trim(text);
  // The forms macaddr_in tries, in its order.
  if (auto b = detail::parse_mac_groups(text, 6, ':', true)) return macaddr(*b);
  if (auto b = detail::parse_mac_groups(text, 6, '-', true)) return macaddr(*b);
  if (auto b = detail::parse_mac_groups(text, 2, ':', false)) return macaddr(*b);
  if (auto b = detail::parse_mac_groups(text, 2, '-', false)) return macaddr(*b);
  if (auto b = detail::parse_mac_groups(text, 3, '.', false)) return macaddr(*b);
  if (auto b = detail::parse_mac_groups(text, 3, '-', false)) return macaddr(*b);
  if (auto b = detail::parse_mac_groups(text, 1, '\0', false)) return macaddr(*b);
  return std::nullopt;
}

macaddr macaddr::parse(std::string_view text) {
  if (std::optional<macaddr> m = try_parse(text)) return *m;
  throw conversion_error("invalid macaddr " + detail::shown_text(text) + ": expected 6 bytes, as in 08:00:2b:01:02:03");
}

std::string macaddr::to_string() const {
  std::string out;
  detail::append_hex_bytes(bytes_, out);
  return out;
}

std::optional<macaddr8> macaddr8::try_parse(std::string_view text) noexcept {
  while (!text.empty() && detail::is_space(text.front())) text.remove_prefix(1);
  std::uint8_t bytes[8] = {};
  std::size_t count = 0;
  char spacer = '\0';
  std::size_t i = 0;
  while (i < text.size()) {
    if (count == 8) return std::nullopt;
    if (text.size() - i < 2) return std::nullopt;
    const int hi = detail::hex_digit(text[i]);
    const int lo = detail::hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[count++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
    if (i < text.size() && (text[i] == ':' || text[i] == '-' || text[i] == '.')) {
      if (spacer == '\0') {
        spacer = text[i];
      } else if (spacer != text[i]) {
        return std::nullopt;  // one kind of separator throughout
      }
      ++i;
      if (i == text.size()) return std::nullopt;  // a trailing separator
    } else if (i < text.size() && detail::is_space(text[i])) {
      if (count != 6 && count != 8) return std::nullopt;
      while (i < text.size() && detail::is_space(text[i])) ++i;
      if (i != text.size()) return std::nullopt;
    }
  }
  if (count == 6) return macaddr8(macaddr({bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]}));
  if (count != 8) return std::nullopt;
  return macaddr8({bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]});
}

macaddr8 macaddr8::parse(std::string_view text) {
  if (std::optional<macaddr8> m = try_parse(text)) return *m;
  throw conversion_error("invalid macaddr8 " + detail::shown_text(text) +
                         ": expected 6 or 8 bytes, as in 08:00:2b:01:02:03:04:05");
}

std::string macaddr8::to_string() const {
  std::string out;
  detail::append_hex_bytes(bytes_, out);
  return out;
}

std::ostream& operator<<(std::ostream& out, const inet& v) { return out << v.to_string(); }
std::ostream& operator<<(std::ostream& out, const cidr& v) { return out << v.to_string(); }
std::ostream& operator<<(std::ostream& out, const macaddr& v) { return out << v.to_string(); }
std::ostream& operator<<(std::ostream& out, const macaddr8& v) { return out << v.to_string(); }

}  // namespace pgwrap
