// Observers on the blocking face: one start/end pair per call with the
// right kind, rows, batch size and SQLSTATE; observers installed for the
// process and for a database; the slow query log; no secrets in events;
// parameter values only when asked for; observers that throw; OpenTelemetry
// attributes. Process-wide observers are removed at the end of each test
// (global_observer), since other tests run in the same process.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "recording_observer.hpp"
#include "test_db.hpp"

namespace {

using namespace std::chrono_literals;
using pgwrap::operation_kind;
using pgwrap::test::db_test;
using pgwrap::test::global_observer;
using pgwrap::test::op;
using pgwrap::test::recorder;
using pgwrap::test::seen;

/// Collects what observers throw, for one scope; then drops it again.
class error_handler {
 public:
  error_handler() {
    pgwrap::set_observer_error_handler([this](std::exception_ptr e) {
      const std::lock_guard lock(mutex_);
      errors_.push_back(std::move(e));
    });
  }
  ~error_handler() { pgwrap::set_observer_error_handler(nullptr); }
  error_handler(const error_handler&) = delete;
  error_handler& operator=(const error_handler&) = delete;

  std::vector<std::string> messages() {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const std::exception_ptr& e : errors_) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        out.emplace_back(x.what());
      } catch (...) {
        out.emplace_back("?");
      }
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::exception_ptr> errors_;
};

std::optional<pgwrap::attribute_value> attribute(const seen& s, std::string_view key) {
  for (const auto& [k, v] : s.otel) {
    if (k == key) return v;
  }
  return std::nullopt;
}

pgwrap::attribute_value text(const char* s) { return std::string(s); }

class observer_test : public db_test {
 protected:
  void SetUp() override {
    db_test::SetUp();
    if (IsSkipped()) return;
    db.set_autocommit(true);
    db.execute("CREATE TABLE obs_t (id integer PRIMARY KEY, v text)");
  }

  std::shared_ptr<recorder> watch(pgwrap::database& d, pgwrap::observe_options options = {}) {
    auto r = std::make_shared<recorder>();
    d.add_observer(r, options);
    return r;
  }
};

TEST_F(observer_test, connect_on_first_use_then_a_prepared_typed_query_hits_the_cache) {
  pgwrap::database fresh = connect();
  const auto r = watch(fresh);
  EXPECT_EQ(fresh.scalar<int>("SELECT count(*)::int FROM obs_t WHERE id > %s", 0), 0);
  std::vector<op> ops = r->ops();
  ASSERT_EQ(ops.size(), 3U) << recorder::kinds(ops);  // the query, its lazy connect, its own prepare round trip
  EXPECT_EQ(ops[0].start.kind, operation_kind::query);
  EXPECT_EQ(ops[1].start.kind, operation_kind::connect);
  EXPECT_EQ(ops[2].start.kind, operation_kind::prepare);

  const seen& opened = *ops[1].end;
  EXPECT_FALSE(opened.failed);
  EXPECT_TRUE(opened.query_text.empty());
  EXPECT_EQ(ops[1].start.backend_pid, 0) << "not connected yet at the start";
  EXPECT_EQ(opened.database_name, admin.scalar<std::string>("SELECT current_database()"));
  EXPECT_NE(opened.server_port, 0);
  EXPECT_FALSE(opened.server_address.empty());
  EXPECT_NE(opened.backend_pid, 0);
  const int pid = opened.backend_pid;

  const seen& query = *ops[0].end;
  EXPECT_EQ(query.rows, 1);
  EXPECT_FALSE(query.failed);
  EXPECT_TRUE(query.prepared);
  EXPECT_FALSE(query.cache_hit);
  EXPECT_EQ(query.query_text, "SELECT count(*)::int FROM obs_t WHERE id > $1");
  EXPECT_EQ(query.operation_name, "SELECT");
  EXPECT_EQ(query.collection_name, "obs_t");
  EXPECT_EQ(query.backend_pid, pid);
  EXPECT_EQ(ops[0].start.id, query.id);
  EXPECT_NE(ops[1].start.id, query.id);
  EXPECT_EQ(ops[2].end->query_text, query.query_text);
  EXPECT_FALSE(ops[2].end->failed);
  // The lazy connect happened after the query's start and before its request left: queued time.
  EXPECT_GE(query.queued, opened.queued + opened.wire);

  r->clear();
  EXPECT_EQ(fresh.scalar<int>("SELECT count(*)::int FROM obs_t WHERE id > %s", 5), 0);
  const seen again = r->only(operation_kind::query);  // no connect, no prepare
  EXPECT_TRUE(again.prepared);
  EXPECT_TRUE(again.cache_hit);
  EXPECT_EQ(again.rows, 1);
  EXPECT_EQ(again.backend_pid, pid);
  EXPECT_EQ(fresh.scalar<int>("SELECT pg_backend_pid()"), pid);
}

