// engine::connection: connecting, the in-flight queue, waiting on the
// socket, COPY, session set-up and reset, notices and cancel.

#include "engine/connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "internal.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap::engine {

using steady_clock = std::chrono::steady_clock;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

namespace {
// libpq's connect_timeout in seconds (0: none). PQconnectPoll leaves it to
// the caller; libpq's own blocking connect raises 1 to 2, and so does this.
int connect_timeout_seconds(PGconn* c) {
  PQconninfoOption* options = PQconninfo(c);
  int seconds = 0;
  for (const PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "connect_timeout" && o->val != nullptr) {
      const std::string_view v(o->val);
      std::from_chars(v.data(), v.data() + v.size(), seconds);
    }
  }
  PQconninfoFree(options);
  return seconds == 1 ? 2 : seconds;
}

bool succeeded(const PGresult* r) {
  const ExecStatusType s = PQresultStatus(r);
  return r != nullptr && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
}
}  // namespace

std::string connection::error_message() const {
  if (out_of_step_) return "the connection fell out of step with the server and was abandoned";
  return conn_ != nullptr ? trimmed(PQerrorMessage(conn_)) : std::string("not connected");
}

// --- the connection's life ---

void connection::open(const std::string& conninfo, const session_settings& settings) {
  close();
  connect(conninfo);
  try {
    set_up(settings);
  } catch (...) {
    close();
    throw;
  }
}

void connection::start_connect(const std::string& conninfo) {
  close();
  connecting_to_ = conninfo;
  // The user's conninfo is expanded last, so what it says wins.
  const char* const keys[] = {"fallback_application_name", "client_encoding", "dbname", nullptr};
  const char* const vals[] = {"pgwrap", "UTF8", conninfo.c_str(), nullptr};
  conn_ = PQconnectStartParams(keys, vals, 1);
  if (conn_ == nullptr) throw connection_error("could not connect: out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) fail_connect(error_message());
}

PostgresPollingStatusType connection::continue_connect() {
  const PostgresPollingStatusType polling = PQconnectPoll(conn_);
  if (polling == PGRES_POLLING_FAILED) fail_connect(error_message());
  return polling;
}

std::chrono::seconds connection::connect_timeout() const {
  return std::chrono::seconds(conn_ != nullptr ? connect_timeout_seconds(conn_) : 0);
}

void connection::fail_connect(const std::string& why) {
  std::string message = "could not connect: " + detail::redact_password(why, connecting_to_);
  close();
  throw connection_error(message);
}

void connection::connect(const std::string& conninfo) {
  start_connect(conninfo);
  const auto timeout = connect_timeout();
  const auto deadline = steady_clock::now() + timeout;
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;  // as libpq's docs say to start
  while (polling != PGRES_POLLING_OK) {
    int wait_ms = -1;
    if (timeout.count() > 0) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0) fail_connect("timeout expired");
      wait_ms = static_cast<int>(left.count());
    }
    // The socket may change from one host or address to the next.
    pollfd fd{PQsocket(conn_), static_cast<short>(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    const int ready = ::poll(&fd, 1, wait_ms);
    if (ready < 0 && errno != EINTR) fail_connect(std::string("poll: ") + std::strerror(errno));
    if (ready > 0) polling = continue_connect();
  }
}

// Text results of dates and intervals are parsed, so their styles must be
// the ones the codecs read; the server reports both at connect time, and a
// SET goes only where one differs. Behind a pooler such as pgbouncer the
// backend pid libpq was told is the pooler's: each transaction may then run
// on another server connection, where this session's prepared statements
// are missing or another client's of the same name would run, so nothing is
// prepared there. All of it is one round trip.
void connection::set_up(const session_settings& settings) {
  const request_ptr r = send_set_up(settings);
  wait(*r);
  finish_set_up(*r);
}

request_ptr connection::send_set_up(const session_settings& settings) {
  PQsetNoticeReceiver(conn_, &connection::receive_notice, this);  // `this` never moves: it lives on the heap
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    throw connection_error("could not set up the connection: " + error_message());
  }
  server_closing_ = false;
  out_of_step_ = false;
  cache.clear();  // a new session has no prepared statements
  forget_types();
  const char* date_style = PQparameterStatus(conn_, "DateStyle");
  const char* interval_style = PQparameterStatus(conn_, "IntervalStyle");
  set_up_sql_.clear();
  if (date_style == nullptr || std::string_view(date_style).substr(0, 3) != "ISO") {
    set_up_sql_.emplace_back("SET DateStyle = ISO");
  }
  if (interval_style == nullptr || std::string_view(interval_style) != "postgres") {
    set_up_sql_.emplace_back("SET IntervalStyle = postgres");
  }
  if (settings.statement_timeout.count() > 0) {
    set_up_sql_.push_back("SET statement_timeout = " + std::to_string(settings.statement_timeout.count()));
  }
  set_up_sql_.emplace_back("SELECT pg_backend_pid()");
  std::vector<command> commands;
  for (const std::string& sql : set_up_sql_) commands.push_back(command::query(sql.c_str()));
  return submit(commands);
}

