// date, time, timestamp, timestamptz and interval through a real server. For
// each edge value: the parameter (binary) comes back equal, in binary
// (scalar) and in text (an untyped query); the server spells the parameter as
// it spells the same literal (both directions agree with psql); and the exact
// bytes the server sends for the literal decode to the same value as its text.
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "binary_fetch.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::local_days;
using std::chrono::local_time;
using std::chrono::microseconds;
using std::chrono::sys_days;
using std::chrono::sys_time;
using std::chrono::year_month_day;
using us_sys = sys_time<microseconds>;
using us_local = local_time<microseconds>;

using chrono_roundtrip = db_test;

constexpr year_month_day ymd(int y, unsigned m, unsigned d) {
  return year_month_day{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
}
us_sys utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0, int micro = 0) {
  return us_sys(sys_days(ymd(y, m, d))) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s) +
         microseconds(micro);
}
us_local local(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0, int micro = 0) {
  return us_local(local_days(ymd(y, m, d))) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s) + microseconds(micro);
}

// The three checks, for `value` and the SQL literal `literal`::`type` that spells it.
template <typename T>
void expect_round_trip(database& db, const T& value, const std::string& literal, const std::string& type) {
  SCOPED_TRACE("'" + literal + "'::" + type);
  const std::string literal_sql = "SELECT '" + literal + "'::" + type;
  // (1) The parameter comes back: scalar reads binary, an untyped query text.
  EXPECT_EQ(db.scalar<T>("SELECT %s", value), value);
  EXPECT_EQ(db.query("SELECT %s", value)[0][0].template as<T>(), value);
  EXPECT_TRUE(db.scalar<bool>(runtime_sql("SELECT %s IS NOT DISTINCT FROM '" + literal + "'::" + type), value));
  // (2) The server prints the parameter as it prints the literal.
  const auto server_text = db.scalar<std::string>(runtime_sql(literal_sql + "::text"));
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", value), server_text);
  // (3) The literal, read back: the exact binary bytes, and the text.
  const auto binary = fetch_value(literal_sql, wire_format::binary);
  ASSERT_TRUE(binary.has_value());
  EXPECT_TRUE(codec<T>::reads_binary(binary->type_oid));
  EXPECT_EQ(codec<T>::decode(binary->view()), value);
  EXPECT_EQ(db.scalar<T>(runtime_sql(literal_sql)), value);
  EXPECT_EQ(db.query(runtime_sql(literal_sql))[0][0].template as<T>(), value);
}

// Reading the literal fails with a conversion_error containing `why`, in binary and in text.
template <typename T>
void expect_unreadable(database& db, const std::string& literal, const std::string& type, std::string_view why) {
  SCOPED_TRACE("'" + literal + "'::" + type);
  const std::string literal_sql = "SELECT '" + literal + "'::" + type;
  for (int binary = 0; binary < 2; ++binary) {
    try {
      if (binary) {
        (void)db.scalar<T>(runtime_sql(literal_sql));
      } else {
        (void)db.query(runtime_sql(literal_sql))[0][0].template as<T>();
      }
      ADD_FAILURE() << "no conversion_error";
    } catch (const conversion_error& e) {
      EXPECT_NE(std::string_view(e.what()).find(why), std::string_view::npos) << e.what();
    }
  }
  const auto raw = fetch_value(literal_sql, wire_format::binary);
  ASSERT_TRUE(raw.has_value());
  EXPECT_THROW((void)codec<T>::decode(raw->view()), conversion_error);
}

// --- date -----------------------------------------------------------------------

