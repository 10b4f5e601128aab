// The codecs of pgwrap/types/chrono.hpp: date, time, timestamp, timestamptz and
// interval, in the text PostgreSQL prints (DateStyle ISO, IntervalStyle
// postgres) and in binary, both ways. No server needed: the texts below are
// what PostgreSQL 15 prints for these values.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <ostream>
#include <pgwrap/pgwrap.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pgwrap {
// Readable failures.
void PrintTo(const interval& v, std::ostream* os) {
  *os << "interval{" << v.months << ", " << v.days << ", " << v.microseconds << "} '" << to_string(v) << "'";
}
void PrintTo(const time_of_day& v, std::ostream* os) { *os << to_string(v); }
}  // namespace pgwrap

namespace pgwrap::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::day;
using std::chrono::local_days;
using std::chrono::local_time;
using std::chrono::microseconds;
using std::chrono::month;
using std::chrono::nanoseconds;
using std::chrono::sys_days;
using std::chrono::sys_time;
using std::chrono::year;
using std::chrono::year_month_day;
using us_sys = sys_time<microseconds>;
using us_local = local_time<microseconds>;

constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int32_t i32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t i32_min = std::numeric_limits<std::int32_t>::min();

// --- helpers --------------------------------------------------------------------

value_view text(std::string_view s, std::uint32_t type) { return {s, type, wire_format::text}; }
value_view binary(std::string_view bytes, std::uint32_t type) { return {bytes, type, wire_format::binary}; }

std::string be32(std::int32_t v) {
  std::string out;
  detail::store_be(v, out);
  return out;
}
std::string be64(std::int64_t v) {
  std::string out;
  detail::store_be(v, out);
  return out;
}
std::string interval_bytes(std::int32_t months, std::int32_t days, std::int64_t micros) {
  return be64(micros) + be32(days) + be32(months);
}

struct sent {
  std::string bytes;
  std::uint32_t oid = 0;
  wire_format format = wire_format::text;
};

template <typename T>
sent encode(const T& v) {
  std::string scratch;
  const param_ref p = codec<T>::encode(v, scratch);
  EXPECT_NE(p.data, nullptr);
  return {std::string(p.data, static_cast<std::size_t>(p.length)), p.oid, p.format};
}

// The message of the conversion_error `f` throws ("" if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "";
}

template <typename T>
std::string decode_error(const value_view& v) {
  return error_of([&] { (void)codec<T>::decode(v); });
}

template <typename T>
std::string encode_error(const T& value) {
  return error_of([&] {
    std::string scratch;
    (void)codec<T>::encode(value, scratch);
  });
}

constexpr year_month_day ymd(int y, unsigned m, unsigned d) { return year_month_day{year(y), month(m), day(d)}; }
sys_days days_of(int y, unsigned m, unsigned d) { return sys_days(ymd(y, m, d)); }
// A UTC instant from calendar fields (C++ years: 0 = 1 BC).
us_sys utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0, int micro = 0) {
  return us_sys(days_of(y, m, d)) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s) +
         microseconds(micro);
}
us_local local(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0, int micro = 0) {
  return us_local(local_days(ymd(y, m, d))) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s) + microseconds(micro);
}

// --- date -----------------------------------------------------------------------

TEST(chrono_date, ParsesEveryTextFormTheServerPrints) {
  using C = codec<year_month_day>;
  EXPECT_EQ(C::decode(text("2026-11-27", oid::date)), ymd(2026, 11, 27));
  EXPECT_EQ(C::decode(text("1969-07-20", oid::date)), ymd(1969, 7, 20));
  EXPECT_EQ(C::decode(text("2000-01-01", oid::date)), ymd(2000, 1, 1));
  EXPECT_EQ(C::decode(text("0001-01-01", oid::date)), ymd(1, 1, 1));
  EXPECT_EQ(C::decode(text("0001-12-31 BC", oid::date)), ymd(0, 12, 31));  // 1 BC is year 0
  EXPECT_EQ(C::decode(text("0044-03-15 BC", oid::date)), ymd(-43, 3, 15));
  EXPECT_EQ(C::decode(text("4713-01-01 BC", oid::date)), ymd(-4712, 1, 1));
  EXPECT_EQ(C::decode(text("4714-11-24 BC", oid::date)), ymd(-4713, 11, 24));  // PostgreSQL's first day
  EXPECT_EQ(C::decode(text("10000-01-01", oid::date)), ymd(10000, 1, 1));
  EXPECT_EQ(C::decode(text("2024-02-29", oid::date)), ymd(2024, 2, 29));
  EXPECT_EQ(C::decode(text("0001-02-29 BC", oid::date)), ymd(0, 2, 29));  // 1 BC is a leap year
  // A text column holding the same spelling reads too.
  EXPECT_EQ(C::decode(text("2026-11-27", oid::text)), ymd(2026, 11, 27));
  EXPECT_EQ(codec<sys_days>::decode(text("1970-01-01", oid::date)), sys_days{});
  EXPECT_EQ(codec<local_days>::decode(text("1970-01-02", oid::date)), local_days{} + std::chrono::days(1));
}

TEST(chrono_date, SysDaysCoverPostgresWholeRange) {
  const auto first = codec<sys_days>::decode(text("4714-11-24 BC", oid::date));
  const auto last = codec<sys_days>::decode(text("5874897-12-31", oid::date));
  EXPECT_EQ(first.time_since_epoch().count(), detail::pg_date_min + detail::pg_epoch_days);
  EXPECT_EQ(last.time_since_epoch().count(), detail::pg_date_max + detail::pg_epoch_days);
  EXPECT_EQ(codec<sys_days>::decode(binary(be32(detail::pg_date_max), oid::date)), last);
  EXPECT_EQ(encode(last).bytes, be32(detail::pg_date_max));
  EXPECT_EQ(encode(first).bytes, be32(detail::pg_date_min));
  // year_month_day stops at year 32767.
  EXPECT_EQ(codec<year_month_day>::decode(text("32767-12-31", oid::date)), ymd(32767, 12, 31));
  const std::string e = decode_error<year_month_day>(text("32768-01-01", oid::date));
  EXPECT_NE(e.find("32768-01-01 is outside std::chrono::year's range (-32767 to 32767)"), std::string::npos) << e;
  EXPECT_NE(e.find("std::chrono::sys_days"), std::string::npos) << e;
  EXPECT_NE(decode_error<year_month_day>(binary(be32(detail::pg_date_max), oid::date)).find("outside"),
            std::string::npos);
}

