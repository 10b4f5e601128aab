// The decoder fuzzer without libFuzzer: replays inputs through the same
// table and invariants (decoder_harness.cpp), so the normal build (g++, and
// the ASan tree) runs the corpus as a unit test.
//
//   pgwrap_decoder_replay DIR|FILE...     replay every file (the ctest test
//                                         replays tests/fuzz/decoder_corpus)
//   pgwrap_decoder_replay --write-seeds DIR
//                                         write the crafted seeds below to DIR
//                                         (how decoder_corpus/ was made)
//
// A violated invariant aborts with a message naming the decoder and the
// input; otherwise it prints how many inputs ran and "N passed, 0 failed".

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decoder_harness.hpp"
#include "pgwrap/codec.hpp"

namespace {

using namespace std::string_literals;
using pgwrap::wire_format;
namespace oid = pgwrap::oid;
constexpr auto bin = wire_format::binary;
constexpr auto txt = wire_format::text;

template <typename T>
std::string be(T v) {
  std::string out;
  pgwrap::detail::store_be(v, out);
  return out;
}
std::string i16(std::int16_t v) { return be(v); }
std::string u16(std::uint16_t v) { return be(v); }
std::string i32(std::int32_t v) { return be(v); }
std::string u32(std::uint32_t v) { return be(v); }
std::string i64(std::int64_t v) { return be(v); }

// A binary array header: ndim, flags, element type, then (length, lower bound) per dimension.
std::string array_header(std::int32_t ndim, std::int32_t flags, std::uint32_t element,
                         const std::vector<std::pair<std::int32_t, std::int32_t>>& dims) {
  std::string out = i32(ndim) + i32(flags) + u32(element);
  for (const auto& [length, lower] : dims) out += i32(length) + i32(lower);
  return out;
}
std::string element(std::string_view bytes) {
  return i32(static_cast<std::int32_t>(bytes.size())) + std::string(bytes);
}

// numeric's binary form: ndigits, weight, sign, dscale, digits.
std::string numeric(std::uint16_t ndigits, std::int16_t weight, std::uint16_t sign, std::uint16_t dscale,
                    const std::vector<std::int16_t>& digits) {
  std::string out = u16(ndigits) + i16(weight) + u16(sign) + u16(dscale);
  for (const auto d : digits) out += i16(d);
  return out;
}

std::string interval(std::int64_t micros, std::int32_t days, std::int32_t months) {
  return i64(micros) + i32(days) + i32(months);
}

struct seed {
  std::string name;  // the file name
  std::string bytes;
};

std::vector<seed> seeds() {
  using pgwrap_fuzz::make_input;
  std::vector<seed> s;
  const auto add = [&](std::string name, std::string_view decoder, wire_format f, std::uint32_t type,
                       std::string_view value) {
    s.push_back({std::move(name), make_input(decoder, f, type, value)});
  };
  constexpr auto i32max = std::numeric_limits<std::int32_t>::max();
  constexpr auto i32min = std::numeric_limits<std::int32_t>::min();
  constexpr auto i64max = std::numeric_limits<std::int64_t>::max();
  constexpr auto i64min = std::numeric_limits<std::int64_t>::min();

  // ---- arrays, binary
  add("array_2e31_elements_in_40_bytes", "int32[]", bin, 1007,
      array_header(1, 0, oid::int4, {{i32max, 1}}) + element(i32(7)) + element(i32(8)) + i32(0));
  add("array_2e31_optional_elements", "optional<int32>[]", bin, 1007,
      array_header(1, 1, oid::int4, {{i32max, 1}}) + i32(-1) + i32(-1) + i32(-1) + i32(-1) + i32(-1));
  add("array_dims_multiply_past_2e32", "int64[][]", bin, 1016,
      array_header(2, 0, oid::int8, {{65536, 1}, {65536, 1}}) + element(i64(1)) + i32(0));
  add("array_zero_then_huge_dimension", "int64[][]", bin, 1016, array_header(2, 0, oid::int8, {{0, 1}, {i32max, 1}}));
  add("array_huge_then_zero_dimension", "int64[][]", bin, 1016, array_header(2, 0, oid::int8, {{i32max, 1}, {0, 1}}));
  add("array_negative_dimension", "int32[]", bin, 1007, array_header(1, 0, oid::int4, {{-1, 1}}) + element(i32(1)));
  add("array_negative_ndim", "int32[]", bin, 1007, array_header(-1, 0, oid::int4, {}));
  add("array_seven_dimensions", "int32[6 dims]", bin, 1007,
      array_header(7, 0, oid::int4, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}) + element(i32(1)));
  add("array_six_dimensions", "int32[6 dims]", bin, 1007,
      array_header(6, 0, oid::int4, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {2, 1}, {1, 1}}) + element(i32(1)) +
          element(i32(2)));
  add("array_huge_ndim", "int32[]", bin, 1007, array_header(i32max, 0, oid::int4, {{1, 1}}));
  add("array_lower_bound_overflows", "int32[]", bin, 1007,
      array_header(1, 0, oid::int4, {{2, i32max}}) + element(i32(1)) + element(i32(2)));
  add("array_lower_bound_min", "int32[]", bin, 1007, array_header(1, 0, oid::int4, {{1, i32min}}) + element(i32(1)));
  add("array_bad_flags", "int32[]", bin, 1007, array_header(1, 2, oid::int4, {{1, 1}}) + element(i32(1)));
  add("array_wrong_element_type", "int32[]", bin, 1007, array_header(1, 0, oid::int8, {{1, 1}}) + element(i64(1)));
  add("array_element_length_minus_2", "int32[]", bin, 1007, array_header(1, 0, oid::int4, {{1, 1}}) + i32(-2));
  add("array_element_length_huge", "int32[]", bin, 1007,
      array_header(1, 0, oid::int4, {{1, 1}}) + i32(i32max) + i32(1));
  add("array_element_wrong_size", "int32[]", bin, 1007, array_header(1, 0, oid::int4, {{1, 1}}) + element(i64(1)));
  add("array_bytes_after_end", "int32[]", bin, 1007, array_header(1, 0, oid::int4, {{1, 1}}) + element(i32(1)) + "x");
  add("array_truncated_header", "int32[]", bin, 1007, i32(1) + i32(0));
  add("array_truncated_dims", "int32[]", bin, 1007, i32(1) + i32(0) + u32(oid::int4) + i32(1));
  add("array_null_element_not_optional", "int32[]", bin, 1007,
      array_header(1, 1, oid::int4, {{2, 1}}) + element(i32(1)) + i32(-1));
  add("array_empty", "int32[]", bin, 1007, array_header(0, 0, oid::int4, {}));
  add("array_empty_with_trailing", "int32[]", bin, 1007, array_header(0, 0, oid::int4, {}) + "zz");
  add("array_rank_mismatch", "int32[]", bin, 1007, array_header(2, 0, oid::int4, {{1, 1}, {1, 1}}) + element(i32(1)));
  add("array_3d_optional", "optional<int16>[][][]", bin, 1005,
      array_header(3, 1, oid::int2, {{1, 1}, {2, 1}, {2, 0}}) + element(i16(1)) + i32(-1) + element(i16(-3)) +
          element(i16(4)));
  add("array_of_numeric_huge_weight", "numeric[]", bin, 1231,
      array_header(1, 0, oid::numeric, {{2, 1}}) + element(numeric(1, 32767, 0, 0, {1})) +
          element(numeric(1, -32768, 0, 16383, {1})));
  add("array_of_text_invalid_utf8", "std::string[]", bin, 1009,
      array_header(1, 0, oid::text, {{2, 1}}) + element("\xff\xfe") + element(std::string("a\0b", 3)));
  add("array_of_bytea", "bytea[]", bin, 1001, array_header(1, 1, oid::bytea, {{2, 1}}) + element("") + i32(-1));
  add("array_of_timestamps_at_limits", "with_infinity<sys_time<us>>[]", bin, 1185,
      array_header(1, 0, oid::timestamptz, {{3, 1}}) + element(i64(i64max)) + element(i64(i64min)) +
          element(i64(9223371331199999999)));
  add("array_of_intervals_extreme", "interval[]", bin, 1187,
      array_header(1, 0, oid::interval, {{2, 1}}) + element(interval(i64min, i32min, i32min)) +
          element(interval(i64max, 0, i32max)));
  add("array_of_uuid_short", "uuid[]", bin, 2951, array_header(1, 0, oid::uuid, {{1, 1}}) + element("0123456789abcde"));
  add("array_of_jsonb_version2", "jsonb[]", bin, 3807, array_header(1, 0, oid::jsonb, {{1, 1}}) + element("\x02{}"));

  // ---- arrays, text
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"unterminated", "{1,2"},
           {"ragged", "{{1,2},{3}}"},
           {"bounds_overflow", "[2147483647:2147483648]={1,2}"},
           {"bounds_int32_min", "[-2147483648:-2147483648]={1}"},
           {"bounds_many_digits", "[99999999999999999999:1]={1}"},
           {"bounds_2d", "[1:2][1:3]={{1,2,3},{4,5,6}}"},
           {"bounds_mismatch", "[1:3]={1,2}"},
           {"seven_deep", "{{{{{{{1}}}}}}}"},
           {"six_deep", "{{{{{{1}}}}}}"},
           {"quoted_escapes", "{\"a\\\"b\",NULL,\"NULL\",\"\\\\\"}"},
           {"spaces", "{ 1 , 2 }"},
           {"backslash_at_end", "{1\\"},
           {"quote_unterminated", "{\"abc"},
           {"empty_subarray", "{{},{}}"},
           {"trailing_text", "{1}x"},
           {"deep_then_shallow", "{{1},2}"},
       }) {
    add("text_array_" + name, "int32[]", txt, 1007, text);
    add("text_array_str_" + name, "std::string[]", txt, 1009, text);
  }
  add("text_array_of_numeric", "numeric[]", txt, 1231, "{1e131071,-0.00,NaN,1e-16383}");
  add("text_array_2d_strings", "std::string[][]", txt, 1009, "{{a,\"b c\"},{NULL,\"\"}}");
  add("text_array_of_dates", "sys_days[]", txt, 1182, "{2000-01-01,infinity,5874897-12-31}");
  add("text_array_of_bytea", "bytea[]", txt, 1001, "{\"\\\\x00ff\",\"\\\\\\\\\"}");

  // ---- numeric
  add("numeric_ndigits_65535_short", "pgwrap::numeric", bin, oid::numeric, numeric(65535, 0, 0, 0, {1, 2}));
  add("numeric_weight_max", "pgwrap::numeric", bin, oid::numeric, numeric(1, 32767, 0, 0, {9999}));
  add("numeric_weight_min", "pgwrap::numeric", bin, oid::numeric, numeric(1, -32768, 0, 16383, {1}));
  add("numeric_weight_min_no_scale", "pgwrap::numeric", bin, oid::numeric, numeric(1, -32768, 0, 0, {1}));
  add("numeric_zero_weight_max", "pgwrap::numeric", bin, oid::numeric, numeric(0, 32767, 0, 0, {}));
  add("numeric_zero_weight_min_scale_max", "pgwrap::numeric", bin, oid::numeric,
      numeric(0, -32768, 0x4000, 0x3FFF, {}));
  add("numeric_dscale_ffff", "pgwrap::numeric", bin, oid::numeric, numeric(1, 0, 0, 0xFFFF, {1}));
  add("numeric_dscale_3fff", "pgwrap::numeric", bin, oid::numeric, numeric(1, 0, 0, 0x3FFF, {1}));
  add("numeric_digit_10000", "pgwrap::numeric", bin, oid::numeric, numeric(1, 0, 0, 0, {10000}));
  add("numeric_digit_negative", "pgwrap::numeric", bin, oid::numeric, numeric(1, 0, 0, 0, {-1}));
  add("numeric_bad_sign", "pgwrap::numeric", bin, oid::numeric, numeric(1, 0, 0x8000, 0, {1}));
  add("numeric_nan_with_digits", "pgwrap::numeric", bin, oid::numeric, numeric(2, 5, 0xC000, 7, {1, 2}));
  add("numeric_truncated_header", "pgwrap::numeric", bin, oid::numeric, "\0\1\0\0\0\0\0"s);
  add("numeric_digits_beyond_scale", "pgwrap::numeric", bin, oid::numeric, numeric(2, 0, 0, 2, {1, 5}));
  add("numeric_leading_zero_digits", "pgwrap::numeric", bin, oid::numeric, numeric(3, 2, 0x4000, 4, {0, 0, 12}));
  add("numeric_negative_zero", "pgwrap::numeric", bin, oid::numeric, numeric(1, 0, 0x4000, 2, {0}));
  add("numeric_ordinary", "pgwrap::numeric", bin, oid::numeric, numeric(3, 1, 0x4000, 6, {12, 3456, 7800}));
  add("numeric_from_int8", "pgwrap::numeric", bin, oid::int8, i64(i64min));
  add("numeric_text_huge_exponent", "pgwrap::numeric", txt, oid::numeric, "1e131071");
  add("numeric_text_exponent_overflow", "pgwrap::numeric", txt, oid::numeric, "1e999999999999");
  add("numeric_text_tiny", "pgwrap::numeric", txt, oid::numeric, "-1.5e-16382");
  add("numeric_text_junk", "pgwrap::numeric", txt, oid::numeric, "1.2.3");
  add("uint64_numeric_text", "uint64", txt, oid::numeric, "18446744073709551616");

  // ---- fixed-size values, truncated and overlong
  add("int16_1_byte", "int16", bin, oid::int2, "\x01");
  add("int32_3_bytes", "int32", bin, oid::int4, "\x01\x02\x03");
  add("int32_from_int8_out_of_range", "int32", bin, oid::int8, i64(i64max));
  add("int64_7_bytes", "int64", bin, oid::int8, "1234567");
  add("int64_9_bytes", "int64", bin, oid::int8, "123456789");
  add("int8_t_from_int2", "int8_t", bin, oid::int2, i16(-129));
  add("uint8_t_negative", "uint8_t", bin, oid::int2, i16(-1));
  add("uint32_text_negative", "uint32", txt, oid::int8, "-0");
  add("float_3_bytes", "float", bin, oid::float4, "abc");
  add("float_from_huge_double", "float", bin, oid::float8, i64(0x7FEFFFFFFFFFFFFF));
  add("double_7_bytes", "double", bin, oid::float8, "abcdefg");
  add("double_text_overflow", "double", txt, oid::float8, "1e999");
  add("bool_0_bytes", "bool", bin, oid::boolean, "");
  add("bool_2_bytes", "bool", bin, oid::boolean, "\x01\x01");
  add("bool_text_junk", "bool", txt, oid::boolean, "yes");
  add("uuid_15_bytes", "pgwrap::uuid", bin, oid::uuid, "0123456789abcde");
  add("uuid_17_bytes", "pgwrap::uuid", bin, oid::uuid, "0123456789abcdefg");
  add("uuid_text_braces_unclosed", "pgwrap::uuid", txt, oid::uuid, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  add("uuid_text_short", "pgwrap::uuid", txt, oid::uuid, "a0eebc99-9c0b");
  add("date_3_bytes", "sys_days", bin, oid::date, "\x00\x00\x01"s);
  add("time_7_bytes", "time_of_day", bin, oid::time, "\x00\x00\x00\x00\x00\x00\x01"s);
  add("timestamp_7_bytes", "local_time<us>", bin, oid::timestamp, "\x00\x00\x00\x00\x00\x00\x01"s);
  add("timestamptz_9_bytes", "sys_time<us>", bin, oid::timestamptz, i64(0) + "x");
  add("interval_15_bytes", "interval", bin, oid::interval, interval(0, 0, 0).substr(0, 15));

  // ---- dates, times, timestamps, intervals at their limits
  add("date_int32_max_infinity", "with_infinity<sys_days>", bin, oid::date, i32(i32max));
  add("date_int32_max_plain", "sys_days", bin, oid::date, i32(i32max));
  add("date_past_max", "sys_days", bin, oid::date, i32(2145031949));
  add("date_before_min", "year_month_day", bin, oid::date, i32(-2451546));
  add("date_year_beyond_chrono", "year_month_day", bin, oid::date, i32(2145031948));
  add("date_text_past_max", "sys_days", txt, oid::date, "5874898-01-01");
  add("date_text_year_0", "sys_days", txt, oid::date, "0000-01-01");
  add("date_text_feb_29", "sys_days", txt, oid::date, "2023-02-29");
  add("date_text_nine_digit_bc", "sys_days", txt, oid::date, "999999999-12-31 BC");
  add("timestamp_int64_max", "sys_time<us>", bin, oid::timestamptz, i64(i64max));
  add("timestamp_int64_min", "with_infinity<sys_time<us>>", bin, oid::timestamptz, i64(i64min));
  add("timestamp_int64_max_minus_1", "sys_time<us>", bin, oid::timestamptz, i64(i64max - 1));
  add("timestamp_int64_min_plus_1", "local_time<us>", bin, oid::timestamp, i64(i64min + 1));
  add("timestamp_max_in_ns", "sys_time<ns>", bin, oid::timestamptz, i64(9223371331199999999));
  add("timestamp_min_in_ns", "local_time<ns>", bin, oid::timestamp, i64(-211813488000000000));
  add("timestamp_max_in_seconds", "sys_seconds", bin, oid::timestamptz, i64(9223371331199999999));
  add("timestamp_in_hours", "local_time<hours>", bin, oid::timestamp, i64(3600000000));
  add("timestamp_text_max", "sys_time<us>", txt, oid::timestamptz, "294276-12-31 23:59:59.999999+00");
  add("timestamp_text_past_max_by_offset", "sys_time<us>", txt, oid::timestamptz,
      "294276-12-31 23:59:59.999999-15:59:59");
  add("timestamp_text_huge_year", "local_time<us>", txt, oid::timestamp, "999999999-01-01 00:00:00");
  add("timestamp_text_bc", "local_time<us>", txt, oid::timestamp, "4714-11-24 00:00:00 BC");
  add("timestamp_text_24h", "local_time<us>", txt, oid::timestamp, "2000-01-01 24:00:00");
  add("time_past_24h", "time_of_day", bin, oid::time, i64(86400000001));
  add("time_negative", "time_of_day", bin, oid::time, i64(-1));
  add("time_text_24h_plus", "time_of_day", txt, oid::time, "24:00:00.000001");
  add("interval_extremes", "interval", bin, oid::interval, interval(i64min, i32min, i32min));
  add("interval_infinity", "interval", bin, oid::interval, interval(i64max, i32max, i32max));
  add("interval_to_ns_overflow", "duration<ns>", bin, oid::interval, interval(i64max, 0, 0));
  add("interval_min_to_days", "duration<days>", bin, oid::interval, interval(i64min, 0, 0));
  add("interval_to_int32_ms", "duration<int32 ms>", bin, oid::interval, interval(i64max / 2, 0, 0));
  add("interval_with_months_to_duration", "duration<us>", bin, oid::interval, interval(1, 0, 1));
  add("interval_text_mons_overflow", "interval", txt, oid::interval, "2147483648 mons");
  add("interval_text_years_overflow", "interval", txt, oid::interval, "178956971 years");
  add("interval_text_min", "interval", txt, oid::interval,
      "-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808");
  add("interval_text_hours_overflow", "interval", txt, oid::interval, "2562047789:00:00");
  add("interval_text_many_parts", "interval", txt, oid::interval,
      "999999999999999999 years 999999999999999999 years -1 days");
  add("interval_text_ordinary", "interval", txt, oid::interval, "1 year 2 mons -3 days +04:05:06.789");

  // ---- text, json, bytea
  add("jsonb_version_2", "pgwrap::jsonb", bin, oid::jsonb, "\x02{}");
  add("jsonb_empty", "pgwrap::jsonb", bin, oid::jsonb, "");
  add("nlohmann_invalid_utf8", "nlohmann::json", txt, oid::jsonb, "[\"\xc3\x28\"]");
  add("nlohmann_invalid_utf8_binary", "nlohmann::json", bin, oid::jsonb, "\x01\"\xff\"");
  add("nlohmann_truncated", "nlohmann::ordered_json", txt, oid::json, "{\"a\":[1,2");
  add("nlohmann_deep", "nlohmann::json", txt, oid::jsonb, std::string(5000, '[') + std::string(5000, ']'));
  add("nlohmann_huge_number", "nlohmann::json", txt, oid::jsonb, "1e999999");
  add("nlohmann_lone_surrogate", "nlohmann::json", txt, oid::jsonb, "\"\\ud800\"");
  add("string_from_binary_int4", "std::string", bin, oid::int4, i32(1));
  add("string_from_bytea_binary", "std::string", bin, oid::bytea, "\xff");
  add("bytea_hex_odd", "bytea", txt, oid::bytea, "\\x4");
  add("bytea_hex_bad_digit", "bytea", txt, oid::bytea, "\\xzz");
  add("bytea_lone_backslash", "bytea", txt, oid::bytea, "\\");
  add("bytea_octal_400", "bytea", txt, oid::bytea, "\\400");
  add("bytea_hex_empty", "bytea", txt, oid::bytea, "\\x");
  add("bytea_binary_as_text_type", "bytea", bin, oid::text, "abc");
  add("integer_text_overflow", "int64", txt, oid::int8, "-9223372036854775809");
  add("integer_text_plus", "int32", txt, oid::int4, "+1");
  add("integer_text_space", "int32", txt, oid::int4, " 1");
  add("null_into_plain", "int32", txt, oid::int4, "");
  s.back().bytes = make_input("int32", txt, oid::int4, "", true);
  add("null_into_optional", "std::optional<std::string>", bin, oid::text, "");
  s.back().bytes = make_input("std::optional<std::string>", bin, oid::text, "", true);
  add("unknown_oid", "int32", bin, 123456, i32(1));

  // ---- types round two
  add("range_int_text", "range<int32>", txt, 3904, "[1,5)");
  add("range_int_text_empty", "range<int32>", txt, 3904, "empty");
  add("range_int_text_unbounded", "range<int32>", txt, 3904, "(,)");
  add("range_int_text_quoted", "range<int32>", txt, 3904, "[\"1\",\"5\"]");
  add("range_int_binary", "range<int32>", bin, 3904, std::string("\x02", 1) + element(i32(1)) + element(i32(5)));
  add("range_bound_length_huge", "range<int32>", bin, 3904, std::string("\x06", 1) + i32(i32max));
  add("range_bad_flags", "range<int32>", bin, 3904, std::string("\x03", 1));
  add("range_numeric_text", "range<numeric>", txt, 3906, "[1.50,1e131071)");
  add("range_tstz_text", "range<sys_time<us>>", txt, 3910, "[\"2024-01-01 00:00:00+00\",infinity)");
  add("multirange_count_2e31", "multirange<int32>", bin, 4451, i32(i32max) + i32(0));
  add("multirange_text", "multirange<int32>", txt, 4451, "{[1,3),[5,7)}");
  add("multirange_as_vector", "range<int32>[] or multirange", txt, 4451, "{[1,3),empty}");
  add("range_array_text", "range<int32>[] or multirange", txt, 3905, "{\"[1,3)\",NULL}");
  add("inet_v4_binary", "inet", bin, oid::inet, std::string("\x02\x18\x00\x04\x0a\x00\x00\x01", 8));
  add("inet_prefix_too_long", "inet", bin, oid::inet, std::string("\x02\x21\x00\x04\x0a\x00\x00\x01", 8));
  add("inet_bad_family", "inet", bin, oid::inet, std::string("\x09\x20\x00\x04\x0a\x00\x00\x01", 8));
  add("inet_v6_short", "inet", bin, oid::inet, std::string("\x03\x80\x00\x10\x20\x01", 6));
  add("inet_v6_text", "inet", txt, oid::inet,
      "::ffff:127.2.3.4/128");  // ip-literal-ok: an IPv4-mapped loopback, only parsed
  add("cidr_host_bits", "cidr", txt, oid::cidr, "127.1.0.0/8");
  add("macaddr_short", "macaddr", bin, oid::macaddr, std::string("\x08\x00\x2b\x01\x02", 5));
  add("macaddr8_text", "macaddr8", txt, oid::macaddr8, "08:00:2b:01:02:03:04:05");  // ip-literal-ok: a MAC address
  add("hstore_text", "hstore", txt, 16600, "\"a\"=>\"1\", \"b\"=>NULL, c=>\"x\\\"y\"");
  add("hstore_text_cut", "hstore", txt, 16600, "\"a\"=>");
  add("hstore_count_2e31", "hstore", bin, 16600, i32(i32max) + element("k"));
  add("hstore_negative_key", "hstore", bin, 16600, i32(1) + i32(-1));
  add("enum_known", "enum", txt, 16503, "green");
  add("enum_unknown", "enum", txt, 16503, "purple");
  add("enum_array", "enum[]", txt, 16504, "{red,NULL,blue}");
  add("composite_text", "composite", txt, 16500, "(1,abc,\"{x,y}\",\"(1.5,)\",red)");
  add("composite_text_cut", "composite", txt, 16500, "(1,\"ab");
  add("composite_count_2e31", "composite", bin, 16500, i32(i32max) + u32(oid::int4) + element(i32(1)));
  add("composite_binary", "composite", bin, 16500,
      i32(5) + u32(oid::int4) + element(i32(7)) + u32(oid::text) + element("n") + u32(1009) +
          element(array_header(1, 0, oid::text, {{1, 1}}) + element("t")) + u32(16501) +
          element(i32(2) + u32(oid::float8) + element(i64(0)) + u32(oid::float8) + i32(-1)) + u32(16503) +
          element("blue"));
  add("composite_wrong_attribute_type", "composite", bin, 16500, i32(1) + u32(oid::int8) + element(i64(7)));
  add("composite_array_text", "composite[]", txt, 16502, "{\"(1,a,{},\\\"(1,2)\\\",)\",NULL}");
  return s;
}

