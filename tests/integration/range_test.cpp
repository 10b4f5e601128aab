// Ranges and multiranges through a real server: each value goes out as a
// parameter and comes back in binary (typed reads) and in text (untyped
// reads); the server reads the parameter as the value its literal is; the
// server's own text and binary forms read back as the same value; and
// to_string() prints what the server's ::text prints. Also: a numeric that
// is integral reads into integers (and one that is not does not).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <vector>

#include "binary_fetch.hpp"
#include "test_db.hpp"

namespace pgwrap {
// Readable failures.
template <typename T>
void PrintTo(const range<T>& r, std::ostream* os) {
  if constexpr (requires { r.to_string(); }) *os << r.to_string();
}
template <typename T>
void PrintTo(const multirange<T>& m, std::ostream* os) {
  *os << m.to_string();
}
}  // namespace pgwrap

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using us = std::chrono::microseconds;
using ts = std::chrono::local_time<us>;
using tstz = std::chrono::sys_time<us>;
using std::chrono::sys_days;

class range_test : public db_test {
 protected:
  void SetUp() override {
    db_test::SetUp();
    if (IsSkipped()) return;
    db.set_autocommit(true);  // so that SET outlives its statement
    db.execute("SET TimeZone = 'UTC'");
  }
};

sys_days day(int y, unsigned m, unsigned d) {
  return sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d));
}
ts local(int y, unsigned m, unsigned d, std::chrono::microseconds t = {}) {
  return ts(day(y, m, d).time_since_epoch() + t);
}
tstz utc(int y, unsigned m, unsigned d, std::chrono::microseconds t = {}) { return tstz(day(y, m, d) + t); }

// `sent` goes out; `back` is what the server makes of it (canonicalised), and
// what `literal` (SQL for the same value) reads as.
template <typename R>
void expect_round_trip(database& db, const R& sent, const R& back, const std::string& literal) {
  SCOPED_TRACE("for " + literal);
  const auto server_text = db.scalar<std::string>(runtime_sql("SELECT (" + literal + ")::text"));
  // Out as a parameter, back in binary (a typed read of a type the codec reads in binary).
  EXPECT_EQ(db.scalar<R>("SELECT %s", sent), back);
  // The server reads the parameter as the same value.
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", sent), server_text);
  EXPECT_TRUE(db.scalar<bool>(runtime_sql("SELECT %s = " + literal), sent));
  // Untyped reads come in text.
  EXPECT_EQ((*db.queryone("SELECT %s", sent))[0].template as<R>(), back);
  EXPECT_EQ((*db.queryone(runtime_sql("SELECT " + literal)))[0].template as<R>(), back);
  // The server's binary and text forms, as it sends them.
  const auto binary = fetch_value("SELECT " + literal, wire_format::binary);
  ASSERT_TRUE(binary);
  EXPECT_TRUE(codec<R>::reads_binary(binary->type_oid)) << binary->type_oid;
  EXPECT_EQ(codec<R>::decode(binary->view()), back);
  const auto text = fetch_value("SELECT " + literal, wire_format::text);
  ASSERT_TRUE(text);
  EXPECT_EQ(codec<R>::decode(text->view()), back) << text->bytes;
  // pgwrap prints what the server prints.
  EXPECT_EQ(back.to_string(), server_text);
}

template <typename R>
void expect_round_trip(database& db, const R& value, const std::string& literal) {
  expect_round_trip(db, value, value, literal);
}

