// retry_transaction against real conflicts: serialization failures and
// deadlocks between two connections, a backend killed mid-transaction, a
// connection lost during COMMIT (never retried), and errors that must not be
// retried at all.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;

class retry_test : public db_test {
 protected:
  /// Quick retries; counts and keeps what on_retry reports.
  retry_options quick(int attempts = 5) {
    retry_options options;
    options.max_attempts = attempts;
    options.first_delay = 1ms;
    options.max_delay = 20ms;
    options.on_retry = [this](const retry_event& e) {
      retries.push_back({e.attempt, typeid(e.cause).name()});
      EXPECT_LE(e.delay, 20ms);
    };
    return options;
  }

  std::int64_t count(const char* table) {
    return admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + "." + table));
  }

  struct retry_record {
    int attempt;
    std::string cause;
  };
  std::vector<retry_record> retries;
};

TEST_F(retry_test, ReturnsTheBodysValueAndCommits) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  const int value = retry_transaction(db, [](database& tx) {
    tx.execute("INSERT INTO t VALUES (1)");
    return 42;
  });
  EXPECT_EQ(value, 42);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count("t"), 1);  // committed: visible from another connection

  const std::string text = retry_transaction(db, [](database& tx) { return tx.scalar<std::string>("SELECT 'abc'"); });
  EXPECT_EQ(text, "abc");
  int calls = 0;
  retry_transaction(db, [&](database&) { ++calls; });  // void
  EXPECT_EQ(calls, 1);
}

TEST_F(retry_test, WorksInAutocommitModeToo) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id int)");
  retry_transaction(db, [&](database& tx) {
    tx.execute("INSERT INTO t VALUES (1)");
    EXPECT_TRUE(tx.in_transaction());
    EXPECT_EQ(count("t"), 0);  // not committed yet: one transaction, not autocommitted statements
    tx.execute("INSERT INTO t VALUES (2)");
  });
  EXPECT_EQ(count("t"), 2);
  EXPECT_TRUE(db.autocommit());
}

TEST_F(retry_test, SetsTheIsolationLevelOnEveryAttempt) {
  retry_options options = quick();
  options.isolation = isolation_level::serializable;
  int calls = 0;
  const std::string level = retry_transaction(
      db,
      [&](database& tx) {
        if (++calls == 1) tx.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
        return tx.scalar<std::string>("SHOW transaction_isolation");
      },
      options);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(level, "serializable");
  options.isolation = isolation_level::repeatable_read;
  EXPECT_EQ(retry_transaction(
                db, [](database& tx) { return tx.scalar<std::string>("SHOW transaction_isolation"); }, options),
            "repeatable read");
}

// A concurrent update between this transaction's snapshot and its own update:
// the server refuses it with 40001; the retry reads the new value.
TEST_F(retry_test, ConcurrentUpdateSerializationFailureIsRetried) {
  db.execute("CREATE TABLE account (id int PRIMARY KEY, balance int)");
  db.execute("INSERT INTO account VALUES (1, 100)");
  db.commit();
  database other = connect();
  other.set_autocommit(true);
  retry_options options = quick();
  options.isolation = isolation_level::repeatable_read;
  int calls = 0;
  const int seen = retry_transaction(
      db,
      [&](database& tx) {
        ++calls;
        const int balance = tx.scalar<int>("SELECT balance FROM account WHERE id = 1");
        if (calls == 1) other.execute("UPDATE account SET balance = balance + 1 WHERE id = 1");
        tx.execute("UPDATE account SET balance = %s WHERE id = 1", balance + 10);
        return balance;
      },
      options);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen, 101);
  ASSERT_EQ(retries.size(), 1U);
  EXPECT_EQ(retries[0].attempt, 1);
  EXPECT_EQ(retries[0].cause, typeid(serialization_failure).name());
  EXPECT_EQ(other.scalar<int>("SELECT balance FROM account WHERE id = 1"), 111);  // no update lost
}

// Write skew: two doctors each go off call if the other is still on call.
// Both read before either writes, so SERIALIZABLE must fail one of them; its
// retry sees the other's change, and one doctor stays on call.
TEST_F(retry_test, WriteSkewUnderSerializableIsRetried) {
  db.execute("CREATE TABLE doctor (id int PRIMARY KEY, on_call bool)");
  db.execute("INSERT INTO doctor VALUES (1, true), (2, true)");
  db.commit();
  std::latch both_have_read(2);
  std::atomic<int> calls{0};
  std::atomic<int> serialization_failures{0};
  auto go_off_call = [&](int id) {
    database mine = connect();
    retry_options options;
    options.first_delay = 1ms;
    options.isolation = isolation_level::serializable;
    options.on_retry = [&](const retry_event& e) {
      if (dynamic_cast<const serialization_failure*>(&e.cause) != nullptr) ++serialization_failures;
    };
    bool first = true;
    return retry_transaction(
        mine,
        [&](database& tx) {
          ++calls;
          const auto on_call = tx.scalar<std::int64_t>("SELECT count(*) FROM doctor WHERE on_call");
          if (first) {
            first = false;
            both_have_read.arrive_and_wait();
          }
          if (on_call < 2) return false;
          tx.execute("UPDATE doctor SET on_call = false WHERE id = %s", id);
          return true;
        },
        options);
  };
  auto one = std::async(std::launch::async, go_off_call, 1);
  auto two = std::async(std::launch::async, go_off_call, 2);
  const bool one_left = one.get();
  const bool two_left = two.get();
  EXPECT_NE(one_left, two_left);  // exactly one went off call
  EXPECT_EQ(count("doctor WHERE on_call"), 1);
  EXPECT_GE(serialization_failures.load(), 1);  // one at least: both read before either wrote
  EXPECT_EQ(calls.load(), 2 + serialization_failures.load());
}

