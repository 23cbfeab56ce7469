// Softmax, LogSoftmax and Hardmax along one axis of a tensor viewed as [outer, axis, inner]: element
// (o, a, i) is at (o * axis + a) * inner + i. The max is subtracted first so exp never overflows.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

struct SoftmaxParams {
    int64_t outer, axis, inner;
};

template <typename T>
inline T softmax_row_max(const T* x, int64_t n, int64_t stride) {
    T m = x[0];
    for (int64_t a = 1; a < n; ++a) m = max_of(m, x[a * stride]);
    return m;
}

template <typename T>
inline void softmax(const T* x, T* y, const SoftmaxParams& p) {
    if (p.axis == 0) return;
    for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t i = 0; i < p.inner; ++i) {
            const int64_t base = o * p.axis * p.inner + i;
            const T m = softmax_row_max(x + base, p.axis, p.inner);
            T sum = T(0);
            for (int64_t a = 0; a < p.axis; ++a) {
                const T e = std::exp(x[base + a * p.inner] - m);
                y[base + a * p.inner] = e;
                sum += e;
            }
            const T inv = T(1) / sum;
            for (int64_t a = 0; a < p.axis; ++a) y[base + a * p.inner] *= inv;
        }
    }
}

template <typename T>
inline void log_softmax(const T* x, T* y, const SoftmaxParams& p) {
    if (p.axis == 0) return;
    for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t i = 0; i < p.inner; ++i) {
            const int64_t base = o * p.axis * p.inner + i;
            const T m = softmax_row_max(x + base, p.axis, p.inner);
            T sum = T(0);
            for (int64_t a = 0; a < p.axis; ++a) sum += std::exp(x[base + a * p.inner] - m);
            const T shift = m + std::log(sum);
            for (int64_t a = 0; a < p.axis; ++a) y[base + a * p.inner] = x[base + a * p.inner] - shift;
        }
    }
}

// 1 at the first maximum along the axis, 0 elsewhere.
template <typename T>
inline void hardmax(const T* x, T* y, const SoftmaxParams& p) {
    if (p.axis == 0) return;
    for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t i = 0; i < p.inner; ++i) {
            const int64_t base = o * p.axis * p.inner + i;
            int64_t best = 0;
            for (int64_t a = 1; a < p.axis; ++a)
                if (x[base + a * p.inner] > x[base + best * p.inner]) best = a;
            for (int64_t a = 0; a < p.axis; ++a) y[base + a * p.inner] = a == best ? T(1) : T(0);
        }
    }
}

}  // namespace kernels
}  // namespace kiln
