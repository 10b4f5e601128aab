// The decoder fuzzer's table and invariants (see decoder_harness.hpp).
//
// The seam to results: a value is read the way pgwrap reads every result,
// through pgwrap::result, row and field (detail::read_column), over a real
// PGresult that libpq builds without a server (PQmakeEmptyPGresult,
// PQsetResultAttrs, PQsetvalue): the same result_data and the same
// column-naming code as a query's result, only the bytes come from the
// fuzzer. libpq keeps values inside its own blocks, where AddressSanitizer
// cannot see a read past a value's end, so every value is also given to
// codec<T>::decode directly in a heap buffer of exactly its size.
//
// ADDING A DECODER (e.g. after a new type lands): add one line at the END of
// the table in decoders() below,
//     entry<T>("name", {its OID, other OIDs worth trying}),
// with `allowance` only if a valid value may legitimately need one
// allocation larger than 64 x its bytes (then say why, as for numeric).
// Append only: seeds in decoder_corpus/ name their decoder by its index.
// Then add crafted seeds for it in decoder_replay.cpp's seeds() and
// regenerate the corpus (see tests/fuzz/CMakeLists.txt).

#include "decoder_harness.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "pgwrap/describe.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/result.hpp"
#include "pgwrap/row.hpp"
#include "pgwrap/types.hpp"

// ---------------------------------------------------------------- allocations
//
// Every operator new of the program goes through here. While a decode runs,
// `limit` is its bound, and a larger request aborts.
//
// The bound, 64 x the value's bytes + 4096: a decoder builds at most a
// handful of things proportional to its input. The largest legitimate one
// is a text array's element table: an element takes 2 bytes of input
// (`1,`) and 24 bytes in the table, which std::vector may double while it
// grows, so 24 bytes per input byte; the decoded std::vector<T> itself takes
// sizeof(T) <= 40 bytes per element, one element per 2 bytes. 64 leaves
// room without letting a header's count drive an allocation (2^31 elements
// claimed in 40 bytes would ask for gigabytes). The 4096 are for messages:
// a conversion_error's text, whatever the value's size, is a few hundred
// bytes (values are shown cut to 40 characters).

namespace {
std::size_t g_limit = 0;  // 0: not in a decode
pgwrap_fuzz::allocation_record g_largest;
std::size_t g_value_size = 0;
std::string_view g_decoder_name;
}  // namespace

extern "C" void __sanitizer_print_stack_trace() __attribute__((weak));

namespace {
void* allocate(std::size_t n, std::size_t align) {
  if (g_limit != 0) {
    if (n > g_largest.bytes) g_largest = {n, g_value_size};
    if (n > g_limit) {
      g_limit = 0;  // the report may allocate
      std::fprintf(stderr,
                   "decoder fuzz: INVARIANT VIOLATED: decoder \"%.*s\" asked for %zu bytes in one allocation "
                   "for a %zu-byte value (bound %zu)\n",
                   static_cast<int>(g_decoder_name.size()), g_decoder_name.data(), n, g_value_size,
                   64 * g_value_size + 4096);
      if (__sanitizer_print_stack_trace != nullptr) __sanitizer_print_stack_trace();
      std::abort();
    }
  }
  if (n == 0) n = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(n);
  } else {
    p = std::aligned_alloc(align, (n + align - 1) / align * align);
  }
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n, 0); }
void* operator new[](std::size_t n) { return allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n, 0);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n, 0);
  } catch (...) {
    return nullptr;
  }
}
// Each of these frees what allocate() took from malloc. g++ 12, inlining them
// at -O1 (the TSan tree), takes that for a new/free mismatch: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace pgwrap_fuzz {

