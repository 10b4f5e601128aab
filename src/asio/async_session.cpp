// detail::async_session: queue, pipeline, routing, cancellation and faults
// of the coroutine face (see async_session.hpp).

#include "asio/async_session.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/parameter_types.hpp"
#include "internal.hpp"
#include "pgwrap/detail/libpq_limits.hpp"

namespace pgwrap::detail {

using engine::command;

std::exception_ptr aborted() { return std::make_exception_ptr(net_system_error(net::error::operation_aborted)); }

namespace {

// DDL can change what a prepared statement returns; the server then refuses
// to run it. Statements prepared before DDL this connection ran are dropped.
bool changes_schema(std::string_view command) {
  return command.starts_with("ALTER") || command.starts_with("DROP") || command.starts_with("CREATE");
}

std::string_view sqlstate_of(const PGresult* res) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? std::string_view(state) : std::string_view();
}

// A cancel request the session sent for another statement, landing on this one.
bool cancelled_by_request(const PGresult* res) {
  const char* message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  return sqlstate_of(res) == "57014" && message != nullptr &&
         std::string_view(message) == "canceling statement due to user request";
}

// A connection_error for a statement that was never sent (not_sent()), so
// its caller knows a retry is safe; any other error as it is.
std::exception_ptr not_sent(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const connection_error& e) {
    if (e.not_sent()) return error;
    return std::make_exception_ptr(connection_error(e.what(), true));
  } catch (...) {
    return error;
  }
}

}  // namespace

async_session::async_session(net::any_io_executor ex, std::string info, async_options opts)
    : executor(std::move(ex)),
      conninfo(std::move(info)),
      options(std::move(opts)),
      strand_(net::make_strand(executor)),
      socket_(strand_),
      connect_timer_(strand_) {
  conn_.cache.set_capacity(options.statement_cache_size);
  if (options.on_notice) conn_.notice_handler = options.on_notice;
}

async_session::~async_session() {
  release_socket();  // the socket is libpq's: Asio must not close it
  conn_.close();
}

// --- calls coming in (any thread) ---

net::awaitable<result_data_ptr> async_session::run(op_ptr o) {
  std::shared_ptr<async_session> self = shared_from_this();
  // Named, not a temporary in the co_await expression: g++ 12 destroys such
  // temporaries twice (GCC bug 100611).
  const auto initiation = [self, o](auto handler) {
    auto slot = net::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([weak = std::weak_ptr<async_session>(self), weak_op = std::weak_ptr<op>(o)](net::cancellation_type) {
        if (std::shared_ptr<async_session> s = weak.lock()) {
          net::post(s->strand_, [s, weak_op] {
            if (op_ptr target = weak_op.lock()) s->cancel(target);
          });
        }
      });
    }
    o->done = async_completion<std::exception_ptr, result_data_ptr>(std::move(handler), self->executor);
    net::post(self->strand_, [self, o] { self->enqueue(o); });
  };
  co_return co_await net::async_initiate<decltype(net::use_awaitable), void(std::exception_ptr, result_data_ptr)>(
      initiation, net::use_awaitable);
}

void async_session::run_detached(op_ptr o) {
  net::post(strand_, [self = shared_from_this(), o = std::move(o)] { self->enqueue(o); });
}

void async_session::shut_down() {
  net::post(strand_, [self = shared_from_this()] {
    self->closed_ = true;
    self->connect_timer_.cancel();
    self->connecting_ = false;
    self->set_up_.reset();
    if (self->connecting_op_) std::exchange(self->connecting_op_, nullptr)->failed(aborted());
    for (const op_ptr& o : self->queue_) self->finish(*o, aborted());
    for (const op_ptr& o : self->in_flight_) self->finish(*o, aborted());
    self->queue_.clear();
    self->in_flight_.clear();
    self->queued_count = 0;
    self->in_flight_count = 0;
    self->fail_waiters(aborted());
    self->close_connection();
  });
}

void async_session::enqueue(op_ptr o) {
  if (o->call && o->call->error) {  // the arguments could not be encoded: nothing is sent
    finish(*o, o->call->error);
    return;
  }
  observe(*o);
  queue_.push_back(std::move(o));
  queued_count = queue_.size();
  // Sent at once: with libpq 15 every sync point flushes anyway, so waiting
  // for more calls to gather would only add a hop through the loop.
  if (!pump_scheduled_) pump();
}

