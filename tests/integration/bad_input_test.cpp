// The bad-input catalogue: every misuse of the public API that compiles,
// each with the exact exception class it must give and a message that names
// what was wrong (the column, placeholder, argument, SQLSTATE, table, ...).
// One test per area, table-driven where the cases share a shape.
//
// Misuse that does not compile (wrong placeholder count in a literal, a map
// for %s, a type without a codec, a std::string as SQL, ...) is covered by
// tests/compile_fail/, one snippet per mistake, and is not repeated here.
#include <cxxabi.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "private_server.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace bad_input {
struct item {
  int id = 0;
  std::string name;
};
PGWRAP_DESCRIBE(item, id, name)
}  // namespace bad_input

namespace {

using namespace std::chrono_literals;
using bad_input::item;
using bad_input_test = db_test;

std::string type_name(const char* mangled) {
  int status = 0;
  const std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                                         &std::free);
  return status == 0 && name ? name.get() : mangled;
}

/// One misuse: the call, the exact class it must throw, and the words its
/// message must contain.
struct bad_call {
  std::string name;
  std::function<void()> call;
  std::type_index expected;
  std::vector<std::string> parts;
  std::string sqlstate = {};                             // for sql_error: the SQLSTATE it must carry
  std::function<void(const sql_error&)> more = nullptr;  // further checks of an sql_error's fields
};

/// Runs one case; returns the message (empty when nothing was thrown).
std::string check(const bad_call& c) {
  SCOPED_TRACE(c.name);
  try {
    c.call();
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_EQ(std::type_index(typeid(e)), c.expected) << c.name << ": threw " << type_name(typeid(e).name()) << " ("
                                                      << what << "), expected " << type_name(c.expected.name());
    for (const std::string& part : c.parts) {
      EXPECT_NE(what.find(part), std::string::npos) << c.name << ": the message lacks \"" << part << "\": " << what;
    }
    if (const auto* sql = dynamic_cast<const sql_error*>(&e)) {
      if (!c.sqlstate.empty()) {
        EXPECT_EQ(sql->sqlstate(), c.sqlstate) << c.name;
        EXPECT_NE(what.find("(SQLSTATE " + c.sqlstate + ")"), std::string::npos) << c.name << ": " << what;
      }
      if (c.more) c.more(*sql);
    } else {
      EXPECT_TRUE(c.sqlstate.empty()) << c.name << ": expected an sql_error, got " << type_name(typeid(e).name());
    }
    return what;
  }
  ADD_FAILURE() << c.name << ": nothing was thrown";
  return {};
}

void check_all(const std::vector<bad_call>& cases) {
  for (const bad_call& c : cases) check(c);
}

std::string nul_string(std::string_view before, std::string_view after) {
  std::string s(before);
  s += '\0';
  s += after;
  return s;
}

// --- the database object: closed, moved from, cannot connect ---

TEST_F(bad_input_test, ClosedAndMovedFromDatabasesRefuseEveryCall) {
  db.execute("CREATE TABLE t (id int, name text)");
  db.commit();
  const std::vector<std::tuple<int>> rows{{1}};
  const std::vector<item> items{{1, "a"}};
  pgwrap::batch one;
  one.add("SELECT 1");

  // Every call that needs the connection, run against `d`.
  auto calls = [&](pgwrap::database& d) {
    return std::vector<std::pair<std::string, std::function<void()>>>{
        {"query", [&] { d.query("SELECT 1"); }},
        {"queryone", [&] { d.queryone("SELECT 1"); }},
        {"execute", [&] { d.execute("SELECT 1"); }},
        {"scalar", [&] { d.scalar<int>("SELECT 1"); }},
        {"typed query", [&] { d.query<int>("SELECT 1"); }},
        {"insert",
         [&] {
           d.insert("t", {{"id", 1}});
         }},
        {"insert returning",
         [&] {
           d.insert("t", {{"id", 1}}, pgwrap::returning{"id"});
         }},
        {"update",
         [&] {
           d.update("t", pgwrap::fields{{"name", "x"}}, pgwrap::fields{{"id", 1}});
         }},
        {"delete_where",
         [&] {
           d.delete_where("t", pgwrap::fields{{"id", 1}});
         }},
        {"executemany", [&] { d.executemany("INSERT INTO t (id) VALUES (%s)", rows); }},
        {"execute_batch", [&] { d.execute_batch(one); }},
        {"copy_in", [&] { d.copy_in("t", {}, items); }},
        {"transaction", [&] { pgwrap::transaction tx(d); }},
    };
  };

  pgwrap::database closed = connect();
  closed.connect();
  closed.close();
  closed.close();  // twice is fine
  for (const auto& [name, call] : calls(closed)) {
    check({"after close(): " + name,
           call,
           typeid(usage_error),
           {name == "transaction" ? "transaction on a closed database" : "the database is closed; call connect()"}});
  }
  check({"after close(): commit", [&] { closed.commit(); }, typeid(usage_error), {"commit() on a closed database"}});
  check({"after close(): rollback",
         [&] { closed.rollback(); },
         typeid(usage_error),
         {"rollback() on a closed database"}});
  EXPECT_FALSE(closed.is_connected());
  closed.connect();  // reopens
  EXPECT_EQ(closed.scalar<int>("SELECT 2"), 2);

  pgwrap::database moved = connect();
  moved.connect();
  pgwrap::database taker(std::move(moved));
  // NOLINTBEGIN(bugprone-use-after-move): using a moved-from database is the misuse under test
  auto moved_calls = calls(moved);
  moved_calls.emplace_back("connect()", [&] { moved.connect(); });
  moved_calls.emplace_back("connect(conninfo)", [&] { moved.connect(schema_dsn()); });
  moved_calls.emplace_back("commit", [&] { moved.commit(); });
  moved_calls.emplace_back("rollback", [&] { moved.rollback(); });
  moved_calls.emplace_back("set_autocommit", [&] { moved.set_autocommit(true); });
  moved_calls.emplace_back("set_statement_timeout", [&] { moved.set_statement_timeout(1s); });
  moved_calls.emplace_back("set_statement_cache_size", [&] { moved.set_statement_cache_size(0); });
  moved_calls.emplace_back("on_notice", [&] { moved.on_notice(nullptr); });
  for (const auto& [name, call] : moved_calls) {
    check({"moved from: " + name, call, typeid(usage_error), {"this database was moved from"}});
  }
  // The members that cannot fail say so quietly.
  EXPECT_FALSE(moved.is_connected());
  EXPECT_FALSE(moved.in_transaction());
  EXPECT_FALSE(moved.autocommit());
  EXPECT_EQ(moved.to_string(), "pgwrap::database (moved from)");
  moved.cancel();
  moved.close();
  moved = connect();  // assigning brings it back
  EXPECT_EQ(moved.scalar<int>("SELECT 3"), 3);
  // NOLINTEND(bugprone-use-after-move)
  EXPECT_EQ(taker.scalar<int>("SELECT 4"), 4);
}

