// pgwrap/types/range.hpp: the range and multirange parsers and writers, text
// and binary, without a server (the round trips through one are in
// tests/integration/range_test.cpp). Also numeric read into integers and
// detail::type_name.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgwrap::test {
namespace {

using r = range<int>;

std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (const int c : b) out += static_cast<char>(c);
  return out;
}

value_view text(std::string_view s, std::uint32_t type = oid::int4range) { return {s, type, wire_format::text}; }
value_view binary(std::string_view s, std::uint32_t type = oid::int4range) { return {s, type, wire_format::binary}; }

std::string error_of(const value_view& v) {
  try {
    (void)codec<r>::decode(v);
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "no error";
}

std::string multirange_error_of(const value_view& v) {
  try {
    (void)codec<multirange<int>>::decode(v);
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(range_api, FactoriesAndAccessors) {
  const r a = r::closed_open(1, 5);
  EXPECT_FALSE(a.is_empty());
  EXPECT_EQ(a.lower(), 1);
  EXPECT_EQ(a.upper(), 5);
  EXPECT_TRUE(a.lower_inclusive());
  EXPECT_FALSE(a.upper_inclusive());
  EXPECT_EQ(a, r(1, 5));
  EXPECT_EQ(a, r(1, 5, "[)"));
  EXPECT_NE(a, r::closed(1, 5));
  EXPECT_NE(a, r::closed_open(1, 6));
  EXPECT_EQ(r::open_closed(1, 5), r(1, 5, "(]"));
  EXPECT_EQ(r::open(1, 5), r(1, 5, "()"));
  const r e = r::empty();
  EXPECT_TRUE(e.is_empty());
  EXPECT_EQ(e, r());
  EXPECT_FALSE(e.lower_unbounded());
  EXPECT_FALSE(e.lower());
  const r u = r::unbounded();
  EXPECT_FALSE(u.is_empty());
  EXPECT_TRUE(u.lower_unbounded());
  EXPECT_TRUE(u.upper_unbounded());
  EXPECT_NE(u, e);
  // An absent bound is never inclusive.
  EXPECT_EQ(r(std::nullopt, 3, "[]"), r::at_most(3));
  EXPECT_FALSE(r(std::nullopt, 3, "[]").lower_inclusive());
  EXPECT_EQ(r::at_least(3), r(3, std::nullopt, "[]"));
  EXPECT_EQ(r::greater_than(3), r(3, std::nullopt, "()"));
  EXPECT_EQ(r::less_than(3), r(std::nullopt, 3, "()"));
  EXPECT_THROW(r(1, 2, "[["), usage_error);
  EXPECT_THROW(r(1, 2, "["), usage_error);
  EXPECT_THROW(r(1, 2, "{}"), usage_error);
}

TEST(range_api, ToStringAsTheServerPrints) {
  EXPECT_EQ(r::closed_open(1, 5).to_string(), "[1,5)");
  EXPECT_EQ(r::open_closed(-1, 5).to_string(), "(-1,5]");
  EXPECT_EQ(r::empty().to_string(), "empty");
  EXPECT_EQ(r::unbounded().to_string(), "(,)");
  EXPECT_EQ(r::at_least(3).to_string(), "[3,)");
  EXPECT_EQ(r::at_most(3).to_string(), "(,3]");
  EXPECT_EQ(range<numeric>::closed(numeric("1.50"), numeric("-Infinity")).to_string(), "[1.50,-Infinity]");
  using std::chrono::sys_days;
  const sys_days d = std::chrono::year(2020) / 1 / 2;
  EXPECT_EQ(range<sys_days>::closed_open(d, d + std::chrono::days(1)).to_string(), "[2020-01-02,2020-01-03)");
  const std::chrono::local_time<std::chrono::microseconds> t(d.time_since_epoch() + std::chrono::milliseconds(1500));
  EXPECT_EQ(range<std::remove_const_t<decltype(t)>>::at_least(t).to_string(), "[\"2020-01-02 00:00:01.5\",)");
  const std::chrono::sys_time<std::chrono::microseconds> z(d.time_since_epoch());
  EXPECT_EQ(range<std::remove_const_t<decltype(z)>>::less_than(z).to_string(), "(,\"2020-01-02 00:00:00+00\")");
  EXPECT_EQ((multirange<int>{r::closed_open(1, 3), r::at_least(5)}).to_string(), "{[1,3),[5,)}");
  EXPECT_EQ(multirange<int>().to_string(), "{}");
}

TEST(range_api, BoundsAreQuotedAsRangeOutDoes) {
  const auto quoted = [](std::string_view s) {
    std::string out;
    detail::append_range_bound(s, out);
    return out;
  };
  EXPECT_EQ(quoted("12"), "12");
  EXPECT_EQ(quoted(""), "\"\"");
  EXPECT_EQ(quoted("a b"), "\"a b\"");
  EXPECT_EQ(quoted("a,b"), "\"a,b\"");
  EXPECT_EQ(quoted("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quoted("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(quoted("(x]"), "\"(x]\"");
}

TEST(range_text, Parses) {
  EXPECT_EQ(codec<r>::decode(text("[1,5)")), r::closed_open(1, 5));
  EXPECT_EQ(codec<r>::decode(text("(1,5]")), r::open_closed(1, 5));
  EXPECT_EQ(codec<r>::decode(text("(,5)")), r::less_than(5));
  EXPECT_EQ(codec<r>::decode(text("[,5]")), r::at_most(5));  // an absent bound is never inclusive
  EXPECT_EQ(codec<r>::decode(text("(,)")), r::unbounded());
  EXPECT_EQ(codec<r>::decode(text("empty")), r::empty());
  EXPECT_EQ(codec<r>::decode(text("  EmPtY ")), r::empty());
  EXPECT_EQ(codec<r>::decode(text(" [\"1\",\"5\") ")), r::closed_open(1, 5));
  EXPECT_EQ(codec<r>::decode(text("[1\\2,3)")), r::closed_open(12, 3));  // a backslash takes the next character
}

TEST(range_text, UnescapesBoundsForTheElementCodec) {
  detail::range_parts p;
  detail::parse_range(text(R"x(["a""b\\c", "x,y"])x", oid::unknown), "t", p);
  EXPECT_TRUE(p.has_lower);
  EXPECT_EQ(p.lower, "a\"b\\c");
  EXPECT_EQ(p.upper, " x,y");
  EXPECT_TRUE(p.lower_inclusive);
  EXPECT_TRUE(p.upper_inclusive);
  detail::range_parts q;
  detail::parse_range(text(R"x(["",))x", oid::unknown), "t", q);
  EXPECT_TRUE(q.has_lower);  // a quoted empty string is a value, not an absent bound
  EXPECT_EQ(q.lower, "");
  EXPECT_FALSE(q.has_upper);
}

TEST(range_text, MalformedIsAConversionError) {
  for (const char* bad : {"", "   ", "1,5", "[1,5", "[1,5)x", "[1;5)", "[1,5,7)", "[\"1,5)", "[1\\", "emptyx",
                          "empty [1,2)", "[(1,2)", "[1,2)]", "{[1,2)}"}) {
    SCOPED_TRACE(bad);
    const std::string m = error_of(text(bad));
    EXPECT_NE(m.find("malformed range"), std::string::npos) << m;
  }
  // A bound its codec refuses names the bound.
  std::string m = error_of(text("[x,5)"));
  EXPECT_NE(m.find("lower bound"), std::string::npos) << m;
  m = error_of(text("[1,99999999999)"));
  EXPECT_NE(m.find("upper bound"), std::string::npos) << m;
  EXPECT_NE(m.find("out of range"), std::string::npos) << m;
}

TEST(range_binary, Parses) {
  // flags: 0x01 empty, 0x02 [, 0x04 ], 0x08 no lower, 0x10 no upper.
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x01}))), r::empty());
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x02, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5}))),
            r::closed_open(1, 5));
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x04, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5}))),
            r::open_closed(1, 5));
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x18}))), r::unbounded());
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x08, 0, 0, 0, 4, 0, 0, 0, 5}))), r::less_than(5));
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x12, 0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF}))), r::at_least(-1));
  // An infinite bound is never inclusive, whatever the flags say.
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x1E}))), r::unbounded());
  // An int8range read into int: the element codec widens and checks.
  EXPECT_EQ(codec<r>::decode(binary(bytes({0x0A, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7}), oid::int8range)),
            r::less_than(7));
}