// A caller's operation starts for observers when it is queued: the time
// until it is sent is its `queued` time.
void async_session::observe(op& o) {
  const observed_connection where{&observers, pool_observers.get(), &conn_.server()};
  if (!where.observed()) return;
  operation_kind kind = operation_kind::execute;  // listen, unlisten
  std::string_view text = o.text;
  statement_summary summary;  // found from the text
  std::vector<param_ref> params;
  switch (o.kind) {
    case op_kind::statement:
      kind = o.call->kind;
      text = o.call->sql;
      summary = o.call->summary;
      params = o.call->parameter_refs();
      break;
    case op_kind::commit:
      kind = operation_kind::commit;
      text = "COMMIT";
      break;
    case op_kind::rollback:
      kind = operation_kind::rollback;
      text = "ROLLBACK";
      break;
    case op_kind::listen:
    case op_kind::unlisten: break;
    default: return;  // BEGIN, connect, close and the session's own statements are no operation of their own
  }
  o.observed = std::make_unique<operation>(where, kind);
  o.observed->describe(text, summary, params);
  o.observed->start();
}

// For work found while answering: the pump runs once the answers are done.
void async_session::schedule_pump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  net::post(strand_, [self = shared_from_this()] {
    self->pump_scheduled_ = false;
    self->pump();
  });
}

// --- sending ---

// While a transaction has the connection only its operations may go; else
// the first in the queue.
std::deque<async_session::op_ptr>::iterator async_session::next_sendable() {
  if (!owner_) return queue_.begin();
  return std::find_if(queue_.begin(), queue_.end(), [&](const op_ptr& o) { return o->tx == owner_; });
}

void async_session::pump() {
  while (!connecting_) {
    const auto it = next_sendable();
    if (it == queue_.end()) break;
    const op_ptr o = *it;
    if (o->kind == op_kind::close) {
      if (!in_flight_.empty()) break;  // close() waits for the answers in flight
      queue_.erase(it);
      close_connection();
      closed_ = true;
      channels_.clear();
      fail_waiters(aborted());  // a wait could last forever: close() ends it
      finish(*o, nullptr);
      continue;
    }
    if (o->kind == op_kind::connect) closed_ = false;
    if (closed_) {
      queue_.erase(it);
      finish(*o, std::make_exception_ptr(usage_error("the database is closed; call connect() to open it again")));
      continue;
    }
    if (o->tx && o->tx->lost) {
      queue_.erase(it);
      finish(*o, std::make_exception_ptr(connection_error(
                     "the connection was lost during this transaction, whose work is gone; nothing was sent", true)));
      continue;
    }
    if (in_flight_.empty() && conn_.is_ok() && std::chrono::steady_clock::now() - last_answer_ > idle_check_after) {
      // A server that closed the session while it sat idle (restart,
      // terminated backend) has usually said so: read it now, and connect
      // again before sending. (Not after every answer: a poll() per
      // statement costs a coroutine awaiting one statement at a time.)
      conn_.read_idle_input();
      if (conn_.server_closing() || !conn_.is_ok()) lost_while_idle();
    }
    if (!conn_.is_ok()) {
      if (!in_flight_.empty()) break;  // those fail first; then connect again
      start_connect();
      return;  // the pump runs again once connected
    }
    if (o->kind == op_kind::connect) {
      queue_.erase(it);
      finish(*o, nullptr);
      continue;
    }
    if (in_flight_.size() >= options.max_in_flight || lookup_holds_pipeline_) break;
    queue_.erase(it);
    send(o);
    if (!conn_.is_ok()) {  // libpq could not send: the connection is gone
      connection_lost();
      break;
    }
  }
  queued_count = queue_.size();
  flush_and_watch();
  deliver_notifications();
}

void async_session::send(const op_ptr& o) {
  try {
    if (o->kind == op_kind::statement && !ready_to_send(o)) return;  // parked on a description or look-up
  } catch (...) {  // a struct that does not fit its composite: nothing was sent
    finish(*o, std::current_exception());
    return;
  }
  if (o->observed) o->observed->sent();
  o->cancels_at_send = cancels_issued_;
  o->cancel_pending_at_send = cancels_pending_ > 0;
  o->result_index = 0;
  try {
    switch (o->kind) {
      case op_kind::statement: send_statement(*o); break;
      case op_kind::begin:
        o->request = conn_.submit({command::query("BEGIN")});
        owner_ = o->tx;  // from now on only its statements go
        break;
      case op_kind::commit:
      case op_kind::rollback:
        o->request = conn_.submit({command::query(o->kind == op_kind::commit ? "COMMIT" : "ROLLBACK")});
        if (owner_ == o->tx) owner_.reset();  // the others' statements may follow it in the pipeline
        break;
      case op_kind::internal: o->request = conn_.submit({command::query(o->text.c_str())}); break;
      case op_kind::types: {
        // Under a savepoint in a transaction, so that a failure cannot end
        // it; nothing else is sent until the answer, so nothing runs in the
        // transaction a failure aborted before it is rolled back. (A
        // transaction begun by a plain BEGIN shows only when nothing is in
        // flight.)
        o->savepoint = owner_ != nullptr || (in_flight_.empty() && conn_.transaction_status() == PQTRANS_INTRANS);
        const engine::type_catalog::lookup lookup(o->type_oids, o->savepoint);
        o->request = conn_.submit(lookup.commands());
        o->result_index = lookup.rows_index();
        lookup_holds_pipeline_ = o->savepoint;
        break;
      }
      case op_kind::describe: {
        const async_call& c = *o->parked->call;
        o->request = conn_.submit(engine::parameter_types::describe(c.sql.c_str(), c.parameters()));
        break;
      }
      case op_kind::listen:
      case op_kind::unlisten:
        o->request = conn_.submit({command::query(o->text.c_str())});
        remember_channels(*o);
        break;
      case op_kind::reset: {  // a pool's: the next user starts from a clean session
        // A BEGIN the user sent as a plain statement may have left a transaction open.
        const bool in_transaction = !in_flight_.empty() || conn_.transaction_status() != PQTRANS_IDLE;
        const std::vector<std::string> sql =
            engine::connection::reset_statements(in_transaction, o->keep_prepared, {options.statement_timeout});
        if (!o->keep_prepared) {
          conn_.forget_types();
          conn_.cache.clear();
          ++cache_epoch_;
        }
        channels_.clear();  // UNLISTEN *: the next user listens to nothing
        std::vector<command> commands;
        commands.reserve(sql.size());
        for (const std::string& s : sql) commands.push_back(command::query(s.c_str()));
        o->request = conn_.submit(commands);
        break;
      }
      case op_kind::connect:
      case op_kind::close: return;  // never sent (see pump)
    }
  } catch (const connection_error& e) {
    finish(*o, std::make_exception_ptr(connection_error(e.what(), true)));
    return;
  }
  in_flight_.push_back(o);
  in_flight_count = in_flight_.size();
}

