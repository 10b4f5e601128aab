// Values no honest PostgreSQL sends, which the decoder fuzzer
// (tests/fuzz/decoder_harness.hpp) found the decoders mishandling: each
// test pins one fix. The fuzzer's corpus (unit.decoder_corpus) replays the
// same inputs with the allocation bound checked.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pgwrap::test {
namespace {

std::string be16(std::uint16_t v) {
  std::string out;
  detail::store_be(v, out);
  return out;
}

std::string be64(std::int64_t v) {
  std::string out;
  detail::store_be(v, out);
  return out;
}

// numeric's binary form: ndigits, weight, sign, dscale, then the base-10000 digits.
std::string numeric_bytes(std::uint16_t ndigits, std::int16_t weight, std::uint16_t sign, std::uint16_t dscale,
                          const std::vector<std::uint16_t>& digits) {
  std::string out = be16(ndigits) + be16(static_cast<std::uint16_t>(weight)) + be16(sign) + be16(dscale);
  for (const auto d : digits) out += be16(d);
  return out;
}

std::string read_numeric(const std::string& bytes) {
  return codec<numeric>::decode({bytes, oid::numeric, wire_format::binary}).to_string();
}

std::string numeric_error(const std::string& bytes) {
  try {
    (void)codec<numeric>::decode({bytes, oid::numeric, wire_format::binary});
  } catch (const conversion_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no conversion_error";
  return {};
}

constexpr std::uint16_t positive = 0x0000;
constexpr std::uint16_t negative = 0x4000;

// Found by the fuzzer: a 10-byte numeric whose digit lies 131072 places
// after the point (weight -32768) made a 131072-character fraction, and a
// zero with weight 32767 a 131072-character integer part, before either was
// looked at. The digits are now checked against the scale first, and only
// the text of a valid value is built, at its exact size.
TEST(hostile_values, NumericDigitsBeyondTheScaleAreRejectedBeforeAnythingIsBuilt) {
  EXPECT_NE(numeric_error(numeric_bytes(1, -32768, positive, 0, {1})).find("digits beyond its scale"),
            std::string::npos);
  EXPECT_NE(numeric_error(numeric_bytes(1, -32768, positive, 16383, {1})).find("digits beyond its scale"),
            std::string::npos);
  EXPECT_NE(numeric_error(numeric_bytes(2, 0, positive, 2, {1, 5})).find("digits beyond its scale"), std::string::npos);
  EXPECT_NE(numeric_error(numeric_bytes(1, -1, positive, 3, {1})).find("digits beyond its scale"), std::string::npos);
  EXPECT_NE(numeric_error(numeric_bytes(1, 0, positive, 0xFFFF, {1})).find("invalid scale"), std::string::npos);
  EXPECT_NE(numeric_error(numeric_bytes(1, 0, positive, 0, {10000})).find("invalid base-10000 digit"),
            std::string::npos);
}

TEST(hostile_values, NumericTextIsExactAtEveryWeightAndScale) {
  EXPECT_EQ(read_numeric(numeric_bytes(2, 0, positive, 4, {1, 5})), "1.0005");
  EXPECT_EQ(read_numeric(numeric_bytes(2, 0, positive, 3, {1, 5000})), "1.500");
  EXPECT_EQ(read_numeric(numeric_bytes(1, -1, positive, 4, {1})), "0.0001");
  EXPECT_EQ(read_numeric(numeric_bytes(1, -1, positive, 3, {1000})), "0.100");
  EXPECT_EQ(read_numeric(numeric_bytes(1, -2, negative, 8, {12})), "-0.00000012");
  EXPECT_EQ(read_numeric(numeric_bytes(3, 1, negative, 6, {12, 3456, 7800})), "-123456.780000");
  EXPECT_EQ(read_numeric(numeric_bytes(3, 2, negative, 4, {0, 0, 12})), "-12.0000");  // leading zero digits
  EXPECT_EQ(read_numeric(numeric_bytes(1, 0, negative, 2, {0})), "0.00");             // no negative zero
  EXPECT_EQ(read_numeric(numeric_bytes(0, 32767, negative, 0, {})), "0");
  EXPECT_EQ(read_numeric(numeric_bytes(0, -32768, positive, 0x3FFF, {})), "0." + std::string(16383, '0'));
  // The largest integer part there is: 131072 digits, from 10 bytes.
  EXPECT_EQ(read_numeric(numeric_bytes(1, 32767, positive, 0, {9999})), "9999" + std::string(131068, '0'));
  EXPECT_EQ(read_numeric(numeric_bytes(1, 32767, positive, 2, {1})), "1" + std::string(131068, '0') + ".00");
  EXPECT_EQ(read_numeric(numeric_bytes(2, 0, positive, 0, {7, 0})), "7");
}

template <typename T>
std::string timestamp_error(std::int64_t pg, std::uint32_t type) {
  const std::string bytes = be64(pg);
  try {
    (void)codec<T>::decode({bytes, type, wire_format::binary});
  } catch (const conversion_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no conversion_error for " << pg;
  return {};
}

// Found by the fuzzer: the inline path for a binary timestamp read into
// microseconds took any 8 bytes but ±infinity, so a value outside
// PostgreSQL's range (e.g. 290279 BC) read as a time_point that the slow
// path, and every other duration, rejects.
TEST(hostile_values, BinaryTimestampsOutsidePostgresRangeAreErrorsInEveryDuration) {
  using std::chrono::local_time;
  using std::chrono::microseconds;
  using std::chrono::sys_time;
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  for (const std::int64_t pg : {min + 1, detail::pg_timestamp_min - 1, detail::pg_timestamp_max + 1,
                                std::numeric_limits<std::int64_t>::max() - 1}) {
    const std::string range = "outside PostgreSQL's timestamp range";
    EXPECT_NE(timestamp_error<local_time<microseconds>>(pg, oid::timestamp).find(range), std::string::npos) << pg;
    EXPECT_NE(timestamp_error<sys_time<microseconds>>(pg, oid::timestamptz).find(range), std::string::npos) << pg;
    EXPECT_NE(timestamp_error<std::chrono::sys_seconds>(pg, oid::timestamptz).find(range), std::string::npos) << pg;
  }
  // The limits themselves are PostgreSQL timestamps; the latest is past what
  // sys_time<microseconds> holds (294247 AD), and says so.
  EXPECT_NE(timestamp_error<sys_time<microseconds>>(detail::pg_timestamp_max, oid::timestamptz)
                .find("outside the range of std::chrono::sys_time<std::chrono::microseconds>"),
            std::string::npos);
  const std::string earliest = be64(detail::pg_timestamp_min);
  EXPECT_EQ(codec<local_time<microseconds>>::decode({earliest, oid::timestamp, wire_format::binary})
                .time_since_epoch()
                .count(),
            detail::pg_timestamp_min + detail::pg_epoch_micros);
}

}  // namespace
}  // namespace pgwrap::test
