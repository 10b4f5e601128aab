// Whole workloads, pgwrap beside raw libpq (text and binary, written as an
// expert would) and libpqxx, in one process, the implementations alternating
// (A B C A B C ...) so that a noisy machine hurts them alike.
//
//   F1  fetch 1,000,000 rows (int8, text, float8, timestamptz, bool) into a std::vector
//   F2  stream 10,000,000 such rows: time per row and peak RSS (each run in a fresh child process)
//   Q1  20,000 single-row parameterised SELECTs, one after another
//   Q1obs  Q1 with a no-op pgwrap::observer installed for the process (what observing costs), beside
//       the same raw libpq variants and pgwrap without the observer
//   Q2  the same through libpq's pipeline mode
//   Q3  200 coroutines x 100 `SELECT $1::int4 + 1`, each awaited in turn, on one async_database
//       (one io_context, one thread: pgwrap pipelines what is in flight), beside libpq's pipeline mode
//   I1  200,000 INSERTs one by one in a transaction
//   I2  the same pipelined
//   I3  the same rows by COPY
//   T1  pgbench's select-only transaction for 15 s on one connection, beside pgbench itself
//   T2  the same on the 4 connections of an async_pool driven from one thread, beside pgbench -c 4 -j 1
//   R1  8 threads of point reads through a pgwrap::cluster (a primary and two standbys: reads on the
//       standbys) beside the same through the primary's pool alone; needs PGWRAP_FAILOVER_PRIMARY_DSN,
//       _STANDBY_DSN and _STANDBY2_DSN (scripts/pg_replication.sh env; ./dev bench starts them)
//
// Every run is verified: row counts and an order-independent checksum of every
// value fetched (or, for inserts, of what the table holds afterwards) must equal
// the checksum computed on the client from the same formula the server used to
// make the data, so a fast wrong implementation cannot win.
//
// A plain main(), not Google Benchmark (./dev bench passes --benchmark_* flags to
// every *_bench binary: they are ignored). Flags:
//   --quick          small sizes (a smoke run; Q3 200 x 10 statements; T1 and T2 run 3 s)
//   --repeat N       runs per implementation (default 5)
//   --only F1,Q1     these workloads only, in any case (Q3 without Q1 runs Q1's pgwrap variant alone, for
//                    speedup_vs_Q1)
//   --skip R1        all but these (./dev bench runs R1 on its own, once its standbys are up)
//   --keep-tables    keep wl_rows / wl_ins afterwards, and reuse them when their size fits
//   --pgbench PATH   the pgbench binary (default: $PGBENCH, else PostgreSQL 15's, else PATH)
// Needs a server: PGWRAP_TEST_DSN (a conninfo), else libpq's defaults (PG* variables).
// Each workload ends with one line:
//   RESULT <ID> pgwrap/raw=<ratio> pgwrap/libpqxx=<ratio> [...]
// ratios of median times (above 1: pgwrap is slower); raw is the fastest raw libpq
// variant; n/a where an implementation does not exist yet. F2 adds per_row_vs_F1, Q3
// speedup_vs_Q1 (Q1's pgwrap time per query over Q3's) and raw_speedup_vs_Q1 (the same for
// raw libpq: the ceiling on this machine), Q1obs vs_no_observer (pgwrap with
// the observer over pgwrap without it, in the same run; Q1obs has no libpqxx variant), T1
// and T2 tps_ratio (pgwrap tps over pgbench's: T1 -M prepared, T2 the `pgbench -S -c 4 -j 1`
// #10 names, in its default simple protocol), T2 also tps_ratio_prepared (over pgbench -S -M
// prepared). R1's line is instead
//   RESULT R1 reads_per_s_cluster=<n> reads_per_s_primary_only=<n>

#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pgwrap/asio.hpp>
#include <pgwrap/pgwrap.hpp>
#include <pqxx/pqxx>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if PGWRAP_ASIO_BOOST
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#else
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#endif

namespace {

namespace chr = std::chrono;
namespace net = pgwrap::net;  // the Asio pgwrap::asio was built with
using sys_us = chr::sys_time<chr::microseconds>;

// ---------------------------------------------------------------------------
// The timestamptz column's C++ type. sys_time<microseconds> as soon as pgwrap
// has its codec (include/pgwrap/types/chrono.hpp); until then every
// implementation reads the column as text (`ts::text`), so they stay comparable.
// To force text, replace the right-hand side with std::string.
using ts_type = std::conditional_t<pgwrap::decodable<sys_us> && pgwrap::encodable<sys_us>, sys_us, std::string>;
// ---------------------------------------------------------------------------
constexpr bool ts_is_string = std::is_same_v<ts_type, std::string>;

// Queries per pipeline sync (Q2, I2): small enough that neither side's socket
// buffer fills while the other is still sending.
constexpr int pipeline_batch = 500;

// One row of the workloads' tables.
struct wl_row {
  std::int64_t id = 0;
  std::string name;
  double score = 0;
  ts_type ts{};
  bool flag = false;
  friend bool operator==(const wl_row&, const wl_row&) = default;
};
PGWRAP_DESCRIBE(wl_row, id, name, score, ts, flag)

// The SQL, with the timestamptz column read as text while ts_type is std::string.
#define WL_COLUMNS_TS "id, name, score, ts, flag"
#define WL_COLUMNS_TEXT "id, name, score, ts::text AS ts, flag"
#define WL_SELECT(tail) (ts_is_string ? "SELECT " WL_COLUMNS_TEXT " FROM " tail : "SELECT " WL_COLUMNS_TS " FROM " tail)

constexpr const char* f1_sql_raw = WL_SELECT("wl_rows WHERE id <= $1");
constexpr const char* f1_sql_pw = WL_SELECT("wl_rows WHERE id <= %s");
constexpr const char* f2_sql = WL_SELECT("wl_rows");
constexpr const char* q1_sql_raw = WL_SELECT("wl_rows WHERE id = $1");
constexpr const char* q1_sql_pw = WL_SELECT("wl_rows WHERE id = %s");
constexpr const char* ins_check_sql = WL_SELECT("wl_ins");
constexpr const char* ins_sql_raw = "INSERT INTO wl_ins (id, name, score, ts, flag) VALUES ($1, $2, $3, $4, $5)";
constexpr const char* ins_sql_pw = "INSERT INTO wl_ins (id, name, score, ts, flag) VALUES (%s, %s, %s, %s, %s)";
constexpr const char* ins_returning_sql_pw =
    "INSERT INTO wl_ins (id, name, score, ts, flag) VALUES (%s, %s, %s, %s, %s) RETURNING id";
constexpr const char* t1_sql_raw = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
constexpr const char* t1_sql_pw = "SELECT abalance FROM pgbench_accounts WHERE aid = %s";
constexpr const char* q3_sql_raw = "SELECT $1::int4 + 1";
constexpr const char* q3_sql_pw = "SELECT %s::int4 + 1";

constexpr Oid oid_bool = 16, oid_int8 = 20, oid_int4 = 23, oid_text = 25, oid_float8 = 701, oid_timestamptz = 1184;
constexpr Oid oid_ts_column = ts_is_string ? oid_text : oid_timestamptz;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// ---------------------------------------------------------------------------
// Dates: days since 1970-01-01 <-> proleptic Gregorian (H. Hinnant's algorithms).

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m, d;
};
constexpr civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

constexpr std::int64_t unix_to_pg_epoch_us = 946684800LL * 1000000;  // 2000-01-01 in Unix microseconds

// "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]", as PostgreSQL prints a
// timestamptz with DateStyle ISO; microseconds since 1970-01-01 UTC.
std::int64_t parse_timestamptz(std::string_view s) {
  const char* p = s.data();
  const char* const e = p + s.size();
  auto bad = [&]() -> void { fail("cannot parse timestamptz '" + std::string(s) + "'"); };
  auto digits = [&](int n) {
    int v = 0;
    for (int i = 0; i < n; ++i) {
      if (p >= e || *p < '0' || *p > '9') bad();
      v = v * 10 + (*p++ - '0');
    }
    return v;
  };
  auto expect = [&](char c) {
    if (p >= e || *p != c) bad();
    ++p;
  };
  std::int64_t year = 0;
  const char* year_start = p;
  while (p < e && *p >= '0' && *p <= '9') year = year * 10 + (*p++ - '0');
  if (p - year_start < 4) bad();
  expect('-');
  const int month = digits(2);
  expect('-');
  const int day = digits(2);
  expect(' ');
  const int hh = digits(2);
  expect(':');
  const int mm = digits(2);
  expect(':');
  const int ss = digits(2);
  std::int64_t frac = 0;
  if (p < e && *p == '.') {
    ++p;
    int n = 0;
    while (p < e && *p >= '0' && *p <= '9' && n < 6) {
      frac = frac * 10 + (*p++ - '0');
      ++n;
    }
    for (; n < 6; ++n) frac *= 10;
  }
  if (p >= e || (*p != '+' && *p != '-')) bad();
  const int sign = *p++ == '-' ? -1 : 1;
  int offset = digits(2) * 3600;
  if (p < e && *p == ':') {
    ++p;
    offset += digits(2) * 60;
    if (p < e && *p == ':') {
      ++p;
      offset += digits(2);
    }
  }
  if (p != e) bad();
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - sign * offset;
  return secs * 1000000 + frac;
}

// A UTC instant as PostgreSQL prints it with TimeZone UTC: the fraction
// without trailing zeros (none when whole), then "+00".
std::string format_timestamptz(std::int64_t unix_us) {
  std::int64_t days = unix_us / 86400000000;
  std::int64_t rem = unix_us % 86400000000;
  if (rem < 0) {
    rem += 86400000000;
    --days;
  }
  const civil c = civil_from_days(days);
  const auto secs = static_cast<int>(rem / 1000000);
  auto frac = static_cast<int>(rem % 1000000);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d", c.y, c.m, c.d, secs / 3600,
                        secs / 60 % 60, secs % 60);
  if (frac != 0) {
    int width = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%0*d", width, frac);
  }
  return std::string(buf, static_cast<std::size_t>(n)) + "+00";
}

// ts_type <-> the wire. (Templates, so that the branch for the other type is discarded.)
template <typename T = ts_type>
constexpr bool is_text = std::is_same_v<T, std::string>;

template <typename T = ts_type>
T ts_from_text(std::string_view s) {
  if constexpr (is_text<T>) {
    return T(s);
  } else {
    return T(chr::microseconds(parse_timestamptz(s)));
  }
}
template <typename T = ts_type>
T ts_from_unix_us(std::int64_t us) {
  if constexpr (is_text<T>) {
    return format_timestamptz(us);
  } else {
    return T(chr::microseconds(us));
  }
}
template <typename T>
std::int64_t ts_unix_us(const T& t) {
  if constexpr (is_text<T>) {
    return parse_timestamptz(t);
  } else {
    return t.time_since_epoch().count();
  }
}
template <typename T>
std::string ts_to_text(const T& t) {
  if constexpr (is_text<T>) {
    return t;
  } else {
    return format_timestamptz(t.time_since_epoch().count());
  }
}
// The text form for a text parameter, in `scratch` when it must be made.
template <typename T>
const char* ts_text_param(const T& t, std::string& scratch) {
  if constexpr (is_text<T>) {
    return t.c_str();
  } else {
    scratch = format_timestamptz(t.time_since_epoch().count());
    return scratch.c_str();
  }
}

// Binary values, big-endian.
inline std::int64_t be_i64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return static_cast<std::int64_t>(be64toh(v));
}
inline std::int32_t be_i32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<std::int32_t>(ntohl(v));
}
inline double be_f64(const char* p) noexcept { return std::bit_cast<double>(static_cast<std::uint64_t>(be_i64(p))); }

template <typename T>
T parse_number(const char* p, std::size_t n, const char* what) {
  T v{};
  const auto [end, ec] = std::from_chars(p, p + n, v);
  if (ec != std::errc() || end != p + n) fail(std::string("cannot parse ") + what + " '" + std::string(p, n) + "'");
  return v;
}

// ---------------------------------------------------------------------------
// The data: row g of wl_rows (and of what the insert workloads insert).

std::string name_of(std::int64_t g) {
  return "name-" + std::to_string(g) + std::string(static_cast<std::size_t>(g % 17), 'x');
}
constexpr std::int64_t ts_of(std::int64_t g) { return unix_to_pg_epoch_us + g * 1234567; }

wl_row expected_row(std::int64_t g) {
  wl_row r;
  r.id = g;
  r.name = name_of(g);
  r.score = static_cast<double>(g) / 7;
  r.ts = ts_from_unix_us(ts_of(g));
  r.flag = g % 3 == 0;
  return r;
}

// The same rows, made by the server.
constexpr const char* generate_sql =
    "INSERT INTO wl_rows SELECT g, 'name-' || g || repeat('x', (g % 17)::int), g::float8 / 7, "
    "timestamptz '2000-01-01 00:00:00+00' + (g * 1234567) * interval '1 microsecond', g % 3 = 0 "
    "FROM generate_series(1, $1::int8) g";

// An order-independent checksum: the sum of a hash of every value of every row.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
inline std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}
template <typename T>
std::uint64_t ts_hash(const T& t) noexcept {
  if constexpr (is_text<T>) {
    return fnv1a(t);
  } else {
    return static_cast<std::uint64_t>(t.time_since_epoch().count());
  }
}
inline std::uint64_t row_hash(const wl_row& r) noexcept {
  std::uint64_t h = mix(static_cast<std::uint64_t>(r.id));
  h = mix(h ^ fnv1a(r.name));
  h = mix(h ^ std::bit_cast<std::uint64_t>(r.score));
  h = mix(h ^ ts_hash(r.ts));
  return mix(h ^ (r.flag ? 0x9e3779b97f4a7c15ULL : 0x51ULL));
}

