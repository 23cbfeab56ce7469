// kiln.PointwiseDepthwise (made by fuse-pointwise-depthwise for the x86 targets): a 1x1 convolution with its
// epilogue followed by a depthwise convolution with its own, computed one channel at a time so the pointwise
// output never exists as a whole: per image and channel, the channel's plane of the 1x1 convolution goes into
// `plane` (H*W values of scratch), then the depthwise filter of that channel runs over it. Results are those
// of the two conv_fused calls it replaces, bit for bit (the same kernel on the same values).
#pragma once

#include <cstdint>

#include "conv.h"

namespace kiln {
namespace kernels {

// x: [N, Cin, H, W]; w1: [C, Cin, 1, 1], b1: [C] or nullptr; wd: [C, 1, kH, kW], bd: [C] or nullptr; z (the
// residual, y's shape) or nullptr; y: [N, C, OH, OW]. pw: the 1x1 stage's parameters (N, Cin, C, 1 group),
// dw: the depthwise stage's (N, C, C, C groups, its window). plane: pw.win's H*W values.
template <typename T>
inline void pointwise_depthwise(const T* x, const T* w1, const T* b1, const T* wd, const T* bd, const T* z, T* y,
                                const ConvParams& pw, const Epilogue& e1, const ConvParams& dw, const Epilogue& e2,
                                T* plane) {
    const int64_t cin = pw.in_channels, ch = pw.out_channels;
    const int64_t in_size = window_in_size(pw.win), out_size = dw.win.out[0] * dw.win.out[1] * dw.win.out[2];
    const int64_t taps = dw.win.kernel[0] * dw.win.kernel[1] * dw.win.kernel[2];
    const ConvParams one_pw{1, cin, 1, 1, pw.win}, one_dw{1, 1, 1, 1, dw.win};
    for (int64_t n = 0; n < pw.batch; ++n)
        for (int64_t c = 0; c < ch; ++c) {
            conv_fused(x + n * cin * in_size, w1 + c * cin, b1 ? b1 + c : static_cast<const T*>(nullptr),
                       static_cast<const T*>(nullptr), plane, one_pw, e1);
            const int64_t o = (n * ch + c) * out_size;
            conv_fused(static_cast<const T*>(plane), wd + c * taps, bd ? bd + c : static_cast<const T*>(nullptr),
                       z ? z + o : static_cast<const T*>(nullptr), y + o, one_dw, e2);
        }
}

}  // namespace kernels
}  // namespace kiln
