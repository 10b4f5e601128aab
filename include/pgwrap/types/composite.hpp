#pragma once
/// @file
/// A struct described with PGWRAP_DESCRIBE as a PostgreSQL composite type.
/**
 *     CREATE TYPE item AS (name text, price numeric, tags text[]);
 *     struct item { std::string name; pgwrap::numeric price; std::vector<std::string> tags; };
 *     PGWRAP_DESCRIBE(item, name, price, tags)
 *
 *     db.execute("INSERT INTO orders (id, what) VALUES (%s, %s)", 1, my_item);
 *     item i = db.scalar<item>("SELECT what FROM orders WHERE id = %s", 1);
 *
 * - Reading: a *value* of a composite type (a column, an attribute of
 *   another composite, an element of an array, or a whole row as in
 *   `SELECT t FROM t`) reads into the struct, its members matched to the
 *   type's attributes **by name**. An attribute with no member, or a member
 *   with no attribute, is a conversion_error naming it (there is no relaxed
 *   form for composites). NULL attributes need std::optional members.
 *   The attribute names come from the server's catalog (pg_attribute), which
 *   pgwrap reads once per connection and type, and forgets on DDL.
 * - `db.query<S>` keeps its meaning: the row's *columns* map to S's members.
 *   A composite column is read as a struct with `db.scalar<S>`,
 *   `row[0].as<S>()`, `db.query<std::int64_t, S>` (a tuple), or as a member
 *   whose type is itself a described struct.
 * - Sending: the struct goes as a record literal `(1,"a b",)` in text with
 *   type OID 0 (see codec<S>::encode for why), its members placed **by
 *   name**: the engine asks the server for the statement's parameter types
 *   (once per statement text and connection), and writes each member at the
 *   attribute of its name, whatever order the struct declares them in. The
 *   same holds for a struct inside another (an attribute of a composite
 *   type), inside std::optional, and for vectors of structs (an array of a
 *   composite type). A member with no attribute, or an attribute with no
 *   member, is a conversion_error naming it, the struct and the type.
 * - query, execute, scalar, stream, executemany and copy_in go by name, and
 *   so do pgwrap::batch, pgwrap::param / fields (db.insert, `%S`, `%W`) and
 *   the coroutine face (pgwrap/asio.hpp), which keep a copy of the struct to
 *   place its members when they are sent.
 * - Where the parameter's type is no composite the catalog knows (`record`,
 *   a parameter typed `unknown`, text), and for a struct with a
 *   std::string_view, span or pointer inside that a batch, fields or an
 *   async call keeps (a copy would outlive what it views, so only its text
 *   is kept), the literal has the members **in declaration order**, which
 *   must then be the type's attribute order (the server reads a record
 *   literal by position).
 * - An anonymous record (`SELECT ROW(1, 'a')`) has no attribute names and is
 *   a conversion_error: cast it to a composite type (`CAST(ROW(1, 'a') AS item)`).
 * - pgwrap::to_string(s) is the record's text as PostgreSQL prints it
 *   (`(widget,9.99,"{a,b}")`) when each member's text is the server's.
 */

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "pgwrap/codec.hpp"
#include "pgwrap/detail/members.hpp"
#include "pgwrap/detail/type_set.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types/array.hpp"  // append_param_text, views_its_data

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

namespace detail {

/// One attribute of a record value: its bytes (text unescaped, or binary),
/// its type OID (from the wire in binary, else from the catalog), NULL or not.
struct record_field {
  std::string_view data;
  std::uint32_t type_oid = 0;
  bool null = false;
};

/// A record value taken apart. Fields may view `unescaped` (or the value
/// read), so it neither copies nor moves.
struct record_contents {
  record_contents() = default;
  record_contents(const record_contents&) = delete;
  record_contents& operator=(const record_contents&) = delete;

