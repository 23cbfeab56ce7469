// Depthwise 3x3 convolution (groups = channels, one filter per channel) over NCHW, stride 1 or 2, any
// padding, vectorized along the output row: each vector of output columns accumulates its 9 taps with
// lane-masked loads, so padding costs no branches per element and no padded copy of the input.
// Bias, residual and activation are applied in registers before the store (as in gemm_packed.h).
#pragma once

#include <cstdint>

#include "../../portable/kernels/epilogue.h"
#include "../../portable/kernels/window.h"
#include "lanes.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

// act(v) for the activations with a vector form; returns false for sigmoid, SiLU and tanh, which the
// caller applies with the portable functors after the store.
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
    default: return false;
    }
}

struct Depthwise3x3Params {
    int64_t batch, channels;
    int64_t in_h, in_w, out_h, out_w;
    int64_t stride;          // 1 or 2 (both dims)
    int64_t pad_top, pad_left;
};

namespace dw {

// Output rows per pass: each input row is loaded once per pass and feeds up to 3 of them.
template <class Isa>
struct Blocking {
    static constexpr int kRows = Isa::kLanes == 16 ? 4 : 3;  // AVX2: 9 taps + 3 acc + 3 inputs of 16 ymm
};

// acc (+ z), activation, store of `n` outputs at y + o.
template <class Isa>
inline void finish(typename Isa::V acc, const float* zp, float* yp, int64_t o, int64_t n, const kernels::Epilogue& act) {
    if (n == Isa::kLanes) {
        if (zp) acc = Isa::add(acc, Isa::load(zp + o));
        const bool done = activate<Isa>(acc, act);
        Isa::store(yp + o, acc);
        if (!done) kernels::apply_epilogue(yp + o, n, act);
        return;
    }
    if (zp) acc = Isa::add(acc, Isa::load_n(zp + o, n));
    const bool done = activate<Isa>(acc, act);
    Isa::store_n(yp + o, acc, n);
    if (!done) kernels::apply_epilogue(yp + o, n, act);
}

// R output rows starting at input row ih0 (= oh0 * S - pad_top), one vector of output columns starting at
// input column c0 (= ow0 * S - pad_left). kFull: every element read lies inside the row (plain loads);
// otherwise clipped loads (zero outside the row, never a pointer outside it).
template <class Isa, int S, int R, bool kFull>
inline void band(const float* xp, int64_t in_h, int64_t in_w, int64_t ih0, int64_t c0, const typename Isa::V* taps,
                 typename Isa::V b0, typename Isa::V* acc) {
    using V = typename Isa::V;
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    constexpr int kIn = (R - 1) * S + 3;
    for (int j = 0; j < R; ++j) acc[j] = b0;
#pragma GCC unroll 16
    for (int i = 0; i < kIn; ++i) {
        const int64_t ih = ih0 + i;
        if (ih < 0 || ih >= in_h) continue;
        const float* row = xp + ih * in_w;
        V v0, v1, v2;
        if (S == 1) {
            v0 = kFull ? Isa::load(row + c0) : Ln::load_clip(row, c0, in_w);
            v1 = kFull ? Isa::load(row + c0 + 1) : Ln::load_clip(row, c0 + 1, in_w);
            v2 = kFull ? Isa::load(row + c0 + 2) : Ln::load_clip(row, c0 + 2, in_w);
        } else {
            // x[c0 + 2l + kw]: even / odd of a:b, and the evens moved down one lane with x[c0 + 2L] entering.
            const V a = kFull ? Isa::load(row + c0) : Ln::load_clip(row, c0, in_w);
            const V b = kFull ? Isa::load(row + c0 + L) : Ln::load_clip(row, c0 + L, in_w);
            const V c = kFull ? Isa::set1(row[c0 + 2 * L]) : Ln::load_clip(row, c0 + 2 * L, in_w);
            v0 = Ln::even(a, b);
            v1 = Ln::odd(a, b);
            v2 = Ln::next1(v0, c);
        }
#pragma GCC unroll 8
        for (int j = 0; j < R; ++j) {
            const int kh = i - j * S;
            if (kh < 0 || kh > 2) continue;
            acc[j] = Isa::fmadd(taps[kh * 3], v0, acc[j]);
            acc[j] = Isa::fmadd(taps[kh * 3 + 1], v1, acc[j]);
            acc[j] = Isa::fmadd(taps[kh * 3 + 2], v2, acc[j]);
        }
    }
}

// R output rows from oh0 over the whole output width.
template <class Isa, int S, int R>
inline void rows(const float* xp, const float* zp, float* yp, const Depthwise3x3Params& p, int64_t oh0,
                 const typename Isa::V* taps, typename Isa::V b0, const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const int64_t ih0 = oh0 * S - p.pad_top;
    for (int64_t ow0 = 0; ow0 < p.out_w; ow0 += L) {
        const int64_t n = p.out_w - ow0 < L ? p.out_w - ow0 : L;
        const int64_t c0 = ow0 * S - p.pad_left;
        // Elements read: [c0, c0 + L + 2) for stride 1, [c0, c0 + 2L + 1) for stride 2.
        const bool full = c0 >= 0 && c0 + (S == 1 ? L + 2 : 2 * L + 1) <= p.in_w;
        V acc[R];
        if (full) band<Isa, S, R, true>(xp, p.in_h, p.in_w, ih0, c0, taps, b0, acc);
        else band<Isa, S, R, false>(xp, p.in_h, p.in_w, ih0, c0, taps, b0, acc);
        for (int j = 0; j < R; ++j) finish<Isa>(acc[j], zp, yp, (oh0 + j) * p.out_w + ow0, n, act);
    }
}

template <class Isa, int S>
inline void plane_rows(const float* xp, const float* zp, float* yp, const Depthwise3x3Params& p,
                       const typename Isa::V* taps, typename Isa::V b0, const kernels::Epilogue& act) {
    constexpr int R = Blocking<Isa>::kRows;
    int64_t oh = 0;
    for (; oh + R <= p.out_h; oh += R) rows<Isa, S, R>(xp, zp, yp, p, oh, taps, b0, act);
    if (oh + 2 <= p.out_h) {
        rows<Isa, S, 2>(xp, zp, yp, p, oh, taps, b0, act);
        oh += 2;
    }
    if (oh < p.out_h) rows<Isa, S, 1>(xp, zp, yp, p, oh, taps, b0, act);
}

// Narrow planes (stride 1, in_w == out_w, pad_left 1, 2 * out_w <= L): G = L / W whole rows per vector.
// Consecutive input rows are contiguous, so lane l = g * W + c of a tap reads the flat element
// (oh0 + kh - pad_top) * W + l + kw - 1 of the plane; col_mask[kw] drops the lanes whose column falls
// off the row (they would read the neighbouring row), the clip to [0, H * W) the rows above/below it.
template <class Isa>
inline void plane_flat(const float* xp, const float* zp, float* yp, const Depthwise3x3Params& p,
                       const typename Isa::V* taps, typename Isa::V b0, const typename Lanes<Isa>::M* col_mask,
                       const kernels::Epilogue& act) {
    using V = typename Isa::V;
    using Ln = Lanes<Isa>;
    const int64_t w = p.out_w, g = Isa::kLanes / w, plane = p.in_h * w;
    for (int64_t oh0 = 0; oh0 < p.out_h; oh0 += g) {
        V acc = b0;
        for (int kh = 0; kh < 3; ++kh) {
            const int64_t start = (oh0 + kh - p.pad_top) * w - 1;
            for (int kw = 0; kw < 3; ++kw)
                acc = Isa::fmadd(taps[kh * 3 + kw], Ln::load_clip(xp, start + kw, plane, col_mask[kw]), acc);
        }
        const int64_t n = (p.out_h - oh0 < g ? p.out_h - oh0 : g) * w;
        finish<Isa>(acc, zp, yp, oh0 * w, n, act);
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
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const bool flat = p.stride == 1 && p.in_w == p.out_w && p.pad_left == 1 && 2 * p.out_w <= L;
    typename Ln::M col_mask[3] = {Ln::none(), Ln::none(), Ln::none()};
    if (flat) {
        const int64_t g = L / p.out_w;
        for (int kw = 0; kw < 3; ++kw)
            for (int64_t r = 0; r < g; ++r)  // lanes of row r whose column c + kw - 1 is in [0, W)
                col_mask[kw] = Ln::or_(col_mask[kw], Ln::range(r * p.out_w + (kw == 0 ? 1 : 0),
                                                               (r + 1) * p.out_w - (kw == 2 ? 1 : 0)));
    }
    for (int64_t plane = 0; plane < p.batch * p.channels; ++plane) {
        const int64_t c = plane % p.channels;
        const float* xp = x + plane * in_plane;
        float* yp = y + plane * out_plane;
        const float* zp = z ? z + plane * out_plane : nullptr;
        V taps[9];
        for (int t = 0; t < 9; ++t) taps[t] = Isa::set1(w[c * 9 + t]);
        const V b0 = bias ? Isa::set1(bias[c]) : Isa::zero();
        if (flat) dw::plane_flat<Isa>(xp, zp, yp, p, taps, b0, col_mask, act);
        else if (p.stride == 1) dw::plane_rows<Isa, 1>(xp, zp, yp, p, taps, b0, act);
        else dw::plane_rows<Isa, 2>(xp, zp, yp, p, taps, b0, act);
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
