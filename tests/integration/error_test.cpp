// The exception hierarchy, with errors the real server raises: each SQLSTATE
// maps to its class, the server's fields are kept, and lost connections are
// reported and recovered from.
#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using error_test = db_test;

/// What a call threw (if anything), to be asked about its classes.
struct caught {
  std::exception_ptr ptr;
  std::type_index type = typeid(void);
  std::string what;

  explicit operator bool() const noexcept { return ptr != nullptr; }

  template <typename E>
  [[nodiscard]] bool is() const {
    if (!ptr) return false;
    try {
      std::rethrow_exception(ptr);
    } catch (const E&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  /// A copy of the exception as E; throws std::logic_error when it is not one.
  template <typename E>
  [[nodiscard]] E as() const {
    try {
      if (ptr) std::rethrow_exception(ptr);
    } catch (const E& e) {
      return e;
    } catch (...) {
    }
    throw std::logic_error("the exception is not of the type asked for: " + describe());
  }

  [[nodiscard]] std::string describe() const {
    if (!ptr) return "no exception";
    return std::string(type.name()) + ": " + what;
  }
};

template <typename F>
caught capture(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const std::exception& e) {
    return {std::current_exception(), typeid(e), e.what()};
  } catch (...) {
    return {std::current_exception(), typeid(void), "(not a std::exception)"};
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// --- class 23: integrity violations ---

TEST_F(error_test, UniqueViolationCarriesTheServersFields) {
  db.execute("CREATE TABLE users (id int CONSTRAINT users_pkey PRIMARY KEY, name text)");
  db.execute("INSERT INTO users (id, name) VALUES (%s, %s)", 7, "first");
  db.commit();

  const caught c = capture([&] { db.execute("INSERT INTO users (id, name) VALUES (%s, %s)", 7, "second"); });
  ASSERT_TRUE(c.is<unique_violation>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(unique_violation)));
  EXPECT_TRUE(c.is<integrity_violation>());
  EXPECT_TRUE(c.is<sql_error>());
  EXPECT_TRUE(c.is<pgwrap::error>());
  EXPECT_TRUE(c.is<std::runtime_error>());
  EXPECT_FALSE(c.is<foreign_key_violation>());
  EXPECT_FALSE(c.is<connection_error>());
  EXPECT_FALSE(c.is<usage_error>());

  const auto e = c.as<unique_violation>();
  EXPECT_EQ(e.sqlstate(), "23505");
  EXPECT_EQ(e.constraint_name(), "users_pkey");
  EXPECT_EQ(e.table_name(), "users");
  EXPECT_EQ(e.schema_name(), schema);
  EXPECT_TRUE(contains(e.detail(), "Key (id)=(7) already exists")) << e.detail();
  EXPECT_EQ(e.query(), "INSERT INTO users (id, name) VALUES ($1, $2)");
  EXPECT_FALSE(contains(e.query(), "second")) << "values travel as parameters, not in the text";
  EXPECT_EQ(e.server_message(), "duplicate key value violates unique constraint \"users_pkey\"");
  const std::string what = e.what();
  EXPECT_TRUE(contains(what, e.server_message())) << what;
  EXPECT_TRUE(contains(what, "SQLSTATE 23505")) << what;
  EXPECT_EQ(what, e.server_message() + " (SQLSTATE 23505)");
  db.rollback();
}

TEST_F(error_test, UniqueViolationFromInsertNamesTheQuotedSql) {
  db.execute("CREATE TABLE users (id int PRIMARY KEY)");
  db.insert("users", {{"id", 1}});
  const caught c = capture([&] { db.insert("users", {{"id", 1}}); });
  ASSERT_TRUE(c.is<unique_violation>()) << c.describe();
  EXPECT_EQ(c.as<unique_violation>().query(), "INSERT INTO \"users\" (\"id\") VALUES ($1)");
  db.rollback();
}

TEST_F(error_test, ForeignKeyViolation) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE parent (id int PRIMARY KEY)");
  db.execute("CREATE TABLE child (id int, parent_id int CONSTRAINT child_parent_fk REFERENCES parent (id))");
  const caught c = capture([&] { db.execute("INSERT INTO child VALUES (%s, %s)", 1, 42); });
  ASSERT_TRUE(c.is<foreign_key_violation>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(foreign_key_violation)));
  EXPECT_TRUE(c.is<integrity_violation>());
  const auto e = c.as<foreign_key_violation>();
  EXPECT_EQ(e.sqlstate(), "23503");
  EXPECT_EQ(e.constraint_name(), "child_parent_fk");
  EXPECT_EQ(e.table_name(), "child");
  EXPECT_TRUE(contains(e.detail(), "(parent_id)=(42)")) << e.detail();

