// Composite types on the coroutine face: looked up in the connection's
// catalog as on the blocking face, so a composite reads into a struct from
// text (untyped reads, a typed read's first run) and binary (a typed read
// once its statement is prepared and described).
#include <optional>
#include <string>

#include "async_support.hpp"
#include "format_probe.hpp"

namespace async_composite {
struct pair {
  std::string a;
  int b = 0;
  friend bool operator==(const pair&, const pair&) = default;
};
PGWRAP_DESCRIBE(pair, a, b)

// The same with a member that tells the form its attribute came in.
struct probed_pair {
  std::string a;
  pgwrap::test::format_probe<int> b;
};
PGWRAP_DESCRIBE(probed_pair, a, b)
}  // namespace async_composite

namespace pgwrap::test {
namespace {

using composite = async_test;
using async_composite::pair;
using async_composite::probed_pair;

TEST_F(composite, ReadsInTextAndInBinary) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    co_await db.execute("CREATE TYPE pair AS (a text, b int)");
    // Sent as a record literal the server casts.
    // A named value: g++ 12 mishandles a braced temporary with a destructor inside a co_await expression.
    const pair value{"x y", 2};
    const std::string text = co_await db.scalar<std::string>("SELECT (%s::pair)::text", value);
    EXPECT_EQ(text, "(\"x y\",2)");
    // A typed read's first run (the type's first look-up) prepares it and
    // comes in text; the next ones come in binary, as the description's
    // types allow.
    for (const wire_format expected : {wire_format::text, wire_format::binary}) {
      format_probe<int>::last = expected == wire_format::text ? wire_format::binary : wire_format::text;
      const probed_pair p = co_await db.scalar<probed_pair>("SELECT ROW('y', 3)::pair");
      EXPECT_EQ(p.a, "y");
      EXPECT_EQ(p.b.value, 3);
      EXPECT_EQ(format_probe<int>::last, expected);
    }
    const pgwrap::result rows = co_await db.query("SELECT ROW('x', 1)::pair");
    EXPECT_EQ(rows[0][0].as<pair>(), (pair{"x", 1}));
    const pair back = co_await db.scalar<pair>("SELECT %s::pair", value);
    EXPECT_EQ(back, value);
  });
}

}  // namespace
}  // namespace pgwrap::test
