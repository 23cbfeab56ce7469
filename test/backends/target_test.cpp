// The target table: every cross target names a compiler and an emulator, and every runtime stub it builds with
// is embedded into kiln (target.cpp and runtime-stubs/CMakeLists.txt must agree).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "backends/common/kernel_sources.h"
#include "backends/common/target.h"

using namespace kiln;

TEST_CASE("targets: portable and the cross targets are listed") {
    std::vector<std::string> names = target_names();
    for (const char* n : {"portable", "cortex-m4", "cortex-m7", "cortex-m55", "cortex-a"})
        CHECK(std::find(names.begin(), names.end(), n) != names.end());
    CHECK(find_target("cortex-m3") == nullptr);
    const TargetInfo* p = find_target("portable");
    REQUIRE(p);
    CHECK(p->compiler.empty());
    CHECK(p->emulator.empty());
    CHECK(p->stub_sources.empty());
}

TEST_CASE("targets: cross targets have a compiler, an emulator and embedded board files") {
    const std::pair<const char*, const char*> boards[] = {
        {"cortex-m4", "mps2-an386"}, {"cortex-m7", "mps2-an500"}, {"cortex-m55", "mps3-an547"}};
    for (const auto& b : boards) {
        const TargetInfo* t = find_target(b.first);
        REQUIRE(t);
        CHECK(t->compiler == "arm-none-eabi-g++");
        REQUIRE(t->emulator.size() > 3);
        CHECK(t->emulator[0] == "qemu-system-arm");
        CHECK(std::find(t->emulator.begin(), t->emulator.end(), std::string(b.second)) != t->emulator.end());
        CHECK(std::find(t->emulator.begin(), t->emulator.end(), "{exe}") != t->emulator.end());
        CHECK(std::find(t->cxx_flags.begin(), t->cxx_flags.end(), std::string("-mcpu=") + b.first) != t->cxx_flags.end());
        CHECK(std::find(t->cxx_flags.begin(), t->cxx_flags.end(), "-mfloat-abi=hard") != t->cxx_flags.end());
        CHECK(std::find(t->link_flags.begin(), t->link_flags.end(), "--specs=rdimon.specs") != t->link_flags.end());
        CHECK(t->alignment >= 16);
        for (const std::string& f : t->stub_sources) {
            INFO(f);
            const char* text = find_runtime_stub(f);
            REQUIRE(text);
            CHECK(std::string(text).size() > 100);
        }
        const std::string startup = find_runtime_stub(std::string("boards/") + b.second + "/startup.cpp");
        CHECK(startup.find(b.second) != std::string::npos);
    }
    const TargetInfo* a = find_target("cortex-a");
    REQUIRE(a);
    CHECK(a->compiler == "aarch64-linux-gnu-g++");
    REQUIRE_FALSE(a->emulator.empty());
    CHECK(a->emulator[0] == "qemu-aarch64");
}
