// Composite types through a real server: structs described with
// PGWRAP_DESCRIBE sent as record literals and read back from composite
// columns, attributes, arrays and whole rows, in text and in binary; the
// per-connection type catalog behind it, refreshed after DDL.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "test_db.hpp"

namespace composite_test {

struct item {
  std::string name;
  int qty = 0;
  double price = 0;
  friend bool operator==(const item&, const item&) = default;
};
PGWRAP_DESCRIBE(item, name, qty, price)

// The same attributes declared in another order: reading goes by name.
struct item_reordered {
  double price = 0;
  std::string name;
  int qty = 0;
};
PGWRAP_DESCRIBE(item_reordered, price, name, qty)

struct maybe_item {
  std::optional<std::string> name;
  std::optional<int> qty;
  std::optional<double> price;
};
PGWRAP_DESCRIBE(maybe_item, name, qty, price)

struct item_with_extra_member {
  std::string name;
  int qty = 0;
  double price = 0;
  std::string colour;
};
PGWRAP_DESCRIBE(item_with_extra_member, name, qty, price, colour)

struct item_missing_member {
  std::string name;
  int qty = 0;
};
PGWRAP_DESCRIBE(item_missing_member, name, qty)

struct line {
  item what;
  std::vector<std::string> tags;
  std::optional<item> spare;
  friend bool operator==(const line&, const line&) = default;
};
PGWRAP_DESCRIBE(line, what, tags, spare)

struct person {
  int id = 0;
  std::string name;
  std::optional<std::string> email;
  friend bool operator==(const person&, const person&) = default;
};
PGWRAP_DESCRIBE(person, id, name, email)

struct text_pair {
  std::string a;
  std::optional<std::string> b;
  friend bool operator==(const text_pair&, const text_pair&) = default;
};
PGWRAP_DESCRIBE(text_pair, a, b)

struct item_v2 {
  std::string name;
  int qty = 0;
  double price = 0;
  std::optional<std::string> colour;
};
PGWRAP_DESCRIBE(item_v2, name, qty, price, colour)

// An int whose codec remembers the form it was last read in: proves that a
// composite's attributes came in binary (or in text).
struct format_probe {
  int value = 0;
  static inline pgwrap::wire_format last = pgwrap::wire_format::text;
};
struct probed_item {
  std::string name;
  format_probe qty;
  double price = 0;
};
PGWRAP_DESCRIBE(probed_item, name, qty, price)

}  // namespace composite_test

template <>
struct pgwrap::codec<composite_test::format_probe> {
  static composite_test::format_probe decode(const value_view& v) {
    composite_test::format_probe::last = v.format;
    return {codec<int>::decode(v)};
  }
  static bool reads_binary(std::uint32_t oid) { return oid == pgwrap::oid::int4; }
};

