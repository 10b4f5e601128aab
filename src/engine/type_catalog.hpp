#pragma once
// The type catalog of one connection: what pg_type and pg_attribute say
// about user and extension types (OID 16384 and up), read once and cached,
// and type names resolved to OIDs (to_regtype), cached too.
//
// Built-in types never come here: a result whose columns are all built in
// costs one integer compare per column (needs_lookup). A result with user
// types gets the catalog's current snapshot, an immutable detail::type_set
// shared with the results made before, so a result can be decoded after its
// connection is gone or on another thread. The catalog is forgotten where
// the engine's users forget prepared statements: on DDL this connection
// runs, on a new session, and on a pool's reset that drops them.
//
// The look-ups are SELECTs in the caller's session (and transaction, so a
// type created in it is seen). They are sent as requests of their own and
// waited for, which only the blocking face does; an event loop builds the
// same request with lookup_request() and hands its result to absorb().

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pgwrap/detail/type_set.hpp"

namespace pgwrap::engine {

class connection;

class type_catalog {
 public:
  /// Whether a result has a column of a user type (an integer compare per column).
  [[nodiscard]] static bool needs_lookup(const PGresult* res) noexcept;

  /// The snapshot describing every user type among `res`'s columns, and
  /// every user type they refer to (attributes, array elements, domains'
  /// base types), looked up first where missing (one round trip per level
  /// of nesting). A failed look-up leaves the types out: reading a
  /// composite then says its type is not in the catalog.
  std::shared_ptr<const detail::type_set> types_for(connection& c, const PGresult* res);
  /// The same for a list of type OIDs.
  std::shared_ptr<const detail::type_set> types_for(connection& c, std::span<const std::uint32_t> oids);

  /// The OID of the type called `name` (as SQL spells it: `hstore`,
  /// `public.mood`, `my_type[]`), found on the session's search_path;
  /// std::nullopt when there is none. Cached, misses too, until forgotten.
  std::optional<std::uint32_t> oid_of(connection& c, std::string_view name);

  /// The user types of `oids` (and what they refer to) not known yet.
  [[nodiscard]] std::vector<std::uint32_t> missing(std::span<const std::uint32_t> oids) const;
  /// The look-up of `oids`: SQL text and its one parameter (a text oid[]).
  static const char* lookup_sql() noexcept;
  static std::string lookup_parameter(std::span<const std::uint32_t> oids);
  /// Adds a look-up's rows to the catalog; returns the user types they
  /// refer to that are still unknown (the next level to look up).
  std::vector<std::uint32_t> absorb(const PGresult* rows);

  /// The current snapshot (null while nothing is known).
  [[nodiscard]] const std::shared_ptr<const detail::type_set>& snapshot() const noexcept { return snapshot_; }
  [[nodiscard]] bool empty() const noexcept { return snapshot_ == nullptr && names_.empty(); }
  /// Forgets everything (DDL, a new session).
  void clear() noexcept {
    snapshot_.reset();
    names_.clear();
  }

 private:
  std::shared_ptr<const detail::type_set> snapshot_;
  std::unordered_map<std::string, std::uint32_t> names_;  // 0: no such type
};

}  // namespace pgwrap::engine
