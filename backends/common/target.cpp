// The target table.
#include "backends/common/target.h"

namespace kiln {

namespace {

// A Cortex-M target: the portable kernels built with arm-none-eabi-g++ for one QEMU board, run with
// semihosting (the harness's fopen/fwrite reach the host's files, its exit status is QEMU's).
TargetInfo cortex_m(const std::string& name, const std::string& cpu, const std::string& board, const std::string& what) {
    return TargetInfo{
        name,
        "portable kernels for " + what + " (hard float), checked on QEMU " + board,
        16,
        {"-mcpu=" + cpu, "-mthumb", "-mfloat-abi=hard", "-O2", "-ffunction-sections", "-fdata-sections",
         "-fno-exceptions", "-fno-rtti"},
        "arm-none-eabi-g++",
        {"boards/" + board + "/startup.cpp", "boards/common/cortexm_startup.inc", "boards/common/semihost.h",
         "boards/" + board + "/link.ld"},
        {"--specs=rdimon.specs", "-Wl,--gc-sections", "-T{stubs}/boards/" + board + "/link.ld"},
        {"qemu-system-arm", "-M", board, "-nographic", "-monitor", "none", "-semihosting-config",
         "enable=on,target=native", "-kernel", "{exe}", "-append", "{cmdline}"},
        "gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm",
    };
}

// An x86-64 target: the x86 backend's kernels for one ISA (backends/x86/kernels), the rest portable, built
// with that ISA's flags and run natively (`kiln check` refuses a host without the features).
TargetInfo x86(const std::string& name, const std::string& isa, const std::string& what,
               std::vector<std::string> isa_flags, std::vector<std::string> features) {
    std::vector<std::string> flags = {"-O2"};  // -O3 takes g++ 12 five times longer on the AVX-512 kernels, no faster
    flags.insert(flags.end(), isa_flags.begin(), isa_flags.end());
    TargetInfo t{name, "x86-64 with " + what + ": packed GEMM/convolution, depthwise and pooling kernels", 64,
                 flags, "", {}, {}, {}, ""};
    t.isa = isa;
    t.cpu_features = std::move(features);
    return t;
}

const std::vector<TargetInfo>& targets() {
    static const std::vector<TargetInfo> t = {
        {"portable", "plain C++14 for any compiler and CPU", 16, {"-O2"}, "", {}, {}, {}, ""},
        cortex_m("cortex-m4", "cortex-m4", "mps2-an386", "Arm Cortex-M4F"),
        cortex_m("cortex-m7", "cortex-m7", "mps2-an500", "Arm Cortex-M7 (double-precision FPU)"),
        cortex_m("cortex-m55", "cortex-m55", "mps3-an547", "Arm Cortex-M55 (FPU and MVE)"),
        {"cortex-a", "portable kernels for AArch64 Linux (Cortex-A), checked under qemu-aarch64", 16, {"-O2"},
         "aarch64-linux-gnu-g++", {}, {},
         {"qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", "{exe}", "{args}"},
         "g++-aarch64-linux-gnu qemu-user"},
        x86("x86-avx2", "avx2", "AVX2 and FMA (Haswell and later)", {"-mavx2", "-mfma"}, {"avx2", "fma"}),
        x86("x86-avx512", "avx512", "AVX-512 F/BW/VL/DQ and FMA (Skylake-SP and later)",
            {"-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma"},
            {"avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"}),
    };
    return t;
}

}  // namespace

const TargetInfo* find_target(const std::string& name) {
    for (const TargetInfo& t : targets())
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<std::string> missing_cpu_features(const TargetInfo& t) {
    std::vector<std::string> missing;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    for (const std::string& f : t.cpu_features) {
        bool has = false;
        if (f == "avx2") has = __builtin_cpu_supports("avx2");
        else if (f == "fma") has = __builtin_cpu_supports("fma");
        else if (f == "avx512f") has = __builtin_cpu_supports("avx512f");
        else if (f == "avx512bw") has = __builtin_cpu_supports("avx512bw");
        else if (f == "avx512vl") has = __builtin_cpu_supports("avx512vl");
        else if (f == "avx512dq") has = __builtin_cpu_supports("avx512dq");
        if (!has) missing.push_back(f);
    }
#else
    missing = t.cpu_features;  // not an x86-64 host: none of them can be assumed
#endif
    return missing;
}

std::vector<std::string> target_names() {
    std::vector<std::string> v;
    for (const TargetInfo& t : targets()) v.push_back(t.name);
    return v;
}

}  // namespace kiln
