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
#pragma GCC unroll 16
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

// ---- Separable MaxPool: 2-D windows up to 3 x 3, dilation 1, horizontal stride 1 or 2 ----
// Each input row is copied into a row buffer whose padding repeats the row's first / last element (two
// rows ahead of its use, so the unaligned loads never wait on the copy's stores), its horizontal max over
// the kw taps is computed once per output column (an h row, kept in a ring of 3), and an output row is
// the vertical max of its kh h rows. No masks in the loops.
// Bit-exact with the portable kernel: the taps are folded in the portable order (w within a row, then the
// rows top down) with the same update f(v, acc) = v > acc ? v : acc. A repeated edge element changes no
// fold: before the first real tap, f(a, a) = a (the same bits, NaN included); after the last one,
// f(a, acc) = acc whenever acc already folded a. The one difference is NaN as the first tap of a lower row:
// its h is NaN and the vertical fold skips it, where the portable fold skips only that element. A plane
// whose rows hold a NaN (checked during the copy) is therefore recomputed by the tap-order kernel (max_row).
constexpr int64_t kSepMaxOutW = 256;  // widest output row of the separable path (stack buffers below)
// Most vectors per output row for which the separable path walks one output vector at a time down the plane
// (separable_max_planes' `columns`): AVX2 dwpool_bench, 3x3 stride 2, min of 4 runs: 256 x 27x27 (2 vectors)
// 65 -> 45 us; 128 x 55x55 (4 vectors) 102 -> 107, so rows there.
constexpr int64_t kSepMaxColumnsVectors = 2;

// The separable path applies: 2-D (d of size 1), kernel <= 3 x 3, dilation 1, stride_w 1 or 2, pads below
// the kernel and no window past the input (so no window is empty), output rows up to kSepMaxOutW.
inline bool separable_max_ok(const PoolParams& p) {
    const Window& g = p.win;
    if (g.in[0] != 1 || g.out[0] != 1 || g.kernel[0] != 1 || g.pad[0] != 0) return false;
    if (g.dilation[1] != 1 || g.dilation[2] != 1) return false;
    if (g.kernel[1] < 1 || g.kernel[1] > 3 || g.kernel[2] < 1 || g.kernel[2] > 3) return false;
    if (g.stride[2] != 1 && g.stride[2] != 2) return false;
    if (g.stride[1] < 1 || g.out[2] > kSepMaxOutW || g.out[1] < 1 || g.out[2] < 1) return false;
    if (g.pad[1] < 0 || g.pad[2] < 0 || g.pad[1] >= g.kernel[1] || g.pad[2] >= g.kernel[2]) return false;
    // the last window of each dimension starts inside the input
    return (g.out[1] - 1) * g.stride[1] - g.pad[1] < g.in[1] && (g.out[2] - 1) * g.stride[2] - g.pad[2] < g.in[2];
}

template <class Isa, int S, int KW>
KILN_X86_INLINE typename Isa::V hmax_at(const float* b) {
    using V = typename Isa::V;
    V z = Isa::load(b);
    if (KW > 1) z = Isa::max(Isa::load(b + 1), z);
    if (KW > 2) z = Isa::max(Isa::load(b + 2), z);
    return z;
}

// Whether any lane of the vectors seen was NaN (an OR of unordered compares: no dependency chain longer
// than one OR per vector, unlike a running sum).
template <class Isa>
struct NanSeen;
#if defined(__AVX512F__) && defined(__FMA__)
template <>
struct NanSeen<Avx512> {
    __mmask16 m = 0;
    KILN_X86_INLINE void see(__m512 v) { m = __mmask16(m | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q)); }
    bool any() const { return m != 0; }
};
#endif
#if defined(__AVX2__) && defined(__FMA__)
template <>
struct NanSeen<Avx2> {
    __m256 m = _mm256_setzero_ps();
    KILN_X86_INLINE void see(__m256 v) { m = _mm256_or_ps(m, _mm256_cmp_ps(v, v, _CMP_UNORD_Q)); }
    bool any() const { return _mm256_movemask_ps(m) != 0; }
};
#endif

template <class Isa>
struct SepMaxGeom {
    static constexpr int64_t kBuf = 2 * (kSepMaxOutW + Isa::kLanes) + 4 * Isa::kLanes;
    int64_t in_w, pl, nb, used;
    int64_t full, tail, fills;  // whole vectors of a row, the elements after them, vectors of right fill
    typename Lanes<Isa>::M tail_mask;
};

