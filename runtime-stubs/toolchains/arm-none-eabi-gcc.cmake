# CMake toolchain file: Arm Cortex-M bare metal with GNU Arm (Debian: gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# libstdc++-arm-none-eabi-newlib). Hard float; executables link newlib's semihosting (rdimon) library.
#   cmake -S . -B build-m7 -G Ninja -DCMAKE_TOOLCHAIN_FILE=$KILN_TOOLCHAIN_DIR/arm-none-eabi-gcc.cmake \
#         -DKILN_CPU=cortex-m7
# KILN_CPU: cortex-m4 (default), cortex-m7 or cortex-m55 (see kiln_arm_cpu.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/kiln_arm_cpu.cmake)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "arm-none-eabi-size, for flash and RAM figures")

set(CMAKE_C_FLAGS_INIT "${KILN_ARM_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${KILN_ARM_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${KILN_ARM_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=rdimon.specs")