TEST_F(chrono_roundtrip, Dates) {
  const std::vector<std::tuple<year_month_day, std::string>> dates = {
      {ymd(2026, 11, 27), "2026-11-27"},     {ymd(1969, 7, 20), "1969-07-20"},
      {ymd(1900, 1, 1), "1900-01-01"},       {ymd(1901, 12, 13), "1901-12-13"},
      {ymd(2038, 1, 19), "2038-01-19"},      {ymd(2100, 2, 28), "2100-02-28"},
      {ymd(2024, 2, 29), "2024-02-29"},      {ymd(2000, 1, 1), "2000-01-01"},
      {ymd(1999, 12, 31), "1999-12-31"},     {ymd(1, 1, 1), "0001-01-01"},
      {ymd(0, 12, 31), "0001-12-31 BC"},     {ymd(0, 2, 29), "0001-02-29 BC"},
      {ymd(-43, 3, 15), "0044-03-15 BC"},    {ymd(-4712, 1, 1), "4713-01-01 BC"},
      {ymd(-4713, 11, 24), "4714-11-24 BC"},  // PostgreSQL's first date
      {ymd(9999, 12, 31), "9999-12-31"},     {ymd(10000, 1, 1), "10000-01-01"},
      {ymd(32767, 12, 31), "32767-12-31"},
  };
  for (const auto& [value, literal] : dates) {
    expect_round_trip(db, value, literal, "date");
    expect_round_trip(db, sys_days(value), literal, "date");
    expect_round_trip(db, local_days(value), literal, "date");
  }
  // PostgreSQL's last date: sys_days holds it, year_month_day does not.
  const sys_days last{std::chrono::days(detail::pg_date_max + detail::pg_epoch_days)};
  expect_round_trip(db, last, "5874897-12-31", "date");
  expect_unreadable<year_month_day>(db, "5874897-12-31", "date", "outside std::chrono::year's range");
  expect_unreadable<year_month_day>(db, "32768-01-01", "date", "outside std::chrono::year's range");
}

TEST_F(chrono_roundtrip, DatesOutsidePostgresRangeAreNotSent) {
  EXPECT_THROW((void)db.scalar<sys_days>("SELECT %s", sys_days(ymd(-4713, 11, 23))), conversion_error);
  EXPECT_THROW((void)db.scalar<sys_days>("SELECT %s", sys_days::max()), conversion_error);
  EXPECT_THROW((void)db.scalar<year_month_day>("SELECT %s", ymd(2023, 2, 29)), conversion_error);
  EXPECT_EQ(db.scalar<int>("SELECT 1"), 1);  // the connection is fine
}

// --- timestamp ------------------------------------------------------------------

TEST_F(chrono_roundtrip, Timestamps) {
  const std::vector<std::tuple<us_local, std::string>> values = {
      {local(2026, 11, 27, 6, 25, 17, 123456), "2026-11-27 06:25:17.123456"},
      {local(1969, 7, 20, 20, 17, 40), "1969-07-20 20:17:40"},
      {local(1901, 12, 13, 20, 45, 52), "1901-12-13 20:45:52"},
      {local(2038, 1, 19, 3, 14, 8), "2038-01-19 03:14:08"},
      {local(2000, 1, 1, 0, 0, 0, 1), "2000-01-01 00:00:00.000001"},
      {local(1999, 12, 31, 23, 59, 59, 999999), "1999-12-31 23:59:59.999999"},
      {local(1970, 1, 1), "1970-01-01 00:00:00"},
      {local(1, 1, 1), "0001-01-01 00:00:00"},
      {local(-43, 3, 15, 12, 0, 0, 500000), "0044-03-15 12:00:00.5 BC"},
      {local(-4713, 11, 24), "4714-11-24 00:00:00 BC"},  // PostgreSQL's first
      {local(10000, 1, 1), "10000-01-01 00:00:00"},
      {us_local::max(), "294247-01-10 04:00:54.775807"},  // local_time<microseconds>' last
  };
  for (const auto& [value, literal] : values) expect_round_trip(db, value, literal, "timestamp");

  // Coarser and finer durations, exactly.
  expect_round_trip(db, std::chrono::floor<std::chrono::seconds>(local(1969, 7, 20, 20, 17, 40)), "1969-07-20 20:17:40",
                    "timestamp");
  expect_round_trip(db, local_time<std::chrono::nanoseconds>(local(2026, 11, 27, 6, 25, 17, 123456)),
                    "2026-11-27 06:25:17.123456", "timestamp");
  expect_unreadable<local_time<std::chrono::seconds>>(db, "1969-07-20 20:17:40.5", "timestamp", "more precise");

  // PostgreSQL's last timestamp: beyond local_time<microseconds>, whole seconds fit.
  expect_unreadable<us_local>(db, "294276-12-31 23:59:59.999999", "timestamp", "outside the range");
  const local_time<std::chrono::seconds> last_second{
      std::chrono::seconds((detail::days_from_civil(294276, 12, 31) + 1) * 86400 - 1)};
  expect_round_trip(db, last_second, "294276-12-31 23:59:59", "timestamp");
  EXPECT_THROW((void)db.scalar<us_local>("SELECT %s", local_time<std::chrono::seconds>(last_second + 1s)),
               conversion_error);
  // No sub-microsecond loss.
  EXPECT_THROW((void)db.scalar<us_local>("SELECT %s", local_time<std::chrono::nanoseconds>(1ns)), conversion_error);
}

