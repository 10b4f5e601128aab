#pragma once
/// @file
/// Dates, times, timestamps and intervals, as `<chrono>` types.
/**
 * | PostgreSQL                | C++                                                    |
 * |---------------------------|--------------------------------------------------------|
 * | date                      | std::chrono::year_month_day, sys_days, local_days      |
 * | time (without time zone)  | pgwrap::time_of_day                                    |
 * | timestamp (without tz)    | std::chrono::local_time<D>                             |
 * | timestamptz               | std::chrono::sys_time<D> (a UTC instant)               |
 * | interval                  | pgwrap::interval; std::chrono::duration<R, P> when the |
 * |                           | interval has no months and no days                     |
 * | date, timestamp(tz) ±inf  | pgwrap::with_infinity<T> of the types above            |
 *
 * D is any std::chrono::duration with a signed integer count (nanoseconds,
 * microseconds, milliseconds, seconds, ...); sys_days and local_days are
 * dates, not midnight timestamps.
 *
 * Parameters go in binary with the exact type (no DateStyle or TimeZone
 * involved). Results are read in either form: binary, or the text the server
 * prints with DateStyle ISO and IntervalStyle postgres (the session's
 * settings; timestamptz text carries the session's UTC offset, which is
 * applied, so the instant is the same whatever TimeZone is).
 *
 * Nothing is ever rounded or truncated silently:
 *   - PostgreSQL keeps microseconds. Sending a finer value (e.g.
 *     std::chrono::system_clock::now(), which is nanoseconds in libstdc++)
 *     with a non-zero sub-microsecond part is a conversion_error: round it
 *     first with std::chrono::floor/round<std::chrono::microseconds>.
 *     Reading into a coarser duration (seconds, sys_days, ...) works only
 *     when the value is a whole number of that unit, else conversion_error.
 *   - Values outside a type's range are conversion_errors, both ways:
 *     std::chrono::year holds -32767..32767 while PostgreSQL dates reach
 *     5874897 AD (sys_days holds them all); sys_time<microseconds> ends in
 *     294247 AD, PostgreSQL timestamps in 294276 AD (sys_seconds holds
 *     them). PostgreSQL's own ranges are checked before sending: date
 *     4714-11-24 BC to 5874897-12-31, timestamp(tz) 4714-11-24 00:00:00 BC
 *     to 294276-12-31 23:59:59.999999.
 *   - A timestamptz is an instant and a timestamp a wall-clock reading; one
 *     is not read as the other (that needs a time zone: convert in SQL with
 *     AT TIME ZONE), and a date is not read as a timestamp or vice versa.
 *     Any other column type is a conversion_error too ("the value is
 *     integer, not date"), except that a text column holding the server's
 *     spelling reads as the type it spells.
 *   - A month or a day has no fixed length in PostgreSQL (months vary, a
 *     day may have 23 or 25 hours in a time zone), so an interval with
 *     months or days is not read as a std::chrono::duration (read it as
 *     pgwrap::interval). Durations are sent as intervals of pure time:
 *     std::chrono::days{2} is sent as '48:00:00', not '2 days'.
 *
 * Years: C++ uses astronomical numbering, PostgreSQL BC: 1 BC is C++ year 0,
 * 44 BC is year -43.
 *
 * Infinity: 'infinity' and '-infinity' (date, timestamp, timestamptz) have no
 * `<chrono>` value; reading one into a plain `<chrono>` type is a
 * conversion_error ("infinity cannot be represented as ..."). Read them into
 * pgwrap::with_infinity<T>, which also sends them
 * (`pgwrap::with_infinity<std::chrono::sys_days>::infinity()`). The
 * extremes of the `<chrono>` types (`sys_time<...>::max()`) are ordinary,
 * out-of-range values, never infinity. An interval's infinity
 * (PostgreSQL 17) reads as interval::infinity() / minus_infinity().
 */

