// Sizes for depthwise.h with no intrinsics, so the compiler can reserve the arena scratch of a depthwise
// 3x3 layer when it emits the call. depthwise.h includes this header (the parameter struct and the choice of
// path live here, so the compiler and the kernel agree on them).
#pragma once

#include <cstdint>

namespace kiln {
namespace kernels {
namespace x86 {

struct Depthwise3x3Params {
    int64_t batch, channels;
    int64_t in_h, in_w, out_h, out_w;
    int64_t stride;          // 1 or 2 (both dims)
    int64_t pad_top, pad_left;
};

// The channels-in-lanes (HWc) path of depthwise3x3: `lanes` channels at once (16 AVX-512, 8 AVX2), their
// planes transposed into a zero-padded HWc scratch of depthwise3x3_hwc_rows x depthwise3x3_hwc_cols pixels
// of `lanes` floats. Taken for narrow planes, where the row kernel wastes lanes and pays its edges on
// every vector (measured: backends/x86/README.md, "Depthwise and pooling").
inline int64_t depthwise3x3_hwc_rows(const Depthwise3x3Params& p) {
    const int64_t need = (p.out_h - 1) * p.stride + 3, have = p.pad_top + p.in_h;
    return need > have ? need : have;
}
inline int64_t depthwise3x3_hwc_cols(const Depthwise3x3Params& p) {
    const int64_t need = (p.out_w - 1) * p.stride + 3, have = p.pad_left + p.in_w;
    return need > have ? need : have;
}
// Measured (kiln_x86_<isa>_dwpool_bench, MobileNetV2 layers, HWc vs row kernel, µs, single thread):
//   AVX-512: 7x7 s1 (960 ch) 23.8 vs 38.8, 14->7 s2 (576) 22.4 vs 26.4, 14x14 s1 (384) 30.0 vs 24.9,
//            28->14 s2 (192) 32.0 vs 20.7, 28x28 s1 (192) 64.8 vs 46.2;
//   AVX2:    7x7 s1 28.9 vs 41.2, 14->7 s2 26.7 vs 33.9, 14x14 s1 39.9 vs 49.6, 28->14 s2 35.4 vs 36.3,
//            28x28 s1 84.3 vs 78.4.
// So: AVX-512 for output rows up to 8 wide (the row kernel then runs 8-lane vectors, half of them idle),
// AVX2 for input rows up to 16 wide; both with a scratch that fits L1 (32 KiB).
inline bool depthwise3x3_uses_hwc(const Depthwise3x3Params& p, int64_t lanes) {
    if (p.stride != 1 && p.stride != 2) return false;
    if (p.pad_top < 0 || p.pad_left < 0 || p.out_h < 1 || p.out_w < 1) return false;
    const bool narrow = lanes >= 16 ? p.out_w <= 8 : p.in_w <= 16;
    return narrow && depthwise3x3_hwc_rows(p) * depthwise3x3_hwc_cols(p) * lanes <= 8192;
}

// Whether the row kernel prefetches the next band's input rows (software prefetch): only for stride 2 with
// an input larger than L2 (2 MiB; MobileNetV2's 96 x 112 x 112 -> 56: 1.2x on both ISAs); on the stride-1
// and the smaller layers it measured 5-20% slower (the hardware prefetcher keeps up there).
inline bool depthwise3x3_prefetches(const Depthwise3x3Params& p) {
    return p.stride == 2 && p.batch * p.channels * p.in_h * p.in_w > (int64_t(1) << 19);
}

// Floats of the scratch depthwise3x3 needs through its workspace argument (0: it needs none; the row
// kernel runs). + 16: the kernel aligns the scratch to 64 bytes.
inline int64_t depthwise3x3_workspace_floats(const Depthwise3x3Params& p, int64_t lanes) {
    if (!depthwise3x3_uses_hwc(p, lanes)) return 0;
    return depthwise3x3_hwc_rows(p) * depthwise3x3_hwc_cols(p) * lanes + 16;
}

// --- depthwise_generic (depthwise_generic.h): the channels-in-lanes path for any kernel ---
// Each block of `lanes` channels is transposed into a zero-padded HWc scratch of depthwise_generic_hwc_extent
// rows x columns (per dim below) of `lanes` floats per pixel; every tap of every output pixel is then one
// full-vector FMA (no masks, no stride-2 deinterleave), `lanes` output pixels at a time as independent chains.
// Arguments are {H, W} pairs of the 2-D window (&win.in[1], ...; pad_hw: padding before).
inline int64_t depthwise_generic_hwc_extent(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                            int64_t dilation, int64_t pad) {
    const int64_t need = (out - 1) * stride + (kernel - 1) * dilation + 1, have = pad + in;
    return need > have ? need : have;
}
// Scratch floats the HWc path needs (the padded plane, the block's tap weights and bias, 16 for 64-byte
// alignment), or 0 when it does not run: a negative padding, or a padded plane over 256 Ki floats (1 MiB; a
// larger plane would not stay in L2 while its taps run). Measured (MNASNet's 5x5 layers, AVX-512, in the model,
// row kernel -> HWc): see backends/x86/README.md, "depthwise_generic".
inline int64_t depthwise_generic_workspace_floats(const int64_t* in_hw, const int64_t* out_hw, const int64_t* kernel_hw,
                                                  const int64_t* stride_hw, const int64_t* dilation_hw,
                                                  const int64_t* pad_hw, int64_t lanes) {
    if (pad_hw[0] < 0 || pad_hw[1] < 0 || out_hw[0] < 1 || out_hw[1] < 1) return 0;
    const int64_t rows = depthwise_generic_hwc_extent(in_hw[0], out_hw[0], kernel_hw[0], stride_hw[0], dilation_hw[0],
                                                      pad_hw[0]);
    const int64_t cols = depthwise_generic_hwc_extent(in_hw[1], out_hw[1], kernel_hw[1], stride_hw[1], dilation_hw[1],
                                                      pad_hw[1]);
    const int64_t plane = rows * cols * lanes;
    if (plane > 262144) return 0;
    return plane + (kernel_hw[0] * kernel_hw[1] + 1) * lanes + 16;
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