  // The other direction: deleting a referenced row.
  db.execute("INSERT INTO parent VALUES (%s)", 1);
  db.execute("INSERT INTO child VALUES (%s, %s)", 1, 1);
  const caught d = capture([&] { db.execute("DELETE FROM parent WHERE id = %s", 1); });
  ASSERT_TRUE(d.is<foreign_key_violation>()) << d.describe();
  EXPECT_EQ(d.as<sql_error>().sqlstate(), "23503");
}

TEST_F(error_test, NotNullViolationNamesTheColumn) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE users (id int, name text NOT NULL)");
  const caught c = capture([&] { db.execute("INSERT INTO users (id, name) VALUES (%s, %s)", 1, nullptr); });
  ASSERT_TRUE(c.is<not_null_violation>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(not_null_violation)));
  EXPECT_TRUE(c.is<integrity_violation>());
  const auto e = c.as<not_null_violation>();
  EXPECT_EQ(e.sqlstate(), "23502");
  EXPECT_EQ(e.column_name(), "name");
  EXPECT_EQ(e.table_name(), "users");
}

TEST_F(error_test, CheckViolationNamesTheConstraint) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE accounts (balance int CONSTRAINT balance_nonnegative CHECK (balance >= 0))");
  const caught c = capture([&] { db.execute("INSERT INTO accounts VALUES (%s)", -5); });
  ASSERT_TRUE(c.is<check_violation>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(check_violation)));
  EXPECT_TRUE(c.is<integrity_violation>());
  const auto e = c.as<check_violation>();
  EXPECT_EQ(e.sqlstate(), "23514");
  EXPECT_EQ(e.constraint_name(), "balance_nonnegative");
  EXPECT_EQ(e.table_name(), "accounts");
}

TEST_F(error_test, OtherIntegrityViolationsAreTheBaseClass) {
  db.set_autocommit(true);
  // 23P01 exclusion_violation has no class of its own.
  db.execute("CREATE TABLE booking (during int4range, EXCLUDE USING gist (during WITH &&))");
  db.execute("INSERT INTO booking VALUES (int4range(%s, %s))", 1, 5);
  const caught c = capture([&] { db.execute("INSERT INTO booking VALUES (int4range(%s, %s))", 3, 8); });
  ASSERT_TRUE(c.is<integrity_violation>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(integrity_violation)));
  EXPECT_EQ(c.as<sql_error>().sqlstate(), "23P01");
}

// --- class 42: syntax errors and access rules ---

TEST_F(error_test, SyntaxError) {
  const caught c = capture([&] { db.execute("SELEC 1"); });
  ASSERT_TRUE(c.is<syntax_error>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(syntax_error)));
  EXPECT_TRUE(c.is<syntax_error_or_access_rule_violation>());
  EXPECT_TRUE(c.is<sql_error>());
  const auto e = c.as<syntax_error>();
  EXPECT_EQ(e.sqlstate(), "42601");
  EXPECT_EQ(e.query(), "SELEC 1");
  EXPECT_TRUE(contains(e.server_message(), "syntax error at or near \"SELEC\"")) << e.server_message();
  db.rollback();
}

TEST_F(error_test, UndefinedTable) {
  const caught c = capture([&] { db.query("SELECT * FROM no_such_table WHERE id = %s", 1); });
  ASSERT_TRUE(c.is<undefined_table>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(undefined_table)));
  EXPECT_TRUE(c.is<syntax_error_or_access_rule_violation>());
  const auto e = c.as<undefined_table>();
  EXPECT_EQ(e.sqlstate(), "42P01");
  EXPECT_EQ(e.server_message(), "relation \"no_such_table\" does not exist");
  EXPECT_EQ(e.query(), "SELECT * FROM no_such_table WHERE id = $1");
  db.rollback();
}

TEST_F(error_test, UndefinedColumn) {
  db.execute("CREATE TABLE t (id int)");
  const caught c = capture([&] { db.query("SELECT missing FROM t"); });
  ASSERT_TRUE(c.is<undefined_column>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(undefined_column)));
  EXPECT_TRUE(c.is<syntax_error_or_access_rule_violation>());
  const auto e = c.as<undefined_column>();
  EXPECT_EQ(e.sqlstate(), "42703");
  EXPECT_TRUE(contains(e.server_message(), "column \"missing\" does not exist")) << e.server_message();
  db.rollback();
}

