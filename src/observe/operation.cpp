// An operation's start and end, told to every observer installed for it.

#include "observe/operation.hpp"

#include <algorithm>
#include <atomic>
#include <utility>

namespace pgwrap::detail {

namespace {
std::atomic<std::uint64_t> next_operation_id{1};
}  // namespace

operation::operation(const observed_connection& where, operation_kind kind) noexcept {
  if (!where.observed()) return;
  try {
    if (where.own != nullptr) own_ = where.own->snapshot();
    if (where.pool != nullptr) pool_ = where.pool->snapshot();
    if (any_global_observers()) global_ = global_observer_set.snapshot();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a lock that fails: this operation goes unobserved by them
  }
  active_ = own_ || pool_ || global_;
  if (!active_) return;
  e_.id = next_operation_id.fetch_add(1, std::memory_order_relaxed);
  e_.kind = kind;
  live_server_ = where.server;
  server_ = where.server;
}

operation::~operation() {
  if (active_ && started_ && !ended_) {
    // Left without succeeded() or failed(): an exception unwinds through the
    // call, which failed() did not see (it is caught further out).
    e_.failed = true;
    e_.error_type = "abandoned";
    end();
  }
}

void operation::read_server() noexcept {
  if (server_ == nullptr) return;
  e_.server_address = server_->address;
  e_.server_port = server_->port;
  e_.database_name = server_->database;
  e_.backend_pid = server_->backend_pid;
}

void operation::sent() noexcept {
  if (!active_) return;
  sent_at_ = std::chrono::steady_clock::now();
  if (live_server_ != nullptr) {
    try {
      kept_server_ = *live_server_;
      server_ = &kept_server_;
    } catch (...) {  // out of memory: the event names no server
      server_ = nullptr;
      e_.server_address = {};
      e_.database_name = {};
    }
  }
  read_server();  // the event's views move to the copy
}

void operation::describe(std::string_view sent, const statement_summary& summary, std::span<const param_ref> params) {
  if (!active_) return;
  text_.assign(sent);  // kept: the caller's buffer may change before the end (COPY's text, a coroutine's call)
  e_.query_text = text_;
  const statement_summary s = summary.complete ? summary : summarize_sql(text_, sql_form::expanded);
  e_.operation_name = s.operation;
  e_.collection_name = s.collection;
  const auto wants_values = [](const observer_list_ptr& list) {
    return list && std::ranges::any_of(*list, [](const observer_entry& e) { return e.options.parameter_values; });
  };
  if (params.empty() || !(wants_values(own_) || wants_values(pool_) || wants_values(global_))) return;
  value_storage_.clear();
  value_storage_.reserve(params.size());
  values_.clear();
  for (const param_ref& p : params) {
    observed_parameter v;
    v.type_oid = p.oid;
    v.binary = p.format == wire_format::binary;
    if (p.data != nullptr) {
      const std::size_t n = v.binary ? static_cast<std::size_t>(p.length) : std::char_traits<char>::length(p.data);
      v.bytes = value_storage_.emplace_back(p.data, n);
    }
    values_.push_back(v);
  }
}

template <typename Call>
void operation::each(Call call) noexcept {
  for (const observer_list_ptr* list : {&own_, &pool_, &global_}) {
    if (!*list) continue;
    for (const observer_entry& entry : **list) {
      e_.parameters = entry.options.parameter_values ? std::span<const observed_parameter>(values_)
                                                     : std::span<const observed_parameter>();
      try {
        call(*entry.who, e_);
      } catch (...) {
        observer_threw(std::current_exception());
      }
    }
  }
  e_.parameters = {};
}

void operation::start() {
  if (!active_) return;
  started_ = true;
  start_at_ = std::chrono::steady_clock::now();
  sent_at_ = start_at_;
  read_server();
  each([](observer& o, const event& e) { o.on_start(e); });
}

void operation::end() noexcept {
  ended_ = true;
  const auto now = std::chrono::steady_clock::now();
  e_.queued = sent_at_ - start_at_;
  e_.wire = now - sent_at_;
  read_server();
  each([](observer& o, const event& e) { o.on_end(e); });
}

void operation::succeeded(std::int64_t rows) {
  if (!active_ || !started_ || ended_) return;
  e_.rows = rows;
  end();
}

void operation::failed(const std::exception_ptr& error) noexcept {
  if (!active_ || !started_ || ended_) return;
  error_ = error;
  e_.failed = true;
  e_.rows = -1;
  describe_error(error_, e_.sqlstate, e_.error_type);
  end();
}

void tell_pool_event(const observer_set& pool_observers, const pool_event& e) noexcept {
  observer_list_ptr lists[2];
  try {
    lists[0] = pool_observers.snapshot();
    if (any_global_observers()) lists[1] = global_observer_set.snapshot();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a lock that fails: this event goes untold
  }
  for (const observer_list_ptr& list : lists) {
    if (!list) continue;
    for (const observer_entry& entry : *list) {
      try {
        entry.who->on_pool_event(e);
      } catch (...) {
        observer_threw(std::current_exception());
      }
    }
  }
}

}  // namespace pgwrap::detail