// Deterministic pseudo-random numbers (splitmix64).
struct rng {
  std::uint64_t state;
  std::uint64_t next() noexcept { return mix(state += 0x9e3779b97f4a7c15ULL); }
  std::int64_t in(std::int64_t lo, std::int64_t hi) noexcept {  // [lo, hi]
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
};

// ---------------------------------------------------------------------------
// libpq, by hand.

struct conn_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;
struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

result_ptr expect(PGconn* c, PGresult* raw, ExecStatusType want, std::string_view what) {
  result_ptr r(raw);
  if (!r || PQresultStatus(r.get()) != want) {
    fail(std::string(what) + ": " + trimmed(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c)));
  }
  return r;
}
void exec_ok(PGconn* c, const char* sql) { expect(c, PQexec(c, sql), PGRES_COMMAND_OK, sql); }
result_ptr exec_rows(PGconn* c, const char* sql) { return expect(c, PQexec(c, sql), PGRES_TUPLES_OK, sql); }

std::string dsn() {
  const char* d = std::getenv("PGWRAP_TEST_DSN");
  return d ? d : "";
}

conn_ptr raw_connect() {
  conn_ptr c(PQconnectdb(dsn().c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    fail("libpq could not connect: " + trimmed(c ? PQerrorMessage(c.get()) : "out of memory"));
  }
  exec_ok(c.get(), "SET TimeZone = 'UTC'");
  exec_ok(c.get(), "SET DateStyle = ISO");
  return c;
}

void prepare(PGconn* c, const char* name, const char* sql, std::initializer_list<Oid> types) {
  const std::vector<Oid> t(types);
  expect(c, PQprepare(c, name, sql, static_cast<int>(t.size()), t.data()), PGRES_COMMAND_OK, sql);
}

// An expert checks a result's shape once, then indexes blindly.
void check_row_shape(const PGresult* r, int format) {
  static constexpr Oid types[] = {oid_int8, oid_text, oid_float8, oid_ts_column, oid_bool};
  if (PQnfields(r) != 5) fail("expected 5 columns");
  for (int c = 0; c < 5; ++c) {
    if (PQftype(r, c) != types[c] || PQfformat(r, c) != format) fail("unexpected column type or format");
  }
}

void decode_text_row(const PGresult* r, int i, wl_row& out) {
  out.id = parse_number<std::int64_t>(PQgetvalue(r, i, 0), static_cast<std::size_t>(PQgetlength(r, i, 0)), "int8");
  out.name.assign(PQgetvalue(r, i, 1), static_cast<std::size_t>(PQgetlength(r, i, 1)));
  out.score = parse_number<double>(PQgetvalue(r, i, 2), static_cast<std::size_t>(PQgetlength(r, i, 2)), "float8");
  out.ts = ts_from_text({PQgetvalue(r, i, 3), static_cast<std::size_t>(PQgetlength(r, i, 3))});
  out.flag = PQgetvalue(r, i, 4)[0] == 't';
}

template <typename T = ts_type>
T ts_from_binary(const char* p, int length) {
  if constexpr (is_text<T>) {
    return T(p, static_cast<std::size_t>(length));
  } else {
    return T(chr::microseconds(be_i64(p) + unix_to_pg_epoch_us));
  }
}

void decode_binary_row(const PGresult* r, int i, wl_row& out) {
  out.id = be_i64(PQgetvalue(r, i, 0));
  out.name.assign(PQgetvalue(r, i, 1), static_cast<std::size_t>(PQgetlength(r, i, 1)));
  out.score = be_f64(PQgetvalue(r, i, 2));
  out.ts = ts_from_binary(PQgetvalue(r, i, 3), PQgetlength(r, i, 3));
  out.flag = PQgetvalue(r, i, 4)[0] != 0;
}

// Binary parameters of one wl_row (int8, text, float8, timestamptz, bool).
struct binary_params {
  std::uint64_t id, score, ts;
  char flag;
  const char* values[5];
  int lengths[5];
  static constexpr int formats[5] = {1, 1, 1, 1, 1};

  explicit binary_params(const wl_row& r)
      : id(htobe64(static_cast<std::uint64_t>(r.id))),
        score(htobe64(std::bit_cast<std::uint64_t>(r.score))),
        ts(htobe64(static_cast<std::uint64_t>(ts_unix_us(r.ts) - unix_to_pg_epoch_us))),
        flag(r.flag ? 1 : 0),
        values{reinterpret_cast<const char*>(&id), r.name.data(), reinterpret_cast<const char*>(&score),
               reinterpret_cast<const char*>(&ts), &flag},
        lengths{8, static_cast<int>(r.name.size()), 8, 8, 1} {}
  binary_params(const binary_params&) = delete;
  binary_params& operator=(const binary_params&) = delete;
};
constexpr std::initializer_list<Oid> insert_types = {oid_int8, oid_text, oid_float8, oid_timestamptz, oid_bool};

// Text parameters of one wl_row, in reusable buffers.
struct text_params {
  char id[24];
  char score[32];
  std::string ts;
  const char* values[5] = {};

  void set(const wl_row& r) {
    *std::to_chars(id, id + sizeof id - 1, r.id).ptr = '\0';
    *std::to_chars(score, score + sizeof score - 1, r.score).ptr = '\0';  // shortest form that reads back exactly
    values[0] = id;
    values[1] = r.name.c_str();
    values[2] = score;
    values[3] = ts_text_param(r.ts, ts);
    values[4] = r.flag ? "t" : "f";
  }
};

// ---------------------------------------------------------------------------
// The run-time set-up.

struct options {
  bool quick = false;
  int repeat = 5;
  std::set<std::string> only;
  std::set<std::string> skip;
  bool keep_tables = false;
  std::string pgbench;
  std::int64_t f1_rows = 1'000'000;
  std::int64_t f2_rows = 10'000'000;
  std::int64_t queries = 20'000;
  std::int64_t q3_coroutines = 200;
  std::int64_t q3_each = 100;  // statements per coroutine
  std::int64_t inserts = 200'000;
  double t1_seconds = 15;  // T2's too

  [[nodiscard]] bool wants(const std::string& id) const {
    return (only.empty() || only.contains(id)) && !skip.contains(id);
  }
};

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }
long max_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

std::string with_commas(std::int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fmt_seconds(double s) {
  char buf[32];
  if (s >= 1) {
    std::snprintf(buf, sizeof buf, "%.3f s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  } else if (s >= 1e-6) {
    std::snprintf(buf, sizeof buf, "%.2f us", s * 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ns", s * 1e9);
  }
  return buf;
}

std::string fmt_ratio(std::optional<double> r) {
  if (!r) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *r);
  return buf;
}

std::string fmt_fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (!f) return "?";
  char buf[128] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string s(buf, n);
  // the first three fields
  std::size_t pos = 0;
  for (int i = 0; i < 3 && pos != std::string::npos; ++i) pos = s.find(' ', pos + 1);
  return s.substr(0, pos);
}

// Runs argv, returning its exit status and its stdout+stderr.
std::pair<int, std::string> run_capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) fail("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

// ---------------------------------------------------------------------------
// Workloads, variants, samples.

struct sample {
  double seconds = 0;      // the whole run (T1: per transaction)
  std::uint64_t rows = 0;  // rows fetched or inserted, queries or transactions run
  std::uint64_t checksum = 0;
  double peak_rss_mib = -1;  // F2: the process's peak RSS
  double base_rss_mib = -1;  // F2: the same just before the run
  double tps = -1;           // T1
};

enum class family { pgwrap, raw, libpqxx, external };

struct variant {
  std::string name;
  family fam;
  bool counts = true;  // enters the RESULT ratios (pgwrap: the main variant only; raw: the fastest wins)
  std::function<void()> warm;
  std::function<sample()> run;
  std::string skip;  // not run, with this note
  std::vector<sample> samples;
  std::string error;
};

struct workload {
  std::string id;
  std::string title;
  std::string unit;  // per what the last column divides ("row", "query", ...)
  double ops = 1;    // units per run
  // T1, T2: transactions per second are reported, and these RESULT keys, each with the
  // pgbench variant whose median tps pgwrap's is divided by (tps_ratio: the command the
  // workload's issue names).
  std::vector<std::pair<std::string, std::string>> tps_ratios;
  [[nodiscard]] bool tps() const { return !tps_ratios.empty(); }
  bool rss = false;  // F2: report peak RSS
  std::vector<variant> variants;
  std::function<void(const sample&)> verify;  // throws when the run was wrong
  std::string verified;                       // what verify checks, printed
  std::vector<std::string> notes;
};

int failures = 0;
// Q1's pgwrap median time per query, for Q3's speedup_vs_Q1 (Q1's run, or its pgwrap variant run alone).
std::optional<double> q1_pgwrap_per_query;
// Q1's fastest raw libpq time per query, for Q3's raw_speedup_vs_Q1: what pipelining
// gives raw libpq itself on this machine, the ceiling speedup_vs_Q1 is measured against.
std::optional<double> q1_raw_per_query;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct stats {
  double med, min, max, mad;
};
stats stats_of(const std::vector<double>& v) {
  const double m = median(v);
  std::vector<double> dev;
  for (const double x : v) dev.push_back(std::fabs(x - m));
  return {m, *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()), median(dev)};
}

std::vector<double> field(const variant& v, double sample::*member) {
  std::vector<double> out;
  for (const sample& s : v.samples) out.push_back(s.*member);
  return out;
}

