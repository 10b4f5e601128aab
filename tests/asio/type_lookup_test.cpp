// The type catalog on the coroutine face: results wait for the look-up of
// user types the connection has not seen (while other callers' statements
// go on), enums and arrays of them read in text and binary, and a look-up
// that fails inside a transaction leaves the transaction going and says
// which type it could not look up.
#include <string>
#include <vector>

#include "async_support.hpp"
#include "catalog_role.hpp"
#include "format_probe.hpp"

namespace pgwrap::test {
namespace {

using catalog_types::color;
using catalog_types::item;
using type_lookup = async_test;

TEST_F(type_lookup, EnumsAndArraysOfThemReadInTextAndBinary) {
  using probe = format_probe<color>;
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    co_await db.execute("CREATE TYPE color AS ENUM ('red', 'green', 'blue')");
    co_await db.execute("CREATE TABLE t (c color, cs color[])");
    co_await db.execute("INSERT INTO t VALUES ('green', '{blue,red}')");
    const pgwrap::result rows = co_await db.query("SELECT c, cs FROM t");
    EXPECT_EQ(rows[0][0].as<color>(), color::green);
    EXPECT_EQ(rows[0][1].as<std::vector<color>>(), (std::vector<color>{color::blue, color::red}));
    for (const wire_format expected : {wire_format::text, wire_format::binary}) {  // prepared by the first
      probe::last = expected == wire_format::text ? wire_format::binary : wire_format::text;
      const std::vector<probe> colors = co_await db.scalar<std::vector<probe>>("SELECT cs FROM t");
      EXPECT_EQ(colors.size(), 2u);
      EXPECT_EQ(colors.empty() ? color::red : colors[0].value, color::blue);
      EXPECT_EQ(probe::last, expected);
    }
  });
}

// Many callers at once, each reading a type the connection has not seen:
// every one gets its own rows, and plain statements sent meanwhile too.
TEST_F(type_lookup, ConcurrentCallersEachGetTheirTypes) {
  run_async([&]() -> net::awaitable<void> {
    const auto executor = co_await net::this_coro::executor;
    pgwrap::async_database db(executor, schema_dsn());
    constexpr int types = 8;
    for (int i = 0; i < types; ++i) {
      const std::string create = "CREATE TYPE item" + std::to_string(i) + " AS (name text, qty int)";
      co_await db.execute(pgwrap::runtime_sql(create));
    }
    wait_group group(executor);
    int done = 0;
    for (int i = 0; i < 4 * types; ++i) {
      group.spawn([&db, &done, i]() -> net::awaitable<void> {
        if (i % 2 == 1) {
          const int got = co_await db.scalar<int>("SELECT %s::int4", i);
          EXPECT_EQ(got, i);
        } else {
          const std::string sql =
              "SELECT ROW('n" + std::to_string(i) + "', " + std::to_string(i) + ")::item" + std::to_string(i % types);
          const item got = co_await db.scalar<item>(pgwrap::runtime_sql(sql));
          EXPECT_EQ(got, (item{"n" + std::to_string(i), i}));
        }
        ++done;
      });
    }
    EXPECT_TRUE(co_await group.wait(std::chrono::seconds(30)));
    EXPECT_EQ(done, 4 * types);
  });
}

using failed_lookup = catalog_role_test;

TEST_F(failed_lookup, TheTransactionGoesOnAndTheErrorNamesTheType) {
  const std::string oid = item_oid();
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database restricted(co_await net::this_coro::executor, role_dsn());
    const auto expect_named = [&](const conversion_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("type " + oid + " could not be looked up"), std::string::npos) << what;
      EXPECT_NE(what.find("permission denied for table pg_attribute"), std::string::npos) << what;
    };
    // Outside a transaction, and inside one (under a savepoint).
    const pgwrap::result outside = co_await restricted.query("SELECT ROW('bolt', 2)::item");
    try {
      (void)outside[0][0].as<item>();
      ADD_FAILURE() << "read a composite its catalog entry could not be found for";
    } catch (const conversion_error& e) {
      expect_named(e);
    }
    pgwrap::async_transaction tx = co_await restricted.begin();
    co_await tx.execute("INSERT INTO log VALUES ('before')");
    const pgwrap::result inside = co_await tx.query("SELECT ROW('bolt', 2)::item");
    EXPECT_EQ(inside[0][0].as<std::string>(), "(bolt,2)");
    try {
      (void)inside[0][0].as<item>();
      ADD_FAILURE() << "read a composite its catalog entry could not be found for";
    } catch (const conversion_error& e) {
      expect_named(e);
    }
    co_await tx.execute("INSERT INTO log VALUES ('after')");
    co_await tx.commit();
  });
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM log"), 2);
}

// A struct sent as a parameter needs its composite's attributes: when that
// look-up fails inside a transaction, the call fails naming the type, before
// anything of it is sent, and the transaction goes on.
TEST_F(failed_lookup, AStructParameterFailsAloneInsideATransaction) {
  const std::string oid = item_oid();
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database restricted(co_await net::this_coro::executor, role_dsn());
    pgwrap::async_transaction tx = co_await restricted.begin();
    co_await tx.execute("INSERT INTO log VALUES ('before')");
    const item bolt{"bolt", 2};  // named: g++ 12 destroys a temporary in a co_await expression twice
    std::string error;
    try {
      (void)co_await tx.query("SELECT %s::item", bolt);
      ADD_FAILURE() << "sent a composite its catalog entry could not be found for";
    } catch (const conversion_error& e) {
      error = e.what();
    }
    EXPECT_NE(error.find("parameter $1"), std::string::npos) << error;
    EXPECT_NE(error.find("type " + oid + " could not be looked up"), std::string::npos) << error;
    EXPECT_NE(error.find("permission denied for table pg_attribute"), std::string::npos) << error;
    // An array of them: its type's look-up fails the same way.
    const std::vector<item> bolts{bolt, bolt};
    error.clear();
    try {
      (void)co_await tx.query("SELECT %s::item[]", bolts);
      ADD_FAILURE() << "sent an array of a composite its catalog entry could not be found for";
    } catch (const conversion_error& e) {
      error = e.what();
    }
    EXPECT_NE(error.find("could not be looked up"), std::string::npos) << error;
    co_await tx.execute("INSERT INTO log VALUES ('after')");
    co_await tx.commit();
  });
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM log"), 2);
}

}  // namespace
}  // namespace pgwrap::test
