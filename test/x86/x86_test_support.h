// Helpers every x86 kernel test and microbenchmark uses; each executable is built for one ISA
// (KILN_X86_ISA = Avx2 or Avx512, with that ISA's flags).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "backends/x86/kernels/simd.h"

namespace kiln {
namespace test_x86 {

using Isa = kiln::kernels::x86::KILN_X86_ISA;

// True when this CPU runs Isa's instructions (the tests skip otherwise).
inline bool cpu_has_isa() {
    __builtin_cpu_init();
    if (Isa::kLanes == 16)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// Bit-identical floats, any NaN equal to any NaN (kernels that must match the portable ones exactly).
inline bool same_bits(float a, float b) {
    if (std::isnan(a) && std::isnan(b)) return true;
    uint32_t ua, ub;
    std::memcpy(&ua, &a, 4);
    std::memcpy(&ub, &b, 4);
    return ua == ub;
}

// n floats uniform in [-1, 1) from rng.
inline std::vector<float> random_floats(int64_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = d(rng);
    return v;
}

// The same from a generator seeded with n (benchmarks: the same data for the same size).
inline std::vector<float> random_floats(int64_t n) {
    std::mt19937 rng(static_cast<uint32_t>(n));
    return random_floats(n, rng);
}

// A float buffer starting on a 64-byte boundary, as the generated code's arena and constants are (benchmarks).
struct Buffer {
    std::vector<float> storage;
    float* p;
    explicit Buffer(int64_t n) : storage(static_cast<size_t>(n) + 16) {
        const uintptr_t a = reinterpret_cast<uintptr_t>(storage.data());
        p = storage.data() + ((64 - a % 64) % 64) / sizeof(float);
    }
    float* data() { return p; }
};

// n floats uniform in [-1, 1) in an aligned Buffer, from a generator seeded with n.
inline Buffer random_buffer(int64_t n) {
    std::mt19937 rng(static_cast<uint32_t>(n));
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    Buffer b(n);
    for (int64_t i = 0; i < n; ++i) b.p[i] = d(rng);
    return b;
}

}  // namespace test_x86
}  // namespace kiln
