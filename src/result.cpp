// result_data: the PGresult behind result, row and field.

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

#include "internal.hpp"
#include "pgwrap/detail/result_data.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/result.hpp"
#include "pgwrap/typed_result.hpp"

namespace pgwrap {

namespace detail {

result_data::result_data(pg_result* res, std::string query, std::shared_ptr<const type_set> types)
    : res_(res), rows_(static_cast<std::size_t>(PQntuples(res))), query_(std::move(query)), types_(std::move(types)) {
  const int n = PQnfields(res);
  names_.reserve(static_cast<std::size_t>(n));
  columns_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    names_.emplace_back(PQfname(res, i));
    columns_.push_back({PQftype(res, i), PQfformat(res, i) == 1 ? wire_format::binary : wire_format::text});
  }
}

result_data::~result_data() { PQclear(res_); }

std::string_view result_data::value(std::size_t row, std::size_t column) const noexcept {
  const int r = static_cast<int>(row);
  const int c = static_cast<int>(column);
  return {PQgetvalue(res_, r, c), static_cast<std::size_t>(PQgetlength(res_, r, c))};
}

bool result_data::is_null(std::size_t row, std::size_t column) const noexcept {
  return PQgetisnull(res_, static_cast<int>(row), static_cast<int>(column)) != 0;
}

std::int64_t result_data::affected_rows() const noexcept {
  const std::string_view count = PQcmdTuples(res_);
  std::int64_t n = 0;
  std::from_chars(count.data(), count.data() + count.size(), n);  // "" (no count) leaves 0
  return n;
}

std::size_t result_data::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return i;
  }
  std::string message = "no column named \"" + std::string(name) + "\"; the columns are: ";
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (i > 0) message += ", ";
    message += names_[i];
  }
  if (names_.empty()) message += "(none)";
  throw usage_error(message);
}

void result_data::throw_row_out_of_range(std::size_t row) const {
  throw usage_error("row index " + std::to_string(row) + " is out of range: the result has " + std::to_string(rows_) +
                    (rows_ == 1 ? " row" : " rows"));
}

namespace {
std::string column_list(const std::vector<std::string_view>& names) {
  std::string list;
  for (const auto name : names) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list.empty() ? "(none)" : list;
}
}  // namespace

void check_column_count(const result_data& data, std::size_t expected) {
  if (data.columns() != expected) {
    throw usage_error("the typed query reads " + std::to_string(expected) + (expected == 1 ? " column" : " columns") +
                      " but the query returned " + std::to_string(data.columns()) + ": " +
                      column_list(data.column_names()));
  }
}

std::size_t find_member_column(const result_data& data, std::string_view member, bool relaxed) {
  for (std::size_t i = 0; i < data.columns(); ++i) {
    if (data.column_names()[i] == member) return i;
  }
  if (relaxed) return no_column;
  throw usage_error("no column for member \"" + std::string(member) + "\"; the columns are: " +
                    column_list(data.column_names()) + " (read into pgwrap::relaxed<T> to allow missing columns)");
}

void check_no_extra_columns(const result_data& data, const std::vector<std::size_t>& used) {
  std::string extra;
  for (std::size_t i = 0; i < data.columns(); ++i) {
    if (std::find(used.begin(), used.end(), i) != used.end()) continue;
    if (!extra.empty()) extra += ", ";
    extra += data.column_names()[i];
  }
  if (!extra.empty()) {
    throw usage_error("the query returned columns no member takes: " + extra +
                      " (read into pgwrap::relaxed<T> to ignore extra columns)");
  }
}

void result_data::throw_column_out_of_range(const std::string& index) const {
  throw usage_error("column index " + index + " is out of range: the row has " + std::to_string(names_.size()) +
                    (names_.size() == 1 ? " column" : " columns"));
}

void result_data::throw_unexpected_null(std::size_t column) const {
  throw unexpected_null("column \"" + std::string(names_[column]) +
                        "\" is NULL; read it as std::optional<T> to accept NULL");
}

void result_data::throw_conversion_error(std::size_t column, const char* why) const {
  throw conversion_error("column \"" + std::string(names_[column]) + "\" (" + type_name(type_oid(column)) +
                         "): " + why);
}

}  // namespace detail

row result::operator[](std::size_t i) const {
  if (i >= size()) data_->throw_row_out_of_range(i);
  return make(i);
}

std::shared_ptr<const detail::result_data> detail::accept_result(PGresult* res, std::string_view query,
                                                                 std::shared_ptr<const type_set> types) {
  switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK: return std::make_shared<const result_data>(res, std::string(query), std::move(types));
    case PGRES_EMPTY_QUERY: PQclear(res); throw usage_error("empty query: the SQL has no statement");
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
      // The engine has ended it already (engine::connection::end_unwanted_copy).
      PQclear(res);
      throw usage_error(
          "COPY FROM STDIN / TO STDOUT cannot run as a query; it was cancelled (use copy_in() or copy_out())");
    default: break;
  }
  const std::unique_ptr<PGresult, void (*)(PGresult*)> owned(res, PQclear);
  throw_sql_error(res, query);
}

std::optional<row> detail::first_row(const result& r) {
  if (r.empty()) return std::nullopt;
  return r[0];
}

row detail::exactly_one_row(const result& r) {
  if (r.size() != 1) {
    throw unexpected_rows("scalar: the query returned " + std::to_string(r.size()) + " rows, expected exactly one");
  }
  if (r.columns().empty()) throw unexpected_rows("scalar: the query returned no columns");
  return r[0];
}

}  // namespace pgwrap
