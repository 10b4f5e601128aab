// pgwrap/types/array.hpp: std::vector<T> as a PostgreSQL array, text and
// binary, both ways. No server needed (the round trips through a server are
// in tests/integration/array_roundtrip_test.cpp).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pgwrap::test {

// A probe element: records what the array codec hands it, and encodes as told.
struct probe {
  std::string data;
  std::uint32_t oid = 0;
  wire_format format = wire_format::text;
  friend bool operator==(const probe&, const probe&) = default;
};

}  // namespace pgwrap::test

template <>
struct pgwrap::codec<pgwrap::test::probe> {
  static constexpr std::uint32_t type_oid = 0;
  static param_ref encode(const pgwrap::test::probe& p, std::string&) {
    if (p.format == wire_format::binary) return param_ref::binary(p.data, p.oid);
    return param_ref::text(p.data.c_str(), p.oid);
  }
  static pgwrap::test::probe decode(const value_view& v) { return {std::string(v.data), v.type_oid, v.format}; }
  static bool reads_binary(std::uint32_t oid) { return oid == 600; }
};

namespace pgwrap::test {
namespace {

using opt_int = std::optional<int>;
using opt_str = std::optional<std::string>;

// --- helpers ----------------------------------------------------------------

std::string be32(std::int64_t v) {
  std::string out;
  detail::store_be(static_cast<std::int32_t>(v), out);
  return out;
}
std::string be16(std::int64_t v) {
  std::string out;
  detail::store_be(static_cast<std::int16_t>(v), out);
  return out;
}
std::string be64(std::int64_t v) {
  std::string out;
  detail::store_be(v, out);
  return out;
}

// A binary array: header for `dims` (lower bounds `lower`), then `elements`
// (already with their length prefixes).
std::string binary_array(std::uint32_t element_oid, const std::vector<int>& dims, const std::string& elements,
                         bool has_null = false, int lower = 1) {
  std::string out = be32(static_cast<std::int64_t>(dims.size())) + be32(has_null ? 1 : 0) + be32(element_oid);
  for (const int d : dims) out += be32(d) + be32(lower);
  return out + elements;
}
std::string int4_element(int v) { return be32(4) + be32(v); }
std::string null_element() { return be32(-1); }

template <typename T>
T from_text(std::string_view text, std::uint32_t type = 1007) {
  return codec<T>::decode(value_view{text, type, wire_format::text});
}
template <typename T>
T from_binary(std::string_view bytes, std::uint32_t type) {
  return codec<T>::decode(value_view{bytes, type, wire_format::binary});
}

// The conversion_error message decoding `text` gives ("" if none).
template <typename T>
std::string text_error(std::string_view text, std::uint32_t type = 1007) {
  try {
    (void)from_text<T>(text, type);
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "";
}
template <typename T>
std::string binary_error(std::string_view bytes, std::uint32_t type) {
  try {
    (void)from_binary<T>(bytes, type);
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "";
}
template <typename T>
std::string encode_error(const T& v) {
  std::string scratch;
  try {
    (void)codec<T>::encode(v, scratch);
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "";
}

struct encoded {
  std::string bytes;
  std::uint32_t oid = 0;
  wire_format format = wire_format::text;
  bool null = false;
};
template <typename T>
encoded encode(const T& v) {
  std::string scratch;
  const param_ref ref = codec<T>::encode(v, scratch);
  if (ref.data == nullptr) return {{}, ref.oid, ref.format, true};
  const std::size_t size = ref.format == wire_format::binary ? static_cast<std::size_t>(ref.length)
                                                             : std::char_traits<char>::length(ref.data);
  return {std::string(ref.data, size), ref.oid, ref.format, false};
}

// Encodes and decodes the parameter as if the server had echoed it back in the same form.
template <typename T>
T round_trip(const T& v) {
  const encoded e = encode(v);
  return codec<T>::decode(value_view{e.bytes, e.oid, e.format});
}

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

// --- compile-time properties ----------------------------------------------------

static_assert(encodable<std::vector<int>> && decodable<std::vector<int>>);
static_assert(encodable<std::vector<std::vector<opt_str>>> && decodable<std::vector<std::vector<opt_str>>>);
static_assert(encodable<std::vector<std::string_view>>);
static_assert(!decodable<std::vector<std::string_view>>, "elements would view unescaped text that is gone");
static_assert(encodable<std::vector<const char*>> && !decodable<std::vector<const char*>>);
static_assert(codec<std::vector<int>>::type_oid == 1007);
static_assert(codec<std::vector<std::vector<std::int64_t>>>::type_oid == 1016);
static_assert(codec<std::vector<opt_int>>::type_oid == 1007);
static_assert(codec<std::vector<std::string>>::type_oid == 0);
static_assert(codec<std::optional<std::vector<int>>>::type_oid == 1007);
static_assert(codec<std::vector<std::vector<int>>>::array_rank == 2);
// A codec specialised for a vector (bytea) stays an element: vector<vector<byte>> is bytea[].
static_assert(codec<std::vector<std::vector<std::byte>>>::array_rank == 1);
static_assert(codec<std::vector<std::vector<std::byte>>>::type_oid == 1001);

TEST(array_oids, TableBothWays) {
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> table = {
      {oid::boolean, 1000}, {oid::int2, 1005},      {oid::int4, 1007},        {oid::int8, 1016},     {oid::text, 1009},
      {oid::float4, 1021},  {oid::float8, 1022},    {oid::numeric, 1231},     {oid::bytea, 1001},    {oid::date, 1182},
      {oid::time, 1183},    {oid::timestamp, 1115}, {oid::timestamptz, 1185}, {oid::interval, 1187}, {oid::uuid, 2951},
      {oid::json, 199},     {oid::jsonb, 3807},     {oid::varchar, 1015}};
  for (const auto& [element, array] : table) {
    EXPECT_EQ(detail::array_oid(element), array) << element;
    EXPECT_EQ(detail::array_element_oid(array), element) << array;
  }
  EXPECT_EQ(detail::array_oid(600), 0U);
  EXPECT_EQ(detail::array_element_oid(oid::int4), 0U);
}

TEST(array_oids, ReadsBinaryWhenTheElementCodecDoes) {
  EXPECT_TRUE(codec<std::vector<int>>::reads_binary(1007));
  EXPECT_TRUE(codec<std::vector<int>>::reads_binary(1016));        // int codecs read any integer column
  EXPECT_FALSE(codec<std::vector<int>>::reads_binary(oid::int4));  // not an array
  EXPECT_FALSE(codec<std::vector<int>>::reads_binary(1009));
  EXPECT_FALSE(codec<std::vector<int>>::reads_binary(0));
  EXPECT_TRUE(codec<std::vector<std::vector<double>>>::reads_binary(1022));
  EXPECT_TRUE(codec<std::vector<opt_str>>::reads_binary(1009));
  EXPECT_TRUE(codec<std::vector<std::string>>::reads_binary(1015));
  EXPECT_FALSE(codec<std::vector<std::string>>::reads_binary(1007));
  EXPECT_TRUE(codec<std::vector<bool>>::reads_binary(1000));
  EXPECT_FALSE(codec<std::vector<probe>>::reads_binary(1007));  // unknown array type of an element it reads
}

// --- text results -----------------------------------------------------------------

TEST(array_text, Integers) {
  EXPECT_EQ(from_text<std::vector<int>>("{1,2,3}"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(from_text<std::vector<int>>("{-2147483648,2147483647}"),
            (std::vector<int>{std::numeric_limits<int>::min(), std::numeric_limits<int>::max()}));
  EXPECT_EQ(from_text<std::vector<std::int16_t>>("{7}", 1005), (std::vector<std::int16_t>{7}));
  EXPECT_EQ(from_text<std::vector<bool>>("{t,f,t}", 1000), (std::vector<bool>{true, false, true}));
}

TEST(array_text, QuotesAndEscapes) {
  using v = std::vector<std::string>;
  EXPECT_EQ(from_text<v>(R"({"a\"b","c\\d","x,y","{}"," sp "})", 1009), (v{"a\"b", "c\\d", "x,y", "{}", " sp "}));
  EXPECT_EQ(from_text<v>(R"({a\,b,\"q\",back\\slash,\{})", 1009), (v{"a,b", "\"q\"", "back\\slash", "{"}));
  EXPECT_EQ(from_text<v>(R"({"\a\b"})", 1009), (v{"ab"}));  // any escaped character stands for itself
  EXPECT_EQ(from_text<v>(R"({"",""})", 1009), (v{"", ""}));
  EXPECT_EQ(from_text<v>("{é,\"日本\"}", 1009), (v{"é", "日本"}));
  EXPECT_EQ(from_text<v>("{\"line\nbreak\"}", 1009), (v{"line\nbreak"}));
}

TEST(array_text, NullIsNotTheQuotedWordNull) {
  EXPECT_EQ(from_text<std::vector<opt_str>>(R"({NULL,"NULL",null,NuLl,\NULL,"",x})", 1009),
            (std::vector<opt_str>{std::nullopt, "NULL", std::nullopt, std::nullopt, "NULL", "", "x"}));
  EXPECT_EQ(from_text<std::vector<opt_str>>("{NULLx, NULL }", 1009), (std::vector<opt_str>{"NULLx", std::nullopt}));
  EXPECT_EQ(from_text<std::vector<opt_int>>("{1,NULL,3}"), (std::vector<opt_int>{1, std::nullopt, 3}));
}

TEST(array_text, Whitespace) {
  using v = std::vector<std::string>;
  EXPECT_EQ(from_text<std::vector<int>>("  { 1 ,\t2\n, 3 }  "), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(from_text<v>("{ a b , c }", 1009), (v{"a b", "c"}));     // inner spaces kept, outer trimmed
  EXPECT_EQ(from_text<v>(R"({ a\  ,\ b})", 1009), (v{"a ", " b"}));  // escaped spaces kept
  EXPECT_EQ(from_text<v>(R"({ "a" , " b " })", 1009), (v{"a", " b "}));
  EXPECT_EQ(from_text<std::vector<int>>(" { } "), std::vector<int>{});
}

TEST(array_text, Nested) {
  using m = std::vector<std::vector<int>>;
  EXPECT_EQ(from_text<m>("{{1,2},{3,4},{5,6}}"), (m{{1, 2}, {3, 4}, {5, 6}}));
  EXPECT_EQ(from_text<m>("{ { 1 } , { 2 } }"), (m{{1}, {2}}));
  using s = std::vector<std::vector<opt_str>>;
  EXPECT_EQ(from_text<s>(R"({{"a,b",NULL},{"}","{"}})", 1009), (s{{"a,b", std::nullopt}, {"}", "{"}}));
  using c = std::vector<std::vector<std::vector<int>>>;
  EXPECT_EQ(from_text<c>("{{{1,2},{3,4}},{{5,6},{7,8}}}"), (c{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}));
}

TEST(array_text, EmptyFitsAnyNesting) {
  EXPECT_TRUE(from_text<std::vector<int>>("{}").empty());
  EXPECT_TRUE(from_text<std::vector<std::vector<int>>>("{}").empty());
  EXPECT_TRUE(from_text<std::vector<std::vector<std::vector<std::string>>>>("{}", 1009).empty());
}

TEST(array_text, BoundsAreDropped) {
  EXPECT_EQ(from_text<std::vector<int>>("[0:2]={1,2,3}"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(from_text<std::vector<int>>("[-5:-4]={1,2}"), (std::vector<int>{1, 2}));
  EXPECT_EQ(from_text<std::vector<int>>(" [ 2 : 3 ] = { 1 , 2 } "), (std::vector<int>{1, 2}));
  EXPECT_EQ(from_text<std::vector<int>>("[2]={8,9}"), (std::vector<int>{8, 9}));  // [ub]: lower bound 1
  EXPECT_EQ(from_text<std::vector<std::vector<int>>>("[1:1][3:4]={{1,2}}"), (std::vector<std::vector<int>>{{1, 2}}));
  EXPECT_CONTAINS(text_error<std::vector<int>>("[0:1]={1,2,3}"), "bounds do not match");
  EXPECT_CONTAINS(text_error<std::vector<int>>("[1:2][1:1]={1,2}"), "bounds do not match");
  EXPECT_CONTAINS(text_error<std::vector<int>>("[1:2]{1,2}"), "expected = after the array bounds");
  EXPECT_CONTAINS(text_error<std::vector<int>>("[1:2={1,2}"), "expected ]");
  EXPECT_CONTAINS(text_error<std::vector<int>>("[a]={1}"), "expected a number");
  EXPECT_CONTAINS(text_error<std::vector<int>>("[3:1]={1}"), "upper bound is less than the lower bound");
}

TEST(array_text, ElementsGetTheElementType) {
  // Each element is a text value with the element type derived from the array type.
  EXPECT_EQ(from_text<std::vector<probe>>(R"({1,"x y"})", 1007),
            (std::vector<probe>{{"1", oid::int4, wire_format::text}, {"x y", oid::int4, wire_format::text}}));
  EXPECT_EQ(from_text<std::vector<probe>>("{a}", 1185),
            (std::vector<probe>{{"a", oid::timestamptz, wire_format::text}}));
  EXPECT_EQ(from_text<std::vector<probe>>("{a}", 12345), (std::vector<probe>{{"a", 0, wire_format::text}}));
  // A text column holding a literal (an unknown-typed parameter echoed back) reads too.
  EXPECT_EQ(from_text<std::vector<std::string>>(R"({"a","b"})", oid::text), (std::vector<std::string>{"a", "b"}));
}

TEST(array_text, Malformed) {
  using v = std::vector<int>;
  for (const std::string_view bad : {"", "1,2", "{1,2", "{1,2,}", "{,1}", "{1,,2}", "{1} x", "{1}}", "{\"1}",
                                     "{1\"2\"}", "{\"1\"2}", "{1{2}}", "{1 2 \\", "{\\", "{{}}"}) {
    EXPECT_CONTAINS(text_error<v>(bad), "malformed array literal") << "for " << bad;
  }
  EXPECT_CONTAINS(text_error<v>("{1,2"), "cannot read \"{1,2\" as std::vector: malformed array literal");
  using m = std::vector<std::vector<int>>;
  EXPECT_CONTAINS(text_error<m>("{{1},{2,3}}"), "sub-arrays have different lengths");
  EXPECT_CONTAINS(text_error<m>("{{1,2},{3}}"), "sub-arrays have different lengths");
  EXPECT_CONTAINS(text_error<m>("{{1},2}"), "an element where a sub-array was expected");
  EXPECT_CONTAINS(text_error<m>("{1,{2}}"), "unexpected {");
  EXPECT_CONTAINS(text_error<m>("{{1},{}}"), "empty sub-array");
  EXPECT_CONTAINS(text_error<m>("{{{{{{{1}}}}}}}"), "more than 6 dimensions");
}

TEST(array_text, DimensionMismatch) {
  EXPECT_CONTAINS(text_error<std::vector<int>>("{{1,2},{3,4}}"),
                  "as std::vector: a 2-D array does not fit a 1-D vector");
  EXPECT_CONTAINS(text_error<std::vector<std::vector<int>>>("{1,2}"),
                  "as std::vector<std::vector>: a 1-D array does not fit a 2-D vector");
}

TEST(array_text, NullIntoPlainElementNamesTheIndex) {
  EXPECT_CONTAINS(text_error<std::vector<int>>("{1,NULL,3}"),
                  "cannot read \"{1,NULL,3}\" as std::vector: element [1] is NULL; read the elements as "
                  "std::optional");
  EXPECT_CONTAINS(text_error<std::vector<std::vector<std::string>>>("{{a,b},{c,NULL}}", 1009),
                  "element [1][1] is NULL");
  EXPECT_CONTAINS(text_error<std::vector<std::string>>(R"({"NULL"})", 1009), "");  // no error: a string
  EXPECT_EQ(text_error<std::vector<std::string>>(R"({"NULL"})", 1009), "");
}

TEST(array_text, ElementErrorsNameTheElement) {
  EXPECT_EQ(text_error<std::vector<int>>("{1,x}"), "array element [1]: cannot read \"x\" as int32: not a number");
  EXPECT_CONTAINS(text_error<std::vector<std::int16_t>>("{1,70000}", 1005),
                  "array element [1]: cannot read \"70000\" as int16: ");
  EXPECT_CONTAINS(text_error<std::vector<std::vector<bool>>>("{{t,f},{t,maybe}}", 1000), "array element [1][1]: ");
}

// --- binary results ---------------------------------------------------------------

TEST(array_binary, Integers) {
  const std::string bytes = binary_array(oid::int4, {3}, int4_element(1) + int4_element(-2) + int4_element(3));
  EXPECT_EQ(from_binary<std::vector<int>>(bytes, 1007), (std::vector<int>{1, -2, 3}));
  EXPECT_EQ(from_binary<std::vector<std::int64_t>>(bytes, 1007), (std::vector<std::int64_t>{1, -2, 3}));
  const std::string int8 = binary_array(oid::int8, {1}, be32(8) + be64(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(from_binary<std::vector<std::int64_t>>(int8, 1016),
            (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min()}));
  EXPECT_CONTAINS(binary_error<std::vector<int>>(int8, 1016), "array element [0]: ");
  const std::string int2 = binary_array(oid::int2, {2}, be32(2) + be16(-7) + be32(2) + be16(300));
  EXPECT_EQ(from_binary<std::vector<std::int16_t>>(int2, 1005), (std::vector<std::int16_t>{-7, 300}));
}

TEST(array_binary, NullsAndOptionals) {
  const std::string bytes = binary_array(oid::int4, {3}, int4_element(1) + null_element() + int4_element(3), true);
  EXPECT_EQ(from_binary<std::vector<opt_int>>(bytes, 1007), (std::vector<opt_int>{1, std::nullopt, 3}));
  EXPECT_CONTAINS(binary_error<std::vector<int>>(bytes, 1007),
                  "cannot read a binary integer[] value as std::vector: element [1] is NULL");
}

TEST(array_binary, TwoDimensionsAndBounds) {
  std::string elements;
  for (int i = 1; i <= 6; ++i) elements += int4_element(i);
  const std::string bytes = binary_array(oid::int4, {2, 3}, elements, false, 0);
  EXPECT_EQ(from_binary<std::vector<std::vector<int>>>(bytes, 1007),
            (std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}}));
  EXPECT_CONTAINS(binary_error<std::vector<int>>(bytes, 1007), "a 2-D array does not fit a 1-D vector");
  EXPECT_CONTAINS(binary_error<std::vector<std::vector<std::vector<int>>>>(bytes, 1007),
                  "a 2-D array does not fit a 3-D vector");
  const std::string with_null = binary_array(oid::int4, {2, 1}, int4_element(1) + null_element(), true);
  EXPECT_CONTAINS(binary_error<std::vector<std::vector<int>>>(with_null, 1007), "element [1][0] is NULL");
}

TEST(array_binary, Empty) {
  const std::string empty = binary_array(oid::int4, {}, "");
  EXPECT_TRUE(from_binary<std::vector<int>>(empty, 1007).empty());
  EXPECT_TRUE(from_binary<std::vector<std::vector<int>>>(empty, 1007).empty());
  // A zero-length dimension (PostgreSQL sends ndim 0 instead, but it is empty either way).
  EXPECT_TRUE(from_binary<std::vector<int>>(binary_array(oid::int4, {0}, ""), 1007).empty());
}

TEST(array_binary, TextAndFloatElements) {
  const std::string text = binary_array(
      oid::text, {4}, be32(3) + "a,b" + be32(0) + null_element() + be32(4) + std::string("\"\\{}", 4), true);
  EXPECT_EQ(from_binary<std::vector<opt_str>>(text, 1009), (std::vector<opt_str>{"a,b", "", std::nullopt, "\"\\{}"}));
  std::string nan;
  detail::store_be(std::bit_cast<std::uint64_t>(std::numeric_limits<double>::quiet_NaN()), nan);
  const auto d = from_binary<std::vector<double>>(binary_array(oid::float8, {1}, be32(8) + nan), 1022);
  ASSERT_EQ(d.size(), 1U);
  EXPECT_TRUE(std::isnan(d[0]));
}

TEST(array_binary, ElementsGetTheHeaderType) {
  // Binary elements carry the element type from the array's header.
  const std::string bytes = binary_array(600, {1}, be32(2) + "xy");
  EXPECT_EQ(from_binary<std::vector<probe>>(bytes, 1017), (std::vector<probe>{{"xy", 600, wire_format::binary}}));
}

TEST(array_binary, Malformed) {
  using v = std::vector<int>;
  const std::string good = binary_array(oid::int4, {2}, int4_element(1) + int4_element(2));
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_CONTAINS(binary_error<v>(good.substr(0, cut), 1007), "truncated binary array") << cut;
  }
  EXPECT_CONTAINS(binary_error<v>(good + "x", 1007), "bytes after its end");
  EXPECT_CONTAINS(binary_error<v>(binary_array(oid::int4, {}, "x"), 1007), "bytes after its end");
  EXPECT_CONTAINS(binary_error<v>(binary_array(oid::int8, {1}, be32(8) + be64(1)), 1007),
                  "binary array of bigint elements in a column of integer[]");
  EXPECT_CONTAINS(binary_error<v>(be32(7) + be32(0) + be32(oid::int4), 1007), "binary array with 7 dimensions");
  EXPECT_CONTAINS(binary_error<v>(be32(-1) + be32(0) + be32(oid::int4), 1007), "binary array with -1 dimensions");
  EXPECT_CONTAINS(binary_error<v>(be32(1) + be32(2) + be32(oid::int4) + be32(1) + be32(1) + int4_element(1), 1007),
                  "invalid flags");
  EXPECT_CONTAINS(binary_error<v>(binary_array(oid::int4, {-1}, ""), 1007), "negative dimension");
  EXPECT_CONTAINS(binary_error<v>(binary_array(oid::int4, {1}, be32(-2)), 1007), "negative element length");
  // A huge dimension is refused before anything is allocated for it.
  EXPECT_CONTAINS(binary_error<v>(binary_array(oid::int4, {1 << 30, 1 << 30}, int4_element(1)), 1007),
                  "more elements than bytes");
  EXPECT_CONTAINS(binary_error<v>(binary_array(oid::int4, {1}, be32(3) + "abc"), 1007),
                  "array element [0]: cannot read a binary integer value as int32: 3 bytes where 4 were expected");
}

// --- parameters -------------------------------------------------------------------

TEST(array_encode, IntegersInBinary) {
  const encoded e = encode(std::vector<int>{3, 1, 2});
  EXPECT_EQ(e.format, wire_format::binary);
  EXPECT_EQ(e.oid, 1007U);
  EXPECT_EQ(e.bytes, binary_array(oid::int4, {3}, int4_element(3) + int4_element(1) + int4_element(2)));
  const encoded small = encode(std::vector<std::int16_t>{-1});
  EXPECT_EQ(small.oid, 1005U);
  EXPECT_EQ(small.bytes, binary_array(oid::int2, {1}, be32(2) + be16(-1)));
  const encoded big = encode(std::vector<std::int64_t>{1});
  EXPECT_EQ(big.oid, 1016U);
  EXPECT_EQ(big.bytes, binary_array(oid::int8, {1}, be32(8) + be64(1)));
}

TEST(array_encode, OtherBinaryElements) {
  const encoded b = encode(std::vector<bool>{true, false});
  EXPECT_EQ(b.oid, 1000U);
  EXPECT_EQ(b.bytes, binary_array(oid::boolean, {2}, be32(1) + "\1" + be32(1) + std::string(1, '\0')));
  const encoded d = encode(std::vector<double>{1.5});
  EXPECT_EQ(d.oid, 1022U);
  EXPECT_EQ(d.bytes, binary_array(oid::float8, {1}, be32(8) + be64(std::bit_cast<std::int64_t>(1.5))));
  EXPECT_EQ(encode(std::vector<float>{1.5F}).oid, 1021U);
  EXPECT_EQ(encode(std::vector<std::uint32_t>{7}).oid, 1016U);  // uint32 goes as bigint
  const std::vector<std::vector<std::byte>> blobs{{std::byte{0}, std::byte{0xff}}, {}};
  const encoded bytea = encode(blobs);
  EXPECT_EQ(bytea.oid, 1001U);
  EXPECT_EQ(bytea.bytes, binary_array(oid::bytea, {2}, be32(2) + std::string("\0\xff", 2) + be32(0)));
}

TEST(array_encode, NullElements) {
  const encoded e = encode(std::vector<opt_int>{1, std::nullopt});
  EXPECT_EQ(e.format, wire_format::binary);
  EXPECT_EQ(e.bytes, binary_array(oid::int4, {2}, int4_element(1) + null_element(), true));
  // NULLs before the first value (which decides the form) are kept.
  const encoded leading = encode(std::vector<opt_int>{std::nullopt, std::nullopt, 5});
  EXPECT_EQ(leading.bytes, binary_array(oid::int4, {3}, null_element() + null_element() + int4_element(5), true));
  // Only NULLs: the literal, with the array type.
  const encoded nulls = encode(std::vector<opt_int>{std::nullopt, std::nullopt});
  EXPECT_EQ(nulls.format, wire_format::text);
  EXPECT_EQ(nulls.bytes, "{NULL,NULL}");
  EXPECT_EQ(nulls.oid, 1007U);
}

TEST(array_encode, TwoDimensions) {
  const encoded e = encode(std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}});
  std::string elements;
  for (int i = 1; i <= 6; ++i) elements += int4_element(i);
  EXPECT_EQ(e.oid, 1007U);
  EXPECT_EQ(e.bytes, binary_array(oid::int4, {2, 3}, elements));
  const encoded t = encode(std::vector<std::vector<opt_str>>{{"a", std::nullopt}, {"}", "\\"}});
  EXPECT_EQ(t.format, wire_format::text);
  EXPECT_EQ(t.bytes, R"({{"a",NULL},{"}","\\"}})");
  const encoded cube = encode(std::vector<std::vector<std::vector<std::string>>>{{{"a"}, {"b"}}, {{"c"}, {"d"}}});
  EXPECT_EQ(cube.bytes, R"({{{"a"},{"b"}},{{"c"},{"d"}}})");
}

TEST(array_encode, StringsAsALiteral) {
  const encoded e = encode(std::vector<std::string>{"a\"b", "c\\d", "", "NULL", "x,y", "{}", " é "});
  EXPECT_EQ(e.format, wire_format::text);
  EXPECT_EQ(e.oid, 0U);  // "unknown": the server takes the array type from the context
  EXPECT_EQ(e.bytes, R"({"a\"b","c\\d","","NULL","x,y","{}"," é "})");
  EXPECT_EQ(encode(std::vector<opt_str>{"a\"b", std::nullopt, "c\\d"}).bytes, R"({"a\"b",NULL,"c\\d"})");
  EXPECT_EQ(encode(std::vector<std::string_view>{"v"}).bytes, R"({"v"})");
  EXPECT_EQ(encode(std::vector<const char*>{"p", nullptr}).bytes, R"({"p",NULL})");
  // uint64 goes as numeric text: the literal, typed numeric[].
  const encoded n = encode(std::vector<std::uint64_t>{1, std::numeric_limits<std::uint64_t>::max()});
  EXPECT_EQ(n.bytes, R"({"1","18446744073709551615"})");
  EXPECT_EQ(n.oid, 1231U);
}

