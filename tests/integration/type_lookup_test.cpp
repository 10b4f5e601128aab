// The type catalog on every read path of the blocking face: batch results
// and copy_out rows read composites and enums as queries do, and a catalog
// look-up that fails inside a transaction leaves the transaction going and
// says which type it could not look up.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "catalog_role.hpp"
#include "format_probe.hpp"
#include "test_db.hpp"

namespace lookup_test {
using catalog_types::color;
using catalog_types::item;

// `item` with a member that tells the form its attribute came in.
struct probed_item {
  std::string name;
  pgwrap::test::format_probe<int> qty;
};
PGWRAP_DESCRIBE(probed_item, name, qty)
}  // namespace lookup_test

namespace pgwrap::test {
namespace {

using namespace lookup_test;
using type_lookup_test = db_test;

void create_types(database& db) {
  db.execute("CREATE TYPE item AS (name text, qty int)");
  db.execute("CREATE TYPE color AS ENUM ('red', 'green', 'blue')");
  db.execute("CREATE TABLE stock (id int, what item, c color, cs color[])");
  db.execute("INSERT INTO stock VALUES (1, ROW('bolt', 2), 'green', '{blue,red}')");
}

void expect_stock_row(const row& r) {
  EXPECT_EQ(r["what"].as<item>(), (item{"bolt", 2}));
  EXPECT_EQ(r["c"].as<color>(), color::green);
  EXPECT_EQ(r["cs"].as<std::vector<color>>(), (std::vector<color>{color::blue, color::red}));
}

TEST_F(type_lookup_test, BatchResultsCarryTheirTypes) {
  create_types(db);
  db.commit();
  batch b;
  b.add("INSERT INTO stock VALUES (2, %s, 'red', '{}')", item{"nut", 5})
      .add("SELECT what, c, cs FROM stock WHERE id = 1");
  for (const bool autocommit : {true, false}) {  // the look-up after our COMMIT, or in the user's transaction
    SCOPED_TRACE(autocommit ? "autocommit" : "in a transaction");
    database fresh = connect();  // whose catalog knows nothing yet
    fresh.set_autocommit(autocommit);
    const std::vector<result> results = fresh.execute_batch(b);
    ASSERT_EQ(results.size(), 2u);
    ASSERT_EQ(results[1].size(), 1u);
    expect_stock_row(results[1][0]);
    fresh.commit();
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM stock WHERE what = ROW('nut', 5)::item"), 2);
}

TEST_F(type_lookup_test, CopyOutRowsCarryTheirTypes) {
  create_types(db);
  // Untyped rows come in text.
  std::size_t rows = 0;
  for (auto r : db.copy_out("SELECT what, c, cs FROM %I", ident("stock"))) {
    expect_stock_row(r);
    ++rows;
  }
  EXPECT_EQ(rows, 1u);
  // Typed rows come in binary when every codec reads it, as the composite's attribute shows.
  format_probe<int>::last = wire_format::text;
  rows = 0;
  for (auto [what, c, cs] : db.copy_out<probed_item, color, std::vector<color>>("SELECT what, c, cs FROM stock")) {
    EXPECT_EQ(what.name, "bolt");
    EXPECT_EQ(what.qty.value, 2);
    EXPECT_EQ(c, color::green);
    EXPECT_EQ(cs, (std::vector<color>{color::blue, color::red}));
    ++rows;
  }
  EXPECT_EQ(rows, 1u);
  EXPECT_EQ(format_probe<int>::last, wire_format::binary);
}

using failed_lookup_test = catalog_role_test;

TEST_F(failed_lookup_test, TheTransactionGoesOnAndTheErrorNamesTheType) {
  const std::string oid = item_oid();
  database restricted(role_dsn());
  restricted.execute("INSERT INTO log VALUES ('before')");  // psycopg2's implicit BEGIN: a transaction is open
  const auto expect_named = [&](const conversion_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("type " + oid + " could not be looked up"), std::string::npos) << what;
    EXPECT_NE(what.find("permission denied for table pg_attribute"), std::string::npos) << what;
  };
  const result r = restricted.query("SELECT ROW('bolt', 2)::item AS what");
  try {
    (void)r[0]["what"].as<item>();
    FAIL() << "read a composite its catalog entry could not be found for";
  } catch (const conversion_error& e) {
    expect_named(e);
    EXPECT_NE(std::string(e.what()).find("column \"what\""), std::string::npos) << e.what();
  }
  EXPECT_EQ(r[0]["what"].as<std::string>(), "(bolt,2)");
  try {
    (void)restricted.scalar<item>("SELECT ROW('nut', 5)::item");  // a typed read: described, then run
    FAIL() << "read a composite its catalog entry could not be found for";
  } catch (const conversion_error& e) {
    expect_named(e);
  }
  restricted.execute("INSERT INTO log VALUES ('after')");
  restricted.commit();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM log"), 2);
  // The catalog kept nothing of the failure: allowed to read pg_attribute, the role reads the type.
  db.execute(runtime_sql("GRANT SELECT ON pg_catalog.pg_attribute TO " + quote_identifier(role)));
  db.commit();
  EXPECT_EQ(restricted.scalar<item>("SELECT ROW('bolt', 2)::item"), (item{"bolt", 2}));
}

// A struct sent as a parameter is written by attribute name: when the
// catalog cannot be read for its type, the call fails naming the type rather
// than guess the order, nothing of it is sent, and the transaction goes on.
TEST_F(failed_lookup_test, AStructParameterFailsNamingItsType) {
  const std::string oid = item_oid();
  database restricted(role_dsn());
  restricted.execute("INSERT INTO log VALUES ('before')");
  const item bolt{"bolt", 2};
  for (const char* sql : {"SELECT %s::item", "SELECT %s::item[]"}) {
    try {
      if (std::string_view(sql).ends_with("[]")) {
        (void)restricted.query(runtime_sql(sql), std::vector<item>{bolt, bolt});
      } else {
        (void)restricted.query(runtime_sql(sql), bolt);
      }
      ADD_FAILURE() << sql << ": sent a composite its catalog entry could not be found for";
    } catch (const conversion_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("parameter $1"), std::string::npos) << what;
      EXPECT_NE(what.find("could not be looked up"), std::string::npos) << what;
      EXPECT_NE(what.find("permission denied for table pg_attribute"), std::string::npos) << what;
    }
  }
  restricted.execute("INSERT INTO log VALUES ('after')");
  restricted.commit();
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM log"), 2);
}

}  // namespace
}  // namespace pgwrap::test