int write_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (const seed& s : seeds()) {
    std::ofstream out(dir / s.name, std::ios::binary);
    out.write(s.bytes.data(), static_cast<std::streamsize>(s.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "could not write %s\n", (dir / s.name).c_str());
      return 1;
    }
  }
  std::printf("wrote %zu seeds to %s\n", seeds().size(), dir.c_str());
  return 0;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == "--write-seeds") return write_seeds(argv[2]);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR|FILE... | --write-seeds DIR\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (std::filesystem::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "no inputs to replay\n");
    return 2;
  }
  std::sort(files.begin(), files.end());
  // Every built-in seed runs too, so the replay never depends on the files alone.
  std::size_t count = 0;
  for (const seed& s : seeds()) {
    pgwrap_fuzz::run_input(reinterpret_cast<const std::uint8_t*>(s.bytes.data()), s.bytes.size());
    ++count;
  }
  for (const auto& f : files) {
    const std::string bytes = read_file(f);
    pgwrap_fuzz::run_input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++count;
  }
  const auto largest = pgwrap_fuzz::largest_allocation();
  std::printf(
      "replayed %zu files and %zu built-in seeds through %zu decoders; largest allocation in a decode: %zu "
      "bytes (for a %zu-byte value)\n",
      files.size(), seeds().size(), pgwrap_fuzz::decoders().size(), largest.bytes, largest.value_size);
  std::printf("decoder_replay: %zu passed, 0 failed\n", count);
  return 0;
}
