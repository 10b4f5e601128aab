#pragma once
// The type catalog of one connection: what pg_type and pg_attribute say
// about user and extension types (OID 16384 and up), read once and cached.
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
// type created in it is seen). Inside a transaction block each runs between
// a savepoint and its release, and a failed one (a statement timeout, a
// catalog the role may not read) is rolled back to that savepoint: the
// caller's transaction goes on, and the result that needed the types says
// which could not be looked up and why. Hstore and enums are told by what
// the catalog says (kind, name, extension), never by an OID range.
//
// The blocking face sends the look-ups as requests of their own and waits
// (types_for); an event loop sends lookup_commands() itself and hands their
// rows to absorb().

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/request.hpp"
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
  /// of nesting), under a savepoint when `in_transaction`. A failed look-up
  /// is marked in the snapshot returned (not in the catalog, so the next
  /// result tries again): reading such a column then says why it failed.
  std::shared_ptr<const detail::type_set> types_for(connection& c, const PGresult* res, bool in_transaction);
  /// The same for a list of type OIDs.
  std::shared_ptr<const detail::type_set> types_for(connection& c, std::span<const std::uint32_t> oids,
                                                    bool in_transaction);
  /// The current snapshot for a result: null when `res` has no user type.
  [[nodiscard]] std::shared_ptr<const detail::type_set> known_for(const PGresult* res) const;
  /// The current snapshot plus, for each of `oids`, an entry saying that its
  /// look-up failed and `why`.
  [[nodiscard]] std::shared_ptr<const detail::type_set> with_failure(std::span<const std::uint32_t> oids,
                                                                     const std::string& why) const;

  /// The type OIDs of `res`'s columns.
  [[nodiscard]] static std::vector<std::uint32_t> column_types(const PGresult* res);
  /// The user types of `oids` (and what they refer to) not known yet.
  [[nodiscard]] std::vector<std::uint32_t> missing(std::span<const std::uint32_t> oids) const;
  /// One look-up of some types, ready to send (the engine sends at once:
  /// it must live for the call that sends it): the SELECT, between a
  /// savepoint and its release when `in_transaction`.
  class lookup {
   public:
    lookup(std::span<const std::uint32_t> oids, bool in_transaction);
    lookup(const lookup&) = delete;
    lookup& operator=(const lookup&) = delete;
    [[nodiscard]] std::vector<command> commands() const;
    /// Which of the request's results holds the rows.
    [[nodiscard]] std::size_t rows_index() const noexcept { return in_transaction_ ? 1 : 0; }
    /// A failed look-up inside a transaction block must be rolled back to its
    /// savepoint (rollback_to, then release) before anything else runs.
    [[nodiscard]] bool needs_rollback() const noexcept { return in_transaction_; }
    static constexpr const char* rollback_to = "ROLLBACK TO SAVEPOINT pgwrap_type_lookup";
    static constexpr const char* release = "RELEASE SAVEPOINT pgwrap_type_lookup";

   private:
    bool in_transaction_;
    std::string parameter_;  // the OIDs as a text oid[]
    const char* values_[1];
  };
  /// What a failed look-up's results say (the server's message), else `fallback`.
  static std::string failure_of(const request& r, const std::string& fallback);
  /// Adds a look-up's rows to the catalog; returns the user types they
  /// refer to that are still unknown (the next level to look up).
  std::vector<std::uint32_t> absorb(const PGresult* rows);
  /// No more levels of nesting than this are followed (a guard, not a
  /// limit anyone meets: composites cannot contain themselves).
  static constexpr int max_rounds = 32;

  /// The current snapshot (null while nothing is known).
  [[nodiscard]] const std::shared_ptr<const detail::type_set>& snapshot() const noexcept { return snapshot_; }
  [[nodiscard]] bool empty() const noexcept { return snapshot_ == nullptr; }
  /// Forgets everything (DDL, a new session).
  void clear() noexcept { snapshot_.reset(); }

 private:
  std::shared_ptr<const detail::type_set> snapshot_;
};

}  // namespace pgwrap::engine
