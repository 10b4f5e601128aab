// row and field: access by name and position, iteration, conversions and
// their errors, lifetimes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using row_test = db_test;

// The message of the exception E that `f` throws; fails the test when it throws none.
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return {};
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

TEST_F(row_test, FieldsByNameAndByPosition) {
  const auto r = db.query("SELECT 1 AS a, 'two'::text AS b, NULL::int AS c");
  ASSERT_EQ(r.size(), 1u);
  const row rw = r[0];
  EXPECT_EQ(rw.size(), 3u);
  EXPECT_EQ(rw.index(), 0u);

  EXPECT_EQ(rw["a"].as<int>(), 1);
  EXPECT_EQ(rw[std::string_view("b")].as<std::string>(), "two");
  EXPECT_EQ(rw[std::string("b")].as<std::string>(), "two");
  const char* name = "a";
  EXPECT_EQ(rw[name].as<int>(), 1);

  EXPECT_EQ(rw[0].as<int>(), 1);                           // int
  EXPECT_EQ(rw[std::size_t{1}].as<std::string>(), "two");  // size_t
  EXPECT_EQ(rw[1u].as<std::string>(), "two");              // unsigned
  EXPECT_EQ(rw[1L].as<std::string>(), "two");              // long
  EXPECT_EQ(rw[std::int16_t{0}].as<int>(), 1);             // short
  EXPECT_TRUE(rw[2].is_null());

  EXPECT_EQ(rw["b"].name(), "b");
  EXPECT_EQ(rw["b"].index(), 1u);
  EXPECT_EQ(rw[2].name(), "c");
}

TEST_F(row_test, RowIndexIsItsPositionInTheResult) {
  const auto r = db.query("SELECT g FROM generate_series(10, 13) g ORDER BY g");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].index(), 0u);
  EXPECT_EQ(r[3].index(), 3u);
  EXPECT_EQ(r[3][0].as<int>(), 13);
  std::size_t expected = 0;
  for (const auto rw : r) {
    EXPECT_EQ(rw.index(), expected);
    EXPECT_EQ(rw["g"].as<std::size_t>(), 10 + expected);
    ++expected;
  }
  EXPECT_EQ(expected, 4u);
}

TEST_F(row_test, IterateTheFieldsOfARow) {
  const auto rw = db.queryone("SELECT 42 AS i, 'x'::text AS t, NULL::bigint AS n, true AS b, 1.5::float8 AS d");
  ASSERT_TRUE(rw.has_value());
  std::vector<std::string> names;
  std::vector<std::size_t> indices;
  std::vector<bool> nulls;
  std::vector<std::string> texts;
  std::vector<std::uint32_t> oids;
  for (const auto f : *rw) {
    names.emplace_back(f.name());
    indices.push_back(f.index());
    nulls.push_back(f.is_null());
    texts.emplace_back(f.text());
    oids.push_back(f.type_oid());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"i", "t", "n", "b", "d"}));
  EXPECT_EQ(indices, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(nulls, (std::vector<bool>{false, false, true, false, false}));
  EXPECT_EQ(texts, (std::vector<std::string>{"42", "x", "", "t", "1.5"}));
  EXPECT_EQ(oids, (std::vector<std::uint32_t>{oid::int4, oid::text, oid::int8, oid::boolean, oid::float8}));

  // The iterator is random access.
  static_assert(std::random_access_iterator<row::iterator>);
  EXPECT_EQ(std::distance(rw->begin(), rw->end()), 5);
  EXPECT_EQ((*(rw->begin() + 3)).name(), "b");
  EXPECT_EQ(rw->begin()[4].name(), "d");
  EXPECT_EQ((*(rw->end() - 1)).name(), "d");
}

TEST_F(row_test, TypeOidsOfCommonTypes) {
  const auto rw = db.queryone("SELECT 1::smallint, 1::int, 1::bigint, 1::numeric, 1::real, 1::float8, 'x'::text, true");
  ASSERT_TRUE(rw.has_value());
  std::vector<std::uint32_t> oids;
  for (const auto f : *rw) oids.push_back(f.type_oid());
  EXPECT_EQ(oids, (std::vector<std::uint32_t>{oid::int2, oid::int4, oid::int8, oid::numeric, oid::float4, oid::float8,
                                              oid::text, oid::boolean}));
}

TEST_F(row_test, UnnamedColumnGetsTheServersName) {
  const auto rw = db.queryone("SELECT 1");
  ASSERT_TRUE(rw.has_value());
  EXPECT_EQ((*rw)[0].name(), "?column?");
  EXPECT_EQ((*rw)["?column?"].as<int>(), 1);
}

