# The Debian packages as a user gets them: builds them (scripts/build_packages.sh),
# checks their control fields and contents (dpkg-deb -f/-c), unpacks them into a
# temporary root (dpkg-deb -x), builds tests/consumer against that root with
# find_package and with pkg-config, runs it against the test database
# (PGWRAP_TEST_DSN), and checks with readelf and ldd that it linked the shared
# library from the root. With the coroutine face, async_consumer too.
set(work ${BINARY_DIR}/packaging-test)
file(REMOVE_RECURSE ${work})
set(root ${work}/root)

include(${SOURCE_DIR}/tests/consumer/consumer_steps.cmake)  # run(), pkg_config_compile()

# expect(text regex what): fail, showing the text, unless it matches.
function(expect text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: expected to match '${regex}', got:\n${text}")
  endif()
endfunction()

set(dsn "$ENV{PGWRAP_TEST_DSN}")
if(dsn STREQUAL "")
  message(FATAL_ERROR "PGWRAP_TEST_DSN is not set: the consumer runs a query on the test database")
endif()

# The version and SONAME the packages must carry (CMakeLists.txt: 0.x -> major.minor).
file(STRINGS ${SOURCE_DIR}/CMakeLists.txt project_line REGEX "^project\\(pgwrap VERSION [0-9.]+")
string(REGEX MATCH "VERSION (([0-9]+)\\.([0-9]+)\\.[0-9]+)" _ "${project_line}")
set(version ${CMAKE_MATCH_1})
if(CMAKE_MATCH_2 EQUAL 0)
  set(soversion ${CMAKE_MATCH_2}.${CMAKE_MATCH_3})
else()
  set(soversion ${CMAKE_MATCH_2})
endif()
string(REPLACE "." "\\." soversion_re "${soversion}")

# The parent build's coroutine face decides whether the packages have one.
file(STRINGS ${BINARY_DIR}/CMakeCache.txt asio_line REGEX "^PGWRAP_ASIO:[A-Z]+=")
string(REGEX REPLACE "^[^=]*=" "" asio "${asio_line}")
if(asio STREQUAL "")
  set(asio off)
endif()
set(build_args -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=${COMPILER} -DPGWRAP_ASIO=${asio})
file(STRINGS ${BINARY_DIR}/CMakeCache.txt launcher_line REGEX "^CMAKE_CXX_COMPILER_LAUNCHER:[A-Z]+=.+")
if(launcher_line)
  string(REGEX REPLACE "^[^=]*=" "" launcher "${launcher_line}")
  list(APPEND build_args -DCMAKE_CXX_COMPILER_LAUNCHER=${launcher})
endif()

run(${SOURCE_DIR}/scripts/build_packages.sh ${work}/build ${build_args})
file(GLOB runtime_deb ${work}/build/libpgwrap${soversion}_*.deb)
file(GLOB dev_deb ${work}/build/libpgwrap-dev_*.deb)
list(LENGTH runtime_deb runtime_count)
list(LENGTH dev_deb dev_count)
if(NOT runtime_count EQUAL 1 OR NOT dev_count EQUAL 1)
  file(GLOB all_debs ${work}/build/*.deb)
  message(FATAL_ERROR "expected libpgwrap${soversion}_*.deb and libpgwrap-dev_*.deb, found: ${all_debs}")
endif()

# Control fields: the runtime needs libpq5; -dev needs this very runtime and libpq-dev.
run(dpkg-deb -f ${runtime_deb} Package Version Depends)
expect("${last_output}" "Package: libpgwrap${soversion_re}\n" "runtime package name")
expect("${last_output}" "Version: ${version}-[0-9]+\n" "runtime package version")
expect("${last_output}" "Depends: [^\n]*libpq5" "runtime package Depends")
string(REGEX MATCH "Version: ([^\n]+)" _ "${last_output}")
set(package_version ${CMAKE_MATCH_1})
run(dpkg-deb -f ${dev_deb} Depends)
expect("${last_output}" "libpgwrap${soversion_re} \\(= ${package_version}\\)" "-dev Depends")
expect("${last_output}" "libpq-dev" "-dev Depends")
if(asio STREQUAL "standalone")
  expect("${last_output}" "libasio-dev" "-dev Depends")
endif()
message(STATUS "control fields: ok")

# Contents: the runtime package holds the versioned library (both faces, see
# cmake/asio.cmake) and nothing a build needs; -dev holds the rest.
run(dpkg-deb -c ${runtime_deb})
string(REGEX MATCHALL "\\./usr/[^ \n]*[^/ \n]( -> [^\n]+)?\n" runtime_files "${last_output}")
foreach(entry IN LISTS runtime_files)
  if(NOT entry MATCHES "^\\./usr/lib/[^/]+/libpgwrap\\.so\\.${soversion_re}(\\.[0-9]+)?( |\n)"
     AND NOT entry MATCHES "^\\./usr/share/doc/")
    message(FATAL_ERROR "the runtime package should hold only the shared libraries, not ${entry}")
  endif()
endforeach()
expect("${last_output}" "libpgwrap\\.so\\.${soversion_re} -> " "runtime package: the SONAME link")
run(dpkg-deb -c ${dev_deb})
foreach(file usr/include/pgwrap/pgwrap.hpp "usr/lib/[^/]+/libpgwrap\\.so -> " usr/lib/[^/]+/cmake/pgwrap/pgwrapConfig.cmake
        usr/lib/[^/]+/pkgconfig/pgwrap.pc)
  expect("${last_output}" "\\./${file}" "-dev package contents")
endforeach()
if(NOT asio STREQUAL "off")
  expect("${last_output}" "\\./usr/include/pgwrap/asio\\.hpp" "-dev package contents")
  expect("${last_output}" "\\./usr/lib/[^/]+/pkgconfig/pgwrap-asio\\.pc" "-dev package contents")
endif()
message(STATUS "package contents: ok")

run(dpkg-deb -x ${runtime_deb} ${root})
run(dpkg-deb -x ${dev_deb} ${root})
file(GLOB libdir LIST_DIRECTORIES true ${root}/usr/lib/*/libpgwrap.so)
get_filename_component(libdir "${libdir}" DIRECTORY)

# linked_from_root(program): the program needs libpgwrap's SONAME and the
# dynamic loader finds it in the unpacked root.
function(linked_from_root program)
  run(readelf -d ${program})
  expect("${last_output}" "NEEDED\\)[^\n]*\\[libpgwrap\\.so\\.${soversion_re}\\]" "${program}: readelf -d")
  run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir} ldd ${program})
  expect("${last_output}" "libpgwrap\\.so\\.${soversion_re} => ${libdir}/libpgwrap\\.so\\.${soversion_re} "
         "${program}: ldd")
