// The directive grammar against the real server, and injection attempts
// through values, map keys and identifiers.
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using namespace pgwrap::literals;
using formatting_test = db_test;

TEST_F(formatting_test, DbapiextUpdateExample) {
  db.execute("CREATE TABLE people (id int PRIMARY KEY, first_name text, last_name text)");
  db.execute("INSERT INTO people VALUES (1, 'x', 'y'), (2, 'p', 'q')");
  const fields data{{"first_name", "sean"}, {"last_name", "reifschneider"}};
  EXPECT_EQ(db.execute("UPDATE people SET %S WHERE id = %(id)s", data, arg("id", 1)), 1);
  const auto row = db.queryone("SELECT first_name, last_name FROM people WHERE id = %s", 1);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)["first_name"].as<std::string>(), "sean");
  EXPECT_EQ((*row)["last_name"].as<std::string>(), "reifschneider");
  EXPECT_EQ(db.scalar<std::string>("SELECT first_name FROM people WHERE id = %s", 2), "p");
}

TEST_F(formatting_test, WhereMapsMatchNullWithIsNull) {
  db.execute("CREATE TABLE t (a int, b text)");
  db.execute("INSERT INTO t VALUES (1, NULL), (1, 'x'), (2, NULL)");
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE %W", fields{{"a", 1}, {"b", nullptr}}), 1);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE %A", std::map<std::string, int>{{"a", 1}}), 2);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE %O AND a > 1", fields{{"a", 1}, {"b", nullptr}}),
            1);  // parenthesised: (a = 1 OR b IS NULL) AND a > 1
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE %W", fields{}), 3);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE %O", fields{}), 0);
}

TEST_F(formatting_test, ListsExpandAndArraysStayOneParameter) {
  db.execute("CREATE TABLE t (id int, name text)");
  db.execute("INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 10) g");
  const std::vector<int> ids{2, 4, 6};
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id IN (%s)", list(ids)), 3);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id = ANY(%s)", ids), 3);
  const std::vector<std::string> names{"n1", "n10", "nope"};
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE name = ANY(%s)", names), 2);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE name IN (%s)", list({"n3", "n5"})), 2);
  EXPECT_THROW(db.query("SELECT * FROM t WHERE id IN (%s)", list(std::vector<int>{})), usage_error);
}

TEST_F(formatting_test, IdentifiersAndSchemaQualifiedNames) {
  db.execute("CREATE TABLE %I (%I int)", "Mixed Case", "my col");
  db.execute("INSERT INTO %I VALUES (%s)", ident(schema, "Mixed Case"), 5);
  EXPECT_EQ(db.scalar<int>("SELECT %I FROM %I", "my col", "Mixed Case"), 5);
}

TEST_F(formatting_test, UpdateAndDeleteHelpers) {
  db.execute("CREATE TABLE t (id int, v text)");
  db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL)");
  EXPECT_EQ(db.update("t", fields{{"v", "z"}}, fields{{"id", 1}}), 1);
  EXPECT_EQ(db.update("t", std::map<std::string, std::string>{{"v", "w"}}, fields{{"v", nullptr}}), 1);
  EXPECT_EQ(db.scalar<std::string>("SELECT string_agg(v, ',' ORDER BY id) FROM t"), "z,b,w");
  EXPECT_EQ(db.delete_where("t", fields{{"id", 2}}), 1);
  EXPECT_THROW(db.delete_where("t", fields{}), usage_error);
  EXPECT_THROW(db.update("t", fields{{"v", "x"}}, fields{}), usage_error);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 2);
}

TEST_F(formatting_test, LikeEscapeFindsLiteralPercentAndUnderscore) {
  db.execute("CREATE TABLE files (name text)");
  db.execute("INSERT INTO files VALUES ('100%_done'), ('100x_done'), ('100%xdone'), ('a\\b')");
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM files WHERE name LIKE %s", like_escape("100%_") + "%"), 1);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM files WHERE name LIKE %s", like_escape("a\\b")), 1);
}

TEST_F(formatting_test, NamedAndPositionalMix) {
  EXPECT_EQ(db.scalar<int>("SELECT %(a)s + %s + %(a)s * %(b)s", "a"_a = 2, 10, arg("b", 3)), 2 + 10 + 2 * 3);
}

// Strings built from the characters that break naive SQL building.
std::string hostile_string(std::mt19937& rng, std::size_t max_pieces = 12) {
  static const std::vector<std::string> pieces = {
      "'",  "''", "\"", "\\",           ";", "--", "/*", "*/", "$1", "$$", "$a$", "%s", "%%", "%(x)s", "%S",
      "\n", "\r", " ",  "DROP TABLE t", "é", "✓",  "\t", "E'", "x",  "0",  ")",   "("};
  std::uniform_int_distribution<std::size_t> count(1, max_pieces);
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::string s;
  for (std::size_t n = count(rng); n > 0; --n) s += pieces[pick(rng)];
  return s;
}

TEST_F(formatting_test, HostileValuesKeysAndIdentifiersRoundTripExactly) {
  std::mt19937 rng(20261127);  // fixed seed: a failure reproduces
  for (int round = 0; round < 200; ++round) {
    const std::string table = hostile_string(rng, 4);  // at most 48 bytes: a whole identifier
    const std::string column = hostile_string(rng, 4);
    const std::string value = hostile_string(rng);
    SCOPED_TRACE("table [" + table + "] column [" + column + "] value [" + value + "]");

    db.execute("CREATE TABLE %I (id int, %I text)", table, column);
    db.insert(table, {{"id", round}, {column, value}});
    EXPECT_EQ(db.scalar<std::string>("SELECT %I FROM %I WHERE %W", column, table, fields{{"id", round}}), value);
    EXPECT_EQ(db.update(table, fields{{column, value + value}}, fields{{column, value}}), 1);
    EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM %I WHERE %I = %s", table, column, value + value), 1);
    EXPECT_EQ(db.delete_where(table, fields{{column, value + value}}), 1);
    EXPECT_EQ(db.execute("DROP TABLE %I", table), 0);
  }
  // Nothing else was created or dropped along the way.
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM pg_tables WHERE schemaname = %s", schema), 0);
  EXPECT_GT(admin.scalar<std::int64_t>("SELECT count(*) FROM pg_namespace WHERE nspname = %s", schema), 0);
}

TEST_F(formatting_test, VeryLongHostileValueRoundTrips) {
  std::string value;
  for (int i = 0; i < 20000; ++i) value += "';\"\\%s$1--/*✓";
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", value), value);
}

}  // namespace
}  // namespace pgwrap::test