TEST_F(row_test, NullIntoOptionalIsNullopt) {
  const auto rw = db.queryone("SELECT NULL::int AS n, NULL::text AS s, 5 AS five");
  ASSERT_TRUE(rw.has_value());
  EXPECT_TRUE((*rw)["n"].is_null());
  EXPECT_EQ((*rw)["n"].text(), "");
  EXPECT_EQ((*rw)["n"].as<std::optional<int>>(), std::nullopt);
  EXPECT_EQ((*rw)["s"].as<std::optional<std::string>>(), std::nullopt);
  EXPECT_EQ((*rw)["s"].as<std::optional<std::string_view>>(), std::nullopt);
  EXPECT_EQ((*rw)["five"].as<std::optional<int>>(), std::optional<int>(5));
  // An empty string is not NULL.
  const auto empty = db.queryone("SELECT ''::text AS e");
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE((*empty)["e"].is_null());
  EXPECT_EQ((*empty)["e"].as<std::optional<std::string>>(), std::optional<std::string>(""));
}

TEST_F(row_test, NullIntoANonOptionalTypeIsUnexpectedNullNamingTheColumn) {
  const auto rw = db.queryone("SELECT NULL::int AS maybe_count, NULL::text AS maybe_name");
  ASSERT_TRUE(rw.has_value());
  const std::string m = message_of<unexpected_null>([&] { (void)(*rw)["maybe_count"].as<int>(); });
  EXPECT_TRUE(contains(m, "\"maybe_count\"")) << m;
  EXPECT_TRUE(contains(m, "std::optional")) << m;
  // Not even a string reads NULL silently as "".
  EXPECT_THROW((void)(*rw)["maybe_name"].as<std::string>(), unexpected_null);
  EXPECT_THROW((void)(*rw)[1].as<std::string_view>(), unexpected_null);
  // unexpected_null is a conversion_error.
  EXPECT_THROW((void)(*rw)[0].as<double>(), conversion_error);
}

TEST_F(row_test, UnknownColumnNameListsTheColumnsThereAre) {
  const auto rw = db.queryone("SELECT 1 AS id, 2 AS \"Name\", 3 AS total");
  ASSERT_TRUE(rw.has_value());
  const std::string m = message_of<usage_error>([&] { (void)(*rw)["nope"]; });
  EXPECT_EQ(m, "no column named \"nope\"; the columns are: id, Name, total");
  // Names are case-sensitive.
  EXPECT_THROW((void)(*rw)["name"], usage_error);
  EXPECT_THROW((void)(*rw)["ID"], usage_error);
  EXPECT_THROW((void)(*rw)[""], usage_error);
  EXPECT_EQ((*rw)["Name"].as<int>(), 2);
}

TEST_F(row_test, ColumnIndexOutOfRangeIsAUsageError) {
  const auto rw = db.queryone("SELECT 1 AS a, 2 AS b");
  ASSERT_TRUE(rw.has_value());
  EXPECT_EQ(message_of<usage_error>([&] { (void)(*rw)[2]; }), "column index 2 is out of range: the row has 2 columns");
  EXPECT_EQ(message_of<usage_error>([&] { (void)(*rw)[-1]; }),
            "column index -1 is out of range: the row has 2 columns");
  EXPECT_THROW((void)(*rw)[std::size_t{2}], usage_error);
  EXPECT_THROW((void)(*rw)[100u], usage_error);
  EXPECT_THROW((void)(*rw)[std::numeric_limits<int>::min()], usage_error);
  EXPECT_THROW((void)(*rw)[std::int64_t{1} << 32], usage_error);  // would wrap to 0 as an int
  EXPECT_THROW((void)(*rw)[std::numeric_limits<std::size_t>::max()], usage_error);
  EXPECT_THROW((void)(*rw)[std::numeric_limits<std::uint64_t>::max() / 2 + 1], usage_error);
  EXPECT_EQ((*rw)[1].as<int>(), 2);
}

TEST_F(row_test, HugeUnsignedColumnIndexIsReportedAsItWasGiven) {
  const auto rw = db.queryone("SELECT 1 AS a");
  ASSERT_TRUE(rw.has_value());
  const std::string m = message_of<usage_error>([&] { (void)(*rw)[std::numeric_limits<std::size_t>::max()]; });
  EXPECT_TRUE(contains(m, "column index 18446744073709551615 is out of range")) << m;
}

TEST_F(row_test, ARowWithNoColumns) {
  const auto rw = db.queryone("SELECT FROM generate_series(1, 1)");
  ASSERT_TRUE(rw.has_value());
  EXPECT_EQ(rw->size(), 0u);
  EXPECT_TRUE(rw->begin() == rw->end());
  EXPECT_THROW((void)(*rw)[0], usage_error);
  EXPECT_EQ(message_of<usage_error>([&] { (void)(*rw)["x"]; }), "no column named \"x\"; the columns are: (none)");
}

