# Debian packages with CPack (./dev package, scripts/build_packages.sh): a
# shared build (BUILD_SHARED_LIBS=ON; a static one would leave the runtime
# package empty) split into two packages by the install
# components of cmake/install.cmake:
#   libpgwrap<SOVERSION>  the shared library (libpgwrap.so.0.1, both faces: cmake/asio.cmake)
#   libpgwrap-dev         headers, the .so links, CMake config and pkg-config files
# The runtime package is named after the SONAME, as Debian does, so two
# ABI-incompatible versions can be installed side by side.

# --- Package metadata: the one place it is written ---------------------------
set(PGWRAP_PACKAGE_MAINTAINER "pgwrap developers <pgwrap@invalid>")
set(PGWRAP_PACKAGE_SUMMARY "C++20 PostgreSQL client library")
set(PGWRAP_PACKAGE_DESCRIPTION "pgwrap is a C++20 client library for PostgreSQL on libpq: every query returns
its own result, values always travel as parameters (never spliced into SQL),
and SQL written as a string literal is checked at compile time. It has a
blocking face (pgwrap::database, pgwrap::pool) and an Asio coroutine face
(pgwrap::async_database, pgwrap::async_pool).")
set(PGWRAP_PACKAGE_HOMEPAGE "")  # none yet
set(PGWRAP_PACKAGE_LICENSE "")   # not chosen yet (no LICENSE file in the tree)
set(PGWRAP_PACKAGE_RELEASE 1)    # the Debian revision of this version's packages
# ------------------------------------------------------------------------------

set(pgwrap_runtime_package "libpgwrap${PGWRAP_SOVERSION}")
set(pgwrap_package_version "${PROJECT_VERSION}-${PGWRAP_PACKAGE_RELEASE}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pgwrap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${PGWRAP_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PGWRAP_PACKAGE_SUMMARY}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # name_version-release_arch.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${PGWRAP_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PGWRAP_PACKAGE_MAINTAINER}")
if(PGWRAP_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PGWRAP_PACKAGE_HOMEPAGE}")
endif()
if(PGWRAP_PACKAGE_LICENSE)  # Debian has no License field: say it in the description
  string(APPEND PGWRAP_PACKAGE_DESCRIPTION "\nLicense: ${PGWRAP_PACKAGE_LICENSE}.")
endif()

# Runtime: dpkg-shlibdeps derives libpq5, libstdc++6 and libc6 (with their
# minimum versions) from what the library links; the shlibs file and the
# ldconfig trigger let other packages depend on it the same way.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${pgwrap_runtime_package})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "${PGWRAP_PACKAGE_SUMMARY} (shared library)
${PGWRAP_PACKAGE_DESCRIPTION}

This package holds the shared library (SONAME libpgwrap.so.${PGWRAP_SOVERSION}).")

# Development: the runtime package of exactly this version; libpq-dev for
# pgwrapConfig.cmake's find_dependency(PostgreSQL); the Asio that the
# installed pgwrap/asio.hpp includes.
if(PGWRAP_ASIO STREQUAL "boost")
  set(pgwrap_dev_asio ", libboost1.81-dev")
elseif(PGWRAP_ASIO STREQUAL "standalone")
  set(pgwrap_dev_asio ", libasio-dev")
else()
  set(pgwrap_dev_asio "")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libpgwrap-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "${pgwrap_runtime_package} (= ${pgwrap_package_version}), libpq-dev${pgwrap_dev_asio}")
set(CPACK_COMPONENT_DEV_DESCRIPTION "${PGWRAP_PACKAGE_SUMMARY} (development files)
${PGWRAP_PACKAGE_DESCRIPTION}

This package holds the headers, the CMake package (find_package(pgwrap),
component asio for the coroutine face) and the pkg-config files (pgwrap,
pgwrap-asio).")

include(CPack)
