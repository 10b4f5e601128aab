# Installs headers, the libraries, a CMake package (find_package(pgwrap), with
# the optional component `asio` for the coroutine face) and pkg-config files
# (pgwrap, and pgwrap-asio when the coroutine face is built).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# pgwrap::asio joins the same export set, so one find_package finds both.
set(pgwrap_install_targets pgwrap)
if(TARGET pgwrap_asio)
  list(APPEND pgwrap_install_targets pgwrap_asio)
  set_target_properties(pgwrap_asio PROPERTIES EXPORT_NAME asio)  # pgwrap::asio when installed too
  set(pgwrap_config_asio "${PGWRAP_ASIO}")  # standalone or boost, written into pgwrapConfig.cmake
else()
  set(pgwrap_config_asio "off")
endif()
# Components, for the Debian packages (cmake/packaging.cmake): `runtime` is the
# shared libraries' versioned files only; `dev` is everything a build needs.
install(TARGETS ${pgwrap_install_targets} EXPORT pgwrapTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
set(pgwrap_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/pgwrap)
install(EXPORT pgwrapTargets NAMESPACE pgwrap:: DESTINATION ${pgwrap_cmake_dir} COMPONENT dev)
configure_package_config_file(cmake/pgwrapConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pgwrapConfig.cmake INSTALL_DESTINATION ${pgwrap_cmake_dir})
# find_package(pgwrap 0.1) accepts only 0.1.x: in 0.x the API may change with
# each minor release (CHANGELOG.md); from 1.0 on, any later 1.x.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(pgwrap_version_compatibility SameMinorVersion)
else()
  set(pgwrap_version_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pgwrapConfigVersion.cmake
  COMPATIBILITY ${pgwrap_version_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/pgwrapConfig.cmake ${PROJECT_BINARY_DIR}/pgwrapConfigVersion.cmake
  DESTINATION ${pgwrap_cmake_dir} COMPONENT dev)

# pkg-config, relocatable (paths relative to the .pc file, so `--prefix` at
# install time works). A static pgwrap needs libpq on every link line.
file(RELATIVE_PATH pgwrap_pc_to_prefix "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
if(BUILD_SHARED_LIBS)
  set(pgwrap_pc_requires "Requires.private: libpq")
else()
  set(pgwrap_pc_requires "Requires: libpq")
endif()
configure_file(cmake/pgwrap.pc.in ${PROJECT_BINARY_DIR}/pgwrap.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pgwrap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

if(TARGET pgwrap_asio)
  # pgwrap-asio.pc: `pkg-config --cflags --libs pgwrap-asio`. Asio is
  # header-only; its directory is named only when the compiler would not
  # search it anyway (Boost has no .pc file of its own to require).
  if(PGWRAP_ASIO STREQUAL "boost")
    set(pgwrap_asio_pc_flavour "Boost.Asio")
    get_target_property(pgwrap_asio_pc_dirs Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
  else()
    set(pgwrap_asio_pc_flavour "standalone Asio")
    set(pgwrap_asio_pc_dirs ${PGWRAP_ASIO_INCLUDE_DIR})
  endif()
  set(pgwrap_asio_pc_cflags "")
  if(BUILD_SHARED_LIBS)  # the coroutine face is inside libpgwrap.so (cmake/asio.cmake)
    set(pgwrap_asio_pc_libs "-pthread")
  else()
    set(pgwrap_asio_pc_libs "-L\${libdir} -lpgwrap_asio -pthread")
  endif()
  foreach(dir IN LISTS pgwrap_asio_pc_dirs)
    if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
      string(APPEND pgwrap_asio_pc_cflags " -I${dir}")
    endif()
  endforeach()
  configure_file(cmake/pgwrap-asio.pc.in ${PROJECT_BINARY_DIR}/pgwrap-asio.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pgwrap-asio.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endif()
