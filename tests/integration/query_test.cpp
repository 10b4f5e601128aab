// query, queryone, execute, scalar: parameters, placeholders, results.
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

using query_test = db_test;

TEST_F(query_test, ParametersOfEveryCoreTypeRoundTrip) {
  EXPECT_EQ(db.scalar<bool>("SELECT %s", true), true);
  EXPECT_EQ(db.scalar<bool>("SELECT %s", false), false);
  EXPECT_EQ(db.scalar<std::int16_t>("SELECT %s", std::numeric_limits<std::int16_t>::min()),
            std::numeric_limits<std::int16_t>::min());
  EXPECT_EQ(db.scalar<std::int32_t>("SELECT %s", std::numeric_limits<std::int32_t>::max()),
            std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT %s", std::numeric_limits<std::int64_t>::min()),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(db.scalar<std::uint64_t>("SELECT %s", std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(db.scalar<double>("SELECT %s", 0.1), 0.1);
  EXPECT_EQ(db.scalar<float>("SELECT %s", 1.5f), 1.5f);
  EXPECT_TRUE(std::isnan(db.scalar<double>("SELECT %s", std::nan(""))));
  EXPECT_EQ(db.scalar<double>("SELECT %s", -std::numeric_limits<double>::infinity()),
            -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::signbit(db.scalar<double>("SELECT %s", -0.0)));
  const std::string s = "Al Bert";
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", s), s);
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", std::string_view("view, not terminated").substr(0, 4)), "view");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", "literal"), "literal");
  const char* c_string = "c string";
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", c_string), "c string");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", std::string("ünïcødé ✓")), "ünïcødé ✓");
}

TEST_F(query_test, NullParameters) {
  EXPECT_EQ(db.scalar<std::optional<int>>("SELECT %s", std::optional<int>{}), std::nullopt);
  EXPECT_EQ(db.scalar<std::optional<int>>("SELECT %s", std::optional<int>{7}), 7);
  EXPECT_TRUE(db.scalar<bool>("SELECT %s::text IS NULL", nullptr));
  EXPECT_TRUE(db.scalar<bool>("SELECT %s::int IS NULL", std::nullopt));
  const char* null_c_string = nullptr;
  EXPECT_TRUE(db.scalar<bool>("SELECT %s::text IS NULL", null_c_string));
}

TEST_F(query_test, ValuesAreDataNeverSql) {
  db.execute("CREATE TABLE t (v text)");
  const std::string hostile = "x'); DROP TABLE t; -- %s $1 \\ \"";
  db.execute("INSERT INTO t VALUES (%s)", hostile);
  EXPECT_EQ(db.scalar<std::string>("SELECT v FROM t"), hostile);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE v = %s", hostile), 1);
}

TEST_F(query_test, PercentInQuotedTextIsNotAPlaceholder) {
  EXPECT_EQ(db.scalar<std::string>("SELECT '%s and %%'"), "%s and %%");
  EXPECT_EQ(db.scalar<std::string>("SELECT E'it\\'s %s'"), "it's %s");
  EXPECT_EQ(db.scalar<std::string>("SELECT $$%s$$"), "%s");
  EXPECT_EQ(db.scalar<std::string>("SELECT $tag$ %s $x$ $tag$"), " %s $x$ ");
  EXPECT_EQ(db.query("SELECT 1 AS \"a%s\"").columns().at(0), "a%s");
  EXPECT_EQ(db.scalar<int>("SELECT %s -- %s\n", 1), 1);
  EXPECT_EQ(db.scalar<int>("SELECT /* %s /* nested %s */ */ %s", 2), 2);
  EXPECT_EQ(db.scalar<int>("SELECT 7 %% 3"), 1);  // %% is a literal percent: modulo here
}

TEST_F(query_test, ResultIteratesIndexesAndNamesColumns) {
  const auto r = db.query("SELECT g AS n, g * 2 AS twice FROM generate_series(1, 3) g ORDER BY g");
  EXPECT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(r.columns(), (std::vector<std::string_view>{"n", "twice"}));
  std::vector<int> seen;
  for (auto row : r) seen.push_back(row["twice"].as<int>());
  EXPECT_EQ(seen, (std::vector<int>{2, 4, 6}));
  EXPECT_EQ(r[2][0].as<int>(), 3);
  EXPECT_EQ(db.query("SELECT %s AS x", 5)[0]["x"].as<int>(), 5);
  EXPECT_THROW((void)r[3], usage_error);
}

TEST_F(query_test, EmptyResultIteratesZeroTimes) {
  int n = 0;
  for (auto row : db.query("SELECT 1 WHERE false")) {
    (void)row;
    ++n;
  }
  EXPECT_EQ(n, 0);
  EXPECT_TRUE(db.query("SELECT 1 WHERE false").empty());
}