// A cached prepared statement runs in one message; one worth preparing is
// prepared, described and run in one request (its first rows in text); while
// it is being prepared, others wanting it run unprepared, so it is prepared
// once. Everything else goes with its parameters (PQsendQueryParams).
void async_session::send_statement(op& o) {
  const async_call& c = *o.call;
  const engine::parameters params = c.parameters();
  const bool describable = c.values.size() <= max_described_parameters || !parameter_description_limited();
  if (conn_.cache.capacity() > 0 && !conn_.behind_pooler() && describable) {
    std::string key = engine::statement_cache::key(c.sql, c.types);
    if (const engine::prepared_statement* ps = conn_.cache.find(key)) {
      const int format = c.chooser != nullptr && c.chooser(*ps->description) ? 1 : 0;
      o.request = conn_.submit({command::execute(ps->name.c_str(), params, format)});
      o.prepared_key = std::move(key);
      o.prepared_name.clear();
      if (o.observed) o.observed->set_prepared(true, true);
      return;
    }
    if (!preparing_.contains(key) && (c.chooser != nullptr || conn_.cache.note_use(key))) {
      std::string name = conn_.cache.next_name();
      o.request = conn_.submit({command::prepare(name.c_str(), c.sql.c_str(), params), command::describe(name.c_str()),
                                command::execute(name.c_str(), params, 0)});
      o.result_index = 2;
      o.cache_epoch = cache_epoch_;
      preparing_.insert(key);
      o.prepared_key = std::move(key);
      o.prepared_name = std::move(name);
      if (o.observed) o.observed->set_prepared(true, false);
      return;
    }
  }
  o.prepared_key.clear();
  o.prepared_name.clear();
  if (o.observed) o.observed->set_prepared(false, false);
  o.request = conn_.submit({command::query(c.sql.c_str(), params, 0)});
}

void async_session::send_internal(std::string sql, std::shared_ptr<async_transaction::state> tx) {
  auto o = std::make_shared<op>();
  o->kind = op_kind::internal;
  o->text = std::move(sql);
  o->tx = std::move(tx);
  queue_first(std::move(o));  // before what waits: it cleans up after what was sent
}

void async_session::queue_first(op_ptr o) {
  queue_.push_front(std::move(o));
  queued_count = queue_.size();
  schedule_pump();
}

void async_session::flush_and_watch() {
  if (conn_.is_open() && !writing_ && (!connecting_ || set_up_)) write_pending_ = conn_.flush_output();
  watch_socket();
}

void async_session::watch_socket() {
  if (!socket_.is_open()) return;
  const std::uint64_t generation = socket_generation_;
  // While connecting, the socket belongs to the connect's own steps.
  const bool waiting = !waiters_.empty() && !connecting_;
  if (!reading_ && (!in_flight_.empty() || set_up_ || waiting)) {
    reading_ = true;
    socket_.async_wait(net::posix::stream_descriptor::wait_read,
                       net::bind_executor(strand_, [self = shared_from_this(), generation](const net_error_code& ec) {
                         self->on_readable(generation, ec);
                       }));
  }
  if (!writing_ && write_pending_) {
    writing_ = true;
    socket_.async_wait(net::posix::stream_descriptor::wait_write,
                       net::bind_executor(strand_, [self = shared_from_this(), generation](const net_error_code& ec) {
                         self->on_writable(generation, ec);
                       }));
  }
}