TEST_F(observer_test, each_call_is_one_operation_of_its_kind) {
  const auto r = watch(db);
  EXPECT_EQ(db.execute("INSERT INTO obs_t VALUES (1, 'a'), (2, 'b'), (3, 'c')"), 3);
  {
    const seen e = r->only(operation_kind::execute);
    EXPECT_EQ(e.rows, 3);
    EXPECT_EQ(e.operation_name, "INSERT");
    EXPECT_EQ(e.collection_name, "obs_t");
    EXPECT_EQ(e.batch_size, 1U);
    EXPECT_FALSE(e.failed);
    EXPECT_EQ(e.sqlstate, "");
  }
  r->clear();
  EXPECT_EQ(db.query("SELECT id FROM obs_t WHERE id >= %s", 2).size(), 2U);
  {
    const seen e = r->only(operation_kind::query);
    EXPECT_EQ(e.rows, 2);
    EXPECT_EQ(e.query_text, "SELECT id FROM obs_t WHERE id >= $1");
  }
  r->clear();
  EXPECT_TRUE(db.queryone("SELECT v FROM obs_t WHERE id = %s", 3).has_value());
  EXPECT_EQ(r->only(operation_kind::query).rows, 1);
  r->clear();
  EXPECT_FALSE(db.queryone("SELECT v FROM obs_t WHERE id = %s", 99).has_value());
  EXPECT_EQ(r->only(operation_kind::query).rows, 0);
  r->clear();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM obs_t"), 3);
  {
    const std::vector<op> ops = r->ops();  // a scalar is prepared: its first use prepares in a round trip of its own
    ASSERT_EQ(ops.size(), 2U) << recorder::kinds(ops);
    EXPECT_EQ(ops[1].start.kind, operation_kind::prepare);
    ASSERT_EQ(ops[0].start.kind, operation_kind::query);
    const seen& e = *ops[0].end;
    EXPECT_EQ(e.rows, 1);
    EXPECT_EQ(e.collection_name, "obs_t");
    EXPECT_TRUE(e.prepared);
    EXPECT_EQ(ops[1].end->collection_name, "obs_t");
  }
  r->clear();
  EXPECT_EQ((db.query<int, std::string>("SELECT id, v FROM obs_t ORDER BY id").size()), 3U);
  {
    const std::vector<op> ops = r->ops();
    ASSERT_EQ(ops.size(), 2U) << recorder::kinds(ops);
    EXPECT_EQ(ops[1].start.kind, operation_kind::prepare);
    ASSERT_EQ(ops[0].start.kind, operation_kind::query);
    EXPECT_EQ(ops[0].end->rows, 3);
    EXPECT_TRUE(ops[0].end->prepared);
    EXPECT_FALSE(ops[0].end->cache_hit);
  }
  r->clear();
  EXPECT_EQ(db.insert("obs_t", {{"id", 4}, {"v", "d"}}), 1);
  {
    const seen e = r->only(operation_kind::execute);
    EXPECT_EQ(e.rows, 1);
    EXPECT_EQ(e.operation_name, "INSERT");
    EXPECT_EQ(e.collection_name, "obs_t");
  }
  r->clear();
  EXPECT_EQ(db.insert("obs_t", {{"id", 5}, {"v", "e"}}, pgwrap::returning{"id"})["id"].as<int>(), 5);
  {
    const seen e = r->only(operation_kind::query);
    EXPECT_EQ(e.rows, 1);
    EXPECT_EQ(e.operation_name, "INSERT");
  }
  r->clear();
  EXPECT_EQ(db.update("obs_t", pgwrap::fields{{"v", "x"}}, pgwrap::fields{{"id", 1}}), 1);
  {
    const seen e = r->only(operation_kind::execute);
    EXPECT_EQ(e.rows, 1);
    EXPECT_EQ(e.operation_name, "UPDATE");
    EXPECT_EQ(e.collection_name, "obs_t");  // %I: found from the SQL as sent
  }
  r->clear();
  EXPECT_EQ(db.delete_where("obs_t", pgwrap::fields{{"id", 5}}), 1);
  {
    const seen e = r->only(operation_kind::execute);
    EXPECT_EQ(e.rows, 1);
    EXPECT_EQ(e.operation_name, "DELETE");
    EXPECT_EQ(e.collection_name, "obs_t");
  }
  r->clear();
  EXPECT_EQ(db.execute(pgwrap::runtime_sql("UPDATE obs_t SET v = 'y' WHERE id < 3")), 2);
  {
    const seen e = r->only(operation_kind::execute);
    EXPECT_EQ(e.rows, 2);
    EXPECT_EQ(e.operation_name, "UPDATE");
    EXPECT_EQ(e.collection_name, "obs_t");
  }
}

TEST_F(observer_test, a_stream_is_one_operation_per_batch) {
  db.execute("INSERT INTO obs_t SELECT g, 'r' || g FROM generate_series(1, 25) g");
  db.set_autocommit(false);  // a cursor in the implicit transaction, with FETCHes sent ahead
  db.set_stream_batch_size(10);
  const auto r = watch(db);
  int n = 0;
  for (auto row : db.stream("SELECT id FROM obs_t WHERE id > %s ORDER BY id", 0)) n += row[0].as<int>() > 0 ? 1 : 0;
  EXPECT_EQ(n, 25);
  const std::vector<op> ops = r->ops();
  ASSERT_EQ(ops.size(), 3U) << recorder::kinds(ops);
  const std::int64_t rows[] = {10, 10, 5};
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(ops[i].start.kind, operation_kind::stream_fetch);
    EXPECT_EQ(ops[i].end->rows, rows[i]) << "batch " << i;
    EXPECT_EQ(ops[i].end->query_text, "SELECT id FROM obs_t WHERE id > $1 ORDER BY id");
    EXPECT_EQ(ops[i].end->operation_name, "SELECT");
    EXPECT_EQ(ops[i].end->collection_name, "obs_t");
    EXPECT_FALSE(ops[i].end->failed);
  }
  EXPECT_NE(ops[0].start.id, ops[1].start.id);
  db.rollback();
}

TEST_F(observer_test, executemany_and_execute_batch_are_one_batch_operation) {
  const auto r = watch(db);
  std::vector<std::tuple<int, std::string>> rows;
  for (int i = 1; i <= 5; ++i) rows.emplace_back(i, "v" + std::to_string(i));
  EXPECT_EQ(db.executemany("INSERT INTO obs_t (id, v) VALUES (%s, %s)", rows), 5);
  {
    const seen e = r->only(operation_kind::batch);
    EXPECT_EQ(e.batch_size, 5U);
    EXPECT_EQ(e.rows, 5);
    EXPECT_EQ(e.query_text, "INSERT INTO obs_t (id, v) VALUES ($1, $2)");
    EXPECT_EQ(e.operation_name, "INSERT");
    EXPECT_EQ(e.collection_name, "obs_t");
    EXPECT_EQ(attribute(e, "db.operation.batch.size"), pgwrap::attribute_value(std::int64_t{5}));
  }
  r->clear();
  pgwrap::batch b;
  b.add("INSERT INTO obs_t VALUES (%s, %s)", 6, "six")
      .add("UPDATE obs_t SET v = upper(v) WHERE id > %s", 3)
      .add("DELETE FROM obs_t WHERE id = %s", 1);
  EXPECT_EQ(db.execute_batch(b).size(), 3U);
  {
    const seen e = r->only(operation_kind::batch);
    EXPECT_EQ(e.batch_size, 3U);
    EXPECT_EQ(e.rows, 1 + 3 + 1);
    EXPECT_FALSE(e.failed);
  }
  r->clear();
  // A failing row: the batch's one operation fails with the row's SQLSTATE.
  rows.clear();
  rows.emplace_back(100, "new");
  rows.emplace_back(2, "dup");
  EXPECT_THROW(db.executemany("INSERT INTO obs_t (id, v) VALUES (%s, %s)", rows), pgwrap::unique_violation);
  {
    const seen e = r->only(operation_kind::batch);
    EXPECT_TRUE(e.failed);
    EXPECT_EQ(e.sqlstate, "23505");
    EXPECT_EQ(e.error_type, "pgwrap::unique_violation");
    EXPECT_EQ(e.rows, -1);
    EXPECT_EQ(e.batch_size, 2U);
  }
}

