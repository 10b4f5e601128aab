// executemany() and execute_batch(): one open engine request whose
// statements are sent as they come and whose results are read while sending,
// so neither side's buffers fill up; one sync point ends the run.
//
// All or nothing: the run is wrapped in BEGIN/COMMIT in autocommit mode and
// in a savepoint inside a transaction, so a run abandoned half-way (an
// argument that cannot be encoded, an exception) is undone, and a server
// error leaves nothing of the run behind.

#include <algorithm>
#include <charconv>
#include <deque>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "session.hpp"

namespace pgwrap {

namespace {
constexpr std::size_t internal = static_cast<std::size_t>(-1);  // a statement of pgwrap's own

// The state of one executemany() / execute_batch() run.
struct pipeline_state {
  static constexpr std::size_t max_in_flight = 256;  // statements sent but not yet read

  explicit pipeline_state(std::vector<result>* into) : results(into) {
    request->on_result = [this](std::size_t, result_ptr res) { receive(std::move(res)); };
  }
  ~pipeline_state() { request->on_result = nullptr; }  // results still in flight have nowhere to go
  pipeline_state(const pipeline_state&) = delete;
  pipeline_state& operator=(const pipeline_state&) = delete;

  engine::request_ptr request = engine::connection::open_request();
  bool synced = false;
  bool own_transaction = false;  // BEGIN was ours: COMMIT or ROLLBACK is too
  std::string savepoint;         // inside the user's transaction
  struct sent {
    std::size_t index;  // among the user's statements, or internal
    std::size_t sql;    // into `texts`
  };
  std::deque<sent> pending;                       // in the order their results come
  std::vector<std::string> texts{std::string()};  // the SQL of what was sent, for results and errors
  std::size_t user_statements = 0;
  bool prepared = false;     // the unnamed statement holds the run's current statement
  std::string prepared_sql;  // and what it holds
  std::vector<Oid> prepared_types;
  result_ptr error;  // the first failure
  std::size_t error_index = sql_error::no_index;
  std::string error_sql;
  std::exception_ptr failure;  // keeping a result failed (out of memory)
  std::int64_t affected = 0;
  std::vector<result>* results;
  struct kept {
    result_ptr rows;
    std::size_t sql;  // into `texts`
  };
  std::vector<kept> received;  // for `results`: made into results once the run is over and its types known

  // Each result as it arrives (called by the engine, so it must not throw).
  void receive(result_ptr res) noexcept {
    if (pending.empty()) return;
    const sent s = pending.front();
    pending.pop_front();
    const ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_FATAL_ERROR) {
      if (!error) {
        error = std::move(res);
        error_index = s.index;
        error_sql = texts[s.sql];
      }
    } else if ((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) && s.index != internal) {
      const std::string_view count = PQcmdTuples(res.get());
      std::int64_t n = 0;
      std::from_chars(count.data(), count.data() + count.size(), n);
      affected += n;
      try {
        if (results) received.push_back({std::move(res), s.sql});
      } catch (...) {
        if (!failure) failure = std::current_exception();
      }
    }
  }
};
}  // namespace

/// One pipelined run. It holds the database's call scope from start to end;
/// a run that does not finish is undone.
class database::pipeline_run {
 public:
  /// `results`, when not null, receives every statement's result, in order.
  pipeline_run(impl& st, std::vector<result>* results, std::size_t expected_statements);
  ~pipeline_run();
  pipeline_run(const pipeline_run&) = delete;
  pipeline_run& operator=(const pipeline_run&) = delete;
  void send(const detail::sql_ref& sql, std::span<const detail::arg_ref> args);
  void send(const std::string& sql, std::span<const param_ref> params);
  /// Waits for every result; returns the rows affected; throws the first error.
  std::int64_t finish();
  /// Observers see the run as one operation; it starts with the first
  /// statement (or at finish() when there is none).
  detail::operation op;
  void start_observing(std::string_view sql, const detail::statement_summary& summary,
                       std::span<const param_ref> params = {});

 private:
  void begin(std::vector<result>* results);
  void send_internal(const std::string& statement);
  void check_connection();
  void abandon() noexcept;
  void keep_results(pipeline_state& done);
  impl& st_;
  bool entered_ = false;                   // holds the database's call scope for the whole run
  std::unique_ptr<pipeline_state> state_;  // null once finished or abandoned
};

void database::run_deleter::operator()(pipeline_run* run) const noexcept { delete run; }

database::run_handle<database::pipeline_run> database::start_pipeline(std::vector<result>* results,
                                                                      std::size_t expected_statements) {
  return run_handle<pipeline_run>(new pipeline_run(state(), results, expected_statements));
}

