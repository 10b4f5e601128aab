#pragma once
// The prepared statements of one session, least recently used first out.
// A statement is keyed by its SQL text and parameter types, since the server
// fixes both when it prepares it.

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pgwrap/detail/result_data.hpp"

namespace pgwrap::engine {

struct prepared_statement {
  std::string name;
  std::shared_ptr<const detail::result_data> description;  // the result columns' names and types
};

class statement_cache {
 public:
  [[nodiscard]] static std::string key(std::string_view sql, std::span<const Oid> types);
  /// The same key, written into `out` (whose buffer a caller reuses from call to call).
  static void key_into(std::string& out, std::string_view sql, std::span<const Oid> types);

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  /// Sets the capacity; returns the names of the statements that no longer fit.
  std::vector<std::string> set_capacity(std::size_t capacity);

  [[nodiscard]] bool contains(const std::string& key) const { return index_.contains(key); }
  /// The statement for `key`, marked most recently used; nullptr if none.
  const prepared_statement* find(const std::string& key);
  /// A fresh statement name, unique on this connection.
  std::string next_name() { return "pgwrap_" + std::to_string(++counter_); }
  /// Adds a statement; returns the names evicted to make room.
  std::vector<std::string> add(std::string key, prepared_statement statement);
  /// Forgets one statement; returns its name (empty when it was not there).
  std::string erase(const std::string& key);
  /// Counts one unprepared run of `key`; true when it has now run often
  /// enough to be prepared: true on the prepare_threshold-th use, which then runs prepared.
  bool note_use(const std::string& key);
  static constexpr int prepare_threshold = 5;

  /// Forgets everything (the server's session is gone or was told DEALLOCATE ALL).
  void clear() noexcept {
    entries_.clear();
    index_.clear();
    uses_.clear();
  }

 private:
  using entry = std::pair<std::string, prepared_statement>;
  std::size_t capacity_ = 100;
  std::list<entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
  std::unordered_map<std::string, int> uses_;  // runs of statements not prepared yet
  std::uint64_t counter_ = 0;
};

}  // namespace pgwrap::engine