namespace pgwrap::test {
namespace {

using namespace composite_test;
using composite = db_test;

void create_item(database& db) { db.execute("CREATE TYPE item AS (name text, qty int, price float8)"); }

TEST_F(composite, ReadsAColumnInTextAndInBinary) {
  create_item(db);
  const std::string sql = "SELECT ROW('widget', 3, 9.5)::item";
  // Untyped reads come in text.
  const field f = db.query(runtime_sql(sql))[0][0];
  EXPECT_EQ(f.raw().format, wire_format::text);
  EXPECT_EQ(f.as<item>(), (item{"widget", 3, 9.5}));
  // A typed read whose members all read binary comes in binary.
  format_probe::last = wire_format::text;
  const auto binary = db.scalar<probed_item>(runtime_sql(sql));
  EXPECT_EQ(format_probe::last, wire_format::binary);
  EXPECT_EQ(binary.name, "widget");
  EXPECT_EQ(binary.qty.value, 3);
  EXPECT_EQ(db.scalar<item>(runtime_sql(sql)), (item{"widget", 3, 9.5}));
  format_probe::last = wire_format::binary;
  (void)db.query(runtime_sql(sql))[0][0].as<probed_item>();
  EXPECT_EQ(format_probe::last, wire_format::text);
}

TEST_F(composite, MembersMatchAttributesByName) {
  create_item(db);
  const std::string sql = "SELECT ROW('widget', 3, 9.5)::item";
  const auto text = db.query(runtime_sql(sql))[0][0].as<item_reordered>();
  const auto binary = db.scalar<item_reordered>(runtime_sql(sql));
  for (const auto& r : {text, binary}) {
    EXPECT_EQ(r.name, "widget");
    EXPECT_EQ(r.qty, 3);
    EXPECT_EQ(r.price, 9.5);
  }
}

TEST_F(composite, NullAttributesAndNullComposites) {
  create_item(db);
  const std::string sql = "SELECT ROW(NULL, 3, NULL)::item";
  for (const auto& m : {db.query(runtime_sql(sql))[0][0].as<maybe_item>(), db.scalar<maybe_item>(runtime_sql(sql))}) {
    EXPECT_EQ(m.name, std::nullopt);
    EXPECT_EQ(m.qty, 3);
    EXPECT_EQ(m.price, std::nullopt);
  }
  // A NULL attribute into a member that is not a std::optional.
  for (bool binary : {false, true}) {
    try {
      if (binary) {
        (void)db.scalar<item>(runtime_sql(sql));
      } else {
        (void)db.query(runtime_sql(sql))[0][0].as<item>();
      }
      ADD_FAILURE() << "a NULL attribute read into std::string";
    } catch (const conversion_error& e) {
      EXPECT_NE(std::string(e.what()).find("attribute \"name\" of item is NULL"), std::string::npos) << e.what();
    }
  }
  // A NULL composite.
  EXPECT_EQ(db.scalar<std::optional<item>>("SELECT NULL::item"), std::nullopt);
  EXPECT_EQ(db.query("SELECT NULL::item AS it")[0][0].as<std::optional<item>>(), std::nullopt);
  EXPECT_THROW((void)db.scalar<item>("SELECT NULL::item"), unexpected_null);
  // Every attribute NULL is not a NULL composite.
  const auto all_null = db.scalar<std::optional<maybe_item>>("SELECT ROW(NULL, NULL, NULL)::item");
  ASSERT_TRUE(all_null.has_value());
  EXPECT_EQ(all_null->qty, std::nullopt);
}

TEST_F(composite, NestedCompositesAndArraysOfThem) {
  create_item(db);
  db.execute("CREATE TYPE order_line AS (what item, tags text[], spare item)");
  const std::string sql = "SELECT ROW(ROW('bolt, \"big\"', 2, 0.25)::item, ARRAY['a b', 'c'], NULL)::order_line";
  const line expected{{"bolt, \"big\"", 2, 0.25}, {"a b", "c"}, std::nullopt};
  EXPECT_EQ(db.query(runtime_sql(sql))[0][0].as<line>(), expected);
  EXPECT_EQ(db.scalar<line>(runtime_sql(sql)), expected);

  const std::string array_sql = "SELECT ARRAY[ROW('a', 1, 1.5)::item, NULL, ROW('b(c)', 2, -2)::item]";
  const std::vector<std::optional<item>> items{item{"a", 1, 1.5}, std::nullopt, item{"b(c)", 2, -2}};
  EXPECT_EQ(db.query(runtime_sql(array_sql))[0][0].as<std::vector<std::optional<item>>>(), items);
  EXPECT_EQ(db.scalar<std::vector<std::optional<item>>>(runtime_sql(array_sql)), items);
  // An array of composites inside a composite.
  db.execute("CREATE TYPE basket AS (lines order_line[], owner text)");
  const auto b = db.scalar<std::vector<line>>(
      "SELECT (ROW(ARRAY[ROW(ROW('x', 1, 1)::item, '{}'::text[], ROW('y', 2, 2)::item)::order_line], "
      "'me')::basket).lines");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].spare, (item{"y", 2, 2}));
  EXPECT_TRUE(b[0].tags.empty());
}

