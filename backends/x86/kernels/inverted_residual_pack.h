// Which expansion + depthwise + projection triples the x86 targets fuse (fuse-inverted-residual,
// kiln.InvertedResidual), the band height the kernel (inverted_residual.h) runs and its workspace; no
// intrinsics, so the compiler includes it.
#pragma once

#include <cstdint>

#include "pack.h"
#include "pointwise_depthwise_pack.h"

namespace kiln {
namespace kernels {
namespace x86 {

// The shapes of one kiln.InvertedResidual: X [batch, in_channels, in_h, in_w] -> expansion to `channels` ->
// depthwise 3x3 (stride, pad_top / pad_left; out_h x out_w) -> projection to out_channels. band_rows: output rows
// per band (inverted_residual_band_rows).
struct InvertedResidualParams {
    int64_t batch, in_channels, channels, out_channels;
    int64_t in_h, in_w, out_h, out_w;
    int64_t stride, pad_top, pad_left;
    int64_t band_rows;
};

struct InvertedResidualRule {
    static constexpr int64_t kMinExpandedBytes = 1024 * 1024;  // half this CPU's L2
    static constexpr int64_t kExpandBlockBytes = 192 * 1024;
};

// True when a kiln.PointwiseDepthwise pair (pointwise_depthwise_fits: a short-K expansion over 56x56 and up) with
// `channels` expanded channels over an h x w plane also takes its projection: the projection's K (= channels) is
// one K block, and the expanded tensor is more than kMinExpandedBytes. Measured against the pair + projection
// layers (a driver over the kernels, alternating, AVX2 / AVX-512, ms): 16 -> 96 @ 112, stride 2 -> 24: 0.82 ->
// 0.70 / 0.59 -> 0.51; 24 -> 144 @ 56, stride 1 -> 24 + residual: 0.69 -> 0.61 / 0.47 -> 0.44; 24 -> 144 @ 56,
// stride 2 -> 32: 0.378 -> 0.367 / 0.243 -> 0.239. In MNASNet (`kiln bench --profile`, AVX2 / AVX-512): 16 -> 48
// @ 112, stride 2 -> 24 0.395 -> 0.339 / 0.279 -> 0.271, but 24 -> 72 @ 56 -> 24 (0.9 MB expanded) 0.295 -> 0.290
// / 0.197 -> 0.217: there the pair's channel blocks keep X and the expanded planes in L2 already, and the
// depthwise output (0.9 MB) stays there for the projection. On a 28x28 plane (32 -> 192 -> 32) it loses too,
// 0.25 -> 0.27 / 0.16 -> 0.18, as the pair does.
inline bool inverted_residual_fits(int64_t channels, int64_t h, int64_t w) {
    return channels >= 1 && channels <= ConvBlocking::kKBlock &&
           channels * h * w * 4 > InvertedResidualRule::kMinExpandedBytes;
}

// Input rows a band of `rows` output rows reads.
inline int64_t inverted_residual_in_rows(int64_t rows, int64_t stride) { return (rows - 1) * stride + 3; }

// Output rows per band: depthwise3x3's row block (dw::Blocking, 7 on both ISAs), so every band's rows are blocked
// as in the whole plane (its short blocks sum in another order) and the results equal the unfused layers'; the
// whole plane when it is shorter. 14 rows were slower on both ISAs, 4 or 8 (not bit-exact) no faster than 7.
inline int64_t inverted_residual_band_rows(int64_t out_h) { return out_h < 7 ? out_h : 7; }

struct InvertedResidualBands {
    int64_t rows;      // output rows per band
    int64_t block;     // expanded channels per block (whole mr-row panels)
    int64_t e_floats;  // one block's expanded rows (64-byte multiple)
    int64_t carry;     // rows a band hands to the next (3 - stride)
    int64_t c_floats;  // those rows, every channel (64-byte multiple)
    int64_t d_floats;  // the depthwise output of one band, every channel
};

// A band's expanded rows are made and used block of channels by block, in L1/L2: the block's rows take at most
// kExpandBlockBytes (at least one panel of mr channels).
inline InvertedResidualBands inverted_residual_bands(const InvertedResidualParams& p, int64_t mr) {
    const int64_t rows = p.band_rows < 1 ? 1 : p.band_rows;
    const int64_t in_rows = inverted_residual_in_rows(rows, p.stride);
    const int64_t carry = 3 - p.stride > 0 ? 3 - p.stride : 0;
    int64_t block = InvertedResidualRule::kExpandBlockBytes / (4 * in_rows * p.in_w) / mr * mr;
    if (block < mr) block = mr;
    const int64_t all = (p.channels + mr - 1) / mr * mr;
    if (block > all) block = all;
    InvertedResidualBands b{rows, block, (block * in_rows * p.in_w + 15) / 16 * 16, carry,
                            (p.channels * carry * p.in_w + 15) / 16 * 16, p.channels * rows * p.out_w};
    return b;
}

// Floats of workspace: a block's expanded rows, the carried rows, a band of depthwise output, + 16 for the
// kernel's 64-byte alignment.
inline int64_t inverted_residual_workspace_floats(const InvertedResidualParams& p, int64_t mr) {
    const InvertedResidualBands b = inverted_residual_bands(p, mr);
    return b.e_floats + b.c_floats + b.d_floats + 16;
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