TEST_F(bad_input_test, ConnectionFailuresNameTheCauseAndNeverThePassword) {
  const std::string secret = "Hunter2-pgwrap-secret";
  auto connect_to = [](std::string conninfo) {
    return [conninfo] {
      pgwrap::database d(conninfo);
      d.connect();
    };
  };
  auto first_query = [](std::string conninfo) {
    return [conninfo] {
      pgwrap::database d(conninfo);
      d.scalar<int>("SELECT 1");  // connects lazily, and fails there
    };
  };
  const std::vector<bad_call> cases = {
      {"unknown conninfo keyword",
       connect_to("no_such_option=1 password=" + secret),
       typeid(connection_error),
       {"could not connect: ", "no_such_option"}},
      {"unterminated quote in the conninfo",
       connect_to("password=" + secret + " host='abc"),
       typeid(connection_error),
       {"could not connect: ", "unterminated quoted string"}},
      {"malformed URI",
       connect_to("postgresql://al:" + secret + "@localhost:notaport/db"),
       typeid(connection_error),
       {"could not connect: ", "notaport"}},
      {"socket directory that does not exist",
       connect_to("host=/nonexistent/pgwrap port=5432 password=" + secret),
       typeid(connection_error),
       {"could not connect: ", "/nonexistent/pgwrap"}},
      {"nothing listens on the port",
       connect_to("host=127.0.0.1 port=1 connect_timeout=5 sslmode=disable password=" + secret),
       typeid(connection_error),
       {"could not connect: ", "127.0.0.1", "refused"}},
      {"URI with a password, nothing listening",
       connect_to("postgresql://al:" + secret + "@127.0.0.1:1/db?connect_timeout=5&sslmode=disable"),
       typeid(connection_error),
       {"could not connect: ", "refused"}},
      {"lazy connect on the first query",
       first_query("host=127.0.0.1 port=1 sslmode=disable password=" + secret),
       typeid(connection_error),
       {"could not connect: ", "refused"}},
      {"database that does not exist",
       connect_to(dsn() + " dbname=pgwrap_no_such_db password=" + secret),
       typeid(connection_error),
       {"could not connect: ", "pgwrap_no_such_db"}},
      {"role that does not exist",
       connect_to(dsn() + " user=pgwrap_no_such_role password=" + secret),
       typeid(connection_error),
       {"could not connect: ", "pgwrap_no_such_role"}},
  };
  for (const bad_call& c : cases) {
    const std::string what = check(c);
    EXPECT_EQ(what.find(secret), std::string::npos) << c.name << ": the password is in the message: " << what;
  }

  // A database whose connect failed keeps its (new) conninfo, and works once given a good one.
  pgwrap::database d(dsn());
  check({"connect(conninfo) to nowhere",
         [&] { d.connect("host=/nonexistent/pgwrap password=" + secret); },
         typeid(connection_error),
         {"could not connect: "}});
  EXPECT_FALSE(d.is_connected());
  EXPECT_EQ(d.to_string().find(secret), std::string::npos) << d.to_string();
  d.connect(schema_dsn());
  EXPECT_EQ(d.scalar<int>("SELECT 5"), 5);
}

TEST(bad_input_password_test, WrongPasswordIsAConnectionErrorWithoutThePassword) {
  if (!server_configured()) GTEST_SKIP() << "no test server: set PGWRAP_TEST_DSN or run ./dev test";
  if (!private_server::available()) GTEST_SKIP() << "no PostgreSQL server binaries for a private server";
  // The shared test server trusts every local connection, so a server of
  // this test's own is switched to password (SCRAM) authentication.
  private_server server;
  const std::string right = "Right-pgwrap-Pa55word";
  const std::string wrong = "Wrong-pgwrap-Pa55word";
  {
    pgwrap::database setup(server.dsn());
    setup.set_autocommit(true);
    const auto user = setup.scalar<std::string>("SELECT current_user");
    setup.execute(runtime_sql("ALTER ROLE " + quote_identifier(user) + " PASSWORD '" + right + "'"));
    const auto hba = setup.scalar<std::string>("SHOW hba_file");  // a path without quotes: a temp dir
    setup.execute(runtime_sql("COPY (SELECT 'local all all scram-sha-256') TO '" + hba + "'"));
    ASSERT_TRUE(setup.scalar<bool>("SELECT pg_reload_conf()"));
  }
  // The reload is asynchronous: wait (bounded) until a password is asked for.
  bool asks = false;
  for (int i = 0; i < 1000 && !asks; ++i) {
    try {
      pgwrap::database probe(server.dsn());
      probe.connect();
      std::this_thread::sleep_for(10ms);
    } catch (const connection_error&) {
      asks = true;
    }
  }
  ASSERT_TRUE(asks) << "the private server never started asking for a password";

  for (const std::string& conninfo :
       {server.dsn() + " password=" + wrong, server.dsn() + " password='" + wrong + "'"}) {
    pgwrap::database d(conninfo);
    const std::string what = check({"wrong password",
                                    [&] { d.connect(); },
                                    typeid(connection_error),
                                    {"could not connect: ", "password authentication failed for user"}});
    EXPECT_EQ(what.find(wrong), std::string::npos) << what;
    EXPECT_EQ(d.to_string().find(wrong), std::string::npos) << d.to_string();
  }
  // The same server with the right password: the failure above was the password's.
  pgwrap::database good(server.dsn() + " password=" + right);
  EXPECT_EQ(good.scalar<int>("SELECT 6"), 6);
  EXPECT_EQ(good.to_string().find(right), std::string::npos) << good.to_string();
}

// --- SQL text and arguments checked before anything is sent ---