TEST(range_binary, HostileBytesAreConversionErrors) {
  const std::vector<std::string> bad = {
      "",                                                 // no flags
      bytes({0x20}),                                      // unknown flag
      bytes({0x80}),                                      // RANGE_CONTAIN_EMPTY never goes on the wire
      bytes({0x01, 0}),                                   // empty with bytes after it
      bytes({0x02}),                                      // a lower bound's length missing
      bytes({0x02, 0, 0, 0}),                             // a short length
      bytes({0x02, 0, 0, 0, 4, 0, 0}),                    // bound shorter than its length
      bytes({0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1}),  // a length of 2^31 - 1 in 9 bytes
      bytes({0x02, 0xFF, 0xFF, 0xFF, 0xFF}),              // negative length (NULL bounds do not exist)
      bytes({0x18, 0}),                                   // bytes left over
      bytes({0x08, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 0}),  // bytes left over after a bound
  };
  for (const std::string& b : bad) {
    SCOPED_TRACE(testing::PrintToString(b));
    const std::string m = error_of(binary(b));
    EXPECT_NE(m.find("malformed range"), std::string::npos) << m;
  }
  // A bound of the wrong size is the element codec's error, naming the bound.
  const std::string m = error_of(binary(bytes({0x12, 0, 0, 0, 3, 1, 2, 3})));
  EXPECT_NE(m.find("lower bound"), std::string::npos) << m;
}