void connection::finish_set_up(const request& set_up) {
  for (std::size_t i = 0; i < set_up_sql_.size(); ++i) {
    const PGresult* res = i < set_up.results.size() ? set_up.results[i].get() : nullptr;
    if (!succeeded(res)) {
      const std::string why =
          res != nullptr && PQresultErrorMessage(res)[0] != '\0' ? trimmed(PQresultErrorMessage(res)) : error_message();
      throw connection_error("could not set up the session (" + set_up_sql_[i] + "): " + why);
    }
  }
  const PGresult* pid = set_up.results.back().get();
  behind_pooler_ =
      PQntuples(pid) == 1 && std::string_view(PQgetvalue(pid, 0, 0)) != std::to_string(PQbackendPID(conn_));
  server_.address = PQhost(conn_) != nullptr ? PQhost(conn_) : "";
  server_.port = PQport(conn_) != nullptr ? std::atoi(PQport(conn_)) : 0;
  server_.database = PQdb(conn_) != nullptr ? PQdb(conn_) : "";
  server_.backend_pid = PQntuples(pid) == 1 ? std::atoi(PQgetvalue(pid, 0, 0)) : PQbackendPID(conn_);
  const std::lock_guard lock(cancel_mutex_);
  canceller_ = std::shared_ptr<PGcancel>(PQgetCancel(conn_), [](PGcancel* c) { PQfreeCancel(c); });
}

void connection::close() noexcept {
  {
    const std::lock_guard lock(cancel_mutex_);
    canceller_.reset();  // a cancel being sent from another thread keeps its own reference
  }
  fail_in_flight();
  collect_notifications();                // read already: kept for the next wait
  if (conn_ != nullptr) PQfinish(conn_);  // the server rolls back whatever was uncommitted
  conn_ = nullptr;
  server_ = {};  // not connected: observers see no server
  behind_pooler_ = false;
  server_closing_ = false;
  out_of_step_ = false;
  unwanted_copy_ = PGRES_COMMAND_OK;
  cache.clear();
  forget_types();
}

PGTransactionStatusType connection::transaction_status() const noexcept {
  if (!is_ok()) return PQTRANS_UNKNOWN;
  return PQtransactionStatus(conn_);
}

bool connection::read_idle_input() noexcept {
  bool arrived = false;
  // One read may take only the goodbye message; the end of the stream needs another.
  for (int reads = 0; reads < 3 && is_ok(); ++reads) {
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (::poll(&fd, 1, 0) <= 0) break;
    arrived = true;
    if (PQconsumeInput(conn_) == 0) break;
    PQisBusy(conn_);  // parses what came: a FATAL goodbye reaches receive_notice
  }
  return arrived;
}

bool connection::ping() noexcept {
  try {
    drain();
    const request_ptr r = submit({command::query("")});
    wait(*r);
    return !r->results.empty() && PQresultStatus(r->results[0].get()) == PGRES_EMPTY_QUERY && is_ok() &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
  } catch (...) {
    return false;
  }
}

void connection::apply_statement_timeout(std::chrono::milliseconds limit) {
  const std::string sql = limit.count() == 0 ? std::string("RESET statement_timeout")
                                             : "SET statement_timeout = " + std::to_string(limit.count());
  const request_ptr r = submit({command::query(sql.c_str())});
  wait(*r);
  const PGresult* res = r->results.empty() ? nullptr : r->results[0].get();
  if (res == nullptr) throw connection_error("connection lost: " + error_message());
  if (PQresultStatus(res) != PGRES_COMMAND_OK) detail::throw_sql_error(res, sql);
}

