// The built-in codecs' conversions. Every failure is a conversion_error that
// says what the value was and why it does not fit; nothing is ever truncated
// or wrapped silently.

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "pgwrap/arguments.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

std::string type_name(std::uint32_t type) {
  switch (type) {
    case oid::boolean: return "boolean";
    case oid::bytea: return "bytea";
    case oid::char_: return "\"char\"";
    case oid::name: return "name";
    case oid::int8: return "bigint";
    case oid::int2: return "smallint";
    case oid::int4: return "integer";
    case oid::text: return "text";
    case oid::oid: return "oid";
    case oid::json: return "json";
    case oid::float4: return "real";
    case oid::float8: return "double precision";
    case oid::bpchar: return "character";
    case oid::varchar: return "character varying";
    case oid::date: return "date";
    case oid::time: return "time";
    case oid::timestamp: return "timestamp";
    case oid::timestamptz: return "timestamptz";
    case oid::interval: return "interval";
    case oid::numeric: return "numeric";
    case oid::uuid: return "uuid";
    case oid::jsonb: return "jsonb";
    case oid::int4range: return "int4range";
    case oid::numrange: return "numrange";
    case oid::tsrange: return "tsrange";
    case oid::tstzrange: return "tstzrange";
    case oid::daterange: return "daterange";
    case oid::int8range: return "int8range";
    case oid::int4multirange: return "int4multirange";
    case oid::nummultirange: return "nummultirange";
    case oid::tsmultirange: return "tsmultirange";
    case oid::tstzmultirange: return "tstzmultirange";
    case oid::datemultirange: return "datemultirange";
    case oid::int8multirange: return "int8multirange";
    case oid::inet: return "inet";
    case oid::cidr: return "cidr";
    case oid::macaddr: return "macaddr";
    case oid::macaddr8: return "macaddr8";
    default:
      if (const std::uint32_t element = array_element_oid(type); element != 0) return type_name(element) + "[]";
      return "type " + std::to_string(type);
  }
}

namespace {
// Quotes a text value for an error message, cut to a readable length.
std::string shown(const value_view& v) {
  if (v.format == wire_format::binary) return "a binary " + type_name(v.type_oid) + " value";
  constexpr std::size_t limit = 40;
  std::string out = "\"";
  out += v.data.substr(0, limit);
  out += v.data.size() > limit ? "...\"" : "\"";
  return out;
}

template <typename T>
T parse_number(const value_view& v, std::string_view type) {
  T value{};
  const char* end = v.data.data() + v.data.size();
  const auto [ptr, ec] = std::from_chars(v.data.data(), end, value);
  if (ec == std::errc::result_out_of_range) conversion_failure(v, type, "out of range");
  if (ec != std::errc() || ptr != end) conversion_failure(v, type, "not a number");
  return value;
}

// A binary integer column of any width, widened.
std::int64_t binary_integer(const value_view& v, std::string_view type) {
  switch (v.type_oid) {
    case oid::int2: expect_size(v, 2, type); return load_be<std::int16_t>(v.data.data());
    case oid::int4: expect_size(v, 4, type); return load_be<std::int32_t>(v.data.data());
    case oid::int8: expect_size(v, 8, type); return load_be<std::int64_t>(v.data.data());
    default: conversion_failure(v, type, "not an integer type");
  }
}

template <typename T>
param_ref write_binary_floating(T v, std::uint32_t type, std::string& out) {
  using bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  out.clear();
  store_be(std::bit_cast<bits>(v), out);
  return param_ref::binary(out, type);
}

template <typename T>
T read_floating(const value_view& v, std::string_view type) {
  if (v.format == wire_format::text) return parse_number<T>(v, type);
  if (v.type_oid == oid::float8) {
    expect_size(v, 8, type);
    const auto d = std::bit_cast<double>(load_be<std::uint64_t>(v.data.data()));
    if constexpr (std::is_same_v<T, float>) {
      // As PostgreSQL's own float8 -> float4 cast: overflow and underflow are errors, not inf or 0.
      const bool overflow = std::isfinite(d) && std::abs(d) > std::numeric_limits<float>::max();
      const bool underflow = d != 0 && static_cast<float>(d) == 0;
      if (overflow || underflow) conversion_failure(v, type, "out of range");
    }
    return static_cast<T>(d);
  }
  if (v.type_oid == oid::float4) {
    expect_size(v, 4, type);
    return static_cast<T>(std::bit_cast<float>(load_be<std::uint32_t>(v.data.data())));
  }
  conversion_failure(v, type, "not a floating-point type");
}
}  // namespace

void conversion_failure(const value_view& v, std::string_view cxx_type, std::string_view why) {
  std::string message = "cannot read ";
  message += shown(v);
  message += " as ";
  message += cxx_type;
  message += ": ";
  message += why;
  throw conversion_error(message);
}

void expect_size(const value_view& v, std::size_t size, std::string_view cxx_type) {
  if (v.data.size() != size) {
    conversion_failure(v, cxx_type,
                       std::to_string(v.data.size()) + " bytes where " + std::to_string(size) + " were expected");
  }
}

bool is_integer_oid(std::uint32_t type) { return type == oid::int2 || type == oid::int4 || type == oid::int8; }

bool is_text_oid(std::uint32_t type) {
  switch (type) {
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::char_:
    case oid::json:
    case oid::jsonb: return true;
    default: return false;
  }
}