TEST_F(range_test, Int4Range) {
  using r = range<int>;
  expect_round_trip(db, r::closed_open(1, 5), "'[1,5)'::int4range");
  // Discrete ranges are canonicalised by the server: [1,5] is [1,6), (1,5) is [2,5).
  expect_round_trip(db, r::closed(1, 5), r::closed_open(1, 6), "'[1,5]'::int4range");
  expect_round_trip(db, r::open(1, 5), r::closed_open(2, 5), "'(1,5)'::int4range");
  expect_round_trip(db, r::open_closed(-10, -1), r::closed_open(-9, 0), "'(-10,-1]'::int4range");
  expect_round_trip(db, r::less_than(5), "'(,5)'::int4range");
  expect_round_trip(db, r::at_most(5), r::less_than(6), "'(,5]'::int4range");
  expect_round_trip(db, r::at_least(3), "'[3,)'::int4range");
  expect_round_trip(db, r::greater_than(3), r::at_least(4), "'(3,)'::int4range");
  expect_round_trip(db, r::unbounded(), "'(,)'::int4range");
  expect_round_trip(db, r::empty(), "'empty'::int4range");
  expect_round_trip(db, r::closed_open(3, 3), r::empty(), "'[3,3)'::int4range");
  expect_round_trip(db, r::closed_open(std::numeric_limits<int>::min(), std::numeric_limits<int>::max()),
                    "'[-2147483648,2147483647)'::int4range");
}

