# FAULTLINE_FUZZ=ON: the libFuzzer targets of tests/fuzz/ (docs/hardening.md, "Fuzzing").
# libFuzzer comes with clang only. Included after the interposer's folder: the interposer
# runs inside other programs and is not instrumented; every framework part (and what links
# it) gets the fuzzer's coverage instrumentation, and ASan+UBSan unless FAULTLINE_SANITIZE
# (ci/sanitize's build) already chose the sanitizers.
option(FAULTLINE_FUZZ "build the libFuzzer targets of tests/fuzz (needs clang)" OFF)
if(FAULTLINE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "FAULTLINE_FUZZ=ON needs clang (libFuzzer), but the compilers are "
      "${CMAKE_C_COMPILER_ID} and ${CMAKE_CXX_COMPILER_ID}: configure a new build folder with "
      "CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DFAULTLINE_FUZZ=ON")
  endif()
  # C++ only: the C programs the tests spawn (and the interposer) stay plain, and a plain C
  # program has no runtime that defines the coverage callbacks (__sanitizer_cov_*).
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link;-fno-omit-frame-pointer>")
  if(NOT FAULTLINE_SANITIZE)
    add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined>")
    add_link_options("$<$<LINK_LANGUAGE:CXX>:-fsanitize=address,undefined>")
  endif()
endif()