// Two transactions lock two rows in opposite orders; the server breaks the
// deadlock by failing one (after deadlock_timeout, 1 s by default), which is
// retried. (The retry can win the race for its first row again and deadlock
// once more: that is what the backoff is for; in the end both commit once.)
TEST_F(retry_test, DeadlockIsRetried) {
  db.execute("CREATE TABLE counter (id int PRIMARY KEY, n int)");
  db.execute("INSERT INTO counter VALUES (1, 0), (2, 0)");
  db.commit();
  std::latch both_hold_one(2);
  std::atomic<int> calls{0};
  std::atomic<int> deadlocks{0};
  auto bump = [&](int first_id, int second_id) {
    database mine = connect();
    retry_options options;
    options.max_attempts = 10;
    options.first_delay = 20ms;  // lets the survivor take the row it waited for
    options.on_retry = [&](const retry_event& e) {
      if (dynamic_cast<const deadlock_detected*>(&e.cause) != nullptr) ++deadlocks;
    };
    bool first = true;
    retry_transaction(
        mine,
        [&](database& tx) {
          ++calls;
          tx.execute("UPDATE counter SET n = n + 1 WHERE id = %s", first_id);
          if (first) {
            first = false;
            both_hold_one.arrive_and_wait();
          }
          tx.execute("UPDATE counter SET n = n + 1 WHERE id = %s", second_id);
        },
        options);
  };
  auto forward = std::async(std::launch::async, bump, 1, 2);
  auto backward = std::async(std::launch::async, bump, 2, 1);
  forward.get();
  backward.get();
  EXPECT_GE(deadlocks.load(), 1);  // one at least: both held one row before asking for the other
  EXPECT_EQ(calls.load(), 2 + deadlocks.load());
  EXPECT_EQ(db.scalar<std::string>("SELECT string_agg(n::text, ',' ORDER BY id) FROM counter"), "2,2");
}

// A serialization failure reported by COMMIT itself (as SERIALIZABLE does):
// the server has rolled back, so the attempt is retried like any other.
TEST_F(retry_test, SerializationFailureAtCommitIsRetried) {
  db.execute("CREATE TABLE t (id int)");
  db.execute(
      "CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF current_setting('pgwrap_test.fail_commit', true) = 'yes' THEN "
      "RAISE EXCEPTION 'conflict at commit' USING ERRCODE = '40001'; END IF; RETURN NULL; END $$");
  db.execute(
      "CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED "
      "FOR EACH ROW EXECUTE FUNCTION fail_at_commit()");
  db.commit();
  int calls = 0;
  retry_transaction(
      db,
      [&](database& tx) {
        if (++calls == 1) tx.execute("SET LOCAL pgwrap_test.fail_commit = 'yes'");
        tx.execute("INSERT INTO t VALUES (%s)", calls);
      },
      quick());
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(retries.size(), 1U);
  EXPECT_EQ(retries[0].cause, typeid(serialization_failure).name());
  EXPECT_EQ(admin.scalar<std::string>(
                runtime_sql("SELECT string_agg(id::text, ',') FROM " + quote_identifier(schema) + ".t")),
            "2");
}

TEST_F(retry_test, AttemptsAreBoundedAndTheLastErrorIsRethrown) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  int calls = 0;
  auto always_conflicting = [&](database& tx) {
    ++calls;
    tx.execute("INSERT INTO t VALUES (%s)", calls);
    tx.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
  };
  EXPECT_THROW(retry_transaction(db, always_conflicting, quick(3)), serialization_failure);
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(retries.size(), 2U);
  EXPECT_EQ(retries[0].attempt, 1);
  EXPECT_EQ(retries[1].attempt, 2);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count("t"), 0);  // every attempt was rolled back

  calls = 0;
  EXPECT_THROW(retry_transaction(db, always_conflicting, quick(1)), serialization_failure);
  EXPECT_EQ(calls, 1);
}

