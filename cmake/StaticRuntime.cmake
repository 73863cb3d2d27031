# FAULTLINE_STATIC_RUNTIME (ON by default): the runner, `faultline`, carries its C++ runtime and
# libraries inside it instead of loading them at every start: libstdc++ and libgcc
# (-static-libstdc++ -static-libgcc), yaml-cpp and libseccomp (their static archives, whole)
# and fmt (compiled in, framework/cli/fmt_in_binary.cc). Its start was dominated by the dynamic
# loader mapping those libraries and binding about 2,100 symbols to them; linked in, it needs
# only libc and libm (docs/performance.md, "The runner's start"). libdw is dlopened when a site
# is resolved (framework/src/faults/libdw.h). Only the runner: the peer, the tests and the
# interposer link as before.
#
# Left dynamic, with a note, where that cannot be done as tested: another fmt than 9.x (the
# compiled-in file instantiates fmt 9's templates), no libyaml-cpp.a or libseccomp.a (their
# Debian -dev packages have them), and the sanitizer and fuzzing builds (their runtimes replace
# operator new and friends, which a static libstdc++ would define a second time).
option(FAULTLINE_STATIC_RUNTIME
  "link libstdc++, yaml-cpp, libseccomp and fmt into the faultline runner (a faster start)" ON)

# faultline_static_runtime(TARGET): applies the above to TARGET, when it can. Sets the global
# property FAULTLINE_STATIC_RUNTIME_USED to ON or OFF (the tests ask it).
function(faultline_static_runtime target)
  set_property(GLOBAL PROPERTY FAULTLINE_STATIC_RUNTIME_USED OFF)
  if(NOT FAULTLINE_STATIC_RUNTIME)
    return()
  endif()
  set(why "")
  if(FAULTLINE_SANITIZE OR FAULTLINE_FUZZ)
    set(why "a sanitizer or fuzzing build")
  elseif(NOT fmt_VERSION VERSION_GREATER_EQUAL 9 OR NOT fmt_VERSION VERSION_LESS 10)
    set(why "fmt ${fmt_VERSION} is not 9.x")
  endif()
  find_library(FL_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a)
  find_library(FL_SECCOMP_ARCHIVE NAMES libseccomp.a)
  if(why STREQUAL "" AND (NOT FL_YAML_CPP_ARCHIVE OR NOT FL_SECCOMP_ARCHIVE))
    set(why "no libyaml-cpp.a or libseccomp.a")
  endif()
  if(NOT why STREQUAL "")
    message(STATUS "faultline links its libraries dynamically (${why}): a slower start")
    return()
  endif()
  target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/framework/cli/fmt_in_binary.cc)
  # The archives come whole and before the objects: every symbol they define is then defined
  # when the linker reaches the shared libraries that the parts' link lines still name
  # (yaml-cpp, PkgConfig::SECCOMP, fmt::fmt), which --as-needed then leaves out.
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc LINKER:--as-needed
    LINKER:--whole-archive ${FL_YAML_CPP_ARCHIVE} ${FL_SECCOMP_ARCHIVE} LINKER:--no-whole-archive)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DBINARY=$<TARGET_FILE:${target}>
      -P ${PROJECT_SOURCE_DIR}/cmake/CheckStaticRuntime.cmake
    VERBATIM)
  set_property(GLOBAL PROPERTY FAULTLINE_STATIC_RUNTIME_USED ON)
endfunction()
