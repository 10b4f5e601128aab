# Builds and runs tests/consumer three ways: find_package against an install
# in a temporary prefix, pkg-config against the same install, add_subdirectory.
# CXX_FLAGS are the parent build's (a sanitizer build needs its runtime in the consumer too).
set(work ${BINARY_DIR}/consumer-test)
file(REMOVE_RECURSE ${work})

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGV}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# The version the consumer must print: project(VERSION) in CMakeLists.txt,
# from which include/pgwrap/version.hpp is generated.
file(STRINGS ${SOURCE_DIR}/CMakeLists.txt project_line REGEX "^project\\(pgwrap VERSION [0-9.]+")
string(REGEX MATCH "VERSION ([0-9.]+)" _ "${project_line}")
set(version "${CMAKE_MATCH_1}")
if(version STREQUAL "")
  message(FATAL_ERROR "no project(pgwrap VERSION ...) in ${SOURCE_DIR}/CMakeLists.txt")
endif()

function(expect_runs program)
  run(${program})
  if(NOT last_output MATCHES "pgwrap ${version} consumer ok")
    message(FATAL_ERROR "${program} printed: ${last_output}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${work}/prefix)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/find_package
    -DCMAKE_PREFIX_PATH=${work}/prefix -DCMAKE_CXX_COMPILER=${COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
run(${CMAKE_COMMAND} --build ${work}/find_package)
expect_runs(${work}/find_package/consumer)
message(STATUS "find_package(pgwrap): ok")

file(GLOB pc_dirs ${work}/prefix/lib*/pkgconfig ${work}/prefix/lib/*/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "${pc_dirs}")
run(pkg-config --cflags --libs pgwrap)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${CXX_FLAGS} ${flags}")
run(${COMPILER} ${SOURCE_DIR}/tests/consumer/main.cpp ${flags} -o ${work}/pkg_config_consumer)
expect_runs(${work}/pkg_config_consumer)
message(STATUS "pkg-config pgwrap: ok")

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/add_subdirectory
    -DPGWRAP_CONSUME=add_subdirectory -DPGWRAP_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_CXX_COMPILER=${COMPILER}
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
run(${CMAKE_COMMAND} --build ${work}/add_subdirectory -j2)
expect_runs(${work}/add_subdirectory/consumer)
message(STATUS "add_subdirectory(pgwrap): ok")
