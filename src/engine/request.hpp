#pragma once
// What the engine sends and what comes back: a request is a group of
// commands (statements, prepares, describes) ended by one sync point, so an
// error aborts only the rest of its own request and never another caller's.

#include <libpq-fe.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace pgwrap::engine {

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

/// Parameters as libpq takes them: views that must stay valid until the
/// command is sent (the engine sends at once, so for the length of the call).
struct parameters {
  int count = 0;
  const Oid* types = nullptr;
  const char* const* values = nullptr;
  const int* lengths = nullptr;
  const int* formats = nullptr;
};

/// One protocol-level command.
struct command {
  enum class kind { query, prepare, describe, execute };
  kind what = kind::query;
  const char* text = "";  // query, prepare: SQL; describe, execute: the statement's name ("" is the unnamed one)
  const char* name = "";  // prepare: the name to give the statement
  parameters params;      // query, execute: the values; prepare: only the types count
  int result_format = 0;  // query, execute: 0 text, 1 binary

  static command query(const char* sql, parameters p = {}, int format = 0) { return {kind::query, sql, "", p, format}; }
  static command prepare(const char* name, const char* sql, parameters types) {
    return {kind::prepare, sql, name, types, 0};
  }
  static command describe(const char* name) { return {kind::describe, name, "", {}, 0}; }
  static command execute(const char* name, parameters p, int format) { return {kind::execute, name, "", p, format}; }
};

/// A request's progress. Results arrive in order, one per command; a
/// command skipped after an earlier error gets PGRES_PIPELINE_ABORTED.
class request {
 public:
  /// When set, each result goes here as it arrives (with the command's index)
  /// instead of into `results`: a long run then holds one result at a time.
  /// It must not throw.
  std::function<void(std::size_t index, result_ptr result)> on_result;
  /// The results, one per command (null where the connection was lost first).
  std::vector<result_ptr> results;

  [[nodiscard]] std::size_t sent() const noexcept { return sent_; }
  [[nodiscard]] std::size_t received() const noexcept { return received_; }
  /// Every result and the sync point have arrived, or the connection was lost.
  [[nodiscard]] bool complete() const noexcept { return complete_; }
  /// The connection was lost before every result arrived.
  [[nodiscard]] bool lost() const noexcept { return lost_; }

  /// Makes a finished request (one nothing else holds) ready to be sent
  /// again, keeping its buffers: a caller running one statement after
  /// another then allocates no request per statement.
  void reset() noexcept {
    on_result = nullptr;
    results.clear();
    sent_ = received_ = 0;
    synced_ = complete_ = lost_ = false;
  }

 private:
  friend class connection;
  void deliver(std::size_t index, result_ptr result) {
    ++received_;
    if (on_result) {
      on_result(index, std::move(result));
      return;
    }
    if (results.size() <= index) results.resize(index + 1);
    results[index] = std::move(result);
  }
  std::size_t sent_ = 0;
  std::size_t received_ = 0;
  bool synced_ = false;
  bool complete_ = false;
  bool lost_ = false;
};

using request_ptr = std::shared_ptr<request>;

}  // namespace pgwrap::engine
