// database::insert: quoted names, values as parameters, RETURNING, NULLs,
// DEFAULT VALUES, and names or values that try to change the statement.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using insert_test = db_test;

// SQL built at run time around quoted names: `select_from(name, cols...)`.
std::string select_sql(const std::vector<std::string>& columns, const ident& table, std::string_view rest = "") {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += quote_identifier(columns[i]);
  }
  sql += " FROM " + table.quoted();
  sql += rest;
  return sql;
}

std::int64_t count_rows(database& d, const ident& table) {
  const std::string sql = "SELECT count(*) FROM " + table.quoted();
  return d.scalar<std::int64_t>(runtime_sql(sql));
}

bool table_exists(database& d, const std::string& schema, const std::string& table) {
  return d.scalar<bool>("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s)", schema,
                        table);
}

TEST_F(insert_test, InsertsARowAndReturnsTheCount) {
  db.execute("CREATE TABLE users (id serial PRIMARY KEY, name text, uid int)");
  EXPECT_EQ(db.insert("users", {{"name", "Al Bert"}, {"uid", 10}}), 1);
  const auto r = db.queryone("SELECT name, uid FROM users");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)["name"].as<std::string>(), "Al Bert");
  EXPECT_EQ((*r)["uid"].as<int>(), 10);
  db.commit();

  // Committed: another connection sees it.
  pgwrap::database other = connect();
  EXPECT_EQ(other.scalar<std::int64_t>("SELECT count(*) FROM users WHERE name = %s AND uid = %s", "Al Bert", 10), 1);
}

TEST_F(insert_test, TheOrderOfTheFieldsDoesNotMatter) {
  db.execute("CREATE TABLE t (a int, b text)");
  EXPECT_EQ(db.insert("t", {{"b", "bee"}, {"a", 1}}), 1);
  const auto r = db.queryone("SELECT a, b FROM t");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)["a"].as<int>(), 1);
  EXPECT_EQ((*r)["b"].as<std::string>(), "bee");
}

TEST_F(insert_test, ReturningGivesTheGeneratedId) {
  db.execute("CREATE TABLE users (id serial PRIMARY KEY, name text, created boolean DEFAULT true)");
  const row first = db.insert("users", {{"name", "one"}}, pgwrap::returning{"id"});
  EXPECT_EQ(first.size(), 1u);
  EXPECT_EQ(first["id"].as<int>(), 1);
  const row second = db.insert("users", {{"name", "two"}}, pgwrap::returning{"id", "name", "created"});
  EXPECT_EQ(second.size(), 3u);
  EXPECT_EQ(second["id"].as<int>(), 2);
  EXPECT_EQ(second["name"].as<std::string>(), "two");
  EXPECT_TRUE(second["created"].as<bool>());
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM users WHERE id = %s", second["id"].as<int>()), "two");
}

TEST_F(insert_test, ReturningErrors) {
  db.execute("CREATE TABLE t (id serial, v int)");
  db.commit();
  EXPECT_THROW(db.insert("t", {{"v", 1}}, pgwrap::returning{}), usage_error);
  EXPECT_THROW(db.insert("t", {{"v", 1}}, pgwrap::returning{"nope"}), undefined_column);
  db.rollback();
  EXPECT_EQ(count_rows(db, "t"), 0);
}

TEST_F(insert_test, NullValues) {
  db.execute("CREATE TABLE t (id serial, a text, b int, c int, d text DEFAULT 'dflt')");
  EXPECT_EQ(
      db.insert(
          "t",
          {{"a", nullptr}, {"b", std::nullopt}, {"c", std::optional<int>{}}, {"d", static_cast<const char*>(nullptr)}}),
      1);
  const auto r = db.queryone("SELECT a IS NULL, b IS NULL, c IS NULL, d IS NULL FROM t");
  ASSERT_TRUE(r.has_value());
  for (const auto f : *r) EXPECT_TRUE(f.as<bool>()) << f.index();
  // An explicit NULL is not the column default.
  EXPECT_EQ(db.scalar<std::optional<std::string>>("SELECT d FROM t"), std::nullopt);
  // A filled std::optional is its value.
  EXPECT_EQ(db.insert("t", {{"c", std::optional<int>{5}}, {"a", std::optional<std::string>{"x"}}}), 1);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE c = 5 AND a = 'x'"), 1);
}

TEST_F(insert_test, NullIntoANotNullColumnIsANotNullViolation) {
  db.execute("CREATE TABLE t (v int NOT NULL)");
  try {
    db.insert("t", {{"v", nullptr}});
    FAIL() << "expected not_null_violation";
  } catch (const not_null_violation& e) {
    EXPECT_EQ(e.sqlstate(), "23502");
    EXPECT_EQ(e.column_name(), "v");
  }
  db.rollback();
}

