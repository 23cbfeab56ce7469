// kiln.InvertedResidual on x86: a short-K 1x1 expansion, the depthwise 3x3 reading it and the 1x1 projection
// reading that (MobileNetV2's inverted-residual blocks at 112x112 and 56x56), run band by band of the depthwise
// layer's output rows so that neither the expanded tensor nor the depthwise output leaves L2: per band and block
// of expanded channels, the expansion computes the input rows the band needs that the previous band did not (the
// 1-2 rows both need are carried over) and the depthwise runs the block's band; then the projection writes the
// band's rows of the output (with its residual) from all channels' depthwise band. Each stage runs the unfused
// layer's arithmetic (gemm_packed.h's micro-kernel over the same packed panels, depthwise3x3's row kernel) on the
// same values: results equal the three layers'. inverted_residual_pack.h has the rule, the band height, the
// channel block and the workspace.
#pragma once

#include <cstdint>
#include <cstring>

#include "../../portable/kernels/epilogue.h"
#include "depthwise.h"
#include "gemm_packed.h"
#include "inverted_residual_pack.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

// y[c][j] = act(sum_k w[c][k] * x[k][j] + bias[c] + z[c][j]) for c < cout, j < npix: a 1x1 convolution over
// channel planes that are x_cs (x) and y_cs (y and z) floats apart, K = k (one K block: packed_w is
// pack_conv_weights(W, cout, k, 1, 1, Isa::kMr) with k <= ConvBlocking::kKBlock). The tiles are conv_packed's
// (strips of NR pixels outer, panels of MR channels inner, X read in place with masked edges), so every output
// is the same FMA chain as conv_packed's. z (or nullptr) is indexed as y; y must not overlap x.
template <class Isa>
inline void pointwise_planes(const float* x, int64_t x_cs, const float* packed_w, int64_t k, int64_t cout,
                             const float* bias, const float* z, float* y, int64_t y_cs, int64_t npix,
                             const kernels::Epilogue& act) {
    constexpr int MR = Isa::kMr, NV = Isa::kNv, L = Isa::kLanes, NR = NV * L;
    const TileEpilogue e{bias, bias ? kBiasPerRow : kBiasNone, z, act};
    for (int64_t j0 = 0; j0 < npix; j0 += NR) {
        const int64_t cols = npix - j0 < NR ? npix - j0 : NR;
        const float* b = x + j0;
        for (int64_t i0 = 0; i0 < cout; i0 += MR) {
            const int64_t rows = cout - i0 < MR ? cout - i0 : MR;
            const float* a = packed_w + i0 * k;  // panel i0 / MR of the one K block
            float* yt = y + i0 * y_cs + j0;
            if (cols <= L && NV > 1)
                EdgeRows<Isa, true, MR, 1, MR>::run(rows, k, a, 1, MR, b, x_cs, yt, y_cs, cols, i0, j0, e);
            else if (cols < NR)
                EdgeRows<Isa, true, MR, NV, MR>::run(rows, k, a, 1, MR, b, x_cs, yt, y_cs, cols, i0, j0, e);
            else if (rows == MR)
                micro_tile<Isa, MR, false, NV, MR>(k, a, 1, MR, b, x_cs, yt, y_cs, cols, i0, j0, e);
            else
                EdgeRows<Isa, false, MR, NV, MR>::run(rows, k, a, 1, MR, b, x_cs, yt, y_cs, cols, i0, j0, e);
        }
    }
}

