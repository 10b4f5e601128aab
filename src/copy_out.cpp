// copy_out(): COPY (query) TO STDOUT, read as rows in batches. Each batch is
// a PGresult made here from the COPY data (libpq builds results on request:
// PQmakeEmptyPGresult, PQsetResultAttrs, PQsetvalue), so rows, typed readers
// and codecs read it as they read any result. Binary COPY is parsed for typed
// reads whose codecs all read binary; text COPY (with its escapes) otherwise.

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "observe/operation.hpp"
#include "session.hpp"
#include "stream_source.hpp"

namespace pgwrap {

namespace detail {

namespace {
struct copy_buffer_deleter {
  void operator()(char* p) const noexcept { PQfreemem(p); }
};

std::uint32_t read_u32(const char* p) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes text COPY's escapes (\t, \n, \\, \NNN octal, \xHH, ...) into `out`.
void unescape_copy_text(std::string_view field, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    const char c = field[++i];
    switch (c) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': {
        int value = 0;
        int digits = 0;
        while (digits < 2 && i + 1 < field.size() && hex_value(field[i + 1]) >= 0) {
          value = value * 16 + hex_value(field[++i]);
          ++digits;
        }
        out += digits > 0 ? static_cast<char>(value) : 'x';
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int value = c - '0';
          for (int digits = 1; digits < 3 && i + 1 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '7';
               ++digits) {
            value = value * 8 + (field[++i] - '0');
          }
          out += static_cast<char>(value);
        } else {
          out += c;  // \\ and any other escaped character stand for themselves
        }
    }
  }
}
}  // namespace

class copy_source final : public stream_source {
 public:
  copy_source(std::shared_ptr<database::impl::copy_out_state> state, std::string query, const result_data& description,
              bool binary, std::size_t batch_rows, PGTransactionStatusType before, std::unique_ptr<operation> op)
      : state_(std::move(state)),
        query_(std::move(query)),
        binary_(binary),
        batch_rows_(batch_rows),
        before_(before),
        types_(description.types_shared()),
        op_(std::move(op)) {
    for (std::size_t i = 0; i < description.columns(); ++i) names_.emplace_back(description.column_names()[i]);
    for (std::size_t i = 0; i < names_.size(); ++i) {
      columns_.push_back(PGresAttDesc{names_[i].data(), 0, 0, binary ? 1 : 0, description.type_oid(i), -1, -1});
    }
  }

  // A COPY left early is read to its end: until then the connection takes nothing else.
  ~copy_source() override {
    if (op_ && !done_) op_->succeeded(rows_);  // left early: what was read is what it did
    database::impl* st = state_->owner;
    if (done_ || st == nullptr) return;
    st->copying.reset();
    try {
      char* buffer = nullptr;
      while (st->conn.get_copy_data(&buffer) > 0) PQfreemem(buffer);
      st->conn.finish_copy();
    } catch (...) {  // NOLINT(bugprone-empty-catch): lost; the next call reports it
    }
  }
  copy_source(const copy_source&) = delete;
  copy_source& operator=(const copy_source&) = delete;

  std::shared_ptr<const result_data> next() override {
    if (done_) return nullptr;
    database::impl* st = state_->owner;
    if (st == nullptr) {
      done_ = true;
      const connection_error gone(
          "copy_out cannot go on: its database was closed or lost its connection before "
          "the last row was read (the rows read so far stay valid)");
      if (op_) op_->failed(std::make_exception_ptr(gone));
      throw gone;
    }
    const database::call_scope scope(*st);
    try {
      return read_batch(st);
    } catch (...) {
      if (op_) op_->failed();
      throw;
    }
  }

 private:
  std::shared_ptr<const result_data> read_batch(database::impl* st) {
    result_ptr batch(PQmakeEmptyPGresult(st->conn.native(), PGRES_TUPLES_OK));
    if (!batch || PQsetResultAttrs(batch.get(), static_cast<int>(columns_.size()), columns_.data()) != 1) {
      throw std::bad_alloc();
    }
    int rows = 0;
    while (static_cast<std::size_t>(rows) < batch_rows_) {
      char* raw = nullptr;
      const int size = st->conn.get_copy_data(&raw);
      if (size == -1) {  // the COPY is over: its result says how it ended
        finish(*st);
        break;
      }
      if (size < 0) {
        done_ = true;
        st->copying.reset();
        throw connection_error("copy_out: " + st->conn.error_message());
      }
      const std::unique_ptr<char, copy_buffer_deleter> data(raw);
      const std::string_view message(raw, static_cast<std::size_t>(size));
      if (binary_ ? add_binary_row(batch.get(), rows, message) : add_text_row(batch.get(), rows, message)) ++rows;
    }
    rows_ += rows;
    if (done_ && op_) op_->succeeded(rows_);
    return std::make_shared<const result_data>(batch.release(), query_, types_);
  }

  void finish(database::impl& st) {
    done_ = true;
    st.copying.reset();
    st.checked_result(st.conn.finish_copy(), query_, before_);  // throws what stopped the COPY, if anything did
  }

  void set_value(PGresult* batch, int row, std::size_t column, const char* value, int length) const {
    if (column >= columns_.size()) throw_malformed("more fields than columns");
    if (PQsetvalue(batch, row, static_cast<int>(column), const_cast<char*>(value), length) != 1) {
      throw std::bad_alloc();
    }
  }

