// Entry point of the per-ISA x86 kernel test executables (Catch2 supplies main).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
