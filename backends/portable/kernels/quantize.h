// Linear quantization: QuantizeLinear, DequantizeLinear (per tensor or per axis), DynamicQuantizeLinear,
// and the requantization step of the integer convolutions and matrix products (qconv.h, qmatmul.h).
// Rounding is half to even written out with floor, so results do not depend on the floating-point
// environment; saturation clamps in float before rounding, as ONNX Runtime's MLAS kernels do.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// The range of a quantized type.
template <typename T> struct QuantRange;
template <> struct QuantRange<uint8_t> {
    static constexpr int32_t lo = 0, hi = 255;
};
template <> struct QuantRange<int8_t> {
    static constexpr int32_t lo = -128, hi = 127;
};

// The type QuantizeLinear divides in: float for float input (what ONNX Runtime and the ONNX reference
// do), double for int32 input (numpy promotes int32 / float32 to double; float would lose digits).
template <typename T> struct QuantizeCompute {
    using type = float;
};
template <> struct QuantizeCompute<int32_t> {
    using type = double;
};

// Round half to even of a value already clamped to the int32 range. v - floor(v) is exact.
template <typename F>
inline int32_t round_half_even(F v) {
    const F f = std::floor(v);
    int32_t r = int32_t(f);
    const F frac = v - f;
    if (frac > F(0.5) || (frac == F(0.5) && (r & 1) != 0)) ++r;
    return r;
}

// saturate(round(v) + zp) for a quantized type TY. v is clamped to [lo - zp, hi - zp] first (those
// bounds are integers, so clamping and rounding commute); NaN compares false and becomes lo - zp,
// as in MLAS's SSE path (max_ps returns its second operand for NaN).
template <typename TY, typename F>
inline TY saturate_round(F v, int32_t zp) {
    const F lo = F(QuantRange<TY>::lo - zp), hi = F(QuantRange<TY>::hi - zp);
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return TY(round_half_even(v) + zp);
}

// Requantization of an int32 accumulator: saturate(round(float(acc) * scale) + zp), where scale is
// input_scale * weight_scale / output_scale computed in float in that order (MlasRequantizeOutput).
template <typename TY>
inline TY requantize(int32_t acc, float scale, int32_t zp) {
    return saturate_round<TY>(float(acc) * scale, zp);
}

// x viewed as [outer, channels, inner]: channel c uses scale[c] and zero_point[c]. Per-tensor
// quantization is channels = 1.
struct QuantAxisParams {
    int64_t outer, channels, inner;
};

// y = saturate(round(x / scale) + zero_point); zero_point may be nullptr (0).
template <typename TX, typename TY>
inline void quantize_linear(const TX* x, const float* scale, const TY* zero_point, TY* y, const QuantAxisParams& p) {
    using F = typename QuantizeCompute<TX>::type;
    for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t c = 0; c < p.channels; ++c) {
            const F s = F(scale[c]);
            const int32_t zp = zero_point ? int32_t(zero_point[c]) : 0;
            const int64_t base = (o * p.channels + c) * p.inner;
            for (int64_t i = 0; i < p.inner; ++i) y[base + i] = saturate_round<TY>(F(x[base + i]) / s, zp);
        }
    }
}

// y = (x - zero_point) * scale; zero_point may be nullptr (0). The difference is exact in int64 (int32
// input), then converted to float once, as ONNX Runtime does.
template <typename TX>
inline void dequantize_linear(const TX* x, const float* scale, const TX* zero_point, float* y,
                              const QuantAxisParams& p) {
    for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t c = 0; c < p.channels; ++c) {
            const float s = scale[c];
            const int64_t zp = zero_point ? int64_t(zero_point[c]) : 0;
            const int64_t base = (o * p.channels + c) * p.inner;
            for (int64_t i = 0; i < p.inner; ++i) y[base + i] = float(int64_t(x[base + i]) - zp) * s;
        }
    }
}

// DynamicQuantizeLinear to uint8: the range [min(x, 0), max(x, 0)] maps onto [0, 255].
//   scale = (max - min) / 255, zero_point = saturate(round(0 - min / scale)), y = quantize(x).
// A range of zero (x all zeros, or empty) gives scale 1 and zero point 0, as ONNX Runtime does; the
// spec's formula would divide by zero there. NaN elements do not take part in min and max.
template <typename = void>
inline void dynamic_quantize_linear(const float* x, int64_t n, uint8_t* y, float* y_scale, uint8_t* y_zero_point) {
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    const float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    const uint8_t zp = saturate_round<uint8_t>(0.0f - lo / scale, 0);
    *y_scale = scale;
    *y_zero_point = zp;
    for (int64_t i = 0; i < n; ++i) y[i] = saturate_round<uint8_t>(x[i] / scale, zp);
}

}  // namespace kernels
}  // namespace kiln
