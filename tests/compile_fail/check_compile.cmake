# Compiles one snippet case: with EXPECT_FAILURE, the compiler must fail and
# say EXPECT (the name of the check that fired); without, it must succeed.
execute_process(COMMAND ${COMPILER} -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror
                        -I${INCLUDE_DIR} -I${GENERATED_INCLUDE_DIR} -DPGWRAP_CASE_${CASE} ${EXTRA_DEFINE} ${SOURCE}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(EXPECT)
  if(status EQUAL 0)
    message(FATAL_ERROR "case ${CASE} compiled, but it must not")
  endif()
  if(NOT out MATCHES "${EXPECT}")
    message(FATAL_ERROR "case ${CASE} failed to compile, but not with \"${EXPECT}\":\n${out}")
  endif()
  message(STATUS "case ${CASE} is rejected with \"${EXPECT}\"")
elseif(NOT status EQUAL 0)
  message(FATAL_ERROR "the good twin of case ${CASE} must compile:\n${out}")
endif()
