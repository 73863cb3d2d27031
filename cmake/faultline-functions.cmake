# faultline's CTest functions, loaded by find_package(faultline CONFIG): each registers
# faultline runs as CTest tests through the imported target faultline::faultline.
#
#   faultline_add_scenario(NAME FILE [SEED n] [LABELS ...] [FAULTS ...] [WILL_FAIL] [JUNIT]
#                          [TIMEOUT seconds] [ARGS ...])
#   faultline_add_explore(NAME FILE [SHARDS n] [LABELS ...] [JUNIT] [TIMEOUT seconds]
#                         [ARGS ...] [RUN_ARGS ...])
#
# docs/cmake.md describes them; a relative FILE is taken from the current source folder.
include_guard(GLOBAL)

# Seconds added to a scenario's own timeout for CTest's: setting up and removing channels, the
# stop graces, and the hang snapshot at a timeout (gdb backtraces, up to 30 s). CTest's timeout
# is only a backstop: the scenario's own timeout is the one that gives a verdict.
if(NOT DEFINED FAULTLINE_CTEST_TIMEOUT_MARGIN)
  set(FAULTLINE_CTEST_TIMEOUT_MARGIN 60)
endif()

# The sum of the timeouts of the scenarios in `file` (a file or a folder), in whole seconds,
# read at configure time with `faultline check --json`; "" when the file does not load (the
# test then reports why when it runs). A scenario whose programs are not built yet still
# has its timeout.
function(_faultline_scenario_seconds out file)
  set(${out} "" PARENT_SCOPE)
  get_target_property(exe faultline::faultline LOCATION)
  if(NOT exe OR NOT EXISTS "${exe}")
    message(WARNING "faultline: ${exe} does not exist (yet): no CTest timeout from ${file}")
    return()
  endif()
  string(MD5 key "${file}")
  set(json "${CMAKE_CURRENT_BINARY_DIR}/faultline-check-${key}.json")
  file(REMOVE "${json}")
  execute_process(COMMAND "${exe}" check "${file}" --json "${json}"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE errors)
  if(NOT EXISTS "${json}")
    message(WARNING "faultline check ${file} failed (${rc}): ${errors}")
    return()
  endif()
  file(READ "${json}" text)
  file(REMOVE "${json}")
  string(JSON count LENGTH "${text}" files)
  if(count EQUAL 0)
    message(WARNING "faultline: no scenario in ${file}: ${errors}")
    return()
  endif()
  set(total_ms 0)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON ms GET "${text}" files ${i} timeout_ms)
    if(ms STREQUAL "null")
      string(JSON path GET "${text}" files ${i} file)
      message(WARNING "faultline: ${path} does not load; its test will fail:\n${errors}")
      return()
    endif()
    # math() takes integers: a fraction of a millisecond counts as one.
    string(REGEX MATCH "^[0-9]+" whole "${ms}")
    math(EXPR total_ms "${total_ms} + ${whole}")
    if(ms MATCHES "\\.[0-9]*[1-9]")
      math(EXPR total_ms "${total_ms} + 1")
    endif()
  endforeach()
  math(EXPR seconds "(${total_ms} + 999) / 1000")
  set(${out} ${seconds} PARENT_SCOPE)
  # Configure again when the scenario file changes: its timeout may have.
  if(NOT IS_DIRECTORY "${file}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
  endif()
endfunction()

function(faultline_add_scenario name file)
  cmake_parse_arguments(PARSE_ARGV 2 arg "WILL_FAIL;JUNIT" "SEED;TIMEOUT" "LABELS;FAULTS;ARGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "faultline_add_scenario(${name}): unknown arguments "
      "${arg_UNPARSED_ARGUMENTS} (SEED n, LABELS ..., FAULTS ..., WILL_FAIL, JUNIT, "
      "TIMEOUT seconds, ARGS ...)")
  endif()
  get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(command run "${file}")
  foreach(fault IN LISTS arg_FAULTS)
    list(APPEND command --fault "${fault}")
  endforeach()
  if(DEFINED arg_SEED)
    list(APPEND command --seed ${arg_SEED})
  endif()
  if(arg_WILL_FAIL)
    # Not CTest's WILL_FAIL, which would also accept wrong input (exit 2) and a run that
    # could not be set up (exit 3): faultline itself exits 0 only when the scenario failed
    # on a verdict, 1 when it passed.
    list(APPEND command --expect-fail "*")
  endif()
  if(arg_JUNIT)
    list(APPEND command --junit "${CMAKE_CURRENT_BINARY_DIR}/${name}.junit.xml")
  endif()
  add_test(NAME ${name} COMMAND $<TARGET_FILE:faultline::faultline> ${command} ${arg_ARGS})

  set(timeout ${arg_TIMEOUT})
  if(NOT timeout)
    _faultline_scenario_seconds(seconds "${file}")
    if(seconds)
      math(EXPR timeout "${seconds} + ${FAULTLINE_CTEST_TIMEOUT_MARGIN}")
    endif()
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "faultline;${arg_LABELS}")
  if(timeout)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${timeout})
  endif()
