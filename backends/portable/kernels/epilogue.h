// The epilogue of a fused layer (FusedConv, FusedConvTranspose, FusedGemm): one activation applied to a
// block of outputs right after they are computed, while they are still in cache. Shared by conv.h and gemm.h.
#pragma once

#include <cmath>
#include <cstdint>

namespace kiln {
namespace kernels {

enum EpilogueActivation : int32_t {
    kActNone = 0,
    kActRelu = 1,
    kActClip = 2,         // p0 = min, p1 = max (ReLU6: 0, 6)
    kActLeakyRelu = 3,    // p0 = alpha
    kActSigmoid = 4,
    kActHardSigmoid = 5,  // p0 = alpha, p1 = beta
    kActHardSwish = 6,
    kActSilu = 7,         // x * sigmoid(x)
    kActTanh = 8,
};

struct Epilogue {
    int32_t activation;
    float p0, p1;
};

// The same formulas as the unfused activation kernels (elementwise.h, activation.h).
template <typename T>
inline T sigmoid_of(T x) {
    return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
inline T activate(T x, const Epilogue& e) {
    switch (e.activation) {
    case kActRelu: return x > T(0) ? x : T(0);
    case kActClip: {
        // ONNX order: max(x, lo) then min(., hi).
        const T v = x < T(e.p0) ? T(e.p0) : x;
        return v > T(e.p1) ? T(e.p1) : v;
    }
    case kActLeakyRelu: return x < T(0) ? T(e.p0) * x : x;
    case kActSigmoid: return sigmoid_of(x);
    case kActHardSigmoid: {
        const T v = T(e.p0) * x + T(e.p1);
        return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    }
    case kActHardSwish: {
        const T v = x / T(6) + T(0.5);
        return x * (v < T(0) ? T(0) : (v > T(1) ? T(1) : v));
    }
    case kActSilu: return x * sigmoid_of(x);
    case kActTanh: return std::tanh(x);
    default: return x;
    }
}

// y[0..n) = act(y[0..n)). The switch is hoisted out of the loop for the common cases.
template <typename T>
inline void apply_epilogue(T* y, int64_t n, const Epilogue& e) {
    switch (e.activation) {
    case kActNone: return;
    case kActRelu:
        for (int64_t i = 0; i < n; ++i) y[i] = y[i] > T(0) ? y[i] : T(0);
        return;
    default:
        for (int64_t i = 0; i < n; ++i) y[i] = activate(y[i], e);
        return;
    }
}

}  // namespace kernels
}  // namespace kiln
