#pragma once
/// @file
/// Statements gathered to run together in one pipeline.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/arguments.hpp"
#include "pgwrap/sql.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap {

/// Statements to send together: `db.execute_batch(b)` runs them in one
/// pipeline (a round trip for all rather than one each) and returns every
/// result, in order.
/**
 *     pgwrap::batch b;
 *     b.add("INSERT INTO log (msg) VALUES (%s)", "one")
 *      .add("UPDATE counters SET n = n + %s WHERE id = %s", 1, 7)
 *      .add("SELECT n FROM counters WHERE id = %s", 7);
 *     std::vector<pgwrap::result> results = db.execute_batch(b);
 *
 * Each add() checks its SQL and arguments at once (at compile time for a
 * literal) and copies the parameters, so the arguments need not outlive it.
 */
class batch {
 public:
  template <typename... Args>
  batch& add(sql_string<Args...> sql, const Args&... args) {
    const detail::bound_args<Args...> bound(args...);
    append(sql.text(), bound.refs());
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return statements_.size(); }
  [[nodiscard]] bool empty() const noexcept { return statements_.empty(); }

  /// One statement, expanded: SQL with $n and its parameters.
  struct statement {
    std::string sql;
    std::vector<param> params;
  };
  [[nodiscard]] const std::vector<statement>& statements() const noexcept { return statements_; }

 private:
  void append(std::string_view sql, std::span<const detail::arg_ref> args);

  std::vector<statement> statements_;
};

}  // namespace pgwrap
