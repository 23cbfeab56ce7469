// Which 1x1 + depthwise pairs the x86 targets fuse (fuse-pointwise-depthwise, kiln.PointwiseDepthwise) and the
// workspace of the fused kernel (pointwise_depthwise.h); no intrinsics, so the compiler includes it.
//
// A short-K 1x1 expansion on a large plane (MobileNetV2's 16 -> 96 at 112x112) writes an output (4.8 MB) that no
// cache below L3 holds, and the depthwise layer reads it back from there. Fused, the 1x1 runs for a block of
// channels into an L2-sized scratch and the depthwise runs on that block at once. Measured with the two kernels
// driven block by block against the two layers (AVX2, ms, same outputs): 16 -> 96 @ 112 with a stride-2
// depthwise 1.08 -> 0.79, 24 -> 144 @ 56 stride 1 0.58 -> 0.47, stride 2 0.43 -> 0.39; at 28x28 and below it
// loses (0.95-1.0x at 28, 0.5-0.8x at 14 and 7: the 1x1's strips are set up once per block).
#pragma once

#include <cstdint>

#include "depthwise_pack.h"

namespace kiln {
namespace kernels {
namespace x86 {

struct PointwiseDepthwiseRule {
    static constexpr int64_t kMaxInputChannels = 64;      // K of the 1x1: one K block, store-bound
    static constexpr int64_t kMinPixels = 56 * 56;        // the 1x1's output plane
    // A channel block's 1x1 planes. A tenth of this CPU's 2 MiB L2: the block's depthwise output (as large at
    // stride 1), X and the next layer's working set stay in L2 beside it. Same-binary A/B in the model (ms,
    // 768 KiB -> 192 KiB): AVX2 24 -> 144 @ 56 + stride 1 0.508 -> 0.418 and the projection after it 0.298 ->
    // 0.254, the stride-2 pair 0.346 -> 0.324; AVX-512 0.308 -> 0.271 and 0.172 -> 0.144. 128 and 256 KiB
    // within noise of 192; 384 KiB half the gain. At 112x112 one panel (6 / 14 channels) is already more.
    static constexpr int64_t kScratchBytes = 192 * 1024;
};

// True for a 1x1 (stride 1, unpadded, one group) over cin input channels and an h x w plane whose output is read
// only by a depthwise 3x3 (stride 1 or 2 in both dims, no dilation) that depthwise3x3 runs.
inline bool pointwise_depthwise_fits(int64_t cin, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh,
                                     int64_t sw, int64_t dh, int64_t dw) {
    return cin >= 1 && cin <= PointwiseDepthwiseRule::kMaxInputChannels &&
           h * w >= PointwiseDepthwiseRule::kMinPixels && kh == 3 && kw == 3 && sh == sw && (sh == 1 || sh == 2) &&
           dh == 1 && dw == 1;
}

// Channels per block: as many whole mr-row panels as fit kScratchBytes (at least one panel).
inline int64_t pointwise_depthwise_block(int64_t channels, int64_t plane, int64_t mr) {
    int64_t b = PointwiseDepthwiseRule::kScratchBytes / (plane * 4) / mr * mr;
    if (b < mr) b = mr;
    const int64_t all = (channels + mr - 1) / mr * mr;
    return b < all ? b : all;
}

// Floats of workspace: the block's 1x1 output planes (64-byte aligned inside the kernel, + 16) and the depthwise
// kernel's scratch for one block (depthwise3x3_workspace_floats; 0 on these planes in practice). p: the whole
// depthwise layer (channels = all of them).
inline int64_t pointwise_depthwise_workspace_floats(const Depthwise3x3Params& p, int64_t mr, int64_t lanes) {
    const int64_t plane = p.in_h * p.in_w, block = pointwise_depthwise_block(p.channels, plane, mr);
    Depthwise3x3Params one = p;
    one.batch = 1;
    one.channels = block;
    return block * plane + 16 + depthwise3x3_workspace_floats(one, lanes);
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
