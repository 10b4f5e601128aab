// std::vector<T> as PostgreSQL arrays through a real server: each value goes
// out as a parameter and comes back; the server must read the parameter as
// the same array it prints for the literal; and the server's own text and
// binary forms of that array must read back as the same vector.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "binary_fetch.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using opt_int = std::optional<int>;
using opt_str = std::optional<std::string>;
using array_test = db_test;

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

// Equality where NaN equals NaN.
template <typename T>
bool same(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
  } else if constexpr (is_vector<T>::value) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same<typename T::value_type>(a[i], b[i])) return false;
    }
    return true;
  } else if constexpr (detail::is_optional<T>::value) {
    return a.has_value() == b.has_value() && (!a || same(*a, *b));
  } else {
    return a == b;
  }
}

// A SQL string literal (standard_conforming_strings: only ' is special).
std::string sql_literal(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// `expr` is SQL for the same array, e.g. '{1,2}'::int[]; `type` its type.
// `binary`: whether T's element codec reads the elements' binary form (pgwrap
// asks for binary only then).
template <typename T>
void expect_round_trip(database& db, const T& v, const std::string& expr, const std::string& type,
                       bool binary_readable = true) {
  SCOPED_TRACE("for " + expr);
  // Out as a parameter, back as a (text) result.
  EXPECT_TRUE(same(db.scalar<T>("SELECT %s", v), v));
  // The server reads the parameter as the same array: it prints it the same.
  // (A vector sent as "unknown", e.g. of strings, needs the cast first: an
  // unknown literal cast straight to text stays the literal.)
  const auto server_text = db.scalar<std::string>(runtime_sql("SELECT (" + expr + ")::text"));
  if constexpr (codec<T>::type_oid != 0) {
    EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", v), server_text);
  }
  EXPECT_EQ(db.scalar<std::string>(runtime_sql("SELECT %s::" + type + "::text"), v), server_text);
  // The server's binary form reads as the same vector; pgwrap could ask for it.
  const auto binary = fetch_value("SELECT " + expr, wire_format::binary);
  ASSERT_TRUE(binary);
  EXPECT_EQ(codec<T>::reads_binary(binary->type_oid), binary_readable) << binary->type_oid;
  if (binary_readable) {
    EXPECT_TRUE(same(codec<T>::decode(binary->view()), v));
  }
  // And its text form (the same as the scalar above, without pgwrap's query path).
  const auto text = fetch_value("SELECT " + expr, wire_format::text);
  ASSERT_TRUE(text);
  EXPECT_TRUE(same(codec<T>::decode(text->view()), v)) << text->bytes;
}

TEST_F(array_test, Integers) {
  expect_round_trip(db, std::vector<int>{3, 1, 2, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()},
                    "'{3,1,2,-2147483648,2147483647}'::int[]", "int[]");
  expect_round_trip(
      db,
      std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), 0, std::numeric_limits<std::int64_t>::max()},
      "'{-9223372036854775808,0,9223372036854775807}'::bigint[]", "bigint[]");
  expect_round_trip(db, std::vector<std::int16_t>{-32768, 32767}, "'{-32768,32767}'::smallint[]", "smallint[]");
  expect_round_trip(db, std::vector<std::uint64_t>{0, std::numeric_limits<std::uint64_t>::max()},
                    "'{0,18446744073709551615}'::numeric[]", "numeric[]");
}

TEST_F(array_test, FloatsWithNaNAndInfinities) {
  const double inf = std::numeric_limits<double>::infinity();
  expect_round_trip(db,
                    std::vector<double>{std::numeric_limits<double>::quiet_NaN(), inf, -inf, 0.1, 1e300,
                                        std::numeric_limits<double>::denorm_min(), -1.5},
                    "'{NaN,Infinity,-Infinity,0.1,1e300,5e-324,-1.5}'::float8[]", "float8[]");
  expect_round_trip(db, std::vector<float>{0.1F, std::numeric_limits<float>::quiet_NaN()}, "'{0.1,NaN}'::float4[]",
                    "float4[]");
}

