// The built-in codecs (pgwrap::codec<T>), the type-erased pgwrap::param and
// identifier quoting. No server needed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pgwrap::test {
namespace {

// --- helpers --------------------------------------------------------------------

struct encoded {
  std::string text;  // copied out of the param_ref
  bool null = false;
  std::uint32_t oid = 0;
};

template <typename T>
encoded encode(const T& v) {
  std::string scratch;
  const param_ref ref = codec<detail::codec_type<T>>::encode(v, scratch);
  encoded out;
  out.null = ref.text == nullptr;
  if (!out.null) out.text = ref.text;
  out.oid = ref.oid;
  return out;
}

// The message of the conversion_error that `f` throws; fails the test when it throws none.
template <typename F>
std::string conversion_message(F&& f) {
  try {
    f();
  } catch (const conversion_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a conversion_error";
  return {};
}

template <typename F>
std::string usage_message(F&& f) {
  try {
    f();
  } catch (const usage_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a usage_error";
  return {};
}

template <typename T>
std::string decode_error(std::string_view text) {
  return conversion_message([&] { (void)codec<T>::decode(text); });
}

// --- bool --------------------------------------------------------------------------

TEST(codec, Bool) {
  EXPECT_EQ(encode(true).text, "t");
  EXPECT_EQ(encode(false).text, "f");
  EXPECT_EQ(encode(true).oid, oid::boolean);
  EXPECT_FALSE(encode(true).null);
  EXPECT_TRUE(codec<bool>::decode("t"));
  EXPECT_TRUE(codec<bool>::decode("true"));
  EXPECT_FALSE(codec<bool>::decode("f"));
  EXPECT_FALSE(codec<bool>::decode("false"));
  EXPECT_EQ(decode_error<bool>("yes"), "cannot read \"yes\" as bool: not a boolean (expected t or f)");
  EXPECT_EQ(decode_error<bool>(""), "cannot read \"\" as bool: not a boolean (expected t or f)");
  EXPECT_EQ(decode_error<bool>("1"), "cannot read \"1\" as bool: not a boolean (expected t or f)");
  EXPECT_EQ(decode_error<bool>("T"), "cannot read \"T\" as bool: not a boolean (expected t or f)");
}

// --- integers -----------------------------------------------------------------------

TEST(codec, SignedIntegersEncodeAsDecimalWithTheSmallestFittingOid) {
  EXPECT_EQ(encode(std::int16_t{-32768}).text, "-32768");
  EXPECT_EQ(encode(std::int16_t{7}).oid, oid::int2);
  EXPECT_EQ(encode(std::int32_t{0}).text, "0");
  EXPECT_EQ(encode(std::int32_t{-42}).text, "-42");
  EXPECT_EQ(encode(std::numeric_limits<std::int32_t>::max()).text, "2147483647");
  EXPECT_EQ(encode(std::int32_t{1}).oid, oid::int4);
  EXPECT_EQ(encode(std::numeric_limits<std::int64_t>::min()).text, "-9223372036854775808");
  EXPECT_EQ(encode(std::numeric_limits<std::int64_t>::max()).text, "9223372036854775807");
  EXPECT_EQ(encode(std::int64_t{1}).oid, oid::int8);
  EXPECT_EQ(encode(std::int8_t{-128}).text, "-128");
  EXPECT_EQ(encode(std::int8_t{1}).oid, oid::int2);
  EXPECT_EQ(encode(1L).oid, sizeof(long) == 8 ? oid::int8 : oid::int4);
  EXPECT_EQ(encode(1LL).oid, oid::int8);
}

TEST(codec, UnsignedIntegersEncodeIntoATypeThatHoldsEveryValue) {
  EXPECT_EQ(encode(std::uint8_t{255}).text, "255");
  EXPECT_EQ(encode(std::uint8_t{1}).oid, oid::int2);
  EXPECT_EQ(encode(std::uint16_t{65535}).text, "65535");
  EXPECT_EQ(encode(std::uint16_t{1}).oid, oid::int4);
  EXPECT_EQ(encode(std::numeric_limits<std::uint32_t>::max()).text, "4294967295");
  EXPECT_EQ(encode(std::uint32_t{1}).oid, oid::int8);
  EXPECT_EQ(encode(std::numeric_limits<std::uint64_t>::max()).text, "18446744073709551615");
  EXPECT_EQ(encode(std::uint64_t{1}).oid, oid::numeric);
}

TEST(codec, IntegersDecode) {
  EXPECT_EQ(codec<std::int16_t>::decode("-32768"), -32768);
  EXPECT_EQ(codec<std::int16_t>::decode("32767"), 32767);
  EXPECT_EQ(codec<std::int32_t>::decode("-2147483648"), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(codec<std::int32_t>::decode("0"), 0);
  EXPECT_EQ(codec<std::int64_t>::decode("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(codec<std::int64_t>::decode("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(codec<std::uint8_t>::decode("255"), 255);
  EXPECT_EQ(codec<std::uint16_t>::decode("65535"), 65535);
  EXPECT_EQ(codec<std::uint32_t>::decode("4294967295"), std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(codec<std::uint64_t>::decode("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(codec<std::uint64_t>::decode("0"), 0u);
  EXPECT_EQ(codec<std::int8_t>::decode("-128"), -128);
}

TEST(codec, IntegerErrors) {
  struct error_case {
    std::string message;
    std::string expected;
  };
  const std::vector<error_case> cases = {
      // out of range, for each width
      {decode_error<std::int16_t>("32768"), "cannot read \"32768\" as int16: out of range"},
      {decode_error<std::int16_t>("-32769"), "cannot read \"-32769\" as int16: out of range"},
      {decode_error<std::int32_t>("2147483648"), "cannot read \"2147483648\" as int32: out of range"},
      {decode_error<std::int32_t>("3000000000"), "cannot read \"3000000000\" as int32: out of range"},
      {decode_error<std::int64_t>("9223372036854775808"),
       "cannot read \"9223372036854775808\" as int64: out of range"},
      {decode_error<std::int64_t>("-9223372036854775809"),
       "cannot read \"-9223372036854775809\" as int64: out of range"},
      {decode_error<std::int8_t>("128"), "cannot read \"128\" as int8_t: out of range"},
      {decode_error<std::uint8_t>("256"), "cannot read \"256\" as uint8_t: out of range"},
      {decode_error<std::uint16_t>("65536"), "cannot read \"65536\" as uint16: out of range"},
      {decode_error<std::uint32_t>("4294967296"), "cannot read \"4294967296\" as uint32: out of range"},
      {decode_error<std::uint64_t>("18446744073709551616"),
       "cannot read \"18446744073709551616\" as uint64: out of range"},
      // negative into unsigned
      {decode_error<std::uint32_t>("-1"), "cannot read \"-1\" as uint32: out of range"},
      {decode_error<std::uint64_t>("-1"), "cannot read \"-1\" as uint64: out of range"},
      {decode_error<std::uint16_t>("-99999999999999999999"),
       "cannot read \"-99999999999999999999\" as uint16: out of range"},
      {decode_error<std::uint64_t>("-x"), "cannot read \"-x\" as uint64: not a number"},
      {decode_error<std::uint64_t>("-"), "cannot read \"-\" as uint64: not a number"},
      // not a number
      {decode_error<int>("abc"), "cannot read \"abc\" as int32: not a number"},
      {decode_error<int>(""), "cannot read \"\" as int32: not a number"},
      {decode_error<int>("1.5"), "cannot read \"1.5\" as int32: not a number"},
      {decode_error<int>("12abc"), "cannot read \"12abc\" as int32: not a number"},
      {decode_error<int>(" 1"), "cannot read \" 1\" as int32: not a number"},
      {decode_error<int>("1 "), "cannot read \"1 \" as int32: not a number"},
      {decode_error<int>("+1"), "cannot read \"+1\" as int32: not a number"},
      {decode_error<int>("0x10"), "cannot read \"0x10\" as int32: not a number"},
      {decode_error<int>("1e3"), "cannot read \"1e3\" as int32: not a number"},
      {decode_error<std::uint32_t>("abc"), "cannot read \"abc\" as uint32: not a number"},
      {decode_error<std::int64_t>("NaN"), "cannot read \"NaN\" as int64: not a number"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.message, c.expected);
}

TEST(codec, ErrorMessagesCutLongTextToFortyCharacters) {
  const std::string digits(60, '7');
  EXPECT_EQ(decode_error<int>(digits), "cannot read \"" + digits.substr(0, 40) + "...\" as int32: out of range");
  const std::string forty(40, 'x');
  EXPECT_EQ(decode_error<int>(forty), "cannot read \"" + forty + "\" as int32: not a number");
}

// --- floating point --------------------------------------------------------------------

TEST(codec, DoubleEncodesTheShortestRoundTripText) {
  struct encode_case {
    double value;
    std::string_view text;
  };
  const std::vector<encode_case> cases = {
      {0.1, "0.1"},
      {1.0, "1"},
      {-2.5, "-2.5"},
      {0.0, "0"},
      {-0.0, "-0"},
      {1.0 / 3.0, "0.3333333333333333"},
      {123456789.0, "123456789"},
      {1e300, "1e+300"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "Infinity"},
      {-std::numeric_limits<double>::infinity(), "-Infinity"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const encoded e = encode(c.value);
    EXPECT_EQ(e.text, c.text);
    EXPECT_EQ(e.oid, oid::float8);
    EXPECT_FALSE(e.null);
  }
  // Every double survives the trip through text.
  for (const double v : {0.1, 0.2 + 0.1, 1.0 / 3.0, 6.02214076e23, 1e-310, -123.456e-7}) {
    EXPECT_EQ(codec<double>::decode(encode(v).text), v) << encode(v).text;
  }
}

TEST(codec, FloatEncodesTheShortestRoundTripText) {
  EXPECT_EQ(encode(0.1f).text, "0.1");
  EXPECT_EQ(encode(1.0f / 3.0f).text, "0.33333334");
  EXPECT_EQ(encode(-0.0f).text, "-0");
  EXPECT_EQ(encode(16777216.0f).text, "16777216");
  EXPECT_EQ(encode(std::numeric_limits<float>::quiet_NaN()).text, "NaN");
  EXPECT_EQ(encode(std::numeric_limits<float>::infinity()).text, "Infinity");
  EXPECT_EQ(encode(-std::numeric_limits<float>::infinity()).text, "-Infinity");
  EXPECT_EQ(encode(1.5f).oid, oid::float4);
  for (const float v : {0.1f, 3.14159265f, 1e-40f, std::numeric_limits<float>::max()}) {
    EXPECT_EQ(codec<float>::decode(encode(v).text), v) << encode(v).text;
  }
}

TEST(codec, DoubleAndFloatDecode) {
  EXPECT_EQ(codec<double>::decode("0.1"), 0.1);
  EXPECT_EQ(codec<double>::decode("-2.5e-3"), -2.5e-3);
  EXPECT_EQ(codec<double>::decode("1e+300"), 1e300);
  EXPECT_EQ(codec<double>::decode("42"), 42.0);
  EXPECT_TRUE(std::isnan(codec<double>::decode("NaN")));
  EXPECT_EQ(codec<double>::decode("Infinity"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(codec<double>::decode("-Infinity"), -std::numeric_limits<double>::infinity());
  const double negative_zero = codec<double>::decode("-0");
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
  EXPECT_EQ(codec<float>::decode("0.1"), 0.1f);
  EXPECT_TRUE(std::isnan(codec<float>::decode("NaN")));
  EXPECT_EQ(codec<float>::decode("Infinity"), std::numeric_limits<float>::infinity());
  EXPECT_EQ(codec<float>::decode("-Infinity"), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::signbit(codec<float>::decode("-0")));
}

TEST(codec, DoubleAndFloatErrors) {
  EXPECT_EQ(decode_error<double>("abc"), "cannot read \"abc\" as double: not a number");
  EXPECT_EQ(decode_error<double>(""), "cannot read \"\" as double: not a number");
  EXPECT_EQ(decode_error<double>("1.5x"), "cannot read \"1.5x\" as double: not a number");
  EXPECT_EQ(decode_error<double>("1e400"), "cannot read \"1e400\" as double: out of range");
  EXPECT_EQ(decode_error<float>("1e300"), "cannot read \"1e300\" as float: out of range");
  EXPECT_EQ(decode_error<float>("x"), "cannot read \"x\" as float: not a number");
}

// --- strings ------------------------------------------------------------------------------

TEST(codec, StringsAreSentAsUnknownSoTheServerInfersTheType) {
  const std::string s = "Al Bert";
  EXPECT_EQ(encode(s).text, "Al Bert");
  EXPECT_EQ(encode(s).oid, oid::unknown);
  EXPECT_EQ(encode(std::string()).text, "");
  EXPECT_FALSE(encode(std::string()).null);  // an empty string is not NULL
  EXPECT_EQ(encode(std::string_view("abcdef").substr(1, 3)).text, "bcd");  // not NUL-terminated
  EXPECT_EQ(encode(std::string_view("x")).oid, oid::unknown);
  EXPECT_EQ(encode("literal").text, "literal");
  EXPECT_EQ(encode("literal").oid, oid::unknown);
  EXPECT_EQ(encode(std::string("\xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x9c\x93")).text,
            "\xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x9c\x93");
}

// A default-constructed std::string_view has a null data(); it is still the
// empty string, not NULL (and must not reach memchr as a null pointer, which
// UBSan reports: see ./dev test --asan).
TEST(codec, DefaultConstructedStringViewIsTheEmptyString) {
  const encoded e = encode(std::string_view());
  EXPECT_FALSE(e.null);
  EXPECT_EQ(e.text, "");
  EXPECT_EQ(e.oid, oid::unknown);
  const param p = std::string_view();
  EXPECT_FALSE(p.is_null());
  EXPECT_EQ(p.text(), "");
}

TEST(codec, StdStringIsSentWithoutACopy) {
  const std::string s = "no copy";
  std::string scratch;
  EXPECT_EQ(codec<std::string>::encode(s, scratch).text, s.c_str());
}

TEST(codec, ConstCharPointer) {
  const char* c = "c string";
  std::string scratch;
  const param_ref ref = codec<const char*>::encode(c, scratch);
  EXPECT_EQ(ref.text, c);  // passed as is
  EXPECT_EQ(ref.oid, oid::unknown);
  const char* null_string = nullptr;
  EXPECT_TRUE(encode(null_string).null);
  char buffer[] = "mutable";
  char* mutable_string = buffer;
  EXPECT_EQ(encode(mutable_string).text, "mutable");
}

TEST(codec, StringsDecode) {
  EXPECT_EQ(codec<std::string>::decode("abc"), "abc");
  EXPECT_EQ(codec<std::string>::decode(""), "");
  const std::string_view source = "view";
  const std::string_view viewed = codec<std::string_view>::decode(source);
  EXPECT_EQ(viewed, "view");
  EXPECT_EQ(viewed.data(), source.data());  // a view of the same memory
}

TEST(codec, NulByteInAStringIsAConversionErrorWithTheOffset) {
  const std::string expected_tail = "; PostgreSQL text cannot hold NUL (send binary data as bytea)";
  EXPECT_EQ(conversion_message([] { encode(std::string("ab\0cd", 5)); }),
            "string contains a NUL byte at offset 2" + expected_tail);
  EXPECT_EQ(conversion_message([] { encode(std::string(1, '\0')); }),
            "string contains a NUL byte at offset 0" + expected_tail);
  EXPECT_EQ(conversion_message([] { encode(std::string_view("abcd\0", 5)); }),
            "string contains a NUL byte at offset 4" + expected_tail);
  EXPECT_EQ(conversion_message([] { encode(std::optional<std::string>(std::string("x\0", 2))); }),
            "string contains a NUL byte at offset 1" + expected_tail);
}

// --- NULL and optional ---------------------------------------------------------------------

TEST(codec, NullValues) {
  EXPECT_TRUE(encode(nullptr).null);
  EXPECT_EQ(encode(nullptr).oid, oid::unknown);
  EXPECT_TRUE(encode(std::nullopt).null);
  EXPECT_EQ(encode(std::nullopt).oid, oid::unknown);
}

TEST(codec, OptionalIsNullWhenEmptyAndTheValueOtherwise) {
  // An empty optional is a NULL of the value type's OID, so `SELECT %s` still works.
  EXPECT_TRUE(encode(std::optional<int>{}).null);
  EXPECT_EQ(encode(std::optional<int>{}).oid, oid::int4);
  EXPECT_EQ(encode(std::optional<std::int64_t>{}).oid, oid::int8);
  EXPECT_EQ(encode(std::optional<std::int16_t>{}).oid, oid::int2);
  EXPECT_EQ(encode(std::optional<std::uint64_t>{}).oid, oid::numeric);
  EXPECT_EQ(encode(std::optional<bool>{}).oid, oid::boolean);
  EXPECT_EQ(encode(std::optional<double>{}).oid, oid::float8);
  EXPECT_EQ(encode(std::optional<float>{}).oid, oid::float4);
  EXPECT_TRUE(encode(std::optional<std::string>{}).null);
  EXPECT_EQ(encode(std::optional<std::string>{}).oid, oid::unknown);

  EXPECT_FALSE(encode(std::optional<int>{7}).null);
  EXPECT_EQ(encode(std::optional<int>{7}).text, "7");
  EXPECT_EQ(encode(std::optional<int>{7}).oid, oid::int4);
  EXPECT_EQ(encode(std::optional<std::string>{"x"}).text, "x");
  EXPECT_EQ(encode(std::optional<double>{0.1}).text, "0.1");

  EXPECT_EQ(codec<std::optional<int>>::decode("5"), std::optional<int>(5));
  EXPECT_EQ(codec<std::optional<std::string>>::decode(""), std::optional<std::string>(""));
  EXPECT_EQ(conversion_message([] { (void)codec<std::optional<int>>::decode("x"); }),
            "cannot read \"x\" as int32: not a number");
}

struct no_codec {};

TEST(codec, WhichTypesAreEncodableAndDecodable) {
  static_assert(encodable<int>);
  static_assert(encodable<bool>);
  static_assert(encodable<double>);
  static_assert(encodable<std::string>);
  static_assert(encodable<std::string_view>);
  static_assert(encodable<const char*>);
  static_assert(encodable<char[6]>);  // a string literal binds as const char*
  static_assert(encodable<std::nullptr_t>);
  static_assert(encodable<std::nullopt_t>);
  static_assert(encodable<std::optional<int>>);
  static_assert(encodable<param>);
  static_assert(!encodable<char>);  // a character is not a number
  static_assert(!encodable<no_codec>);

  static_assert(decodable<int>);
  static_assert(decodable<std::uint64_t>);
  static_assert(decodable<std::string>);
  static_assert(decodable<std::string_view>);
  static_assert(decodable<std::optional<double>>);
  static_assert(!decodable<const char*>);  // would dangle
  static_assert(!decodable<std::nullptr_t>);
  static_assert(!decodable<char>);
  static_assert(!decodable<no_codec>);
  SUCCEED();
}

// --- param ------------------------------------------------------------------------------------

TEST(param, HoldsTheEncodedValue) {
  const param i = 10;
  EXPECT_FALSE(i.is_null());
  EXPECT_EQ(i.text(), "10");
  EXPECT_EQ(i.type_oid(), oid::int4);
  EXPECT_STREQ(i.ref().text, "10");
  EXPECT_EQ(i.ref().oid, oid::int4);

  const param s = "Al Bert";
  EXPECT_FALSE(s.is_null());
  EXPECT_EQ(s.text(), "Al Bert");
  EXPECT_EQ(s.type_oid(), oid::unknown);

  const param b = true;
  EXPECT_EQ(b.text(), "t");
  EXPECT_EQ(b.type_oid(), oid::boolean);

  const param d = 0.1;
  EXPECT_EQ(d.text(), "0.1");
  EXPECT_EQ(d.type_oid(), oid::float8);

  const param nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(nan.text(), "NaN");

  const param empty = std::string();
  EXPECT_FALSE(empty.is_null());
  EXPECT_EQ(empty.text(), "");
  ASSERT_NE(empty.ref().text, nullptr);
  EXPECT_STREQ(empty.ref().text, "");
}

TEST(param, Nulls) {
  for (const param& p : {param(nullptr), param(std::nullopt), param(std::optional<std::string>{}),
                         param(static_cast<const char*>(nullptr))}) {
    EXPECT_TRUE(p.is_null());
    EXPECT_EQ(p.text(), "");
    EXPECT_EQ(p.ref().text, nullptr);
  }
  const param typed_null = std::optional<int>{};
  EXPECT_TRUE(typed_null.is_null());
  EXPECT_EQ(typed_null.type_oid(), oid::int4);
  EXPECT_EQ(typed_null.ref().oid, oid::int4);
}

TEST(param, OwnsItsTextIndependentlyOfTheSource) {
  std::string source = "original";
  const param p = source;
  source.assign("changed, and long enough to reallocate the buffer");
  EXPECT_EQ(p.text(), "original");

  char buffer[] = "buffer";
  const param from_pointer = static_cast<const char*>(buffer);
  buffer[0] = 'X';
  EXPECT_EQ(from_pointer.text(), "buffer");

  const std::string long_text(1000, 'q');
  param copy = param(long_text);
  const param copied = copy;
  copy = param(1);
  EXPECT_EQ(copied.text(), long_text);
  EXPECT_EQ(copied.ref().text, copied.text().data());
  EXPECT_EQ(copy.text(), "1");
}

TEST(param, CopyingAParamDoesNotWrapIt) {
  const param inner = 5;
  const param outer(inner);  // the copy constructor, not a param of a param
  EXPECT_EQ(outer.text(), "5");
  EXPECT_EQ(outer.type_oid(), oid::int4);
}

TEST(param, NulByteThrowsWhenTheParamIsMade) {
  EXPECT_EQ(conversion_message([] { const param p = std::string("a\0b", 3); }),
            "string contains a NUL byte at offset 1; PostgreSQL text cannot hold NUL (send binary data as "
            "bytea)");
}

// --- identifiers --------------------------------------------------------------------------

TEST(identifier, QuoteIdentifier) {
  struct quote_case {
    std::string_view name;
    std::string_view quoted;
  };
  const std::vector<quote_case> cases = {
      {"users", "\"users\""},
      {"Users", "\"Users\""},  // case is kept: quoted names are case-sensitive
      {"my table", "\"my table\""},
      {"a\"b", "\"a\"\"b\""},
      {"\"", "\"\"\"\""},
      {"\"\"", "\"\"\"\"\"\""},
      {"a.b", "\"a.b\""},
      {"%s", "\"%s\""},
      {"$1", "\"$1\""},
      {"it's", "\"it's\""},
      {"x\"); DROP TABLE t; --", "\"x\"\"); DROP TABLE t; --\""},
      {"\xc3\xbc", "\"\xc3\xbc\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(quote_identifier(c.name), c.quoted);
    EXPECT_EQ(ident(c.name).quoted(), c.quoted);
  }
}

TEST(identifier, IdentConstructors) {
  EXPECT_EQ(ident("t").quoted(), "\"t\"");
  EXPECT_EQ(ident(std::string("t")).quoted(), "\"t\"");
  EXPECT_EQ(ident(std::string_view("t")).quoted(), "\"t\"");
  EXPECT_EQ(ident("a.b").quoted(), "\"a.b\"");  // one name with a dot in it
  EXPECT_EQ(ident("a", "b").quoted(), "\"a\".\"b\"");
  EXPECT_EQ(ident("my schema", "Order").quoted(), "\"my schema\".\"Order\"");
  EXPECT_EQ(ident("s\"", "t\"").quoted(), "\"s\"\"\".\"t\"\"\"");
  EXPECT_EQ(ident("a.b", "c.d").quoted(), "\"a.b\".\"c.d\"");
}

TEST(identifier, LengthLimitIsSixtyThreeBytes) {
  const std::string max(63, 'n');
  EXPECT_EQ(quote_identifier(max), "\"" + max + "\"");
  EXPECT_EQ(ident(max, max).quoted(), "\"" + max + "\".\"" + max + "\"");
  const std::string too_long(64, 'n');
  EXPECT_EQ(usage_message([&] { (void)quote_identifier(too_long); }),
            "identifier \"" + too_long.substr(0, 20) +
                "...\" is 64 bytes long; PostgreSQL would cut it to 63 bytes");
  EXPECT_THROW(ident{too_long}, usage_error);
  EXPECT_THROW(ident(too_long, "t"), usage_error);
  EXPECT_THROW(ident("s", too_long), usage_error);
  // Bytes, not characters: 21 three-byte characters fit, 22 do not.
  std::string check_marks;
  for (int i = 0; i < 21; ++i) check_marks += "\xe2\x9c\x93";
  EXPECT_NO_THROW((void)quote_identifier(check_marks));
  check_marks += "\xe2\x9c\x93";
  EXPECT_THROW((void)quote_identifier(check_marks), usage_error);
  // A doubled quote counts once: the limit is on the name, not its quoted form.
  const std::string quotes(63, '"');
  EXPECT_EQ(quote_identifier(quotes).size(), 2u + 2u * 63u);
}

TEST(identifier, EmptyAndNulNamesAreRejected) {
  EXPECT_EQ(usage_message([] { (void)quote_identifier(""); }),
            "empty identifier: a table or column name cannot be empty");
  EXPECT_THROW(ident{""}, usage_error);
  EXPECT_THROW(ident("", "t"), usage_error);
  EXPECT_THROW(ident("s", ""), usage_error);
  EXPECT_EQ(usage_message([] { (void)quote_identifier(std::string_view("a\0b", 3)); }),
            "identifier contains a NUL byte");
  EXPECT_THROW(ident(std::string("a\0b", 3)), usage_error);
  EXPECT_THROW(ident(std::string_view("\0", 1)), usage_error);
  EXPECT_THROW(ident("s", std::string_view("t\0", 2)), usage_error);
}

}  // namespace
}  // namespace pgwrap::test
