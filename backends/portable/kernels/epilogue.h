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

// The same formulas as the unfused activation kernels (elementwise.h, activation.h), one functor each so
// apply_epilogue runs one tight loop per activation (no switch per element).
template <typename T>
inline T sigmoid_of(T x) {
    return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
struct EpilogueRelu {
    T operator()(T x) const { return x > T(0) ? x : T(0); }
};
// ONNX order: max(x, lo) then min(., hi).
template <typename T>
struct EpilogueClip {
    T lo, hi;
    T operator()(T x) const {
        const T v = x < lo ? lo : x;
        return v > hi ? hi : v;
    }
};
template <typename T>
struct EpilogueLeakyRelu {
    T alpha;
    T operator()(T x) const { return x < T(0) ? alpha * x : x; }
};
template <typename T>
struct EpilogueSigmoid {
    T operator()(T x) const { return sigmoid_of(x); }
};
template <typename T>
struct EpilogueHardSigmoid {
    T alpha, beta;
    T operator()(T x) const {
        const T v = alpha * x + beta;
        return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    }
};
template <typename T>
struct EpilogueHardSwish {
    T operator()(T x) const {
        const T v = x / T(6) + T(0.5);
        return x * (v < T(0) ? T(0) : (v > T(1) ? T(1) : v));
    }
};
template <typename T>
struct EpilogueSilu {
    T operator()(T x) const { return x * sigmoid_of(x); }
};
template <typename T>
struct EpilogueTanh {
    T operator()(T x) const { return std::tanh(x); }
};

template <typename T, typename F>
inline void map_in_place(T* y, int64_t n, F f) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(y[i]);
}

// y[0..n) = act(y[0..n)).
template <typename T>
inline void apply_epilogue(T* y, int64_t n, const Epilogue& e) {
    switch (e.activation) {
    case kActRelu: map_in_place(y, n, EpilogueRelu<T>()); return;
    case kActClip: map_in_place(y, n, EpilogueClip<T>{T(e.p0), T(e.p1)}); return;
    case kActLeakyRelu: map_in_place(y, n, EpilogueLeakyRelu<T>{T(e.p0)}); return;
    case kActSigmoid: map_in_place(y, n, EpilogueSigmoid<T>()); return;
    case kActHardSigmoid: map_in_place(y, n, EpilogueHardSigmoid<T>{T(e.p0), T(e.p1)}); return;
    case kActHardSwish: map_in_place(y, n, EpilogueHardSwish<T>()); return;
    case kActSilu: map_in_place(y, n, EpilogueSilu<T>()); return;
    case kActTanh: map_in_place(y, n, EpilogueTanh<T>()); return;
    default: return;
    }
}

}  // namespace kernels
}  // namespace kiln
