// Structs sent as composites, members placed by attribute name: the engine
// learns each statement's parameter types and writes the record literal for
// the composite the server expects, whatever order the struct declares its
// members in (top level, nested, inside std::optional, in arrays).
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "test_db.hpp"

namespace composite_send_test {

// CREATE TYPE item AS (name text, qty int, price float8), declared backwards.
struct item {
  double price = 0;
  int qty = 0;
  std::string name;
  friend bool operator==(const item&, const item&) = default;
};
PGWRAP_DESCRIBE(item, price, qty, name)

// CREATE TYPE order_line AS (what item, note text, spare item), reordered too.
struct line {
  std::optional<item> spare;
  std::string note;
  item what;
  friend bool operator==(const line&, const line&) = default;
};
PGWRAP_DESCRIBE(line, spare, note, what)

// CREATE TYPE basket AS (owner text, lines order_line[]).
struct basket {
  std::vector<line> lines;
  std::string owner;
  friend bool operator==(const basket&, const basket&) = default;
};
PGWRAP_DESCRIBE(basket, lines, owner)

struct item_with_colour {
  std::string colour;
  std::string name;
  int qty = 0;
  double price = 0;
};
PGWRAP_DESCRIBE(item_with_colour, colour, name, qty, price)

struct item_without_price {
  int qty = 0;
  std::string name;
};
PGWRAP_DESCRIBE(item_without_price, qty, name)

struct line_with_bad_item {
  item_without_price what;
  std::string note;
  std::optional<item> spare;
};
PGWRAP_DESCRIBE(line_with_bad_item, what, note, spare)

// In the type's attribute order, with a member that views its text: what
// keeps parameters (a batch, fields) keeps only its declaration-order text.
struct item_view {
  std::string_view name;
  int qty = 0;
  double price = 0;
};
PGWRAP_DESCRIBE(item_view, name, qty, price)

}  // namespace composite_send_test

