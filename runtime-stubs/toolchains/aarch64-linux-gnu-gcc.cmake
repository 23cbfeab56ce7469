# CMake toolchain file: AArch64 Linux (Cortex-A) with the Debian cross compiler (g++-aarch64-linux-gnu).
# Executables run on an x86 host under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR, used by ctest and
# add_custom_command with an executable target).
#   cmake -S . -B build-a64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=$KILN_TOOLCHAIN_DIR/aarch64-linux-gnu-gcc.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

include(${CMAKE_CURRENT_LIST_DIR}/kiln_aarch64_sysroot.cmake)
