#pragma once
// A recording observer for tests of pgwrap::observer: it copies every event
// out of the observer's call, pairs starts with ends by id (a missing or
// second end fails the test), and keeps a pool's events.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <pgwrap/observer.hpp>
#include <pgwrap/pool.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pgwrap::test {

using pgwrap::operation_kind;

/// An event as copied out of the observer's call (its views die with the call).
struct seen {
  std::uint64_t id = 0;
  operation_kind kind = operation_kind::query;
  std::string query_text, operation_name, collection_name;
  std::size_t batch_size = 0;
  std::int64_t rows = 0;
  bool prepared = false, cache_hit = false, failed = false;
  std::string sqlstate, error_type;
  std::string server_address;
  int server_port = 0;
  std::string database_name;
  int backend_pid = 0;
  std::chrono::nanoseconds queued{0}, wire{0};
  std::vector<pgwrap::observed_parameter> parameter_shapes;  // bytes cleared: see parameters
  std::vector<std::optional<std::string>> parameters;
  pgwrap::attributes otel;  // otel_attributes(e), taken during the call

  explicit seen(const pgwrap::event& e)
      : id(e.id),
        kind(e.kind),
        query_text(e.query_text),
        operation_name(e.operation_name),
        collection_name(e.collection_name),
        batch_size(e.batch_size),
        rows(e.rows),
        prepared(e.prepared),
        cache_hit(e.cache_hit),
        failed(e.failed),
        sqlstate(e.sqlstate),
        error_type(e.error_type),
        server_address(e.server_address),
        server_port(e.server_port),
        database_name(e.database_name),
        backend_pid(e.backend_pid),
        queued(e.queued),
        wire(e.wire),
        otel(pgwrap::otel_attributes(e)) {
    for (const pgwrap::observed_parameter& p : e.parameters) {
      parameters.push_back(p.bytes ? std::optional<std::string>(std::string(*p.bytes)) : std::nullopt);
      parameter_shapes.push_back({p.type_oid, p.binary, std::nullopt});
    }
  }

  /// Every text this event carries, for the secrets test.
  [[nodiscard]] std::vector<std::string> texts() const {
    std::vector<std::string> out{query_text, operation_name, collection_name, sqlstate,
                                 error_type, server_address, database_name};
    for (const auto& p : parameters) out.push_back(p.value_or(""));
    for (const auto& [key, value] : otel) {
      out.emplace_back(key);
      if (const auto* s = std::get_if<std::string>(&value)) out.push_back(*s);
    }
    return out;
  }
};

/// One operation: its start and its end, matched by id.
struct op {
  seen start;
  std::optional<seen> end;
  std::size_t end_order = 0;  // 1 for the first operation that ended, ...
};

/// Records every start and end; thread-safe, as an observer must be.
class recorder : public pgwrap::observer {
 public:
  void on_start(const pgwrap::event& e) override {
    const std::lock_guard lock(mutex_);
    ops_.push_back({seen(e), std::nullopt});
  }
  void on_end(const pgwrap::event& e) override {
    const std::lock_guard lock(mutex_);
    for (op& o : ops_) {
      if (o.start.id == e.id) {
        EXPECT_FALSE(o.end) << "operation " << e.id << " (" << pgwrap::to_string(e.kind) << ") ended twice";
        o.end.emplace(e);
        o.end_order = ++ended_;
        return;
      }
    }
    ADD_FAILURE() << "operation " << e.id << " (" << pgwrap::to_string(e.kind) << ") ended without a start";
  }

  /// Every operation so far, in the order they started; each must have ended.
  std::vector<op> ops() {
    const std::lock_guard lock(mutex_);
    for (const op& o : ops_) {
      EXPECT_TRUE(o.end) << "operation " << o.start.id << " (" << pgwrap::to_string(o.start.kind) << ") never ended";
      if (o.end) {
        EXPECT_EQ(o.end->kind, o.start.kind);
        EXPECT_EQ(o.end->query_text, o.start.query_text);
      }
    }
    return ops_;
  }
  /// The ops of one kind.
  std::vector<op> of(operation_kind kind) {
    std::vector<op> out;
    for (op& o : ops()) {
      if (o.start.kind == kind) out.push_back(std::move(o));
    }
    return out;
  }
  /// The end of the only operation so far, which must be of `kind`.
  seen only(operation_kind kind) {
    const std::vector<op> all = ops();
    EXPECT_EQ(all.size(), 1U) << kinds(all);
    if (all.empty() || !all.front().end) return seen(pgwrap::event{});
    EXPECT_EQ(all.front().start.kind, kind) << kinds(all);
    return *all.front().end;
  }
  /// The ends, in the order the operations ended.
  std::vector<seen> ends() {
    std::vector<op> all = ops();
    std::sort(all.begin(), all.end(), [](const op& a, const op& b) { return a.end_order < b.end_order; });
    std::vector<seen> out;
    for (op& o : all) {
      if (o.end) out.push_back(std::move(*o.end));
    }
    return out;
  }
  void on_pool_event(const pgwrap::pool_event& e) override {
    const std::lock_guard lock(mutex_);
    pool_events_.push_back(e);
  }
  std::vector<pgwrap::pool_event> pool_events() {
    const std::lock_guard lock(mutex_);
    return pool_events_;
  }
  void clear() {
    const std::lock_guard lock(mutex_);
    ops_.clear();
    pool_events_.clear();
  }

  static std::string kinds(const std::vector<op>& ops) {
    std::string out = "operations:";
    for (const op& o : ops) out += " " + std::string(pgwrap::to_string(o.start.kind)) + "(" + o.start.query_text + ")";
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<op> ops_;
  std::size_t ended_ = 0;
  std::vector<pgwrap::pool_event> pool_events_;
};

/// Installs an observer for the process for one scope.
class global_observer {
 public:
  explicit global_observer(std::shared_ptr<pgwrap::observer> o, pgwrap::observe_options options = {})
      : o_(std::move(o)) {
    pgwrap::add_observer(o_, options);
  }
  ~global_observer() { pgwrap::remove_observer(o_); }
  global_observer(const global_observer&) = delete;
  global_observer& operator=(const global_observer&) = delete;

 private:
  std::shared_ptr<pgwrap::observer> o_;
};

/// "kind kind ...": a sequence of ends, or of a pool's events, for comparing.
inline std::string kinds(const std::vector<seen>& events) {
  std::string out;
  for (const seen& e : events) out += (out.empty() ? "" : " ") + std::string(pgwrap::to_string(e.kind));
  return out;
}
inline std::string kinds(const std::vector<pgwrap::pool_event>& events) {
  std::string out;
  for (const pgwrap::pool_event& e : events) out += (out.empty() ? "" : " ") + std::string(pgwrap::to_string(e.what));
  return out;
}

}  // namespace pgwrap::test