namespace pgwrap::test {
namespace {

using namespace composite_send_test;
using composite_send = db_test;

void create_types(database& db) {
  db.execute("CREATE TYPE item AS (name text, qty int, price float8)");
  db.execute("CREATE TYPE order_line AS (what item, note text, spare item)");
  db.execute("CREATE TYPE basket AS (owner text, lines order_line[])");
}

std::string error_of(const auto& call) {
  try {
    call();
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(composite_send, ReorderedMembersGoByNameThroughInsertCastAndFunction) {
  create_types(db);
  db.execute("CREATE TABLE orders (id int, what item)");
  const item sent{9.5, 3, "widget"};
  db.execute("INSERT INTO orders VALUES (%s, %s)", 1, sent);
  // Each attribute landed where its name says, not where the member was declared.
  EXPECT_EQ(db.scalar<std::string>("SELECT (what).name FROM orders WHERE id = 1"), "widget");
  EXPECT_EQ(db.scalar<int>("SELECT (what).qty FROM orders WHERE id = 1"), 3);
  EXPECT_EQ(db.scalar<double>("SELECT (what).price FROM orders WHERE id = 1"), 9.5);
  EXPECT_EQ(db.scalar<item>("SELECT what FROM orders WHERE id = 1"), sent);
  // A cast, and the same statement again (its parameter types are kept).
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(db.scalar<std::string>("SELECT %s::item::text", sent), "(widget,3,9.5)");
  }
  EXPECT_EQ(db.scalar<item>("SELECT %s::item", sent), sent);
  // A function argument.
  db.execute("CREATE FUNCTION describe_item(i item) RETURNS text LANGUAGE sql AS $$ SELECT i.name || ':' || i.qty $$");
  EXPECT_EQ(db.scalar<std::string>("SELECT describe_item(%s)", sent), "widget:3");
  // Prepared (it runs often enough) and inside an explicit transaction.
  {
    transaction tx(db);
    for (int id = 2; id < 9; ++id) db.execute("INSERT INTO orders VALUES (%s, %s)", id, item{1.0 * id, id, "n"});
    tx.commit();
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM orders WHERE (what).qty = id AND (what).price = id"), 7);
}

TEST_F(composite_send, NestedOptionalAndArraysGoByName) {
  create_types(db);
  const line one{item{0.25, 2, "spare, \"big\""}, "a (note)", item{1.5, 1, "bolt"}};
  const line two{std::nullopt, "", item{-2, 0, ""}};
  EXPECT_EQ(db.scalar<std::string>("SELECT (%s::order_line).what.name", one), "bolt");
  EXPECT_EQ(db.scalar<std::string>("SELECT (%s::order_line).spare.name", one), "spare, \"big\"");
  EXPECT_EQ(db.scalar<line>("SELECT %s::order_line", one), one);
  EXPECT_EQ(db.scalar<line>("SELECT %s::order_line", two), two);
  // An optional struct, present and absent.
  const std::optional<item> maybe = item{4, 4, "four"};
  EXPECT_EQ(db.scalar<std::string>("SELECT (%s::item).name", maybe), "four");
  EXPECT_TRUE(db.scalar<bool>("SELECT %s::item IS NULL", std::optional<item>()));
  // An array of reordered structs, with a NULL element, and an array inside a composite.
  const std::vector<std::optional<item>> items{item{1, 1, "a"}, std::nullopt, item{2, 2, "b(c)"}};
  EXPECT_EQ(db.scalar<std::string>("SELECT (%s::item[])[3].name", items), "b(c)");
  EXPECT_EQ(db.scalar<std::vector<std::optional<item>>>("SELECT %s::item[]", items), items);
  db.execute("CREATE TABLE shelves (items item[])");
  db.execute("INSERT INTO shelves VALUES (%s)", std::vector<item>{{3, 3, "c"}});
  EXPECT_EQ(db.scalar<std::string>("SELECT items[1].name FROM shelves"), "c");
  const basket b{{one, two}, "me"};
  EXPECT_EQ(db.scalar<std::string>("SELECT ((%s::basket).lines)[1].what.name", b), "bolt");
  EXPECT_EQ(db.scalar<basket>("SELECT %s::basket", b), b);
  // A two-dimensional array.
  const std::vector<std::vector<item>> grid{{{1, 1, "x"}, {2, 2, "y"}}, {{3, 3, "z"}, {4, 4, "w"}}};
  EXPECT_EQ(db.scalar<std::string>("SELECT (%s::item[])[2][1].name", grid), "z");
}

TEST_F(composite_send, MissingAndExtraMembersAreNamed) {
  create_types(db);
  const std::string extra = error_of([&] {
    (void)db.scalar<std::string>("SELECT %s::item::text", item_with_colour{"red", "x", 1, 2});
  });
  EXPECT_NE(extra.find("parameter $1"), std::string::npos) << extra;
  EXPECT_NE(extra.find("item_with_colour"), std::string::npos) << extra;
  EXPECT_NE(extra.find("has no attribute \"colour\" for member colour"), std::string::npos) << extra;
  EXPECT_NE(extra.find("composite type item"), std::string::npos) << extra;
  const std::string missing = error_of([&] {
    (void)db.scalar<std::string>("SELECT %s::item::text", item_without_price{1, "x"});
  });
  EXPECT_NE(missing.find("item_without_price"), std::string::npos) << missing;
  EXPECT_NE(missing.find("attribute \"price\" has no member"), std::string::npos) << missing;
  // Nested: the member of the outer struct is named too.
  const std::string nested = error_of([&] {
    (void)db.scalar<std::string>("SELECT %s::order_line::text", line_with_bad_item{{1, "x"}, "n", std::nullopt});
  });
  EXPECT_NE(nested.find("member what of"), std::string::npos) << nested;
  EXPECT_NE(nested.find("attribute \"price\" has no member"), std::string::npos) << nested;
  // Nothing was sent in a broken state: the connection goes on.
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);
}

TEST_F(composite_send, ExecutemanyGoesByName) {
  create_types(db);
  db.execute("CREATE TABLE orders (id int, what item, lines order_line[])");
  const line l{std::nullopt, "n", item{5, 5, "five"}};
  std::vector<std::tuple<int, item, std::vector<line>>> rows;
  for (int id = 1; id <= 40; ++id) rows.emplace_back(id, item{0.5 * id, id, "i" + std::to_string(id)}, std::vector{l});
  db.commit();
  db.set_autocommit(true);
  EXPECT_EQ(db.executemany("INSERT INTO orders VALUES (%s, %s, %s)", rows), 40);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM orders WHERE (what).qty = id AND (what).price = id * 0.5 "
                                    "AND (what).name = 'i' || id AND lines[1].what.name = 'five'"),
            40);
  // Inside a transaction (the run goes under a savepoint), with a struct that does not fit.
  db.set_autocommit(false);
  const std::vector<std::tuple<int, item_without_price>> bad{{41, {1, "x"}}};
  const std::string error = error_of([&] { db.executemany("INSERT INTO orders (id, what) VALUES (%s, %s)", bad); });
  EXPECT_NE(error.find("row 0"), std::string::npos) << error;
  EXPECT_NE(error.find("attribute \"price\" has no member"), std::string::npos) << error;
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM orders"), 40);
  db.rollback();
}

// fields and batches keep a copy of the struct: by name when they are sent,
// long after the struct they were made from is gone.
TEST_F(composite_send, FieldsAndBatchesGoByName) {
  create_types(db);
  db.execute("CREATE TABLE orders (id int, what item, lines order_line[])");
  fields row;
  {
    const item sent{2.5, 2, "inserted"};
    row = fields{{"id", 1}, {"what", sent}, {"lines", std::vector<line>{{std::nullopt, "n", {1, 1, "nested"}}}}};
  }
  EXPECT_EQ(db.insert("orders", row), 1);
  EXPECT_EQ(db.scalar<item>("SELECT what FROM orders WHERE id = 1"), (item{2.5, 2, "inserted"}));
  EXPECT_EQ(db.scalar<std::string>("SELECT lines[1].what.name FROM orders WHERE id = 1"), "nested");
  // A %S map. (Not in a %W map: `what = $1` compares records, so the server
  // types the parameter as an anonymous record, which it cannot read.)
  EXPECT_EQ(db.execute("UPDATE orders SET %S WHERE %W", fields{{"what", item{3.5, 3, "set"}}}, fields{{"id", 1}}), 1);
  EXPECT_EQ(db.scalar<item>("SELECT what FROM orders WHERE id = 1"), (item{3.5, 3, "set"}));

  batch b;
  {
    const item sent{4.5, 4, "batched"};
    b.add("INSERT INTO orders (id, what) VALUES (%s, %s)", 2, sent);
    b.add("SELECT (%s::item[])[2].name", std::vector<std::optional<item>>{std::nullopt, item{5, 5, "array"}});
    b.add("SELECT (%s::item).name", item_view{"viewed", 6, 6.5});  // declaration order, which is the type's
  }
  const std::vector<result> results = db.execute_batch(b);
  ASSERT_EQ(results.size(), 3U);
  EXPECT_EQ(db.scalar<item>("SELECT what FROM orders WHERE id = 2"), (item{4.5, 4, "batched"}));
  EXPECT_EQ(results[1][0][0].as<std::string>(), "array");
  EXPECT_EQ(results[2][0][0].as<std::string>(), "viewed");
  // A struct that does not fit fails the batch with the parameter named, and nothing of it stays.
  batch bad;
  bad.add("INSERT INTO orders (id) VALUES (%s)", 3).add("SELECT %s::item", item_without_price{1, "x"});
  const std::string error = error_of([&] { (void)db.execute_batch(bad); });
  EXPECT_NE(error.find("attribute \"price\" has no member"), std::string::npos) << error;
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM orders WHERE id = 3"), 0);
}

// COPY rows: the catalog is read before the COPY begins.
TEST_F(composite_send, CopyInGoesByName) {
  create_types(db);
  db.commit();
  db.set_autocommit(true);
  db.execute("CREATE TABLE orders (id int, what item, spare item, lines order_line[])");
  const line l{std::nullopt, "tab\there", item{1, 1, "nested"}};
  const std::vector<std::tuple<int, item, std::optional<item>, std::vector<line>>> rows{
      {1, {1.5, 1, "a"}, std::nullopt, {}}, {2, {2.5, 2, "b, \"q\"\\"}, item{3, 3, "c"}, {l}}};
  EXPECT_EQ(db.copy_in("orders", {"id", "what", "spare", "lines"}, rows), 2);
  EXPECT_EQ(db.scalar<item>("SELECT what FROM orders WHERE id = 2"), (item{2.5, 2, "b, \"q\"\\"}));
  EXPECT_EQ(db.scalar<item>("SELECT spare FROM orders WHERE id = 2"), (item{3, 3, "c"}));
  EXPECT_EQ(db.scalar<line>("SELECT lines[1] FROM orders WHERE id = 2"), l);
  EXPECT_TRUE(db.scalar<bool>("SELECT spare IS NULL FROM orders WHERE id = 1"));
  // A struct that does not fit: the row and column named, nothing loaded.
  const std::vector<std::tuple<int, item_without_price>> bad{{3, {1, "x"}}};
  const std::string error = error_of([&] { db.copy_in("orders", {"id", "what"}, bad); });
  EXPECT_NE(error.find("copy_in: row 0: column 2"), std::string::npos) << error;
  EXPECT_NE(error.find("attribute \"price\" has no member"), std::string::npos) << error;
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM orders"), 2);
}

TEST_F(composite_send, UnknownTypesKeepDeclarationOrder) {
  create_types(db);
  // A parameter the server types as text: the literal in declaration order.
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", item{1.5, 2, "z"}), "(1.5,2,z)");
}

TEST_F(composite_send, StreamsAndTypeChangesGoByName) {
  create_types(db);
  std::vector<std::string> names;
  for (const auto& [name] :
       db.stream<std::string>("SELECT (%s::item).name FROM generate_series(1, 2)", item{1, 1, "streamed"})) {
    names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"streamed", "streamed"}));
  // The type is dropped and created again with the attributes in another
  // order: the statement's parameter types and the catalog are read again.
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::item::text", item{1, 2, "a"}), "(a,2,1)");
  db.execute("DROP TYPE item CASCADE");
  db.execute("CREATE TYPE item AS (price float8, name text, qty int)");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::item::text", item{1, 2, "a"}), "(1,a,2)");
}

}  // namespace
}  // namespace pgwrap::test