TEST_F(array_test, Booleans) {
  expect_round_trip(db, std::vector<bool>{true, false, true}, "'{t,f,t}'::boolean[]", "boolean[]");
}

TEST_F(array_test, HostileText) {
  const std::vector<std::string> hostile = {"a\"b",      "c\\d",      "\\",   "\"",     "x,y",       "{}",     "{",
                                            "}",         "NULL",      "null", "",       " lead",     "trail ", " ",
                                            "tab\there", "new\nline", "it's", "é日本😀", "[1:2]={3}", "$1",     "%s"};
  std::string expr = "ARRAY[";
  for (std::size_t i = 0; i < hostile.size(); ++i) expr += (i ? "," : "") + sql_literal(hostile[i]);
  expr += "]::text[]";
  expect_round_trip(db, hostile, expr, "text[]");
  // The parameter also compares equal on the server.
  EXPECT_TRUE(db.scalar<bool>(runtime_sql("SELECT %s::text[] = " + expr), hostile));
}

TEST_F(array_test, OptionalElementsWithNulls) {
  expect_round_trip(db, std::vector<opt_int>{1, std::nullopt, 3}, "'{1,NULL,3}'::int[]", "int[]");
  expect_round_trip(db, std::vector<opt_int>{std::nullopt, std::nullopt, 7}, "'{NULL,NULL,7}'::int[]", "int[]");
  expect_round_trip(db, std::vector<opt_int>{std::nullopt}, "'{NULL}'::int[]", "int[]");
  expect_round_trip(db, std::vector<opt_str>{"NULL", std::nullopt, ""}, R"('{"NULL",NULL,""}'::text[])", "text[]");
}

TEST_F(array_test, EmptyArrays) {
  expect_round_trip(db, std::vector<int>{}, "'{}'::int[]", "int[]");
  expect_round_trip(db, std::vector<std::string>{}, "'{}'::text[]", "text[]");
  expect_round_trip(db, std::vector<std::vector<int>>{}, "'{}'::int[]", "int[]");
  // No empty sub-arrays in PostgreSQL: this is `{}` too, as ARRAY[ARRAY[]::int[]] is.
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", std::vector<std::vector<int>>{{}, {}}), "{}");
}

TEST_F(array_test, MultiDimensional) {
  expect_round_trip(db, std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}}, "'{{1,2,3},{4,5,6}}'::int[]", "int[]");
  expect_round_trip(db, std::vector<std::vector<opt_str>>{{"a", std::nullopt}, {"\"", "\\"}},
                    R"('{{a,NULL},{"\"","\\"}}'::text[])", "text[]");
  expect_round_trip(db, std::vector<std::vector<std::vector<std::int64_t>>>{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}},
                    "'{{{1,2},{3,4}},{{5,6},{7,8}}}'::bigint[]", "bigint[]");
  expect_round_trip(db, std::vector<std::vector<double>>{{std::nan(""), 1}}, "'{{NaN,1}}'::float8[]", "float8[]");
  EXPECT_THROW(db.scalar<bool>("SELECT %s IS NULL", std::vector<std::vector<int>>{{1, 2}, {3}}), conversion_error);
}