// --- timestamptz ----------------------------------------------------------------

TEST_F(chrono_roundtrip, TimestamptzInAnySessionTimeZone) {
  db.set_autocommit(true);  // so that SET TIME ZONE outlives its statement's transaction
  const std::vector<std::tuple<us_sys, std::string>> values = {
      {utc(2026, 11, 27, 6, 25, 17, 123456), "2026-11-27 06:25:17.123456+00"},
      {utc(2026, 7, 1, 12), "2026-07-01 12:00:00+00"},  // summer time in St. John's: -02:30
      {utc(1969, 7, 20, 20, 17, 40), "1969-07-20 20:17:40+00"},
      {utc(1900, 1, 1), "1900-01-01 00:00:00+00"},  // local mean times: +05:21:10, -03:30:52
      {utc(1901, 12, 13, 20, 45, 52), "1901-12-13 20:45:52+00"},
      {utc(2038, 1, 19, 3, 14, 8), "2038-01-19 03:14:08+00"},
      {utc(2100, 3, 1, 0, 0, 0, 1), "2100-03-01 00:00:00.000001+00"},
      {utc(1, 1, 1), "0001-01-01 00:00:00+00"},  // a day before in St. John's, 1 BC
      {utc(-43, 3, 15, 12), "0044-03-15 12:00:00+00 BC"},
      {utc(-4713, 11, 24), "4714-11-24 00:00:00+00 BC"},
      {us_sys::max(), "294247-01-10 04:00:54.775807+00"},
  };
  for (const std::string zone : {"UTC", "Asia/Kolkata", "America/St_Johns"}) {
    SCOPED_TRACE(zone);
    db.execute(runtime_sql("SET TIME ZONE '" + zone + "'"));
    ASSERT_EQ(db.scalar<std::string>("SHOW TimeZone"), zone);
    for (const auto& [value, literal] : values) expect_round_trip(db, value, literal, "timestamptz");
    expect_round_trip(db,
                      sys_time<std::chrono::milliseconds>(
                          std::chrono::floor<std::chrono::milliseconds>(utc(2026, 11, 27, 6, 25, 17, 123000))),
                      "2026-11-27 06:25:17.123+00", "timestamptz");
    expect_unreadable<us_sys>(db, "294276-12-31 23:59:59.999999+00", "timestamptz", "outside the range");
  }
  // The offsets really are in the text that was parsed.
  db.execute("SET TIME ZONE 'Asia/Kolkata'");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", utc(2026, 11, 27, 6, 25, 17)), "2026-11-27 11:55:17+05:30");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", utc(-43, 3, 15, 12)), "0044-03-15 17:53:28+05:53:28 BC");
  db.execute("SET TIME ZONE 'America/St_Johns'");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", utc(1900, 1, 1)), "1899-12-31 20:29:08-03:30:52");
  EXPECT_EQ(db.query("SELECT %s", utc(1, 1, 1))[0][0].as<us_sys>(), utc(1, 1, 1));
  EXPECT_EQ(db.query("SELECT '0001-12-31 20:29:08-03:30:52 BC'::timestamptz")[0][0].text(),
            "0001-12-31 20:29:08-03:30:52 BC");
  EXPECT_EQ(db.query("SELECT '0001-12-31 20:29:08-03:30:52 BC'::timestamptz")[0][0].as<us_sys>(), utc(1, 1, 1));
  // The current time, at the precision PostgreSQL keeps.
  const auto now = std::chrono::floor<microseconds>(std::chrono::system_clock::now());
  EXPECT_EQ(db.scalar<us_sys>("SELECT %s", now), now);
  EXPECT_EQ(db.query("SELECT %s", now)[0][0].as<us_sys>(), now);
  EXPECT_THROW((void)db.scalar<us_sys>("SELECT %s", now + 1ns), conversion_error);
}

