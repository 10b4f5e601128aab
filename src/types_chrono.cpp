// Dates, times, timestamps and intervals: PostgreSQL's binary forms, and the
// text it prints with DateStyle ISO and IntervalStyle postgres. Every failure
// is a conversion_error saying what the value was and why it does not fit;
// nothing is rounded, truncated or wrapped silently.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap {
namespace detail {
namespace {

// NOLINTNEXTLINE(modernize-use-using): __extension__ (for -Wpedantic) goes with a typedef
__extension__ typedef __int128 i128;  // exact intermediate products of two 64-bit values

constexpr std::uint32_t unknown_literal_oid = 705;  // pg_type "unknown"
constexpr std::int64_t micros_per_second = 1000000;
constexpr std::int64_t micros_per_minute = 60 * micros_per_second;
constexpr std::int64_t micros_per_hour = 60 * micros_per_minute;
constexpr std::int32_t date_infinity = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t date_minus_infinity = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t timestamp_infinity = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t timestamp_minus_infinity = std::numeric_limits<std::int64_t>::min();

constexpr std::string_view date_range = "4714-11-24 BC to 5874897-12-31";
constexpr std::string_view timestamp_range = "4714-11-24 00:00:00 BC to 294276-12-31 23:59:59.999999";

// ---------------------------------------------------------------- text output

void append_padded(std::string& out, std::uint64_t n, std::size_t width) {
  char buf[24];
  const auto len = static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, n).ptr - buf);
  if (len < width) out.append(width - len, '0');
  out.append(buf, len);
}

// ".ffffff" without trailing zeros; nothing for a whole second.
void append_fraction(std::string& out, std::uint64_t micros) {
  if (micros == 0) return;
  char digits[6];
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  std::size_t n = 6;
  while (digits[n - 1] == '0') --n;
  out += '.';
  out.append(digits, n);
}

// HH:MM:SS[.ffffff] of a non-negative time; hours may exceed 24 (intervals).
void append_hms(std::string& out, std::uint64_t micros) {
  const auto per_hour = static_cast<std::uint64_t>(micros_per_hour);
  const auto per_minute = static_cast<std::uint64_t>(micros_per_minute);
  const auto per_second = static_cast<std::uint64_t>(micros_per_second);
  append_padded(out, micros / per_hour, 2);
  out += ':';
  append_padded(out, micros / per_minute % 60, 2);
  out += ':';
  append_padded(out, micros / per_second % 60, 2);
  append_fraction(out, micros % per_second);
}

// YYYY-MM-DD with PostgreSQL's year (no year 0); returns whether it is BC.
bool append_civil_date(std::string& out, std::int64_t days_since_1970) {
  const civil_date c = civil_from_days(days_since_1970);
  const bool bc = c.year <= 0;
  append_padded(out, static_cast<std::uint64_t>(bc ? 1 - c.year : c.year), 4);
  out += '-';
  append_padded(out, c.month, 2);
  out += '-';
  append_padded(out, c.day, 2);
  return bc;
}

// A date for a message, whatever its range.
std::string shown_days(std::int64_t days_since_1970) {
  constexpr std::int64_t sane = 1'000'000'000'000;
  if (days_since_1970 > sane || days_since_1970 < -sane) {
    return "day " + std::to_string(days_since_1970) + " after 1970-01-01";
  }
  std::string out;
  if (append_civil_date(out, days_since_1970)) out += " BC";
  return out;
}

void append_interval_part(std::string& out, std::int64_t value, std::string_view unit, bool& is_zero, bool& is_before) {
  if (value == 0) return;
  if (!is_zero) out += ' ';
  if (is_before && value > 0) out += '+';
  out += std::to_string(value);
  out += ' ';
  out += unit;
  if (value != 1) out += 's';
  is_before = value < 0;
  is_zero = false;
}

// ---------------------------------------------------------------- text input

