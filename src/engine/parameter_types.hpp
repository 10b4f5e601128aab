#pragma once
// The parameter types the server gives statements that send values whose
// text depends on their SQL type (described structs, whose record literal
// places members by attribute name: param_ref::late_write). Such a
// statement is described once per connection, text and parameter types
// sent (Parse and Describe of the unnamed statement, one round trip); the
// answer is kept here and forgotten with the type catalog (DDL, a new
// session). Statements without such values never come here: their cost is
// one flag, set while their parameters are filled in.

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/request.hpp"
#include "pgwrap/codec.hpp"
#include "pgwrap/detail/type_set.hpp"

namespace pgwrap::engine {

class parameter_types {
 public:
  /// The types described for `key` (statement_cache::key), or nullptr.
  [[nodiscard]] const std::vector<Oid>* find(const std::string& key) const;
  /// Keeps the parameter types a Describe result gives; returns them.
  const std::vector<Oid>& add(const std::string& key, const PGresult* description);
  /// The commands that describe `sql` with `types` as sent: Parse and
  /// Describe of the unnamed statement (the statement run next replaces it).
  [[nodiscard]] static std::vector<command> describe(const char* sql, const parameters& types);
  [[nodiscard]] bool empty() const noexcept { return known_.empty(); }
  void clear() noexcept { known_.clear(); }
  /// Bounded: a flood of one-off statements starts it afresh.
  static constexpr std::size_t capacity = 1000;

 private:
  std::unordered_map<std::string, std::vector<Oid>> known_;
};

/// The user types among those described for the parameters that carry a late writer.
[[nodiscard]] std::vector<std::uint32_t> late_types(std::span<const param_ref> params, std::span<const Oid> described);

/// Writes again each parameter that carries a late writer, for the type the
/// server gave it, into `texts`, and points `values` there; a parameter
/// whose type `types` does not describe as a composite (or an array of
/// one) keeps its text. Throws conversion_error naming the parameter ($n)
/// and what did not fit.
void write_late(std::span<const param_ref> params, std::span<const Oid> described, const detail::type_set& types,
                std::vector<std::string>& texts, std::span<const char*> values);

}  // namespace pgwrap::engine
