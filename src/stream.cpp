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

#include "pgwrap/stream.hpp"
#include "session.hpp"
#include "stream_source.hpp"

namespace pgwrap {

namespace detail {

class cursor_source final : public stream_source {
 public:
  // Two FETCHes in flight: with one, the server finishes the next batch,
  // then idles until the loop has read this one and asked again (bench F2
  // ran about 15% slower that way).
  static constexpr std::size_t fetch_depth = 2;

  cursor_source(std::shared_ptr<database::impl::cursor> cursor, std::string query, const statement_summary& summary,
                int format, std::size_t batch_rows)
      : cursor_(std::move(cursor)),
        query_(std::move(query)),
        summary_(summary),
        fetch_("FETCH FORWARD " + std::to_string(batch_rows) + " FROM " + cursor_->name),
        format_(format),
        batch_rows_(batch_rows) {}

  ~cursor_source() override { cursor_->finished = true; }  // closed with the database's next statement
  cursor_source(const cursor_source&) = delete;
  cursor_source& operator=(const cursor_source&) = delete;

  [[nodiscard]] const std::string& fetch() const noexcept { return fetch_; }
  [[nodiscard]] int format() const noexcept { return format_; }

  /// Whether `batch` (just fetched) was the last one.
  void note_batch(const result_data& batch) noexcept {
    if (batch.rows() < batch_rows_) exhausted_ = true;
  }

