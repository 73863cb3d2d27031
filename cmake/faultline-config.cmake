# find_package(faultline CONFIG): the imported targets faultline::faultline (the runner),
# faultline::peer (the built-in peer) and faultline::interpose (the preload library, for
# LD_PRELOAD), and the CTest functions faultline_add_scenario and faultline_add_explore
# (docs/cmake.md). Every path is taken from this file's own folder, so an installed tree
# works wherever it is unpacked (a DESTDIR, an extracted .deb).
if(CMAKE_VERSION VERSION_LESS 3.19)
  set(faultline_FOUND FALSE)
  set(faultline_NOT_FOUND_MESSAGE
    "faultline's CMake functions need CMake 3.19 or later (string(JSON)), this is ${CMAKE_VERSION}")
  return()
endif()
include("${CMAKE_CURRENT_LIST_DIR}/faultline-targets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/faultline-functions.cmake")
