// The coroutine face takes ranges as list() items for `IN (%s)` (it has no
// executemany or copy_in): std::views pipelines, filter (which only walks
// when not const) and transform (which makes its items as it goes) among
// them, and plain hand-written ranges. The items are copied when the call is
// made, so the pipeline need not outlive it.
#include <cstdint>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>
#include <ranges>
#include <string>
#include <vector>

#include "async_support.hpp"
#include "plain_range.hpp"

// As in tests/integration/views_test.cpp: std::views does not compile with
// clang 14 on libstdc++ 12, so there the std::views test skips, saying so;
// the same pipelines from range-v3 run under every compiler.
#if !PGWRAP_TEST_STD_VIEWS && !defined(__clang__)
#error "std::views pipelines failed to compile with this compiler: see PGWRAP_STD_VIEWS_COMPILE in CMakeCache.txt"
#endif

namespace pgwrap::test {
namespace {

using views = async_test;

std::string label(int i) { return "item number " + std::to_string(i) + " of the async views test"; }

// Items 1 to 10, each named label(id).
net::awaitable<void> make_items(pgwrap::async_database& db) {
  co_await db.execute("CREATE TABLE t (id int, name text)");
  co_await db.execute(
      "INSERT INTO t SELECT g, 'item number ' || g || ' of the async views test' FROM generate_series(1, 10) g");
}

TEST_F(views, ListTakesPipelines) {
#if !PGWRAP_TEST_STD_VIEWS
  GTEST_SKIP() << "std::views does not compile with this compiler and standard library (clang 14, libstdc++ 12)";
#else
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    co_await make_items(db);
    std::vector<int> ids = {2, 4, 6, 7, 11};
    auto even = ids | std::views::filter([](int i) { return i % 2 == 0; });
    const std::int64_t sum = co_await db.scalar<std::int64_t>("SELECT sum(id) FROM t WHERE id IN (%s)", list(even));
    EXPECT_EQ(sum, 12);

    // Made now, awaited later: the strings the pipeline makes are copied by the call.
    net::awaitable<std::int64_t> later =
        db.scalar<std::int64_t>("SELECT sum(id) FROM t WHERE name IN (%s)", list(ids | std::views::transform(label)));
    ids.clear();
    const std::int64_t named = co_await std::move(later);
    EXPECT_EQ(named, 19);

    pgwrap::async_transaction tx = co_await db.begin();
    auto first_three = std::views::iota(1) | std::views::take(3) | std::views::transform(label);
    const pgwrap::result rows = co_await tx.query("SELECT id FROM t WHERE name IN (%s) ORDER BY id", list(first_three));
    co_await tx.commit();
    EXPECT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows.size() == 3 ? rows[2][0].as<int>() : 0, 3);
  });
#endif
}

TEST_F(views, ListTakesRangeV3Pipelines) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    co_await make_items(db);
    std::vector<int> ids = {2, 4, 6, 7, 11};
    auto even = ids | ranges::views::filter([](int i) { return i % 2 == 0; });
    const std::int64_t sum = co_await db.scalar<std::int64_t>("SELECT sum(id) FROM t WHERE id IN (%s)", list(even));
    EXPECT_EQ(sum, 12);

    // Made now, awaited later: the strings the pipeline makes are copied by the call.
    net::awaitable<std::int64_t> later = db.scalar<std::int64_t>("SELECT sum(id) FROM t WHERE name IN (%s)",
                                                                 list(ids | ranges::views::transform(label)));
    ids.clear();
    const std::int64_t named = co_await std::move(later);
    EXPECT_EQ(named, 19);

    auto first_three = ranges::views::iota(1) | ranges::views::take(3) | ranges::views::transform(label);
    const pgwrap::result rows = co_await db.query("SELECT id FROM t WHERE name IN (%s) ORDER BY id", list(first_three));
    EXPECT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows.size() == 3 ? rows[2][0].as<int>() : 0, 3);
  });
}

TEST_F(views, ListTakesHandWrittenRangesThatStdRangesDoesNotCount) {
  run_async([&]() -> net::awaitable<void> {
    pgwrap::async_database db(co_await net::this_coro::executor, schema_dsn());
    const plain_range squares(1, 5, [](int i) { return i * i; });
    static_assert(!std::ranges::input_range<decltype(squares)>);
    const std::int64_t n = co_await db.scalar<std::int64_t>(
        "SELECT count(*) FROM generate_series(1, 20) g WHERE g IN (%s)", list(squares));
    EXPECT_EQ(n, 4);  // 1, 4, 9, 16
  });
}

}  // namespace
}  // namespace pgwrap::test
