// executemany() and execute_batch(): pipelined runs, all or nothing.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using pipeline_test = db_test;

std::vector<std::tuple<int, std::string>> rows(int n) {
  std::vector<std::tuple<int, std::string>> out;
  for (int i = 0; i < n; ++i) out.emplace_back(i, "name " + std::to_string(i));
  return out;
}

void make_table(database& db) {
  db.execute("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)");
  db.commit();
}

std::int64_t committed(database& admin, const std::string& schema) {
  return admin.scalar<std::int64_t>("SELECT count(*) FROM %I.t", schema);
}

TEST_F(pipeline_test, ExecutemanyInsertsEveryRow) {
  make_table(db);
  EXPECT_EQ(db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", rows(10000)), 10000);
  EXPECT_EQ(committed(admin, schema), 0) << "inside the implicit transaction until commit()";
  db.commit();
  EXPECT_EQ(committed(admin, schema), 10000);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 9999), "name 9999");
}

TEST_F(pipeline_test, ExecutemanyInAutocommitIsOneTransaction) {
  make_table(db);
  db.set_autocommit(true);
  EXPECT_EQ(db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", rows(300)), 300);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed(admin, schema), 300);
}

TEST_F(pipeline_test, ServerErrorNamesTheRowAndLeavesNothing) {
  make_table(db);
  db.set_autocommit(true);
  auto data = rows(1000);
  std::get<0>(data[700]) = 3;  // a duplicate of row 3
  try {
    db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", data);
    FAIL() << "expected unique_violation";
  } catch (const unique_violation& e) {
    EXPECT_EQ(e.statement_index(), 700u);
    EXPECT_NE(std::string(e.what()).find("statement 700 of the batch: duplicate key"), std::string::npos) << e.what();
    EXPECT_EQ(e.query(), "INSERT INTO t (id, name) VALUES ($1, $2)");
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed(admin, schema), 0);
  EXPECT_EQ(db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", rows(5)), 5);  // usable again
}

TEST_F(pipeline_test, ServerErrorInsideATransactionAbortsItLikeAnyStatement) {
  make_table(db);
  db.execute("INSERT INTO t VALUES (%s, %s)", 100000, "before");
  auto data = rows(10);
  std::get<0>(data[4]) = 100000;
  EXPECT_THROW(db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", data), unique_violation);
  EXPECT_TRUE(db.in_transaction());
  EXPECT_THROW(db.execute("SELECT 1"), sql_error);  // 25P02: aborted until rollback
  db.rollback();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
}

TEST_F(pipeline_test, ArgumentThatCannotBeSentUndoesTheRun) {
  make_table(db);
  db.execute("INSERT INTO t VALUES (%s, %s)", 100000, "kept");
  auto data = rows(600);
  std::get<1>(data[550]) = std::string("bad\0byte", 8);
  try {
    db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", data);
    FAIL() << "expected conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("argument 2: string contains a NUL byte"), std::string::npos) << e.what();
  }
  // The run is undone, the earlier work of the transaction is not, and the transaction goes on.
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 1);
  db.commit();
  EXPECT_EQ(committed(admin, schema), 1);

  db.set_autocommit(true);
  EXPECT_THROW(db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", data), conversion_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(committed(admin, schema), 1);
}

TEST_F(pipeline_test, ExecuteBatchReturnsEveryResultInOrder) {
  make_table(db);
  batch b;
  b.add("INSERT INTO t VALUES (%s, %s)", 1, "one")
      .add("INSERT INTO t VALUES (%s, %s), (%s, %s)", 2, "two", 3, "three")
      .add("UPDATE t SET name = upper(name) WHERE id > %s", 1)
      .add("SELECT id, name FROM t ORDER BY id");
  const std::vector<result> results = db.execute_batch(b);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].affected_rows(), 1);
  EXPECT_EQ(results[1].affected_rows(), 2);
  EXPECT_EQ(results[2].affected_rows(), 2);
  ASSERT_EQ(results[3].size(), 3u);
  EXPECT_EQ(results[3][2]["name"].as<std::string>(), "THREE");
  EXPECT_EQ(results[3].query(), "SELECT id, name FROM t ORDER BY id");
}

TEST_F(pipeline_test, ExecuteBatchErrorNamesTheStatement) {
  make_table(db);
  db.set_autocommit(true);
  batch b;
  b.add("INSERT INTO t VALUES (%s, %s)", 1, "one")
      .add("SELECT 1 / %s", 0)
      .add("INSERT INTO t VALUES (%s, %s)", 2, "two");
  try {
    db.execute_batch(b);
    FAIL() << "expected data_exception";
  } catch (const data_exception& e) {
    EXPECT_EQ(e.statement_index(), 1u);
    EXPECT_EQ(e.query(), "SELECT 1 / $1");
  }
  EXPECT_EQ(committed(admin, schema), 0);
}

TEST_F(pipeline_test, EmptyRunsDoNothing) {
  make_table(db);
  EXPECT_EQ(db.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", rows(0)), 0);
  EXPECT_TRUE(db.execute_batch(batch{}).empty());
}

TEST_F(pipeline_test, ExecuteBatchKeepsEveryResultOfALongRun) {
  batch b;  // longer than the statements pgwrap keeps in flight, so results are read while sending
  for (int i = 0; i < 2000; ++i) b.add("SELECT %s::int AS n", i);
  const std::vector<result> results = db.execute_batch(b);
  ASSERT_EQ(results.size(), 2000u);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(results[static_cast<std::size_t>(i)][0]["n"].as<int>(), i);
}

}  // namespace
}  // namespace pgwrap::test