TEST_F(composite, WholeRowsReadIntoAStruct) {
  db.execute("CREATE TABLE people (id int, name text, email text)");
  db.execute("INSERT INTO people VALUES (1, 'Ann', NULL), (2, 'Bob', 'bob@example.org')");
  EXPECT_EQ(db.scalar<person>("SELECT p FROM people p WHERE id = %s", 1), (person{1, "Ann", std::nullopt}));
  std::vector<std::tuple<int, person>> rows;
  for (const auto& r : db.query<int, person>("SELECT id, p FROM people p ORDER BY id")) rows.push_back(r);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::get<1>(rows[1]), (person{2, "Bob", "bob@example.org"}));
  // db.query<S> keeps its meaning: the columns map to the members.
  EXPECT_EQ(db.query<person>("SELECT id, name, email FROM people WHERE id = 2")[0],
            (person{2, "Bob", "bob@example.org"}));
  // A single composite column, one value per row.
  std::vector<person> single;
  for (const auto& [p] : db.query<std::optional<person>>("SELECT p FROM people p ORDER BY id")) single.push_back(*p);
  ASSERT_EQ(single.size(), 2u);
  EXPECT_EQ(single[1].email, "bob@example.org");
  // Streams carry the catalog too.
  std::vector<person> streamed;
  for (const auto& [id, p] : db.stream<int, person>("SELECT id, p FROM people p ORDER BY id")) streamed.push_back(p);
  ASSERT_EQ(streamed.size(), 2u);
  EXPECT_EQ(streamed[0].name, "Ann");
}

TEST_F(composite, InsertedThroughATableColumnAndReadBack) {
  create_item(db);
  db.execute("CREATE TABLE orders (id int, what item, many item[])");
  const item sent{"gadget", 7, 12.25};
  const std::vector<item> many{{"a", 1, 1}, {"b", 2, 2}};
  db.execute("INSERT INTO orders VALUES (%s, %s, %s)", 1, sent, many);
  db.insert("orders", fields{{"id", 2}, {"what", item{"", 0, -0.5}}});
  EXPECT_EQ(db.scalar<item>("SELECT what FROM orders WHERE id = 1"), sent);
  EXPECT_EQ(db.query("SELECT what FROM orders WHERE id = 1")[0][0].as<item>(), sent);
  EXPECT_EQ(db.scalar<std::vector<item>>("SELECT many FROM orders WHERE id = 1"), many);
  EXPECT_EQ(db.scalar<item>("SELECT what FROM orders WHERE id = 2"), (item{"", 0, -0.5}));
  // The parameter is read by the server as the same value it prints.
  EXPECT_EQ(db.scalar<std::string>("SELECT what::text FROM orders WHERE id = 1"), to_string(sent));
  EXPECT_TRUE(db.scalar<bool>("SELECT %s::item = ROW('gadget', 7, 12.25)::item", sent));
}

TEST_F(composite, TextFormMatchesTheServers) {
  db.execute("CREATE TYPE pair AS (a text, b text)");
  const std::vector<text_pair> cases{
      {"plain", "x"},
      {"", ""},
      {"with space", std::nullopt},
      {"quote\"d", "back\\slash"},
      {"com,ma", "(paren)"},
      {"tab\there", "NULL"},
      {"\"\"", "\\\""},
      {"unicode é", "x\ny"},
  };
  for (const text_pair& p : cases) {
    const std::string server = db.scalar<std::string>("SELECT (%s::pair)::text", p);
    EXPECT_EQ(to_string(p), server) << p.a;
    EXPECT_EQ(db.scalar<text_pair>("SELECT %s::pair", p), p) << server;
    EXPECT_EQ(db.query("SELECT %s::pair", p)[0][0].as<text_pair>(), p) << server;
  }
}

