// Depthwise convolution (groups = channels, one filter per channel) of any kernel size, stride, dilation and
// padding over NCHW, for x86 (AVX2, AVX-512): the shapes depthwise3x3 does not take (5x5 in MNASNet and
// EfficientNet, 7x7, dilated). Vectorized along the output row: each vector of output columns accumulates
// its KH x KW taps with lane-masked loads (stride 1 and 2 vectorized, other strides gathered), the lanes of
// a tap outside the row computed once per column block; bias, residual (may alias y) and activation are
// applied in registers before the store, as in depthwise.h.
#pragma once

#include <cstdint>

#include "../../portable/kernels/conv.h"
#include "../../portable/kernels/epilogue.h"
#include "../../portable/kernels/window.h"
#include "conv_packed.h"
#include "depthwise.h"
#include "depthwise_pack.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

// x [N, C, H, W], w [C, 1, KH, KW], bias [C] or nullptr, z (y's shape, may alias y) or nullptr, y [N, C, OH, OW].
// p: the portable convolution's parameters with groups = in_channels = out_channels and win.in[0] == 1.
template <class Isa>
inline void depthwise_generic(const float* x, const float* w, const float* bias, const float* z, float* y,
                              const kernels::ConvParams& p, const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const kernels::Window& g = p.win;
    const int64_t ih_n = g.in[1], iw_n = g.in[2], oh_n = g.out[1], ow_n = g.out[2];
    const int64_t kh_n = g.kernel[1], kw_n = g.kernel[2], sh = g.stride[1], sw = g.stride[2];
    const int64_t dh = g.dilation[1], dw = g.dilation[2], ph = g.pad[1], pw = g.pad[2];
    const int64_t in_plane = ih_n * iw_n, out_plane = oh_n * ow_n, taps = kh_n * kw_n;
    for (int64_t plane = 0; plane < p.batch * p.out_channels; ++plane) {
        const int64_t c = plane % p.out_channels;
        const float* xp = x + plane * in_plane;
        float* yp = y + plane * out_plane;
        const float* zp = z ? z + plane * out_plane : nullptr;
        const float* wc = w + c * taps;
        const V b0 = bias ? Isa::set1(bias[c]) : Isa::zero();
        for (int64_t ow0 = 0; ow0 < ow_n; ow0 += L) {
            const int64_t lanes = ow_n - ow0 < L ? ow_n - ow0 : L;
            // Lane l of tap column kw reads input column (ow0 + l) * sw + off[kw]; only lanes in span[kw] are
            // inside the row. Both depend on the column block only: computed once for all output rows (for
            // up to kMaxKw columns; wider kernels recompute them per row).
            constexpr int kMaxKw = 16;
            int64_t off[kMaxKw];
            kernels::Span span[kMaxKw];
            const bool hoisted = kw_n <= kMaxKw;
            for (int64_t kw = 0; hoisted && kw < kw_n; ++kw) {
                off[kw] = ow0 * sw - pw + kw * dw;
                span[kw] = kernels::span_in_bounds(off[kw], sw, iw_n, lanes);
            }
            for (int64_t oh = 0; oh < oh_n; ++oh) {
                V acc = b0;
                for (int64_t kh = 0; kh < kh_n; ++kh) {
                    const int64_t ih = oh * sh - ph + kh * dh;
                    if (ih < 0 || ih >= ih_n) continue;
                    const float* row = xp + ih * iw_n;
                    for (int64_t kw = 0; kw < kw_n; ++kw) {
                        const int64_t o_kw = hoisted ? off[kw] : ow0 * sw - pw + kw * dw;
                        const kernels::Span s = hoisted ? span[kw] : kernels::span_in_bounds(o_kw, sw, iw_n, lanes);
                        if (s.lo >= s.hi) continue;
                        V xv;
                        if (sw == 1 && s.lo == 0 && s.hi == L)
                            xv = Isa::load(row + o_kw);  // the whole vector inside the row
                        else
                            xv = conv_gather_lanes<Isa>(conv_offset_ptr(row, o_kw), sw, s.lo, s.hi);
                        acc = Isa::fmadd(Isa::set1(wc[kh * kw_n + kw]), xv, acc);
                    }
                }
                const int64_t o = oh * ow_n + ow0;
                if (zp) acc = Isa::add(acc, Isa::load_n(zp + o, lanes));
                const bool done = activate<Isa>(acc, act);
                Isa::store_n(yp + o, acc, lanes);
                if (!done) kernels::apply_epilogue(yp + o, lanes, act);
            }
        }
    }
}