TEST(chrono_date, FormatsAsTheServerPrints) {
  for (const std::string_view s : {"2026-11-27", "1969-07-20", "0001-01-01", "0001-12-31 BC", "0044-03-15 BC",
                                   "4714-11-24 BC", "10000-01-01", "5874897-12-31", "0001-02-29 BC"}) {
    const std::int32_t days = detail::read_date(text(s, oid::date), "test");
    EXPECT_EQ(detail::format_date(days), s);
  }
  EXPECT_EQ(detail::format_date(0), "2000-01-01");
  EXPECT_EQ(detail::format_date(-1), "1999-12-31");
  EXPECT_EQ(detail::format_date(i32_max), "infinity");
  EXPECT_EQ(detail::format_date(i32_min), "-infinity");
}

TEST(chrono_date, CalendarAgreesWithStdChrono) {
  // Every 97th day over the whole of std::chrono::year's range, and the days around 0.
  for (std::int64_t d = -11'000'000; d <= 11'000'000; d += 97) {
    const year_month_day expected{sys_days(std::chrono::days(d))};
    const detail::civil_date c = detail::civil_from_days(d);
    ASSERT_EQ(c.year, static_cast<int>(expected.year())) << d;
    ASSERT_EQ(c.month, static_cast<unsigned>(expected.month())) << d;
    ASSERT_EQ(c.day, static_cast<unsigned>(expected.day())) << d;
    ASSERT_EQ(detail::days_from_civil(c.year, c.month, c.day), d);
  }
  // Text both ways over PostgreSQL's whole range.
  for (std::int64_t d = detail::pg_date_min; d <= detail::pg_date_max; d += 7919) {
    const auto days = static_cast<std::int32_t>(d);
    const std::string s = detail::format_date(days);
    ASSERT_EQ(detail::read_date(text(s, oid::date), "test"), days) << s;
  }
}

TEST(chrono_date, BinaryIsDaysSince2000) {
  EXPECT_EQ(codec<year_month_day>::decode(binary(be32(0), oid::date)), ymd(2000, 1, 1));
  EXPECT_EQ(codec<year_month_day>::decode(binary(be32(-1), oid::date)), ymd(1999, 12, 31));
  EXPECT_EQ(codec<year_month_day>::decode(binary(be32(-10957), oid::date)), ymd(1970, 1, 1));
  EXPECT_EQ(codec<year_month_day>::decode(binary(be32(9827), oid::date)), ymd(2026, 11, 27));
  EXPECT_EQ(codec<year_month_day>::decode(binary(be32(-2451545), oid::date)), ymd(-4713, 11, 24));

  const sent s = encode(ymd(2026, 11, 27));
  EXPECT_EQ(s.bytes, std::string("\x00\x00\x26\x63", 4));
  EXPECT_EQ(s.oid, oid::date);
  EXPECT_EQ(s.format, wire_format::binary);
  EXPECT_EQ(encode(ymd(2000, 1, 1)).bytes, std::string(4, '\0'));
  EXPECT_EQ(encode(days_of(1970, 1, 1)).bytes, be32(-10957));
  EXPECT_EQ(encode(local_days(ymd(-43, 3, 15))).bytes,
            be32(static_cast<std::int32_t>(detail::days_from_civil(-43, 3, 15) - detail::pg_epoch_days)));
  EXPECT_EQ(encode(local_days(ymd(1999, 12, 31))).oid, oid::date);
}

TEST(chrono_date, Errors) {
  // Not dates, and impossible days.
  for (const std::string_view bad :
       {"2026-13-01", "2026-02-29", "2026-04-31", "2026-00-10", "2026-01-00", "26-01-01", "2026-1-01",
        "2026-01-01 12:00:00", "2026-01-01 BCE", "", "today", "0044-03-15 bc"}) {
    const std::string e = decode_error<year_month_day>(text(bad, oid::date));
    EXPECT_NE(e.find("as std::chrono::year_month_day: "), std::string::npos) << bad << ": " << e;
  }
  EXPECT_NE(decode_error<year_month_day>(text("2026-02-29", oid::date)).find("not a valid date"), std::string::npos);
  EXPECT_NE(decode_error<sys_days>(text("2026-01-01 12:00:00", oid::date)).find("not a date (expected YYYY-MM-DD"),
            std::string::npos);
  EXPECT_NE(decode_error<sys_days>(text("0000-01-01", oid::date)).find("there is no year 0"), std::string::npos);
  EXPECT_NE(decode_error<sys_days>(text("4714-11-23 BC", oid::date)).find("outside PostgreSQL's date range"),
            std::string::npos);

  // The wrong column type, in binary and in text.
  const std::string e = decode_error<sys_days>(binary(be32(5), oid::int4));
  EXPECT_EQ(e, "cannot read a binary integer value as std::chrono::sys_days: the value is integer, not date");
  EXPECT_NE(decode_error<sys_days>(text("5", oid::int4)).find("the value is integer, not date"), std::string::npos);
  EXPECT_NE(
      decode_error<sys_days>(text("2026-01-01 00:00:00", oid::timestamp)).find("the value is timestamp, not date"),
      std::string::npos);
  EXPECT_NE(decode_error<year_month_day>(binary(be64(0), oid::date)).find("8 bytes where 4 were expected"),
            std::string::npos);

  // Infinity has no year_month_day.
  const std::string inf = decode_error<year_month_day>(text("infinity", oid::date));
  EXPECT_EQ(inf,
            "cannot read \"infinity\" as std::chrono::year_month_day: infinity cannot be represented as "
            "std::chrono::year_month_day (read it as pgwrap::with_infinity<std::chrono::year_month_day>, or test "
            "isfinite() in SQL)");
  EXPECT_NE(decode_error<sys_days>(binary(be32(i32_min), oid::date)).find("-infinity cannot be represented"),
            std::string::npos);

  // Sending: invalid and out-of-range dates.
  EXPECT_EQ(encode_error(ymd(2023, 2, 30)),
            "cannot send std::chrono::year_month_day as date: 2023-2-30 is not a valid date");
  EXPECT_EQ(encode_error(ymd(-4713, 11, 23)),
            "cannot send std::chrono::year_month_day as date: 4714-11-23 BC is outside PostgreSQL's date range "
            "(4714-11-24 BC to 5874897-12-31)");
  EXPECT_EQ(encode_error(ymd(-4713, 11, 24)), "");
  EXPECT_NE(encode_error(sys_days::max()).find("outside PostgreSQL's date range"), std::string::npos);
  EXPECT_NE(encode_error(sys_days::min()).find("outside PostgreSQL's date range"), std::string::npos);
  EXPECT_NE(
      encode_error(sys_days(std::chrono::days(detail::pg_date_max + detail::pg_epoch_days + 1))).find("5874898-01-01"),
      std::string::npos);
}

