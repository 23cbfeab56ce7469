// Embedded kernel headers: the bundler copies each once with its dependencies first, and every kernel Kiln
// carries compiles as generated code uses it (inside an anonymous namespace, C++14, -Werror -pedantic).
#include <regex>

#include <catch2/catch.hpp>

#include "backends/common/kernel_sources.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {
std::size_t count(const std::string& s, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE("the portable kernels are embedded", "[backends][kernels]") {
    std::set<std::string> names;
    for (const EmbeddedFile& f : kernel_sources()) names.insert(f.name);
    CHECK(names.count("portable/common.h"));
    CHECK(names.count("portable/elementwise.h"));
    CHECK(find_runtime_stub("host/check_harness.cpp") != nullptr);
    CHECK(find_runtime_stub("host/nope.cpp") == nullptr);
}

TEST_CASE("bundling puts dependencies first, each once, and hoists system includes", "[backends][kernels]") {
    Expected<KernelBundle> b = bundle_kernels({"portable/elementwise.h", "portable/common.h"});
    REQUIRE(b.is_ok());
    CHECK(count(b->body, "// ---- kernel portable/common.h ----") == 1);
    CHECK(count(b->body, "// ---- kernel portable/elementwise.h ----") == 1);
    CHECK(b->body.find("kernel portable/common.h") < b->body.find("kernel portable/elementwise.h"));
    CHECK(b->body.find("#include") == std::string::npos);
    CHECK(b->body.find("#pragma once") == std::string::npos);
    CHECK(b->system_includes.count("<cmath>"));
    CHECK(b->system_includes.count("<cstdint>"));

    Expected<KernelBundle> missing = bundle_kernels({"portable/no_such_kernel.h"});
    REQUIRE_FALSE(missing.is_ok());
    CHECK(missing.status().message() == "internal: no embedded kernel header 'portable/no_such_kernel.h'");
}

TEST_CASE("kernel headers include only the allowed system headers", "[backends][kernels]") {
    const std::set<std::string> allowed = {"<cstdint>", "<cstddef>", "<cstring>", "<cmath>"};
    for (const EmbeddedFile& f : kernel_sources()) {
        INFO(f.name);
        Expected<KernelBundle> b = bundle_kernels({f.name});
        REQUIRE(b.is_ok());
        // DESIGN.md: plus the target's intrinsic header, for that target's kernels only.
        const bool x86 = std::string(f.name).rfind("x86/", 0) == 0;
        for (const std::string& inc : b->system_includes) {
            INFO(inc);
            CHECK((allowed.count(inc) || (x86 && inc == "<immintrin.h>")));
        }
    }
}

TEST_CASE("all kernels together compile as generated code uses them", "[backends][kernels]") {
    std::set<std::string> all;
    for (const EmbeddedFile& f : kernel_sources()) all.insert(f.name);
    Expected<KernelBundle> b = bundle_kernels(all);
    REQUIRE(b.is_ok());
    std::string src;
    for (const std::string& inc : b->system_includes) src += "#include " + inc + "\n";
    src += "namespace net {\n" + b->body + "}  // namespace net\n";  // as emit_module places them
    TempDir dir;
    write_text_file(dir.file("kernels.cpp"), src);
    std::vector<std::string> compilers = {KILN_TEST_CXX};
    if (std::string(KILN_TEST_CLANGXX).size()) compilers.push_back(KILN_TEST_CLANGXX);
    for (const std::string& cxx : compilers) {
        INFO(cxx);
        CommandResult r = run_command({cxx, "-std=c++14", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fno-exceptions",
                                       "-fno-rtti", "-fsyntax-only", dir.file("kernels.cpp")});
        INFO(r.err);
        CHECK(r.exit_code == 0);
    }
}
