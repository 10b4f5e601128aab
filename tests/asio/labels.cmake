# Included by ctest after the discovered tests (TEST_INCLUDE_FILES): gives
# every async.* test both of its labels. gtest_discover_tests (CMake 3.25)
# splits a list-valued property, so LABELS "integration;async" given there
# arrives as LABELS integration only; set_tests_properties here keeps the list.
if(DEFINED pgwrap_async_tests_TESTS)
  set_tests_properties(${pgwrap_async_tests_TESTS} PROPERTIES LABELS "integration;async")
endif()
