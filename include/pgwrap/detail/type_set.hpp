#pragma once
// What pgwrap knows about user and extension types (OID 16384 and up):
// read from pg_type and pg_attribute once per connection by the engine's
// type catalog (src/engine/type_catalog.cpp). A result keeps an immutable
// type_set of the types its columns need, so it can be decoded after its
// connection is gone, or on another thread: nothing here points back into a
// connection.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap::detail {

/// PostgreSQL's FirstNormalObjectId: every OID below it is built in.
inline constexpr std::uint32_t first_user_oid = 16384;
/// The pseudo-type of an anonymous record (`ROW(1, 'a')`).
inline constexpr std::uint32_t record_oid = 2249;

/// One attribute of a composite type.
struct type_attribute {
  std::string name;
  std::uint32_t type_oid = 0;
};

/// One type as pg_type describes it.
struct user_type {
  std::uint32_t oid = 0;
  std::string name;               // format_type(): schema-qualified unless on the search_path
  char kind = 0;                  // pg_type.typtype: 'c' composite, 'e' enum, 'd' domain, 'b' base, 'r' range, ...
  std::uint32_t element_oid = 0;  // an array type's element type, else 0
  std::uint32_t base_oid = 0;     // a domain's base type, else 0
  std::vector<type_attribute> attributes;  // a composite's, in order, dropped ones left out
  std::string typname;                     // pg_type.typname: the name without its schema
  std::string extension;                   // the extension that created it (hstore's is "hstore"), else empty
  std::string lookup_error;                // the look-up failed (nothing else is known): what the server said
};

/// An immutable set of types once built. Copies share the entries.
class type_set {
 public:
  /// The type with this OID, or nullptr when the set does not hold it.
  [[nodiscard]] const user_type* find(std::uint32_t oid) const noexcept {
    const auto it = types_.find(oid);
    return it == types_.end() ? nullptr : it->second.get();
  }
  /// The type behind `oid` through domains over it (the type itself when it
  /// is no domain), or nullptr when that is not in the set (a built-in type).
  [[nodiscard]] const user_type* underlying(std::uint32_t oid) const noexcept {
    for (int depth = 0; depth < 16; ++depth) {  // domains over domains; bounded, whatever the catalog says
      const user_type* t = find(oid);
      if (t == nullptr || t->kind != 'd') return t;
      oid = t->base_oid;
    }
    return nullptr;
  }
  /// The composite type behind `oid` (through domains over it), or nullptr.
  [[nodiscard]] const user_type* composite(std::uint32_t oid) const noexcept {
    const user_type* t = underlying(oid);
    return t != nullptr && t->kind == 'c' ? t : nullptr;
  }
  /// Whether `oid` is an enum type (or a domain over one).
  [[nodiscard]] bool is_enum(std::uint32_t oid) const noexcept {
    const user_type* t = underlying(oid);
    return t != nullptr && t->kind == 'e';
  }
  /// Whether `oid` is the base type `name` that extension `extension`
  /// created (hstore's), or a domain over it: found by name, whatever its OID
  /// and schema.
  [[nodiscard]] bool is_extension_type(std::uint32_t oid, std::string_view extension,
                                       std::string_view name) const noexcept {
    const user_type* t = underlying(oid);
    return t != nullptr && t->kind == 'b' && t->element_oid == 0 && t->extension == extension && t->typname == name;
  }
  /// The element type of a user array type, or 0.
  [[nodiscard]] std::uint32_t element_of(std::uint32_t array_oid) const noexcept {
    const user_type* t = find(array_oid);
    return t == nullptr ? 0 : t->element_oid;
  }
  [[nodiscard]] bool contains(std::uint32_t oid) const noexcept { return types_.contains(oid); }
  [[nodiscard]] std::size_t size() const noexcept { return types_.size(); }
  [[nodiscard]] bool empty() const noexcept { return types_.empty(); }

  /// Adds (or replaces) a type: while a set is being built only.
  void add(user_type t) {
    const std::uint32_t oid = t.oid;
    types_[oid] = std::make_shared<const user_type>(std::move(t));
  }

 private:
  std::unordered_map<std::uint32_t, std::shared_ptr<const user_type>> types_;
};

}  // namespace pgwrap::detail
PGWRAP_API_END
