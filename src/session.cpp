// database::impl: the session's rules on top of the engine (see session.hpp).

#include "session.hpp"

#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgwrap {

namespace detail {
namespace {
std::atomic<bool> parameter_description_limit_forced{false};
}  // namespace

// libpq refused ParameterDescription ('t') messages over 30,000 bytes until
// the fix of April 2026 (PostgreSQL's minor releases after it; 15.20 for 15).
// Only releases known to carry it are trusted.
bool parameter_description_limited() noexcept {
  if (parameter_description_limit_forced.load(std::memory_order_relaxed)) return true;
  static const bool limited = [] {
    const int version = PQlibVersion();  // e.g. 150020
    const int major = version / 10000;
    const int minor = version % 100;
    return major == 15 ? minor < 20 : major < 19;
  }();
  return limited;
}

void force_parameter_description_limit(bool on) noexcept {
  parameter_description_limit_forced.store(on, std::memory_order_relaxed);
}
}  // namespace detail

std::vector<std::string> database::impl::take_cursor_closes() {
  std::vector<std::string> closes;
  if (status() == PQTRANS_INERROR) return closes;  // CLOSE would fail; ROLLBACK drops them
  std::erase_if(cursors, [&](const std::shared_ptr<cursor>& c) {
    if (!c->finished) return false;
    closes.push_back("CLOSE " + c->name);
    return true;
  });
  return closes;
}

void database::impl::connection() {
  if (conn.is_open()) conn.drain();  // a stream's FETCH sent ahead: its batch goes to its cursor
  if (closed) throw usage_error("the database is closed; call connect() to open it again");
  if (copying) {
    throw usage_error(
        "a copy_out is still being read on this database: finish or leave its loop first "
        "(stream() allows statements inside the loop)");
  }
  if (conn.is_ok() && conn.transaction_status() == PQTRANS_IDLE) {
    // A server that closed an idle session (restart, failover, terminated
    // backend) has usually said so already: reading it now (non-blocking)
    // lets the reconnect below happen before anything is sent.
    conn.read_idle_input();
    if (conn.server_closing()) disconnect();  // it said goodbye: nothing sent now would be run
  }
  if (conn.is_open() && !conn.is_ok()) {
    if (lost_in_transaction) {
      throw connection_error(
          "the connection was lost during a transaction, whose work is gone; call rollback() "
          "to acknowledge it before running more statements");
    }
    disconnect();
  }
  if (!conn.is_open()) open();
}

std::shared_ptr<const detail::result_data> database::impl::checked_result(result_ptr res, std::string_view query,
                                                                          PGTransactionStatusType before) {
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (before != PQTRANS_IDLE && !cursors.empty() && this->status() == PQTRANS_IDLE) transaction_ended();
  if (status == PGRES_COMMAND_OK && (conn.cache.size() > 0 || !conn.types.empty() || !conn.statement_types.empty()) &&
      changes_schema(PQcmdStatus(res.get()))) {
    conn.forget_types();  // a type may have changed (ALTER TYPE ... ADD ATTRIBUTE) or gone
    if (conn.cache.size() > 0) forget_prepared();
  }
  if (res && status != PGRES_FATAL_ERROR && status != PGRES_NONFATAL_ERROR && status != PGRES_PIPELINE_ABORTED &&
      status != PGRES_BAD_RESPONSE) {
    // Columns of user types (composites, enums, hstore) take the catalog's
    // description with them; built-in columns cost one compare each here.
    std::shared_ptr<const detail::type_set> user_types;
    if (engine::type_catalog::needs_lookup(res.get()) && !pipeline) {
      user_types = conn.types.types_for(conn, res.get(), in_transaction_block(before));
    }
    // The connection broke right after this result, before its sync point: inside a
    // transaction block the work is gone with the session, so the next call must say so
    // rather than reconnect and run the rest of the transaction without its start.
    if (before != PQTRANS_IDLE && !conn.is_ok()) lost_in_transaction = true;
    return detail::accept_result(res.release(), query,
                                 std::move(user_types));  // rows, a count, or the usage_error of an empty query or COPY
  }
  if (!conn.is_ok()) {
    lost_in_transaction = before != PQTRANS_IDLE;
    throw connection_error("connection lost: " + conn.error_message());
  }
  if (!res) throw connection_error("no result from the server: " + conn.error_message());
  detail::throw_sql_error(res.get(), query);
}

std::shared_ptr<const detail::result_data> database::impl::run_own_statement(const char* statement) {
  connection();
  const PGTransactionStatusType before = status();
  const command c = command::query(statement);
  const engine::request_ptr r = exchange({&c, 1});
  return checked_result(result_of(*r, 0), statement, before);
}