TEST_F(observer_test, copy_in_and_copy_out_are_one_operation_each) {
  const auto r = watch(db);
  std::vector<std::tuple<int, std::string>> rows;
  for (int i = 1; i <= 100; ++i) rows.emplace_back(i, "c" + std::to_string(i));
  EXPECT_EQ(db.copy_in("obs_t", {"id", "v"}, rows), 100);
  {
    const seen e = r->only(operation_kind::copy_in);
    EXPECT_EQ(e.rows, 100);
    EXPECT_EQ(e.operation_name, "COPY");
    EXPECT_EQ(e.collection_name, "obs_t");
    EXPECT_NE(e.query_text.find("FROM STDIN"), std::string::npos) << e.query_text;
    EXPECT_FALSE(e.failed);
  }
  r->clear();
  db.set_stream_batch_size(30);  // several batches: still one operation
  int n = 0;
  for (auto row : db.copy_out("SELECT id FROM obs_t ORDER BY id")) n += row[0].as<int>() > 0 ? 1 : 0;
  EXPECT_EQ(n, 100);
  {
    const seen e = r->only(operation_kind::copy_out);
    EXPECT_EQ(e.rows, 100);
    EXPECT_EQ(e.operation_name, "SELECT");
    EXPECT_EQ(e.collection_name, "obs_t");
    EXPECT_FALSE(e.failed);
  }
  r->clear();
  // A failing COPY: the duplicate key fails the whole load.
  rows.resize(1);
  EXPECT_THROW(db.copy_in("obs_t", {"id", "v"}, rows), pgwrap::unique_violation);
  {
    const seen e = r->only(operation_kind::copy_in);
    EXPECT_TRUE(e.failed);
    EXPECT_EQ(e.sqlstate, "23505");
    EXPECT_EQ(e.error_type, "pgwrap::unique_violation");
  }
}

TEST_F(observer_test, commit_and_rollback_on_the_database_and_through_a_guard) {
  db.set_autocommit(false);
  const auto r = watch(db);
  db.execute("INSERT INTO obs_t VALUES (1, 'a')");
  r->clear();
  db.commit();
  {
    const seen e = r->only(operation_kind::commit);
    EXPECT_FALSE(e.failed);
    EXPECT_EQ(e.query_text, "COMMIT");
  }
  db.execute("INSERT INTO obs_t VALUES (2, 'b')");
  r->clear();
  db.rollback();
  EXPECT_EQ(r->only(operation_kind::rollback).query_text, "ROLLBACK");
  r->clear();
  {
    pgwrap::transaction t(db);
    db.execute("INSERT INTO obs_t VALUES (3, 'c')");
    {
      pgwrap::transaction inner(db);  // a savepoint
      db.execute("INSERT INTO obs_t VALUES (4, 'd')");
      inner.commit();
    }
    t.commit();
  }
  {
    const std::vector<op> ops = r->ops();
    ASSERT_EQ(ops.size(), 4U) << recorder::kinds(ops);
    EXPECT_EQ(ops[2].start.kind, operation_kind::commit);
    EXPECT_EQ(ops[2].end->query_text.rfind("RELEASE SAVEPOINT ", 0), 0U) << ops[2].end->query_text;
    EXPECT_EQ(ops[3].start.kind, operation_kind::commit);
    EXPECT_EQ(ops[3].end->query_text, "COMMIT");
  }
  r->clear();
  {
    pgwrap::transaction t(db);
    db.execute("INSERT INTO obs_t VALUES (5, 'e')");
  }  // rolled back by the guard
  {
    const std::vector<op> ops = r->ops();
    ASSERT_EQ(ops.size(), 2U) << recorder::kinds(ops);
    EXPECT_EQ(ops[1].start.kind, operation_kind::rollback);
    EXPECT_FALSE(ops[1].end->failed);
  }
  EXPECT_EQ(admin.scalar<std::int64_t>(
                pgwrap::runtime_sql("SELECT count(*) FROM " + pgwrap::quote_identifier(schema) + ".obs_t")),
            3);
  // A commit that fails: the transaction was aborted by an earlier error.
  EXPECT_THROW(db.execute("INSERT INTO obs_t VALUES (1, 'dup')"), pgwrap::unique_violation);
  r->clear();
  EXPECT_THROW(db.commit(), pgwrap::sql_error);
  {
    const seen e = r->only(operation_kind::commit);
    EXPECT_TRUE(e.failed);
    EXPECT_EQ(e.sqlstate, "25P02");
  }
}

TEST_F(observer_test, reconnect_after_the_backend_is_terminated) {
  pgwrap::database d = connect();
  d.set_autocommit(true);
  const int pid = d.scalar<int>("SELECT pg_backend_pid()");
  const auto r = watch(d);
  pgwrap::test::terminate_backend(admin, pid);  // admin is not observed: the observer is d's
  const int new_pid = d.scalar<int>("SELECT pg_backend_pid()");
  EXPECT_NE(new_pid, pid);
  const std::vector<op> reconnects = r->of(operation_kind::reconnect);
  ASSERT_EQ(reconnects.size(), 1U) << recorder::kinds(r->ops());
  EXPECT_FALSE(reconnects[0].end->failed);
  EXPECT_EQ(reconnects[0].end->backend_pid, new_pid);
  EXPECT_TRUE(r->of(operation_kind::connect).empty());
  const std::vector<op> queries = r->of(operation_kind::query);
  ASSERT_EQ(queries.size(), 1U);
  EXPECT_FALSE(queries[0].end->failed);
  EXPECT_EQ(queries[0].end->backend_pid, new_pid);
}