namespace {

using pgwrap::wire_format;
namespace oid = pgwrap::oid;
using us = std::chrono::microseconds;

constexpr const char* column_name = "hostile";

// The longest text a valid numeric has: 131072 digits before the point,
// 16383 after it, a sign and the point (PostgreSQL's own limits). A numeric
// of 10 bytes may legitimately be that long (10^131068), so decoders of
// numerics may make one allocation that large, whatever their input's size.
constexpr std::size_t numeric_allowance = 131072 + 16383 + 2 + 1;

// Armed for the duration of a decode.
class armed {
 public:
  armed(std::size_t value_size, std::size_t allowance, std::string_view name) {
    g_value_size = value_size;
    g_decoder_name = name;
    g_limit = 64 * value_size + 4096 + allowance;
  }
  ~armed() { g_limit = 0; }
  armed(const armed&) = delete;
  armed& operator=(const armed&) = delete;
};

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  const std::size_t shown = bytes.size() < 64 ? bytes.size() : 64;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out += digits[b >> 4];
    out += digits[b & 0xF];
  }
  if (shown < bytes.size()) out += "...";
  return out;
}

[[noreturn]] void violation(const input& in, const std::string& what) {
  g_limit = 0;
  std::fprintf(stderr,
               "decoder fuzz: INVARIANT VIOLATED: decoder \"%.*s\", %s, column type %u, %s value of %zu bytes "
               "(hex %s):\n  %s\n",
               static_cast<int>(decoders()[in.decoder].name.size()), decoders()[in.decoder].name.data(),
               in.format == wire_format::binary ? "binary" : "text", in.oid, in.null ? "NULL" : "a", in.value.size(),
               hex(in.value).c_str(), what.c_str());
  std::abort();
}

// ---- checks of what a decoder returned ----
//
// A decoded value must be one pgwrap itself can print and read back: the
// text forms are PostgreSQL's, so a value that does not survive them is a
// decoder (or printer) that invents values.

const input* g_input = nullptr;

void expect(bool ok, const std::string& what) {
  if (!ok) violation(*g_input, what);
}

template <typename T>
void check_value(const T& value);

// The checks themselves must not throw: a value that cannot be printed and read back is a violation.
template <typename T>
void check_decoded(const T& value) {
  try {
    check_value(value);
  } catch (const std::exception& e) {
    violation(*g_input, std::string("the decoded value does not read back: ") + e.what());
  }
}

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

template <typename T>
void check_value(const T& value) {
  using pgwrap::value_view;
  if constexpr (std::is_same_v<T, pgwrap::numeric>) {
    const auto again = pgwrap::numeric::try_parse(value.to_string());
    expect(again && *again == value, "numeric's text \"" + value.to_string().substr(0, 80) + "\" is not canonical");
  } else if constexpr (std::is_same_v<T, pgwrap::interval>) {
    const std::string text = pgwrap::to_string(value);
    const pgwrap::interval again =
        pgwrap::detail::read_interval(value_view{text, oid::interval, wire_format::text}, "pgwrap::interval");
    expect(again == value, "interval's text \"" + text + "\" reads back as another interval");
  } else if constexpr (std::is_same_v<T, pgwrap::time_of_day>) {
    const std::string text = pgwrap::to_string(value);
    expect(value.ok() && pgwrap::detail::read_time(value_view{text, oid::time, wire_format::text}, "time") ==
                             value.since_midnight.count(),
           "time's text \"" + text + "\" reads back as another time");
  } else if constexpr (std::is_same_v<T, pgwrap::uuid>) {
    expect(pgwrap::uuid::try_parse(value.to_string()) == value, "uuid's text does not read back");
  } else if constexpr (std::is_same_v<T, std::chrono::sys_days>) {
    const auto pg = static_cast<std::int32_t>(value.time_since_epoch().count() - pgwrap::detail::pg_epoch_days);
    const std::string text = pgwrap::detail::format_date(pg);
    expect(pgwrap::detail::read_date(value_view{text, oid::date, wire_format::text}, "date") == pg,
           "date's text \"" + text + "\" reads back as another date");
  } else if constexpr (std::is_same_v<T, std::chrono::sys_time<us>> || std::is_same_v<T, std::chrono::local_time<us>>) {
    constexpr bool tz = std::is_same_v<T, std::chrono::sys_time<us>>;
    const std::int64_t pg = value.time_since_epoch().count() - pgwrap::detail::pg_epoch_micros;
    const std::string text = pgwrap::detail::format_timestamp(pg, tz);
    const std::uint32_t type = tz ? oid::timestamptz : oid::timestamp;
    expect(pgwrap::detail::read_timestamp(value_view{text, type, wire_format::text}, type, "timestamp") == pg,
           "timestamp's text \"" + text + "\" reads back as another timestamp");
  } else if constexpr (std::is_same_v<T, pgwrap::inet> || std::is_same_v<T, pgwrap::cidr> ||
                       std::is_same_v<T, pgwrap::macaddr> || std::is_same_v<T, pgwrap::macaddr8>) {
    expect(T::try_parse(value.to_string()) == value,
           "the text \"" + value.to_string() + "\" reads back as another value");
  } else if constexpr (is_vector<T>::value) {
    if constexpr (!std::is_same_v<typename T::value_type, std::byte>) {
      for (const auto& element : value) check_value(element);
    }
  } else if constexpr (pgwrap::detail::is_optional<T>::value) {
    if (value) check_value(*value);
  }
}

