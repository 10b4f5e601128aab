// LISTEN/NOTIFY on the blocking face: database::listen/notify/wait_notification
// and pgwrap::listener, against a real server. Channels are server-wide, so
// each test's channel names carry the process id.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "test_db.hpp"

namespace {

using namespace std::chrono_literals;
using pgwrap::test::db_test;
using steady_clock = std::chrono::steady_clock;

std::string unique_channel(const std::string& stem) {
  static int counter = 0;
  return stem + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

/// `dsn` with one more connection parameter, key=value or URI alike.
std::string with_parameter(const std::string& dsn, const std::string& key, const std::string& value) {
  if (dsn.find("://") != std::string::npos) {
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
  }
  return dsn + " " + key + "=" + value;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// A 7,999-byte UTF-8 payload (the server's limit), mostly two-byte characters.
std::string largest_payload() {
  std::string p;
  for (int i = 0; i < 3999; ++i) p += "\xC3\xA9";  // é
  p += "x";
  return p;
}

class notifications : public db_test {};

TEST_F(notifications, ten_thousand_arrive_in_order_once_while_statements_run_between_waits) {
  const std::string channel = unique_channel("bulk");
  db.set_autocommit(true);
  db.listen(channel);
  constexpr int count = 10'000;
  constexpr int large_at = 5'000;
  const std::string large = largest_payload();
  ASSERT_EQ(large.size(), 7'999U);

  std::atomic<bool> sender_failed{false};
  std::thread sender([&] {
    try {
      pgwrap::database out(pgwrap::test::dsn());
      out.set_autocommit(true);
      for (int i = 0; i < count; ++i) out.notify(channel, i == large_at ? large : std::to_string(i));
    } catch (...) {
      sender_failed = true;
    }
  });
  int next = 0;
  int statements = 0;
  while (next < count) {
    const std::optional<pgwrap::notification> n = db.wait_notification(10s);
    if (!n) break;
    EXPECT_EQ(n->channel, channel);
    EXPECT_NE(n->backend_pid, 0);
    if (next == large_at) {
      EXPECT_EQ(n->payload, large) << "the 7,999-byte payload";
    } else if (n->payload != std::to_string(next)) {
      ADD_FAILURE() << "expected notification " << next << ", got payload " << n->payload.substr(0, 20);
      break;
    }
    ++next;
    if (next % 7 == 0) {  // statements between waits: what arrives meanwhile is buffered
      EXPECT_EQ(db.scalar<int>("SELECT %s::int4 + 1", next), next + 1);
      ++statements;
    }
  }
  sender.join();
  EXPECT_FALSE(sender_failed);
  EXPECT_EQ(next, count) << "notifications received in order";
  EXPECT_GT(statements, 1000);
  EXPECT_FALSE(db.wait_notification(50ms)) << "none twice";
}

TEST_F(notifications, one_that_came_during_another_call_is_returned_at_once) {
  const std::string channel = unique_channel("self");
  db.set_autocommit(true);
  db.listen(channel);
  db.notify(channel, "to myself");  // a session gets its own notifications, before its NOTIFY returns
  EXPECT_EQ(db.scalar<int>("SELECT 41 + 1"), 42);
  const std::optional<pgwrap::notification> n = db.wait_notification(0ms);
  ASSERT_TRUE(n) << "buffered during notify() and kept through the SELECT";
  EXPECT_EQ(n->payload, "to myself");
  EXPECT_EQ(n->backend_pid, db.scalar<int>("SELECT pg_backend_pid()"));
  EXPECT_FALSE(db.wait_notification(0ms));
}

TEST_F(notifications, empty_wait_sleeps_on_the_socket_for_its_timeout) {
  db.set_autocommit(true);
  db.listen(unique_channel("quiet"));
  const double cpu_before = cpu_seconds();
  const auto start = steady_clock::now();
  const std::optional<pgwrap::notification> n = db.wait_notification(200ms);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - start);
  const double cpu_used = cpu_seconds() - cpu_before;
  std::printf("empty 200 ms wait: %lld ms elapsed, %.3f ms CPU\n", static_cast<long long>(waited.count()),
              cpu_used * 1000);
  EXPECT_FALSE(n);
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 2000ms);
  EXPECT_LT(cpu_used, 0.05) << "a wait that spins instead of sleeping on the socket";
}

TEST_F(notifications, waiting_or_listening_inside_a_transaction_is_a_usage_error) {
  const std::string channel = unique_channel("tx");
  db.listen(channel);  // not autocommit, but no transaction is open yet: listen() begins none
  EXPECT_FALSE(db.in_transaction());
  db.execute("SELECT 1");  // psycopg2's implicit transaction
  ASSERT_TRUE(db.in_transaction());
  try {
    (void)db.wait_notification(10ms);
    ADD_FAILURE() << "no usage_error";
  } catch (const pgwrap::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("only between transactions"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db.listen(unique_channel("tx2")), pgwrap::usage_error);
  EXPECT_THROW(db.unlisten(channel), pgwrap::usage_error);
  db.notify(channel, "at commit");  // inside a transaction: delivered when it commits
  db.commit();
  const std::optional<pgwrap::notification> n = db.wait_notification(5s);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->payload, "at commit");
}

TEST_F(notifications, a_rolled_back_notify_is_never_delivered) {
  const std::string channel = unique_channel("rollback");
  db.listen(channel);
  pgwrap::database other = connect();
  other.execute("SELECT 1");
  other.notify(channel, "undone");
  other.rollback();
  other.set_autocommit(true);
  other.notify(channel, "kept");
  const std::optional<pgwrap::notification> n = db.wait_notification(5s);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->payload, "kept");
}

TEST_F(notifications, channels_are_quoted_names_and_payloads_parameters) {
  const std::string channel = "Mixed Case\"; DROP TABLE x; --" + std::to_string(::getpid());
  const std::string payload = "'); DROP TABLE x; -- $1 %s";
  db.set_autocommit(true);
  db.listen(channel);
  admin.notify(channel, payload);
  const std::optional<pgwrap::notification> n = db.wait_notification(5s);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->channel, channel);
  EXPECT_EQ(n->payload, payload);
  EXPECT_THROW(db.listen(""), pgwrap::usage_error);
  EXPECT_THROW(db.listen(std::string(64, 'c')), pgwrap::usage_error);
  EXPECT_THROW(db.notify(channel, std::string(8000, 'p')), pgwrap::sql_error);  // over the server's limit
  db.unlisten(channel);
  admin.notify(channel, "not heard");
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()"), 0);
  EXPECT_FALSE(db.wait_notification(50ms));
}