TEST_F(bad_input_test, RuntimeSqlAndArgumentMistakesAreRefusedBeforeConnecting) {
  pgwrap::database lazy = connect();  // never connected: none of these may even connect
  const std::vector<int> none;
  const pgwrap::fields no_fields;
  const char* null_name = nullptr;
  const std::vector<int> too_many(65536, 1);
  pgwrap::batch b;
  const std::vector<bad_call> cases = {
      {"fewer arguments than %s",
       [&] { lazy.query(runtime_sql("SELECT %s, %s"), 1); },
       typeid(usage_error),
       {"the SQL has 2 placeholders but 1 argument was given"}},
      {"more arguments than %s",
       [&] { lazy.query(runtime_sql("SELECT %s"), 1, 2); },
       typeid(usage_error),
       {"the SQL has 1 placeholder but 2 arguments were given"}},
      {"no argument at all",
       [&] { lazy.execute(runtime_sql("SELECT %s")); },
       typeid(usage_error),
       {"the SQL has 1 placeholder but 0 arguments were given"}},
      {"unknown %(name)s",
       [&] { lazy.query(runtime_sql("SELECT %(id)s"), arg("uid", 1)); },
       typeid(usage_error),
       {"no argument named \"id\" for %(id)s", "pgwrap::arg(\"id\", value)"}},
      {"named argument not used",
       [&] { lazy.query(runtime_sql("SELECT %(id)s"), arg("id", 1), arg("spare", 2)); },
       typeid(usage_error),
       {"the argument named \"spare\" is not used"}},
      {"two arguments with one name",
       [&] { lazy.query(runtime_sql("SELECT %(a)s"), arg("a", 1), arg("a", 2)); },
       typeid(usage_error),
       {"two arguments are named \"a\""}},
      {"empty pgwrap::list",
       [&] { lazy.query(runtime_sql("SELECT 1 WHERE 1 IN (%s)"), pgwrap::list(none)); },
       typeid(usage_error),
       {"argument 1 for %s", "the pgwrap::list is empty", "IN ()"}},
      {"empty pgwrap::list in a literal",
       [&] { lazy.query("SELECT 1 WHERE 1 IN (%s)", pgwrap::list(none)); },
       typeid(usage_error),
       {"argument 1 for %s", "the pgwrap::list is empty"}},
      {"empty map for %S",
       [&] { lazy.execute("UPDATE t SET %S WHERE id = %s", no_fields, 1); },
       typeid(usage_error),
       {"argument 1 for %S", "the map is empty"}},
      {"$1 written by hand",
       [&] { lazy.query(runtime_sql("SELECT $1")); },
       typeid(usage_error),
       {"invalid SQL", "$n placeholder written by hand", "at offset 7: $1"}},
      {"unterminated string",
       [&] { lazy.query(runtime_sql("SELECT 'abc")); },
       typeid(usage_error),
       {"invalid SQL: unterminated quoted string at offset 7: 'abc"}},
      {"unterminated identifier",
       [&] { lazy.query(runtime_sql("SELECT \"abc")); },
       typeid(usage_error),
       {"unterminated quoted identifier at offset 7"}},
      {"unterminated dollar quote",
       [&] { lazy.query(runtime_sql("SELECT $x$abc")); },
       typeid(usage_error),
       {"unterminated dollar-quoted string at offset 7"}},
      {"unterminated comment",
       [&] { lazy.query(runtime_sql("SELECT 1 /* abc")); },
       typeid(usage_error),
       {"unterminated /* comment at offset 9"}},
      {"unknown directive",
       [&] { lazy.query(runtime_sql("SELECT 7 % 2")); },
       typeid(usage_error),
       {"unknown directive; write %% for a literal percent sign", "at offset 9: % 2"}},
      {"% at the end",
       [&] { lazy.query(runtime_sql("SELECT 7 %")); },
       typeid(usage_error),
       {"'%' at the end", "at offset 9"}},
      {"malformed %(name",
       [&] { lazy.query(runtime_sql("SELECT %(id")); },
       typeid(usage_error),
       {"malformed named directive; write %(name)s", "at offset 7"}},
      {"a map for %s",
       [&] {
         lazy.query(runtime_sql("SELECT %s"), pgwrap::fields{{"a", 1}});
       },
       typeid(usage_error),
       {"argument 1 for %s: needs a value or a pgwrap::list, not a map"}},
      {"an identifier for %s",
       [&] { lazy.query(runtime_sql("SELECT %s"), pgwrap::ident("t")); },
       typeid(usage_error),
       {"argument 1 for %s", "not an identifier"}},
      {"a value for %W",
       [&] { lazy.query(runtime_sql("SELECT 1 WHERE %W"), 5); },
       typeid(usage_error),
       {"argument 1 for %W: needs a map of column to value, not a value"}},
      {"a number for %I",
       [&] { lazy.query(runtime_sql("SELECT * FROM %I"), 5); },
       typeid(usage_error),
       {"argument 1 for %I: needs an identifier or a string, not a value"}},
      {"a null const char* for %I",
       [&] { lazy.query("SELECT * FROM %I", null_name); },
       typeid(usage_error),
       {"argument 1 for %I", "a null const char* is not an identifier"}},
      {"empty query", [&] { lazy.query(""); }, typeid(usage_error), {"empty query: the SQL has no statement"}},
      {"whitespace only", [&] { lazy.execute(runtime_sql(" \n\t ")); }, typeid(usage_error), {"empty query"}},
      {"format_query checks as the call would",
       [&] { (void)pgwrap::format_query(runtime_sql("SELECT %s")); },
       typeid(usage_error),
       {"the SQL has 1 placeholder but 0 arguments were given"}},
      {"batch::add checks at once",
       [&] { b.add(runtime_sql("SELECT %s, %s"), 1); },
       typeid(usage_error),
       {"the SQL has 2 placeholders but 1 argument was given"}},
      {"update with an empty where map",
       [&] {
         lazy.update("t", pgwrap::fields{{"a", 1}}, pgwrap::fields{});
       },
       typeid(usage_error),
       {"update: the where map is empty, which would match every row", "execute()"}},
      {"update with an empty std::map",
       [&] {
         lazy.update("t", pgwrap::fields{{"a", 1}}, std::map<std::string, int>{});
       },
       typeid(usage_error),
       {"update: the where map is empty"}},
      {"update with an empty set map",
       [&] {
         lazy.update("t", pgwrap::fields{}, pgwrap::fields{{"id", 1}});
       },
       typeid(usage_error),
       {"argument 2 for %S: the map is empty"}},
      {"delete_where with an empty where map",
       [&] { lazy.delete_where("t", std::vector<std::pair<std::string, int>>{}); },
       typeid(usage_error),
       {"delete_where: the where map is empty, which would match every row"}},
      {"insert returning nothing",
       [&] {
         lazy.insert("t", {{"a", 1}}, pgwrap::returning{});
       },
       typeid(usage_error),
       {"insert: returning{} names no columns"}},
      {"more parameters than the protocol carries",
       [&] { lazy.query("SELECT 1 WHERE 1 IN (%s)", pgwrap::list(too_many)); },
       typeid(usage_error),
       {"the statement has 65536 parameters, more than the 65535 PostgreSQL takes", "= ANY(%s)"}},
      {"more parameters than the protocol carries, in a batch",
       [&] { b.add("SELECT 1 WHERE 1 IN (%s)", pgwrap::list(too_many)); },
       typeid(usage_error),
       {"the statement has 65536 parameters"}},
  };
  check_all(cases);
  EXPECT_TRUE(b.empty()) << "a refused add() must add nothing";
  EXPECT_FALSE(lazy.is_connected()) << "a refused call must not even connect";
  // The limit itself is fine.
  const std::vector<int> most(65535, 1);
  EXPECT_EQ(lazy.scalar<std::int64_t>("SELECT count(*) FROM unnest(ARRAY[%s])", pgwrap::list(most)), 65535);
}

// --- statements the server rejects: the SQLSTATE picks the class ---