bool connection::reset_session(bool keep_prepared, std::size_t cache_capacity,
                               const session_settings& settings) noexcept {
  try {
    drain();
    if (!is_ok()) return false;
    std::vector<std::string> sql =
        reset_statements(PQtransactionStatus(conn_) != PQTRANS_IDLE, keep_prepared, settings);
    if (!keep_prepared) {
      cache.clear();
      forget_types();
    }
    for (const std::string& evicted : cache.set_capacity(cache_capacity)) sql.push_back("DEALLOCATE " + evicted);
    std::vector<command> commands;
    commands.reserve(sql.size());
    for (const std::string& s : sql) commands.push_back(command::query(s.c_str()));
    const request_ptr r = submit(commands);
    wait(*r);
    discard_notifications();  // the previous user's, up to its UNLISTEN *
    for (std::size_t i = 0; i < commands.size(); ++i) {
      if (i >= r->results.size() || !succeeded(r->results[i].get())) return false;
    }
    return is_ok() && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  } catch (...) {  // lost, or out of memory: the caller closes the connection instead
    return false;
  }
}

// What DISCARD ALL does, spelled out (DISCARD ALL cannot run in the implicit
// transaction a pipeline of statements is), then pgwrap's own settings
// again, as when connecting.
std::vector<std::string> connection::reset_statements(bool in_transaction, bool keep_prepared,
                                                      const session_settings& settings) {
  std::vector<std::string> sql;
  if (in_transaction) sql.emplace_back("ROLLBACK");
  for (const char* s : {"CLOSE ALL", "SET SESSION AUTHORIZATION DEFAULT", "RESET ALL", "UNLISTEN *",
                        "SELECT pg_advisory_unlock_all()", "DISCARD TEMP", "DISCARD SEQUENCES"}) {
    sql.emplace_back(s);
  }
  if (!keep_prepared) {
    sql.emplace_back("DEALLOCATE ALL");
    sql.emplace_back("DISCARD PLANS");
  }
  sql.emplace_back("SET DateStyle = ISO");
  sql.emplace_back("SET IntervalStyle = postgres");
  if (settings.statement_timeout.count() > 0) {
    sql.push_back("SET statement_timeout = " + std::to_string(settings.statement_timeout.count()));
  }
  return sql;
}

// --- requests ---

void connection::send_command(const command& c) {
  if (!is_ok()) throw connection_error("could not send a statement: " + error_message());
  int sent = 0;
  switch (c.what) {
    case command::kind::query:
      sent = PQsendQueryParams(conn_, c.text, c.params.count, c.params.types, c.params.values, c.params.lengths,
                               c.params.formats, c.result_format);
      break;
    case command::kind::prepare: sent = PQsendPrepare(conn_, c.name, c.text, c.params.count, c.params.types); break;
    case command::kind::describe: sent = PQsendDescribePrepared(conn_, c.text); break;
    case command::kind::execute:
      sent = PQsendQueryPrepared(conn_, c.text, c.params.count, c.params.values, c.params.lengths, c.params.formats,
                                 c.result_format);
      break;
  }
  if (sent != 1) throw connection_error("could not send a statement: " + error_message());
}

request_ptr connection::submit(std::span<const command> commands) {
  request_ptr r = open_request();
  submit(r, commands);
  return r;
}

void connection::submit(const request_ptr& r, std::span<const command> commands) {
  for (const command& c : commands) send(r, c);
  sync(r);
}

void connection::send(const request_ptr& r, const command& c) {
  try {
    send_command(c);
  } catch (...) {
    // libpq refused the command but the connection lives: end the request,
    // so what it sent so far is answered and the pipeline stays in step.
    if (is_ok() && r->sent_ > 0 && PQpipelineSync(conn_) == 1) {
      r->synced_ = true;
      inflight_.push_back({r, sync_point});
    }
    throw;
  }
  inflight_.push_back({r, r->sent_++});
}

void connection::sync(const request_ptr& r) {
  if (!is_ok() || PQpipelineSync(conn_) != 1) {
    throw connection_error("could not send a statement: " + error_message());
  }
  r->synced_ = true;
  inflight_.push_back({r, sync_point});
}

void connection::flush_request() {
  if (!is_ok() || PQsendFlushRequest(conn_) != 1) {
    throw connection_error("could not send a statement: " + error_message());
  }
}

// Hands every result libpq has parsed to the request waiting for it.
void connection::route_results() noexcept {
  while (!inflight_.empty() && conn_ != nullptr) {
    if (unwanted_copy_ != PGRES_COMMAND_OK && !end_unwanted_copy()) return;  // more of its data to come
    const bool broken = PQstatus(conn_) == CONNECTION_BAD;
    if (!broken && PQisBusy(conn_)) return;  // the rest has not arrived yet
    PGresult* raw = PQgetResult(conn_);
    in_flight_entry& front = inflight_.front();
    if (front.index == sync_point) {
      const bool synced = raw != nullptr && PQresultStatus(raw) == PGRES_PIPELINE_SYNC;
      PQclear(raw);
      if (!synced) {
        out_of_step_ = !broken;
        fail_in_flight();
        return;
      }
      front.owner->complete_ = true;
      inflight_.pop_front();
    } else if (raw == nullptr) {  // the end of the command's results
      if (!front.answered) {      // lost (or out of step) before it was answered
        out_of_step_ = !broken;
        fail_in_flight();
        return;
      }
      inflight_.pop_front();
    } else if (!front.answered) {
      front.answered = true;
      const ExecStatusType status = PQresultStatus(raw);
      if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) unwanted_copy_ = status;
      front.owner->deliver(front.index, result_ptr(raw));
    } else {
      PQclear(raw);  // a second result for one command: none of pgwrap's commands make one
      if (broken) {
        fail_in_flight();
        return;
      }
    }
  }
}

