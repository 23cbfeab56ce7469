// Depthwise 3x3 convolution (groups = channels, one filter per channel) over NCHW, stride 1 or 2, any
// padding, vectorized along the output row: each vector of output columns accumulates its 9 taps with
// lane-masked loads, so padding costs no branches per element and no padded copy of the input.
// Bias, residual and activation are applied in registers before the store (as in gemm_packed.h).
#pragma once

#include <cstdint>

#include "../../portable/kernels/epilogue.h"
#include "../../portable/kernels/window.h"
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

// x [batch, C, in_h, in_w], w [C, 1, 3, 3], bias [C] or nullptr, z (y's shape) or nullptr (may alias y),
// y [batch, C, out_h, out_w].
template <class Isa>
inline void depthwise3x3(const float* x, const float* w, const float* bias, const float* z, float* y,
                         const Depthwise3x3Params& p, const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w, s = p.stride;
    for (int64_t plane = 0; plane < p.batch * p.channels; ++plane) {
        const int64_t c = plane % p.channels;
        const float* xp = x + plane * in_plane;
        float* yp = y + plane * out_plane;
        const float* zp = z ? z + plane * out_plane : nullptr;
        V taps[9];
        for (int t = 0; t < 9; ++t) taps[t] = Isa::set1(w[c * 9 + t]);
        const V b0 = bias ? Isa::set1(bias[c]) : Isa::zero();
        for (int64_t ow0 = 0; ow0 < p.out_w; ow0 += L) {
            const int64_t lanes = p.out_w - ow0 < L ? p.out_w - ow0 : L;
            // Lane l of tap column kw reads input column (ow0 + l) * s + off[kw]; only lanes in span[kw]
            // are inside the row (masked lanes never touch memory, even left of the row's start). The
            // spans depend on the column block only, so they are computed once for all output rows.
            int64_t off[3];
            kernels::Span span[3];
            // interior: every lane of every tap inside the row, and (stride 2) the odd element after the
            // last one too, as load_even reads it.
            bool interior = true;
            for (int kw = 0; kw < 3; ++kw) {
                off[kw] = ow0 * s - p.pad_left + kw;
                span[kw] = kernels::span_in_bounds(off[kw], s, p.in_w, lanes);
                interior = interior && span[kw].lo == 0 && span[kw].hi == L && off[kw] + s * L - 1 < p.in_w;
            }
            for (int64_t oh = 0; oh < p.out_h; ++oh) {
                V acc = b0;
                for (int kh = 0; kh < 3; ++kh) {
                    const int64_t ih = oh * s - p.pad_top + kh;
                    if (ih < 0 || ih >= p.in_h) continue;
                    const float* xr = xp + ih * p.in_w;
                    if (interior && s == 1) {  // plain loads
                        acc = Isa::fmadd(taps[kh * 3], Isa::load(xr + off[0]), acc);
                        acc = Isa::fmadd(taps[kh * 3 + 1], Isa::load(xr + off[1]), acc);
                        acc = Isa::fmadd(taps[kh * 3 + 2], Isa::load(xr + off[2]), acc);
                        continue;
                    }
                    if (interior) {  // stride 2: two loads and a permute per tap, no masks
                        acc = Isa::fmadd(taps[kh * 3], Isa::load_even(xr + off[0]), acc);
                        acc = Isa::fmadd(taps[kh * 3 + 1], Isa::load_even(xr + off[1]), acc);
                        acc = Isa::fmadd(taps[kh * 3 + 2], Isa::load_even(xr + off[2]), acc);
                        continue;
                    }
                    for (int kw = 0; kw < 3; ++kw) {
                        if (span[kw].lo >= span[kw].hi) continue;
                        acc = Isa::fmadd(taps[kh * 3 + kw], Isa::load_lanes(xr + off[kw], s, span[kw].lo, span[kw].hi),
                                         acc);
                    }
                }
                const int64_t o = oh * p.out_w + ow0;
                if (zp) acc = Isa::add(acc, Isa::load_n(zp + o, lanes));
                const bool done = activate<Isa>(acc, act);
                Isa::store_n(yp + o, acc, lanes);
                if (!done) kernels::apply_epilogue(yp + o, lanes, act);
            }
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
