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

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
