// copy_in(): COPY ... FROM STDIN, in binary when every value's binary form is
// its column's type (the fastest load PostgreSQL has; strings count for text
// columns), else in text with each value escaped. Rows are buffered and
// handed to the engine in large pieces.

#include <charconv>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "session.hpp"

namespace pgwrap {

namespace {
constexpr std::size_t flush_at = std::size_t{256} * 1024;  // bytes buffered before libpq gets them

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
  return p.oid == oid::unknown &&
         (column == oid::text || column == oid::varchar || column == oid::bpchar || column == oid::name);
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

/// One COPY FROM STDIN. It holds the database's call scope from start to
/// end; an unfinished COPY is aborted, leaving the table as it was.
class database::copy_run {
 public:
  copy_run(impl& st, const ident& table, const std::vector<std::string>& columns)
      : op(st.observing, operation_kind::copy_in), st_(st) {
    st_.enter();
    try {
      begin(table, columns);
    } catch (...) {
      op.failed();
      st_.leave();
      throw;
    }
  }
  ~copy_run() {
    if (started_ && !finished_) {
      try {  // ending COPY with an error message makes the server reject the whole load
        st_.conn.end_copy("copy_in was abandoned by the client");
        st_.conn.finish_copy();
      } catch (...) {  // NOLINT(bugprone-empty-catch): lost; the next call reports it
      }
    }
    st_.leave();
  }
  copy_run(const copy_run&) = delete;
  copy_run& operator=(const copy_run&) = delete;

  void send_row(std::span<const param_ref> values);
  std::int64_t finish();
  detail::operation op;  // from the probe to the COPY's end

 private:
  void begin(const ident& table, const std::vector<std::string>& columns);
  void start(std::span<const param_ref> first_row);
  /// A struct for column `i`, written into `text` with its members placed by
  /// attribute name; false when `p` is none, or the column no composite.
  bool write_by_name(const param_ref& p, std::size_t i, std::string& text) const {
    if (p.late_write == nullptr || !user_types_) return false;
    try {
      return p.late_write(p.late_source, column_types_[i], *user_types_, text);
    } catch (const conversion_error& e) {
      throw conversion_error("column " + std::to_string(i + 1) + ": " + e.what());
    }
  }
  impl& st_;
  PGTransactionStatusType before_ = PQTRANS_IDLE;  // before the COPY: idle in autocommit mode
  std::string sql_;
  std::vector<std::uint32_t> column_types_;
  std::shared_ptr<const detail::type_set> user_types_;  // the user types among the columns, when any
  std::string buffer_;                                  // rows not yet handed to libpq
  std::size_t rows_ = 0;
  bool started_ = false;
  bool binary_ = false;
  bool finished_ = false;
};

void database::run_deleter::operator()(copy_run* run) const noexcept { delete run; }

database::run_handle<database::copy_run> database::start_copy(const ident& table,
                                                              const std::vector<std::string>& columns) {
  return run_handle<copy_run>(new copy_run(state(), table, columns));
}

void database::copy_send_row(copy_run& run, std::span<const param_ref> values) { run.send_row(values); }

std::int64_t database::copy_finish(copy_run& run) {
  const std::int64_t rows = run.finish();
  run.op.succeeded(rows);
  return rows;
}

void database::copy_failed(copy_run& run) noexcept { run.op.failed(); }

void database::copy_run::begin(const ident& table, const std::vector<std::string>& columns) {
  if (st_.pipeline) throw usage_error("copy_in while a pipeline runs on this database");
  std::string list;
  for (const std::string& column : columns) {
    if (!list.empty()) list += ", ";
    list += quote_identifier(column);
  }
  // The columns' types decide between binary and text COPY: one round trip,
  // with the CLOSE of finished cursors and the implicit BEGIN.
  const std::string probe =
      "SELECT " + (list.empty() ? std::string("*") : list) + " FROM " + table.quoted() + " WHERE false";
  sql_ = "COPY " + table.quoted() + (list.empty() ? std::string() : " (" + list + ")") + " FROM STDIN";
  op.describe(sql_, {});
  op.start();
  st_.connection();
  const PGTransactionStatusType before = st_.status();
  std::vector<std::string> statements;
  st_.prelude(statements, before);
  statements.push_back(probe);
  const auto description = st_.run_own_statements(statements, before);  // the probe's, or the first failure
  for (std::size_t i = 0; i < description->columns(); ++i) column_types_.push_back(description->type_oid(i));
}

void database::copy_run::start(std::span<const param_ref> first_row) {
  // Composite columns: the catalog is read now (once per connection and
  // type), since nothing else can run once the COPY has begun; structs are
  // then written with their members placed by attribute name.
  std::vector<std::uint32_t> user_oids;
  for (const std::uint32_t type : column_types_) {
    if (type >= detail::first_user_oid) user_oids.push_back(type);
  }
  if (!user_oids.empty()) user_types_ = st_.conn.types.types_for(st_.conn, user_oids, st_.status() != PQTRANS_IDLE);
  binary_ = true;
  for (std::size_t i = 0; i < first_row.size(); ++i) {
    const param_ref& p = first_row[i];
    if (p.data != nullptr && !fits_binary(p, column_types_[i])) binary_ = false;
  }
  sql_ += binary_ ? " (FORMAT binary)" : " (FORMAT text)";
  op.sent();
  before_ = st_.status();
  result_ptr res = st_.conn.start_copy(sql_);
  if (PQresultStatus(res.get()) != PGRES_COPY_IN)
    st_.checked_result(std::move(res), sql_, before_);  // throws what went wrong
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
        throw usage_error("copy_in: row " + std::to_string(rows_) + ", column " + std::to_string(i + 1) + ": a " +
                          detail::type_name(p.oid) + " value in a binary COPY of a " +
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
      if (!write_by_name(p, i, text)) {
        text.clear();
        detail::append_param_text(p, text);
      }
      append_copy_text(text, buffer_);
    }
    buffer_ += '\n';
  }
  ++rows_;
  if (buffer_.size() >= flush_at) {
    st_.conn.put_copy_data(buffer_);
    buffer_.clear();
  }
}

std::int64_t database::copy_run::finish() {
  finished_ = true;
  if (!started_) return 0;  // no rows: nothing to load
  if (binary_) detail::store_be(std::int16_t{-1}, buffer_);
  if (!buffer_.empty()) st_.conn.put_copy_data(buffer_);
  st_.conn.end_copy(nullptr);
  result_ptr res = st_.conn.finish_copy();
  if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && st_.conn.is_ok()) {
    detail::throw_sql_error(res.get(), sql_, failing_row(res.get()));
  }
  return result(st_.checked_result(std::move(res), sql_, before_)).affected_rows();
}

}  // namespace pgwrap
