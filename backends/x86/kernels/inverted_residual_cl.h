// kiln.InvertedResidual on small planes (14x14, 7x7: inverted_residual_cl_fits) with the expanded channels in the
// vector lanes. The planar kernels pay there for what the narrow rows waste: conv_packed's pixel strips, and the
// depthwise layer's transposes into and out of its channels-in-lanes scratch. Here, per image: X is packed once
// as MR-pixel tiles; per group of IrClBlocking::kPanels panels of NR expanded channels, the expansion
// (gemm_packed.h's micro-kernel, the output pixels broadcast, the panel's weights the vectors; both panels per
// tile) writes the panels' pixel-major planes into buffers that stay in L1, and the depthwise 3x3 runs on each
// with channels in lanes (9 FMAs per output vector, no transpose, the padding as rows of zeros and checked taps in
// the edge columns) into the pixel-major depthwise output of all channels. Then the projection (the same
// micro-kernel, pixels broadcast from that output read in place, K blocks of inverted_residual_cl_k_block) sums
// into pixel-major output channels, and conv_cl_store's 8x8 transposes write them to NCHW with the residual and
// the last epilogue. inverted_residual_cl_pack.h has the rule, the weight layouts and the workspace. See
// backends/x86/README.md, "Small planes with channels in lanes".
#pragma once

#include <cstdint>
#include <cstring>

#include "../../portable/kernels/epilogue.h"
#include "conv_cl.h"
#include "depthwise.h"
#include "gemm_packed.h"
#include "inverted_residual_cl_pack.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {
namespace ircl {

// One output vector of the depthwise layer: L channels of output pixel (oy, ox), from the expanded panel e (pixel
// (iy, ix) at e + (iy * in_w + ix) * NR) through the three input rows' pointers r (a zero row where the row is
// padding). kChecked: test each tap's column (the edge columns); else all three columns are inside.
template <class Isa, int S, bool kChecked>
KILN_X86_INLINE typename Isa::V tap_sum(const float* const* r, int64_t ix0, int64_t in_w, const typename Isa::V* wt,
                                        typename Isa::V acc) {
    constexpr int NR = Isa::kNv * Isa::kLanes;
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ++ky) {
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; ++kx) {
            const int64_t ix = ix0 + kx;
            if (kChecked && (ix < 0 || ix >= in_w)) continue;
            acc = Isa::fmadd(wt[ky * 3 + kx], Isa::load(r[ky] + ix * NR), acc);
        }
    }
    return acc;
}

// The depthwise layer's activation: kAct (none, ReLU, Clip, HardSwish) in registers, others (kActOther) through
// activate<Isa> and, for tanh, the portable functor on the stored vector. (activate<Isa> is not inlined: as the
// only path, HardSwish made MobileNetV3-Large's three 14x14 blocks 4% slower than the unfused layers.)
enum DwAct { kDwNone, kDwRelu, kDwClip, kDwHardSwish, kDwOther };

// The depthwise layer over one panel: vector v of the panel (channels j0 + v * L ...) for every output pixel, into
// d (pixel o at d + o * ldd). wdp: the packed depthwise weights of the panel (inverted_residual_cl_pack.h).
template <class Isa, int S, int kAct>
inline void depthwise_panel(const float* e, const float* zero_row, const float* wdp, int64_t cols, float* d,
                            int64_t ldd, const InvertedResidualParams& p, const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes, NV = Isa::kNv, NR = NV * L;
    const int64_t in_w = p.in_w;
    // Output columns whose three taps are all inside the row: [c_lo, c_hi).
    const int64_t last = in_w - 3 + p.pad_left;  // the last output column's first tap, times S, at most this
    int64_t c_lo = (p.pad_left + S - 1) / S, c_hi = last < 0 ? 0 : last / S + 1;
    if (c_hi > p.out_w) c_hi = p.out_w;
    if (c_lo > c_hi) c_lo = c_hi;
#pragma GCC unroll 1
    for (int v = 0; v < NV; ++v) {
        if (v * L >= cols) break;
        const float* wv = wdp + v * 10 * L;
        V wt[9];
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t) wt[t] = Isa::load(wv + t * L);
        const V b0 = Isa::load(wv + 9 * L), lo = Isa::set1(act.p0), hi = Isa::set1(act.p1);
        const V sixth = Isa::set1(1.0f / 6.0f), half = Isa::set1(0.5f), one = Isa::set1(1.0f);
        for (int64_t oy = 0; oy < p.out_h; ++oy) {
            const float* r[3];
            for (int ky = 0; ky < 3; ++ky) {
                const int64_t iy = oy * S - p.pad_top + ky;
                r[ky] = (iy >= 0 && iy < p.in_h ? e + iy * in_w * NR : zero_row) + v * L;
            }
            float* drow = d + oy * p.out_w * ldd + v * L;
            auto finish = [&](V acc, int64_t ox) __attribute__((always_inline)) {
                float* dp = drow + ox * ldd;
                if (kAct == kDwRelu) acc = Isa::max(acc, Isa::zero());
                if (kAct == kDwClip) acc = Isa::min(hi, Isa::max(lo, acc));
                if (kAct == kDwHardSwish)  // as activate<Isa>
                    acc = Isa::mul(acc, Isa::min(one, Isa::max(Isa::zero(), Isa::fmadd(acc, sixth, half))));
                const bool done = kAct != kDwOther || activate<Isa>(acc, act);
                Isa::store(dp, acc);
                if (!done) kernels::apply_epilogue(dp, L, act);
            };
            for (int64_t ox = 0; ox < c_lo; ++ox)
                finish(tap_sum<Isa, S, true>(r, ox * S - p.pad_left, in_w, wt, b0), ox);
            for (int64_t ox = c_lo; ox < c_hi; ++ox)
                finish(tap_sum<Isa, S, false>(r, ox * S - p.pad_left, in_w, wt, b0), ox);
            for (int64_t ox = c_hi; ox < p.out_w; ++ox)
                finish(tap_sum<Isa, S, true>(r, ox * S - p.pad_left, in_w, wt, b0), ox);
        }
    }
}

