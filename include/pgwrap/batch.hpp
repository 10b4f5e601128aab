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

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

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
  /// Appends a statement with its arguments; returns *this for chaining.
  /**
   * @par Errors
   * For SQL built at run time (pgwrap::runtime_sql): usage_error when the
   * directives and arguments do not match. conversion_error for an argument
   * that cannot be sent. The batch is unchanged when add() throws.
   */
  template <typename... Args>
  batch& add(sql_string<Args...> sql, const Args&... args) {
    const detail::bound_args<Args...> bound(args...);
    append(sql.text(), bound.refs());
    return *this;
  }

  /// How many statements were added.
  [[nodiscard]] std::size_t size() const noexcept { return statements_.size(); }
  /// True when no statement was added.
  [[nodiscard]] bool empty() const noexcept { return statements_.empty(); }

  /// One statement, expanded: SQL with $n and its parameters.
  struct statement {
    std::string sql;            ///< the SQL text, with $1, $2, ... for the parameters
    std::vector<param> params;  ///< the parameters, already encoded
  };
  /// The statements added so far, in order.
  [[nodiscard]] const std::vector<statement>& statements() const noexcept { return statements_; }

 private:
  void append(std::string_view sql, std::span<const detail::arg_ref> args);

  std::vector<statement> statements_;
};

}  // namespace pgwrap
PGWRAP_API_END
