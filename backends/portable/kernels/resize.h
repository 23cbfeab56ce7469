// Resize and Upsample over any rank, driven by per-dim tap tables that the compiler computes (in double,
// as the ONNX reference does) from the mode, coordinate transformation, scales or sizes and roi. The kernel
// only gathers and weighs: nearest is a pure gather for every element type, linear and cubic a separable
// weighted sum for float types.
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// Dims are numbered after the leading ones the resize leaves unchanged (flattened into `outer` planes);
// the last dim is contiguous. For output index o along dim d, the source taps are the `taps[d]`
// consecutive input indices starting at first[first_at[d] + o], with weights
// weight[weight_at[d] + o * taps[d] + k]; a first index of -1 marks a position outside the
// tf_crop_and_resize box, whose outputs are `extrapolation`. Nearest tables have one tap and no weights.
struct ResizeParams {
    int64_t outer;
    int32_t rank;
    int32_t extrapolate;  // some first index is -1
    int64_t in[kMaxRank];
    int64_t out[kMaxRank];
    int32_t taps[kMaxRank];
    int64_t first_at[kMaxRank];
    int64_t weight_at[kMaxRank];
    double extrapolation;  // for the float kernel; the gather kernel takes it in the element type
};

// Constant tables as the generated code defines them (aggregates, so they are plain static data).
template <int N>
struct IndexTable {
    int32_t v[N];
};
template <int N>
struct WeightTable {
    float v[N];
};

// Walks the output rows (every dim but the last) of every plane: f(x plane, y row, index of the row per dim).
template <typename T, typename F>
inline void for_each_resize_row(const T* x, T* y, const ResizeParams& p, F f) {
    const int32_t last = p.rank - 1;
    int64_t in_plane = 1, rows = 1;
    for (int32_t d = 0; d < p.rank; ++d) in_plane *= p.in[d];
    for (int32_t d = 0; d < last; ++d) rows *= p.out[d];
    const int64_t row_len = p.out[last];
    if (rows == 0 || row_len == 0) return;
    for (int64_t plane = 0; plane < p.outer; ++plane) {
        int64_t idx[kMaxRank] = {0};
        const T* xp = x + plane * in_plane;
        T* yr = y + plane * rows * row_len;
        for (int64_t r = 0; r < rows; ++r, yr += row_len) {
            f(xp, yr, idx);
            for (int32_t d = last - 1; d >= 0; --d) {
                if (++idx[d] < p.out[d]) break;
                idx[d] = 0;
            }
        }
    }
}

// Input strides of the dims (elements).
inline void resize_in_strides(const ResizeParams& p, int64_t* stride) {
    int64_t s = 1;
    for (int32_t d = p.rank - 1; d >= 0; --d) {
        stride[d] = s;
        s *= p.in[d];
    }
}

// Nearest (and any resize whose dims all reduce to one tap of weight 1): y = x[source], no arithmetic,
// so every element type is copied exactly. `fill` (extrapolation_value in the element type) is read only
// when p.extrapolate is set.
template <typename T>
inline void resize_nearest(const T* x, T* y, const ResizeParams& p, const int32_t* first, const T* fill) {
    const int32_t last = p.rank - 1;
    int64_t stride[kMaxRank];
    resize_in_strides(p, stride);
    const int32_t* fl = first + p.first_at[last];
    const int64_t n = p.out[last];
    for_each_resize_row(x, y, p, [&](const T* xp, T* yr, const int64_t* idx) {
        int64_t off = 0;
        bool outside = false;
        for (int32_t d = 0; d < last; ++d) {
            const int32_t f = first[p.first_at[d] + idx[d]];
            outside = outside || f < 0;
            off += int64_t(f) * stride[d];
        }
        if (outside) {
            for (int64_t o = 0; o < n; ++o) yr[o] = *fill;
            return;
        }
        const T* xr = xp + off;
        if (p.extrapolate) {
            for (int64_t o = 0; o < n; ++o) yr[o] = fl[o] < 0 ? *fill : xr[fl[o]];
        } else {
            for (int64_t o = 0; o < n; ++o) yr[o] = xr[fl[o]];
        }
    });
}

// yr[o] += w * sum_k weight[o][k] * xr[first[o] + k] along the last dim, K taps per output.
template <int K, bool Extrapolate, typename T>
inline void resize_accumulate_row(const T* xr, T* yr, int64_t n, const int32_t* first, const float* weight, T w) {
    for (int64_t o = 0; o < n; ++o) {
        const int32_t f = first[o];
        if (Extrapolate && f < 0) continue;
        const T* s = xr + f;
        const float* wo = weight + o * K;
        T acc = T(wo[0]) * s[0];
        for (int k = 1; k < K; ++k) acc += T(wo[k]) * s[k];
        yr[o] += w * acc;
    }
}

template <bool Extrapolate, typename T>
inline void resize_accumulate(int32_t taps, const T* xr, T* yr, int64_t n, const int32_t* first, const float* weight,
                              T w) {
    switch (taps) {
    case 1: resize_accumulate_row<1, Extrapolate>(xr, yr, n, first, weight, w); break;
    case 2: resize_accumulate_row<2, Extrapolate>(xr, yr, n, first, weight, w); break;
    case 3: resize_accumulate_row<3, Extrapolate>(xr, yr, n, first, weight, w); break;
    default: resize_accumulate_row<4, Extrapolate>(xr, yr, n, first, weight, w); break;
    }
}

// Linear and cubic: each output row is the weighted sum, over the taps of the other dims, of the
// interpolated input rows. Taps of zero weight (clamped or excluded ones) are skipped.
template <typename T>
inline void resize_interpolate(const T* x, T* y, const ResizeParams& p, const int32_t* first, const float* weight) {
    const int32_t last = p.rank - 1;
    int64_t stride[kMaxRank];
    resize_in_strides(p, stride);
    const int32_t* fl = first + p.first_at[last];
    const float* wl = weight + p.weight_at[last];
    const int64_t n = p.out[last];
    const T fill = T(p.extrapolation);
    for_each_resize_row(x, y, p, [&](const T* xp, T* yr, const int64_t* idx) {
        bool outside = false;
        for (int32_t d = 0; d < last; ++d) outside = outside || first[p.first_at[d] + idx[d]] < 0;
        for (int64_t o = 0; o < n; ++o) yr[o] = outside ? fill : T(0);
        if (outside) return;
        int32_t tap[kMaxRank] = {0};
        for (;;) {
            int64_t off = 0;
            T w = T(1);
            for (int32_t d = 0; d < last; ++d) {
                off += int64_t(first[p.first_at[d] + idx[d]] + tap[d]) * stride[d];
                w *= T(weight[p.weight_at[d] + idx[d] * p.taps[d] + tap[d]]);
            }
            if (w != T(0)) {
                if (p.extrapolate) resize_accumulate<true>(p.taps[last], xp + off, yr, n, fl, wl, w);
                else resize_accumulate<false>(p.taps[last], xp + off, yr, n, fl, wl, w);
            }
            int32_t d = last - 1;
            for (; d >= 0; --d) {
                if (++tap[d] < p.taps[d]) break;
                tap[d] = 0;
            }
            if (d < 0) break;
        }
        if (p.extrapolate)
            for (int64_t o = 0; o < n; ++o)
                if (fl[o] < 0) yr[o] = fill;
    });
}

}  // namespace kernels
}  // namespace kiln
