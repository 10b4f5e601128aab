// pgwrap/types/composite.hpp without a server: record values taken apart in
// text and binary, crafted and hostile bytes, and record literals written.
// (Round trips through a server: tests/integration/composite_test.cpp.)
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace composite_unit {
struct pair {
  std::optional<std::string> a;
  int b = 0;
};
PGWRAP_DESCRIBE(pair, a, b)
}  // namespace composite_unit

namespace pgwrap::test {
namespace {

using composite_unit::pair;
constexpr std::uint32_t pair_oid = 20000;

detail::type_set catalog() {
  detail::type_set types;
  types.add({pair_oid, "pair", 'c', 0, 0, {{"a", oid::text}, {"b", oid::int4}}, "pair", "", ""});
  return types;
}

std::string be32(std::uint32_t v) {
  std::string out;
  detail::store_be(v, out);
  return out;
}

std::string message_of(const value_view& v) {
  try {
    (void)codec<pair>::decode(v);
  } catch (const conversion_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(composite_decode, ReadsTextRecords) {
  const detail::type_set types = catalog();
  const pair p = codec<pair>::decode({R"( ("x ""y"" \z",42) )", pair_oid, wire_format::text, &types});
  EXPECT_EQ(p.a, "x \"y\" z");
  EXPECT_EQ(p.b, 42);
  EXPECT_EQ(codec<pair>::decode({"(,7)", pair_oid, wire_format::text, &types}).a, std::nullopt);
  EXPECT_EQ(codec<pair>::decode({"(\"\",7)", pair_oid, wire_format::text, &types}).a, "");
}

TEST(composite_decode, ReadsBinaryRecords) {
  const detail::type_set types = catalog();
  const std::string bytes = be32(2) + be32(oid::text) + be32(2) + "hi" + be32(oid::int4) + be32(4) + be32(5);
  const pair p = codec<pair>::decode({bytes, pair_oid, wire_format::binary, &types});
  EXPECT_EQ(p.a, "hi");
  EXPECT_EQ(p.b, 5);
  const std::string null_a = be32(2) + be32(oid::text) + be32(0xFFFFFFFF) + be32(oid::int4) + be32(4) + be32(5);
  EXPECT_EQ(codec<pair>::decode({null_a, pair_oid, wire_format::binary, &types}).a, std::nullopt);
}

TEST(composite_decode, RefusesMalformedText) {
  const detail::type_set types = catalog();
  for (const std::string_view bad : {"", "(", "(1", "1,2)", "(a,1)x", "(\"a,1)", "(a,1\\", "(a)", "(a,1,2)", "(a,x)"}) {
    EXPECT_THROW((void)codec<pair>::decode({bad, pair_oid, wire_format::text, &types}), conversion_error) << bad;
  }
}

TEST(composite_decode, RefusesHostileBinary) {
  const detail::type_set types = catalog();
  // A count claiming 2^31-1 attributes in a few bytes fails before any allocation.
  const std::string huge = be32(0x7FFFFFFF) + std::string(36, '\0');
  EXPECT_NE(message_of({huge, pair_oid, wire_format::binary, &types}).find("more attributes than bytes"),
            std::string::npos);
  const std::string negative_count = be32(0x80000000);
  EXPECT_NE(message_of({negative_count, pair_oid, wire_format::binary, &types}).find("negative"), std::string::npos);
  const std::string long_field = be32(2) + be32(oid::text) + be32(1000) + "hi" + be32(oid::int4) + be32(4);
  EXPECT_NE(message_of({long_field, pair_oid, wire_format::binary, &types}).find("longer than the bytes left"),
            std::string::npos);
  const std::string negative_length = be32(2) + be32(oid::text) + be32(0xFFFFFFFE) + be32(oid::int4) + be32(4);
  EXPECT_NE(message_of({negative_length, pair_oid, wire_format::binary, &types}).find("negative attribute length"),
            std::string::npos);
  const std::string wrong_type = be32(2) + be32(oid::int8) + be32(2) + "hi" + be32(oid::int4) + be32(4) + be32(5);
  EXPECT_NE(message_of({wrong_type, pair_oid, wire_format::binary, &types}).find("the catalog says text"),
            std::string::npos);
  const std::string trailing = be32(2) + be32(oid::text) + be32(0) + be32(oid::int4) + be32(4) + be32(5) + "x";
  EXPECT_NE(message_of({trailing, pair_oid, wire_format::binary, &types}).find("bytes after its end"),
            std::string::npos);
  for (std::size_t cut = 0; cut < 24; ++cut) {
    const std::string full = be32(2) + be32(oid::text) + be32(0) + be32(oid::int4) + be32(4) + be32(5);
    EXPECT_THROW(
        (void)codec<pair>::decode({std::string_view(full).substr(0, cut), pair_oid, wire_format::binary, &types}),
        conversion_error)
        << cut;
  }
}

TEST(composite_decode, NeedsTheCatalog) {
  const detail::type_set types = catalog();
  EXPECT_NE(message_of({"(a,1)", pair_oid, wire_format::text, nullptr}).find("without the catalog"), std::string::npos);
  EXPECT_NE(message_of({"(a,1)", pair_oid + 1, wire_format::text, &types}).find("not in the type catalog"),
            std::string::npos);
  EXPECT_NE(message_of({"(a,1)", detail::record_oid, wire_format::text, &types}).find("anonymous record"),
            std::string::npos);
}

TEST(composite_decode, WritesRecordLiterals) {
  EXPECT_EQ(to_string(pair{"a b", 1}), "(\"a b\",1)");
  EXPECT_EQ(to_string(pair{std::nullopt, -2}), "(,-2)");
  EXPECT_EQ(to_string(pair{"", 0}), "(\"\",0)");
  EXPECT_EQ(to_string(pair{"q\"\\", 0}), "(\"q\"\"\\\\\",0)");
  std::string scratch;
  const param_ref p = codec<pair>::encode(pair{"x", 3}, scratch);
  EXPECT_EQ(p.oid, oid::unknown);
  EXPECT_EQ(p.format, wire_format::text);
  EXPECT_STREQ(p.data, "(x,3)");
}

// What the engine does once it knows the parameter's type: the late writer
// places members by attribute name, for arrays too.
TEST(composite_decode, WritesRecordLiteralsByAttributeName) {
  detail::type_set types = catalog();
  constexpr std::uint32_t reversed_oid = 20001;
  constexpr std::uint32_t reversed_array_oid = 20002;
  constexpr std::uint32_t other_oid = 20003;
  types.add({reversed_oid, "reversed", 'c', 0, 0, {{"b", oid::int4}, {"a", oid::text}}, "reversed", "", ""});
  types.add({reversed_array_oid, "reversed[]", 'b', reversed_oid, 0, {}, "_reversed", "", ""});
  types.add({other_oid, "other", 'c', 0, 0, {{"a", oid::text}, {"c", oid::int4}}, "other", "", ""});
  std::string scratch;
  const pair value{"x y", 3};
  const param_ref p = codec<pair>::encode(value, scratch);
  ASSERT_NE(p.late_write, nullptr);
  std::string out;
  ASSERT_TRUE(p.late_write(p.late_source, reversed_oid, types, out));
  EXPECT_EQ(out, "(3,\"x y\")");
  EXPECT_FALSE(p.late_write(p.late_source, oid::text, types, out));  // no composite: declaration order stays
  const std::vector<std::optional<pair>> many{value, std::nullopt};
  const param_ref array = codec<std::vector<std::optional<pair>>>::encode(many, scratch);
  ASSERT_NE(array.late_write, nullptr);
  ASSERT_TRUE(array.late_write(array.late_source, reversed_array_oid, types, out));
  EXPECT_EQ(out, "{\"(3,\\\"x y\\\")\",NULL}");
  // Arrays of anything else carry no late writer: they cost the engine nothing.
  EXPECT_EQ(codec<std::vector<int>>::encode({1, 2}, scratch).late_write, nullptr);
  try {
    (void)p.late_write(p.late_source, other_oid, types, out);
    ADD_FAILURE() << "no error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("has no attribute \"b\" for member b"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("composite_unit::pair"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pgwrap::test