TEST_F(error_test, InsufficientPrivilege) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE secret (v int)");
  db.execute("INSERT INTO secret VALUES (%s)", 1);

  const std::string role = schema + "_role";  // roles are global: unique per test
  const std::string quoted_role = quote_identifier(role);
  admin.execute(runtime_sql("CREATE ROLE " + quoted_role + " NOLOGIN"));
  struct drop_role {
    database& db;
    database& admin;
    const std::string& quoted_role;
    ~drop_role() {
      try {
        if (db.is_connected()) db.execute("RESET ROLE");
      } catch (const std::exception& e) {
        ADD_FAILURE() << "RESET ROLE: " << e.what();
      }
      try {
        admin.execute(runtime_sql("DROP OWNED BY " + quoted_role));
        admin.execute(runtime_sql("DROP ROLE " + quoted_role));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "dropping the role: " << e.what();
      }
    }
  } cleanup{db, admin, quoted_role};
  admin.execute(runtime_sql("GRANT USAGE ON SCHEMA " + quote_identifier(schema) + " TO " + quoted_role));

  db.execute(runtime_sql("SET ROLE " + quoted_role));
  EXPECT_EQ(db.scalar<std::string>("SELECT current_user"), role);
  const caught c = capture([&] { db.query("SELECT v FROM secret"); });
  ASSERT_TRUE(c.is<insufficient_privilege>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(insufficient_privilege)));
  EXPECT_TRUE(c.is<syntax_error_or_access_rule_violation>());
  const auto e = c.as<insufficient_privilege>();
  EXPECT_EQ(e.sqlstate(), "42501");
  EXPECT_EQ(e.server_message(), "permission denied for table secret");

  EXPECT_THROW(db.execute("INSERT INTO secret VALUES (%s)", 2), insufficient_privilege);
  db.execute("RESET ROLE");
  EXPECT_EQ(db.scalar<int>("SELECT v FROM secret"), 1);
}

TEST_F(error_test, UndefinedFunctionIsTheClass42BaseWithAHint) {
  const caught c = capture([&] { db.query("SELECT nonexistent_function(1)"); });
  // 42883 has no entry of its own in src/error.cpp's table: its class, 42, applies.
  ASSERT_TRUE(c.is<syntax_error_or_access_rule_violation>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(syntax_error_or_access_rule_violation)));
  EXPECT_FALSE(c.is<syntax_error>());
  const auto e = c.as<sql_error>();
  EXPECT_EQ(e.sqlstate(), "42883");
  EXPECT_EQ(e.server_message(), "function nonexistent_function(integer) does not exist");
  EXPECT_FALSE(contains(e.server_message(), "SQLSTATE")) << "the server's text is kept apart";
  EXPECT_FALSE(e.hint().empty());
  EXPECT_TRUE(contains(e.hint(), "No function matches the given name and argument types")) << e.hint();
  EXPECT_EQ(std::string(e.what()), e.server_message() + " (SQLSTATE 42883)");
  EXPECT_FALSE(contains(e.what(), e.hint())) << "what() is the primary message only";
  db.rollback();
}

// --- class 22: data exceptions ---

TEST_F(error_test, DivisionByZeroIsADataException) {
  const caught c = capture([&] { db.scalar<int>("SELECT %s / 0", 1); });
  ASSERT_TRUE(c.is<data_exception>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(data_exception)));
  EXPECT_TRUE(c.is<sql_error>());
  const auto e = c.as<data_exception>();
  EXPECT_EQ(e.sqlstate(), "22012");
  EXPECT_EQ(e.server_message(), "division by zero");
  db.rollback();
}

TEST_F(error_test, InvalidInputSyntaxIsADataException) {
  const caught c = capture([&] { db.scalar<int>("SELECT 'abc'::int"); });
  ASSERT_TRUE(c.is<data_exception>()) << c.describe();
  const auto e = c.as<data_exception>();
  EXPECT_EQ(e.sqlstate(), "22P02");
  EXPECT_TRUE(contains(e.server_message(), "invalid input syntax for type integer: \"abc\"")) << e.server_message();
  db.rollback();

  // The same for a value sent as a parameter: the server rejects it, not pgwrap.
  const caught p = capture([&] { db.scalar<int>("SELECT %s::int", "abc"); });
  ASSERT_TRUE(p.is<data_exception>()) << p.describe();
  EXPECT_EQ(p.as<sql_error>().sqlstate(), "22P02");
  db.rollback();
}