// The user types the composite decoders are given, as a result's type_set
// would hold them: shape (16500) has a text[] member, a nested composite
// point (16501) and an enum (16503); 16502 is shape[]. Every hostile
// result carries them (the built-in decoders never look).
namespace fuzz_types {
enum class color { red, green, blue };
PGWRAP_ENUM(color, red, green, blue)
struct point {
  double x = 0;
  std::optional<double> y;
};
PGWRAP_DESCRIBE(point, x, y)
struct shape {
  int id = 0;
  std::string name;
  std::vector<std::string> tags;
  point at;
  std::optional<color> hue;
};
PGWRAP_DESCRIBE(shape, id, name, tags, at, hue)
}  // namespace fuzz_types

const std::shared_ptr<const pgwrap::detail::type_set>& fuzz_catalog() {
  static const auto set = std::make_shared<const pgwrap::detail::type_set>([] {
    pgwrap::detail::type_set s;
    s.add({16500,
           "shape",
           'c',
           0,
           0,
           {{"id", oid::int4}, {"name", oid::text}, {"tags", 1009}, {"at", 16501}, {"hue", 16503}},
           "shape",
           "",
           ""});
    s.add({16501, "point", 'c', 0, 0, {{"x", oid::float8}, {"y", oid::float8}}, "point", "", ""});
    s.add({16502, "shape[]", 'b', 16500, 0, {}, "_shape", "", ""});
    s.add({16503, "color", 'e', 0, 0, {}, "color", "", ""});
    return s;
  }());
  return set;
}

// A row of one column, "hostile", holding the value: what a query's result
// would be had the server sent it.
pgwrap::result make_result(const input& in) {
  PGresult* res = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  if (res == nullptr) violation(in, "libpq could not make a result");
  PGresAttDesc column{};
  column.name = const_cast<char*>(column_name);
  column.format = in.format == wire_format::binary ? 1 : 0;
  column.typid = in.oid;
  column.typlen = -1;
  column.atttypmod = -1;
  if (PQsetResultAttrs(res, 1, &column) == 0 ||
      PQsetvalue(res, 0, 0, in.null ? nullptr : const_cast<char*>(in.value.empty() ? "" : in.value.data()),
                 in.null ? -1 : static_cast<int>(in.value.size())) == 0) {
    PQclear(res);
    violation(in, "libpq could not hold the value");
  }
  return pgwrap::result(std::make_shared<const pgwrap::detail::result_data>(res, "SELECT hostile", fuzz_catalog()));
}

template <typename T>
decoder entry(std::string_view name, std::vector<std::uint32_t> oids, std::size_t allowance = 0) {
  return {name, std::move(oids), allowance,
          [](const pgwrap::value_view& v) {
            std::optional<T> value;
            {
              const armed guard(v.data.size(), decoders()[g_input->decoder].allowance,
                                decoders()[g_input->decoder].name);
              value.emplace(pgwrap::codec<T>::decode(v));
            }
            check_decoded(*value);
          },
          [](const pgwrap::row& r) {
            const pgwrap::field f = r[column_name];
            std::optional<T> value;
            {
              const armed guard(g_input->value.size(), decoders()[g_input->decoder].allowance,
                                decoders()[g_input->decoder].name);
              value.emplace(f.as<T>());
            }
            check_decoded(*value);
          }};
}

