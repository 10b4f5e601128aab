// database: the blocking face. Each member checks and expands its call,
// then drives the session (session.hpp) and waits for the engine's answer.
// Values only ever travel as parameters.

#include <array>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "session.hpp"

namespace pgwrap {

database::database() : impl_(std::make_unique<impl>()) {}

database::database(std::string conninfo) : impl_(std::make_unique<impl>()) { impl_->conninfo = std::move(conninfo); }

database::~database() = default;
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;

database::impl& database::state() const {
  if (!impl_) throw usage_error("this database was moved from");
  return *impl_;
}

void database::connect(std::string conninfo) {
  impl& st = state();
  const call_scope scope(st);
  st.disconnect();
  st.conninfo = std::move(conninfo);
  st.closed = false;
  st.guard_depth = 0;
  st.open();
  st.notifications_gap = false;  // the caller chose to reconnect
}

void database::connect() {
  impl& st = state();
  const call_scope scope(st);
  st.closed = false;
  st.connection();
}

void database::close() noexcept {
  if (!impl_) return;
  impl_->disconnect();
  impl_->channels.clear();
  impl_->closed = true;
  impl_->lost_in_transaction = false;
  impl_->guard_depth = 0;
}

std::string database::to_string() const {
  if (!impl_) return "pgwrap::database (moved from)";
  const impl& st = *impl_;
  std::string where = st.conninfo ? detail::masked_conninfo(*st.conninfo)
                                  : "from the environment (" + detail::masked_conninfo(st.effective_conninfo()) + ")";
  if (where.empty()) where = "libpq's defaults";
  const char* state = st.closed ? "closed" : is_connected() ? "connected" : "not connected";
  return "pgwrap::database " + where + " [" + state + "]";
}

bool database::is_connected() const noexcept { return impl_ && impl_->conn.is_ok(); }

result database::run(const detail::sql_ref& sql, operation_kind kind, std::span<const detail::arg_ref> args,
                     binary_chooser chooser) {
  impl& st = state();
  const call_scope scope(st);
  // Expand (and check runtime SQL) before connecting: a bad call sends nothing.
  st.expand(sql.text, sql.checked, args);
  if (st.sql.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw usage_error("empty query: the SQL has no statement");
  }
  if (st.pipeline) throw usage_error("a statement while a pipeline runs on this database");
  detail::operation op(st.observing, kind);
  op.describe(st.sql, sql.summary, st.params);
  op.start();
  try {
    st.connection();
    st.fill_parameters(st.params);
    result r(st.run_statement(chooser, op));
    op.succeeded(kind == operation_kind::execute ? r.affected_rows() : static_cast<std::int64_t>(r.size()));
    return r;
  } catch (...) {
    op.failed();
    throw;
  }
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
  const std::string sql = insert_sql(values);
  return run({sql, false, {}}, operation_kind::execute, args.get(values), nullptr).affected_rows();
}

row database::insert(const ident& table, const fields& values, const returning& columns) {
  if (columns.columns.empty()) throw usage_error("insert: returning{} names no columns");
  std::string sql = insert_sql(values) + " RETURNING ";
  for (std::size_t i = 0; i < columns.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += quote_identifier(columns.columns[i]);
  }
  const insert_args args(table, values);
  const result inserted = run({sql, false, {}}, operation_kind::query, args.get(values), nullptr);
  if (inserted.empty()) {
    throw unexpected_rows(
        "insert: no row was inserted (a trigger or rule skipped it), so there is "
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
  const call_scope scope(st);
  if (st.closed) throw usage_error("commit() on a closed database");
  st.check_no_guard("commit()");
  detail::observed(st.observing, operation_kind::commit, "COMMIT", [&] { st.commit(); });
}

void database::rollback() {
  impl& st = state();
  const call_scope scope(st);
  if (st.closed) throw usage_error("rollback() on a closed database");
  st.check_no_guard("rollback()");
  detail::observed(st.observing, operation_kind::rollback, "ROLLBACK", [&] { st.rollback(); });
}

void database::set_autocommit(bool on) {
  impl& st = state();
  const call_scope scope(st);
  if (on != st.autocommit && st.status() != PQTRANS_IDLE) {
    throw usage_error("set_autocommit() inside a transaction; commit() or rollback() first");
  }
  st.autocommit = on;
}

void database::cancel() noexcept {
  if (impl_) impl_->conn.cancel();
}

void database::set_statement_timeout(std::chrono::milliseconds limit) {
  impl& st = state();
  const call_scope scope(st);
  if (limit.count() < 0) throw usage_error("set_statement_timeout: a negative limit");
  if (st.status() != PQTRANS_IDLE) {
    throw usage_error("set_statement_timeout inside a transaction; commit() or rollback() first");
  }
  st.statement_timeout = limit;
  if (st.conn.is_ok()) st.conn.apply_statement_timeout(limit);
}

std::chrono::milliseconds database::statement_timeout() const noexcept {
  return impl_ ? impl_->statement_timeout : std::chrono::milliseconds{0};
}

void database::set_statement_cache_size(std::size_t size) {
  impl& st = state();
  const call_scope scope(st);
  if (!st.conn.cache.set_capacity(size).empty()) st.forget_prepared();  // simplest: start afresh
}

std::size_t database::statement_cache_size() const noexcept { return impl_ ? impl_->conn.cache.capacity() : 0; }

void database::on_notice(std::function<void(std::string_view)> handler) {
  impl& st = state();
  // Not while a call runs: the handler may be the one running (called from inside that call).
  const call_scope scope(st);
  st.conn.notice_handler = std::move(handler);
}

void database::add_observer(std::shared_ptr<observer> o, observe_options options) {
  // No call_scope: an observer may install another from inside its call.
  state().observers.add(std::move(o), options);
}

bool database::remove_observer(const std::shared_ptr<observer>& o) noexcept {
  return impl_ && impl_->observers.remove(o);
}

bool database::autocommit() const noexcept { return impl_ && impl_->autocommit; }

bool database::in_transaction() const noexcept { return impl_ && impl_->status() != PQTRANS_IDLE; }

database& db() {
  static database instance;
  return instance;
}

}  // namespace pgwrap