TEST_F(observer_test, a_failing_statement_reports_its_sqlstate_and_class) {
  db.execute("INSERT INTO obs_t VALUES (1, 'a')");
  const auto r = watch(db);
  EXPECT_THROW(db.execute("INSERT INTO obs_t VALUES (%s, %s)", 1, "again"), pgwrap::unique_violation);
  const seen e = r->only(operation_kind::execute);
  EXPECT_TRUE(e.failed);
  EXPECT_EQ(e.sqlstate, "23505");
  EXPECT_EQ(e.error_type, "pgwrap::unique_violation");
  EXPECT_EQ(e.rows, -1);
  EXPECT_EQ(attribute(e, "db.response.status_code"), text("23505"));
  EXPECT_TRUE(attribute(e, "error.type").has_value());
  r->clear();
  EXPECT_THROW(db.query("SELECT nope FROM obs_t"), pgwrap::undefined_column);
  const seen q = r->only(operation_kind::query);
  EXPECT_TRUE(q.failed);
  EXPECT_EQ(q.sqlstate, "42703");
  EXPECT_EQ(q.error_type, "pgwrap::undefined_column");
}

TEST_F(observer_test, process_database_and_several_observers_and_removal) {
  db.scalar<int>("SELECT 1");  // connected before anything is watched
  auto process = std::make_shared<recorder>();
  auto mine = std::make_shared<recorder>();
  auto second = std::make_shared<recorder>();
  auto other = std::make_shared<recorder>();
  pgwrap::database elsewhere = connect();
  elsewhere.scalar<int>("SELECT 1");
  elsewhere.add_observer(other);
  {
    const global_observer installed(process);
    EXPECT_THROW(pgwrap::add_observer(process), pgwrap::usage_error) << "installed twice";
    db.add_observer(mine);
    db.add_observer(second);
    EXPECT_THROW(db.add_observer(mine), pgwrap::usage_error);
    EXPECT_THROW(db.add_observer(nullptr), pgwrap::usage_error);

    EXPECT_EQ(db.execute("INSERT INTO obs_t VALUES (1, 'a')"), 1);
    const seen p = process->only(operation_kind::execute);
    const seen m = mine->only(operation_kind::execute);
    const seen s = second->only(operation_kind::execute);
    EXPECT_EQ(p.id, m.id) << "one operation, told to each";
    EXPECT_EQ(s.id, m.id);
    EXPECT_EQ(p.rows, 1);
    EXPECT_TRUE(other->ops().empty()) << "another database's observer";

    elsewhere.execute("SELECT 2");
    EXPECT_EQ(process->ops().size(), 2U) << "the process's observer sees every database";
    EXPECT_EQ(other->ops().size(), 1U);
    EXPECT_EQ(mine->ops().size(), 1U);

    EXPECT_TRUE(db.remove_observer(mine));
    EXPECT_FALSE(db.remove_observer(mine));
    EXPECT_FALSE(db.remove_observer(other)) << "installed on another database";
    process->clear();
    second->clear();
    db.execute("SELECT 3");
    EXPECT_EQ(mine->ops().size(), 1U) << "removed: sees nothing more";
    EXPECT_EQ(second->ops().size(), 1U);
    EXPECT_EQ(process->ops().size(), 1U);

    EXPECT_TRUE(pgwrap::remove_observer(process));
    EXPECT_FALSE(pgwrap::remove_observer(process));
    process->clear();
    db.execute("SELECT 4");
    EXPECT_TRUE(process->ops().empty());
    EXPECT_EQ(second->ops().size(), 2U);
  }  // the guard removes nothing more (false), harmlessly
}

TEST_F(observer_test, slow_query_log_logs_a_slow_statement_only) {
  db.scalar<int>("SELECT 1");  // connected beforehand: a connect is no query
  std::vector<std::string> lines;
  db.add_observer(pgwrap::slow_query_log(50ms, [&](std::string_view line) { lines.emplace_back(line); }));
  db.scalar<int>("SELECT 1");
  EXPECT_TRUE(lines.empty()) << lines.front();
  db.execute("SELECT pg_sleep(0.1)");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("SELECT pg_sleep(0.1)"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("execute"), std::string::npos) << lines[0];
  EXPECT_THROW((void)pgwrap::slow_query_log(50ms, nullptr), pgwrap::usage_error);
}