TEST(array_encode, Empty) {
  const encoded e = encode(std::vector<int>{});
  EXPECT_EQ(e.format, wire_format::text);
  EXPECT_EQ(e.bytes, "{}");
  EXPECT_EQ(e.oid, 1007U);
  EXPECT_EQ(encode(std::vector<std::string>{}).oid, 0U);
  // PostgreSQL has no empty sub-arrays: no elements is `{}` whatever the nesting.
  EXPECT_EQ(encode(std::vector<std::vector<int>>{{}, {}}).bytes, "{}");
  EXPECT_EQ(encode(std::vector<std::vector<std::string>>{}).bytes, "{}");
}

TEST(array_encode, MixedFormsFallBackToTheLiteral) {
  // A first element in binary, then one in text: the whole array goes as a
  // literal, typed unknown as its elements disagree.
  const encoded e = encode(std::vector<param>{1, "x", nullptr, 2.5});
  EXPECT_EQ(e.format, wire_format::text);
  EXPECT_EQ(e.bytes, R"({"1","x",NULL,"2.5"})");
  EXPECT_EQ(e.oid, 0U);
  const encoded same = encode(std::vector<param>{std::int64_t{1}, std::int64_t{2}});
  EXPECT_EQ(same.format, wire_format::binary);
  EXPECT_EQ(same.oid, 1016U);
  // A binary element type with no known array type: the literal, if pgwrap can spell it.
  EXPECT_EQ(encode(std::vector<probe>{{"a", 600, wire_format::text}}).bytes, R"({"a"})");
  EXPECT_EQ(encode(std::vector<probe>{{"a", 600, wire_format::text}}).oid, 0U);
  std::string scratch;
  EXPECT_THROW((void)codec<std::vector<probe>>::encode({{"ab", 600, wire_format::binary}}, scratch), usage_error);
  try {
    (void)codec<std::vector<probe>>::encode({{"ab", 600, wire_format::binary}}, scratch);
  } catch (const usage_error& e2) {
    EXPECT_CONTAINS(e2.what(), "array element [0]: no text form for a binary parameter of type 600");
  }
}

