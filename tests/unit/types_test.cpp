// The built-in codecs (pgwrap::codec<T>) of pgwrap/types/core.hpp, the
// type-erased pgwrap::param and identifier quoting. No server needed.
#include <gtest/gtest.h>

#include "hex_bytes.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <ostream>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pgwrap {
// Failure messages name the format instead of dumping its bytes.
static void PrintTo(wire_format f, std::ostream* os) { *os << (f == wire_format::binary ? "binary" : "text"); }
}  // namespace pgwrap

namespace pgwrap::test {
namespace {

// --- helpers --------------------------------------------------------------------

struct encoded {
  std::string data;  // copied out of the param_ref: the text, or the binary bytes
  bool null = false;
  std::uint32_t oid = 0;
  wire_format format = wire_format::text;
  std::int32_t length = 0;
};

template <typename T>
encoded encode(const T& v) {
  std::string scratch;
  const param_ref ref = codec<detail::codec_type<T>>::encode(v, scratch);
  encoded out;
  out.null = ref.data == nullptr;
  out.oid = ref.oid;
  out.format = ref.format;
  out.length = ref.length;
  if (!out.null) {
    out.data = ref.format == wire_format::binary ? std::string(ref.data, static_cast<std::size_t>(ref.length))
                                                 : std::string(ref.data);
  }
  return out;
}

// A result value as the server sends it. Text is read the same whatever the
// column's type, so text values default to a text column.
value_view text_value(std::string_view text, std::uint32_t type = oid::text) { return {text, type, wire_format::text}; }
value_view binary_value(std::string_view data, std::uint32_t type) { return {data, type, wire_format::binary}; }

template <typename T>
T decode(std::string_view text) {
  return codec<T>::decode(text_value(text));
}
template <typename T>
T decode_binary(std::string_view data, std::uint32_t type) {
  return codec<T>::decode(binary_value(data, type));
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
  return conversion_message([&] { (void)decode<T>(text); });
}
template <typename T>
std::string binary_decode_error(std::string_view data, std::uint32_t type) {
  return conversion_message([&] { (void)decode_binary<T>(data, type); });
}

// --- param_ref and value_view --------------------------------------------------------

TEST(codec, ParamRefFactories) {
  const char* text = "42";
  const param_ref t = param_ref::text(text, oid::int4);
  EXPECT_EQ(t.data, text);
  EXPECT_EQ(t.oid, oid::int4);
  EXPECT_EQ(t.length, 0);
  EXPECT_EQ(t.format, wire_format::text);

  const std::string data = hex_bytes("00 00 00 2a");
  const param_ref b = param_ref::binary(data, oid::int4);
  EXPECT_EQ(b.data, data.data());
  EXPECT_EQ(b.oid, oid::int4);
  EXPECT_EQ(b.length, 4);  // the NUL bytes count
  EXPECT_EQ(b.format, wire_format::binary);

  const param_ref n = param_ref::null(oid::float8);
  EXPECT_EQ(n.data, nullptr);
  EXPECT_EQ(n.oid, oid::float8);
  EXPECT_EQ(n.length, 0);
  EXPECT_EQ(n.format, wire_format::text);

  const param_ref defaulted;
  EXPECT_EQ(defaulted.data, nullptr);
  EXPECT_EQ(defaulted.oid, oid::unknown);
  EXPECT_EQ(defaulted.format, wire_format::text);
  EXPECT_EQ(static_cast<int>(wire_format::text), 0);  // libpq's format codes
  EXPECT_EQ(static_cast<int>(wire_format::binary), 1);
}

// --- bool --------------------------------------------------------------------------

TEST(codec, Bool) {
  const encoded t = encode(true);
  EXPECT_EQ(t.data, hex_bytes("01"));
  EXPECT_EQ(t.format, wire_format::binary);
  EXPECT_EQ(t.length, 1);
  EXPECT_EQ(t.oid, oid::boolean);
  EXPECT_FALSE(t.null);
  const encoded f = encode(false);
  EXPECT_EQ(f.data, hex_bytes("00"));  // one NUL byte, not an empty value
  EXPECT_EQ(f.format, wire_format::binary);
  EXPECT_EQ(f.length, 1);
  EXPECT_EQ(f.oid, oid::boolean);
  EXPECT_FALSE(f.null);

  EXPECT_TRUE(decode<bool>("t"));
  EXPECT_TRUE(decode<bool>("true"));
  EXPECT_FALSE(decode<bool>("f"));
  EXPECT_FALSE(decode<bool>("false"));
  EXPECT_EQ(decode_error<bool>("yes"), "cannot read \"yes\" as bool: not a boolean (expected t or f)");
  EXPECT_EQ(decode_error<bool>(""), "cannot read \"\" as bool: not a boolean (expected t or f)");
  EXPECT_EQ(decode_error<bool>("1"), "cannot read \"1\" as bool: not a boolean (expected t or f)");
  EXPECT_EQ(decode_error<bool>("T"), "cannot read \"T\" as bool: not a boolean (expected t or f)");
}

TEST(codec, BoolDecodesBinary) {
  EXPECT_TRUE(decode_binary<bool>(hex_bytes("01"), oid::boolean));
  EXPECT_FALSE(decode_binary<bool>(hex_bytes("00"), oid::boolean));
  EXPECT_TRUE(decode_binary<bool>(hex_bytes("02"), oid::boolean));  // any nonzero byte, as the server's boolrecv
  for (const bool b : {true, false}) {
    const encoded e = encode(b);
    EXPECT_EQ(decode_binary<bool>(e.data, e.oid), b);
  }
  EXPECT_EQ(binary_decode_error<bool>("", oid::boolean),
            "cannot read a binary boolean value as bool: 0 bytes where 1 were expected");
  EXPECT_EQ(binary_decode_error<bool>(hex_bytes("01 00"), oid::boolean),
            "cannot read a binary boolean value as bool: 2 bytes where 1 were expected");
  // Another type's binary form is not a boolean, even when its bytes would pass.
  EXPECT_EQ(binary_decode_error<bool>(hex_bytes("00 00 00 01"), oid::int4),
            "cannot read a binary integer value as bool: not a boolean type");
  EXPECT_EQ(binary_decode_error<bool>(hex_bytes("01"), oid::char_),
            "cannot read a binary \"char\" value as bool: not a boolean type");
  EXPECT_EQ(binary_decode_error<bool>(hex_bytes("74"), oid::text),
            "cannot read a binary text value as bool: not a boolean type");
}

// --- integers -----------------------------------------------------------------------

TEST(codec, SignedIntegersEncodeAsBigEndianBinaryWithTheSmallestFittingOid) {
  struct encode_case {
    encoded actual;
    std::string bytes;
    std::uint32_t oid;
  };
  const std::vector<encode_case> cases = {
      {encode(std::int16_t{-32768}), hex_bytes("80 00"), oid::int2},
      {encode(std::int16_t{7}), hex_bytes("00 07"), oid::int2},
      {encode(std::int32_t{0}), hex_bytes("00 00 00 00"), oid::int4},  // NUL bytes are data
      {encode(std::int32_t{-42}), hex_bytes("ff ff ff d6"), oid::int4},
      {encode(std::int32_t{0x01020304}), hex_bytes("01 02 03 04"), oid::int4},  // most significant byte first
      {encode(std::numeric_limits<std::int32_t>::max()), hex_bytes("7f ff ff ff"), oid::int4},
      {encode(std::numeric_limits<std::int32_t>::min()), hex_bytes("80 00 00 00"), oid::int4},
      {encode(std::numeric_limits<std::int64_t>::min()), hex_bytes("80 00 00 00 00 00 00 00"), oid::int8},
      {encode(std::numeric_limits<std::int64_t>::max()), hex_bytes("7f ff ff ff ff ff ff ff"), oid::int8},
      {encode(std::int64_t{1}), hex_bytes("00 00 00 00 00 00 00 01"), oid::int8},
      {encode(std::int64_t{3000000000}), hex_bytes("00 00 00 00 b2 d0 5e 00"), oid::int8},
      {encode(std::int8_t{-128}), hex_bytes("ff 80"), oid::int2},
      {encode(std::int8_t{1}), hex_bytes("00 01"), oid::int2},
      {encode(1LL), hex_bytes("00 00 00 00 00 00 00 01"), oid::int8},
      {encode(1L), sizeof(long) == 8 ? hex_bytes("00 00 00 00 00 00 00 01") : hex_bytes("00 00 00 01"),
       sizeof(long) == 8 ? oid::int8 : oid::int4},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const encode_case& c = cases[i];
    EXPECT_EQ(c.actual.data, c.bytes);
    EXPECT_EQ(c.actual.length, static_cast<std::int32_t>(c.bytes.size()));
    EXPECT_EQ(c.actual.format, wire_format::binary);
    EXPECT_EQ(c.actual.oid, c.oid);
    EXPECT_FALSE(c.actual.null);
  }
}

TEST(codec, UnsignedIntegersEncodeIntoATypeThatHoldsEveryValue) {
  const encoded u8 = encode(std::uint8_t{255});
  EXPECT_EQ(u8.data, hex_bytes("00 ff"));  // 255 as smallint, not -1
  EXPECT_EQ(u8.oid, oid::int2);
  EXPECT_EQ(u8.format, wire_format::binary);
  const encoded u16 = encode(std::uint16_t{65535});
  EXPECT_EQ(u16.data, hex_bytes("00 00 ff ff"));
  EXPECT_EQ(u16.oid, oid::int4);
  EXPECT_EQ(u16.format, wire_format::binary);
  const encoded u32 = encode(std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(u32.data, hex_bytes("00 00 00 00 ff ff ff ff"));
  EXPECT_EQ(u32.oid, oid::int8);
  EXPECT_EQ(u32.format, wire_format::binary);
  EXPECT_EQ(u32.length, 8);
  // uint64 may exceed bigint: it goes as numeric text.
  const encoded u64 = encode(std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(u64.data, "18446744073709551615");
  EXPECT_EQ(u64.oid, oid::numeric);
  EXPECT_EQ(u64.format, wire_format::text);
  EXPECT_FALSE(u64.null);
  EXPECT_EQ(encode(std::uint64_t{0}).data, "0");
  EXPECT_EQ(encode(std::uint64_t{1}).oid, oid::numeric);
  EXPECT_EQ(encode(std::uint64_t{1}).format, wire_format::text);
}

TEST(codec, IntegersDecode) {
  EXPECT_EQ(decode<std::int16_t>("-32768"), -32768);
  EXPECT_EQ(decode<std::int16_t>("32767"), 32767);
  EXPECT_EQ(decode<std::int32_t>("-2147483648"), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(decode<std::int32_t>("0"), 0);
  EXPECT_EQ(decode<std::int64_t>("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(decode<std::int64_t>("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(decode<std::uint8_t>("255"), 255);
  EXPECT_EQ(decode<std::uint16_t>("65535"), 65535);
  EXPECT_EQ(decode<std::uint32_t>("4294967295"), std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(decode<std::uint64_t>("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(decode<std::uint64_t>("0"), 0u);
  EXPECT_EQ(decode<std::int8_t>("-128"), -128);
}

TEST(codec, TextIsReadTheSameWhateverTheColumnType) {
  for (const std::uint32_t type : {oid::int2, oid::int4, oid::int8, oid::numeric, oid::text, oid::unknown}) {
    SCOPED_TRACE(type);
    EXPECT_EQ(codec<int>::decode(text_value("42", type)), 42);
    EXPECT_EQ(codec<std::uint64_t>::decode(text_value("42", type)), 42u);
    EXPECT_EQ(codec<double>::decode(text_value("42", type)), 42.0);
    EXPECT_EQ(codec<std::string>::decode(text_value("42", type)), "42");
  }
  EXPECT_EQ(codec<double>::decode(text_value("0.1", oid::numeric)), 0.1);
  EXPECT_EQ(codec<float>::decode(text_value("0.1", oid::float8)), 0.1f);
  EXPECT_TRUE(codec<bool>::decode(text_value("t", oid::boolean)));
  EXPECT_EQ(conversion_message([] { (void)codec<int>::decode(text_value("abc", oid::int4)); }),
            "cannot read \"abc\" as int32: not a number");
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
      {decode_error<std::int64_t>("9223372036854775808"), "cannot read \"9223372036854775808\" as int64: out of range"},
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

TEST(codec, IntegersDecodeBinaryOfEveryWidth) {
  // smallint
  EXPECT_EQ(decode_binary<std::int16_t>(hex_bytes("80 00"), oid::int2), -32768);
  EXPECT_EQ(decode_binary<std::int16_t>(hex_bytes("7f ff"), oid::int2), 32767);
  EXPECT_EQ(decode_binary<std::int32_t>(hex_bytes("ff ff"), oid::int2), -1);  // sign-extended
  EXPECT_EQ(decode_binary<std::int64_t>(hex_bytes("ff 80"), oid::int2), -128);
  EXPECT_EQ(decode_binary<std::int8_t>(hex_bytes("ff 80"), oid::int2), -128);
  EXPECT_EQ(decode_binary<std::uint8_t>(hex_bytes("00 ff"), oid::int2), 255);
  EXPECT_EQ(decode_binary<std::uint64_t>(hex_bytes("01 02"), oid::int2), 0x0102u);
  // integer
  EXPECT_EQ(decode_binary<std::int32_t>(hex_bytes("01 02 03 04"), oid::int4), 0x01020304);
  EXPECT_EQ(decode_binary<std::int32_t>(hex_bytes("80 00 00 00"), oid::int4), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(decode_binary<std::int32_t>(hex_bytes("ff ff ff d6"), oid::int4), -42);
  EXPECT_EQ(decode_binary<std::int64_t>(hex_bytes("ff ff ff ff"), oid::int4), -1);
  EXPECT_EQ(decode_binary<std::int16_t>(hex_bytes("ff ff 80 00"), oid::int4), -32768);  // fits: no error
  EXPECT_EQ(decode_binary<std::uint16_t>(hex_bytes("00 00 ff ff"), oid::int4), 65535);
  EXPECT_EQ(decode_binary<std::uint32_t>(hex_bytes("7f ff ff ff"), oid::int4), 2147483647u);
  // bigint
  EXPECT_EQ(decode_binary<std::int64_t>(hex_bytes("80 00 00 00 00 00 00 00"), oid::int8),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(decode_binary<std::int64_t>(hex_bytes("7f ff ff ff ff ff ff ff"), oid::int8),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(decode_binary<std::int64_t>(hex_bytes("00 00 00 00 b2 d0 5e 00"), oid::int8), 3000000000);
  EXPECT_EQ(decode_binary<std::int32_t>(hex_bytes("ff ff ff ff 80 00 00 00"), oid::int8),
            std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(decode_binary<std::int16_t>(hex_bytes("00 00 00 00 00 00 00 07"), oid::int8), 7);
  EXPECT_EQ(decode_binary<std::uint32_t>(hex_bytes("00 00 00 00 ff ff ff ff"), oid::int8),
            std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(decode_binary<std::uint32_t>(hex_bytes("00 00 00 00 b2 d0 5e 00"), oid::int8), 3000000000u);
  EXPECT_EQ(decode_binary<std::uint64_t>(hex_bytes("7f ff ff ff ff ff ff ff"), oid::int8),
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(decode_binary<std::uint64_t>(hex_bytes("00 00 00 00 00 00 00 00"), oid::int8), 0u);
}

template <typename T>
void expect_binary_round_trip(T value) {
  const encoded e = encode(value);
  ASSERT_EQ(e.format, wire_format::binary);
  EXPECT_EQ(decode_binary<T>(e.data, e.oid), value);
}

TEST(codec, IntegersSurviveTheTripThroughTheirBinaryForm) {
  for (const std::int8_t v : {std::int8_t{-128}, std::int8_t{0}, std::int8_t{127}}) expect_binary_round_trip(v);
  for (const std::int16_t v : {std::int16_t{-32768}, std::int16_t{-1}, std::int16_t{32767}}) {
    expect_binary_round_trip(v);
  }
  for (const std::int32_t v :
       {std::numeric_limits<std::int32_t>::min(), -1, 0, 0x01020304, std::numeric_limits<std::int32_t>::max()}) {
    expect_binary_round_trip(v);
  }
  for (const std::int64_t v : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}, std::int64_t{3000000000},
                               std::numeric_limits<std::int64_t>::max()}) {
    expect_binary_round_trip(v);
  }
  for (const std::uint8_t v : {std::uint8_t{0}, std::uint8_t{128}, std::uint8_t{255}}) expect_binary_round_trip(v);
  for (const std::uint16_t v : {std::uint16_t{0}, std::uint16_t{32768}, std::uint16_t{65535}}) {
    expect_binary_round_trip(v);
  }
  for (const std::uint32_t v : {0u, 2147483648u, 4294967295u}) expect_binary_round_trip(v);
  // uint64 goes as numeric text, and comes back from it.
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(codec<std::uint64_t>::decode(text_value(encode(big).data, oid::numeric)), big);
}

TEST(codec, BinaryIntegersAreRangeChecked) {
  struct error_case {
    std::string message;
    std::string expected;
  };
  const std::vector<error_case> cases = {
      {binary_decode_error<std::int32_t>(hex_bytes("00 00 00 00 b2 d0 5e 00"), oid::int8),
       "cannot read a binary bigint value as int32: 3000000000 is out of range"},
      {binary_decode_error<std::int32_t>(hex_bytes("ff ff ff ff 7f ff ff ff"), oid::int8),
       "cannot read a binary bigint value as int32: -2147483649 is out of range"},
      {binary_decode_error<std::int16_t>(hex_bytes("00 00 9c 40"), oid::int4),
       "cannot read a binary integer value as int16: 40000 is out of range"},
      {binary_decode_error<std::int16_t>(hex_bytes("00 00 00 00 00 00 80 00"), oid::int8),
       "cannot read a binary bigint value as int16: 32768 is out of range"},
      {binary_decode_error<std::int8_t>(hex_bytes("ff 7f"), oid::int2),
       "cannot read a binary smallint value as int8_t: -129 is out of range"},
      {binary_decode_error<std::int8_t>(hex_bytes("00 80"), oid::int2),
       "cannot read a binary smallint value as int8_t: 128 is out of range"},
      // negative into unsigned
      {binary_decode_error<std::uint8_t>(hex_bytes("ff ff"), oid::int2),
       "cannot read a binary smallint value as uint8_t: -1 is out of range"},
      {binary_decode_error<std::uint16_t>(hex_bytes("ff ff"), oid::int2),
       "cannot read a binary smallint value as uint16: -1 is out of range"},
      {binary_decode_error<std::uint32_t>(hex_bytes("80 00 00 00"), oid::int4),
       "cannot read a binary integer value as uint32: -2147483648 is out of range"},
      {binary_decode_error<std::uint64_t>(hex_bytes("ff ff ff ff ff ff ff ff"), oid::int8),
       "cannot read a binary bigint value as uint64: -1 is out of range"},
      {binary_decode_error<std::uint64_t>(hex_bytes("80 00 00 00 00 00 00 00"), oid::int8),
       "cannot read a binary bigint value as uint64: -9223372036854775808 is out of range"},
      // too big for the unsigned type
      {binary_decode_error<std::uint8_t>(hex_bytes("01 00"), oid::int2),
       "cannot read a binary smallint value as uint8_t: 256 is out of range"},
      {binary_decode_error<std::uint16_t>(hex_bytes("00 01 00 00"), oid::int4),
       "cannot read a binary integer value as uint16: 65536 is out of range"},
      {binary_decode_error<std::uint32_t>(hex_bytes("00 00 00 01 00 00 00 00"), oid::int8),
       "cannot read a binary bigint value as uint32: 4294967296 is out of range"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.message, c.expected);
}

TEST(codec, BinaryIntegersOfTheWrongSizeOrTypeAreErrors) {
  struct error_case {
    std::string message;
    std::string expected;
  };
  const std::vector<error_case> cases = {
      // the size the type OID promises
      {binary_decode_error<std::int32_t>(hex_bytes("00 2a"), oid::int4),
       "cannot read a binary integer value as int32: 2 bytes where 4 were expected"},
      {binary_decode_error<std::int16_t>(hex_bytes("00 00 00 2a"), oid::int2),
       "cannot read a binary smallint value as int16: 4 bytes where 2 were expected"},
      {binary_decode_error<std::int64_t>("", oid::int8),
       "cannot read a binary bigint value as int64: 0 bytes where 8 were expected"},
      {binary_decode_error<std::int64_t>(hex_bytes("00 00 00 00 00 00 00 00 2a"), oid::int8),
       "cannot read a binary bigint value as int64: 9 bytes where 8 were expected"},
      {binary_decode_error<std::uint64_t>(hex_bytes("00 00 2a"), oid::int8),
       "cannot read a binary bigint value as uint64: 3 bytes where 8 were expected"},
      {binary_decode_error<std::uint8_t>(hex_bytes("2a"), oid::int2),
       "cannot read a binary smallint value as uint8_t: 1 bytes where 2 were expected"},
      // binary forms that are not integers
      {binary_decode_error<std::int32_t>(hex_bytes("01"), oid::boolean),
       "cannot read a binary boolean value as int32: not an integer type"},
      {binary_decode_error<std::int64_t>(hex_bytes("3f f0 00 00 00 00 00 00"), oid::float8),
       "cannot read a binary double precision value as int64: not an integer type"},
      {binary_decode_error<std::int64_t>(hex_bytes("00 01 ff ff 00 00 00 01 13 88"), oid::numeric),  // 0.5
       "cannot read a binary numeric value as int64: not integral (it has a non-zero fraction)"},
      {binary_decode_error<std::uint32_t>(hex_bytes("00 00 00 2a"), oid::oid),
       "cannot read a binary oid value as uint32: not an integer type"},
      {binary_decode_error<std::int32_t>(hex_bytes("00 00 00 2a"), oid::text),
       "cannot read a binary text value as int32: not an integer type"},
      {binary_decode_error<std::uint16_t>(hex_bytes("00 00 00 2a"), 99999),
       "cannot read a binary type 99999 value as uint16: not an integer type"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.message, c.expected);
}

// --- floating point --------------------------------------------------------------------

TEST(codec, DoubleEncodesAsBigEndianFloat8) {
  struct encode_case {
    double value;
    std::string_view name;
    std::string bytes;
  };
  const std::vector<encode_case> cases = {
      {0.1, "0.1", hex_bytes("3f b9 99 99 99 99 99 9a")},
      {1.0, "1", hex_bytes("3f f0 00 00 00 00 00 00")},
      {-2.5, "-2.5", hex_bytes("c0 04 00 00 00 00 00 00")},
      {0.0, "0", hex_bytes("00 00 00 00 00 00 00 00")},
      {-0.0, "-0", hex_bytes("80 00 00 00 00 00 00 00")},
      {1.0 / 3.0, "1/3", hex_bytes("3f d5 55 55 55 55 55 55")},
      {123456789.0, "123456789", hex_bytes("41 9d 6f 34 54 00 00 00")},
      {1e300, "1e300", hex_bytes("7e 37 e4 3c 88 00 75 9c")},
      {5e-324, "5e-324", hex_bytes("00 00 00 00 00 00 00 01")},
      {std::numeric_limits<double>::max(), "max", hex_bytes("7f ef ff ff ff ff ff ff")},
      {std::numeric_limits<double>::quiet_NaN(), "NaN", hex_bytes("7f f8 00 00 00 00 00 00")},
      {std::numeric_limits<double>::infinity(), "Infinity", hex_bytes("7f f0 00 00 00 00 00 00")},
      {-std::numeric_limits<double>::infinity(), "-Infinity", hex_bytes("ff f0 00 00 00 00 00 00")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const encoded e = encode(c.value);
    EXPECT_EQ(e.data, c.bytes);
    EXPECT_EQ(e.length, 8);
    EXPECT_EQ(e.format, wire_format::binary);
    EXPECT_EQ(e.oid, oid::float8);
    EXPECT_FALSE(e.null);
  }
  // Every double survives the trip through its binary form, bit for bit.
  for (const double v :
       {0.1, 0.2 + 0.1, 1.0 / 3.0, 6.02214076e23, 1e-310, -123.456e-7, -0.0, std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest(), std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    const encoded e = encode(v);
    const double back = decode_binary<double>(e.data, e.oid);
    EXPECT_EQ(back, v);
    EXPECT_EQ(std::signbit(back), std::signbit(v)) << v;
  }
  EXPECT_TRUE(std::isnan(decode_binary<double>(encode(std::numeric_limits<double>::quiet_NaN()).data, oid::float8)));
}

TEST(codec, FloatEncodesAsBigEndianFloat4) {
  struct encode_case {
    float value;
    std::string_view name;
    std::string bytes;
  };
  const std::vector<encode_case> cases = {
      {0.1f, "0.1", hex_bytes("3d cc cc cd")},
      {1.0f / 3.0f, "1/3", hex_bytes("3e aa aa ab")},
      {-0.0f, "-0", hex_bytes("80 00 00 00")},
      {16777216.0f, "16777216", hex_bytes("4b 80 00 00")},
      {std::numeric_limits<float>::max(), "max", hex_bytes("7f 7f ff ff")},
      {std::numeric_limits<float>::quiet_NaN(), "NaN", hex_bytes("7f c0 00 00")},
      {std::numeric_limits<float>::infinity(), "Infinity", hex_bytes("7f 80 00 00")},
      {-std::numeric_limits<float>::infinity(), "-Infinity", hex_bytes("ff 80 00 00")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const encoded e = encode(c.value);
    EXPECT_EQ(e.data, c.bytes);
    EXPECT_EQ(e.length, 4);
    EXPECT_EQ(e.format, wire_format::binary);
    EXPECT_EQ(e.oid, oid::float4);
    EXPECT_FALSE(e.null);
  }
  for (const float v :
       {0.1f, 3.14159265f, 1e-40f, std::numeric_limits<float>::max(), -0.0f, -std::numeric_limits<float>::infinity()}) {
    const encoded e = encode(v);
    const float back = decode_binary<float>(e.data, e.oid);
    EXPECT_EQ(back, v);
    EXPECT_EQ(std::signbit(back), std::signbit(v)) << v;
    EXPECT_EQ(decode_binary<double>(e.data, e.oid), static_cast<double>(v));  // float4 widens exactly
  }
}

TEST(codec, DoubleAndFloatDecode) {
  EXPECT_EQ(decode<double>("0.1"), 0.1);
  EXPECT_EQ(decode<double>("-2.5e-3"), -2.5e-3);
  EXPECT_EQ(decode<double>("1e+300"), 1e300);
  EXPECT_EQ(decode<double>("42"), 42.0);
  EXPECT_TRUE(std::isnan(decode<double>("NaN")));
  EXPECT_EQ(decode<double>("Infinity"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(decode<double>("-Infinity"), -std::numeric_limits<double>::infinity());
  const double negative_zero = decode<double>("-0");
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
  EXPECT_EQ(decode<float>("0.1"), 0.1f);
  EXPECT_TRUE(std::isnan(decode<float>("NaN")));
  EXPECT_EQ(decode<float>("Infinity"), std::numeric_limits<float>::infinity());
  EXPECT_EQ(decode<float>("-Infinity"), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::signbit(decode<float>("-0")));
}

TEST(codec, DoubleAndFloatErrors) {
  EXPECT_EQ(decode_error<double>("abc"), "cannot read \"abc\" as double: not a number");
  EXPECT_EQ(decode_error<double>(""), "cannot read \"\" as double: not a number");
  EXPECT_EQ(decode_error<double>("1.5x"), "cannot read \"1.5x\" as double: not a number");
  EXPECT_EQ(decode_error<double>("1e400"), "cannot read \"1e400\" as double: out of range");
  EXPECT_EQ(decode_error<float>("1e300"), "cannot read \"1e300\" as float: out of range");
  EXPECT_EQ(decode_error<float>("x"), "cannot read \"x\" as float: not a number");
}

TEST(codec, DoubleAndFloatDecodeBinary) {
  const double inf = std::numeric_limits<double>::infinity();
  // float8 into double
  EXPECT_EQ(decode_binary<double>(hex_bytes("3f b9 99 99 99 99 99 9a"), oid::float8), 0.1);
  EXPECT_EQ(decode_binary<double>(hex_bytes("c0 04 00 00 00 00 00 00"), oid::float8), -2.5);
  EXPECT_EQ(decode_binary<double>(hex_bytes("00 00 00 00 00 00 00 01"), oid::float8), 5e-324);
  EXPECT_TRUE(std::isnan(decode_binary<double>(hex_bytes("7f f8 00 00 00 00 00 00"), oid::float8)));
  EXPECT_TRUE(std::isnan(decode_binary<double>(hex_bytes("ff f8 00 00 00 00 00 01"), oid::float8)));  // any NaN
  EXPECT_EQ(decode_binary<double>(hex_bytes("7f f0 00 00 00 00 00 00"), oid::float8), inf);
  EXPECT_EQ(decode_binary<double>(hex_bytes("ff f0 00 00 00 00 00 00"), oid::float8), -inf);
  const double zero = decode_binary<double>(hex_bytes("00 00 00 00 00 00 00 00"), oid::float8);
  EXPECT_EQ(zero, 0.0);
  EXPECT_FALSE(std::signbit(zero));
  const double negative_zero = decode_binary<double>(hex_bytes("80 00 00 00 00 00 00 00"), oid::float8);
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
  // float4 into double: widened exactly
  EXPECT_EQ(decode_binary<double>(hex_bytes("3d cc cc cd"), oid::float4), static_cast<double>(0.1f));
  EXPECT_TRUE(std::isnan(decode_binary<double>(hex_bytes("7f c0 00 00"), oid::float4)));
  EXPECT_EQ(decode_binary<double>(hex_bytes("7f 80 00 00"), oid::float4), inf);
  EXPECT_EQ(decode_binary<double>(hex_bytes("ff 80 00 00"), oid::float4), -inf);
  EXPECT_TRUE(std::signbit(decode_binary<double>(hex_bytes("80 00 00 00"), oid::float4)));
  // float4 into float
  const float finf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(decode_binary<float>(hex_bytes("3d cc cc cd"), oid::float4), 0.1f);
  EXPECT_EQ(decode_binary<float>(hex_bytes("7f 7f ff ff"), oid::float4), std::numeric_limits<float>::max());
  EXPECT_TRUE(std::isnan(decode_binary<float>(hex_bytes("7f c0 00 00"), oid::float4)));
  EXPECT_EQ(decode_binary<float>(hex_bytes("7f 80 00 00"), oid::float4), finf);
  EXPECT_EQ(decode_binary<float>(hex_bytes("ff 80 00 00"), oid::float4), -finf);
  const float negative_zero_f = decode_binary<float>(hex_bytes("80 00 00 00"), oid::float4);
  EXPECT_EQ(negative_zero_f, 0.0f);
  EXPECT_TRUE(std::signbit(negative_zero_f));
  // float8 into float: rounded to the nearest float, the special values kept
  EXPECT_EQ(decode_binary<float>(hex_bytes("3f b9 99 99 99 99 99 9a"), oid::float8), 0.1f);
  EXPECT_EQ(decode_binary<float>(hex_bytes("c0 04 00 00 00 00 00 00"), oid::float8), -2.5f);
  EXPECT_TRUE(std::isnan(decode_binary<float>(hex_bytes("7f f8 00 00 00 00 00 00"), oid::float8)));
  EXPECT_EQ(decode_binary<float>(hex_bytes("7f f0 00 00 00 00 00 00"), oid::float8), finf);
  EXPECT_EQ(decode_binary<float>(hex_bytes("ff f0 00 00 00 00 00 00"), oid::float8), -finf);
  EXPECT_TRUE(std::signbit(decode_binary<float>(hex_bytes("80 00 00 00 00 00 00 00"), oid::float8)));
}

TEST(codec, BinaryFloatingPointErrors) {
  struct error_case {
    std::string message;
    std::string expected;
  };
  const std::vector<error_case> cases = {
      // a finite double beyond float's range is an error, not infinity
      {binary_decode_error<float>(hex_bytes("7e 37 e4 3c 88 00 75 9c"), oid::float8),
       "cannot read a binary double precision value as float: out of range"},
      {binary_decode_error<float>(hex_bytes("fe 37 e4 3c 88 00 75 9c"), oid::float8),
       "cannot read a binary double precision value as float: out of range"},
      {binary_decode_error<float>(hex_bytes("7f ef ff ff ff ff ff ff"), oid::float8),
       "cannot read a binary double precision value as float: out of range"},
      // the size the type OID promises
      {binary_decode_error<double>(hex_bytes("3f f0 00 00"), oid::float8),
       "cannot read a binary double precision value as double: 4 bytes where 8 were expected"},
      {binary_decode_error<double>(hex_bytes("3f f0 00 00 00 00 00 00"), oid::float4),
       "cannot read a binary real value as double: 8 bytes where 4 were expected"},
      {binary_decode_error<float>("", oid::float4),
       "cannot read a binary real value as float: 0 bytes where 4 were expected"},
      {binary_decode_error<float>(hex_bytes("3f f0 00 00 00 00 00"), oid::float8),
       "cannot read a binary double precision value as float: 7 bytes where 8 were expected"},
      // binary forms that are not floating point
      {binary_decode_error<double>(hex_bytes("00 00 00 2a"), oid::int4),
       "cannot read a binary integer value as double: not a floating-point type"},
      {binary_decode_error<double>(hex_bytes("00 00 00 00 00 00 00 2a"), oid::int8),
       "cannot read a binary bigint value as double: not a floating-point type"},
      {binary_decode_error<float>(hex_bytes("00 01 00 00 00 00 00 00 00 2a"), oid::numeric),
       "cannot read a binary numeric value as float: not a floating-point type"},
      {binary_decode_error<double>(hex_bytes("31"), oid::text),
       "cannot read a binary text value as double: not a floating-point type"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.message, c.expected);
}

// --- strings ------------------------------------------------------------------------------

TEST(codec, StringsAreSentAsUnknownSoTheServerInfersTheType) {
  const std::string s = "Al Bert";
  const encoded e = encode(s);
  EXPECT_EQ(e.data, "Al Bert");
  EXPECT_EQ(e.oid, oid::unknown);
  EXPECT_EQ(e.format, wire_format::text);
  EXPECT_EQ(encode(std::string()).data, "");
  EXPECT_FALSE(encode(std::string()).null);  // an empty string is not NULL
  EXPECT_EQ(encode(std::string()).format, wire_format::text);
  EXPECT_EQ(encode(std::string_view("abcdef").substr(1, 3)).data, "bcd");  // not NUL-terminated
  EXPECT_EQ(encode(std::string_view("x")).oid, oid::unknown);
  EXPECT_EQ(encode(std::string_view("x")).format, wire_format::text);
  EXPECT_EQ(encode("literal").data, "literal");
  EXPECT_EQ(encode("literal").oid, oid::unknown);
  EXPECT_EQ(encode("literal").format, wire_format::text);
  EXPECT_EQ(encode(std::string("\xc3\xbcn\xc3\xaf"
                               "c\xc3\xb8"
                               "d\xc3\xa9 \xe2\x9c\x93"))
                .data,
            "\xc3\xbcn\xc3\xaf"
            "c\xc3\xb8"
            "d\xc3\xa9 \xe2\x9c\x93");
}

// A default-constructed std::string_view has a null data(); it is still the
// empty string, not NULL (and must not reach memchr as a null pointer, which
// UBSan reports: see ./dev test --asan).
TEST(codec, DefaultConstructedStringViewIsTheEmptyString) {
  const encoded e = encode(std::string_view());
  EXPECT_FALSE(e.null);
  EXPECT_EQ(e.data, "");
  EXPECT_EQ(e.oid, oid::unknown);
  EXPECT_EQ(e.format, wire_format::text);
  const param p = std::string_view();
  EXPECT_FALSE(p.is_null());
  EXPECT_EQ(p.data(), "");
  EXPECT_EQ(p.format(), wire_format::text);
}

TEST(codec, StdStringIsSentWithoutACopy) {
  const std::string s = "no copy";
  std::string scratch;
  const param_ref ref = codec<std::string>::encode(s, scratch);
  EXPECT_EQ(ref.data, s.c_str());
  EXPECT_EQ(ref.format, wire_format::text);
}

TEST(codec, ConstCharPointer) {
  const char* c = "c string";
  std::string scratch;
  const param_ref ref = codec<const char*>::encode(c, scratch);
  EXPECT_EQ(ref.data, c);  // passed as is
  EXPECT_EQ(ref.oid, oid::unknown);
  EXPECT_EQ(ref.format, wire_format::text);
  const char* null_string = nullptr;
  EXPECT_TRUE(encode(null_string).null);
  EXPECT_EQ(encode(null_string).oid, oid::unknown);
  char buffer[] = "mutable";
  char* mutable_string = buffer;
  EXPECT_EQ(encode(mutable_string).data, "mutable");
  EXPECT_EQ(encode(mutable_string).format, wire_format::text);
}

TEST(codec, StringsDecode) {
  EXPECT_EQ(decode<std::string>("abc"), "abc");
  EXPECT_EQ(decode<std::string>(""), "");
  const std::string_view source = "view";
  const std::string_view viewed = codec<std::string_view>::decode(text_value(source));
  EXPECT_EQ(viewed, "view");
  EXPECT_EQ(viewed.data(), source.data());  // a view of the same memory
  // Any column's text is a string.
  EXPECT_EQ(codec<std::string>::decode(text_value("42", oid::int4)), "42");
  EXPECT_EQ(codec<std::string>::decode(text_value("2024-01-02", oid::date)), "2024-01-02");
}

TEST(codec, StringsDecodeTheBinaryFormOfTextTypes) {
  // The binary form of these types is their text.
  for (const std::uint32_t type : {oid::text, oid::varchar, oid::bpchar, oid::name, oid::json}) {
    SCOPED_TRACE(type);
    const std::string data = "Al Bert  ";
    EXPECT_EQ(decode_binary<std::string>(data, type), "Al Bert  ");  // bpchar's padding kept
    const std::string_view viewed = decode_binary<std::string_view>(data, type);
    EXPECT_EQ(viewed, "Al Bert  ");
    EXPECT_EQ(viewed.data(), data.data());
    EXPECT_EQ(decode_binary<std::string>("", type), "");
  }
  EXPECT_EQ(decode_binary<std::string>("x", oid::char_), "x");
  EXPECT_EQ(decode_binary<std::string>("{\"a\": 1}", oid::json), "{\"a\": 1}");

  // jsonb: a version byte (1), then the text.
  const std::string jsonb = hex_bytes("01") + "{\"a\": 1}";
  EXPECT_EQ(decode_binary<std::string>(jsonb, oid::jsonb), "{\"a\": 1}");
  const std::string_view viewed = decode_binary<std::string_view>(jsonb, oid::jsonb);
  EXPECT_EQ(viewed, "{\"a\": 1}");
  EXPECT_EQ(viewed.data(), jsonb.data() + 1);
  EXPECT_EQ(decode_binary<std::string>(hex_bytes("01"), oid::jsonb), "");
  EXPECT_EQ(codec<std::optional<std::string>>::decode(binary_value(jsonb, oid::jsonb)),
            std::optional<std::string>("{\"a\": 1}"));
}

TEST(codec, StringsRejectBinaryFormsThatAreNotText) {
  struct error_case {
    std::string message;
    std::string expected;
  };
  const std::vector<error_case> cases = {
      {binary_decode_error<std::string>(hex_bytes("02") + "{}", oid::jsonb),
       "cannot read a binary jsonb value as std::string: unknown jsonb version"},
      {binary_decode_error<std::string>(hex_bytes("00") + "{}", oid::jsonb),
       "cannot read a binary jsonb value as std::string: unknown jsonb version"},
      {binary_decode_error<std::string>("", oid::jsonb),
       "cannot read a binary jsonb value as std::string: unknown jsonb version"},
      {binary_decode_error<std::string_view>("{}", oid::jsonb),
       "cannot read a binary jsonb value as std::string_view: unknown jsonb version"},
      {binary_decode_error<std::string>(hex_bytes("00 00 00 2a"), oid::int4),
       "cannot read a binary integer value as std::string: its binary form is not text"},
      {binary_decode_error<std::string_view>(hex_bytes("de ad"), oid::bytea),
       "cannot read a binary bytea value as std::string_view: its binary form is not text"},
      {binary_decode_error<std::string>(hex_bytes("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"), oid::uuid),
       "cannot read a binary uuid value as std::string: its binary form is not text"},
      {binary_decode_error<std::string>(hex_bytes("01"), oid::boolean),
       "cannot read a binary boolean value as std::string: its binary form is not text"},
      {binary_decode_error<std::string>("abc", oid::unknown),
       "cannot read a binary type 0 value as std::string: its binary form is not text"},
  };
  for (const auto& c : cases) EXPECT_EQ(c.message, c.expected);
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
  EXPECT_EQ(encode(nullptr).length, 0);
  EXPECT_TRUE(encode(std::nullopt).null);
  EXPECT_EQ(encode(std::nullopt).oid, oid::unknown);
  EXPECT_EQ(encode(std::nullopt).length, 0);
}

TEST(codec, OptionalIsNullWhenEmptyAndTheValueOtherwise) {
  // An empty optional is a NULL of the value type's OID, so `SELECT %s` still works.
  EXPECT_TRUE(encode(std::optional<int>{}).null);
  EXPECT_EQ(encode(std::optional<int>{}).oid, oid::int4);
  EXPECT_EQ(encode(std::optional<std::int64_t>{}).oid, oid::int8);
  EXPECT_EQ(encode(std::optional<std::int16_t>{}).oid, oid::int2);
  EXPECT_EQ(encode(std::optional<std::uint32_t>{}).oid, oid::int8);
  EXPECT_EQ(encode(std::optional<std::uint64_t>{}).oid, oid::numeric);
  EXPECT_EQ(encode(std::optional<bool>{}).oid, oid::boolean);
  EXPECT_EQ(encode(std::optional<double>{}).oid, oid::float8);
  EXPECT_EQ(encode(std::optional<float>{}).oid, oid::float4);
  EXPECT_TRUE(encode(std::optional<std::string>{}).null);
  EXPECT_EQ(encode(std::optional<std::string>{}).oid, oid::unknown);
  EXPECT_EQ(codec<std::optional<int>>::type_oid, oid::int4);
  EXPECT_EQ(codec<std::optional<std::string>>::type_oid, oid::unknown);

  // A present value is encoded exactly as the value itself.
  const encoded seven = encode(std::optional<int>{7});
  EXPECT_FALSE(seven.null);
  EXPECT_EQ(seven.data, hex_bytes("00 00 00 07"));
  EXPECT_EQ(seven.format, wire_format::binary);
  EXPECT_EQ(seven.oid, oid::int4);
  EXPECT_EQ(encode(std::optional<std::string>{"x"}).data, "x");
  EXPECT_EQ(encode(std::optional<std::string>{"x"}).format, wire_format::text);
  const encoded tenth = encode(std::optional<double>{0.1});
  EXPECT_EQ(tenth.data, hex_bytes("3f b9 99 99 99 99 99 9a"));
  EXPECT_EQ(tenth.format, wire_format::binary);
  EXPECT_EQ(tenth.oid, oid::float8);
  EXPECT_EQ(encode(std::optional<bool>{false}).data, hex_bytes("00"));
  EXPECT_EQ(encode(std::optional<std::uint64_t>{5}).data, "5");

  EXPECT_EQ(decode<std::optional<int>>("5"), std::optional<int>(5));
  EXPECT_EQ(decode<std::optional<std::string>>(""), std::optional<std::string>(""));
  EXPECT_EQ(conversion_message([] { (void)decode<std::optional<int>>("x"); }),
            "cannot read \"x\" as int32: not a number");
  EXPECT_EQ(decode_binary<std::optional<int>>(hex_bytes("00 00 00 05"), oid::int4), std::optional<int>(5));
  EXPECT_EQ(decode_binary<std::optional<std::int16_t>>(hex_bytes("ff ff"), oid::int2), std::optional<std::int16_t>(-1));
  EXPECT_EQ(binary_decode_error<std::optional<int>>(hex_bytes("00 00 00 00 b2 d0 5e 00"), oid::int8),
            "cannot read a binary bigint value as int32: 3000000000 is out of range");
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

// --- which binary results each codec reads --------------------------------------------------------

// The OIDs of every built-in type, in pgwrap::oid's order.
const std::vector<std::uint32_t>& every_oid() {
  static const std::vector<std::uint32_t> oids = {
      oid::unknown, oid::boolean,   oid::bytea,       oid::char_,    oid::name,    oid::int8,   oid::int2,    oid::int4,
      oid::text,    oid::oid,       oid::json,        oid::float4,   oid::float8,  oid::bpchar, oid::varchar, oid::date,
      oid::time,    oid::timestamp, oid::timestamptz, oid::interval, oid::numeric, oid::uuid,   oid::jsonb,   99999};
  return oids;
}

// The column types whose binary form T's codec reads.
template <typename T>
std::vector<std::uint32_t> binary_oids() {
  std::vector<std::uint32_t> out;
  for (const std::uint32_t type : every_oid()) {
    if (detail::reads_binary<T>(type)) out.push_back(type);
  }
  return out;
}

using oids = std::vector<std::uint32_t>;

TEST(codec, ReadsBinaryTruthTable) {
  const oids integers = {oid::int8, oid::int2, oid::int4, oid::numeric};  // numeric when integral
  EXPECT_EQ(binary_oids<std::int8_t>(), integers);
  EXPECT_EQ(binary_oids<std::int16_t>(), integers);
  EXPECT_EQ(binary_oids<std::int32_t>(), integers);
  EXPECT_EQ(binary_oids<std::int64_t>(), integers);
  EXPECT_EQ(binary_oids<long>(), integers);
  EXPECT_EQ(binary_oids<long long>(), integers);
  EXPECT_EQ(binary_oids<std::uint8_t>(), integers);
  EXPECT_EQ(binary_oids<std::uint16_t>(), integers);
  EXPECT_EQ(binary_oids<std::uint32_t>(), integers);
  EXPECT_EQ(binary_oids<std::uint64_t>(), integers);

  EXPECT_EQ(binary_oids<bool>(), oids{oid::boolean});
  EXPECT_EQ(binary_oids<double>(), (oids{oid::float4, oid::float8}));
  EXPECT_EQ(binary_oids<float>(), oids{oid::float4});

  const oids text_types = {oid::char_, oid::name, oid::text, oid::json, oid::bpchar, oid::varchar, oid::jsonb};
  EXPECT_EQ(binary_oids<std::string>(), text_types);
  EXPECT_EQ(binary_oids<std::string_view>(), text_types);

  // std::optional<T> reads what T reads.
  EXPECT_EQ(binary_oids<std::optional<int>>(), integers);
  EXPECT_EQ(binary_oids<std::optional<bool>>(), oids{oid::boolean});
  EXPECT_EQ(binary_oids<std::optional<double>>(), (oids{oid::float4, oid::float8}));
  EXPECT_EQ(binary_oids<std::optional<std::string>>(), text_types);

  // Codecs that only send read nothing.
  EXPECT_EQ(binary_oids<const char*>(), oids{});
  EXPECT_EQ(binary_oids<std::nullptr_t>(), oids{});
  EXPECT_EQ(binary_oids<std::nullopt_t>(), oids{});

  // The member itself, as the codecs declare it.
  EXPECT_TRUE(codec<int>::reads_binary(oid::int8));
  EXPECT_TRUE(codec<int>::reads_binary(oid::numeric));  // when integral (else conversion_error)
  EXPECT_FALSE(codec<int>::reads_binary(oid::float8));
  EXPECT_TRUE(codec<bool>::reads_binary(oid::boolean));
  EXPECT_FALSE(codec<bool>::reads_binary(oid::int2));
  EXPECT_TRUE(codec<double>::reads_binary(oid::float4));
  EXPECT_FALSE(codec<float>::reads_binary(oid::float8));
  EXPECT_TRUE(codec<std::string>::reads_binary(oid::jsonb));
  EXPECT_FALSE(codec<std::string_view>::reads_binary(oid::bytea));
}

// Whatever a codec says it reads in binary, it does read: a round trip from
// an encoded value of each such type.
TEST(codec, ReadsBinaryPromisesAreKept) {
  EXPECT_EQ(decode_binary<int>(encode(std::int16_t{-5}).data, oid::int2), -5);
  EXPECT_EQ(decode_binary<int>(encode(-5).data, oid::int4), -5);
  EXPECT_EQ(decode_binary<int>(encode(std::int64_t{-5}).data, oid::int8), -5);
  EXPECT_EQ(decode_binary<double>(encode(2.5f).data, oid::float4), 2.5);
  EXPECT_EQ(decode_binary<double>(encode(2.5).data, oid::float8), 2.5);
  EXPECT_EQ(decode_binary<float>(encode(2.5f).data, oid::float4), 2.5f);
  EXPECT_TRUE(decode_binary<bool>(encode(true).data, oid::boolean));
  for (const std::uint32_t type : binary_oids<std::string>()) {
    SCOPED_TRACE(type);
    const std::string data = type == oid::jsonb ? hex_bytes("01") + "x" : std::string("x");
    EXPECT_EQ(decode_binary<std::string>(data, type), "x");
  }
}

// --- param ------------------------------------------------------------------------------------

TEST(param, HoldsTheEncodedValue) {
  const param i = 10;
  EXPECT_FALSE(i.is_null());
  EXPECT_EQ(i.data(), hex_bytes("00 00 00 0a"));
  EXPECT_EQ(i.format(), wire_format::binary);
  EXPECT_EQ(i.type_oid(), oid::int4);
  EXPECT_EQ(i.ref().data, i.data().data());
  EXPECT_EQ(i.ref().length, 4);
  EXPECT_EQ(i.ref().format, wire_format::binary);
  EXPECT_EQ(i.ref().oid, oid::int4);

  const param s = "Al Bert";
  EXPECT_FALSE(s.is_null());
  EXPECT_EQ(s.data(), "Al Bert");
  EXPECT_EQ(s.format(), wire_format::text);
  EXPECT_EQ(s.type_oid(), oid::unknown);
  EXPECT_STREQ(s.ref().data, "Al Bert");
  EXPECT_EQ(s.ref().format, wire_format::text);
  EXPECT_EQ(s.ref().oid, oid::unknown);

  const param b = true;
  EXPECT_EQ(b.data(), hex_bytes("01"));
  EXPECT_EQ(b.format(), wire_format::binary);
  EXPECT_EQ(b.type_oid(), oid::boolean);

  const param d = 0.1;
  EXPECT_EQ(d.data(), hex_bytes("3f b9 99 99 99 99 99 9a"));
  EXPECT_EQ(d.format(), wire_format::binary);
  EXPECT_EQ(d.type_oid(), oid::float8);

  const param nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(nan.data(), hex_bytes("7f f8 00 00 00 00 00 00"));
  EXPECT_EQ(nan.format(), wire_format::binary);

  const param big = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(big.data(), "18446744073709551615");
  EXPECT_EQ(big.format(), wire_format::text);
  EXPECT_EQ(big.type_oid(), oid::numeric);
  EXPECT_STREQ(big.ref().data, "18446744073709551615");

  const param empty = std::string();
  EXPECT_FALSE(empty.is_null());
  EXPECT_EQ(empty.data(), "");
  EXPECT_EQ(empty.format(), wire_format::text);
  ASSERT_NE(empty.ref().data, nullptr);
  EXPECT_STREQ(empty.ref().data, "");
}

// Binary values are bytes, NUL included: nothing may measure them with strlen.
TEST(param, HoldsBinaryValuesWithTheirNulBytes) {
  const param zero = 0;
  EXPECT_EQ(zero.data(), hex_bytes("00 00 00 00"));
  EXPECT_EQ(zero.data().size(), 4u);
  EXPECT_EQ(zero.ref().length, 4);
  EXPECT_FALSE(zero.is_null());  // zero is not NULL

  const param no = false;
  EXPECT_EQ(no.data(), hex_bytes("00"));
  EXPECT_EQ(no.ref().length, 1);
  EXPECT_EQ(no.ref().format, wire_format::binary);
  EXPECT_FALSE(no.is_null());

  const param big = std::int64_t{0x0100000000000000};
  EXPECT_EQ(big.data(), hex_bytes("01 00 00 00 00 00 00 00"));
  EXPECT_EQ(big.ref().length, 8);
  EXPECT_EQ(big.type_oid(), oid::int8);

  const param negative_zero = -0.0;
  EXPECT_EQ(negative_zero.data(), hex_bytes("80 00 00 00 00 00 00 00"));
  EXPECT_EQ(negative_zero.ref().length, 8);

  const param small = std::int16_t{-2};
  EXPECT_EQ(small.data(), hex_bytes("ff fe"));
  EXPECT_EQ(small.type_oid(), oid::int2);
  EXPECT_EQ(small.ref().length, 2);

  const param real = 1.0f;
  EXPECT_EQ(real.data(), hex_bytes("3f 80 00 00"));
  EXPECT_EQ(real.type_oid(), oid::float4);
  EXPECT_EQ(real.ref().length, 4);

  // What the param sends reads back as the value.
  const param_ref r = zero.ref();
  EXPECT_EQ(codec<int>::decode(binary_value({r.data, static_cast<std::size_t>(r.length)}, r.oid)), 0);
  const param_ref rb = big.ref();
  EXPECT_EQ(codec<std::int64_t>::decode(binary_value({rb.data, static_cast<std::size_t>(rb.length)}, rb.oid)),
            std::int64_t{0x0100000000000000});
}

TEST(param, Nulls) {
  for (const param& p : {param(nullptr), param(std::nullopt), param(std::optional<std::string>{}),
                         param(static_cast<const char*>(nullptr)), param(std::optional<int>{})}) {
    EXPECT_TRUE(p.is_null());
    EXPECT_EQ(p.data(), "");
    EXPECT_EQ(p.ref().data, nullptr);
    EXPECT_EQ(p.ref().length, 0);
    EXPECT_EQ(p.ref().format, wire_format::text);
  }
}

TEST(param, NullOptionalKeepsTheElementTypeOid) {
  struct null_case {
    param p;
    std::uint32_t oid;
  };
  const std::vector<null_case> cases = {
      {std::optional<int>{}, oid::int4},
      {std::optional<std::int16_t>{}, oid::int2},
      {std::optional<std::int64_t>{}, oid::int8},
      {std::optional<std::uint8_t>{}, oid::int2},
      {std::optional<std::uint16_t>{}, oid::int4},
      {std::optional<std::uint32_t>{}, oid::int8},
      {std::optional<std::uint64_t>{}, oid::numeric},
      {std::optional<bool>{}, oid::boolean},
      {std::optional<double>{}, oid::float8},
      {std::optional<float>{}, oid::float4},
      {std::optional<std::string>{}, oid::unknown},
      {std::optional<std::string_view>{}, oid::unknown},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const null_case& c = cases[i];
    EXPECT_TRUE(c.p.is_null());
    EXPECT_EQ(c.p.type_oid(), c.oid);
    EXPECT_EQ(c.p.ref().oid, c.oid);
    EXPECT_EQ(c.p.ref().data, nullptr);
    EXPECT_EQ(c.p.data(), "");
  }
}

TEST(param, OwnsItsTextIndependentlyOfTheSource) {
  std::string source = "original";
  const param p = source;
  source.assign("changed, and long enough to reallocate the buffer");
  EXPECT_EQ(p.data(), "original");

  char buffer[] = "buffer";
  const param from_pointer = static_cast<const char*>(buffer);
  buffer[0] = 'X';
  EXPECT_EQ(from_pointer.data(), "buffer");

  const std::string long_text(1000, 'q');
  param copy = param(long_text);
  const param copied = copy;
  copy = param(1);
  EXPECT_EQ(copied.data(), long_text);
  EXPECT_EQ(copied.ref().data, copied.data().data());
  EXPECT_EQ(copied.format(), wire_format::text);
  EXPECT_EQ(copy.data(), hex_bytes("00 00 00 01"));
  EXPECT_EQ(copy.format(), wire_format::binary);
  EXPECT_EQ(copy.type_oid(), oid::int4);
  EXPECT_EQ(copy.ref().data, copy.data().data());

  // Binary values too: a copy keeps its own bytes.
  param number = param(std::int64_t{-1});
  const param number_copy = number;
  number = param(std::string(100, 'z'));
  EXPECT_EQ(number_copy.data(), hex_bytes("ff ff ff ff ff ff ff ff"));
  EXPECT_EQ(number_copy.format(), wire_format::binary);
  EXPECT_EQ(number_copy.type_oid(), oid::int8);
  EXPECT_EQ(number_copy.ref().data, number_copy.data().data());
  EXPECT_EQ(number_copy.ref().length, 8);
}

TEST(param, CopyingAParamDoesNotWrapIt) {
  const param inner = 5;
  const param outer(inner);  // the copy constructor, not a param of a param
  EXPECT_EQ(outer.data(), hex_bytes("00 00 00 05"));
  EXPECT_EQ(outer.format(), wire_format::binary);
  EXPECT_EQ(outer.type_oid(), oid::int4);
}

TEST(param, EncodesAsItsOwnValue) {
  const param p = 5;
  const encoded e = encode(p);
  EXPECT_EQ(e.data, hex_bytes("00 00 00 05"));
  EXPECT_EQ(e.length, 4);
  EXPECT_EQ(e.format, wire_format::binary);
  EXPECT_EQ(e.oid, oid::int4);
  const encoded text = encode(param("x"));
  EXPECT_EQ(text.data, "x");
  EXPECT_EQ(text.format, wire_format::text);
  const encoded null = encode(param(std::optional<double>{}));
  EXPECT_TRUE(null.null);
  EXPECT_EQ(null.oid, oid::float8);
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
            "identifier \"" + too_long.substr(0, 20) + "...\" is 64 bytes long; PostgreSQL would cut it to 63 bytes");
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
