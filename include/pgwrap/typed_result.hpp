#pragma once
/// @file
/// Rows read straight into C++ types: `db.query<int, std::string>(...)`
/// yields std::tuple<int, std::string>; `db.query<user>(...)` yields a
/// described struct (see describe.hpp).

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "pgwrap/describe.hpp"
#include "pgwrap/detail/result_data.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/result.hpp"
#include "pgwrap/row.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

namespace detail {
// Column-count and column-name checks for typed reads; they throw usage_error.
void check_column_count(const result_data& data, std::size_t expected);
std::size_t find_member_column(const result_data& data, std::string_view member, bool relaxed);
void check_no_extra_columns(const result_data& data, const std::vector<std::size_t>& used);

inline constexpr std::size_t no_column = static_cast<std::size_t>(-1);

/// How a row becomes a C++ value: a tuple of T..., or a described struct.
template <typename... T>
struct row_reader {
  using value_type = std::tuple<T...>;

  /// Checks the result's shape once; typed reads then index blindly.
  explicit row_reader(const result_data& data) { check_column_count(data, sizeof...(T)); }

  value_type read(const result_data& data, std::size_t row) const {
    return read_all(data, row, std::index_sequence_for<T...>{});
  }

  /// Whether every column may come in binary (see codec<T>::reads_binary).
  static bool binary_ok(const result_data& description) {
    if (description.columns() != sizeof...(T)) return false;  // the error is reported on the result
    std::size_t i = 0;
    return (reads_binary<T>(description.type_oid(i++), description.types()) && ...);
  }

 private:
  template <std::size_t... I>
  static value_type read_all(const result_data& data, std::size_t row, std::index_sequence<I...>) {
    return value_type{read_column<T>(data, row, I)...};
  }
};

template <typename S, bool Relaxed>
struct struct_reader {
  using value_type = S;

  explicit struct_reader(const result_data& data) : columns_(map_columns(data)) {}

  value_type read(const result_data& data, std::size_t row) const {
    S out{};
    std::size_t i = 0;
    std::apply(
        [&](const auto&... m) {
          auto one = [&](const auto& member) {
            const std::size_t column = columns_[i++];
            if (column == no_column) return;
            using M = typename std::remove_cvref_t<decltype(member)>::type;
            out.*(member.pointer) = read_column<M>(data, row, column);
          };
          (one(m), ...);
        },
        members_of<S>());
    return out;
  }

  static bool binary_ok(const result_data& description) {
    bool ok = true;
    std::apply(
        [&](const auto&... m) {
          auto one = [&](const auto& member) {
            using M = typename std::remove_cvref_t<decltype(member)>::type;
            for (std::size_t c = 0; c < description.columns(); ++c) {
              if (description.column_names()[c] == member.name) {
                ok = ok && reads_binary<M>(description.type_oid(c), description.types());
                return;
              }
            }
          };
          (one(m), ...);
        },
        members_of<S>());
    return ok;
  }

 private:
  static std::vector<std::size_t> map_columns(const result_data& data) {
    std::vector<std::size_t> columns;
    std::apply([&](const auto&... m) { (columns.push_back(find_member_column(data, m.name, Relaxed)), ...); },
               members_of<S>());
    if (!Relaxed) check_no_extra_columns(data, columns);
    return columns;
  }

  std::vector<std::size_t> columns_;  // per member, its column (no_column: missing, relaxed)
};

template <typename... T>
struct reader_for {
  using type = row_reader<T...>;
};
template <described S>
struct reader_for<S> {
  using type = struct_reader<S, false>;
};
template <described S>
struct reader_for<relaxed<S>> {
  using type = struct_reader<S, true>;
};
}  // namespace detail

/// A result whose rows read as `Reader::value_type` (a tuple or a struct).
/**
 * Like pgwrap::result it owns its data, is independent of the database, and
 * may be iterated and indexed; the column checks ran when it was made.
 * Each row is converted when it is read, so a value that does not fit its
 * C++ type throws conversion_error (unexpected_null for a NULL) then.
 *
 * @code
 * struct user { int id; std::string name; };
 * PGWRAP_DESCRIBE(user, id, name)
 * for (const user& u : db.query<user>("SELECT id, name FROM users")) std::cout << u.name << "\n";
 * for (auto [id, name] : db.query<int, std::string>("SELECT id, name FROM users")) std::cout << id << name;
 * @endcode
 *
 * @par Thread safety
 * As pgwrap::result: read-only, so it may be read from several threads.
 */
template <typename Reader>
class typed_result {
 public:
  /// A std::tuple of the T..., or the described struct.
  using value_type = typename Reader::value_type;

  /// Views `r`'s rows as value_type, sharing its data; made by
  /// database::query<T...>(). Throws usage_error when the columns do not
  /// match (count for tuples; names for structs).
  explicit typed_result(const result& r) : data_(r.data()), reader_(*data_) {}

  /// An input iterator that converts each row as it is dereferenced.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;  ///< rows are made on each dereference
    using value_type = typename Reader::value_type;     ///< the tuple or struct
    using difference_type = std::ptrdiff_t;             ///< required of iterators
    using reference = value_type;                       ///< rows are handed out by value
    using pointer = void;                               ///< no operator->

    iterator() = default;
    /// Made by begin() and end().
    iterator(const typed_result* owner, std::size_t i) : owner_(owner), i_(i) {}
    /// The current row, converted; conversion_error when a value does not fit.
    value_type operator*() const { return owner_->reader_.read(*owner_->data_, i_); }
    /// The next row.
    iterator& operator++() {
      ++i_;
      return *this;
    }
    /// The next row; returns the iterator as it was.
    iterator operator++(int) {
      auto t = *this;
      ++i_;
      return t;
    }
    friend bool operator==(const iterator& a, const iterator& b) { return a.i_ == b.i_; }

   private:
    const typed_result* owner_ = nullptr;
    std::size_t i_ = 0;
  };

  /// The number of rows.
  [[nodiscard]] std::size_t size() const noexcept { return data_->rows(); }
  /// True when there are no rows.
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// The first row.
  [[nodiscard]] iterator begin() const { return {this, 0}; }
  /// Past the last row.
  [[nodiscard]] iterator end() const { return {this, size()}; }
  /// Row `i` as a value; throws usage_error when out of range.
  [[nodiscard]] value_type operator[](std::size_t i) const {
    if (i >= size()) data_->throw_row_out_of_range(i);
    return reader_.read(*data_, i);
  }
  /// The column names, in order.
  [[nodiscard]] const std::vector<std::string_view>& columns() const noexcept { return data_->column_names(); }

 private:
  std::shared_ptr<const detail::result_data> data_;
  Reader reader_;
};

}  // namespace pgwrap
PGWRAP_API_END
