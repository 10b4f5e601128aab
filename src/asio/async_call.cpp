// Building an async_call: the SQL expanded as the blocking face expands it,
// the parameters copied into one buffer the call owns.

#include "asio/async_call.hpp"

#include <cstring>
#include <utility>

#include "internal.hpp"

namespace pgwrap::detail {

async_call_ptr make_async_call(const sql_ref& sql, operation_kind kind, std::span<const arg_ref> args,
                               binary_chooser chooser) {
  // Calls are made on the caller's thread: each thread keeps its own expansions.
  thread_local expansion_cache expansions;
  thread_local std::vector<param_ref> params;
  auto call = std::make_shared<async_call>();
  expansions.expand(sql.text, sql.checked, args, call->sql, params);
  call->chooser = chooser;
  call->kind = kind;
  call->summary = sql.summary;

  std::vector<std::size_t> sizes(params.size(), 0);
  std::size_t total = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const param_ref& p = params[i];
    if (p.data == nullptr) continue;
    sizes[i] = p.format == wire_format::binary ? static_cast<std::size_t>(p.length) : std::strlen(p.data) + 1;
    total += sizes[i];
  }
  call->bytes.resize(total);  // sized once: the pointers below stay valid
  std::size_t at = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const param_ref& p = params[i];
    const char* value = nullptr;
    if (p.data != nullptr) {
      std::memcpy(call->bytes.data() + at, p.data, sizes[i]);
      value = call->bytes.data() + at;
      at += sizes[i];
    }
    if (p.late_write != nullptr && p.late_copy != nullptr && p.late_source != nullptr && p.data != nullptr) {
      if (!call->late) {
        call->late = true;
        call->late_values.resize(params.size());
        call->late_writers.resize(params.size(), nullptr);
      }
      call->late_values[i] = p.late_copy(p.late_source);
      call->late_writers[i] = p.late_write;
    }
    call->values.push_back(value);
    call->types.push_back(p.oid);
    call->lengths.push_back(p.length);
    call->formats.push_back(static_cast<int>(p.format));
  }
  return call;
}

std::vector<param_ref> async_call::parameter_refs() const {
  std::vector<param_ref> refs(values.size());
  for (std::size_t i = 0; i < refs.size(); ++i) {
    refs[i] = {values[i], types[i], lengths[i], static_cast<wire_format>(formats[i])};
    if (late && late_writers[i] != nullptr) {
      refs[i].late_source = late_values[i].get();
      refs[i].late_write = late_writers[i];
    }
  }
  return refs;
}

async_call_ptr failed_async_call(std::exception_ptr error) noexcept {
  try {
    auto call = std::make_shared<async_call>();
    call->error = std::move(error);
    return call;
  } catch (...) {
    return nullptr;  // out of memory: run() reports a null call as such
  }
}

}  // namespace pgwrap::detail