void async_session::on_writable(std::uint64_t generation, const net_error_code& ec) {
  if (generation != socket_generation_) return;
  writing_ = false;
  if (ec) return;
  write_pending_ = conn_.flush_output();
  watch_socket();
}

// --- answers ---

void async_session::on_readable(std::uint64_t generation, const net_error_code& ec) {
  if (generation != socket_generation_) return;  // a socket released since
  reading_ = false;
  if (ec == net::error::operation_aborted) return;
  conn_.on_readable();
  last_answer_ = std::chrono::steady_clock::now();
  if (set_up_) {
    if (set_up_->complete())
      set_up_answered();
    else
      watch_socket();
    return;
  }
  finish_answered();
  const bool stuck = !in_flight_.empty() && in_flight_.front()->request->lost();  // a failed write
  if (!conn_.is_ok() || conn_.server_closing() || stuck) connection_lost();
  pump();
}

void async_session::finish_answered() {
  while (!in_flight_.empty() && in_flight_.front()->request->complete() && !in_flight_.front()->request->lost()) {
    const op_ptr o = std::move(in_flight_.front());
    in_flight_.pop_front();
    answer(o);
  }
  in_flight_count = in_flight_.size();
}

void async_session::answer(const op_ptr& o) {
  if (o->kind == op_kind::statement) {
    answer_statement(o);
    return;
  }
  if (o->kind == op_kind::types) {
    answer_types(o);
    return;
  }
  if (o->kind == op_kind::describe) {
    answer_describe(o);
    return;
  }
  engine::request& r = *o->request;
  engine::result_ptr res = r.results.empty() ? nullptr : std::move(r.results[0]);
  switch (o->kind) {
    case op_kind::statement: return;
    case op_kind::begin:
      if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK && o->finished) {
        // begin() was cancelled while BEGIN was in flight: nobody holds the
        // transaction, so end it before anything else runs.
        auto rollback = std::make_shared<op>();
        rollback->kind = op_kind::rollback;
        rollback->tx = o->tx;
        queue_.push_front(std::move(rollback));
        return;
      }
      if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        if (owner_ == o->tx) owner_.reset();
      }
      finish_with_result(o, std::move(res));
      return;
    case op_kind::commit:
      if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK &&
          std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
        try {
          throw_aborted_commit(
              "commit failed: the transaction was aborted by an earlier error and has been rolled back");
        } catch (...) {
          finish(*o, std::current_exception());
        }
        return;
      }
      finish_with_result(o, std::move(res));
      return;
    case op_kind::rollback:
    case op_kind::internal: finish_with_result(o, std::move(res)); return;
    case op_kind::listen:
      if (res && PQresultStatus(res.get()) != PGRES_COMMAND_OK) std::erase(channels_, o->channel);  // refused
      finish_with_result(o, std::move(res));
      return;
    case op_kind::unlisten: finish_with_result(o, std::move(res)); return;
    case op_kind::reset:
      forget_notifications();  // the previous user's, received up to its UNLISTEN *
      finish(*o, nullptr);
      return;
    case op_kind::connect:
    case op_kind::close:
    case op_kind::types:
    case op_kind::describe: return;
  }
}

void async_session::answer_statement(const op_ptr& o) {
  engine::request& r = *o->request;
  const auto result_at = [&](std::size_t i) { return i < r.results.size() ? std::move(r.results[i]) : nullptr; };
  engine::result_ptr described;  // this request prepared the statement: keep it for the next callers
  if (!o->prepared_name.empty()) {
    engine::result_ptr parsed = result_at(0);
    described = result_at(1);
    const bool ok = parsed && PQresultStatus(parsed.get()) == PGRES_COMMAND_OK && described &&
                    PQresultStatus(described.get()) == PGRES_COMMAND_OK;
    if (!ok) {  // the statement's own error is the one its Parse or Describe reported
      preparing_.erase(o->prepared_key);
      finish_with_result(
          o, parsed && PQresultStatus(parsed.get()) != PGRES_COMMAND_OK ? std::move(parsed) : std::move(described));
      return;
    }
  }
  engine::result_ptr res = result_at(o->result_index);
  if (o->cancel_pending && res && cancelled_by_request(res.get()))
    cancel_settled(*o->cancel_pending);  // it landed here
  // Rows with user types the catalog does not know yet wait for their
  // look-up (and so does the description typed reads choose a format by).
  if (res && PQresultStatus(res.get()) == PGRES_TUPLES_OK && !o->finished &&
      engine::type_catalog::needs_lookup(res.get())) {
    std::vector<std::uint32_t> wanted = conn_.types.missing(engine::type_catalog::column_types(res.get()));
    if (!wanted.empty()) {
      o->held = std::move(res);
      o->held_description = std::move(described);
      look_up_types(o, std::move(wanted), 0);
      return;
    }
  }
  if (!o->prepared_name.empty()) keep_prepared(*o, std::move(described));
  if (res && retry_after(o, res.get())) return;
  if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK && conn_.cache.size() > 0 &&
      changes_schema(PQcmdStatus(res.get()))) {
    conn_.forget_types();
    conn_.cache.clear();
    ++cache_epoch_;
    send_internal("DEALLOCATE ALL");
  }
  std::shared_ptr<const type_set> types = res ? conn_.types.known_for(res.get()) : nullptr;
  finish_with_result(o, std::move(res), std::move(types));
}