// x: [N, Cin, H, W]; packed_w1: pack_conv_weights(W1, C, Cin, 1, 1, Isa::kMr); b1: [C] or nullptr; wd: [C, 1, 3, 3];
// bd: [C] or nullptr; packed_w2: pack_conv_weights(W2, Cout, C, 1, 1, Isa::kMr); b2: [Cout] or nullptr; z: y's
// shape or nullptr; y: [N, Cout, OH, OW], overlapping none of the inputs. e1, e2, e3: the three stages' epilogues
// (e3 after the residual). workspace: inverted_residual_workspace_floats(p, Isa::kMr) floats, any alignment.
template <class Isa>
inline void inverted_residual(const float* x, const float* packed_w1, const float* b1, const float* wd,
                              const float* bd, const float* packed_w2, const float* b2, const float* z, float* y,
                              const InvertedResidualParams& p, const kernels::Epilogue& e1,
                              const kernels::Epilogue& e2, const kernels::Epilogue& e3, float* workspace) {
    const int64_t ch = p.channels, cin = p.in_channels, w = p.in_w, plane = p.in_h * w, out_plane = p.out_h * p.out_w;
    const InvertedResidualBands bands = inverted_residual_bands(p, Isa::kMr);
    // A block's expanded rows, the rows every channel hands to the next band, and a band of depthwise output;
    // each 64-byte aligned.
    float* ebuf = workspace + ((64 - reinterpret_cast<uintptr_t>(workspace) % 64) % 64) / sizeof(float);
    float* carry = ebuf + bands.e_floats;
    float* dbuf = carry + bands.c_floats;
    const int64_t carry_rows = bands.carry;
    for (int64_t n = 0; n < p.batch; ++n) {
        const float* xn = x + n * cin * plane;
        const int64_t yo = n * p.out_channels * out_plane;
        int64_t carry_r0 = 0, carry_r1 = 0;  // input rows the carry holds
        for (int64_t oh0 = 0; oh0 < p.out_h; oh0 += bands.rows) {
            const int64_t oh1 = oh0 + bands.rows < p.out_h ? oh0 + bands.rows : p.out_h;
            // Input rows of the band: [oh0 * S - pad_top, (oh1 - 1) * S - pad_top + 3) inside the plane; rows
            // [r0, keep) were made for the previous band, [keep, r1) are made now; [next0, r1) go to the next band.
            const int64_t want0 = oh0 * p.stride - p.pad_top, want1 = (oh1 - 1) * p.stride - p.pad_top + 3;
            const int64_t r0 = want0 > 0 ? want0 : 0, r1 = want1 < p.in_h ? want1 : p.in_h;
            const int64_t rows = r1 > r0 ? r1 - r0 : 0;
            const int64_t keep = carry_r1 > r0 && carry_r0 <= r0 ? (carry_r1 < r1 ? carry_r1 : r1) : r0;
            int64_t next0 = oh1 * p.stride - p.pad_top;
            if (next0 < r0) next0 = r0;
            if (oh1 == p.out_h || next0 >= r1 || r1 - next0 > carry_rows) next0 = r1;  // nothing to hand on
            const Depthwise3x3Params dp{1, 0, rows, w, oh1 - oh0, p.out_w, p.stride, r0 - want0, p.pad_left};
            const int64_t band_pix = (oh1 - oh0) * p.out_w;
            for (int64_t c0 = 0; c0 < ch; c0 += bands.block) {
                const int64_t nb = ch - c0 < bands.block ? ch - c0 : bands.block;
                // The block's rows [r0, r1), `rows` per channel plane.
                for (int64_t c = 0; c < nb && keep > r0; ++c)
                    std::memcpy(ebuf + c * rows * w, carry + ((c0 + c) * carry_rows + (r0 - carry_r0)) * w,
                                std::size_t((keep - r0) * w) * sizeof(float));
                // The block's packed panels start at c0 * cin (c0 a multiple of the panel rows).
                if (r1 > keep)
                    pointwise_planes<Isa>(xn + keep * w, plane, packed_w1 + c0 * cin, cin, nb, b1 ? b1 + c0 : nullptr,
                                          nullptr, ebuf + (keep - r0) * w, rows * w, (r1 - keep) * w, e1);
                for (int64_t c = 0; c < nb && next0 < r1; ++c)
                    std::memcpy(carry + (c0 + c) * carry_rows * w, ebuf + (c * rows + (next0 - r0)) * w,
                                std::size_t((r1 - next0) * w) * sizeof(float));
                // The depthwise layer over the block's band: rows [r0, r1) as a plane of `rows` rows whose padding
                // on top is what lies above r0 (the layer's own padding in the first band, none after).
                Depthwise3x3Params db = dp;
                db.channels = nb;
                depthwise3x3<Isa>(ebuf, wd + c0 * 9, bd ? bd + c0 : nullptr, nullptr, dbuf + c0 * band_pix, db, e2);
            }
            carry_r0 = next0;
            carry_r1 = r1;
            pointwise_planes<Isa>(dbuf, band_pix, packed_w2, ch, p.out_channels, b2,
                                  z ? z + yo + oh0 * p.out_w : nullptr, y + yo + oh0 * p.out_w, out_plane, band_pix,
                                  e3);
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