TEST_F(chrono_roundtrip, InstantsAndWallClockReadingsAreNotMixed) {
  expect_unreadable<us_local>(db, "2026-11-27 06:25:17+00", "timestamptz", "a timestamptz is an instant");
  expect_unreadable<us_sys>(db, "2026-11-27 06:25:17", "timestamp", "is a wall-clock reading");
  expect_unreadable<sys_days>(db, "2026-11-27 06:25:17", "timestamp", "not date");
  expect_unreadable<us_sys>(db, "2026-11-27", "date", "not timestamptz");
  // In SQL, with a zone, they convert.
  EXPECT_EQ(db.scalar<us_sys>("SELECT %s AT TIME ZONE 'Asia/Kolkata'", local(2026, 11, 27, 11, 55, 17)),
            utc(2026, 11, 27, 6, 25, 17));
}

// --- time -----------------------------------------------------------------------

TEST_F(chrono_roundtrip, Times) {
  const std::vector<std::tuple<time_of_day, std::string>> values = {
      {time_of_day(), "00:00:00"},
      {time_of_day(12h, 34min, 56s, 789000us), "12:34:56.789"},
      {time_of_day(23h, 59min, 59s, 999999us), "23:59:59.999999"},
      {time_of_day(1us), "00:00:00.000001"},
      {time_of_day(24h), "24:00:00"},
  };
  for (const auto& [value, literal] : values) expect_round_trip(db, value, literal, "time");
  EXPECT_THROW((void)db.scalar<time_of_day>("SELECT %s", time_of_day(24h + 1us)), conversion_error);
}

// --- interval -------------------------------------------------------------------