TEST_F(observer_test, no_password_or_parameter_value_in_any_event_or_log_line) {
  const std::string password = "obs_pw_Zq7Kx19";
  const std::string value = "obs_secret_Vw4Hn22";
  // The test server trusts local connections: a password in the conninfo is harmless.
  const std::string base = schema_dsn();
  const bool uri = base.find("://") != std::string::npos;
  pgwrap::database d(base + (uri ? (base.find('?') == std::string::npos ? "?" : "&") : " ") + "password=" + password);
  std::vector<std::string> lines;
  auto r = std::make_shared<recorder>();
  auto process = std::make_shared<recorder>();
  d.add_observer(r);
  d.add_observer(pgwrap::slow_query_log(0ns, [&](std::string_view line) { lines.emplace_back(line); }));
  {
    const global_observer installed(process);
    d.set_autocommit(true);
    EXPECT_EQ(d.execute("INSERT INTO obs_t VALUES (%s, %s)", 1, value), 1);
    EXPECT_EQ(d.scalar<std::string>("SELECT v FROM obs_t WHERE v = %s", value), value);
    EXPECT_EQ(d.query<std::string>("SELECT v FROM obs_t WHERE v = %s", value).size(), 1U);
    // The server's message quotes the value ("Key (v)=(...) already exists"): it must stay out.
    d.execute("CREATE UNIQUE INDEX ON obs_t (v)");
    EXPECT_THROW(d.execute("INSERT INTO obs_t VALUES (%s, %s)", 2, value), pgwrap::unique_violation);
    EXPECT_THROW(d.execute("SELECT %s::integer", value), pgwrap::data_exception);
    for (auto row : d.stream("SELECT v FROM obs_t WHERE v = %s", value)) (void)row;
    d.executemany("INSERT INTO obs_t (id, v) VALUES (%s, %s)",
                  std::vector<std::tuple<int, std::string>>{{10, value + "a"}, {11, value + "b"}});
    pgwrap::batch b;
    b.add("INSERT INTO obs_t VALUES (%s, %s)", 12, value + "c").add("SELECT %s", value);
    d.execute_batch(b);
    d.copy_in("obs_t", {"id", "v"}, std::vector<std::tuple<int, std::string>>{{13, value + "d"}});
    d.notify("obs_channel", value);
    d.set_autocommit(false);
    d.execute("UPDATE obs_t SET v = %s WHERE id = %s", value + "e", 13);
    d.commit();
  }
  const std::vector<op> ops = r->ops();
  EXPECT_GE(ops.size(), 13U) << recorder::kinds(ops);
  EXPECT_EQ(process->ops().size(), ops.size()) << "the process's observer saw the same operations";
  EXPECT_EQ(lines.size(), ops.size()) << "a 0 ns threshold logs every operation";
  bool connected = false;
  const auto check = [&](const std::vector<op>& list, const char* who) {
    for (const op& o : list) {
      for (const seen* e : {&o.start, o.end ? &*o.end : nullptr}) {
        if (e == nullptr) continue;
        EXPECT_TRUE(e->parameters.empty()) << who << ": values not asked for";
        if (e->kind == operation_kind::connect && e->backend_pid != 0) connected = true;
        for (const std::string& t : e->texts()) {
          EXPECT_EQ(t.find(password), std::string::npos) << who << ": " << t;
          EXPECT_EQ(t.find(value), std::string::npos) << who << ": " << t;
        }
      }
    }
  };
  check(ops, "database observer");
  check(process->ops(), "process observer");
  EXPECT_TRUE(connected) << "the connect was observed";
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find(password), std::string::npos) << line;
    EXPECT_EQ(line.find(value), std::string::npos) << line;
  }
}

TEST_F(observer_test, parameter_values_only_for_the_observer_that_asks) {
  db.scalar<int>("SELECT 1");
  const auto with_values = watch(db, {.parameter_values = true});
  const auto without = watch(db);
  auto process = std::make_shared<recorder>();
  const global_observer installed(process);
  EXPECT_EQ(db.execute("INSERT INTO obs_t VALUES (%s, %s)", 7, std::optional<std::string>()), 1);
  EXPECT_EQ((*db.queryone("SELECT %s || 'x'", std::string("obs_visible")))[0].as<std::string>(), "obs_visiblex");
  const std::vector<op> ops = with_values->ops();
  ASSERT_EQ(ops.size(), 2U) << recorder::kinds(ops);
  ASSERT_EQ(ops[0].start.parameters.size(), 2U);
  EXPECT_EQ(ops[0].end->parameters.size(), 2U);
  EXPECT_TRUE(ops[0].start.parameters[0].has_value());
  EXPECT_FALSE(ops[0].start.parameters[1].has_value()) << "NULL";
  ASSERT_EQ(ops[1].end->parameters.size(), 1U);
  EXPECT_EQ(ops[1].end->parameters[0], std::optional<std::string>("obs_visible"));
  EXPECT_FALSE(ops[1].end->parameter_shapes[0].binary);
  for (const op& o : without->ops()) {
    EXPECT_TRUE(o.start.parameters.empty());
    EXPECT_TRUE(o.end->parameters.empty());
  }
  for (const op& o : process->ops()) EXPECT_TRUE(o.end->parameters.empty());
  EXPECT_EQ(without->ops().size(), 2U);
  EXPECT_EQ(process->ops().size(), 2U);
}

TEST_F(observer_test, process_observer_may_ask_for_values_too) {
  db.scalar<int>("SELECT 1");
  const auto mine = watch(db);
  auto process = std::make_shared<recorder>();
  const global_observer installed(process, {.parameter_values = true});
  EXPECT_TRUE(db.queryone("SELECT %s", std::string("obs_global_value")).has_value());
  const seen p = process->only(operation_kind::query);
  ASSERT_EQ(p.parameters.size(), 1U);
  EXPECT_EQ(p.parameters[0], std::optional<std::string>("obs_global_value"));
  EXPECT_TRUE(mine->only(operation_kind::query).parameters.empty());
}

class thrower : public pgwrap::observer {
 public:
  void on_start(const pgwrap::event& /*e*/) override { throw std::runtime_error("obs thrower: on_start"); }
  void on_end(const pgwrap::event& /*e*/) override { throw std::logic_error("obs thrower: on_end"); }
};

TEST_F(observer_test, an_observer_that_throws_changes_nothing) {
  db.execute("INSERT INTO obs_t VALUES (1, 'a')");
  {
    error_handler handler;
    db.add_observer(std::make_shared<thrower>());
    const auto after = watch(db);  // installed after the thrower: still told
    EXPECT_EQ((*db.queryone("SELECT 41 + %s", 1))[0].as<int>(), 42);
    EXPECT_EQ(handler.messages(), (std::vector<std::string>{"obs thrower: on_start", "obs thrower: on_end"}));
    EXPECT_EQ(after->only(operation_kind::query).rows, 1);
    after->clear();
    // The operation's own exception comes through unchanged.
    try {
      db.execute("INSERT INTO obs_t VALUES (%s, %s)", 1, "dup");
      ADD_FAILURE() << "no exception";
    } catch (const pgwrap::unique_violation& e) {
      EXPECT_EQ(e.sqlstate(), "23505");
    }
    EXPECT_EQ(handler.messages().size(), 4U);
    EXPECT_TRUE(after->only(operation_kind::execute).failed);
    // A process-wide thrower, too.
    const global_observer installed(std::make_shared<thrower>());
    EXPECT_EQ(db.execute("INSERT INTO obs_t VALUES (%s, %s)", 2, "b"), 1);
    EXPECT_EQ(handler.messages().size(), 8U);
  }
  // With the handler reset (nullptr), what observers throw is dropped.
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM obs_t"), 2);
}

