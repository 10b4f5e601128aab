// stream(): rows read from a server-side cursor in batches, statements run
// inside the loop, transactions ending under a stream, flat memory.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "private_server.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace streaming {
struct point {
  std::int64_t id = 0;
  std::string label;
};
PGWRAP_DESCRIBE(point, id, label)
}  // namespace streaming

namespace {

using stream_test = db_test;

// pgwrap's cursors still open in the session (protocol portals show up here too).
std::int64_t open_cursors(database& d) {
  return d.scalar<std::int64_t>("SELECT count(*) FROM pg_cursors WHERE starts_with(name, 'pgwrap_cursor_')");
}

TEST_F(stream_test, yields_every_row_in_order_across_batches) {
  db.set_stream_batch_size(7);
  std::int64_t expected = 1;
  for (auto r : db.stream("SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 100) g")) {
    EXPECT_EQ(r["n"].as<std::int64_t>(), expected);
    EXPECT_EQ(r[1].as<std::string>(), "row " + std::to_string(expected));
    ++expected;
  }
  EXPECT_EQ(expected, 101);
}

TEST_F(stream_test, batch_size_equal_to_the_row_count_ends_cleanly) {
  EXPECT_EQ(db.stream_batch_size(), 1000U);  // the default
  db.set_stream_batch_size(10);
  int rows = 0;
  for (auto r : db.stream("SELECT g FROM generate_series(1, %s) g", 20)) rows += r[0].as<int>() > 0 ? 1 : 0;
  EXPECT_EQ(rows, 20);
  int none = 0;
  for (auto r : db.stream("SELECT 1 WHERE false")) none += r.size() > 0 ? 1 : 0;
  EXPECT_EQ(none, 0);
}

TEST_F(stream_test, columns_are_known_before_the_first_row) {
  auto rows = db.stream("SELECT 1 AS a, 2 AS b WHERE %s", false);
  EXPECT_EQ(rows.columns(), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(rows.begin(), rows.end());
}

TEST_F(stream_test, typed_streams_read_tuples_and_structs) {
  db.set_stream_batch_size(3);
  std::int64_t sum = 0;
  for (auto [id, label] :
       db.stream<std::int64_t, std::string>("SELECT g::int8, 'p' || g FROM generate_series(1, 10) g")) {
    sum += id;
    EXPECT_EQ(label, "p" + std::to_string(id));
  }
  EXPECT_EQ(sum, 55);
  std::vector<streaming::point> points;
  for (const streaming::point& p :
       db.stream<streaming::point>("SELECT 'q' || g AS label, g::int8 AS id FROM generate_series(1, 5) g ORDER BY g")) {
    points.push_back(p);
  }
  ASSERT_EQ(points.size(), 5U);
  EXPECT_EQ(points[4].id, 5);
  EXPECT_EQ(points[4].label, "q5");
  EXPECT_THROW(
      {
        for (auto t : db.stream<int>("SELECT 1, 2")) (void)t;
      },
      usage_error);
}

TEST_F(stream_test, a_stream_is_iterated_once) {
  auto rows = db.stream("SELECT 1");
  for (auto r : rows) EXPECT_EQ(r[0].as<int>(), 1);
  EXPECT_THROW((void)rows.begin(), usage_error);
}

TEST_F(stream_test, rows_stay_valid_after_the_loop_and_the_stream) {
  db.set_stream_batch_size(4);
  std::vector<row> kept;
  {
    for (auto r : db.stream("SELECT g, repeat('x', g) FROM generate_series(1, 20) g")) {
      if (r[0].as<int>() % 5 == 0) kept.push_back(r);
    }
  }
  ASSERT_EQ(kept.size(), 4U);
  for (const row& r : kept) EXPECT_EQ(r[1].as<std::string>(), std::string(r[0].as<std::size_t>(), 'x'));
}

// Every kind of call, on every row of a loop of more than 100,000 rows, in
// and out of a transaction: the outer rows all arrive, in order, and what the
// inner calls return is right, also when kept after the loop.
void nested_calls_on_every_row(database& d) {
  d.execute("CREATE TABLE IF NOT EXISTS inner_log (n int8 PRIMARY KEY)");
  constexpr std::int64_t total = 100'003;  // batches of 1,000 (the default) and a short last one
  std::int64_t expected = 1;
  std::int64_t inserted = 0;
  std::vector<row> kept;
  for (auto r : d.stream("SELECT g::int8 AS n FROM generate_series(1, %s) g", total)) {
    const auto n = r["n"].as<std::int64_t>();
    ASSERT_EQ(n, expected);
    switch (n % 5) {
      case 0: ASSERT_EQ(d.scalar<std::int64_t>("SELECT %s::int8 * 2", n), 2 * n); break;
      case 1: {
        const auto one = d.queryone("SELECT %s::int8 + 1 AS next", n);
        ASSERT_TRUE(one);
        if (n % 20'000 == 1) kept.push_back(*one);
        break;
      }
      case 2:
        ASSERT_EQ(d.insert("inner_log", {{"n", n}}), 1);
        ++inserted;
        break;
      case 3: ASSERT_EQ(d.query("SELECT %s::int8 AS n UNION ALL SELECT 0", n).size(), 2U); break;
      default: {
        std::int64_t sum = 0;  // a stream inside the stream
        for (auto inner : d.stream("SELECT generate_series(1, 3)::int8")) sum += inner[0].as<std::int64_t>();
        ASSERT_EQ(sum, 6);
      }
    }
    ++expected;
  }
  EXPECT_EQ(expected, total + 1);
  EXPECT_EQ(d.scalar<std::int64_t>("SELECT count(*) FROM inner_log"), inserted);
  ASSERT_EQ(kept.size(), 6U);
  EXPECT_EQ(kept[0]["next"].as<std::int64_t>(), 2);
  EXPECT_EQ(kept[5]["next"].as<std::int64_t>(), 100'002);
}

// The next batches are fetched ahead while the loop runs; whatever the loop
// body does with the database, they are read first and never lost.
TEST_F(stream_test, every_kind_of_call_inside_the_loop_loses_no_batch) {
  db.execute("CREATE TABLE side (n int8)");
  for (int i = 0; i < 6; ++i) db.queryone("SELECT %s::int8", i);  // prepared: a cache to drop below
  db.set_stream_batch_size(50);
  std::int64_t expected = 1;
  for (auto r : db.stream("SELECT g::int8 FROM generate_series(1, 2000) g")) {
    const auto n = r[0].as<std::int64_t>();
    ASSERT_EQ(n, expected++);
    // On a batch's first row the next ones are in flight; on its last row they may have arrived.
    if (n % 50 != 1 && n % 50 != 0) continue;
    switch ((n / 50) % 8) {
      case 0: db.executemany("INSERT INTO side VALUES (%s)", std::vector<std::tuple<std::int64_t>>{{n}, {-n}}); break;
      case 1: {
        batch b;
        b.add("SELECT %s::int8", n);
        ASSERT_EQ(db.execute_batch(b)[0][0][0].as<std::int64_t>(), n);
        break;
      }
      case 2: db.copy_in("side", {"n"}, std::vector<std::tuple<std::int64_t>>{{n}}); break;
      case 3:  // dropping prepared statements talks to the server too
        db.set_statement_cache_size(0);
        db.set_statement_cache_size(100);
        for (int i = 0; i < 6; ++i) db.queryone("SELECT %s::int8", i);
        break;
      case 4: {
        transaction tx(db);
        db.execute("INSERT INTO side VALUES (%s)", n);
        if (n % 2 == 0) tx.commit();
        break;
      }
      case 5: {
        std::int64_t copied = 0;
        for (auto c : db.copy_out("SELECT generate_series(1, 3)")) copied += c[0].as<std::int64_t>();
        ASSERT_EQ(copied, 6);
        break;
      }
      case 6: {
        std::int64_t inner = 0;
        for (auto i : db.stream("SELECT generate_series(1, 120)")) inner += i[0].as<std::int64_t>();
        ASSERT_EQ(inner, 7260);
        break;
      }
      default: ASSERT_TRUE(db.queryone("SELECT %s::int8", n)); break;
    }
  }
  EXPECT_EQ(expected, 2001);
  db.commit();
}

TEST_F(stream_test, nested_calls_on_every_row_in_a_transaction) {
  nested_calls_on_every_row(db);
  db.commit();
  EXPECT_EQ(open_cursors(db), 0);
}

TEST_F(stream_test, nested_calls_on_every_row_in_autocommit_mode) {
  db.set_autocommit(true);
  nested_calls_on_every_row(db);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(open_cursors(db), 0);  // the held cursor was closed with the statement after the loop
}

TEST_F(stream_test, the_stream_sees_its_own_snapshot_not_the_loop_s_writes) {
  db.execute("CREATE TABLE t (n int)");
  db.execute("INSERT INTO t SELECT generate_series(1, 50)");
  db.set_stream_batch_size(10);
  int seen = 0;
  for (auto r : db.stream("SELECT n FROM t ORDER BY n")) {
    ++seen;
    db.execute("INSERT INTO t VALUES (%s)", 1000 + r[0].as<int>());  // the inner statement sees its writes...
  }
  EXPECT_EQ(seen, 50);  // ...the cursor does not
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 100);
}

TEST_F(stream_test, commit_inside_the_loop_ends_the_stream_with_a_clear_error) {
  db.set_stream_batch_size(10);
  int seen = 0;
  try {
    for (auto r : db.stream("SELECT generate_series(1, 30)")) {
      ++seen;
      if (seen == 5) db.commit();
    }
    FAIL() << "the stream went on after its transaction ended";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("transaction"), std::string::npos) << e.what();
  }
  EXPECT_EQ(seen, 10);                       // the batch in memory was read; the next one had no cursor left
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);  // and the database is fine
}

TEST_F(stream_test, a_held_cursor_survives_commit_in_autocommit_mode) {
  db.set_autocommit(true);
  db.set_stream_batch_size(10);
  int seen = 0;
  for (auto r : db.stream("SELECT generate_series(1, 30)")) {
    ++seen;
    db.commit();  // nothing to commit in autocommit mode; the cursor is WITH HOLD anyway
    (void)r;
  }
  EXPECT_EQ(seen, 30);
}

TEST_F(stream_test, rolling_back_a_savepoint_drops_only_the_streams_opened_after_it) {
  db.set_stream_batch_size(2);
  transaction outer(db);
  auto before = db.stream("SELECT generate_series(1, 6)");
  auto it = before.begin();
  {
    transaction inner(db);
    auto after = db.stream("SELECT generate_series(1, 6)");
    auto inner_it = after.begin();
    inner.rollback();
    ++inner_it;  // still in the batch it has
    EXPECT_THROW(++inner_it, usage_error);
  }
  int rest = 0;
  for (; it != before.end(); ++it) ++rest;
  EXPECT_EQ(rest, 6);
  EXPECT_EQ(open_cursors(db), 0);  // `before` is done, and closed with this statement
  outer.commit();
}

TEST_F(stream_test, an_abandoned_stream_s_cursor_is_closed_with_the_next_statement) {
  db.set_stream_batch_size(5);
  for (auto r : db.stream("SELECT generate_series(1, 1000)")) {
    if (r[0].as<int>() == 3) break;
  }
  EXPECT_EQ(open_cursors(db), 0);
  // Many small streams in one transaction leave no cursors behind either.
  for (int i = 0; i < 50; ++i) {
    for (auto r : db.stream("SELECT %s", i)) EXPECT_EQ(r[0].as<int>(), i);
  }
  EXPECT_LE(open_cursors(db), 1);
}

TEST_F(stream_test, a_server_error_mid_stream_arrives_at_its_row) {
  db.set_stream_batch_size(100);
  int seen = 0;
  try {
    for (auto r : db.stream("SELECT 1 / (500 - g) FROM generate_series(1, 1000) g")) {
      (void)r;
      ++seen;
    }
    FAIL() << "no error";
  } catch (const data_exception& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  EXPECT_EQ(seen, 400);  // the batches before the failing one were delivered
  db.rollback();
  EXPECT_EQ(db.scalar<int>("SELECT 2"), 2);
}

TEST_F(stream_test, a_bad_query_fails_when_the_stream_opens) {
  try {
    (void)db.stream("SELECT * FROM no_such_table WHERE a = %s", 1);
    FAIL() << "no error";
  } catch (const undefined_table& e) {
    EXPECT_EQ(e.query(), "SELECT * FROM no_such_table WHERE a = $1");  // not pgwrap's DECLARE
  }
  db.rollback();
}

TEST_F(stream_test, statements_a_cursor_cannot_run_are_read_at_once) {
  db.execute("CREATE TABLE t (n int)");
  int seen = 0;
  for (auto r : db.stream("INSERT INTO t SELECT generate_series(1, 5) RETURNING n")) seen += r[0].as<int>();
  EXPECT_EQ(seen, 15);
  for (auto r : db.stream("SHOW DateStyle")) EXPECT_EQ(r[0].as<std::string>().substr(0, 3), "ISO");
}

TEST_F(stream_test, closing_the_database_ends_its_streams) {
  db.set_stream_batch_size(2);
  auto rows = db.stream("SELECT generate_series(1, 10)");
  auto it = rows.begin();
  db.close();
  ++it;  // the first batch is in memory
  EXPECT_THROW(++it, connection_error);
}

// A server that goes away mid-loop: a connection_error at the next batch,
// never a hang or a crash; the rows read stay valid; the lost transaction is
// acknowledged with rollback() and the same database then works again.
TEST(stream_fault_test, server_stopped_in_the_middle_of_a_stream) {
  if (!private_server::available()) GTEST_SKIP() << "no initdb/pg_ctl";
  private_server server;
  database d(server.dsn());
  d.set_stream_batch_size(100);
  std::vector<row> kept;
  int seen = 0;
  try {
    for (auto r : d.stream("SELECT g, 'row ' || g FROM generate_series(1, 100000) g")) {
      if (++seen == 150) server.stop();
      if (seen % 50 == 0) kept.push_back(r);
    }
    FAIL() << "the stream went on without its server";
  } catch (const connection_error& e) {
    EXPECT_NE(std::string(e.what()).find("lost"), std::string::npos) << e.what();
  }
  // The batches that had arrived (two may have been fetched ahead), then the error.
  EXPECT_GE(seen, 200);
  EXPECT_LT(seen, 100000);
  EXPECT_EQ(seen % 100, 0);
  ASSERT_GE(kept.size(), 4U);
  EXPECT_EQ(kept[3][1].as<std::string>(), "row 200");
  server.start();
  EXPECT_THROW(d.scalar<int>("SELECT 1"), connection_error);  // the transaction's loss is not glossed over
  d.rollback();
  EXPECT_EQ(d.scalar<int>("SELECT 1"), 1);
}

TEST(stream_fault_test, server_stopped_in_the_middle_of_a_copy_out) {
  if (!private_server::available()) GTEST_SKIP() << "no initdb/pg_ctl";
  private_server server;
  database d(server.dsn());
  d.set_autocommit(true);
  d.set_stream_batch_size(100);
  int seen = 0;
  EXPECT_THROW(
      {
        for (auto r : d.copy_out("SELECT g, repeat('x', 100) FROM generate_series(1, 3000000) g")) {
          if (++seen == 150) server.stop(private_server::shutdown::immediate);
          (void)r;
        }
      },
      connection_error);
  EXPECT_GE(seen, 150);
  EXPECT_LT(seen, 3000000);
  server.start();
  EXPECT_EQ(d.scalar<int>("SELECT 1"), 1);  // autocommit: nothing was lost, so it reconnects
}

TEST_F(stream_test, cursor_detection) {
  EXPECT_TRUE(detail::cursor_accepts("SELECT 1"));
  EXPECT_TRUE(detail::cursor_accepts("  (select 1) ;  "));
  EXPECT_TRUE(detail::cursor_accepts("VALUES (1), (2)"));
  EXPECT_TRUE(detail::cursor_accepts("TABLE t"));
  EXPECT_TRUE(detail::cursor_accepts("WITH a AS (SELECT 1) SELECT * FROM a"));
  EXPECT_TRUE(detail::cursor_accepts("SELECT 'INSERT INTO x' AS \"delete\" -- update\n FROM t FOR UPDATE"));
  EXPECT_TRUE(detail::cursor_accepts("SELECT E'\\' into', $$ into $$ /* into */"));
  EXPECT_FALSE(detail::cursor_accepts("SELECT 1 INTO t"));
  EXPECT_FALSE(detail::cursor_accepts("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"));
  EXPECT_FALSE(detail::cursor_accepts("INSERT INTO t VALUES (1) RETURNING *"));
  EXPECT_FALSE(detail::cursor_accepts("SELECT 1; SELECT 2"));
  EXPECT_FALSE(detail::cursor_accepts("SHOW search_path"));
  EXPECT_FALSE(detail::cursor_accepts(""));
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PGWRAP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PGWRAP_SANITIZED 1
#endif
#endif

// The process's peak resident memory (VmHWM), in KiB.
std::int64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::int64_t kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

TEST_F(stream_test, memory_stays_flat_over_millions_of_rows) {
#ifdef PGWRAP_SANITIZED
  GTEST_SKIP() << "sanitizers keep freed memory in quarantine, so peak RSS says nothing here";
#endif
  const std::int64_t before = peak_rss_kib();
  ASSERT_GT(before, 0) << "no VmHWM in /proc/self/status";
  constexpr std::int64_t total = 3'000'000;  // buffered, these rows take about 400 MiB
  std::int64_t rows = 0;
  std::int64_t checksum = 0;
  for (auto [id, name, score, at, flag] :
       db.stream<std::int64_t, std::string, double, std::chrono::sys_time<std::chrono::microseconds>, bool>(
           "SELECT g::int8, 'name ' || g, g * 0.5, now(), g %% 2 = 0 FROM generate_series(1, %s) g", total)) {
    ++rows;
    checksum += id + static_cast<std::int64_t>(name.size()) + (flag ? 1 : 0);
    (void)score;
    (void)at;
  }
  EXPECT_EQ(rows, total);
  EXPECT_GT(checksum, total);
  const std::int64_t growth_mib = (peak_rss_kib() - before) / 1024;
  EXPECT_LT(growth_mib, 48) << "peak RSS grew by " << growth_mib << " MiB while streaming";
}

}  // namespace
}  // namespace pgwrap::test