TEST_F(bad_input_test, StatementsTheServerRejectsGetTheirSqlstatesClass) {
  db.set_autocommit(true);  // each failure aborts only itself
  db.execute("CREATE TABLE parent (id int PRIMARY KEY)");
  db.execute(
      "CREATE TABLE items (id int CONSTRAINT items_pkey PRIMARY KEY, name text NOT NULL,"
      " qty int CONSTRAINT items_qty_check CHECK (qty >= 0),"
      " parent_id int CONSTRAINT items_parent_fk REFERENCES parent (id))");
  db.execute("INSERT INTO items (id, name, qty) VALUES (1, 'one', 1)");
  const std::vector<bad_call> cases = {
      {"a typo", [&] { db.query("SELEC 1"); }, typeid(syntax_error), {"syntax error at or near \"SELEC\""}, "42601"},
      {"two statements in one call",
       [&] { db.query("SELECT 1; SELECT 2"); },
       typeid(syntax_error),
       {"cannot insert multiple commands into a prepared statement"},
       "42601"},
      {"unknown table",
       [&] { db.query("SELECT * FROM no_such_table"); },
       typeid(undefined_table),
       {"relation \"no_such_table\" does not exist"},
       "42P01"},
      {"unknown table through %I",
       [&] { db.query("SELECT * FROM %I", "x\"; DROP TABLE items; --"); },
       typeid(undefined_table),
       {"relation \"x\"; DROP TABLE items; --\" does not exist"},
       "42P01"},
      {"unknown column",
       [&] { db.query("SELECT no_such_column FROM items"); },
       typeid(undefined_column),
       {"column \"no_such_column\" does not exist"},
       "42703"},
      {"unknown column through update()",
       [&] {
         db.update("items", pgwrap::fields{{"nope", 1}}, pgwrap::fields{{"id", 1}});
       },
       typeid(undefined_column),
       {"column \"nope\" of relation \"items\" does not exist"},
       "42703"},
      {"unknown function",
       [&] { db.query("SELECT no_such_function()"); },
       typeid(syntax_error_or_access_rule_violation),
       {"no_such_function()"},
       "42883"},
      {"an untyped NULL parameter",
       [&] { db.query("SELECT %s IS NULL", nullptr); },
       typeid(syntax_error_or_access_rule_violation),
       {"could not determine data type of parameter $1"},
       "42P18"},
      {"duplicate key",
       [&] {
         db.insert("items", {{"id", 1}, {"name", "again"}});
       },
       typeid(unique_violation),
       {"items_pkey"},
       "23505",
       [](const sql_error& e) {
         EXPECT_EQ(e.constraint_name(), "items_pkey");
         EXPECT_EQ(e.table_name(), "items");
         EXPECT_NE(e.detail().find("Key (id)=(1) already exists"), std::string::npos) << e.detail();
       }},
      {"NULL into NOT NULL",
       [&] {
         db.insert("items", {{"id", 2}, {"name", nullptr}});
       },
       typeid(not_null_violation),
       {"column \"name\""},
       "23502",
       [](const sql_error& e) { EXPECT_EQ(e.column_name(), "name"); }},
      {"CHECK constraint",
       [&] {
         db.insert("items", {{"id", 3}, {"name", "x"}, {"qty", -1}});
       },
       typeid(check_violation),
       {"items_qty_check"},
       "23514",
       [](const sql_error& e) { EXPECT_EQ(e.constraint_name(), "items_qty_check"); }},
      {"foreign key",
       [&] {
         db.insert("items", {{"id", 4}, {"name", "x"}, {"parent_id", 99}});
       },
       typeid(foreign_key_violation),
       {"items_parent_fk"},
       "23503",
       [](const sql_error& e) { EXPECT_EQ(e.constraint_name(), "items_parent_fk"); }},
      {"division by zero",
       [&] { db.query("SELECT 1 / %s", 0); },
       typeid(data_exception),
       {"division by zero"},
       "22012"},
      {"text that is not a number",
       [&] { db.query("SELECT %s::int", "x12"); },
       typeid(data_exception),
       {"invalid input syntax for type integer", "x12"},
       "22P02"},
      {"a number out of the column's range",
       [&] {
         db.insert("items", {{"id", std::int64_t{3000000000}}, {"name", "x"}});
       },
       typeid(data_exception),
       {"out of range"},
       "22003"},
      {"a date that does not exist",
       [&] { db.query("SELECT %s::date", "2024-02-30"); },
       typeid(data_exception),
       {"2024-02-30"},
       "22008"},
      {"a string that is not UTF-8",
       [&] { db.query("SELECT %s::text", std::string("ab\xff")); },
       typeid(data_exception),
       {"invalid byte sequence for encoding \"UTF8\": 0xff"},
       "22021"},
      {"a column twice in insert()",
       [&] {
         db.insert("items", {{"id", 5}, {"id", 6}});
       },
       typeid(syntax_error_or_access_rule_violation),
       {"column \"id\" specified more than once"},
       "42701"},
      {"a column twice in update()'s SET",
       [&] {
         db.update("items", pgwrap::fields{{"qty", 1}, {"qty", 2}}, pgwrap::fields{{"id", 1}});
       },
       typeid(syntax_error),
       {"multiple assignments to same column \"qty\""},
       "42601"},
      {"JSON that does not parse",
       [&] { db.query("SELECT %s::jsonb", pgwrap::jsonb{"{\"a\": "}); },
       typeid(data_exception),
       {"invalid input syntax for type json"},
       "22P02"},
  };
  check_all(cases);

  // COPY to or from the client cannot run as a query; the connection goes on.
  check({"COPY TO STDOUT as a query",
         [&] { db.query("COPY items TO STDOUT"); },
         typeid(usage_error),
         {"COPY FROM STDIN / TO STDOUT cannot run as a query; it was cancelled"}});
  check({"COPY FROM STDIN as a query",
         [&] { db.execute("COPY items FROM STDIN"); },
         typeid(usage_error),
         {"COPY FROM STDIN / TO STDOUT cannot run as a query"}});
  // Only comments or semicolons: the server finds no statement.
  for (const char* empty : {";", "-- nothing", "/* nothing */ ;"}) {
    check({std::string("no statement: ") + empty,
           [&] { db.execute(runtime_sql(empty)); },
           typeid(usage_error),
           {"empty query: the SQL has no statement"}});
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM items"), 1);  // nothing above changed the table
}

// --- reading rows and values ---

TEST_F(bad_input_test, ReadingRowsNamesTheColumnTheValueAndTheType) {
  const pgwrap::result r = db.query(
      "SELECT 1 AS a, NULL::int AS n, 3000000000::bigint AS big, 'abc'::text AS word, 1.5::float8 AS f,"
      " 1e300::float8 AS huge, -1 AS neg, 300 AS three_hundred, true AS flag, 'infinity'::date AS d,"
      " interval '1 month' AS iv, now() AS tz, ARRAY[1, NULL] AS arr, 'x'::text AS \"Mixed\"");
  ASSERT_EQ(r.size(), 1U);
  const pgwrap::row row = r[0];
  const std::vector<bad_call> cases = {
      {"unknown column name",
       [&] { (void)row["c"]; },
       typeid(usage_error),
       {"no column named \"c\"; the columns are: a, n, big, word"}},
      {"column names are case-sensitive",
       [&] { (void)row["mixed"]; },
       typeid(usage_error),
       {"no column named \"mixed\"", "Mixed"}},
      {"column index past the end",
       [&] { (void)row[14]; },
       typeid(usage_error),
       {"column index 14 is out of range: the row has 14 columns"}},
      {"negative column index", [&] { (void)row[-1]; }, typeid(usage_error), {"column index -1 is out of range"}},
      {"row index past the end",
       [&] { (void)r[1]; },
       typeid(usage_error),
       {"row index 1 is out of range: the result has 1 row"}},
      {"NULL into int",
       [&] { (void)row["n"].as<int>(); },
       typeid(unexpected_null),
       {"column \"n\" is NULL; read it as std::optional<T> to accept NULL"}},
      {"NULL into std::string",
       [&] { (void)row["n"].as<std::string>(); },
       typeid(unexpected_null),
       {"column \"n\" is NULL"}},
      {"bigint too big for int",
       [&] { (void)row["big"].as<int>(); },
       typeid(conversion_error),
       {"column \"big\" (bigint): cannot read \"3000000000\" as int32: out of range"}},
      {"text into int",
       [&] { (void)row["word"].as<int>(); },
       typeid(conversion_error),
       {"column \"word\" (text): cannot read \"abc\" as int32: not a number"}},
      {"text into double",
       [&] { (void)row["word"].as<double>(); },
       typeid(conversion_error),
       {"column \"word\" (text)", "abc"}},
      {"integer into bool",
       [&] { (void)row["a"].as<bool>(); },
       typeid(conversion_error),
       {"column \"a\" (integer): cannot read \"1\" as bool: not a boolean"}},
      {"boolean into int",
       [&] { (void)row["flag"].as<int>(); },
       typeid(conversion_error),
       {"column \"flag\" (boolean)"}},
      {"fraction into int",
       [&] { (void)row["f"].as<int>(); },
       typeid(conversion_error),
       {"column \"f\" (double precision)", "1.5"}},
      {"double too big for float",
       [&] { (void)row["huge"].as<float>(); },
       typeid(conversion_error),
       {"column \"huge\" (double precision)"}},
      {"negative into unsigned",
       [&] { (void)row["neg"].as<unsigned>(); },
       typeid(conversion_error),
       {"column \"neg\" (integer)", "-1", "out of range"}},
      {"300 into a signed char",
       [&] { (void)row["three_hundred"].as<signed char>(); },
       typeid(conversion_error),
       {"column \"three_hundred\" (integer)", "300", "out of range"}},
      {"infinity into a plain date",
       [&] { (void)row["d"].as<std::chrono::sys_days>(); },
       typeid(conversion_error),
       {"column \"d\" (date)", "with_infinity"}},
      {"interval with months into seconds",
       [&] { (void)row["iv"].as<std::chrono::seconds>(); },
       typeid(conversion_error),
       {"column \"iv\" (interval)"}},
      {"timestamptz into local_time",
       [&] { (void)row["tz"].as<std::chrono::local_time<std::chrono::microseconds>>(); },
       typeid(conversion_error),
       {"column \"tz\" (timestamptz)", "sys_time"}},
      {"text into uuid",
       [&] { (void)row["word"].as<pgwrap::uuid>(); },
       typeid(conversion_error),
       {"column \"word\" (text)", "abc"}},
      {"text into numeric",
       [&] { (void)row["word"].as<pgwrap::numeric>(); },
       typeid(conversion_error),
       {"column \"word\" (text)", "abc"}},
      {"text into an array",
       [&] { (void)row["word"].as<std::vector<int>>(); },
       typeid(conversion_error),
       {"column \"word\" (text)"}},
      {"NULL element into a non-optional element",
       [&] { (void)row["arr"].as<std::vector<int>>(); },
       typeid(conversion_error),
       {"column \"arr\" (integer[])", "element [1] is NULL", "std::optional"}},
  };
  check_all(cases);
  EXPECT_EQ(row["arr"].as<std::vector<std::optional<int>>>().size(), 2U);  // the fix the message names works
}

TEST_F(bad_input_test, ScalarAndInsertReturningNeedExactlyOneRow) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id serial PRIMARY KEY, name text)");
  db.execute("CREATE FUNCTION skip_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$");
  db.execute("CREATE TABLE skipped (id serial PRIMARY KEY, name text)");
  db.execute("CREATE TRIGGER skip BEFORE INSERT ON skipped FOR EACH ROW EXECUTE FUNCTION skip_row()");
  const std::vector<bad_call> cases = {
      {"scalar of no row",
       [&] { db.scalar<int>("SELECT 1 WHERE false"); },
       typeid(unexpected_rows),
       {"scalar: the query returned 0 rows, expected exactly one"}},
      {"scalar of two rows",
       [&] { db.scalar<int>("SELECT generate_series(1, 2)"); },
       typeid(unexpected_rows),
       {"scalar: the query returned 2 rows, expected exactly one"}},
      {"scalar of a statement without rows",
       [&] { db.scalar<int>("UPDATE t SET name = name"); },
       typeid(unexpected_rows),
       {"scalar: the query returned 0 rows"}},
      {"scalar of no column",
       [&] { db.scalar<int>("SELECT"); },
       typeid(unexpected_rows),
       {"scalar: the query returned no columns"}},
      {"scalar NULL into int",
       [&] { db.scalar<int>("SELECT NULL::int AS n"); },
       typeid(unexpected_null),
       {"column \"n\" is NULL"}},
      {"scalar bigint into int",
       [&] { db.scalar<int>("SELECT 3000000000::bigint AS big"); },
       typeid(conversion_error),
       {"column \"big\" (bigint)", "out of range"}},
      {"scalar text into int",
       [&] { db.scalar<int>("SELECT 'abc'::text AS word"); },
       typeid(conversion_error),
       {"column \"word\" (text)", "abc"}},
      {"insert returning, a trigger skipped the row",
       [&] {
         db.insert("skipped", {{"name", "x"}}, pgwrap::returning{"id"});
       },
       typeid(unexpected_rows),
       {"insert: no row was inserted (a trigger or rule skipped it), so there is nothing to return"}},
  };
  check_all(cases);
  EXPECT_EQ(db.insert("skipped", {{"name", "x"}}), 0);  // without returning, 0 rows is an answer, not an error
}

