#pragma once
/// @file
/// Column/value pairs, as insert() takes them.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "pgwrap/types.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// An ordered list of (column, value) pairs: `{{"name", "Al Bert"}, {"uid", 10}}`.
/**
 * Column names are quoted as identifiers when the SQL is built; values are
 * sent as parameters. The order given is the order used.
 */
class fields {
 public:
  /// One (column, value) pair.
  struct entry {
    /// The column name, unquoted.
    std::string column;
    /// The value, owned.
    param value;
  };

  /// No pairs.
  fields() = default;
  /// The pairs in the order given.
  /**
   * @par Errors
   * conversion_error when a value cannot be encoded (see pgwrap::param).
   */
  fields(std::initializer_list<entry> entries) : entries_(entries) {}

  /// Appends a pair; returns *this so calls chain.
  fields& add(std::string column, param value) {
    entries_.push_back({std::move(column), std::move(value)});
    return *this;
  }

  /// The number of pairs.
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  /// No pairs.
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  /// @brief The pairs (each an entry), in order.
  /// @{
  [[nodiscard]] auto begin() const noexcept { return entries_.begin(); }
  [[nodiscard]] auto end() const noexcept { return entries_.end(); }
  /// @}

 private:
  std::vector<entry> entries_;
};

/// Columns for insert() to return: `db.insert("users", {...}, pgwrap::returning{"id"})`.
struct returning {
  /// @brief The columns, in order; each is quoted as an identifier when insert()
  /// runs, which throws usage_error for an empty list or a bad name.
  returning(std::initializer_list<std::string> names) : columns(names) {}
  /// The column names, unquoted.
  std::vector<std::string> columns;
};

}  // namespace pgwrap
PGWRAP_API_END