void run_workload(workload& w, const options& opt) {
  std::printf("\n== %s: %s ==\n", w.id.c_str(), w.title.c_str());
  std::fflush(stdout);
  for (variant& v : w.variants) {
    if (!v.skip.empty() || !v.warm) continue;
    try {
      v.warm();
    } catch (const std::exception& e) {
      v.error = std::string("warm-up: ") + e.what();
    }
  }
  for (int rep = 0; rep < opt.repeat; ++rep) {
    // Each run starts one variant further on, so that none always runs first
    // (or right after another's burst of work) while the machine drifts.
    for (std::size_t k = 0; k < w.variants.size(); ++k) {
      variant& v = w.variants[(k + static_cast<std::size_t>(rep)) % w.variants.size()];
      if (!v.skip.empty() || !v.error.empty()) continue;
      std::fprintf(stderr, "[%s %d/%d] %s ... ", w.id.c_str(), rep + 1, opt.repeat, v.name.c_str());
      try {
        sample s = v.run();
        w.verify(s);
        std::fprintf(stderr, "%s\n", w.tps() ? (fmt_fixed(s.tps, 0) + " tps").c_str() : fmt_seconds(s.seconds).c_str());
        v.samples.push_back(s);
      } catch (const std::exception& e) {
        v.error = e.what();
        std::fprintf(stderr, "FAILED\n");
      }
    }
  }

  // The table.
  std::size_t width = 14;
  for (const variant& v : w.variants) width = std::max(width, v.name.size() + 2);
  if (w.tps()) {
    std::printf("  %-*s %12s %12s %12s %8s %12s\n", static_cast<int>(width), "implementation", "median tps", "min",
                "max", "MAD", "per txn");
  } else {
    std::printf("  %-*s %11s %11s %11s %7s %11s%s\n", static_cast<int>(width), "implementation", "median", "min", "max",
                "MAD", ("per " + w.unit).c_str(), w.rss ? "  peak RSS (before run)" : "");
  }
  for (const variant& v : w.variants) {
    const std::string label = v.name + (v.fam == family::pgwrap && !v.counts ? "*" : "");
    if (!v.skip.empty()) {
      std::printf("  %s: %s\n", label.c_str(), v.skip.c_str());
      continue;
    }
    if (!v.error.empty()) {
      std::printf("  %-*s FAILED: %s\n", static_cast<int>(width), label.c_str(), v.error.c_str());
      ++failures;
      continue;
    }
    if (v.samples.empty()) continue;
    if (w.tps()) {
      const stats t = stats_of(field(v, &sample::tps));
      const stats s = stats_of(field(v, &sample::seconds));
      std::printf("  %-*s %12s %12s %12s %7.1f%% %12s\n", static_cast<int>(width), label.c_str(),
                  fmt_fixed(t.med, 0).c_str(), fmt_fixed(t.min, 0).c_str(), fmt_fixed(t.max, 0).c_str(),
                  100 * t.mad / t.med, fmt_seconds(s.med).c_str());
    } else {
      const stats s = stats_of(field(v, &sample::seconds));
      std::string rss;
      if (w.rss) {
        const stats p = stats_of(field(v, &sample::peak_rss_mib));
        const stats b = stats_of(field(v, &sample::base_rss_mib));
        rss = "  " + fmt_fixed(p.med, 1) + " MiB (" + fmt_fixed(b.med, 1) + ")";
      }
      std::printf("  %-*s %11s %11s %11s %6.1f%% %11s%s\n", static_cast<int>(width), label.c_str(),
                  fmt_seconds(s.med).c_str(), fmt_seconds(s.min).c_str(), fmt_seconds(s.max).c_str(),
                  100 * s.mad / s.med, fmt_seconds(s.med / w.ops).c_str(), rss.c_str());
    }
  }
  bool starred = false;
  for (const variant& v : w.variants) starred = starred || (v.fam == family::pgwrap && !v.counts && v.skip.empty());
  if (starred) std::printf("  * another way to write it with pgwrap; not used in the ratios\n");
  for (const std::string& n : w.notes) std::printf("  note: %s\n", n.c_str());
  if (!w.verified.empty()) std::printf("  verified each run: %s\n", w.verified.c_str());

  // The ratios.
  auto best = [&](family f, double sample::*member, bool lowest) -> std::optional<double> {
    std::optional<double> out;
    for (const variant& v : w.variants) {
      if (v.fam != f || !v.counts || !v.error.empty() || v.samples.empty()) continue;
      const double m = median(field(v, member));
      if (!out || (lowest ? m < *out : m > *out)) out = m;
    }
    return out;
  };
  auto ratio = [](std::optional<double> a, std::optional<double> b) -> std::optional<double> {
    if (!a || !b || *b == 0) return std::nullopt;
    return *a / *b;
  };
  if (w.id == "R1") {  // reads per second, through the cluster and through the primary alone
    auto per_second = [&](bool through_cluster) -> std::string {
      for (const variant& v : w.variants) {
        if (v.fam == family::pgwrap && v.counts == through_cluster && v.error.empty() && !v.samples.empty()) {
          return fmt_fixed(w.ops / median(field(v, &sample::seconds)), 0);
        }
      }
      return "n/a";
    };
    std::printf("RESULT R1 reads_per_s_cluster=%s reads_per_s_primary_only=%s\n", per_second(true).c_str(),
                per_second(false).c_str());
    std::fflush(stdout);
    return;
  }
  const auto pw = best(family::pgwrap, &sample::seconds, true);
  std::string line = "RESULT " + w.id +
                     " pgwrap/raw=" + fmt_ratio(ratio(pw, best(family::raw, &sample::seconds, true))) +
                     " pgwrap/libpqxx=" + fmt_ratio(ratio(pw, best(family::libpqxx, &sample::seconds, true)));
  // F2's target is per row against F1's, so F1's pgwrap time per row is kept for it.
  static std::optional<double> f1_per_row;
  if (w.id == "F1" && pw) f1_per_row = *pw / w.ops;
  if (w.id == "F2" && pw && f1_per_row) line += " per_row_vs_F1=" + fmt_ratio(ratio(*pw / w.ops, f1_per_row));
  if (w.id == "Q1" && pw) q1_pgwrap_per_query = *pw / w.ops;
  if (w.id == "Q1") {
    if (const auto raw = best(family::raw, &sample::seconds, true)) q1_raw_per_query = *raw / w.ops;
  }
  if (w.id == "Q1obs") {  // the observed variant over the same code without an observer, in this run
    std::optional<double> unobserved;
    for (const variant& v : w.variants) {
      if (v.fam == family::pgwrap && !v.counts && v.error.empty() && !v.samples.empty()) {
        unobserved = median(field(v, &sample::seconds));
      }
    }
    line += " vs_no_observer=" + fmt_ratio(ratio(pw, unobserved));
  }
  if (w.id == "Q3") {  // Q1's pgwrap time per query over Q3's
    const std::optional<double> per_query = pw ? std::optional<double>(*pw / w.ops) : std::nullopt;
    line += " speedup_vs_Q1=" + fmt_ratio(ratio(q1_pgwrap_per_query, per_query));
    const auto raw = best(family::raw, &sample::seconds, true);
    const std::optional<double> raw_per_query = raw ? std::optional<double>(*raw / w.ops) : std::nullopt;
    line += " raw_speedup_vs_Q1=" + fmt_ratio(ratio(q1_raw_per_query, raw_per_query));
  }
  if (w.rss) {
    auto rss = [&](family f) {
      const auto r = best(f, &sample::peak_rss_mib, true);
      return r ? fmt_fixed(*r, 1) : std::string("n/a");
    };
    line += " peak_rss_mib=" + rss(family::pgwrap) + " raw_peak_rss_mib=" + rss(family::raw) +
            " libpqxx_peak_rss_mib=" + rss(family::libpqxx);
  }
  if (w.tps()) {
    const auto pw_tps = best(family::pgwrap, &sample::tps, false);
    for (const auto& [key, against] : w.tps_ratios) {
      std::optional<double> theirs;
      for (const variant& v : w.variants) {
        if (v.name == against && v.error.empty() && !v.samples.empty()) theirs = median(field(v, &sample::tps));
      }
      line += " " + key + "=" + fmt_ratio(ratio(pw_tps, theirs));
    }
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

template <typename F>
sample timed(F&& body) {
  const auto t0 = chr::steady_clock::now();
  sample s = body();
  s.seconds = chr::duration<double>(chr::steady_clock::now() - t0).count();
  return s;
}

// The expected checksum of rows 1..n, or of the given ids.
std::uint64_t expected_checksum(std::int64_t n) {
  std::uint64_t sum = 0;
  for (std::int64_t g = 1; g <= n; ++g) sum += row_hash(expected_row(g));
  return sum;
}
std::uint64_t expected_checksum(const std::vector<std::int64_t>& ids) {
  std::uint64_t sum = 0;
  for (const std::int64_t g : ids) sum += row_hash(expected_row(g));
  return sum;
}

std::function<void(const sample&)> expect_rows(std::uint64_t rows, std::uint64_t checksum) {
  return [rows, checksum](const sample& s) {
    if (s.rows != rows) fail("returned " + std::to_string(s.rows) + " rows, expected " + std::to_string(rows));
    if (s.checksum != checksum) fail("checksum mismatch: the values read differ from the data");
  };
}

std::string checksum_hex(std::uint64_t c) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, c);
  return buf;
}

// The connections, one per library, kept across workloads.
struct connections {
  conn_ptr admin;  // set-up and verification
  conn_ptr raw;
  pgwrap::database pw;
  std::unique_ptr<pqxx::connection> px;

  connections() : admin(raw_connect()), raw(raw_connect()), pw(dsn()) {
    pw.set_autocommit(true);
    pw.execute("SET TimeZone = 'UTC'");
    px = std::make_unique<pqxx::connection>(dsn());
    pqxx::nontransaction tx(*px);
    tx.exec("SET TimeZone = 'UTC'");
    tx.exec("SET DateStyle = ISO");
  }
};

// ---------------------------------------------------------------------------
// Tables.

std::int64_t count_rows(PGconn* c, const char* table) {
  const std::string sql = std::string("SELECT count(*), coalesce(max(id), 0) FROM ") + table;
  result_ptr r = exec_rows(c, sql.c_str());
  const std::int64_t count = std::stoll(PQgetvalue(r.get(), 0, 0));
  return count == std::stoll(PQgetvalue(r.get(), 0, 1)) ? count : -1;
}

bool table_exists(PGconn* c, const char* table) {
  const char* values[] = {table};
  result_ptr r =
      expect(c, PQexecParams(c, "SELECT to_regclass($1) IS NOT NULL", 1, nullptr, values, nullptr, nullptr, 0),
             PGRES_TUPLES_OK, "to_regclass");
  return PQgetvalue(r.get(), 0, 0)[0] == 't';
}

void make_rows_table(PGconn* c, std::int64_t rows, bool keep) {
  if (keep && table_exists(c, "wl_rows") && count_rows(c, "wl_rows") == rows) {
    std::printf("reusing wl_rows (%s rows)\n", with_commas(rows).c_str());
    return;
  }
  const auto t0 = chr::steady_clock::now();
  exec_ok(c, "DROP TABLE IF EXISTS wl_rows");
  exec_ok(c,
          "CREATE TABLE wl_rows (id int8 NOT NULL, name text NOT NULL, score float8 NOT NULL, "
          "ts timestamptz NOT NULL, flag bool NOT NULL)");
  const std::string n = std::to_string(rows);
  const char* values[] = {n.c_str()};
  expect(c, PQexecParams(c, generate_sql, 1, nullptr, values, nullptr, nullptr, 0), PGRES_COMMAND_OK,
         "generate wl_rows");
  exec_ok(c, "ALTER TABLE wl_rows ADD PRIMARY KEY (id)");
  exec_ok(c, "VACUUM ANALYZE wl_rows");  // hint bits and visibility map set now, not during the first run
  std::printf("created wl_rows: %s rows in %s\n", with_commas(rows).c_str(),
              fmt_seconds(chr::duration<double>(chr::steady_clock::now() - t0).count()).c_str());
}

void make_insert_table(PGconn* c) {
  exec_ok(c, "DROP TABLE IF EXISTS wl_ins");
  exec_ok(c,
          "CREATE TABLE wl_ins (id int8 PRIMARY KEY, name text NOT NULL, score float8 NOT NULL, "
          "ts timestamptz NOT NULL, flag bool NOT NULL)");
}

// ---------------------------------------------------------------------------
// F1: fetch into a vector.

sample finish_fetch(const std::vector<wl_row>& out) {
  sample s;
  s.rows = out.size();
  for (const wl_row& r : out) s.checksum += row_hash(r);
  return s;
}

workload make_f1(connections& cx, const options& opt) {
  workload w;
  w.id = "F1";
  const std::int64_t n = opt.f1_rows;
  w.title = "fetch " + with_commas(n) + " rows (int8, text, float8, timestamptz, bool) into std::vector<wl_row>";
  w.unit = "row";
  w.ops = static_cast<double>(n);
  const std::uint64_t expected = expected_checksum(n);
  w.verify = expect_rows(static_cast<std::uint64_t>(n), expected);
  w.verified = with_commas(n) + " rows, checksum " + checksum_hex(expected) + " (computed on the client)";

  // Each run builds the vector; the checksum is taken afterwards, untimed.
  auto fetch = [](auto body) {
    return [body] {
      std::vector<wl_row> out;
      const auto t0 = chr::steady_clock::now();
      body(out);
      const double secs = chr::duration<double>(chr::steady_clock::now() - t0).count();
      sample s = finish_fetch(out);
      s.seconds = secs;
      return s;
    };
  };

  w.variants.push_back({"pgwrap query<wl_row>",
                        family::pgwrap,
                        true,
                        [&cx] { (void)cx.pw.query<wl_row>(f1_sql_pw, std::int64_t{1}); },
                        fetch([&cx, n](std::vector<wl_row>& out) {
                          const auto rows = cx.pw.query<wl_row>(f1_sql_pw, n);
                          out.reserve(rows.size());
                          for (wl_row r : rows) out.push_back(std::move(r));
                        }),
                        {},
                        {},
                        {}});
  using tuple_query = std::tuple<std::int64_t, std::string, double, ts_type, bool>;
  w.variants.push_back(
      {"pgwrap query<int64, string, double, ts, bool>",
       family::pgwrap,
       false,
       [&cx] { (void)cx.pw.query<std::int64_t, std::string, double, ts_type, bool>(f1_sql_pw, std::int64_t{1}); },
       fetch([&cx, n](std::vector<wl_row>& out) {
         const auto rows = cx.pw.query<std::int64_t, std::string, double, ts_type, bool>(f1_sql_pw, n);
         out.reserve(rows.size());
         for (tuple_query t : rows) {
           out.push_back(wl_row{std::get<0>(t), std::move(std::get<1>(t)), std::get<2>(t), std::move(std::get<3>(t)),
                                std::get<4>(t)});
         }
       }),
       {},
       {},
       {}});

  // raw libpq: one prepared statement, text or binary results.
  auto raw = [&cx, n](bool binary) {
    return [&cx, n, binary](std::vector<wl_row>& out) {
      PGconn* c = cx.raw.get();
      const std::uint64_t id_be = htobe64(static_cast<std::uint64_t>(n));
      char id_text[24];
      *std::to_chars(id_text, id_text + sizeof id_text - 1, n).ptr = '\0';
      const char* values[] = {binary ? reinterpret_cast<const char*>(&id_be) : id_text};
      const int lengths[] = {8};
      const int formats[] = {binary ? 1 : 0};
      result_ptr r =
          expect(c, PQexecPrepared(c, "raw_f1", 1, values, lengths, formats, binary ? 1 : 0), PGRES_TUPLES_OK, "F1");
      check_row_shape(r.get(), binary ? 1 : 0);
      const int rows = PQntuples(r.get());
      out.resize(static_cast<std::size_t>(rows));
      for (int i = 0; i < rows; ++i) {
        if (binary) {
          decode_binary_row(r.get(), i, out[static_cast<std::size_t>(i)]);
        } else {
          decode_text_row(r.get(), i, out[static_cast<std::size_t>(i)]);
        }
      }
    };
  };
  auto raw_warm = [&cx] { prepare(cx.raw.get(), "raw_f1", f1_sql_raw, {oid_int8}); };
  w.variants.push_back({"raw libpq text", family::raw, true, raw_warm, fetch(raw(false)), {}, {}, {}});
  w.variants.push_back({"raw libpq binary", family::raw, true, {}, fetch(raw(true)), {}, {}, {}});

  w.variants.push_back({"libpqxx prepared",
                        family::libpqxx,
                        true,
                        [&cx] { cx.px->prepare("wl_f1", f1_sql_raw); },
                        fetch([&cx, n](std::vector<wl_row>& out) {
                          pqxx::nontransaction tx(*cx.px);
                          const pqxx::result r = tx.exec_prepared("wl_f1", n);
                          out.reserve(r.size());
                          for (const auto& row : r) {
                            out.push_back(wl_row{row[0].as<std::int64_t>(), row[1].as<std::string>(),
                                                 row[2].as<double>(), ts_from_text({row[3].c_str(), row[3].size()}),
                                                 row[4].as<bool>()});
                          }
                        }),
                        {},
                        {},
                        {}});
  if constexpr (!ts_is_string) {
    w.notes.push_back(
        "libpqxx 6.4 has no timestamptz conversion: its column is parsed from text by the same hand-written parser the "
        "raw text variant uses");
  }
  return w;
}

// ---------------------------------------------------------------------------
// F2: stream, each run in a fresh child process (peak RSS is per process).

