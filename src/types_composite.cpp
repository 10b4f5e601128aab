// The composite codec's non-template half: taking record values apart (text
// and binary, both treated as hostile input), checking them against the
// catalog, the errors that name attributes, and writing record literals (in
// declaration order, or by attribute name once the type is known).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "literal_text.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

std::uint32_t user_array_element(std::uint32_t array, const type_set* types) noexcept {
  return types == nullptr ? 0 : types->element_of(array);
}

namespace {
// A struct's members are placed by the catalog's attribute names: when the
// look-up of its type failed, no order is known to be right, and guessing
// the declaration order could put a value in the wrong attribute.
void require_looked_up(std::uint32_t oid, const type_set& types) {
  const user_type* type = types.find(oid);
  if (type != nullptr && !type->lookup_error.empty()) {
    throw conversion_error("type " + std::to_string(oid) + " could not be looked up in the catalog (" +
                           type->lookup_error + "), so its attributes' order is unknown");
  }
}
}  // namespace

const user_type* composite_to_write(std::uint32_t oid, const type_set& types) {
  require_looked_up(oid, types);
  return types.composite(oid);
}

std::uint32_t composite_array_element(std::uint32_t array, const type_set& types) {
  require_looked_up(array, types);
  const std::uint32_t element = types.element_of(array);
  return element != 0 && composite_to_write(element, types) != nullptr ? element : 0;
}

namespace {

std::string in_quotes(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string attribute_list(const user_type& type) {
  std::string list;
  for (const type_attribute& a : type.attributes) {
    if (!list.empty()) list += ", ";
    list += a.name;
  }
  return list.empty() ? "(none)" : list;
}

std::string attributes(std::size_t n) { return std::to_string(n) + (n == 1 ? " attribute" : " attributes"); }
}  // namespace

// record_in's grammar: optional white space, '(', fields separated by ',',
// ')', optional white space. A field with nothing in it is NULL; inside a
// field '"' opens and closes quoting, '""' within quotes is one '"', and a
// backslash takes the next character literally, quoted or not.
void parse_record_text(const value_view& v, std::string_view cxx_type, record_contents& out) {
  const std::string_view s = v.data;
  std::size_t pos = 0;
  const auto fail = [&](std::string_view why) {
    conversion_failure(v, cxx_type, std::string(why) + " at offset " + std::to_string(pos));
  };
  while (pos < s.size() && is_literal_space(s[pos])) ++pos;
  if (pos >= s.size() || s[pos] != '(') fail("malformed record literal: it does not start with \"(\"");
  ++pos;
  // Field boundaries first, as offsets into `unescaped` (it may reallocate
  // while fields are added), then views once it is complete.
  struct span_of {
    std::size_t begin, end;
    bool null, escaped;
  };
  std::vector<span_of> spans;
  out.unescaped.clear();
  for (;;) {
    if (spans.size() >= s.size()) fail("malformed record literal");  // cannot happen: each field takes a byte
    const std::size_t field_start = pos;
    bool quoting = false;
    bool escaped = false;
    const std::size_t unescaped_begin = out.unescaped.size();
    while (true) {
      if (pos >= s.size()) fail("malformed record literal: unexpected end");
      const char c = s[pos];
      if (!quoting && (c == ',' || c == ')')) break;
      if (c == '\\') {
        if (pos + 1 >= s.size()) fail("malformed record literal: unexpected end after a backslash");
        escaped = true;
        out.unescaped += s[pos + 1];
        pos += 2;
      } else if (c == '"') {
        escaped = true;
        if (quoting && pos + 1 < s.size() && s[pos + 1] == '"') {
          out.unescaped += '"';
          pos += 2;
        } else {
          quoting = !quoting;
          ++pos;
        }
      } else {
        out.unescaped += c;
        ++pos;
      }
    }
    const bool null = pos == field_start;  // nothing at all, not even ""
    spans.push_back({unescaped_begin, out.unescaped.size(), null, escaped});
    if (s[pos] == ')') {
      ++pos;
      break;
    }
    ++pos;  // ','
  }
  while (pos < s.size() && is_literal_space(s[pos])) ++pos;
  if (pos != s.size()) fail("malformed record literal: junk after \")\"");
  out.fields.clear();
  out.fields.reserve(spans.size());
  for (const span_of& f : spans) {
    record_field field;
    field.null = f.null;
    if (!f.null) field.data = std::string_view(out.unescaped).substr(f.begin, f.end - f.begin);
    out.fields.push_back(field);
  }
}

void parse_record_binary(const value_view& v, std::string_view cxx_type, record_contents& out) {
  std::string_view rest = v.data;
  const auto fail = [&](std::string_view why) { conversion_failure(v, cxx_type, why); };
  if (rest.size() < 4) fail("truncated binary record (no attribute count)");
  const auto count = load_be<std::int32_t>(rest.data());
  rest.remove_prefix(4);
  if (count < 0) fail("binary record with a negative attribute count");
  // Every field takes at least 8 bytes (its type OID and length): a count
  // the bytes cannot hold is an error before anything is allocated.
  if (static_cast<std::size_t>(count) > rest.size() / 8) fail("truncated binary record (more attributes than bytes)");
  out.fields.clear();
  out.fields.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count; ++i) {
    if (rest.size() < 8) fail("truncated binary record");
    record_field f;
    f.type_oid = load_be<std::uint32_t>(rest.data());
    const auto length = load_be<std::int32_t>(rest.data() + 4);
    rest.remove_prefix(8);
    if (length == -1) {
      f.null = true;
    } else if (length < 0) {
      fail("binary record with a negative attribute length");
    } else if (static_cast<std::size_t>(length) > rest.size()) {
      fail("truncated binary record (an attribute longer than the bytes left)");
    } else {
      f.data = rest.substr(0, static_cast<std::size_t>(length));
      rest.remove_prefix(static_cast<std::size_t>(length));
    }
    out.fields.push_back(f);
  }
  if (!rest.empty()) fail("binary record with bytes after its end");
}