TEST_F(array_test, LowerBoundsAreDropped) {
  EXPECT_EQ(db.scalar<std::vector<int>>("SELECT '[0:2]={1,2,3}'::int[]"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(db.scalar<std::vector<std::vector<int>>>("SELECT '[-1:0][5:6]={{1,2},{3,4}}'::int[]"),
            (std::vector<std::vector<int>>{{1, 2}, {3, 4}}));
  const auto binary = fetch_value("SELECT '[0:2]={1,2,3}'::int[]");
  ASSERT_TRUE(binary);
  EXPECT_EQ(codec<std::vector<int>>::decode(binary->view()), (std::vector<int>{1, 2, 3}));
}

TEST_F(array_test, ReadErrorsNameTheColumnAndTheElement) {
  try {
    (void)db.scalar<std::vector<int>>("SELECT '{{1,2},{3,4}}'::int[] AS m");
    FAIL() << "expected conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("column \"m\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a 2-D array does not fit a 1-D vector"), std::string::npos) << e.what();
  }
  try {
    (void)db.scalar<std::vector<int>>("SELECT '{1,NULL}'::int[] AS xs");
    FAIL() << "expected conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("element [1] is NULL"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db.scalar<std::vector<std::vector<int>>>("SELECT '{1,2}'::int[]"), conversion_error);
  EXPECT_THROW(db.scalar<std::vector<std::int16_t>>("SELECT '{1,70000}'::int[]"), conversion_error);
}

TEST_F(array_test, AnyAgainstColumns) {
  db.execute("CREATE TABLE t (id int, big bigint, name text, u uuid)");
  db.execute(
      "INSERT INTO t SELECT g, g * 10000000000, 'n' || g, "
      "('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid FROM generate_series(1, 10) g");
  db.execute("INSERT INTO t VALUES (11, 0, %s, NULL)", "a\"b,{c}\\ NULL");
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id = ANY(%s)", std::vector<int>{2, 4, 6, 99}), 3);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id <> ALL(%s)", std::vector<int>{2, 4}), 9);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id = ANY(%s)", std::vector<int>{}), 0);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id = ANY(%s)", std::vector<opt_int>{1, std::nullopt}),
            1);
  // bigint = ANY(int[]) and int = ANY(bigint[]) both have operators.
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE big = ANY(%s)",
                                    std::vector<std::int64_t>{20000000000, 30000000000}),
            2);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id = ANY(%s)", std::vector<std::int64_t>{1, 2}), 2);
  // Strings go as "unknown": the server makes the literal text[] or uuid[] as the column needs.
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE name = ANY(%s)",
                                    std::vector<std::string>{"n1", "n10", "nope", "a\"b,{c}\\ NULL"}),
            3);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE name = ANY(%s)", std::vector<std::string>{}), 0);
  EXPECT_EQ(db.scalar<std::int64_t>(
                "SELECT count(*) FROM t WHERE u = ANY(%s)",
                std::vector<std::string>{"00000000-0000-0000-0000-000000000003", "00000000000000000000000000000004"}),
            2);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE u = ANY(%s)",
                                    std::vector<uuid>{uuid::parse("00000000-0000-0000-0000-000000000005")}),
            1);
}

TEST_F(array_test, ArrayColumns) {
  db.execute("CREATE TABLE a (id int, xs int[], names text[], m bigint[])");
  const std::vector<opt_int> xs{1, std::nullopt, 3};
  const std::vector<std::string> names{"x,y", "\"q\"", ""};
  const std::vector<std::vector<std::int64_t>> m{{1, 2}, {3, 4}};
  db.execute("INSERT INTO a VALUES (1, %s, %s, %s)", xs, names, m);
  db.insert("a", {{"id", 2}, {"xs", std::vector<int>{}}, {"names", std::vector<opt_str>{std::nullopt}}});
  const auto r = *db.queryone("SELECT xs, names, m FROM a WHERE id = 1");
  EXPECT_EQ(r[0].as<std::vector<opt_int>>(), xs);
  EXPECT_EQ(r[1].as<std::vector<std::string>>(), names);
  EXPECT_EQ(r[2].as<std::vector<std::vector<std::int64_t>>>(), m);
  const auto r2 = *db.queryone("SELECT xs, names, m FROM a WHERE id = 2");
  EXPECT_TRUE(r2[0].as<std::vector<int>>().empty());
  EXPECT_EQ(r2[1].as<std::vector<opt_str>>(), (std::vector<opt_str>{std::nullopt}));
  EXPECT_EQ(r2[2].as<std::optional<std::vector<int>>>(), std::nullopt);  // a NULL array
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM a WHERE xs = %s", xs), 1);
}