TEST(range_binary, WritesRangeSend) {
  std::string scratch;
  param_ref p = codec<r>::encode(r::closed_open(1, 5), scratch);
  EXPECT_EQ(p.format, wire_format::binary);
  EXPECT_EQ(p.oid, oid::int4range);
  EXPECT_EQ(std::string(p.data, static_cast<std::size_t>(p.length)),
            bytes({0x02, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5}));
  p = codec<r>::encode(r::empty(), scratch);
  EXPECT_EQ(std::string(p.data, static_cast<std::size_t>(p.length)), bytes({0x01}));
  p = codec<r>::encode(r::at_most(5), scratch);
  EXPECT_EQ(std::string(p.data, static_cast<std::size_t>(p.length)), bytes({0x0C, 0, 0, 0, 4, 0, 0, 0, 5}));
  EXPECT_EQ(codec<range<std::int64_t>>::type_oid, oid::int8range);
  EXPECT_EQ(codec<range<numeric>>::type_oid, oid::numrange);
  EXPECT_EQ(codec<range<std::chrono::sys_days>>::type_oid, oid::daterange);
  EXPECT_EQ(codec<range<std::chrono::local_time<std::chrono::seconds>>>::type_oid, oid::tsrange);
  EXPECT_EQ(codec<range<std::chrono::sys_seconds>>::type_oid, oid::tstzrange);
  EXPECT_EQ(codec<multirange<int>>::type_oid, oid::int4multirange);
  EXPECT_EQ(codec<std::vector<r>>::type_oid, 3905u);
  // Its text, as for any binary parameter (arrays of mixed forms, messages).
  std::string t;
  detail::append_param_text(codec<r>::encode(r::open_closed(1, 5), scratch), t);
  EXPECT_EQ(t, "(1,5]");
  // uint32 bounds go as bigint, so an int8range.
  EXPECT_EQ(codec<range<std::uint32_t>>::type_oid, oid::int8range);
  // uint64 bounds go as numeric text, so the numrange goes as text.
  p = codec<range<std::uint64_t>>::encode(range<std::uint64_t>::closed_open(1, 18446744073709551615U), scratch);
  EXPECT_EQ(p.format, wire_format::text);
  EXPECT_EQ(p.oid, oid::numrange);
  EXPECT_STREQ(p.data, "[1,18446744073709551615)");
}