const user_type& read_record(const value_view& v, std::string_view cxx_type, record_contents& out) {
  if (v.type_oid == record_oid) {
    conversion_failure(v, cxx_type,
                       "an anonymous record (ROW(...)) has no attribute names; cast it to a composite type "
                       "(ROW(...)::type_name)");
  }
  if (v.type_oid < first_user_oid) conversion_failure(v, cxx_type, type_name(v.type_oid) + " is not a composite type");
  if (v.types == nullptr) {
    conversion_failure(v, cxx_type,
                       "the value came without the catalog's description of type " + std::to_string(v.type_oid) +
                           " (a value not read from a pgwrap result: read it as a string)");
  }
  const user_type* type = v.types->composite(v.type_oid);
  if (type == nullptr) {
    const user_type* other = v.types->find(v.type_oid);
    if (other == nullptr)
      conversion_failure(v, cxx_type, "type " + std::to_string(v.type_oid) + " is not in the type catalog");
    if (!other->lookup_error.empty()) {
      conversion_failure(v, cxx_type,
                         "type " + std::to_string(v.type_oid) + " could not be looked up in the catalog (" +
                             other->lookup_error + ")");
    }
    conversion_failure(v, cxx_type, other->name + " is not a composite type");
  }
  if (v.format == wire_format::binary) {
    parse_record_binary(v, cxx_type, out);
  } else {
    parse_record_text(v, cxx_type, out);
    // "()" is one NULL field for record_in, or no field for a type without attributes.
    if (type->attributes.empty() && out.fields.size() == 1 && out.fields[0].null) out.fields.clear();
  }
  if (out.fields.size() != type->attributes.size()) {
    conversion_failure(v, cxx_type,
                       "the value has " + attributes(out.fields.size()) + " but " + type->name + " has " +
                           attributes(type->attributes.size()) + " in the catalog");
  }
  for (std::size_t i = 0; i < out.fields.size(); ++i) {
    const std::uint32_t expected = type->attributes[i].type_oid;
    if (v.format == wire_format::text) {
      out.fields[i].type_oid = expected;
    } else if (out.fields[i].type_oid != expected) {
      conversion_failure(v, cxx_type,
                         "attribute " + in_quotes(type->attributes[i].name) + " of " + type->name + " came as " +
                             type_name(out.fields[i].type_oid) + ", the catalog says " + type_name(expected));
    }
  }
  return *type;
}