TEST_F(range_test, Int8Range) {
  using r = range<std::int64_t>;
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  expect_round_trip(db, r::closed_open(lo, hi), "'[-9223372036854775808,9223372036854775807)'::int8range");
  expect_round_trip(db, r::closed(1, 5), r::closed_open(1, 6), "'[1,5]'::int8range");
  expect_round_trip(db, r::at_least(5'000'000'000), "'[5000000000,)'::int8range");
  expect_round_trip(db, r::empty(), "'empty'::int8range");
}

TEST_F(range_test, NumRange) {
  using r = range<numeric>;
  // Continuous: no canonicalisation, inclusivity and scale kept.
  expect_round_trip(db, r::closed(numeric("1.50"), numeric("2.25")), "'[1.50,2.25]'::numrange");
  expect_round_trip(db, r::open(numeric("-0.001"), numeric("1e3")), "'(-0.001,1000)'::numrange");
  expect_round_trip(db, r::open_closed(numeric("1"), numeric("1.0000000000000000000001")),
                    "'(1,1.0000000000000000000001]'::numrange");
  expect_round_trip(db, r::less_than(numeric("3.0")), "'(,3.0)'::numrange");
  expect_round_trip(db, r::at_least(numeric("-Infinity")), "'[-Infinity,)'::numrange");
  expect_round_trip(db, r::unbounded(), "'(,)'::numrange");
  expect_round_trip(db, r::empty(), "'empty'::numrange");
}

TEST_F(range_test, DateRange) {
  using r = range<sys_days>;
  expect_round_trip(db, r::closed(day(2020, 1, 1), day(2020, 2, 1)), r::closed_open(day(2020, 1, 1), day(2020, 2, 2)),
                    "'[2020-01-01,2020-02-01]'::daterange");
  expect_round_trip(db, r::closed_open(day(-100, 3, 1), day(10000, 1, 1)), "'[0101-03-01 BC,10000-01-01)'::daterange");
  expect_round_trip(db, r::at_least(day(2024, 2, 29)), "'[2024-02-29,)'::daterange");
  expect_round_trip(db, r::empty(), "'empty'::daterange");
  // The other date types pgwrap reads.
  using ymd = std::chrono::year_month_day;
  expect_round_trip(db, range<ymd>::closed_open(ymd(day(2021, 5, 6)), ymd(day(2021, 5, 9))),
                    "'[2021-05-06,2021-05-09)'::daterange");
  using ld = std::chrono::local_days;
  expect_round_trip(db, range<ld>::less_than(ld(day(2021, 5, 9).time_since_epoch())), "'(,2021-05-09)'::daterange");
  // infinity is a bound value, not an absent bound: it needs with_infinity.
  using inf_day = with_infinity<sys_days>;
  expect_round_trip(db, range<inf_day>::closed_open(inf_day(day(2020, 1, 1)), inf_day::infinity()),
                    "'[2020-01-01,infinity)'::daterange");
  EXPECT_THROW((void)db.scalar<r>("SELECT '[2020-01-01,infinity)'::daterange"), conversion_error);
}

TEST_F(range_test, TsRange) {
  using r = range<ts>;
  expect_round_trip(db, r::closed_open(local(2020, 1, 1), local(2020, 1, 2, 3h + 4min + 5s + 500ms)),
                    "'[\"2020-01-01 00:00:00\",\"2020-01-02 03:04:05.5\")'::tsrange");
  expect_round_trip(db, r::closed(local(1999, 12, 31, 23h + 59min + 59s + 999999us), local(2000, 1, 1)),
                    "'[\"1999-12-31 23:59:59.999999\",\"2000-01-01 00:00:00\"]'::tsrange");
  expect_round_trip(db, r::greater_than(local(-43, 3, 15, 12h)), "'(\"0044-03-15 12:00:00 BC\",)'::tsrange");
  expect_round_trip(db, r::empty(), "'empty'::tsrange");
}

TEST_F(range_test, TstzRange) {
  using r = range<tstz>;
  expect_round_trip(db, r::closed_open(utc(2020, 1, 1), utc(2020, 6, 1, 12h)),
                    "'[\"2020-01-01 00:00:00+00\",\"2020-06-01 12:00:00+00\")'::tstzrange");
  expect_round_trip(db, r::at_most(utc(2038, 1, 19, 3h + 14min + 8s)), "'(,\"2038-01-19 03:14:08+00\"]'::tstzrange");
  expect_round_trip(db, r::unbounded(), "'(,)'::tstzrange");
  // A bound written in another zone is the same instant.
  EXPECT_EQ(db.scalar<r>("SELECT '[2020-01-01 01:00+01,)'::tstzrange"), r::at_least(utc(2020, 1, 1)));
  // Seconds are fine too.
  EXPECT_EQ(db.scalar<range<std::chrono::sys_seconds>>("SELECT '[2020-01-01 00:00:01+00,)'::tstzrange"),
            range<std::chrono::sys_seconds>::at_least(std::chrono::sys_seconds(day(2020, 1, 1)) + 1s));
}

TEST_F(range_test, NullRanges) {
  EXPECT_EQ(db.scalar<std::optional<range<int>>>("SELECT NULL::int4range"), std::nullopt);
  EXPECT_EQ((*db.queryone("SELECT NULL::daterange"))[0].as<std::optional<range<sys_days>>>(), std::nullopt);
  EXPECT_TRUE(db.scalar<bool>("SELECT %s::int4range IS NULL", std::optional<range<int>>()));
  // A typed NULL: no cast needed.
  EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", std::optional<range<std::int64_t>>()), "int8range");
  EXPECT_THROW((void)db.scalar<range<int>>("SELECT NULL::int4range"), unexpected_null);
}

TEST_F(range_test, RangeColumns) {
  db.execute("CREATE TABLE bookings (id int, during tstzrange, days daterange, seats int4range)");
  const auto during = range<tstz>::closed_open(utc(2026, 12, 3, 9h), utc(2026, 12, 3, 10h));
  const auto days = range<sys_days>::closed(day(2026, 12, 3), day(2026, 12, 5));
  db.execute("INSERT INTO bookings VALUES (1, %s, %s, %s)", during, days, range<int>::closed(1, 4));
  const auto [d, ds, s] =
      *db.queryone<range<tstz>, range<sys_days>, range<int>>("SELECT during, days, seats FROM bookings WHERE id = 1");
  EXPECT_EQ(d, during);
  EXPECT_EQ(ds, range<sys_days>::closed_open(day(2026, 12, 3), day(2026, 12, 6)));
  EXPECT_EQ(s, range<int>::closed_open(1, 5));
  // Range operators with parameters.
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM bookings WHERE during @> %s", utc(2026, 12, 3, 9h + 30min)),
            1);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM bookings WHERE days && %s",
                                    range<sys_days>::at_least(day(2026, 12, 6))),
            0);
}

