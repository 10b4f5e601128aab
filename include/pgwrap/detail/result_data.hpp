#pragma once
// The shared state behind result, row and field: one PGresult, owned.
// Its members are defined in src/result.cpp, the only place libpq is seen.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/codec.hpp"
#include "pgwrap/detail/type_set.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

struct pg_result;  // libpq's PGresult

namespace pgwrap::detail {

class result_data {
 public:
  /// Takes ownership of `res`; `query` is kept for error messages; `types`
  /// holds the user types its columns need (composites), if any.
  result_data(pg_result* res, std::string query, std::shared_ptr<const type_set> types = {});
  ~result_data();
  result_data(const result_data&) = delete;
  result_data& operator=(const result_data&) = delete;

  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t columns() const noexcept { return names_.size(); }
  [[nodiscard]] const std::vector<std::string_view>& column_names() const noexcept { return names_; }
  [[nodiscard]] const std::string& query() const noexcept { return query_; }

  [[nodiscard]] std::string_view value(std::size_t row, std::size_t column) const noexcept;
  // Per column, read once when the result is made: typed reads ask for every value.
  [[nodiscard]] wire_format format(std::size_t column) const noexcept { return columns_[column].format; }
  [[nodiscard]] std::uint32_t type_oid(std::size_t column) const noexcept { return columns_[column].type_oid; }
  [[nodiscard]] bool is_null(std::size_t row, std::size_t column) const noexcept;
  /// The user types that came with the result (null: none were needed).
  [[nodiscard]] const type_set* types() const noexcept { return types_.get(); }
  /// The same, shared: for results made from this one's description (copy_out's batches).
  [[nodiscard]] const std::shared_ptr<const type_set>& types_shared() const noexcept { return types_; }
  [[nodiscard]] std::int64_t affected_rows() const noexcept;

  /// Index of the first column called `name` (exact, case-sensitive match);
  /// throws usage_error listing the columns there are when none is.
  [[nodiscard]] std::size_t column_index(std::string_view name) const;
  [[noreturn]] void throw_row_out_of_range(std::size_t row) const;
  /// Throws usage_error for a column index (as the caller wrote it) out of range.
  [[noreturn]] void throw_column_out_of_range(const std::string& index) const;

  // Conversion failures, with the column and its PostgreSQL type named.
  [[noreturn]] void throw_unexpected_null(std::size_t column) const;
  [[noreturn]] void throw_conversion_error(std::size_t column, const char* why) const;

 private:
  pg_result* res_;
  std::size_t rows_;
  std::vector<std::string_view> names_;  // views into res_
  struct column_info {
    std::uint32_t type_oid;
    wire_format format;
  };
  std::vector<column_info> columns_;
  std::string query_;
  std::shared_ptr<const type_set> types_;
};

}  // namespace pgwrap::detail
PGWRAP_API_END
