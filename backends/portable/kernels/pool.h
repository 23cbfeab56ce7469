// Pooling over NC(D)(H)W tensors, 1-D to 3-D (global pooling runs as one 1-D window over the
// flattened spatial dims): max with optional argmax indices, average, and Lp norm.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"
#include "window.h"

namespace kiln {
namespace kernels {

struct PoolParams {
    int64_t planes;  // batch x channels
    Window win;
    int64_t pad_end[kWindowDims];  // only AveragePool's count_include_pad divisor needs it
    int32_t count_include_pad;
    int32_t column_major_indices;  // MaxPool storage_order = 1
    float p;                       // LpPool exponent
};

// Calls f(plane, output index, window start per dim, in-bounds taps per dim) for every output element.
template <typename F>
inline void for_each_pool_window(const PoolParams& p, F f) {
    const Window& g = p.win;
    int64_t o = 0;
    for (int64_t plane = 0; plane < p.planes; ++plane) {
        for (int64_t od = 0; od < g.out[0]; ++od) {
            for (int64_t oh = 0; oh < g.out[1]; ++oh) {
                for (int64_t ow = 0; ow < g.out[2]; ++ow, ++o) {
                    const int64_t start[kWindowDims] = {od * g.stride[0] - g.pad[0], oh * g.stride[1] - g.pad[1],
                                                        ow * g.stride[2] - g.pad[2]};
                    Span taps[kWindowDims];
                    for (int d = 0; d < kWindowDims; ++d)
                        taps[d] = span_in_bounds(start[d], g.dilation[d], g.in[d], g.kernel[d]);
                    f(plane, o, start, taps);
                }
            }
        }
    }
}

// Calls v(element offset in the plane, d, h, w) for the in-bounds elements of one window.
template <typename V>
inline void visit_window(const Window& g, const int64_t* start, const Span* taps, V v) {
    for (int64_t kd = taps[0].lo; kd < taps[0].hi; ++kd) {
        const int64_t id = start[0] + kd * g.dilation[0];
        for (int64_t kh = taps[1].lo; kh < taps[1].hi; ++kh) {
            const int64_t ih = start[1] + kh * g.dilation[1];
            const int64_t row = (id * g.in[1] + ih) * g.in[2];
            for (int64_t kw = taps[2].lo; kw < taps[2].hi; ++kw) {
                const int64_t iw = start[2] + kw * g.dilation[2];
                v(row + iw, id, ih, iw);
            }
        }
    }
}

// indices (may be null) get the flat position of each maximum in x, row-major or, with
// column_major_indices, with the spatial dims in reverse order (ONNX storage_order = 1).
// Padding never wins: a window always holds at least one input element.
template <typename T>
inline void max_pool(const T* x, T* y, int64_t* indices, const PoolParams& p) {
    const Window& g = p.win;
    const int64_t in_size = window_in_size(g);
    for_each_pool_window(p, [&](int64_t plane, int64_t o, const int64_t* start, const Span* taps) {
        const T* xp = x + plane * in_size;
        bool found = false;
        T best = T(0);
        int64_t at[4] = {0, 0, 0, 0};
        visit_window(g, start, taps, [&](int64_t off, int64_t d, int64_t h, int64_t w) {
            if (!found || xp[off] > best) {
                best = xp[off];
                found = true;
                at[0] = off, at[1] = d, at[2] = h, at[3] = w;
            }
        });
        y[o] = best;
        if (indices) {
            const int64_t pos = p.column_major_indices ? (at[3] * g.in[1] + at[2]) * g.in[0] + at[1] : at[0];
            indices[o] = plane * in_size + pos;
        }
    });
}

// Without count_include_pad the divisor is the number of input elements in the window; with it, the
// taps inside the padded input (a ceil_mode window can reach past the end padding: those don't count).
template <typename T>
inline void avg_pool(const T* x, T* y, const PoolParams& p) {
    const Window& g = p.win;
    const int64_t in_size = window_in_size(g);
    for_each_pool_window(p, [&](int64_t plane, int64_t o, const int64_t* start, const Span* taps) {
        const T* xp = x + plane * in_size;
        T sum = T(0);
        visit_window(g, start, taps, [&](int64_t off, int64_t, int64_t, int64_t) { sum += xp[off]; });
        int64_t count = 1;
        for (int d = 0; d < kWindowDims; ++d) {
            if (p.count_include_pad) {
                const int64_t room = g.in[d] + p.pad_end[d] - start[d];
                count *= min_of(g.kernel[d], (room + g.dilation[d] - 1) / g.dilation[d]);
            } else {
                count *= taps[d].hi - taps[d].lo;
            }
        }
        y[o] = sum / T(count);
    });
}

// y = (sum of |x|^p over the window)^(1/p); padding contributes zeros.
template <typename T>
inline void lp_pool(const T* x, T* y, const PoolParams& p) {
    const Window& g = p.win;
    const int64_t in_size = window_in_size(g);
    const T e = T(p.p);
    for_each_pool_window(p, [&](int64_t plane, int64_t o, const int64_t* start, const Span* taps) {
        const T* xp = x + plane * in_size;
        T sum = T(0);
        if (e == T(2)) {
            visit_window(g, start, taps, [&](int64_t off, int64_t, int64_t, int64_t) { sum += xp[off] * xp[off]; });
            y[o] = std::sqrt(sum);
        } else {
            visit_window(g, start, taps,
                         [&](int64_t off, int64_t, int64_t, int64_t) { sum += std::pow(std::fabs(xp[off]), e); });
            y[o] = std::pow(sum, T(1) / e);
        }
    });
}

// MaxUnpool: y = 0, then x[i] goes to the flat position indices[i] of a tensor of shape `from` (the
// MaxPool input the indices came from). When the requested output shape `to` differs, each value keeps
// its coordinates, as the ONNX reference does; positions outside `to` are dropped.
struct UnpoolParams {
    int32_t rank;
    int64_t count;  // elements of x
    int64_t from[kMaxRank];
    int64_t to[kMaxRank];
};

template <typename T>
inline void max_unpool(const T* x, const int64_t* indices, T* y, const UnpoolParams& p) {
    int64_t from_size = 1, to_size = 1;
    for (int32_t d = 0; d < p.rank; ++d) {
        from_size *= p.from[d];
        to_size *= p.to[d];
    }
    for (int64_t o = 0; o < to_size; ++o) y[o] = T(0);
    for (int64_t i = 0; i < p.count; ++i) {
        int64_t f = indices[i];
        if (f < 0 || f >= from_size) continue;
        int64_t pos = 0, scale = 1;
        bool inside = true;
        for (int32_t d = p.rank - 1; d >= 0; --d) {
            const int64_t coord = f % p.from[d];
            f /= p.from[d];
            inside = inside && coord < p.to[d];
            pos += coord * scale;
            scale *= p.to[d];
        }
        if (inside) y[pos] = x[i];
    }
}

}  // namespace kernels
}  // namespace kiln
