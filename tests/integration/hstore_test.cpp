// hstore through a real server, in a database of its own (an extension is
// installed once per database, so parallel tests cannot share one): a map
// sent as one value with %s, read back in text and binary, its text equal to
// the server's, NULL values and NULL maps, arrays, %S / %W still taking the
// map as columns, hostile bytes, and the missing extension's hint.
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "binary_fetch.hpp"
#include "format_probe.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

class hstore_test : public own_database_test {
 protected:
  void create_extension() {
    db.execute("CREATE EXTENSION hstore");
    db.commit();
  }
};

const hstore sample{{"a", "1"},         {"b", std::nullopt}, {"", "empty key"},      {"quote\"back\\slash", "x\"\\y"},
                    {"long key", "=>"}, {"NULL", "NULL"},    {"comma,", " spaced "}, {"\u00e9t\u00e9", "\u00fcber"}};

TEST_F(hstore_test, AMapTravelsAsOneValueBothWays) {
  create_extension();
  in_both_result_formats(db, [&] {
    EXPECT_EQ(db.scalar<hstore>("SELECT %s::hstore", sample), sample);
    EXPECT_EQ(db.scalar<hstore>("SELECT %s::hstore", hstore{}), hstore{});
    EXPECT_EQ(db.scalar<std::optional<hstore>>("SELECT NULL::hstore"), std::nullopt);
    EXPECT_TRUE(db.scalar<bool>("SELECT (%s::hstore -> 'b') IS NULL", sample));
    EXPECT_EQ(db.scalar<std::string>("SELECT %s::hstore -> 'quote\"back\\slash'", sample), "x\"\\y");
    EXPECT_EQ(db.query("SELECT %s::hstore AS h", sample)[0]["h"].as<hstore>(), sample);  // untyped: text
  });
}

TEST_F(hstore_test, ItsTextIsTheServers) {
  create_extension();
  std::string mine;
  detail::write_hstore_text(sample, mine);
  EXPECT_EQ(db.query("SELECT %s::hstore AS h", sample)[0]["h"].as<std::string>(), mine);
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::hstore::text", sample), mine);
}

