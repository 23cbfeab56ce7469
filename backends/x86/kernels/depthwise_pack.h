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
// Measured (kiln_x86_<isa>_dwpool_bench, MobileNetV2 layers, HWc vs row kernel, µs): AVX-512 7x7 s1
// 23 vs 39, 14->7 s2 22 vs 31, 14x14 s1 32 vs 31 (a tie), 28->14 s2 32 vs 23, 28x28 s1 65 vs 52; AVX2 7x7
// 28 vs 40, 14->7 25 vs 34, 14x14 39 vs 49, 28->14 35 vs 38, 28x28 83 vs 79. So: input rows up to 16 wide,
// and a scratch that fits L1 (32 KiB).
inline bool depthwise3x3_uses_hwc(const Depthwise3x3Params& p, int64_t lanes) {
    if (p.stride != 1 && p.stride != 2) return false;
    if (p.pad_top < 0 || p.pad_left < 0 || p.out_h < 1 || p.out_w < 1) return false;
    return p.in_w <= 16 && depthwise3x3_hwc_rows(p) * depthwise3x3_hwc_cols(p) * lanes <= 8192;
}

// Floats of the scratch depthwise3x3 needs through its workspace argument (0: it needs none; the row
// kernel runs). + 16: the kernel aligns the scratch to 64 bytes.
inline int64_t depthwise3x3_workspace_floats(const Depthwise3x3Params& p, int64_t lanes) {
    if (!depthwise3x3_uses_hwc(p, lanes)) return 0;
    return depthwise3x3_hwc_rows(p) * depthwise3x3_hwc_cols(p) * lanes + 16;
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
