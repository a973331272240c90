# patchbay_add_plugin(<target> NAME <name> SOURCES <src>...)
#
# Builds a patchbay channel plugin: a shared object named patchbay_<name>.so that exports only the
# ABI entry symbol (hidden visibility by default), imports no host symbols (-z defs) and links the
# plugin SDK. Installed with the SDK, so out-of-tree plugins use the same rules as shipped ones.
function(patchbay_add_plugin target)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "patchbay_add_plugin(${target}): NAME is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "patchbay_${ARG_NAME}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(DEFINED PATCHBAY_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PATCHBAY_PLUGIN_OUTPUT_DIR})
  endif()
  # Hidden visibility does not cover vague-linkage symbols (template instantiations, typeinfo and
  # vtables of std:: and Boost classes, STB_GNU_UNIQUE statics): without a version script they are
  # exported, interpose between plugins despite RTLD_LOCAL, and GNU-unique ones make the library
  # impossible to unload. Export the entry point (any ABI major) and nothing else.
  set(_pb_map ${CMAKE_CURRENT_BINARY_DIR}/${target}.exports.map)
  file(WRITE ${_pb_map} "{\n  global: patchbay_plugin_entry_v*;\n  local: *;\n};\n")
  target_link_options(${target} PRIVATE -Wl,-z,defs "-Wl,--version-script=${_pb_map}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${_pb_map})
  if(TARGET patchbay::plugin-api)
    target_link_libraries(${target} PRIVATE patchbay::plugin-api)
  endif()
endfunction()
