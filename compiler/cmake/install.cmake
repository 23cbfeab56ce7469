# `cmake --install build --prefix P`: the kiln binary and the CMake package (see the brief's layout)
#   P/bin/kiln
#   P/lib/cmake/Kiln/      KilnConfig.cmake, KilnConfigVersion.cmake, KilnAddModel.cmake, KilnBoards.cmake
#   P/share/kiln/toolchains/              the toolchain files of runtime-stubs/toolchains
#   P/share/kiln/runtime-stubs/boards/    startup code and linker scripts of runtime-stubs/boards
# Tests and third-party code are not installed. kiln links protobuf and onnx from the system (shared).
include(CMakePackageConfigHelpers)

set(KILN_INSTALL_BINDIR bin)
set(KILN_INSTALL_CMAKEDIR lib/cmake/Kiln)
set(KILN_INSTALL_TOOLCHAINDIR share/kiln/toolchains)
set(KILN_INSTALL_STUBSDIR share/kiln/runtime-stubs)

install(TARGETS kiln RUNTIME DESTINATION ${KILN_INSTALL_BINDIR})

set(_kiln_pkg ${PROJECT_BINARY_DIR}/KilnPackage)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/KilnConfig.cmake.in ${_kiln_pkg}/KilnConfig.cmake
  INSTALL_DESTINATION ${KILN_INSTALL_CMAKEDIR}
  PATH_VARS KILN_INSTALL_BINDIR KILN_INSTALL_TOOLCHAINDIR KILN_INSTALL_STUBSDIR)
write_basic_package_version_file(${_kiln_pkg}/KilnConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)  # kiln runs on the host: a 32-bit cross build (Cortex-M) uses it too
set(_kiln_cmake_files ${_kiln_pkg}/KilnConfig.cmake ${_kiln_pkg}/KilnConfigVersion.cmake
    ${CMAKE_CURRENT_LIST_DIR}/KilnAddModel.cmake)
install(FILES ${_kiln_cmake_files} DESTINATION ${KILN_INSTALL_CMAKEDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime-stubs/toolchains/ DESTINATION ${KILN_INSTALL_TOOLCHAINDIR}
        FILES_MATCHING PATTERN "*.cmake")
# runtime-stubs/CMakeLists.txt installs the board files and KilnBoards.cmake (same KILN_INSTALL switch).