TEST_F(row_test, BigintOutOfRangeForInt32NamesColumnTypeAndReason) {
  const auto rw = db.queryone("SELECT 3000000000::bigint AS big");
  ASSERT_TRUE(rw.has_value());
  const std::string m = message_of<conversion_error>([&] { (void)(*rw)["big"].as<std::int32_t>(); });
  EXPECT_TRUE(contains(m, "\"big\"")) << m;
  EXPECT_TRUE(contains(m, "bigint")) << m;
  EXPECT_TRUE(contains(m, "out of range")) << m;
  EXPECT_TRUE(contains(m, "3000000000")) << m;
  EXPECT_EQ(m, "column \"big\" (bigint): cannot read \"3000000000\" as int32: out of range");
  EXPECT_EQ((*rw)["big"].as<std::int64_t>(), 3000000000);
  EXPECT_EQ((*rw)["big"].as<std::uint32_t>(), 3000000000u);
  EXPECT_THROW((void)(*rw)["big"].as<std::int16_t>(), conversion_error);
}

TEST_F(row_test, NumericConversionErrors) {
  const auto rw = db.queryone(
      "SELECT 'abc'::text AS word, -1 AS minus_one, 1.5 AS one_and_a_half, 1.5::float8 AS dbl, "
      "70000 AS big_for_short, ''::text AS empty");
  ASSERT_TRUE(rw.has_value());
  const row& r = *rw;

  std::string m = message_of<conversion_error>([&] { (void)r["word"].as<int>(); });
  EXPECT_TRUE(contains(m, "\"word\"")) << m;
  EXPECT_TRUE(contains(m, "(text)")) << m;
  EXPECT_TRUE(contains(m, "not a number")) << m;

  m = message_of<conversion_error>([&] { (void)r["minus_one"].as<unsigned>(); });
  EXPECT_TRUE(contains(m, "\"minus_one\"")) << m;
  EXPECT_TRUE(contains(m, "out of range")) << m;
  EXPECT_THROW((void)r["minus_one"].as<std::uint64_t>(), conversion_error);
  EXPECT_THROW((void)r["minus_one"].as<std::uint8_t>(), conversion_error);
  EXPECT_EQ(r["minus_one"].as<int>(), -1);

  // No silent truncation of a fraction.
  EXPECT_THROW((void)r["one_and_a_half"].as<int>(), conversion_error);
  EXPECT_THROW((void)r["dbl"].as<std::int64_t>(), conversion_error);
  EXPECT_EQ(r["one_and_a_half"].as<double>(), 1.5);  // numeric reads as double

  EXPECT_THROW((void)r["big_for_short"].as<std::int16_t>(), conversion_error);
  EXPECT_THROW((void)r["empty"].as<int>(), conversion_error);
  EXPECT_THROW((void)r["word"].as<double>(), conversion_error);
  EXPECT_THROW((void)r["word"].as<bool>(), conversion_error);
  EXPECT_THROW((void)r["word"].as<std::optional<int>>(), conversion_error);
}

