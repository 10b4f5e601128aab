// pgwrap::numeric: parsing and normalising decimal text as PostgreSQL's
// numeric_in does, and numeric's binary wire form both ways.
//
// The binary form (numeric_send / numeric_recv): uint16 ndigits, int16
// weight, uint16 sign, uint16 dscale, then ndigits base-10000 digits (int16
// each, 0..9999), most significant first; the first digit is worth
// 10000^weight. dscale is the number of decimal digits after the point.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap {

namespace {

constexpr std::uint16_t sign_positive = 0x0000;
constexpr std::uint16_t sign_negative = 0x4000;
constexpr std::uint16_t sign_nan = 0xC000;
constexpr std::uint16_t sign_pinf = 0xD000;
constexpr std::uint16_t sign_ninf = 0xF000;

// PostgreSQL's limits: weight is an int16 (so at most 32768 base-10000
// digits, 131072 decimal digits, before the point) and dscale has 14 bits.
constexpr std::int64_t max_integer_digits = 131072;
constexpr std::int64_t max_scale = 0x3FFF;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// Parses `s` as numeric_in does (without its whitespace trimming) into the
// canonical text. Returns why it failed, or nullptr.
const char* parse_numeric(std::string_view s, std::string& out) {
  if (s.empty()) return "empty string";
  if (iequals(s, "nan")) {
    out = "NaN";
    return nullptr;
  }
  bool negative = false;
  std::string_view rest = s;
  if (rest[0] == '+' || rest[0] == '-') {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (iequals(rest, "infinity") || iequals(rest, "inf")) {
    out = negative ? "-Infinity" : "Infinity";
    return nullptr;
  }

  // digits [. digits] [e [sign] digits]
  std::size_t i = 0;
  const std::size_t int_begin = i;
  while (i < rest.size() && is_digit(rest[i])) ++i;
  const std::string_view int_digits = rest.substr(int_begin, i - int_begin);
  std::string_view frac_digits;
  if (i < rest.size() && rest[i] == '.') {
    const std::size_t frac_begin = ++i;
    while (i < rest.size() && is_digit(rest[i])) ++i;
    frac_digits = rest.substr(frac_begin, i - frac_begin);
  }
  if (int_digits.empty() && frac_digits.empty()) return "not a number";
  std::int64_t exponent = 0;
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < rest.size() && (rest[i] == '+' || rest[i] == '-')) {
      exponent_negative = rest[i] == '-';
      ++i;
    }
    if (i == rest.size() || !is_digit(rest[i])) return "not a number (bad exponent)";
    for (; i < rest.size() && is_digit(rest[i]); ++i) {
      exponent = exponent * 10 + (rest[i] - '0');
      if (exponent > 1'000'000'000) return "exponent out of range";
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (i != rest.size()) return "not a number";

  // All digits D, with the point after `point` of them (after the exponent).
  std::string digits;
  digits.reserve(int_digits.size() + frac_digits.size());
  digits.append(int_digits).append(frac_digits);
  const auto count = static_cast<std::int64_t>(digits.size());
  const std::int64_t point = static_cast<std::int64_t>(int_digits.size()) + exponent;
  const std::int64_t scale = count - point > 0 ? count - point : 0;  // PostgreSQL: dscale - exponent, >= 0
  std::int64_t first = 0;                                            // first non-zero digit
  while (first < count && digits[static_cast<std::size_t>(first)] == '0') ++first;
  const bool zero = first == count;
  const std::int64_t integer_digits = !zero && point > first ? point - first : 0;
  if (integer_digits > max_integer_digits) return "too many digits before the point (numeric allows 131072)";
  if (scale > max_scale) return "too many digits after the point (numeric allows 16383)";

  out.clear();
  if (negative && !zero) out += '-';
  if (integer_digits == 0) {
    out += '0';
  } else {
    // digits[first, min(point, count)) then zeros up to point
    const std::int64_t end = point < count ? point : count;
    out.append(digits, static_cast<std::size_t>(first), static_cast<std::size_t>(end - first));
    if (point > count) out.append(static_cast<std::size_t>(point - count), '0');
  }
  if (scale > 0) {
    out += '.';
    // fraction = digits[point, count), with -point leading zeros when point < 0
    if (point < 0) {
      out.append(static_cast<std::size_t>(-point), '0');
      out.append(digits);
    } else {
      out.append(digits, static_cast<std::size_t>(point), std::string::npos);
    }
  }
  return nullptr;
}

std::string shown(std::string_view text) {
  constexpr std::size_t limit = 40;
  std::string out = "\"";
  out += text.substr(0, limit);
  out += text.size() > limit ? "...\"" : "\"";
  return out;
}

void append_group(std::string& out, unsigned group) {
  out += static_cast<char>('0' + group / 1000);
  out += static_cast<char>('0' + group / 100 % 10);
  out += static_cast<char>('0' + group / 10 % 10);
  out += static_cast<char>('0' + group % 10);
}

}  // namespace

numeric::numeric(std::string_view text) {
  std::string canonical;
  if (const char* why = parse_numeric(text, canonical)) {
    throw conversion_error("invalid numeric " + shown(text) + ": " + why);
  }
  text_ = std::move(canonical);
}

std::optional<numeric> numeric::try_parse(std::string_view text) {
  std::string canonical;
  if (parse_numeric(text, canonical) != nullptr) return std::nullopt;
  return numeric(canonical_tag{}, std::move(canonical));
}

std::string numeric::from_signed(std::int64_t v) {
  char buf[24];
  return {buf, std::to_chars(buf, buf + sizeof buf, v).ptr};
}

std::string numeric::from_unsigned(std::uint64_t v) {
  char buf[24];
  return {buf, std::to_chars(buf, buf + sizeof buf, v).ptr};
}

int numeric::scale() const noexcept {
  const auto dot = text_.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(text_.size() - dot - 1);
}

double numeric::to_double() const {
  double d = 0;
  const char* end = text_.data() + text_.size();
  const auto [ptr, ec] = std::from_chars(text_.data(), end, d);
  if (ec == std::errc::result_out_of_range) {
    // Too small rounds to zero; too large has no double.
    const std::size_t digit = is_negative() ? 1 : 0;
    if (text_[digit] == '0') return is_negative() ? -0.0 : 0.0;
    throw conversion_error("numeric " + shown(text_) + " is out of range for double");
  }
  if (ec != std::errc() || ptr != end) throw conversion_error("numeric " + shown(text_) + " has no double");
  return d;
}

std::ostream& operator<<(std::ostream& out, const numeric& n) { return out << n.to_string(); }

namespace detail {

void write_numeric_binary(std::string_view canonical, std::string& out) {
  out.clear();
  std::uint16_t sign = sign_positive;
  if (canonical == "NaN") sign = sign_nan;
  if (canonical == "Infinity") sign = sign_pinf;
  if (canonical == "-Infinity") sign = sign_ninf;
  if (sign != sign_positive) {
    store_be<std::uint16_t>(0, out);  // ndigits
    store_be<std::int16_t>(0, out);   // weight
    store_be<std::uint16_t>(sign, out);
    store_be<std::uint16_t>(0, out);  // dscale
    return;
  }
  if (!canonical.empty() && canonical[0] == '-') {
    sign = sign_negative;
    canonical.remove_prefix(1);
  }
  const auto dot = canonical.find('.');
  const std::string_view int_part = canonical.substr(0, dot);
  const std::string_view frac_part = dot == std::string_view::npos ? std::string_view() : canonical.substr(dot + 1);

  // Base-10000 digits: the integer part aligned on the point from the left,
  // the fraction from the right.
  std::vector<std::uint16_t> groups;
  groups.reserve(int_part.size() / 4 + frac_part.size() / 4 + 2);
  const std::size_t lead = (4 - int_part.size() % 4) % 4;
  unsigned group = 0;
  std::size_t filled = lead;
  for (const char c : int_part) {
    group = group * 10 + static_cast<unsigned>(c - '0');
    if (++filled == 4) {
      groups.push_back(static_cast<std::uint16_t>(group));
      group = 0;
      filled = 0;
    }
  }
  auto weight = static_cast<std::int64_t>(groups.size()) - 1;
  for (std::size_t i = 0; i < frac_part.size(); i += 4) {
    group = 0;
    for (std::size_t j = i; j < i + 4; ++j) {
      group = group * 10 + (j < frac_part.size() ? static_cast<unsigned>(frac_part[j] - '0') : 0u);
    }
    groups.push_back(static_cast<std::uint16_t>(group));
  }
  // Strip zero digits at both ends, as PostgreSQL stores numbers.
  std::size_t begin = 0;
  std::size_t end = groups.size();
  while (begin < end && groups[begin] == 0) {
    ++begin;
    --weight;
  }
  while (end > begin && groups[end - 1] == 0) --end;
  if (begin == end) {
    weight = 0;
    sign = sign_positive;
  }
  store_be(static_cast<std::uint16_t>(end - begin), out);
  store_be(static_cast<std::int16_t>(weight), out);
  store_be(sign, out);
  store_be(static_cast<std::uint16_t>(frac_part.size()), out);
  for (std::size_t i = begin; i < end; ++i) store_be(groups[i], out);
}

std::string read_numeric_binary(const value_view& v, std::string_view cxx_type) {
  if (v.data.size() < 8) conversion_failure(v, cxx_type, "shorter than a numeric header");
  const char* p = v.data.data();
  const auto ndigits = load_be<std::uint16_t>(p);
  const auto weight = static_cast<std::int64_t>(load_be<std::int16_t>(p + 2));
  const auto sign = load_be<std::uint16_t>(p + 4);
  const auto dscale = static_cast<std::int64_t>(load_be<std::uint16_t>(p + 6));
  if (v.data.size() != 8 + 2 * static_cast<std::size_t>(ndigits)) {
    conversion_failure(v, cxx_type,
                       std::to_string(v.data.size()) + " bytes for " + std::to_string(ndigits) + " digits");
  }
  switch (sign) {
    case sign_nan: return "NaN";
    case sign_pinf: return "Infinity";
    case sign_ninf: return "-Infinity";
    case sign_positive:
    case sign_negative: break;
    default: conversion_failure(v, cxx_type, "invalid sign");
  }
  if (dscale > max_scale) conversion_failure(v, cxx_type, "invalid scale");
  // Everything is checked before anything is built: a header of 8 bytes may
  // claim a weight of +-32767 groups, and only a value that is valid may
  // make a text that long (its digits, up to PostgreSQL's limits).
  const auto n = static_cast<std::int64_t>(ndigits);
  std::int64_t first = -1;  // the first and last non-zero digits
  std::int64_t last = -1;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto d = load_be<std::int16_t>(p + 8 + 2 * i);
    if (d < 0 || d > 9999) conversion_failure(v, cxx_type, "invalid base-10000 digit");
    if (d != 0) {
      if (first < 0) first = i;
      last = i;
    }
  }
  const auto digit_at = [&](std::int64_t i) {
    return i >= 0 && i < n ? static_cast<unsigned>(load_be<std::int16_t>(p + 8 + 2 * i)) : 0u;
  };
  // Digit i is worth 10000^(weight - i): one after the point covers decimal
  // places 4·(i − weight) − 3 to 4·(i − weight).
  if (last >= 0 && last > weight) {
    unsigned group = digit_at(last);
    std::int64_t place = 4 * (last - weight);  // the place of the group's last decimal digit
    while (group % 10 == 0) {
      group /= 10;
      --place;
    }
    if (place > dscale) conversion_failure(v, cxx_type, "digits beyond its scale");
  }

  std::string out;
  const bool integral_digits = first >= 0 && first <= weight;
  std::size_t integer_size = 1;  // "0"
  if (integral_digits) {
    const unsigned lead = digit_at(first);
    integer_size = static_cast<std::size_t>(4 * (weight - first)) + (lead >= 1000  ? 4
                                                                     : lead >= 100 ? 3
                                                                     : lead >= 10  ? 2
                                                                                   : 1);
  }
  out.reserve(1 + integer_size + 1 + static_cast<std::size_t>(dscale));
  if (sign == sign_negative && first >= 0) out += '-';
  if (integral_digits) {
    std::string group;
    append_group(group, digit_at(first));
    out += std::string_view(group).substr(group.find_first_not_of('0'));
    for (std::int64_t i = first + 1; i <= weight; ++i) append_group(out, digit_at(i));
  } else {
    out += '0';
  }
  if (dscale > 0) {
    out += '.';
    for (std::int64_t k = 0; k < dscale; ++k) {  // decimal place k + 1
      const unsigned group = digit_at(weight + 1 + k / 4);
      constexpr unsigned divisors[] = {1000, 100, 10, 1};
      out += static_cast<char>('0' + group / divisors[k % 4] % 10);
    }
  }
  return out;
}

integral_numeric read_integral_numeric(const value_view& v, std::string_view cxx_type) {
  integral_numeric out;
  const auto add_digits = [&](std::uint64_t base, std::uint64_t digit) {
    if (__builtin_mul_overflow(out.magnitude, base, &out.magnitude) ||
        __builtin_add_overflow(out.magnitude, digit, &out.magnitude)) {
      conversion_failure(v, cxx_type, "out of range");
    }
  };
  if (v.format == wire_format::text) {
    // numeric_out never writes an exponent; refusing one keeps `1e131071`
    // (8 bytes) from becoming 131072 digits here.
    if (v.data.find_first_of("eE") != std::string_view::npos) {
      conversion_failure(v, cxx_type, "not a number (numeric text has no exponent)");
    }
    std::string canonical;
    if (const char* why = parse_numeric(v.data, canonical)) conversion_failure(v, cxx_type, why);
    if (canonical == "NaN" || canonical == "Infinity" || canonical == "-Infinity") {
      conversion_failure(v, cxx_type, "not integral (" + canonical + " is not an integer)");
    }
    std::string_view rest = canonical;
    out.negative = !rest.empty() && rest[0] == '-';
    if (out.negative) rest.remove_prefix(1);
    const auto dot = rest.find('.');
    if (dot != std::string_view::npos && rest.find_first_not_of('0', dot + 1) != std::string_view::npos) {
      conversion_failure(v, cxx_type, "not integral (it has a non-zero fraction)");
    }
    for (const char c : rest.substr(0, dot)) add_digits(10, static_cast<std::uint64_t>(c - '0'));
    return out;
  }
  // Binary: the header and digits as read_numeric_binary checks them, without
  // building the text (a weight of 32767 would be 131072 digits).
  if (v.data.size() < 8) conversion_failure(v, cxx_type, "shorter than a numeric header");
  const char* p = v.data.data();
  const auto ndigits = load_be<std::uint16_t>(p);
  const auto weight = static_cast<std::int64_t>(load_be<std::int16_t>(p + 2));
  const auto sign = load_be<std::uint16_t>(p + 4);
  if (v.data.size() != 8 + 2 * static_cast<std::size_t>(ndigits)) {
    conversion_failure(v, cxx_type,
                       std::to_string(v.data.size()) + " bytes for " + std::to_string(ndigits) + " digits");
  }
  switch (sign) {
    case sign_nan: conversion_failure(v, cxx_type, "not integral (NaN is not an integer)");
    case sign_pinf: conversion_failure(v, cxx_type, "not integral (Infinity is not an integer)");
    case sign_ninf: conversion_failure(v, cxx_type, "not integral (-Infinity is not an integer)");
    case sign_positive:
    case sign_negative: break;
    default: conversion_failure(v, cxx_type, "invalid sign");
  }
  bool fraction = false;
  for (std::size_t i = 0; i < ndigits; ++i) {
    const auto d = load_be<std::int16_t>(p + 8 + 2 * i);
    if (d < 0 || d > 9999) conversion_failure(v, cxx_type, "invalid base-10000 digit");
    if (static_cast<std::int64_t>(i) > weight && d != 0) fraction = true;
  }
  if (fraction) conversion_failure(v, cxx_type, "not integral (it has a non-zero fraction)");
  // The integer part: digits 0..weight (those past ndigits are zeros). A
  // weight above 4 with a non-zero first digit is past 2^64 at once.
  for (std::int64_t d = 0; d <= weight; ++d) {
    const auto digit =
        d < static_cast<std::int64_t>(ndigits) ? static_cast<std::uint64_t>(load_be<std::int16_t>(p + 8 + 2 * d)) : 0u;
    add_digits(10000, digit);
  }
  out.negative = sign == sign_negative && out.magnitude != 0;
  return out;
}

numeric read_numeric(const value_view& v) {
  constexpr std::string_view type = "pgwrap::numeric";
  if (v.format == wire_format::text) {
    std::string canonical;
    if (const char* why = parse_numeric(v.data, canonical)) conversion_failure(v, type, why);
    return numeric(numeric::canonical_tag{}, std::move(canonical));
  }
  switch (v.type_oid) {
    case oid::numeric: return numeric(numeric::canonical_tag{}, read_numeric_binary(v, type));
    case oid::int2: expect_size(v, 2, type); return numeric(load_be<std::int16_t>(v.data.data()));
    case oid::int4: expect_size(v, 4, type); return numeric(load_be<std::int32_t>(v.data.data()));
    case oid::int8: expect_size(v, 8, type); return numeric(load_be<std::int64_t>(v.data.data()));
    default: conversion_failure(v, type, "its binary form is not a number");
  }
}

}  // namespace detail
}  // namespace pgwrap
