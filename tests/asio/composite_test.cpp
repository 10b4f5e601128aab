// Composite types on the coroutine face: it does not look user types up in
// the catalog yet, so reading a composite into a struct must fail with a
// clear conversion_error (never a wrong value), while its text still reads.
#include <optional>
#include <string>

#include "async_support.hpp"

namespace async_composite {
struct pair {
  std::string a;
  int b = 0;
};
PGWRAP_DESCRIBE(pair, a, b)
}  // namespace async_composite

namespace pgwrap::test {
namespace {

using composite = async_test;

TEST_F(composite, ReadingACompositeIsAClearErrorNotAWrongValue) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    co_await db.execute("CREATE TYPE pair AS (a text, b int)");
    // Sending works: a record literal the server casts.
    // A named value: g++ 12 mishandles a braced temporary with a destructor inside a co_await expression.
    const async_composite::pair value{"x y", 2};
    const std::string text = co_await db.scalar<std::string>("SELECT (%s::pair)::text", value);
    EXPECT_EQ(text, "(\"x y\",2)");
    try {
      (void)co_await db.scalar<async_composite::pair>("SELECT ROW('x', 1)::pair");
      ADD_FAILURE() << "a composite read on the async face without the catalog";
    } catch (const conversion_error& e) {
      EXPECT_NE(std::string(e.what()).find("not yet for pgwrap::async_database"), std::string::npos) << e.what();
    }
    const pgwrap::result rows = co_await db.query("SELECT ROW('x', 1)::pair");
    EXPECT_THROW((void)rows[0][0].as<async_composite::pair>(), conversion_error);
    EXPECT_EQ(rows[0][0].as<std::string>(), "(x,1)");
  });
}

}  // namespace
}  // namespace pgwrap::test