TEST_F(insert_test, EmptyFieldsInsertDefaultValues) {
  db.execute("CREATE TABLE t (id serial, v text DEFAULT 'dflt', n int)");
  EXPECT_EQ(db.insert("t", pgwrap::fields{}), 1);
  const row r = db.insert("t", {}, pgwrap::returning{"id", "v", "n"});
  EXPECT_EQ(r["id"].as<int>(), 2);
  EXPECT_EQ(r["v"].as<std::string>(), "dflt");
  EXPECT_TRUE(r["n"].is_null());
  EXPECT_EQ(count_rows(db, "t"), 2);
}

TEST_F(insert_test, FieldsBuiltWithAddInALoop) {
  db.execute("CREATE TABLE t (c0 int, c1 int, c2 int, c3 int, c4 int, label text, flag boolean)");
  pgwrap::fields f;
  EXPECT_TRUE(f.empty());
  for (int i = 0; i < 5; ++i) f.add("c" + std::to_string(i), i * 10);
  f.add("label", std::string("built")).add("flag", true);  // add chains
  EXPECT_EQ(f.size(), 7u);
  EXPECT_FALSE(f.empty());
  EXPECT_EQ(db.insert("t", f), 1);
  const auto r = db.queryone("SELECT * FROM t");
  ASSERT_TRUE(r.has_value());
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*r)[i].as<int>(), i * 10);
  EXPECT_EQ((*r)["label"].as<std::string>(), "built");
  EXPECT_TRUE((*r)["flag"].as<bool>());
  // The same fields can be inserted again: they own their values.
  EXPECT_EQ(db.insert("t", f), 1);
  EXPECT_EQ(count_rows(db, "t"), 2);
}