class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}
  [[nodiscard]] bool done() const { return pos_ == s_.size(); }
  [[nodiscard]] char peek() const { return done() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (peek() != c || done()) return false;
    ++pos_;
    return true;
  }
  bool eat(std::string_view word) {
    if (s_.substr(pos_).substr(0, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  // Between min and max decimal digits.
  std::optional<std::int64_t> number(std::size_t min, std::size_t max) {
    std::int64_t n = 0;
    std::size_t count = 0;
    while (count < max && !done() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      n = n * 10 + (s_[pos_] - '0');
      ++pos_;
      ++count;
    }
    if (count < min) return std::nullopt;
    return n;
  }
  // An optional ".f" of 1 to 6 digits, as microseconds.
  std::optional<std::int64_t> fraction() {
    if (!eat('.')) return 0;
    const std::size_t start = pos_;
    const auto digits = number(1, 6);
    if (!digits) return std::nullopt;
    std::int64_t micros = *digits;
    for (std::size_t i = pos_ - start; i < 6; ++i) micros *= 10;
    return micros;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

bool is_leap(std::int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

unsigned days_in_month(std::int64_t year, unsigned month) {
  constexpr unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : lengths[month - 1];
}

// YYYY-MM-DD as written (the era comes later).
struct written_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

std::optional<written_date> parse_ymd(cursor& c) {
  const auto year = c.number(4, 9);
  if (!year || !c.eat('-')) return std::nullopt;
  const auto month = c.number(2, 2);
  if (!month || !c.eat('-')) return std::nullopt;
  const auto day = c.number(2, 2);
  if (!day) return std::nullopt;
  return written_date{*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)};
}

// Days since 1970 of a written date and its era, or why it is not a date.
std::int64_t checked_days(const value_view& v, std::string_view cxx_type, const written_date& d, bool bc) {
  if (d.year == 0) conversion_failure(v, cxx_type, "there is no year 0 (1 BC precedes 1 AD)");
  const std::int64_t year = bc ? 1 - d.year : d.year;
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(year, d.month)) {
    conversion_failure(v, cxx_type, "not a valid date");
  }
  return days_from_civil(year, d.month, d.day);
}

bool parse_era(cursor& c) {
  if (c.eat(" BC")) return true;
  c.eat(" AD");
  return false;
}

// HH:MM:SS[.ffffff] as microseconds; hours up to max_hour (then the rest is 0).
std::optional<std::int64_t> parse_hms(cursor& c, std::int64_t max_hour) {
  const auto h = c.number(2, 2);
  if (!h || !c.eat(':')) return std::nullopt;
  const auto m = c.number(2, 2);
  if (!m || !c.eat(':')) return std::nullopt;
  const auto s = c.number(2, 2);
  if (!s) return std::nullopt;
  const auto f = c.fraction();
  if (!f || *h > max_hour || *m > 59 || *s > 59) return std::nullopt;
  const std::int64_t micros = *h * micros_per_hour + *m * micros_per_minute + *s * micros_per_second + *f;
  if (*h == 24 && micros != micros_per_day) return std::nullopt;  // time's 24:00:00, and no further
  return micros;
}

// +HH[:MM[:SS]] (or Z) as seconds east of UTC.
std::optional<std::int64_t> parse_offset(cursor& c) {
  if (c.eat('Z')) return 0;
  const bool negative = c.eat('-');
  if (!negative && !c.eat('+')) return std::nullopt;
  const auto h = c.number(2, 2);
  if (!h) return std::nullopt;
  std::int64_t m = 0;
  std::int64_t s = 0;
  if (c.eat(':')) {
    const auto mm = c.number(2, 2);
    if (!mm || *mm > 59) return std::nullopt;
    m = *mm;
    if (c.eat(':')) {
      const auto ss = c.number(2, 2);
      if (!ss || *ss > 59) return std::nullopt;
      s = *ss;
    }
  }
  const std::int64_t seconds = *h * 3600 + m * 60 + s;
  return negative ? -seconds : seconds;
}

// ------------------------------------------------------------------- checks

// The column is `expected`, or (text only) a text type that may spell one.
void check_type(const value_view& v, std::uint32_t expected, std::string_view cxx_type) {
  if (v.type_oid == expected) return;
  if (v.format == wire_format::text &&
      (v.type_oid == oid::unknown || v.type_oid == unknown_literal_oid || is_text_oid(v.type_oid))) {
    return;
  }
  if (expected == oid::timestamptz && v.type_oid == oid::timestamp) {
    conversion_failure(v, cxx_type,
                       "a timestamp (without time zone) is a wall-clock reading, not an instant: read it as "
                       "std::chrono::local_time, or give it a zone in SQL (AT TIME ZONE)");
  }
  if (expected == oid::timestamp && v.type_oid == oid::timestamptz) {
    conversion_failure(v, cxx_type,
                       "a timestamptz is an instant, not a wall-clock reading: read it as std::chrono::sys_time, "
                       "or convert it in SQL (AT TIME ZONE)");
  }
  conversion_failure(v, cxx_type, "the value is " + type_name(v.type_oid) + ", not " + type_name(expected));
}

[[noreturn]] void infinite_failure(const value_view& v, int sign, std::string_view cxx_type) {
  std::string why = sign > 0 ? "infinity" : "-infinity";
  why += " cannot be represented as ";
  why += cxx_type;
  why += " (read it as pgwrap::with_infinity<";
  why += cxx_type;
  why += ">, or test isfinite() in SQL)";
  conversion_failure(v, cxx_type, why);
}

std::string_view text_syntax(std::uint32_t type) {
  switch (type) {
    case oid::date: return "not a date (expected YYYY-MM-DD[ BC], as DateStyle ISO prints it)";
    case oid::timestamp:
      return "not a timestamp (expected YYYY-MM-DD HH:MM:SS[.ffffff][ BC], as DateStyle ISO prints it)";
    case oid::timestamptz:
      return "not a timestamptz (expected YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]][ BC], as DateStyle ISO "
             "prints it)";
    case oid::time: return "not a time (expected HH:MM:SS[.ffffff], from 00:00:00 to 24:00:00)";
    default:
      return "not an interval as IntervalStyle postgres prints it (e.g. \"1 year 2 mons -3 days +04:05:06.789\")";
  }
}

[[noreturn]] void interval_syntax(const value_view& v, std::string_view cxx_type) {
  conversion_failure(v, cxx_type, text_syntax(oid::interval));
}

std::string_view range_of(std::uint32_t type) {
  switch (type) {
    case oid::date: return date_range;
    case oid::timestamp:
    case oid::timestamptz: return timestamp_range;
    default: return "64-bit microseconds";
  }
}

}  // namespace

// ---------------------------------------------------------------- calendar

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  // Howard Hinnant's algorithm, in 400-year eras.
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = month > 2 ? month - 3 : month + 9;
  const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

civil_date civil_from_days(std::int64_t days) noexcept {
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// ---------------------------------------------------------------- formatting

std::string format_date(std::int32_t pg_days) {
  if (pg_days == date_infinity) return "infinity";
  if (pg_days == date_minus_infinity) return "-infinity";
  std::string out;
  if (append_civil_date(out, pg_days + pg_epoch_days)) out += " BC";
  return out;
}

std::string format_timestamp(std::int64_t pg_micros, bool with_time_zone) {
  if (pg_micros == timestamp_infinity) return "infinity";
  if (pg_micros == timestamp_minus_infinity) return "-infinity";
  std::int64_t days = pg_micros / micros_per_day;
  std::int64_t time = pg_micros % micros_per_day;
  if (time < 0) {
    time += micros_per_day;
    --days;
  }
  std::string out;
  const bool bc = append_civil_date(out, days + pg_epoch_days);
  out += ' ';
  append_hms(out, static_cast<std::uint64_t>(time));
  if (with_time_zone) out += "+00";
  if (bc) out += " BC";
  return out;
}

std::string format_time(std::int64_t micros) {
  std::string out;
  if (micros < 0) out += '-';
  append_hms(out, micros < 0 ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros));
  return out;
}

bool append_chrono_param_text(const param_ref& p, std::string& out) {
  if (p.format != wire_format::binary || p.data == nullptr) return false;
  const value_view v{{p.data, static_cast<std::size_t>(p.length)}, p.oid, wire_format::binary};
  switch (p.oid) {
    case oid::date: out += format_date(read_date(v, "date")); return true;
    case oid::time: out += format_time(read_time(v, "time")); return true;
    case oid::timestamp: out += format_timestamp(read_timestamp(v, oid::timestamp, "timestamp"), false); return true;
    case oid::timestamptz:
      out += format_timestamp(read_timestamp(v, oid::timestamptz, "timestamptz"), true);
      return true;
    case oid::interval: out += to_string(read_interval(v, "interval")); return true;
    default: return false;
  }
}

// ---------------------------------------------------------------- reading

std::int32_t read_date(const value_view& v, std::string_view cxx_type) {
  check_type(v, oid::date, cxx_type);
  if (v.format == wire_format::binary) {
    expect_size(v, 4, cxx_type);
    const auto days = load_be<std::int32_t>(v.data.data());
    if (days != date_infinity && days != date_minus_infinity && (days < pg_date_min || days > pg_date_max)) {
      conversion_failure(v, cxx_type, "outside PostgreSQL's date range");
    }
    return days;
  }
  if (v.data == "infinity") return date_infinity;
  if (v.data == "-infinity") return date_minus_infinity;
  cursor c(v.data);
  const auto d = parse_ymd(c);
  const bool bc = d && parse_era(c);
  if (!d || !c.done()) conversion_failure(v, cxx_type, text_syntax(oid::date));
  const std::int64_t days = checked_days(v, cxx_type, *d, bc) - pg_epoch_days;
  if (days < pg_date_min || days > pg_date_max) {
    conversion_failure(v, cxx_type, "outside PostgreSQL's date range (" + std::string(date_range) + ")");
  }
  return static_cast<std::int32_t>(days);
}

std::int64_t read_timestamp(const value_view& v, std::uint32_t type, std::string_view cxx_type) {
  check_type(v, type, cxx_type);
  if (v.format == wire_format::binary) {
    expect_size(v, 8, cxx_type);
    const auto micros = load_be<std::int64_t>(v.data.data());
    if (micros != timestamp_infinity && micros != timestamp_minus_infinity &&
        (micros < pg_timestamp_min || micros > pg_timestamp_max)) {
      conversion_failure(v, cxx_type, "outside PostgreSQL's timestamp range");
    }
    return micros;
  }
  if (v.data == "infinity") return timestamp_infinity;
  if (v.data == "-infinity") return timestamp_minus_infinity;
  cursor c(v.data);
  const auto d = parse_ymd(c);
  const bool separated = d && (c.eat(' ') || c.eat('T'));
  const auto time = separated ? parse_hms(c, 23) : std::nullopt;
  std::optional<std::int64_t> offset;
  bool offset_ok = true;
  if (time && (c.peek() == '+' || c.peek() == '-' || c.peek() == 'Z')) {
    offset = parse_offset(c);
    offset_ok = offset.has_value();
  }
  const bool bc = time && offset_ok && parse_era(c);
  if (!time || !offset_ok || !c.done()) conversion_failure(v, cxx_type, text_syntax(offset ? oid::timestamptz : type));
  if (type == oid::timestamp && offset) {
    conversion_failure(v, cxx_type,
                       "it has a UTC offset, so it is an instant (a timestamptz): read it as std::chrono::sys_time");
  }
  if (type == oid::timestamptz && !offset) {
    conversion_failure(v, cxx_type,
                       "it has no UTC offset, so it is a wall-clock reading (a timestamp): read it as "
                       "std::chrono::local_time");
  }
  const std::int64_t days = checked_days(v, cxx_type, *d, bc) - pg_epoch_days;
  const i128 micros =
      static_cast<i128>(days) * micros_per_day + *time - static_cast<i128>(offset.value_or(0)) * 1000000;
  if (micros < pg_timestamp_min || micros > pg_timestamp_max) {
    conversion_failure(v, cxx_type, "outside PostgreSQL's timestamp range (" + std::string(timestamp_range) + ")");
  }
  return static_cast<std::int64_t>(micros);
}

std::int64_t read_time(const value_view& v, std::string_view cxx_type) {
  check_type(v, oid::time, cxx_type);
  if (v.format == wire_format::binary) {
    expect_size(v, 8, cxx_type);
    const auto micros = load_be<std::int64_t>(v.data.data());
    if (micros < 0 || micros > micros_per_day) conversion_failure(v, cxx_type, "outside 00:00:00 to 24:00:00");
    return micros;
  }
  cursor c(v.data);
  const auto micros = parse_hms(c, 24);
  if (!micros || !c.done()) conversion_failure(v, cxx_type, text_syntax(oid::time));
  return *micros;
}

interval read_interval(const value_view& v, std::string_view cxx_type) {
  check_type(v, oid::interval, cxx_type);
  if (v.format == wire_format::binary) {
    expect_size(v, 16, cxx_type);
    return interval{load_be<std::int32_t>(v.data.data() + 12), load_be<std::int32_t>(v.data.data() + 8),
                    load_be<std::int64_t>(v.data.data())};
  }
  if (v.data == "infinity") return interval::infinity();
  if (v.data == "-infinity") return interval::minus_infinity();
  // IntervalStyle postgres: "[±N year[s]] [±N mon[s]] [±N day[s]] [±HH:MM:SS[.ffffff]]".
  i128 months = 0;
  i128 days = 0;
  i128 micros = 0;
  bool time_seen = false;
  cursor c(v.data);
  if (c.done()) interval_syntax(v, cxx_type);
  for (bool first = true; !c.done(); first = false) {
    if (time_seen || (!first && !c.eat(' '))) interval_syntax(v, cxx_type);  // the time comes last
    const bool negative = c.eat('-');
    if (!negative) c.eat('+');
    const auto n = c.number(1, 18);
    if (!n) interval_syntax(v, cxx_type);
    if (c.eat(':')) {
      time_seen = true;
      const auto m = c.number(2, 2);
      if (!m || *m > 59 || !c.eat(':')) interval_syntax(v, cxx_type);
      const auto s = c.number(2, 2);
      const auto f = s ? c.fraction() : std::nullopt;
      if (!s || *s > 59 || !f) interval_syntax(v, cxx_type);
      const i128 t = static_cast<i128>(*n) * micros_per_hour + static_cast<i128>(*m) * micros_per_minute +
                     static_cast<i128>(*s) * micros_per_second + *f;
      micros = negative ? -t : t;
      continue;
    }
    const i128 value = negative ? -static_cast<i128>(*n) : static_cast<i128>(*n);
    if (!c.eat(' ')) interval_syntax(v, cxx_type);
    if (c.eat("years") || c.eat("year")) {
      months += value * 12;
    } else if (c.eat("mons") || c.eat("mon")) {
      months += value;
    } else if (c.eat("days") || c.eat("day")) {
      days += value;
    } else {
      interval_syntax(v, cxx_type);
    }
  }
  constexpr auto in = [](i128 x, auto limit_type) {
    using L = decltype(limit_type);
    return x >= std::numeric_limits<L>::min() && x <= std::numeric_limits<L>::max();
  };
  if (!in(months, std::int32_t{}) || !in(days, std::int32_t{}) || !in(micros, std::int64_t{})) {
    conversion_failure(v, cxx_type, "outside interval's range");
  }
  return interval{static_cast<std::int32_t>(months), static_cast<std::int32_t>(days),
                  static_cast<std::int64_t>(micros)};
}

std::int32_t read_finite_date(const value_view& v, std::string_view cxx_type) {
  const std::int32_t days = read_date(v, cxx_type);
  if (days == date_infinity || days == date_minus_infinity) infinite_failure(v, days > 0 ? 1 : -1, cxx_type);
  return days;
}

std::int64_t read_finite_timestamp(const value_view& v, std::uint32_t type, std::string_view cxx_type) {
  const std::int64_t micros = read_timestamp(v, type, cxx_type);
  if (micros == timestamp_infinity || micros == timestamp_minus_infinity) {
    infinite_failure(v, micros > 0 ? 1 : -1, cxx_type);
  }
  return micros;
}

int read_infinity(const value_view& v, std::uint32_t type, std::string_view cxx_type) {
  check_type(v, type, cxx_type);
  if (v.format == wire_format::text) {
    if (v.data == "infinity") return 1;
    if (v.data == "-infinity") return -1;
    return 0;
  }
  if (type == oid::date && v.data.size() == 4) {
    const auto days = load_be<std::int32_t>(v.data.data());
    return days == date_infinity ? 1 : days == date_minus_infinity ? -1 : 0;
  }
  if (type != oid::date && v.data.size() == 8) {
    const auto micros = load_be<std::int64_t>(v.data.data());
    return micros == timestamp_infinity ? 1 : micros == timestamp_minus_infinity ? -1 : 0;
  }
  return 0;  // the codec of the finite type reports the size
}

std::int64_t interval_micros(const value_view& v, std::string_view cxx_type) {
  const interval i = read_interval(v, cxx_type);
  if (!i.is_finite()) infinite_failure(v, i.microseconds > 0 ? 1 : -1, cxx_type);
  if (i.months != 0 || i.days != 0) {
    conversion_failure(v, cxx_type,
                       "it has " + std::to_string(i.months) + " months and " + std::to_string(i.days) +
                           " days, and a month or a day has no fixed length (read it as pgwrap::interval, or "
                           "convert it in SQL, e.g. EXTRACT(EPOCH FROM ...))");
  }
  return i.microseconds;
}

// ---------------------------------------------------------------- writing

param_ref write_raw_date(std::int32_t pg_days, std::string& out) {
  out.clear();
  store_be(pg_days, out);
  return param_ref::binary(out, oid::date);
}

param_ref write_raw_timestamp(std::int64_t pg_micros, std::uint32_t type, std::string& out) {
  out.clear();
  store_be(pg_micros, out);
  return param_ref::binary(out, type);
}

param_ref write_date(std::int64_t days_since_1970, std::string_view cxx_type, std::string& out) {
  if (days_since_1970 < pg_date_min + pg_epoch_days || days_since_1970 > pg_date_max + pg_epoch_days) {
    throw conversion_error("cannot send " + std::string(cxx_type) + " as date: " + shown_days(days_since_1970) +
                           " is outside PostgreSQL's date range (" + std::string(date_range) + ")");
  }
  return write_raw_date(static_cast<std::int32_t>(days_since_1970 - pg_epoch_days), out);
}

param_ref write_interval(const interval& v, std::string& out) {
  out.clear();
  store_be(v.microseconds, out);
  store_be(v.days, out);
  store_be(v.months, out);
  return param_ref::binary(out, oid::interval);
}

param_ref write_infinity(int sign, std::uint32_t type, std::string& out) {
  if (type == oid::date) return write_raw_date(sign > 0 ? date_infinity : date_minus_infinity, out);
  return write_raw_timestamp(sign > 0 ? timestamp_infinity : timestamp_minus_infinity, type, out);
}

std::int64_t count_to_micros(std::int64_t count, std::intmax_t num, std::intmax_t den, std::int64_t offset,
                             std::int64_t lo, std::int64_t hi, std::string_view cxx_type, std::uint32_t pg_type) {
  const auto fail = [&](std::string_view why) {
    throw conversion_error("cannot send " + std::string(cxx_type) + " as " + type_name(pg_type) + ": " +
                           std::string(why));
  };
  // num/den is reduced, so count·num/den is whole exactly when den divides count.
  if (count % den != 0) {
    fail(
        "it has a fraction of a microsecond, which PostgreSQL does not keep (std::chrono::floor or round it to "
        "std::chrono::microseconds first)");
  }
  const i128 micros = static_cast<i128>(count / den) * num + offset;
  if (micros < lo || micros > hi) fail("outside PostgreSQL's range (" + std::string(range_of(pg_type)) + ")");
  return static_cast<std::int64_t>(micros);
}

std::int64_t micros_to_count(const value_view& v, std::int64_t micros, std::intmax_t num, std::intmax_t den,
                             std::int64_t offset, std::int64_t lo, std::int64_t hi, std::string_view cxx_type) {
  if (num == 1 && den == 1) {  // microseconds, the common case: no 128-bit division per value
    std::int64_t count = 0;
    if (__builtin_add_overflow(micros, offset, &count) || count < lo || count > hi) {
      conversion_failure(v, cxx_type, "outside the range of " + std::string(cxx_type));
    }
    return count;
  }
  const i128 total = static_cast<i128>(micros) + offset;
  if (total % num != 0) {
    conversion_failure(v, cxx_type,
                       "it is more precise than " + std::string(cxx_type) +
                           " and would be truncated (read a finer type, or round it in SQL)");
  }
  const i128 count = total / num * den;
  if (count < lo || count > hi) conversion_failure(v, cxx_type, "outside the range of " + std::string(cxx_type));
  return static_cast<std::int64_t>(count);
}

void throw_infinite_value(int sign) {
  throw usage_error(std::string("pgwrap::with_infinity::value() of ") + (sign > 0 ? "infinity" : "-infinity") +
                    ": test is_finite() first, or use value_or()");
}

}  // namespace detail

// -------------------------------------------------------------------- public

std::string to_string(const interval& v) {
  if (v == interval::infinity()) return "infinity";
  if (v == interval::minus_infinity()) return "-infinity";
  // PostgreSQL's EncodeInterval, INTSTYLE_POSTGRES: each field carries its
  // own sign; after a negative field a positive one is marked "+".
  std::string out;
  bool is_zero = true;
  bool is_before = false;
  detail::append_interval_part(out, v.months / 12, "year", is_zero, is_before);
  detail::append_interval_part(out, v.months % 12, "mon", is_zero, is_before);
  detail::append_interval_part(out, v.days, "day", is_zero, is_before);
  if (is_zero || v.microseconds != 0) {
    const bool minus = v.microseconds < 0;
    if (!is_zero) out += ' ';
    if (minus) {
      out += '-';
    } else if (is_before) {
      out += '+';
    }
    detail::append_hms(
        out, minus ? 0 - static_cast<std::uint64_t>(v.microseconds) : static_cast<std::uint64_t>(v.microseconds));
  }
  return out;
}

std::string to_string(time_of_day v) { return detail::format_time(v.since_midnight.count()); }

// ---------------------------------------------------------------- codecs

namespace {
constexpr std::string_view ymd_name = "std::chrono::year_month_day";
constexpr std::string_view sys_days_name = "std::chrono::sys_days";
constexpr std::string_view local_days_name = "std::chrono::local_days";
constexpr std::string_view time_of_day_name = "pgwrap::time_of_day";
}  // namespace

param_ref codec<std::chrono::year_month_day>::encode(const std::chrono::year_month_day& v, std::string& scratch) {
  if (!v.ok()) {
    throw conversion_error("cannot send " + std::string(ymd_name) +
                           " as date: " + std::to_string(static_cast<int>(v.year())) + "-" +
                           std::to_string(static_cast<unsigned>(v.month())) + "-" +
                           std::to_string(static_cast<unsigned>(v.day())) + " is not a valid date");
  }
  return detail::write_date(std::chrono::sys_days(v).time_since_epoch().count(), ymd_name, scratch);
}

std::chrono::year_month_day codec<std::chrono::year_month_day>::decode(const value_view& v) {
  const std::int32_t days = detail::read_finite_date(v, ymd_name);
  const detail::civil_date c = detail::civil_from_days(days + detail::pg_epoch_days);
  if (c.year < static_cast<int>(std::chrono::year::min()) || c.year > static_cast<int>(std::chrono::year::max())) {
    detail::conversion_failure(v, ymd_name,
                               detail::format_date(days) +
                                   " is outside std::chrono::year's range (-32767 to 32767): read it as "
                                   "std::chrono::sys_days");
  }
  return std::chrono::year_month_day{std::chrono::year(static_cast<int>(c.year)), std::chrono::month(c.month),
                                     std::chrono::day(c.day)};
}

param_ref codec<std::chrono::sys_days>::encode(const std::chrono::sys_days& v, std::string& scratch) {
  return detail::write_date(v.time_since_epoch().count(), sys_days_name, scratch);
}

std::chrono::sys_days codec<std::chrono::sys_days>::decode(const value_view& v) {
  return std::chrono::sys_days(std::chrono::days(detail::read_finite_date(v, sys_days_name) + detail::pg_epoch_days));
}

param_ref codec<std::chrono::local_days>::encode(const std::chrono::local_days& v, std::string& scratch) {
  return detail::write_date(v.time_since_epoch().count(), local_days_name, scratch);
}

std::chrono::local_days codec<std::chrono::local_days>::decode(const value_view& v) {
  return std::chrono::local_days(
      std::chrono::days(detail::read_finite_date(v, local_days_name) + detail::pg_epoch_days));
}

param_ref codec<time_of_day>::encode(const time_of_day& v, std::string& scratch) {
  if (!v.ok()) {
    throw conversion_error("cannot send " + std::string(time_of_day_name) + " as time: " + to_string(v) +
                           " is outside 00:00:00 to 24:00:00");
  }
  scratch.clear();
  detail::store_be(static_cast<std::int64_t>(v.since_midnight.count()), scratch);
  return param_ref::binary(scratch, oid::time);
}

time_of_day codec<time_of_day>::decode(const value_view& v) {
  return time_of_day(std::chrono::microseconds(detail::read_time(v, time_of_day_name)));
}

}  // namespace pgwrap