TEST_F(notifications, a_database_listens_again_after_it_reconnects) {
  const std::string channel = unique_channel("again");
  db.set_autocommit(true);
  db.listen(channel);
  pgwrap::test::terminate_backend(admin, db.scalar<int>("SELECT pg_backend_pid()"));
  EXPECT_THROW((void)db.wait_notification(5s), pgwrap::connection_error);
  EXPECT_EQ(db.scalar<std::string>("SELECT string_agg(c, ',') FROM pg_listening_channels() c"), channel);
  admin.notify(channel, "after");
  const std::optional<pgwrap::notification> n = db.wait_notification(5s);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->payload, "after");
  db.close();  // close() forgets the channels
  db.connect();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()"), 0);
}

TEST_F(notifications, a_pooled_connection_listens_while_held_and_comes_back_clean) {
  const std::string channel = unique_channel("pooled");
  pgwrap::pool_options options;
  options.max_size = 1;
  pgwrap::pool p(schema_dsn(), options);
  {
    pgwrap::pooled_connection c = p.acquire();
    c->listen(channel);
    c->notify(channel, "for the first user only");
    admin.notify(channel, "also");
    EXPECT_EQ(c->scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()"), 1);
  }
  pgwrap::pooled_connection c = p.acquire();
  EXPECT_EQ(c->scalar<std::int64_t>("SELECT count(*) FROM pg_listening_channels()"), 0);
  c->commit();
  EXPECT_FALSE(c->wait_notification(50ms)) << "the last user's notifications";
}

// --- pgwrap::listener ---

TEST_F(notifications, listener_reports_one_reconnect_after_its_backend_is_killed) {
  const std::string channel = unique_channel("listener");
  const std::string app = "pgwrap_listener_" + std::to_string(::getpid());
  pgwrap::listener l(with_parameter(pgwrap::test::dsn(), "application_name", app));
  l.listen(channel);
  ASSERT_EQ(l.channels(), std::vector<std::string>{channel});
  admin.notify(channel, "before");
  std::optional<pgwrap::listener_event> e = l.receive(5s);
  ASSERT_TRUE(e);
  ASSERT_FALSE(e->reconnected());
  EXPECT_EQ(e->notification.payload, "before");

  const int pid = admin.scalar<int>("SELECT pid FROM pg_stat_activity WHERE application_name = %s", app);
  pgwrap::test::terminate_backend(admin, pid);
  e = l.receive(10s);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->reconnected());
  EXPECT_TRUE(l.is_connected());
  EXPECT_NE(admin.scalar<int>("SELECT pid FROM pg_stat_activity WHERE application_name = %s", app), pid);

  admin.notify(channel, "after");
  e = l.receive(5s);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->reconnected()) << "exactly one reconnected event";
  EXPECT_EQ(e->notification.payload, "after");
  EXPECT_FALSE(l.receive(50ms));
}

