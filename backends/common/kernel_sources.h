// Kernel headers embedded into the compiler at build time (see embed_kernels.cmake), and the bundler
// that copies the ones a model uses, with their dependencies, into generated code.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "diag/status.h"

namespace kiln {

struct EmbeddedFile {
    const char* name;  // kernels: "portable/elementwise.h" (backend folder and file, without "kernels/")
    const char* text;
};

// All embedded kernel headers (generated at build time).
const std::vector<EmbeddedFile>& kernel_sources();
// runtime-stubs/ files that `kiln check` builds generated code with ("host/check_harness.cpp").
const std::vector<EmbeddedFile>& runtime_stub_sources();
const char* find_runtime_stub(const std::string& name);

struct KernelBundle {
    std::set<std::string> system_includes;  // "<cmath>", hoisted to the top of the generated file
    std::string body;                       // the headers' code in dependency order
};

// The named kernels and everything they include, each once, dependencies first.
Expected<KernelBundle> bundle_kernels(const std::set<std::string>& names);

}  // namespace kiln