TEST_F(composite, MissingAndExtraAttributesAreNamed) {
  create_item(db);
  db.execute("CREATE TABLE orders (what item)");
  db.execute("INSERT INTO orders VALUES (ROW('w', 1, 2)::item)");
  const auto message = [&](auto read) -> std::string {
    try {
      read();
    } catch (const conversion_error& e) {
      return e.what();
    }
    return "no error";
  };
  for (bool binary : {false, true}) {
    const std::string missing = message([&] {
      if (binary) return (void)db.scalar<item_with_extra_member>("SELECT what FROM orders");
      (void)db.query("SELECT what FROM orders")[0][0].as<item_with_extra_member>();
    });
    EXPECT_NE(missing.find("column \"what\""), std::string::npos) << missing;
    EXPECT_NE(missing.find("has no attribute \"colour\""), std::string::npos) << missing;
    EXPECT_NE(missing.find("name, qty, price"), std::string::npos) << missing;
    const std::string extra = message([&] {
      if (binary) return (void)db.scalar<item_missing_member>("SELECT what FROM orders");
      (void)db.query("SELECT what FROM orders")[0][0].as<item_missing_member>();
    });
    EXPECT_NE(extra.find("attribute \"price\" of composite type item has no member"), std::string::npos) << extra;
  }
  // An attribute whose value does not fit its member is named too.
  db.execute("CREATE TYPE big AS (name text, qty bigint, price float8)");
  const std::string too_big = message([&] { (void)db.scalar<item>("SELECT ROW('x', 5000000000, 1)::big"); });
  EXPECT_NE(too_big.find("attribute \"qty\" of big"), std::string::npos) << too_big;
  // Anonymous records have no names.
  const std::string anonymous = message([&] { (void)db.query("SELECT ROW('x', 1, 2.0)")[0][0].as<item>(); });
  EXPECT_NE(anonymous.find("anonymous record"), std::string::npos) << anonymous;
  // A built-in type is not a composite.
  const std::string not_composite = message([&] { (void)db.scalar<item>("SELECT 1"); });
  EXPECT_NE(not_composite.find("integer is not a composite type"), std::string::npos) << not_composite;
}

TEST_F(composite, CatalogIsRefreshedAfterDdl) {
  create_item(db);
  const std::string sql = "SELECT ROW('w', 1, 2)::item";
  EXPECT_EQ(db.scalar<item>(runtime_sql(sql)).name, "w");
  EXPECT_EQ(db.query(runtime_sql(sql))[0][0].as<item>().name, "w");
  db.execute("ALTER TYPE item ADD ATTRIBUTE colour text");
  const std::string sql2 = "SELECT ROW('w', 1, 2, 'red')::item";
  EXPECT_EQ(db.scalar<item_v2>(runtime_sql(sql2)).colour, "red");
  EXPECT_EQ(db.query(runtime_sql(sql2))[0][0].as<item_v2>().colour, "red");
  // The old struct now misses the new attribute, and says so.
  EXPECT_THROW((void)db.scalar<item>(runtime_sql(sql2)), conversion_error);
  // DDL on another connection is not seen until this one runs DDL (as for
  // prepared statements); a new connection sees it at once.
  db.commit();
  admin.execute(runtime_sql("ALTER TYPE " + schema + ".item DROP ATTRIBUTE colour"));
  database fresh = connect();
  EXPECT_EQ(fresh.scalar<item>(runtime_sql(sql)).name, "w");
}

TEST_F(composite, ResultsOutliveTheirConnection) {
  create_item(db);
  const result r = db.query("SELECT ROW('kept', 1, 2)::item");
  db.close();
  EXPECT_EQ(r[0][0].as<item>().name, "kept");
}

TEST_F(composite, DomainOverAComposite) {
  create_item(db);
  db.execute("CREATE DOMAIN positive_item AS item CHECK ((VALUE).qty > 0)");
  const std::string sql = "SELECT ROW('d', 4, 1)::positive_item";
  EXPECT_EQ(db.query(runtime_sql(sql))[0][0].as<item>().qty, 4);
  EXPECT_EQ(db.scalar<item>(runtime_sql(sql)).qty, 4);
}

}  // namespace
}  // namespace pgwrap::test