// Ends a COPY that a query started, without waiting: COPY FROM STDIN is
// refused with a message, COPY TO STDOUT's data is read and dropped.
// Returns whether it is over (false: more data must arrive first).
bool connection::end_unwanted_copy() noexcept {
  if (unwanted_copy_ == PGRES_COPY_IN || unwanted_copy_ == PGRES_COPY_BOTH) {
    if (PQputCopyEnd(conn_, "COPY is not supported through query(); use copy_in()") == 0) return false;
  } else {
    char* buffer = nullptr;
    int size = 0;
    while ((size = PQgetCopyData(conn_, &buffer, 1)) > 0) PQfreemem(buffer);
    if (size == 0) return false;
  }
  unwanted_copy_ = PGRES_COMMAND_OK;
  return true;
}

void connection::fail_in_flight() noexcept {
  for (in_flight_entry& e : inflight_) {
    e.owner->lost_ = true;
    e.owner->complete_ = true;
  }
  inflight_.clear();
}

void connection::on_readable() noexcept {
  if (conn_ == nullptr) return;
  const bool read = PQconsumeInput(conn_) == 1;
  route_results();  // what came before a loss still counts
  if (!read || !is_ok()) fail_in_flight();
}

bool connection::flush_output() noexcept {
  if (conn_ == nullptr) return false;
  const int unsent = PQflush(conn_);
  if (unsent < 0) fail_in_flight();  // the loss shows on the next read too
  return unsent == 1;
}

void connection::wait_socket(bool write, int timeout_ms) {
  pollfd fd{PQsocket(conn_), static_cast<short>(POLLIN | (write ? POLLOUT : 0)), 0};
  while (::poll(&fd, 1, timeout_ms) < 0) {
    if (errno != EINTR) throw connection_error(std::string("poll: ") + std::strerror(errno));
  }
}

template <typename Done>
void connection::wait_until(Done done) {
  for (;;) {
    route_results();
    if (done() || inflight_.empty()) return;
    if (!is_ok()) {
      fail_in_flight();
      return;
    }
    const int unsent = PQflush(conn_);  // while libpq still has bytes to send, wait to write them too
    if (unsent < 0) {
      fail_in_flight();
      return;
    }
    wait_socket(unsent == 1, -1);
    if (PQconsumeInput(conn_) == 0) route_results();  // lost: what came before the end still counts
  }
}

void connection::wait(const request& r) {
  wait_until([&] { return r.complete(); });
}

void connection::wait_for(const request& r, std::size_t results) {
  wait_until([&] { return r.complete() || r.received() >= results; });
}

void connection::drain() {
  wait_until([] { return false; });
}

// --- COPY ---

void connection::flush_all() {
  for (;;) {
    const int unsent = PQflush(conn_);
    if (unsent == 0) return;
    if (unsent < 0) throw connection_error("connection lost: " + error_message());
    wait_socket(true, -1);
    if (PQconsumeInput(conn_) == 0) throw connection_error("connection lost: " + error_message());
  }
}

void connection::wait_not_busy() {
  while (PQisBusy(conn_) != 0) {
    wait_socket(false, -1);
    if (PQconsumeInput(conn_) == 0) return;  // lost: PQgetResult reports it
  }
}

result_ptr connection::start_copy(const std::string& sql) {
  drain();
  if (!is_ok()) throw connection_error("connection lost: " + error_message());
  if (PQexitPipelineMode(conn_) != 1) throw connection_error("could not start COPY: " + error_message());
  if (PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
    std::string message = "could not send a statement: " + error_message();
    PQenterPipelineMode(conn_);
    throw connection_error(message);
  }
  flush_all();
  wait_not_busy();
  result_ptr first(PQgetResult(conn_));
  const ExecStatusType status = PQresultStatus(first.get());
  if (first && (status == PGRES_COPY_IN || status == PGRES_COPY_OUT)) return first;
  // Not a COPY after all (an error): read to the end and go back to pipeline mode.
  for (;;) {
    wait_not_busy();
    result_ptr extra(PQgetResult(conn_));
    if (!extra) break;
  }
  if (is_ok()) PQenterPipelineMode(conn_);
  return first;
}