// A statement this request prepared goes into the cache, with the user
// types its columns need as far as the catalog knows them (unless the
// server's statements were dropped meanwhile).
void async_session::keep_prepared(op& o, engine::result_ptr described) {
  preparing_.erase(o.prepared_key);
  if (!described || o.cache_epoch != cache_epoch_) return;
  try {
    std::shared_ptr<const type_set> types = conn_.types.known_for(described.get());
    auto description = accept_result(described.release(), o.call->sql, std::move(types));
    for (std::string& evicted : conn_.cache.add(o.prepared_key, {o.prepared_name, std::move(description)})) {
      send_internal("DEALLOCATE " + evicted);
    }
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; it simply stays unprepared
  }
}

// A call with described structs among its parameters: the members go by
// attribute name, which needs the statement's parameter types (described
// once per connection and statement, as the blocking face does: a Parse and
// Describe of the unnamed statement, queued first) and the composites they
// name (a catalog look-up, queued first). Meanwhile the call waits, parked
// on those; the calls behind it go on. Then its parameters are written
// again, once. Throws conversion_error for a struct that does not fit.
bool async_session::ready_to_send(const op_ptr& o) {
  async_call& c = *o->call;
  if (!c.late) return true;
  if (c.values.size() > max_described_parameters && parameter_description_limited()) {
    c.late = false;  // libpq cannot describe it: declaration order
    return true;
  }
  const std::string key = engine::statement_cache::key(c.sql, c.types);
  const std::vector<Oid>* described = conn_.statement_types.find(key);
  if (described == nullptr) {
    if (const auto asked = describing_.find(key); asked != describing_.end()) {
      asked->second->also_parked.push_back(o);  // described once for all who want it at once
      return false;
    }
    auto d = std::make_shared<op>();
    d->kind = op_kind::describe;
    d->tx = o->tx;
    d->text = key;
    d->parked = o;
    describing_.emplace(key, d);
    queue_first(std::move(d));
    return false;
  }
  const std::vector<param_ref> refs = c.parameter_refs();
  const std::vector<std::uint32_t> wanted = engine::late_types(refs, *described);
  if (!wanted.empty() && !o->late_looked_up) {
    std::vector<std::uint32_t> missing = conn_.types.missing(wanted);
    if (!missing.empty()) {
      o->late_looked_up = true;
      look_up_types(o, std::move(missing), 0);
      return false;
    }
  }
  const std::shared_ptr<const type_set> known = o->late_types ? o->late_types : conn_.types.snapshot();
  if (!wanted.empty() && known) engine::write_late(refs, *described, *known, c.late_texts, c.values);
  c.late = false;  // written: a retry sends the same
  return true;
}

// The statement's parameter types are kept for the connection, and the
// statement waiting goes first in the queue again; a statement that does
// not parse gets the server's error.
void async_session::answer_describe(const op_ptr& o) {
  describing_.erase(o->text);
  std::vector<op_ptr> waiting = std::exchange(o->also_parked, {});
  waiting.insert(waiting.begin(), std::exchange(o->parked, nullptr));
  finish(*o, nullptr);
  engine::request& r = *o->request;
  const auto result_at = [&](std::size_t i) { return i < r.results.size() ? std::move(r.results[i]) : nullptr; };
  engine::result_ptr parsed = result_at(0);
  engine::result_ptr described = result_at(1);
  bool ok = true;
  for (engine::result_ptr* res : {&parsed, &described}) {
    if (!ok || (*res && PQresultStatus(res->get()) == PGRES_COMMAND_OK)) continue;
    // The first caller gets the statement's own error (no result at all:
    // connection_error); the others ask again, each for its own answer.
    finish_with_result(waiting.front(), std::move(*res));
    waiting.erase(waiting.begin());
    ok = false;
  }
  if (ok) conn_.statement_types.add(o->text, described.get());
  // First in the queue again, in the order they came (a cancelled one leaves).
  std::reverse(waiting.begin(), waiting.end());
  for (const op_ptr& w : waiting) {
    if (!w->finished) queue_first(w);
  }
}

// The look-up goes first in the queue, in whatever transaction has the
// connection (a type created in it is seen); answers sent before it come
// first, so their callers may get theirs before the statement waiting.
void async_session::look_up_types(const op_ptr& waiting, std::vector<std::uint32_t> wanted, int round) {
  auto o = std::make_shared<op>();
  o->kind = op_kind::types;
  o->tx = owner_;
  o->type_oids = std::move(wanted);
  o->round = round;
  o->parked = waiting;
  queue_first(std::move(o));
}

