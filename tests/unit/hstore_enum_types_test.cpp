// pgwrap::hstore and PGWRAP_ENUM without a server: hstore's text form both
// ways, its binary form (and lies in it), enum labels, and how an hstore map
// stands for one value with %s but for a map with %S / %W.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pgwrap::test {
namespace {

enum class color { red, green, blue };
PGWRAP_ENUM(color, red, green, blue)

enum class mood { ok, very_happy, sad };
PGWRAP_ENUM_LABELS(mood, (ok, "ok"), (very_happy, "very happy"), (sad, "Sad!"))

static_assert(enum_to_label(mood::very_happy) == std::string_view("very happy"));
static_assert(enum_from_label<color>("blue") == color::blue);
static_assert(!enum_from_label<color>("Blue").has_value());

std::string be32(std::int32_t v) {
  std::string out;
  detail::store_be(v, out);
  return out;
}

value_view text_view(std::string_view s) { return {s, oid::text, wire_format::text}; }

TEST(hstore_types, text_form_is_what_the_server_prints) {
  const hstore h{{"b", "1"}, {"aa", std::nullopt}, {"a", "x\"y\\z"}, {"", ""}};
  std::string out;
  detail::write_hstore_text(h, out);
  // hstore's order: shorter keys first.
  EXPECT_EQ(out, R"(""=>"", "a"=>"x\"y\\z", "b"=>"1", "aa"=>NULL)");
  EXPECT_EQ(detail::read_hstore_text(text_view(out)), h);
  detail::write_hstore_text({}, out);
  EXPECT_EQ(out, "");
  EXPECT_THROW(detail::write_hstore_text({{std::string("a\0b", 3), "1"}}, out), conversion_error);
}

TEST(hstore_types, text_reader_takes_what_hstore_in_takes) {
  const hstore h =
      detail::read_hstore_text(text_view(R"(  a=>1 ,b => NULL, "c d"=>"NULL", e=>nUlL, f\ g=>x=y, h=>\NULL,)"));
  // (Each checked against hstore_in on PostgreSQL 15.)
  const hstore want{{"a", "1"},          {"b", std::nullopt}, {"c d", "NULL"},
                    {"e", std::nullopt}, {"f g", "x=y"},      {"h", std::nullopt}};
  EXPECT_EQ(h, want);
  EXPECT_EQ(detail::read_hstore_text(text_view("a=>1, a=>2")).at("a"), "1");  // the first of a repeated key
  EXPECT_TRUE(detail::read_hstore_text(text_view("   ")).empty());
  EXPECT_EQ(detail::read_hstore_text(text_view("a=>1,,b=>2")), (hstore{{"a", "1"}, {",b", "2"}}));
  EXPECT_EQ(detail::read_hstore_text(text_view(R"(a"b=>1)")), (hstore{{"a\"b", "1"}}));
  for (const std::string_view bad :
       {"a", "a=>", "a=1", "a=>1 b=>2", R"("a=>1)", R"(a=>"1)", "a=>1\\", "a = > 1", "=>1"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW((void)detail::read_hstore_text(text_view(bad)), conversion_error);
  }
}

TEST(hstore_types, binary_form_is_read_and_its_lies_are_errors) {
  const std::string good = be32(2) + be32(1) + "a" + be32(1) + "1" + be32(1) + "b" + be32(-1);
  const value_view v{good, 16385, wire_format::binary};
  EXPECT_EQ(detail::read_hstore(v), (hstore{{"a", "1"}, {"b", std::nullopt}}));
  EXPECT_TRUE(detail::read_hstore_binary({be32(0), 16385, wire_format::binary}).empty());
  const std::vector<std::string> bad = {
      "",
      be32(-1),
      be32(0x7FFFFFFF) + std::string(36, '\0'),  // a count no input of this size can hold
      be32(1) + be32(1) + "a",                   // no value length
      be32(1) + be32(5) + "a" + be32(-1),        // key longer than what is left
      be32(1) + be32(-3) + be32(-1),             // negative key length
      be32(1) + be32(1) + "a" + be32(-2),        // value length below -1
      be32(1) + be32(1) + "a" + be32(9) + "1",   // value longer than what is left
      be32(1) + be32(1) + "a" + be32(-1) + "x",  // a byte left over
      be32(2) + be32(1) + "a" + be32(-1),        // fewer pairs than counted
  };
  for (const std::string& b : bad) {
    SCOPED_TRACE(b.size());
    EXPECT_THROW((void)detail::read_hstore_binary({b, 16385, wire_format::binary}), conversion_error);
  }
  // A text column in binary is text: parsed as hstore's text form.
  EXPECT_EQ(detail::read_hstore({"a=>1", oid::text, wire_format::binary}), (hstore{{"a", "1"}}));
}

