// MaxPool, AveragePool and GlobalAveragePool over NC(D)(H)W, vectorized along the output row (W): one
// vector holds L consecutive outputs of a row; each window tap (kd, kh, kw) is one vector load (stride 1)
// or two loads and an even-lane permute (stride 2) of an input row, clipped to the row (lanes outside read
// nothing). Same parameters (kernels::PoolParams, Window) and the same results as the portable kernels
// (backends/portable/kernels/pool.h): MaxPool and AveragePool are bit-exact (the taps are combined in the
// portable order, d then h then w), GlobalAveragePool sums in a different order (rounding differs).
// Horizontal strides other than 1 and 2 run the portable kernel.
#pragma once

#include <cstdint>

#include "../../portable/kernels/pool.h"
#include "../../portable/kernels/window.h"
#include "lanes.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {
namespace pool {

// Lane l of the result is row[c + s * l] (s = 1 or 2), 0 outside [0, in_w). kFull: no clipping needed.
template <class Isa, int S, bool kFull>
KILN_X86_INLINE typename Isa::V tap(const float* row, int64_t c, int64_t in_w) {
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    if (S == 1) return kFull ? Isa::load(row + c) : Ln::load_clip(row, c, in_w);
    if (kFull) return Ln::even(Isa::load(row + c), Isa::load(row + c + L));
    return Ln::even(Ln::load_clip(row, c, in_w), Ln::load_clip(row, c + L, in_w));
}

// The same with c >= 0: masked loads at row + c (lanes past the row's end read nothing, and are 0).
template <class Isa, int S>
KILN_X86_INLINE typename Isa::V tap_masked(const float* row, int64_t c, int64_t in_w) {
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    const typename Ln::M a = Ln::range(0, in_w - c);
    if (S == 1) return Ln::maskz_load(a, row + c);
    const typename Ln::M b = Ln::range(0, in_w - c - L);
    return Ln::even(Ln::maskz_load(a, row + c), Ln::any(b) ? Ln::maskz_load(b, row + c + L) : Isa::zero());
}

// The output row (od, oh) of one plane: for each tap row inside the input (spans sd, sh) and each kw, the
// vector of L outputs from ow0 is combined by `op`.
struct RowGeom {
    const float* xp;  // the plane
    int64_t id0, ih0;  // window start (may be negative)
    Span sd, sh;
};

// span_in_bounds(start, dilation, limit, k) without its divisions when dilation is 1 (the usual case).
inline Span taps_in(int64_t start, int64_t dilation, int64_t limit, int64_t k) {
    if (dilation != 1) return span_in_bounds(start, dilation, limit, k);
    const int64_t lo = start < 0 ? -start : 0;
    int64_t hi = limit - start < k ? limit - start : k;
    if (hi < lo) hi = lo;
    return Span{lo, hi};
}

// True when every element the taps of the block [ow0, ow0 + L) read lies inside the row.
inline bool block_full(const Window& g, int S, int L, int64_t ow0) {
    const int64_t c0 = ow0 * S - g.pad[2];
    const int64_t last = c0 + (g.kernel[2] - 1) * g.dilation[2] + S * L;  // one past the last element read
    return c0 >= 0 && last <= g.in[2];
}

template <class Isa, int S>
inline void max_row(const Window& g, const RowGeom& r, float* yr) {
    using V = typename Isa::V;
    using Ln = Lanes<Isa>;
    using M = typename Ln::M;
    constexpr int L = Isa::kLanes;
    const int64_t in_w = g.in[2], out_w = g.out[2];
    for (int64_t ow0 = 0; ow0 < out_w; ow0 += L) {
        const int64_t n = out_w - ow0 < L ? out_w - ow0 : L;
        const int64_t c0 = ow0 * S - g.pad[2];
        V acc = Isa::zero();
        // Every lane < n has every tap kw inside the row (only the loads of lanes >= n may leave it).
        const bool valid = c0 >= 0 && c0 + (g.kernel[2] - 1) * g.dilation[2] + S * (n - 1) < in_w;
        if (valid && !block_full(g, S, L, ow0)) {
            bool first = true;
            for (int64_t kd = r.sd.lo; kd < r.sd.hi; ++kd)
                for (int64_t kh = r.sh.lo; kh < r.sh.hi; ++kh) {
                    const int64_t id = r.id0 + kd * g.dilation[0], ih = r.ih0 + kh * g.dilation[1];
                    const float* row = r.xp + (id * g.in[1] + ih) * in_w;
                    for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                        const V v = tap_masked<Isa, S>(row, c0 + kw * g.dilation[2], in_w);
                        acc = first ? v : Ln::max(v, acc);
                        first = false;
                    }
                }
        } else if (block_full(g, S, L, ow0)) {
            bool first = true;
            for (int64_t kd = r.sd.lo; kd < r.sd.hi; ++kd)
                for (int64_t kh = r.sh.lo; kh < r.sh.hi; ++kh) {
                    const int64_t id = r.id0 + kd * g.dilation[0], ih = r.ih0 + kh * g.dilation[1];
                    const float* row = r.xp + (id * g.in[1] + ih) * in_w;
                    for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                        const V v = tap<Isa, S, true>(row, c0 + kw * g.dilation[2], in_w);
                        acc = first ? v : Ln::max(v, acc);
                        first = false;
                    }
                }
        } else {
            // Lanes whose tap kw is inside the row, per kw; a lane's first valid tap sets it (portable:
            // the first element of the window), later ones take the max.
            M have = Ln::none();
            for (int64_t kd = r.sd.lo; kd < r.sd.hi; ++kd)
                for (int64_t kh = r.sh.lo; kh < r.sh.hi; ++kh) {
                    const int64_t id = r.id0 + kd * g.dilation[0], ih = r.ih0 + kh * g.dilation[1];
                    const float* row = r.xp + (id * g.in[1] + ih) * in_w;
                    for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                        const int64_t c = c0 + kw * g.dilation[2];
                        const Span sw = span_in_bounds(c, S, in_w, n);
                        if (sw.lo >= sw.hi) continue;
                        const M m = Ln::range(sw.lo, sw.hi);
                        const V v = tap<Isa, S, false>(row, c, in_w);
                        acc = Ln::max_where(Ln::and_(m, have), v, acc);
                        acc = Ln::select(Ln::andnot(have, m), v, acc);
                        have = Ln::or_(have, m);
                    }
                }
            acc = Ln::select(have, acc, Isa::zero());  // an empty window gives 0, as the portable kernel
        }
        if (n == L) Isa::store(yr + ow0, acc);
        else Isa::store_n(yr + ow0, acc, n);
    }
}