// entry<T>, but the direct decode sees fuzz_catalog() too, as the row path does.
template <typename T>
decoder composite_entry(std::string_view name, std::vector<std::uint32_t> oids) {
  decoder d = entry<T>(name, std::move(oids));
  d.decode = [](const pgwrap::value_view& v) {
    pgwrap::value_view with_types = v;
    with_types.types = fuzz_catalog().get();
    std::optional<T> value;
    {
      const armed guard(v.data.size(), decoders()[g_input->decoder].allowance, decoders()[g_input->decoder].name);
      value.emplace(pgwrap::codec<T>::decode(with_types));
    }
    check_decoded(*value);
  };
  return d;
}

// Column types: the decoder's own, then ones a confused or hostile server might send instead.
const std::vector<std::uint32_t> integers = {oid::int4, oid::int2, oid::int8, oid::text, oid::numeric};
const std::vector<std::uint32_t> texts = {oid::text, oid::varchar, oid::bpchar, oid::name,
                                          oid::json, oid::jsonb,   oid::bytea};

std::vector<decoder> make_table() {
  using namespace std::chrono;
  using pgwrap::with_infinity;
  using std::optional;
  using std::vector;
  using ns = nanoseconds;
  using ms = milliseconds;
  std::vector<decoder> t;
  // ---- scalars
  t.push_back(entry<std::int16_t>("int16", {oid::int2, oid::int4, oid::int8, oid::text}));
  t.push_back(entry<std::int32_t>("int32", integers));
  t.push_back(entry<std::int64_t>("int64", {oid::int8, oid::int4, oid::int2, oid::text}));
  t.push_back(entry<std::int8_t>("int8_t", {oid::int2, oid::int4}));
  t.push_back(entry<std::uint8_t>("uint8_t", {oid::int2, oid::int8}));
  t.push_back(entry<std::uint16_t>("uint16", {oid::int4, oid::int2}));
  t.push_back(entry<std::uint32_t>("uint32", {oid::int8, oid::int4}));
  t.push_back(entry<std::uint64_t>("uint64", {oid::numeric, oid::int8}));
  t.push_back(entry<bool>("bool", {oid::boolean, oid::int4, oid::text}));
  t.push_back(entry<float>("float", {oid::float4, oid::float8, oid::int4}));
  t.push_back(entry<double>("double", {oid::float8, oid::float4, oid::numeric, oid::int8}));
  t.push_back(entry<std::string>("std::string", texts));
  t.push_back(entry<std::string_view>("std::string_view", texts));
  t.push_back(entry<optional<std::string>>("std::optional<std::string>", {oid::text, oid::jsonb}));
  t.push_back(entry<optional<std::int32_t>>("std::optional<int32>", {oid::int4, oid::int8}));
  t.push_back(entry<pgwrap::numeric>("pgwrap::numeric", {oid::numeric, oid::int8, oid::int4, oid::int2, oid::float8},
                                     numeric_allowance));
  t.push_back(entry<vector<std::byte>>("bytea", {oid::bytea, oid::text}));
  t.push_back(entry<pgwrap::uuid>("pgwrap::uuid", {oid::uuid, oid::text}));
  t.push_back(entry<pgwrap::json>("pgwrap::json", {oid::json, oid::jsonb, oid::text}));
  t.push_back(entry<pgwrap::jsonb>("pgwrap::jsonb", {oid::jsonb, oid::json, oid::text}));
#if PGWRAP_HAS_NLOHMANN_JSON
  t.push_back(entry<nlohmann::json>("nlohmann::json", {oid::jsonb, oid::json, oid::text}));
  t.push_back(entry<nlohmann::ordered_json>("nlohmann::ordered_json", {oid::json, oid::jsonb}));
#else
  t.push_back(entry<pgwrap::jsonb>("nlohmann::json", {oid::jsonb, oid::json, oid::text}));  // keeps the indices
  t.push_back(entry<pgwrap::json>("nlohmann::ordered_json", {oid::json, oid::jsonb}));
#endif
  // ---- dates and times
  t.push_back(entry<year_month_day>("year_month_day", {oid::date, oid::timestamp, oid::text}));
  t.push_back(entry<sys_days>("sys_days", {oid::date, oid::text}));
  t.push_back(entry<local_days>("local_days", {oid::date}));
  t.push_back(entry<sys_time<us>>("sys_time<us>", {oid::timestamptz, oid::timestamp, oid::text}));
  t.push_back(entry<sys_time<ns>>("sys_time<ns>", {oid::timestamptz}));
  t.push_back(entry<sys_seconds>("sys_seconds", {oid::timestamptz}));
  t.push_back(entry<sys_time<ms>>("sys_time<ms>", {oid::timestamptz, oid::date}));
  t.push_back(entry<local_time<us>>("local_time<us>", {oid::timestamp, oid::timestamptz, oid::text}));
  t.push_back(entry<local_seconds>("local_seconds", {oid::timestamp}));
  t.push_back(entry<local_time<ns>>("local_time<ns>", {oid::timestamp}));
  t.push_back(entry<local_time<hours>>("local_time<hours>", {oid::timestamp}));
  t.push_back(entry<pgwrap::time_of_day>("time_of_day", {oid::time, oid::text, oid::interval}));
  t.push_back(entry<pgwrap::interval>("interval", {oid::interval, oid::text, oid::time}));
  t.push_back(entry<us>("duration<us>", {oid::interval, oid::text}));
  t.push_back(entry<ns>("duration<ns>", {oid::interval}));
  t.push_back(entry<seconds>("duration<s>", {oid::interval}));
  t.push_back(entry<days>("duration<days>", {oid::interval}));
  t.push_back(entry<duration<std::int32_t, std::milli>>("duration<int32 ms>", {oid::interval}));
  t.push_back(entry<with_infinity<sys_days>>("with_infinity<sys_days>", {oid::date, oid::text}));
  t.push_back(entry<with_infinity<year_month_day>>("with_infinity<year_month_day>", {oid::date}));
  t.push_back(entry<with_infinity<local_days>>("with_infinity<local_days>", {oid::date, oid::timestamp}));
  t.push_back(entry<with_infinity<sys_time<us>>>("with_infinity<sys_time<us>>", {oid::timestamptz, oid::text}));
  t.push_back(entry<with_infinity<local_time<us>>>("with_infinity<local_time<us>>", {oid::timestamp}));
  t.push_back(entry<with_infinity<sys_seconds>>("with_infinity<sys_seconds>", {oid::timestamptz}));
  // ---- arrays (OIDs: the array type, another array type, an element type, text)
  t.push_back(entry<vector<std::int32_t>>("int32[]", {1007, 1016, oid::int4, oid::text}));
  t.push_back(entry<vector<optional<std::int32_t>>>("optional<int32>[]", {1007, 1005}));
  t.push_back(entry<vector<vector<std::int64_t>>>("int64[][]", {1016, 1007}));
  t.push_back(entry<vector<vector<vector<optional<std::int16_t>>>>>("optional<int16>[][][]", {1005, 1007}));
  t.push_back(entry<vector<vector<vector<vector<vector<vector<std::int32_t>>>>>>>("int32[6 dims]", {1007}));
  t.push_back(entry<vector<std::string>>("std::string[]", {1009, 1015, 1007, 3807}));
  t.push_back(entry<vector<optional<std::string>>>("optional<std::string>[]", {1009, 1014}));
  t.push_back(entry<vector<vector<std::string>>>("std::string[][]", {1009}));
  t.push_back(entry<vector<double>>("double[]", {1022, 1021}));
  t.push_back(entry<vector<bool>>("bool[]", {1000}));
  t.push_back(entry<vector<pgwrap::numeric>>("numeric[]", {1231, 1016}, numeric_allowance));
  t.push_back(entry<vector<optional<pgwrap::numeric>>>("optional<numeric>[]", {1231}, numeric_allowance));
  t.push_back(entry<vector<pgwrap::uuid>>("uuid[]", {2951}));
  t.push_back(entry<vector<vector<std::byte>>>("bytea[]", {1001}));
  t.push_back(entry<vector<pgwrap::jsonb>>("jsonb[]", {3807, 199}));
  t.push_back(entry<vector<sys_days>>("sys_days[]", {1182}));
  t.push_back(entry<vector<with_infinity<sys_time<us>>>>("with_infinity<sys_time<us>>[]", {1185, 1115}));
  t.push_back(entry<vector<optional<local_time<us>>>>("optional<local_time<us>>[]", {1115}));
  t.push_back(entry<vector<pgwrap::interval>>("interval[]", {1187}));
  t.push_back(entry<vector<pgwrap::time_of_day>>("time_of_day[]", {1183}));
  t.push_back(entry<vector<vector<float>>>("float[][]", {1021, 1022}));
  // Types round two: ranges, multiranges, network, hstore, enums, composites.
  t.push_back(entry<pgwrap::range<int>>("range<int32>", {3904, 3926}));
  t.push_back(entry<pgwrap::range<std::int64_t>>("range<int64>", {3926}));
  t.push_back(entry<pgwrap::range<pgwrap::numeric>>("range<numeric>", {3906}, numeric_allowance));
  t.push_back(entry<pgwrap::range<sys_days>>("range<sys_days>", {3912}));
  t.push_back(entry<pgwrap::range<with_infinity<sys_days>>>("range<with_infinity<sys_days>>", {3912}));
  t.push_back(entry<pgwrap::range<local_time<us>>>("range<local_time<us>>", {3908}));
  t.push_back(entry<pgwrap::range<sys_time<us>>>("range<sys_time<us>>", {3910}));
  t.push_back(entry<pgwrap::multirange<int>>("multirange<int32>", {4451}));
  t.push_back(entry<pgwrap::multirange<pgwrap::numeric>>("multirange<numeric>", {4532}, numeric_allowance));
  t.push_back(entry<pgwrap::multirange<sys_time<us>>>("multirange<sys_time<us>>", {4534}));
  t.push_back(entry<vector<pgwrap::range<int>>>("range<int32>[] or multirange", {3905, 4451}));
  t.push_back(entry<vector<pgwrap::range<sys_days>>>("range<sys_days>[] or multirange", {3913, 4535}));
  t.push_back(entry<pgwrap::inet>("inet", {oid::inet, oid::cidr, oid::text}));
  t.push_back(entry<pgwrap::cidr>("cidr", {oid::cidr, oid::inet, oid::text}));
  t.push_back(entry<pgwrap::macaddr>("macaddr", {oid::macaddr, oid::macaddr8, oid::text}));
  t.push_back(entry<pgwrap::macaddr8>("macaddr8", {oid::macaddr8, oid::macaddr, oid::text}));
  t.push_back(entry<vector<pgwrap::inet>>("inet[]", {1041}));
  t.push_back(entry<vector<optional<pgwrap::macaddr>>>("optional<macaddr>[]", {1040}));
  t.push_back(entry<pgwrap::hstore>("hstore", {16600, oid::text}));
  t.push_back(entry<vector<pgwrap::hstore>>("hstore[]", {16601}));
  t.push_back(entry<fuzz_types::color>("enum", {16503, oid::text}));
  t.push_back(entry<vector<optional<fuzz_types::color>>>("enum[]", {16504}));
  t.push_back(composite_entry<fuzz_types::shape>("composite", {16500, 2249}));
  t.push_back(composite_entry<vector<optional<fuzz_types::shape>>>("composite[]", {16502}));
  // ---- new decoders go here, at the end (see the top of this file)
  return t;
}

}  // namespace

