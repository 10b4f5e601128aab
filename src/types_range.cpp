// Ranges and multiranges on the wire.
//
// Text (range_in / range_out): `empty`, or `[` or `(`, the lower bound, `,`,
// the upper bound, `]` or `)`. An absent bound is unbounded. A bound runs up
// to the next unquoted , ( ) [ or ]; `"` opens and closes quoting (`""`
// inside quotes is one `"`) and `\` takes the next character literally.
// Whitespace around the brackets is ignored. Multiranges: `{`, ranges
// separated by `,`, `}`.
//
// Binary (range_send / range_recv): one flags byte, then each bound present
// as int32 length + the element's binary bytes. Multirange_send: int32
// count, then each range as int32 length + its range_send bytes.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "literal_text.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

namespace {

// PostgreSQL's range flags (rangetypes.h).
constexpr unsigned char flag_empty = 0x01;
constexpr unsigned char flag_lower_inclusive = 0x02;
constexpr unsigned char flag_upper_inclusive = 0x04;
constexpr unsigned char flag_lower_infinite = 0x08;
constexpr unsigned char flag_upper_infinite = 0x10;
constexpr unsigned char known_flags =
    flag_empty | flag_lower_inclusive | flag_upper_inclusive | flag_lower_infinite | flag_upper_infinite;

bool starts_with_empty(std::string_view s) {
  constexpr std::string_view word = "empty";
  if (s.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_literal_space(s[i])) ++i;
  return i;
}

bool ends_bound(char c) { return c == ',' || c == '(' || c == ')' || c == '[' || c == ']'; }

// Reads one bound at s[i...]; false and `why` when malformed. `present` is
// false for an absent (unbounded) bound.
bool read_text_bound(std::string_view s, std::size_t& i, bool& present, std::string& out, const char*& why) {
  out.clear();
  if (i >= s.size()) {
    why = "unexpected end of input";
    return false;
  }
  if (ends_bound(s[i])) {
    present = false;
    return true;
  }
  present = true;
  bool quoted = false;
  while (quoted || (i < s.size() && !ends_bound(s[i]))) {
    if (i >= s.size()) {
      why = "unexpected end of input (an unclosed quote?)";
      return false;
    }
    const char c = s[i++];
    if (c == '\\') {
      if (i >= s.size()) {
        why = "unexpected end of input after a backslash";
        return false;
      }
      out += s[i++];
    } else if (c == '"') {
      if (!quoted) {
        quoted = true;
      } else if (i < s.size() && s[i] == '"') {
        out += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else {
      out += c;
    }
  }
  return true;
}

const char* parse_text_range(std::string_view s, range_parts& out) {
  std::size_t i = skip_space(s, 0);
  if (starts_with_empty(s.substr(i))) {
    if (skip_space(s, i + 5) != s.size()) return "junk after \"empty\"";
    out.empty = true;
    return nullptr;
  }
  if (i >= s.size() || (s[i] != '[' && s[i] != '(')) return "missing [ or ( at the start";
  out.lower_inclusive = s[i++] == '[';
  const char* why = nullptr;
  if (!read_text_bound(s, i, out.has_lower, out.lower_text, why)) return why;
  if (i >= s.size() || s[i] != ',') return "missing , between the bounds";
  ++i;
  if (!read_text_bound(s, i, out.has_upper, out.upper_text, why)) return why;
  if (i >= s.size() || (s[i] != ']' && s[i] != ')')) return "missing ] or ) at the end";
  out.upper_inclusive = s[i++] == ']';
  if (skip_space(s, i) != s.size()) return "junk after the closing bracket";
  out.lower_inclusive = out.lower_inclusive && out.has_lower;
  out.upper_inclusive = out.upper_inclusive && out.has_upper;
  if (out.has_lower) out.lower = out.lower_text;
  if (out.has_upper) out.upper = out.upper_text;
  return nullptr;
}

// A length-prefixed piece of binary data at s[i...]; false and `why` when it does not fit.
bool read_binary_piece(std::string_view s, std::size_t& i, std::string_view& piece, const char*& why) {
  if (s.size() - i < 4) {
    why = "truncated before a length";
    return false;
  }
  const auto length = load_be<std::int32_t>(s.data() + i);
  i += 4;
  if (length < 0) {
    why = "negative length";
    return false;
  }
  if (static_cast<std::size_t>(length) > s.size() - i) {
    why = "a length past the end of the value";
    return false;
  }
  piece = s.substr(i, static_cast<std::size_t>(length));
  i += static_cast<std::size_t>(length);
  return true;
}

const char* parse_binary_range(std::string_view s, range_parts& out) {
  if (s.empty()) return "no flags byte";
  const auto flags = static_cast<unsigned char>(s[0]);
  if ((flags & ~known_flags) != 0) return "invalid range flags";
  std::size_t i = 1;
  const char* why = nullptr;
  if ((flags & flag_empty) != 0) {
    out.empty = true;
  } else {
    out.has_lower = (flags & flag_lower_infinite) == 0;
    out.has_upper = (flags & flag_upper_infinite) == 0;
    out.lower_inclusive = out.has_lower && (flags & flag_lower_inclusive) != 0;
    out.upper_inclusive = out.has_upper && (flags & flag_upper_inclusive) != 0;
    if (out.has_lower && !read_binary_piece(s, i, out.lower, why)) return why;
    if (out.has_upper && !read_binary_piece(s, i, out.upper, why)) return why;
  }
  if (i != s.size()) return "bytes left over after the bounds";
  return nullptr;
}

}  // namespace

void parse_range(const value_view& v, std::string_view cxx_type, range_parts& out) {
  const char* why = v.format == wire_format::binary ? parse_binary_range(v.data, out) : parse_text_range(v.data, out);
  if (why != nullptr) conversion_failure(v, cxx_type, std::string("malformed range: ") + why);
}

std::vector<std::string_view> split_multirange(const value_view& v, std::string_view cxx_type) {
  const std::string_view s = v.data;
  std::vector<std::string_view> out;
  const auto fail = [&](const char* why) {
    conversion_failure(v, cxx_type, std::string("malformed multirange: ") + why);
  };
  if (v.format == wire_format::binary) {
    if (s.size() < 4) fail("shorter than its count");
    const auto count = load_be<std::int32_t>(s.data());
    if (count < 0) fail("negative count");
    // Each range takes at least 5 bytes (its length and its flags): check before reserving.
    if (static_cast<std::size_t>(count) > (s.size() - 4) / 5) fail("more ranges than its bytes can hold");
    out.reserve(static_cast<std::size_t>(count));
    std::size_t i = 4;
    const char* why = nullptr;
    for (std::int32_t n = 0; n < count; ++n) {
      std::string_view piece;
      if (!read_binary_piece(s, i, piece, why)) fail(why);
      out.push_back(piece);
    }
    if (i != s.size()) fail("bytes left over after the ranges");
    return out;
  }
  std::size_t i = skip_space(s, 0);
  if (i >= s.size() || s[i] != '{') fail("missing { at the start");
  i = skip_space(s, i + 1);
  if (i < s.size() && s[i] == '}') {
    if (skip_space(s, i + 1) != s.size()) fail("junk after the closing }");
    return out;
  }
  for (;;) {
    i = skip_space(s, i);
    const std::size_t begin = i;
    if (starts_with_empty(s.substr(i))) {
      i += 5;  // an empty range adds nothing, as in PostgreSQL
    } else {
      if (i >= s.size() || (s[i] != '[' && s[i] != '(')) fail("missing [ or ( at the start of a range");
      ++i;
      bool quoted = false;
      for (;;) {
        if (i >= s.size()) fail("unexpected end of input in a range");
        const char c = s[i++];
        if (c == '\\') {
          if (i >= s.size()) fail("unexpected end of input after a backslash");
          ++i;
        } else if (c == '"') {
          quoted = !quoted;  // "" inside quotes toggles twice: the same
        } else if (!quoted && (c == ']' || c == ')')) {
          break;
        }
      }
      out.push_back(s.substr(begin, i - begin));
    }
    i = skip_space(s, i);
    if (i >= s.size()) fail("missing } at the end");
    if (s[i] == ',') {
      ++i;
      continue;
    }
    if (s[i] != '}') fail("missing , or } after a range");
    if (skip_space(s, i + 1) != s.size()) fail("junk after the closing }");
    return out;
  }
}

void bad_range_bound(const value_view& v, std::string_view cxx_type, bool upper, const char* why) {
  conversion_failure(v, cxx_type, std::string(upper ? "upper" : "lower") + " bound: " + why);
}

void append_range_bound(std::string_view text, std::string& out) { append_literal_element(text, ends_bound, out); }

param_ref write_range(bool empty, const param_ref* lower, bool lower_inclusive, const param_ref* upper,
                      bool upper_inclusive, std::uint32_t range_type, std::string& out) {
  out.clear();
  const std::uint32_t element = range_element_oid(range_type);
  const auto binary = [&](const param_ref* p) {
    return p == nullptr || (p->format == wire_format::binary && p->data != nullptr && p->oid == element);
  };
  for (const param_ref* p : {lower, upper}) {
    if (p != nullptr && p->data == nullptr) throw conversion_error("a range bound cannot be NULL");
  }
  if (element != oid::unknown && binary(lower) && binary(upper)) {
    unsigned char flags = 0;
    if (empty) {
      flags = flag_empty;
    } else {
      if (lower == nullptr) flags |= flag_lower_infinite;
      if (upper == nullptr) flags |= flag_upper_infinite;
      if (lower != nullptr && lower_inclusive) flags |= flag_lower_inclusive;
      if (upper != nullptr && upper_inclusive) flags |= flag_upper_inclusive;
    }
    out += static_cast<char>(flags);
    if (!empty) {
      for (const param_ref* p : {lower, upper}) {
        if (p == nullptr) continue;
        store_be(p->length, out);
        out.append(p->data, static_cast<std::size_t>(p->length));
      }
    }
    return param_ref::binary(out, range_type);
  }
  if (empty) {
    out = "empty";
  } else {
    std::string text;
    out += lower != nullptr && lower_inclusive ? '[' : '(';
    if (lower != nullptr) {
      append_param_text(*lower, text);
      append_range_bound(text, out);
    }
    out += ',';
    if (upper != nullptr) {
      text.clear();
      append_param_text(*upper, text);
      append_range_bound(text, out);
    }
    out += upper != nullptr && upper_inclusive ? ']' : ')';
  }
  return param_ref::text(out.c_str(), range_type);
}

param_ref write_multirange(std::span<const param_ref> ranges, std::uint32_t multirange_type, std::string& out) {
  out.clear();
  bool binary = multirange_type != oid::unknown;
  for (const param_ref& r : ranges) binary = binary && r.format == wire_format::binary;
  if (binary) {
    store_be(static_cast<std::int32_t>(ranges.size()), out);
    for (const param_ref& r : ranges) {
      store_be(r.length, out);
      out.append(r.data, static_cast<std::size_t>(r.length));
    }
    return param_ref::binary(out, multirange_type);
  }
  out += '{';
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0) out += ',';
    append_param_text(ranges[i], out);
  }
  out += '}';
  // The text of an unknown multirange type: the server infers it from the context.
  return param_ref::text(out.c_str(), multirange_type);
}

