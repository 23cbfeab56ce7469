// Depthwise 3x3 convolution (groups = channels, one filter per channel) over NCHW, stride 1 or 2, any
// padding, vectorized along the output row. A band of R output rows x one vector of output columns loads
// each input row it needs once and feeds it to every output row that uses it; the vectors at the row
// edges use masked loads (lanes outside the row read nothing and are 0: the padding, with no padded copy
// and no pointer outside the tensor). Bias, residual and activation are applied in registers before the
// store (as in gemm_packed.h). See backends/x86/README.md, "Depthwise and pooling".
#pragma once

#include <cstdint>

#include "../../portable/kernels/epilogue.h"
#include "../../portable/kernels/window.h"
#include "depthwise_pack.h"
#include "lanes.h"
#include "simd.h"
#include "vmath.h"

namespace kiln {
namespace kernels {
namespace x86 {

// act(v) for the activations with a vector form (sigmoid and SiLU through vmath.h's exp); returns false for
// tanh, which the caller applies with the portable functor after the store.
template <class Isa>
inline bool activate(typename Isa::V& v, const kernels::Epilogue& e) {
    using V = typename Isa::V;
    switch (e.activation) {
    case kernels::kActNone: return true;
    case kernels::kActRelu: v = Isa::max(v, Isa::zero()); return true;
    case kernels::kActClip: v = Isa::min(Isa::set1(e.p1), Isa::max(Isa::set1(e.p0), v)); return true;
    case kernels::kActLeakyRelu: v = Isa::leaky(v, Isa::set1(e.p0)); return true;
    case kernels::kActHardSigmoid:
        v = Isa::min(Isa::set1(1.0f), Isa::max(Isa::zero(), Isa::fmadd(Isa::set1(e.p0), v, Isa::set1(e.p1))));
        return true;
    case kernels::kActHardSwish: {
        const V gate = Isa::fmadd(v, Isa::set1(1.0f / 6.0f), Isa::set1(0.5f));
        v = Isa::mul(v, Isa::min(Isa::set1(1.0f), Isa::max(Isa::zero(), gate)));
        return true;
    }
    case kernels::kActSigmoid: v = vsigmoid<Isa>(v); return true;
    case kernels::kActSilu: v = vsilu<Isa>(v); return true;
    default: return false;
    }
}

namespace dw {

// Output rows per pass (band): each input row is loaded once per band and feeds up to 3 of its rows, and
// the per-band work (column masks, mode choice, epilogue dispatch) is shared by R rows. 7 divides the
// MobileNet heights 7..112; measured faster than 3..6 on both ISAs (AVX2's 16 ymm then take the taps as
// memory operands: loads are cheaper than the per-band overhead).
template <class Isa>
struct Blocking {
    static constexpr int kRows = 7;
};

// R vectors of outputs, vector j at y + o + j * step, n lanes each: + z, activation (one switch for all
// R), store; tanh with the portable functor after the store.
template <class Isa, int R>
KILN_X86_INLINE void finish_rows(typename Isa::V* acc, const float* zp, float* yp, int64_t o, int64_t step, int64_t n,
                        const kernels::Epilogue& act) {
    using V = typename Isa::V;
    const bool whole = n == Isa::kLanes;
    const typename Lanes<Isa>::M keep = Lanes<Isa>::range(0, n);
    if (zp)
        #pragma GCC unroll 16
        for (int j = 0; j < R; ++j)
            acc[j] = Isa::add(acc[j], whole ? Isa::load(zp + o + j * step) : Lanes<Isa>::maskz_load(keep, zp + o + j * step));
    bool done = true;
    switch (act.activation) {
    case kernels::kActNone: break;
    case kernels::kActRelu:
        #pragma GCC unroll 16
        for (int j = 0; j < R; ++j) acc[j] = Isa::max(acc[j], Isa::zero());
        break;
    case kernels::kActClip: {
        const V lo = Isa::set1(act.p0), hi = Isa::set1(act.p1);
        #pragma GCC unroll 16
        for (int j = 0; j < R; ++j) acc[j] = Isa::min(hi, Isa::max(lo, acc[j]));
        break;
    }
    default:
        // Through a copy: a reference into acc (activate is not inlined) would keep the caller's accumulators in
        // memory for the whole kernel, every activation.
        #pragma GCC unroll 16
        for (int j = 0; j < R; ++j) {
            V v = acc[j];
            done = activate<Isa>(v, act);
            acc[j] = v;
        }
        break;
    }
    #pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
        if (whole) Isa::store(yp + o + j * step, acc[j]);
        else Lanes<Isa>::mask_store(keep, yp + o + j * step, acc[j]);
    }
    if (!done)
        for (int j = 0; j < R; ++j) kernels::apply_epilogue(yp + o + j * step, n, act);
}

// The column vectors one row of a band loads (stride 1: x[c0 + kw + l] for kw = 0..2; stride 2: the raw
// runs a = x[c0 + l], b = x[c0 + L + l], c = x[c0 + 2L]): their column offset from c0 and the lanes that
// lie inside the row. Lanes outside read nothing and load 0 (the zero padding).
template <class Isa>
struct Cols {
    typename Lanes<Isa>::M m[3];
    int64_t off[3];
    bool any[3];
    int64_t at[3];  // c0 + off[t] when some lane is inside the row, else 0 (mask 0: nothing read)
    Cols() : m{}, off{}, any{}, at{} {}
    Cols(int S, int64_t c0, int64_t in_w) {
        using Ln = Lanes<Isa>;
        #pragma GCC unroll 16
        for (int t = 0; t < 3; ++t) {
            off[t] = S == 1 ? t : t * Isa::kLanes;
            const int64_t c = c0 + off[t];
            m[t] = Ln::range(-c, in_w - c);
            if (S == 2 && t == 2) m[t] = Ln::and_(m[t], Ln::range(0, 1));
            any[t] = Ln::any(m[t]);
            at[t] = any[t] ? c : 0;
        }
    }
};

// One masked column vector of row ih: a plain masked load at the row's flat offset whenever that offset is
// inside the plane (lanes outside the row are masked, so neighbouring rows are never read); only the first
// row's left edge, whose offset is negative, goes through load_clip. No pointer leaves the plane.
template <class Isa>
KILN_X86_INLINE typename Isa::V col_load(const float* xp, int64_t ih, int64_t in_w, int64_t c, typename Lanes<Isa>::M m,
                                bool any) {
    if (!any) return Isa::zero();
    const int64_t flat = ih * in_w + c;
    if (flat >= 0) return Lanes<Isa>::maskz_load(m, xp + flat);
    return Lanes<Isa>::load_clip(xp + ih * in_w, c, in_w, m);
}

// How a band loads its column vectors: plain loads (every element inside the row), masked loads at the
// row's flat offset (lanes outside the row masked; that offset is inside the plane for every row of the
// band), or col_load (the first row's left edge: a negative flat offset).
enum LoadMode { kPlain, kMasked, kChecked };

// R output rows starting at input row ih0 (= oh0 * S - pad_top), one vector of output columns starting at
// input column c0 (= ow0 * S - pad_left).
template <class Isa, int S, int R, int kMode, bool kRowCheck>
KILN_X86_INLINE void band(const float* xp, int64_t in_h, int64_t in_w, int64_t ih0, int64_t c0, const Cols<Isa>& cols,
                 const typename Isa::V* taps, typename Isa::V b0, typename Isa::V* acc) {
    using V = typename Isa::V;
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    constexpr int kIn = (R - 1) * S + 3;
    // Short bands (R <= 4, the remainder rows) split each output's 9 FMAs into independent partial sums
    // (one per tap column with AVX-512, two with AVX2) so they are not one dependent chain; bands of 7
    // have enough independent rows.
    constexpr int kPart = R > 4 ? 1 : Isa::kLanes == 16 ? 3 : 2;
    V part[R][kPart];
    #pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
        part[j][0] = b0;
        #pragma GCC unroll 16
        for (int q = 1; q < kPart; ++q) part[j][q] = Isa::zero();
    }
#pragma GCC unroll 16
    for (int i = 0; i < kIn; ++i) {
        const int64_t ih = ih0 + i;
        if (kRowCheck && (ih < 0 || ih >= in_h)) continue;
        const float* row = xp + ih * in_w;
        V v0, v1, v2;
        if (kMode == kPlain) {
            if (S == 1) {
                // One vector load; the columns left and right of it enter by lane moves (no split loads).
                v1 = Isa::load(row + c0 + 1);
                v0 = Ln::prev1(v1, Isa::set1(row[c0]));
                v2 = Ln::next1(v1, Isa::set1(row[c0 + L + 1]));
            } else {
                // x[c0 + 2l + kw]: even / odd of a:b, and the evens moved down one lane with x[c0 + 2L] entering.
                const V a = Isa::load(row + c0), b = Isa::load(row + c0 + L);
                v0 = Ln::even(a, b);
                v1 = Ln::odd(a, b);
                v2 = Ln::next1(v0, Isa::set1(row[c0 + 2 * L]));
            }
        } else {
            V r[3];
            #pragma GCC unroll 16
            for (int t = 0; t < 3; ++t) {
                if (kMode == kMasked) r[t] = Ln::maskz_load(cols.m[t], row + cols.at[t]);  // no branch
                else r[t] = col_load<Isa>(xp, ih, in_w, c0 + cols.off[t], cols.m[t], cols.any[t]);
            }
            if (S == 1) {
                v0 = r[0], v1 = r[1], v2 = r[2];
            } else {
                v0 = Ln::even(r[0], r[1]);
                v1 = Ln::odd(r[0], r[1]);
                v2 = Ln::next1(v0, r[2]);
            }
        }
#pragma GCC unroll 8
        for (int j = 0; j < R; ++j) {
            const int kh = i - j * S;
            if (kh < 0 || kh > 2) continue;
            part[j][0] = Isa::fmadd(taps[kh * 3], v0, part[j][0]);
            part[j][1 % kPart] = Isa::fmadd(taps[kh * 3 + 1], v1, part[j][1 % kPart]);
            part[j][2 % kPart] = Isa::fmadd(taps[kh * 3 + 2], v2, part[j][2 % kPart]);
        }
    }
    #pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
        acc[j] = part[j][0];
        #pragma GCC unroll 16
        for (int q = 1; q < kPart; ++q) acc[j] = Isa::add(acc[j], part[j][q]);
    }
}

// Per call: the column geometry of the first and the last vector of output columns (the only ones with
// edges, unless the padding is unusual), computed once instead of per band.
template <class Isa>
struct EdgeCols {
    bool full[2];
    Cols<Isa> cols[2];
    int64_t last;  // ow0 of the last block
    EdgeCols(int S, const Depthwise3x3Params& p) {
        constexpr int L = Isa::kLanes;
        last = (p.out_w - 1) / L * L;
        #pragma GCC unroll 16
        for (int e = 0; e < 2; ++e) {
            const int64_t c0 = (e == 0 ? 0 : last) * S - p.pad_left;
            full[e] = c0 >= 0 && c0 + (S == 1 ? L + 2 : 2 * L + 1) <= p.in_w;
            cols[e] = Cols<Isa>(S, c0, p.in_w);
        }
    }
};

// R output rows from oh0 over the whole output width.
template <class Isa, int S, int R, bool kPrefetch>
KILN_X86_INLINE void rows(const float* xp, int64_t rest, const float* zp, float* yp, const Depthwise3x3Params& p,
                          int64_t oh0, const EdgeCols<Isa>& edges, const typename Isa::V* taps, typename Isa::V b0,
                          const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const int64_t ih0 = oh0 * S - p.pad_top;
    const int64_t first_row = ih0 > 0 ? ih0 : 0;
    const bool inside = ih0 >= 0 && ih0 + (R - 1) * S + 3 <= p.in_h;  // every input row of the band
    // kPrefetch: the input rows the next band reads first (R * S rows after this band's last one; past the
    // plane's last row that is the next plane's first rows, as NCHW is contiguous), spread over this band's
    // column vectors. Flat offsets from xp, clamped to the rest of the tensor: no pointer leaves it.
    int64_t pf = (ih0 + (R - 1) * S + 3) * p.in_w;
    if (pf < 0) pf = 0;
    int64_t pf_end = pf + R * S * p.in_w;
    if (pf_end > rest) pf_end = rest;
    const int64_t vecs = (p.out_w + L - 1) / L;
    const int64_t pf_step = ((pf_end - pf + 15) / 16 + vecs - 1) / vecs * 16;  // floats (whole 64-byte lines) per vector
    for (int64_t ow0 = 0; ow0 < p.out_w; ow0 += L) {
        if (kPrefetch)
            for (int64_t e = pf + pf_step; pf < pf_end && pf < e; pf += 16) __builtin_prefetch(xp + pf, 0, 3);
        const int64_t n = p.out_w - ow0 < L ? p.out_w - ow0 : L;
        const int64_t c0 = ow0 * S - p.pad_left;
        V acc[R];
        const int e = ow0 == 0 ? 0 : ow0 == edges.last ? 1 : -1;
        // Elements read: [c0, c0 + L + 2) for stride 1, [c0, c0 + 2L + 1) for stride 2.
        const bool full = e >= 0 ? edges.full[e] : c0 >= 0 && c0 + (S == 1 ? L + 2 : 2 * L + 1) <= p.in_w;
        if (full) {
            if (inside) band<Isa, S, R, kPlain, false>(xp, p.in_h, p.in_w, ih0, c0, edges.cols[0], taps, b0, acc);
            else band<Isa, S, R, kPlain, true>(xp, p.in_h, p.in_w, ih0, c0, edges.cols[0], taps, b0, acc);
        } else {
            const Cols<Isa> cols = e >= 0 ? edges.cols[e] : Cols<Isa>(S, c0, p.in_w);
            // Masked loads form row + c0 + off: inside the plane unless that is left of the first row.
            if (first_row * p.in_w + c0 < 0) band<Isa, S, R, kChecked, true>(xp, p.in_h, p.in_w, ih0, c0, cols, taps, b0, acc);
            else if (inside) band<Isa, S, R, kMasked, false>(xp, p.in_h, p.in_w, ih0, c0, cols, taps, b0, acc);
            else band<Isa, S, R, kMasked, true>(xp, p.in_h, p.in_w, ih0, c0, cols, taps, b0, acc);
        }
        finish_rows<Isa, R>(acc, zp, yp, oh0 * p.out_w + ow0, p.out_w, n, act);
    }
}

template <class Isa, int S, bool kPrefetch>
KILN_X86_INLINE void plane_rows(const float* xp, int64_t rest, const float* zp, float* yp, const Depthwise3x3Params& p,
                       const EdgeCols<Isa>& edges, const typename Isa::V* taps, typename Isa::V b0,
                       const kernels::Epilogue& act) {
    constexpr int R = Blocking<Isa>::kRows;
    int64_t oh = 0;
    for (; oh + R <= p.out_h; oh += R) rows<Isa, S, R, kPrefetch>(xp, rest, zp, yp, p, oh, edges, taps, b0, act);
    for (; oh + 4 <= p.out_h; oh += 4) rows<Isa, S, 4, kPrefetch>(xp, rest, zp, yp, p, oh, edges, taps, b0, act);
    for (; oh + 2 <= p.out_h; oh += 2) rows<Isa, S, 2, kPrefetch>(xp, rest, zp, yp, p, oh, edges, taps, b0, act);
    if (oh < p.out_h) rows<Isa, S, 1, kPrefetch>(xp, rest, zp, yp, p, oh, edges, taps, b0, act);
}

// ---- Channels in lanes (HWc) for narrow planes ----
// L x L transpose in registers: r[i] lane j <-> r[j] lane i. (maskz forms: g++ 12's plain unpack/shuffle
// intrinsics pass _mm512_undefined_ps() and trip -Wmaybe-uninitialized, GCC PR 105593.)
template <class Isa>
struct Transpose;

#if defined(__AVX512F__) && defined(__FMA__)
template <>
struct Transpose<Avx512> {
    static KILN_X86_INLINE void run(__m512* r) {
        const __mmask16 a = 0xFFFF;
        __m512 t[16], u[16];
        #pragma GCC unroll 16
        for (int i = 0; i < 8; ++i) {
            t[2 * i] = _mm512_maskz_unpacklo_ps(a, r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_maskz_unpackhi_ps(a, r[2 * i], r[2 * i + 1]);
        }
        // u[4g + k], 128-bit lane j: column 4j + k of rows 4g..4g+3
        #pragma GCC unroll 16
        for (int g = 0; g < 4; ++g) {
            u[4 * g] = _mm512_maskz_shuffle_ps(a, t[4 * g], t[4 * g + 2], 0x44);
            u[4 * g + 1] = _mm512_maskz_shuffle_ps(a, t[4 * g], t[4 * g + 2], 0xEE);
            u[4 * g + 2] = _mm512_maskz_shuffle_ps(a, t[4 * g + 1], t[4 * g + 3], 0x44);
            u[4 * g + 3] = _mm512_maskz_shuffle_ps(a, t[4 * g + 1], t[4 * g + 3], 0xEE);
        }
        #pragma GCC unroll 16
        for (int k = 0; k < 4; ++k) {
            const __m512 v0 = _mm512_maskz_shuffle_f32x4(a, u[k], u[4 + k], 0x88);
            const __m512 w0 = _mm512_maskz_shuffle_f32x4(a, u[k], u[4 + k], 0xDD);
            const __m512 v1 = _mm512_maskz_shuffle_f32x4(a, u[8 + k], u[12 + k], 0x88);
            const __m512 w1 = _mm512_maskz_shuffle_f32x4(a, u[8 + k], u[12 + k], 0xDD);
            r[k] = _mm512_maskz_shuffle_f32x4(a, v0, v1, 0x88);
            r[4 + k] = _mm512_maskz_shuffle_f32x4(a, w0, w1, 0x88);
            r[8 + k] = _mm512_maskz_shuffle_f32x4(a, v0, v1, 0xDD);
            r[12 + k] = _mm512_maskz_shuffle_f32x4(a, w0, w1, 0xDD);
        }
    }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
template <>
struct Transpose<Avx2> {
    static KILN_X86_INLINE void run(__m256* r) {
        __m256 t[8], u[8];
        #pragma GCC unroll 16
        for (int i = 0; i < 4; ++i) {
            t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        #pragma GCC unroll 16
        for (int g = 0; g < 2; ++g) {
            u[4 * g] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
            u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
            u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
            u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
        }
        #pragma GCC unroll 16
        for (int k = 0; k < 4; ++k) {
            r[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
            r[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
        }
    }
};
#endif

// Zeroes the padding of the HWc scratch (hp x wp pixels of L floats): the pixels the input never fills (the
// in_h x in_w plane sits at row pad_top, column pad_left).
template <class Isa>
inline void hwc_zero_border(float* pad, int64_t pad_top, int64_t pad_left, int64_t in_h, int64_t in_w, int64_t hp,
                            int64_t wp) {
    constexpr int L = Isa::kLanes;
    for (int64_t r = 0; r < hp; ++r) {
        const bool inside = r >= pad_top && r < pad_top + in_h;
        for (int64_t c = 0; c < wp; ++c)
            if (!inside || c < pad_left || c >= pad_left + in_w) Isa::store(pad + (r * wp + c) * L, Isa::zero());
    }
}

// Channels [0, cn) of the planes at xc (in_h x in_w, in_plane apart) into the HWc scratch's interior (rows wp
// pixels wide, starting at row pad_top, column pad_left), L flattened pixels at a time through one transpose;
// lanes >= cn are 0.
template <class Isa>
inline void hwc_load_block(const float* xc, int64_t cn, int64_t in_h, int64_t in_w, float* pad, int64_t pad_top,
                           int64_t pad_left, int64_t wp) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const int64_t in_plane = in_h * in_w;
    // Input pixel i goes to scratch pixel (i / in_w + pad_top) * wp + i % in_w + pad_left.
    int64_t iw = 0;
    float* dst = pad + (pad_top * wp + pad_left) * L;
    for (int64_t i0 = 0; i0 < in_plane; i0 += L) {
        const int64_t n = in_plane - i0 < L ? in_plane - i0 : L;
        V r[L];
#pragma GCC unroll 16
        for (int c = 0; c < L; ++c) {
            if (c >= cn) r[c] = Isa::zero();
            else if (n == L) r[c] = Isa::load(xc + c * in_plane + i0);
            else r[c] = Isa::load_n(xc + c * in_plane + i0, n);
        }
        Transpose<Isa>::run(r);
#pragma GCC unroll 16
        for (int l = 0; l < L; ++l) {
            if (l >= n) break;
            Isa::store(dst, r[l]);
            dst += L;
            if (++iw == in_w) iw = 0, dst += (wp - in_w) * L;
        }
    }
}

// acc[l]: L channels of output pixel o0 + l (n of them real). Transposed back to channel vectors of consecutive
// outputs and finished (residual, activation, store) for channels [0, cn) of the planes at yc / zc.
template <class Isa>
KILN_X86_INLINE void hwc_finish_block(typename Isa::V* acc, int64_t cn, const float* zc, float* yc, int64_t o0,
                                      int64_t out_plane, int64_t n, const kernels::Epilogue& act) {
    constexpr int L = Isa::kLanes;
    Transpose<Isa>::run(acc);
    if (cn == L) {
        finish_rows<Isa, L>(acc, zc, yc, o0, out_plane, n, act);
    } else {
        for (int64_t c = 0; c < cn; ++c)
            finish_rows<Isa, 1>(acc + c, zc ? zc + c * out_plane : nullptr, yc + c * out_plane, o0, 0, n, act);
    }
}

// One image: per block of L channels, the planes into the scratch (L flattened pixels at a time, one
// transpose), 9 FMAs per output pixel (one vector of L channels), L output pixels transposed back into L
// channel vectors of consecutive outputs, then bias / residual / activation as the row kernel.
template <class Isa, int S>
inline void hwc_image(const float* x, const float* w, const float* bias, const float* z, float* y,
                      const Depthwise3x3Params& p, const kernels::Epilogue& act, float* pad, int64_t wp) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    for (int64_t cb = 0; cb < p.channels; cb += L) {
        const int64_t cn = p.channels - cb < L ? p.channels - cb : L;
        hwc_load_block<Isa>(x + cb * in_plane, cn, p.in_h, p.in_w, pad, p.pad_top, p.pad_left, wp);
        alignas(64) float tmp[10][L];
        for (int c = 0; c < L; ++c) {
            for (int t = 0; t < 9; ++t) tmp[t][c] = c < cn ? w[(cb + c) * 9 + t] : 0.0f;
            tmp[9][c] = c < cn && bias ? bias[cb + c] : 0.0f;
        }
        V wt[9];
        #pragma GCC unroll 16
        for (int t = 0; t < 9; ++t) wt[t] = Isa::load(tmp[t]);
        const V b0 = Isa::load(tmp[9]);
        const float* zc = z ? z + cb * out_plane : nullptr;
        float* yc = y + cb * out_plane;
        // Output pixel o reads the scratch from pixel (o / out_w) * S * wp + (o % out_w) * S.
        int64_t ow = 0;
        const float* q = pad;
        for (int64_t o0 = 0; o0 < out_plane; o0 += L) {
            const int64_t n = out_plane - o0 < L ? out_plane - o0 : L;
            V acc[L];
#pragma GCC unroll 16
            for (int l = 0; l < L; ++l) {
                if (l >= n) {
                    acc[l] = Isa::zero();
                    continue;
                }
                V a = Isa::fmadd(wt[0], Isa::load(q), b0);
                a = Isa::fmadd(wt[1], Isa::load(q + L), a);
                a = Isa::fmadd(wt[2], Isa::load(q + 2 * L), a);
                a = Isa::fmadd(wt[3], Isa::load(q + wp * L), a);
                a = Isa::fmadd(wt[4], Isa::load(q + (wp + 1) * L), a);
                a = Isa::fmadd(wt[5], Isa::load(q + (wp + 2) * L), a);
                a = Isa::fmadd(wt[6], Isa::load(q + 2 * wp * L), a);
                a = Isa::fmadd(wt[7], Isa::load(q + (2 * wp + 1) * L), a);
                acc[l] = Isa::fmadd(wt[8], Isa::load(q + (2 * wp + 2) * L), a);
                q += S * L;
                if (++ow == p.out_w) ow = 0, q += (S * wp - S * p.out_w) * L;
            }
            hwc_finish_block<Isa>(acc, cn, zc, yc, o0, out_plane, n, act);
        }
    }
}

template <class Isa>
inline void depthwise3x3_hwc(const float* x, const float* w, const float* bias, const float* z, float* y,
                             const Depthwise3x3Params& p, const kernels::Epilogue& act, float* workspace) {
    const int64_t hp = depthwise3x3_hwc_rows(p), wp = depthwise3x3_hwc_cols(p);
    const uintptr_t mis = reinterpret_cast<uintptr_t>(workspace) / sizeof(float) % 16;
    float* pad = workspace + (16 - mis) % 16;  // 64-byte aligned
    hwc_zero_border<Isa>(pad, p.pad_top, p.pad_left, p.in_h, p.in_w, hp, wp);
    const int64_t in_image = p.channels * p.in_h * p.in_w, out_image = p.channels * p.out_h * p.out_w;
    for (int64_t b = 0; b < p.batch; ++b) {
        const float* zb = z ? z + b * out_image : nullptr;
        if (p.stride == 1) hwc_image<Isa, 1>(x + b * in_image, w, bias, zb, y + b * out_image, p, act, pad, wp);
        else hwc_image<Isa, 2>(x + b * in_image, w, bias, zb, y + b * out_image, p, act, pad, wp);
    }
}

}  // namespace dw

// x [batch, C, in_h, in_w], w [C, 1, 3, 3], bias [C] or nullptr, z (y's shape) or nullptr (may alias y),
// y [batch, C, out_h, out_w]. out_h/out_w may be anything the padding allows (asymmetric padding included):
// rows and columns outside the input read as zero.
template <class Isa>
inline void depthwise3x3(const float* x, const float* w, const float* bias, const float* z, float* y,
                         const Depthwise3x3Params& p, const kernels::Epilogue& act) {
    using V = typename Isa::V;
#if defined(__AVX2__) && defined(__FMA__)
    // Stride 1, rows of at most 8 outputs (7 x 7 planes): 8-lane vectors waste half as many lanes as 16-lane
    // ones, measured 1.4x faster (at stride 2 the 16-lane loads of the 14-wide input rows win). An AVX-512
    // translation unit has the AVX2 traits too.
    if (Isa::kLanes > 8 && p.out_w <= 8 && p.stride == 1) {
        depthwise3x3<Avx2>(x, w, bias, z, y, p, act);
        return;
    }
#endif
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const dw::EdgeCols<Isa> edges(int(p.stride), p);
    const bool prefetch = depthwise3x3_prefetches(p);
    int64_t c = 0;  // channel of the plane
    for (int64_t plane = 0; plane < p.batch * p.channels; ++plane, c = c + 1 == p.channels ? 0 : c + 1) {
        const float* xp = x + plane * in_plane;
        const int64_t rest = (p.batch * p.channels - plane) * in_plane;  // floats of x from xp on
        float* yp = y + plane * out_plane;
        const float* zp = z ? z + plane * out_plane : nullptr;
        V taps[9];
        #pragma GCC unroll 16
        for (int t = 0; t < 9; ++t) taps[t] = Isa::set1(w[c * 9 + t]);
        const V b0 = bias ? Isa::set1(bias[c]) : Isa::zero();
        if (p.stride == 1) dw::plane_rows<Isa, 1, false>(xp, rest, zp, yp, p, edges, taps, b0, act);
        else if (prefetch) dw::plane_rows<Isa, 2, true>(xp, rest, zp, yp, p, edges, taps, b0, act);
        else dw::plane_rows<Isa, 2, false>(xp, rest, zp, yp, p, edges, taps, b0, act);
    }
}

// The same with a workspace of depthwise3x3_workspace_floats(p, Isa::kLanes) floats (depthwise_pack.h), or nullptr. With it,
// the planes that depthwise3x3_uses_hwc picks run with channels in lanes; without it (or for the other
// planes) the row kernel runs.
template <class Isa>
inline void depthwise3x3(const float* x, const float* w, const float* bias, const float* z, float* y,
                         const Depthwise3x3Params& p, const kernels::Epilogue& act, float* workspace) {
    if (workspace && depthwise3x3_uses_hwc(p, Isa::kLanes)) {
        dw::depthwise3x3_hwc<Isa>(x, w, bias, z, y, p, act, workspace);
        return;
    }
    depthwise3x3<Isa>(x, w, bias, z, y, p, act);
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
