// The coroutine face's calls one by one: connecting lazily, query, queryone,
// execute (with %S / %W maps), scalar, typed reads, update / delete_where,
// close and connect again, and SQL errors mapped to the blocking face's
// exception classes.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using basic = async_test;

// Nothing connects at construction; connect() does, and so does the first
// statement of a database that was never connected.
TEST_F(basic, ConnectsOnlyWhenAskedOrAtTheFirstStatement) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    EXPECT_FALSE(db.is_connected());
    EXPECT_EQ(db.in_flight(), 0u);
    EXPECT_EQ(db.queued(), 0u);
    EXPECT_EQ(db.options().max_in_flight, 1000u);
    co_await db.connect();
    EXPECT_TRUE(db.is_connected());
    co_await db.connect();  // already connected: nothing to do
    EXPECT_TRUE(db.is_connected());

    pgwrap::async_database lazy(ex, schema_dsn(), pgwrap::async_options{.max_in_flight = 3});
    EXPECT_FALSE(lazy.is_connected());
    EXPECT_EQ(lazy.options().max_in_flight, 3u);
    const int one = co_await lazy.scalar<int>("SELECT 1");
    EXPECT_EQ(one, 1);
    EXPECT_TRUE(lazy.is_connected());
    EXPECT_FALSE(lazy.to_string().empty());
  });
}

// query with %s arguments, iterated and indexed by name and position;
// queryone gives the first row or std::nullopt.
TEST_F(basic, QueryAndQueryone) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    const pgwrap::result rows =
        co_await db.query("SELECT g AS n, g * %s AS twice, %s::text AS tag FROM generate_series(1, %s) g ORDER BY g", 2,
                          std::string("t"), 3);
    EXPECT_EQ(rows.size(), 3u);
    std::vector<int> twice;
    for (const auto r : rows) twice.push_back(r["twice"].as<int>());
    EXPECT_EQ(twice, (std::vector<int>{2, 4, 6}));
    EXPECT_EQ(rows[2][0].as<int>(), 3);
    EXPECT_EQ(rows[0]["tag"].as<std::string>(), "t");

    const std::optional<pgwrap::row> first = co_await db.queryone("SELECT %s::int AS v, 'x' AS w", 41);
    EXPECT_TRUE(first.has_value());
    if (first) {
      EXPECT_EQ((*first)["v"].as<int>(), 41);
      EXPECT_EQ((*first)[1].as<std::string>(), "x");
    }
    const std::optional<pgwrap::row> none = co_await db.queryone("SELECT 1 WHERE %s", false);
    EXPECT_FALSE(none.has_value());
  });
}

// execute returns the rows affected, also with %S / %W maps; update and
// delete_where do the same, and refuse an empty WHERE map.
TEST_F(basic, ExecuteReturnsAffectedRowsAlsoWithMaps) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    const std::int64_t created = co_await db.execute("CREATE TABLE basic_rows (id int PRIMARY KEY, n int, name text)");
    EXPECT_EQ(created, 0);
    for (int id = 1; id <= 4; ++id) {
      const std::int64_t inserted =
          co_await db.execute("INSERT INTO basic_rows VALUES (%s, %s, %s)", id, id % 2, "row" + std::to_string(id));
      EXPECT_EQ(inserted, 1);
    }
    const std::map<std::string, int> set{{"n", 7}};
    const std::map<std::string, int> where{{"n", 1}};
    const std::int64_t updated = co_await db.execute("UPDATE basic_rows SET %S WHERE %W", set, where);
    EXPECT_EQ(updated, 2);  // ids 1 and 3
    const std::int64_t sevens = co_await db.scalar<std::int64_t>("SELECT count(*) FROM basic_rows WHERE %W", set);
    EXPECT_EQ(sevens, 2);

    const std::map<std::string, int> by_id{{"id", 2}};
    const std::map<std::string, std::string> rename{{"name", "two"}};
    const std::int64_t renamed = co_await db.update("basic_rows", rename, by_id);
    EXPECT_EQ(renamed, 1);
    const std::string name = co_await db.scalar<std::string>("SELECT name FROM basic_rows WHERE id = %s", 2);
    EXPECT_EQ(name, "two");

    const std::int64_t deleted = co_await db.delete_where("basic_rows", set);
    EXPECT_EQ(deleted, 2);
    const std::int64_t left = co_await db.scalar<std::int64_t>("SELECT count(*) FROM basic_rows");
    EXPECT_EQ(left, 2);

    const std::map<std::string, int> nothing;
    bool refused = false;
    try {
      (void)co_await db.delete_where("basic_rows", nothing);
    } catch (const pgwrap::usage_error&) {
      refused = true;
    }
    EXPECT_TRUE(refused) << "delete_where with an empty WHERE map must be a usage_error";
    const std::int64_t still = co_await db.scalar<std::int64_t>("SELECT count(*) FROM basic_rows");
    EXPECT_EQ(still, 2);
  });
}