const std::vector<decoder>& decoders() {
  static const std::vector<decoder> table = make_table();
  return table;
}

std::size_t decoder_index(std::string_view name) {
  const auto& table = decoders();
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].name == name) return i;
  }
  std::fprintf(stderr, "decoder fuzz: no decoder called \"%.*s\"\n", static_cast<int>(name.size()), name.data());
  std::abort();
}

input split(const std::uint8_t* data, std::size_t size) {
  input in;
  if (size < 2) {
    in.decoder = size == 1 ? data[0] % decoders().size() : 0;
    in.oid = decoders()[in.decoder].oids.front();
    return in;
  }
  const decoder& d = decoders()[data[0] % decoders().size()];
  in.decoder = data[0] % decoders().size();
  in.format = (data[1] & 1) != 0 ? wire_format::binary : wire_format::text;
  in.null = (data[1] & 2) != 0;
  const std::size_t choice = (data[1] >> 2) % (d.oids.size() + 1);
  std::size_t at = 2;
  if (choice < d.oids.size()) {
    in.oid = d.oids[choice];
  } else {
    for (int k = 0; k < 4; ++k) in.oid = (in.oid << 8) | (at < size ? data[at++] : 0u);
  }
  in.value = std::string_view(reinterpret_cast<const char*>(data) + at, size - at);
  return in;
}

