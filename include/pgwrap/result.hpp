#pragma once
/// @file
/// The rows a query returned.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "pgwrap/row.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// What one query returned: iterate it, index it, ask its columns.
/**
 * Every query gets its own result (psycopgwrap's "every query has its own
 * cursor"): results are independent of each other and of the database
 * object, so another query may run while one is alive or being iterated.
 * A result is cheap to copy (copies share the data) and frees its memory
 * when the last copy, row or field referring to it is gone.
 *
 * @par Thread safety
 * A result is immutable: copies, and the rows read from them, may be read
 * from several threads at once.
 *
 * @par Lifetime
 * Independent of the database that made it. Rows and fields keep the
 * data alive; a `std::string_view` read from a field points into it, so it
 * is valid only while some result, row or field of that data lives.
 */
class result {
 public:
  /// A random-access iterator over the rows, yielding pgwrap::row by value.
  using iterator = detail::index_iterator<result, row>;

  /// Wraps rows pgwrap received; made by database calls, not by users.
  explicit result(std::shared_ptr<const detail::result_data> data) noexcept : data_(std::move(data)) {}

  /// The number of rows.
  [[nodiscard]] std::size_t size() const noexcept { return data_->rows(); }
  /// True when there are no rows.
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// Row `i` (from 0); throws usage_error when out of range.
  [[nodiscard]] row operator[](std::size_t i) const;
  /// The first row.
  [[nodiscard]] iterator begin() const noexcept { return {this, 0}; }
  /// Past the last row.
  [[nodiscard]] iterator end() const noexcept { return {this, size()}; }

  /// The column names, in order.
  [[nodiscard]] const std::vector<std::string_view>& columns() const noexcept { return data_->column_names(); }
  /// Rows inserted, updated, deleted or selected, as the server reported
  /// them; 0 for statements without a count.
  [[nodiscard]] std::int64_t affected_rows() const noexcept { return data_->affected_rows(); }
  /// The SQL text that was sent (with $n for the parameters).
  [[nodiscard]] const std::string& query() const noexcept { return data_->query(); }
  /// The shared data (for typed views of the same rows).
  [[nodiscard]] const std::shared_ptr<const detail::result_data>& data() const noexcept { return data_; }

 private:
  friend class detail::index_iterator<result, row>;
  [[nodiscard]] row make(std::size_t i) const noexcept { return {data_, i}; }

  std::shared_ptr<const detail::result_data> data_;
};

namespace detail {
/// queryone's row: the first, or std::nullopt when there is none.
std::optional<row> first_row(const result& r);
/// scalar's row: the only one (else unexpected_rows, as scalar reports it).
row exactly_one_row(const result& r);
}  // namespace detail

}  // namespace pgwrap
PGWRAP_API_END