std::shared_ptr<const detail::result_data> database::impl::run_own_statements(
    const std::vector<std::string>& statements, PGTransactionStatusType before) {
  if (statements.empty()) return nullptr;
  std::vector<command> commands;
  commands.reserve(statements.size());
  for (const std::string& s : statements) commands.push_back(command::query(s.c_str()));
  const engine::request_ptr r = exchange(commands);
  std::shared_ptr<const detail::result_data> last;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    last = checked_result(result_of(*r, i), statements[i], before);
    if (statements[i] == "BEGIN") before = PQTRANS_INTRANS;
  }
  return last;
}

bool database::impl::prelude(std::vector<std::string>& out, PGTransactionStatusType before) {
  out = take_cursor_closes();
  const bool begin = !autocommit && before == PQTRANS_IDLE;
  if (begin) out.emplace_back("BEGIN");
  return begin;
}

void database::impl::deallocate(const std::string& statement) noexcept {
  try {
    if (!conn.is_ok()) return;
    conn.drain();
    const command c = command::query(statement.c_str());
    exchange({&c, 1});  // its result does not matter (see above)
  } catch (...) {       // NOLINT(bugprone-empty-catch): lost now; the next call reports it
  }
}

namespace {
bool stale_plan(const PGresult* res) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr && std::string_view(state) == "0A000";  // feature_not_supported: the plan changed
}
}  // namespace

// One round trip for most statements: [CLOSE ...,] [BEGIN,] then the
// statement itself, either with its parameters (PQsendQueryParams) or as a
// cached prepared statement. A statement prepared for the first time goes in
// the same request (Parse, Describe, Execute) unless its rows' format
// depends on the description (typed reads): that takes a second one.
std::shared_ptr<const detail::result_data> database::impl::run_statement(binary_chooser chooser,
                                                                         detail::operation& op) {
  const PGTransactionStatusType before = status();
  if (late) write_late_parameters(sql, before);
  std::string& key = statement_key;
  key.clear();
  // A typed read is prepared and described at once (its rows may then come in
  // binary); other statements once they have run often enough to be worth it.
  // Where libpq cannot take the description of a statement with this many
  // parameters, it runs unprepared, its rows in text.
  const bool describable =
      params.size() <= detail::max_described_parameters || !detail::parameter_description_limited();
  if (prepares() && describable) {
    engine::statement_cache::key_into(key, sql, types);
    if (!(chooser != nullptr || conn.cache.contains(key) || conn.cache.note_use(key))) key.clear();
  }
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> texts;
    const bool begin = prelude(texts, before);
    const PGTransactionStatusType statement_before = begin ? PQTRANS_INTRANS : before;
    std::vector<command>& commands = statement_commands;
    commands.clear();
    for (const std::string& t : texts) commands.push_back(command::query(t.c_str()));
    const std::size_t own = commands.size();  // what comes after is about the user's statement

    const engine::prepared_statement* ps = key.empty() ? nullptr : conn.cache.find(key);
    op.set_prepared(!key.empty(), ps != nullptr);
    std::string name;
    if (key.empty()) {
      commands.push_back(command::query(sql.c_str(), parameters()));
    } else if (ps != nullptr) {
      const int format = chooser != nullptr && chooser(*ps->description) ? 1 : 0;
      commands.push_back(command::execute(ps->name.c_str(), parameters(), format));
    } else {
      name = conn.cache.next_name();
      commands.push_back(command::prepare(name.c_str(), sql.c_str(), parameters()));
      commands.push_back(command::describe(name.c_str()));
      if (chooser == nullptr) commands.push_back(command::execute(name.c_str(), parameters(), 0));
    }
    // A typed read's first use prepares in a round trip of its own: observers see it as one.
    std::optional<detail::operation> preparing;
    if (chooser != nullptr && !name.empty() && op.active()) {
      preparing.emplace(observing, operation_kind::prepare);
      preparing->describe(sql, op.summary());
      preparing->start();
    }
    op.sent();
    engine::request_ptr r = exchange(commands);
    for (std::size_t i = 0; i < own; ++i)
      checked_result(result_of(*r, i), commands[i].text, i == 0 ? before : statement_before);
    if (!name.empty()) {  // newly prepared: keep it (and deallocate what it pushes out)
      std::shared_ptr<const detail::result_data> description;
      try {
        checked_result(result_of(*r, own), sql, statement_before);
        description = checked_result(result_of(*r, own + 1), sql, statement_before);
      } catch (...) {
        if (preparing) preparing->failed();
        throw;
      }
      if (preparing) preparing->succeeded(-1);  // rows: none of its own
      for (const std::string& evicted : conn.cache.add(key, {name, description})) deallocate("DEALLOCATE " + evicted);
      if (chooser != nullptr) {
        const int format = chooser(*description) ? 1 : 0;
        const command execute = command::execute(name.c_str(), parameters(), format);
        r = exchange({&execute, 1});
        return checked_result(result_of(*r, 0), sql, statement_before);
      }
      return checked_result(result_of(*r, own + 2), sql, statement_before);
    }
    result_ptr res = result_of(*r, own);
    if (ps == nullptr || attempt > 0 || !stale_plan(res.get()))
      return checked_result(std::move(res), sql, statement_before);
    // The server says the cached statement's result type changed: prepare it
    // again, once, if nothing else in this transaction would be lost.
    deallocate("DEALLOCATE " + conn.cache.erase(key));
    if (before != PQTRANS_IDLE)
      return checked_result(std::move(res), sql, statement_before);  // earlier work: it must surface
    if (begin) run_own_statement("ROLLBACK");  // only this call's BEGIN is in the aborted transaction
  }
}

