# Kiln's QEMU Cortex-M boards for firmware builds (installed next to KilnConfig.cmake, which includes it).
#
#   kiln_add_firmware(<exe> BOARD <mps2-an386|mps2-an500|mps3-an547> SOURCES <src>... [TIMEOUT <seconds>]
#                     [ARGS <arg>...])
#
# An executable <exe> (file <exe>.elf) linked with the board's startup (vector table, .data/.bss, FPU/MVE on,
# newlib rdimon semihosting stdio, main's status as QEMU's exit status) and linker script, with
# runtime-stubs/boards/common on its include path (firmware_harness.h, semihost.h). Compile it with the
# arm-none-eabi toolchain file and KILN_CPU matching the board (mps2-an386: cortex-m4, mps2-an500: cortex-m7,
# mps3-an547: cortex-m55). It also defines
#   <exe>-run   a custom target that runs it under qemu-system-arm -M <board> with semihosting (the build
#               folder as its working directory), TIMEOUT seconds at most (default 60), failing on a non-zero exit
#   <exe>-size  a custom target that prints flash (text + rodata + .data's initial values) and RAM (data + bss +
#               the stack the linker script reserves) of the ELF
# and sets the target properties KILN_BOARD, KILN_RUN_COMMAND (what <exe>-run runs: fails on a timeout or a
# non-zero status), KILN_SIZE_COMMAND (what <exe>-size runs, e.g. for a POST_BUILD step) and KILN_QEMU_COMMAND
# (the bare QEMU command: its exit status is the firmware's), for add_test:
#   get_target_property(cmd kws_m4 KILN_QEMU_COMMAND)
#   add_test(NAME kws_m4 COMMAND ${cmd})  set_tests_properties(kws_m4 PROPERTIES TIMEOUT 60)
#
# The firmware harness: add ${KILN_RUNTIME_STUBS_DIR}/boards/common/firmware_harness.cpp to SOURCES and define
# KILN_MODEL_HEADER / KILN_NS / KILN_VECTORS_HEADER (see firmware_harness.h); make_vectors.py beside it writes
# the vectors header from ONNX test data. KILN_BOARD_LABEL is defined to the board name.
#
# Run with cmake -P, this file is the runner behind <exe>-run and <exe>-size (-DKILN_ACTION=run|size).

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED KILN_ACTION)
  cmake_policy(VERSION 3.16)
  if(KILN_ACTION STREQUAL "run")
    set(append "")
    if(DEFINED KILN_ARGS AND NOT KILN_ARGS STREQUAL "")
      set(append -append "${KILN_ARGS}")
    endif()
    execute_process(COMMAND ${KILN_QEMU} -M ${KILN_BOARD} -nographic -monitor none
                            -semihosting-config enable=on,target=native -kernel ${KILN_ELF} ${append}
                    TIMEOUT ${KILN_TIMEOUT} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${KILN_ELF} on ${KILN_BOARD}: exit status ${rc}")
    endif()
  elseif(KILN_ACTION STREQUAL "size")
    execute_process(COMMAND ${KILN_SIZE} -A ${KILN_ELF} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${KILN_SIZE} -A ${KILN_ELF} failed")
    endif()
    set(n_text 0)
    set(n_rodata 0)
    set(n_data 0)
    set(n_bss 0)
    string(REPLACE "\n" ";" lines "${out}")
    foreach(line ${lines})
      if(line MATCHES "^\\.([A-Za-z_.]+)[ \t]+([0-9]+)[ \t]+([0-9]+)")
        set(sec ${CMAKE_MATCH_1})
        set(n ${CMAKE_MATCH_2})
        if(sec STREQUAL "vectors" OR sec STREQUAL "text")
          math(EXPR n_text "${n_text} + ${n}")
        elseif(sec MATCHES "^(rodata|ARM\\.extab|ARM\\.exidx|preinit_array|init_array|fini_array)$")
          math(EXPR n_rodata "${n_rodata} + ${n}")
        elseif(sec STREQUAL "data")
          math(EXPR n_data "${n_data} + ${n}")
        elseif(sec STREQUAL "bss")
          math(EXPR n_bss "${n_bss} + ${n}")
        endif()
      endif()
    endforeach()
    set(n_stack 0)
    if(KILN_NM)
      execute_process(COMMAND ${KILN_NM} ${KILN_ELF} OUTPUT_VARIABLE syms)
      if(syms MATCHES "([0-9a-fA-F]+) [aA] __stack_size__")
        math(EXPR n_stack "0x${CMAKE_MATCH_1}")
      endif()
    endif()
    math(EXPR n_flash "${n_text} + ${n_rodata} + ${n_data}")
    math(EXPR n_ram "${n_data} + ${n_bss} + ${n_stack}")
    get_filename_component(name ${KILN_ELF} NAME)
    message("${name} (${KILN_BOARD}): flash ${n_flash} bytes (text ${n_text}, rodata ${n_rodata}, data ${n_data}); "
            "RAM ${n_ram} bytes (data ${n_data}, bss ${n_bss}, stack ${n_stack})")
  endif()
  return()
endif()

include_guard(GLOBAL)

if(NOT DEFINED KILN_RUNTIME_STUBS_DIR)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/../boards)  # the source tree: runtime-stubs/cmake/
    get_filename_component(KILN_RUNTIME_STUBS_DIR ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
  else()  # installed: lib/cmake/Kiln/ and share/kiln/runtime-stubs/
    get_filename_component(KILN_RUNTIME_STUBS_DIR ${CMAKE_CURRENT_LIST_DIR}/../../../share/kiln/runtime-stubs ABSOLUTE)
  endif()
endif()
set(_KILN_BOARDS_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

function(kiln_add_firmware exe)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "BOARD;TIMEOUT" "SOURCES;ARGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_firmware(${exe}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(cpu_mps2-an386 cortex-m4)
  set(cpu_mps2-an500 cortex-m7)
  set(cpu_mps3-an547 cortex-m55)
  if(NOT arg_BOARD OR NOT DEFINED cpu_${arg_BOARD})
    message(FATAL_ERROR "kiln_add_firmware(${exe}): BOARD must be mps2-an386, mps2-an500 or mps3-an547, not '${arg_BOARD}'")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "kiln_add_firmware(${exe}): no SOURCES")
  endif()
  if(DEFINED KILN_CPU AND NOT KILN_CPU STREQUAL cpu_${arg_BOARD})
    message(WARNING "kiln_add_firmware(${exe}): board ${arg_BOARD} has a ${cpu_${arg_BOARD}} but this build "
                    "compiles for KILN_CPU=${KILN_CPU}")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 60)
  endif()
  set(board_dir ${KILN_RUNTIME_STUBS_DIR}/boards/${arg_BOARD})
  if(NOT EXISTS ${board_dir}/link.ld)
    message(FATAL_ERROR "kiln_add_firmware(${exe}): ${board_dir}/link.ld not found (KILN_RUNTIME_STUBS_DIR)")
  endif()

  add_executable(${exe} ${arg_SOURCES} ${board_dir}/startup.cpp)
  set_target_properties(${exe} PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${board_dir}/link.ld KILN_BOARD ${arg_BOARD})
  target_include_directories(${exe} PRIVATE ${KILN_RUNTIME_STUBS_DIR}/boards/common)
  target_compile_definitions(${exe} PRIVATE KILN_BOARD_LABEL="${arg_BOARD}")
  target_compile_options(${exe} PRIVATE -ffunction-sections -fdata-sections)
  target_link_options(${exe} PRIVATE -T${board_dir}/link.ld -Wl,--gc-sections
                      -Wl,-Map=$<TARGET_FILE_DIR:${exe}>/${exe}.map)
  if(NOT "${CMAKE_EXE_LINKER_FLAGS} ${CMAKE_EXE_LINKER_FLAGS_INIT}" MATCHES "rdimon\\.specs")
    target_link_options(${exe} PRIVATE --specs=rdimon.specs)
  endif()

  find_program(KILN_QEMU_SYSTEM_ARM qemu-system-arm)
  get_filename_component(tool_dir "${CMAKE_CXX_COMPILER}" DIRECTORY)
  find_program(KILN_ARM_SIZE arm-none-eabi-size HINTS ${tool_dir})
  find_program(KILN_ARM_NM arm-none-eabi-nm HINTS ${tool_dir})
  set(qemu ${KILN_QEMU_SYSTEM_ARM})
  if(NOT qemu)
    set(qemu qemu-system-arm)  # not found at configure time: the run fails naming it
  endif()
  string(JOIN " " args "${arg_ARGS}")
  set(run_command ${CMAKE_COMMAND} -DKILN_ACTION=run -DKILN_QEMU=${qemu} -DKILN_BOARD=${arg_BOARD}
                  -DKILN_ELF=$<TARGET_FILE:${exe}> -DKILN_TIMEOUT=${arg_TIMEOUT} "-DKILN_ARGS=${args}" -P ${_KILN_BOARDS_SCRIPT})
  set(qemu_command ${qemu} -M ${arg_BOARD} -nographic -monitor none -semihosting-config enable=on,target=native
                   -kernel $<TARGET_FILE:${exe}>)
  if(arg_ARGS)
    list(APPEND qemu_command -append "${args}")
  endif()
  set_target_properties(${exe} PROPERTIES KILN_RUN_COMMAND "${run_command}" KILN_QEMU_COMMAND "${qemu_command}")
  add_custom_target(${exe}-run COMMAND ${run_command} DEPENDS ${exe} WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
                    USES_TERMINAL VERBATIM COMMENT "Running ${exe} on QEMU ${arg_BOARD}")
  if(KILN_ARM_SIZE)
    set(size_command ${CMAKE_COMMAND} -DKILN_ACTION=size -DKILN_SIZE=${KILN_ARM_SIZE} -DKILN_NM=${KILN_ARM_NM}
                     -DKILN_BOARD=${arg_BOARD} -DKILN_ELF=$<TARGET_FILE:${exe}> -P ${_KILN_BOARDS_SCRIPT})
    set_target_properties(${exe} PROPERTIES KILN_SIZE_COMMAND "${size_command}")
    add_custom_target(${exe}-size COMMAND ${size_command} DEPENDS ${exe} VERBATIM)
  endif()
endfunction()