TEST_F(range_test, ArraysOfRanges) {
  using r = range<int>;
  const std::vector<r> v{r::closed_open(1, 3), r::empty(), r::at_least(7), r::unbounded()};
  const std::string literal = "ARRAY['[1,3)', 'empty', '[7,)', '(,)']::int4range[]";
  const auto server_text = db.scalar<std::string>(runtime_sql("SELECT (" + literal + ")::text"));
  EXPECT_EQ(server_text, R"x({"[1,3)",empty,"[7,)","(,)"})x");
  EXPECT_EQ(db.scalar<std::vector<r>>("SELECT %s", v), v);
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", v), server_text);
  EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", v), "int4range[]");
  EXPECT_EQ((*db.queryone("SELECT %s", v))[0].as<std::vector<r>>(), v);
  const auto binary = fetch_value("SELECT " + literal, wire_format::binary);
  ASSERT_TRUE(binary);
  EXPECT_TRUE(codec<std::vector<r>>::reads_binary(binary->type_oid));
  EXPECT_EQ(codec<std::vector<r>>::decode(binary->view()), v);
  const auto text = fetch_value("SELECT " + literal, wire_format::text);
  EXPECT_EQ(codec<std::vector<r>>::decode(text->view()), v);

  // NULL elements, two dimensions, and the element types with quoted text.
  const std::vector<std::optional<r>> with_null{r::closed_open(1, 2), std::nullopt};
  EXPECT_EQ(db.scalar<std::vector<std::optional<r>>>("SELECT %s", with_null), with_null);
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", with_null), R"x({"[1,2)",NULL})x");
  const std::vector<std::vector<r>> grid{{r::closed_open(1, 2), r::empty()}, {r::less_than(0), r::at_least(9)}};
  EXPECT_EQ(db.scalar<std::vector<std::vector<r>>>("SELECT %s", grid), grid);
  EXPECT_EQ((*db.queryone("SELECT %s", grid))[0].as<std::vector<std::vector<r>>>(), grid);
  const std::vector<range<tstz>> instants{range<tstz>::closed_open(utc(2020, 1, 1), utc(2020, 1, 2))};
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", instants),
            R"x({"[\"2020-01-01 00:00:00+00\",\"2020-01-02 00:00:00+00\")"})x");
  EXPECT_EQ(db.scalar<std::vector<range<tstz>>>("SELECT %s", instants), instants);
  EXPECT_EQ((*db.queryone("SELECT %s", instants))[0].as<std::vector<range<tstz>>>(), instants);
  const std::vector<range<numeric>> nums{range<numeric>::closed(numeric("1.5"), numeric("2.50"))};
  EXPECT_EQ(db.scalar<std::vector<range<numeric>>>("SELECT %s", nums), nums);
  EXPECT_EQ(db.scalar<std::vector<range<std::int64_t>>>("SELECT ARRAY['[1,2)']::int8range[]"),
            std::vector<range<std::int64_t>>{range<std::int64_t>::closed_open(1, 2)});
  EXPECT_TRUE(db.scalar<std::vector<r>>("SELECT '{}'::int4range[]").empty());
}

TEST_F(range_test, Multiranges) {
  using r = range<int>;
  using m = multirange<int>;
  expect_round_trip(db, m{r::closed_open(1, 3), r::closed_open(5, 7)}, "'{[1,3),[5,7)}'::int4multirange");
  // The server sorts, merges and drops empty ranges.
  expect_round_trip(db, m{r::closed(5, 6), r::closed_open(1, 3), r::empty(), r::closed_open(2, 4)},
                    m{r::closed_open(1, 4), r::closed_open(5, 7)}, "'{[1,4),[5,7)}'::int4multirange");
  expect_round_trip(db, m{}, "'{}'::int4multirange");
  expect_round_trip(db, m{r::less_than(0), r::at_least(10)}, "'{(,0),[10,)}'::int4multirange");
  expect_round_trip(db, multirange<std::int64_t>{range<std::int64_t>::closed_open(1, 2)}, "'{[1,2)}'::int8multirange");
  expect_round_trip(db, multirange<numeric>{range<numeric>::open(numeric("0.5"), numeric("1.5"))},
                    "'{(0.5,1.5)}'::nummultirange");
  expect_round_trip(db, multirange<sys_days>{range<sys_days>::closed_open(day(2020, 1, 1), day(2020, 1, 5))},
                    "'{[2020-01-01,2020-01-05)}'::datemultirange");
  expect_round_trip(db, multirange<ts>{range<ts>::closed_open(local(2020, 1, 1), local(2020, 1, 1, 1h))},
                    "'{[\"2020-01-01 00:00:00\",\"2020-01-01 01:00:00\")}'::tsmultirange");
  expect_round_trip(db, multirange<tstz>{range<tstz>::at_least(utc(2020, 1, 1))},
                    "'{[\"2020-01-01 00:00:00+00\",)}'::tstzmultirange");
  EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", m{}), "int4multirange");
  EXPECT_EQ(db.scalar<std::optional<m>>("SELECT NULL::int4multirange"), std::nullopt);
}

