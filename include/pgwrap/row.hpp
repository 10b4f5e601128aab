#pragma once
/// @file
/// A row of a result and its fields.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "pgwrap/detail/result_data.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

template <typename Reader>
class basic_stream;

namespace detail {
/// Reads column `column` of row `row` as T (NULL only into std::optional).
template <decodable T>
T read_column(const result_data& data, std::size_t row, std::size_t column) {
  const std::string_view bytes = data.value(row, column);
  if (bytes.empty() && data.is_null(row, column)) {  // only an empty value may be NULL: one call less per value
    if constexpr (is_optional<T>::value) {
      return std::nullopt;
    } else {
      data.throw_unexpected_null(column);
    }
  }
  try {
    return codec<T>::decode({bytes, data.type_oid(column), data.format(column), data.types()});
  } catch (const conversion_error& e) {
    data.throw_conversion_error(column, e.what());
  }
}
}  // namespace detail

/// One value of a row: `row["id"]` or `row[0]`.
/**
 * A field shares ownership of the result's data, as a row does, so
 * `auto f = db.query(...)[0][0];` stays valid. What it hands out as views
 * (`name()`, `text()`, `as<std::string_view>()`) lives as long as the data.
 */
class field {
 public:
  /// True when the value is SQL NULL.
  [[nodiscard]] bool is_null() const noexcept { return data_->is_null(row_, column_); }
  /// The column's name.
  [[nodiscard]] std::string_view name() const noexcept { return data_->column_names()[column_]; }
  /// The column's position in the row, from 0.
  [[nodiscard]] std::size_t index() const noexcept { return column_; }
  /// The PostgreSQL type OID of the column (see pgwrap::oid).
  [[nodiscard]] std::uint32_t type_oid() const noexcept { return data_->type_oid(column_); }
  /// The value as the server sent it: its text, or for a binary result its
  /// binary form (see raw().format); empty for NULL.
  [[nodiscard]] std::string_view text() const noexcept { return data_->value(row_, column_); }
  /// The value with its type and wire format, as codecs read it.
  [[nodiscard]] value_view raw() const noexcept {
    return {data_->value(row_, column_), data_->type_oid(column_), data_->format(column_), data_->types()};
  }

  /// The value as T. NULL gives std::nullopt when T is a std::optional.
  /**
   * Throws unexpected_null for NULL into a non-optional T, and
   * conversion_error when the value does not fit T (out of range, not a
   * number, ...); both name the column and its type.
   */
  template <decodable T>
  [[nodiscard]] T as() const {
    return detail::read_column<T>(*data_, row_, column_);
  }

 private:
  friend class row;
  field(std::shared_ptr<const detail::result_data> data, std::size_t row, std::size_t column) noexcept
      : data_(std::move(data)), row_(row), column_(column) {}

  std::shared_ptr<const detail::result_data> data_;
  std::size_t row_;
  std::size_t column_;
};

namespace detail {
/// A random-access iterator over positions 0..n of a container whose
/// `make(i)` builds the element by value (rows of a result, fields of a row).
template <typename Owner, typename Value>
class index_iterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using iterator_concept = std::random_access_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using reference = Value;
  using pointer = void;

  index_iterator() = default;
  index_iterator(const Owner* owner, std::size_t i) noexcept : owner_(owner), i_(i) {}

  Value operator*() const { return owner_->make(i_); }
  Value operator[](difference_type n) const { return owner_->make(i_ + n); }
  index_iterator& operator++() noexcept {
    ++i_;
    return *this;
  }
  index_iterator operator++(int) noexcept {
    auto t = *this;
    ++i_;
    return t;
  }
  index_iterator& operator--() noexcept {
    --i_;
    return *this;
  }
  index_iterator operator--(int) noexcept {
    auto t = *this;
    --i_;
    return t;
  }
  index_iterator& operator+=(difference_type n) noexcept {
    i_ += n;
    return *this;
  }
  index_iterator& operator-=(difference_type n) noexcept {
    i_ -= n;
    return *this;
  }
  friend index_iterator operator+(index_iterator it, difference_type n) noexcept { return it += n; }
  friend index_iterator operator+(difference_type n, index_iterator it) noexcept { return it += n; }
  friend index_iterator operator-(index_iterator it, difference_type n) noexcept { return it -= n; }
  friend difference_type operator-(const index_iterator& a, const index_iterator& b) noexcept {
    return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
  }
  friend bool operator==(const index_iterator& a, const index_iterator& b) noexcept { return a.i_ == b.i_; }
  friend auto operator<=>(const index_iterator& a, const index_iterator& b) noexcept { return a.i_ <=> b.i_; }

 private:
  const Owner* owner_ = nullptr;
  std::size_t i_ = 0;
};
}  // namespace detail

/// One row of a result. It shares ownership of the result's data, so a row
/// (e.g. from queryone) stays valid after the result object is gone.
/**
 * @par Thread safety
 * As pgwrap::result: rows are read-only, and may be read from several
 * threads at once.
 */
class row {
 public:
  /// A random-access iterator over the fields, yielding pgwrap::field by value.
  using iterator = detail::index_iterator<row, field>;

  /// The field at `column` (from 0); throws usage_error when out of range.
  template <std::integral I>  // any integer: row[0] must not be read as row[nullptr]
  [[nodiscard]] field operator[](I column) const {
    if constexpr (std::is_signed_v<I>) {
      if (column < 0) data_->throw_column_out_of_range(std::to_string(column));
    }
    if (static_cast<std::uint64_t>(column) >= size()) {
      data_->throw_column_out_of_range(std::to_string(column));
    }
    return make(static_cast<std::size_t>(column));
  }
  /// The field of the first column called `name` (case-sensitive); throws
  /// usage_error naming the columns there are when there is none.
  [[nodiscard]] field operator[](std::string_view name) const { return make(data_->column_index(name)); }
  /// As operator[](std::string_view); `row["id"]` calls this one.
  [[nodiscard]] field operator[](const char* name) const { return (*this)[std::string_view(name)]; }

  /// Number of fields.
  [[nodiscard]] std::size_t size() const noexcept { return data_->columns(); }
  /// This row's position in its result, from 0.
  [[nodiscard]] std::size_t index() const noexcept { return index_; }
  /// The first field.
  [[nodiscard]] iterator begin() const noexcept { return {this, 0}; }
  /// Past the last field.
  [[nodiscard]] iterator end() const noexcept { return {this, size()}; }

 private:
  friend class result;
  template <typename Reader>
  friend class basic_stream;
  friend class detail::index_iterator<row, field>;
  row(std::shared_ptr<const detail::result_data> data, std::size_t index) noexcept
      : data_(std::move(data)), index_(index) {}
  [[nodiscard]] field make(std::size_t column) const noexcept { return {data_, index_, column}; }

  std::shared_ptr<const detail::result_data> data_;
  std::size_t index_;
};

}  // namespace pgwrap
PGWRAP_API_END
