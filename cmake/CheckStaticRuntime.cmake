# Run after linking the runner with FAULTLINE_STATIC_RUNTIME (cmake/StaticRuntime.cmake): it
# must need no shared library but libc, libm and the loader. A symbol that the linked-in
# archives do not define (an fmt function fmt_in_binary.cc does not instantiate, say) is
# taken from the .so that the parts' link lines still name, which would load libstdc++.so next
# to the runner's own copy: fail the build instead.
#   cmake -DBINARY=path/to/faultline -P this-file
execute_process(COMMAND readelf -d "${BINARY}" OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${BINARY} failed")
endif()
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${dynamic}")
foreach(entry IN LISTS needed)
  string(REGEX REPLACE "Shared library: \\[([^]]+)\\]" "\\1" lib "${entry}")
  if(NOT lib MATCHES "^(libc\\.so\\.6|libm\\.so\\.6|ld-linux.*)$")
    file(REMOVE "${BINARY}")
    message(FATAL_ERROR "${BINARY} needs ${lib}: with FAULTLINE_STATIC_RUNTIME the runner must "
      "link it in (cmake/StaticRuntime.cmake; an fmt function? add its instantiation to "
      "framework/cli/fmt_in_binary.cc), or configure with -DFAULTLINE_STATIC_RUNTIME=OFF")
  endif()
endforeach()
