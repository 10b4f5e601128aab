// result_data: the PGresult behind result, row and field.

#include <charconv>
#include <string>
#include <string_view>

#include "internal.hpp"
#include "pgwrap/detail/result_data.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/result.hpp"

namespace pgwrap {

namespace detail {

namespace {
// Names for the types pgwrap's messages mention most; others show their OID.
std::string type_name(std::uint32_t oid) {
  switch (oid) {
    case 16: return "boolean";
    case 17: return "bytea";
    case 18: return "char";
    case 19: return "name";
    case 20: return "bigint";
    case 21: return "smallint";
    case 23: return "integer";
    case 25: return "text";
    case 114: return "json";
    case 700: return "real";
    case 701: return "double precision";
    case 1042: return "character";
    case 1043: return "character varying";
    case 1082: return "date";
    case 1114: return "timestamp";
    case 1184: return "timestamptz";
    case 1700: return "numeric";
    case 2950: return "uuid";
    case 3802: return "jsonb";
    default: return "type " + std::to_string(oid);
  }
}
}  // namespace

result_data::result_data(pg_result* res, std::string query)
    : res_(res), rows_(static_cast<std::size_t>(PQntuples(res))), query_(std::move(query)) {
  const int n = PQnfields(res);
  names_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) names_.emplace_back(PQfname(res, i));
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

std::uint32_t result_data::type_oid(std::size_t column) const noexcept {
  return PQftype(res_, static_cast<int>(column));
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

void result_data::throw_column_out_of_range(const std::string& index) const {
  throw usage_error("column index " + index + " is out of range: the row has " +
                    std::to_string(names_.size()) + (names_.size() == 1 ? " column" : " columns"));
}

void result_data::throw_unexpected_null(std::size_t column) const {
  throw unexpected_null("column \"" + std::string(names_[column]) +
                        "\" is NULL; read it as std::optional<T> to accept NULL");
}

void result_data::throw_conversion_error(std::size_t column, const char* why) const {
  throw conversion_error("column \"" + std::string(names_[column]) + "\" (" +
                         type_name(type_oid(column)) + "): " + why);
}

}  // namespace detail

row result::operator[](std::size_t i) const {
  if (i >= size()) {
    throw usage_error("row index " + std::to_string(i) + " is out of range: the result has " +
                      std::to_string(size()) + (size() == 1 ? " row" : " rows"));
  }
  return make(i);
}

}  // namespace pgwrap
