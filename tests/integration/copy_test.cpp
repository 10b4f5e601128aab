// copy_in(): bulk loads in binary or text COPY, all or nothing.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace copying {
struct item {
  int id = 0;
  std::string label;
  std::optional<double> weight;
};
PGWRAP_DESCRIBE(item, id, label, weight)
}  // namespace copying

namespace {

using copy_test = db_test;
using copying::item;

TEST_F(copy_test, BinaryCopyOfMatchingTypes) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id integer, big bigint, x double precision, ok boolean, maybe integer)");
  std::vector<std::tuple<int, std::int64_t, double, bool, std::optional<int>>> rows;
  for (int i = 0; i < 5000; ++i)
    rows.emplace_back(i, std::int64_t{1} << 40, i / 2.0, i % 2 == 0, i % 3 ? std::optional<int>(i) : std::nullopt);
  EXPECT_EQ(db.copy_in("t", {"id", "big", "x", "ok", "maybe"}, rows), 5000);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE maybe IS NULL"), 1667);
  EXPECT_EQ(db.scalar<double>("SELECT x FROM t WHERE id = %s", 4999), 2499.5);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT big FROM t WHERE id = %s", 7), std::int64_t{1} << 40);
}

TEST_F(copy_test, TextCopyEscapesHostileStrings) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id bigint, s text)");  // int into bigint: not the exact type, so text COPY
  const std::vector<std::string> hostile = {
      "tab\there", "new\nline", "cr\rhere", "back\\slash", "\\N", "", "'quote\" -- /* %s $1", "ünïcødé ✓"};
  std::vector<std::tuple<int, std::string>> rows;
  for (std::size_t i = 0; i < hostile.size(); ++i) rows.emplace_back(static_cast<int>(i), hostile[i]);
  EXPECT_EQ(db.copy_in("t", {"id", "s"}, rows), static_cast<std::int64_t>(hostile.size()));
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    EXPECT_EQ(db.scalar<std::string>("SELECT s FROM t WHERE id = %s", static_cast<int>(i)), hostile[i]);
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE s IS NULL"), 0);  // "\\N" stayed a string
}

TEST_F(copy_test, NulByteIsRejectedAndNothingIsLoaded) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id int, s text)");
  std::vector<std::tuple<int, std::string>> rows = {{1, "ok"}, {2, "fine"}, {3, std::string("bad\0", 4)}};
  try {
    db.copy_in("t", {"id", "s"}, rows);
    FAIL() << "expected conversion_error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("copy_in: row 2: argument 2: string contains a NUL byte"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
  EXPECT_EQ(db.copy_in("t", {"id", "s"}, std::vector<std::tuple<int, std::string>>{{4, "after"}}), 1);
}

TEST_F(copy_test, ServerRejectionNamesTheRowAndLoadsNothing) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id int NOT NULL, s text)");
  std::vector<std::tuple<std::optional<int>, std::string>> rows = {{1, "a"}, {2, "b"}, {3, "c"}, {std::nullopt, "d"}};
  try {
    db.copy_in("t", {"id", "s"}, rows);
    FAIL() << "expected not_null_violation";
  } catch (const not_null_violation& e) {
    EXPECT_EQ(e.statement_index(), 3u);
    EXPECT_EQ(e.column_name(), "id");
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t"), 0);
}

TEST_F(copy_test, StructsAndTheirMembersAsColumns) {
  db.execute("CREATE TABLE items (id int, label text, weight float8, extra text DEFAULT 'x')");
  std::vector<item> items = {{1, "one", 1.5}, {2, "two", std::nullopt}};
  EXPECT_EQ(db.copy_in("items", {}, items), 2);
  db.commit();
  const auto back = db.query<relaxed<item>>("SELECT * FROM items ORDER BY id");
  EXPECT_EQ(back[1].label, "two");
  EXPECT_FALSE(back[1].weight.has_value());
  EXPECT_EQ(db.scalar<std::string>("SELECT extra FROM items WHERE id = 1"), "x");
}

TEST_F(copy_test, ShapeErrors) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (a int, b int)");
  EXPECT_EQ(db.copy_in("t", {"a", "b"}, std::vector<std::tuple<int, int>>{}), 0);
  EXPECT_THROW(db.copy_in("t", {"a", "b"}, std::vector<std::tuple<int>>{{1}}), usage_error);
  EXPECT_THROW(db.copy_in("t", {"a", "nope"}, std::vector<std::tuple<int, int>>{{1, 2}}), undefined_column);
  EXPECT_THROW(db.copy_in("missing", {"a"}, std::vector<std::tuple<int>>{{1}}), undefined_table);
  EXPECT_EQ(db.scalar<int>("SELECT 7"), 7);  // the connection is fine afterwards
}

}  // namespace
}  // namespace pgwrap::test