TEST_F(observer_test, otel_attributes_of_real_operations) {
  const auto r = watch(db);
  db.query("SELECT id, v FROM obs_t WHERE id = %s", 1);
  const seen e = r->only(operation_kind::query);
  const std::string database = admin.scalar<std::string>("SELECT current_database()");
  EXPECT_EQ(attribute(e, "db.system.name"), text("postgresql"));
  EXPECT_EQ(attribute(e, "db.namespace"), pgwrap::attribute_value(database));
  EXPECT_EQ(attribute(e, "db.query.text"), text("SELECT id, v FROM obs_t WHERE id = $1"));
  EXPECT_EQ(attribute(e, "db.operation.name"), text("SELECT"));
  EXPECT_EQ(attribute(e, "db.collection.name"), text("obs_t"));
  EXPECT_FALSE(attribute(e, "db.operation.batch.size").has_value());
  EXPECT_FALSE(attribute(e, "db.response.status_code").has_value());
  EXPECT_FALSE(attribute(e, "error.type").has_value());
  EXPECT_EQ(attribute(e, "server.address"), pgwrap::attribute_value(e.server_address));
  EXPECT_FALSE(e.server_address.empty());
  EXPECT_EQ(attribute(e, "server.port"), pgwrap::attribute_value(std::int64_t{e.server_port}));
  EXPECT_NE(e.server_port, 0);
  r->clear();
  pgwrap::batch b;
  b.add("INSERT INTO obs_t VALUES (%s, %s)", 1, "a").add("INSERT INTO obs_t VALUES (%s, %s)", 2, "b");
  db.execute_batch(b);
  const seen batch = r->only(operation_kind::batch);
  EXPECT_EQ(attribute(batch, "db.operation.batch.size"), pgwrap::attribute_value(std::int64_t{2}));
  EXPECT_EQ(attribute(batch, "db.operation.name"), text("INSERT"));
  EXPECT_EQ(attribute(batch, "db.collection.name"), text("obs_t"));
}

TEST_F(observer_test, an_untyped_statement_is_prepared_on_its_fifth_run_then_hits_the_cache) {
  const auto r = watch(db);
  for (int i = 0; i < 7; ++i) db.execute("UPDATE obs_t SET v = %s WHERE id = %s", "x", i);
  const std::vector<op> ops = r->ops();
  ASSERT_EQ(ops.size(), 7U) << recorder::kinds(ops);  // prepared in the same round trip: no prepare operation
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(ops[i].start.kind, operation_kind::execute);
    EXPECT_EQ(ops[i].end->prepared, i >= 4) << "run " << i;
    EXPECT_EQ(ops[i].end->cache_hit, i >= 5) << "run " << i;
    EXPECT_EQ(ops[i].end->rows, 0);
  }
  r->clear();
  db.set_statement_cache_size(0);
  for (int i = 0; i < 6; ++i) db.execute("UPDATE obs_t SET v = %s WHERE id = %s", "y", i);
  for (const op& o : r->ops()) EXPECT_FALSE(o.end->prepared);
}

TEST_F(observer_test, a_connect_that_fails_fails_inside_the_call) {
  pgwrap::database nowhere("host=/tmp/obs_no_such_socket_dir port=1 connect_timeout=5");
  const auto r = watch(nowhere);
  EXPECT_THROW(nowhere.execute("SELECT 1"), pgwrap::connection_error);
  const std::vector<op> ops = r->ops();
  ASSERT_EQ(ops.size(), 2U) << recorder::kinds(ops);
  EXPECT_EQ(ops[0].start.kind, operation_kind::execute);
  EXPECT_EQ(ops[1].start.kind, operation_kind::connect);
  for (const op& o : ops) {
    EXPECT_TRUE(o.end->failed);
    EXPECT_EQ(o.end->error_type, "pgwrap::connection_error");
    EXPECT_EQ(o.end->sqlstate, "");
    EXPECT_EQ(o.end->rows, -1);
    EXPECT_EQ(o.end->backend_pid, 0);
    EXPECT_EQ(attribute(*o.end, "error.type"), text("pgwrap::connection_error"));
    EXPECT_FALSE(attribute(*o.end, "db.response.status_code").has_value());
  }
}

TEST_F(observer_test, a_statement_lost_with_its_backend_fails_with_connection_error) {
  const int pid = (*db.queryone("SELECT pg_backend_pid()"))[0].as<int>();
  const auto r = watch(db);
  auto killer = std::async(std::launch::async, [&] {
    EXPECT_TRUE(pgwrap::test::wait_until_running(admin, pid, "pg_sleep"));
    EXPECT_TRUE(admin.scalar<bool>("SELECT pg_terminate_backend(%s)", pid));
  });
  EXPECT_THROW(db.execute("SELECT pg_sleep(60)"), pgwrap::connection_error);
  killer.get();
  const seen e = r->only(operation_kind::execute);
  EXPECT_TRUE(e.failed);
  EXPECT_EQ(e.error_type, "pgwrap::connection_error");
  EXPECT_EQ(e.rows, -1);
}

