// kiln.PointwiseDepthwise on x86: a short-K 1x1 convolution (conv_packed, X read in place) and the depthwise 3x3
// reading its output (depthwise3x3), run block by block of output channels so the 1x1's output lives in an
// L2-sized scratch instead of making a round trip through L3 (pointwise_depthwise_pack.h has the rule and the
// measurements). Each stage is the kernel the unfused layer would run, with the same epilogues, on the same
// values: results equal the two layers'.
#pragma once

#include <cstdint>

#include "../../portable/kernels/conv.h"
#include "conv_packed.h"
#include "depthwise.h"
#include "pointwise_depthwise_pack.h"

namespace kiln {
namespace kernels {
namespace x86 {

// x: [N, Cin, H, W]; packed_w1: pack_conv_weights(W1, C, Cin, 1, 1, Isa::kMr); b1: [C] or nullptr; wd: [C, 1, 3, 3];
// bd: [C] or nullptr; z: y's shape or nullptr (may alias y); y: [N, C, OH, OW]. pw: the 1x1 stage (N, Cin, C, 1
// group, a 1x1 window over H x W); dw: the depthwise stage (batch N, channels C). workspace:
// pointwise_depthwise_workspace_floats(dw, Isa::kMr, Isa::kLanes) floats, any alignment.
template <class Isa>
inline void pointwise_depthwise(const float* x, const float* packed_w1, const float* b1, const float* wd,
                                const float* bd, const float* z, float* y, const kernels::ConvParams& pw,
                                const kernels::Epilogue& e1, const Depthwise3x3Params& dw, const kernels::Epilogue& e2,
                                float* workspace) {
    const int64_t cin = pw.in_channels, ch = pw.out_channels;
    const int64_t plane = dw.in_h * dw.in_w, out_plane = dw.out_h * dw.out_w;
    const int64_t block = pointwise_depthwise_block(ch, plane, Isa::kMr);
    float* scratch = workspace + ((64 - reinterpret_cast<uintptr_t>(workspace) % 64) % 64) / sizeof(float);
    float* dw_ws = workspace + block * plane + 16;
    for (int64_t n = 0; n < pw.batch; ++n) {
        const float* xn = x + n * cin * plane;
        for (int64_t c0 = 0; c0 < ch; c0 += block) {
            const int64_t nb = ch - c0 < block ? ch - c0 : block;
            // The 1x1 for channels [c0, c0 + nb): its packed panels start at c0 * cin (one K block, c0 a
            // multiple of the panel rows), and it reads X in place (no workspace: plane >= kMinPixels).
            const kernels::ConvParams p1{1, cin, nb, 1, pw.win};
            conv_packed<Isa>(xn, packed_w1 + c0 * cin, b1 ? b1 + c0 : nullptr, nullptr, scratch, p1, e1, nullptr);
            Depthwise3x3Params p2 = dw;
            p2.batch = 1;
            p2.channels = nb;
            const int64_t o = (n * ch + c0) * out_plane;
            depthwise3x3<Isa>(scratch, wd + c0 * 9, bd ? bd + c0 : nullptr, z ? z + o : nullptr, y + o, p2, e2, dw_ws);
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
