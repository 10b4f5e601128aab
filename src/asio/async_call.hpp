#pragma once
// detail::async_call: one statement of the coroutine face, made when the
// call is made: its SQL expanded and its parameters copied, so that nothing
// refers to the caller's arguments once the call has returned its awaitable.

#include <libpq-fe.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "engine/request.hpp"
#include "pgwrap/asio.hpp"

namespace pgwrap::detail {

struct async_call {
  std::exception_ptr error;  // building it failed: raised when it is awaited
  std::string sql;           // with $n placeholders
  std::string bytes;         // every parameter's value, end to end
  std::vector<const char*> values;
  std::vector<Oid> types;
  std::vector<int> lengths;
  std::vector<int> formats;
  // Described structs, kept whole (param_ref::late_copy) so that the session
  // can place their members by attribute name once it knows the statement's
  // parameter types; empty unless `late`.
  bool late = false;
  std::vector<std::shared_ptr<const void>> late_values;
  std::vector<late_writer> late_writers;
  std::vector<std::string> late_texts;          // the parameters written again, by name
  binary_chooser chooser = nullptr;             // typed reads: may their rows come in binary?
  operation_kind kind = operation_kind::query;  // for observers
  statement_summary summary;                    // for observers: a literal's, found at compile time

  [[nodiscard]] engine::parameters parameters() const noexcept {
    return {static_cast<int>(values.size()), types.data(), values.data(), lengths.data(), formats.data()};
  }
  /// The parameters as the blocking face holds them, for observers (and,
  /// with the late writers, for engine::write_late).
  [[nodiscard]] std::vector<param_ref> parameter_refs() const;
};

}  // namespace pgwrap::detail