// --- typed reads: tuples and described structs ---

TEST_F(bad_input_test, TypedReadsCheckTheResultsShape) {
  const std::vector<bad_call> cases = {
      {"fewer tuple elements than columns",
       [&] { db.query<int, int>("SELECT 1 AS a, 2 AS b, 3 AS c"); },
       typeid(usage_error),
       {"the typed query reads 2 columns but the query returned 3: a, b, c"}},
      {"more tuple elements than columns",
       [&] { db.query<int, int>("SELECT 1 AS a"); },
       typeid(usage_error),
       {"the typed query reads 2 columns but the query returned 1: a"}},
      {"shape checked even with no rows",
       [&] { db.queryone<int>("SELECT 1 AS a, 2 AS b WHERE false"); },
       typeid(usage_error),
       {"the typed query reads 1 column but the query returned 2: a, b"}},
      {"struct member without a column",
       [&] { db.query<item>("SELECT 1 AS id"); },
       typeid(usage_error),
       {"no column for member \"name\"; the columns are: id", "pgwrap::relaxed<T>"}},
      {"column without a struct member",
       [&] { db.query<item>("SELECT 1 AS id, 'x' AS name, 2 AS extra"); },
       typeid(usage_error),
       {"the query returned columns no member takes: extra", "pgwrap::relaxed<T>"}},
      {"NULL into a tuple element",
       [&] { (void)db.query<int, int>("SELECT 1 AS a, NULL::int AS b")[0]; },
       typeid(unexpected_null),
       {"column \"b\" is NULL"}},
      {"NULL into a struct member",
       [&] { (void)db.query<item>("SELECT 1 AS id, NULL::text AS name")[0]; },
       typeid(unexpected_null),
       {"column \"name\" is NULL"}},
      {"bigint into an int element",
       [&] { (void)db.query<int>("SELECT 3000000000::bigint AS big")[0]; },
       typeid(conversion_error),
       {"column \"big\" (bigint)", "out of range"}},
      {"text into an int member",
       [&] { (void)db.query<item>("SELECT 'x'::text AS id, 'y' AS name")[0]; },
       typeid(conversion_error),
       {"column \"id\" (text)"}},
      {"typed row index past the end",
       [&] { (void)db.query<int>("SELECT 1")[5]; },
       typeid(usage_error),
       {"row index 5 is out of range: the result has 1 row"}},
  };
  check_all(cases);
  // The escape hatch the messages name.
  const auto relaxed = db.query<pgwrap::relaxed<item>>("SELECT 'x' AS name, 2 AS extra");
  ASSERT_EQ(relaxed.size(), 1U);
  EXPECT_EQ(relaxed[0].name, "x");
  EXPECT_EQ(relaxed[0].id, 0);
}

