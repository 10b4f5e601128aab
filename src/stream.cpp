// stream(): a query's rows read from a server-side cursor, one batch per
// round trip. Between batches the connection is free, so the loop body may
// run other statements on the same database (psycopgwrap's "every query has
// its own cursor", at any size).
//
// Opening costs one round trip: [BEGIN,] [CLOSE of finished cursors,]
// DECLARE and the first FETCH travel together in one pipeline. A cursor the
// stream is done with is closed with the next statement, not on its own.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "database_impl.hpp"
#include "pgwrap/stream.hpp"
#include "stream_source.hpp"

namespace pgwrap {

namespace detail {

class cursor_source final : public stream_source {
 public:
  cursor_source(std::shared_ptr<database::impl::cursor> cursor, std::string query, int format, std::size_t batch_rows)
      : cursor_(std::move(cursor)),
        query_(std::move(query)),
        fetch_("FETCH FORWARD " + std::to_string(batch_rows) + " FROM " + cursor_->name),
        format_(format),
        batch_rows_(batch_rows) {}

  ~cursor_source() override { cursor_->finished = true; }  // closed with the database's next statement
  cursor_source(const cursor_source&) = delete;
  cursor_source& operator=(const cursor_source&) = delete;

  /// Whether `batch` (just fetched) was the last one.
  void note_batch(const result_data& batch) noexcept {
    if (batch.rows() < batch_rows_) exhausted_ = true;
  }

  std::shared_ptr<const result_data> next() override {
    if (exhausted_) return nullptr;
    database::impl* st = cursor_->owner;
    if (st == nullptr || st->conn == nullptr || PQstatus(st->conn) != CONNECTION_OK) {
      exhausted_ = true;
      throw connection_error(
          "the stream cannot go on: its database was closed or lost its connection before the last row was "
          "read (the rows read so far stay valid)");
    }
    if (cursor_->gone) {
      exhausted_ = true;
      throw usage_error(
          "the stream cannot go on: the transaction (or savepoint) it was reading in ended before the last "
          "row was read, and the server closed its cursor; commit after the loop, or read the stream in a "
          "pgwrap::transaction that outlives it");
    }
    const database::call_scope scope(*st);
    st->settle();  // this stream's FETCH sent ahead, or another stream's
    const PGTransactionStatusType before = PQtransactionStatus(st->conn);
    try {
      PGresult* res = cursor_->prefetched ? cursor_->prefetched.release()
                                          : PQexecParams(st->conn, fetch_.c_str(), 0, nullptr, nullptr, nullptr,
                                                         nullptr, format_);
      auto batch = st->take(res, query_, before);
      note_batch(*batch);
      fetch_ahead(*st);
      return batch;
    } catch (...) {
      exhausted_ = true;  // a failed FETCH leaves the cursor unusable
      throw;
    }
  }

  /// Sends the next FETCH without waiting, so the server fills the next batch
  /// while the loop reads this one. Not for held cursors: in autocommit mode
  /// the connection must look idle between batches.
  void fetch_ahead(database::impl& st) noexcept {
    if (exhausted_ || cursor_->hold) return;
    if (PQsendQueryParams(st.conn, fetch_.c_str(), 0, nullptr, nullptr, nullptr, nullptr, format_) == 1) {
      st.fetching = cursor_;
    }  // else the next batch is fetched when it is needed, and fails then if the connection did
  }