TEST_F(observer_test, streams_that_fail_run_at_once_or_hold_their_cursor) {
  db.execute("INSERT INTO obs_t SELECT g, 'r' || g FROM generate_series(1, 20) g");
  db.set_stream_batch_size(10);
  const auto r = watch(db);
  // Autocommit: a WITH HOLD cursor, nothing fetched ahead; 20 rows in batches of 10, then an empty one.
  int n = 0;
  for (auto row : db.stream("SELECT id FROM obs_t")) n += row.size() > 0 ? 1 : 0;
  EXPECT_EQ(n, 20);
  {
    const std::vector<op> ops = r->ops();
    ASSERT_EQ(ops.size(), 3U) << recorder::kinds(ops);
    EXPECT_EQ(ops[0].end->rows, 10);
    EXPECT_EQ(ops[1].end->rows, 10);
    EXPECT_EQ(ops[2].end->rows, 0);
    for (const op& o : ops) EXPECT_EQ(o.start.kind, operation_kind::stream_fetch);
  }
  r->clear();
  // A statement no cursor runs: it runs at once, one operation.
  n = 0;
  for (auto row : db.stream("INSERT INTO obs_t VALUES (%s, %s) RETURNING id", 100, "z")) n += row.size() > 0 ? 1 : 0;
  EXPECT_EQ(n, 1);
  {
    const seen e = r->only(operation_kind::stream_fetch);
    EXPECT_EQ(e.rows, 1);
    EXPECT_EQ(e.operation_name, "INSERT");
  }
  r->clear();
  // A batch that fails: division by zero at id 15, in the second batch.
  db.set_autocommit(false);
  try {
    for (auto row : db.stream("SELECT 1 / (id - 15) FROM obs_t WHERE id <= 20 ORDER BY id")) (void)row;
    ADD_FAILURE() << "no exception";
  } catch (const pgwrap::data_exception& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  {
    const std::vector<op> ops = r->ops();
    ASSERT_EQ(ops.size(), 2U) << recorder::kinds(ops);
    EXPECT_FALSE(ops[0].end->failed);
    EXPECT_EQ(ops[0].end->rows, 10);
    EXPECT_TRUE(ops[1].end->failed);
    EXPECT_EQ(ops[1].end->sqlstate, "22012");
    EXPECT_EQ(ops[1].end->error_type, "pgwrap::data_exception");
  }
  db.rollback();
}

TEST_F(observer_test, copy_out_left_early_or_failing_is_still_one_operation) {
  db.execute("INSERT INTO obs_t SELECT g, 'r' || g FROM generate_series(1, 100) g");
  db.set_stream_batch_size(30);
  const auto r = watch(db);
  for (auto row : db.copy_out("TABLE %I", pgwrap::ident("obs_t"))) {
    (void)row;
    break;
  }
  {
    const seen e = r->only(operation_kind::copy_out);
    EXPECT_FALSE(e.failed);
    EXPECT_EQ(e.rows, 30) << "the rows read: one batch";
    EXPECT_EQ(e.operation_name, "TABLE");
    EXPECT_EQ(e.collection_name, "obs_t");
  }
  r->clear();
  try {
    for (auto row : db.copy_out("SELECT 1 / (id - 50) FROM obs_t ORDER BY id")) (void)row;
    ADD_FAILURE() << "no exception";
  } catch (const pgwrap::data_exception& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  {
    const seen e = r->only(operation_kind::copy_out);
    EXPECT_TRUE(e.failed);
    EXPECT_EQ(e.sqlstate, "22012");
    EXPECT_EQ(e.rows, -1);
  }
  r->clear();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM obs_t"), 100);  // usable after both
}

TEST_F(observer_test, a_savepoint_guard_rolls_back_to_its_savepoint) {
  db.set_autocommit(false);
  const auto r = watch(db);
  pgwrap::transaction outer(db);
  {
    pgwrap::transaction inner(db);
    db.execute("INSERT INTO obs_t VALUES (1, 'a')");
  }
  outer.rollback();
  const std::vector<op> ops = r->ops();
  ASSERT_EQ(ops.size(), 3U) << recorder::kinds(ops);
  EXPECT_EQ(ops[1].start.kind, operation_kind::rollback);
  EXPECT_EQ(ops[1].end->query_text.rfind("ROLLBACK TO SAVEPOINT ", 0), 0U) << ops[1].end->query_text;
  EXPECT_EQ(ops[2].start.kind, operation_kind::rollback);
  EXPECT_EQ(ops[2].end->query_text, "ROLLBACK");
  for (const op& o : ops) EXPECT_FALSE(o.end->failed);
}

TEST_F(observer_test, listen_and_notify_are_execute_operations) {
  const auto r = watch(db, {.parameter_values = true});
  const std::string channel = "obs_channel_" + std::to_string(::getpid());
  db.listen(channel);
  {
    const seen e = r->only(operation_kind::execute);
    EXPECT_EQ(e.operation_name, "LISTEN");
    EXPECT_FALSE(e.failed);
  }
  r->clear();
  db.notify(channel, "obs_payload");
  {
    const seen e = r->only(operation_kind::execute);
    EXPECT_EQ(e.query_text, "SELECT pg_notify($1, $2)");
    ASSERT_EQ(e.parameters.size(), 2U);
    EXPECT_EQ(e.parameters[0], std::optional<std::string>(channel));
    EXPECT_EQ(e.parameters[1], std::optional<std::string>("obs_payload"));
  }
  const std::optional<pgwrap::notification> n = db.wait_notification(10s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "obs_payload");
  db.unlisten_all();
}

TEST_F(observer_test, every_call_on_an_unreachable_server_is_one_failed_operation) {
  pgwrap::database nowhere("host=/tmp/obs_no_such_socket_dir port=1 connect_timeout=5");
  const auto r = watch(nowhere);
  const auto expect_one_failed = [&](operation_kind kind, const char* call) {
    const std::vector<op> ops = r->ops();
    EXPECT_EQ(r->of(kind).size(), 1U) << call << ": " << recorder::kinds(ops);
    EXPECT_EQ(r->of(operation_kind::connect).size(), 1U) << call << ": " << recorder::kinds(ops);
    EXPECT_EQ(ops.size(), 2U) << call << ": " << recorder::kinds(ops);
    for (const op& o : ops) {
      EXPECT_TRUE(o.end->failed) << call;
      EXPECT_EQ(o.end->error_type, "pgwrap::connection_error") << call;
    }
    r->clear();
  };
  EXPECT_THROW(nowhere.query("SELECT 1"), pgwrap::connection_error);
  expect_one_failed(operation_kind::query, "query");
  EXPECT_THROW((void)nowhere.stream("SELECT id FROM obs_t"), pgwrap::connection_error);
  expect_one_failed(operation_kind::stream_fetch, "stream");
  EXPECT_THROW(nowhere.executemany("INSERT INTO obs_t VALUES (%s, %s)",
                                   std::vector<std::tuple<int, std::string>>{{1, "a"}, {2, "b"}}),
               pgwrap::connection_error);
  expect_one_failed(operation_kind::batch, "executemany");
  pgwrap::batch b;
  b.add("SELECT 1");
  EXPECT_THROW(nowhere.execute_batch(b), pgwrap::connection_error);
  expect_one_failed(operation_kind::batch, "execute_batch");
  EXPECT_THROW(nowhere.copy_in("obs_t", {"id"}, std::vector<std::tuple<int>>{{1}}), pgwrap::connection_error);
  expect_one_failed(operation_kind::copy_in, "copy_in");
  EXPECT_THROW((void)nowhere.copy_out("SELECT 1"), pgwrap::connection_error);
  expect_one_failed(operation_kind::copy_out, "copy_out");
  EXPECT_THROW(nowhere.listen("obs_nowhere"), pgwrap::connection_error);
  expect_one_failed(operation_kind::execute, "listen");
}

TEST_F(observer_test, a_process_observer_sees_every_thread_with_unique_ids) {
  constexpr int threads = 4;
  constexpr int statements = 50;
  std::vector<pgwrap::database> dbs;
  for (int t = 0; t < threads; ++t) {
    dbs.push_back(connect());
    dbs.back().execute("SELECT 1");  // connected before anything is watched
  }
  auto process = std::make_shared<recorder>();
  {
    const global_observer installed(process);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < statements; ++i) dbs[static_cast<std::size_t>(t)].execute("SELECT %s", i);
      });
    }
    for (std::thread& w : workers) w.join();
  }
  const std::vector<op> ops = process->ops();
  EXPECT_EQ(ops.size(), static_cast<std::size_t>(threads * statements));
  std::set<std::uint64_t> ids;
  std::set<int> pids;
  for (const op& o : ops) {
    ids.insert(o.start.id);
    pids.insert(o.end->backend_pid);
    EXPECT_EQ(o.start.kind, operation_kind::execute);
    EXPECT_FALSE(o.end->failed);
  }
  EXPECT_EQ(ids.size(), ops.size()) << "ids are unique in the process";
  EXPECT_EQ(pids.size(), static_cast<std::size_t>(threads));
}

