// std::views pipelines (and plain hand-written ranges) passed where pgwrap
// takes rows or list items: executemany(), copy_in() and list(). Pipelines
// that only walk when not const (views::filter) and that make their items
// as they go (views::transform) included. The same pipelines from range-v3
// run under every compiler, clang 14 included, where std::views cannot
// compile on libstdc++ 12: pgwrap asks a range only for begin, end, !=, ++
// and *, so another ranges library works as well as std::'s.
#include <cstdint>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>
#include <ranges>
#include <string>
#include <tuple>
#include <vector>

#include "plain_range.hpp"
#include "test_db.hpp"

// std::views does not compile with clang 14 on libstdc++ 12 (tests/CMakeLists.txt
// finds out); there the pipeline tests skip, saying so. Any other compiler must build them.
#if !PGWRAP_TEST_STD_VIEWS && !defined(__clang__)
#error "std::views pipelines failed to compile with this compiler: see PGWRAP_STD_VIEWS_COMPILE in CMakeCache.txt"
#endif
#if PGWRAP_TEST_STD_VIEWS
#define PGWRAP_NEEDS_STD_VIEWS()
#else
#define PGWRAP_NEEDS_STD_VIEWS() \
  GTEST_SKIP() << "std::views does not compile with this compiler and standard library (clang 14, libstdc++ 12)"
#endif

namespace pgwrap::test {
namespace {

using views_test = db_test;

// Longer than any short-string buffer, so a parameter left pointing into a
// temporary item would read freed memory, not a copy that happens to survive.
std::string label(int i) { return "item number " + std::to_string(i) + " of the views test"; }

void make_table(database& db) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)");
}

TEST_F(views_test, ExecutemanyTakesATransformPipeline) {
  PGWRAP_NEEDS_STD_VIEWS();
#if PGWRAP_TEST_STD_VIEWS
  make_table(db);
  const std::vector<int> ids = {3, 1, 4, 15, 9};
  const auto rows = ids | std::views::transform([](int i) { return std::tuple(i, label(i)); });
  EXPECT_EQ(db.executemany("INSERT INTO t VALUES (%s, %s)", rows), 5);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(id) FROM t"), 32);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 15), label(15));
#endif
}

TEST_F(views_test, ExecutemanyTakesAFilterPipelineThatOnlyWalksWhenNotConst) {
  PGWRAP_NEEDS_STD_VIEWS();
#if PGWRAP_TEST_STD_VIEWS
  make_table(db);
  auto rows = std::views::iota(0, 100) | std::views::filter([](int i) { return i % 2 == 0; }) |
              std::views::transform([](int i) { return std::tuple(i, label(i)); });
  static_assert(!std::ranges::range<const decltype(rows)>);  // the case a const& parameter turned away
  EXPECT_EQ(db.executemany("INSERT INTO t VALUES (%s, %s)", rows), 50);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id %% 2 = 1"), 0);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 98), label(98));
#endif
}

TEST_F(views_test, CopyInTakesPipelines) {
  PGWRAP_NEEDS_STD_VIEWS();
#if PGWRAP_TEST_STD_VIEWS
  db.set_autocommit(true);
  db.execute("CREATE TABLE numbers (id integer, half double precision)");  // binary COPY
  const std::vector<int> ids = {1, 2, 3, 4};
  EXPECT_EQ(
      db.copy_in("numbers", {"id", "half"}, ids | std::views::transform([](int i) { return std::tuple(i, i / 2.0); })),
      4);
  EXPECT_EQ(db.scalar<double>("SELECT sum(half) FROM numbers"), 5.0);

  make_table(db);  // int into int, text into text: text COPY, from a filter pipeline
  auto odd = std::views::iota(1, 8) | std::views::filter([](int i) { return i % 2 == 1; }) |
             std::views::transform([](int i) { return std::tuple(i, label(i)); });
  EXPECT_EQ(db.copy_in("t", {"id", "name"}, odd), 4);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(id) FROM t"), 16);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 7), label(7));
#endif
}

