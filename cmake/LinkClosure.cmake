# faultline_write_link_closure(TARGET FILE): at the end of configuring, writes to FILE every
# library TARGET links, directly or through the targets it links (LINK_LIBRARIES and
# INTERFACE_LINK_LIBRARIES, followed recursively), one per line. Tests read it to check that
# a part links only what it may (e.g. tests/unit/peer/check_peer_dependencies.cmake).
function(faultline_write_link_closure target file)
  # A deferred call's arguments are expanded when it runs: pass the values, not the names.
  cmake_language(EVAL CODE "
    cmake_language(DEFER DIRECTORY [[${PROJECT_SOURCE_DIR}]]
      CALL _faultline_write_link_closure_now [[${target}]] [[${file}]])")
endfunction()

function(_faultline_write_link_closure_now target file)
  set(seen "")
  set(todo "${target}")
  # Not while(todo): a list whose last item ends in -NOTFOUND reads as false.
  list(LENGTH todo left)
  while(left GREATER 0)
    list(POP_FRONT todo item)
    list(LENGTH todo left)
    # $<LINK_ONLY:x> is a private dependency of a static library: it is linked all the same.
    if(item MATCHES "^\\$<LINK_ONLY:(.+)>$")
      set(item "${CMAKE_MATCH_1}")
    endif()
    # "::@(...)" marks items linked from another directory; targets imported in a
    # subdirectory (PkgConfig::LIBDW) are not visible here and are kept by name.
    if(item STREQUAL "" OR item MATCHES "-NOTFOUND$" OR item MATCHES "^::@" OR item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${item}")
    if(NOT TARGET "${item}")
      continue()
    endif()
    get_target_property(aliased "${item}" ALIASED_TARGET)
    if(aliased)
      list(APPEND todo "${aliased}")
      continue()
    endif()
    get_target_property(imported "${item}" IMPORTED)
    if(NOT imported)
      get_target_property(direct "${item}" LINK_LIBRARIES)
      if(direct)
        list(APPEND todo ${direct})
      endif()
    endif()
    get_target_property(interface "${item}" INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND todo ${interface})
    endif()
    list(LENGTH todo left)
  endwhile()
  list(JOIN seen "\n" text)
  file(WRITE "${file}" "${text}\n")
endfunction()