// The channels-in-lanes path (depthwise_pack.h): per block of L channels, their planes transposed into the
// zero-padded HWc scratch, the block's taps and bias as vectors after it; then L output pixels at a time, taps
// outer and pixels inner (L independent FMA chains), transposed back to L channel rows and finished by
// dw::finish_rows (residual, activation, store). workspace: depthwise_generic_workspace_floats(...) floats (not 0).
template <class Isa>
inline void depthwise_generic_hwc(const float* x, const float* w, const float* bias, const float* z, float* y,
                                  const kernels::ConvParams& p, const kernels::Epilogue& act, float* workspace) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const kernels::Window& g = p.win;
    const int64_t ih_n = g.in[1], iw_n = g.in[2], oh_n = g.out[1], ow_n = g.out[2];
    const int64_t kh_n = g.kernel[1], kw_n = g.kernel[2], sh = g.stride[1], sw = g.stride[2];
    const int64_t dh = g.dilation[1], dw = g.dilation[2], ph = g.pad[1], pw = g.pad[2];
    const int64_t hp = depthwise_generic_hwc_extent(ih_n, oh_n, kh_n, sh, dh, ph);
    const int64_t wp = depthwise_generic_hwc_extent(iw_n, ow_n, kw_n, sw, dw, pw);
    const int64_t in_plane = ih_n * iw_n, out_plane = oh_n * ow_n, taps = kh_n * kw_n;
    float* pad = workspace + (64 - reinterpret_cast<uintptr_t>(workspace) % 64) % 64 / sizeof(float);
    float* wt = pad + hp * wp * L;  // taps + 1 (bias) vectors
    // The border (padding rows and columns) is zero for every block; the interior is rewritten per block.
    dw::hwc_zero_border<Isa>(pad, ph, pw, ih_n, iw_n, hp, wp);
    for (int64_t n = 0; n < p.batch; ++n) {
        const float* xb = x + n * p.in_channels * in_plane;
        float* yb = y + n * p.out_channels * out_plane;
        const float* zb = z ? z + n * p.out_channels * out_plane : nullptr;
        for (int64_t cb = 0; cb < p.out_channels; cb += L) {
            const int64_t cn = p.out_channels - cb < L ? p.out_channels - cb : L;
            dw::hwc_load_block<Isa>(xb + cb * in_plane, cn, ih_n, iw_n, pad, ph, pw, wp);
            for (int64_t t = 0; t <= taps; ++t)
                for (int c = 0; c < L; ++c)
                    wt[t * L + c] = c >= cn ? 0.0f : t < taps ? w[(cb + c) * taps + t] : bias ? bias[cb + c] : 0.0f;
            const V b0 = Isa::load(wt + taps * L);
            const float* zc = zb ? zb + cb * out_plane : nullptr;
            float* yc = yb + cb * out_plane;
            int64_t ow = 0, oh = 0;
            for (int64_t o0 = 0; o0 < out_plane; o0 += L) {
                const int64_t m = out_plane - o0 < L ? out_plane - o0 : L;
                // Scratch address of each pixel's first tap (pixels past the plane repeat the last one).
                const float* q[L];
#pragma GCC unroll 16
                for (int l = 0; l < L; ++l) {
                    q[l] = pad + ((oh * sh) * wp + ow * sw) * L;
                    if (l + 1 < m && ++ow == ow_n) ow = 0, ++oh;
                }
                if (++ow == ow_n) ow = 0, ++oh;
                V acc[L];
#pragma GCC unroll 16
                for (int l = 0; l < L; ++l) acc[l] = b0;
                for (int64_t ky = 0; ky < kh_n; ++ky)
                    for (int64_t kx = 0; kx < kw_n; ++kx) {
                        const V wv = Isa::load(wt + (ky * kw_n + kx) * L);
                        const int64_t off = (ky * dh * wp + kx * dw) * L;
#pragma GCC unroll 16
                        for (int l = 0; l < L; ++l) acc[l] = Isa::fmadd(wv, Isa::load(q[l] + off), acc[l]);
                    }
                dw::hwc_finish_block<Isa>(acc, cn, zc, yc, o0, out_plane, m, act);
            }
        }
    }
}

// As above; with a workspace (depthwise_generic_workspace_floats > 0 for the layer) the channels-in-lanes path,
// else the row kernel.
template <class Isa>
inline void depthwise_generic(const float* x, const float* w, const float* bias, const float* z, float* y,
                              const kernels::ConvParams& p, const kernels::Epilogue& act, float* workspace) {
    if (workspace) depthwise_generic_hwc<Isa>(x, w, bias, z, y, p, act, workspace);
    else depthwise_generic<Isa>(x, w, bias, z, y, p, act);
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