TEST(chrono_date, ReadsBinaryOnlyOfDate) {
  EXPECT_TRUE(codec<year_month_day>::reads_binary(oid::date));
  EXPECT_TRUE(codec<sys_days>::reads_binary(oid::date));
  EXPECT_TRUE(codec<local_days>::reads_binary(oid::date));
  EXPECT_TRUE(codec<with_infinity<sys_days>>::reads_binary(oid::date));
  for (const std::uint32_t other : {oid::int4, oid::timestamp, oid::timestamptz, oid::text, oid::time}) {
    EXPECT_FALSE(codec<year_month_day>::reads_binary(other));
    EXPECT_FALSE(codec<sys_days>::reads_binary(other));
  }
  EXPECT_EQ(codec<year_month_day>::type_oid, oid::date);
  EXPECT_EQ(codec<sys_days>::type_oid, oid::date);
  EXPECT_EQ(codec<std::optional<sys_days>>::type_oid, oid::date);  // typed NULLs
}

// --- timestamp / timestamptz -----------------------------------------------------

TEST(chrono_timestamp, ParsesTimestampText) {
  using C = codec<us_local>;
  EXPECT_EQ(C::decode(text("2026-11-27 06:25:17.123456", oid::timestamp)), local(2026, 11, 27, 6, 25, 17, 123456));
  EXPECT_EQ(C::decode(text("2026-11-27 06:25:17", oid::timestamp)), local(2026, 11, 27, 6, 25, 17));
  EXPECT_EQ(C::decode(text("2026-11-27 06:25:17.1", oid::timestamp)), local(2026, 11, 27, 6, 25, 17, 100000));
  EXPECT_EQ(C::decode(text("2000-01-01 00:00:00.000001", oid::timestamp)), local(2000, 1, 1, 0, 0, 0, 1));
  EXPECT_EQ(C::decode(text("1969-12-31 23:59:59.999999", oid::timestamp)), local(1969, 12, 31, 23, 59, 59, 999999));
  EXPECT_EQ(C::decode(text("0044-03-15 12:00:00 BC", oid::timestamp)), local(-43, 3, 15, 12));
  EXPECT_EQ(C::decode(text("4714-11-24 00:00:00 BC", oid::timestamp)), local(-4713, 11, 24));
  EXPECT_EQ(C::decode(text("10000-01-01 00:00:00", oid::timestamp)), local(10000, 1, 1));
  EXPECT_EQ(C::decode(text("2026-11-27T06:25:17", oid::text)), local(2026, 11, 27, 6, 25, 17));
}

TEST(chrono_timestamp, ParsesTimestamptzTextWithItsOffset) {
  using C = codec<us_sys>;
  const us_sys t = utc(2026, 11, 27, 6, 25, 17, 123456);
  EXPECT_EQ(C::decode(text("2026-11-27 06:25:17.123456+00", oid::timestamptz)), t);
  EXPECT_EQ(C::decode(text("2026-11-27 11:55:17.123456+05:30", oid::timestamptz)), t);
  EXPECT_EQ(C::decode(text("2026-11-27 02:55:17.123456-03:30", oid::timestamptz)), t);
  EXPECT_EQ(C::decode(text("2026-11-27 02:55:02.123456-03:30:15", oid::timestamptz)), t);
  EXPECT_EQ(C::decode(text("2026-11-28 01:25:17.123456+19", oid::timestamptz)), t);
  EXPECT_EQ(C::decode(text("2026-11-27T06:25:17.123456Z", oid::text)), t);
  // Old zones' local mean time, BC (Asia/Kolkata and America/St_Johns print these).
  EXPECT_EQ(C::decode(text("0044-03-15 00:00:00+05:53:28 BC", oid::timestamptz)), utc(-43, 3, 14, 18, 6, 32));
  EXPECT_EQ(C::decode(text("0044-03-15 00:00:00-03:30:52 BC", oid::timestamptz)), utc(-43, 3, 15, 3, 30, 52));
  EXPECT_EQ(C::decode(text("4714-11-24 00:00:00+00 BC", oid::timestamptz)), utc(-4713, 11, 24));
  // An offset can move the day across the year (and the era) boundary.
  EXPECT_EQ(C::decode(text("0001-01-01 00:30:00+05:30", oid::timestamptz)), utc(0, 12, 31, 19));
}