 private:
  std::shared_ptr<database::impl::cursor> cursor_;
  std::string query_;  // the user's SQL, for errors
  std::string fetch_;
  int format_;
  std::size_t batch_rows_;
  bool exhausted_ = false;
};

void stream_source_deleter::operator()(stream_source* source) const noexcept { delete source; }

std::shared_ptr<const result_data> next_batch(stream_source& source) { return source.next(); }

void throw_stream_begun_twice() {
  throw usage_error("a stream can be iterated once: its rows are not kept; use query() to read them more than once");
}

}  // namespace detail

namespace {
// Sends one statement of the opening pipeline.
void send(PGconn* c, const std::string& sql, int count, const Oid* types, const char* const* values,
          const int* lengths, const int* formats, int result_format) {
  if (PQsendQueryParams(c, sql.c_str(), count, types, values, lengths, formats, result_format) != 1) {
    throw connection_error("could not send a statement: " + detail::trimmed(PQerrorMessage(c)));
  }
}
}  // namespace

database::opened_stream database::open_stream(std::string_view sql, std::span<const detail::arg_ref> args,
                                              binary_chooser chooser, bool literal) {
  impl& st = state();
  {
    const call_scope scope(st);
    st.expand(sql, literal, args);
    if (st.pipeline) throw usage_error("a statement while a pipeline runs on this database");
    PGconn* c = detail::cursor_accepts(st.sql) ? st.connection() : nullptr;
    const PGTransactionStatusType before = c != nullptr ? PQtransactionStatus(c) : PQTRANS_IDLE;
    const bool begin = !st.autocommit && before == PQTRANS_IDLE;
    const bool hold = st.autocommit && before == PQTRANS_IDLE;
    // Behind a transaction-pooling pgbouncer a held cursor would stay on a
    // server connection that other clients get next: such streams read at once.
    if (c != nullptr && !(hold && st.behind_pooler)) {
      st.fill_parameters(st.params);
      // Typed streams come in binary when the statement's columns allow it;
      // the cached prepared statement's description says what they are.
      int format = 0;
      if (chooser != nullptr && st.prepares()) {
        const std::string key = detail::statement_cache::key(st.sql, st.types);
        const detail::prepared_statement* ps = st.cache.find(key);
        if (ps == nullptr) ps = &st.prepare(key, before);
        format = chooser(*ps->description) ? 1 : 0;
      }
      auto cursor = std::make_shared<impl::cursor>(
          impl::cursor{&st, "pgwrap_cursor_" + std::to_string(++st.cursors_opened), hold, st.savepoints});
      const std::string declare =
          "DECLARE " + cursor->name + " NO SCROLL CURSOR " + (hold ? "WITH HOLD " : "") + "FOR " + st.sql;
      auto owned = std::make_unique<detail::cursor_source>(cursor, st.sql, format, st.stream_batch_rows);
      detail::cursor_source& source = *owned;

      // One round trip: everything below is sent, then read in order.
      std::vector<std::string> statements;
      if (begin) statements.emplace_back("BEGIN");
      for (std::string& close : st.take_cursor_closes()) statements.push_back(std::move(close));
      if (PQenterPipelineMode(c) != 1) {
        throw connection_error("could not enter pipeline mode: " + detail::trimmed(PQerrorMessage(c)));
      }
      std::vector<result_ptr> results;
      try {
        for (const std::string& statement : statements) send(c, statement, 0, nullptr, nullptr, nullptr, nullptr, 0);
        send(c, declare, static_cast<int>(st.values.size()), st.types.data(), st.values.data(), st.lengths.data(),
             st.formats.data(), 0);
        statements.push_back(st.sql);  // errors name the user's statement, not pgwrap's DECLARE around it
        send(c, "FETCH FORWARD " + std::to_string(st.stream_batch_rows) + " FROM " + cursor->name, 0, nullptr,
             nullptr, nullptr, nullptr, format);
        statements.push_back(st.sql);  // errors of the FETCH are the query's
        if (PQpipelineSync(c) != 1) {
          throw connection_error("could not send a statement: " + detail::trimmed(PQerrorMessage(c)));
        }
        for (std::size_t i = 0; i < statements.size(); ++i) {
          results.emplace_back(PQgetResult(c));  // the statement's result (null: connection lost)
          if (!results.back()) break;
          while (PGresult* extra = PQgetResult(c)) PQclear(extra);  // then null, ending it
        }
        if (results.size() == statements.size()) {
          const result_ptr sync(PQgetResult(c));
          if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC && PQstatus(c) == CONNECTION_OK) {
            throw connection_error("pipeline out of step with the server: " + detail::trimmed(PQerrorMessage(c)));
          }
        }
      } catch (...) {
        PQexitPipelineMode(c);
        throw;
      }
      PQexitPipelineMode(c);
      // In order, so the first failure is the one reported; the rest were skipped.
      PGTransactionStatusType status = before;
      std::shared_ptr<const detail::result_data> first;
      for (std::size_t i = 0; i < statements.size(); ++i) {
        PGresult* raw = i < results.size() ? results[i].release() : nullptr;
        const bool skipped = raw != nullptr && PQresultStatus(raw) == PGRES_PIPELINE_ABORTED;
        if (skipped) {
          PQclear(raw);
          continue;
        }
        first = st.take(raw, statements[i], status);
        if (i == 0 && begin) status = PQTRANS_INTRANS;
      }
      if (!first) throw connection_error("no result from the server for the stream's query");
      st.cursors.push_back(cursor);
      source.note_batch(*first);
      source.fetch_ahead(st);
      return {detail::stream_handle(owned.release()), std::move(first)};
    }
  }
  // Not a statement a cursor runs: it runs as it is, its rows read from memory.
  return {nullptr, run(sql, args, chooser, literal).data()};
}

void database::set_stream_batch_size(std::size_t rows) {
  impl& st = state();
  if (rows == 0) throw usage_error("set_stream_batch_size(0): a stream needs at least one row per batch");
  st.stream_batch_rows = rows;
}

std::size_t database::stream_batch_size() const noexcept { return impl_ ? impl_->stream_batch_rows : 0; }

}  // namespace pgwrap
