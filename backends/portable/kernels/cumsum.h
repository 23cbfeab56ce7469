// CumSum along one axis, optionally exclusive and/or reversed. The output row of step j is the row of
// step j-1 plus one input row, so the inner loop runs over contiguous elements.
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// x viewed as [outer, n, inner] with the sum running over n.
struct CumSumParams {
    int64_t outer;
    int64_t n;
    int64_t inner;
    int32_t exclusive;
    int32_t reverse;
};

template <typename T>
inline void cumsum(const T* x, T* y, const CumSumParams& p) {
    if (p.n == 0) return;
    const int64_t step = p.reverse ? -p.inner : p.inner;
    for (int64_t o = 0; o < p.outer; ++o) {
        const int64_t first = o * p.n * p.inner + (p.reverse ? (p.n - 1) * p.inner : 0);
        const T* xs = x + first;
        T* ys = y + first;
        for (int64_t i = 0; i < p.inner; ++i) ys[i] = p.exclusive ? T(0) : xs[i];
        for (int64_t j = 1; j < p.n; ++j) {
            const T* xr = xs + (p.exclusive ? (j - 1) * step : j * step);
            const T* prev = ys + (j - 1) * step;
            T* yr = ys + j * step;
            for (int64_t i = 0; i < p.inner; ++i) yr[i] = T(prev[i] + xr[i]);
        }
    }
}

}  // namespace kernels
}  // namespace kiln