TEST_F(range_test, MultirangesReadAsVectorsOfRanges) {
  using r = range<int>;
  const std::vector<r> expected{r::closed_open(1, 3), r::at_least(5)};
  const std::string literal = "'{[1,3),[5,)}'::int4multirange";
  // Typed (binary), untyped (text), and both forms as the server sends them.
  EXPECT_EQ(db.scalar<std::vector<r>>(runtime_sql("SELECT " + literal)), expected);
  EXPECT_EQ((*db.queryone(runtime_sql("SELECT " + literal)))[0].as<std::vector<r>>(), expected);
  const auto binary = fetch_value("SELECT " + literal, wire_format::binary);
  EXPECT_TRUE(codec<std::vector<r>>::reads_binary(binary->type_oid));
  EXPECT_EQ(codec<std::vector<r>>::decode(binary->view()), expected);
  EXPECT_EQ(codec<std::vector<r>>::decode(fetch_value("SELECT " + literal, wire_format::text)->view()), expected);
  // A vector is still sent as an array; the server turns it into a multirange when asked.
  EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", expected), "int4range[]");
  EXPECT_EQ(db.scalar<std::vector<r>>("SELECT int4multirange(VARIADIC %s)", expected), expected);
  EXPECT_TRUE(db.scalar<std::vector<r>>("SELECT '{}'::int4multirange").empty());
  // A multirange column.
  db.execute("CREATE TABLE free (id int, slots datemultirange)");
  const multirange<sys_days> slots{range<sys_days>::closed_open(day(2026, 1, 1), day(2026, 1, 3)),
                                   range<sys_days>::closed_open(day(2026, 2, 1), day(2026, 2, 3))};
  db.execute("INSERT INTO free VALUES (1, %s)", slots);
  EXPECT_EQ(db.scalar<multirange<sys_days>>("SELECT slots FROM free"), slots);
  EXPECT_EQ(db.scalar<std::vector<range<sys_days>>>("SELECT slots FROM free"), slots.ranges());
  EXPECT_TRUE(db.scalar<bool>("SELECT slots @> %s FROM free", day(2026, 2, 2)));
}

TEST_F(range_test, BadInputIsAClearError) {
  const auto message = [&](auto read) -> std::string {
    try {
      read();
    } catch (const conversion_error& e) {
      return e.what();
    }
    return "no error";
  };
  // A bound of another type names the bound (typed: binary, untyped: text).
  auto m = message([&] { (void)db.scalar<range<sys_days>>("SELECT '[1,5)'::int4range AS r"); });
  EXPECT_NE(m.find("lower bound"), std::string::npos) << m;
  EXPECT_NE(m.find("\"r\""), std::string::npos) << m;
  m = message([&] { (void)(*db.queryone("SELECT '[1,5)'::int4range AS r"))[0].as<range<sys_days>>(); });
  EXPECT_NE(m.find("lower bound"), std::string::npos) << m;
  // Out of range for the C++ type.
  m = message([&] { (void)db.scalar<range<int>>("SELECT '[1,5000000000)'::int8range"); });
  EXPECT_NE(m.find("upper bound"), std::string::npos) << m;
  EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  // Text that is no range.
  m = message([&] { (void)db.scalar<range<int>>("SELECT 'garbage'::text"); });
  EXPECT_NE(m.find("malformed range"), std::string::npos) << m;
  m = message([&] { (void)db.scalar<range<int>>("SELECT '[1,2'::text"); });
  EXPECT_NE(m.find("malformed range"), std::string::npos) << m;
  m = message([&] { (void)db.scalar<multirange<int>>("SELECT '{[1,2)'::text"); });
  EXPECT_NE(m.find("malformed multirange"), std::string::npos) << m;
  // A range the server refuses.
  EXPECT_THROW(db.execute("SELECT %s", range<int>::closed_open(5, 1)), sql_error);
  // Bounds spelled wrong in C++.
  EXPECT_THROW((void)range<int>(1, 2, "[["), usage_error);
}

