// PGWRAP_ENUM through a real server: labels sent as text with type unknown
// and read back in text and binary, SQL labels that differ from the C++
// names, arrays, NULLs and an unknown label naming itself and the column.
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "binary_fetch.hpp"
#include "format_probe.hpp"
#include "test_db.hpp"

namespace shop {
enum class color { red, green, blue };
PGWRAP_ENUM(color, red, green, blue)

enum class status { open, on_hold, closed };
PGWRAP_ENUM_LABELS(status, (open, "Open"), (on_hold, "on hold"), (closed, "Closed \"for good\""))
}  // namespace shop

namespace pgwrap::test {
namespace {

using enum_test = db_test;
using shop::color;
using shop::status;

class enum_types_test : public enum_test {
 protected:
  void SetUp() override {
    enum_test::SetUp();
    if (IsSkipped()) return;
    db.execute("CREATE TYPE color AS ENUM ('red', 'green', 'blue')");
    db.execute("CREATE TYPE status AS ENUM ('Open', 'on hold', 'Closed \"for good\"', 'archived')");
    db.execute("CREATE TABLE items (id int, c color, s status, cs color[], ss status[])");
  }
};

TEST_F(enum_types_test, LabelsTravelBothWays) {
  db.execute("INSERT INTO items VALUES (1, %s, %s, %s, %s)", color::green, status::on_hold,
             std::vector<color>{color::blue, color::red},
             std::vector<std::optional<status>>{status::closed, std::nullopt});
  db.execute("INSERT INTO items VALUES (2, %s, %s, %s, %s)", std::optional<color>(), std::optional<status>(),
             std::vector<color>{}, std::vector<std::optional<status>>{});
  EXPECT_EQ(db.scalar<std::string>("SELECT s::text FROM items WHERE id = 1"), "on hold");
  EXPECT_EQ(db.scalar<std::string>("SELECT ss::text FROM items WHERE id = 1"), "{\"Closed \\\"for good\\\"\",NULL}");
  in_both_result_formats(db, [&] {
    const auto rows =
        db.query<std::optional<color>, std::optional<status>, std::vector<color>, std::vector<std::optional<status>>>(
            "SELECT c, s, cs, ss FROM items ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(std::get<0>(rows[0]), color::green);
    EXPECT_EQ(std::get<1>(rows[0]), status::on_hold);
    EXPECT_EQ(std::get<2>(rows[0]), (std::vector<color>{color::blue, color::red}));
    EXPECT_EQ(std::get<3>(rows[0]), (std::vector<std::optional<status>>{status::closed, std::nullopt}));
    EXPECT_FALSE(std::get<0>(rows[1]).has_value());
    EXPECT_FALSE(std::get<1>(rows[1]).has_value());
    EXPECT_TRUE(std::get<2>(rows[1]).empty());
    EXPECT_EQ(db.scalar<color>("SELECT %s::color", color::blue), color::blue);
    EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s::status)::text", status::open), "status");
    EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM items WHERE c = %s", color::green), 1);
    EXPECT_EQ(db.query("SELECT s FROM items WHERE id = 1")[0]["s"].as<status>(), status::on_hold);  // untyped: text
  });
}

TEST_F(enum_types_test, TheServersBinaryFormIsTheLabel) {
  db.execute("INSERT INTO items (id, c, s) VALUES (1, 'blue', 'Closed \"for good\"')");
  db.commit();
  const std::string qualified = quote_identifier(schema);
  const auto c = fetch_value("SELECT 'blue'::" + qualified + ".color");
  ASSERT_TRUE(c.has_value());
  EXPECT_GE(c->type_oid, 16384u);
  EXPECT_EQ(codec<color>::decode(c->view()), color::blue);
  const auto s = fetch_value("SELECT 'Closed \"for good\"'::" + qualified + ".status");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(codec<status>::decode(s->view()), status::closed);
  const auto a = fetch_value("SELECT '{red,NULL,blue}'::" + qualified + ".color[]");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(codec<std::vector<std::optional<color>>>::decode(a->view()),
            (std::vector<std::optional<color>>{color::red, std::nullopt, color::blue}));
}

// Binary is asked for where the catalog says enum, for arrays of enums too
// (their array types are user types as well), and for no other user type.
TEST_F(enum_types_test, TheCatalogSaysWhatReadsInBinary) {
  using probe = format_probe<color>;
  db.execute("INSERT INTO items (id, c, cs) VALUES (1, 'green', '{blue,red}')");
  db.execute("CREATE DOMAIN good_color AS color CHECK (VALUE <> 'red')");
  in_both_result_formats(db, [&] {
    const wire_format expected = db.statement_cache_size() > 0 ? wire_format::binary : wire_format::text;
    probe::last = expected == wire_format::binary ? wire_format::text : wire_format::binary;
    EXPECT_EQ(db.scalar<probe>("SELECT c FROM items").value, color::green);
    EXPECT_EQ(probe::last, expected);
    probe::last = expected == wire_format::binary ? wire_format::text : wire_format::binary;
    const auto colors = db.scalar<std::vector<probe>>("SELECT cs FROM items");
    ASSERT_EQ(colors.size(), 2u);
    EXPECT_EQ(colors[0].value, color::blue);
    EXPECT_EQ(colors[1].value, color::red);
    EXPECT_EQ(probe::last, expected);
    probe::last = expected == wire_format::binary ? wire_format::text : wire_format::binary;
    EXPECT_EQ(db.scalar<probe>("SELECT 'blue'::good_color").value, color::blue);  // a domain over an enum
    EXPECT_EQ(probe::last, expected);
  });
  // A composite is a user type too, but no enum: it comes in text, and its
  // text is no label.
  db.execute("CREATE TYPE boxed AS (c text)");
  probe::last = wire_format::binary;
  try {
    (void)db.scalar<probe>("SELECT ROW('red')::boxed");
    FAIL() << "no error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown label \"(red)\""), std::string::npos) << e.what();
  }
  EXPECT_EQ(probe::last, wire_format::text);
}

TEST_F(enum_types_test, AnUnknownLabelNamesItselfAndTheColumn) {
  db.execute("INSERT INTO items (id, s) VALUES (1, 'archived')");
  in_both_result_formats(db, [&] {
    try {
      (void)db.scalar<status>("SELECT s AS state FROM items");
      FAIL() << "no error";
    } catch (const conversion_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("unknown label \"archived\""), std::string::npos) << what;
      EXPECT_NE(what.find("state"), std::string::npos) << what;
      EXPECT_NE(what.find("status"), std::string::npos) << what;
    }
  });
  // A label the server does not know is the server's error.
  EXPECT_THROW(db.execute("INSERT INTO items (id, c) VALUES (2, %s)", std::string("purple")), data_exception);
}

}  // namespace
}  // namespace pgwrap::test