TEST(chrono_timestamp, FormatsAsTheServerPrints) {
  for (const std::string_view s : {"2026-11-27 06:25:17.123456", "2026-11-27 06:25:17", "2026-11-27 06:25:17.1",
                                   "2000-01-01 00:00:00.000001", "1969-12-31 23:59:59.999999", "0044-03-15 12:00:00 BC",
                                   "4714-11-24 00:00:00 BC", "294276-12-31 23:59:59.999999", "10000-01-01 00:00:00"}) {
    EXPECT_EQ(detail::format_timestamp(detail::read_timestamp(text(s, oid::timestamp), oid::timestamp, "t"), false), s);
  }
  EXPECT_EQ(detail::format_timestamp(0, true), "2000-01-01 00:00:00+00");
  EXPECT_EQ(detail::format_timestamp(-1, true), "1999-12-31 23:59:59.999999+00");
  EXPECT_EQ(detail::format_timestamp(detail::pg_timestamp_min, true), "4714-11-24 00:00:00+00 BC");
  EXPECT_EQ(detail::format_timestamp(i64_max, true), "infinity");
  EXPECT_EQ(detail::format_timestamp(i64_min, false), "-infinity");
}

TEST(chrono_timestamp, BinaryIsMicrosecondsSince2000) {
  EXPECT_EQ(codec<us_sys>::decode(binary(be64(0), oid::timestamptz)), utc(2000, 1, 1));
  EXPECT_EQ(codec<us_local>::decode(binary(be64(-1), oid::timestamp)), local(1999, 12, 31, 23, 59, 59, 999999));
  EXPECT_EQ(codec<us_sys>::decode(binary(be64(detail::pg_timestamp_min), oid::timestamptz)), utc(-4713, 11, 24));

  const sent s = encode(utc(2000, 1, 1, 0, 0, 1));
  EXPECT_EQ(s.bytes, std::string("\x00\x00\x00\x00\x00\x0f\x42\x40", 8));
  EXPECT_EQ(s.oid, oid::timestamptz);
  EXPECT_EQ(s.format, wire_format::binary);
  const sent l = encode(local(1970, 1, 1));
  EXPECT_EQ(l.bytes, be64(-detail::pg_epoch_micros));
  EXPECT_EQ(l.oid, oid::timestamp);
  // Other durations.
  EXPECT_EQ(encode(sys_time<std::chrono::seconds>(std::chrono::seconds(946684800))).bytes, be64(0));
  EXPECT_EQ(encode(sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(946684800001))).bytes, be64(1000));
  EXPECT_EQ(encode(sys_time<nanoseconds>(nanoseconds(946684800000001000))).bytes, be64(1));
  EXPECT_EQ(encode(std::chrono::time_point<std::chrono::local_t, std::chrono::minutes>(std::chrono::minutes(-1))).bytes,
            be64(-detail::pg_epoch_micros - 60'000'000));
  EXPECT_EQ(codec<sys_time<std::chrono::seconds>>::decode(binary(be64(-1'000'000), oid::timestamptz)),
            sys_time<std::chrono::seconds>(std::chrono::seconds(946684799)));
  EXPECT_EQ(codec<sys_time<nanoseconds>>::decode(binary(be64(1), oid::timestamptz)),
            sys_time<nanoseconds>(nanoseconds(946684800000001000)));
}

TEST(chrono_timestamp, RangesOfTheChronoTypes) {
  // sys_time<microseconds> ends in 294247; PostgreSQL's timestamps in 294276.
  const std::string top = "294276-12-31 23:59:59.999999+00";
  const std::string e = decode_error<us_sys>(text(top, oid::timestamptz));
  EXPECT_NE(e.find("outside the range of std::chrono::sys_time<std::chrono::microseconds>"), std::string::npos) << e;
  EXPECT_EQ(codec<us_sys>::decode(text("294247-01-10 04:00:54.775807+00", oid::timestamptz)), us_sys::max());
  EXPECT_EQ(codec<us_local>::decode(text("294247-01-10 04:00:54.775807", oid::timestamp)), us_local::max());
  EXPECT_NE(decode_error<us_local>(text("294247-01-10 04:00:54.775808", oid::timestamp)).find("outside the range"),
            std::string::npos);
  // In seconds the whole range fits, when whole.
  using secs = sys_time<std::chrono::seconds>;
  const std::int64_t last_second = (detail::days_from_civil(294276, 12, 31) + 1) * 86400 - 1;
  EXPECT_EQ(codec<secs>::decode(text("294276-12-31 23:59:59+00", oid::timestamptz)).time_since_epoch().count(),
            last_second);
  EXPECT_EQ(encode(secs(std::chrono::seconds(last_second))).bytes, be64(detail::pg_timestamp_max - 999999));
  EXPECT_NE(decode_error<secs>(text(top, oid::timestamptz)).find("more precise than std::chrono::sys_seconds"),
            std::string::npos);
  // Nanoseconds span only 1677..2262.
  EXPECT_NE(
      decode_error<sys_time<nanoseconds>>(text("2263-01-01 00:00:00+00", oid::timestamptz)).find("outside the range"),
      std::string::npos);
  EXPECT_EQ(codec<sys_time<nanoseconds>>::decode(text("2262-01-01 00:00:00+00", oid::timestamptz)),
            sys_time<nanoseconds>(utc(2262, 1, 1)));
}

