# peer_dependencies: faultline-peer is a plain program. It links util and the shared model
# and nothing of the runner's third-party libraries, neither on its link line nor in its binary.
#   cmake -DPEER_LINKS=F -DCLI_LINKS=F -DPEER_BINARY=P -P this-file
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

# The closure must be able to see a forbidden library: the CLI's holds these (libdw it
# dlopens, faults/libdw.h: it is on no link line).
file(STRINGS "${CLI_LINKS}" cli_links)
foreach(expected yaml-cpp SECCOMP)
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

# What the peer and the model include is checked by architecture.layers (framework/layers.txt).

if(problems)
  message(FATAL_ERROR "faultline-peer reaches beyond util and the shared model:\n${problems}")
endif()
list(LENGTH peer_links count)
message(STATUS "faultline-peer links ${count} libraries, none of the runner's: ${peer_links}")