void database::pipeline_send(pipeline_run& run, const detail::sql_ref& sql, std::span<const detail::arg_ref> args) {
  run.send(sql, args);
}

std::int64_t database::pipeline_finish(pipeline_run& run) {
  if (!run.op.started()) run.start_observing({}, {});
  const std::int64_t affected = run.finish();
  run.op.succeeded(affected);
  return affected;
}

void database::pipeline_failed(pipeline_run& run) noexcept { run.op.failed(); }

database::pipeline_run::pipeline_run(impl& st, std::vector<result>* results, std::size_t expected_statements)
    : op(st.observing, operation_kind::batch), st_(st) {
  op.set_batch_size(expected_statements);
  st_.enter();
  entered_ = true;
  try {
    begin(results);
  } catch (...) {
    // Not started yet (it starts with the first statement): the call still
    // shows as one operation, failed, after the connect that failed it.
    try {
      if (!op.started()) start_observing({}, {});
    } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory describing it: the original exception goes on
    }
    op.failed();
    if (state_) {
      state_.reset();
      st_.pipeline = false;
    }
    st_.leave();
    throw;
  }
}

void database::pipeline_run::begin(std::vector<result>* results) {
  if (st_.pipeline) throw usage_error("a pipeline is already running on this database");
  st_.connection();
  if (st_.status() == PQTRANS_INERROR) {
    throw usage_error("the current transaction is aborted; rollback() before running a batch");
  }
  const PGTransactionStatusType before = st_.status();
  state_ = std::make_unique<pipeline_state>(results);  // results are read while statements are still sent
  st_.pipeline = true;
  pipeline_state& p = *state_;
  for (const std::string& close : st_.take_cursor_closes()) send_internal(close);
  if (before == PQTRANS_IDLE) {
    send_internal("BEGIN");
    p.own_transaction = st_.autocommit;  // otherwise it is psycopg2's implicit transaction, kept open
  }
  if (!p.own_transaction) {
    p.savepoint = "pgwrap_batch_" + std::to_string(++st_.savepoints);
    send_internal("SAVEPOINT " + p.savepoint);
  }
}

database::pipeline_run::~pipeline_run() {
  if (state_) abandon();  // unfinished, or finish() failed half-way
  if (entered_) st_.leave();
}

void database::pipeline_run::send(const detail::sql_ref& sql, std::span<const detail::arg_ref> args) {
  st_.expand(sql.text, sql.checked, args);
  const std::string expanded = std::move(st_.sql);
  if (!op.started()) start_observing(expanded, sql.summary, st_.params);
  send(expanded, st_.params);
  st_.sql = expanded;  // keep the buffer's capacity for the next row
}

void database::pipeline_run::start_observing(std::string_view sql, const detail::statement_summary& summary,
                                             std::span<const param_ref> params) {
  op.describe(sql, summary, params);
  op.start();
  op.sent();  // BEGIN went already; the statements leave as they come
}

void database::pipeline_run::send(const std::string& sql, std::span<const param_ref> params) {
  pipeline_state& p = *state_;
  st_.fill_parameters(params);
  if (st_.late) st_.write_late_parameters(sql, PQTRANS_INTRANS);  // the run's BEGIN or SAVEPOINT went first
  // Prepared once per distinct statement: every row after the first is only Bind/Execute.
  if (!p.prepared || sql != p.prepared_sql || st_.types != p.prepared_types) {
    // The unnamed statement: the next one replaces it, and nothing is left on the server
    // (a named one whose DEALLOCATE an error skipped would stay, and behind pgbouncer clash
    // with another client's statement of that name).
    p.prepared = true;
    st_.conn.send(p.request, command::prepare("", sql.c_str(), st_.parameters()));
    p.pending.push_back({internal, 0});
    p.prepared_sql = sql;
    p.prepared_types = st_.types;
    p.texts.push_back(sql);
  }
  st_.conn.send(p.request, command::execute("", st_.parameters(), 0));
  p.pending.push_back({p.user_statements++, p.texts.size() - 1});
  if (p.pending.size() >= pipeline_state::max_in_flight) {
    // Ask the server to send what it has, and read half of it back.
    st_.conn.flush_request();
    st_.conn.wait_for(*p.request, p.request->sent() - pipeline_state::max_in_flight / 2);
    check_connection();
  }
}

void database::pipeline_run::send_internal(const std::string& statement) {
  pipeline_state& p = *state_;
  st_.conn.send(p.request, command::query(statement.c_str()));
  p.pending.push_back({internal, 0});
}