template <class Isa, int S>
inline void depthwise_panel(const float* e, const float* zero_row, const float* wdp, int64_t cols, float* d,
                            int64_t ldd, const InvertedResidualParams& p, const kernels::Epilogue& act) {
    switch (act.activation) {
    case kernels::kActNone: depthwise_panel<Isa, S, kDwNone>(e, zero_row, wdp, cols, d, ldd, p, act); break;
    case kernels::kActRelu: depthwise_panel<Isa, S, kDwRelu>(e, zero_row, wdp, cols, d, ldd, p, act); break;
    case kernels::kActClip: depthwise_panel<Isa, S, kDwClip>(e, zero_row, wdp, cols, d, ldd, p, act); break;
    case kernels::kActHardSwish: depthwise_panel<Isa, S, kDwHardSwish>(e, zero_row, wdp, cols, d, ldd, p, act); break;
    default: depthwise_panel<Isa, S, kDwOther>(e, zero_row, wdp, cols, d, ldd, p, act); break;
    }
}

template <class Isa>
inline void depthwise_panel(const float* e, const float* zero_row, const float* wdp, int64_t cols, float* d,
                            int64_t ldd, const InvertedResidualParams& p, const kernels::Epilogue& act) {
    if (p.stride == 1) depthwise_panel<Isa, 1>(e, zero_row, wdp, cols, d, ldd, p, act);
    else depthwise_panel<Isa, 2>(e, zero_row, wdp, cols, d, ldd, p, act);
}

}  // namespace ircl

