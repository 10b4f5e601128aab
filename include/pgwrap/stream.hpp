#pragma once
/// @file
/// Results of any size, read as they arrive: `for (auto row : db.stream(...))`.

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pgwrap/detail/result_data.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/row.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

namespace detail {
/// Where a stream's batches come from: a server-side cursor of a database
/// (defined in src/stream.cpp; libpq stays out of this header).
class stream_source;
class PGWRAP_INTERNAL cursor_source;
class PGWRAP_INTERNAL copy_source;
struct stream_source_deleter {
  void operator()(stream_source* source) const noexcept;
};
using stream_handle = std::unique_ptr<stream_source, stream_source_deleter>;

/// The source's next batch of rows; nullptr once the rows are all read.
std::shared_ptr<const result_data> next_batch(stream_source& source);

/// Reads a streamed row as pgwrap::row (the untyped stream).
struct row_of_batch {
  using value_type = row;
  explicit row_of_batch(const result_data& /*batch*/) noexcept {}
};

[[noreturn]] void throw_stream_begun_twice();
}  // namespace detail

/// The rows of one query, read from the server in batches as the loop goes.
/**
 * A stream is a single-pass input range: begin() may be called once, and the
 * rows of a batch are freed when the loop has moved past them and no row
 * refers to them any more, so memory stays flat however many rows there
 * are. Rows handed out stay valid after the loop, as any row does.
 *
 * While the loop runs, the same database may run any other statement: the
 * rows come from a server-side cursor, fetched one batch per round trip
 * (see docs/streaming.md for what each mode costs and sees). A stream
 * belongs to its database: closing the database, or ending the transaction
 * the stream runs in, ends it, and reading on is a usage_error.
 */
template <typename Reader>
class basic_stream {
 public:
  /// pgwrap::row, or the tuple or struct of a typed stream.
  using value_type = typename Reader::value_type;

  /// Made by database::stream() and copy_out(), not by users.
  basic_stream(detail::stream_handle source, std::shared_ptr<const detail::result_data> first)
      : source_(std::move(source)), batch_(std::move(first)), reader_(std::in_place, *batch_) {
    // Owned copies: the first batch's memory goes when the loop moves on.
    for (const std::string_view name : batch_->column_names()) column_storage_.emplace_back(name);
    for (const std::string& name : column_storage_) columns_.emplace_back(name);
  }
  // Moving keeps the vectors' elements where they are, so columns_ stays valid.
  /// A stream may be moved, not copied; move it before begin(), as its
  /// iterators point at the stream object they came from.
  basic_stream(basic_stream&&) noexcept = default;
  /// As the move constructor.
  basic_stream& operator=(basic_stream&&) noexcept = default;

  /// A single-pass input iterator; compares equal to end() after the last row.
  class iterator {
   public:
    using iterator_concept = std::input_iterator_tag;  ///< single pass
    using value_type = typename Reader::value_type;    ///< what a row reads as
    using difference_type = std::ptrdiff_t;            ///< required of iterators
    using reference = value_type;                      ///< rows are handed out by value

    iterator() = default;
    /// Made by begin().
    explicit iterator(basic_stream* owner) noexcept : owner_(owner) {}
    /// The current row. For a typed stream: conversion_error when a value
    /// does not fit its C++ type.
    value_type operator*() const { return owner_->current(); }
    /// Moves to the next row, fetching the next batch when needed; errors as
    /// database::stream().
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    /// As prefix ++.
    void operator++(int) { owner_->advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.done(); }

   private:
    [[nodiscard]] bool done() const noexcept { return owner_->at_end(); }
    basic_stream* owner_ = nullptr;
  };

  /// The first row; a stream can be iterated once (usage_error otherwise).
  [[nodiscard]] iterator begin() {
    if (begun_) detail::throw_stream_begun_twice();
    begun_ = true;
    skip_empty_batches();
    return iterator(this);
  }
  /// The end of the rows.
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

  /// The column names, in order (known before the first row is read).
  [[nodiscard]] const std::vector<std::string_view>& columns() const noexcept { return columns_; }

 private:
  value_type current() const {
    if constexpr (std::is_same_v<Reader, detail::row_of_batch>) {
      return row(batch_, row_);
    } else {
      return reader_->read(*batch_, row_);
    }
  }

  void advance() {
    ++row_;
    skip_empty_batches();
  }

  // Fetches batches until one has a row left, or the rows are all read.
  void skip_empty_batches() {
    while (row_ >= batch_->rows() && source_) {
      auto next = detail::next_batch(*source_);
      if (!next) {
        source_.reset();  // done: the cursor may be closed
        return;
      }
      batch_ = std::move(next);  // the previous batch lives on only in rows that refer to it
      row_ = 0;
      reader_.emplace(*batch_);
    }
  }

  [[nodiscard]] bool at_end() const noexcept { return row_ >= batch_->rows() && !source_; }

  detail::stream_handle source_;  // null once every row has been fetched
  std::shared_ptr<const detail::result_data> batch_;
  std::optional<Reader> reader_;  // checks each batch's columns (they are the same every time)
  std::vector<std::string> column_storage_;
  std::vector<std::string_view> columns_;
  std::size_t row_ = 0;
  bool begun_ = false;
};

/// A stream of pgwrap::row (db.stream(...)).
using row_stream = basic_stream<detail::row_of_batch>;
/// A stream of tuples or structs (db.stream<T...>(...)); see typed_result.hpp.
template <typename Reader>
using typed_stream = basic_stream<Reader>;

}  // namespace pgwrap
PGWRAP_API_END