TEST(chrono_timestamp, SendingNeverLosesPrecisionOrRange) {
  const std::string e = encode_error(sys_time<nanoseconds>(nanoseconds(1)));
  EXPECT_EQ(e,
            "cannot send std::chrono::sys_time<std::chrono::nanoseconds> as timestamptz: it has a fraction of a "
            "microsecond, which PostgreSQL does not keep (std::chrono::floor or round it to "
            "std::chrono::microseconds first)");
  EXPECT_NE(encode_error(local_time<nanoseconds>(nanoseconds(-1))).find("as timestamp: it has a fraction"),
            std::string::npos);
  EXPECT_EQ(encode_error(std::chrono::floor<microseconds>(std::chrono::system_clock::now())), "");
  // Beyond PostgreSQL's range: 4714-11-24 BC .. 294276 AD.
  EXPECT_EQ(encode_error(us_sys(utc(-4713, 11, 24))), "");
  EXPECT_NE(encode_error(us_sys(utc(-4713, 11, 24) - microseconds(1))).find("outside PostgreSQL's range (4714-11-24"),
            std::string::npos);
  EXPECT_NE(encode_error(us_sys::min()).find("outside PostgreSQL's range"), std::string::npos);
  EXPECT_NE(encode_error(sys_time<std::chrono::seconds>::max()).find("outside PostgreSQL's range"), std::string::npos);
  EXPECT_NE(encode_error(sys_time<std::chrono::hours>(std::chrono::hours(2'600'000'000))).find("outside"),
            std::string::npos);
}

TEST(chrono_timestamp, InstantsAndWallClockReadingsAreNotMixed) {
  const std::string a = decode_error<us_local>(text("2026-11-27 06:25:17+00", oid::timestamptz));
  EXPECT_EQ(a,
            "cannot read \"2026-11-27 06:25:17+00\" as std::chrono::local_time<std::chrono::microseconds>: a "
            "timestamptz is an instant, not a wall-clock reading: read it as std::chrono::sys_time, or convert it in "
            "SQL (AT TIME ZONE)");
  const std::string b = decode_error<us_sys>(binary(be64(0), oid::timestamp));
  EXPECT_NE(b.find("a timestamp (without time zone) is a wall-clock reading"), std::string::npos) << b;
  EXPECT_NE(b.find("std::chrono::local_time"), std::string::npos) << b;
  // Text columns: the offset decides.
  EXPECT_NE(decode_error<us_local>(text("2026-11-27 06:25:17+00", oid::text)).find("it has a UTC offset"),
            std::string::npos);
  EXPECT_NE(decode_error<us_sys>(text("2026-11-27 06:25:17", oid::text)).find("it has no UTC offset"),
            std::string::npos);
  // Neither is a date.
  EXPECT_NE(decode_error<us_sys>(binary(be32(0), oid::date)).find("the value is date, not timestamptz"),
            std::string::npos);
}

TEST(chrono_timestamp, TextErrors) {
  for (const std::string_view bad :
       {"2026-11-27", "2026-11-27 6:25:17", "2026-11-27 06:25", "2026-11-27 24:00:00", "2026-11-27 06:60:00",
        "2026-11-27 06:25:17.", "2026-11-27 06:25:17.1234567", "2026-11-27 06:25:17 +00", "2026-11-27 06:25:17+5",
        "2026-11-27 06:25:17+05:3", "2026-11-27 06:25:17+00 BC AD", "2026-02-30 00:00:00"}) {
    const std::string e = decode_error<us_sys>(text(bad, oid::timestamptz));
    EXPECT_NE(e.find("as std::chrono::sys_time<std::chrono::microseconds>: "), std::string::npos) << bad;
  }
  EXPECT_NE(decode_error<us_sys>(text("2026-11-27 06:25:17.1234567+00", oid::timestamptz)).find("not a timestamptz"),
            std::string::npos);
  EXPECT_NE(decode_error<us_local>(text("2026-11-27", oid::timestamp)).find("not a timestamp (expected"),
            std::string::npos);
  EXPECT_NE(decode_error<us_sys>(binary(be32(0), oid::timestamptz)).find("4 bytes where 8 were expected"),
            std::string::npos);
}

TEST(chrono_timestamp, ReadsBinaryOnlyOfItsType) {
  EXPECT_TRUE(codec<us_sys>::reads_binary(oid::timestamptz));
  EXPECT_FALSE(codec<us_sys>::reads_binary(oid::timestamp));
  EXPECT_TRUE(codec<us_local>::reads_binary(oid::timestamp));
  EXPECT_FALSE(codec<us_local>::reads_binary(oid::timestamptz));
  EXPECT_TRUE(codec<sys_time<nanoseconds>>::reads_binary(oid::timestamptz));
  EXPECT_FALSE(codec<us_sys>::reads_binary(oid::date));
  EXPECT_FALSE(codec<us_sys>::reads_binary(oid::text));
  EXPECT_EQ(codec<us_sys>::type_oid, oid::timestamptz);
  EXPECT_EQ(codec<std::chrono::system_clock::time_point>::type_oid, oid::timestamptz);
  EXPECT_EQ(codec<us_local>::type_oid, oid::timestamp);
}

// --- infinity --------------------------------------------------------------------

TEST(chrono_infinity, PlainTypesRefuseItWithInfinityReadsIt) {
  const std::string e = decode_error<us_sys>(text("-infinity", oid::timestamptz));
  EXPECT_EQ(e,
            "cannot read \"-infinity\" as std::chrono::sys_time<std::chrono::microseconds>: -infinity cannot be "
            "represented as std::chrono::sys_time<std::chrono::microseconds> (read it as "
            "pgwrap::with_infinity<std::chrono::sys_time<std::chrono::microseconds>>, or test isfinite() in SQL)");
  EXPECT_NE(decode_error<us_local>(binary(be64(i64_max), oid::timestamp)).find("infinity cannot be represented"),
            std::string::npos);

  using wd = with_infinity<sys_days>;
  using wt = with_infinity<us_sys>;
  EXPECT_EQ(codec<wd>::decode(text("infinity", oid::date)), wd::infinity());
  EXPECT_EQ(codec<wd>::decode(binary(be32(i32_min), oid::date)), wd::minus_infinity());
  EXPECT_EQ(codec<wd>::decode(text("2026-11-27", oid::date)), wd(days_of(2026, 11, 27)));
  EXPECT_EQ(codec<wt>::decode(binary(be64(i64_max), oid::timestamptz)), wt::infinity());
  EXPECT_EQ(codec<wt>::decode(text("-infinity", oid::timestamptz)), wt::minus_infinity());
  EXPECT_EQ(codec<wt>::decode(binary(be64(0), oid::timestamptz)), wt(utc(2000, 1, 1)));
  EXPECT_EQ(codec<with_infinity<us_local>>::decode(text("infinity", oid::timestamp)),
            with_infinity<us_local>::infinity());
  // The type check still applies.
  EXPECT_NE(
      decode_error<with_infinity<us_local>>(text("infinity", oid::timestamptz)).find("a timestamptz is an instant"),
      std::string::npos);
}

TEST(chrono_infinity, SendsTheSentinels) {
  const sent a = encode(with_infinity<year_month_day>::infinity());
  EXPECT_EQ(a.bytes, "\x7f\xff\xff\xff");
  EXPECT_EQ(a.oid, oid::date);
  EXPECT_EQ(encode(with_infinity<local_days>::minus_infinity()).bytes, std::string("\x80\0\0\0", 4));
  const sent t = encode(with_infinity<us_sys>::infinity());
  EXPECT_EQ(t.bytes, "\x7f\xff\xff\xff\xff\xff\xff\xff");
  EXPECT_EQ(t.oid, oid::timestamptz);
  EXPECT_EQ(encode(with_infinity<us_local>::minus_infinity()).bytes, std::string("\x80\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(encode(with_infinity<us_local>::minus_infinity()).oid, oid::timestamp);
  EXPECT_EQ(encode(with_infinity<us_sys>(utc(2000, 1, 1))).bytes, be64(0));
  // max() is an ordinary value, never infinity: 294247-01-10 for microseconds, out of range for seconds.
  EXPECT_EQ(encode(us_sys::max()).bytes, be64(i64_max - detail::pg_epoch_micros));
  EXPECT_NE(encode_error(sys_time<std::chrono::seconds>::max()).find("outside PostgreSQL's range"), std::string::npos);
}

TEST(chrono_infinity, WithInfinityValue) {
  const with_infinity<sys_days> finite = days_of(2026, 1, 1);
  EXPECT_TRUE(finite.is_finite());
  EXPECT_EQ(finite.value(), days_of(2026, 1, 1));
  EXPECT_EQ(finite.infinity_sign(), 0);
  const auto inf = with_infinity<sys_days>::infinity();
  EXPECT_TRUE(inf.is_infinity());
  EXPECT_FALSE(inf.is_finite());
  EXPECT_EQ(inf.infinity_sign(), 1);
  EXPECT_TRUE(with_infinity<sys_days>::minus_infinity().is_minus_infinity());
  EXPECT_NE(inf, with_infinity<sys_days>::minus_infinity());
  EXPECT_NE(inf, with_infinity<sys_days>());
  EXPECT_EQ(inf.value_or(sys_days::max()), sys_days::max());
  EXPECT_THROW((void)inf.value(), usage_error);
  EXPECT_EQ(codec<with_infinity<sys_days>>::type_oid, oid::date);
}

// --- time -----------------------------------------------------------------------

TEST(chrono_time, TextAndBinary) {
  using C = codec<time_of_day>;
  EXPECT_EQ(C::decode(text("06:25:17.123456", oid::time)), time_of_day(6h, 25min, 17s, 123456us));
  EXPECT_EQ(C::decode(text("00:00:00", oid::time)), time_of_day());
  EXPECT_EQ(C::decode(text("00:00:00.5", oid::time)), time_of_day(500ms));
  EXPECT_EQ(C::decode(text("23:59:59.999999", oid::time)), time_of_day(24h - 1us));
  EXPECT_EQ(C::decode(text("24:00:00", oid::time)), time_of_day(24h));
  EXPECT_EQ(C::decode(binary(be64(86'400'000'000), oid::time)), time_of_day(24h));
  EXPECT_EQ(C::decode(binary(be64(1), oid::time)), time_of_day(1us));

  const sent s = encode(time_of_day(1s));
  EXPECT_EQ(s.bytes, be64(1'000'000));
  EXPECT_EQ(s.oid, oid::time);
  EXPECT_EQ(s.format, wire_format::binary);
  EXPECT_EQ(encode(time_of_day(24h)).bytes, be64(86'400'000'000));

  for (const std::string_view t : {"06:25:17.123456", "00:00:00", "00:00:00.5", "23:59:59.999999", "24:00:00"}) {
    EXPECT_EQ(to_string(C::decode(text(t, oid::time))), t);
  }
  const auto hms = time_of_day(6h, 25min, 17s, 5us).hms();
  EXPECT_EQ(hms.hours(), 6h);
  EXPECT_EQ(hms.subseconds(), 5us);
  EXPECT_TRUE(time_of_day(24h).ok());
  EXPECT_FALSE(time_of_day(24h + 1us).ok());
  EXPECT_LT(time_of_day(1h), time_of_day(2h));
}

TEST(chrono_time, Errors) {
  for (const std::string_view bad : {"24:00:00.000001", "24:00:01", "25:00:00", "12:60:00", "12:00:60", "1:00:00",
                                     "12:00", "12:00:00.1234567", "12:00:00+00", ""}) {
    const std::string e = decode_error<time_of_day>(text(bad, oid::time));
    EXPECT_NE(e.find("as pgwrap::time_of_day: not a time"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_NE(decode_error<time_of_day>(binary(be64(-1), oid::time)).find("outside 00:00:00 to 24:00:00"),
            std::string::npos);
  EXPECT_EQ(decode_error<time_of_day>(binary(be64(0), oid::int8)),
            "cannot read a binary bigint value as pgwrap::time_of_day: the value is bigint, not time");
  EXPECT_EQ(encode_error(time_of_day(25h)),
            "cannot send pgwrap::time_of_day as time: 25:00:00 is outside 00:00:00 to 24:00:00");
  EXPECT_NE(encode_error(time_of_day(-1s)).find("-00:00:01 is outside"), std::string::npos);
  EXPECT_TRUE(codec<time_of_day>::reads_binary(oid::time));
  EXPECT_FALSE(codec<time_of_day>::reads_binary(oid::interval));
}

// --- interval -------------------------------------------------------------------

struct interval_case {
  std::string_view text;
  interval value;
};

const std::vector<interval_case>& interval_cases() {
  static const std::vector<interval_case> cases = {
      {"00:00:00", {}},
      {"1 year 2 mons 3 days 04:05:06.789", {14, 3, 14'706'789'000}},
      {"-1 days +02:00:00", {0, -1, 7'200'000'000}},
      {"-00:00:01", {0, 0, -1'000'000}},
      {"1 day -00:00:00.5", {0, 1, -500'000}},
      {"-1 years -2 mons +3 days -04:05:06", {-14, 3, -14'706'000'000}},
      {"178000000 years", {2'136'000'000, 0, 0}},
      {"-178956970 years -8 mons", {i32_min, 0, 0}},
      {"178956970 years 7 mons", {i32_max, 0, 0}},
      {"2562047788:00:54.775807", {0, 0, i64_max}},
      {"-2562047788:00:54.775808", {0, 0, i64_min}},
      {"1 mon", {1, 0, 0}},
      {"-1 days", {0, -1, 0}},
      {"1 day 00:00:01", {0, 1, 1'000'000}},
      {"-1 mons +1 day", {-1, 1, 0}},
      {"11 mons", {11, 0, 0}},
      {"-1 mons -00:00:01", {-1, 0, -1'000'000}},
      {"1 mon 00:00:01", {1, 0, 1'000'000}},
      {"1 day -01:00:00", {0, 1, -3'600'000'000}},
      {"-01:00:00", {0, 0, -3'600'000'000}},
      {"00:00:01.5", {0, 0, 1'500'000}},
      {"00:00:00.000001", {0, 0, 1}},
      {"2 years", {24, 0, 0}},
      {"-2 years +1 mon", {-23, 0, 0}},
      {"-1 years -11 mons", {-23, 0, 0}},  // same value, PostgreSQL's own spelling (see Formats)
      {"100:00:00", {0, 0, 360'000'000'000}},
      {"infinity", interval::infinity()},
      {"-infinity", interval::minus_infinity()},
  };
  return cases;
}

TEST(chrono_interval, ParsesEveryPostgresStyleForm) {
  for (const auto& [s, expected] : interval_cases()) {
    EXPECT_EQ(codec<interval>::decode(text(s, oid::interval)), expected) << s;
  }
  EXPECT_EQ(codec<interval>::decode(text("1 year 2 mons", oid::text)), (interval{14, 0, 0}));
}

TEST(chrono_interval, FormatsAsTheServerPrints) {
  for (const auto& [s, value] : interval_cases()) {
    if (s == "-2 years +1 mon") continue;  // not PostgreSQL's spelling
    EXPECT_EQ(to_string(value), s);
  }
}

TEST(chrono_interval, Binary) {
  EXPECT_EQ(codec<interval>::decode(binary(interval_bytes(14, 3, 14'706'789'000), oid::interval)),
            (interval{14, 3, 14'706'789'000}));
  EXPECT_EQ(codec<interval>::decode(binary(interval_bytes(-1, 2, -3), oid::interval)), (interval{-1, 2, -3}));
  const sent s = encode(interval{.months = 1, .days = 2, .microseconds = 3});
  EXPECT_EQ(s.bytes, std::string("\0\0\0\0\0\0\0\x03\0\0\0\x02\0\0\0\x01", 16));
  EXPECT_EQ(s.oid, oid::interval);
  EXPECT_EQ(s.format, wire_format::binary);
  EXPECT_EQ(encode(interval::infinity()).bytes, interval_bytes(i32_max, i32_max, i64_max));
  EXPECT_TRUE(codec<interval>::reads_binary(oid::interval));
  EXPECT_FALSE(codec<interval>::reads_binary(oid::time));
  EXPECT_FALSE(interval::infinity().is_finite());
  EXPECT_TRUE((interval{1, 2, 3}).is_finite());
  EXPECT_EQ(interval::from(90s), (interval{0, 0, 90'000'000}));
}

TEST(chrono_interval, Errors) {
  for (const std::string_view bad :
       {"", "1 fortnight", "01:00:00 1 day", "1 day  01:00:00", "1", "1day", "1 days 2", "@ 1 day", "P1D",
        "1 day 01:00", "00:60:00", "00:00:00.1234567", "1 year ago", "1 mon 1 mon 00:00:00 00:00:00", "--1 day"}) {
    const std::string e = decode_error<interval>(text(bad, oid::interval));
    EXPECT_NE(e.find("as pgwrap::interval: not an interval as IntervalStyle postgres prints it"), std::string::npos)
        << bad << ": " << e;
  }
  EXPECT_NE(decode_error<interval>(text("178956971 years", oid::interval)).find("outside interval's range"),
            std::string::npos);
  EXPECT_NE(decode_error<interval>(text("2562047789:00:00", oid::interval)).find("outside interval's range"),
            std::string::npos);
  EXPECT_NE(decode_error<interval>(binary(be64(0), oid::interval)).find("8 bytes where 16 were expected"),
            std::string::npos);
  EXPECT_EQ(decode_error<interval>(binary(be64(0), oid::time)),
            "cannot read a binary time value as pgwrap::interval: the value is time, not interval");
}

TEST(chrono_interval, DurationsAreIntervalsWithoutMonthsOrDays) {
  using std::chrono::seconds;
  EXPECT_EQ(codec<seconds>::decode(text("00:01:30", oid::interval)), 90s);
  EXPECT_EQ(codec<microseconds>::decode(text("-00:00:00.000001", oid::interval)), -1us);
  EXPECT_EQ(codec<nanoseconds>::decode(binary(interval_bytes(0, 0, 5), oid::interval)), 5000ns);
  EXPECT_EQ(codec<std::chrono::hours>::decode(text("48:00:00", oid::interval)), 48h);

  const sent s = encode(90s);
  EXPECT_EQ(s.bytes, interval_bytes(0, 0, 90'000'000));
  EXPECT_EQ(s.oid, oid::interval);
  EXPECT_EQ(encode(std::chrono::days(2)).bytes, interval_bytes(0, 0, 172'800'000'000));  // '48:00:00', not '2 days'
  EXPECT_EQ(encode(-1500ms).bytes, interval_bytes(0, 0, -1'500'000));
  EXPECT_TRUE(codec<seconds>::reads_binary(oid::interval));
  EXPECT_FALSE(codec<seconds>::reads_binary(oid::time));

  const std::string e = decode_error<seconds>(text("1 mon 2 days 00:00:01", oid::interval));
  EXPECT_EQ(e,
            "cannot read \"1 mon 2 days 00:00:01\" as std::chrono::seconds: it has 1 months and 2 days, and a month "
            "or a day has no fixed length (read it as pgwrap::interval, or convert it in SQL, e.g. EXTRACT(EPOCH "
            "FROM ...))");
  EXPECT_NE(decode_error<microseconds>(text("1 day", oid::interval)).find("no fixed length"), std::string::npos);
  EXPECT_NE(decode_error<seconds>(text("00:00:00.5", oid::interval)).find("more precise than std::chrono::seconds"),
            std::string::npos);
  EXPECT_NE(decode_error<nanoseconds>(text("2562047788:00:00", oid::interval)).find("outside the range"),
            std::string::npos);
  EXPECT_NE(decode_error<seconds>(text("infinity", oid::interval)).find("infinity cannot be represented"),
            std::string::npos);
  EXPECT_EQ(encode_error(1500ns),
            "cannot send std::chrono::nanoseconds as interval: it has a fraction of a microsecond, which PostgreSQL "
            "does not keep (std::chrono::floor or round it to std::chrono::microseconds first)");
  EXPECT_NE(encode_error(std::chrono::hours::max()).find("outside"), std::string::npos);
}

// --- properties -----------------------------------------------------------------

TEST(chrono_text, RandomValuesSurviveFormatAndParse) {
  std::mt19937_64 rng(20261127);
  std::uniform_int_distribution<std::int64_t> ts(detail::pg_timestamp_min, detail::pg_timestamp_max);
  std::uniform_int_distribution<std::int32_t> i32;
  std::uniform_int_distribution<std::int64_t> i64;
  std::uniform_int_distribution<std::int64_t> small(-100'000'000'000, 100'000'000'000);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t t = ts(rng);
    const std::string local_text = detail::format_timestamp(t, false);
    ASSERT_EQ(detail::read_timestamp(text(local_text, oid::timestamp), oid::timestamp, "t"), t) << local_text;
    const std::string utc_text = detail::format_timestamp(t, true);
    ASSERT_EQ(detail::read_timestamp(text(utc_text, oid::timestamptz), oid::timestamptz, "t"), t) << utc_text;
    const interval v{i32(rng), i32(rng), i % 2 ? i64(rng) : small(rng)};
    if (!v.is_finite()) continue;
    const std::string interval_text = to_string(v);
    ASSERT_EQ(codec<interval>::decode(text(interval_text, oid::interval)), v) << interval_text;
  }
}

TEST(chrono_text, DamagedTextIsOnlyEverAConversionError) {
  std::mt19937_64 rng(7);
  const std::vector<std::pair<std::string, std::uint32_t>> seeds = {
      {"2026-11-27", oid::date},
      {"0044-03-15 BC", oid::date},
      {"2026-11-27 06:25:17.123456", oid::timestamp},
      {"0044-03-15 00:00:00+05:53:28 BC", oid::timestamptz},
      {"24:00:00", oid::time},
      {"-1 years -2 mons +3 days -04:05:06.789", oid::interval},
  };
  const std::string alphabet = "0123456789-+:. BCADTZyearmonsday";
  std::size_t parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    const auto& [seed, type] = seeds[static_cast<std::size_t>(i) % seeds.size()];
    std::string s = seed;
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      const std::size_t at = rng() % (s.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: s.insert(at, 1, c); break;
        case 1:
          if (at < s.size()) s.erase(at, 1);
          break;
        default:
          if (at < s.size()) s[at] = c;
          break;
      }
    }
    const value_view v = text(s, type);
    try {
      switch (type) {
        case oid::date: (void)codec<with_infinity<sys_days>>::decode(v); break;
        case oid::timestamp: (void)codec<with_infinity<us_local>>::decode(v); break;
        case oid::timestamptz: (void)codec<with_infinity<us_sys>>::decode(v); break;
        case oid::time: (void)codec<time_of_day>::decode(v); break;
        default: (void)codec<interval>::decode(v); break;
      }
      ++parsed;
    } catch (const conversion_error& e) {
      ASSERT_NE(std::string_view(e.what()).find("cannot read"), std::string_view::npos);
    }
  }
  EXPECT_GT(parsed, 0u);
}

// --- text of binary parameters --------------------------------------------------

TEST(chrono_param_text, BinaryParametersSpelledAsTheServerPrints) {
  const auto spelled = [](const auto& value) {
    std::string scratch;
    std::string out;
    const param_ref p = codec<std::remove_cvref_t<decltype(value)>>::encode(value, scratch);
    EXPECT_TRUE(detail::append_chrono_param_text(p, out));
    return out;
  };
  EXPECT_EQ(spelled(ymd(-43, 3, 15)), "0044-03-15 BC");
  EXPECT_EQ(spelled(with_infinity<sys_days>::infinity()), "infinity");
  EXPECT_EQ(spelled(utc(2026, 11, 27, 6, 25, 17, 123456)), "2026-11-27 06:25:17.123456+00");
  EXPECT_EQ(spelled(local(-43, 3, 15, 12)), "0044-03-15 12:00:00 BC");
  EXPECT_EQ(spelled(time_of_day(24h)), "24:00:00");
  EXPECT_EQ(spelled(interval{-14, 3, -14'706'000'000}), "-1 years -2 mons +3 days -04:05:06");
  std::string out;
  EXPECT_FALSE(detail::append_chrono_param_text(param_ref::text("x", oid::date), out));
  std::string scratch;
  EXPECT_FALSE(detail::append_chrono_param_text(codec<int>::encode(1, scratch), out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace pgwrap::test
