# Builds one target of tests/fuzz with clang and runs it for SECONDS seconds
# on a scratch copy of its seed corpus (the committed corpus is never
# written).
#
#   cmake -DSOURCE_DIR=<repo> -DBINARY_DIR=<build dir> [-DFUZZER=scanner_fuzz] [-DSECONDS=30]
#         -P tests/fuzz/run_fuzz.cmake
#
# FUZZER is scanner_fuzz (seeds in tests/fuzz/corpus) or decoder_fuzz (seeds
# in tests/fuzz/decoder_corpus). Each target has a build tree of its own
# (<build dir>/fuzz-<target>), so the two can run at the same time.
#
# Without clang++ this fails, unless the environment has PGWRAP_FUZZ_OPTIONAL=1
# (then it says so and passes).
cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_DIR OR NOT BINARY_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<repo> -DBINARY_DIR=<build dir> [-DFUZZER=scanner_fuzz] "
                      "[-DSECONDS=30] -P run_fuzz.cmake")
endif()
if(NOT DEFINED FUZZER OR FUZZER STREQUAL "")
  set(FUZZER scanner_fuzz)
endif()
if(FUZZER STREQUAL "scanner_fuzz")
  set(corpus ${SOURCE_DIR}/tests/fuzz/corpus)
  set(what "the SQL scanner")
elseif(FUZZER STREQUAL "decoder_fuzz")
  set(corpus ${SOURCE_DIR}/tests/fuzz/decoder_corpus)
  set(what "every decoder")
else()
  message(FATAL_ERROR "FUZZER must be scanner_fuzz or decoder_fuzz, not '${FUZZER}'")
endif()
if(NOT DEFINED SECONDS OR SECONDS STREQUAL "")
  set(SECONDS 30)
endif()
if(NOT SECONDS MATCHES "^[0-9]+$" OR SECONDS EQUAL 0)
  message(FATAL_ERROR "SECONDS must be a positive whole number, not '${SECONDS}'")
endif()

find_program(CLANGXX NAMES clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14
             NO_CACHE)
if(NOT CLANGXX)
  if("$ENV{PGWRAP_FUZZ_OPTIONAL}" STREQUAL "1")
    message(STATUS "${FUZZER} skipped: clang++ not found (PGWRAP_FUZZ_OPTIONAL=1)")
    return()
  endif()
  message(FATAL_ERROR "${FUZZER} needs clang++ with libFuzzer (Debian: clang and "
                      "libclang-rt-<version>-dev), and none was found on PATH. Install it, or set "
                      "PGWRAP_FUZZ_OPTIONAL=1 to let this test pass without fuzzing.")
endif()

set(build ${BINARY_DIR}/fuzz-${FUZZER})
set(work ${BINARY_DIR}/fuzz-run-${FUZZER})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}): ${ARGN}\n${out}")
  endif()
endfunction()

run("configuring tests/fuzz" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/fuzz -B ${build}
    -DCMAKE_CXX_COMPILER=${CLANGXX} -DPGWRAP_SOURCE_DIR=${SOURCE_DIR})
run("building ${FUZZER}" ${CMAKE_COMMAND} --build ${build} --target ${FUZZER} --parallel 2)

# A scratch corpus: libFuzzer adds what it finds to the first directory.
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work}/artifacts)
file(COPY ${corpus}/ DESTINATION ${work}/corpus)

message(STATUS "fuzzing ${what} for ${SECONDS} s (${CLANGXX})")
math(EXPR limit "${SECONDS} + 120")
execute_process(
  COMMAND ${build}/${FUZZER} ${work}/corpus -max_total_time=${SECONDS} -timeout=5 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix=${work}/artifacts/
  WORKING_DIRECTORY ${work}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out
  TIMEOUT ${limit})

string(LENGTH "${out}" length)
if(length GREATER 6000)
  math(EXPR from "${length} - 6000")
  string(SUBSTRING "${out}" ${from} -1 tail)
  set(tail "...\n${tail}")
else()
  set(tail "${out}")
endif()
if(NOT status EQUAL 0)
  file(GLOB found ${work}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} failed (${status}). Saved input(s): ${found}\n"
                      "Reproduce: ${build}/${FUZZER} <saved input>\n--- output tail ---\n${tail}")
endif()

string(REGEX MATCH "Done [0-9]+ runs in [0-9]+ second[s]?" done "${out}")
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" units "${out}")
string(REGEX MATCH "stat::average_exec_per_sec: *[0-9]+" rate "${out}")
string(REGEX MATCHALL "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" coverage "${out}")
if(coverage)
  list(GET coverage -1 coverage)
endif()
message(STATUS "${FUZZER} ok: ${done}; ${rate}; last ${coverage}")
