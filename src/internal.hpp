#pragma once
// Declarations shared by pgwrap's sources; never installed.

#include <libpq-fe.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pgwrap/arguments.hpp"
#include "pgwrap/detail/result_data.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap::detail {

/// Throws the sql_error subclass that matches the result's SQLSTATE.
[[noreturn]] void throw_sql_error(const PGresult* res, std::string_view query,
                                  std::size_t statement_index = sql_error::no_index);

/// The conninfo as key=value pairs with the password masked, for display.
[[nodiscard]] std::string masked_conninfo(std::string_view conninfo);

/// `conninfo` asking for a server that takes writes (target_session_attrs=read-write),
/// unless it sets target_session_attrs itself; usage_error when libpq cannot parse it.
[[nodiscard]] std::string with_read_write(std::string conninfo);

/// Removes the password in `conninfo` (if any) from a libpq message.
[[nodiscard]] std::string redact_password(std::string message, std::string_view conninfo);

/// Writes `sql` to `out` with each directive expanded (%s to $n, %S to a SET
/// list, %I to a quoted name, ...) and the parameters, in $n order, to
/// `params`. Throws usage_error naming the problem and where it is, so
/// runtime SQL meets the rules literals meet at compile time.
void expand_sql(std::string_view sql, std::span<const arg_ref> args, std::string& out, std::vector<param_ref>& params);

/// True when every directive in `sql` is %s or %% (so its expansion does not
/// depend on the arguments' values).
[[nodiscard]] bool only_positional(std::string_view sql);

/// expand_sql, remembering expansions that are the same every time: those
/// of SQL whose directives are all %s and %%, for a literal by its address
/// (its text compared too: an address alone proves nothing), for runtime
/// SQL by its text (a bounded number of them).
class expansion_cache {
 public:
  void expand(std::string_view text, bool literal, std::span<const arg_ref> args, std::string& sql,
              std::vector<param_ref>& params);

 private:
  struct literal_expansion {
    std::string text;
    bool fixed = false;  // only %s and %%: the expansion does not depend on the arguments
    std::size_t placeholders = 0;
    std::string sql;
  };
  std::unordered_map<const char*, literal_expansion> literals;
  std::unordered_map<std::string, literal_expansion> runtime_texts;
  static constexpr std::size_t max_runtime_texts = 256;
};

/// A finished statement's result (not null; ownership taken) as a result's
/// data, or the exception it stands for: the sql_error subclass of a server
/// error, usage_error for an empty query or a COPY sent as a query.
std::shared_ptr<const result_data> accept_result(PGresult* res, std::string_view query,
                                                 std::shared_ptr<const type_set> types = {});

/// The error of a listener (`who`: pgwrap::listener or pgwrap::async_listener)
/// refusing a connection pooler; defined in listener.cpp.
usage_error listener_behind_pooler(const char* who);

/// Throws what COMMIT in an aborted transaction means: the server rolled it back.
[[noreturn]] inline void throw_aborted_commit(const char* message) {
  sql_error::info i;
  i.sqlstate = "25P02";  // in_failed_sql_transaction, as the server says for such a statement
  i.message = message;
  i.query = "COMMIT";
  throw sql_error(std::move(i));
}

}  // namespace pgwrap::detail