TEST(range_reads_binary, OnlyRangesOfItsElement) {
  EXPECT_TRUE(codec<r>::reads_binary(oid::int4range));
  EXPECT_TRUE(codec<r>::reads_binary(oid::int8range));  // int reads int8's binary, range-checked
  EXPECT_FALSE(codec<r>::reads_binary(oid::daterange));
  EXPECT_FALSE(codec<r>::reads_binary(oid::int4));
  EXPECT_TRUE(codec<multirange<int>>::reads_binary(oid::int4multirange));
  EXPECT_FALSE(codec<multirange<int>>::reads_binary(oid::int4range));
  EXPECT_TRUE(codec<std::vector<r>>::reads_binary(3905));
  EXPECT_TRUE(codec<std::vector<r>>::reads_binary(oid::int4multirange));
  EXPECT_FALSE(codec<std::vector<r>>::reads_binary(oid::int4range));
  EXPECT_TRUE(codec<range<numeric>>::reads_binary(oid::numrange));
  EXPECT_TRUE(codec<range<std::chrono::sys_days>>::reads_binary(oid::daterange));
}

TEST(multirange_text, Parses) {
  using m = multirange<int>;
  EXPECT_EQ(codec<m>::decode(text("{}", oid::int4multirange)), m{});
  EXPECT_EQ(codec<m>::decode(text(" { } ", oid::int4multirange)), m{});
  EXPECT_EQ(codec<m>::decode(text("{[1,3),[5,7)}", oid::int4multirange)),
            (m{r::closed_open(1, 3), r::closed_open(5, 7)}));
  EXPECT_EQ(codec<m>::decode(text("{ [1,3) , empty, (,0] }", oid::int4multirange)),
            (m{r::closed_open(1, 3), r::at_most(0)}));
  // A quoted ) does not end a range.
  const auto pieces = detail::split_multirange(text("{[\"1\",\")\"], (,)}", oid::unknown), "t");
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], "[\"1\",\")\"]");
  EXPECT_EQ(pieces[1], "(,)");
  // As a vector: a multirange column reads as its ranges; an array column as its elements.
  EXPECT_EQ(codec<std::vector<r>>::decode(text("{[1,3),[5,7)}", oid::int4multirange)),
            (std::vector<r>{r::closed_open(1, 3), r::closed_open(5, 7)}));
  EXPECT_EQ(codec<std::vector<r>>::decode(text("{\"[1,3)\",empty}", 3905)),
            (std::vector<r>{r::closed_open(1, 3), r()}));
  for (const char* bad :
       {"", "[1,2)", "{", "{[1,2)", "{[1,2),}", "{[1,2) [3,4)}", "{1,2}", "{[1,2)}x", "{\"[1,2)\"}", "{[1,2\\"}) {
    SCOPED_TRACE(bad);
    const std::string e = multirange_error_of(text(bad, oid::int4multirange));
    EXPECT_NE(e.find("malformed"), std::string::npos) << e;
  }
}

TEST(multirange_binary, ParsesAndRefusesHostileCounts) {
  using m = multirange<int>;
  const std::string one = bytes({0x02, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 3});
  std::string two = bytes({0, 0, 0, 2, 0, 0, 0, 17}) + one + bytes({0, 0, 0, 1, 0x18});
  EXPECT_EQ(codec<m>::decode(binary(two, oid::int4multirange)), (m{r::closed_open(1, 3), r::unbounded()}));
  EXPECT_EQ(codec<m>::decode(binary(bytes({0, 0, 0, 0}), oid::int4multirange)), m{});
  std::string scratch;
  const param_ref p = codec<m>::encode(m{r::closed_open(1, 3), r::unbounded()}, scratch);
  EXPECT_EQ(p.oid, oid::int4multirange);
  EXPECT_EQ(std::string(p.data, static_cast<std::size_t>(p.length)), two);
  std::string t;
  detail::append_param_text(p, t);
  EXPECT_EQ(t, "{[1,3),(,)}");
  const std::vector<std::string> bad = {
      "",
      bytes({0, 0, 0}),
      bytes({0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0x01}),  // 2^31 - 1 ranges in 9 bytes: refused before reserving
      bytes({0xFF, 0xFF, 0xFF, 0xFF}),                    // negative count
      bytes({0, 0, 0, 1, 0, 0, 0, 2, 0x01}),              // a range longer than the rest
      bytes({0, 0, 0, 1, 0, 0, 0, 1, 0x01, 0}),           // bytes left over
      bytes({0, 0, 0, 1, 0, 0, 0, 1, 0x40}),              // a malformed range inside
  };
  for (const std::string& b : bad) {
    SCOPED_TRACE(testing::PrintToString(b));
    const std::string e = multirange_error_of(binary(b, oid::int4multirange));
    EXPECT_NE(e.find("malformed"), std::string::npos) << e;
  }
}

