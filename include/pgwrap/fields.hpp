#pragma once
/// @file
/// Column/value pairs, as insert() takes them.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "pgwrap/types.hpp"

namespace pgwrap {

/// An ordered list of (column, value) pairs: `{{"name", "Al Bert"}, {"uid", 10}}`.
/**
 * Column names are quoted as identifiers when the SQL is built; values are
 * sent as parameters. The order given is the order used.
 */
class fields {
 public:
  struct entry {
    std::string column;
    param value;
  };

  fields() = default;
  fields(std::initializer_list<entry> entries) : entries_(entries) {}

  /// Appends a pair; returns *this so calls chain.
  fields& add(std::string column, param value) {
    entries_.push_back({std::move(column), std::move(value)});
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] auto begin() const noexcept { return entries_.begin(); }
  [[nodiscard]] auto end() const noexcept { return entries_.end(); }

 private:
  std::vector<entry> entries_;
};

/// Columns for insert() to return: `db.insert("users", {...}, pgwrap::returning{"id"})`.
struct returning {
  returning(std::initializer_list<std::string> names) : columns(names) {}
  std::vector<std::string> columns;
};

}  // namespace pgwrap