// A numeric reads into an integer when it is integral, at any scale, in
// binary (typed reads) and text (untyped reads); not otherwise.
TEST_F(range_test, IntegralNumericReadsIntoIntegers) {
  EXPECT_EQ(db.scalar<int>("SELECT 42.00::numeric"), 42);
  EXPECT_EQ((*db.queryone("SELECT 42.00::numeric"))[0].as<int>(), 42);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT -9223372036854775808.000::numeric"),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ((*db.queryone("SELECT -9223372036854775808.000::numeric"))[0].as<std::int64_t>(),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(db.scalar<std::uint64_t>("SELECT 18446744073709551615.0::numeric"),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(db.scalar<std::int16_t>("SELECT 0.0000::numeric"), 0);
  EXPECT_EQ(db.scalar<int>("SELECT 100000000::numeric"), 100000000);  // base-10000 digits with trailing zeros
  EXPECT_EQ(db.scalar<int>("SELECT %s::numeric", numeric("-1200.00")), -1200);
  EXPECT_EQ(db.scalar<std::vector<int>>("SELECT '{1.00,2,-3.0}'::numeric[]"), (std::vector<int>{1, 2, -3}));
  const auto message = [&](auto read) -> std::string {
    try {
      read();
    } catch (const conversion_error& e) {
      return e.what();
    }
    return "no error";
  };
  for (const char* sql : {"SELECT 42.50::numeric AS n", "SELECT 0.001::numeric AS n", "SELECT 'NaN'::numeric AS n"}) {
    SCOPED_TRACE(sql);
    auto m = message([&] { (void)db.scalar<int>(runtime_sql(sql)); });
    EXPECT_NE(m.find("not integral"), std::string::npos) << m;
    EXPECT_NE(m.find("\"n\""), std::string::npos) << m;
    m = message([&] { (void)(*db.queryone(runtime_sql(sql)))[0].as<int>(); });
    EXPECT_NE(m.find("not integral"), std::string::npos) << m;
  }
  // Out of range, typed and untyped.
  for (const char* sql : {"SELECT 3000000000.00::numeric", "SELECT 1e30::numeric"}) {
    SCOPED_TRACE(sql);
    auto m = message([&] { (void)db.scalar<int>(runtime_sql(sql)); });
    EXPECT_NE(m.find("out of range"), std::string::npos) << m;
    m = message([&] { (void)(*db.queryone(runtime_sql(sql)))[0].as<int>(); });
    EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  }
  auto m = message([&] { (void)db.scalar<std::uint32_t>("SELECT -1.0::numeric"); });
  EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  m = message([&] { (void)(*db.queryone("SELECT -1.0::numeric"))[0].as<std::uint32_t>(); });
  EXPECT_NE(m.find("out of range"), std::string::npos) << m;
  EXPECT_THROW((void)db.scalar<int>("SELECT 1e30::numeric"), conversion_error);
  EXPECT_THROW((void)db.scalar<std::uint16_t>("SELECT -1.00::numeric"), conversion_error);
}

}  // namespace
}  // namespace pgwrap::test