TEST(numeric_into_integers, IntegralAtAnyScale) {
  const auto as_int = [](std::string_view s) {
    return codec<int>::decode(value_view{s, oid::numeric, wire_format::text});
  };
  EXPECT_EQ(as_int("42.00"), 42);
  EXPECT_EQ(as_int("-42.000"), -42);
  EXPECT_EQ(as_int("0.0"), 0);
  EXPECT_EQ(as_int("2147483647.0"), 2147483647);
  EXPECT_EQ(as_int("-2147483648.00"), std::numeric_limits<int>::min());
  EXPECT_THROW(as_int("2147483648.00"), conversion_error);
  EXPECT_THROW(as_int("42.50"), conversion_error);
  EXPECT_THROW(as_int("NaN"), conversion_error);
  EXPECT_THROW(as_int("1e131071"), conversion_error);  // numeric_out writes no exponent
  EXPECT_THROW(as_int(""), conversion_error);
  EXPECT_THROW(as_int("4 2"), conversion_error);
  try {
    as_int("42.50");
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("not integral"), std::string::npos) << e.what();
  }
  // Binary numeric, as write_numeric_binary makes it.
  const auto bin = [](std::string_view canonical) {
    std::string out;
    detail::write_numeric_binary(canonical, out);
    return out;
  };
  const auto from_binary = [](const std::string& b) {
    return codec<std::int64_t>::decode(value_view{b, oid::numeric, wire_format::binary});
  };
  EXPECT_EQ(from_binary(bin("42.00")), 42);
  EXPECT_EQ(from_binary(bin("-9223372036854775808.0000")), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(from_binary(bin("9223372036854775807")), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(from_binary(bin("100000000")), 100000000);
  EXPECT_EQ(from_binary(bin("0")), 0);
  EXPECT_THROW(from_binary(bin("9223372036854775808")), conversion_error);
  EXPECT_THROW(from_binary(bin("42.5")), conversion_error);
  EXPECT_THROW(from_binary(bin("0.0001")), conversion_error);
  EXPECT_THROW(from_binary(bin("Infinity")), conversion_error);
  const std::string max64 = bin("18446744073709551615.00");
  EXPECT_EQ(codec<std::uint64_t>::decode(value_view{max64, oid::numeric, wire_format::binary}),
            std::numeric_limits<std::uint64_t>::max());
  const std::string minus_one = bin("-1");
  EXPECT_THROW((void)codec<std::uint64_t>::decode(value_view{minus_one, oid::numeric, wire_format::binary}),
               conversion_error);
  // A hostile weight: 32767 with one digit is out of range at once, without building 131072 digits.
  const std::string huge = bytes({0, 1, 0x7F, 0xFF, 0, 0, 0, 0, 0, 1});
  EXPECT_THROW(from_binary(huge), conversion_error);
  const std::string short_digits = bytes({0, 2, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_THROW(from_binary(short_digits), conversion_error);
  EXPECT_TRUE(codec<int>::reads_binary(oid::numeric));
}

TEST(type_name, NamesArraysRangesAndMultiranges) {
  EXPECT_EQ(detail::type_name(oid::int4), "integer");
  EXPECT_EQ(detail::type_name(1007), "integer[]");
  EXPECT_EQ(detail::type_name(1009), "text[]");
  EXPECT_EQ(detail::type_name(1231), "numeric[]");
  EXPECT_EQ(detail::type_name(oid::int4range), "int4range");
  EXPECT_EQ(detail::type_name(oid::tstzrange), "tstzrange");
  EXPECT_EQ(detail::type_name(3905), "int4range[]");
  EXPECT_EQ(detail::type_name(3913), "daterange[]");
  EXPECT_EQ(detail::type_name(oid::int8multirange), "int8multirange");
  EXPECT_EQ(detail::type_name(oid::datemultirange), "datemultirange");
  EXPECT_EQ(detail::type_name(424242), "type 424242");
}

}  // namespace
}  // namespace pgwrap::test