// The types go into the catalog, and what they refer to is looked up next;
// then the statement waiting gets its result. A failed look-up is rolled back
// to its savepoint before anything else is sent, and the result says which
// types could not be looked up and why.
void async_session::answer_types(const op_ptr& o) {
  lookup_holds_pipeline_ = false;
  const op_ptr waiting = std::exchange(o->parked, nullptr);
  finish(*o, nullptr);
  const engine::request& r = *o->request;
  const PGresult* rows = o->result_index < r.results.size() ? r.results[o->result_index].get() : nullptr;
  std::shared_ptr<const type_set> types;
  const bool looked_up = rows != nullptr && PQresultStatus(rows) == PGRES_TUPLES_OK;
  if (looked_up) {
    std::vector<std::uint32_t> next = conn_.types.absorb(rows);
    if (!next.empty() && o->round + 1 < engine::type_catalog::max_rounds) {
      look_up_types(waiting, std::move(next), o->round + 1);
      return;
    }
    types = waiting->held ? conn_.types.known_for(waiting->held.get()) : conn_.types.snapshot();
  } else {
    types = conn_.types.with_failure(o->type_oids, engine::type_catalog::failure_of(r, conn_.error_message()));
  }
  const bool unsent = !waiting->request;
  if (unsent) {  // not sent yet: its parameters' composites are known now
    waiting->late_types = std::move(types);
    if (!waiting->finished) queue_first(waiting);
  }
  if (o->savepoint && !looked_up) {
    // Queued first, so in this order: rollback, release, then the statement
    // waiting (sent before them, it would only meet the aborted transaction).
    send_internal(engine::type_catalog::lookup::release, o->tx);
    send_internal(engine::type_catalog::lookup::rollback_to, o->tx);
  }
  if (unsent) return;
  if (!waiting->prepared_name.empty()) keep_prepared(*waiting, std::move(waiting->held_description));
  finish_with_result(waiting, std::move(waiting->held), std::move(types));
}

// Two errors that are not the statement's own are run again, once, when it
// committed nothing (autocommit, outside a transaction): a cached plan the
// server now refuses (DDL changed the result type), and a server cancel this
// session sent for another caller's statement that landed on this one.
bool async_session::retry_after(const op_ptr& o, const PGresult* res) {
  if (o->retried || o->tx || o->finished) return false;
  const bool stale_plan = !o->prepared_key.empty() && o->prepared_name.empty() && sqlstate_of(res) == "0A000";
  const bool stray_cancel =
      cancelled_by_request(res) && (cancels_issued_ > o->cancels_at_send || o->cancel_pending_at_send);
  if (!stale_plan && !stray_cancel) return false;
  if (stale_plan) {
    const std::string name = conn_.cache.erase(o->prepared_key);
    if (!name.empty()) send_internal("DEALLOCATE " + name);
  }
  o->retried = true;
  o->request.reset();
  queue_.push_front(o);
  queued_count = queue_.size();
  return true;
}

void async_session::finish_with_result(const op_ptr& o, engine::result_ptr res, std::shared_ptr<const type_set> types) {
  if (o->finished) return;  // cancelled: the answer is dropped
  if (!res) {
    finish(*o, std::make_exception_ptr(connection_error("no result from the server: " + conn_.error_message())));
    return;
  }
  try {
    const std::string_view query = o->call ? std::string_view(o->call->sql) : std::string_view(PQcmdStatus(res.get()));
    finish(*o, nullptr, accept_result(res.release(), query, std::move(types)));
  } catch (...) {
    finish(*o, std::current_exception());
  }
}

void async_session::finish(op& o, std::exception_ptr error, result_data_ptr result) {
  if (o.finished) return;
  o.finished = true;
  if (const op_ptr waiting = std::exchange(o.parked, nullptr); waiting && error) {
    // A look-up's or a description's; a statement not sent yet says so (safe to retry).
    finish(*waiting, waiting->request ? error : not_sent(error));
  }
  for (const op_ptr& waiting : std::exchange(o.also_parked, {})) {
    if (error) finish(*waiting, not_sent(error));
  }
  if (o.observed) {
    if (error) {
      o.observed->failed(error);
    } else {
      std::int64_t rows = -1;
      if (result && o.call) {
        rows = o.call->kind == operation_kind::execute ? result->affected_rows()
                                                       : static_cast<std::int64_t>(result->rows());
      }
      o.observed->succeeded(rows);
    }
  }
  o.done.complete(std::move(error), std::move(result));
}

// --- cancellation ---