/// Installs `next` on its database from inside its first on_start, and
/// removes itself in its first on_end.
class installer : public pgwrap::observer {
 public:
  installer(pgwrap::database& db, std::shared_ptr<pgwrap::observer> next) : db_(db), next_(std::move(next)) {}
  void on_start(const pgwrap::event& /*e*/) override {
    if (next_) db_.add_observer(std::exchange(next_, nullptr));
  }
  void on_end(const pgwrap::event& /*e*/) override {
    ++ends;
    if (self) {
      EXPECT_TRUE(db_.remove_observer(std::exchange(self, nullptr)));
    }
  }
  std::shared_ptr<pgwrap::observer> self;
  int ends = 0;

 private:
  pgwrap::database& db_;
  std::shared_ptr<pgwrap::observer> next_;
};

TEST_F(observer_test, an_observer_may_install_and_remove_observers_from_inside_its_calls) {
  auto later = std::make_shared<recorder>();
  auto first = std::make_shared<installer>(db, later);
  first->self = first;
  db.add_observer(first);
  db.execute("SELECT 1");
  EXPECT_EQ(first->ends, 1) << "removing itself at its end: told that end";
  EXPECT_TRUE(later->ops().empty()) << "installed during an operation: sees the next one on";
  db.execute("SELECT 2");
  EXPECT_EQ(first->ends, 1) << "removed";
  EXPECT_EQ(later->only(operation_kind::execute).query_text, "SELECT 2");
  first->self = nullptr;
}

TEST_F(observer_test, a_copy_out_that_outlives_its_database_ends_with_the_facts_it_began_with) {
  db.execute("INSERT INTO obs_t SELECT g, 'r' || g FROM generate_series(1, 100) g");
  auto r = std::make_shared<recorder>();
  auto d = std::make_unique<pgwrap::database>(connect());
  d->set_stream_batch_size(30);
  const int pid = (*d->queryone("SELECT pg_backend_pid()"))[0].as<int>();
  d->add_observer(r);
  {
    auto rows = d->copy_out("SELECT id FROM obs_t ORDER BY id");
    d.reset();  // the database goes while its COPY is being read
    int n = 0;
    try {
      for (auto row : rows) n += row.size() > 0 ? 1 : 0;
      ADD_FAILURE() << "no exception";
    } catch (const pgwrap::connection_error&) {
    }
    EXPECT_EQ(n, 30) << "the first batch, read before the database went";
  }
  {
    const seen e = r->only(operation_kind::copy_out);
    EXPECT_TRUE(e.failed);
    EXPECT_EQ(e.error_type, "pgwrap::connection_error");
    EXPECT_EQ(e.backend_pid, pid);
  }
  // Left early after its database went: ends as it was, with what was read.
  r->clear();
  d = std::make_unique<pgwrap::database>(connect());
  d->set_stream_batch_size(30);
  d->add_observer(r);
  {
    auto rows = d->copy_out("SELECT id FROM obs_t ORDER BY id");
    d.reset();
  }
  const std::vector<op> ops = r->ops();
  ASSERT_EQ(ops.size(), 2U) << recorder::kinds(ops);  // connected lazily, inside the copy_out
  EXPECT_EQ(ops[1].start.kind, operation_kind::connect);
  ASSERT_EQ(ops[0].start.kind, operation_kind::copy_out);
  const seen& e = *ops[0].end;
  EXPECT_FALSE(e.failed);
  EXPECT_EQ(e.rows, 30);
  EXPECT_EQ(e.backend_pid, ops[1].end->backend_pid) << "the facts read once connected, kept";
  EXPECT_NE(e.backend_pid, 0);
}

}  // namespace
