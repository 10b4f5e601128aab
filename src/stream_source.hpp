#pragma once
// Where a stream's batches come from: a server-side cursor (stream.cpp) or a
// COPY ... TO STDOUT (copy_out.cpp).

#include <memory>

#include "pgwrap/detail/result_data.hpp"

namespace pgwrap::detail {

class stream_source {
 public:
  stream_source() = default;
  virtual ~stream_source() = default;
  stream_source(const stream_source&) = delete;
  stream_source& operator=(const stream_source&) = delete;
  /// The next batch of rows; nullptr once every row has been handed out.
  virtual std::shared_ptr<const result_data> next() = 0;
};

}  // namespace pgwrap::detail
