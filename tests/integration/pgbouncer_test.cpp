// The query API through pgbouncer in transaction-pooling mode, with the
// statement cache off; and with it left on, which pgwrap then does not use
// because it detects the pooler. Needs the environment
// of scripts/pgbouncer_throwaway.sh (ctest runs these as env.pgbouncer
// through tests/env/run_env_test.sh); without it they skip.
//
// In transaction pooling every transaction (in autocommit: every statement)
// may run on another server connection, and session state (prepared
// statements, SET, temporary tables) stays behind on the server connection.
// The pool has up to 4 server connections; other clients holding one open
// in a transaction make the next transaction land on a different one.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <tuple>
#include <vector>

namespace pgwrap_bouncer_test {
struct account {
  int id = 0;
  std::string owner;
  std::optional<std::int64_t> balance;
};
PGWRAP_DESCRIBE(account, id, owner, balance)
}  // namespace pgwrap_bouncer_test

namespace {

using pgwrap_bouncer_test::account;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

class pgbouncer : public ::testing::Test {
 protected:
  void SetUp() override {
    bouncer_dsn = env("PGWRAP_PGBOUNCER_DSN");
    server_dsn = env("PGWRAP_PGBOUNCER_SERVER_DSN");
    if (bouncer_dsn.empty() || server_dsn.empty()) {
      GTEST_SKIP() << "no pgbouncer environment: run `ctest -R env.pgbouncer` "
                      "(tests/env/run_env_test.sh pgbouncer <this binary>)";
    }
    // A fresh table per test, made directly on the server.
    server.connect(server_dsn);
    server.set_autocommit(true);
    server.execute("DROP TABLE IF EXISTS accounts");
    server.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance bigint)");
    db = through_bouncer();
  }

  /// A database through pgbouncer with the statement cache off.
  pgwrap::database through_bouncer(const std::string& dbname = "postgres") {
    pgwrap::database d(bouncer_dsn + " dbname=" + dbname);
    d.set_statement_cache_size(0);
    return d;
  }

  /// Keeps one server connection busy (in an open transaction), so that the
  /// next transaction of anyone else runs on another server connection.
  static void hold_a_server_connection(pgwrap::database& holder) {
    holder.set_autocommit(false);
    holder.execute("SELECT 1");
  }

  /// Streams 100 rows in batches of 10 while another client holds the server
  /// connection the stream last used during some of its fetches (rows 11-20,
  /// 51-60, 91-100), so a fetch outside a transaction runs on another one.
  static void stream_while_others_come_and_go(pgwrap::database& db, pgwrap::database& holder) {
    std::vector<std::tuple<int, std::string>> rows;
    for (int i = 1; i <= 100; ++i) rows.emplace_back(i, "o");
    db.executemany("INSERT INTO accounts (id, owner) VALUES (%s, %s)", rows);
    db.set_stream_batch_size(10);
    int seen = 0;
    for (auto row : db.stream("SELECT id FROM accounts ORDER BY id")) {
      EXPECT_EQ(row[0].as<int>(), ++seen);
      if (seen % 40 == 5) hold_a_server_connection(holder);
      if (seen % 40 == 15) holder.rollback();
    }
    EXPECT_EQ(seen, 100);
  }

  std::int64_t balance_of(int id) {
    return server.scalar<std::int64_t>("SELECT balance FROM accounts WHERE id = %s", id);
  }

  std::string bouncer_dsn, server_dsn;
  pgwrap::database server{""};
  pgwrap::database db{""};
};

TEST_F(pgbouncer, ConnectsThroughPgbouncer) {
  db.set_autocommit(true);
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);
  EXPECT_EQ(db.scalar<std::string>("SELECT current_setting('application_name')"), "pgwrap");
}

