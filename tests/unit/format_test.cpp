// The expansion of every directive, through format_query (no server needed).
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <utility>
#include <vector>

namespace pgwrap {
namespace {

using namespace pgwrap::literals;
using params = std::vector<std::optional<std::string>>;

std::size_t analyze_sql_positional(std::string_view sql) { return detail::analyze_sql(sql).positional; }

TEST(format, PositionalAndPercent) {
  const auto f = format_query("SELECT %s, %s, 7 %% 3, '%s'", 1, "two");
  EXPECT_EQ(f.sql, "SELECT $1, $2, 7 % 3, '%s'");
  EXPECT_EQ(f.params, (params{"1", "two"}));
  EXPECT_EQ(f.param_types, (std::vector<std::uint32_t>{oid::int4, oid::unknown}));
}

TEST(format, NamedArgumentsReuseTheirParameter) {
  const auto f = format_query("SELECT %(id)s, %s, %(id)s, %(n)s", arg("id", 7), "x", "n"_a = 2.5);
  EXPECT_EQ(f.sql, "SELECT $1, $2, $1, $3");
  EXPECT_EQ(f.params, (params{"7", "x", "2.5"}));
}

TEST(format, SetListFromFieldsKeepsOrder) {
  const fields data{{"first_name", "sean"}, {"last_name", "reifschneider"}};
  const auto f = format_query("UPDATE t SET %S WHERE id = %(id)s", data, arg("id", 1));
  EXPECT_EQ(f.sql, R"(UPDATE t SET "first_name" = $1, "last_name" = $2 WHERE id = $3)");
  EXPECT_EQ(f.params, (params{"sean", "reifschneider", "1"}));
}

TEST(format, SetListFromStdMapAndVectorOfPairs) {
  const std::map<std::string, int> m{{"b", 2}, {"a", 1}};
  EXPECT_EQ(format_query("UPDATE t SET %S", m).sql, R"(UPDATE t SET "a" = $1, "b" = $2)");
  const std::vector<std::pair<std::string, std::optional<int>>> v{{"z", 1}, {"y", std::nullopt}};
  const auto f = format_query("UPDATE t SET %S", v);
  EXPECT_EQ(f.sql, R"(UPDATE t SET "z" = $1, "y" = $2)");
  EXPECT_EQ(f.params, (params{"1", std::nullopt}));  // SET to NULL is a NULL parameter
}

TEST(format, WhereJoinsWithAndOrAndNullBecomesIsNull) {
  const fields where{{"a", 1}, {"b", nullptr}, {"c", "x"}};
  EXPECT_EQ(format_query("SELECT * FROM t WHERE %W", where).sql,
            R"(SELECT * FROM t WHERE ("a" = $1 AND "b" IS NULL AND "c" = $2))");
  EXPECT_EQ(format_query("SELECT * FROM t WHERE %A", where).sql,
            R"(SELECT * FROM t WHERE ("a" = $1 AND "b" IS NULL AND "c" = $2))");
  EXPECT_EQ(format_query("SELECT * FROM t WHERE %O", where).sql,
            R"(SELECT * FROM t WHERE ("a" = $1 OR "b" IS NULL OR "c" = $2))");
  EXPECT_EQ(format_query("SELECT * FROM t WHERE %O", where).params, (params{"1", "x"}));
}

TEST(format, EmptyMaps) {
  const fields none;
  EXPECT_EQ(format_query("SELECT 1 WHERE %W", none).sql, "SELECT 1 WHERE TRUE");
  EXPECT_EQ(format_query("SELECT 1 WHERE %O", none).sql, "SELECT 1 WHERE FALSE");
  try {
    (void)format_query("UPDATE t SET %S", none);
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(), "argument 1 for %S: the map is empty; a SET list needs at least one column");
  }
}

TEST(format, ListExpandsAndArrayStaysOneParameter) {
  const std::vector<int> ids{3, 1, 2};
  const auto expanded = format_query("SELECT * FROM t WHERE id IN (%s)", list(ids));
  EXPECT_EQ(expanded.sql, "SELECT * FROM t WHERE id IN ($1, $2, $3)");
  EXPECT_EQ(expanded.params, (params{"3", "1", "2"}));
  EXPECT_EQ(format_query("SELECT %s", list({"a", "b"})).sql, "SELECT $1, $2");

  const auto array = format_query("SELECT * FROM t WHERE id = ANY(%s)", ids);
  EXPECT_EQ(array.sql, "SELECT * FROM t WHERE id = ANY($1)");
  EXPECT_EQ(array.params, (params{R"({"3","1","2"})"}));             // sent in binary; shown as PostgreSQL spells it
  EXPECT_EQ(array.param_types, (std::vector<std::uint32_t>{1007}));  // int4[]
  const std::vector<std::optional<std::string>> texts{"a\"b", std::nullopt, "c\\d"};
  EXPECT_EQ(format_query("SELECT %s", texts).params, (params{R"({"a\"b",NULL,"c\\d"})"}));
}

TEST(format, EmptyListIsAClearError) {
  const std::vector<int> none;
  try {
    (void)format_query("SELECT * FROM t WHERE id IN (%s)", list(none));
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("argument 1 for %s: the pgwrap::list is empty"), std::string::npos)
        << e.what();
  }
}

TEST(format, IdentifiersAreQuoted) {
  EXPECT_EQ(format_query("SELECT * FROM %I", "users").sql, R"(SELECT * FROM "users")");
  EXPECT_EQ(format_query("SELECT * FROM %I", ident("my schema", "Order")).sql, R"(SELECT * FROM "my schema"."Order")");
  EXPECT_EQ(format_query("SELECT %I FROM t", std::string("a\"b; DROP TABLE t; --")).sql,
            R"(SELECT "a""b; DROP TABLE t; --" FROM t)");
  EXPECT_TRUE(format_query("SELECT %I FROM t", "x").params.empty());
  EXPECT_THROW((void)format_query("SELECT %I", ""), usage_error);
}

TEST(format, MapKeysAreQuotedIdentifiers) {
  const fields hostile{{"a\" = 1; DROP TABLE t; --", "v"}};
  EXPECT_EQ(format_query("UPDATE t SET %S", hostile).sql, R"(UPDATE t SET "a"" = 1; DROP TABLE t; --" = $1)");
}

TEST(format, RuntimeSqlGetsTheSameChecks) {
  auto message = [](auto&&... args) -> std::string {
    try {
      (void)format_query(args...);
    } catch (const usage_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message(runtime_sql("UPDATE t SET %S"), 5),
            "argument 1 for %S: needs a map of column to value, not a value");
  EXPECT_EQ(message(runtime_sql("SELECT %I"), 5), "argument 1 for %I: needs an identifier or a string, not a value");
  EXPECT_EQ(message(runtime_sql("SELECT %s"), fields{{"a", 1}}),
            "argument 1 for %s: needs a value or a pgwrap::list, not a map (maps go with %S, %W or %O; "
            "identifiers with %I)");
  EXPECT_EQ(message(runtime_sql("SELECT %(id)s")),
            "no argument named \"id\" for %(id)s; pass pgwrap::arg(\"id\", value)");
  EXPECT_EQ(message(runtime_sql("SELECT 1"), arg("id", 1)),
            "the argument named \"id\" is not used: the SQL has no %(id)s");
  EXPECT_EQ(message(runtime_sql("SELECT %(id)s"), arg("id", 1), arg("id", 2)), "two arguments are named \"id\"");
  EXPECT_EQ(message(runtime_sql("SELECT %(id)s, %(x)s"), arg("id", 1), arg("y", 2)),
            "no argument named \"x\" for %(x)s; pass pgwrap::arg(\"x\", value)");
  EXPECT_EQ(message(runtime_sql("SELECT %s, %s"), 1), "the SQL has 2 placeholders but 1 argument was given");
  EXPECT_EQ(message(runtime_sql("SELECT %d")),
            "invalid SQL: unknown directive; write %% for a literal percent sign (e.g. the modulo operator) "
            "at offset 7: %d");
}

TEST(format, ToStringShowsTheParameters) {
  const auto f = format_query("SELECT %s, %s, %s", "it's", nullptr, 42);
  EXPECT_EQ(f.to_string(), "SELECT $1, $2, $3 -- $1 = 'it''s', $2 = NULL, $3 = '42'");
}

TEST(format, LikeEscape) {
  EXPECT_EQ(like_escape("100% of a_b\\c"), "100\\% of a\\_b\\\\c");
  EXPECT_EQ(like_escape("plain"), "plain");
}

TEST(format, NulInAListElementNamesTheArgument) {
  const std::vector<std::string> v{"ok", std::string("a\0b", 3)};
  try {
    (void)format_query("SELECT %s, %s", 1, list(v));
    FAIL() << "expected conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("argument 2: string contains a NUL byte at offset 1"), std::string::npos)
        << e.what();
  }
}

TEST(format, ContinuedEscapeStringsKeepTheirEscapes) {
  // PostgreSQL joins E'a' and a following '...' after a newline into one E'' literal.
  EXPECT_TRUE(format_query(runtime_sql("SELECT E'a'\n'\\' %s -- '")).params.empty());
  EXPECT_EQ(format_query(runtime_sql("SELECT E'a'\n'\\' -- ' || %s"), 1).sql, "SELECT E'a'\n'\\' -- ' || $1");
  EXPECT_EQ(format_query(runtime_sql("SELECT E'a' -- c\n'\\''")).sql, "SELECT E'a' -- c\n'\\''");
  // Without a newline there is no continuation (and 'b' after E'a' is then just another token).
  EXPECT_EQ(analyze_sql_positional("SELECT E'a' '\\' %s"), 1u);
}

TEST(format, ExpansionsStayTokensOfTheirOwn) {
  EXPECT_EQ(format_query("SELECT a%s", 1).sql, "SELECT a $1");
  EXPECT_EQ(format_query("SELECT %sx", 1).sql, "SELECT $1 x");
  EXPECT_EQ(format_query("SELECT %I$$ %s x$$", "t").sql, R"(SELECT "t" $$ %s x$$)");
  EXPECT_THROW((void)format_query(runtime_sql("SELECT %s$1"), 1),
               usage_error);  // $1 after a directive is a placeholder
}

}  // namespace
}  // namespace pgwrap