  std::vector<record_field> fields;  ///< in attribute order
  std::string unescaped;             ///< text fields that had quotes or escapes
};

/// Takes apart the text form `(a,"b c",)` of a record: the fields, in order,
/// with quoting and escapes undone (type OIDs left 0). Throws
/// conversion_error (naming `cxx_type`) when it is malformed.
void parse_record_text(const value_view& v, std::string_view cxx_type, record_contents& out);
/// Takes apart the binary form (count, then per field: type OID, length or
/// -1 for NULL, bytes). Every length is checked against the bytes left
/// before anything is read or allocated.
void parse_record_binary(const value_view& v, std::string_view cxx_type, record_contents& out);

/// The composite type of `v` from the catalog, its value taken apart into
/// `out` with one field per attribute. Throws conversion_error when `v` is
/// not a composite the catalog knows (an anonymous record, no catalog, ...),
/// is malformed, or disagrees with the catalog (attribute count or types:
/// the type changed since it was read).
const user_type& read_record(const value_view& v, std::string_view cxx_type, record_contents& out);

/// The index of the attribute called `member` (exact match), or throws
/// conversion_error naming the member, the type and its attributes.
std::size_t find_attribute(const value_view& v, std::string_view cxx_type, const user_type& type,
                           std::string_view member);
/// Throws conversion_error naming the first attribute no member took.
void check_attributes_used(const value_view& v, std::string_view cxx_type, const user_type& type,
                           const std::vector<bool>& used);
/// Throws conversion_error: attribute `index` is NULL and its member is not a std::optional.
[[noreturn]] void null_attribute(const value_view& v, std::string_view cxx_type, const user_type& type,
                                 std::size_t index);
/// Throws conversion_error: attribute `index`'s value did not read (`why`).
[[noreturn]] void bad_attribute(const user_type& type, std::size_t index, const char* why);

/// Appends one member's parameter to a record literal: nothing for NULL,
/// else its text form, quoted as PostgreSQL's record_out quotes it.
void append_record_field(const param_ref& p, std::string_view member, std::string& out);

/// The C++ name of `T`, for messages, as the compiler spells it in a
/// function's signature (no RTTI needed); "a described struct" if not found.
template <typename T>
constexpr std::string_view cxx_name() {
  const std::string_view signature = __PRETTY_FUNCTION__;  // g++: "[with T = ns::s; ...]", clang: "[T = ns::s]"
  const std::size_t start = signature.find("T = ");
  if (start == std::string_view::npos) return "a described struct";
  const std::size_t end = signature.find_first_of(";]", start);
  return signature.substr(start + 4, end == std::string_view::npos ? std::string_view::npos : end - start - 4);
}

/// Builds the record literal of a struct for one composite type, each
/// member's text placed at the attribute of its name (see write_record_by_name).
class record_by_name {
 public:
  /// `type`: the composite, as the catalog describes it; `cxx_type`: the struct, for messages.
  record_by_name(const user_type& type, const type_set& types, std::string cxx_type);
  /// Places member `member`'s parameter at its attribute; a nested struct
  /// (or array of them) is written again for the attribute's type. Throws
  /// conversion_error naming the member, the struct and the type when the
  /// type has no attribute of that name.
  void put(std::string_view member, const param_ref& p);
  /// Writes the literal to `out`. Throws conversion_error naming the first
  /// attribute no member was put at.
  void finish(std::string& out);

 private:
  const user_type& type_;
  const type_set& types_;
  std::string cxx_type_;
  std::vector<std::optional<std::string>> fields_;  // per attribute; nullopt: NULL
  std::vector<bool> used_;
};

/// Composite `oid` as the catalog describes it; null when it is no composite
/// the catalog knows. Throws conversion_error when its look-up failed.
const user_type* composite_to_write(std::uint32_t oid, const type_set& types);

/// The record literal of a struct, its members placed by the names of the
/// attributes of composite `type_oid` (a late_writer). False when the
/// catalog has no such composite: the declaration-order literal then stays.
/// Throws conversion_error when the catalog could not be read for it.
template <typename S>
bool write_record_by_name(const void* value, std::uint32_t type_oid, const type_set& types, std::string& out) {
  const user_type* type = composite_to_write(type_oid, types);
  if (type == nullptr) return false;
  const S& s = *static_cast<const S*>(value);
  record_by_name record(*type, types, std::string(cxx_name<S>()));
  std::string piece;
  std::apply(
      [&](const auto&... m) {
        auto one = [&](const auto& member) {
          using M = typename std::remove_cvref_t<decltype(member)>::type;
          record.put(member.name, codec<codec_type<M>>::encode(s.*(member.pointer), piece));
        };
        (one(m), ...);
      },
      members_of<S>());
  record.finish(out);
  return true;
}

template <typename S>
using members_tuple = decltype(members_of<S>());

template <typename Tuple>
struct all_members;
template <typename... M>
struct all_members<std::tuple<M...>> {
  // A std::string_view member would view text unescaped into a buffer that
  // is gone when decode returns: read std::string.
  static constexpr bool decodable = ((pgwrap::decodable<typename M::type> && !views_its_data<typename M::type>)&&...);
  static constexpr bool encodable = (pgwrap::encodable<typename M::type> && ...);
  static constexpr bool owning = (owns_its_data<typename M::type>::value && ...);
};

/// A described struct owns its data when every member does.
template <typename S>
requires described<S>
struct owns_its_data<S> : std::bool_constant<all_members<members_tuple<S>>::owning> {
};

template <typename S>
concept composite_decodable = described<S> && all_members<members_tuple<S>>::decodable;
template <typename S>
concept composite_encodable = described<S> && all_members<members_tuple<S>>::encodable;

/// The record literal of a described struct: `(` members `)`, in order.
template <typename S>
void write_record_text(const S& value, std::string& out) {
  out = "(";
  std::string piece;
  bool first = true;
  std::apply(
      [&](const auto&... m) {
        auto one = [&](const auto& member) {
          using M = typename std::remove_cvref_t<decltype(member)>::type;
          if (!first) out += ',';
          first = false;
          append_record_field(codec<codec_type<M>>::encode(value.*(member.pointer), piece), member.name, out);
        };
        (one(m), ...);
      },
      members_of<S>());
  out += ')';
}
}  // namespace detail

