# Builds and runs tests/consumer as a user's project would, the way WAY says:
#   installed:  find_package against an install in a temporary prefix, and
#               pkg-config against the same install;
#   subproject: add_subdirectory of pgwrap's source tree (a build of pgwrap
#               of its own, so the slow one; its own ctest test).
# When the parent build has the coroutine face (PGWRAP_ASIO standalone or
# boost), each way also builds and runs async_consumer against pgwrap::asio
# (find_package(pgwrap COMPONENTS asio), pkg-config pgwrap-asio).
# CXX_FLAGS are the parent build's (a sanitizer build needs its runtime in the consumer too).
if(NOT WAY MATCHES "^(installed|subproject)$")
  message(FATAL_ERROR "run_consumer.cmake: WAY must be installed or subproject, not '${WAY}'")
endif()
set(work ${BINARY_DIR}/consumer-test-${WAY})
file(REMOVE_RECURSE ${work})

include(${CMAKE_CURRENT_LIST_DIR}/consumer_steps.cmake)  # run(), pkg_config_compile()

# The version the consumer must print: project(VERSION) in CMakeLists.txt,
# from which include/pgwrap/version.hpp is generated.
file(STRINGS ${SOURCE_DIR}/CMakeLists.txt project_line REGEX "^project\\(pgwrap VERSION [0-9.]+")
string(REGEX MATCH "VERSION ([0-9.]+)" _ "${project_line}")
set(version "${CMAKE_MATCH_1}")
if(version STREQUAL "")
  message(FATAL_ERROR "no project(pgwrap VERSION ...) in ${SOURCE_DIR}/CMakeLists.txt")
endif()

# The parent build's coroutine face: the Asio it was built with, or off.
file(STRINGS ${BINARY_DIR}/CMakeCache.txt asio_line REGEX "^PGWRAP_ASIO:[A-Z]+=")
string(REGEX REPLACE "^[^=]*=" "" asio "${asio_line}")
if(asio STREQUAL "")
  set(asio off)
endif()
file(STRINGS ${BINARY_DIR}/CMakeCache.txt asio_dir_line REGEX "^PGWRAP_ASIO_INCLUDE_DIR:[A-Z]+=")
string(REGEX REPLACE "^[^=]*=" "" asio_dir "${asio_dir_line}")
set(asio_args -DPGWRAP_ASIO=${asio})
if(asio STREQUAL "off")
  set(consume_asio OFF)
else()
  set(consume_asio ON)
  if(asio_dir AND NOT asio_dir MATCHES "NOTFOUND$")
    list(APPEND asio_args -DPGWRAP_ASIO_INCLUDE_DIR=${asio_dir})
  endif()
endif()
message(STATUS "coroutine face: PGWRAP_ASIO=${asio}")

# expect_runs(program [async]): the program runs and prints its line.
function(expect_runs program)
  set(expected "pgwrap ${version} consumer ok")
  if(ARGV1 STREQUAL "async")
    set(expected "pgwrap ${version} async consumer ok")
  endif()
  run(${program})
  if(NOT last_output MATCHES "${expected}")
    message(FATAL_ERROR "${program} printed: ${last_output}")
  endif()
endfunction()

if(WAY STREQUAL "installed")
  run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${work}/prefix)

  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/find_package
      -DCMAKE_PREFIX_PATH=${work}/prefix -DCMAKE_CXX_COMPILER=${COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
      -DPGWRAP_CONSUME_ASIO=${consume_asio})
  run(${CMAKE_COMMAND} --build ${work}/find_package)
  expect_runs(${work}/find_package/consumer)
  message(STATUS "find_package(pgwrap): ok")
  if(consume_asio)
    expect_runs(${work}/find_package/async_consumer async)
    message(STATUS "find_package(pgwrap COMPONENTS asio): ok")
  else()
    # Built without the coroutine face: asking for it must fail, with a reason.
    execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/find_package_asio
                            -DCMAKE_PREFIX_PATH=${work}/prefix -DCMAKE_CXX_COMPILER=${COMPILER} -DPGWRAP_CONSUME_ASIO=ON
                    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(status EQUAL 0 OR NOT out MATCHES "PGWRAP_ASIO=off")
      message(FATAL_ERROR "find_package(pgwrap COMPONENTS asio) on a build without it:\n${out}")
    endif()
    message(STATUS "find_package(pgwrap COMPONENTS asio) fails on a build without it: ok")
  endif()

  file(GLOB pc_dirs ${work}/prefix/lib*/pkgconfig ${work}/prefix/lib/*/pkgconfig)
  set(ENV{PKG_CONFIG_PATH} "${pc_dirs}")
  pkg_config_compile(pgwrap ${SOURCE_DIR}/tests/consumer/main.cpp ${work}/pkg_config_consumer ${CXX_FLAGS})
  expect_runs(${work}/pkg_config_consumer)
  message(STATUS "pkg-config pgwrap: ok")
  if(consume_asio)
    pkg_config_compile(pgwrap-asio ${SOURCE_DIR}/tests/consumer/async_main.cpp ${work}/pkg_config_async_consumer
                       ${CXX_FLAGS})
    expect_runs(${work}/pkg_config_async_consumer async)
    message(STATUS "pkg-config pgwrap-asio: ok")
  endif()
else()
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/add_subdirectory
      -DPGWRAP_CONSUME=add_subdirectory -DPGWRAP_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_CXX_COMPILER=${COMPILER}
      "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" ${asio_args} -DPGWRAP_CONSUME_ASIO=${consume_asio})
  run(${CMAKE_COMMAND} --build ${work}/add_subdirectory -j2)
  expect_runs(${work}/add_subdirectory/consumer)
  message(STATUS "add_subdirectory(pgwrap): ok")
  if(consume_asio)
    expect_runs(${work}/add_subdirectory/async_consumer async)
    message(STATUS "add_subdirectory(pgwrap) with pgwrap::asio: ok")
  endif()
endif()
