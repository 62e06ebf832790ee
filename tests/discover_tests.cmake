# Writes the CTest file that registers one ctest PREFIX/<test> per test of
# a test executable, from the executable's own list (`EXE --list`, the
# tree Criterion prints, which tu_nocriterion prints too), the way
# gtest_discover_tests() does.  One ctest per test, so that a test that
# skips itself (cr_skip_test(): the executable exits 77, tu_verdict.c) shows
# as skipped in ctest rather than as a pass.  Run at build time by
# walklab_test_runner() (tests/CMakeLists.txt) with -DPARAMS=FILE setting:
#   EXE       the test executable
#   PREFIX    the ctest name before /<test> (e.g. torture/ipi)
#   ARGS      extra arguments (a list), after --filter
#   ENV       the environment (may be empty)
#   DISABLED  TRUE to register the tests disabled
#   OUT       the CTest file to write
cmake_minimum_required(VERSION 3.20)
include(${PARAMS})
execute_process(COMMAND ${EXE} --list
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} --list failed (${rc}): ${err}")
endif()
string(REPLACE "\n" ";" lines "${out}")
# First the (suite, test) pairs; a test name that more than one suite uses
# is named PREFIX/<suite>/<test>, so that every ctest name is unique.
set(pairs "")
set(names "")
set(suite "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([A-Za-z0-9_]+): [0-9]+ tests?$")
    set(suite ${CMAKE_MATCH_1})
    continue()
  endif()
  # must_fail: tests that fail by design, run by a script that wants them
  # failed (test_teardown.sh), not as ctests of their own.
  if(suite STREQUAL "must_fail")
    continue()
  endif()
  # "├── name" or "└── name" (tu_nocriterion prints "|-- name").
  if(NOT line MATCHES "^[^A-Za-z0-9_]+ ([A-Za-z0-9_]+)$" OR suite STREQUAL "")
    continue()
  endif()
  list(APPEND pairs "${suite}/${CMAKE_MATCH_1}")
  list(APPEND names "${CMAKE_MATCH_1}")
endforeach()
set(script "")
set(n 0)
foreach(pair IN LISTS pairs)
  string(REGEX REPLACE "^.*/" "" test "${pair}")
  set(same ${names})
  list(FILTER same INCLUDE REGEX "^${test}$")
  list(LENGTH same uses)
  if(uses GREATER 1)
    set(t "${PREFIX}/${pair}")
  else()
    set(t "${PREFIX}/${test}")
  endif()
  string(APPEND script "add_test(\"${t}\" \"${EXE}\" --filter "
         "\"${pair}\" ${ARGS})\n"
         "set_tests_properties(\"${t}\" PROPERTIES TIMEOUT 300 "
         "SKIP_RETURN_CODE 77)\n")
  if(ENV)
    string(APPEND script "set_tests_properties(\"${t}\" PROPERTIES "
           "ENVIRONMENT \"${ENV}\")\n")
  endif()
  if(DISABLED)
    string(APPEND script "set_tests_properties(\"${t}\" PROPERTIES "
           "DISABLED TRUE)\n")
  endif()
  math(EXPR n "${n} + 1")
endforeach()
if(n EQUAL 0)
  message(FATAL_ERROR "${EXE} --list: no tests in:\n${out}")
endif()
file(WRITE ${OUT} "${script}")