void async_session::cancel(const op_ptr& o) {
  if (o->finished) return;
  if (const auto q = std::find(queue_.begin(), queue_.end(), o); q != queue_.end()) {
    queue_.erase(q);  // never sent: it just leaves
    queued_count = queue_.size();
    finish(*o, aborted());
    return;
  }
  const auto f = std::find(in_flight_.begin(), in_flight_.end(), o);
  if (f == in_flight_.end()) {
    // Answered and waiting for a look-up (its result is dropped), or not sent
    // yet, parked on a description or look-up (it is not sent).
    if (o->held || !o->request) finish(*o, aborted());
    return;
  }
  finish(*o, aborted());  // its answer is dropped when it comes
  if (f != in_flight_.begin() || o->kind != op_kind::statement) return;
  // The server is running it: ask the server to stop it, unless the cancel
  // could land on another transaction's statement right behind it (a stray
  // cancel on an autocommit statement is retried, see retry_after).
  const bool other_transaction_behind = std::any_of(
      std::next(f), in_flight_.end(), [&](const op_ptr& next) { return next->tx != nullptr && next->tx != o->tx; });
  if (!other_transaction_behind) request_server_cancel(*o);
}

// A cancel is pending (it may land on whatever runs next) until it is known
// to have landed on its target, or until the worker has sent it.
void async_session::request_server_cancel(op& target) {
  ++cancels_issued_;
  ++cancels_pending_;
  target.cancel_pending = std::make_shared<bool>(true);
  canceller_.run(
      [handle = conn_.canceller(), weak = weak_from_this(), strand = strand_, pending = target.cancel_pending] {
        handle.send();  // blocks for a round trip: hence this thread
        net::post(strand, [weak, pending] {
          if (std::shared_ptr<async_session> s = weak.lock()) s->cancel_settled(*pending);
        });
      });
}

void async_session::cancel_settled(bool& pending) noexcept {
  if (!pending) return;
  pending = false;
  --cancels_pending_;
}

// --- faults ---

// Everything in flight fails with connection_error (COMMIT's outcome is
// unknown); everything queued fails too, saying it was never sent; the
// transaction that had the connection is gone. The next call connects again.
void async_session::connection_lost() { connection_lost(conn_.error_message()); }

void async_session::connection_lost(const std::string& why) {
  deliver_notifications();  // what arrived before the loss goes first
  fail_waiters(std::make_exception_ptr(connection_error("connection lost while waiting for a notification: " + why)));
  close_connection();
  std::deque<op_ptr> lost = std::move(in_flight_);
  in_flight_.clear();
  in_flight_count = 0;
  for (const op_ptr& o : lost) {
    if (o->kind == op_kind::commit) {
      finish(*o, std::make_exception_ptr(commit_outcome_unknown(
                     "the connection was lost while committing; the transaction may or may not have been "
                     "committed (" +
                     why + ")")));
    } else {
      finish(*o, std::make_exception_ptr(connection_error("connection lost: " + why)));
    }
  }
  fail_queued("connection lost before the statement was sent (" + why + ")");
}

void async_session::fail_queued(const std::string& message) {
  std::deque<op_ptr> keep;
  for (const op_ptr& o : queue_) {
    if (o->kind == op_kind::connect || o->kind == op_kind::close) {
      keep.push_back(o);  // they apply to the next connection
    } else if (o->kind == op_kind::internal || o->kind == op_kind::rollback || o->kind == op_kind::reset) {
      // about the session that is gone: nothing to do
      finish(*o, nullptr);
    } else {
      finish(*o, std::make_exception_ptr(connection_error(message, true)));
    }
  }
  queue_ = std::move(keep);
  queued_count = queue_.size();
}

void async_session::close_connection() noexcept {
  release_socket();
  conn_.close();  // marks the requests in flight lost; the server rolls back what was open
  preparing_.clear();
  describing_.clear();
  lookup_holds_pipeline_ = false;
  ++cache_epoch_;
  if (owner_) owner_->lost = true;
  owner_.reset();
  connected = false;
}

// --- connecting ---

void async_session::start_connect() {
  // A broken connection replaced: whoever waits for a notification on it
  // must learn that it was lost (some may have been missed).
  if (conn_.is_open() && !waiters_.empty()) lost_while_idle();
  connecting_ = true;
  ++connect_generation_;
  if (const observed_connection where{&observers, pool_observers.get(), &conn_.server()}; where.observed()) {
    connecting_op_ =
        std::make_unique<operation>(where, connects > 0 ? operation_kind::reconnect : operation_kind::connect);
    connecting_op_->start();
  }
  try {
    conn_.start_connect(conninfo);
  } catch (const connection_error& e) {
    connect_failed(e.what());
    return;
  }
  const std::chrono::seconds timeout = conn_.connect_timeout();
  if (timeout.count() > 0) {
    connect_timer_.expires_after(timeout);
    connect_timer_.async_wait([self = shared_from_this(), generation = connect_generation_](const net_error_code& ec) {
      if (ec || generation != self->connect_generation_ || !self->connecting_) return;
      self->connect_failed("could not connect: timeout expired");
    });
  }
  connect_step(PGRES_POLLING_WRITING);  // as libpq's docs say to start
}

