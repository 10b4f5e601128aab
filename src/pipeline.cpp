// executemany() and execute_batch(): statements sent in libpq's pipeline
// mode, results read in batches so neither side's buffers fill up.
//
// All or nothing: the run is wrapped in BEGIN/COMMIT in autocommit mode and
// in a savepoint inside a transaction, so a run abandoned half-way (an
// argument that cannot be encoded, an exception) is undone, and a server
// error leaves nothing of the run behind.

#include <charconv>
#include <deque>
#include <string>
#include <utility>

#include "database_impl.hpp"

namespace pgwrap {

namespace {
constexpr std::size_t max_in_flight = 256;  // statements sent but not yet read
constexpr std::size_t internal = static_cast<std::size_t>(-1);  // as pipeline_state::internal
}  // namespace

database::pipeline_run::pipeline_run(database& db, std::vector<result>* results) : st_(db.state()) {
  st_.enter();
  entered_ = true;
  try {
    begin(results);
  } catch (...) {
    st_.leave();
    throw;
  }
}

void database::pipeline_run::begin(std::vector<result>* results) {
  PGconn* c = st_.connection();
  if (st_.pipeline) throw usage_error("a pipeline is already running on this database");
  if (st_.status() == PQTRANS_INERROR) {
    throw usage_error("the current transaction is aborted; rollback() before running a batch");
  }
  if (PQenterPipelineMode(c) != 1) throw connection_error("could not enter pipeline mode: " + trimmed(PQerrorMessage(c)));
  st_.pipeline = std::make_unique<impl::pipeline_state>();
  impl::pipeline_state& p = *st_.pipeline;
  p.results = results;  // from the start: results are read while statements are still being sent
  for (const std::string& close : st_.take_cursor_closes()) st_.send_internal(close.c_str());
  if (st_.status() == PQTRANS_IDLE) {
    st_.send_internal("BEGIN");
    p.own_transaction = st_.autocommit;  // otherwise it is psycopg2's implicit transaction, kept open
  }
  if (!p.own_transaction) {
    p.savepoint = "pgwrap_batch_" + std::to_string(++st_.savepoints);
    st_.send_internal(("SAVEPOINT " + p.savepoint).c_str());
  }
}

database::pipeline_run::~pipeline_run() {
  if (st_.pipeline) st_.abandon_pipeline();  // unfinished, or finish() failed half-way
  if (entered_) st_.leave();
}

void database::pipeline_run::send(std::string_view sql, std::span<const detail::arg_ref> args, bool literal) {
  st_.expand(sql, literal, args);
  const std::string expanded = std::move(st_.sql);
  send(expanded, st_.params);
  st_.sql = expanded;  // keep the buffer's capacity for the next row
}

void database::pipeline_run::send(const std::string& sql, std::span<const param_ref> params) {
  impl::pipeline_state& p = *st_.pipeline;
  st_.fill_parameters(params);
  // Prepared once per distinct statement: every row after the first is only Bind/Execute.
  if (!p.prepared || sql != p.prepared_sql || st_.types != p.prepared_types) {
    // The unnamed statement: the next one replaces it, and nothing is left on the server
    // (a named one whose DEALLOCATE an error skipped would stay, and behind pgbouncer clash
    // with another client's statement of that name).
    p.prepared = true;
    if (PQsendPrepare(st_.conn, "", sql.c_str(), static_cast<int>(st_.types.size()),
                      st_.types.data()) != 1) {
      throw connection_error("could not send a statement: " + trimmed(PQerrorMessage(st_.conn)));
    }
    p.pending.push_back({internal, 0});
    p.prepared_sql = sql;
    p.prepared_types = st_.types;
    p.texts.push_back(sql);
  }
  if (PQsendQueryPrepared(st_.conn, "", static_cast<int>(st_.values.size()), st_.values.data(),
                          st_.lengths.data(), st_.formats.data(), 0) != 1) {
    throw connection_error("could not send a statement: " + trimmed(PQerrorMessage(st_.conn)));
  }
  p.pending.push_back({p.user_statements++, p.texts.size() - 1});
  ++sent_;
  if (p.pending.size() >= max_in_flight) {
    // Ask the server to send what it has, and read half of it back.
    PQsendFlushRequest(st_.conn);
    while (p.pending.size() > max_in_flight / 2) st_.read_pipeline_statement();
  }
}

std::int64_t database::pipeline_run::finish() {
  impl::pipeline_state& p = *st_.pipeline;
  if (p.own_transaction) {
    st_.send_internal("COMMIT");
  } else {
    st_.send_internal(("RELEASE SAVEPOINT " + p.savepoint).c_str());
  }
  finished_ = true;
  const std::int64_t affected = st_.end_pipeline();  // throws the first error, if any; ends `p`
  received_ = sent_;
  return affected;
}

std::vector<result> database::execute_batch(const batch& statements) {
  std::vector<result> results;
  results.reserve(statements.size());
  pipeline_run run(*this, &results);
  for (const auto& s : statements.statements()) {
    std::vector<param_ref> refs;
    refs.reserve(s.params.size());
    for (const param& prm : s.params) refs.push_back(prm.ref());
    run.send(s.sql, refs);
  }
  run.finish();
  return results;
}

void batch::append(std::string_view sql, std::span<const detail::arg_ref> args) {
  statement s;
  std::vector<param_ref> refs;
  detail::expand_sql(sql, args, s.sql, refs);
  s.params.reserve(refs.size());
  for (const param_ref& r : refs) s.params.push_back(param::copy_of(r));
  statements_.push_back(std::move(s));
}

// --- impl's side ---

void database::impl::fill_parameters(std::span<const param_ref> list) {
  values.clear();
  types.clear();
  lengths.clear();
  formats.clear();
  for (const param_ref& p : list) {
    values.push_back(p.data);
    types.push_back(p.oid);
    lengths.push_back(p.length);
    formats.push_back(static_cast<int>(p.format));
  }
}

void database::impl::send_internal(const char* statement) {
  if (PQsendQueryParams(conn, statement, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
    throw connection_error("could not send a statement: " + trimmed(PQerrorMessage(conn)));
  }
  pipeline->pending.push_back({internal, 0});
}

// Reads the results of the oldest statement in flight.
void database::impl::read_pipeline_statement() {
  pipeline_state& p = *pipeline;
  const auto [index, text] = p.pending.front();
  p.pending.pop_front();
  while (PGresult* raw = PQgetResult(conn)) {
    result_ptr res(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_FATAL_ERROR) {
      if (PQstatus(conn) == CONNECTION_BAD) {
        lost_in_transaction = true;
        throw connection_error("connection lost during a pipeline: " + trimmed(PQerrorMessage(conn)));
      }
      if (!p.error) {
        p.error = std::move(res);
        p.error_index = index;
        p.error_sql = p.texts[text];
      }
    } else if ((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) && index != internal) {
      const std::string_view count = PQcmdTuples(raw);
      std::int64_t n = 0;
      std::from_chars(count.data(), count.data() + count.size(), n);
      p.affected += n;
      if (p.results) p.results->emplace_back(std::make_shared<const detail::result_data>(res.release(), p.texts[text]));
    }
  }
  if (PQstatus(conn) == CONNECTION_BAD) {
    lost_in_transaction = true;
    throw connection_error("connection lost during a pipeline: " + trimmed(PQerrorMessage(conn)));
  }
}

// Syncs, reads everything, leaves pipeline mode, and reports the first error;
// returns the rows the run affected.
std::int64_t database::impl::end_pipeline() {
  if (PQpipelineSync(conn) != 1) throw connection_error("could not sync a pipeline: " + trimmed(PQerrorMessage(conn)));
  while (!pipeline->pending.empty()) read_pipeline_statement();
  result_ptr sync(PQgetResult(conn));
  if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    throw connection_error("pipeline out of step with the server: " + trimmed(PQerrorMessage(conn)));
  }
  PQexitPipelineMode(conn);
  std::unique_ptr<pipeline_state> p = std::move(pipeline);
  if (!p->error) return p->affected;
  if (p->own_transaction) control("ROLLBACK");  // our BEGIN's transaction is aborted: end it
  detail::throw_sql_error(p->error.get(), p->error_sql, p->error_index == internal ? sql_error::no_index : p->error_index);
}

// Undoes a run that will not finish; never throws.
void database::impl::abandon_pipeline() noexcept {
  const bool own_transaction = pipeline->own_transaction;
  try {
    if (PQstatus(conn) == CONNECTION_OK) {
      if (pipeline->own_transaction) {
        send_internal("ROLLBACK");
      } else {
        send_internal(("ROLLBACK TO SAVEPOINT " + pipeline->savepoint).c_str());
        send_internal(("RELEASE SAVEPOINT " + pipeline->savepoint).c_str());
      }
      pipeline->error.reset();
      pipeline->own_transaction = false;  // the ROLLBACK above is already on its way
      end_pipeline();
    }
  } catch (...) {  // NOLINT(bugprone-empty-catch): the original exception is the one to report
  }
  if (pipeline) {
    PQexitPipelineMode(conn);
    pipeline.reset();
  }
  // After a server error the pipelined ROLLBACK was skipped: end our transaction now.
  try {
    if (own_transaction && status() != PQTRANS_IDLE) control("ROLLBACK");
  } catch (...) {  // NOLINT(bugprone-empty-catch): as above
  }
}

}  // namespace pgwrap
