#pragma once
// Environment variables for the tests that need a prepared environment
// (tests/env/run_env_test.sh sets them).

#include <cstdlib>
#include <string>

namespace pgwrap::test {

/// The variable's value, or "" when it is not set.
inline std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace pgwrap::test