TEST(array_encode, RaggedIsAnError) {
  EXPECT_EQ(
      encode_error(std::vector<std::vector<int>>{{1, 2}, {3}}),
      "cannot send a ragged nested vector as an array: element [1] has 1 element where element [0] has 2 elements; "
      "the sub-arrays of a PostgreSQL array all have the same length");
  EXPECT_CONTAINS(encode_error(std::vector<std::vector<int>>{{}, {3}}),
                  "element [1] has 1 element where element [0] has 0 elements");
  EXPECT_CONTAINS(encode_error(std::vector<std::vector<std::vector<int>>>{{{1}, {2}}, {{3}, {4, 5}}}),
                  "element [1][1] has 2 elements where element [0][0] has 1 element;");
  EXPECT_EQ(encode_error(std::vector<std::vector<int>>{{1, 2}, {3, 4}}), "");
}

TEST(array_encode, NulInAStringElementIsAnError) {
  EXPECT_CONTAINS(encode_error(std::vector<std::string>{"ok", std::string("a\0b", 3)}),
                  "string contains a NUL byte at offset 1");
}

TEST(array_encode, RoundTripsThroughItsOwnForms) {
  EXPECT_EQ(round_trip(std::vector<int>{3, 1, 2}), (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(round_trip(std::vector<opt_int>{std::nullopt, 1}), (std::vector<opt_int>{std::nullopt, 1}));
  using m = std::vector<std::vector<std::int64_t>>;
  EXPECT_EQ(round_trip(m{{1, 2}, {3, 4}}), (m{{1, 2}, {3, 4}}));
  const std::vector<opt_str> hostile{"a\"b", "c\\d", "", "NULL", std::nullopt, "x,y", "{", "}", " sp ", "日本"};
  EXPECT_EQ(round_trip(hostile), hostile);
  using s = std::vector<std::vector<std::string>>;
  EXPECT_EQ(round_trip(s{{"a", "\\"}, {"\"", ","}}), (s{{"a", "\\"}, {"\"", ","}}));
  EXPECT_EQ(round_trip(std::vector<bool>{true, false}), (std::vector<bool>{true, false}));
  EXPECT_TRUE(round_trip(std::vector<int>{}).empty());
}

TEST(array_encode, ParamCopiesTheArray) {
  const param p(std::vector<int>{1, 2});
  EXPECT_EQ(p.format(), wire_format::binary);
  EXPECT_EQ(p.type_oid(), 1007U);
  EXPECT_EQ(p.data(), binary_array(oid::int4, {2}, int4_element(1) + int4_element(2)));
}

TEST(array_encode, TextOfABinaryArrayParameter) {
  std::string scratch;
  std::string out;
  EXPECT_TRUE(detail::append_array_param_text(codec<std::vector<opt_int>>::encode({3, std::nullopt, 2}, scratch), out));
  EXPECT_EQ(out, R"({"3",NULL,"2"})");
  out.clear();
  EXPECT_TRUE(detail::append_array_param_text(
      codec<std::vector<std::vector<double>>>::encode({{1.5, std::nan("")}, {-0.0, 2}}, scratch), out));
  EXPECT_EQ(out, R"({{"1.5","NaN"},{"-0","2"}})");
  out.clear();
  EXPECT_FALSE(detail::append_array_param_text(codec<int>::encode(1, scratch), out));
  EXPECT_FALSE(detail::append_array_param_text(codec<std::vector<std::string>>::encode({"a"}, scratch), out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace pgwrap::test
