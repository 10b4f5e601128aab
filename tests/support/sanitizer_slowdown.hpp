#pragma once
// How much slower a sanitizer makes the work a lifecycle test's time bounds
// allow for (opening a connection, a statement, a sampling query); a pool's
// own periods and lifetimes, which the bounds are about, do not scale.

namespace pgwrap::test {

#if defined(__SANITIZE_THREAD__)
constexpr int sanitizer_slowdown = 5;
#elif defined(__SANITIZE_ADDRESS__)
constexpr int sanitizer_slowdown = 2;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int sanitizer_slowdown = 5;
#elif __has_feature(address_sanitizer)
constexpr int sanitizer_slowdown = 2;
#else
constexpr int sanitizer_slowdown = 1;
#endif
#else
constexpr int sanitizer_slowdown = 1;
#endif

}  // namespace pgwrap::test
