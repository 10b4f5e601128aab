// async_database and async_transaction: each call becomes an operation of
// the database's async_session (src/asio/async_session.cpp).

#include <cstdint>
#include <exception>
#include <new>
#include <string_view>
#include <utility>

#include "asio/async_session.hpp"
#include "internal.hpp"

namespace pgwrap {

using detail::async_session;
using op_kind = async_session::op_kind;

namespace {

async_session::op_ptr make_op(op_kind kind, detail::async_call_ptr call = nullptr,
                              std::shared_ptr<async_transaction::state> tx = nullptr) {
  auto o = std::make_shared<async_session::op>();
  o->kind = kind;
  o->call = std::move(call);
  o->tx = std::move(tx);
  return o;
}

async_session& session_of(const std::shared_ptr<async_session>& s) {
  if (!s) throw usage_error("this async_database was moved from");
  return *s;
}

void check_call(const detail::async_call_ptr& call) {
  if (!call) throw std::bad_alloc();  // failed_async_call could not even hold its error
  if (call->error) std::rethrow_exception(call->error);
}

net::awaitable<void> await_op(std::shared_ptr<async_session> s, async_session::op_ptr o) {
  co_await session_of(s).run(o);
}

// An error found when the call was made, thrown where it is awaited.
net::awaitable<void> rethrow(std::exception_ptr error) {
  std::rethrow_exception(std::move(error));
  co_return;
}

net::awaitable<void> discard(net::awaitable<std::int64_t> statement) { (void)co_await std::move(statement); }

// LISTEN / UNLISTEN, made now: the name copied, checked and quoted (a bad
// one throws when awaited, and nothing is sent).
// `all`: UNLISTEN *.
net::awaitable<void> channel_call(const std::shared_ptr<async_session>& s, op_kind kind, std::string_view channel,
                                  bool all = false) {
  try {
    async_session::op_ptr o = make_op(kind);
    if (all) {
      o->text = "UNLISTEN *";
    } else {
      o->text = (kind == op_kind::listen ? "LISTEN " : "UNLISTEN ") + quote_identifier(channel);
      o->channel = channel;
    }
    return await_op(s, std::move(o));
  } catch (...) {
    return rethrow(std::current_exception());
  }
}

}  // namespace

// --- async_database ---

async_database::async_database(executor_type executor, std::string conninfo, async_options options) {
  if (options.max_in_flight == 0) throw usage_error("async_options::max_in_flight must be at least 1");
  session_ = std::make_shared<async_session>(std::move(executor), std::move(conninfo), std::move(options));
}

async_database::~async_database() {
  if (session_) session_->shut_down();
}

async_database::async_database(async_database&&) noexcept = default;

async_database& async_database::operator=(async_database&& other) noexcept {
  if (this != &other) {
    if (session_) session_->shut_down();
    session_ = std::move(other.session_);
  }
  return *this;
}

net::awaitable<void> async_database::connect() {
  const async_session::op_ptr o = make_op(op_kind::connect);  // named: see async_session::run
  co_await session_of(session_).run(o);
}

net::awaitable<void> async_database::close() {
  const async_session::op_ptr o = make_op(op_kind::close);
  co_await session_of(session_).run(o);
}

net::awaitable<async_transaction> async_database::begin() {
  std::shared_ptr<async_session> session = session_;
  auto tx = std::make_shared<async_transaction::state>();
  const async_session::op_ptr o = make_op(op_kind::begin, nullptr, tx);
  co_await session_of(session).run(o);
  co_return async_transaction(std::move(session), std::move(tx));
}

net::awaitable<std::shared_ptr<const detail::result_data>> async_database::run(detail::async_call_ptr call) {
  check_call(call);
  const async_session::op_ptr o = make_op(op_kind::statement, std::move(call));
  co_return co_await session_of(session_).run(o);
}

async_database::executor_type async_database::get_executor() const noexcept {
  return session_ ? session_->executor : executor_type();
}

const async_options& async_database::options() const noexcept {
  static const async_options none{};
  return session_ ? session_->options : none;
}

bool async_database::is_connected() const noexcept { return session_ && session_->connected.load(); }

std::string async_database::to_string() const {
  if (!session_) return "async_database(moved from)";
  return "async_database(" + detail::masked_conninfo(session_->conninfo) +
         (is_connected() ? ", connected)" : ", not connected)");
}

std::size_t async_database::in_flight() const noexcept { return session_ ? session_->in_flight_count.load() : 0; }

std::size_t async_database::queued() const noexcept { return session_ ? session_->queued_count.load() : 0; }

// --- LISTEN/NOTIFY ---

net::awaitable<void> async_database::listen(std::string_view channel) {
  return channel_call(session_, op_kind::listen, channel);
}

net::awaitable<void> async_database::unlisten(std::string_view channel) {
  return channel_call(session_, op_kind::unlisten, channel);
}

net::awaitable<void> async_database::unlisten_all() { return channel_call(session_, op_kind::unlisten, "", true); }

net::awaitable<void> async_database::notify(std::string_view channel, std::string_view payload) {
  try {
    (void)quote_identifier(channel);  // the same names as LISTEN takes
  } catch (...) {
    return rethrow(std::current_exception());
  }
  return discard(execute("SELECT pg_notify(%s, %s)", channel, payload));
}

net::awaitable<std::optional<notification>> async_database::wait_notification(std::chrono::milliseconds timeout) {
  const std::shared_ptr<async_session> s = session_;
  std::optional<notification> n = co_await session_of(s).wait_notification(timeout, true);
  co_return n;
}

void async_database::add_observer(std::shared_ptr<observer> o, observe_options options) {
  session_of(session_).observers.add(std::move(o), options);
}

bool async_database::remove_observer(const std::shared_ptr<observer>& o) noexcept {
  return session_ && session_->observers.remove(o);
}

// --- async_transaction ---

async_transaction::async_transaction(std::shared_ptr<async_session> session, std::shared_ptr<state> st) noexcept
    : session_(std::move(session)), state_(std::move(st)) {}

async_transaction::async_transaction(async_transaction&&) noexcept = default;

async_transaction& async_transaction::operator=(async_transaction&& other) noexcept {
  if (this != &other) {
    async_transaction dropped(std::move(*this));  // rolls back what this one held
    session_ = std::move(other.session_);
    state_ = std::move(other.state_);
  }
  return *this;
}

async_transaction::~async_transaction() {
  if (!session_ || !state_ || state_->ended) return;
  state_->ended = true;
  // Sent without waiting; it goes before any other caller's statement.
  session_->run_detached(make_op(op_kind::rollback, nullptr, state_));
}

bool async_transaction::active() const noexcept { return state_ && !state_->ended; }

net::awaitable<void> async_transaction::commit() { return finish(true); }

net::awaitable<void> async_transaction::rollback() { return finish(false); }

net::awaitable<void> async_transaction::finish(bool commit) {
  if (!active()) throw usage_error("this transaction is over: it was committed or rolled back already");
  state_->ended = true;
  const async_session::op_ptr o = make_op(commit ? op_kind::commit : op_kind::rollback, nullptr, state_);
  co_await session_->run(o);
}

net::awaitable<std::shared_ptr<const detail::result_data>> async_transaction::run(detail::async_call_ptr call) {
  check_call(call);
  if (!active()) throw usage_error("this transaction is over: it was committed or rolled back already");
  const async_session::op_ptr o = make_op(op_kind::statement, std::move(call), state_);
  co_return co_await session_->run(o);
}

}  // namespace pgwrap
