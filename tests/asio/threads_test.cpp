// One async_database shared by coroutines on strands of a four-thread
// io_context (this test is meant for ThreadSanitizer too, so it is small).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "async_support.hpp"

namespace pgwrap::test {
namespace {

using threads = async_test;

// 50 coroutines, each on its own strand, 100 statements each, on one
// database while io.run() runs on 4 threads: every result is the caller's
// own. The last coroutine closes the database, after which the io_context
// runs out of work and the threads return.
TEST_F(threads, StrandsOnFourThreadsShareOneDatabase) {
  constexpr int callers = 50;
  constexpr int per_caller = 100;
  net::io_context io(4);
  std::atomic<int> right{0};
  std::atomic<int> wrong{0};
  std::atomic<int> remaining{callers};
  std::mutex failure_mutex;
  std::vector<std::string> failures;

  {
    const auto db = std::make_shared<pgwrap::async_database>(io.get_executor(), schema_dsn());
    for (int caller = 0; caller < callers; ++caller) {
      net::co_spawn(
          net::make_strand(io),
          [db, caller, &right, &wrong, &remaining]() -> net::awaitable<void> {
            for (int seq = 0; seq < per_caller; ++seq) {
              const std::int64_t got = co_await db->scalar<std::int64_t>("SELECT %s::int8 * 1000 + %s", caller, seq);
              (got == std::int64_t{caller} * 1000 + seq ? right : wrong)++;
            }
            if (remaining.fetch_sub(1) == 1) co_await db->close();  // the last one out
          },
          [&failure_mutex, &failures](const std::exception_ptr& e) {
            if (!e) return;
            const std::lock_guard<std::mutex> lock(failure_mutex);
            failures.push_back(describe(e));
          });
    }
  }  // the coroutines hold the database now

  std::vector<std::thread> runners;
  for (int t = 0; t < 4; ++t) runners.emplace_back([&io] { io.run_for(std::chrono::seconds(60)); });
  for (auto& t : runners) t.join();

  EXPECT_TRUE(io.stopped()) << "the io_context still had work after 60 s (a call hung, or work was left behind)";
  EXPECT_EQ(right.load(), callers * per_caller);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(remaining.load(), 0);
  for (const std::string& f : failures) ADD_FAILURE() << "a coroutine threw " << f;
}

}  // namespace
}  // namespace pgwrap::test