// Row `row` (in_w floats) into b: b[pl + c] = row[c], b[j] = row[0] for j < pl, row[in_w - 1] up to used.
// Every element copied is checked for NaN (which also keeps g++ from turning the loop into a memcpy call).
template <class Isa>
KILN_X86_INLINE void copy_row(const SepMaxGeom<Isa>& q, const float* row, float* b, NanSeen<Isa>& nan) {
    using V = typename Isa::V;
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    if (q.pl > 0) b[0] = row[0];
    if (q.pl > 1) b[1] = row[0];
    float* d = b + q.pl;
    for (int64_t k = 0; k < q.full; ++k) {
        const V v = Isa::load(row + k * L);
        nan.see(v);
        Isa::store(d + k * L, v);
    }
    d += q.full * L;
    if (q.tail) {
        const V v = Ln::maskz_load(q.tail_mask, row + q.full * L);
        nan.see(v);
        Ln::mask_store(q.tail_mask, d, v);
        d += q.tail;
    }
    const V last = Isa::set1(row[q.in_w - 1]);
    for (int64_t k = 0; k < q.fills; ++k) Isa::store(d + k * L, last);
}

// Lane l of the result is v[max(l + c, 0)] (c < 0): the row's first element repeated into the left padding.
template <class Isa>
struct ClampLeft;
#if defined(__AVX512F__) && defined(__FMA__)
template <>
struct ClampLeft<Avx512> {
    static KILN_X86_INLINE __m512 run(__m512 v, int64_t c) {
        // (maskz: g++ 12's _mm512_max_epi32 trips -Wmaybe-uninitialized, GCC PR 105593)
        const __m512i idx = _mm512_maskz_max_epi32(
            __mmask16(0xFFFF), _mm512_add_epi32(Lanes<Avx512>::iota(), _mm512_set1_epi32(int(c))), _mm512_setzero_si512());
        return _mm512_maskz_permutexvar_ps(__mmask16(0xFFFF), idx, v);
    }
};
#endif
#if defined(__AVX2__) && defined(__FMA__)
template <>
struct ClampLeft<Avx2> {
    static KILN_X86_INLINE __m256 run(__m256 v, int64_t c) {
        const __m256i idx = _mm256_max_epi32(
            _mm256_add_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0), _mm256_set1_epi32(int(c))), _mm256_setzero_si256());
        return _mm256_permutevar8x32_ps(v, idx);
    }
};
#endif

// The first and the last vector of h straight from the row (kDirect: every window ends inside the row).
// Load j (stride 1: c0 + j; stride 2: c0 + j, then c0 + L + j - 3 for j >= 3): lanes left of the row repeat
// its first element (as the row buffer's padding), lanes past its end read nothing and are 0 (they only
// reach outputs past the row's end); any[j] false: nothing of that load is inside the row (no pointer).
template <class Isa>
struct DirectEdge {
    typename Lanes<Isa>::M m[6];
    bool any[6];
    int64_t c[6];
    DirectEdge() : m{}, any{}, c{} {}
    DirectEdge(int64_t c0, int64_t in_w) {
        using Ln = Lanes<Isa>;
#pragma GCC unroll 16
        for (int j = 0; j < 6; ++j) {
            c[j] = c0 + (j < 3 ? j : Isa::kLanes + j - 3);
            m[j] = c[j] < 0 ? Ln::range(0, in_w) : Ln::range(0, in_w - c[j]);
            any[j] = c[j] < in_w;
        }
    }
    KILN_X86_INLINE typename Isa::V load(const float* row, int j) const {
        if (!any[j]) return Isa::zero();
        if (c[j] < 0) return ClampLeft<Isa>::run(Lanes<Isa>::maskz_load(m[j], row), c[j]);
        return Lanes<Isa>::maskz_load(m[j], row + c[j]);
    }
};

template <class Isa, int S, int KW>
KILN_X86_INLINE typename Isa::V hmax_edge(const DirectEdge<Isa>& t, const float* row, int j0) {
    typename Isa::V z = t.load(row, j0);
    if (KW > 1) z = Isa::max(t.load(row, j0 + 1), z);
    if (KW > 2) z = Isa::max(t.load(row, j0 + 2), z);
    return z;
}

