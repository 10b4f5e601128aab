// Observers without a server: the compile-time statement summary
// (detail::summarize_sql, sql_string::operation_name/collection_name), the
// enums' names, otel_attributes on hand-made events and pool_metrics on
// hand-filled pool_stats.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <pgwrap/pool.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace {

using pgwrap::detail::sql_form;
using pgwrap::detail::statement_summary;
using pgwrap::detail::summarize_sql;

constexpr statement_summary written(std::string_view sql) { return summarize_sql(sql, sql_form::directives); }
constexpr statement_summary sent(std::string_view sql) { return summarize_sql(sql, sql_form::expanded); }

constexpr bool is(const statement_summary& s, std::string_view operation, std::string_view collection,
                  bool complete = true) {
  return s.operation == operation && s.collection == collection && s.complete == complete;
}

// --- at compile time, on literals as calls take them ---

constexpr pgwrap::sql_string<> with_select =
    "WITH recent AS (SELECT * FROM orders WHERE d > now()) SELECT * FROM recent";
static_assert(with_select.operation_name() == "SELECT");
static_assert(with_select.collection_name() == "recent");

constexpr pgwrap::sql_string<int, std::string> insert_schema = "INSERT INTO sales.orders (id, note) VALUES (%s, %s)";
static_assert(insert_schema.operation_name() == "INSERT");
static_assert(insert_schema.collection_name() == "sales.orders");

constexpr pgwrap::sql_string<int> update = "update accounts SET balance = balance - 1 WHERE id = %s";
static_assert(update.operation_name() == "UPDATE");
static_assert(update.collection_name() == "accounts");

constexpr pgwrap::sql_string<int> delete_from = "DELETE FROM ONLY public.sessions WHERE id = %s";
static_assert(delete_from.operation_name() == "DELETE");
static_assert(delete_from.collection_name() == "public.sessions");

constexpr pgwrap::sql_string<> copy = "COPY items (id, label) FROM STDIN";
static_assert(copy.operation_name() == "COPY");
static_assert(copy.collection_name() == "items");

constexpr pgwrap::sql_string<pgwrap::ident> table_directive = "SELECT * FROM %I WHERE true";
static_assert(table_directive.operation_name() == "SELECT");
static_assert(table_directive.collection_name().empty());  // known only once %I is expanded
static_assert(!table_directive.ref().summary.complete);

// A function call in the select list comes before FROM: the table is still found.
constexpr pgwrap::sql_string<> count = "SELECT count(*) FROM obs_t";
static_assert(count.operation_name() == "SELECT");
static_assert(count.collection_name() == "obs_t");

// Runtime SQL has no summary yet: it is found from the SQL as sent.
static_assert(pgwrap::sql_string<>(pgwrap::runtime_sql("SELECT 1 FROM t")).operation_name().empty());
static_assert(!pgwrap::sql_string<>(pgwrap::runtime_sql("SELECT 1 FROM t")).ref().summary.complete);

// --- summarize_sql, case by case ---

static_assert(is(written("WITH x AS (DELETE FROM a RETURNING *) INSERT INTO archive.b SELECT * FROM x"), "INSERT",
                 "archive.b"));
static_assert(is(written("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r"), "SELECT",
                 "r"));
static_assert(is(written("COPY (SELECT 1) TO STDOUT"), "COPY", ""));
static_assert(is(written("SELECT 1"), "SELECT", ""));
static_assert(is(written("SELECT * FROM (SELECT 1) s"), "SELECT", ""));
static_assert(is(written("select a from t1, t2"), "SELECT", "t1"));
static_assert(is(written("SELECT extract(year FROM d), lower(x) FROM events e"), "SELECT", "events"));
static_assert(is(written("SELECT 'FROM nowhere' FROM somewhere"), "SELECT", "somewhere"));
static_assert(is(written("SELECT x FROM t WHERE y IN (SELECT z FROM u)"), "SELECT", "t"));
static_assert(is(written("SELECT * FROM \"My Table\""), "SELECT", "My Table"));
static_assert(is(written("SELECT * FROM \"s\".\"t\""), "SELECT", "\"s\".\"t\""));
static_assert(is(written("-- a comment\n/* another */ select 1 FROM t"), "SELECT", "t"));
static_assert(is(written("TRUNCATE TABLE big"), "TRUNCATE", "big"));
static_assert(is(written("TABLE t"), "TABLE", "t"));
static_assert(is(written("LOCK TABLE ONLY t IN EXCLUSIVE MODE"), "LOCK", "t"));
static_assert(is(written("MERGE INTO target t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE"), "MERGE",
                 "target"));
