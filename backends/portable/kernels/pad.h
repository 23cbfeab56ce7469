// Pad: constant, reflect and edge modes, with negative pads cropping. Each output row (innermost dim)
// is a left border, one contiguous run copied from the input, and a right border.
#pragma once

#include <cstdint>
#include <cstring>

#include "common.h"

namespace kiln {
namespace kernels {

enum PadMode : int32_t { kPadConstant = 0, kPadReflect = 1, kPadEdge = 2 };

struct PadParams {
    int32_t rank;
    int32_t mode;
    int64_t in_dims[kMaxRank];
    int64_t out_dims[kMaxRank];
    int64_t begin[kMaxRank];  // pad before each dim (negative crops)
};

// Input coordinate read for output coordinate o on a dim of n elements, or -1 for the constant.
inline int64_t pad_source(int64_t o, int64_t begin, int64_t n, int32_t mode) {
    int64_t i = o - begin;
    if (i >= 0 && i < n) return i;
    if (mode == kPadConstant || n == 0) return -1;
    if (mode == kPadEdge) return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    // Reflection without repeating the edge is periodic with period 2(n-1), as numpy.pad's 'reflect'.
    const int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
}

// value: the constant for kPadConstant (nullptr means zero).
template <typename T>
inline void pad(const T* x, T* y, const PadParams& p, const T* value) {
    const T v = value ? value[0] : T();
    if (p.rank == 0) {
        y[0] = x[0];
        return;
    }
    const int32_t last = p.rank - 1;
    int64_t in_strides[kMaxRank];
    in_strides[last] = 1;
    for (int32_t d = last - 1; d >= 0; --d) in_strides[d] = in_strides[d + 1] * p.in_dims[d + 1];
    int64_t rows = 1;
    for (int32_t d = 0; d < last; ++d) rows *= p.out_dims[d];
    const int64_t w = p.out_dims[last], n = p.in_dims[last], b = p.begin[last];
    // Output columns whose source lies inside the input row: [lo, hi).
    const int64_t lo = min_of(max_of(b, int64_t(0)), w);
    const int64_t hi = max_of(lo, min_of(max_of(b + n, int64_t(0)), w));
    int64_t idx[kMaxRank] = {0};
    for (int64_t r = 0; r < rows && w > 0; ++r) {
        T* row = y + r * w;
        int64_t src = 0;
        bool inside = true;
        for (int32_t d = 0; d < last && inside; ++d) {
            const int64_t s = pad_source(idx[d], p.begin[d], p.in_dims[d], p.mode);
            inside = s >= 0;
            src += s * in_strides[d];
        }
        if (!inside) {
            for (int64_t j = 0; j < w; ++j) row[j] = v;
        } else {
            const T* in = x + src;
            for (int64_t j = 0; j < lo; ++j) {
                const int64_t s = pad_source(j, b, n, p.mode);
                row[j] = s < 0 ? v : in[s];
            }
            if (hi > lo) std::memcpy(row + lo, in + (lo - b), std::size_t(hi - lo) * sizeof(T));
            for (int64_t j = hi; j < w; ++j) {
                const int64_t s = pad_source(j, b, n, p.mode);
                row[j] = s < 0 ? v : in[s];
            }
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            if (++idx[d] < p.out_dims[d]) break;
            idx[d] = 0;
        }
    }
}

}  // namespace kernels
}  // namespace kiln
