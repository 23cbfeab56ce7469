// Elementwise kernels: unary maps and broadcasting binary/ternary maps, parameterized by functors.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

template <typename TI, typename TO, typename F>
inline void unary(const TI* x, TO* y, int64_t n, F f) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <typename TA, typename TB, typename TO, typename F>
inline void binary(const TA* a, const TB* b, TO* y, const BroadcastParams& p, F f) {
    // Same-shape fast path: one flat loop the compiler can vectorize.
    if (p.rank == 1 && p.strides[0][0] == 1 && p.strides[1][0] == 1) {
        for (int64_t i = 0; i < p.dims[0]; ++i) y[i] = f(a[i], b[i]);
        return;
    }
    for_each_broadcast(p, [&](int64_t o, int64_t ia, int64_t ib, int64_t) { y[o] = f(a[ia], b[ib]); });
}

template <typename TC, typename TA, typename TB, typename TO, typename F>
inline void ternary(const TC* c, const TA* a, const TB* b, TO* y, const BroadcastParams& p, F f) {
    for_each_broadcast(p, [&](int64_t o, int64_t ic, int64_t ia, int64_t ib) { y[o] = f(c[ic], a[ia], b[ib]); });
}

// ---- functors ---------------------------------------------------------------------------------

struct Relu {
    template <typename T> T operator()(T x) const { return x > T(0) ? x : T(0); }
};
struct Sigmoid {
    float operator()(float x) const { return 1.0f / (1.0f + std::exp(-x)); }
    double operator()(double x) const { return 1.0 / (1.0 + std::exp(-x)); }
};
struct Clip {
    float lo, hi;
    template <typename T> T operator()(T x) const { return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x); }
};

struct Add {
    template <typename T> T operator()(T a, T b) const { return T(a + b); }
};
struct Sub {
    template <typename T> T operator()(T a, T b) const { return T(a - b); }
};
struct Mul {
    template <typename T> T operator()(T a, T b) const { return T(a * b); }
};
struct Div {
    float operator()(float a, float b) const { return a / b; }
    double operator()(double a, double b) const { return a / b; }
    // Integer division truncates toward zero; division by zero gives 0 instead of a trap.
    template <typename T> T operator()(T a, T b) const { return b == T(0) ? T(0) : T(a / b); }
};

}  // namespace kernels
}  // namespace kiln
