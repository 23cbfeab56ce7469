// kiln.InvertedResidual (made by fuse-inverted-residual for the x86 targets): a 1x1 expansion and the depthwise
// convolution reading it (kiln.PointwiseDepthwise's pair, pointwise_depthwise.h), then the 1x1 projection of the
// depthwise output, each stage with its own epilogue (the projection's after its residual). Per image, the pair
// runs into `workspace` and the projection reads it: the results of the three conv_fused calls it replaces, bit
// for bit.
#pragma once

#include <cstdint>

#include "conv.h"
#include "pointwise_depthwise.h"

namespace kiln {
namespace kernels {

// x: [N, Cin, H, W]; w1: [C, Cin, 1, 1], b1: [C] or nullptr; wd: [C, 1, kH, kW], bd: [C] or nullptr; w2: [Cout, C,
// 1, 1], b2: [Cout] or nullptr; z (the residual, y's shape) or nullptr; y: [N, Cout, OH, OW]. pw, dw, pj: the three
// stages' parameters (batch N). workspace: inverted_residual_workspace(pw, dw) values.
inline int64_t inverted_residual_workspace(const ConvParams& pw, const ConvParams& dw) {
    return window_in_size(pw.win) + dw.out_channels * dw.win.out[0] * dw.win.out[1] * dw.win.out[2];
}

template <typename T>
inline void inverted_residual(const T* x, const T* w1, const T* b1, const T* wd, const T* bd, const T* w2,
                              const T* b2, const T* z, T* y, const ConvParams& pw, const Epilogue& e1,
                              const ConvParams& dw, const Epilogue& e2, const ConvParams& pj, const Epilogue& e3,
                              T* workspace) {
    const int64_t in_size = window_in_size(pw.win) * pw.in_channels;
    const int64_t out_size = pj.win.out[0] * pj.win.out[1] * pj.win.out[2] * pj.out_channels;
    T* plane = workspace;
    T* mid = workspace + window_in_size(pw.win);
    ConvParams pw1 = pw, dw1 = dw, pj1 = pj;
    pw1.batch = dw1.batch = pj1.batch = 1;
    for (int64_t n = 0; n < pw.batch; ++n) {
        pointwise_depthwise(x + n * in_size, w1, b1, wd, bd, static_cast<const T*>(nullptr), mid, pw1, e1, dw1, e2,
                            plane);
        conv_fused(static_cast<const T*>(mid), w2, b2, z ? z + n * out_size : static_cast<const T*>(nullptr),
                   y + n * out_size, pj1, e3);
    }
}

}  // namespace kernels
}  // namespace kiln