TEST_F(chrono_roundtrip, Intervals) {
  constexpr std::int32_t i32_min = std::numeric_limits<std::int32_t>::min();
  constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
  const std::vector<std::tuple<interval, std::string>> values = {
      {interval{}, "00:00:00"},
      {interval{14, 3, 14'706'789'000}, "1 year 2 mons 3 days 04:05:06.789"},
      {interval{0, -1, 7'200'000'000}, "-1 days +02:00:00"},
      {interval{0, 0, -1'000'000}, "-00:00:01"},
      {interval{0, 1, -500'000}, "1 day -00:00:00.5"},
      {interval{-14, 3, -14'706'000'000}, "-1 years -2 mons +3 days -04:05:06"},
      {interval{-1, 1, 0}, "-1 mons +1 day"},
      {interval{-1, 0, -1'000'000}, "-1 mons -00:00:01"},
      {interval{-23, 0, 0}, "-1 years -11 mons"},
      {interval{0, 0, 1}, "00:00:00.000001"},
      {interval{0, 0, 360'000'000'000}, "100:00:00"},
      {interval{2'136'000'000, 0, 0}, "178000000 years"},
      {interval{i32_min, 0, 0}, "-178956970 years -8 mons"},
      {interval{0, 0, i64_max}, "2562047788:00:54.775807"},
  };
  for (const auto& [value, literal] : values) {
    expect_round_trip(db, value, literal, "interval");
    EXPECT_EQ(to_string(value), db.scalar<std::string>(runtime_sql("SELECT '" + literal + "'::interval::text")));
  }
  // The smallest interval has no literal; the server computes it.
  const interval smallest{0, 0, std::numeric_limits<std::int64_t>::min()};
  const std::string sql = "SELECT '-2562047788:00:54.775807'::interval - '00:00:00.000001'::interval";
  EXPECT_EQ(db.scalar<interval>(runtime_sql(sql)), smallest);
  EXPECT_EQ(db.query(runtime_sql(sql))[0][0].as<interval>(), smallest);
  EXPECT_EQ(db.scalar<interval>("SELECT %s", smallest), smallest);
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", smallest), "-2562047788:00:54.775808");
  EXPECT_EQ(codec<interval>::decode(fetch_value(sql)->view()), smallest);
  // Kept apart: '1 day' is '24:00:00' in SQL, not here.
  EXPECT_EQ(db.scalar<interval>("SELECT '1 day'::interval"), (interval{0, 1, 0}));
  EXPECT_EQ(db.scalar<interval>("SELECT justify_hours('24:00:00'::interval)"), (interval{0, 1, 0}));
}

TEST_F(chrono_roundtrip, DurationsAreIntervalsOfPureTime) {
  expect_round_trip(db, std::chrono::seconds(90), "00:01:30", "interval");
  expect_round_trip(db, std::chrono::microseconds(-1), "-00:00:00.000001", "interval");
  expect_round_trip(db, std::chrono::hours(48), "48:00:00", "interval");
  expect_round_trip(db, std::chrono::milliseconds(-1500), "-00:00:01.5", "interval");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", std::chrono::days(2)), "48:00:00");
  expect_unreadable<std::chrono::seconds>(db, "1 day", "interval", "no fixed length");
  expect_unreadable<std::chrono::seconds>(db, "1 mon", "interval", "no fixed length");
  expect_unreadable<std::chrono::seconds>(db, "00:00:00.5", "interval", "more precise");
  // PostgreSQL's subtraction of timestamps makes days of whole 24 hours...
  EXPECT_EQ(db.scalar<interval>("SELECT %s - %s", utc(2026, 1, 2, 1), utc(2026, 1, 1)),
            (interval{0, 1, 3'600'000'000}));
  EXPECT_THROW((void)db.scalar<std::chrono::seconds>("SELECT %s - %s", utc(2026, 1, 2), utc(2026, 1, 1)),
               conversion_error);
  // ... which EXTRACT(EPOCH ...) or a duration in SQL avoid.
  EXPECT_EQ(db.scalar<std::chrono::seconds>("SELECT make_interval(secs => EXTRACT(EPOCH FROM %s - %s))",
                                            utc(2026, 1, 2, 1), utc(2026, 1, 1)),
            25h);
  EXPECT_EQ(db.scalar<std::chrono::seconds>("SELECT '2026-01-02'::timestamp - '2026-01-01 01:00'::timestamp"), 23h);
}

// --- infinity -------------------------------------------------------------------

TEST_F(chrono_roundtrip, Infinity) {
  for (const std::string literal : {"infinity", "-infinity"}) {
    expect_unreadable<sys_days>(db, literal, "date", "infinity cannot be represented as std::chrono::sys_days");
    expect_unreadable<year_month_day>(db, literal, "date", "infinity cannot be represented");
    expect_unreadable<us_local>(db, literal, "timestamp", "infinity cannot be represented");
    expect_unreadable<us_sys>(db, literal, "timestamptz", "pgwrap::with_infinity<");
  }
  using wd = with_infinity<sys_days>;
  using wy = with_infinity<year_month_day>;
  using wl = with_infinity<us_local>;
  using ws = with_infinity<us_sys>;
  expect_round_trip(db, wd::infinity(), "infinity", "date");
  expect_round_trip(db, wd::minus_infinity(), "-infinity", "date");
  expect_round_trip(db, wd(sys_days(ymd(-43, 3, 15))), "0044-03-15 BC", "date");
  expect_round_trip(db, wy::infinity(), "infinity", "date");
  expect_round_trip(db, wl::infinity(), "infinity", "timestamp");
  expect_round_trip(db, wl::minus_infinity(), "-infinity", "timestamp");
  expect_round_trip(db, wl(local(1969, 7, 20, 20, 17, 40)), "1969-07-20 20:17:40", "timestamp");
  expect_round_trip(db, ws::infinity(), "infinity", "timestamptz");
  expect_round_trip(db, ws::minus_infinity(), "-infinity", "timestamptz");
  expect_round_trip(db, ws(utc(2026, 11, 27)), "2026-11-27 00:00:00+00", "timestamptz");
  EXPECT_TRUE(db.scalar<bool>("SELECT NOT isfinite(%s)", ws::infinity()));
  EXPECT_TRUE(db.scalar<bool>("SELECT %s > now()", ws::infinity()));
  EXPECT_TRUE(db.scalar<bool>("SELECT %s < '4714-11-24 BC'::date", wd::minus_infinity()));
  // NULLs stay typed.
  EXPECT_EQ(db.scalar<std::optional<ws>>("SELECT %s", std::optional<ws>{}), std::nullopt);
  EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", std::optional<sys_days>{}), "date");
  EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", std::optional<us_local>{}),
            "timestamp without time zone");
}

// --- random values ----------------------------------------------------------------

TEST_F(chrono_roundtrip, RandomValuesAgreeWithTheServer) {
  db.set_autocommit(true);
  db.execute("SET TIME ZONE 'UTC'");
  std::mt19937_64 rng(1127);
  std::uniform_int_distribution<std::int64_t> ts(detail::pg_timestamp_min, detail::pg_timestamp_max);
  std::uniform_int_distribution<std::int32_t> days(detail::pg_date_min, detail::pg_date_max);
  std::uniform_int_distribution<std::int32_t> i32(-100'000, 100'000);
  std::uniform_int_distribution<std::int64_t> i64;
  for (int i = 0; i < 300; ++i) {
    const std::int64_t t = ts(rng);
    const std::int32_t d = days(rng);
    const interval v{i % 3 ? i32(rng) : 0, i % 5 ? i32(rng) : 0, i % 2 ? i64(rng) : i64(rng) % 1'000'000'000'000};
    // Made by the server from a raw offset, printed by it and by pgwrap's formatter.
    const std::string server_ts =
        db.scalar<std::string>("SELECT (timestamp '2000-01-01' + %s)::text", interval{0, 0, t});
    EXPECT_EQ(server_ts, detail::format_timestamp(t, false));
    const std::string server_tstz =
        db.scalar<std::string>("SELECT (timestamptz '2000-01-01 00:00:00+00' + %s)::text", interval{0, 0, t});
    EXPECT_EQ(server_tstz, detail::format_timestamp(t, true));
    EXPECT_EQ(db.scalar<std::string>("SELECT (date '2000-01-01' + %s)::text", d), detail::format_date(d));
    EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", v), to_string(v));
    EXPECT_EQ(db.query("SELECT %s", v)[0][0].as<interval>(), v);
  }
}

// --- a table --------------------------------------------------------------------

TEST_F(chrono_roundtrip, TableColumnsInBothFormats) {
  db.execute("CREATE TABLE events (d date, ts timestamp, tstz timestamptz, t time, i interval)");
  const auto d = ymd(-43, 3, 15);
  const auto ts = local(2026, 11, 27, 6, 25, 17, 123456);
  const auto tstz = utc(1900, 1, 1);
  const auto t = time_of_day(24h);
  const interval i{-14, 3, -14'706'000'000};
  db.execute("INSERT INTO events VALUES (%s, %s, %s, %s, %s)", d, ts, tstz, t, i);
  db.execute("SET TIME ZONE 'America/St_Johns'");
  const auto typed = db.query<year_month_day, us_local, us_sys, time_of_day, interval>("SELECT * FROM events");
  ASSERT_EQ(typed.size(), 1u);
  EXPECT_EQ(typed[0], std::make_tuple(d, ts, tstz, t, i));
  const auto r = db.query("SELECT * FROM events");
  EXPECT_EQ(r[0][0].as<year_month_day>(), d);
  EXPECT_EQ(r[0][1].as<us_local>(), ts);
  EXPECT_EQ(r[0][2].as<us_sys>(), tstz);
  EXPECT_EQ(r[0][3].as<time_of_day>(), t);
  EXPECT_EQ(r[0][4].as<interval>(), i);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM events WHERE d = %s AND ts = %s AND tstz = %s", d, ts, tstz),
            1);
  // A column name in the message.
  try {
    (void)db.query("SELECT ts AS when_ FROM events")[0][0].as<us_sys>();
    ADD_FAILURE() << "no conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string_view(e.what()).find("when_"), std::string_view::npos) << e.what();
  }
}

TEST_F(chrono_roundtrip, WrongColumnTypesInBinary) {
  const auto one = fetch_value("SELECT 1");
  ASSERT_TRUE(one.has_value());
  for (const auto& e : {std::string("integer, not date")}) {
    try {
      (void)codec<sys_days>::decode(one->view());
      ADD_FAILURE();
    } catch (const conversion_error& x) {
      EXPECT_NE(std::string_view(x.what()).find(e), std::string_view::npos) << x.what();
    }
  }
  EXPECT_FALSE(codec<sys_days>::reads_binary(one->type_oid));
  EXPECT_THROW((void)codec<time_of_day>::decode(one->view()), conversion_error);
  EXPECT_THROW((void)codec<interval>::decode(one->view()), conversion_error);
  EXPECT_THROW((void)codec<us_local>::decode(fetch_value("SELECT now()")->view()), conversion_error);
  EXPECT_THROW((void)db.scalar<sys_days>("SELECT 1"), conversion_error);
}

}  // namespace
}  // namespace pgwrap::test