// --- class 57: operator intervention ---

TEST_F(error_test, StatementTimeoutIsQueryCanceled) {
  db.set_autocommit(true);
  db.execute("SET statement_timeout = 100");
  const auto start = std::chrono::steady_clock::now();
  const caught c = capture([&] { db.execute("SELECT pg_sleep(5)"); });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(c.is<query_canceled>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(query_canceled)));
  EXPECT_TRUE(c.is<operator_intervention>());
  EXPECT_TRUE(c.is<sql_error>());
  EXPECT_FALSE(c.is<connection_error>());
  EXPECT_EQ(c.as<query_canceled>().sqlstate(), "57014");
  EXPECT_LT(elapsed, std::chrono::seconds(4));

  db.execute("SET statement_timeout = 0");
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1) << "the connection survives a cancelled statement";
  EXPECT_TRUE(db.is_connected());
}

// --- class 40: transaction rollback ---

TEST_F(error_test, SerializationFailureIsRetryable) {
  db.execute("CREATE TABLE t (id int PRIMARY KEY, v int)");
  db.execute("INSERT INTO t VALUES (%s, %s)", 1, 0);
  db.commit();

  db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");     // first statement of the transaction
  EXPECT_EQ(db.scalar<int>("SELECT v FROM t WHERE id = %s", 1), 0);  // takes the snapshot

  database other = connect();
  EXPECT_EQ(other.execute("UPDATE t SET v = %s WHERE id = %s", 1, 1), 1);
  other.commit();

  const caught c = capture([&] { db.execute("UPDATE t SET v = v + %s WHERE id = %s", 10, 1); });
  ASSERT_TRUE(c.is<serialization_failure>()) << c.describe();
  EXPECT_EQ(c.type, std::type_index(typeid(serialization_failure)));
  EXPECT_TRUE(c.is<transaction_rollback>());
  EXPECT_TRUE(c.is<sql_error>());
  const auto e = c.as<serialization_failure>();
  EXPECT_EQ(e.sqlstate(), "40001");
  EXPECT_TRUE(e.is_retryable());
  EXPECT_TRUE(c.as<transaction_rollback>().is_retryable());
  db.rollback();

  // Retrying, as the class says, succeeds.
  db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  EXPECT_EQ(db.scalar<int>("SELECT v FROM t WHERE id = %s", 1), 1);
  db.execute("UPDATE t SET v = v + %s WHERE id = %s", 10, 1);
  db.commit();
  EXPECT_EQ(other.scalar<int>("SELECT v FROM t WHERE id = %s", 1), 11);
}

TEST_F(error_test, DeadlockIsDetectedInExactlyOneConnection) {
  db.execute("CREATE TABLE t (id int PRIMARY KEY, v int)");
  db.execute("INSERT INTO t VALUES (1, 0), (2, 0)");
  db.commit();
  database other = connect();
  // Bounds: should the deadlock go undetected, the lock waits end anyway.
  for (database* conn : {&db, &other}) {
    conn->set_autocommit(true);
    conn->execute("SET lock_timeout = '20s'");
    conn->set_autocommit(false);
  }

  db.execute("UPDATE t SET v = 1 WHERE id = 1");
  other.execute("UPDATE t SET v = 2 WHERE id = 2");
  caught in_other;
  std::thread thread([&] { in_other = capture([&] { other.execute("UPDATE t SET v = 2 WHERE id = 1"); }); });
  const caught in_db = capture([&] { db.execute("UPDATE t SET v = 1 WHERE id = 2"); });
  thread.join();

  ASSERT_NE(static_cast<bool>(in_db), static_cast<bool>(in_other))
      << "exactly one must fail; db: " << in_db.describe() << "; other: " << in_other.describe();
  const caught& loser = in_db ? in_db : in_other;
  ASSERT_TRUE(loser.is<deadlock_detected>()) << loser.describe();
  EXPECT_EQ(loser.type, std::type_index(typeid(deadlock_detected)));
  EXPECT_TRUE(loser.is<transaction_rollback>());
  EXPECT_EQ(loser.as<sql_error>().sqlstate(), "40P01");
  EXPECT_TRUE(loser.as<deadlock_detected>().is_retryable());

  database& winner = in_db ? other : db;
  database& failed = in_db ? db : other;
  failed.rollback();
  winner.commit();
  const int expected = in_db ? 2 : 1;  // the winner wrote its value into both rows
  EXPECT_EQ(admin.scalar<std::int64_t>(
                runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".t WHERE v = %s"), expected),
            2);
}

// --- lost connections ---

