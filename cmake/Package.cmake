# The CMake package (docs/cmake.md): `cmake --install` puts faultline-config.cmake, its
# version file, the exported targets and the CTest functions in lib/cmake/faultline, where
# find_package(faultline CONFIG) looks under each CMAKE_PREFIX_PATH entry. The build tree
# is a package too: -Dfaultline_DIR=<build> uses the targets just built.
include(CMakePackageConfigHelpers)

set_target_properties(faultline-peer PROPERTIES EXPORT_NAME peer)
set_target_properties(faultline-interpose PROPERTIES EXPORT_NAME interpose)
set(FAULTLINE_PACKAGE_DIR lib/cmake/faultline)

# 0.x: a new minor version may change the functions' arguments.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/faultline-config-version.cmake
  COMPATIBILITY SameMinorVersion)
configure_file(${PROJECT_SOURCE_DIR}/cmake/faultline-config.cmake
  ${PROJECT_BINARY_DIR}/faultline-config.cmake COPYONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/faultline-functions.cmake
  ${PROJECT_BINARY_DIR}/faultline-functions.cmake COPYONLY)
export(EXPORT faultline-targets NAMESPACE faultline::
  FILE ${PROJECT_BINARY_DIR}/faultline-targets.cmake)

install(EXPORT faultline-targets NAMESPACE faultline:: DESTINATION ${FAULTLINE_PACKAGE_DIR}
  FILE faultline-targets.cmake)
install(FILES
  ${PROJECT_BINARY_DIR}/faultline-config.cmake
  ${PROJECT_BINARY_DIR}/faultline-config-version.cmake
  ${PROJECT_BINARY_DIR}/faultline-functions.cmake
  DESTINATION ${FAULTLINE_PACKAGE_DIR})