static_assert(is(written("CREATE TABLE t (a int)"), "CREATE", ""));
static_assert(is(written("VALUES (1), (2)"), "VALUES", ""));
static_assert(is(written("frobnicate the table"), "", ""));
static_assert(is(written(""), "", ""));
static_assert(is(written("DELETE FROM %I WHERE %W"), "DELETE", "", false));
static_assert(is(written("INSERT INTO %I (a) VALUES (%s)"), "INSERT", "", false));
static_assert(is(written("SELECT * FROM s.%I"), "SELECT", "", false));
static_assert(is(written("UPDATE %I SET %S WHERE %W"), "UPDATE", "", false));
// A directive where no table goes leaves the summary complete.
static_assert(is(written("SELECT %s FROM t WHERE a = %s"), "SELECT", "t"));
// As sent: '%' is modulo, $n a parameter, %I's quotes around one name dropped.
static_assert(is(sent("SELECT * FROM \"obs_t\" WHERE id % 2 = $1"), "SELECT", "obs_t"));
static_assert(is(sent("UPDATE \"obs_t\" SET \"v\" = $1 WHERE \"id\" = $2"), "UPDATE", "obs_t"));

TEST(observer_summary, runtime_summaries_match_compile_time_ones) {
  // The same function at run time (a runtime_sql statement is summarized when sent).
  const std::string text = "WITH x AS (SELECT 1) DELETE FROM ONLY app.jobs WHERE id = $1";
  const statement_summary s = sent(text);
  EXPECT_EQ(s.operation, "DELETE");
  EXPECT_EQ(s.collection, "app.jobs");
  EXPECT_TRUE(s.complete);
  const statement_summary none = sent(std::string("SHOW search_path"));
  EXPECT_EQ(none.operation, "SHOW");
  EXPECT_EQ(none.collection, "");
}

// As a call gets it: a literal converted to a by-value sql_string parameter.
// clang 14 once wrote the summary into the wrong bytes on exactly this path.
pgwrap::detail::sql_ref passed_as_parameter(pgwrap::sql_string<> sql) { return sql.ref(); }
pgwrap::detail::sql_ref passed_as_parameter_with(pgwrap::sql_string<int> sql) { return sql.ref(); }

TEST(observer_summary, a_literal_passed_to_a_call_keeps_its_summary) {
  const pgwrap::detail::sql_ref plain = passed_as_parameter("SELECT count(*) FROM obs_t");
  EXPECT_EQ(plain.text, "SELECT count(*) FROM obs_t");
  EXPECT_TRUE(plain.checked);
  EXPECT_TRUE(is(plain.summary, "SELECT", "obs_t"));
  const pgwrap::detail::sql_ref with = passed_as_parameter_with("DELETE FROM jobs WHERE id = %s");
  EXPECT_TRUE(is(with.summary, "DELETE", "jobs"));
}

TEST(observer_summary, enum_names) {
  using pgwrap::operation_kind;
  EXPECT_EQ(pgwrap::to_string(operation_kind::query), "query");
  EXPECT_EQ(pgwrap::to_string(operation_kind::execute), "execute");
  EXPECT_EQ(pgwrap::to_string(operation_kind::stream_fetch), "stream_fetch");
  EXPECT_EQ(pgwrap::to_string(operation_kind::batch), "batch");
  EXPECT_EQ(pgwrap::to_string(operation_kind::copy_in), "copy_in");
  EXPECT_EQ(pgwrap::to_string(operation_kind::copy_out), "copy_out");
  EXPECT_EQ(pgwrap::to_string(operation_kind::prepare), "prepare");
  EXPECT_EQ(pgwrap::to_string(operation_kind::commit), "commit");
  EXPECT_EQ(pgwrap::to_string(operation_kind::rollback), "rollback");
  EXPECT_EQ(pgwrap::to_string(operation_kind::connect), "connect");
  EXPECT_EQ(pgwrap::to_string(operation_kind::reconnect), "reconnect");

  using pgwrap::close_reason;
  EXPECT_EQ(pgwrap::to_string(close_reason::broken), "broken");
  EXPECT_EQ(pgwrap::to_string(close_reason::reset_failed), "reset_failed");
  EXPECT_EQ(pgwrap::to_string(close_reason::pool_closed), "pool_closed");
  EXPECT_EQ(pgwrap::to_string(close_reason::failed_check), "failed_check");
  EXPECT_EQ(pgwrap::to_string(close_reason::discarded), "discarded");

  using kind = pgwrap::pool_event::kind;
  EXPECT_EQ(pgwrap::to_string(kind::acquired), "acquired");
  EXPECT_EQ(pgwrap::to_string(kind::released), "released");
  EXPECT_EQ(pgwrap::to_string(kind::timed_out), "timed_out");
  EXPECT_EQ(pgwrap::to_string(kind::connection_opened), "connection_opened");
  EXPECT_EQ(pgwrap::to_string(kind::connection_closed), "connection_closed");
}