TEST(hstore_types, a_map_is_one_value_for_percent_s_and_a_map_for_S_and_W) {
  const hstore h{{"a", "1"}, {"b", std::nullopt}};
  static_assert(detail::category_of<hstore>() == detail::arg_category::map_value);
  static_assert(detail::category_of<std::map<std::string, int>>() == detail::arg_category::map);
  const auto one = format_query("SELECT %s::hstore", h);
  EXPECT_EQ(one.sql, "SELECT $1::hstore");
  ASSERT_EQ(one.params.size(), 1u);
  EXPECT_EQ(*one.params[0], R"("a"=>"1", "b"=>NULL)");
  const auto set = format_query("UPDATE t SET %S WHERE %W", h, h);
  EXPECT_EQ(set.sql, R"(UPDATE t SET "a" = $1, "b" = $2 WHERE ("a" = $3 AND "b" IS NULL))");
  EXPECT_EQ(set.params.size(), 3u);
}

// hstore by name: the base type called hstore that the hstore extension
// created, whatever its OID; not another type of the extension's, nor
// another type called hstore.
TEST(hstore_types, binary_is_asked_for_the_extensions_type_by_name) {
  detail::type_set types;
  // oid, format_type's name, kind, element, base, attributes, typname, extension, look-up error
  types.add({16400, "ext.hstore", 'b', 0, 0, {}, "hstore", "hstore", ""});
  types.add({16401, "ghstore", 'b', 0, 0, {}, "ghstore", "hstore", ""});
  types.add({16402, "hstore", 'c', 0, 0, {}, "hstore", "", ""});
  types.add({16403, "ext.hstore[]", 'b', 16400, 0, {}, "_hstore", "", ""});
  EXPECT_TRUE(codec<hstore>::reads_binary(16400, &types));
  EXPECT_FALSE(codec<hstore>::reads_binary(16401, &types));
  EXPECT_FALSE(codec<hstore>::reads_binary(16402, &types));
  EXPECT_FALSE(codec<hstore>::reads_binary(16400, nullptr));
  EXPECT_TRUE(codec<hstore>::reads_binary(oid::text, nullptr));
  EXPECT_TRUE(codec<std::vector<hstore>>::reads_binary(16403, &types));
}

TEST(enum_types, labels_both_ways) {
  std::string scratch;
  const param_ref p = codec<mood>::encode(mood::very_happy, scratch);
  EXPECT_EQ(std::string_view(p.data), "very happy");
  EXPECT_EQ(p.oid, oid::unknown);
  EXPECT_EQ(p.format, wire_format::text);
  EXPECT_EQ(codec<color>::decode({"green", oid::text, wire_format::text}), color::green);
  EXPECT_EQ(codec<mood>::decode({"Sad!", 16390, wire_format::binary}), mood::sad);  // an enum's binary form
  // Binary where the catalog says enum (a domain over one too), never for another user type.
  detail::type_set types;
  types.add({16390, "color", 'e', 0, 0, {}, "color", "", ""});
  types.add({16391, "pair", 'c', 0, 0, {}, "pair", "", ""});
  types.add({16392, "good_color", 'd', 0, 16390, {}, "good_color", "", ""});
  EXPECT_TRUE(codec<color>::reads_binary(16390, &types));
  EXPECT_TRUE(codec<color>::reads_binary(16392, &types));
  EXPECT_FALSE(codec<color>::reads_binary(16391, &types));
  EXPECT_FALSE(codec<color>::reads_binary(16390, nullptr));  // not in a catalog: text
  EXPECT_FALSE(codec<color>::reads_binary(oid::int4, &types));
  EXPECT_TRUE(codec<color>::reads_binary(oid::text, nullptr));
  try {
    (void)codec<color>::decode({"purple", 16390, wire_format::binary});
    FAIL() << "no error";
  } catch (const conversion_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown label \"purple\""), std::string::npos) << what;
    EXPECT_NE(what.find("red, green, blue"), std::string::npos) << what;
  }
  EXPECT_THROW(codec<color>::encode(static_cast<color>(7), scratch), conversion_error);
  const std::vector<color> v = codec<std::vector<color>>::decode({"{red,blue}", 16400, wire_format::text});
  EXPECT_EQ(v, (std::vector<color>{color::red, color::blue}));
  const param_ref a = codec<std::vector<mood>>::encode({mood::ok, mood::very_happy}, scratch);
  EXPECT_EQ(std::string_view(a.data), R"({"ok","very happy"})");
}

}  // namespace
}  // namespace pgwrap::test