TEST_F(pgbouncer, QueryApiWithoutTheStatementCache) {
  db.set_autocommit(true);
  pgwrap::database holder = through_bouncer();
  // Each call runs several times (pgwrap prepares after five runs when the
  // cache is on), with server connections changing in between.
  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    if (round % 2 == 1) hold_a_server_connection(holder);
    const int id = round + 1;
    EXPECT_EQ(db.insert("accounts", {{"id", id}, {"owner", "owner " + std::to_string(id)}, {"balance", 10 * id}}), 1);
    const pgwrap::row added =
        db.insert("accounts", {{"id", 100 + id}, {"owner", "copy"}, {"balance", nullptr}}, pgwrap::returning{"id"});
    EXPECT_EQ(added["id"].as<int>(), 100 + id);
    EXPECT_EQ(db.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", 1, id), 1);
    EXPECT_EQ(db.scalar<std::int64_t>("SELECT balance FROM accounts WHERE id = %s", id), 10 * id + 1);
    const auto rows = db.query("SELECT id, owner FROM accounts WHERE id <= %s ORDER BY id", id);
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(id));
    EXPECT_EQ(rows[0]["owner"].as<std::string>(), "owner 1");
    const auto one = db.queryone("SELECT owner FROM accounts WHERE id = %(id)s", pgwrap::arg("id", id));
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ((*one)[0].as<std::string>(), "owner " + std::to_string(id));
    EXPECT_FALSE(db.queryone("SELECT owner FROM accounts WHERE id = %s", -1).has_value());

    // Typed reads: tuples and described structs, several rows and one.
    int seen = 0;
    for (const auto& [row_id, owner] :
         db.query<int, std::string>("SELECT id, owner FROM accounts WHERE id <= %s ORDER BY id", id)) {
      EXPECT_EQ(row_id, ++seen);
      EXPECT_EQ(owner, "owner " + std::to_string(row_id));
    }
    EXPECT_EQ(seen, id);
    const auto accounts =
        db.query<account>("SELECT * FROM accounts WHERE id IN (%s) ORDER BY id", pgwrap::list({id, 100 + id}));
    ASSERT_EQ(accounts.size(), 2U);
    EXPECT_EQ(accounts[0].balance, std::optional<std::int64_t>(10 * id + 1));
    EXPECT_EQ(accounts[1].balance, std::nullopt);
    const auto a = db.queryone<account>("SELECT * FROM accounts WHERE %W",
                                        pgwrap::fields{{"id", id}, {"owner", "owner " + std::to_string(id)}});
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->id, id);

    // Formatting directives: %S, %W (NULL as IS NULL), %I, lists, arrays.
    EXPECT_EQ(db.execute("UPDATE %I SET %S WHERE %W", "accounts", pgwrap::fields{{"owner", "renamed"}},
                         pgwrap::fields{{"id", 100 + id}, {"balance", nullptr}}),
              1);
    EXPECT_EQ(db.update("accounts", std::map<std::string, std::string>{{"owner", "copy"}},
                        std::map<std::string, int>{{"id", 100 + id}}),
              1);
    EXPECT_EQ(
        db.scalar<std::int64_t>("SELECT count(*) FROM accounts WHERE id = ANY(%s)", std::vector<int>{id, 100 + id}), 2);
    if (round % 2 == 1) holder.rollback();
  }
  EXPECT_EQ(db.delete_where("accounts", pgwrap::fields{{"owner", "copy"}}), 8);
  EXPECT_EQ(server.scalar<std::int64_t>("SELECT count(*) FROM accounts"), 8);
}

TEST_F(pgbouncer, ImplicitTransactionsCommitAndRollBack) {
  db.insert("accounts", {{"id", 1}, {"owner", "a"}, {"balance", 100}});
  db.insert("accounts", {{"id", 2}, {"owner", "b"}, {"balance", 100}});
  EXPECT_TRUE(db.in_transaction());
  EXPECT_EQ(server.scalar<std::int64_t>("SELECT count(*) FROM accounts"), 0);  // not committed yet
  db.commit();
  EXPECT_EQ(server.scalar<std::int64_t>("SELECT count(*) FROM accounts"), 2);

  db.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", 30, 1);
  db.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", 30, 2);
  db.rollback();
  EXPECT_EQ(balance_of(1), 100);

  // A failed statement aborts the transaction; commit() says so and rolls back.
  db.execute("UPDATE accounts SET balance = 0 WHERE id = %s", 1);
  EXPECT_THROW(db.execute("INSERT INTO accounts VALUES (%s, %s, %s)", 2, "dup", 1), pgwrap::unique_violation);
  EXPECT_THROW(db.commit(), pgwrap::sql_error);
  EXPECT_EQ(balance_of(1), 100);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(balance) FROM accounts"), 200);  // usable again
  db.commit();
}

