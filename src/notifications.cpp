// database: LISTEN/NOTIFY on the blocking face. The engine keeps the
// notifications any call reads; these members add the channels' SQL, the
// rules about transactions, and the wait.

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "session.hpp"

namespace pgwrap {

namespace {
constexpr std::uint32_t text_oid = 25;

constexpr const char* listen_in_transaction =
    "LISTEN and UNLISTEN in a transaction take effect only when it commits, and are undone if it rolls back";
}  // namespace

void database::impl::require_no_transaction(const char* call, const char* why) const {
  if (guard_depth > 0 || status() != PQTRANS_IDLE) {
    throw usage_error(std::string(call) + " inside a transaction: " + why + "; commit() or rollback() first");
  }
}

void database::impl::run_outside_implicit_transaction(const std::string& statement, std::span<const param_ref> args) {
  detail::operation op(observing, operation_kind::execute);
  op.describe(statement, {}, args);
  op.start();
  try {
    connection();
    const PGTransactionStatusType before = status();
    fill_parameters(args);
    const command c = command::query(statement.c_str(), parameters());
    op.sent();
    const engine::request_ptr r = exchange({&c, 1});
    op.succeeded(checked_result(result_of(*r, 0), statement, before)->affected_rows());
  } catch (...) {
    op.failed();
    throw;
  }
}

void database::impl::listen_again() {
  if (channels.empty()) return;
  std::vector<std::string> statements;
  for (const std::string& c : channels) statements.push_back("LISTEN " + quote_identifier(c));
  run_own_statements(statements, PQTRANS_IDLE);
}

void database::listen(std::string_view channel) {
  impl& st = state();
  const call_scope scope(st);
  const std::string statement = "LISTEN " + quote_identifier(channel);
  st.require_no_transaction("listen()", listen_in_transaction);
  st.run_outside_implicit_transaction(statement, {});
  if (std::find(st.channels.begin(), st.channels.end(), channel) == st.channels.end()) {
    st.channels.emplace_back(channel);
  }
}

void database::unlisten(std::string_view channel) {
  impl& st = state();
  const call_scope scope(st);
  const std::string statement = "UNLISTEN " + quote_identifier(channel);
  st.require_no_transaction("unlisten()", listen_in_transaction);
  st.run_outside_implicit_transaction(statement, {});
  std::erase(st.channels, channel);
}

void database::unlisten_all() {
  impl& st = state();
  const call_scope scope(st);
  st.require_no_transaction("unlisten_all()", listen_in_transaction);
  st.run_outside_implicit_transaction("UNLISTEN *", {});
  st.channels.clear();
}

void database::notify(std::string_view channel, std::string_view payload) {
  impl& st = state();
  const call_scope scope(st);
  (void)quote_identifier(channel);  // the same rules as listen(): a name LISTEN could take
  // Binary text: the bytes go as they are (no NUL terminator needed); the
  // server checks their encoding and the payload's length.
  const param_ref args[] = {param_ref::binary(channel, text_oid), param_ref::binary(payload, text_oid)};
  st.run_outside_implicit_transaction("SELECT pg_notify($1, $2)", args);
}

std::optional<notification> database::wait_notification(std::chrono::milliseconds timeout) {
  impl& st = state();
  const call_scope scope(st);
  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds{0});
  if (st.conn.is_open()) st.conn.drain();  // a stream's FETCH in flight: the transaction state is known after it
  st.require_no_transaction("wait_notification()",
                            "the server delivers notifications only between transactions, so none sent after "
                            "this transaction began could arrive");
  if (auto buffered = st.conn.take_notification()) return buffered;
  // Every connection_error from here on reports a loss: the reconnect that
  // follows is then no news.
  try {
    st.connection();  // an idle connection found lost is opened again here, LISTENing again
  } catch (const connection_error&) {
    st.loss_reported = true;
    throw;
  }
  if (st.notifications_gap) {
    st.notifications_gap = false;
    throw connection_error(
        "the connection was lost, and has been opened again and LISTENs again to every channel; "
        "notifications sent while it was down are gone");
  }
  try {
    return st.conn.wait_notification(deadline);
  } catch (const connection_error&) {
    st.disconnect();  // the next call connects and LISTENs again
    st.loss_reported = true;
    throw;
  }
}

}  // namespace pgwrap