TEST_F(insert_test, ValuesOfEveryCoreType) {
  db.execute(
      "CREATE TABLE t (id serial, b boolean, s smallint, i int, l bigint, u numeric, f real, d float8, "
      "txt text, day date, doc jsonb, ident uuid)");
  const row r = db.insert("t",
                          {{"b", false},
                           {"s", std::int16_t{-32768}},
                           {"i", std::numeric_limits<std::int32_t>::max()},
                           {"l", std::numeric_limits<std::int64_t>::min()},
                           {"u", std::numeric_limits<std::uint64_t>::max()},
                           {"f", 1.5f},
                           {"d", 0.1},
                           {"txt", std::string_view("a view, cut").substr(0, 6)},
                           // strings are sent untyped, so the server reads them as the column's type
                           {"day", "2024-02-29"},
                           {"doc", std::string(R"({"k": [1, 2]})")},
                           {"ident", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
                          pgwrap::returning{"id"});
  const auto got =
      db.queryone("SELECT b, s, i, l, u, f, d, txt, day::text, doc->'k'->>1 AS k1, ident::text FROM t WHERE id = %s",
                  r["id"].as<int>());
  ASSERT_TRUE(got.has_value());
  const row& g = *got;
  EXPECT_FALSE(g["b"].as<bool>());
  EXPECT_EQ(g["s"].as<std::int16_t>(), -32768);
  EXPECT_EQ(g["i"].as<std::int32_t>(), std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(g["l"].as<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(g["u"].as<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(g["f"].as<float>(), 1.5f);
  EXPECT_EQ(g["d"].as<double>(), 0.1);
  EXPECT_EQ(g["txt"].as<std::string>(), "a view");
  EXPECT_EQ(g["day"].as<std::string>(), "2024-02-29");
  EXPECT_EQ(g["k1"].as<std::string>(), "2");
  EXPECT_EQ(g["ident"].as<std::string>(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
}

TEST_F(insert_test, SpecialFloatingPointValues) {
  db.execute("CREATE TABLE t (id serial, d float8)");
  const std::vector<double> values = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(), -0.0, 1e-310};
  for (const double v : values) {
    const int id = db.insert("t", {{"d", v}}, pgwrap::returning{"id"})["id"].as<int>();
    const double back = db.scalar<double>("SELECT d FROM t WHERE id = %s", id);
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(back));
    } else {
      EXPECT_EQ(back, v);
      EXPECT_EQ(std::signbit(back), std::signbit(v));
    }
  }
}

TEST_F(insert_test, NamesThatNeedQuotingRoundTrip) {
  const std::vector<std::string> tables = {"my table", "Mixed\"Quote\"Case", "%s", "$1", "it's", "a.b"};
  const std::vector<std::string> columns = {
      "first name", "\"quoted\"", "MixedCase", "%s", "$1", "%%", "a.b", "it's", "-- x", "/* y", "\xc3\xa9t\xc3\xa9"};
  for (const std::string& table : tables) {
    SCOPED_TRACE(table);
    std::string create = "CREATE TABLE " + quote_identifier(table) + " (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) create += ", ";
      create += quote_identifier(columns[i]) + " text";
    }
    create += ")";
    db.execute(runtime_sql(create));

    pgwrap::fields f;
    for (const std::string& c : columns) f.add(c, "value of " + c);
    EXPECT_EQ(db.insert(table, f), 1);

    const auto r = db.queryone(runtime_sql(select_sql(columns, table)));
    ASSERT_TRUE(r.has_value());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      EXPECT_EQ((*r)[i].name(), columns[i]);
      EXPECT_EQ((*r)[i].as<std::string>(), "value of " + columns[i]);
      EXPECT_EQ((*r)[columns[i]].as<std::string>(), "value of " + columns[i]);
    }
    const row ret = db.insert(table, {{"%s", "again"}}, pgwrap::returning{"$1", "%s", "\"quoted\""});
    EXPECT_TRUE(ret["$1"].is_null());
    EXPECT_EQ(ret["%s"].as<std::string>(), "again");
    EXPECT_TRUE(ret["\"quoted\""].is_null());
  }
  // "a.b" was one table name, not table b in schema a.
  EXPECT_TRUE(table_exists(db, schema, "a.b"));
}

TEST_F(insert_test, NamesAreCaseSensitive) {
  db.execute("CREATE TABLE users (v int)");
  db.execute("CREATE TABLE \"Users\" (\"V\" int)");
  EXPECT_EQ(db.insert("Users", {{"V", 1}}), 1);
  EXPECT_EQ(count_rows(db, "Users"), 1);
  EXPECT_EQ(count_rows(db, "users"), 0);
  EXPECT_THROW(db.insert("Users", {{"v", 1}}), undefined_column);  // "v" is not "V"
  db.rollback();
  EXPECT_THROW(db.insert("USERS", {{"v", 1}}), undefined_table);
  db.rollback();
}

TEST_F(insert_test, SchemaQualifiedTable) {
  db.execute("CREATE TABLE t (v int)");
  db.commit();
  // admin's search_path does not include the test schema: only the qualified name finds it.
  EXPECT_EQ(admin.insert(pgwrap::ident(schema, "t"), {{"v", 7}}), 1);
  EXPECT_EQ(db.scalar<int>("SELECT v FROM t"), 7);
  const row r = admin.insert(pgwrap::ident(schema, "t"), {{"v", 8}}, pgwrap::returning{"v"});
  EXPECT_EQ(r["v"].as<int>(), 8);
  EXPECT_THROW(admin.insert(pgwrap::ident("pgwrap_no_such_schema", "t"), {{"v", 1}}), undefined_table);
  EXPECT_EQ(count_rows(db, pgwrap::ident(schema, "t")), 2);
}

TEST_F(insert_test, HostileColumnNamesCannotChangeTheStatement) {
  db.execute("CREATE TABLE t (name text, v int)");
  db.execute("INSERT INTO t VALUES ('kept', 1)");
  db.commit();
  const std::vector<std::string> hostile = {
      "name\") VALUES (1); DROP TABLE t; --",
      "name\", \"v",
      "name\"",
      "\"name\"",
      "name) VALUES ('x'); DROP TABLE t; --",
      "v' OR '1'='1",
      "name\" /*",
      "name -- ",
      "%s",
      "$1",
      "name\"); DELETE FROM t; SELECT (\"",
  };
  for (const std::string& column : hostile) {
    SCOPED_TRACE(column);
    try {
      db.insert("t", {{column, "x"}});
      FAIL() << "expected undefined_column";
    } catch (const undefined_column& e) {
      EXPECT_EQ(e.sqlstate(), "42703");
      // The server names the whole string as one column.
      EXPECT_NE(e.server_message().find(column), std::string::npos) << e.server_message();
    }
    db.rollback();
    try {
      db.insert("t", {{"name", "x"}}, pgwrap::returning{column});
      FAIL() << "expected undefined_column";
    } catch (const undefined_column&) {
    }
    db.rollback();
  }
  EXPECT_TRUE(table_exists(admin, schema, "t"));
  EXPECT_EQ(admin.scalar<std::int64_t>(runtime_sql("SELECT count(*) FROM " + ident(schema, "t").quoted())), 1);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t"), "kept");
}

TEST_F(insert_test, HostileTableNamesCannotChangeTheStatement) {
  db.execute("CREATE TABLE t (v int)");
  db.commit();
  const std::vector<std::string> hostile = {
      "t (v) VALUES (1); DROP TABLE t; --",
      "t\" (v) VALUES (1); DROP TABLE t; --",
      "t\"",
      "\"t\"",
  };
  for (const std::string& table : hostile) {
    SCOPED_TRACE(table);
    EXPECT_THROW(db.insert(table, {{"v", 1}}), undefined_table);
    db.rollback();
  }
  EXPECT_TRUE(table_exists(admin, schema, "t"));
  EXPECT_EQ(count_rows(db, "t"), 0);
}

TEST_F(insert_test, HostileValuesRoundTripExactly) {
  db.execute("CREATE TABLE t (id serial, v text)");
  std::string long_value;
  for (int i = 0; i < 10000; ++i) long_value += "'\"\\%$";
  const std::vector<std::string> values = {
      "x'); DROP TABLE t; --",
      "'",
      "''",
      "\"",
      "\\",
      "\\'",
      "E'\\x41'",
      "%s",
      "%%",
      "%(name)s",
      "$1",
      "$$ $tag$",
      "/* unterminated",
      "-- comment",
      "line 1\nline 2\r\n\ttab",
      "",
      " leading and trailing ",
      "\xe2\x9c\x93 \xf0\x9f\x8e\x89 \xe6\x97\xa5\xe6\x9c\xac",
      "NULL",
      long_value,
  };
  for (const std::string& v : values) {
    SCOPED_TRACE(v.substr(0, 40));
    const row r = db.insert("t", {{"v", v}}, pgwrap::returning{"id", "v"});
    EXPECT_EQ(r["v"].as<std::string>(), v);
    EXPECT_FALSE(r["v"].is_null());
    EXPECT_EQ(db.scalar<std::string>("SELECT v FROM t WHERE id = %s", r["id"].as<int>()), v);
  }
  EXPECT_EQ(count_rows(db, "t"), static_cast<std::int64_t>(values.size()));
}

TEST_F(insert_test, UnknownTableIsUndefinedTable) {
  try {
    db.insert("no_such_table", {{"v", 1}});
    FAIL() << "expected undefined_table";
  } catch (const undefined_table& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_NE(e.server_message().find("no_such_table"), std::string::npos) << e.server_message();
  }
  db.rollback();
  EXPECT_THROW(db.insert("no_such_table", pgwrap::fields{}), undefined_table);
  db.rollback();
}

TEST_F(insert_test, BadNamesAreRejectedBeforeAnythingIsSent) {
  pgwrap::database fresh = connect();  // not connected yet
  EXPECT_THROW(fresh.insert("t", {{"", 1}}), usage_error);
  EXPECT_THROW(fresh.insert("t", {{std::string(64, 'c'), 1}}), usage_error);
  EXPECT_THROW(fresh.insert("t", {{std::string("a\0b", 3), 1}}), usage_error);
  EXPECT_THROW(fresh.insert("t", {{"v", 1}}, pgwrap::returning{""}), usage_error);
  EXPECT_THROW(fresh.insert(pgwrap::ident(""), {{"v", 1}}), usage_error);
  EXPECT_THROW(fresh.insert(std::string(64, 't'), {{"v", 1}}), usage_error);
  EXPECT_FALSE(fresh.is_connected()) << "a rejected insert must send nothing, not even connect";
}

TEST_F(insert_test, AValueWithANulByteIsAConversionError) {
  db.execute("CREATE TABLE t (v text)");
  db.commit();
  try {
    db.insert("t", {{"v", std::string("ab\0c", 4)}});
    FAIL() << "expected conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("NUL byte at offset 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count_rows(db, "t"), 0);
}

TEST_F(insert_test, ServerErrorsKeepTheirClass) {
  db.execute("CREATE TABLE t (id int PRIMARY KEY, n bigint CHECK (n >= 0))");
  EXPECT_EQ(db.insert("t", {{"id", 1}, {"n", 1}}), 1);
  db.commit();
  EXPECT_THROW(db.insert("t", {{"id", 1}, {"n", 2}}), unique_violation);
  db.rollback();
  EXPECT_THROW(db.insert("t", {{"id", 2}, {"n", -1}}), check_violation);
  db.rollback();
  // A uint64 too big for bigint: the server refuses it, nothing wraps.
  EXPECT_THROW(db.insert("t", {{"id", 3}, {"n", std::numeric_limits<std::uint64_t>::max()}}), data_exception);
  db.rollback();
  EXPECT_THROW(db.insert("t", {{"id", "not a number"}}), data_exception);
  db.rollback();
  EXPECT_EQ(count_rows(db, "t"), 1);
}

}  // namespace
}  // namespace pgwrap::test