// The child: runs one implementation, prints "F2CHILD seconds rows checksum base_kib peak_kib".
int f2_child(const std::string& impl) {
  sample s;
  long base = 0;
  auto start = [&] { base = max_rss_kib(); };
  if (impl == "pgwrap") {
    pgwrap::database db(dsn());
    db.execute("SET TimeZone = 'UTC'");
    db.commit();
    start();
    s = timed([&] {
      sample t;
      for (const wl_row r : db.stream<wl_row>(f2_sql)) {  // in psycopg2's implicit transaction
        t.checksum += row_hash(r);
        ++t.rows;
      }
      db.commit();
      return t;
    });
  } else if (impl == "raw-text" || impl == "raw-binary") {
    const bool binary = impl == "raw-binary";
    conn_ptr conn = raw_connect();
    PGconn* c = conn.get();
    start();
    s = timed([&] {
      sample t;
      if (!PQsendQueryParams(c, f2_sql, 0, nullptr, nullptr, nullptr, nullptr, binary ? 1 : 0)) {
        fail(std::string("PQsendQueryParams: ") + PQerrorMessage(c));
      }
      if (!PQsetSingleRowMode(c)) fail("PQsetSingleRowMode failed");
      wl_row row;
      bool first = true;
      while (PGresult* raw = PQgetResult(c)) {
        result_ptr r(raw);
        const ExecStatusType st = PQresultStatus(raw);
        if (st == PGRES_SINGLE_TUPLE) {
          if (first) check_row_shape(raw, binary ? 1 : 0);
          first = false;
          if (binary) {
            decode_binary_row(raw, 0, row);
          } else {
            decode_text_row(raw, 0, row);
          }
          t.checksum += row_hash(row);
          ++t.rows;
        } else if (st != PGRES_TUPLES_OK) {
          fail(std::string("F2: ") + PQresultErrorMessage(raw));
        }
      }
      return t;
    });
  } else if (impl == "libpqxx") {
    pqxx::connection c(dsn());
    {
      pqxx::nontransaction tx(c);
      tx.exec("SET TimeZone = 'UTC'");
      tx.exec("SET DateStyle = ISO");
    }
    start();
    s = timed([&] {
      sample t;
      pqxx::work tx(c);
      pqxx::stream_from stream(tx, "wl_rows", std::vector<std::string>{"id", "name", "score", "ts", "flag"});
      std::tuple<std::int64_t, std::string, double, std::string, bool> tuple;
      wl_row row;
      while (stream >> tuple) {
        row.id = std::get<0>(tuple);
        row.name = std::get<1>(tuple);
        row.score = std::get<2>(tuple);
        row.ts = ts_from_text(std::get<3>(tuple));
        row.flag = std::get<4>(tuple);
        t.checksum += row_hash(row);
        ++t.rows;
      }
      stream.complete();
      tx.commit();
      return t;
    });
  } else {
    std::fprintf(stderr, "unknown F2 implementation %s\n", impl.c_str());
    return 2;
  }
  std::printf("F2CHILD %.9f %" PRIu64 " %" PRIu64 " %ld %ld\n", s.seconds, s.rows, s.checksum, base, max_rss_kib());
  return 0;
}

