# FAULTLINE_SANITIZE: the sanitizer builds of ci/sanitize (docs/hardening.md), with clang.
#
#   -DFAULTLINE_SANITIZE=address,undefined   ASan (with LeakSanitizer) and UBSan
#   -DFAULTLINE_SANITIZE=thread              TSan (the seccomp supervisor threads)
#
# Three kinds of code get three treatments, because they run in three kinds of process:
# - The C++ of the framework, the peer and the tests (and faultline_rules, the interposer's
#   rule engine that the runner links): the sanitizers asked for, in every C++ target.
# - The interposer, which is preloaded into programs that have no sanitizer runtime (an ASan
#   or TSan library cannot be loaded into a plain program): UBSan only, with the minimal
#   runtime linked into it (no allocation, no signal handler, no interceptor; it writes
#   "ubsan: CHECK" to stderr and aborts), so that it can still go into any program.
# - The C programs the tests spawn (showcase programs, probes, explore subjects): plain. They
#   are the programs under test, not faultline; an ASan runtime in them would also sit between
#   them and the interposer.
# Every check fails the run at its first finding (-fno-sanitize-recover=all).
set(FAULTLINE_SANITIZE "" CACHE STRING
  "Sanitizers for ci/sanitize (clang): address,undefined or thread; empty for none")
if(FAULTLINE_SANITIZE STREQUAL "")
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "FAULTLINE_SANITIZE needs clang (CC=clang CXX=clang++): the interposer "
    "links clang's minimal UBSan runtime")
endif()
string(REPLACE "," ";" fl_sanitizers "${FAULTLINE_SANITIZE}")
foreach(fl_s IN LISTS fl_sanitizers)
  if(NOT fl_s MATCHES "^(address|undefined|thread)$")
    message(FATAL_ERROR "FAULTLINE_SANITIZE: unknown sanitizer ${fl_s} (address, undefined, thread)")
  endif()
endforeach()
if("address" IN_LIST fl_sanitizers AND "thread" IN_LIST fl_sanitizers)
  message(FATAL_ERROR "FAULTLINE_SANITIZE: address and thread cannot be in one build")
endif()

set(fl_sanitize_flags -fsanitize=${FAULTLINE_SANITIZE} -fno-sanitize-recover=all
  -fno-omit-frame-pointer)
add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${fl_sanitize_flags}>")
add_link_options("$<$<LINK_LANGUAGE:CXX>:${fl_sanitize_flags}>")

# The minimal UBSan runtime as an archive: clang links no sanitizer runtime into a shared
# library by itself, and the interposer links with --no-undefined.
execute_process(
  COMMAND ${CMAKE_C_COMPILER} -print-file-name=libclang_rt.ubsan_minimal-${CMAKE_SYSTEM_PROCESSOR}.a
  OUTPUT_VARIABLE FAULTLINE_UBSAN_MINIMAL_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_ABSOLUTE "${FAULTLINE_UBSAN_MINIMAL_RUNTIME}" OR NOT EXISTS "${FAULTLINE_UBSAN_MINIMAL_RUNTIME}")
  message(FATAL_ERROR "FAULTLINE_SANITIZE: clang's minimal UBSan runtime was not found "
    "(${FAULTLINE_UBSAN_MINIMAL_RUNTIME}; Debian package libclang-rt-14-dev)")
endif()

# Called once the interposer's targets exist (interpose/CMakeLists.txt).
function(faultline_sanitize_interposer)
  # The runner's copy of the rule engine runs in the runner's process: what the C++ gets.
  target_compile_options(faultline_rules PRIVATE ${fl_sanitize_flags})
  set(fl_ubsan -fsanitize=undefined -fsanitize-minimal-runtime -fno-sanitize-recover=all)
  target_compile_options(faultline-interpose PRIVATE ${fl_ubsan})
  target_link_libraries(faultline-interpose PRIVATE ${FAULTLINE_UBSAN_MINIMAL_RUNTIME})
endfunction()