// x: [N, Cin, H, W]; packed_w1, packed_wd, packed_w2: pack_inverted_residual_cl_weights's three parts; b1: [C] or
// nullptr; b2: [Cout] or nullptr; z: y's shape or nullptr (may alias y); y: [N, Cout, OH, OW], not overlapping x.
// e1, e2, e3: the three stages' epilogues (e3 after the residual). MR: inverted_residual_cl_mr. workspace:
// inverted_residual_cl_workspace_floats(p, MR, NR) floats, any alignment. Requires inverted_residual_cl_fits.
template <class Isa, int MR>
inline void inverted_residual_cl(const float* x, const float* packed_w1, const float* b1, const float* packed_wd,
                                 const float* packed_w2, const float* b2, const float* z, float* y,
                                 const InvertedResidualParams& p, const kernels::Epilogue& e1,
                                 const kernels::Epilogue& e2, const kernels::Epilogue& e3, float* workspace) {
    constexpr int L = Isa::kLanes, NV = Isa::kNv, NR = NV * L;
    const int64_t cin = p.in_channels, ch = p.channels, cout = p.out_channels;
    const int64_t plane = p.in_h * p.in_w, npix = p.out_h * p.out_w;
    const IrClLayout lay = inverted_residual_cl_layout(p, MR, NR);
    float* ebuf = conv_cl_align64(workspace);
    float* zero_row = ebuf + IrClBlocking::kPanels * lay.e_floats;
    float* dbuf = zero_row + lay.z_floats;
    float* sums = dbuf + lay.d_floats;
    float* xp = sums + lay.s_floats;
    std::memset(zero_row, 0, std::size_t(lay.z_floats) * sizeof(float));
    // The depthwise output's rows past the plane (the last projection tile reads them): zeros.
    std::memset(dbuf + npix * lay.ldd, 0, std::size_t((lay.d_rows - npix) * lay.ldd) * sizeof(float));
    const int64_t in_tiles = (plane + MR - 1) / MR, out_tiles = lay.d_rows / MR;
    // The expansion as conv_cl sees a 1x1 layer: one row of all the plane's pixels.
    const ConvGeom x_geom{1, plane, 1, plane, 1, 1, 1, 1, 1, 1, 0, 0};
    const TileEpilogue t1{b1, b1 ? kBiasPerColumn : kBiasNone, nullptr, e1};
    const TileEpilogue t3{b2, b2 ? kBiasPerColumn : kBiasNone, nullptr, e3};
    for (int64_t n = 0; n < p.batch; ++n) {
        const float* xn = x + n * cin * plane;
        // X packed as MR-pixel tiles (tile t, channel k at xp + (t * cin + k) * MR), read by every panel.
        conv_cl_pack_block<Isa, MR>(xn, cin, x_geom, plane, in_tiles, xp);
        constexpr int G = IrClBlocking::kPanels;
        for (int64_t j0 = 0; j0 < ch; j0 += G * NR) {
            // The next group's panels (cin lines of 16 floats per 16 columns) stream into L2 over the first tiles,
            // as in conv_cl: the weights come from L3 in the model, and 7x7 planes give them little to hide behind.
            const float* next = j0 + G * NR < ch ? packed_w1 + (j0 + G * NR) * cin : nullptr;
            for (int64_t t = 0; t < in_tiles; ++t) {
                const int64_t rows = plane - t * MR < MR ? plane - t * MR : MR;
                const float* pf = next && t * 16 < G * NR ? next + t * cin * 16 : nullptr;
#pragma GCC unroll 1
                for (int g = 0; g < G; ++g) {
                    const int64_t jg = j0 + g * NR;
                    if (jg >= ch) break;
                    const int64_t cols = ch - jg < NR ? ch - jg : NR;
                    const float* w1 = packed_w1 + jg * cin;  // panel jg / NR: cin x NR
                    float* et = ebuf + g * lay.e_floats + t * MR * NR;
                    if (rows == MR)
                        micro_tile<Isa, MR, false, NV, MR>(cin, xp + t * cin * MR, 1, MR, w1, NR, et, NR, cols, t * MR,
                                                           jg, t1, 0, g == 0 ? pf : nullptr);
                    else
                        EdgeRows<Isa, false, MR, NV, MR>::run(rows, cin, xp + t * cin * MR, 1, MR, w1, NR, et, NR,
                                                              cols, t * MR, jg, t1, 0, g == 0 ? pf : nullptr);
                }
            }
            for (int g = 0; g < G; ++g) {
                const int64_t jg = j0 + g * NR;
                if (jg >= ch) break;
                const int64_t cols = ch - jg < NR ? ch - jg : NR;
                ircl::depthwise_panel<Isa>(ebuf + g * lay.e_floats, zero_row, packed_wd + jg * 10, cols, dbuf + jg,
                                           lay.ldd, p, e2);
            }
        }
        // The projection in conv_cl's K blocks: bias with the first, the partial sums accumulated after it.
        for (int64_t k0 = 0; k0 < ch; k0 += lay.k_block) {
            const int64_t kc = ch - k0 < lay.k_block ? ch - k0 : lay.k_block;
            const int32_t flags = kTileNoActivation | (k0 > 0 ? kTileAccumulate : 0);
            const float* block_w = packed_w2 + k0 * lay.ldc;
            for (int64_t j0 = 0; j0 < cout; j0 += NR) {
                const float* b = block_w + (j0 / NR) * kc * NR;
                const int64_t cols = cout - j0 < NR ? cout - j0 : NR;
                // The next panel of the stream (the next block's first after the last), prefetched as above.
                const float* next = b + kc * NR;
                const bool more = j0 + NR < cout || k0 + kc < ch;
                for (int64_t t = 0; t < out_tiles; ++t) {
                    const float* pf = more && t * 16 < NR ? next + t * kc * 16 : nullptr;
                    micro_tile<Isa, MR, false, NV, MR>(kc, dbuf + t * MR * lay.ldd + k0, lay.ldd, 1, b, NR,
                                                       sums + t * MR * lay.ldc + j0, lay.ldc, cols, t * MR, j0, t3,
                                                       flags, pf);
                }
            }
        }
        const int64_t yo = n * cout * npix;
        conv_cl_store(sums, lay.ldc, npix, cout, z ? z + yo : nullptr, y + yo, npix, e3);
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