template <class Isa, int S>
inline void avg_row(const Window& g, const RowGeom& r, float count_dh, const PoolParams& p, float* yr) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const int64_t in_w = g.in[2], out_w = g.out[2];
    for (int64_t ow0 = 0; ow0 < out_w; ow0 += L) {
        const int64_t n = out_w - ow0 < L ? out_w - ow0 : L;
        const int64_t c0 = ow0 * S - g.pad[2];
        const bool full = block_full(g, S, L, ow0);
        V sum = Isa::zero();  // + 0 for the lanes outside the row: the portable sum starts at +0, so no change
        for (int64_t kd = r.sd.lo; kd < r.sd.hi; ++kd)
            for (int64_t kh = r.sh.lo; kh < r.sh.hi; ++kh) {
                const int64_t id = r.id0 + kd * g.dilation[0], ih = r.ih0 + kh * g.dilation[1];
                const float* row = r.xp + (id * g.in[1] + ih) * in_w;
                for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                    const int64_t c = c0 + kw * g.dilation[2];
                    sum = Isa::add(sum, full ? tap<Isa, S, true>(row, c, in_w)
                                             : c >= 0 && c < in_w ? tap_masked<Isa, S>(row, c, in_w)
                                                                  : tap<Isa, S, false>(row, c, in_w));
                }
            }
        // The divisor of each lane: count_dh * its tap count along W (as the portable kernel).
        V div;
        if (full) {
            div = Isa::set1(count_dh * float(g.kernel[2]));
        } else {
            alignas(64) float d[L];
            for (int64_t l = 0; l < L; ++l) {
                const int64_t start = (ow0 + l) * S - g.pad[2];
                int64_t cw;
                if (p.count_include_pad) {
                    const int64_t room = g.in[2] + p.pad_end[2] - start;
                    cw = min_of(g.kernel[2], (room + g.dilation[2] - 1) / g.dilation[2]);
                } else {
                    const Span sw = taps_in(start, g.dilation[2], g.in[2], g.kernel[2]);
                    cw = sw.hi - sw.lo;
                }
                d[l] = count_dh * float(cw);
            }
            div = Isa::load(d);
        }
        const V y = Lanes<Isa>::div(sum, div);
        if (n == L) Isa::store(yr + ow0, y);
        else Isa::store_n(yr + ow0, y, n);
    }
}