TEST_F(row_test, IntegersOfEveryWidth) {
  const auto rw = db.queryone(
      "SELECT (-32768)::smallint AS s, (-2147483648)::int AS i, (-9223372036854775808)::bigint AS l, "
      "18446744073709551615::numeric AS u");
  ASSERT_TRUE(rw.has_value());
  EXPECT_EQ((*rw)["s"].as<std::int16_t>(), std::numeric_limits<std::int16_t>::min());
  EXPECT_EQ((*rw)["i"].as<std::int32_t>(), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ((*rw)["l"].as<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ((*rw)["u"].as<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ((*rw)["s"].as<std::int64_t>(), -32768);  // a narrower column into a wider type
}

TEST_F(row_test, Booleans) {
  const auto rw = db.queryone("SELECT true AS yes, false AS no");
  ASSERT_TRUE(rw.has_value());
  EXPECT_EQ((*rw)["yes"].text(), "t");
  EXPECT_EQ((*rw)["no"].text(), "f");
  EXPECT_TRUE((*rw)["yes"].as<bool>());
  EXPECT_FALSE((*rw)["no"].as<bool>());
  EXPECT_EQ((*rw)["yes"].as<std::optional<bool>>(), std::optional<bool>(true));
  EXPECT_THROW((void)(*rw)["yes"].as<int>(), conversion_error);
}

TEST_F(row_test, FloatingPoint) {
  const auto rw = db.queryone(
      "SELECT 0.1::float8 AS tenth, 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf, "
      "'-Infinity'::float8 AS ninf, '-0'::float8 AS nzero, 1.5::real AS r, 'NaN'::real AS rnan, "
      "'Infinity'::real AS rinf, 1e308::float8 AS huge, 5e-324::float8 AS tiny");
  ASSERT_TRUE(rw.has_value());
  const row& r = *rw;
  EXPECT_EQ(r["tenth"].as<double>(), 0.1);
  EXPECT_EQ(r["tenth"].as<float>(), 0.1f);
  EXPECT_TRUE(std::isnan(r["nan"].as<double>()));
  EXPECT_EQ(r["inf"].as<double>(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(r["ninf"].as<double>(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(r["nzero"].as<double>(), 0.0);
  EXPECT_TRUE(std::signbit(r["nzero"].as<double>()));
  EXPECT_EQ(r["r"].as<float>(), 1.5f);
  EXPECT_EQ(r["r"].as<double>(), 1.5);
  EXPECT_TRUE(std::isnan(r["rnan"].as<float>()));
  EXPECT_EQ(r["rinf"].as<float>(), std::numeric_limits<float>::infinity());
  EXPECT_EQ(r["huge"].as<double>(), 1e308);
  EXPECT_EQ(r["tiny"].as<double>(), 5e-324);
  EXPECT_THROW((void)r["huge"].as<float>(), conversion_error);  // does not fit a float
  EXPECT_THROW((void)r["nan"].as<int>(), conversion_error);
}

TEST_F(row_test, MultibyteUtf8Strings) {
  const std::string text =
      "\xc3\xbcn\xc3\xaf"
      "c\xc3\xb8"
      "d\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89";
  const auto rw = db.queryone("SELECT %s::text AS \"\xe5\x90\x8d\xe5\x89\x8d\", length(%s::text) AS chars", text, text);
  ASSERT_TRUE(rw.has_value());
  const field f = (*rw)["\xe5\x90\x8d\xe5\x89\x8d"];
  EXPECT_EQ(f.name(), "\xe5\x90\x8d\xe5\x89\x8d");
  EXPECT_EQ(f.as<std::string>(), text);
  EXPECT_EQ(f.as<std::string_view>(), text);
  EXPECT_EQ(f.text(), text);
  EXPECT_EQ(f.text().size(), text.size());  // bytes
  EXPECT_EQ((*rw)["chars"].as<int>(), 14);  // characters
}

TEST_F(row_test, ARowFromQueryoneOutlivesItsResult) {
  std::optional<row> kept = db.queryone("SELECT 'kept'::text AS s, 7 AS n");
  ASSERT_TRUE(kept.has_value());
  // Churn the connection and the heap.
  for (int i = 0; i < 20; ++i) (void)db.query("SELECT repeat('z', 10000) FROM generate_series(1, 10)");
  EXPECT_EQ((*kept)["s"].as<std::string>(), "kept");
  EXPECT_EQ((*kept)[1].as<int>(), 7);
  EXPECT_EQ(kept->size(), 2u);

  std::optional<row> copied;
  {
    const result r = db.query("SELECT g FROM generate_series(1, 3) g ORDER BY g");
    copied = r[2];
  }
  (void)db.query("SELECT repeat('y', 100000)");
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ((*copied)[0].as<int>(), 3);
  EXPECT_EQ(copied->index(), 2u);
}

TEST_F(row_test, AFieldsStringViewIsValidWhileItsRowLives) {
  const std::string expected(5000, 'v');
  std::string_view view;
  std::string_view name;
  std::optional<row> kept;
  {
    const result r = db.query("SELECT repeat('v', 5000) AS long_value");
    kept = r[0];
    view = (*kept)["long_value"].as<std::string_view>();
    name = (*kept)[0].name();
  }
  for (int i = 0; i < 20; ++i) (void)db.query("SELECT repeat('w', 5000) AS other FROM generate_series(1, 10)");
  EXPECT_EQ(view, expected);
  EXPECT_EQ(name, "long_value");
  EXPECT_EQ(view.data(), (*kept)[0].text().data());  // a view into the row's own data
}

TEST_F(row_test, DuplicateColumnNames) {
  const auto r = db.query("SELECT 1 AS a, 2 AS a");
  EXPECT_EQ(r.columns(), (std::vector<std::string_view>{"a", "a"}));
  const row rw = r[0];
  EXPECT_EQ(rw.size(), 2u);
  EXPECT_EQ(rw["a"].as<int>(), 1);  // the first by name
  EXPECT_EQ(rw["a"].index(), 0u);
  EXPECT_EQ(rw[0].as<int>(), 1);  // both by position
  EXPECT_EQ(rw[1].as<int>(), 2);
  EXPECT_EQ(rw[1].name(), "a");
}

TEST_F(row_test, AFieldKeepsItsDataAlive) {
  auto f = db.query("SELECT 'kept' AS v")[0][0];  // the result and the row are temporaries
  EXPECT_EQ(f.as<std::string>(), "kept");
  EXPECT_EQ(f.name(), "v");
}

}  // namespace
}  // namespace pgwrap::test