void connection::put_copy_data(std::string_view data) {
  for (;;) {
    const int queued = PQputCopyData(conn_, data.data(), static_cast<int>(data.size()));
    if (queued == 1) return;
    if (queued < 0) throw connection_error("COPY failed: " + error_message());
    wait_socket(true, -1);  // libpq's buffer is full: wait until the socket takes more
    if (PQflush(conn_) < 0) throw connection_error("COPY failed: " + error_message());
  }
}

void connection::end_copy(const char* error) {
  for (;;) {
    const int queued = PQputCopyEnd(conn_, error);
    if (queued == 1) break;
    if (queued < 0) throw connection_error("COPY failed: " + error_message());
    wait_socket(true, -1);
    if (PQflush(conn_) < 0) throw connection_error("COPY failed: " + error_message());
  }
  flush_all();
}

int connection::get_copy_data(char** buffer) {
  for (;;) {
    const int size = PQgetCopyData(conn_, buffer, 1);
    if (size != 0) return size;
    wait_socket(false, -1);
    if (PQconsumeInput(conn_) == 0) return -2;
  }
}

result_ptr connection::finish_copy() {
  wait_not_busy();
  result_ptr last(PQgetResult(conn_));
  for (int extra = 0; extra < 16; ++extra) {  // then a null; bounded, should a broken connection repeat itself
    wait_not_busy();
    result_ptr more(PQgetResult(conn_));
    if (!more) break;
  }
  if (is_ok() && PQenterPipelineMode(conn_) != 1) out_of_step_ = true;
  return last;
}

// --- notifications ---

// libpq keeps the NOTIFY messages it reads, in order, until PQnotifies takes
// them (which also parses what was read and not parsed yet, such as what came
// after the last result); only PQfinish drops them. So they are moved here
// when taken and when the connection closes, not on every read.
void connection::collect_notifications() noexcept {
  if (conn_ == nullptr) return;
  while (PGnotify* n = PQnotifies(conn_)) {
    try {
      notifications_.push_back({n->relname, n->extra != nullptr ? n->extra : "", n->be_pid});
    } catch (...) {  // out of memory: this one is lost, the connection is not
    }
    PQfreemem(n);
  }
}

std::optional<notification> connection::take_notification() {
  collect_notifications();
  if (notifications_.empty()) return std::nullopt;
  notification n = std::move(notifications_.front());
  notifications_.pop_front();
  return n;
}

std::optional<notification> connection::wait_notification(steady_clock::time_point deadline) {
  for (;;) {
    if (std::optional<notification> n = take_notification()) return n;
    if (!is_ok() || server_closing_) {
      throw connection_error("connection lost while waiting for a notification: " + error_message());
    }
    // A timeout of 0 still reads what the socket holds, once.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
    const int wait_ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 1 << 30));
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    const int ready = ::poll(&fd, 1, wait_ms);
    if (ready < 0 && errno != EINTR) throw connection_error(std::string("poll: ") + std::strerror(errno));
    if (ready > 0) {
      if (PQconsumeInput(conn_) == 1) PQisBusy(conn_);  // parses it: a FATAL goodbye reaches receive_notice
    } else if (ready == 0 && steady_clock::now() >= deadline) {
      return std::nullopt;
    }
  }
}

void connection::discard_notifications() noexcept {
  collect_notifications();
  notifications_.clear();
}

// --- notices and cancel ---

void connection::receive_notice(void* self, const PGresult* notice) {
  auto& c = *static_cast<connection*>(self);
  // A server closing the session first says so with a FATAL message.
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr && std::string_view(severity) == "FATAL") c.server_closing_ = true;
  if (!c.notice_handler) return;
  std::string_view text(PQresultErrorMessage(notice));
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  c.notice_handler(text);
}

// NOLINTNEXTLINE(readability-make-member-function-const): it stops the server's work; const would say otherwise
void connection::cancel() noexcept { canceller().send(); }

connection::cancel_handle connection::canceller() const {
  cancel_handle h;
  const std::lock_guard lock(cancel_mutex_);
  h.cancel_ = canceller_;
  return h;
}

bool connection::cancel_handle::send() const noexcept {
  if (!cancel_) return false;
  char error[256];
  return PQcancel(cancel_.get(), error, sizeof error) == 1;  // best effort: a failure leaves the statement running
}

}  // namespace pgwrap::engine