TEST_F(hstore_test, ColumnsArraysAndTheServersBinary) {
  create_extension();
  db.execute("CREATE TABLE docs (id int, h hstore, hs hstore[])");
  db.execute("INSERT INTO docs VALUES (1, %s, %s)", sample, std::vector<hstore>{sample, hstore{{"x", "y"}}});
  db.execute("INSERT INTO docs VALUES (2, %s, %s)", std::optional<hstore>(),
             std::vector<std::optional<hstore>>{std::nullopt});
  db.commit();
  in_both_result_formats(db, [&] {
    const auto rows =
        db.query<std::optional<hstore>, std::vector<std::optional<hstore>>>("SELECT h, hs FROM docs ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(std::get<0>(rows[0]), sample);
    EXPECT_EQ(std::get<1>(rows[0]), (std::vector<std::optional<hstore>>{sample, hstore{{"x", "y"}}}));
    EXPECT_FALSE(std::get<0>(rows[1]).has_value());
    EXPECT_EQ(std::get<1>(rows[1]), std::vector<std::optional<hstore>>{std::nullopt});
  });
  // The exact bytes the server sends in binary, decoded.
  const std::string old_dsn = dsn();
  ::setenv("PGWRAP_TEST_DSN", database_dsn().c_str(), 1);
  const auto one = fetch_value("SELECT h FROM docs WHERE id = 1");
  const auto many = fetch_value("SELECT hs FROM docs WHERE id = 1");
  ::setenv("PGWRAP_TEST_DSN", old_dsn.c_str(), 1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->format, wire_format::binary);
  EXPECT_EQ(codec<hstore>::decode(one->view()), sample);
  ASSERT_TRUE(many.has_value());
  EXPECT_EQ(codec<std::vector<hstore>>::decode(many->view()), (std::vector<hstore>{sample, hstore{{"x", "y"}}}));
  // Every cut of the server's binary value is an error, never a crash or a wrong map.
  for (std::size_t n = 0; n < one->bytes.size(); ++n) {
    EXPECT_THROW(
        (void)codec<hstore>::decode({std::string_view(one->bytes).substr(0, n), one->type_oid, wire_format::binary}),
        conversion_error)
        << n;
  }
}

// hstore is found by name (the extension's type called hstore, wherever
// its schema is), not by its OID: it and arrays of it read in binary, and a
// type of another kind that is also called hstore does not.
TEST_F(hstore_test, TheCatalogFindsTheExtensionsTypeByName) {
  using probe = format_probe<hstore>;
  db.execute("CREATE SCHEMA ext");
  db.execute("CREATE EXTENSION hstore SCHEMA ext");
  db.execute("CREATE TABLE docs (h ext.hstore, hs ext.hstore[])");
  db.execute("INSERT INTO docs VALUES (%s, %s)", sample, std::vector<hstore>{sample, hstore{{"x", "y"}}});
  db.commit();
  in_both_result_formats(db, [&] {
    const wire_format expected = db.statement_cache_size() > 0 ? wire_format::binary : wire_format::text;
    probe::last = expected == wire_format::binary ? wire_format::text : wire_format::binary;
    EXPECT_EQ(db.scalar<probe>("SELECT h FROM docs").value, sample);
    EXPECT_EQ(probe::last, expected);
    probe::last = expected == wire_format::binary ? wire_format::text : wire_format::binary;
    const auto maps = db.scalar<std::vector<probe>>("SELECT hs FROM docs");
    ASSERT_EQ(maps.size(), 2u);
    EXPECT_EQ(maps[0].value, sample);
    EXPECT_EQ(maps[1].value, (hstore{{"x", "y"}}));
    EXPECT_EQ(probe::last, expected);
  });
  db.execute("CREATE TYPE hstore AS (k text)");  // on the search_path, a composite called hstore
  probe::last = wire_format::binary;
  EXPECT_THROW((void)db.scalar<probe>("SELECT ROW('a')::hstore"), conversion_error);  // "(a)" is no hstore text
  EXPECT_EQ(probe::last, wire_format::text);
}

TEST_F(hstore_test, PercentSAndWStillTakeTheMapAsColumns) {
  create_extension();
  db.execute("CREATE TABLE kv (a text, b text, h hstore)");
  const hstore row{{"a", "1"}, {"b", std::nullopt}};
  db.execute("INSERT INTO kv VALUES ('1', NULL, %s)", row);
  EXPECT_EQ(db.update("kv", hstore{{"a", "2"}}, row), 1);  // SET "a" = $1 WHERE ("a" = $2 AND "b" IS NULL)
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM kv WHERE %W", hstore{{"a", "2"}, {"b", std::nullopt}}), 1);
  db.execute("UPDATE kv SET %S WHERE a = %s", hstore{{"b", "3"}}, std::string("2"));
  EXPECT_EQ(db.scalar<std::string>("SELECT b FROM kv"), "3");
  EXPECT_EQ(db.scalar<hstore>("SELECT h FROM kv WHERE h = %s", row), row);
  EXPECT_EQ(db.delete_where("kv", hstore{{"b", "3"}}), 1);
}

TEST_F(hstore_test, TheMissingExtensionSaysSo) {
  try {
    db.execute("SELECT %s::hstore", sample);
    FAIL() << "no error";
  } catch (const sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "42704");
    const std::string what = e.what();
    EXPECT_NE(what.find("type \"hstore\" does not exist"), std::string::npos) << what;
    EXPECT_NE(what.find("CREATE EXTENSION hstore"), std::string::npos) << what;
    EXPECT_NE(e.hint().find("CREATE EXTENSION hstore"), std::string::npos) << e.hint();
  }
  db.rollback();
  // Other missing types get no such advice.
  try {
    db.execute("SELECT 1::no_such_type");
    FAIL() << "no error";
  } catch (const sql_error& e) {
    EXPECT_EQ(std::string(e.what()).find("CREATE EXTENSION"), std::string::npos) << e.what();
  }
  db.rollback();
}

TEST_F(hstore_test, BadTextNamesTheColumn) {
  try {
    (void)db.query("SELECT 'a=>\"1' AS attrs")[0]["attrs"].as<hstore>();
    FAIL() << "no error";
  } catch (const conversion_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("attrs"), std::string::npos) << what;
    EXPECT_NE(what.find("not closed"), std::string::npos) << what;
  }
  EXPECT_THROW(db.execute("SELECT %s", hstore{{std::string("a\0b", 3), "1"}}), conversion_error);
}

}  // namespace
}  // namespace pgwrap::test