  std::shared_ptr<const result_data> next() override {
    if (exhausted_) return nullptr;
    database::impl* st = cursor_->owner;
    if (st == nullptr || !st->conn.is_ok()) {
      exhausted_ = true;
      // Lost while a FETCH sent ahead was out (not closed: that forgets the
      // cursor): as for any statement, the transaction's work is gone.
      if (st != nullptr && !cursor_->hold) st->lost_in_transaction = true;
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
    detail::operation op(st->observing, operation_kind::stream_fetch);
    op.describe(query_, summary_);
    op.start();
    try {
      const PGTransactionStatusType before = cursor_->hold ? PQTRANS_IDLE : PQTRANS_INTRANS;
      engine::request_ptr r;
      if (cursor_->ahead.empty()) {
        r = st->conn.submit({command::query(fetch_.c_str(), {}, format_)});
      } else {
        r = std::move(cursor_->ahead.front());
        cursor_->ahead.pop_front();
      }
      st->conn.wait(*r);  // this FETCH, and anything sent before it
      auto batch = st->checked_result(database::impl::result_of(*r, 0), query_, before);
      note_batch(*batch);
      if (exhausted_) cursor_->ahead.clear();  // FETCHes past the end: nothing to read
      fetch_ahead(*st);
      op.succeeded(static_cast<std::int64_t>(batch->rows()));
      return batch;
    } catch (...) {
      exhausted_ = true;  // a failed FETCH leaves the cursor unusable
      op.failed();
      throw;
    }
  }

  /// Keeps `fetch_depth` FETCHes in flight, so the server fills the next
  /// batches while the loop reads this one and never waits for the client's
  /// next request. Not for held cursors: in autocommit mode the connection
  /// must look idle between batches.
  void fetch_ahead(database::impl& st) noexcept {
    if (exhausted_ || cursor_->hold) return;
    try {
      while (cursor_->ahead.size() < fetch_depth) {
        cursor_->ahead.push_back(st.conn.submit({command::query(fetch_.c_str(), {}, format_)}));
      }
    } catch (const connection_error&) {  // NOLINT(bugprone-empty-catch): the next batch is fetched when needed, and
                                         // fails then
    }
  }

 private:
  std::shared_ptr<database::impl::cursor> cursor_;
  std::string query_;          // the user's SQL, for errors and observers
  statement_summary summary_;  // a literal's, else incomplete (found from query_ when observed)
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

// Opening is one request: [BEGIN,] [CLOSE of finished cursors,] DECLARE and
// the first FETCH.
database::opened_stream database::open_stream(const detail::sql_ref& sql, std::span<const detail::arg_ref> args,
                                              binary_chooser chooser) {
  impl& st = state();
  {
    const call_scope scope(st);
    st.expand(sql.text, sql.checked, args);
    if (st.pipeline) throw usage_error("a statement while a pipeline runs on this database");
    const bool cursor_runs_it = detail::cursor_accepts(st.sql);
    // The first batch (with the DECLARE) is the stream's first operation.
    detail::operation op(st.observing, operation_kind::stream_fetch);
    op.describe(st.sql, sql.summary, st.params);
    try {
      if (cursor_runs_it) {
        op.start();  // before connecting: a lazy connect is part of the stream's first batch, as for run()
        st.connection();
      }
      const PGTransactionStatusType before = cursor_runs_it ? st.status() : PQTRANS_IDLE;
      const bool begin = !st.autocommit && before == PQTRANS_IDLE;
      const bool hold = st.autocommit && before == PQTRANS_IDLE;
      // Behind a transaction-pooling pgbouncer a held cursor would stay on a
      // server connection that other clients get next: such streams read at once.
      if (cursor_runs_it && !(hold && st.conn.behind_pooler())) {
        st.fill_parameters(st.params);
        if (st.late) st.write_late_parameters(st.sql, before);
        // Typed streams come in binary when the statement's columns allow it;
        // the cached prepared statement's description says what they are.
        int format = 0;
        if (chooser != nullptr && st.prepares() &&
            (st.params.size() <= detail::max_described_parameters || !detail::parameter_description_limited())) {
          const std::string key = engine::statement_cache::key(st.sql, st.types);
          const engine::prepared_statement* ps = st.conn.cache.find(key);
          if (ps == nullptr) {
            detail::observed(st.observing, operation_kind::prepare, st.sql, [&] {
              const std::string name = st.conn.cache.next_name();
              const command prepare[] = {command::prepare(name.c_str(), st.sql.c_str(), st.parameters()),
                                         command::describe(name.c_str())};
              const engine::request_ptr r = st.exchange(prepare);
              st.checked_result(impl::result_of(*r, 0), st.sql, before);
              auto description = st.checked_result(impl::result_of(*r, 1), st.sql, before);
              for (const std::string& evicted : st.conn.cache.add(key, {name, description})) {
                st.deallocate("DEALLOCATE " + evicted);
              }
            });
            ps = st.conn.cache.find(key);
          }
          format = chooser(*ps->description) ? 1 : 0;
        }
        auto cursor = std::make_shared<impl::cursor>(
            impl::cursor{&st, "pgwrap_cursor_" + std::to_string(++st.cursors_opened), hold, st.savepoints});
        const std::string declare =
            "DECLARE " + cursor->name + " NO SCROLL CURSOR " + (hold ? "WITH HOLD " : "") + "FOR " + st.sql;
        auto owned = std::make_unique<detail::cursor_source>(cursor, st.sql, sql.summary, format, st.stream_batch_rows);
        detail::cursor_source& source = *owned;

        std::vector<std::string> statements;
        if (begin) statements.emplace_back("BEGIN");
        for (std::string& close : st.take_cursor_closes()) statements.push_back(std::move(close));
        std::vector<command> commands;
        commands.reserve(statements.size() + 2);
        for (const std::string& statement : statements) commands.push_back(command::query(statement.c_str()));
        commands.push_back(command::query(declare.c_str(), st.parameters()));
        commands.push_back(command::query(source.fetch().c_str(), {}, format));
        op.sent();
        const engine::request_ptr r = st.exchange(commands);
        // Errors of the DECLARE and the FETCH name the user's statement, not pgwrap's text around it.
        statements.push_back(st.sql);
        statements.push_back(st.sql);
        // In order, so the first failure is the one reported; the rest were skipped.
        PGTransactionStatusType status = before;
        std::shared_ptr<const detail::result_data> first;
        for (std::size_t i = 0; i < statements.size(); ++i) {
          result_ptr res = impl::result_of(*r, i);
          if (res && PQresultStatus(res.get()) == PGRES_PIPELINE_ABORTED) continue;
          first = st.checked_result(std::move(res), statements[i], status);
          if (i == 0 && begin) status = PQTRANS_INTRANS;
        }
        if (!first) throw connection_error("no result from the server for the stream's query");
        st.cursors.push_back(cursor);
        source.note_batch(*first);
        source.fetch_ahead(st);
        op.succeeded(static_cast<std::int64_t>(first->rows()));
        return {detail::stream_handle(owned.release()), std::move(first)};
      }
      if (op.started()) {
        // Behind a pooler in autocommit mode: the statement runs at once, read
        // from memory, still as this one operation (not run()'s second one).
        st.fill_parameters(st.params);
        auto all = st.run_statement(chooser, op);
        op.succeeded(static_cast<std::int64_t>(all->rows()));
        return {nullptr, std::move(all)};
      }
    } catch (...) {
      op.failed();
      throw;
    }
  }
  // Not a statement a cursor runs: it runs as it is, its rows read from memory.
  return {nullptr, run(sql, operation_kind::stream_fetch, args, chooser).data()};
}

void database::set_stream_batch_size(std::size_t rows) {
  impl& st = state();
  const call_scope scope(st);  // one call at a time, as for every member
  if (rows == 0) throw usage_error("set_stream_batch_size(0): a stream needs at least one row per batch");
  st.stream_batch_rows = rows;
}

std::size_t database::stream_batch_size() const noexcept { return impl_ ? impl_->stream_batch_rows : 0; }

}  // namespace pgwrap