std::string make_input(std::string_view name, wire_format format, std::uint32_t type, std::string_view value,
                       bool null) {
  const std::size_t index = decoder_index(name);
  const decoder& d = decoders()[index];
  std::size_t choice = d.oids.size();
  for (std::size_t k = 0; k < d.oids.size(); ++k) {
    if (d.oids[k] == type) {
      choice = k;
      break;
    }
  }
  std::string out;
  out += static_cast<char>(index);
  out += static_cast<char>((choice << 2) | (null ? 2u : 0u) | (format == wire_format::binary ? 1u : 0u));
  if (choice == d.oids.size()) {
    for (int k = 3; k >= 0; --k) out += static_cast<char>((type >> (8 * k)) & 0xFF);
  }
  out += value;
  return out;
}

void run_input(const std::uint8_t* data, std::size_t size) {
  const input in = split(data, size);
  g_input = &in;
  const decoder& d = decoders()[in.decoder];

  // 1. The codec on its own, on a buffer of exactly the value's size.
  enum class outcome { value, conversion_error, skipped };
  outcome direct = outcome::skipped;
  std::string direct_message;
  if (!in.null) {
    const std::unique_ptr<char[]> copy(new char[in.value.size() + 1]);
    if (!in.value.empty()) std::memcpy(copy.get(), in.value.data(), in.value.size());
    try {
      d.decode(pgwrap::value_view{std::string_view(copy.get(), in.value.size()), in.oid, in.format});
      direct = outcome::value;
    } catch (const pgwrap::conversion_error& e) {
      direct = outcome::conversion_error;
      direct_message = e.what();
    } catch (const std::exception& e) {
      violation(in, std::string("the codec threw ") + typeid(e).name() + " (not conversion_error): " + e.what());
    } catch (...) {
      violation(in, "the codec threw something that is not a std::exception");
    }
  }

  // 2. The same value in a result, read through row and field.
  const pgwrap::result result = make_result(in);
  const std::string named = std::string("column \"") + column_name + "\" (" + pgwrap::detail::type_name(in.oid) + "): ";
  const std::string named_null = std::string("column \"") + column_name + "\" is NULL";
  try {
    d.read(result[0]);
    if (direct == outcome::conversion_error) {
      violation(in, "the codec failed (" + direct_message + ") but reading the row did not");
    }
  } catch (const pgwrap::unexpected_null& e) {
    const std::string what = e.what();
    if (!in.null || what.compare(0, named_null.size(), named_null) != 0) {
      violation(in, "unexpected_null that does not name the column as a NULL: " + what);
    }
  } catch (const pgwrap::conversion_error& e) {
    const std::string what = e.what();
    if (what.compare(0, named.size(), named) != 0) {
      violation(in, "a conversion_error that does not start with \"" + named + "\": " + what);
    }
    if (direct == outcome::value) violation(in, "reading the row failed (" + what + ") but the codec did not");
    if (direct == outcome::conversion_error && what.compare(named.size(), std::string::npos, direct_message) != 0) {
      violation(in, "reading the row says \"" + what + "\" where the codec said \"" + direct_message + "\"");
    }
  } catch (const std::exception& e) {
    violation(in, std::string("reading the row threw ") + typeid(e).name() + " (not conversion_error): " + e.what());
  } catch (...) {
    violation(in, "reading the row threw something that is not a std::exception");
  }
  g_input = nullptr;
}

allocation_record largest_allocation() { return g_largest; }

}  // namespace pgwrap_fuzz