// --- arrays of the other built-in codecs ---------------------------------------------

TEST_F(array_test, Uuids) {
  expect_round_trip(db, std::vector<uuid>{uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), uuid{}},
                    "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,00000000-0000-0000-0000-000000000000}'::uuid[]", "uuid[]");
}

TEST_F(array_test, Numerics) {
  expect_round_trip(db, std::vector<numeric>{numeric("1.50"), numeric("-12.3400"), numeric("NaN"), numeric("0")},
                    "'{1.50,-12.3400,NaN,0}'::numeric[]", "numeric[]");
  expect_round_trip(db, std::vector<std::optional<numeric>>{numeric("Infinity"), std::nullopt},
                    "'{Infinity,NULL}'::numeric[]", "numeric[]");
}

TEST_F(array_test, Byteas) {
  const std::vector<std::vector<std::byte>> blobs{
      {std::byte{0}, std::byte{0xff}}, {}, {std::byte{'\\'}, std::byte{'"'}}};
  expect_round_trip(db, blobs, R"(ARRAY['\x00ff'::bytea, '\x'::bytea, '\x5c22'::bytea])", "bytea[]");
}

TEST_F(array_test, Json) {
  expect_round_trip(db, std::vector<json>{json(R"({"a":1,  "b":"x,y"})"), json("[1, \"\\\"\"]")},
                    R"(ARRAY['{"a":1,  "b":"x,y"}'::json, '[1, "\""]'::json])", "json[]");
  expect_round_trip(db, std::vector<jsonb>{jsonb(R"({"a": 1, "b": [null, "}"]})"), jsonb("null")},
                    R"(ARRAY['{"a": 1, "b": [null, "}"]}'::jsonb, 'null'::jsonb])", "jsonb[]");
}

TEST_F(array_test, DatesAndTimes) {
  using namespace std::chrono;
  using namespace std::chrono_literals;
  expect_round_trip(db, std::vector<sys_days>{sys_days{2024y / January / 31}, sys_days{1999y / December / 31}},
                    "'{2024-01-31,1999-12-31}'::date[]", "date[]");
  expect_round_trip(
      db,
      std::vector<with_infinity<sys_days>>{sys_days{2000y / February / 29}, with_infinity<sys_days>::infinity(),
                                           with_infinity<sys_days>::minus_infinity()},
      "'{2000-02-29,infinity,-infinity}'::date[]", "date[]");
  const sys_time<microseconds> instant = sys_days{2024y / January / 31} + 12h + 34min + 56s + 789ms;
  expect_round_trip(db, std::vector<sys_time<microseconds>>{instant},
                    "'{\"2024-01-31 12:34:56.789+00\"}'::timestamptz[]", "timestamptz[]");
  const local_time<microseconds> wall{instant.time_since_epoch()};
  expect_round_trip(db, std::vector<std::optional<local_time<microseconds>>>{wall, std::nullopt},
                    "'{\"2024-01-31 12:34:56.789\",NULL}'::timestamp[]", "timestamp[]");
  expect_round_trip(db, std::vector<time_of_day>{time_of_day(12h, 34min, 56s, 789000us), time_of_day{}},
                    "'{12:34:56.789,00:00:00}'::time[]", "time[]");
  expect_round_trip(db, std::vector<interval>{interval{14, 3, 14'706'789'000}, interval{0, 0, -1'000'000}},
                    "'{\"1 year 2 mons 3 days 04:05:06.789\",-00:00:01}'::interval[]", "interval[]");
  expect_round_trip(db, std::vector<std::vector<seconds>>{{48h, 1s}}, "'{{48:00:00,00:00:01}}'::interval[]",
                    "interval[]");
}

}  // namespace
}  // namespace pgwrap::test