// The statement is described on its own first (the unnamed statement, which
// the statement itself then replaces), outside the implicit BEGIN: nothing
// in it runs. A statement libpq cannot describe keeps declaration order.
// In a pipeline (executemany) this is a request of its own between the
// run's statements, inside the run's transaction; it happens once per
// statement, before its first row is sent.
void database::impl::write_late_parameters(const std::string& statement, PGTransactionStatusType before) {
  if (filled.size() > detail::max_described_parameters && detail::parameter_description_limited()) return;
  const std::string key = engine::statement_cache::key(statement, types);
  const std::vector<Oid>* described = conn.statement_types.find(key);
  if (described == nullptr) {
    const std::vector<command> commands = engine::parameter_types::describe(statement.c_str(), parameters());
    const engine::request_ptr r = exchange(commands);
    result_ptr parsed = result_of(*r, 0);
    result_ptr description = result_of(*r, 1);
    for (result_ptr* res : {&parsed, &description}) {
      if (*res && PQresultStatus(res->get()) == PGRES_COMMAND_OK) continue;
      // In a pipeline an earlier statement failed: its error is the one the run reports.
      if (pipeline && *res && PQresultStatus(res->get()) == PGRES_PIPELINE_ABORTED) return;
      checked_result(std::move(*res), statement, before);  // throws what the server said
      throw connection_error("could not describe the statement: " + conn.error_message());
    }
    described = &conn.statement_types.add(key, description.get());
  }
  const std::vector<std::uint32_t> wanted = engine::late_types(filled, *described);
  if (wanted.empty()) return;  // no parameter of a user type: nothing to place by name
  const std::shared_ptr<const detail::type_set> known = conn.types.types_for(conn, wanted, before != PQTRANS_IDLE);
  if (known) engine::write_late(filled, *described, *known, late_texts, values);
}

void database::impl::commit() {
  if (conn.is_open()) conn.drain();  // the transaction's state is known only once a FETCH in flight has finished
  if (lost_in_transaction) {
    throw connection_error(
        "commit failed: the connection was lost during the transaction and its work is gone; "
        "call rollback() to acknowledge it");
  }
  switch (status()) {
    case PQTRANS_IDLE: return;
    case PQTRANS_INERROR:
      run_own_statement("ROLLBACK");
      throw_aborted_commit("commit failed: the transaction was aborted by an earlier error and has been rolled back");
    default: break;
  }
  try {
    run_own_statement("COMMIT");
    forget_loss_after_end();
  } catch (const connection_error& e) {
    // COMMIT may or may not have reached the server: say so, rather than "the work is gone".
    lost_in_transaction = false;
    disconnect();
    throw commit_outcome_unknown(std::string("the connection was lost while committing; the transaction "
                                             "may or may not have been committed (") +
                                 e.what() + ")");
  }
}

// COMMIT or ROLLBACK was answered, so nothing is left of the transaction to
// lose: a connection that broke right after is closed, and the next call
// reconnects.
void database::impl::forget_loss_after_end() noexcept {
  if (conn.is_ok()) return;
  lost_in_transaction = false;
  disconnect();
}

void database::impl::rollback() {
  if (conn.is_open()) conn.drain();
  if (!lost_in_transaction && status() != PQTRANS_IDLE) {
    try {
      run_own_statement("ROLLBACK");
      forget_loss_after_end();
      return;
    } catch (const connection_error&) {  // lost just now, unnoticed until ROLLBACK: the work is gone either way
    }
  }
  if (lost_in_transaction || (conn.is_open() && !conn.is_ok())) {
    lost_in_transaction = false;  // acknowledged
    disconnect();                 // reconnect on next use
  }
}

}  // namespace pgwrap
