// async_database::begin(): a transaction has the connection to itself until
// it ends; concurrent transactions each see their own rows; one destroyed
// without commit is rolled back; an error inside makes commit() throw 25P02.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using transactions = async_test;

// 100 coroutines each begin a transaction, insert 5 rows of their own, and
// read them back inside it: each sees exactly its own 5 rows, and of the
// others only whole sets of owners whose COMMIT was already issued (never
// another's uncommitted rows). All 500 rows are there afterwards.
TEST_F(transactions, HundredConcurrentTransactionsSeeOnlyTheirOwnRows) {
  constexpr int owners = 100;
  constexpr int rows_each = 5;
  int saw_own = 0;
  int saw_foreign_uncommitted = 0;
  std::int64_t total_after = 0;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    (void)co_await db.execute("CREATE TABLE tx_rows (owner int NOT NULL, n int NOT NULL)");
    std::set<int> commit_issued;
    wait_group group(ex);
    for (int owner = 0; owner < owners; ++owner) {
      group.spawn([&, owner]() -> net::awaitable<void> {
        auto tx = co_await db.begin();
        EXPECT_TRUE(tx.active());
        for (int n = 0; n < rows_each; ++n) {
          const std::int64_t inserted = co_await tx.execute("INSERT INTO tx_rows VALUES (%s, %s)", owner, n);
          EXPECT_EQ(inserted, 1);
        }
        const auto mine = co_await tx.query<int>("SELECT n FROM tx_rows WHERE owner = %s ORDER BY n", owner);
        std::vector<int> ns;
        for (auto [n] : mine) ns.push_back(n);
        if (ns == std::vector<int>{0, 1, 2, 3, 4}) {
          ++saw_own;
        } else {
          ADD_FAILURE() << "owner " << owner << " saw " << ns.size() << " rows of its own";
        }
        const auto others = co_await tx.query<int, std::int64_t>(
            "SELECT owner, count(*) FROM tx_rows WHERE owner <> %s GROUP BY owner", owner);
        for (auto [other, count] : others) {
          if (count != rows_each || !commit_issued.contains(other)) {
            ++saw_foreign_uncommitted;
            ADD_FAILURE() << "owner " << owner << " saw " << count << " rows of owner " << other
                          << (commit_issued.contains(other) ? "" : ", which had not committed");
          }
        }
        commit_issued.insert(owner);
        co_await tx.commit();
        EXPECT_FALSE(tx.active());
      });
    }
    co_await group.wait();
    total_after = co_await db.scalar<std::int64_t>("SELECT count(*) FROM tx_rows");
  });
  EXPECT_EQ(saw_own, owners);
  EXPECT_EQ(saw_foreign_uncommitted, 0);
  EXPECT_EQ(total_after, owners * rows_each);
}

// A transaction destroyed without commit() is rolled back (its rows are
// absent, seen from the same database and from another connection), and
// so is one ended with rollback(); active() is false after either end.
TEST_F(transactions, DestroyedWithoutCommitIsRolledBack) {
  admin.execute(runtime_sql("CREATE TABLE " + qualified("tx_rollback") + " (v text)"));
  std::int64_t seen_by_db = -1;
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    {
      auto tx = co_await db.begin();
      (void)co_await tx.execute("INSERT INTO tx_rollback VALUES ('dropped')");
      EXPECT_TRUE(tx.active());
    }  // destroyed: rolled back
    {
      auto tx = co_await db.begin();
      (void)co_await tx.execute("INSERT INTO tx_rollback VALUES ('rolled back')");
      co_await tx.rollback();
      EXPECT_FALSE(tx.active());
    }
    seen_by_db = co_await db.scalar<std::int64_t>("SELECT count(*) FROM tx_rollback");
    const std::int64_t inserted = co_await db.execute("INSERT INTO tx_rollback VALUES ('autocommit')");
    EXPECT_EQ(inserted, 1);
  });
  EXPECT_EQ(seen_by_db, 0);
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + qualified("tx_rollback"))), 1)
      << "only the autocommit row should be there";
}

// While a transaction is open, another coroutine's statement waits: an
// INSERT issued during the transaction is not seen inside it (it did not
// run in it), it completes only after COMMIT was issued, and both rows are
// there afterwards.
TEST_F(transactions, OtherCoroutinesWaitUntilTheTransactionEnds) {
  admin.execute(runtime_sql("CREATE TABLE " + qualified("tx_exclusive") + " (v text)"));
  bool queued_behind = false;
  std::int64_t outside_seen_inside = -1;
  std::int64_t outside_seen_from_admin = -1;
  bool outside_done_during_tx = true;
  bool outside_done_after_commit_issued = false;
  std::int64_t rows_after = -1;
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    auto tx = co_await db.begin();
    (void)co_await tx.execute("INSERT INTO tx_exclusive VALUES ('inside')");

    bool commit_issued = false;
    bool outside_done = false;
    wait_group other(ex);
    other.spawn([&]() -> net::awaitable<void> {
      (void)co_await db.execute("INSERT INTO tx_exclusive VALUES ('outside')");
      outside_done = true;
      outside_done_after_commit_issued = commit_issued;
    });
    // The other statement is issued, and waits behind the transaction.
    queued_behind = co_await eventually([&] { return db.queued() > 0; }, std::chrono::seconds(5));
    outside_seen_inside = co_await tx.scalar<std::int64_t>("SELECT count(*) FROM tx_exclusive WHERE v = 'outside'");
    outside_seen_from_admin =
        admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + qualified("tx_exclusive")));
    outside_done_during_tx = outside_done;
    commit_issued = true;
    co_await tx.commit();
    EXPECT_FALSE(tx.active());
    co_await other.wait();
    rows_after = co_await db.scalar<std::int64_t>("SELECT count(*) FROM tx_exclusive");
  });
  EXPECT_TRUE(queued_behind) << "the other coroutine's statement never showed as queued()";
  EXPECT_EQ(outside_seen_inside, 0) << "a statement of another coroutine ran inside the transaction";
  EXPECT_EQ(outside_seen_from_admin, 0) << "nothing was committed while the transaction was open";
  EXPECT_FALSE(outside_done_during_tx);
  EXPECT_TRUE(outside_done_after_commit_issued);
  EXPECT_EQ(rows_after, 2);
}

// An error inside a transaction aborts it: commit() then throws sql_error
// with SQLSTATE 25P02 (and rolls back), the transaction is over, and the
// database goes on working.
TEST_F(transactions, AnErrorInsideMakesCommitThrow25P02) {
  admin.execute(runtime_sql("CREATE TABLE " + qualified("tx_failed") + " (v int)"));
  std::string failed_with;
  std::string commit_threw;
  bool active_after = true;
  std::int64_t rows_after = -1;
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    auto tx = co_await db.begin();
    (void)co_await tx.execute("INSERT INTO tx_failed VALUES (1)");
    try {
      (void)co_await tx.execute("SELECT 1 / 0");
    } catch (const pgwrap::sql_error& e) {
      failed_with = e.sqlstate();
    }
    try {
      co_await tx.commit();
      commit_threw = "nothing";
    } catch (const pgwrap::sql_error& e) {
      commit_threw = e.sqlstate();
    } catch (const std::exception& e) {
      commit_threw = describe(e);
    }
    active_after = tx.active();
    rows_after = co_await db.scalar<std::int64_t>("SELECT count(*) FROM tx_failed");
  });
  EXPECT_EQ(failed_with, "22012");
  EXPECT_EQ(commit_threw, "25P02");
  EXPECT_FALSE(active_after);
  EXPECT_EQ(rows_after, 0);
}

}  // namespace
}  // namespace pgwrap::test
