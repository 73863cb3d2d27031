# peer_dependencies: faultline-peer is a plain program. It links util and the shared model
# and nothing of the runner, and its sources (and the model's) include nothing else.
#   cmake -DPEER_LINKS=F -DCLI_LINKS=F -DPEER_BINARY=P -DSOURCE_DIR=D -P this-file
# PEER_LINKS/CLI_LINKS: the link closures of faultline-peer and of faultline, written at
# configure time (cmake/LinkClosure.cmake).
cmake_minimum_required(VERSION 3.25)
set(problems "")

# Libraries of the runner: scenario files, the seccomp backend, site= resolution, Boost
# libraries (Boost::headers, header-only, is fine: the peer's CRC).
set(forbidden "faultline_core|faultline_explore|yaml-cpp|seccomp|SECCOMP|LIBDW|libdw|libelf|Boost::[a-gi-z]|libboost")

file(STRINGS "${PEER_LINKS}" peer_links)
foreach(lib IN LISTS peer_links)
  if(lib MATCHES "${forbidden}")
    string(APPEND problems "faultline-peer links ${lib}\n")
  endif()
endforeach()
foreach(needed faultline_model faultline_util)
  if(NOT needed IN_LIST peer_links)
    string(APPEND problems "faultline-peer does not link ${needed} (${PEER_LINKS})\n")
  endif()
endforeach()

# The closure must be able to see a forbidden library: the CLI's holds them all.
file(STRINGS "${CLI_LINKS}" cli_links)
foreach(expected yaml-cpp SECCOMP LIBDW)
  set(found FALSE)
  foreach(lib IN LISTS cli_links)
    if(lib MATCHES "${expected}")
      set(found TRUE)
    endif()
  endforeach()
  if(NOT found)
    string(APPEND problems "the link closure of faultline misses ${expected}: the walk is broken\n")
  endif()
endforeach()

# What the binary loads (ldd reads the same DT_NEEDED entries).
execute_process(COMMAND readelf -d "${PEER_BINARY}" OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  string(APPEND problems "readelf -d ${PEER_BINARY} failed\n")
endif()
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${dynamic}")
foreach(lib IN LISTS needed)
  if(lib MATCHES "yaml|seccomp|libdw|libelf|boost")
    string(APPEND problems "faultline-peer needs ${lib}\n")
  endif()
endforeach()

# Includes: the peer's own headers, util, the model; the model: util and itself.
function(check_includes folder allowed)
  file(GLOB sources "${SOURCE_DIR}/${folder}/*.h" "${SOURCE_DIR}/${folder}/*.cc")
  foreach(source IN LISTS sources)
    file(STRINGS "${source}" lines REGEX "^#include \"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" header "${line}")
      if(NOT header MATCHES "${allowed}")
        string(APPEND problems "${source} includes ${header}\n")
      endif()
    endforeach()
  endforeach()
  set(problems "${problems}" PARENT_SCOPE)
endfunction()
check_includes(framework/peer "^([a-z_]+\\.h|util/[a-z_]+\\.h|model/[a-z_]+\\.h|faultline/duration\\.h)$")
check_includes(framework/src/model "^(util/[a-z_]+\\.h|model/[a-z_]+\\.h|faultline/duration\\.h)$")

if(problems)
  message(FATAL_ERROR "faultline-peer reaches beyond util and the shared model:\n${problems}")
endif()
list(LENGTH peer_links count)
message(STATUS "faultline-peer links ${count} libraries, none of the runner's: ${peer_links}")
