// Transactions: psycopg2's implicit transaction, autocommit, and the
// pgwrap::transaction guard with savepoints. Visibility is always checked
// from another connection, which sees only committed work.
#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using transaction_test = db_test;

/// Rows of `schema`.t as another (autocommit) connection sees them: committed work only.
std::int64_t committed_rows(database& outside, const std::string& schema) {
  return outside.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".t"));
}

/// The ids in t, in order, as `conn` sees them.
std::vector<int> ids(database& conn) {
  std::vector<int> out;
  for (auto r : conn.query("SELECT id FROM t ORDER BY id")) out.push_back(r[0].as<int>());
  return out;
}

/// Creates t (id int primary key) and commits it, leaving db idle.
void create_table(database& conn) {
  conn.execute("CREATE TABLE t (id int PRIMARY KEY)");
  conn.commit();
}

// --- the implicit transaction ---

TEST_F(transaction_test, ImplicitTransactionIsInvisibleUntilCommit) {
  create_table(db);
  EXPECT_FALSE(db.in_transaction());
  db.execute("INSERT INTO t VALUES (%s)", 1);
  EXPECT_TRUE(db.in_transaction());
  EXPECT_EQ(ids(db), std::vector<int>{1});  // its own work is visible to db itself

  database other = connect();
  EXPECT_EQ(other.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
  other.rollback();
  EXPECT_EQ(committed_rows(admin, schema), 0);

  db.commit();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(other.scalar<std::int64_t>("SELECT count(*) FROM t"), 1);
  EXPECT_EQ(committed_rows(admin, schema), 1);
}

TEST_F(transaction_test, RollbackDiscardsTheImplicitTransaction) {
  create_table(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  db.execute("INSERT INTO t VALUES (%s)", 2);
  EXPECT_TRUE(db.in_transaction());
  db.rollback();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0);
  EXPECT_TRUE(ids(db).empty());
  db.rollback();
}

TEST_F(transaction_test, EvenASelectBeginsATransaction) {
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);
  EXPECT_TRUE(db.in_transaction());
  db.commit();
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(transaction_test, CommitAndRollbackWithoutATransactionDoNothing) {
  EXPECT_NO_THROW(db.commit());
  EXPECT_NO_THROW(db.rollback());
  EXPECT_FALSE(db.in_transaction());
  create_table(db);
  EXPECT_NO_THROW(db.commit());
  EXPECT_NO_THROW(db.rollback());
  EXPECT_EQ(committed_rows(admin, schema), 0);
}

TEST_F(transaction_test, TransactionIsolationLevelCanBeSetAsFirstStatement) {
  db.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
  EXPECT_EQ(db.scalar<std::string>("SHOW transaction_isolation"), "serializable");
  db.commit();
  EXPECT_EQ(db.scalar<std::string>("SHOW transaction_isolation"), "read committed");
  db.rollback();
}

// --- closing and destroying never commit ---

TEST_F(transaction_test, DestroyingADatabaseRollsBackItsWork) {
  create_table(db);
  int pid = 0;
  {
    database other = connect();
    other.execute("INSERT INTO t VALUES (%s)", 1);
    pid = other.scalar<int>("SELECT pg_backend_pid()");
    EXPECT_TRUE(other.in_transaction());
  }  // destroyed with the insert uncommitted
  ASSERT_TRUE(wait_until_backend_gone(admin, pid));
  EXPECT_EQ(committed_rows(admin, schema), 0);
}

TEST_F(transaction_test, MoveAssigningOverADatabaseRollsBackItsWork) {
  create_table(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  db = connect();
  ASSERT_TRUE(wait_until_backend_gone(admin, pid));
  EXPECT_EQ(committed_rows(admin, schema), 0);
  EXPECT_TRUE(ids(db).empty());
}

TEST_F(transaction_test, CloseRollsBackUncommittedWork) {
  create_table(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  db.close();
  EXPECT_FALSE(db.is_connected());
  EXPECT_FALSE(db.in_transaction());
  ASSERT_TRUE(wait_until_backend_gone(admin, pid));
  EXPECT_EQ(committed_rows(admin, schema), 0);

  db.connect();
  EXPECT_TRUE(db.is_connected());
  EXPECT_TRUE(ids(db).empty());
}

TEST_F(transaction_test, UseAfterCloseIsAUsageErrorUntilConnect) {
  create_table(db);
  db.close();
  EXPECT_THROW(db.commit(), usage_error);
  EXPECT_THROW(db.rollback(), usage_error);
  EXPECT_THROW(db.execute("INSERT INTO t VALUES (%s)", 1), usage_error);
  EXPECT_THROW(db.scalar<int>("SELECT 1"), usage_error);
  EXPECT_THROW({ transaction tx(db); }, usage_error);
  EXPECT_FALSE(db.is_connected());
  EXPECT_NO_THROW(db.close());  // closing twice is fine

  db.connect();
  EXPECT_TRUE(db.is_connected());
  db.execute("INSERT INTO t VALUES (%s)", 1);
  db.commit();
  EXPECT_EQ(committed_rows(admin, schema), 1);
  {
    transaction tx(db);  // guards work again, too
    db.execute("INSERT INTO t VALUES (%s)", 2);
    tx.commit();
  }
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, CloseWhileAGuardIsActiveRollsBackAndLeavesAUsableDatabase) {
  create_table(db);
  {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    db.close();
    EXPECT_THROW(tx.commit(), usage_error);
  }  // the guard's destructor must not throw or touch the closed database
  db.connect();
  EXPECT_TRUE(ids(db).empty());
  db.execute("INSERT INTO t VALUES (%s)", 2);
  EXPECT_NO_THROW(db.commit()) << "no guard is active any more";
  EXPECT_EQ(committed_rows(admin, schema), 1);
}

// --- autocommit ---

TEST_F(transaction_test, AutocommitMakesEachStatementVisibleAtOnce) {
  EXPECT_FALSE(db.autocommit());
  db.set_autocommit(true);
  EXPECT_TRUE(db.autocommit());
  db.execute("CREATE TABLE t (id int PRIMARY KEY)");
  EXPECT_FALSE(db.in_transaction());
  db.execute("INSERT INTO t VALUES (%s)", 1);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 1);
  db.rollback();  // nothing to roll back: the insert stays
  EXPECT_EQ(committed_rows(admin, schema), 1);

  EXPECT_THROW(db.execute("INSERT INTO t VALUES (%s)", 1), unique_violation);
  EXPECT_FALSE(db.in_transaction()) << "an error in autocommit mode leaves no aborted transaction";
  EXPECT_EQ(db.scalar<int>("SELECT 2"), 2);

  db.set_autocommit(false);
  db.execute("INSERT INTO t VALUES (%s)", 2);
  EXPECT_TRUE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 1);
  db.commit();
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, SetAutocommitInsideATransactionIsAUsageError) {
  create_table(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  EXPECT_THROW(db.set_autocommit(true), usage_error);
  EXPECT_FALSE(db.autocommit());
  EXPECT_TRUE(db.in_transaction()) << "the refused call must leave the transaction alone";
  EXPECT_NO_THROW(db.set_autocommit(false)) << "not a change";
  db.commit();
  EXPECT_EQ(committed_rows(admin, schema), 1);
  EXPECT_NO_THROW(db.set_autocommit(true));
  EXPECT_TRUE(db.autocommit());
}

TEST_F(transaction_test, SetAutocommitInsideAGuardIsAUsageError) {
  db.set_autocommit(true);
  create_table(db);
  transaction tx(db);
  EXPECT_THROW(db.set_autocommit(false), usage_error);
  EXPECT_TRUE(db.autocommit());
  tx.rollback();
  EXPECT_NO_THROW(db.set_autocommit(false));
}

// --- errors inside the implicit transaction ---

TEST_F(transaction_test, AnErrorAbortsTheTransactionAndCommitReportsIt) {
  create_table(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  EXPECT_THROW(db.execute("INSERT INTO t VALUES (%s)", 1), unique_violation);
  EXPECT_TRUE(db.in_transaction());

  try {
    db.scalar<int>("SELECT 1");
    FAIL() << "expected sql_error 25P02";
  } catch (const sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
    EXPECT_NE(e.server_message().find("current transaction is aborted"), std::string::npos) << e.server_message();
  }

  try {
    db.commit();
    FAIL() << "commit of an aborted transaction must throw";
  } catch (const sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
    EXPECT_NE(std::string(e.what()).find("25P02"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0) << "the first, good insert must be rolled back too";

  // The database works again.
  db.execute("INSERT INTO t VALUES (%s)", 2);
  db.commit();
  EXPECT_EQ(ids(db), std::vector<int>{2});
  EXPECT_EQ(committed_rows(admin, schema), 1);
}

TEST_F(transaction_test, RollbackAfterAnErrorRecovers) {
  create_table(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  EXPECT_THROW(db.execute("SELECT 1/0"), data_exception);
  db.rollback();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<int>("SELECT 5"), 5);
  EXPECT_TRUE(ids(db).empty());
}

TEST_F(transaction_test, QuickstartCommitPatternLeavesAUsableDatabase) {
  create_table(db);
  // Commit fails: the rollback in the handler must leave the database usable.
  db.execute("INSERT INTO t VALUES (%s)", 1);
  EXPECT_THROW(db.execute("SELECT nope FROM t"), sql_error);
  bool failed = false;
  try {
    db.commit();
  } catch (const pgwrap::error&) {
    failed = true;
    db.rollback();
  }
  EXPECT_TRUE(failed);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0);

  // Commit succeeds: no handler runs and the work is there.
  db.execute("INSERT INTO t VALUES (%s)", 2);
  failed = false;
  try {
    db.commit();
  } catch (const pgwrap::error&) {
    failed = true;
    db.rollback();
  }
  EXPECT_FALSE(failed);
  EXPECT_EQ(committed_rows(admin, schema), 1);
  EXPECT_EQ(ids(db), std::vector<int>{2});
}

// --- the pgwrap::transaction guard ---

TEST_F(transaction_test, GuardCommitMakesWorkVisible) {
  create_table(db);
  {
    transaction tx(db);
    EXPECT_FALSE(tx.is_savepoint());
    EXPECT_TRUE(db.in_transaction());
    db.execute("INSERT INTO t VALUES (%s)", 1);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    EXPECT_EQ(committed_rows(admin, schema), 0);
    tx.commit();
    EXPECT_FALSE(db.in_transaction());
    EXPECT_EQ(committed_rows(admin, schema), 2);
  }
  EXPECT_EQ(committed_rows(admin, schema), 2) << "the destructor after commit changes nothing";
}

TEST_F(transaction_test, GuardLeavingScopeWithoutCommitRollsBack) {
  create_table(db);
  {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0);
  EXPECT_TRUE(ids(db).empty());
}

TEST_F(transaction_test, GuardRollsBackWhenAnExceptionUnwinds) {
  create_table(db);
  try {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    throw std::runtime_error("application failure");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "application failure");
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0);

  // Likewise when the exception is the server's.
  try {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    tx.commit();
  } catch (const unique_violation&) {
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0);
  EXPECT_EQ(db.scalar<int>("SELECT 3"), 3) << "the database is usable after the guard rolled back";
}

TEST_F(transaction_test, GuardGroupsStatementsInAutocommitMode) {
  db.set_autocommit(true);
  create_table(db);
  {
    transaction tx(db);
    EXPECT_FALSE(tx.is_savepoint());
    EXPECT_TRUE(db.in_transaction());
    db.execute("INSERT INTO t VALUES (%s)", 1);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    EXPECT_EQ(committed_rows(admin, schema), 0) << "autocommit must not commit inside a guard";
  }
  EXPECT_EQ(committed_rows(admin, schema), 0);
  {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 3);
    db.execute("INSERT INTO t VALUES (%s)", 4);
    EXPECT_EQ(committed_rows(admin, schema), 0);
    tx.commit();
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 2);
  db.execute("INSERT INTO t VALUES (%s)", 5);  // autocommit again after the guard
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 3);
}

TEST_F(transaction_test, NestedGuardRollbackKeepsOuterWork) {
  create_table(db);
  {
    transaction outer(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    {
      transaction inner(db);
      EXPECT_TRUE(inner.is_savepoint());
      db.execute("INSERT INTO t VALUES (%s)", 2);
      EXPECT_EQ(ids(db), (std::vector<int>{1, 2}));
      inner.rollback();
      EXPECT_TRUE(db.in_transaction());
    }
    EXPECT_EQ(ids(db), std::vector<int>{1});
    {
      transaction inner(db);  // leaving scope rolls back to the savepoint too
      db.execute("INSERT INTO t VALUES (%s)", 3);
    }
    db.execute("INSERT INTO t VALUES (%s)", 4);
    EXPECT_EQ(committed_rows(admin, schema), 0);
    outer.commit();
  }
  EXPECT_EQ(ids(db), (std::vector<int>{1, 4}));
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, OuterRollbackDiscardsInnerCommittedWork) {
  create_table(db);
  {
    transaction outer(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    {
      transaction inner(db);
      db.execute("INSERT INTO t VALUES (%s)", 2);
      inner.commit();
      EXPECT_TRUE(db.in_transaction());
      EXPECT_EQ(committed_rows(admin, schema), 0) << "releasing a savepoint commits nothing";
    }
    EXPECT_EQ(ids(db), (std::vector<int>{1, 2}));
    outer.rollback();
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0);
  EXPECT_TRUE(ids(db).empty());
}

TEST_F(transaction_test, ThreeLevelsOfNesting) {
  create_table(db);
  transaction a(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  {
    transaction b(db);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    {
      transaction c(db);
      EXPECT_TRUE(c.is_savepoint());
      db.execute("INSERT INTO t VALUES (%s)", 3);
      c.commit();
    }
    b.commit();
  }
  {
    transaction b(db);
    db.execute("INSERT INTO t VALUES (%s)", 4);
    {
      transaction c(db);
      db.execute("INSERT INTO t VALUES (%s)", 5);
      c.commit();
    }
    b.rollback();  // takes 4 and the released 5 with it
  }
  a.commit();
  EXPECT_EQ(ids(db), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(committed_rows(admin, schema), 3);
}

TEST_F(transaction_test, DatabaseCommitOrRollbackWhileAGuardIsActiveIsAUsageError) {
  create_table(db);
  {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    EXPECT_THROW(db.commit(), usage_error);
    EXPECT_THROW(db.rollback(), usage_error);
    EXPECT_TRUE(db.in_transaction());
    EXPECT_EQ(committed_rows(admin, schema), 0) << "the refused commit must not have committed";
    db.execute("INSERT INTO t VALUES (%s)", 2);
    {
      transaction inner(db);
      EXPECT_THROW(db.commit(), usage_error);
      EXPECT_THROW(db.rollback(), usage_error);
      inner.commit();
    }
    EXPECT_THROW(db.commit(), usage_error) << "the outer guard is still active";
    tx.commit();
  }
  EXPECT_EQ(committed_rows(admin, schema), 2);
  EXPECT_NO_THROW(db.commit());
  EXPECT_NO_THROW(db.rollback());
}

TEST_F(transaction_test, FinishingTheOuterGuardWhileAnInnerIsAliveIsAUsageError) {
  create_table(db);
  {
    transaction outer(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    {
      transaction inner(db);
      db.execute("INSERT INTO t VALUES (%s)", 2);
      EXPECT_THROW(outer.commit(), usage_error);
      EXPECT_THROW(outer.rollback(), usage_error);
      EXPECT_TRUE(db.in_transaction());
      EXPECT_EQ(committed_rows(admin, schema), 0);
      inner.commit();
    }
    outer.commit();  // the refused calls must not have finished it
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, CommitTwiceIsAUsageErrorAndRollbackAfterCommitIsANoOp) {
  create_table(db);
  transaction tx(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  tx.commit();
  EXPECT_THROW(tx.commit(), usage_error);
  EXPECT_NO_THROW(tx.rollback());
  EXPECT_NO_THROW(tx.rollback());
  EXPECT_EQ(committed_rows(admin, schema), 1);

  // The same for a savepoint guard: a later rollback must not undo released work.
  transaction outer(db);
  {
    transaction inner(db);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    inner.commit();
    EXPECT_THROW(inner.commit(), usage_error);
    EXPECT_NO_THROW(inner.rollback());
  }
  EXPECT_EQ(ids(db), (std::vector<int>{1, 2}));
  outer.commit();
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, RollbackTwiceIsANoOpAndCommitAfterRollbackIsAUsageError) {
  create_table(db);
  transaction tx(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  tx.rollback();
  EXPECT_NO_THROW(tx.rollback());
  EXPECT_THROW(tx.commit(), usage_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed_rows(admin, schema), 0);
}

TEST_F(transaction_test, GuardInsideAnImplicitTransactionIsASavepoint) {
  create_table(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);  // opens the implicit transaction
  {
    transaction tx(db);
    EXPECT_TRUE(tx.is_savepoint());
    db.execute("INSERT INTO t VALUES (%s)", 2);
    tx.rollback();
  }
  EXPECT_TRUE(db.in_transaction()) << "the implicit transaction goes on";
  {
    transaction tx(db);
    EXPECT_TRUE(tx.is_savepoint());
    db.execute("INSERT INTO t VALUES (%s)", 3);
    tx.commit();
  }
  EXPECT_TRUE(db.in_transaction()) << "releasing the savepoint does not commit";
  EXPECT_EQ(committed_rows(admin, schema), 0);
  db.commit();  // allowed again: no guard is active
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(ids(db), (std::vector<int>{1, 3}));
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, ErrorInANestedGuardThenInnerRollbackLetsTheOuterCommit) {
  create_table(db);
  {
    transaction outer(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    {
      transaction inner(db);
      db.execute("INSERT INTO t VALUES (%s)", 2);
      EXPECT_THROW(db.execute("INSERT INTO t VALUES (%s)", 1), unique_violation);
      EXPECT_THROW(db.scalar<int>("SELECT 1"), sql_error) << "the transaction is aborted until the rollback";
      inner.rollback();
    }
    EXPECT_EQ(ids(db), std::vector<int>{1}) << "the inner guard's good insert went with its savepoint";
    db.execute("INSERT INTO t VALUES (%s)", 3);
    outer.commit();
  }
  EXPECT_EQ(committed_rows(admin, schema), 2);
  EXPECT_EQ(ids(db), (std::vector<int>{1, 3}));
}

TEST_F(transaction_test, ErrorInANestedGuardUnwindingLetsTheOuterCommit) {
  create_table(db);
  {
    transaction outer(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    try {
      transaction inner(db);
      db.execute("INSERT INTO t VALUES (%s)", 1);
      inner.commit();
    } catch (const unique_violation& e) {
      EXPECT_EQ(e.sqlstate(), "23505");
    }
    db.execute("INSERT INTO t VALUES (%s)", 2);
    outer.commit();
  }
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, CommittingAFailedNestedGuardThrows25P02AndTheOuterContinues) {
  create_table(db);
  transaction outer(db);
  db.execute("INSERT INTO t VALUES (%s)", 1);
  {
    transaction inner(db);
    db.execute("INSERT INTO t VALUES (%s)", 2);
    EXPECT_THROW(db.execute("SELECT 1/0"), data_exception);
    try {
      inner.commit();
      FAIL() << "committing a failed savepoint must throw";
    } catch (const sql_error& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");
    }
    EXPECT_NO_THROW(inner.rollback()) << "finished: a no-op";
  }
  EXPECT_EQ(ids(db), std::vector<int>{1});
  db.execute("INSERT INTO t VALUES (%s)", 3);
  outer.commit();
  EXPECT_EQ(committed_rows(admin, schema), 2);
  EXPECT_EQ(ids(db), (std::vector<int>{1, 3}));
}

TEST_F(transaction_test, CommittingAFailedTopLevelGuardThrows25P02AndRollsBack) {
  create_table(db);
  {
    transaction tx(db);
    db.execute("INSERT INTO t VALUES (%s)", 1);
    EXPECT_THROW(db.execute("SELECT 1/0"), data_exception);
    try {
      tx.commit();
      FAIL() << "committing a failed transaction must throw";
    } catch (const sql_error& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");
    }
    EXPECT_FALSE(db.in_transaction());
  }
  EXPECT_EQ(committed_rows(admin, schema), 0);
  db.execute("INSERT INTO t VALUES (%s)", 2);  // usable, and back to an implicit transaction
  EXPECT_NO_THROW(db.commit());
  EXPECT_EQ(committed_rows(admin, schema), 1);
}

TEST_F(transaction_test, AGuardAfterAnotherEndedStartsAfresh) {
  create_table(db);
  for (int i = 1; i <= 3; ++i) {
    transaction tx(db);
    EXPECT_FALSE(tx.is_savepoint());
    db.execute("INSERT INTO t VALUES (%s)", i);
    if (i != 2) tx.commit();
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(ids(db), (std::vector<int>{1, 3}));
  db.commit();
  EXPECT_EQ(committed_rows(admin, schema), 2);
}

TEST_F(transaction_test, EmptyQuerySendsNothingNotEvenBegin) {
  db.execute("SELECT 1");
  db.commit();
  EXPECT_THROW(db.execute("  \n "), usage_error);
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(transaction_test, FailedSavepointCommitSaysTheOuterTransactionGoesOn) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  transaction outer(db);
  db.execute("INSERT INTO t VALUES (1)");
  {
    transaction inner(db);
    EXPECT_THROW(db.execute("SELECT 1 / 0"), data_exception);
    try {
      inner.commit();
      FAIL() << "expected sql_error";
    } catch (const sql_error& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");
      EXPECT_NE(std::string(e.what()).find("the enclosing transaction goes on"), std::string::npos) << e.what();
    }
  }
  outer.commit();
  EXPECT_EQ(admin.scalar<std::int64_t>("SELECT count(*) FROM %I.t", schema), 1);
}

TEST_F(transaction_test, GuardCommitMeetingALostConnectionAcknowledgesIt) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  transaction tx(db);
  db.execute("INSERT INTO t VALUES (1)");
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  terminate_backend(admin, pid);
  EXPECT_THROW(tx.commit(), connection_error);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);  // no rollback() needed first
}

}  // namespace
}  // namespace pgwrap::test