// --- transactions ---

TEST_F(bad_input_test, TransactionMisuse) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  {
    pgwrap::transaction tx(db);
    check({"db.commit() inside a guard",
           [&] { db.commit(); },
           typeid(usage_error),
           {"commit() while a pgwrap::transaction is active; finish it through the guard"}});
    check({"db.rollback() inside a guard",
           [&] { db.rollback(); },
           typeid(usage_error),
           {"rollback() while a pgwrap::transaction is active"}});
    check({"set_autocommit inside a guard",
           [&] { db.set_autocommit(true); },
           typeid(usage_error),
           {"set_autocommit() inside a transaction; commit() or rollback() first"}});
    {
      pgwrap::transaction inner(db);
      check({"outer commit while the inner guard is active",
             [&] { tx.commit(); },
             typeid(usage_error),
             {"transaction::commit() while an inner pgwrap::transaction is still active"}});
      check({"outer rollback while the inner guard is active",
             [&] { tx.rollback(); },
             typeid(usage_error),
             {"transaction::rollback() while an inner pgwrap::transaction is still active"}});
      inner.commit();
    }
    tx.commit();
    check({"commit of a finished guard",
           [&] { tx.commit(); },
           typeid(usage_error),
           {"transaction::commit() on a transaction already finished"}});
    tx.rollback();  // a no-op once finished
  }

  db.execute("INSERT INTO t VALUES (1)");  // the implicit transaction
  check({"set_autocommit in the implicit transaction",
         [&] { db.set_autocommit(true); },
         typeid(usage_error),
         {"set_autocommit() inside a transaction"}});
  db.set_autocommit(false);  // the mode it has: allowed
  check({"statement timeout inside a transaction",
         [&] { db.set_statement_timeout(1s); },
         typeid(usage_error),
         {"set_statement_timeout inside a transaction; commit() or rollback() first"}});
  check({"negative statement timeout",
         [&] { db.set_statement_timeout(-1ms); },
         typeid(usage_error),
         {"set_statement_timeout: a negative limit"}});
  check({"VACUUM inside a transaction",
         [&] { db.execute("VACUUM t"); },
         typeid(sql_error),
         {"VACUUM cannot run inside a transaction block"},
         "25001"});
  check({"a statement after an error",
         [&] { db.execute("SELECT 1"); },
         typeid(sql_error),
         {"current transaction is aborted"},
         "25P02"});
  const std::vector<std::tuple<int>> rows{{2}};
  check({"a batch after an error",
         [&] { db.executemany("INSERT INTO t VALUES (%s)", rows); },
         typeid(usage_error),
         {"the current transaction is aborted; rollback() before running a batch"}});
  check({"commit of an aborted transaction",
         [&] { db.commit(); },
         typeid(sql_error),
         {"commit failed: the transaction was aborted by an earlier error and has been rolled back"},
         "25P02"});
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);  // the insert went with the abort
  db.rollback();

  {
    pgwrap::transaction tx(db);
    {
      pgwrap::transaction inner(db);
      EXPECT_THROW(db.execute("SELECT 1 / 0"), data_exception);
      check({"commit of a failed savepoint guard",
             [&] { inner.commit(); },
             typeid(sql_error),
             {"commit failed: the savepoint's work was aborted", "the enclosing transaction goes on"},
             "25P02"});
    }
    db.execute("INSERT INTO t VALUES (3)");  // the outer transaction is usable again
    tx.commit();
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 1);
  db.commit();

  {
    pgwrap::transaction tx(db);
    db.close();
    check({"guard commit after close()",
           [&] { tx.commit(); },
           typeid(usage_error),
           {"transaction::commit() on a closed database"}});
  }
  db.connect();
  {
    pgwrap::transaction tx(db);
    db.execute("INSERT INTO t VALUES (4)");
    db.close();
    db.connect();
    check({"guard commit after close() and connect()",
           [&] { tx.commit(); },
           typeid(usage_error),
           {"transaction::commit() on a transaction that already ended", "rolled back"}});
    tx.rollback();  // nothing left to do: closing rolled it back
  }
  {
    pgwrap::transaction tx(db);
    db.execute("INSERT INTO t VALUES (5)");
    db.connect(schema_dsn());
    check({"guard commit after connect(conninfo)",
           [&] { tx.commit(); },
           typeid(usage_error),
           {"transaction::commit() on a transaction that already ended"}});
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 1);
  db.rollback();
}

TEST_F(bad_input_test, GuardsDestroyedOutOfOrderNeverKeepTheWork) {
  db.execute("CREATE TABLE t (id int)");
  db.commit();
  // Guards on the heap can be ended in the wrong order. Destroying the outer
  // guard first must still roll back its whole transaction, the inner
  // savepoint's work included, so that no later commit() can keep it.
  auto outer = std::make_unique<pgwrap::transaction>(db);
  db.execute("INSERT INTO t VALUES (1)");
  auto inner = std::make_unique<pgwrap::transaction>(db);
  db.execute("INSERT INTO t VALUES (2)");
  outer.reset();
  inner.reset();
  EXPECT_FALSE(db.in_transaction());
  db.commit();
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + quote_identifier(schema) + ".t")), 0);
}

// --- batches, executemany and copy_in ---