TEST_F(notifications, listener_keeps_trying_while_the_server_refuses_and_times_out_meanwhile) {
  const std::string channel = unique_channel("retry");
  // A role of its own, so that refusing its logins disturbs no other test.
  const std::string role = unique_channel("pgwrap_listener_role");
  admin.execute(pgwrap::runtime_sql("CREATE ROLE " + pgwrap::quote_identifier(role) + " LOGIN"));
  struct drop_role {
    pgwrap::database& admin;
    std::string role;
    ~drop_role() { admin.execute(pgwrap::runtime_sql("DROP ROLE IF EXISTS " + pgwrap::quote_identifier(role))); }
  } drop_on_exit{admin, role};
  pgwrap::listener_options options;
  options.reconnect_delay = 20ms;
  pgwrap::listener l(with_parameter(pgwrap::test::dsn(), "user", role), options);
  l.listen(channel);
  admin.execute(pgwrap::runtime_sql("ALTER ROLE " + pgwrap::quote_identifier(role) + " NOLOGIN"));
  pgwrap::test::terminate_backend(admin,
                                  admin.scalar<int>("SELECT pid FROM pg_stat_activity WHERE usename = %s", role));
  EXPECT_FALSE(l.receive(300ms)) << "still refused: nothing to report yet";
  EXPECT_FALSE(l.is_connected());
  admin.execute(pgwrap::runtime_sql("ALTER ROLE " + pgwrap::quote_identifier(role) + " LOGIN"));
  const std::optional<pgwrap::listener_event> e = l.receive(10s);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->reconnected());
  admin.notify(channel, "back");
  const std::optional<pgwrap::listener_event> back = l.receive(5s);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->reconnected());
  EXPECT_EQ(back->notification.payload, "back");
  l.close();
}

TEST_F(notifications, listener_refuses_bad_channel_names_before_connecting) {
  pgwrap::listener l("host=/nonexistent-socket-dir");
  EXPECT_THROW(l.listen(""), pgwrap::usage_error);
  EXPECT_THROW(l.listen(std::string(64, 'c')), pgwrap::usage_error);
  EXPECT_THROW(l.listen("ok"), pgwrap::connection_error) << "a first connect that fails is the caller's error";
}

}  // namespace