TEST_F(query_test, QueriesRunWhileAnotherResultIsIterated) {
  db.execute("CREATE TABLE parent (id int)");
  db.execute("INSERT INTO parent SELECT generate_series(1, 5)");
  std::int64_t total = 0;
  auto outer = db.query("SELECT id FROM parent ORDER BY id");
  for (auto row : outer) {
    const int id = row["id"].as<int>();
    total += db.scalar<std::int64_t>("SELECT count(*) FROM parent WHERE id <= %s", id);
    db.execute("INSERT INTO parent VALUES (%s)", id + 100);
  }
  EXPECT_EQ(total, 1 + 2 + 3 + 4 + 5);
  EXPECT_EQ(outer.size(), 5u);  // the earlier result is unaffected by the later inserts
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM parent"), 10);
}

TEST_F(query_test, ExecuteReturnsAffectedRows) {
  db.execute("CREATE TABLE t (v int)");
  EXPECT_EQ(db.execute("INSERT INTO t SELECT generate_series(1, 4)"), 4);
  EXPECT_EQ(db.execute("UPDATE t SET v = v + 1 WHERE v > %s", 1), 3);
  EXPECT_EQ(db.execute("DELETE FROM t"), 4);
  EXPECT_EQ(db.execute("CREATE TABLE u (v int)"), 0);
}

TEST_F(query_test, QueryoneGivesFirstRowOrNothing) {
  EXPECT_FALSE(db.queryone("SELECT 1 WHERE false").has_value());
  const auto first = db.queryone("SELECT g FROM generate_series(5, 9) g ORDER BY g");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)[0].as<int>(), 5);
}

TEST_F(query_test, ScalarNeedsExactlyOneRow) {
  EXPECT_EQ(db.scalar<int>("SELECT 41 + %s", 1), 42);
  EXPECT_THROW(db.scalar<int>("SELECT 1 WHERE false"), unexpected_rows);
  EXPECT_THROW(db.scalar<int>("SELECT generate_series(1, 2)"), unexpected_rows);
}

TEST_F(query_test, RuntimeSqlIsCheckedBeforeAnythingIsSent) {
  const std::string table = "t";
  db.execute("CREATE TABLE t (v int)");
  db.commit();
  const std::string insert = "INSERT INTO " + quote_identifier(table) + " VALUES (%s)";
  EXPECT_EQ(db.execute(runtime_sql(insert), 1), 1);
  db.commit();

  pgwrap::database fresh = connect();  // not connected yet: connecting would be the first thing sent
  try {
    fresh.execute(runtime_sql(insert));
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(), "the SQL has 1 placeholder but 0 arguments were given");
  }
  try {
    fresh.execute(runtime_sql(insert), 1, 2);
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(), "the SQL has 1 placeholder but 2 arguments were given");
  }
  EXPECT_FALSE(fresh.is_connected()) << "a rejected call must send nothing, not even connect";
  EXPECT_EQ(db.execute(runtime_sql(insert), 2), 1);                  // the same runtime text again, now known...
  EXPECT_THROW(db.execute(runtime_sql(insert), 3, 4), usage_error);  // ...is still checked on every call
  db.rollback();
  EXPECT_EQ(fresh.scalar<std::int64_t>("SELECT count(*) FROM t"), 1);
}

TEST_F(query_test, RuntimeSqlGetsTheCompileTimeRules) {
  auto message_of = [&](std::string sql) -> std::string {
    try {
      db.query(runtime_sql(sql));
    } catch (const usage_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message_of("SELECT 'abc").find("unterminated quoted string at offset 7"), std::string::npos);
  EXPECT_NE(message_of("SELECT \"abc").find("unterminated quoted identifier"), std::string::npos);
  EXPECT_NE(message_of("SELECT $x$ abc").find("unterminated dollar-quoted string"), std::string::npos);
  EXPECT_NE(message_of("SELECT /* abc").find("unterminated /* comment"), std::string::npos);
  EXPECT_NE(message_of("SELECT $1").find("write %s"), std::string::npos);
  EXPECT_NE(message_of("SELECT 5 % 2").find("unknown directive"), std::string::npos);
  EXPECT_NE(message_of("SELECT 5 %").find("at the end"), std::string::npos);
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(query_test, StringWithNulIsRejectedNotTruncated) {
  const std::string with_nul("ab\0cd", 5);
  try {
    db.scalar<std::string>("SELECT %s", with_nul);
    FAIL() << "expected conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("argument 1: string contains a NUL byte at offset 2"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(query_test, EmptyAndMultiStatementSql) {
  EXPECT_THROW(db.execute(""), usage_error);
  db.rollback();
  EXPECT_THROW(db.execute("SELECT 1; SELECT 2"), syntax_error);
}

TEST_F(query_test, CopyThroughQueryIsRefusedAndTheConnectionStaysUsable) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (v int)");
  EXPECT_THROW(db.execute("COPY t FROM STDIN"), usage_error);
  EXPECT_THROW(db.execute("COPY (SELECT generate_series(1, 1000)) TO STDOUT"), usage_error);
  EXPECT_EQ(db.scalar<int>("SELECT 3"), 3);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
}

TEST_F(query_test, NoticesGoToTheHandler) {
  std::vector<std::string> notices;
  db.on_notice([&](std::string_view m) { notices.emplace_back(m); });
  db.execute("DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0], "NOTICE:  hello 42");
}

}  // namespace
}  // namespace pgwrap::test
