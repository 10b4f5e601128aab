# Runs one example for CTest and checks both how it ended and what it printed:
#
#   cmake -DPROGRAM=<example> -DEXPECT=<regex> -P run_example.cmake
#
# Fails unless the program exits with 0 and its standard output matches
# EXPECT. (PASS_REGULAR_EXPRESSION alone makes CTest ignore the exit code, so
# a crash or a sanitizer report after the expected lines would pass.)
if(NOT DEFINED PROGRAM OR NOT DEFINED EXPECT)
  message(FATAL_ERROR "usage: cmake -DPROGRAM=<example> -DEXPECT=<regex> -P run_example.cmake")
endif()

execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
# Shown on failure by ctest --output-on-failure.
message("--- stdout of ${PROGRAM} ---\n${out}--- stderr ---\n${err}--- end ---")

# RESULT_VARIABLE is the exit code, or a text such as "Segmentation fault".
if(NOT result STREQUAL "0")
  message(FATAL_ERROR "${PROGRAM} failed: ${result}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "the output of ${PROGRAM} does not match:\n${EXPECT}")
endif()
