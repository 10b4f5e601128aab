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

# pkg-config: libpq is private (needed only when linking the static library).
set(pgwrap_pc_libdir "${CMAKE_INSTALL_FULL_LIBDIR}")
set(pgwrap_pc_includedir "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
configure_file(cmake/pgwrap.pc.in ${PROJECT_BINARY_DIR}/pgwrap.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pgwrap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