// The socket may change from one host or address to the next: it is
// assigned afresh for every step.
void async_session::connect_step(PostgresPollingStatusType polling) {
  release_socket();
  net_error_code ec;
  socket_.assign(conn_.socket(), ec);
  if (ec) {
    connect_failed("could not connect: " + ec.message());
    return;
  }
  const auto wait = polling == PGRES_POLLING_READING ? net::posix::stream_descriptor::wait_read
                                                     : net::posix::stream_descriptor::wait_write;
  socket_.async_wait(wait,
                     net::bind_executor(strand_, [self = shared_from_this(), generation = connect_generation_,
                                                  socket_generation = socket_generation_](const net_error_code& e) {
                       if (generation != self->connect_generation_ || socket_generation != self->socket_generation_ ||
                           !self->connecting_ || e == net::error::operation_aborted) {
                         return;
                       }
                       PostgresPollingStatusType next = PGRES_POLLING_FAILED;
                       try {
                         next = self->conn_.continue_connect();
                       } catch (const connection_error& failure) {
                         self->connect_failed(failure.what());
                         return;
                       }
                       if (next != PGRES_POLLING_OK) {
                         self->connect_step(next);
                         return;
                       }
                       try {  // connected: the session set-up, one round trip, on the pipeline
                         self->set_up_ = self->conn_.send_set_up({self->options.statement_timeout});
                       } catch (const connection_error& failure) {
                         self->connect_failed(failure.what());
                         return;
                       }
                       self->release_socket();
                       net_error_code assigned;
                       self->socket_.assign(self->conn_.socket(), assigned);
                       if (assigned) {
                         self->connect_failed("could not connect: " + assigned.message());
                         return;
                       }
                       self->flush_and_watch();
                     }));
}

// The engine's set-up answered; then, when channels are remembered, the
// LISTENs (a second round trip, before anything else is sent).
void async_session::set_up_answered() {
  const engine::request_ptr set_up = std::move(set_up_);
  if (set_up->lost()) {
    connect_failed("could not set up the session: " + conn_.error_message());
    return;
  }
  if (relistening_) {
    relistening_ = false;
    for (std::size_t i = 0; i < channels_.size(); ++i) {  // unchanged meanwhile: nothing is sent while connecting
      engine::result_ptr res = i < set_up->results.size() ? std::move(set_up->results[i]) : nullptr;
      if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK) continue;
      try {  // a LISTEN the server refused (a hot standby, say) throws its sql_error: reconnecting cannot mend it
        if (!res) throw connection_error("no answer to LISTEN: " + conn_.error_message(), true);
        (void)accept_result(res.release(), "LISTEN " + quote_identifier(channels_[i]));
      } catch (...) {
        connect_failed(std::current_exception());
        return;
      }
    }
    connected_now();
    return;
  }
  try {
    conn_.finish_set_up(*set_up);
  } catch (const connection_error& e) {
    connect_failed(e.what());
    return;
  }
  if (refuse_pooler && conn_.behind_pooler()) {
    connect_failed(std::make_exception_ptr(listener_behind_pooler("pgwrap::async_listener")));
    return;
  }
  if (send_listens()) return;  // answered later, on the socket
  connected_now();
}

void async_session::connected_now() {
  connecting_ = false;
  connect_timer_.cancel();
  connected = true;
  ++connects;
  if (connecting_op_) std::exchange(connecting_op_, nullptr)->succeeded(-1);
  if (!waiters_.empty()) read_notifications();  // those read behind the set-up's last result
  pump();
}

void async_session::connect_failed(const std::string& message) {
  connect_failed(std::make_exception_ptr(connection_error(message, true)));
}

void async_session::connect_failed(const std::exception_ptr& error) {
  if (connecting_op_) std::exchange(connecting_op_, nullptr)->failed(error);
  connecting_ = false;
  relistening_ = false;
  set_up_.reset();
  connect_timer_.cancel();
  close_connection();
  // Every waiting call learns it (they were never sent); connect() calls too.
  std::deque<op_ptr> waiting = std::move(queue_);
  queue_.clear();
  for (const op_ptr& o : waiting) {
    if (o->kind == op_kind::close) {
      closed_ = true;
      finish(*o, nullptr);
    } else {
      finish(*o, error);
    }
  }
  queued_count = 0;
  deliver_notifications();
  fail_waiters(error);
}

void async_session::release_socket() noexcept {
  ++socket_generation_;
  reading_ = false;
  writing_ = false;
  write_pending_ = false;
  if (socket_.is_open()) {
    net_error_code ignored;
    socket_.cancel(ignored);
    socket_.release();  // never close(): the descriptor is libpq's
  }
}

}  // namespace pgwrap::detail