#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <ratio>
#include <string>
#include <string_view>
#include <type_traits>

#include "pgwrap/codec.hpp"

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap {

/// @brief A PostgreSQL `time` (without time zone): microseconds since midnight,
/// from 00:00:00 to 24:00:00 inclusive (PostgreSQL allows 24:00:00). Values
/// outside that range are a conversion_error when sent.
struct time_of_day {
  /// The value.
  std::chrono::microseconds since_midnight{0};

  /// Midnight (00:00:00).
  constexpr time_of_day() noexcept = default;
  /// Any duration that converts to microseconds without loss (hours, seconds, ...).
  constexpr explicit time_of_day(std::chrono::microseconds d) noexcept : since_midnight(d) {}
  /// h:m:s.us, e.g. `time_of_day(std::chrono::hours(9), std::chrono::minutes(30))`; not range-checked (see ok()).
  constexpr time_of_day(std::chrono::hours h, std::chrono::minutes m, std::chrono::seconds s = {},
                        std::chrono::microseconds us = {}) noexcept
      : since_midnight(h + m + s + us) {}

  /// Within 00:00:00..24:00:00.
  [[nodiscard]] constexpr bool ok() const noexcept {
    return since_midnight >= std::chrono::microseconds::zero() && since_midnight <= std::chrono::hours(24);
  }
  /// Hours, minutes, seconds and subseconds.
  [[nodiscard]] constexpr std::chrono::hh_mm_ss<std::chrono::microseconds> hms() const noexcept {
    return std::chrono::hh_mm_ss<std::chrono::microseconds>(since_midnight);
  }
  /// By since_midnight.
  friend constexpr auto operator<=>(const time_of_day&, const time_of_day&) = default;
};

/// @brief A PostgreSQL `interval`, its three fields kept apart as PostgreSQL keeps
/// them: a month is not 30 days and a day not 24 hours (time zones).
/// `interval{.months = 14, .days = 3, .microseconds = 14'706'789'000}` is
/// '1 year 2 mons 3 days 04:05:06.789'. Equality compares the fields: in SQL
/// '1 day' = '24:00:00', but interval{0, 1, 0} != interval{0, 0, 86'400'000'000}.
struct interval {
  /// Months (a year is 12)
  std::int32_t months = 0;
  /// Days.
  std::int32_t days = 0;
  /// The time part.
  std::int64_t microseconds = 0;

  /// Pure time: no months, no days.
  static constexpr interval from(std::chrono::microseconds d) noexcept { return {0, 0, d.count()}; }
  /// PostgreSQL 17's infinite intervals (every field at its extreme).
  static constexpr interval infinity() noexcept {
    return {std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::max(),
            std::numeric_limits<std::int64_t>::max()};
  }
  /// PostgreSQL 17's `-infinity` interval.
  static constexpr interval minus_infinity() noexcept {
    return {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::min(),
            std::numeric_limits<std::int64_t>::min()};
  }
  /// Neither infinity() nor minus_infinity().
  [[nodiscard]] constexpr bool is_finite() const noexcept { return *this != infinity() && *this != minus_infinity(); }

  /// Field by field (see above).
  friend constexpr bool operator==(const interval&, const interval&) = default;
};

/// @brief The interval as PostgreSQL prints it with IntervalStyle postgres:
/// "1 year 2 mons 3 days 04:05:06.789", "-1 days +02:00:00", "00:00:00".
std::string to_string(const interval& v);
/// "HH:MM:SS[.ffffff]", as PostgreSQL prints a time.
std::string to_string(time_of_day v);

namespace detail {
// Throws usage_error: with_infinity::value() of an infinite value.
[[noreturn]] void throw_infinite_value(int sign);
}  // namespace detail

/// @brief A date or timestamp that may also be 'infinity' or '-infinity'. T is
/// std::chrono::year_month_day, sys_days, local_days, sys_time<D> or
/// local_time<D>; it converts implicitly from T.
///
///     auto until = db.scalar<pgwrap::with_infinity<std::chrono::sys_days>>("SELECT valid_until FROM ...");
///     if (until.is_infinity()) ...
///     db.execute("UPDATE ... SET valid_until = %s", pgwrap::with_infinity<std::chrono::sys_days>::infinity());
template <typename T>
class with_infinity {
 public:
  /// A finite, value-initialised T.
  constexpr with_infinity() = default;
  /// The finite `value`.
  constexpr with_infinity(const T& value) : value_(value) {}  // NOLINT(google-explicit-constructor)

  /// 'infinity'.
  static constexpr with_infinity infinity() {
    with_infinity w;
    w.sign_ = 1;
    return w;
  }
  /// '-infinity'.
  static constexpr with_infinity minus_infinity() {
    with_infinity w;
    w.sign_ = -1;
    return w;
  }

  /// Neither infinity.
  [[nodiscard]] constexpr bool is_finite() const noexcept { return sign_ == 0; }
  /// 'infinity'.
  [[nodiscard]] constexpr bool is_infinity() const noexcept { return sign_ > 0; }
  /// '-infinity'.
  [[nodiscard]] constexpr bool is_minus_infinity() const noexcept { return sign_ < 0; }
  /// 0 when finite, 1 for infinity, -1 for -infinity.
  [[nodiscard]] constexpr int infinity_sign() const noexcept { return sign_; }

  /// The finite value; a usage_error when infinite.
  [[nodiscard]] const T& value() const {
    if (sign_ != 0) detail::throw_infinite_value(sign_);
    return value_;
  }
  /// The finite value, or `fallback` when infinite.
  [[nodiscard]] constexpr T value_or(const T& fallback) const { return sign_ == 0 ? value_ : fallback; }

  /// Same infinity, or both finite and equal.
  friend constexpr bool operator==(const with_infinity&, const with_infinity&) = default;

 private:
  T value_{};
  std::int8_t sign_ = 0;
};

namespace detail {

// PostgreSQL's representation (src/include/datatype/timestamp.h): dates are
// days and timestamps microseconds since 2000-01-01; ±infinity are the
// integer extremes. These are the finite limits.
inline constexpr std::int32_t pg_date_min = -2451545;                         // 4714-11-24 BC
inline constexpr std::int32_t pg_date_max = 2145031948;                       // 5874897-12-31
inline constexpr std::int64_t pg_timestamp_min = -211813488000000000;         // 4714-11-24 00:00:00 BC
inline constexpr std::int64_t pg_timestamp_max = 9223371331199999999;         // 294276-12-31 23:59:59.999999
inline constexpr std::int64_t pg_epoch_days = 10957;                          // 2000-01-01 - 1970-01-01
inline constexpr std::int64_t pg_epoch_micros = pg_epoch_days * 86400000000;  // the same in microseconds
inline constexpr std::int64_t micros_per_day = 86400000000;

// A duration pgwrap can carry exactly: a signed integer count of at most 64 bits.
template <typename D>
concept integer_duration = requires {
  typename D::rep;
  typename D::period;
}
&&std::same_as<D, std::chrono::duration<typename D::rep, typename D::period>>&& std::signed_integral<typename D::rep> &&
    sizeof(typename D::rep) <= 8;

template <typename D>
constexpr std::string_view duration_name() {
  if constexpr (std::is_same_v<D, std::chrono::nanoseconds>)
    return "std::chrono::nanoseconds";
  else if constexpr (std::is_same_v<D, std::chrono::microseconds>)
    return "std::chrono::microseconds";
  else if constexpr (std::is_same_v<D, std::chrono::milliseconds>)
    return "std::chrono::milliseconds";
  else if constexpr (std::is_same_v<D, std::chrono::seconds>)
    return "std::chrono::seconds";
  else if constexpr (std::is_same_v<D, std::chrono::minutes>)
    return "std::chrono::minutes";
  else if constexpr (std::is_same_v<D, std::chrono::hours>)
    return "std::chrono::hours";
  else if constexpr (std::is_same_v<D, std::chrono::days>)
    return "std::chrono::days";
  else if constexpr (std::is_same_v<D, std::chrono::weeks>)
    return "std::chrono::weeks";
  else
    return "std::chrono::duration";
}

template <typename Clock, typename D>
constexpr std::string_view time_point_name() {
  constexpr bool sys = std::is_same_v<Clock, std::chrono::system_clock>;
  if constexpr (std::is_same_v<D, std::chrono::nanoseconds>) {
    return sys ? "std::chrono::sys_time<std::chrono::nanoseconds>"
               : "std::chrono::local_time<std::chrono::nanoseconds>";
  } else if constexpr (std::is_same_v<D, std::chrono::microseconds>) {
    return sys ? "std::chrono::sys_time<std::chrono::microseconds>"
               : "std::chrono::local_time<std::chrono::microseconds>";
  } else if constexpr (std::is_same_v<D, std::chrono::milliseconds>) {
    return sys ? "std::chrono::sys_time<std::chrono::milliseconds>"
               : "std::chrono::local_time<std::chrono::milliseconds>";
  } else if constexpr (std::is_same_v<D, std::chrono::seconds>) {
    return sys ? "std::chrono::sys_seconds" : "std::chrono::local_seconds";
  } else if constexpr (std::is_same_v<D, std::chrono::minutes>) {
    return sys ? "std::chrono::sys_time<std::chrono::minutes>" : "std::chrono::local_time<std::chrono::minutes>";
  } else if constexpr (std::is_same_v<D, std::chrono::hours>) {
    return sys ? "std::chrono::sys_time<std::chrono::hours>" : "std::chrono::local_time<std::chrono::hours>";
  } else {
    return sys ? "std::chrono::sys_time" : "std::chrono::local_time";
  }
}

// The raw PostgreSQL values, from either wire format; ±infinity come back as
// the integer extremes. Each checks the column's type: the expected one, or
// (text only) a text type holding the same spelling.
std::int32_t read_date(const value_view& v, std::string_view cxx_type);
std::int64_t read_timestamp(const value_view& v, std::uint32_t type, std::string_view cxx_type);
std::int64_t read_time(const value_view& v, std::string_view cxx_type);
interval read_interval(const value_view& v, std::string_view cxx_type);
// As above, but ±infinity is a conversion_error naming cxx_type.
std::int32_t read_finite_date(const value_view& v, std::string_view cxx_type);
std::int64_t read_finite_timestamp(const value_view& v, std::uint32_t type, std::string_view cxx_type);
// 1 / -1 when v is ±infinity of `type` (date, timestamp, timestamptz), else 0.
int read_infinity(const value_view& v, std::uint32_t type, std::string_view cxx_type);

// The binary parameters. Dates and timestamps are range-checked (infinity,
// the extremes, passes); `cxx_type` names the C++ type in errors.
param_ref write_date(std::int64_t days_since_1970, std::string_view cxx_type, std::string& out);
param_ref write_raw_date(std::int32_t pg_days, std::string& out);
param_ref write_raw_timestamp(std::int64_t pg_micros, std::uint32_t type, std::string& out);
param_ref write_interval(const interval& v, std::string& out);
param_ref write_infinity(int sign, std::uint32_t type, std::string& out);

// count·num/den µs + offset, exactly and within [lo, hi]; else a
// conversion_error: "cannot send <cxx_type> as <pg_type>: ...".
std::int64_t count_to_micros(std::int64_t count, std::intmax_t num, std::intmax_t den, std::int64_t offset,
                             std::int64_t lo, std::int64_t hi, std::string_view cxx_type, std::uint32_t pg_type);
// (micros + offset)·den/num, exactly and within [lo, hi]; else conversion_failure(v, cxx_type, ...).
std::int64_t micros_to_count(const value_view& v, std::int64_t micros, std::intmax_t num, std::intmax_t den,
                             std::int64_t offset, std::int64_t lo, std::int64_t hi, std::string_view cxx_type);
// An interval as a duration: only when it has no months and days.
std::int64_t interval_micros(const value_view& v, std::string_view cxx_type);

// Proleptic Gregorian calendar, astronomical years (0 = 1 BC), days since 1970-01-01.
struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept;
civil_date civil_from_days(std::int64_t days) noexcept;

// PostgreSQL's text (DateStyle ISO, IntervalStyle postgres, timestamptz in UTC "+00").
std::string format_date(std::int32_t pg_days);
std::string format_timestamp(std::int64_t pg_micros, bool with_time_zone);
std::string format_time(std::int64_t micros);
// Appends the text PostgreSQL would print for a binary date/time parameter
// (date, time, timestamp, timestamptz in UTC, interval); false for other types.
bool append_chrono_param_text(const param_ref& p, std::string& out);

template <typename D>
using to_micros_ratio = std::ratio_divide<typename D::period, std::micro>;

template <typename Clock, typename D>
struct time_point_codec {
  using value_type = std::chrono::time_point<Clock, D>;
  using rep = typename D::rep;
  using ratio = to_micros_ratio<D>;
  static constexpr std::uint32_t type_oid =
      std::is_same_v<Clock, std::chrono::system_clock> ? oid::timestamptz : oid::timestamp;
  static constexpr std::string_view name = time_point_name<Clock, D>();

  static param_ref encode(const value_type& t, std::string& scratch) {
    const std::int64_t pg = count_to_micros(t.time_since_epoch().count(), ratio::num, ratio::den, -pg_epoch_micros,
                                            pg_timestamp_min, pg_timestamp_max, name, type_oid);
    return write_raw_timestamp(pg, type_oid, scratch);
  }
  static value_type decode(const value_view& v) {
    if constexpr (std::is_same_v<D, std::chrono::microseconds>) {  // inline: a finite binary value, no scaling
      if (v.format == wire_format::binary && v.type_oid == type_oid && v.data.size() == 8) {
        const auto pg = load_be<std::int64_t>(v.data.data());
        std::int64_t count = 0;
        // Within PostgreSQL's range (so not ±infinity either); anything else takes the checked path.
        if (pg >= pg_timestamp_min && pg <= pg_timestamp_max && !__builtin_add_overflow(pg, pg_epoch_micros, &count)) {
          return value_type(D(count));
        }
      }
    }
    const std::int64_t pg = read_finite_timestamp(v, type_oid, name);
    return value_type(
        D(static_cast<rep>(micros_to_count(v, pg, ratio::num, ratio::den, pg_epoch_micros,
                                           std::numeric_limits<rep>::min(), std::numeric_limits<rep>::max(), name))));
  }
  static bool reads_binary(std::uint32_t type) { return type == type_oid; }
};

// Dates: year_month_day, sys_days, local_days.
struct date_codec_base {
  static constexpr std::uint32_t type_oid = oid::date;
  static bool reads_binary(std::uint32_t type) { return type == oid::date; }
};

}  // namespace detail

/// @brief date ↔ std::chrono::year_month_day (years -32767..32767; an invalid
/// year_month_day such as 2023-02-30 is a conversion_error when sent).
template <>
struct codec<std::chrono::year_month_day> : detail::date_codec_base {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(const std::chrono::year_month_day& v, std::string& scratch);
  static std::chrono::year_month_day decode(const value_view& v);
  /// @}
};

/// date ↔ std::chrono::sys_days (a day, not a midnight instant): PostgreSQL's whole range.
template <>
struct codec<std::chrono::sys_days> : detail::date_codec_base {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(const std::chrono::sys_days& v, std::string& scratch);
  static std::chrono::sys_days decode(const value_view& v);
  /// @}
};

/// date ↔ std::chrono::local_days, as sys_days.
template <>
struct codec<std::chrono::local_days> : detail::date_codec_base {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(const std::chrono::local_days& v, std::string& scratch);
  static std::chrono::local_days decode(const value_view& v);
  /// @}
};

/// timestamptz ↔ std::chrono::sys_time<D>: a UTC instant.
template <detail::integer_duration D>
struct codec<std::chrono::time_point<std::chrono::system_clock, D>>
    : detail::time_point_codec<std::chrono::system_clock, D> {};

/// @brief timestamp (without time zone) ↔ std::chrono::local_time<D>: a wall-clock
/// reading in no particular zone.
template <detail::integer_duration D>
struct codec<std::chrono::time_point<std::chrono::local_t, D>> : detail::time_point_codec<std::chrono::local_t, D> {};

/// time ↔ pgwrap::time_of_day.
template <>
struct codec<time_of_day> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::time;
  static param_ref encode(const time_of_day& v, std::string& scratch);
  static time_of_day decode(const value_view& v);
  static bool reads_binary(std::uint32_t type) { return type == oid::time; }
  /// @}
};