std::optional<pgwrap::attribute_value> find(const pgwrap::attributes& a, std::string_view key) {
  std::optional<pgwrap::attribute_value> found;
  int n = 0;
  for (const auto& [k, v] : a) {
    if (k == key) {
      found = v;
      ++n;
    }
  }
  EXPECT_LE(n, 1) << key << " appears " << n << " times";
  return found;
}

TEST(observer_summary, otel_attributes_of_a_hand_made_event) {
  pgwrap::event e;
  e.kind = pgwrap::operation_kind::execute;
  e.query_text = "UPDATE t SET a = $1";
  e.operation_name = "UPDATE";
  e.collection_name = "t";
  e.database_name = "app";
  e.server_address = "/tmp/sock";
  e.server_port = 5433;
  const pgwrap::attributes ok = pgwrap::otel_attributes(e);
  EXPECT_EQ(find(ok, "db.system.name"), pgwrap::attribute_value(std::string("postgresql")));
  EXPECT_EQ(find(ok, "db.namespace"), pgwrap::attribute_value(std::string("app")));
  EXPECT_EQ(find(ok, "db.query.text"), pgwrap::attribute_value(std::string("UPDATE t SET a = $1")));
  EXPECT_EQ(find(ok, "db.operation.name"), pgwrap::attribute_value(std::string("UPDATE")));
  EXPECT_EQ(find(ok, "db.collection.name"), pgwrap::attribute_value(std::string("t")));
  EXPECT_EQ(find(ok, "server.address"), pgwrap::attribute_value(std::string("/tmp/sock")));
  EXPECT_EQ(find(ok, "server.port"), pgwrap::attribute_value(std::int64_t{5433}));
  EXPECT_FALSE(find(ok, "db.operation.batch.size")) << "a batch of one is no batch";
  EXPECT_FALSE(find(ok, "db.response.status_code"));
  EXPECT_FALSE(find(ok, "error.type"));

  e.batch_size = 2;
  e.failed = true;
  e.sqlstate = "23505";
  e.error_type = "pgwrap::unique_violation";
  const pgwrap::attributes bad = pgwrap::otel_attributes(e);
  EXPECT_EQ(find(bad, "db.operation.batch.size"), pgwrap::attribute_value(std::int64_t{2}));
  EXPECT_EQ(find(bad, "db.response.status_code"), pgwrap::attribute_value(std::string("23505")));
  EXPECT_TRUE(find(bad, "error.type").has_value());

  // A failure without a SQLSTATE (lost connection): error.type is the class, no status code.
  e.sqlstate = {};
  e.error_type = "pgwrap::connection_error";
  const pgwrap::attributes lost = pgwrap::otel_attributes(e);
  EXPECT_FALSE(find(lost, "db.response.status_code"));
  EXPECT_EQ(find(lost, "error.type"), pgwrap::attribute_value(std::string("pgwrap::connection_error")));

  // Nothing to say: left out.
  const pgwrap::attributes bare = pgwrap::otel_attributes(pgwrap::event{});
  EXPECT_EQ(bare.size(), 1U);
  EXPECT_TRUE(find(bare, "db.system.name").has_value());
}

TEST(observer_summary, pool_metrics_of_hand_filled_stats) {
  pgwrap::pool_stats s;
  s.max_size = 10;
  s.size = 7;
  s.idle = 3;
  s.in_use = 4;
  s.waiting = 2;
  s.acquires = 100;
  s.timeouts = 5;
  s.connections_opened = 8;
  s.connections_closed = 1;
  s.total_wait = std::chrono::milliseconds(1500);
  s.total_use = std::chrono::seconds(42);
  const std::vector<pgwrap::metric> m = pgwrap::pool_metrics(s);
  const auto value = [&](std::string_view name, std::string_view state,
                         std::string_view unit) -> std::optional<double> {
    std::optional<double> found;
    for (const pgwrap::metric& x : m) {
      if (x.name == name && x.state == state) {
        EXPECT_FALSE(found) << name << " " << state << " twice";
        EXPECT_EQ(x.unit, unit) << name;
        found = x.value;
      }
    }
    return found;
  };
  EXPECT_EQ(value("db.client.connection.count", "idle", "{connection}"), 3.0);
  EXPECT_EQ(value("db.client.connection.count", "used", "{connection}"), 4.0);
  EXPECT_EQ(value("db.client.connection.max", "", "{connection}"), 10.0);
  EXPECT_EQ(value("db.client.connection.pending_requests", "", "{request}"), 2.0);
  EXPECT_EQ(value("db.client.connection.timeouts", "", "{timeout}"), 5.0);
  EXPECT_EQ(value("db.client.connection.wait_time", "", "s"), 1.5);
  EXPECT_EQ(value("db.client.connection.use_time", "", "s"), 42.0);
  EXPECT_EQ(m.size(), 7U);
}

}  // namespace
