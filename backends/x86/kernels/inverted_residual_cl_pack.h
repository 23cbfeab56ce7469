// The channels-in-lanes kiln.InvertedResidual kernel (inverted_residual_cl.h): which blocks it takes, its tile,
// its weight layouts and its workspace; no intrinsics, so the compiler includes it.
#pragma once

#include <cstdint>

#include "inverted_residual_pack.h"
#include "pack.h"

namespace kiln {
namespace kernels {
namespace x86 {

struct InvertedResidualClRule {
    // Input planes up to 16x16: a group of expanded panels (2 x 196 pixels x 16 / 32 channels at 14x14: 25 / 50
    // KB) stays in L1 / L2 while the depthwise layer reads it.
    static constexpr int64_t kMaxInPixels = 256;
};

// True when the kernel runs the block: a 3x3 depthwise with stride 1 or 2 over an input plane of at most
// kMaxInPixels pixels, and an expansion whose K (in_channels) is one K block.
inline bool inverted_residual_cl_fits(int64_t in_channels, int64_t in_h, int64_t in_w, int64_t stride) {
    return in_channels >= 1 && in_channels <= ConvBlocking::kKBlock && in_h >= 1 && in_w >= 1 &&
           in_h * in_w <= InvertedResidualClRule::kMaxInPixels && (stride == 1 || stride == 2);
}

// Output pixels per tile (expansion and projection): conv_cl's choice for the output plane.
inline int64_t inverted_residual_cl_mr(int64_t out_pixels, int64_t lanes) { return conv_cl_mr(out_pixels, lanes); }

struct IrClLayout {
    int64_t e_floats;  // one panel of expanded pixels, pixel-major: in_h * in_w * nr
    int64_t z_floats;  // a row of zeros (the depthwise layer's padding rows): in_w * nr
    int64_t d_rows;    // depthwise output pixels rounded up to whole mr tiles
    int64_t ldd;       // its row: the expanded channels rounded up to whole panels
    int64_t d_floats;
    int64_t ldc;       // the projection's pixel-major sums: output channels rounded up to whole panels
    int64_t k_block;   // the projection's K block (conv_cl's)
    int64_t s_floats;  // the sums, with 8 rows for conv_cl_store's transposes
    int64_t x_floats;  // X packed as mr-pixel tiles
};

struct IrClBlocking {
    // Expansion panels per pass over X's tiles: X's tile comes from L2 once for both. A driver over the kernel
    // (AVX2, weights from L3, us, 64 -> 384 -> 64 / 96 -> 576 -> 96 @ 14, 160 -> 960 -> 320 @ 7), 1 -> 2 panels:
    // 203 / 447 / 502 -> 198 / 436 / 497; 3 and 4 panels: 204 / 448 / 493 and 204 / 448 / 527.
    static constexpr int kPanels = 2;
};

// The projection's K block (rows of its K, the expanded channels, per pass over the sums): conv_cl's on 7x7 and
// smaller output planes (32 on AVX2), kKBlock (256) on larger ones. A driver over the kernel with the weights
// coming from L3 (AVX2, us, K block 32 -> 256): 96 -> 576 -> 96 @ 14 447 -> 427, 64 -> 384 -> 64 @ 14 201 -> 197,
// 96 -> 576 -> 160 @ 14, stride 2 302 -> 284; but 160 -> 960 -> 320 @ 7 504 -> 560 (64 and 128 in between).
inline int64_t inverted_residual_cl_k_block(int64_t out_pixels, int64_t nr) {
    return out_pixels > 64 ? ConvBlocking::kKBlock : conv_cl_k_block(nr);
}

inline int64_t ir_cl_round16(int64_t n) { return (n + 15) / 16 * 16; }

inline IrClLayout inverted_residual_cl_layout(const InvertedResidualParams& p, int64_t mr, int64_t nr) {
    IrClLayout l{};
    l.e_floats = ir_cl_round16(p.in_h * p.in_w * nr);
    l.z_floats = ir_cl_round16(p.in_w * nr);
    const int64_t npix = p.out_h * p.out_w;
    l.d_rows = (npix + mr - 1) / mr * mr;
    l.ldd = (p.channels + nr - 1) / nr * nr;
    l.d_floats = ir_cl_round16(l.d_rows * l.ldd);
    l.ldc = conv_cl_ldc(p.out_channels, nr);
    l.k_block = conv_k_block_channels(p.channels, 1, inverted_residual_cl_k_block(npix, nr));
    l.s_floats = ir_cl_round16((l.d_rows + 8) * l.ldc);
    l.x_floats = ir_cl_round16((p.in_h * p.in_w + mr - 1) / mr * mr * p.in_channels);
    return l;
}

// Floats of workspace (+ 16: the kernel aligns it to 64 bytes).
inline int64_t inverted_residual_cl_workspace_floats(const InvertedResidualParams& p, int64_t mr, int64_t nr) {
    const IrClLayout l = inverted_residual_cl_layout(p, mr, nr);
    return IrClBlocking::kPanels * l.e_floats + l.z_floats + l.d_floats + l.s_floats + l.x_floats + 16;
}

// The packed weights, one array in three parts (offsets in floats):
//   w1 at 0: the expansion W1 [C, Cin] as pack_conv_weights with nr output channels per panel, one K block
//            (panel j at j * Cin * nr, step k at + k * nr);
//   wd at wd_offset: the depthwise Wd [C, 1, 3, 3] and its bias (0 without), per block of `lanes` channels 10
//            vectors: the 9 taps in row-major order, then the bias (channels past C: 0);
//   w2 at w2_offset: the projection W2 [Cout, C] as pack_conv_weights with nr output channels per panel, in K
//            blocks of inverted_residual_cl_k_block(out_pixels, nr).
struct IrClPacking {
    int64_t wd_offset, w2_offset, floats;
};

inline IrClPacking inverted_residual_cl_packing(int64_t in_channels, int64_t channels, int64_t out_channels,
                                                int64_t nr) {
    const int64_t cpad = (channels + nr - 1) / nr * nr, opad = (out_channels + nr - 1) / nr * nr;
    IrClPacking k{};
    k.wd_offset = cpad * in_channels;
    k.w2_offset = k.wd_offset + cpad * 10;
    k.floats = k.w2_offset + opad * channels;
    return k;
}

inline void pack_inverted_residual_cl_weights(const float* w1, const float* wd, const float* bd, const float* w2,
                                              int64_t in_channels, int64_t channels, int64_t out_channels,
                                              int64_t out_pixels, int64_t nr, int64_t lanes, float* packed) {
    const IrClPacking k = inverted_residual_cl_packing(in_channels, channels, out_channels, nr);
    pack_conv_weights(w1, channels, in_channels, 1, 1, nr, packed, ConvBlocking::kKBlock);
    const int64_t cpad = (channels + nr - 1) / nr * nr;
    float* d = packed + k.wd_offset;
    for (int64_t c0 = 0; c0 < cpad; c0 += lanes) {
        for (int64_t l = 0; l < lanes; ++l) {
            const int64_t c = c0 + l;
            for (int64_t t = 0; t < 9; ++t) d[(c0 * 10) + t * lanes + l] = c < channels ? wd[c * 9 + t] : 0.0f;
            d[c0 * 10 + 9 * lanes + l] = c < channels && bd ? bd[c] : 0.0f;
        }
    }
    pack_conv_weights(w2, out_channels, channels, 1, 1, nr, packed + k.w2_offset,
                      inverted_residual_cl_k_block(out_pixels, nr));
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