std::int64_t read_signed(const value_view& v, std::int64_t min, std::int64_t max, std::string_view type_name) {
  if (v.type_oid == oid::numeric) {  // integral at any scale: 42.00 is 42
    const integral_numeric n = read_integral_numeric(v, type_name);
    const std::uint64_t limit = n.negative ? 0 - static_cast<std::uint64_t>(min) : static_cast<std::uint64_t>(max);
    if (n.magnitude > limit) conversion_failure(v, type_name, "out of range");
    return n.negative ? static_cast<std::int64_t>(0 - n.magnitude) : static_cast<std::int64_t>(n.magnitude);
  }
  const std::int64_t n =
      v.format == wire_format::binary ? binary_integer(v, type_name) : parse_number<std::int64_t>(v, type_name);
  if (n < min || n > max) {
    // Text shows the value already; a binary value is named by its number.
    conversion_failure(v, type_name,
                       v.format == wire_format::binary ? std::to_string(n) + " is out of range" : "out of range");
  }
  return n;
}

std::uint64_t read_unsigned(const value_view& v, std::uint64_t max, std::string_view type_name) {
  if (v.type_oid == oid::numeric) {  // integral at any scale: 42.00 is 42
    const integral_numeric n = read_integral_numeric(v, type_name);
    if ((n.negative && n.magnitude != 0) || n.magnitude > max) conversion_failure(v, type_name, "out of range");
    return n.magnitude;
  }
  if (v.format == wire_format::binary) {
    const std::int64_t n = binary_integer(v, type_name);
    if (n < 0 || static_cast<std::uint64_t>(n) > max) {
      conversion_failure(v, type_name, std::to_string(n) + " is out of range");
    }
    return static_cast<std::uint64_t>(n);
  }
  if (!v.data.empty() && v.data.front() == '-') {
    parse_number<std::int64_t>(v, type_name);  // reports "not a number" before "out of range"
    conversion_failure(v, type_name, "out of range");
  }
  const auto n = parse_number<std::uint64_t>(v, type_name);
  if (n > max) conversion_failure(v, type_name, "out of range");
  return n;
}

double read_double(const value_view& v) { return read_floating<double>(v, "double"); }
float read_float(const value_view& v) { return read_floating<float>(v, "float"); }

bool read_bool(const value_view& v) {
  if (v.format == wire_format::binary) {
    if (v.type_oid != oid::boolean) conversion_failure(v, "bool", "not a boolean type");
    expect_size(v, 1, "bool");
    return v.data[0] != 0;
  }
  if (v.data == "t" || v.data == "true") return true;
  if (v.data == "f" || v.data == "false") return false;
  conversion_failure(v, "bool", "not a boolean (expected t or f)");
}

std::string_view read_text(const value_view& v, std::string_view cxx_type) {
  if (v.format == wire_format::text) return v.data;
  if (v.type_oid == oid::jsonb) {  // binary jsonb: a version byte, then the text
    if (v.data.empty() || v.data[0] != 1) conversion_failure(v, cxx_type, "unknown jsonb version");
    return v.data.substr(1);
  }
  if (!is_text_oid(v.type_oid)) conversion_failure(v, cxx_type, "its binary form is not text");
  return v.data;
}

param_ref write_integer(std::int64_t v, std::uint32_t type, std::string& out) {
  out.clear();
  switch (type) {
    case oid::int2: store_be(static_cast<std::int16_t>(v), out); break;
    case oid::int4: store_be(static_cast<std::int32_t>(v), out); break;
    default: store_be(v, out); break;
  }
  return param_ref::binary(out, type);
}

param_ref write_uint64(std::uint64_t v, std::string& out) {
  char buf[24];
  auto* const end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.assign(buf, end);
  return param_ref::text(out.c_str(), oid::numeric);
}

param_ref write_double(double v, std::string& out) { return write_binary_floating(v, oid::float8, out); }
param_ref write_float(float v, std::string& out) { return write_binary_floating(v, oid::float4, out); }

const char* checked_c_str(std::string_view text, bool terminated, std::string& scratch) {
  if (text.empty()) return "";  // a default string_view has no data() to search or copy
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    const auto at = static_cast<const char*>(nul) - text.data();
    throw conversion_error("string contains a NUL byte at offset " + std::to_string(at) +
                           "; PostgreSQL text cannot hold NUL (send binary data as bytea)");
  }
  if (terminated) return text.data();
  scratch.assign(text);
  return scratch.c_str();
}

void append_array_element(std::string_view text, std::string& out) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_param_text(const param_ref& p, std::string& out) {
  if (p.format == wire_format::text) {
    out += p.data;
    return;
  }
  // Binary parameters of the built-in scalar types, spelled as PostgreSQL reads them.
  const value_view v{{p.data, static_cast<std::size_t>(p.length)}, p.oid, wire_format::binary};
  char buf[32];
  switch (p.oid) {
    case oid::boolean: out += read_bool(v) ? "t" : "f"; return;
    case oid::int2:
    case oid::int4:
    case oid::int8: out.append(buf, std::to_chars(buf, buf + sizeof buf, binary_integer(v, "integer")).ptr); return;
    case oid::float4:
    case oid::float8: {
      const double d = read_double(v);
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else if (p.oid == oid::float4) {
        out.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<float>(d)).ptr);
      } else {
        out.append(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
      }
      return;
    }
    case oid::numeric: out += read_numeric_binary(v, "numeric"); return;
    case oid::uuid: out += read_uuid(v).to_string(); return;
    case oid::bytea: append_bytea_hex(v.data, out); return;
    case oid::inet:
    case oid::cidr:
    case oid::macaddr:
    case oid::macaddr8: append_network_param_text(p, out); return;
    default:
      if (append_chrono_param_text(p, out) || append_array_param_text(p, out)) return;
      if (append_range_param_text(p, out)) return;
      throw usage_error("no text form for a binary parameter of " + type_name(p.oid));
  }
}

void throw_argument_error(std::size_t index, const char* why) {
  throw conversion_error("argument " + std::to_string(index + 1) + ": " + why);
}

}  // namespace pgwrap::detail