namespace {
void append_binary_range_text(const value_view& v, std::string& out) {
  range_parts parts;
  parse_range(v, "range", parts);
  if (parts.empty) {
    out += "empty";
    return;
  }
  const std::uint32_t element = range_element_oid(v.type_oid);
  std::string text;
  out += parts.lower_inclusive ? '[' : '(';
  if (parts.has_lower) {
    append_param_text(param_ref::binary(parts.lower, element), text);
    append_range_bound(text, out);
  }
  out += ',';
  if (parts.has_upper) {
    text.clear();
    append_param_text(param_ref::binary(parts.upper, element), text);
    append_range_bound(text, out);
  }
  out += parts.upper_inclusive ? ']' : ')';
}
}  // namespace

bool append_range_param_text(const param_ref& p, std::string& out) {
  if (p.format != wire_format::binary || p.data == nullptr) return false;
  const value_view v{{p.data, static_cast<std::size_t>(p.length)}, p.oid, wire_format::binary};
  if (range_element_oid(p.oid) != oid::unknown) {
    append_binary_range_text(v, out);
    return true;
  }
  if (const std::uint32_t range_type = multirange_range_oid(p.oid); range_type != oid::unknown) {
    out += '{';
    bool first = true;
    for (const std::string_view piece : split_multirange(v, "multirange")) {
      if (!first) out += ',';
      first = false;
      append_binary_range_text(value_view{piece, range_type, wire_format::binary}, out);
    }
    out += '}';
    return true;
  }
  return false;
}

}  // namespace pgwrap::detail
