# pgwrap::asio, the coroutine face: its own library, so that pgwrap::pgwrap
# keeps no Asio dependency. PGWRAP_ASIO picks the Asio it is built with; the
# generated pgwrap/asio_config.hpp tells the installed header which one.
find_package(Threads REQUIRED)
if(PGWRAP_ASIO STREQUAL "boost")
  find_package(Boost 1.81 REQUIRED)  # Boost.Asio is header-only
  set(PGWRAP_ASIO_BOOST 1)
  set(pgwrap_asio_dependency Boost::headers)
elseif(PGWRAP_ASIO STREQUAL "standalone")
  find_path(PGWRAP_ASIO_INCLUDE_DIR asio.hpp DOC "standalone Asio (Debian: libasio-dev)")
  if(NOT PGWRAP_ASIO_INCLUDE_DIR)
    message(FATAL_ERROR "PGWRAP_ASIO=standalone: asio.hpp not found; install libasio-dev, or configure with "
                        "-DPGWRAP_ASIO=boost (Boost.Asio) or -DPGWRAP_ASIO=off (no coroutine face)")
  endif()
  set(PGWRAP_ASIO_BOOST 0)
  set(pgwrap_asio_dependency "")
else()
  message(FATAL_ERROR "PGWRAP_ASIO must be standalone, boost or off, not '${PGWRAP_ASIO}'")
endif()
configure_file(cmake/asio_config.hpp.in ${PROJECT_BINARY_DIR}/include/pgwrap/asio_config.hpp @ONLY)

set(pgwrap_asio_sources
  src/asio/async_call.cpp
  src/asio/async_session.cpp
  src/asio/async_database.cpp
  src/asio/async_pool.cpp
  src/asio/async_listener.cpp
  src/asio/session_notifications.cpp
  src/asio/cancel_worker.cpp)
if(BUILD_SHARED_LIBS)
  # The coroutine face runs on the core's engine (src/engine/), which a shared
  # libpgwrap does not export: its code goes into libpgwrap.so itself, and
  # pgwrap::asio only adds Asio's headers and threads to what links it.
  add_library(pgwrap_asio INTERFACE)
  set(pgwrap_asio_scope INTERFACE)
  target_sources(pgwrap PRIVATE ${pgwrap_asio_sources})
  target_link_libraries(pgwrap PRIVATE Threads::Threads ${pgwrap_asio_dependency})
  if(PGWRAP_ASIO_INCLUDE_DIR)
    target_include_directories(pgwrap SYSTEM PRIVATE ${PGWRAP_ASIO_INCLUDE_DIR})
    target_compile_definitions(pgwrap PRIVATE $<$<CXX_COMPILER_ID:Clang>:ASIO_HAS_CO_AWAIT=1>)
  endif()
else()
  add_library(pgwrap_asio ${pgwrap_asio_sources})
  set(pgwrap_asio_scope PUBLIC)
endif()
add_library(pgwrap::asio ALIAS pgwrap_asio)
target_sources(pgwrap_asio ${pgwrap_asio_scope} FILE_SET HEADERS BASE_DIRS include ${PROJECT_BINARY_DIR}/include FILES
  include/pgwrap/asio.hpp
  ${PROJECT_BINARY_DIR}/include/pgwrap/asio_config.hpp)
if(PGWRAP_ASIO_INCLUDE_DIR)
  target_include_directories(pgwrap_asio SYSTEM ${pgwrap_asio_scope} $<BUILD_INTERFACE:${PGWRAP_ASIO_INCLUDE_DIR}>)
  # Asio 1.22 enables co_await on clang only for the coroutines TS; clang 14's C++20 ones work too.
  target_compile_definitions(pgwrap_asio ${pgwrap_asio_scope} $<$<CXX_COMPILER_ID:Clang>:ASIO_HAS_CO_AWAIT=1>)
endif()
# Under -fsanitize=thread g++ 12 warns (-Wtsan) at every std::atomic_thread_fence
# Asio's handlers inline: Asio's, not ours, and -Werror would stop the build of
# the library and of everything here that uses it (tests, examples).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
  target_compile_options(pgwrap_asio ${pgwrap_asio_scope} $<BUILD_INTERFACE:-Wno-tsan>)
endif()
target_link_libraries(pgwrap_asio ${pgwrap_asio_scope} pgwrap Threads::Threads ${pgwrap_asio_dependency})
if(NOT BUILD_SHARED_LIBS)
  target_include_directories(pgwrap_asio PRIVATE src)
  target_link_libraries(pgwrap_asio PRIVATE PostgreSQL::PostgreSQL $<BUILD_INTERFACE:pgwrap_warnings>)
  set_target_properties(pgwrap_asio PROPERTIES
    VERSION ${PROJECT_VERSION} SOVERSION ${PGWRAP_SOVERSION}
    CXX_EXTENSIONS OFF POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endif()
