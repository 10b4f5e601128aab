// Installing observers (for the process, a pool, a database), the names of
// the observer enums, and where an observer's exception goes.

#include <algorithm>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>

#include "observe/operation.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap {

void observer::on_start(const event& /*e*/) {}
void observer::on_end(const event& /*e*/) {}
void observer::on_pool_event(const pool_event& /*e*/) {}

std::string_view to_string(operation_kind kind) noexcept {
  switch (kind) {
    case operation_kind::query: return "query";
    case operation_kind::execute: return "execute";
    case operation_kind::stream_fetch: return "stream_fetch";
    case operation_kind::batch: return "batch";
    case operation_kind::copy_in: return "copy_in";
    case operation_kind::copy_out: return "copy_out";
    case operation_kind::prepare: return "prepare";
    case operation_kind::commit: return "commit";
    case operation_kind::rollback: return "rollback";
    case operation_kind::connect: return "connect";
    case operation_kind::reconnect: return "reconnect";
  }
  return "unknown";
}

std::string_view to_string(close_reason reason) noexcept {
  switch (reason) {
    case close_reason::broken: return "broken";
    case close_reason::reset_failed: return "reset_failed";
    case close_reason::pool_closed: return "pool_closed";
    case close_reason::failed_check: return "failed_check";
    case close_reason::discarded: return "discarded";
    case close_reason::expired: return "expired";
    case close_reason::idle_timeout: return "idle_timeout";
    case close_reason::drained: return "drained";
    case close_reason::resized: return "resized";
  }
  return "unknown";
}

std::string_view to_string(pool_event::kind what) noexcept {
  switch (what) {
    case pool_event::kind::acquired: return "acquired";
    case pool_event::kind::released: return "released";
    case pool_event::kind::timed_out: return "timed_out";
    case pool_event::kind::connection_opened: return "connection_opened";
    case pool_event::kind::connection_closed: return "connection_closed";
  }
  return "unknown";
}

namespace detail {

void observer_set::add(std::shared_ptr<observer> o, observe_options options) {
  if (!o) throw usage_error("add_observer: the observer is null");
  const std::lock_guard lock(mutex_);
  auto next = list_ ? std::make_shared<observer_list>(*list_) : std::make_shared<observer_list>();
  if (std::any_of(next->begin(), next->end(), [&](const observer_entry& e) { return e.who == o; })) {
    throw usage_error("add_observer: this observer is installed here already");
  }
  next->push_back({std::move(o), options});
  list_ = std::move(next);
  nonempty_.store(true, std::memory_order_relaxed);
}

bool observer_set::remove(const std::shared_ptr<observer>& o) noexcept {
  const std::lock_guard lock(mutex_);
  if (!list_) return false;
  auto next = std::make_shared<observer_list>();
  for (const observer_entry& e : *list_) {
    if (e.who != o) next->push_back(e);
  }
  if (next->size() == list_->size()) return false;
  list_ = next->empty() ? nullptr : observer_list_ptr(std::move(next));
  nonempty_.store(list_ != nullptr, std::memory_order_relaxed);
  return true;
}

observer_list_ptr observer_set::snapshot() const {
  if (empty()) return nullptr;
  const std::lock_guard lock(mutex_);
  return list_;
}

observer_set global_observer_set;  // constant-initialised: usable from any static constructor

namespace {
std::mutex error_handler_mutex;
std::shared_ptr<const std::function<void(std::exception_ptr)>> error_handler;  // null: dropped
}  // namespace

void observer_threw(std::exception_ptr error) noexcept {
  std::shared_ptr<const std::function<void(std::exception_ptr)>> handler;
  {
    const std::lock_guard lock(error_handler_mutex);
    handler = error_handler;
  }
  if (!handler) return;
  try {
    (*handler)(std::move(error));  // outside the lock: handlers on several threads run at once
  } catch (...) {  // NOLINT(bugprone-empty-catch): the handler must not throw; nowhere left to report it
  }
}

}  // namespace detail

void add_observer(std::shared_ptr<observer> o, observe_options options) {
  detail::global_observer_set.add(std::move(o), options);
}

bool remove_observer(const std::shared_ptr<observer>& o) noexcept { return detail::global_observer_set.remove(o); }

void set_observer_error_handler(std::function<void(std::exception_ptr)> handler) {
  auto next = handler ? std::make_shared<const std::function<void(std::exception_ptr)>>(std::move(handler)) : nullptr;
  const std::lock_guard lock(detail::error_handler_mutex);
  detail::error_handler = std::move(next);
}

}  // namespace pgwrap