// scalar as int, int64, string and optional (NULL); no row is unexpected_rows.
TEST_F(basic, Scalars) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    const int i = co_await db.scalar<int>("SELECT %s::int + 1", 41);
    EXPECT_EQ(i, 42);
    const std::int64_t big = co_await db.scalar<std::int64_t>("SELECT %s::int8 * 1000000", 5'000'000);
    EXPECT_EQ(big, std::int64_t{5'000'000'000'000});
    const std::string s = co_await db.scalar<std::string>("SELECT %s || '!'", std::string("hello"));
    EXPECT_EQ(s, "hello!");
    const std::optional<int> null = co_await db.scalar<std::optional<int>>("SELECT NULL::int");
    EXPECT_EQ(null, std::nullopt);

    bool no_row = false;
    try {
      (void)co_await db.scalar<int>("SELECT 1 WHERE false");
    } catch (const pgwrap::unexpected_rows&) {
      no_row = true;
    }
    EXPECT_TRUE(no_row);
    bool did_not_fit = false;
    try {
      (void)co_await db.scalar<int>("SELECT 'not a number'::text");
    } catch (const pgwrap::conversion_error&) {
      did_not_fit = true;
    }
    EXPECT_TRUE(did_not_fit);
  });
}

// Typed reads: query<int, std::string> with structured bindings, queryone<...>.
TEST_F(basic, TypedQueryAndQueryone) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    const auto rows =
        co_await db.query<int, std::string>("SELECT g, 'n' || g FROM generate_series(1, %s) g ORDER BY g", 3);
    std::vector<std::pair<int, std::string>> seen;
    for (auto [id, name] : rows) seen.emplace_back(id, name);
    const std::vector<std::pair<int, std::string>> expected{{1, "n1"}, {2, "n2"}, {3, "n3"}};
    EXPECT_EQ(seen, expected);

    const auto one = co_await db.queryone<int, std::string>("SELECT %s::int, %s::text", 9, std::string("nine"));
    EXPECT_EQ(one, std::make_optional(std::make_tuple(9, std::string("nine"))));
    const auto none = co_await db.queryone<int, std::string>("SELECT 1, 'x' WHERE false");
    EXPECT_FALSE(none.has_value());
  });
}

// close() ends the connection: a statement then is a usage_error, and
// connect() opens the database again.
TEST_F(basic, CloseThenStatementIsUsageErrorAndConnectReopens) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    const int before = co_await db.scalar<int>("SELECT 1");
    EXPECT_EQ(before, 1);
    co_await db.close();
    EXPECT_FALSE(db.is_connected());
    bool usage = false;
    try {
      (void)co_await db.scalar<int>("SELECT 2");
    } catch (const pgwrap::usage_error&) {
      usage = true;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "a statement after close() threw " << describe(e) << ", not usage_error";
    }
    EXPECT_TRUE(usage);
    EXPECT_FALSE(db.is_connected()) << "a statement after close() must not reconnect";
    co_await db.connect();
    EXPECT_TRUE(db.is_connected());
    const int after = co_await db.scalar<int>("SELECT 3");
    EXPECT_EQ(after, 3);
  });
}

// SQL errors raise the same exception classes as the blocking face (compared
// statement by statement with a blocking database), and the connection
// goes on working after each.
TEST_F(basic, SqlErrorsAreTheBlockingFacesClasses) {
  const std::string table = qualified("basic_unique");
  admin.execute(runtime_sql("CREATE TABLE " + table + " (id int PRIMARY KEY)"));
  admin.execute(runtime_sql("INSERT INTO " + table + " VALUES (1)"));
  pgwrap::database blocking(schema_dsn());
  blocking.set_autocommit(true);  // no implicit transaction for an error to abort

  struct failing {
    const char* sql;
    const std::type_info& expected;
    const char* sqlstate;
  };
  const std::vector<failing> cases{
      {"SELECT * FROM basic_no_such_table", typeid(pgwrap::undefined_table), "42P01"},
      {"SELEC 1", typeid(pgwrap::syntax_error), "42601"},
      {"SELECT no_such_column FROM basic_unique", typeid(pgwrap::undefined_column), "42703"},
      {"INSERT INTO basic_unique VALUES (1)", typeid(pgwrap::unique_violation), "23505"},
      {"SELECT 1 / 0", typeid(pgwrap::data_exception), "22012"},
  };

  // What each statement throws from the blocking face.
  std::vector<std::string> blocking_thrown;
  for (const failing& f : cases) {
    try {
      blocking.execute(runtime_sql(f.sql));
      blocking_thrown.emplace_back("nothing");
    } catch (const std::exception& e) {
      blocking_thrown.push_back(typeid(e).name());
    }
  }

  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE(cases[i].sql);
      std::string thrown = "nothing";
      std::string sqlstate;
      try {
        (void)co_await db.execute(runtime_sql(cases[i].sql));
      } catch (const pgwrap::sql_error& e) {
        thrown = typeid(e).name();
        sqlstate = e.sqlstate();
      } catch (const std::exception& e) {
        thrown = typeid(e).name();
      }
      EXPECT_EQ(thrown, cases[i].expected.name());
      EXPECT_EQ(thrown, blocking_thrown[i]) << "the blocking face throws another class";
      EXPECT_EQ(sqlstate, cases[i].sqlstate);
      const int alive = co_await db.scalar<int>("SELECT %s::int", static_cast<int>(i));
      EXPECT_EQ(alive, static_cast<int>(i));
    }
    EXPECT_TRUE(db.is_connected());
  });
}

}  // namespace
}  // namespace pgwrap::test
