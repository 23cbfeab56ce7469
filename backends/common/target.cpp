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
    };
    return t;
}

}  // namespace

const TargetInfo* find_target(const std::string& name) {
    for (const TargetInfo& t : targets())
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<std::string> target_names() {
    std::vector<std::string> v;
    for (const TargetInfo& t : targets()) v.push_back(t.name);
    return v;
}

}  // namespace kiln
