# Shared by arm-none-eabi-gcc.cmake and arm-none-eabi-clang.cmake (not a toolchain file itself): the core from
# KILN_CPU (-DKILN_CPU=..., or the environment; default cortex-m4) and its flags, hard float with the core's FPU.
#   cortex-m4   FPv4-SP (single precision)               QEMU mps2-an386
#   cortex-m7   FPv5 double precision                    QEMU mps2-an500
#   cortex-m55  FPv5 + MVE (Helium, integer and float)   QEMU mps3-an547
# Sets KILN_CPU and KILN_ARM_FLAGS (a string of compile flags, the same for C, C++, ASM and the link).
if(NOT KILN_CPU AND DEFINED ENV{KILN_CPU})
  set(KILN_CPU "$ENV{KILN_CPU}")
endif()
if(NOT KILN_CPU)
  set(KILN_CPU cortex-m4)
endif()
set(KILN_CPU "${KILN_CPU}" CACHE STRING "Arm core: cortex-m4, cortex-m7 or cortex-m55" FORCE)
# try_compile projects read the toolchain file again: give them the core too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KILN_CPU)

if(KILN_CPU STREQUAL "cortex-m4")
  set(KILN_ARM_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
elseif(KILN_CPU STREQUAL "cortex-m7")
  set(KILN_ARM_FLAGS "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16")
elseif(KILN_CPU STREQUAL "cortex-m55")
  # -mcpu=cortex-m55 alone selects its FPU and MVE with floating point (gcc and clang; clang has no -mfpu=auto).
  set(KILN_ARM_FLAGS "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
else()
  message(FATAL_ERROR "KILN_CPU='${KILN_CPU}': expected cortex-m4, cortex-m7 or cortex-m55")
endif()

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
# Bare metal: no executable links without a startup file and linker script, so CMake's compiler checks build
# a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH /usr/lib/arm-none-eabi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages may be host tools (find_package(Kiln) finds the host kiln and its CMake functions): search both.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