TEST_F(retry_test, OtherErrorsAreNeverRetried) {
  db.execute("CREATE TABLE t (id int PRIMARY KEY)");
  db.execute("INSERT INTO t VALUES (1)");
  db.commit();
  int calls = 0;
  EXPECT_THROW(retry_transaction(
                   db,
                   [&](database& tx) {
                     ++calls;
                     tx.execute("INSERT INTO t VALUES (1)");
                   },
                   quick()),
               unique_violation);
  EXPECT_EQ(calls, 1);

  calls = 0;
  EXPECT_THROW(retry_transaction(
                   db,
                   [&](database& tx) {
                     ++calls;
                     tx.execute("INSERT INTO t VALUES (2)");
                     throw std::runtime_error("the body's own failure");
                   },
                   quick()),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(count("t"), 1);  // the body's INSERT was rolled back

  calls = 0;
  EXPECT_THROW(retry_transaction(
                   db,
                   [&](database& tx) {
                     ++calls;
                     tx.commit();  // not allowed inside: the helper commits
                   },
                   quick()),
               usage_error);
  EXPECT_EQ(calls, 1);

  calls = 0;
  EXPECT_THROW(retry_transaction(
                   db,
                   [&](database& tx) {
                     ++calls;
                     tx.execute("DO $$ BEGIN RAISE EXCEPTION 'canceled' USING ERRCODE = '57014'; END $$");
                   },
                   quick()),
               query_canceled);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(retries.empty());
  EXPECT_FALSE(db.in_transaction());
}

// The backend is killed in the middle of an attempt: that attempt's work is
// gone with its session, the retry runs on a new connection, and every row
// is there exactly once.
TEST_F(retry_test, ConnectionKilledMidTransactionIsRetriedWithoutDuplicates) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  int calls = 0;
  std::vector<int> pids;
  retry_transaction(
      db,
      [&](database& tx) {
        ++calls;
        pids.push_back(tx.scalar<int>("SELECT pg_backend_pid()"));
        tx.execute("INSERT INTO t VALUES (1)");
        if (calls == 1) terminate_backend(admin, pids.back());
        tx.execute("INSERT INTO t VALUES (2)");
      },
      quick());
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(retries.size(), 1U);
  EXPECT_EQ(retries[0].cause, typeid(connection_error).name());
  ASSERT_EQ(pids.size(), 2U);
  EXPECT_NE(pids[0], pids[1]);
  EXPECT_EQ(admin.scalar<std::string>(
                runtime_sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM " + quote_identifier(schema) + ".t")),
            "1,2");
}

// The connection dies while COMMIT runs (a deferred trigger terminates its own
// backend): the outcome is unknown, so the helper must not run the body again.
TEST_F(retry_test, ConnectionLostDuringCommitIsNeverRetried) {
  db.execute("CREATE TABLE t (id int)");
  db.execute(
      "CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$");
  db.execute(
      "CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED "
      "FOR EACH ROW EXECUTE FUNCTION die_at_commit()");
  db.commit();
  int calls = 0;
  try {
    retry_transaction(
        db,
        [&](database& tx) {
          ++calls;
          tx.execute("INSERT INTO t VALUES (1)");
        },
        quick());
    FAIL() << "expected commit_outcome_unknown";
  } catch (const commit_outcome_unknown& e) {
    EXPECT_NE(std::string(e.what()).find("may or may not have been committed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(retries.empty());
  EXPECT_FALSE(is_retryable(commit_outcome_unknown("x")));
  EXPECT_TRUE(is_retryable(connection_error("x")));
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count("t"), 0);  // here the server did roll it back; the client could not know
}

TEST_F(retry_test, RefusesToStartInsideATransaction) {
  int calls = 0;
  db.execute("SELECT 1");  // the implicit transaction is open
  EXPECT_THROW(retry_transaction(db, [&](database&) { ++calls; }), usage_error);
  db.rollback();
  {
    pgwrap::transaction tx(db);
    EXPECT_THROW(retry_transaction(db, [&](database&) { ++calls; }), usage_error);
  }
  // Nested: the inner call finds the outer one's transaction.
  EXPECT_THROW(retry_transaction(db, [&](database& tx) { retry_transaction(tx, [&](database&) { ++calls; }); }),
               usage_error);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(retry_test, ABodyThatEndsTheTransactionItselfIsReported) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  int calls = 0;
  try {
    retry_transaction(
        db,
        [&](database& tx) {
          ++calls;
          tx.execute("INSERT INTO t VALUES (1)");
          tx.execute("ROLLBACK");
        },
        quick());
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("ended the transaction itself"), std::string::npos) << e.what();
  }
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count("t"), 0);
}

TEST_F(retry_test, RejectsOptionsOutOfRange) {
  int calls = 0;
  auto body = [&](database&) { ++calls; };
  retry_options options;
  options.max_attempts = 0;
  EXPECT_THROW(retry_transaction(db, body, options), usage_error);
  options = {};
  options.first_delay = -1ms;
  EXPECT_THROW(retry_transaction(db, body, options), usage_error);
  options = {};
  options.backoff = 0.5;
  EXPECT_THROW(retry_transaction(db, body, options), usage_error);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace pgwrap::test