TEST_F(error_test, ConnectionLostOutsideATransactionReconnectsOnTheNextCall) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  db.commit();
  ASSERT_FALSE(db.in_transaction());
  terminate_backend(admin, pid);

  // The server told the idle session it was closing it; the next call reads
  // that before sending, and since nothing was open, nothing is lost: it
  // reconnects and runs.
  const caught c = capture([&] { EXPECT_EQ(db.scalar<int>("SELECT 2"), 2); });
  EXPECT_FALSE(c) << c.describe();
  EXPECT_NE(db.scalar<int>("SELECT pg_backend_pid()"), pid);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  db.commit();
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".t")), 1);
}

TEST_F(error_test, ConnectionLostOutsideATransactionIsNotAnOpenTransaction) {
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  db.commit();
  terminate_backend(admin, pid);
  // No transaction was open, and none is now.
  EXPECT_FALSE(db.in_transaction());
  EXPECT_NO_THROW(db.set_autocommit(true));
  EXPECT_EQ(db.scalar<int>("SELECT 3"), 3);
}

TEST_F(error_test, ConnectionLostInATransactionNeedsRollback) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  db.execute("INSERT INTO t VALUES (%s)", 1);  // uncommitted
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  terminate_backend(admin, pid);

  const caught first = capture([&] { db.execute("INSERT INTO t VALUES (%s)", 2); });
  ASSERT_TRUE(first.is<connection_error>()) << first.describe();

  // The transaction's work is gone: every call says so until rollback().
  const caught again = capture([&] { db.scalar<int>("SELECT 1"); });
  EXPECT_TRUE(again.is<connection_error>()) << again.describe();
  EXPECT_TRUE(capture([&] { db.scalar<int>("SELECT 1"); }).is<connection_error>());
  const caught commit = capture([&] { db.commit(); });
  EXPECT_TRUE(commit.is<connection_error>()) << "commit must not pretend to succeed: " << commit.describe();
  const caught guard = capture([&] { transaction tx(db); });
  EXPECT_TRUE(guard.is<connection_error>()) << guard.describe();

  EXPECT_NO_THROW(db.rollback());
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0) << "the insert is not there";
  EXPECT_NE(db.scalar<int>("SELECT pg_backend_pid()"), pid);
  db.execute("INSERT INTO t VALUES (%s)", 3);
  db.commit();
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".t")), 1);
}

TEST_F(error_test, CommitRightAfterALostConnectionInATransactionFails) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  db.execute("INSERT INTO t VALUES (%s)", 1);
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  terminate_backend(admin, pid);

  // COMMIT is the first call to notice the loss. Whether a COMMIT in flight
  // reached the server cannot be known in general, so the error says so and
  // there is nothing left to acknowledge: the next call reconnects.
  try {
    db.commit();
    FAIL() << "expected connection_error";
  } catch (const connection_error& e) {
    EXPECT_NE(std::string(e.what()).find("may or may not have been committed"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);  // here the server was gone first
}

TEST_F(error_test, RollbackRightAfterALostConnectionInATransactionAcknowledgesIt) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  db.execute("INSERT INTO t VALUES (%s)", 1);
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  terminate_backend(admin, pid);

  // rollback() is the first call to meet the loss; what it asks for (the
  // work undone) has happened, and it is the acknowledgement the errors ask for.
  const caught c = capture([&] { db.rollback(); });
  EXPECT_FALSE(c) << c.describe();
  const caught next = capture([&] { EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0); });
  EXPECT_FALSE(next) << "after rollback() the database must work again: " << next.describe();
}

TEST_F(error_test, AGuardUnwindingFromALostConnectionAcknowledgesIt) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  db.commit();
  const caught c = capture([&] {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    terminate_backend(admin, pid);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    tx.commit();
  });
  ASSERT_TRUE(c.is<connection_error>()) << c.describe();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0)
      << "the guard rolled back, which acknowledges the loss";
  db.rollback();
}

TEST_F(error_test, ConnectionErrorForAnUnreachableServer) {
  database nowhere("host=/nonexistent/socket/dir port=1 connect_timeout=2");
  const caught c = capture([&] { nowhere.scalar<int>("SELECT 1"); });
  ASSERT_TRUE(c.is<connection_error>()) << c.describe();
  EXPECT_FALSE(c.is<sql_error>());
  EXPECT_TRUE(contains(c.what, "could not connect")) << c.what;
  EXPECT_FALSE(nowhere.is_connected());
}

}  // namespace
}  // namespace pgwrap::test
