// float16 and bfloat16 conversions on raw bit patterns: kernels hold both types as uint16_t, so every
// kernel that computes on them converts to float (or from double, to round only once) here.
// The functions are templates (with an unused parameter) so the ones a model does not use do not warn
// in the generated code's anonymous namespace (clang's -Wunused-function).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common.h"

namespace kiln {
namespace kernels {

template <typename = void>
inline float f16_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        // Zero or subnormal: mant * 2^-24, exact in float.
        const float v = float(mant) * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    uint32_t bits = exp == 0x1fu ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112u) << 23) | (mant << 13));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Round half to even of a non-negative value, independent of the floating-point environment.
template <typename = void>
inline double round_half_even_nonneg(double q) {
    double r = std::floor(q);
    const double frac = q - r;
    if (frac > 0.5 || (frac == 0.5 && std::fmod(r, 2.0) != 0.0)) r += 1.0;
    return r;
}

// Correctly rounded (to nearest even) for double input, hence also for float input.
template <typename = void>
inline uint16_t double_to_f16(double d) {
    const uint16_t sign = std::signbit(d) ? 0x8000u : 0u;
    if (std::isnan(d)) return uint16_t(sign | 0x7e00u);
    const double a = std::fabs(d);
    if (a >= 65520.0) return uint16_t(sign | 0x7c00u);  // 65520 is halfway past 65504 and rounds up
    if (a < 6.103515625e-05) {                           // below the smallest normal: units of 2^-24
        return uint16_t(sign | uint16_t(round_half_even_nonneg(a * 16777216.0)));
    }
    int e = 0;
    const double m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    uint32_t biased = uint32_t(e + 14);
    uint32_t mant = uint32_t(round_half_even_nonneg((2.0 * m - 1.0) * 1024.0));
    if (mant == 1024u) {  // rounded up into the next binade
        mant = 0;
        ++biased;
    }
    return uint16_t(sign | (biased << 10) | mant);
}

template <typename = void>
inline float bf16_to_float(uint16_t h) {
    const uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Truncates, as the ONNX 1.12 reference and ONNX Runtime of that time do (the backend tests expect it).
template <typename = void>
inline uint16_t float_to_bf16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return uint16_t(bits >> 16);
}

// Applies a float functor to float16 / bfloat16 bit patterns: convert in, compute in float, convert out.
template <typename F>
struct OnF16 {
    F f;
    uint16_t operator()(uint16_t a) const { return double_to_f16(f(f16_to_float(a))); }
    uint16_t operator()(uint16_t a, uint16_t b) const { return double_to_f16(f(f16_to_float(a), f16_to_float(b))); }
};
template <typename F>
struct OnBF16 {
    F f;
    uint16_t operator()(uint16_t a) const { return float_to_bf16(f(bf16_to_float(a))); }
    uint16_t operator()(uint16_t a, uint16_t b) const { return float_to_bf16(f(bf16_to_float(a), bf16_to_float(b))); }
};

}  // namespace kernels
}  // namespace kiln