TEST_F(bad_input_test, BatchesAndBulkLoadsNameTheFailingRow) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)");
  db.execute("CREATE TABLE wide (id bigint, name text)");  // int into bigint: text COPY
  db.execute("CREATE TABLE three (a int, b int, c int)");
  auto count = [&](const char* table) {
    return db.scalar<std::int64_t>(runtime_sql(std::string("SELECT count(*) FROM ") + table));
  };

  const std::vector<std::tuple<int, std::string>> duplicate{{1, "a"}, {2, "b"}, {1, "c"}, {4, "d"}};
  const std::vector<std::tuple<int, std::string>> with_nul{{1, "a"}, {2, nul_string("b", "c")}, {3, "d"}};
  const std::vector<std::tuple<int, std::optional<std::string>>> with_null{{1, "a"}, {2, std::nullopt}};
  const std::vector<std::tuple<int, int>> too_few{{1, 2}};
  const std::vector<std::tuple<int, std::string, int>> too_many{{1, "a", 2}};
  const std::vector<std::tuple<pgwrap::fields, std::string>> with_map{{pgwrap::fields{{"a", 1}}, "x"}};
  const std::vector<std::tuple<pgwrap::param, std::string>> changing_type{{1, "a"}, {std::string("2"), "b"}};
  const std::vector<std::tuple<std::string, std::string>> not_numbers{{"1", "a"}, {"2", "b"}, {"x3", "c"}};
  pgwrap::batch failing;
  failing.add("INSERT INTO t VALUES (%s, %s)", 10, "ok").add("INSERT INTO t VALUES (%s, %s)", 10, "dup");
  failing.add("SELECT 1");

  const std::vector<bad_call> cases = {
      {"executemany, a duplicate in row 2",
       [&] { db.executemany("INSERT INTO t VALUES (%s, %s)", duplicate); },
       typeid(unique_violation),
       {"statement 2 of the batch: ", "t_pkey"},
       "23505",
       [](const sql_error& e) { EXPECT_EQ(e.statement_index(), 2U); }},
      {"executemany, a NUL in row 1",
       [&] { db.executemany("INSERT INTO t VALUES (%s, %s)", with_nul); },
       typeid(conversion_error),
       {"executemany: row 1: ", "argument 2: string contains a NUL byte at offset 1"}},
      {"executemany, NULL into NOT NULL in row 1",
       [&] { db.executemany("INSERT INTO t VALUES (%s, %s)", with_null); },
       typeid(not_null_violation),
       {"statement 1 of the batch: "},
       "23502",
       [](const sql_error& e) { EXPECT_EQ(e.statement_index(), 1U); }},
      {"execute_batch, statement 1 fails",
       [&] { db.execute_batch(failing); },
       typeid(unique_violation),
       {"statement 1 of the batch: "},
       "23505",
       [](const sql_error& e) { EXPECT_EQ(e.statement_index(), 1U); }},
      {"copy_in, a duplicate in row 2",
       [&] {
         db.copy_in("t", {"id", "name"}, duplicate);
       },
       typeid(unique_violation),
       {"t_pkey"},
       "23505"},
      {"copy_in, a NUL in row 1",
       [&] {
         db.copy_in("t", {"id", "name"}, with_nul);
       },
       typeid(conversion_error),
       {"copy_in: row 1: argument 2: string contains a NUL byte"}},
      {"copy_in, NULL into NOT NULL in row 1",
       [&] {
         db.copy_in("t", {"id", "name"}, with_null);
       },
       typeid(not_null_violation),
       {"column \"name\""},
       "23502",
       [](const sql_error& e) { EXPECT_EQ(e.statement_index(), 1U); }},
      {"copy_in, text that is no number in row 2",
       [&] {
         db.copy_in("t", {"id", "name"}, not_numbers);
       },
       typeid(data_exception),
       {"x3"},
       "22P02",
       [](const sql_error& e) { EXPECT_EQ(e.statement_index(), 2U); }},
      {"copy_in, fewer values than columns",
       [&] { db.copy_in("three", {}, too_few); },
       typeid(usage_error),
       {"copy_in: row 0 has 2 values for 3 columns"}},
      {"copy_in, more values than columns",
       [&] { db.copy_in("t", {}, too_many); },
       typeid(usage_error),
       {"copy_in: row 0 has 3 values for 2 columns"}},
      {"copy_in, a map in a row",
       [&] {
         db.copy_in("t", {"id", "name"}, with_map);
       },
       typeid(usage_error),
       {"copy_in: a row holds a list, map or identifier; COPY takes values only"}},
      {"copy_in, a value of another type than the first row's",
       [&] {
         db.copy_in("t", {"id", "name"}, changing_type);
       },
       typeid(usage_error),
       {"copy_in: row 1, column 1", "binary COPY"}},
      {"copy_in, unknown table",
       [&] { db.copy_in("no_such_table", {"id"}, std::vector<std::tuple<int>>{{1}}); },
       typeid(undefined_table),
       {"no_such_table"},
       "42P01"},
      {"copy_in, unknown column",
       [&] {
         db.copy_in("t", {"id", "nope"}, too_few);
       },
       typeid(undefined_column),
       {"nope"},
       "42703"},
  };
  check_all(cases);
  EXPECT_EQ(count("t"), 0) << "every failed run must leave the table as it was";

  // Hostile text is data, not COPY syntax; only the NUL byte is refused.
  const std::vector<std::tuple<int, std::string>> hostile{
      {1, "tab\there"}, {2, "new\nline"}, {3, "\\N"}, {4, "back\\slash"}, {5, "\\."}, {6, "'); DROP TABLE t; --"}};
  EXPECT_EQ(db.copy_in("wide", {"id", "name"}, hostile), 6);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM wide WHERE name IS NULL"), 0);
  for (const auto& [id, text] : hostile) {
    EXPECT_EQ(db.scalar<std::string>("SELECT name FROM wide WHERE id = %s", id), text);
  }
}

// --- identifiers ---

TEST_F(bad_input_test, IdentifiersThatPostgresqlWouldMangle) {
  pgwrap::database lazy = connect();
  const std::string long_name(64, 'x');
  std::string long_multibyte;
  for (int i = 0; i < 32; ++i) long_multibyte += "\xc3\xa9";  // 32 x "é": 32 characters, 64 bytes
  const std::string with_nul = nul_string("ta", "ble");
  const std::vector<bad_call> cases = {
      {"64 bytes",
       [&] { pgwrap::ident{long_name}; },
       typeid(usage_error),
       {"identifier \"xxxxxxxxxxxxxxxxxxxx...\" is 64 bytes long; PostgreSQL would cut it to 63 bytes"}},
      {"64 bytes in 32 characters",
       [&] { (void)quote_identifier(long_multibyte); },
       typeid(usage_error),
       {"is 64 bytes long"}},
      {"empty",
       [&] { pgwrap::ident{""}; },
       typeid(usage_error),
       {"empty identifier: a table or column name cannot be empty"}},
      {"empty schema", [&] { pgwrap::ident("", "t"); }, typeid(usage_error), {"empty identifier"}},
      {"empty name after a schema", [&] { pgwrap::ident("s", ""); }, typeid(usage_error), {"empty identifier"}},
      {"a NUL byte",
       [&] { (void)quote_identifier(with_nul); },
       typeid(usage_error),
       {"identifier contains a NUL byte"}},
      {"a long name through %I",
       [&] { lazy.query(runtime_sql("SELECT * FROM %I"), long_name); },
       typeid(usage_error),
       {"is 64 bytes long"}},
      {"an empty name through %I",
       [&] { lazy.query("SELECT * FROM %I", ""); },
       typeid(usage_error),
       {"empty identifier"}},
      {"an empty column name in insert()",
       [&] {
         lazy.insert("t", {{"", 1}});
       },
       typeid(usage_error),
       {"empty identifier"}},
      {"a long column name in returning",
       [&] {
         lazy.insert("t", {{"a", 1}}, pgwrap::returning{long_name});
       },
       typeid(usage_error),
       {"is 64 bytes long"}},
      {"a long key in a %W map",
       [&] {
         lazy.query("SELECT 1 WHERE %W", std::map<std::string, int>{{long_name, 1}});
       },
       typeid(usage_error),
       {"is 64 bytes long"}},
      {"a NUL in a %S key",
       [&] {
         lazy.execute("UPDATE t SET %S", pgwrap::fields{{with_nul, 1}});
       },
       typeid(usage_error),
       {"identifier contains a NUL byte"}},
      {"an empty table for delete_where",
       [&] {
         lazy.delete_where("", pgwrap::fields{{"id", 1}});
       },
       typeid(usage_error),
       {"empty identifier"}},
  };
  check_all(cases);
  EXPECT_FALSE(lazy.is_connected());
  EXPECT_EQ(pgwrap::ident(std::string(63, 'x')).quoted(),
            "\"" + std::string(63, 'x') + "\"");  // the limit itself is fine
}

// --- parameters PostgreSQL cannot take ---