// Calls row(geometry, y row, count along d and h for AveragePool) for every output row.
template <class F>
inline void for_each_row(const PoolParams& p, const float* x, float* y, F row) {
    const Window& g = p.win;
    const int64_t in_size = window_in_size(g), out_w = g.out[2];
    float* yr = y;
    for (int64_t plane = 0; plane < p.planes; ++plane)
        for (int64_t od = 0; od < g.out[0]; ++od) {
            const int64_t id0 = od * g.stride[0] - g.pad[0];
            const Span sd = taps_in(id0, g.dilation[0], g.in[0], g.kernel[0]);
            for (int64_t oh = 0; oh < g.out[1]; ++oh, yr += out_w) {
                const int64_t ih0 = oh * g.stride[1] - g.pad[1];
                const Span sh = taps_in(ih0, g.dilation[1], g.in[1], g.kernel[1]);
                int64_t count = 1;
                const int64_t start[2] = {id0, ih0};
                const Span spans[2] = {sd, sh};
                for (int d = 0; d < 2; ++d) {
                    if (p.count_include_pad) {
                        const int64_t room = g.in[d] + p.pad_end[d] - start[d];
                        const int64_t fit = g.dilation[d] == 1 ? room : (room + g.dilation[d] - 1) / g.dilation[d];
                        count *= min_of(g.kernel[d], fit);
                    } else {
                        count *= spans[d].hi - spans[d].lo;
                    }
                }
                row(RowGeom{x + plane * in_size, id0, ih0, sd, sh}, yr, count);
            }
        }
}

}  // namespace pool

// MaxPool without the indices output (use the portable kernel when they are needed).
template <class Isa>
inline void max_pool(const float* x, float* y, const PoolParams& p) {
    const Window& g = p.win;
    if (g.stride[2] == 1)
        pool::for_each_row(p, x, y, [&](const pool::RowGeom& r, float* yr, int64_t) { pool::max_row<Isa, 1>(g, r, yr); });
    else if (g.stride[2] == 2)
        pool::for_each_row(p, x, y, [&](const pool::RowGeom& r, float* yr, int64_t) { pool::max_row<Isa, 2>(g, r, yr); });
    else
        kernels::max_pool(x, y, static_cast<int64_t*>(nullptr), p);
}

// AveragePool (count_include_pad either way; pad_end sets its divisor for windows past the end).
template <class Isa>
inline void avg_pool(const float* x, float* y, const PoolParams& p) {
    const Window& g = p.win;
    if (g.stride[2] == 1)
        pool::for_each_row(p, x, y, [&](const pool::RowGeom& r, float* yr, int64_t count) {
            pool::avg_row<Isa, 1>(g, r, float(count), p, yr);
        });
    else if (g.stride[2] == 2)
        pool::for_each_row(p, x, y, [&](const pool::RowGeom& r, float* yr, int64_t count) {
            pool::avg_row<Isa, 2>(g, r, float(count), p, yr);
        });
    else
        kernels::avg_pool(x, y, p);
}

// GlobalAveragePool: y[i] = mean of the plane_size contiguous elements of plane i.
template <class Isa>
inline void global_avg_pool(const float* x, float* y, int64_t planes, int64_t plane_size) {
    using V = typename Isa::V;
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
#if defined(__AVX2__) && defined(__FMA__)
    // Small planes (7 x 7): 8-lane vectors, whose horizontal sum is cheaper (measured faster).
    if (L > 8 && plane_size < 64) {
        global_avg_pool<Avx2>(x, y, planes, plane_size);
        return;
    }
#endif
    const float count = float(plane_size);
    for (int64_t i = 0; i < planes; ++i) {
        const float* xp = x + i * plane_size;
        V s0 = Isa::zero(), s1 = Isa::zero(), s2 = Isa::zero(), s3 = Isa::zero();
        int64_t k = 0;
        for (; k + 4 * L <= plane_size; k += 4 * L) {
            s0 = Isa::add(s0, Isa::load(xp + k));
            s1 = Isa::add(s1, Isa::load(xp + k + L));
            s2 = Isa::add(s2, Isa::load(xp + k + 2 * L));
            s3 = Isa::add(s3, Isa::load(xp + k + 3 * L));
        }
        for (; k + L <= plane_size; k += L) s0 = Isa::add(s0, Isa::load(xp + k));
        if (k < plane_size) s1 = Isa::add(s1, Isa::load_n(xp + k, plane_size - k));
        y[i] = Ln::hsum(Isa::add(Isa::add(s0, s1), Isa::add(s2, s3))) / count;
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
