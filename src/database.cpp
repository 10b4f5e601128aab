// database: the connection, psycopg2-style implicit transactions, and the
// transaction guard. Statements go through PQexecParams, so values only ever
// travel as parameters.

#include <array>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal.hpp"
#include "pgwrap/database.hpp"
#include "pgwrap/transaction.hpp"

namespace pgwrap {

namespace {
struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

[[noreturn]] void throw_aborted_commit(const char* message) {
  sql_error::info i;
  i.sqlstate = "25P02";  // in_failed_sql_transaction, as the server says for such a statement
  i.message = message;
  i.query = "COMMIT";
  throw sql_error(std::move(i));
}
}  // namespace

struct database::impl {
  std::optional<std::string> conninfo;  // nullopt: DATABASE_URL or libpq's defaults
  PGconn* conn = nullptr;
  bool closed = false;
  bool autocommit = false;
  bool lost_in_transaction = false;  // the connection broke with work uncommitted
  std::size_t guard_depth = 0;       // active pgwrap::transaction guards
  std::size_t savepoints = 0;        // for unique savepoint names
  std::function<void(std::string_view)> notice_handler;
  // Reused per call, so a query allocates nothing here once warm.
  std::string sql;
  std::vector<param_ref> params;
  std::vector<const char*> values;
  std::vector<Oid> types;

  ~impl() { disconnect(); }

  void disconnect() noexcept {
    if (conn) PQfinish(conn);  // the server rolls back whatever was uncommitted
    conn = nullptr;
  }

  [[nodiscard]] std::string effective_conninfo() const {
    if (conninfo) return *conninfo;
    const char* url = std::getenv("DATABASE_URL");
    return url ? url : "";
  }

  void open() {
    const std::string info = effective_conninfo();
    // The user's conninfo is expanded last, so what it says wins.
    const char* const keys[] = {"fallback_application_name", "client_encoding", "dbname", nullptr};
    const char* const vals[] = {"pgwrap", "UTF8", info.c_str(), nullptr};
    PGconn* c = PQconnectdbParams(keys, vals, 1);
    if (c == nullptr) throw connection_error("could not connect: out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
      std::string message = detail::redact_password(trimmed(PQerrorMessage(c)), info);
      PQfinish(c);
      throw connection_error("could not connect: " + message);
    }
    PQsetNoticeProcessor(c, &impl::forward_notice, this);  // impl never moves: it lives on the heap
    conn = c;
    lost_in_transaction = false;
  }

  static void forward_notice(void* self, const char* message) {
    const auto& handler = static_cast<impl*>(self)->notice_handler;
    if (!handler) return;
    std::string_view text(message);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    handler(text);
  }

  /// The open connection; connects first when needed (lazily, or again after
  /// a connection lost outside a transaction, when nothing can be lost).
  PGconn* connection() {
    if (closed) throw usage_error("the database is closed; call connect() to open it again");
    if (conn && PQstatus(conn) == CONNECTION_BAD) {
      if (lost_in_transaction) {
        throw connection_error(
            "the connection was lost during a transaction, whose work is gone; call rollback() "
            "to acknowledge it before running more statements");
      }
      disconnect();
    }
    if (!conn) open();
    return conn;
  }

  /// Takes a finished statement's result; throws what the server reported.
  std::shared_ptr<const detail::result_data> take(PGresult* raw, std::string_view query,
                                                  PGTransactionStatusType before) {
    result_ptr res(raw);
    const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    switch (status) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
        return std::make_shared<const detail::result_data>(res.release(), std::string(query));
      case PGRES_EMPTY_QUERY: throw usage_error("empty query: the SQL has no statement");
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        res.reset();
        abandon_copy(status);
        throw usage_error("COPY FROM STDIN / TO STDOUT cannot run as a query; it was cancelled");
      default: break;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
      lost_in_transaction = before != PQTRANS_IDLE;
      throw connection_error("connection lost: " + trimmed(PQerrorMessage(conn)));
    }
    if (!res) throw connection_error("no result from the server: " + trimmed(PQerrorMessage(conn)));
    detail::throw_sql_error(res.get(), query);
  }