TEST_F(views_test, ListTakesPipelines) {
  PGWRAP_NEEDS_STD_VIEWS();
#if PGWRAP_TEST_STD_VIEWS
  db.set_autocommit(true);
  const std::vector<int> ids = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM generate_series(1, 10) g WHERE g IN (%s)",
                                    list(ids | std::views::filter([](int i) { return i > 3; }))),
            3);
  // Strings made as the list is read: each must outlive the call, not its step of the loop.
  make_table(db);
  EXPECT_EQ(db.executemany("INSERT INTO t VALUES (%s, %s)",
                           ids | std::views::transform([](int i) { return std::tuple(i, label(i)); })),
            6);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(id) FROM t WHERE name IN (%s)",
                                    list(ids | std::views::take(3) | std::views::transform(label))),
            6);
#endif
}

TEST_F(views_test, RangeV3ExecutemanyTakesATransformPipeline) {
  make_table(db);
  const std::vector<int> ids = {3, 1, 4, 15, 9};
  const auto rows = ids | ranges::views::transform([](int i) { return std::tuple(i, label(i)); });
  EXPECT_EQ(db.executemany("INSERT INTO t VALUES (%s, %s)", rows), 5);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(id) FROM t"), 32);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 15), label(15));
}

TEST_F(views_test, RangeV3ExecutemanyTakesAFilterPipelineThatOnlyWalksWhenNotConst) {
  make_table(db);
  auto rows = ranges::views::iota(0, 100) | ranges::views::filter([](int i) { return i % 2 == 0; }) |
              ranges::views::transform([](int i) { return std::tuple(i, label(i)); });
  EXPECT_EQ(db.executemany("INSERT INTO t VALUES (%s, %s)", rows), 50);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE id %% 2 = 1"), 0);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 98), label(98));
}

TEST_F(views_test, RangeV3CopyInTakesPipelines) {
  db.set_autocommit(true);
  db.execute("CREATE TABLE numbers (id integer, half double precision)");  // binary COPY
  const std::vector<int> ids = {1, 2, 3, 4};
  EXPECT_EQ(db.copy_in("numbers", {"id", "half"},
                       ids | ranges::views::transform([](int i) { return std::tuple(i, i / 2.0); })),
            4);
  EXPECT_EQ(db.scalar<double>("SELECT sum(half) FROM numbers"), 5.0);

  make_table(db);  // int into int, text into text: text COPY, from a filter pipeline
  auto odd = ranges::views::iota(1, 8) | ranges::views::filter([](int i) { return i % 2 == 1; }) |
             ranges::views::transform([](int i) { return std::tuple(i, label(i)); });
  EXPECT_EQ(db.copy_in("t", {"id", "name"}, odd), 4);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(id) FROM t"), 16);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 7), label(7));
}

TEST_F(views_test, RangeV3ListTakesPipelines) {
  db.set_autocommit(true);
  const std::vector<int> ids = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM generate_series(1, 10) g WHERE g IN (%s)",
                                    list(ids | ranges::views::filter([](int i) { return i > 3; }))),
            3);
  // Strings made as the list is read: each must outlive the call, not its step of the loop.
  make_table(db);
  EXPECT_EQ(db.executemany("INSERT INTO t VALUES (%s, %s)",
                           ids | ranges::views::transform([](int i) { return std::tuple(i, label(i)); })),
            6);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(id) FROM t WHERE name IN (%s)",
                                    list(ids | ranges::views::take(3) | ranges::views::transform(label))),
            6);
}

TEST_F(views_test, HandWrittenRangesThatStdRangesDoesNotCountWork) {
  const plain_range rows(0, 20, [](int i) { return std::tuple(i, label(i)); });
  static_assert(!std::ranges::input_range<decltype(rows)>);
  make_table(db);
  EXPECT_EQ(db.executemany("INSERT INTO t VALUES (%s, %s)", rows), 20);
  EXPECT_EQ(db.scalar<std::string>("SELECT name FROM t WHERE id = %s", 19), label(19));
  db.execute("DELETE FROM t");
  EXPECT_EQ(db.copy_in("t", {"id", "name"}, rows), 20);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(id) FROM t"), 190);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM t WHERE name IN (%s)", list(plain_range(5, 8, label))), 3);
}

}  // namespace
}  // namespace pgwrap::test