std::size_t find_attribute(const value_view& v, std::string_view cxx_type, const user_type& type,
                           std::string_view member) {
  for (std::size_t i = 0; i < type.attributes.size(); ++i) {
    if (type.attributes[i].name == member) return i;
  }
  conversion_failure(v, cxx_type,
                     "composite type " + type.name + " has no attribute " + in_quotes(member) + " for member " +
                         std::string(member) + "; its attributes are: " + attribute_list(type));
}

void check_attributes_used(const value_view& v, std::string_view cxx_type, const user_type& type,
                           const std::vector<bool>& used) {
  for (std::size_t i = 0; i < used.size(); ++i) {
    if (!used[i]) {
      conversion_failure(v, cxx_type,
                         "attribute " + in_quotes(type.attributes[i].name) + " of composite type " + type.name +
                             " has no member in the struct (describe one with PGWRAP_DESCRIBE)");
    }
  }
}

void null_attribute(const value_view& v, std::string_view cxx_type, const user_type& type, std::size_t index) {
  conversion_failure(v, cxx_type,
                     "attribute " + in_quotes(type.attributes[index].name) + " of " + type.name +
                         " is NULL; read it into a std::optional member");
}

void bad_attribute(const user_type& type, std::size_t index, const char* why) {
  throw conversion_error("attribute " + in_quotes(type.attributes[index].name) + " of " + type.name + ": " + why);
}

// record_out's quoting: a value is quoted when it is empty or holds '"',
// '\\', '(', ')', ',' or white space; inside, '"' and '\\' are doubled.
namespace {
void append_member_text(const param_ref& p, std::string_view member, std::string& out) {
  try {
    append_param_text(p, out);
  } catch (const usage_error& e) {
    throw usage_error("member " + std::string(member) + ": " + e.what() + "; it cannot go in a record literal");
  }
}

void append_quoted_field(std::string_view text, std::string& out) {
  append_literal_element(
      text, [](char c) { return c == '(' || c == ')' || c == ','; }, out);
}
}  // namespace

void append_record_field(const param_ref& p, std::string_view member, std::string& out) {
  if (p.data == nullptr) return;  // NULL: nothing between the commas
  std::string text;
  append_member_text(p, member, text);
  append_quoted_field(text, out);
}

record_by_name::record_by_name(const user_type& type, const type_set& types, std::string cxx_type)
    : type_(type),
      types_(types),
      cxx_type_(std::move(cxx_type)),
      fields_(type.attributes.size()),
      used_(type.attributes.size(), false) {}

void record_by_name::put(std::string_view member, const param_ref& p) {
  std::size_t i = 0;
  while (i < type_.attributes.size() && type_.attributes[i].name != member) ++i;
  if (i == type_.attributes.size()) {
    throw conversion_error("cannot send " + cxx_type_ + " as composite type " + type_.name + ": it has no attribute " +
                           in_quotes(member) + " for member " + std::string(member) +
                           "; its attributes are: " + attribute_list(type_));
  }
  used_[i] = true;
  if (p.data == nullptr) return;  // NULL: nothing between the commas
  std::string& text = fields_[i].emplace();
  try {
    // A nested struct (or array of them) is written for the attribute's type.
    if (p.late_write != nullptr && p.late_write(p.late_source, type_.attributes[i].type_oid, types_, text)) return;
  } catch (const conversion_error& e) {
    throw conversion_error("member " + std::string(member) + " of " + cxx_type_ + ": " + e.what());
  }
  text.clear();
  append_member_text(p, member, text);
}

void record_by_name::finish(std::string& out) {
  for (std::size_t i = 0; i < used_.size(); ++i) {
    if (!used_[i]) {
      throw conversion_error("cannot send " + cxx_type_ + " as composite type " + type_.name + ": attribute " +
                             in_quotes(type_.attributes[i].name) + " has no member in the struct (describe one " +
                             "with PGWRAP_DESCRIBE)");
    }
  }
  out = "(";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out += ',';
    if (fields_[i]) append_quoted_field(*fields_[i], out);
  }
  out += ')';
}

}  // namespace pgwrap::detail