  // Ends a COPY the caller did not ask to handle, leaving the connection usable.
  void abandon_copy(ExecStatusType status) {
    if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
      PQputCopyEnd(conn, "COPY is not supported through query()");
    }
    if (status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      char* buffer = nullptr;
      while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
    }
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
  }

  /// Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT, ...).
  std::shared_ptr<const detail::result_data> control(const char* statement) {
    PGconn* c = connection();
    const PGTransactionStatusType before = PQtransactionStatus(c);
    return take(PQexec(c, statement), statement, before);
  }

  /// The transaction state; a broken connection counts as idle unless it
  /// broke with work uncommitted (libpq itself says "unknown" then).
  [[nodiscard]] PGTransactionStatusType status() const noexcept {
    if (!conn || PQstatus(conn) == CONNECTION_BAD) {
      return lost_in_transaction ? PQTRANS_UNKNOWN : PQTRANS_IDLE;
    }
    return PQtransactionStatus(conn);
  }

  void commit() {
    if (lost_in_transaction) {
      throw connection_error(
          "commit failed: the connection was lost during the transaction and its work is gone; "
          "call rollback() to acknowledge it");
    }
    switch (status()) {
      case PQTRANS_IDLE: return;
      case PQTRANS_INERROR:
        control("ROLLBACK");
        throw_aborted_commit(
            "commit failed: the transaction was aborted by an earlier error and has been rolled back");
      default: break;
    }
    try {
      control("COMMIT");
    } catch (const connection_error& e) {
      // COMMIT may or may not have reached the server: say so, rather than "the work is gone".
      lost_in_transaction = false;
      disconnect();
      throw connection_error(std::string("the connection was lost while committing; the transaction "
                                         "may or may not have been committed (") + e.what() + ")");
    }
  }

  void rollback() {
    if (!lost_in_transaction && status() != PQTRANS_IDLE) {
      try {
        control("ROLLBACK");
        return;
      } catch (const connection_error&) {  // lost just now, unnoticed until ROLLBACK: the work is gone either way
      }
    }
    if (lost_in_transaction || (conn && PQstatus(conn) == CONNECTION_BAD)) {
      lost_in_transaction = false;  // acknowledged
      disconnect();                 // reconnect on next use
    }
  }

  void check_no_guard(const char* call) const {
    if (guard_depth > 0) {
      throw usage_error(std::string(call) +
                        " while a pgwrap::transaction is active; finish it through the guard");
    }
  }
};

database::database() : impl_(std::make_unique<impl>()) {}

database::database(std::string conninfo) : impl_(std::make_unique<impl>()) {
  impl_->conninfo = std::move(conninfo);
}

database::~database() = default;
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;

database::impl& database::state() const {
  if (!impl_) throw usage_error("this database was moved from");
  return *impl_;
}

void database::connect(std::string conninfo) {
  impl& st = state();
  st.disconnect();
  st.conninfo = std::move(conninfo);
  st.closed = false;
  st.guard_depth = 0;
  st.open();
}

void database::connect() {
  impl& st = state();
  st.closed = false;
  st.connection();
}

void database::close() noexcept {
  if (!impl_) return;
  impl_->disconnect();
  impl_->closed = true;
  impl_->lost_in_transaction = false;
  impl_->guard_depth = 0;
}

bool database::is_connected() const noexcept {
  return impl_ && impl_->conn && PQstatus(impl_->conn) == CONNECTION_OK;
}

result database::run(std::string_view sql, std::span<const detail::arg_ref> args) {
  impl& st = state();
  // Expand (and check runtime SQL) before connecting: a bad call sends nothing.
  detail::expand_sql(sql, args, st.sql, st.params);
  if (st.sql.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw usage_error("empty query: the SQL has no statement");
  }
  const auto& params = st.params;
  PGconn* c = st.connection();
  const PGTransactionStatusType before = PQtransactionStatus(c);
  if (!st.autocommit && before == PQTRANS_IDLE) st.control("BEGIN");
  st.values.clear();
  st.types.clear();
  for (const param_ref& p : params) {
    st.values.push_back(p.text);
    st.types.push_back(p.oid);
  }
  PGresult* res = PQexecParams(c, st.sql.c_str(), static_cast<int>(params.size()), st.types.data(),
                               st.values.data(), nullptr, nullptr, 0);
  return result(st.take(res, st.sql, before));
}

std::optional<row> database::first_row(const result& r) {
  if (r.empty()) return std::nullopt;
  return r[0];
}

row database::exactly_one_row(const result& r) {
  if (r.size() != 1) {
    throw unexpected_rows("scalar: the query returned " + std::to_string(r.size()) +
                          " rows, expected exactly one");
  }
  if (r.columns().empty()) throw unexpected_rows("scalar: the query returned no columns");
  return r[0];
}

namespace {
// INSERT INTO %I ("a", "b") VALUES (%s) with the values as one list argument:
// the column names are quoted in the text, where the scanner sees no directives.
std::string insert_sql(const fields& values) {
  if (values.empty()) return "INSERT INTO %I DEFAULT VALUES";
  std::string sql = "INSERT INTO %I (";
  std::size_t n = 0;
  for (const auto& entry : values) {
    if (n++ > 0) sql += ", ";
    sql += quote_identifier(entry.column);
  }
  return sql + ") VALUES (%s)";
}

struct insert_args {
  insert_args(const ident& table, const fields& values) {
    args[0].category = detail::arg_category::identifier;
    args[0].text = table.quoted().data();
    args[0].text_size = table.quoted().size();
    refs.reserve(values.size());
    for (const auto& entry : values) refs.push_back(entry.value.ref());
    args[1].category = detail::arg_category::list;
    args[1].list = refs;
  }
  [[nodiscard]] std::span<const detail::arg_ref> get(const fields& values) const {
    return std::span(args).first(values.empty() ? 1 : 2);
  }
  std::vector<param_ref> refs;
  std::array<detail::arg_ref, 2> args{};
};
}  // namespace

