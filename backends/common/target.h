// Targets are data: name, what the generated code may assume, how it is built and run in tests.
#pragma once

#include <string>
#include <vector>

namespace kiln {

struct TargetInfo {
    std::string name;
    std::string description;
    std::size_t alignment;                 // arena and weight alignment in bytes
    std::vector<std::string> cxx_flags;    // flags `kiln check` builds generated code with
    // Cross targets: the compiler `kiln check` uses when --cxx is not given (empty: the host's $CXX or c++).
    std::string compiler;
    // Runtime stubs (paths under runtime-stubs/) compiled with the harness, and link flags after the sources.
    // In link_flags, {stubs} is the folder the stubs were written to.
    std::vector<std::string> stub_sources;
    std::vector<std::string> link_flags;
    // How the built harness runs (empty: natively). {exe} is the harness, {args} its arguments one per
    // word, {cmdline} its arguments joined by spaces (file names are relative to the work folder, the
    // emulator's working directory).
    std::vector<std::string> emulator;
    std::string packages;                  // Debian packages that provide the compiler and emulator
    // The instruction set the target's own kernels use ("" = portable kernels only; "avx2", "avx512": the
    // x86 backend's), and the CPU features (GCC's __builtin_cpu_supports names) a host needs to run the code.
    std::string isa = "";
    std::vector<std::string> cpu_features = {};
};

// The host CPU features of t.cpu_features it lacks (empty: it can run t's code natively).
std::vector<std::string> missing_cpu_features(const TargetInfo& t);

// nullptr when unknown.
const TargetInfo* find_target(const std::string& name);
std::vector<std::string> target_names();

}  // namespace kiln
