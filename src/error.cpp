// sql_error, and the one table that maps a SQLSTATE to its exception class:
// the exact code first, then its two-character class, else plain sql_error;
// and the name of an exception's class, for observers.

#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "internal.hpp"
#include "observe/operation.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/types/hstore.hpp"

namespace pgwrap {

namespace {
std::string describe(const sql_error::info& i) {
  std::string text;
  if (i.statement_index != sql_error::no_index) {
    text = "statement " + std::to_string(i.statement_index) + " of the batch: ";
  }
  text += i.message.empty() ? std::string("unknown server error") : i.message;
  if (!i.sqlstate.empty()) text += " (SQLSTATE " + i.sqlstate + ")";
  if (const std::string_view hint = detail::missing_extension_hint(i.sqlstate, i.message); !hint.empty()) {
    text += "; ";
    text += hint;
  }
  return text;
}
}  // namespace

sql_error::sql_error(info i) : error(describe(i)), info_(std::move(i)) {}

namespace detail {
namespace {
using raise_fn = void (*)(sql_error::info&&);

template <typename E>
[[noreturn]] void raise(sql_error::info&& i) {
  throw E(std::move(i));
}

struct sqlstate_entry {
  std::string_view code;  // five characters for a condition, two for a class
  raise_fn raise;
  std::string_view name;  // the class raised, for observers' error_type
};

constexpr sqlstate_entry sqlstate_table[] = {
    {"23505", raise<unique_violation>, "pgwrap::unique_violation"},
    {"23503", raise<foreign_key_violation>, "pgwrap::foreign_key_violation"},
    {"23502", raise<not_null_violation>, "pgwrap::not_null_violation"},
    {"23514", raise<check_violation>, "pgwrap::check_violation"},
    {"40001", raise<serialization_failure>, "pgwrap::serialization_failure"},
    {"40P01", raise<deadlock_detected>, "pgwrap::deadlock_detected"},
    {"42601", raise<syntax_error>, "pgwrap::syntax_error"},
    {"42P01", raise<undefined_table>, "pgwrap::undefined_table"},
    {"42703", raise<undefined_column>, "pgwrap::undefined_column"},
    {"42501", raise<insufficient_privilege>, "pgwrap::insufficient_privilege"},
    {"57014", raise<query_canceled>, "pgwrap::query_canceled"},
    {"23", raise<integrity_violation>, "pgwrap::integrity_violation"},
    {"40", raise<transaction_rollback>, "pgwrap::transaction_rollback"},
    {"42", raise<syntax_error_or_access_rule_violation>, "pgwrap::syntax_error_or_access_rule_violation"},
    {"22", raise<data_exception>, "pgwrap::data_exception"},
    {"53", raise<insufficient_resources>, "pgwrap::insufficient_resources"},
    {"57", raise<operator_intervention>, "pgwrap::operator_intervention"},
};

// The entry for `sqlstate`: its exact code, else its class; null for neither.
const sqlstate_entry* entry_for(std::string_view sqlstate) {
  for (const auto& entry : sqlstate_table) {
    if (sqlstate.starts_with(entry.code)) return &entry;  // exact codes come first in the table
  }
  return nullptr;
}

std::string field_text(const PGresult* res, int code) {
  const char* v = PQresultErrorField(res, code);
  return v ? std::string(v) : std::string();
}
}  // namespace

void throw_sql_error(const PGresult* res, std::string_view query, std::size_t statement_index) {
  sql_error::info i{
      .sqlstate = field_text(res, PG_DIAG_SQLSTATE),
      .message = field_text(res, PG_DIAG_MESSAGE_PRIMARY),
      .detail = field_text(res, PG_DIAG_MESSAGE_DETAIL),
      .hint = field_text(res, PG_DIAG_MESSAGE_HINT),
      .query = std::string(query),
      .schema = field_text(res, PG_DIAG_SCHEMA_NAME),
      .table = field_text(res, PG_DIAG_TABLE_NAME),
      .column = field_text(res, PG_DIAG_COLUMN_NAME),
      .constraint = field_text(res, PG_DIAG_CONSTRAINT_NAME),
      .statement_index = statement_index,
  };
  if (i.hint.empty()) i.hint = missing_extension_hint(i.sqlstate, i.message);
  if (i.message.empty()) {
    // Errors raised by libpq itself carry no fields, only the whole text.
    i.message = PQresultErrorMessage(res);
    while (!i.message.empty() && i.message.back() == '\n') i.message.pop_back();
  }
  if (const sqlstate_entry* entry = entry_for(i.sqlstate)) entry->raise(std::move(i));
  throw sql_error(std::move(i));  // NOLINT(bugprone-use-after-move): raise never returns
}

void describe_error(const std::exception_ptr& failure, std::string_view& sqlstate, std::string_view& type) noexcept {
  sqlstate = {};
  try {
    std::rethrow_exception(failure);
  } catch (const sql_error& e) {
    sqlstate = e.sqlstate();
    const sqlstate_entry* entry = entry_for(sqlstate);
    type = entry != nullptr ? entry->name : "pgwrap::sql_error";
  } catch (const commit_outcome_unknown&) {
    type = "pgwrap::commit_outcome_unknown";
  } catch (const connection_error&) {
    type = "pgwrap::connection_error";
  } catch (const usage_error&) {
    type = "pgwrap::usage_error";
  } catch (const unexpected_rows&) {
    type = "pgwrap::unexpected_rows";
  } catch (const pool_timeout&) {
    type = "pgwrap::pool_timeout";
  } catch (const pool_overloaded&) {
    type = "pgwrap::pool_overloaded";
  } catch (const unexpected_null&) {
    type = "pgwrap::unexpected_null";
  } catch (const conversion_error&) {
    type = "pgwrap::conversion_error";
  } catch (const pgwrap::error&) {
    type = "pgwrap::error";
  } catch (const std::bad_alloc&) {
    type = "std::bad_alloc";
  } catch (const std::exception&) {
    type = "std::exception";
  } catch (...) {
    type = "unknown";
  }
}
}  // namespace detail

pool_timeout::pool_timeout(std::size_t max_size, std::chrono::milliseconds waited)
    : error("pool: no connection came free within " + std::to_string(waited.count()) + " ms; all " +
            std::to_string(max_size) + " connections (max_size) are in use"),
      max_size_(max_size),
      waited_(waited) {}

pool_overloaded::pool_overloaded(std::size_t max_waiting)
    : error("pool: " + std::to_string(max_waiting) +
            " callers are waiting for a connection already (max_waiting); refused without waiting"),
      max_waiting_(max_waiting) {}

}  // namespace pgwrap