std::int64_t database::insert(const ident& table, const fields& values) {
  const insert_args args(table, values);
  return run(insert_sql(values), args.get(values)).affected_rows();
}

row database::insert(const ident& table, const fields& values, const returning& columns) {
  if (columns.columns.empty()) throw usage_error("insert: returning{} names no columns");
  std::string sql = insert_sql(values) + " RETURNING ";
  for (std::size_t i = 0; i < columns.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += quote_identifier(columns.columns[i]);
  }
  const insert_args args(table, values);
  const result inserted = run(sql, args.get(values));
  if (inserted.empty()) {
    throw unexpected_rows("insert: no row was inserted (a trigger or rule skipped it), so there is "
                          "nothing to return");
  }
  return inserted[0];
}

void database::require_condition(bool empty, const char* call) {
  if (empty) {
    throw usage_error(std::string(call) +
                      ": the where map is empty, which would match every row; write the statement "
                      "with execute() if that is what you mean");
  }
}

void database::commit() {
  impl& st = state();
  if (st.closed) throw usage_error("commit() on a closed database");
  st.check_no_guard("commit()");
  st.commit();
}

void database::rollback() {
  impl& st = state();
  if (st.closed) throw usage_error("rollback() on a closed database");
  st.check_no_guard("rollback()");
  st.rollback();
}

void database::set_autocommit(bool on) {
  impl& st = state();
  if (on != st.autocommit && st.status() != PQTRANS_IDLE) {
    throw usage_error("set_autocommit() inside a transaction; commit() or rollback() first");
  }
  st.autocommit = on;
}

void database::on_notice(std::function<void(std::string_view)> handler) {
  state().notice_handler = std::move(handler);
}

bool database::autocommit() const noexcept { return impl_ && impl_->autocommit; }

bool database::in_transaction() const noexcept { return impl_ && impl_->status() != PQTRANS_IDLE; }

database& db() {
  static database instance;
  return instance;
}

// --- transaction guard ---

transaction::transaction(database& db) : db_(db) {
  database::impl& st = db_.state();
  if (st.closed) throw usage_error("transaction on a closed database");
  st.connection();
  if (st.status() == PQTRANS_IDLE) {
    st.control("BEGIN");
  } else {
    savepoint_ = "pgwrap_savepoint_" + std::to_string(++st.savepoints);
    st.control(("SAVEPOINT " + savepoint_).c_str());
  }
  depth_ = ++st.guard_depth;
}

transaction::~transaction() {
  if (done_) return;
  try {
    rollback();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; the next call reports a broken connection
  }
  finish();
}

void transaction::finish() {
  done_ = true;
  if (!db_.impl_) return;
  database::impl& st = *db_.impl_;
  if (st.guard_depth >= depth_) st.guard_depth = depth_ - 1;
}

void transaction::commit() {
  if (done_) throw usage_error("transaction::commit() on a transaction already finished");
  database::impl& st = db_.state();
  if (st.closed) throw usage_error("transaction::commit() on a closed database");
  if (st.guard_depth != depth_) {
    throw usage_error("transaction::commit() while an inner pgwrap::transaction is still active");
  }
  finish();
  if (savepoint_.empty()) {
    try {
      st.commit();
    } catch (const connection_error&) {
      st.rollback();  // the guard owned the transaction: acknowledge the loss for the caller
      throw;
    }
  } else if (st.status() == PQTRANS_INERROR) {
    st.control(("ROLLBACK TO SAVEPOINT " + savepoint_).c_str());
    throw_aborted_commit(
        "commit failed: the savepoint's work was aborted by an error and has been rolled back to the "
        "savepoint; the enclosing transaction goes on");
  } else {
    st.control(("RELEASE SAVEPOINT " + savepoint_).c_str());
  }
}

void transaction::rollback() {
  if (done_) return;
  database::impl& st = db_.state();
  if (st.closed) {
    finish();  // closing rolled it back already
    return;
  }
  if (st.guard_depth != depth_) {
    throw usage_error("transaction::rollback() while an inner pgwrap::transaction is still active");
  }
  finish();
  if (savepoint_.empty()) {
    st.rollback();
  } else if (!st.lost_in_transaction) {
    st.control(("ROLLBACK TO SAVEPOINT " + savepoint_ + "; RELEASE SAVEPOINT " + savepoint_).c_str());
  }
}

}  // namespace pgwrap