  bool add_text_row(PGresult* batch, int row, std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    std::size_t column = 0;
    for (std::size_t start = 0;; ++column) {
      const std::size_t tab = line.find('\t', start);
      const std::string_view field =
          line.substr(start, tab == std::string_view::npos ? line.size() - start : tab - start);
      if (field == "\\N") {
        set_value(batch, row, column, nullptr, -1);
      } else {
        unescape_copy_text(field, scratch_);
        set_value(batch, row, column, scratch_.data(), static_cast<int>(scratch_.size()));
      }
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (column + 1 != columns_.size()) throw_malformed("fewer fields than columns");
    return true;
  }

  // One binary COPY message: a tuple (the first one after the file header),
  // or the trailer that ends the data.
  bool add_binary_row(PGresult* batch, int row, std::string_view message) {
    static constexpr std::string_view signature("PGCOPY\n\377\r\n\0", 11);
    std::size_t at = 0;
    const auto need = [&](std::size_t n) {
      if (message.size() - at < n) throw_malformed("a binary COPY message ends early");
    };
    if (!header_read_) {
      need(signature.size() + 8);
      if (message.substr(0, signature.size()) != signature) throw_malformed("no binary COPY signature");
      at = signature.size() + 4;  // the flags field: no flag pgwrap must act on is defined
      const std::uint32_t extension = read_u32(message.data() + at);
      at += 4;
      need(extension);
      at += extension;
      header_read_ = true;
      if (at == message.size()) return false;  // the header came on its own
    }
    need(2);
    const auto fields = static_cast<std::int16_t>((static_cast<unsigned char>(message[at]) << 8) |
                                                  static_cast<unsigned char>(message[at + 1]));
    at += 2;
    if (fields == -1) return false;  // the trailer
    if (static_cast<std::size_t>(fields) != columns_.size())
      throw_malformed("a tuple's field count is not the column count");
    for (std::size_t column = 0; column < columns_.size(); ++column) {
      need(4);
      const auto length = static_cast<std::int32_t>(read_u32(message.data() + at));
      at += 4;
      if (length < 0) {
        set_value(batch, row, column, nullptr, -1);
        continue;
      }
      need(static_cast<std::size_t>(length));
      set_value(batch, row, column, message.data() + at, length);
      at += static_cast<std::size_t>(length);
    }
    return true;
  }

  [[noreturn]] void throw_malformed(const char* what) const {
    throw connection_error(std::string("copy_out: unexpected COPY data from the server (") + what + ") for: " + query_);
  }

  std::shared_ptr<database::impl::copy_out_state> state_;
  std::string query_;
  std::vector<std::string> names_;
  std::vector<PGresAttDesc> columns_;  // names point into names_
  bool binary_;
  std::size_t batch_rows_;
  PGTransactionStatusType before_;
  std::shared_ptr<const type_set> types_;  // the description's: the user types the columns need
  bool header_read_ = false;
  bool done_ = false;
  std::string scratch_;            // one unescaped text value
  std::unique_ptr<operation> op_;  // observers see the COPY from its start to its last row; null when none
  std::int64_t rows_ = 0;
};

}  // namespace detail

database::opened_stream database::open_copy_out(const detail::sql_ref& sql, std::span<const detail::arg_ref> args,
                                                binary_chooser chooser) {
  impl& st = state();
  std::unique_ptr<detail::copy_source> source;
  {
    const call_scope scope(st);
    st.expand(sql.text, sql.checked, args);
    if (!st.params.empty()) {
      throw usage_error("copy_out: COPY takes no parameters; format only identifiers (%I) into its query");
    }
    if (st.pipeline) throw usage_error("a statement while a pipeline runs on this database");
    std::unique_ptr<detail::operation> op;
    if (st.observing.observed()) {
      op = std::make_unique<detail::operation>(st.observing, operation_kind::copy_out);
      op->describe(st.sql, sql.summary);
      op->start();
    }
    try {
      st.connection();
      // One round trip: [CLOSE ...,] [BEGIN,] and the statement described
      // (unnamed), for its columns' names and types.
      const PGTransactionStatusType idle_or_not = st.status();
      std::vector<std::string> statements;
      const bool begin = st.prelude(statements, idle_or_not);
      const PGTransactionStatusType before = begin ? PQTRANS_INTRANS : idle_or_not;
      std::vector<command> commands;
      commands.reserve(statements.size() + 2);
      for (const std::string& s : statements) commands.push_back(command::query(s.c_str()));
      commands.push_back(command::prepare("", st.sql.c_str(), {}));
      commands.push_back(command::describe(""));
      const engine::request_ptr r = st.exchange(commands);
      for (std::size_t i = 0; i < statements.size(); ++i)
        st.checked_result(impl::result_of(*r, i), statements[i], idle_or_not);
      st.checked_result(impl::result_of(*r, statements.size()), st.sql, before);
      const auto description = st.checked_result(impl::result_of(*r, statements.size() + 1), st.sql, before);
      const bool binary = chooser != nullptr && chooser(*description);
      const std::string copy = "COPY (" + st.sql + ") TO STDOUT" + (binary ? " (FORMAT binary)" : "");
      if (op) {
        op->sent();  // copies the server's facts: the rows may outlive the database
      }
      result_ptr started = st.conn.start_copy(copy);
      if (PQresultStatus(started.get()) != PGRES_COPY_OUT) {
        st.checked_result(std::move(started), st.sql, before);  // throws the server's error
        throw usage_error("copy_out: the statement did not start a COPY: " + st.sql);
      }
      st.copying = std::make_shared<impl::copy_out_state>(impl::copy_out_state{&st});
      source = std::make_unique<detail::copy_source>(st.copying, st.sql, *description, binary, st.stream_batch_rows,
                                                     before, std::move(op));
    } catch (...) {
      if (op) op->failed();
      throw;
    }
  }
  auto first = source->next();
  return {detail::stream_handle(source.release()), std::move(first)};
}

}  // namespace pgwrap