TEST_F(bad_input_test, ParametersThatCannotBeSentAreRefusedBeforeSending) {
  pgwrap::database lazy = connect();
  const std::string bad = nul_string("ab", "c");
  const std::string_view bad_view = bad;
  const std::vector<std::string> bad_elements{"fine", bad};
  const std::vector<std::vector<int>> ragged{{1, 2}, {3}};
  const auto nanoseconds = std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(1'000'000'001));
  const auto local_ns = std::chrono::local_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(1'000'000'001));
  const std::vector<bad_call> cases = {
      {"a NUL in a std::string",
       [&] { lazy.query("SELECT %s, %s", 1, bad); },
       typeid(conversion_error),
       {"argument 2: string contains a NUL byte at offset 2; PostgreSQL text cannot hold NUL", "bytea"}},
      {"a NUL in a std::string_view",
       [&] { lazy.query("SELECT %s", bad_view); },
       typeid(conversion_error),
       {"argument 1: string contains a NUL byte at offset 2"}},
      {"a NUL in a std::optional<std::string>",
       [&] { lazy.query("SELECT %s", std::optional<std::string>(bad)); },
       typeid(conversion_error),
       {"argument 1: string contains a NUL byte"}},
      {"a NUL in a named argument",
       [&] { lazy.query("SELECT %(v)s", arg("v", bad)); },
       typeid(conversion_error),
       {"string contains a NUL byte"}},
      {"a NUL in a list element",
       [&] { lazy.query("SELECT 1 WHERE 'x' IN (%s)", pgwrap::list(bad_elements)); },
       typeid(conversion_error),
       {"string contains a NUL byte"}},
      {"a NUL in an array element",
       [&] { lazy.query("SELECT %s::text[]", bad_elements); },
       typeid(conversion_error),
       {"argument 1", "string contains a NUL byte"}},
      {"a NUL in a map value",
       [&] {
         lazy.query("SELECT 1 WHERE %W", std::map<std::string, std::string>{{"a", bad}});
       },
       typeid(conversion_error),
       {"string contains a NUL byte"}},
      {"a NUL in a fields value",
       [&] {
         pgwrap::fields f{{"name", bad}};
       },
       typeid(conversion_error),
       {"string contains a NUL byte at offset 2"}},
      {"a NUL through format_query",
       [&] { (void)pgwrap::format_query("SELECT %s", bad); },
       typeid(conversion_error),
       {"argument 1: string contains a NUL byte"}},
      {"a NUL in a batch statement",
       [&] { pgwrap::batch().add("SELECT %s", bad); },
       typeid(conversion_error),
       {"string contains a NUL byte"}},
      {"a ragged nested vector",
       [&] { lazy.query("SELECT %s", ragged); },
       typeid(conversion_error),
       {"argument 1", "ragged"}},
      {"a timestamptz finer than a microsecond",
       [&] { lazy.query("SELECT %s", nanoseconds); },
       typeid(conversion_error),
       {"argument 1"}},
      {"a timestamp finer than a microsecond",
       [&] { lazy.query("SELECT %s", local_ns); },
       typeid(conversion_error),
       {"argument 1"}},
      {"a date that does not exist",
       [&] { lazy.query("SELECT %s", std::chrono::year{2024} / 2 / 30); },
       typeid(conversion_error),
       {"argument 1"}},
      {"the value of an infinite date",
       [&] { (void)pgwrap::with_infinity<std::chrono::sys_days>::infinity().value(); },
       typeid(usage_error),
       {"infinity"}},
      {"a malformed uuid",
       [&] { (void)pgwrap::uuid::parse(std::string("not-a-uuid")); },
       typeid(conversion_error),
       {"invalid uuid", "not-a-uuid"}},
      {"a malformed numeric",
       [&] { (void)pgwrap::numeric("12x"); },
       typeid(conversion_error),
       {"invalid numeric", "12x"}},
  };
  check_all(cases);
  EXPECT_FALSE(lazy.is_connected()) << "nothing is sent when an argument cannot be encoded";
}

// --- one database, two threads ---

TEST_F(bad_input_test, ASecondCallWhileOneRunsIsRefusedFromAnyThread) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id int)");
  const int pid = db.scalar<int>("SELECT pg_backend_pid()");
  // An advisory lock held by `admin` keeps the first thread's call waiting in
  // the server for as long as this test needs, with no timing involved.
  const std::int64_t key = (std::int64_t{0x70677772} << 24) + ::getpid();
  admin.execute("SELECT pg_advisory_lock(%s)", key);
  std::exception_ptr first_call_error;
  std::thread first([&] {
    try {
      db.execute("SELECT pg_advisory_xact_lock(%s)", key);
    } catch (...) {
      first_call_error = std::current_exception();
    }
  });
  bool waiting = false;
  for (int i = 0; i < 1000 && !waiting; ++i) {
    waiting = admin.scalar<bool>("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", pid);
    if (!waiting) std::this_thread::sleep_for(10ms);
  }
  if (waiting) {
    const std::vector<std::tuple<int>> rows{{1}};
    pgwrap::batch one;
    one.add("SELECT 1");
    const std::vector<std::pair<std::string, std::function<void()>>> calls = {
        {"query", [&] { db.query("SELECT 1"); }},
        {"execute", [&] { db.execute("INSERT INTO t VALUES (1)"); }},
        {"scalar", [&] { db.scalar<int>("SELECT 1"); }},
        {"insert",
         [&] {
           db.insert("t", {{"id", 1}});
         }},
        {"executemany", [&] { db.executemany("INSERT INTO t VALUES (%s)", rows); }},
        {"execute_batch", [&] { db.execute_batch(one); }},
        {"copy_in", [&] { db.copy_in("t", {"id"}, rows); }},
        {"transaction", [&] { pgwrap::transaction tx(db); }},
        {"commit", [&] { db.commit(); }},
        {"rollback", [&] { db.rollback(); }},
        {"connect", [&] { db.connect(); }},
        {"connect(conninfo)", [&] { db.connect(schema_dsn()); }},
        {"set_autocommit", [&] { db.set_autocommit(false); }},
        {"set_statement_timeout", [&] { db.set_statement_timeout(1s); }},
        {"set_statement_cache_size", [&] { db.set_statement_cache_size(0); }},
        {"on_notice", [&] { db.on_notice(nullptr); }},
    };
    // Each refusal must leave the first call's claim in place for the next.
    for (const auto& [name, call] : calls) {
      check({"while another thread's call runs: " + name,
             call,
             typeid(usage_error),
             {"this database is already in a call", "not thread-safe"}});
    }
  }
  admin.execute("SELECT pg_advisory_unlock(%s)", key);
  first.join();
  ASSERT_TRUE(waiting) << "the first thread's call never waited for the lock";
  EXPECT_FALSE(first_call_error) << "the refused calls disturbed the call in progress";
  EXPECT_TRUE(db.autocommit());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);  // nothing refused got through
  EXPECT_EQ(db.scalar<int>("SELECT 7"), 7);                         // and the database works on
}

TEST_F(bad_input_test, CallsFromANoticeHandlerAreRefused) {
  std::vector<std::string> refused;
  db.on_notice([&](std::string_view) {
    // A notice arrives inside the call that caused it; the handler must not throw.
    for (const auto& call :
         std::vector<std::function<void()>>{[&] { db.execute("SELECT 1"); }, [&] { db.on_notice(nullptr); }}) {
      try {
        call();
        refused.emplace_back("(let in)");
      } catch (const usage_error& e) {
        refused.emplace_back(e.what());
      }
    }
  });
  db.execute("DO $$ BEGIN RAISE NOTICE 'hello'; END $$");
  ASSERT_EQ(refused.size(), 2U);
  for (const std::string& what : refused) {
    EXPECT_NE(what.find("this database is already in a call"), std::string::npos) << what;
  }
  db.rollback();
}

}  // namespace
}  // namespace pgwrap::test