endfunction()

# One test NAME running `faultline explore FILE`; with SHARDS n > 1, a test NAME.plan that
# plans once (`--plan-only`), NAME.shard-1 ... NAME.shard-n that each run their part of that
# plan (in parallel under ctest -j), and NAME.merge, after them, that joins the parts into
# the exploration's result. ARGS go to the step that plans (--process, --kinds, --seed, ...),
# RUN_ARGS to the steps that run points (-j, --budget, --no-recheck, ...). TIMEOUT applies to
# the steps that run points.
function(faultline_add_explore name file)
  cmake_parse_arguments(PARSE_ARGV 2 arg "JUNIT" "SHARDS;TIMEOUT" "LABELS;ARGS;RUN_ARGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "faultline_add_explore(${name}): unknown arguments "
      "${arg_UNPARSED_ARGUMENTS} (SHARDS n, LABELS ..., JUNIT, TIMEOUT seconds, ARGS ..., "
      "RUN_ARGS ...)")
  endif()
  get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(exe $<TARGET_FILE:faultline::faultline>)
  set(shards 1)
  if(DEFINED arg_SHARDS)
    if(NOT arg_SHARDS MATCHES "^[1-9][0-9]*$")
      message(FATAL_ERROR "faultline_add_explore(${name}): SHARDS ${arg_SHARDS}: not a count")
    endif()
    set(shards ${arg_SHARDS})
  endif()
  set(junit "")
  if(arg_JUNIT)
    set(junit --junit "${CMAKE_CURRENT_BINARY_DIR}/${name}.junit.xml")
  endif()
  set(labels "faultline;${arg_LABELS}")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${name}")

  if(shards EQUAL 1)
    # --shard 1/1: CTest is the one that shards here, not the CI's variables (GitLab's
    # CI_NODE_INDEX, Bazel's TEST_SHARD_INDEX) that explore would otherwise follow.
    add_test(NAME ${name} COMMAND ${exe} explore "${file}" --shard 1/1 --json "${out}.json"
      ${junit} ${arg_ARGS} ${arg_RUN_ARGS})
    set_tests_properties(${name} PROPERTIES LABELS "${labels}")
    if(arg_TIMEOUT)
      set_tests_properties(${name} PROPERTIES TIMEOUT ${arg_TIMEOUT})
    endif()
    return()
  endif()

  # Planning runs the scenario --baseline-runs times (2 unless ARGS say otherwise).
  set(baseline_runs 2)
  list(FIND arg_ARGS --baseline-runs at)
  if(at GREATER_EQUAL 0)
    math(EXPR at "${at} + 1")
    list(GET arg_ARGS ${at} baseline_runs)
  endif()
  add_test(NAME ${name}.plan COMMAND ${exe} explore "${file}" --plan-only
    --json "${out}.plan.json" ${arg_ARGS})
  set_tests_properties(${name}.plan PROPERTIES LABELS "${labels}" FIXTURES_SETUP ${name}.plan)
  _faultline_scenario_seconds(seconds "${file}")
  if(seconds)
    math(EXPR plan_timeout "${seconds} * ${baseline_runs} + ${FAULTLINE_CTEST_TIMEOUT_MARGIN}")
    set_tests_properties(${name}.plan PROPERTIES TIMEOUT ${plan_timeout})
  endif()

  set(parts "")
  set(shard_tests "")
  foreach(i RANGE 1 ${shards})
    add_test(NAME ${name}.shard-${i} COMMAND ${exe} explore --plan "${out}.plan.json"
      --shard ${i}/${shards} --json "${out}.part-${i}.json" ${arg_RUN_ARGS})
    set_tests_properties(${name}.shard-${i} PROPERTIES LABELS "${labels}"
      FIXTURES_REQUIRED ${name}.plan)
    if(arg_TIMEOUT)
      set_tests_properties(${name}.shard-${i} PROPERTIES TIMEOUT ${arg_TIMEOUT})
    endif()
    list(APPEND parts "${out}.part-${i}.json")
    list(APPEND shard_tests ${name}.shard-${i})
  endforeach()
  # After the shards whatever their verdicts (DEPENDS orders, a fixture would skip the merge
  # when a shard had findings); a part that is missing or of another plan fails it.
  add_test(NAME ${name}.merge COMMAND ${exe} merge ${parts} --json "${out}.json" ${junit})
  set_tests_properties(${name}.merge PROPERTIES LABELS "${labels}"
    FIXTURES_REQUIRED ${name}.plan DEPENDS "${shard_tests}")
endfunction()
