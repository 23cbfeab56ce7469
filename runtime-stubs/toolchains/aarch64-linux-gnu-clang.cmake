# CMake toolchain file: AArch64 Linux (Cortex-A) with clang-16 and lld-16, using the Debian cross GCC's
# glibc and libstdc++ (clang finds them in /usr/lib/gcc-cross/aarch64-linux-gnu and /usr/aarch64-linux-gnu).
# Needs clang-16, lld-16 and g++-aarch64-linux-gnu. Executables run under qemu-aarch64 when it is installed.
#   cmake -S . -B build-a64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=$KILN_TOOLCHAIN_DIR/aarch64-linux-gnu-clang.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER clang-16)
set(CMAKE_CXX_COMPILER clang++-16)
set(CMAKE_ASM_COMPILER clang-16)
set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_CXX_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_ASM_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_AR aarch64-linux-gnu-ar CACHE FILEPATH "")  # binutils of the cross GCC
set(CMAKE_RANLIB aarch64-linux-gnu-ranlib CACHE FILEPATH "")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld-16")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld-16")

include(${CMAKE_CURRENT_LIST_DIR}/kiln_aarch64_sysroot.cmake)
