# Installs headers, the library, a CMake package (find_package(pgwrap)) and a
# pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS pgwrap EXPORT pgwrapTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(pgwrap_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/pgwrap)
install(EXPORT pgwrapTargets NAMESPACE pgwrap:: DESTINATION ${pgwrap_cmake_dir})
configure_package_config_file(cmake/pgwrapConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pgwrapConfig.cmake INSTALL_DESTINATION ${pgwrap_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pgwrapConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pgwrapConfig.cmake ${PROJECT_BINARY_DIR}/pgwrapConfigVersion.cmake
  DESTINATION ${pgwrap_cmake_dir})

# pkg-config, relocatable (paths relative to the .pc file, so `--prefix` at
# install time works). A static pgwrap needs libpq on every link line.
file(RELATIVE_PATH pgwrap_pc_to_prefix "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
if(BUILD_SHARED_LIBS)
  set(pgwrap_pc_requires "Requires.private: libpq")
else()
  set(pgwrap_pc_requires "Requires: libpq")
endif()
configure_file(cmake/pgwrap.pc.in ${PROJECT_BINARY_DIR}/pgwrap.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pgwrap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
