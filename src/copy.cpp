// copy_in(): COPY ... FROM STDIN, in binary when every value's binary form is
// its column's type (the fastest load PostgreSQL has; strings count for text
// columns), else in text with each value escaped. Rows are buffered and
// handed to libpq in large pieces.

#include <charconv>
#include <string>
#include <string_view>

#include "database_impl.hpp"

namespace pgwrap {

namespace {
constexpr std::size_t flush_at = 256 * 1024;  // bytes buffered before libpq gets them

// The row a COPY error is about: the server's context says "COPY t, line 3, ...".
std::size_t failing_row(const PGresult* res) {
  const char* context = PQresultErrorField(res, PG_DIAG_CONTEXT);
  if (context == nullptr) return sql_error::no_index;
  const std::string_view text(context);
  const auto at = text.find(", line ");
  if (at == std::string_view::npos) return sql_error::no_index;
  std::size_t line = 0;
  const char* first = text.data() + at + 7;
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), line);
  return ec == std::errc() && end != first && line > 0 ? line - 1 : sql_error::no_index;
}

// Whether a value can go into a binary COPY of a column: its binary form is
// the column's type, or it is a string for a column whose binary form is the
// text itself (text, varchar, char, name).
bool fits_binary(const param_ref& p, std::uint32_t column) {
  if (p.format == wire_format::binary) return p.oid == column;
  return p.oid == oid::unknown && (column == oid::text || column == oid::varchar || column == oid::bpchar ||
                                    column == oid::name);
}

void append_copy_text(std::string_view value, std::string& out) {
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}
}  // namespace

database::copy_run::copy_run(database& db, const ident& table, const std::vector<std::string>& columns)
    : st_(db.state()) {
  st_.enter();
  entered_ = true;
  try {
    begin(table, columns);
  } catch (...) {
    st_.leave();
    throw;
  }
}

void database::copy_run::begin(const ident& table, const std::vector<std::string>& columns) {
  if (st_.pipeline) throw usage_error("copy_in while a pipeline runs on this database");
  std::string list;
  for (const std::string& column : columns) {
    if (!list.empty()) list += ", ";
    list += quote_identifier(column);
  }
  // The columns' types decide between binary and text COPY (one round trip).
  const std::string probe = "SELECT " + (list.empty() ? std::string("*") : list) + " FROM " + table.quoted() + " WHERE false";
  const PGTransactionStatusType before = st_.status();
  PGconn* c = st_.connection();
  st_.close_finished_cursors();
  if (!st_.autocommit && before == PQTRANS_IDLE) st_.control("BEGIN");
  const auto description = st_.take(PQexec(c, probe.c_str()), probe, before);
  for (std::size_t i = 0; i < description->columns(); ++i) column_types_.push_back(description->type_oid(i));
  sql_ = "COPY " + table.quoted() + (list.empty() ? std::string() : " (" + list + ")") + " FROM STDIN";
}

database::copy_run::~copy_run() {
  if (started_ && !finished_) {
    // Ending COPY with an error message makes the server reject the whole load.
    PQputCopyEnd(st_.conn, "copy_in was abandoned by the client");
    while (PGresult* r = PQgetResult(st_.conn)) PQclear(r);
  }
  if (entered_) st_.leave();
}

void database::copy_run::start(std::span<const param_ref> first_row) {
  binary_ = true;
  for (std::size_t i = 0; i < first_row.size(); ++i) {
    const param_ref& p = first_row[i];
    if (p.data != nullptr && !fits_binary(p, column_types_[i])) binary_ = false;
  }
  sql_ += binary_ ? " (FORMAT binary)" : " (FORMAT text)";
  PGresult* res = PQexec(st_.conn, sql_.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) st_.take(res, sql_, st_.status());  // throws what went wrong
  PQclear(res);
  started_ = true;
  if (binary_) {
    buffer_.append("PGCOPY\n\377\r\n\0", 11);
    detail::store_be(std::int32_t{0}, buffer_);  // flags
    detail::store_be(std::int32_t{0}, buffer_);  // header extension length
  }
}

void database::copy_run::send_row(std::span<const param_ref> values) {
  if (values.size() != column_types_.size()) {
    throw usage_error("copy_in: row " + std::to_string(rows_) + " has " + std::to_string(values.size()) +
                      " values for " + std::to_string(column_types_.size()) + " columns");
  }
  if (!started_) start(values);
  if (binary_) {
    detail::store_be(static_cast<std::int16_t>(values.size()), buffer_);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const param_ref& p = values[i];
      if (p.data == nullptr) {
        detail::store_be(std::int32_t{-1}, buffer_);
        continue;
      }
      if (!fits_binary(p, column_types_[i])) {
        throw usage_error("copy_in: row " + std::to_string(rows_) + ", column " + std::to_string(i + 1) +
                               ": a " + detail::type_name(p.oid) + " value in a binary COPY of a " +
                               detail::type_name(column_types_[i]) + " column (the first row chose binary)");
      }
      const std::string_view bytes = p.format == wire_format::binary
                                         ? std::string_view(p.data, static_cast<std::size_t>(p.length))
                                         : std::string_view(p.data);
      detail::store_be(static_cast<std::int32_t>(bytes.size()), buffer_);
      buffer_.append(bytes);
    }
  } else {
    std::string text;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) buffer_ += '\t';
      const param_ref& p = values[i];
      if (p.data == nullptr) {
        buffer_ += "\\N";
        continue;
      }
      text.clear();
      detail::append_param_text(p, text);
      append_copy_text(text, buffer_);
    }
    buffer_ += '\n';
  }
  ++rows_;
  if (buffer_.size() >= flush_at) {
    if (PQputCopyData(st_.conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
      throw connection_error("COPY failed: " + trimmed(PQerrorMessage(st_.conn)));
    }
    buffer_.clear();
  }
}

std::int64_t database::copy_run::finish() {
  finished_ = true;
  if (!started_) return 0;  // no rows: nothing to load
  if (binary_) detail::store_be(std::int16_t{-1}, buffer_);
  if ((!buffer_.empty() && PQputCopyData(st_.conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1) ||
      PQputCopyEnd(st_.conn, nullptr) != 1) {
    throw connection_error("COPY failed: " + trimmed(PQerrorMessage(st_.conn)));
  }
  result_ptr res(PQgetResult(st_.conn));
  while (PGresult* extra = PQgetResult(st_.conn)) PQclear(extra);
  if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && PQstatus(st_.conn) == CONNECTION_OK) {
    detail::throw_sql_error(res.get(), sql_, failing_row(res.get()));
  }
  return result(st_.take(res.release(), sql_, PQTRANS_INTRANS)).affected_rows();
}

}  // namespace pgwrap
