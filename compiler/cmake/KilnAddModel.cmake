# kiln_add_model: an ONNX model as a static library of Kiln-generated C++.
#
#   kiln_add_model(<lib> MODEL <model.onnx> [TARGET <kiln target>] [NAME <namespace>]
#                  [INPUT_SHAPE name=1x2x3]... [ARENA internal|external] [REPORT <file.json|.html>]
#                  [WEIGHT_FILES <n>] [OPTIONS <extra kiln compile flags>...])
#
# Creates the STATIC library <lib> from NAME.h, NAME.cpp (and NAME-weights-0..n-1.cpp with WEIGHT_FILES n;
# 0, the default, keeps every weight in NAME.cpp), generated at build time by `kiln compile` into
# ${CMAKE_CURRENT_BINARY_DIR}/kiln/<lib>/, which is the library's PUBLIC include folder (#include "NAME.h").
# NAME (the C++ namespace and file stem) defaults to <lib>. The sources are regenerated when the model, the
# kiln executable or the flags change, and only then; a failed compile fails the build with kiln's message
# and leaves no generated file behind (kiln removes them). Relative MODEL paths are relative to
# CMAKE_CURRENT_SOURCE_DIR, a relative REPORT to CMAKE_CURRENT_BINARY_DIR.
#
# The kiln used: the `kiln` target when Kiln is part of the build (add_subdirectory/FetchContent; built
# first), else Kiln::kiln / KILN_EXECUTABLE from find_package(Kiln).
# The library's property KILN_GENERATED_DIR holds the folder of the generated files. In-tree use is for host
# builds (kiln itself needs the host's protobuf and onnx); a cross build uses an installed Kiln.
include_guard(GLOBAL)

function(kiln_add_model lib)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODEL;TARGET;NAME;ARENA;REPORT;WEIGHT_FILES" "INPUT_SHAPE;OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_model(${lib}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_MODEL)
    message(FATAL_ERROR "kiln_add_model(${lib}): MODEL <file.onnx> is required")
  endif()
  set(name "${lib}")
  if(DEFINED arg_NAME)
    set(name "${arg_NAME}")
  endif()
  # The same rule as kiln's --name (letters, digits, single underscores); kiln also rejects keywords.
  if(NOT name MATCHES "^[A-Za-z][A-Za-z0-9_]*$" OR name MATCHES "__")
    message(FATAL_ERROR "kiln_add_model(${lib}): '${name}' is not usable as a C++ namespace: give NAME <identifier>")
  endif()
  set(weight_files 0)
  if(DEFINED arg_WEIGHT_FILES)
    if(NOT arg_WEIGHT_FILES MATCHES "^[0-9]+$")
      message(FATAL_ERROR "kiln_add_model(${lib}): WEIGHT_FILES '${arg_WEIGHT_FILES}' is not a number")
    endif()
    set(weight_files ${arg_WEIGHT_FILES})
  endif()
  # Flags the function sets itself: in OPTIONS they would clash with its own or make outputs it does not list.
  foreach(flag IN LISTS arg_OPTIONS)
    if(flag MATCHES "^(-o|--output|-n|--name|--weight-files|--weight-file-bytes|-t|--target|--arena|--report)(=.*)?$")
      message(FATAL_ERROR "kiln_add_model(${lib}): ${CMAKE_MATCH_1} in OPTIONS: use the keywords "
                          "(NAME, TARGET, ARENA, REPORT, WEIGHT_FILES; the output folder is fixed)")
    endif()
  endforeach()
  if(DEFINED arg_ARENA AND NOT arg_ARENA MATCHES "^(internal|external)$")
    message(FATAL_ERROR "kiln_add_model(${lib}): ARENA is internal or external, not '${arg_ARENA}'")
  endif()

  # The kiln executable, and what the generation depends on for it.
  if(TARGET kiln)
    get_target_property(kiln_type kiln TYPE)
  endif()
  if(TARGET kiln AND kiln_type STREQUAL "EXECUTABLE")
    set(kiln_command "$<TARGET_FILE:kiln>")
    set(kiln_depends kiln)  # target- and file-level: built first, regenerated when it is rebuilt
  elseif(KILN_EXECUTABLE)
    set(kiln_command "${KILN_EXECUTABLE}")
    set(kiln_depends "${KILN_EXECUTABLE}")
  else()
    message(FATAL_ERROR "kiln_add_model(${lib}): no kiln: use find_package(Kiln) or add Kiln's source tree")
  endif()

  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/kiln/${lib}")
  set(outputs "${out_dir}/${name}.h" "${out_dir}/${name}.cpp")
  set(sources "${out_dir}/${name}.cpp")
  if(weight_files GREATER 0)
    math(EXPR last "${weight_files} - 1")
    foreach(k RANGE ${last})
      list(APPEND outputs "${out_dir}/${name}-weights-${k}.cpp")
      list(APPEND sources "${out_dir}/${name}-weights-${k}.cpp")
    endforeach()
  endif()

  set(flags --name "${name}")
  if(arg_TARGET)
    list(APPEND flags --target "${arg_TARGET}")
  endif()
  foreach(shape IN LISTS arg_INPUT_SHAPE)
    list(APPEND flags --input-shape "${shape}")
  endforeach()
  if(arg_ARENA)
    list(APPEND flags --arena "${arg_ARENA}")
  endif()
  if(weight_files GREATER 0)
    list(APPEND flags --weight-files ${weight_files})
  else()  # every weight in NAME.cpp, however large (kiln would split past 4 MiB: files this list lacks)
    list(APPEND flags --weight-file-bytes 18446744073709551615)
  endif()
  if(arg_REPORT)
    get_filename_component(report "${arg_REPORT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    list(APPEND flags --report "${report}")
    list(APPEND outputs "${report}")
  endif()
  list(APPEND flags ${arg_OPTIONS})

  # Generated files of an earlier configure that this one does not produce (NAME changed) would still be found
  # by #include: remove them now (the folder holds nothing else).
  file(GLOB earlier LIST_DIRECTORIES false "${out_dir}/*")
  list(REMOVE_ITEM earlier ${outputs})
  if(earlier)
    file(REMOVE ${earlier})
  endif()

  # The flags file changes (and reruns kiln) only when the command line does: file(GENERATE) rewrites it only
  # when its content differs, so an unchanged configure leaves the build clean.
  set(flags_file "${CMAKE_CURRENT_BINARY_DIR}/kiln/${lib}.flags")
  string(REPLACE ";" "\n" flags_text "compile\n${model}\n-o\n${out_dir}\n${flags}")
  file(GENERATE OUTPUT "${flags_file}" CONTENT "${flags_text}\n")

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${kiln_command} compile "${model}" -o "${out_dir}" ${flags}
    DEPENDS "${model}" ${kiln_depends} "${flags_file}"
    COMMENT "Kiln: compiling ${arg_MODEL} into ${name}.h/.cpp"
    VERBATIM)

  add_library(${lib} STATIC ${sources} "${out_dir}/${name}.h")
  target_include_directories(${lib} PUBLIC "$<BUILD_INTERFACE:${out_dir}>")
  target_compile_features(${lib} PUBLIC cxx_std_14)
  # The x86 targets' kernels use their instruction set's intrinsics (the flags of backends/common/target.cpp).
  if(arg_TARGET STREQUAL "x86-avx2")
    target_compile_options(${lib} PRIVATE -mavx2 -mfma)
  elseif(arg_TARGET STREQUAL "x86-avx512")
    target_compile_options(${lib} PRIVATE -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma)
  endif()
  set_target_properties(${lib} PROPERTIES KILN_GENERATED_DIR "${out_dir}")
endfunction()
