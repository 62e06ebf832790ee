# walklab_add_backend(NAME <backend> [VARIANT <config>]
#                     SOURCES <files...> [DEFINITIONS <defs...>]
#                     [LIBRARIES <libs...>] [OPTIONS_STRING <text>])
#
# OPTIONS_STRING is the configuration's build options as reports show them
# ("flavor=memb"); "-" when omitted.
#
# Declares one backend configuration.  Its id is <backend> or
# <backend>-<config>; it gets:
#   walklab_be_<id>   an OBJECT library: the backend's sources plus the
#                     walkers (core/gup.c, core/pte_map.c), compiled
#                     with the backend's folder
#                     on the include path so that "walk_backend.h" inlines
#                     into the walker, and with the backend's definitions;
#   walklab-<id>      the per-backend executable (bench/runner/);
#   tests             per-backend test executables (tests/).
# The ids are collected in the global property WALKLAB_BACKEND_IDS.
function(walklab_add_backend)
  cmake_parse_arguments(A "" "NAME;VARIANT;OPTIONS_STRING"
                        "SOURCES;DEFINITIONS;LIBRARIES" ${ARGN})
  if(A_VARIANT)
    set(id "${A_NAME}-${A_VARIANT}")
  else()
    set(id "${A_NAME}")
  endif()
  if(NOT A_OPTIONS_STRING)
    set(A_OPTIONS_STRING "-")
  endif()
  set(t walklab_be_${id})
  add_library(${t} OBJECT ${A_SOURCES} ${PROJECT_SOURCE_DIR}/core/gup.c
                          ${PROJECT_SOURCE_DIR}/core/fault.c
                          ${PROJECT_SOURCE_DIR}/core/pte_map.c)
  target_include_directories(${t} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}
                                          ${PROJECT_SOURCE_DIR}/backends/common
                                          ${PROJECT_SOURCE_DIR}/core)
  target_compile_definitions(${t} PUBLIC ${A_DEFINITIONS}
    WALKLAB_BACKEND_ID="${id}"
    WALKLAB_BUILD_OPTIONS="${A_OPTIONS_STRING}")
  target_link_libraries(${t} PUBLIC walklab_core ${A_LIBRARIES})
  set_property(GLOBAL APPEND PROPERTY WALKLAB_BACKEND_IDS ${id})
endfunction()
