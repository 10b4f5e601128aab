// Composite types on the coroutine face: looked up in the connection's
// catalog as on the blocking face, so a composite reads into a struct from
// text (untyped reads, a typed read's first run) and binary (a typed read
// once its statement is prepared and described), and a struct is sent with
// its members placed by attribute name.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
// CREATE TYPE item AS (name text, qty int, price float8), declared backwards.
struct item {
  double price = 0;
  int qty = 0;
  std::string name;
  friend bool operator==(const item&, const item&) = default;
};
PGWRAP_DESCRIBE(item, price, qty, name)

struct item_without_price {
  int qty = 0;
  std::string name;
};
PGWRAP_DESCRIBE(item_without_price, qty, name)
}  // namespace async_composite

namespace pgwrap::test {
namespace {

using composite = async_test;
using async_composite::item;
using async_composite::item_without_price;
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

// The struct's members go by attribute name: the first call with the
// statement waits for its parameter types and the composite's attributes
// (the calls beside it go on), the others find them known.
TEST_F(composite, SendsMembersByName) {
  run_async([&]() -> net::awaitable<void> {
    const auto ex = co_await net::this_coro::executor;
    pgwrap::async_database db(ex, schema_dsn());
    co_await db.execute("CREATE TYPE item AS (name text, qty int, price float8)");
    co_await db.execute("CREATE TABLE orders (id int, what item, items item[])");
    constexpr int callers = 50;
    wait_group group(ex);
    for (int i = 1; i <= callers; ++i) {
      group.spawn([&db, i]() -> net::awaitable<void> {
        const item one{0.5 * i, i, "n" + std::to_string(i)};
        const std::vector<item> many{one, one};
        co_await db.execute("INSERT INTO orders VALUES (%s, %s, %s)", i, one, many);
        // A plain statement beside them needs nothing.
        EXPECT_EQ(co_await db.scalar<int>("SELECT %s::int4 + 1", i), i + 1);
      });
    }
    EXPECT_TRUE(co_await group.wait(std::chrono::seconds(60)));
    EXPECT_EQ(co_await db.scalar<std::int64_t>(
                  "SELECT count(*) FROM orders WHERE (what).qty = id AND (what).price = id * 0.5 "
                  "AND (what).name = 'n' || id AND items[2].qty = id"),
              callers);
    const item back = co_await db.scalar<item>("SELECT what FROM orders WHERE id = 7");
    EXPECT_EQ(back, (item{3.5, 7, "n7"}));

    // Inside a transaction, and a struct that does not fit: named, nothing sent.
    pgwrap::async_transaction tx = co_await db.begin();
    const item in_tx{9, 9, "in a transaction"};
    co_await tx.execute("INSERT INTO orders (id, what) VALUES (%s, %s)", 100, in_tx);
    std::string error;
    try {
      const item_without_price bad{1, "x"};
      co_await tx.execute("INSERT INTO orders (id, what) VALUES (%s, %s)", 101, bad);
    } catch (const pgwrap::conversion_error& e) {
      error = e.what();
    }
    EXPECT_NE(error.find("parameter $2"), std::string::npos) << error;
    EXPECT_NE(error.find("attribute \"price\" has no member"), std::string::npos) << error;
    co_await tx.commit();
    EXPECT_EQ(co_await db.scalar<std::string>("SELECT (what).name FROM orders WHERE id = 100"), "in a transaction");

    // A statement that does not parse gets the server's error, from its description.
    bool syntax_error = false;
    try {
      co_await db.execute("INSERT INTO orders VALUES (%s, %s) oops", 1, in_tx);
    } catch (const pgwrap::syntax_error&) {
      syntax_error = true;
    }
    EXPECT_TRUE(syntax_error);
    EXPECT_EQ(co_await db.scalar<int>("SELECT 1"), 1);
  });
}

}  // namespace
}  // namespace pgwrap::test