endfunction()

# expect_runs(program [async]): it runs (with the root's libraries) and prints its lines.
function(expect_runs program)
  if(ARGV1 STREQUAL "async")
    run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir} ${program})
    expect("${last_output}" "pgwrap ${version} async consumer ok" "${program}")
  else()
    run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir} ${program} ${dsn})
    expect("${last_output}" "server answered 42\npgwrap ${version} consumer ok" "${program}")
  endif()
endfunction()

if(asio STREQUAL "off")
  set(consume_asio OFF)
else()
  set(consume_asio ON)
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/find_package -DCMAKE_PREFIX_PATH=${root}/usr
    -DCMAKE_CXX_COMPILER=${COMPILER} -DPGWRAP_CONSUME_ASIO=${consume_asio})
file(STRINGS ${work}/find_package/CMakeCache.txt found_dir REGEX "^pgwrap_DIR:")
expect("${found_dir}" "=${root}/usr/lib/" "find_package(pgwrap) found")
run(${CMAKE_COMMAND} --build ${work}/find_package)
linked_from_root(${work}/find_package/consumer)
expect_runs(${work}/find_package/consumer)
message(STATUS "find_package(pgwrap) against the packages: ok")
if(consume_asio)
  linked_from_root(${work}/find_package/async_consumer)
  expect_runs(${work}/find_package/async_consumer async)
  message(STATUS "find_package(pgwrap COMPONENTS asio) against the packages: ok")
endif()

set(ENV{PKG_CONFIG_PATH} ${libdir}/pkgconfig)
run(pkg-config --libs pgwrap)
expect("${last_output}" "-L${libdir}" "pkg-config pgwrap")
pkg_config_compile(pgwrap ${SOURCE_DIR}/tests/consumer/main.cpp ${work}/pkg_config_consumer)
linked_from_root(${work}/pkg_config_consumer)
expect_runs(${work}/pkg_config_consumer)
message(STATUS "pkg-config pgwrap against the packages: ok")
if(consume_asio)
  pkg_config_compile(pgwrap-asio ${SOURCE_DIR}/tests/consumer/async_main.cpp ${work}/pkg_config_async_consumer)
  linked_from_root(${work}/pkg_config_async_consumer)
  expect_runs(${work}/pkg_config_async_consumer async)
  message(STATUS "pkg-config pgwrap-asio against the packages: ok")
endif()
