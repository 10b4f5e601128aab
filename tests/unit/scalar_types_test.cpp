// The codecs of pgwrap/types/{numeric,uuid,bytea,json}.hpp: pgwrap::numeric,
// pgwrap::uuid, bytea as std::vector<std::byte> / std::span, pgwrap::json /
// jsonb and nlohmann::json. Text and binary forms both ways. No server needed.
#include <gtest/gtest.h>

#include "hex_bytes.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace pgwrap::test {
namespace {

// --- helpers --------------------------------------------------------------------

template <typename T>
std::string encoded(const T& v, std::string& scratch, param_ref& ref) {
  ref = codec<T>::encode(v, scratch);
  return std::string(ref.data, static_cast<std::size_t>(ref.length));
}

// What the server would get: the parameter read back as a result value.
template <typename T>
T round_trip(const T& v) {
  std::string scratch;
  const param_ref ref = codec<T>::encode(v, scratch);
  EXPECT_NE(ref.data, nullptr);
  const std::string_view data = ref.format == wire_format::binary
                                    ? std::string_view(ref.data, static_cast<std::size_t>(ref.length))
                                    : std::string_view(ref.data);
  return codec<T>::decode(value_view{data, ref.oid, ref.format});
}

template <typename T>
T from_text(std::string_view text, std::uint32_t type) {
  return codec<T>::decode(value_view{text, type, wire_format::text});
}
template <typename T>
T from_binary(std::string_view data, std::uint32_t type) {
  return codec<T>::decode(value_view{data, type, wire_format::binary});
}

std::vector<std::byte> byte_vector(std::string_view s) {
  std::vector<std::byte> out;
  for (const char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

// A reproducible decimal of `digits` digits with the point after `point` of them.
std::string random_decimal(std::mt19937& rng, std::size_t digits, std::size_t point, bool negative) {
  std::uniform_int_distribution<int> d(0, 9);
  std::string s = negative ? "-" : "";
  for (std::size_t i = 0; i < digits; ++i) {
    if (i == point) s += '.';
    int digit = d(rng);
    if (i == 0 && point > 1 && digit == 0) digit = 7;  // no leading zero
    if (i + 1 == digits && digit == 0) digit = 3;      // the scale then shows a non-zero last digit too
    s += static_cast<char>('0' + digit);
  }
  if (point == 0) s.insert(negative ? 1 : 0, "0");
  return s;
}

// --- numeric ----------------------------------------------------------------------

TEST(numeric_codec, ParsingNormalisesAsPostgresqlDoes) {
  // Each expected text is what PostgreSQL 15 prints for the same input.
  const std::pair<const char*, const char*> cases[] = {
      {"0", "0"},
      {"-0", "0"},
      {"-0.00", "0.00"},
      {"+0", "0"},
      {"1.5e-3", "0.0015"},
      {"1.50e1", "15.0"},
      {"1e5", "100000"},
      {"1E+3", "1000"},
      {"+.5", "0.5"},
      {"5.", "5"},
      {"00012.3400", "12.3400"},
      {"0.000", "0.000"},
      {"-0e5", "0"},
      {"0e-5", "0.00000"},
      {"1.2345e2", "123.45"},
      {"-12.3400", "-12.3400"},
      {"123456789012345678901234567890.098765432109876543210", "123456789012345678901234567890.098765432109876543210"},
      {"NaN", "NaN"},
      {"nan", "NaN"},
      {"Infinity", "Infinity"},
      {"inf", "Infinity"},
      {"+INF", "Infinity"},
      {"-INFINITY", "-Infinity"},
      {"-inf", "-Infinity"},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(numeric(in).to_string(), out) << in;
    EXPECT_EQ(numeric(numeric(in).to_string()), numeric(in)) << in << ": canonical text reads as itself";
  }
  EXPECT_EQ(numeric("1.5e-300").to_string(), "0." + std::string(299, '0') + "15");
  EXPECT_EQ(numeric("1e300").to_string(), "1" + std::string(300, '0'));
  EXPECT_EQ(numeric("1.5e-300").scale(), 301);
}

TEST(numeric_codec, RejectsWhatIsNotANumber) {
  for (const char* bad : {"",     ".",    "1e",    "1e+", "e5",  "0x1A", "1_000",     "- 5",     " 12",   "12 ",
                          "+nan", "-NaN", "1.2.3", "--1", "abc", "1,5",  "Infinityx", "infinit", "1e5.5", "١٢"}) {
    EXPECT_THROW(numeric{bad}, conversion_error) << '"' << bad << '"';
    EXPECT_FALSE(numeric::try_parse(bad).has_value()) << '"' << bad << '"';
  }
  try {
    numeric{"12abc"};
    FAIL();
  } catch (const conversion_error& e) {
    EXPECT_STREQ(e.what(), "invalid numeric \"12abc\": not a number");
  }
  EXPECT_EQ(numeric::try_parse("1.50"), numeric("1.50"));
}

TEST(numeric_codec, KeepsPostgresqlLimits) {
  // At most 131072 digits before the point and 16383 after it, as the server.
  EXPECT_EQ(numeric("1e131071").to_string().size(), 131072u);
  EXPECT_THROW(numeric("1e131072"), conversion_error);
  EXPECT_EQ(numeric("1e-16383").scale(), 16383);
  EXPECT_THROW(numeric("1e-16384"), conversion_error);
  EXPECT_THROW(numeric("1e99999999999999999999"), conversion_error);
  EXPECT_EQ(numeric("0.000e131075").to_string(), "0");  // zero has no digits before its point to count
}

TEST(numeric_codec, IntegersAreExact) {
  EXPECT_EQ(numeric().to_string(), "0");
  EXPECT_EQ(numeric(0).to_string(), "0");
  EXPECT_EQ(numeric(std::int8_t{-5}).to_string(), "-5");
  EXPECT_EQ(numeric(std::numeric_limits<std::int64_t>::min()).to_string(), "-9223372036854775808");
  EXPECT_EQ(numeric(std::numeric_limits<std::uint64_t>::max()).to_string(), "18446744073709551615");
  EXPECT_EQ(numeric(std::uint16_t{65535}).to_string(), "65535");
  static_assert(!std::is_constructible_v<numeric, double>);  // no path through double
  static_assert(!std::is_constructible_v<numeric, char>);
  static_assert(!std::is_convertible_v<std::string, numeric>);  // parsing may throw: explicit
  const numeric n = 42;                                         // implicit: an integer always fits
  EXPECT_EQ(n, numeric("42"));
  EXPECT_TRUE(n == 42);
}

TEST(numeric_codec, PropertiesAndEquality) {
  EXPECT_TRUE(numeric("NaN").is_nan());
  EXPECT_FALSE(numeric("NaN").is_infinite());
  EXPECT_TRUE(numeric("-Infinity").is_infinite());
  EXPECT_TRUE(numeric("-Infinity").is_negative());
  EXPECT_TRUE(numeric("Infinity").is_infinite());
  EXPECT_FALSE(numeric("1").is_nan());
  EXPECT_FALSE(numeric("-0.0").is_negative());
  EXPECT_TRUE(numeric("-0.01").is_negative());
  EXPECT_EQ(numeric("1.500").scale(), 3);
  EXPECT_EQ(numeric("NaN").scale(), 0);
  EXPECT_NE(numeric("1.5"), numeric("1.50"));  // scale is part of the value, as in its text
  EXPECT_EQ(numeric("1.50e0"), numeric("1.50"));
  EXPECT_EQ(numeric("NaN"), numeric("nan"));
  std::ostringstream os;
  os << numeric("-1.20");
  EXPECT_EQ(os.str(), "-1.20");
}

TEST(numeric_codec, ToDoubleIsTheOnlyInexactPath) {
  EXPECT_EQ(numeric("0.1").to_double(), 0.1);
  EXPECT_EQ(numeric("-12.3400").to_double(), -12.34);
  EXPECT_EQ(numeric(std::numeric_limits<std::int64_t>::max()).to_double(), 9223372036854775807.0);
  EXPECT_TRUE(std::isnan(numeric("NaN").to_double()));
  EXPECT_EQ(numeric("Infinity").to_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(numeric("-Infinity").to_double(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(numeric("1e-400").to_double(), 0.0);
  EXPECT_TRUE(std::signbit(numeric("-1e-400").to_double()));
  EXPECT_EQ(numeric("1e-310").to_double(), 1e-310);
  EXPECT_THROW((void)numeric("1e400").to_double(), conversion_error);
  EXPECT_THROW((void)numeric("-1e400").to_double(), conversion_error);
}

TEST(numeric_codec, EncodesTheExactBinaryForm) {
  std::string scratch;
  param_ref ref;
  // ndigits, weight, sign, dscale, then base-10000 digits.
  EXPECT_EQ(encoded(numeric("0"), scratch, ref), hex_bytes("0000 0000 0000 0000"));
  EXPECT_EQ(ref.oid, oid::numeric);
  EXPECT_EQ(ref.format, wire_format::binary);
  EXPECT_EQ(encoded(numeric("0.00"), scratch, ref), hex_bytes("0000 0000 0000 0002"));
  EXPECT_EQ(encoded(numeric("-12.3400"), scratch, ref), hex_bytes("0002 0000 4000 0004 000c 0d48"));
  EXPECT_EQ(encoded(numeric("0.0015"), scratch, ref), hex_bytes("0001 ffff 0000 0004 000f"));
  EXPECT_EQ(encoded(numeric("100000"), scratch, ref), hex_bytes("0001 0001 0000 0000 000a"));
  EXPECT_EQ(encoded(numeric("12345.678"), scratch, ref), hex_bytes("0003 0001 0000 0003 0001 0929 1a7c"));
  EXPECT_EQ(encoded(numeric("1e-300"), scratch, ref), hex_bytes("0001 ffb5 0000 012c 0001"));
  EXPECT_EQ(encoded(numeric("NaN"), scratch, ref), hex_bytes("0000 0000 c000 0000"));
  EXPECT_EQ(encoded(numeric("Infinity"), scratch, ref), hex_bytes("0000 0000 d000 0000"));
  EXPECT_EQ(encoded(numeric("-Infinity"), scratch, ref), hex_bytes("0000 0000 f000 0000"));
}

TEST(numeric_codec, DecodesTheBinaryForm) {
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0002 0000 4000 0004 000c 0d48"), oid::numeric).to_string(), "-12.3400");
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0001 ffb5 0000 012c 0001"), oid::numeric), numeric("1e-300"));
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0001 0001 0000 0002 000a"), oid::numeric).to_string(), "100000.00");
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0000 0000 c000 0000"), oid::numeric).to_string(), "NaN");
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0000 0000 d000 0000"), oid::numeric).to_string(), "Infinity");
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0000 0000 f000 0000"), oid::numeric).to_string(), "-Infinity");
  // A negative zero (never sent by the server) is zero; non-normalised zero digits are fine.
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0000 0000 4000 0002"), oid::numeric).to_string(), "0.00");
  EXPECT_EQ(from_binary<numeric>(hex_bytes("0003 0001 4000 0004 0000 0007 0000"), oid::numeric).to_string(), "-7.0000");
  // The integer types' binary forms too.
  EXPECT_EQ(from_binary<numeric>(hex_bytes("ffff"), oid::int2).to_string(), "-1");
  EXPECT_EQ(from_binary<numeric>(hex_bytes("7fffffff"), oid::int4).to_string(), "2147483647");
  EXPECT_EQ(from_binary<numeric>(hex_bytes("8000000000000000"), oid::int8).to_string(), "-9223372036854775808");
}

TEST(numeric_codec, RejectsMalformedBinary) {
  for (const char* bad : {"0000 0000 00",                 // short header
                          "0001 0000 0000 0000",          // a digit missing
                          "0000 0000 0000 0000 0001",     // a byte too many
                          "0000 0000 8000 0000",          // bad sign
                          "0001 0000 0000 0000 2710",     // digit 10000
                          "0001 0000 0000 0000 ffff",     // negative digit
                          "0000 0000 0000 4000",          // scale above 16383
                          "0001 ffff 0000 0002 0d49"}) {  // 0.3401 with scale 2: digits beyond the scale
    EXPECT_THROW(from_binary<numeric>(hex_bytes(bad), oid::numeric), conversion_error) << bad;
  }
  EXPECT_THROW(from_binary<numeric>(hex_bytes("3ff0000000000000"), oid::float8), conversion_error);
  EXPECT_THROW(from_binary<numeric>(hex_bytes("0001"), oid::int4), conversion_error);
  EXPECT_THROW(from_text<numeric>("12 apples", oid::numeric), conversion_error);
}

TEST(numeric_codec, TextAndBinaryRoundTripExactly) {
  std::vector<std::string> values = {"0",
                                     "0.0",
                                     "1",
                                     "-1",
                                     "9999",
                                     "10000",
                                     "-10000.0001",
                                     "0.0001",
                                     "0.00001",
                                     "0.1000",
                                     "123456789.987654321",
                                     "9223372036854775807",
                                     "-18446744073709551616",
                                     "NaN",
                                     "Infinity",
                                     "-Infinity",
                                     "0." + std::string(16382, '0') + "1",
                                     "9" + std::string(131071, '9')};
  std::mt19937 rng(20240611);
  for (const std::size_t point : {1u, 3u, 4u, 5u, 500u, 997u, 1000u}) {
    values.push_back(random_decimal(rng, 1000, point, false));
    values.push_back(random_decimal(rng, 1000, point, true));
  }
  values.push_back(random_decimal(rng, 1000, 0, true));  // -0.ddd...
  for (const std::string& s : values) {
    const numeric n(s);
    EXPECT_EQ(n.to_string(), s);
    EXPECT_EQ(round_trip(n), n) << s.substr(0, 60);
    EXPECT_EQ(from_text<numeric>(s, oid::numeric), n) << s.substr(0, 60);
  }
}

TEST(numeric_codec, ReadsTextOfOtherColumns) {
  EXPECT_EQ(from_text<numeric>("42", oid::int4), numeric(42));
  EXPECT_EQ(from_text<numeric>("1e+100", oid::float8).to_string(), "1" + std::string(100, '0'));
  EXPECT_EQ(from_text<numeric>("-Infinity", oid::float8), numeric("-Infinity"));
  EXPECT_TRUE(codec<numeric>::reads_binary(oid::numeric));
  EXPECT_TRUE(codec<numeric>::reads_binary(oid::int8));
  EXPECT_FALSE(codec<numeric>::reads_binary(oid::float8));
  EXPECT_FALSE(codec<numeric>::reads_binary(oid::text));
  EXPECT_EQ(codec<std::optional<numeric>>::type_oid, oid::numeric);
}

// --- uuid -------------------------------------------------------------------------

constexpr uuid sample = uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
static_assert(sample.bytes()[0] == std::byte{0xa0} && sample.bytes()[15] == std::byte{0x11});
static_assert(uuid().is_nil() && !sample.is_nil());
static_assert(uuid::try_parse("not a uuid") == std::nullopt);
static_assert(uuid(uuid::bytes_type{std::byte{1}}) > uuid());

TEST(uuid_codec, ParsesEveryFormPostgresqlAccepts) {
  for (const char* form : {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                           "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
                           "{A0eebc999c0b4ef8bb6d6bb9bd380a11}", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
                           "a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd38-0a11"}) {
    EXPECT_EQ(uuid::parse(form), sample) << form;
  }
  EXPECT_EQ(sample.to_string(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(uuid().to_string(), "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(uuid::parse("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF").to_string(), "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

TEST(uuid_codec, RejectsOtherForms) {
  for (const char* bad : {"", "{}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",  // 31 digits
                          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",          // 33
                          "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",          // no closing brace
                          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",          // no opening brace
                          "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",          // leading hyphen
                          "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",          // two hyphens
                          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",          // after the last group
                          "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11",          // inside a group
                          "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",           // after 7 digits
                          "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",           // not hex
                          " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",          // whitespace
                          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ", "(a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11)",
                          "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}) {
    EXPECT_THROW((void)uuid::parse(bad), conversion_error) << '"' << bad << '"';
    EXPECT_EQ(uuid::try_parse(bad), std::nullopt) << '"' << bad << '"';
  }
  try {
    (void)uuid::parse("nope");
    FAIL();
  } catch (const conversion_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("invalid uuid \"nope\"", 0), 0u) << e.what();
  }
}

TEST(uuid_codec, OrdersBytewiseAndHashes) {
  const uuid low = uuid::parse("7fffffff-ffff-ffff-ffff-ffffffffffff");
  const uuid high = uuid::parse("80000000-0000-0000-0000-000000000000");
  EXPECT_LT(low, high);  // unsigned bytes, as PostgreSQL's memcmp order
  EXPECT_GT(high, uuid());
  EXPECT_EQ(sample <=> uuid::parse("A0EEBC999C0B4EF8BB6D6BB9BD380A11"), std::strong_ordering::equal);
  std::map<uuid, int> by_id{{high, 2}, {low, 1}};
  EXPECT_EQ(by_id.begin()->first, low);
  std::unordered_set<uuid> ids{low, high, low};
  EXPECT_EQ(ids.size(), 2u);
  std::ostringstream os;
  os << sample;
  EXPECT_EQ(os.str(), sample.to_string());
}

TEST(uuid_codec, BinaryAndTextForms) {
  std::string scratch;
  param_ref ref;
  EXPECT_EQ(encoded(sample, scratch, ref), hex_bytes("a0eebc99 9c0b 4ef8 bb6d 6bb9bd380a11"));
  EXPECT_EQ(ref.oid, oid::uuid);
  EXPECT_EQ(ref.format, wire_format::binary);
  EXPECT_EQ(round_trip(sample), sample);
  EXPECT_EQ(round_trip(uuid()), uuid());
  EXPECT_EQ(from_binary<uuid>(hex_bytes("a0eebc999c0b4ef8bb6d6bb9bd380a11"), oid::uuid), sample);
  EXPECT_EQ(from_text<uuid>("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", oid::uuid), sample);
  EXPECT_EQ(from_text<uuid>("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", oid::text), sample);
  EXPECT_THROW(from_binary<uuid>(hex_bytes("a0eebc999c0b4ef8bb6d6bb9bd380a"), oid::uuid), conversion_error);
  EXPECT_THROW(from_binary<uuid>(hex_bytes("a0eebc999c0b4ef8bb6d6bb9bd380a11"), oid::bytea), conversion_error);
  EXPECT_THROW(from_text<uuid>("a0eebc99", oid::uuid), conversion_error);
  EXPECT_TRUE(codec<uuid>::reads_binary(oid::uuid));
  EXPECT_FALSE(codec<uuid>::reads_binary(oid::text));
}

// --- bytea ------------------------------------------------------------------------

using bytes_t = std::vector<std::byte>;

TEST(bytea_codec, DecodesHexText) {
  EXPECT_EQ(from_text<bytes_t>("\\x", oid::bytea), bytes_t{});
  EXPECT_EQ(from_text<bytes_t>("\\x00ff41", oid::bytea), byte_vector(std::string_view("\0\xff"
                                                                                      "A",
                                                                                      3)));
  EXPECT_EQ(from_text<bytes_t>("\\xDEADbeef", oid::bytea), byte_vector("\xde\xad\xbe\xef"));
  EXPECT_EQ(from_text<bytes_t>("\\x00 01\n02", oid::bytea), byte_vector(std::string_view("\0\1\2", 3)));
  EXPECT_THROW(from_text<bytes_t>("\\x0", oid::bytea), conversion_error);
  EXPECT_THROW(from_text<bytes_t>("\\x0g", oid::bytea), conversion_error);
  EXPECT_THROW(from_text<bytes_t>("\\xzz", oid::bytea), conversion_error);
}

TEST(bytea_codec, DecodesEscapeText) {
  // What the server sends with bytea_output = escape for '\x00015c7f80ff41'.
  EXPECT_EQ(from_text<bytes_t>("\\000\\001\\\\\\177\\200\\377A", oid::bytea),
            byte_vector(std::string_view("\0\1\\\x7f\x80\xff"
                                         "A",
                                         7)));
  EXPECT_EQ(from_text<bytes_t>("", oid::bytea), bytes_t{});
  EXPECT_EQ(from_text<bytes_t>("plain text", oid::bytea), byte_vector("plain text"));
  for (const char* bad : {"\\", "a\\", "\\9", "\\400", "\\01", "\\x"}) {
    if (std::string_view(bad) == "\\x") continue;  // that one is hex: empty
    EXPECT_THROW(from_text<bytes_t>(bad, oid::bytea), conversion_error) << bad;
  }
}

TEST(bytea_codec, BinaryKeepsEveryByte) {
  bytes_t all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::byte>(i));
  all.push_back(std::byte{0});
  std::string scratch;
  param_ref ref;
  const std::string sent = encoded(all, scratch, ref);
  EXPECT_EQ(ref.format, wire_format::binary);
  EXPECT_EQ(ref.oid, oid::bytea);
  EXPECT_EQ(ref.length, 257);
  EXPECT_EQ(byte_vector(sent), all);
  EXPECT_EQ(round_trip(all), all);
  EXPECT_EQ(from_binary<bytes_t>(sent, oid::bytea), all);
  EXPECT_THROW(from_binary<bytes_t>("abc", oid::text), conversion_error);
  std::string hex;
  detail::append_bytea_hex(sent, hex);  // the server's hex text, read back
  EXPECT_EQ(hex.substr(0, 8), "\\x000102");
  EXPECT_EQ(from_text<bytes_t>(hex, oid::bytea), all);
  EXPECT_TRUE(codec<bytes_t>::reads_binary(oid::bytea));
  EXPECT_FALSE(codec<bytes_t>::reads_binary(oid::text));
}

TEST(bytea_codec, EmptyIsNotNull) {
  std::string scratch = "leftover";
  const param_ref ref = codec<bytes_t>::encode(bytes_t{}, scratch);
  EXPECT_NE(ref.data, nullptr);
  EXPECT_EQ(ref.length, 0);
  EXPECT_EQ(ref.format, wire_format::binary);
  EXPECT_FALSE(param(bytes_t{}).is_null());
  EXPECT_EQ(round_trip(bytes_t{}), bytes_t{});
  const std::span<const std::byte> empty_span;
  EXPECT_NE(codec<std::span<const std::byte>>::encode(empty_span, scratch).data, nullptr);
}

TEST(bytea_codec, SpansAreViews) {
  bytes_t data = byte_vector(std::string_view("a\0b", 3));
  std::string scratch;
  const std::span<const std::byte> view(data);
  const param_ref ref = codec<std::span<const std::byte>>::encode(view, scratch);
  EXPECT_EQ(static_cast<const void*>(ref.data), static_cast<const void*>(data.data()));  // no copy
  EXPECT_EQ(ref.length, 3);
  EXPECT_EQ(ref.oid, oid::bytea);
  const std::span<std::byte, 3> fixed(data.data(), 3);
  EXPECT_EQ((codec<std::span<std::byte, 3>>::encode(fixed, scratch).length), 3);
  const param owned(view);  // a param copies the bytes
  data[0] = std::byte{'z'};
  EXPECT_EQ(owned.data(), std::string_view("a\0b", 3));
  EXPECT_EQ(owned.type_oid(), oid::bytea);
  static_assert(encodable<std::span<const std::byte>>);
  static_assert(encodable<std::span<std::byte>>);
  static_assert(!decodable<std::span<const std::byte>>);
}

// --- json -------------------------------------------------------------------------

TEST(json_codec, WrappersCarryTheTextWithTheirType) {
  EXPECT_EQ(json().text(), "null");
  const json j{R"({"a": [1, 2, {"b": null}]})"};
  EXPECT_EQ(j.text(), R"({"a": [1, 2, {"b": null}]})");
  std::string scratch;
  param_ref ref = codec<json>::encode(j, scratch);
  EXPECT_EQ(ref.oid, oid::json);
  EXPECT_EQ(ref.format, wire_format::text);
  EXPECT_STREQ(ref.data, j.text().c_str());
  const jsonb empty_array{"[]"};
  ref = codec<jsonb>::encode(empty_array, scratch);  // may point into the value: keep it alive
  EXPECT_EQ(ref.oid, oid::jsonb);
  EXPECT_STREQ(ref.data, "[]");
  EXPECT_EQ(jsonb(j).text(), j.text());
  EXPECT_NE(json{"{\"a\":1}"}, json{"{\"a\": 1}"});  // text, not JSON equality
  EXPECT_THROW(codec<json>::encode(json{std::string("\"a\0\"", 4)}, scratch), conversion_error);
  EXPECT_EQ(round_trip(j), j);
  std::ostringstream os;
  os << jsonb{"{}"};
  EXPECT_EQ(os.str(), "{}");
}

TEST(json_codec, ReadsTextAndBothBinaryForms) {
  EXPECT_EQ(from_text<json>(R"({"b":1,"a":2})", oid::json).text(), R"({"b":1,"a":2})");
  EXPECT_EQ(from_text<jsonb>(R"({"a": 2, "b": 1})", oid::jsonb).text(), R"({"a": 2, "b": 1})");
  EXPECT_EQ(from_binary<json>(R"({"b":1})", oid::json).text(), R"({"b":1})");        // json binary: the text
  EXPECT_EQ(from_binary<json>("\x01{\"b\": 1}", oid::jsonb).text(), R"({"b": 1})");  // jsonb: version 1, text
  EXPECT_EQ(from_binary<jsonb>("\x01[]", oid::jsonb).text(), "[]");
  EXPECT_EQ(from_binary<jsonb>("[1]", oid::text).text(), "[1]");
  EXPECT_THROW(from_binary<jsonb>("\x02[]", oid::jsonb), conversion_error);
  EXPECT_THROW(from_binary<jsonb>("", oid::jsonb), conversion_error);
  EXPECT_THROW(from_binary<json>("\x01\x02", oid::bytea), conversion_error);
  EXPECT_TRUE(codec<json>::reads_binary(oid::json));
  EXPECT_TRUE(codec<json>::reads_binary(oid::jsonb));
  EXPECT_TRUE(codec<jsonb>::reads_binary(oid::text));
  EXPECT_FALSE(codec<jsonb>::reads_binary(oid::bytea));
}

#if PGWRAP_HAS_NLOHMANN_JSON
TEST(json_codec, NlohmannJsonBothWays) {
  const nlohmann::json j = {{"name", "Ünïcødé ✓"}, {"list", {1, 2.5, nullptr, true, "x"}}, {"nested", {{"k", {}}}}};
  std::string scratch;
  const param_ref ref = codec<nlohmann::json>::encode(j, scratch);
  EXPECT_EQ(ref.oid, oid::jsonb);
  EXPECT_EQ(ref.format, wire_format::text);
  EXPECT_EQ(std::string(ref.data), j.dump());
  EXPECT_EQ(round_trip(j), j);
  EXPECT_EQ(from_text<nlohmann::json>(R"({"a": [1, 2]})", oid::jsonb), nlohmann::json::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(from_binary<nlohmann::json>("\x01{\"a\": 1}", oid::jsonb), (nlohmann::json{{"a", 1}}));
  EXPECT_EQ(from_binary<nlohmann::json>("[true]", oid::json), nlohmann::json::array({true}));
  EXPECT_THROW(from_text<nlohmann::json>("{not json", oid::json), conversion_error);
  EXPECT_THROW(codec<nlohmann::json>::encode(nlohmann::json("\xff\xfe"), scratch), conversion_error);  // not UTF-8
  const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(R"({"z": 1, "a": 2})");
  EXPECT_STREQ(codec<nlohmann::ordered_json>::encode(ordered, scratch).data, R"({"z":1,"a":2})");
  EXPECT_EQ(round_trip(ordered), ordered);
  EXPECT_TRUE(codec<nlohmann::json>::reads_binary(oid::jsonb));
}
#endif

}  // namespace
}  // namespace pgwrap::test