/// A described struct is a composite type (see the file comment).
template <detail::described S>
struct codec<S> {
  /// Sent as a record literal in text with type OID 0. Why not the binary
  /// record: it must carry the composite's OID and every attribute's OID,
  /// which only the connection's catalog knows, and a codec encodes without
  /// a connection (parameters are bound before one is chosen). The text
  /// literal needs no OIDs: the server takes the type from the context
  /// (`INSERT ... VALUES (%s)`, `%s::item`, a function argument). Members
  /// whose codec sends binary are written in their text form.
  ///
  /// The literal written here has the members in declaration order; the
  /// parameter also carries a late_writer, with which the engine writes it
  /// again, members placed by attribute name, once it knows the parameter's
  /// type (write_record_by_name). Where it cannot know it (see the file
  /// comment), the declaration-order literal is sent.
  static param_ref encode(const S& value, std::string& scratch) requires detail::composite_encodable<S> {
    detail::write_record_text(value, scratch);
    param_ref p = param_ref::text(scratch.c_str(), oid::unknown);
    p.late_source = &value;
    p.late_write = &detail::write_record_by_name<S>;
    if constexpr (detail::owns_its_data<S>::value) p.late_copy = &detail::copy_late<S>;
    return p;
  }
  /// Marks a codec whose parameters carry a late_writer (arrays of such values carry one too).
  static constexpr bool writes_late = true;

  /// Reads a composite value, text or binary, members matched by name.
  static S decode(const value_view& v) requires detail::composite_decodable<S> {
    constexpr std::string_view cxx_type = "a described struct";
    detail::record_contents record;
    const detail::user_type& type = detail::read_record(v, cxx_type, record);
    std::vector<bool> used(type.attributes.size(), false);
    S out{};
    std::apply(
        [&](const auto&... m) {
          auto one = [&](const auto& member) {
            using M = typename std::remove_cvref_t<decltype(member)>::type;
            const std::size_t i = detail::find_attribute(v, cxx_type, type, member.name);
            used[i] = true;
            const detail::record_field& f = record.fields[i];
            if (f.null) {
              if constexpr (detail::is_optional<M>::value) {
                out.*(member.pointer) = std::nullopt;
                return;
              } else {
                detail::null_attribute(v, cxx_type, type, i);
              }
            }
            try {
              out.*(member.pointer) = codec<M>::decode(value_view{f.data, f.type_oid, v.format, v.types});
            } catch (const conversion_error& e) {
              detail::bad_attribute(type, i, e.what());
            }
          };
          (one(m), ...);
        },
        detail::members_of<S>());
    detail::check_attributes_used(v, cxx_type, type, used);
    return out;
  }

  /// @brief Binary when the catalog knows the composite and every member's codec
  /// reads its attribute's binary form.
  static bool reads_binary(std::uint32_t oid, const detail::type_set* types) {
    const detail::user_type* type = types != nullptr ? types->composite(oid) : nullptr;
    if (type == nullptr) return false;
    bool ok = true;
    std::apply(
        [&](const auto&... m) {
          auto one = [&](const auto& member) {
            using M = typename std::remove_cvref_t<decltype(member)>::type;
            for (const detail::type_attribute& a : type->attributes) {
              if (a.name == member.name) {
                ok = ok && detail::reads_binary<M>(a.type_oid, types);
                return;
              }
            }
          };
          (one(m), ...);
        },
        detail::members_of<S>());
    return ok;
  }
};

/// @brief The record's text as PostgreSQL prints it, when each member's text is the
/// server's: `(1,"a b",)` (the last attribute NULL).
template <detail::described S>
requires detail::composite_encodable<S> std::string to_string(const S& value) {
  std::string out;
  detail::write_record_text(value, out);
  return out;
}

}  // namespace pgwrap
PGWRAP_API_END