TEST_F(pgbouncer, TransactionGuardWithSavepoints) {
  db.set_autocommit(true);
  db.insert("accounts", {{"id", 1}, {"owner", "a"}, {"balance", 100}});
  {
    pgwrap::transaction tx(db);
    db.execute("UPDATE accounts SET balance = balance + 1 WHERE id = %s", 1);
    {
      pgwrap::transaction inner(db);
      EXPECT_TRUE(inner.is_savepoint());
      db.execute("UPDATE accounts SET balance = balance + 10 WHERE id = %s", 1);
      inner.rollback();
    }
    {
      pgwrap::transaction inner(db);
      db.execute("UPDATE accounts SET balance = balance + 100 WHERE id = %s", 1);
      EXPECT_THROW(db.execute("SELECT 1 / 0"), pgwrap::sql_error);
    }  // unwound: back to the savepoint, the outer transaction goes on
    db.execute("UPDATE accounts SET balance = balance + 1000 WHERE id = %s", 1);
    EXPECT_EQ(balance_of(1), 100);  // nothing visible outside yet
    tx.commit();
  }
  EXPECT_EQ(balance_of(1), 1101);
  {
    pgwrap::transaction tx(db);
    db.execute("UPDATE accounts SET balance = 0 WHERE id = %s", 1);
  }  // no commit: rolled back
  EXPECT_EQ(balance_of(1), 1101);
}

TEST_F(pgbouncer, ExecutemanyExecuteBatchAndCopyIn) {
  db.set_autocommit(true);
  std::vector<std::tuple<int, std::string, std::int64_t>> rows;
  for (int i = 1; i <= 1000; ++i) rows.emplace_back(i, "owner " + std::to_string(i), i);
  EXPECT_EQ(db.executemany("INSERT INTO accounts VALUES (%s, %s, %s)", rows), 1000);

  pgwrap::batch b;
  b.add("UPDATE accounts SET balance = balance * 2 WHERE id <= %s", 10);
  b.add("SELECT count(*) FROM accounts WHERE balance > %s", 1000);
  b.add("DELETE FROM accounts WHERE id > %s", 900);
  const auto results = db.execute_batch(b);
  ASSERT_EQ(results.size(), 3U);
  EXPECT_EQ(results[0].affected_rows(), 10);
  EXPECT_EQ(results[1][0][0].as<std::int64_t>(), 0);
  EXPECT_EQ(results[2].affected_rows(), 100);

  std::vector<account> more;
  for (int i = 901; i <= 1000; ++i) more.push_back({i, "copied", std::nullopt});
  EXPECT_EQ(db.copy_in("accounts", {}, more), 100);
  std::vector<std::tuple<int, std::string>> tuples = {{2001, "t1"}, {2002, "t2"}};
  EXPECT_EQ(db.copy_in("accounts", {"id", "owner"}, tuples), 2);
  EXPECT_EQ(server.scalar<std::int64_t>("SELECT count(*) FROM accounts"), 1002);

  // The same inside an implicit transaction, rolled back as a whole.
  db.set_autocommit(false);
  std::vector<std::tuple<int>> ids = {{1}, {2}, {3}};
  EXPECT_EQ(db.executemany("DELETE FROM accounts WHERE id = %s", ids), 3);
  EXPECT_EQ(db.copy_in("accounts", {"id", "owner"}, std::vector<std::tuple<int, std::string>>{{3001, "x"}}), 1);
  db.rollback();
  EXPECT_EQ(server.scalar<std::int64_t>("SELECT count(*) FROM accounts"), 1002);
}

TEST_F(pgbouncer, StreamInsideATransaction) {
  pgwrap::database holder = through_bouncer();
  stream_while_others_come_and_go(db, holder);  // db is not in autocommit: one transaction
  db.rollback();
}

TEST_F(pgbouncer, StreamInAutocommitMode) {
  // Outside a transaction a stream's cursor is WITH HOLD and outlives the
  // transaction that made it, so its fetches may reach other server connections.
  pgwrap::database holder = through_bouncer();
  db.set_autocommit(true);
  stream_while_others_come_and_go(db, holder);
}