void database::pipeline_run::check_connection() {
  if (st_.conn.is_ok() && !state_->request->lost()) return;
  st_.lost_in_transaction = true;
  throw connection_error("connection lost during a pipeline: " + st_.conn.error_message());
}

std::int64_t database::pipeline_run::finish() {
  pipeline_state& p = *state_;
  send_internal(p.own_transaction ? std::string("COMMIT") : "RELEASE SAVEPOINT " + p.savepoint);
  p.synced = true;
  st_.conn.sync(p.request);
  st_.conn.wait(*p.request);
  check_connection();
  const std::unique_ptr<pipeline_state> done = std::move(state_);
  st_.pipeline = false;
  op.set_batch_size(done->user_statements);
  if (done->failure) std::rethrow_exception(done->failure);
  if (!done->error) {
    keep_results(*done);
    return done->affected;
  }
  if (done->own_transaction) st_.run_own_statement("ROLLBACK");  // our BEGIN's transaction is aborted: end it
  detail::throw_sql_error(done->error.get(), done->error_sql,
                          done->error_index == internal ? sql_error::no_index : done->error_index);
}

// The results of a run that succeeded, with the user types their columns
// need, looked up once for the whole run now that it is over (inside the
// user's transaction when there is one, as for any statement).
void database::pipeline_run::keep_results(pipeline_state& done) {
  if (done.results == nullptr) return;
  std::vector<std::uint32_t> oids;
  for (const auto& k : done.received) {
    if (!engine::type_catalog::needs_lookup(k.rows.get())) continue;
    for (const std::uint32_t oid : engine::type_catalog::column_types(k.rows.get())) oids.push_back(oid);
  }
  std::shared_ptr<const detail::type_set> types;
  if (!oids.empty()) types = st_.conn.types.types_for(st_.conn, oids, st_.in_transaction_block(PQTRANS_IDLE));
  for (auto& k : done.received) {
    const bool typed = engine::type_catalog::needs_lookup(k.rows.get());
    done.results->emplace_back(
        std::make_shared<const detail::result_data>(k.rows.release(), done.texts[k.sql], typed ? types : nullptr));
  }
}

// Undoes a run that will not finish; never throws.
void database::pipeline_run::abandon() noexcept {
  const std::unique_ptr<pipeline_state> p = std::move(state_);
  st_.pipeline = false;
  try {
    if (st_.conn.is_ok() && !p->synced) {
      if (p->own_transaction) {
        st_.conn.send(p->request, command::query("ROLLBACK"));
      } else {
        const std::string to = "ROLLBACK TO SAVEPOINT " + p->savepoint;
        const std::string release = "RELEASE SAVEPOINT " + p->savepoint;
        st_.conn.send(p->request, command::query(to.c_str()));
        st_.conn.send(p->request, command::query(release.c_str()));
      }
      p->synced = true;
      st_.conn.sync(p->request);
      st_.conn.wait(*p->request);
    }
  } catch (...) {  // NOLINT(bugprone-empty-catch): the original exception is the one to report
  }
  // After a server error the pipelined ROLLBACK was skipped: end our transaction now.
  try {
    if (p->own_transaction && st_.status() != PQTRANS_IDLE) st_.run_own_statement("ROLLBACK");
  } catch (...) {  // NOLINT(bugprone-empty-catch): as above
  }
}

std::vector<result> database::execute_batch(const batch& statements) {
  std::vector<result> results;
  results.reserve(statements.size());
  pipeline_run run(state(), &results, statements.size());
  try {
    if (run.op.active()) {
      // One text for the batch (as OpenTelemetry asks): the statement's, or all of them joined by "; ".
      const auto& list = statements.statements();
      const bool same = std::all_of(list.begin(), list.end(), [&](const auto& s) { return s.sql == list.front().sql; });
      std::string texts;
      for (const auto& s : list) {
        if (same && !texts.empty()) break;
        texts += (texts.empty() ? "" : "; ") + s.sql;
      }
      run.start_observing(texts, same ? detail::statement_summary{} : detail::statement_summary{"BATCH", {}, true});
    }
    for (const auto& s : statements.statements()) {
      std::vector<param_ref> refs;
      refs.reserve(s.params.size());
      for (const param& prm : s.params) refs.push_back(prm.ref());
      run.send(s.sql, refs);
    }
    pipeline_finish(run);
  } catch (...) {
    pipeline_failed(run);
    throw;
  }
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

}  // namespace pgwrap