// Vector k of row's h (kDirect): the kw-tap max at output columns k * L.. (stride S); `edge`: through e's
// clamped / masked loads (the first vector of a left-padded row, or a last vector whose plain loads would run past
// the end of x).
template <class Isa, int S, int KW>
KILN_X86_INLINE typename Isa::V direct_h(const float* row, int64_t k, int64_t pl, bool edge, const DirectEdge<Isa>& e) {
    constexpr int L = Isa::kLanes;
    if (edge) {
        if (S == 1) return hmax_edge<Isa, S, KW>(e, row, 0);
        return Lanes<Isa>::even(hmax_edge<Isa, S, KW>(e, row, 0), hmax_edge<Isa, S, KW>(e, row, 3));
    }
    const float* bk = row + S * k * L - pl;
    if (S == 1) return hmax_at<Isa, S, KW>(bk);
    return Lanes<Isa>::even(hmax_at<Isa, S, KW>(bk), hmax_at<Isa, S, KW>(bk + L));
}

// Every plane (the geometry set up once); a plane whose rows hold a NaN is recomputed by max_row. kDirect: h straight
// from the input rows (no copy; NaN checked on h, which is NaN exactly when a window row starts with one,
// the repeated first element included).
template <class Isa, int S, int KW, bool kDirect>
inline void separable_max_planes(const PoolParams& p, const float* x, float* y) {
    const Window& g = p.win;
    using V = typename Isa::V;
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    constexpr int64_t kBuf = SepMaxGeom<Isa>::kBuf;
    constexpr int64_t kRing = kSepMaxOutW + L;
    constexpr int kAhead = 2;  // rows copied ahead of their use (kAhead + 1 = 3 buffers, 4 for the & 3)
    alignas(64) float buf[4][kBuf];
    alignas(64) float ring[4][kRing];  // h rows (3 live; 4 for the & 3)
    const int64_t in_h = g.in[1], out_h = g.out[1], out_w = g.out[2];
    const int64_t kh = g.kernel[1], sh = g.stride[1], pt = g.pad[1];
    SepMaxGeom<Isa> q;
    q.in_w = g.in[2];
    q.pl = g.pad[2];
    q.nb = (out_w + L - 1) / L;
    q.used = S * q.nb * L + KW + L;  // the h rows read below used - L
    if (q.pl + q.in_w > q.used) q.in_w = q.used - q.pl;  // columns no window reaches
    q.full = q.in_w / L;
    q.tail = q.in_w - q.full * L;
    q.tail_mask = Ln::range(0, q.tail);
    q.fills = (q.used - q.pl - q.in_w + L - 1) / L;
    const DirectEdge<Isa> first(-q.pl, g.in[2]), last(S * (q.nb - 1) * L - q.pl, g.in[2]);
    const int64_t in_size = window_in_size(g), out_size = out_h * out_w;
    // kDirect: the last vector of a row reads up to `reach` floats from the row's start. Past the row's end it reads
    // the next row (lanes that reach only outputs past out_w, never stored), so it needs the masked edge loads only
    // where that would pass the end of x (the last rows of the last plane). test/x86 dwpool_bench, AVX2: 256 x 27x27
    // 69 -> 62 us, 64 x 112x112 (pad 1) 246 -> 184 us.
    const int64_t reach = S * (q.nb - 1) * L - q.pl + (S == 2 ? 2 * L : L) + KW - 1;
    const float* const x_end = x + p.planes * in_size;
    const bool columns = kDirect && q.nb <= kSepMaxColumnsVectors;
    for (int64_t plane = 0; plane < p.planes; ++plane) {
        const float* xp = x + plane * in_size;
        float* yp = y + plane * out_size;
        NanSeen<Isa> nan;
        // Narrow output rows (at most kSepMaxColumnsVectors vectors, kDirect): one output vector at a time down the
        // whole plane, its h in registers, the window's last h carried to the next output row when that row's window
        // starts there (3x3 stride 2, 2x2 stride 1): no h ring, and the per-row work (row pointers, edge tests) once
        // per output vector instead of per row.
        for (int64_t k = 0; columns && k < q.nb; ++k) {
            const bool left = k == 0 && q.pl > 0, last_k = k + 1 == q.nb;
            const DirectEdge<Isa>& e = left ? first : last;
            const int64_t n = out_w - k * L < L ? out_w - k * L : L;
            V carry = Isa::zero();
            int64_t carry_row = -1;  // the input row whose h `carry` is
            for (int64_t oh = 0; oh < out_h; ++oh) {
                const int64_t ih0 = oh * sh - pt;
                const int64_t lo = ih0 < 0 ? 0 : ih0, hi = ih0 + kh < in_h ? ih0 + kh : in_h;
                V h = carry;
                if (carry_row != lo) {
                    const float* row = xp + lo * g.in[2];
                    h = direct_h<Isa, S, KW>(row, k, q.pl, left || (last_k && x_end - row < reach), e);
                    nan.see(h);
                }
                V acc = h;
                for (int64_t ih = lo + 1; ih < hi; ++ih) {
                    const float* row = xp + ih * g.in[2];
                    h = direct_h<Isa, S, KW>(row, k, q.pl, left || (last_k && x_end - row < reach), e);
                    nan.see(h);
                    acc = Isa::max(h, acc);
                }
                carry = h;
                carry_row = hi - 1;
                float* yr = yp + oh * out_w + k * L;
                if (n == L) Isa::store(yr, acc);
                else Isa::store_n(yr, acc, n);
            }
        }
        int64_t next_row = 0;    // the first input row whose h row is not computed yet
        int64_t copied = 0;      // rows copied so far
        for (int64_t oh = 0; !columns && oh < out_h; ++oh) {
            const int64_t ih0 = oh * sh - pt;
            const int64_t lo = ih0 < 0 ? 0 : ih0, hi = ih0 + kh < in_h ? ih0 + kh : in_h;
            for (int64_t ih = lo > next_row ? lo : next_row; ih < hi; ++ih) {
                float* h = ring[ih & 3];
                if (kDirect) {
                    const float* row = xp + ih * g.in[2];
                    const bool tail_edge = x_end - row < reach;
                    for (int64_t k = 0; k < q.nb; ++k) {
                        const bool left = k == 0 && q.pl > 0;
                        const V v = direct_h<Isa, S, KW>(row, k, q.pl, left || (k + 1 == q.nb && tail_edge),
                                                         left ? first : last);
                        nan.see(v);
                        Isa::store(h + k * L, v);
                    }
                    continue;
                }
                if (copied < ih) copied = ih;
                const int64_t want = ih + kAhead < in_h ? ih + kAhead : in_h - 1;
                for (; copied <= want; ++copied) copy_row<Isa>(q, xp + copied * g.in[2], buf[copied & 3], nan);
                const float* b = buf[ih & 3];
                for (int64_t k = 0; k < q.nb; ++k) {
                    const float* bk = b + S * k * L;
                    V v;
                    if (S == 1) v = hmax_at<Isa, S, KW>(bk);
                    else v = Ln::even(hmax_at<Isa, S, KW>(bk), hmax_at<Isa, S, KW>(bk + L));
                    Isa::store(h + k * L, v);
                }
            }
            if (hi > next_row) next_row = hi;
            const float* r0 = ring[lo & 3];
            const float* r1 = ring[(lo + 1) & 3];
            const float* r2 = ring[(lo + 2) & 3];
            const int64_t rows = hi - lo;
            float* yr = yp + oh * out_w;
            for (int64_t k = 0; k < q.nb; ++k) {
                V acc = Isa::load(r0 + k * L);
                if (rows > 1) acc = Isa::max(Isa::load(r1 + k * L), acc);
                if (rows > 2) acc = Isa::max(Isa::load(r2 + k * L), acc);
                if ((k + 1) * L <= out_w) Isa::store(yr + k * L, acc);
                else Isa::store_n(yr + k * L, acc, out_w - k * L);
            }
        }
        if (!nan.any()) continue;
        PoolParams one = p;  // a NaN: the plane again in the portable tap order
        one.planes = 1;
        for_each_row(one, xp, yp, [&](const RowGeom& r, float* yr, int64_t) { max_row<Isa, S>(g, r, yr); });
    }
}

template <class Isa, int S, int KW>
inline void separable_max(const PoolParams& p, const float* x, float* y) {
    const Window& g = p.win;
    if ((g.out[2] - 1) * S - g.pad[2] + KW <= g.in[2]) separable_max_planes<Isa, S, KW, true>(p, x, y);
    else separable_max_planes<Isa, S, KW, false>(p, x, y);
}

template <class Isa, int S>
inline void separable_max_s(const PoolParams& p, const float* x, float* y) {
    if (p.win.kernel[2] == 1) separable_max<Isa, S, 1>(p, x, y);
    else if (p.win.kernel[2] == 2) separable_max<Isa, S, 2>(p, x, y);
    else separable_max<Isa, S, 3>(p, x, y);
}

}  // namespace pool

// MaxPool without the indices output (use the portable kernel when they are needed).
template <class Isa>
inline void max_pool(const float* x, float* y, const PoolParams& p) {
    const Window& g = p.win;
    if (pool::separable_max_ok(p)) {
        if (g.stride[2] == 1) pool::separable_max_s<Isa, 1>(p, x, y);
        else pool::separable_max_s<Isa, 2>(p, x, y);
        return;
    }
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