/// interval ↔ pgwrap::interval, every interval PostgreSQL has.
template <>
struct codec<interval> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = oid::interval;
  static param_ref encode(const interval& v, std::string& scratch) { return detail::write_interval(v, scratch); }
  static interval decode(const value_view& v) { return detail::read_interval(v, "pgwrap::interval"); }
  static bool reads_binary(std::uint32_t type) { return type == oid::interval; }
  /// @}
};

/// @brief interval ↔ std::chrono::duration: sent as pure time ('48:00:00' for two
/// days); read only from an interval without months or days.
template <typename Rep, typename Period>
requires detail::integer_duration<std::chrono::duration<Rep, Period>>
struct codec<std::chrono::duration<Rep, Period>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  using D = std::chrono::duration<Rep, Period>;
  static constexpr std::uint32_t type_oid = oid::interval;
  static constexpr std::string_view name = detail::duration_name<D>();
  using ratio = detail::to_micros_ratio<D>;
  using rep = typename D::rep;
  static param_ref encode(const D& d, std::string& scratch) {
    const std::int64_t micros =
        detail::count_to_micros(d.count(), ratio::num, ratio::den, 0, std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::max(), name, type_oid);
    return detail::write_interval(interval{0, 0, micros}, scratch);
  }
  static D decode(const value_view& v) {
    const std::int64_t micros = detail::interval_micros(v, name);
    return D(static_cast<rep>(detail::micros_to_count(
        v, micros, ratio::num, ratio::den, 0, std::numeric_limits<rep>::min(), std::numeric_limits<rep>::max(), name)));
  }
  static bool reads_binary(std::uint32_t type) { return type == oid::interval; }
  /// @}
};

/// ±infinity and the finite values of a date or timestamp type.
template <typename T>
requires(detail::null_oid<T>() == oid::date || detail::null_oid<T>() == oid::timestamp ||
         detail::null_oid<T>() == oid::timestamptz) struct codec<with_infinity<T>> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static constexpr std::uint32_t type_oid = codec<T>::type_oid;
  static param_ref encode(const with_infinity<T>& v, std::string& scratch) {
    if (v.is_finite()) return codec<T>::encode(v.value(), scratch);
    return detail::write_infinity(v.infinity_sign(), type_oid, scratch);
  }
  static with_infinity<T> decode(const value_view& v) {
    if (const int sign = detail::read_infinity(v, type_oid, "pgwrap::with_infinity")) {
      return sign > 0 ? with_infinity<T>::infinity() : with_infinity<T>::minus_infinity();
    }
    return codec<T>::decode(v);
  }
  static bool reads_binary(std::uint32_t type) { return codec<T>::reads_binary(type); }
  /// @}
};

}  // namespace pgwrap
PGWRAP_API_END