TEST_F(pgbouncer, FailedBatchesLeaveNothingBehindForOtherClients) {
  // A batch that fails on the server must not leave a prepared statement
  // on the server connection: the next client given that connection would
  // then fail to prepare its own batch under the same name.
  std::vector<std::tuple<int, std::string>> dup = {{1, "a"}, {1, "again"}};
  for (const bool autocommit : {true, false}) {
    SCOPED_TRACE(autocommit ? "autocommit" : "implicit transaction");
    pgwrap::database failing = through_bouncer();
    failing.set_autocommit(autocommit);
    EXPECT_THROW(failing.executemany("INSERT INTO accounts (id, owner) VALUES (%s, %s)", dup),
                 pgwrap::unique_violation);
    failing.rollback();
    EXPECT_EQ(server.scalar<std::int64_t>("SELECT count(*) FROM accounts"), 0);
    // New clients number their statements from 1, as `failing` did.
    for (int client = 0; client < 3; ++client) {
      pgwrap::database next = through_bouncer();
      next.set_autocommit(true);
      std::vector<std::tuple<int, std::string>> fine = {{10 + client, "x"}, {20 + client, "y"}};
      EXPECT_NO_THROW(next.executemany("INSERT INTO accounts (id, owner) VALUES (%s, %s)", fine));
      next.execute("DELETE FROM accounts");
    }
  }
}

// Left at its default, the statement cache would break here: typed reads are
// prepared on one server connection and run later on another. pgwrap detects
// the pooler when connecting and prepares nothing. Without that detection
// the first test below failed with `prepared statement "pgwrap_1" does not
// exist` (26000), and the second read another client's answer.
TEST_F(pgbouncer, DefaultCacheSettingWorksAcrossServerConnections) {
  // A database of its own gives this test a pool nobody else has used yet.
  server.execute("DROP DATABASE IF EXISTS pgwrap_bouncer_cache WITH (FORCE)");
  server.execute("CREATE DATABASE pgwrap_bouncer_cache");
  const std::string dsn = bouncer_dsn + " dbname=pgwrap_bouncer_cache";
  pgwrap::database cached(dsn), holder(dsn);
  cached.set_autocommit(true);
  ASSERT_EQ(cached.statement_cache_size(), 100U);
  for (int i = 0; i < 10; ++i) {  // a prepared statement would be made at once, or after five runs
    SCOPED_TRACE(i);
    EXPECT_EQ(cached.scalar<int>("SELECT %s::int + 1", i), i + 1);
    EXPECT_EQ(cached.execute("SELECT %s::int", i), 1);
    // Another client's open transaction keeps that server connection, so
    // the next statement runs on another one.
    if (i % 2 == 0) hold_a_server_connection(holder);
    if (i % 2 == 1) holder.rollback();
  }
  holder.rollback();
  EXPECT_EQ(cached.statement_cache_size(), 100U);  // the setting stays; it is just not used here
}

TEST_F(pgbouncer, DefaultCacheSettingNeverRunsAnotherClientsStatement) {
  // Two clients would name their first prepared statement alike ("pgwrap_1"),
  // and one of them, sent to the other's server connection, would run the
  // other's SQL: a wrong answer here, a wrong write elsewhere.
  server.execute("DROP DATABASE IF EXISTS pgwrap_bouncer_swap WITH (FORCE)");
  server.execute("CREATE DATABASE pgwrap_bouncer_swap");
  const std::string dsn = bouncer_dsn + " dbname=pgwrap_bouncer_swap";
  pgwrap::database a(dsn), b(dsn), holder(dsn);
  a.set_autocommit(true);
  b.set_autocommit(true);
  EXPECT_EQ(a.scalar<std::string>("SELECT 'from a: ' || %s::text", "x"), "from a: x");  // server 1
  hold_a_server_connection(holder);                                                     // server 1
  EXPECT_EQ(b.scalar<std::string>("SELECT 'from b: ' || %s::text", "x"), "from b: x");  // server 2
  holder.rollback();
  hold_a_server_connection(holder);  // server 1 again (the most recently used): a gets server 2
  EXPECT_EQ(a.scalar<std::string>("SELECT 'from a: ' || %s::text", "x"), "from a: x");
  holder.rollback();
}

TEST_F(pgbouncer, ListenerRefusesAPoolerUnlessToldItPoolsSessions) {
  // In transaction pooling a LISTEN would stay behind on a server connection
  // other clients use next: the listener refuses rather than wait forever.
  pgwrap::listener refused(bouncer_dsn + " dbname=postgres");
  try {
    refused.listen("jobs");
    ADD_FAILURE() << "no usage_error";
  } catch (const pgwrap::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("transaction pooling"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("allow_session_pooler"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(refused.is_connected());
  pgwrap::listener_options options;
  options.allow_session_pooler = true;
  pgwrap::listener accepted(bouncer_dsn + " dbname=postgres", options);
  accepted.listen("jobs");  // the user vouches for session pooling
  EXPECT_TRUE(accepted.is_connected());
}

}  // namespace
