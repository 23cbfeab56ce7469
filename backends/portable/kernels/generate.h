// Kernels that make tensors from a few parameters rather than moving an input: Range, EyeLike, Trilu
// (which masks its input), OneHot. Fills for ConstantOfShape are kernels::fill in layout.h.
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// y[i] = start + i * delta, in T's arithmetic as the ONNX reference computes it.
template <typename T>
inline void range(const T* start, const T* delta, T* y, int64_t n) {
    const T s = start[0], d = delta[0];
    for (int64_t i = 0; i < n; ++i) y[i] = T(s + T(i) * d);
}

// `one` on the k-th diagonal (column = row + k) of a rows x cols matrix, zeros elsewhere. `one` is given
// because fp16 tensors hold bit patterns.
template <typename T>
inline void eye_like(T* y, int64_t rows, int64_t cols, int64_t k, T one) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = c - r == k ? one : T();
}

// Keeps the upper (col - row >= k) or lower (col - row <= k) triangle of each rows x cols matrix and
// zeroes the rest. k may be a run-time scalar (nullptr means 0).
template <typename T, typename K>
inline void trilu(const T* x, T* y, int64_t batches, int64_t rows, int64_t cols, int32_t upper, const K* k_ptr) {
    const int64_t k = k_ptr ? int64_t(k_ptr[0]) : 0;
    for (int64_t b = 0; b < batches; ++b) {
        const T* xm = x + b * rows * cols;
        T* ym = y + b * rows * cols;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
                const bool keep = upper ? c - r >= k : c - r <= k;
                ym[r * cols + c] = keep ? xm[r * cols + c] : T();
            }
    }
}

// y[o, d, i] = values[1] if indices[o, i] == d else values[0]. Negative indices count from depth when
// wrap_negative is set (opset 11); otherwise, like every index out of range, they give an all-off row.
struct OneHotParams {
    int64_t outer;
    int64_t depth;
    int64_t inner;
    int32_t wrap_negative;
};

template <typename I, typename T>
inline void one_hot(const I* indices, const T* values, T* y, const OneHotParams& p) {
    const T off = values[0], on = values[1];
    for (int64_t o = 0; o < p.outer; ++o)
        for (int64_t d = 0; d < p.depth; ++d)
            for (int64_t i = 0; i < p.inner; ++i) {
                int64_t v = int64_t(indices[o * p.inner + i]);
                if (v < 0 && p.wrap_negative) v += p.depth;
                y[(o * p.depth + d) * p.inner + i] = v == d ? on : off;
            }
}

}  // namespace kernels
}  // namespace kiln
