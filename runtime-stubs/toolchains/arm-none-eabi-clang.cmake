# CMake toolchain file: Arm Cortex-M bare metal with clang-16 and lld-16, using the GNU Arm newlib and
# libstdc++ (Debian: clang-16, lld-16, gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# libstdc++-arm-none-eabi-newlib). arm-none-eabi-gcc is asked for the multilib folder of the core, whose
# headers and libraries clang then uses.
#   cmake -S . -B build -G Ninja -DCMAKE_TOOLCHAIN_FILE=$KILN_TOOLCHAIN_DIR/arm-none-eabi-clang.cmake \
#         -DKILN_CPU=cortex-m55
# KILN_CPU: cortex-m4 (default), cortex-m7 or cortex-m55 (see kiln_arm_cpu.cmake).
# Compiling (libraries, the generated model) is fully supported. Executables link with lld against newlib's
# rdimon (semihosting) libraries, as --specs=rdimon.specs does for gcc (see the end), but only with a linker
# script (-T): lld has none built in. As with gcc, running on a Cortex-M also needs a board's startup code
# (vector table): runtime-stubs/boards.
include(${CMAKE_CURRENT_LIST_DIR}/kiln_arm_cpu.cmake)

find_program(KILN_ARM_GCC arm-none-eabi-gcc REQUIRED)
separate_arguments(_kiln_flags UNIX_COMMAND "${KILN_ARM_FLAGS}")
execute_process(COMMAND ${KILN_ARM_GCC} ${_kiln_flags} -print-multi-directory
                OUTPUT_VARIABLE _kiln_multilib OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${KILN_ARM_GCC} -dumpversion
                OUTPUT_VARIABLE _kiln_gcc_version OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${KILN_ARM_GCC} ${_kiln_flags} -print-libgcc-file-name
                OUTPUT_VARIABLE _kiln_libgcc OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
get_filename_component(_kiln_libgcc_dir "${_kiln_libgcc}" DIRECTORY)
set(_kiln_sysroot /usr/lib/arm-none-eabi)
set(_kiln_cxx_inc /usr/include/newlib/c++/${_kiln_gcc_version})
set(_kiln_newlib_lib ${_kiln_sysroot}/newlib/${_kiln_multilib})

set(CMAKE_C_COMPILER clang-16)
set(CMAKE_CXX_COMPILER clang++-16)
set(CMAKE_ASM_COMPILER clang-16)
set(CMAKE_C_COMPILER_TARGET arm-none-eabi)
set(CMAKE_CXX_COMPILER_TARGET arm-none-eabi)
set(CMAKE_ASM_COMPILER_TARGET arm-none-eabi)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "arm-none-eabi-size, for flash and RAM figures")
set(CMAKE_SYSROOT ${_kiln_sysroot})

# Debian's newlib headers live in /usr/include/newlib, not under the sysroot: name them (C++ first).
set(_kiln_c_inc "-isystem /usr/include/newlib")
set(_kiln_cxx "-isystem ${_kiln_cxx_inc} -isystem ${_kiln_cxx_inc}/arm-none-eabi/${_kiln_multilib}")
set(CMAKE_C_FLAGS_INIT "${KILN_ARM_FLAGS} ${_kiln_c_inc}")
set(CMAKE_CXX_FLAGS_INIT "${KILN_ARM_FLAGS} ${_kiln_cxx} ${_kiln_c_inc}")
set(CMAKE_ASM_FLAGS_INIT "${KILN_ARM_FLAGS}")
# What --specs=rdimon.specs gives gcc, spelled out for clang and lld: newlib's semihosting crt0 and the C
# runtime init/fini objects around the objects, then newlib's C and C++ libraries of the core's multilib, rdimon
# and libgcc (clang's own bare-metal defaults, libc++ and compiler-rt, are not installed for Arm). In the link
# rules rather than CMAKE_EXE_LINKER_FLAGS_INIT, so that a project setting CMAKE_EXE_LINKER_FLAGS (-T board.ld)
# keeps them. lld has no default linker script: an executable needs one that defines newlib's symbols (end,
# __end__, __bss_start__, __bss_end__, the init/fini arrays), as Kiln's board linker scripts do.
set(_kiln_start "-fuse-ld=lld-16 -nostdlib ${_kiln_newlib_lib}/rdimon-crt0.o ${_kiln_libgcc_dir}/crti.o \
${_kiln_libgcc_dir}/crtbegin.o")
set(_kiln_end "-L${_kiln_newlib_lib} -L${_kiln_libgcc_dir} -Wl,--start-group -lc -lm -lrdimon -lgcc -Wl,--end-group \
${_kiln_libgcc_dir}/crtend.o ${_kiln_libgcc_dir}/crtn.o")
set(CMAKE_C_LINK_EXECUTABLE
    "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_C_LINK_FLAGS> <LINK_FLAGS> ${_kiln_start} <OBJECTS> -o <TARGET> <LINK_LIBRARIES> ${_kiln_end}")
set(CMAKE_CXX_LINK_EXECUTABLE
    "<CMAKE_CXX_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> ${_kiln_start} <OBJECTS> -o <TARGET> <LINK_LIBRARIES> -lstdc++ ${_kiln_end}")