// Linux keeps ru_maxrss across fork (the child's page tables start as a copy of
// the parent's) and execve (the old image's peak is carried over), so a child
// started by this process, which by then holds F1's rows, would report at least
// this process's peak. The children are therefore started by a spawner forked
// at start-up, while the process is still small: F2's parent sends it an
// implementation's name, it runs the child and sends back its status and output.
struct spawner {
  pid_t pid = -1;
  int requests = -1;  // write end: an implementation name and '\n'
  int replies = -1;   // read end: "<status> <bytes>\n" then the output
};
spawner f2_spawner;

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}
bool read_exact(int fd, char* out, std::size_t size) {
  while (size > 0) {
    const ssize_t n = read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}
bool read_line(int fd, std::string& line) {
  line.clear();
  char c;
  while (read_exact(fd, &c, 1)) {
    if (c == '\n') return true;
    line += c;
  }
  return false;
}

void start_spawner() {
  int req[2], rep[2];
  if (pipe2(req, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) fail("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    close(req[1]);
    close(rep[0]);
    std::string impl;
    while (read_line(req[0], impl)) {
      const auto [status, out] = run_capture({"/proc/self/exe", "--f2-child", impl});
      if (!write_all(rep[1], std::to_string(status) + " " + std::to_string(out.size()) + "\n" + out)) break;
    }
    _exit(0);
  }
  close(req[0]);
  close(rep[1]);
  f2_spawner = {pid, req[1], rep[0]};
}

void stop_spawner() {
  if (f2_spawner.pid < 0) return;
  close(f2_spawner.requests);  // the spawner sees end-of-file and exits
  close(f2_spawner.replies);
  while (waitpid(f2_spawner.pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  f2_spawner = {};
}

std::pair<int, std::string> spawn_f2_child(const std::string& impl) {
  if (f2_spawner.requests < 0) return run_capture({"/proc/self/exe", "--f2-child", impl});
  std::string header;
  if (!write_all(f2_spawner.requests, impl + "\n") || !read_line(f2_spawner.replies, header))
    fail("the spawner is gone");
  int status = 0;
  std::size_t size = 0;
  if (std::sscanf(header.c_str(), "%d %zu", &status, &size) != 2) fail("bad reply from the spawner: " + header);
  std::string out(size, '\0');
  if (!read_exact(f2_spawner.replies, out.data(), size)) fail("the spawner is gone");
  return {status, out};
}

sample run_f2_child(const std::string& impl) {
  const auto [status, out] = spawn_f2_child(impl);
  const std::size_t at = out.find("F2CHILD ");
  if (status != 0 || at == std::string::npos) fail("child exited with " + std::to_string(status) + ": " + trimmed(out));
  sample s;
  long base = 0, peak = 0;
  if (std::sscanf(out.c_str() + at, "F2CHILD %lf %" SCNu64 " %" SCNu64 " %ld %ld", &s.seconds, &s.rows, &s.checksum,
                  &base, &peak) != 5) {
    fail("cannot read the child's output: " + out);
  }
  s.base_rss_mib = mib(base);
  s.peak_rss_mib = mib(peak);
  return s;
}

workload make_f2(const options& opt, std::int64_t n) {
  workload w;
  w.id = "F2";
  w.title = "stream " + with_commas(n) + " rows (the whole of wl_rows), folding each into a checksum";
  w.unit = "row";
  w.ops = static_cast<double>(n);
  w.rss = true;
  const std::uint64_t expected = expected_checksum(n);
  w.verify = expect_rows(static_cast<std::uint64_t>(n), expected);
  w.verified = with_commas(n) + " rows, checksum " + checksum_hex(expected) + " (computed on the client)";
  auto child = [](std::string impl) { return [impl] { return run_f2_child(impl); }; };
  w.variants.push_back({"pgwrap stream<wl_row> (cursor, 1,000-row batches, two fetched ahead)",
                        family::pgwrap,
                        true,
                        {},
                        child("pgwrap"),
                        {},
                        {},
                        {}});
  w.variants.push_back({"raw libpq text, single-row mode", family::raw, true, {}, child("raw-text"), {}, {}, {}});
  w.variants.push_back({"raw libpq binary, single-row mode", family::raw, true, {}, child("raw-binary"), {}, {}, {}});
  w.variants.push_back({"libpqxx stream_from", family::libpqxx, true, {}, child("libpqxx"), {}, {}, {}});
  w.notes.push_back(
      "each run is a fresh process (/proc/self/exe --f2-child, started by a small spawner process): "
      "peak RSS is its getrusage ru_maxrss at the end, the figure in parentheses the same just before "
      "the query (connected, nothing fetched)");
  w.notes.push_back("libpqxx 6.4's stream_from streams a table (COPY TO, text), not a query: hence the whole table");
  (void)opt;
  return w;
}

// ---------------------------------------------------------------------------
// Q1, Q2: single-row SELECTs.

sample one_row(sample& s, const wl_row& r) {
  s.checksum += row_hash(r);
  ++s.rows;
  return s;
}

// Q1obs: an observer that does nothing. pgwrap still makes each event (an id,
// the SQL copied, the clock read three times, the server's facts), reads the
// process's list of observers, and makes the two virtual calls: the price of
// having any observer at all.
class noop_observer final : public pgwrap::observer {};

// Installs an observer for the whole process while it lives.
class process_observer {
 public:
  explicit process_observer(std::shared_ptr<pgwrap::observer> o) : o_(std::move(o)) { pgwrap::add_observer(o_); }
  ~process_observer() { pgwrap::remove_observer(o_); }
  process_observer(const process_observer&) = delete;
  process_observer& operator=(const process_observer&) = delete;

 private:
  std::shared_ptr<pgwrap::observer> o_;
};

// Q1, or with `observed` Q1obs: pgwrap's variant runs with a no-op observer
// installed for the process (installed and removed around each timed run),
// beside the same raw libpq variants and pgwrap's variant without it.
workload make_q1(connections& cx, const std::vector<std::int64_t>& ids, bool observed = false) {
  workload w;
  w.id = observed ? "Q1obs" : "Q1";
  w.title = with_commas(static_cast<std::int64_t>(ids.size())) +
            " single-row SELECT ... WHERE id = $1, one after another (random ids)" +
            (observed ? ", pgwrap with a no-op observer installed for the process" : "");
  w.unit = "query";
  w.ops = static_cast<double>(ids.size());
  const std::uint64_t expected = expected_checksum(ids);
  w.verify = expect_rows(ids.size(), expected);
  w.verified = "one row per query, checksum " + checksum_hex(expected) + " (computed on the client)";

  auto typed = [&cx, &ids](bool with_observer) {
    return [&cx, &ids, with_observer] {
      std::optional<process_observer> installed;  // outside the timed part
      if (with_observer) installed.emplace(std::make_shared<noop_observer>());
      return timed([&] {
        sample s;
        for (const std::int64_t id : ids) {
          const auto r = cx.pw.queryone<wl_row>(q1_sql_pw, id);
          if (!r) fail("no row for id " + std::to_string(id));
          one_row(s, *r);
        }
        return s;
      });
    };
  };
  w.variants.push_back({observed ? "pgwrap queryone<wl_row> (prepared, cached), no-op observer"
                                 : "pgwrap queryone<wl_row> (prepared, cached)",
                        family::pgwrap,
                        true,
                        [&cx] { (void)cx.pw.queryone<wl_row>(q1_sql_pw, std::int64_t{1}); },
                        typed(observed),
                        {},
                        {},
                        {}});
  if (observed) {
    w.variants.push_back({"pgwrap queryone<wl_row>, no observer", family::pgwrap, false, {}, typed(false), {}, {}, {}});
    w.notes.push_back(
        "pgwrap, no observer* is the same code with no observer installed; vs_no_observer is the "
        "observed variant's median over it");
  }
  if (!observed) {
    w.variants.push_back({"pgwrap queryone untyped, row[i].as<T>()",
                          family::pgwrap,
                          false,
                          {},
                          [&cx, &ids] {
                            return timed([&] {
                              sample s;
                              for (const std::int64_t id : ids) {
                                const auto r = cx.pw.queryone(q1_sql_pw, id);
                                if (!r) fail("no row for id " + std::to_string(id));
                                const pgwrap::row& row = *r;
                                one_row(s, wl_row{row[0].as<std::int64_t>(), row[1].as<std::string>(),
                                                  row[2].as<double>(), row[3].as<ts_type>(), row[4].as<bool>()});
                              }
                              return s;
                            });
                          },
                          {},
                          {},
                          {}});
  }

  // raw libpq: unprepared (PQexecParams) or prepared; text or binary. Q1obs
  // prepares its own statement on the same connection, after Q1's.
  const char* raw_name = observed ? "raw_q1obs" : "raw_q1";
  auto raw = [&cx, &ids, raw_name](bool prepared, bool binary) {
    return [&cx, &ids, raw_name, prepared, binary] {
      return timed([&] {
        sample s;
        PGconn* c = cx.raw.get();
        wl_row row;
        char id_text[24];
        std::uint64_t id_be = 0;
        const char* values[] = {binary ? reinterpret_cast<const char*>(&id_be) : id_text};
        const int lengths[] = {8};
        const int formats[] = {binary ? 1 : 0};
        const Oid types[] = {oid_int8};
        const int result_format = binary ? 1 : 0;
        for (const std::int64_t id : ids) {
          if (binary) {
            id_be = htobe64(static_cast<std::uint64_t>(id));
          } else {
            *std::to_chars(id_text, id_text + sizeof id_text - 1, id).ptr = '\0';
          }
          result_ptr r(prepared ? PQexecPrepared(c, raw_name, 1, values, lengths, formats, result_format)
                                : PQexecParams(c, q1_sql_raw, 1, types, values, lengths, formats, result_format));
          if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(std::string("Q1: ") + PQresultErrorMessage(r.get()));
          if (PQntuples(r.get()) != 1) fail("Q1: not one row");
          check_row_shape(r.get(), result_format);
          if (binary) {
            decode_binary_row(r.get(), 0, row);
          } else {
            decode_text_row(r.get(), 0, row);
          }
          one_row(s, row);
        }
        return s;
      });
    };
  };
  w.variants.push_back({"raw libpq text, PQexecParams",
                        family::raw,
                        true,
                        [&cx, raw_name] { prepare(cx.raw.get(), raw_name, q1_sql_raw, {oid_int8}); },
                        raw(false, false),
                        {},
                        {},
                        {}});
  w.variants.push_back({"raw libpq text, prepared", family::raw, true, {}, raw(true, false), {}, {}, {}});
  w.variants.push_back({"raw libpq binary, PQexecParams", family::raw, true, {}, raw(false, true), {}, {}, {}});
  w.variants.push_back({"raw libpq binary, prepared", family::raw, true, {}, raw(true, true), {}, {}, {}});

  if (observed) return w;  // pgwrap/libpqxx is Q1's
  w.variants.push_back({"libpqxx prepared",
                        family::libpqxx,
                        true,
                        [&cx] { cx.px->prepare("wl_q1", q1_sql_raw); },
                        [&cx, &ids] {
                          return timed([&] {
                            sample s;
                            pqxx::nontransaction tx(*cx.px);
                            for (const std::int64_t id : ids) {
                              const pqxx::row row = tx.exec_prepared1("wl_q1", id);
                              one_row(s,
                                      wl_row{row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<double>(),
                                             ts_from_text({row[3].c_str(), row[3].size()}), row[4].as<bool>()});
                            }
                            return s;
                          });
                        },
                        {},
                        {},
                        {}});
  return w;
}

// Runs `count` prepared statements through libpq's pipeline mode, `pipeline_batch`
// per sync; `send(i)` queues statement i, `take(i, result)` checks its result.
template <typename Send, typename Take>
void pipelined(PGconn* c, std::size_t count, Send send, Take take) {
  if (!PQenterPipelineMode(c)) fail(std::string("PQenterPipelineMode: ") + PQerrorMessage(c));
  for (std::size_t first = 0; first < count; first += pipeline_batch) {
    const std::size_t last = std::min(count, first + pipeline_batch);
    for (std::size_t i = first; i < last; ++i) {
      if (!send(i)) fail(std::string("pipeline send: ") + PQerrorMessage(c));
    }
    if (!PQpipelineSync(c)) fail(std::string("PQpipelineSync: ") + PQerrorMessage(c));
    for (std::size_t i = first; i < last; ++i) {
      result_ptr r(PQgetResult(c));
      if (!r) fail("pipeline: missing result");
      take(i, r.get());
      if (PGresult* extra = PQgetResult(c)) {  // each statement's results end with NULL
        PQclear(extra);
        fail("pipeline: more than one result for a statement");
      }
    }
    result_ptr sync(PQgetResult(c));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) fail("pipeline: expected the sync result");
  }
  if (!PQexitPipelineMode(c)) fail(std::string("PQexitPipelineMode: ") + PQerrorMessage(c));
}

workload make_q2(connections& cx, const std::vector<std::int64_t>& ids) {
  workload w;
  w.id = "Q2";
  w.title = with_commas(static_cast<std::int64_t>(ids.size())) + " single-row SELECTs through libpq pipeline mode (" +
            std::to_string(pipeline_batch) + " per sync)";
  w.unit = "query";
  w.ops = static_cast<double>(ids.size());
  const std::uint64_t expected = expected_checksum(ids);
  w.verify = expect_rows(ids.size(), expected);
  w.verified = "one row per query, checksum " + checksum_hex(expected) + " (computed on the client)";
  w.variants.push_back({"pgwrap execute_batch() (rows in text)",
                        family::pgwrap,
                        true,
                        {},
                        [&cx, &ids] {
                          return timed([&] {
                            sample s;
                            pgwrap::batch b;
                            for (const std::int64_t id : ids) b.add(q1_sql_pw, id);
                            for (const pgwrap::result& r : cx.pw.execute_batch(b)) {
                              const pgwrap::row rw = r[0];
                              one_row(s, wl_row{rw[0].as<std::int64_t>(), rw[1].as<std::string>(), rw[2].as<double>(),
                                                rw[3].as<ts_type>(), rw[4].as<bool>()});
                            }
                            return s;
                          });
                        },
                        {},
                        {},
                        {}});
  auto raw = [&cx, &ids](bool binary) {
    return [&cx, &ids, binary] {
      return timed([&] {
        sample s;
        PGconn* c = cx.raw.get();
        wl_row row;
        const int format = binary ? 1 : 0;
        pipelined(
            c, ids.size(),
            [&](std::size_t i) {
              char id_text[24];
              const std::uint64_t id_be = htobe64(static_cast<std::uint64_t>(ids[i]));
              *std::to_chars(id_text, id_text + sizeof id_text - 1, ids[i]).ptr = '\0';
              const char* values[] = {binary ? reinterpret_cast<const char*>(&id_be) : id_text};
              const int lengths[] = {8};
              const int formats[] = {format};
              return PQsendQueryPrepared(c, "raw_q1", 1, values, lengths, formats, format);
            },
            [&](std::size_t, PGresult* r) {
              if (PQresultStatus(r) != PGRES_TUPLES_OK) fail(std::string("Q2: ") + PQresultErrorMessage(r));
              if (PQntuples(r) != 1) fail("Q2: not one row");
              check_row_shape(r, format);
              if (binary) {
                decode_binary_row(r, 0, row);
              } else {
                decode_text_row(r, 0, row);
              }
              one_row(s, row);
            });
        return s;
      });
    };
  };
  // raw_q1 was prepared by Q1's warm-up when Q1 runs; prepare it here otherwise.
  auto warm = [&cx] {
    result_ptr d(PQdescribePrepared(cx.raw.get(), "raw_q1"));
    if (PQresultStatus(d.get()) != PGRES_COMMAND_OK) prepare(cx.raw.get(), "raw_q1", q1_sql_raw, {oid_int8});
  };
  w.variants.push_back({"raw libpq text, pipeline", family::raw, true, warm, raw(false), {}, {}, {}});
  w.variants.push_back({"raw libpq binary, pipeline", family::raw, true, {}, raw(true), {}, {}, {}});
  w.variants.push_back({"libpqxx",
                        family::libpqxx,
                        true,
                        {},
                        {},
                        "not measured (6.4 has no libpq pipeline mode; pqxx::pipeline batches unprepared text)",
                        {},
                        {}});
  return w;
}

// ---------------------------------------------------------------------------
// Q3: many coroutines on one async_database, which pipelines what they await.

// Runs on `io`, in this thread, the coroutines `spawn(done)` starts (each with
// `done` as its completion handler), until all have ended; rethrows the first failure.
template <typename Spawn>
void run_coroutines(net::io_context& io, Spawn spawn) {
  std::exception_ptr error;
  spawn([&error](const std::exception_ptr& e) {
    if (e && !error) error = e;
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

// An io_context this thread runs, and the database that lives on it (kept across runs, as Q1's is).
struct q3_state {
  net::io_context io{1};
  pgwrap::async_database db{io.get_executor(), dsn()};
};

// Connects, and runs the statement once (pgwrap prepares a typed read on its first run).
net::awaitable<void> q3_warm(pgwrap::async_database& db) {
  co_await db.connect();
  (void)co_await db.scalar<std::int32_t>(q3_sql_pw, std::int32_t{1});
}

// One of Q3's coroutines: its statements one after another, each awaited.
net::awaitable<void> q3_coroutine(pgwrap::async_database& db, std::span<const std::int32_t> params, sample& s) {
  for (const std::int32_t p : params) {
    const std::int32_t r = co_await db.scalar<std::int32_t>(q3_sql_pw, p);
    s.checksum += static_cast<std::uint64_t>(std::int64_t{r});
    ++s.rows;
  }
}

// Q3 by hand: libpq's pipeline mode, non-blocking, one sync per statement (as
// pgwrap gives each statement its own), at most `window` statements sent and
// not yet answered, the results read as they arrive; int4 binary both ways.
sample q3_raw(PGconn* c, const std::vector<std::int32_t>& params, std::size_t window, bool prepared) {
  sample s;
  const std::size_t n = params.size();
  if (PQsetnonblocking(c, 1) != 0) fail(std::string("PQsetnonblocking: ") + PQerrorMessage(c));
  if (!PQenterPipelineMode(c)) fail(std::string("PQenterPipelineMode: ") + PQerrorMessage(c));
  const int fd = PQsocket(c);
  const Oid types[] = {oid_int4};
  const int lengths[] = {4};
  const int formats[] = {1};
  std::size_t sent = 0, done = 0;
  int phase = 0;  // of the oldest statement unanswered: 0 its row, 1 the NULL that ends its results, 2 its sync
  while (done < n) {
    for (; sent < n && sent - done < window; ++sent) {
      const std::uint32_t be = htonl(static_cast<std::uint32_t>(params[sent]));
      const char* values[] = {reinterpret_cast<const char*>(&be)};
      const int ok = prepared ? PQsendQueryPrepared(c, "raw_q3", 1, values, lengths, formats, 1)
                              : PQsendQueryParams(c, q3_sql_raw, 1, types, values, lengths, formats, 1);
      if (!ok || !PQpipelineSync(c)) fail(std::string("Q3 send: ") + PQerrorMessage(c));
    }
    // Whatever has arrived, without blocking.
    bool answered = false;
    while (done < sent && !PQisBusy(c)) {
      result_ptr r(PQgetResult(c));
      if (phase == 0) {
        if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
          fail(std::string("Q3: ") + (r ? PQresultErrorMessage(r.get()) : "missing result"));
        }
        if (PQntuples(r.get()) != 1 || PQftype(r.get(), 0) != oid_int4 || PQfformat(r.get(), 0) != 1) {
          fail("Q3: not one binary int4");
        }
        s.checksum += static_cast<std::uint64_t>(std::int64_t{be_i32(PQgetvalue(r.get(), 0, 0))});
        ++s.rows;
        phase = 1;
      } else if (phase == 1) {
        if (r) fail("Q3: more than one result for a statement");
        phase = 2;
      } else {
        if (!r || PQresultStatus(r.get()) != PGRES_PIPELINE_SYNC) fail("Q3: expected the sync result");
        phase = 0;
        ++done;
        answered = true;
      }
    }
    if (done == n || (answered && sent < n)) continue;  // room in the window: send before waiting
    // Wait until something arrives (or libpq's output, if any is left, can go).
    const int flush = PQflush(c);
    if (flush < 0) fail(std::string("PQflush: ") + PQerrorMessage(c));
    pollfd p{fd, static_cast<short>(POLLIN | (flush == 1 ? POLLOUT : 0)), 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR) fail(std::string("poll: ") + std::strerror(errno));
    if ((p.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && !PQconsumeInput(c)) {
      fail(std::string("PQconsumeInput: ") + PQerrorMessage(c));
    }
  }
  if (!PQexitPipelineMode(c)) fail(std::string("PQexitPipelineMode: ") + PQerrorMessage(c));
  if (PQsetnonblocking(c, 0) != 0) fail(std::string("PQsetnonblocking: ") + PQerrorMessage(c));
  return s;
}

workload make_q3(connections& cx, const options& opt) {
  workload w;
  w.id = "Q3";
  const auto coroutines = static_cast<std::size_t>(opt.q3_coroutines);
  const auto each = static_cast<std::size_t>(opt.q3_each);
  const std::size_t n = coroutines * each;
  w.title = with_commas(opt.q3_coroutines) + " coroutines x " + with_commas(opt.q3_each) +
            " SELECT $1::int4 + 1, each awaited in turn, on one connection (" +
            with_commas(static_cast<std::int64_t>(n)) + " statements, up to " + with_commas(opt.q3_coroutines) +
            " in flight)";
  w.unit = "query";
  w.ops = static_cast<double>(n);
  // Statement j of coroutine k takes (*params)[k * each + j].
  auto params = std::make_shared<std::vector<std::int32_t>>();
  params->reserve(n);
  rng random{0x93};
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    params->push_back(static_cast<std::int32_t>(random.in(-1'000'000'000, 1'000'000'000)));
    sum += std::int64_t{params->back()} + 1;
  }
  w.verify = expect_rows(n, static_cast<std::uint64_t>(sum));
  w.verified =
      "one int4 per statement, their sum " + with_commas(sum) + " (each parameter + 1, computed on the client)";

  auto st = std::make_shared<q3_state>();
  w.variants.push_back(
      {"pgwrap async_database, " + with_commas(opt.q3_coroutines) + " coroutines x scalar<int32>",
       family::pgwrap,
       true,
       [st] { run_coroutines(st->io, [&st](auto done) { net::co_spawn(st->io, q3_warm(st->db), done); }); },
       [st, params, coroutines, each] {
         return timed([&] {
           sample s;
           run_coroutines(st->io, [&](auto done) {
             for (std::size_t k = 0; k < coroutines; ++k) {
               const auto mine = std::span(*params).subspan(k * each, each);
               net::co_spawn(st->io, q3_coroutine(st->db, mine, s), done);
             }
           });
           return s;
         });
       },
       {},
       {},
       {}});

  auto raw = [&cx, params, coroutines](bool prepared) {
    return [&cx, params, coroutines, prepared] {
      return timed([&] { return q3_raw(cx.raw.get(), *params, coroutines, prepared); });
    };
  };
  w.variants.push_back({"raw libpq pipeline, PQsendQueryParams binary",
                        family::raw,
                        true,
                        [&cx] { prepare(cx.raw.get(), "raw_q3", q3_sql_raw, {oid_int4}); },
                        raw(false),
                        {},
                        {},
                        {}});
  w.variants.push_back(
      {"raw libpq pipeline, PQsendQueryPrepared binary", family::raw, true, {}, raw(true), {}, {}, {}});

  w.variants.push_back({"libpqxx pipeline (text, batches of " + with_commas(opt.q3_coroutines) + ")",
                        family::libpqxx,
                        true,
                        {},
                        [&cx, params, coroutines] {
                          return timed([&] {
                            sample s;
                            const std::vector<std::int32_t>& p = *params;
                            pqxx::nontransaction tx(*cx.px);
                            pqxx::pipeline pipe(tx);
                            pipe.retain(static_cast<int>(coroutines));
                            std::size_t inserted = 0, retrieved = 0;
                            std::string sql;
                            while (retrieved < p.size()) {
                              if (inserted < p.size() && inserted - retrieved < coroutines) {
                                sql = "SELECT ";
                                sql += std::to_string(p[inserted++]);
                                sql += "::int4 + 1";
                                pipe.insert(sql);
                                continue;
                              }
                              const pqxx::result r = pipe.retrieve().second;
                              ++retrieved;
                              if (r.size() != 1) fail("Q3: not one row");
                              s.checksum += static_cast<std::uint64_t>(std::int64_t{r[0][0].as<std::int32_t>()});
                              ++s.rows;
                            }
                            pipe.complete();
                            return s;
                          });
                        },
                        {},
                        {},
                        {}});

  w.notes.push_back("pgwrap: one async_database on an io_context this thread runs; the " +
                    with_commas(opt.q3_coroutines) + " coroutines start at once and each awaits its " +
                    with_commas(opt.q3_each) + " statements one after another; the library pipelines them");
  w.notes.push_back(
      "raw libpq: pipeline mode, non-blocking, one PQpipelineSync per statement (which in libpq 15 "
      "also flushes), at most " +
      with_commas(opt.q3_coroutines) + " statements in flight, results read as they arrive (poll, PQconsumeInput)");
  w.notes.push_back(
      "libpqxx 6.4 has no pipeline mode: pqxx::pipeline sends each batch as one multi-statement text "
      "query (values spelled into the SQL, one implicit transaction per batch: an error fails it all)");
  w.notes.push_back(
      "speedup_vs_Q1 = Q1's pgwrap time per query / Q3's pgwrap time per query; raw_speedup_vs_Q1 = the same for raw "
      "libpq (Q1's fastest raw variant / Q3's), what pipelining gives libpq itself on this machine");
  return w;
}

// Q3's speedup_vs_Q1 when Q1 is not run: Q1's pgwrap variant alone, repeated as
// the others are and verified, untabulated.
void measure_q1_pgwrap(connections& cx, const std::vector<std::int64_t>& ids, const options& opt) {
  workload q1 = make_q1(cx, ids);
  const auto v = std::find_if(q1.variants.begin(), q1.variants.end(),
                              [](const variant& x) { return x.fam == family::pgwrap && x.counts; });
  if (v == q1.variants.end()) return;
  std::printf("\nQ1's pgwrap variant alone, for Q3's speedup_vs_Q1: %s\n", v->name.c_str());
  std::fflush(stdout);
  try {
    if (v->warm) v->warm();
    std::vector<double> times;
    for (int rep = 0; rep < opt.repeat; ++rep) {
      std::fprintf(stderr, "[Q1 %d/%d] %s ... ", rep + 1, opt.repeat, v->name.c_str());
      const sample s = v->run();
      q1.verify(s);
      std::fprintf(stderr, "%s\n", fmt_seconds(s.seconds).c_str());
      times.push_back(s.seconds);
    }
    q1_pgwrap_per_query = median(times) / q1.ops;
    std::printf("  median %s per query over %d runs (verified)\n", fmt_seconds(*q1_pgwrap_per_query).c_str(),
                opt.repeat);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED\n");
    std::printf("  FAILED: %s (speedup_vs_Q1 will be n/a)\n", e.what());
    ++failures;
  }
}

// ---------------------------------------------------------------------------
// I1, I2, I3: inserts.

// What wl_ins holds, read back untimed (binary, through the admin connection).
sample table_contents(PGconn* c) {
  result_ptr r(PQexecParams(c, ins_check_sql, 0, nullptr, nullptr, nullptr, nullptr, 1));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(std::string("reading wl_ins: ") + PQresultErrorMessage(r.get()));
  check_row_shape(r.get(), 1);
  sample s;
  wl_row row;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    decode_binary_row(r.get(), i, row);
    one_row(s, row);
  }
  return s;
}

// An insert run: empty the table (untimed), time `body`, read back what is there.
template <typename Body>
std::function<sample()> insert_run(connections& cx, Body body) {
  return [&cx, body] {
    exec_ok(cx.admin.get(), "TRUNCATE wl_ins");
    const auto t0 = chr::steady_clock::now();
    body();
    const double secs = chr::duration<double>(chr::steady_clock::now() - t0).count();
    sample s = table_contents(cx.admin.get());
    s.seconds = secs;
    return s;
  };
}

workload make_insert_workload(const std::string& id, const std::string& title, const std::vector<wl_row>& rows) {
  workload w;
  w.id = id;
  w.title = title;
  w.unit = "row";
  w.ops = static_cast<double>(rows.size());
  std::uint64_t expected = 0;
  for (const wl_row& r : rows) expected += row_hash(r);
  w.verify = expect_rows(rows.size(), expected);
  w.verified = "wl_ins holds exactly the " + with_commas(static_cast<std::int64_t>(rows.size())) +
               " rows afterwards, checksum " + checksum_hex(expected) + " (read back untimed)";
  return w;
}

void raw_in_transaction(PGconn* c, const std::function<void()>& body) {
  exec_ok(c, "BEGIN");
  body();
  exec_ok(c, "COMMIT");
}

workload make_i1(connections& cx, const std::vector<wl_row>& rows) {
  workload w = make_insert_workload(
      "I1", with_commas(static_cast<std::int64_t>(rows.size())) + " INSERTs one by one in one transaction", rows);
  w.variants.push_back({"pgwrap execute() in pgwrap::transaction",
                        family::pgwrap,
                        true,
                        {},
                        insert_run(cx,
                                   [&cx, &rows] {
                                     pgwrap::transaction tx(cx.pw);
                                     for (const wl_row& r : rows) {
                                       (void)cx.pw.execute(ins_sql_pw, r.id, r.name, r.score, r.ts, r.flag);
                                     }
                                     tx.commit();
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back({"pgwrap query<int64>(INSERT ... RETURNING id)",
                        family::pgwrap,
                        false,
                        {},
                        insert_run(cx,
                                   [&cx, &rows] {
                                     pgwrap::transaction tx(cx.pw);
                                     for (const wl_row& r : rows) {
                                       (void)cx.pw.query<std::int64_t>(ins_returning_sql_pw, r.id, r.name, r.score,
                                                                       r.ts, r.flag);
                                     }
                                     tx.commit();
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back({"pgwrap insert(\"wl_ins\", row) (described struct)",
                        family::pgwrap,
                        false,
                        {},
                        insert_run(cx,
                                   [&cx, &rows] {
                                     pgwrap::transaction tx(cx.pw);
                                     for (const wl_row& r : rows) (void)cx.pw.insert("wl_ins", r);
                                     tx.commit();
                                   }),
                        {},
                        {},
                        {}});

  auto raw_warm = [&cx] {
    prepare(cx.raw.get(), "raw_ins_text", ins_sql_raw, insert_types);
    prepare(cx.raw.get(), "raw_ins_bin", ins_sql_raw, insert_types);
  };
  w.variants.push_back({"raw libpq text, prepared",
                        family::raw,
                        true,
                        raw_warm,
                        insert_run(cx,
                                   [&cx, &rows] {
                                     PGconn* c = cx.raw.get();
                                     raw_in_transaction(c, [&] {
                                       text_params p;
                                       for (const wl_row& r : rows) {
                                         p.set(r);
                                         result_ptr res(
                                             PQexecPrepared(c, "raw_ins_text", 5, p.values, nullptr, nullptr, 0));
                                         if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
                                           fail(std::string("I1: ") + PQresultErrorMessage(res.get()));
                                         }
                                       }
                                     });
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back({"raw libpq binary, prepared",
                        family::raw,
                        true,
                        {},
                        insert_run(cx,
                                   [&cx, &rows] {
                                     PGconn* c = cx.raw.get();
                                     raw_in_transaction(c, [&] {
                                       for (const wl_row& r : rows) {
                                         const binary_params p(r);
                                         result_ptr res(PQexecPrepared(c, "raw_ins_bin", 5, p.values, p.lengths,
                                                                       binary_params::formats, 0));
                                         if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
                                           fail(std::string("I1: ") + PQresultErrorMessage(res.get()));
                                         }
                                       }
                                     });
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back({"raw libpq binary, PQexecParams (unprepared)",
                        family::raw,
                        true,
                        {},
                        insert_run(cx,
                                   [&cx, &rows] {
                                     PGconn* c = cx.raw.get();
                                     const std::vector<Oid> types(insert_types);
                                     raw_in_transaction(c, [&] {
                                       for (const wl_row& r : rows) {
                                         const binary_params p(r);
                                         result_ptr res(PQexecParams(c, ins_sql_raw, 5, types.data(), p.values,
                                                                     p.lengths, binary_params::formats, 0));
                                         if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
                                           fail(std::string("I1: ") + PQresultErrorMessage(res.get()));
                                         }
                                       }
                                     });
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back({"libpqxx prepared in pqxx::work",
                        family::libpqxx,
                        true,
                        [&cx] { cx.px->prepare("wl_ins", ins_sql_raw); },
                        insert_run(cx,
                                   [&cx, &rows] {
                                     pqxx::work tx(*cx.px);
                                     for (const wl_row& r : rows) {
                                       tx.exec_prepared("wl_ins", r.id, r.name, r.score, ts_to_text(r.ts), r.flag);
                                     }
                                     tx.commit();
                                   }),
                        {},
                        {},
                        {}});
  w.notes.push_back("pgwrap prepares a statement on its fifth run (typed reads on their first)");
  return w;
}

workload make_i2(connections& cx, const std::vector<wl_row>& rows) {
  workload w = make_insert_workload("I2",
                                    with_commas(static_cast<std::int64_t>(rows.size())) +
                                        " INSERTs in one transaction through libpq pipeline mode (" +
                                        std::to_string(pipeline_batch) + " per sync)",
                                    rows);
  // executemany takes rows of argument tuples: built once here, outside the timing.
  auto tuples = std::make_shared<std::vector<std::tuple<std::int64_t, std::string, double, ts_type, bool>>>();
  for (const wl_row& r : rows) tuples->emplace_back(r.id, r.name, r.score, r.ts, r.flag);
  w.variants.push_back({"pgwrap executemany() in pgwrap::transaction",
                        family::pgwrap,
                        true,
                        {},
                        insert_run(cx,
                                   [&cx, tuples] {
                                     pgwrap::transaction tx(cx.pw);
                                     (void)cx.pw.executemany(ins_sql_pw, *tuples);
                                     tx.commit();
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back({"raw libpq binary, prepared, pipeline",
                        family::raw,
                        true,
                        [&cx] {
                          result_ptr d(PQdescribePrepared(cx.raw.get(), "raw_ins_bin"));
                          if (PQresultStatus(d.get()) != PGRES_COMMAND_OK) {
                            prepare(cx.raw.get(), "raw_ins_bin", ins_sql_raw, insert_types);
                          }
                        },
                        insert_run(cx,
                                   [&cx, &rows] {
                                     PGconn* c = cx.raw.get();
                                     raw_in_transaction(c, [&] {
                                       pipelined(
                                           c, rows.size(),
                                           [&](std::size_t i) {
                                             const binary_params p(rows[i]);
                                             return PQsendQueryPrepared(c, "raw_ins_bin", 5, p.values, p.lengths,
                                                                        binary_params::formats, 0);
                                           },
                                           [&](std::size_t, PGresult* r) {
                                             if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                                               fail(std::string("I2: ") + PQresultErrorMessage(r));
                                             }
                                           });
                                     });
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back({"libpqxx",
                        family::libpqxx,
                        true,
                        {},
                        {},
                        "not measured (6.4 has no libpq pipeline mode; pqxx::pipeline batches unprepared text)",
                        {},
                        {}});
  return w;
}

// PostgreSQL's binary COPY format.
template <typename T>
void put_be(std::string& out, T v) {
  const auto u = static_cast<std::make_unsigned_t<T>>(v);
  char b[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>(u >> (8 * (sizeof(T) - 1 - i)));
  out.append(b, sizeof(T));
}

workload make_i3(connections& cx, const std::vector<wl_row>& rows) {
  workload w = make_insert_workload("I3", with_commas(static_cast<std::int64_t>(rows.size())) + " rows by COPY", rows);
  w.variants.push_back({"pgwrap copy_in(\"wl_ins\", {columns}, rows) (described struct)",
                        family::pgwrap,
                        true,
                        {},
                        insert_run(cx,
                                   [&cx, &rows] {
                                     (void)cx.pw.copy_in("wl_ins", {"id", "name", "score", "ts", "flag"}, rows);
                                     cx.pw.commit();
                                   }),
                        {},
                        {},
                        {}});
  w.variants.push_back(
      {"raw libpq binary COPY, PQputCopyData",
       family::raw,
       true,
       {},
       insert_run(cx,
                  [&cx, &rows] {
                    PGconn* c = cx.raw.get();
                    expect(c, PQexec(c, "COPY wl_ins (id, name, score, ts, flag) FROM STDIN (FORMAT binary)"),
                           PGRES_COPY_IN, "COPY");
                    std::string buf;
                    buf.reserve(1 << 18);
                    buf.append("PGCOPY\n\377\r\n\0", 11);
                    put_be<std::int32_t>(buf, 0);  // flags
                    put_be<std::int32_t>(buf, 0);  // header extension
                    auto flush = [&] {
                      if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1) {
                        fail(std::string("PQputCopyData: ") + PQerrorMessage(c));
                      }
                      buf.clear();
                    };
                    for (const wl_row& r : rows) {
                      put_be<std::int16_t>(buf, 5);
                      put_be<std::int32_t>(buf, 8);
                      put_be<std::int64_t>(buf, r.id);
                      put_be<std::int32_t>(buf, static_cast<std::int32_t>(r.name.size()));
                      buf.append(r.name);
                      put_be<std::int32_t>(buf, 8);
                      put_be<std::uint64_t>(buf, std::bit_cast<std::uint64_t>(r.score));
                      put_be<std::int32_t>(buf, 8);
                      put_be<std::int64_t>(buf, ts_unix_us(r.ts) - unix_to_pg_epoch_us);
                      put_be<std::int32_t>(buf, 1);
                      buf.push_back(r.flag ? 1 : 0);
                      if (buf.size() >= (1 << 18) - 256) flush();
                    }
                    put_be<std::int16_t>(buf, -1);
                    flush();
                    if (PQputCopyEnd(c, nullptr) != 1) fail(std::string("PQputCopyEnd: ") + PQerrorMessage(c));
                    expect(c, PQgetResult(c), PGRES_COMMAND_OK, "COPY");
                    while (PGresult* extra = PQgetResult(c)) PQclear(extra);
                  }),
       {},
       {},
       {}});
  w.variants.push_back(
      {"libpqxx stream_to (COPY text)",
       family::libpqxx,
       true,
       {},
       insert_run(cx,
                  [&cx, &rows] {
                    pqxx::work tx(*cx.px);
                    pqxx::stream_to stream(tx, "wl_ins", std::vector<std::string>{"id", "name", "score", "ts", "flag"});
                    for (const wl_row& r : rows) {
                      stream << std::make_tuple(r.id, r.name, r.score, ts_to_text(r.ts), r.flag);
                    }
                    stream.complete();
                    tx.commit();
                  }),
       {},
       {},
       {}});
  return w;
}

// ---------------------------------------------------------------------------
// T1: pgbench's select-only transaction.

std::string pgbench_path(const options& opt) {
  if (!opt.pgbench.empty()) return opt.pgbench;
  if (const char* p = std::getenv("PGBENCH")) return p;
  if (access("/usr/lib/postgresql/15/bin/pgbench", X_OK) == 0) return "/usr/lib/postgresql/15/bin/pgbench";
  return "pgbench";
}

constexpr std::int64_t pgbench_scale = 10;
constexpr std::int64_t pgbench_accounts = 100000 * pgbench_scale;

std::vector<std::string> pgbench_args(const options& opt, std::vector<std::string> args) {
  args.insert(args.begin(), pgbench_path(opt));
  if (!dsn().empty()) args.push_back(dsn());  // pgbench takes a conninfo as its dbname
  return args;
}

void ensure_pgbench_tables(connections& cx, const options& opt) {
  PGconn* c = cx.admin.get();
  if (table_exists(c, "pgbench_accounts") && table_exists(c, "pgbench_branches")) {
    result_ptr r =
        exec_rows(c, "SELECT (SELECT count(*) FROM pgbench_accounts), (SELECT count(*) FROM pgbench_branches)");
    if (std::stoll(PQgetvalue(r.get(), 0, 0)) == pgbench_accounts &&
        std::stoll(PQgetvalue(r.get(), 0, 1)) == pgbench_scale) {
      std::printf("reusing pgbench tables (scale %" PRId64 ")\n", pgbench_scale);
      return;
    }
  }
  std::printf("initialising pgbench tables: pgbench -i -s %" PRId64 " ...\n", pgbench_scale);
  std::fflush(stdout);
  const auto t0 = chr::steady_clock::now();
  const auto [status, out] = run_capture(pgbench_args(opt, {"-i", "-q", "-s", std::to_string(pgbench_scale)}));
  if (status != 0) fail("pgbench -i failed (" + std::to_string(status) + "): " + trimmed(out));
  std::printf("initialised in %s\n", fmt_seconds(chr::duration<double>(chr::steady_clock::now() - t0).count()).c_str());
}

// Runs `one(aid)` with random aids until `seconds` have passed.
template <typename One>
sample for_seconds(double seconds, One one) {
  rng random{0x5eed};
  sample s;
  const auto t0 = chr::steady_clock::now();
  const auto deadline = t0 + chr::duration_cast<chr::steady_clock::duration>(chr::duration<double>(seconds));
  auto now = t0;
  do {
    s.checksum += static_cast<std::uint64_t>(one(static_cast<std::int32_t>(random.in(1, pgbench_accounts))));
    ++s.rows;
    now = chr::steady_clock::now();
  } while (now < deadline);
  const double elapsed = chr::duration<double>(now - t0).count();
  s.tps = static_cast<double>(s.rows) / elapsed;
  s.seconds = elapsed / static_cast<double>(s.rows);
  return s;
}

// Runs pgbench with `args` (the connection's added) and reads its tps.
sample pgbench_sample(const options& opt, std::vector<std::string> args) {
  const auto [status, out] = run_capture(pgbench_args(opt, std::move(args)));
  if (status != 0) fail("pgbench failed (" + std::to_string(status) + "): " + trimmed(out));
  sample s;
  const std::size_t at = out.find("tps = ");
  if (at == std::string::npos) fail("no 'tps = ' in pgbench's output: " + out);
  s.tps = std::strtod(out.c_str() + at + 6, nullptr);
  const std::size_t n = out.find("number of transactions actually processed: ");
  if (n != std::string::npos) s.rows = std::strtoull(out.c_str() + n + 43, nullptr, 10);
  const std::size_t f = out.find("number of failed transactions: ");
  if (f != std::string::npos && std::strtoull(out.c_str() + f + 31, nullptr, 10) != 0) {
    fail("pgbench reported failed transactions");
  }
  s.seconds = s.tps > 0 ? 1 / s.tps : 0;
  return s;
}

workload make_t1(connections& cx, const options& opt) {
  workload w;
  w.id = "T1";
  const double secs = opt.t1_seconds;
  w.title = "pgbench select-only (SELECT abalance FROM pgbench_accounts WHERE aid = random 1.." +
            with_commas(pgbench_accounts) + "), one connection, " + fmt_fixed(secs, 0) + " s per run";
  w.unit = "txn";
  w.verify = [](const sample& s) {
    if (s.rows == 0 || s.tps <= 0) fail("no transactions");
  };
  w.verified = "every query returned exactly one row; pgbench reported 0 failed transactions";
  w.variants.push_back({"pgwrap scalar<int32>",
                        family::pgwrap,
                        true,
                        [&cx] { (void)cx.pw.scalar<std::int32_t>(t1_sql_pw, std::int32_t{1}); },
                        [&cx, secs] {
                          return for_seconds(
                              secs, [&cx](std::int32_t aid) { return cx.pw.scalar<std::int32_t>(t1_sql_pw, aid); });
                        },
                        {},
                        {},
                        {}});
  const std::string pgbench_t1 = "pgbench -S -M prepared -c 1 -n";
  w.tps_ratios = {{"tps_ratio", pgbench_t1}};
  w.variants.push_back(
      {pgbench_t1,
       family::external,
       true,
       {},
       [&opt, secs] {
         return pgbench_sample(opt, {"-S", "-M", "prepared", "-c", "1", "-j", "1", "-n", "-T", fmt_fixed(secs, 0)});
       },
       {},
       {},
       {}});
  w.variants.push_back({"raw libpq binary, prepared",
                        family::raw,
                        true,
                        [&cx] { prepare(cx.raw.get(), "raw_t1", t1_sql_raw, {oid_int4}); },
                        [&cx, secs] {
                          PGconn* c = cx.raw.get();
                          return for_seconds(secs, [c](std::int32_t aid) {
                            const std::uint32_t be = htonl(static_cast<std::uint32_t>(aid));
                            const char* values[] = {reinterpret_cast<const char*>(&be)};
                            const int lengths[] = {4};
                            const int formats[] = {1};
                            result_ptr r(PQexecPrepared(c, "raw_t1", 1, values, lengths, formats, 1));
                            if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1 ||
                                PQftype(r.get(), 0) != oid_int4) {
                              fail(std::string("T1: ") + PQresultErrorMessage(r.get()));
                            }
                            return be_i32(PQgetvalue(r.get(), 0, 0));
                          });
                        },
                        {},
                        {},
                        {}});
  w.variants.push_back({"libpqxx prepared",
                        family::libpqxx,
                        true,
                        [&cx] { cx.px->prepare("wl_t1", t1_sql_raw); },
                        [&cx, secs] {
                          pqxx::nontransaction tx(*cx.px);
                          return for_seconds(secs, [&tx](std::int32_t aid) {
                            return tx.exec_prepared1("wl_t1", aid)[0].as<std::int32_t>();
                          });
                        },
                        {},
                        {},
                        {}});
  w.notes.push_back("pgbench runs as a child process (" + pgbench_path(opt) +
                    ") with the same connection settings; -n skips its vacuum, which select-only does not need");
  w.notes.push_back(
      "per txn = 1 / tps; the pgwrap/raw and pgwrap/libpqxx ratios compare time per transaction, "
      "tps_ratio = pgwrap tps / pgbench tps");
  return w;
}

// ---------------------------------------------------------------------------
// T2: the same on the connections of an async_pool, driven from one thread.

constexpr int t2_clients = 4;

// An io_context this thread runs, and the pool that lives on it (kept across runs).
struct t2_state {
  net::io_context io{1};
  pgwrap::async_pool pool;
  explicit t2_state(pgwrap::pool_options o) : pool(io.get_executor(), dsn(), std::move(o)) {}
};

// One of T2's clients, until `deadline`: a transaction is acquire(), the
// SELECT, the connection given back; or, with `hold`, the SELECT on a
// connection acquired once for the whole run.
net::awaitable<void> t2_client(pgwrap::async_pool& pool, bool hold, chr::steady_clock::time_point deadline, rng& random,
                               sample& s) {
  std::optional<pgwrap::async_pooled_connection> held;
  if (hold) held.emplace(co_await pool.acquire());
  do {
    const auto aid = static_cast<std::int32_t>(random.in(1, pgbench_accounts));
    std::int32_t balance = 0;
    if (held) {
      balance = co_await (*held)->scalar<std::int32_t>(t1_sql_pw, aid);
    } else {
      const pgwrap::async_pooled_connection c = co_await pool.acquire();
      balance = co_await c->scalar<std::int32_t>(t1_sql_pw, aid);
    }
    s.checksum += static_cast<std::uint64_t>(std::int64_t{balance});
    ++s.rows;
  } while (chr::steady_clock::now() < deadline);
}

// t2_clients clients for `seconds` (0: one transaction each, to open the connections).
sample t2_run(t2_state& st, double seconds, bool hold) {
  rng random{0x5eed};
  sample s;
  const auto t0 = chr::steady_clock::now();
  const auto deadline = t0 + chr::duration_cast<chr::steady_clock::duration>(chr::duration<double>(seconds));
  run_coroutines(st.io, [&](auto done) {
    for (int i = 0; i < t2_clients; ++i) net::co_spawn(st.io, t2_client(st.pool, hold, deadline, random, s), done);
  });
  const double elapsed = chr::duration<double>(chr::steady_clock::now() - t0).count();
  s.tps = static_cast<double>(s.rows) / elapsed;
  s.seconds = s.rows > 0 ? elapsed / static_cast<double>(s.rows) : 0;
  return s;
}

workload make_t2(const options& opt) {
  workload w;
  w.id = "T2";
  const double secs = opt.t1_seconds;
  const std::string clients = std::to_string(t2_clients);
  w.title = "pgbench select-only (SELECT abalance FROM pgbench_accounts WHERE aid = random 1.." +
            with_commas(pgbench_accounts) + "), " + clients + " connections driven from one thread, " +
            fmt_fixed(secs, 0) + " s per run";
  w.unit = "txn";
  w.verify = [](const sample& s) {
    if (s.rows == 0 || s.tps <= 0) fail("no transactions");
  };
  w.verified = "every query returned exactly one row; pgbench reported 0 failed transactions";

  auto pooled = std::make_shared<t2_state>(pgwrap::pool_options{.max_size = t2_clients});
  auto keep = std::make_shared<t2_state>(
      pgwrap::pool_options{.max_size = t2_clients, .reset = pgwrap::session_reset::keep_prepared});
  // pgbench's clients keep their connection for the whole run: so do these.
  w.variants.push_back({"pgwrap async_pool{.max_size = " + clients + "}, " + clients +
                            " coroutines, each holding one pooled connection for the run",
                        family::pgwrap,
                        true,
                        [pooled] { (void)t2_run(*pooled, 0, false); },
                        [pooled, secs] { return t2_run(*pooled, secs, true); },
                        {},
                        {},
                        {}});
  w.variants.push_back({"pgwrap the same pool, " + clients +
                            " coroutines: acquire, scalar<int32>, give back (a "
                            "session reset per transaction)",
                        family::pgwrap,
                        false,
                        {},
                        [pooled, secs] { return t2_run(*pooled, secs, false); },
                        {},
                        {},
                        {}});
  w.variants.push_back({"pgwrap the same, reset = session_reset::keep_prepared",
                        family::pgwrap,
                        false,
                        [keep] { (void)t2_run(*keep, 0, false); },
                        [keep, secs] { return t2_run(*keep, secs, false); },
                        {},
                        {},
                        {}});

  // #10 names `pgbench -S -c 4 -j 1`, pgbench's default (simple) protocol: tps_ratio is against
  // that; tps_ratio_prepared against -M prepared, which prepares as pgwrap does and is faster.
  const std::string pgbench_prepared = "pgbench -S -M prepared -c " + clients + " -j 1 -n";
  const std::string pgbench_simple = "pgbench -S -c " + clients + " -j 1 -n (simple protocol)";
  w.tps_ratios = {{"tps_ratio", pgbench_simple}, {"tps_ratio_prepared", pgbench_prepared}};
  w.variants.push_back(
      {pgbench_prepared,
       family::external,
       true,
       {},
       [&opt, secs, clients] {
         return pgbench_sample(opt, {"-S", "-M", "prepared", "-c", clients, "-j", "1", "-n", "-T", fmt_fixed(secs, 0)});
       },
       {},
       {},
       {}});
  w.variants.push_back({pgbench_simple,
                        family::external,
                        true,
                        {},
                        [&opt, secs, clients] {
                          return pgbench_sample(opt, {"-S", "-c", clients, "-j", "1", "-n", "-T", fmt_fixed(secs, 0)});
                        },
                        {},
                        {},
                        {}});
  w.variants.push_back(
      {"raw libpq",
       family::raw,
       true,
       {},
       {},
       "not measured (pgbench -j 1 is that: libpq's asynchronous calls, one thread, " + clients + " connections)",
       {},
       {}});
  w.variants.push_back({"libpqxx",
                        family::libpqxx,
                        true,
                        {},
                        {},
                        "not measured (6.4 cannot drive several connections from one thread)",
                        {},
                        {}});
  w.notes.push_back(
      "pgwrap: one io_context this thread runs; the pool's other options are the defaults "
      "(reset = discard_all, ping_after_idle = 1 s); the connections are opened by the warm-up");
  w.notes.push_back("pgbench runs as a child process (" + pgbench_path(opt) + "), one thread (-j 1) for " + clients +
                    " connections; tps_ratio is against the command #10 names (simple protocol), "
                    "tps_ratio_prepared against -M prepared");
  w.notes.push_back("per txn = 1 / tps");
  return w;
}

// ---------------------------------------------------------------------------
// R1: point reads from 8 threads through a cluster (the standbys serve them)
// and through the primary's pool alone. On 2 cores the three servers share
// the CPUs the client uses, so no gain is expected: the number is a record.

constexpr int r1_threads = 8;
constexpr std::int64_t r1_rows = 10'000;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Each thread reads random ids, acquiring a connection per read as a request
// handler would; every value is checked against the formula that made it.
sample r1_run(const std::function<pgwrap::pooled_connection()>& acquire, std::int64_t reads_each) {
  return timed([&] {
    std::mutex error_mutex;
    std::string error;
    std::vector<std::uint64_t> sums(r1_threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < r1_threads; ++t) {
      threads.emplace_back([&, t] {
        try {
          rng random{static_cast<std::uint64_t>(t) * 7919 + 1};
          for (std::int64_t i = 0; i < reads_each; ++i) {
            const std::int64_t id = random.in(1, r1_rows);
            auto conn = acquire();
            const auto v = conn->scalar<std::int64_t>("SELECT v FROM r1_items WHERE id = %s", id);
            if (v != id * 7) throw std::runtime_error("R1: wrong value for id " + std::to_string(id));
            sums[static_cast<std::size_t>(t)] += static_cast<std::uint64_t>(v);
          }
        } catch (const std::exception& e) {
          const std::scoped_lock lock(error_mutex);
          error = e.what();
        }
      });
    }
    for (auto& th : threads) th.join();
    if (!error.empty()) fail(error);
    sample s;
    s.rows = static_cast<std::uint64_t>(reads_each) * r1_threads;
    for (const auto x : sums) s.checksum += x;
    return s;
  });
}

workload make_r1(const options& opt) {
  const std::string primary = env_or_empty("PGWRAP_FAILOVER_PRIMARY_DSN");
  const std::vector<std::string> standbys = {env_or_empty("PGWRAP_FAILOVER_STANDBY_DSN"),
                                             env_or_empty("PGWRAP_FAILOVER_STANDBY2_DSN")};
  if (primary.empty() || standbys[0].empty() || standbys[1].empty()) {
    fail(
        "needs a primary and two standbys: PGWRAP_FAILOVER_PRIMARY_DSN, _STANDBY_DSN, _STANDBY2_DSN "
        "(eval \"$(PGWRAP_REPL_STANDBYS=2 scripts/pg_replication.sh env)\"; ./dev bench starts them)");
  }
  {
    pgwrap::database setup(primary);
    setup.set_autocommit(true);
    setup.execute("DROP TABLE IF EXISTS r1_items");
    setup.execute("CREATE TABLE r1_items (id int8 PRIMARY KEY, v int8 NOT NULL)");
    setup.execute("INSERT INTO r1_items SELECT g, g * 7 FROM generate_series(1, %s) AS g", r1_rows);
    setup.execute("ANALYZE r1_items");
  }
  const std::int64_t reads_each = opt.quick ? 500 : 5'000;
  workload w;
  w.id = "R1";
  w.title = std::to_string(r1_threads) + " threads x " + with_commas(reads_each) +
            " point reads (SELECT v FROM r1_items WHERE id = random), a connection acquired per read";
  w.unit = "read";
  w.ops = static_cast<double>(reads_each * r1_threads);
  w.verify = [n = static_cast<std::uint64_t>(reads_each * r1_threads)](const sample& s) {
    if (s.rows != n) fail("R1: not every read ran");
  };
  w.verified = "every value read equals 7 x its id";
  pgwrap::pool_options pool{.max_size = r1_threads};
  pool.autocommit = true;  // a read commits on its own: no transaction to end on release
  pool.reset = pgwrap::session_reset::keep_prepared;
  pgwrap::cluster_options cluster_options;
  cluster_options.primary_pool = pool;
  cluster_options.standby_pool = pool;
  auto cluster = std::make_shared<pgwrap::cluster>(primary, standbys, cluster_options);
  auto primary_only = std::make_shared<pgwrap::pool>(primary, pool);
  // The standbys must hold every row before reads go there.
  const auto token = [&] {
    auto conn = cluster->acquire();
    return pgwrap::cluster::token(*conn);
  }();
  for (std::size_t i = 0; i < standbys.size(); ++i) {
    pgwrap::database standby(standbys[i]);
    standby.set_autocommit(true);
    for (int tries = 0; !standby.scalar<bool>("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", token.to_string());
         ++tries) {
      if (tries > 1'000) fail("R1: a standby did not replay the table");
      std::this_thread::sleep_for(chr::milliseconds(10));
    }
  }
  w.variants.push_back(
      {"pgwrap cluster, acquire(read_only): two standbys",
       family::pgwrap,
       true,
       [cluster] { (void)r1_run([&] { return cluster->acquire(pgwrap::read_only); }, 100); },
       [cluster, reads_each] { return r1_run([&] { return cluster->acquire(pgwrap::read_only); }, reads_each); },
       {},
       {},
       {}});
  w.variants.push_back(
      {"pgwrap pool on the primary alone",
       family::pgwrap,
       false,
       [primary_only] { (void)r1_run([&] { return primary_only->acquire(); }, 100); },
       [primary_only, reads_each] { return r1_run([&] { return primary_only->acquire(); }, reads_each); },
       {},
       {},
       {}});
  w.notes.push_back("the cluster reads from the standbys only; each pool holds up to " + std::to_string(r1_threads) +
                    " connections, autocommit, prepared statements kept");
  return w;
}

// ---------------------------------------------------------------------------

void usage(std::FILE* out) {
  std::fprintf(
      out,
      "usage: workloads_bench [--quick] [--repeat N] [--only F1,F2,Q1,Q1obs,Q2,Q3,I1,I2,I3,T1,T2,R1]\n"
      "                       [--skip IDS] [--keep-tables] [--pgbench PATH]\n"
      "Connects with PGWRAP_TEST_DSN, else libpq's defaults (PG* variables). --benchmark_* flags are ignored.\n");
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const std::vector<std::string> all_workloads = {"F1", "F2", "Q1", "Q1obs", "Q2", "Q3",
                                                "I1", "I2", "I3", "T1",    "T2", "R1"};

// "f1,q1obs" as the set {"F1", "Q1obs"}, spelled as in all_workloads; throws for an unknown id.
std::set<std::string> workload_list(const std::string& list) {
  std::set<std::string> ids;
  std::string item;
  for (std::size_t p = 0; p <= list.size(); ++p) {
    if (p < list.size() && list[p] != ',') {
      item += list[p];
      continue;
    }
    if (!item.empty()) {
      const auto known = std::find_if(all_workloads.begin(), all_workloads.end(),
                                      [&](const std::string& id) { return upper(id) == upper(item); });
      if (known == all_workloads.end()) throw std::invalid_argument("unknown workload " + item);
      ids.insert(*known);
    }
    item.clear();
  }
  return ids;
}

int run(const options& opt) {
  std::printf("pgwrap workloads benchmark: %s sizes, %d runs per implementation, alternating\n",
              opt.quick ? "quick (smoke-test)" : "full", opt.repeat);
  std::printf("timestamptz read as %s\n",
              ts_is_string ? "std::string (ts::text) in every implementation: pgwrap has no "
                             "codec<std::chrono::sys_time<std::chrono::microseconds>> yet"
                           : "std::chrono::sys_time<std::chrono::microseconds> in every implementation");
  connections cx;
  {
    result_ptr v = exec_rows(cx.admin.get(), "SELECT split_part(version(), ' on ', 1)");
    std::printf("server: %s; connection: %s\n", PQgetvalue(v.get(), 0, 0),
                dsn().empty() ? "libpq defaults (PG* variables)" : "PGWRAP_TEST_DSN");
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::printf("host %s, %ld CPUs, load average at start: %s (other work on the machine makes numbers noisy)\n", host,
              sysconf(_SC_NPROCESSORS_ONLN), load_average().c_str());
  const auto started = chr::steady_clock::now();

  // Q3 needs Q1's pgwrap time per query (Q1's pgwrap variant runs alone when Q1 is not run).
  const bool need_rows =
      opt.wants("F1") || opt.wants("F2") || opt.wants("Q1") || opt.wants("Q1obs") || opt.wants("Q2") || opt.wants("Q3");
  const bool need_ins = opt.wants("I1") || opt.wants("I2") || opt.wants("I3");
  // wl_rows holds as many rows as F2 streams (it streams the whole table), at least F1's.
  const std::int64_t table_rows = opt.wants("F2") ? std::max(opt.f2_rows, opt.f1_rows) : opt.f1_rows;

  struct cleanup {
    connections& cx;
    bool drop_rows, drop_ins;
    ~cleanup() {
      try {
        if (drop_rows) exec_ok(cx.admin.get(), "DROP TABLE IF EXISTS wl_rows");
        if (drop_ins) exec_ok(cx.admin.get(), "DROP TABLE IF EXISTS wl_ins");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "cleanup: %s\n", e.what());
      }
    }
  } drop{cx, need_rows && !opt.keep_tables, need_ins && !opt.keep_tables};

  if (need_rows) make_rows_table(cx.admin.get(), table_rows, opt.keep_tables);
  if (need_ins) make_insert_table(cx.admin.get());

  std::vector<std::int64_t> ids;
  rng random{42};
  for (std::int64_t i = 0; i < opt.queries; ++i) ids.push_back(random.in(1, table_rows));
  std::vector<wl_row> to_insert;
  if (need_ins) {
    to_insert.reserve(static_cast<std::size_t>(opt.inserts));
    for (std::int64_t g = 1; g <= opt.inserts; ++g) to_insert.push_back(expected_row(g));
  }

  for (const std::string& id : all_workloads) {
    if (!opt.wants(id)) continue;
    try {
      workload w;
      if (id == "F1") w = make_f1(cx, opt);
      if (id == "F2") w = make_f2(opt, table_rows);
      if (id == "Q1") w = make_q1(cx, ids);
      if (id == "Q1obs") w = make_q1(cx, ids, true);
      if (id == "Q2") w = make_q2(cx, ids);
      if (id == "Q3") {
        if (!opt.wants("Q1")) measure_q1_pgwrap(cx, ids, opt);
        w = make_q3(cx, opt);
      }
      if (id == "I1") w = make_i1(cx, to_insert);
      if (id == "I2") w = make_i2(cx, to_insert);
      if (id == "I3") w = make_i3(cx, to_insert);
      if (id == "T1") {
        ensure_pgbench_tables(cx, opt);
        w = make_t1(cx, opt);
      }
      if (id == "T2") {
        ensure_pgbench_tables(cx, opt);
        w = make_t2(opt);
      }
      if (id == "R1") {
        if (env_or_empty("PGWRAP_FAILOVER_STANDBY2_DSN").empty()) {
          std::printf(
              "\n== R1 ==\n  skipped: needs a primary and two standbys (PGWRAP_FAILOVER_* of "
              "PGWRAP_REPL_STANDBYS=2 scripts/pg_replication.sh env; ./dev bench starts them)\n"
              "RESULT R1 reads_per_s_cluster=n/a reads_per_s_primary_only=n/a\n");
          continue;
        }
        w = make_r1(opt);
      }
      run_workload(w, opt);
    } catch (const std::exception& e) {
      std::printf("\n== %s ==\n  FAILED: %s\nRESULT %s pgwrap/raw=n/a pgwrap/libpqxx=n/a\n", id.c_str(), e.what(),
                  id.c_str());
      ++failures;
    }
  }
  std::printf("\nload average at end: %s; total %s; %s\n", load_average().c_str(),
              fmt_seconds(chr::duration<double>(chr::steady_clock::now() - started).count()).c_str(),
              failures ? (std::to_string(failures) + " failure(s)").c_str() : "all runs verified");
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      auto value = [&](std::string_view flag) -> std::optional<std::string> {
        if (a == flag) {
          if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
          return std::string(argv[++i]);
        }
        if (a.starts_with(flag) && a.size() > flag.size() && a[flag.size()] == '=') {
          return std::string(a.substr(flag.size() + 1));
        }
        return std::nullopt;
      };
      if (a.starts_with("--benchmark_")) continue;  // ./dev bench passes Google Benchmark's flags to every *_bench
      if (a == "--f2-child") {
        if (i + 1 >= argc) throw std::invalid_argument("--f2-child needs an implementation");
        return f2_child(argv[i + 1]);
      }
      if (a == "--quick") {
        opt.quick = true;
      } else if (a == "--keep-tables") {
        opt.keep_tables = true;
      } else if (a == "-h" || a == "--help") {
        usage(stdout);
        return 0;
      } else if (auto v = value("--repeat")) {
        opt.repeat = std::stoi(*v);
        if (opt.repeat < 1) throw std::invalid_argument("--repeat must be at least 1");
      } else if (auto o = value("--only")) {
        opt.only = workload_list(*o);
      } else if (auto k = value("--skip")) {
        opt.skip = workload_list(*k);
      } else if (auto b = value("--pgbench")) {
        opt.pgbench = *b;
      } else {
        throw std::invalid_argument("unknown argument " + std::string(a));
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workloads_bench: %s\n", e.what());
    usage(stderr);
    return 2;
  }
  if (opt.quick) {
    opt.f1_rows = 50'000;
    opt.f2_rows = 200'000;
    opt.queries = 2'000;
    opt.q3_each = 10;
    opt.inserts = 20'000;
    opt.t1_seconds = 3;
  }
  try {
    if (opt.wants("F2")) start_spawner();  // before this process grows (see spawner)
    const int status = run(opt);
    stop_spawner();
    return status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workloads_bench: %s\n", e.what());
    stop_spawner();
    return 1;
  }
}
