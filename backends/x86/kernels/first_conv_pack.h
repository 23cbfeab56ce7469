// Sizes, choice rule and weight packing of first_conv.h (a network's first convolution: few input channels),
// with no intrinsics: the compiler includes this header to pack the weights at compile time and to reserve the
// kernel's workspace in the arena.
#pragma once

#include <cstdint>

namespace kiln {
namespace kernels {
namespace x86 {

// Register block of first_conv: kCo output channels x up to kMaxVecs vectors of output pixels along one output
// row (AVX-512: 8 x 3 zmm = 24 accumulators + 3 input vectors + 1 weight broadcast of 32 zmm; AVX2: 4 x 3 ymm =
// 12 + 3 + 1 of 16 ymm). kLanes: floats per vector. (Struct members: see pack.h's Avx512Tile.)
struct FirstConvAvx512 {
    static constexpr int kLanes = 16;
    static constexpr int kCo = 8;
    static constexpr int kMaxVecs = 3;
};
struct FirstConvAvx2 {
    static constexpr int kLanes = 8;
    static constexpr int kCo = 4;
    static constexpr int kMaxVecs = 3;
};
// The limits of first_conv: input channels and taps (Cin * KH * KW: one offset per tap on the stack).
struct FirstConvLimits {
    static constexpr int64_t kMaxInChannels = 4;
    static constexpr int64_t kMaxTaps = 256;
};

// Output channels per register block for an ISA with `lanes` floats per vector (16: AVX-512, 8: AVX2): the
// `co` argument of the packing and size functions below.
inline int first_conv_co(int lanes) { return lanes == 16 ? FirstConvAvx512::kCo : FirstConvAvx2::kCo; }

// Whether first_conv runs the layer: groups 1, 1..4 input channels, at most kMaxTaps taps in all (any kernel
// size, stride, dilation and padding otherwise; a 1-D conv as a 2-D one of height 1).
inline bool first_conv_fits(int64_t in_channels, int64_t groups, int64_t kernel_h, int64_t kernel_w) {
    return groups == 1 && in_channels >= 1 && in_channels <= FirstConvLimits::kMaxInChannels &&
           in_channels * kernel_h * kernel_w <= FirstConvLimits::kMaxTaps;
}

// Floats pack_first_conv_weights writes: Cout rounded up to a multiple of co, times Cin * KH * KW.
inline int64_t first_conv_weight_floats(int64_t cout, int64_t cin, int64_t kernel_area, int64_t co) {
    return (cout + co - 1) / co * co * cin * kernel_area;
}

// w: the ONNX Conv weight [Cout][Cin][KH][KW] (groups 1). packed: per block of co output channels b, per tap
// t = (c * KH + ky) * KW + kx, the co weights of that tap: packed[(b * K + t) * co + j] = w[b * co + j][t]
// (0 past Cout), K = Cin * KH * KW. The kernel broadcasts them in order: one stream per block.
inline void pack_first_conv_weights(const float* w, int64_t cout, int64_t cin, int64_t kernel_area, int64_t co,
                                    float* packed) {
    const int64_t k = cin * kernel_area;
    for (int64_t b = 0; b * co < cout; ++b)
        for (int64_t t = 0; t < k; ++t)
            for (int64_t j = 0; j < co; ++j) {
                const int64_t o = b * co + j;
                packed[(b * k + t) * co + j] = o < cout ? w[o * k + t] : 0.0f;
            }
}

// Floats of one phase row of the kernel's input copy: the output row's vectors (out_w rounded up to lanes)
// plus the kernel's reach in that phase, rounded up to 16 (64-byte rows).
inline int64_t first_conv_row_floats(int64_t out_w, int64_t kernel_w, int64_t stride_w, int64_t dilation_w,
                                     int64_t lanes) {
    const int64_t vecs = (out_w + lanes - 1) / lanes;
    const int64_t n = vecs * lanes + (kernel_w - 1) * dilation_w / stride_w + 1;
    return (n + 15) / 16 * 16;
}

// Input rows the kernel keeps (a ring: the rows one output row reads).
inline int64_t first_conv_ring_rows(int64_t kernel_h, int64_t dilation_h) { return (kernel_h - 1) * dilation_h + 1; }

// Workspace floats (any alignment; the kernel aligns it to 64 bytes): per input channel, a ring of
// first_conv_ring_rows input rows, each zero-padded and split into stride_w phase rows (column q of phase r is
// input column q * stride_w + r - pad_w) of first_conv_row_floats. Each argument is {H, W} of the 2-D window
// (&win.out[1], ...), as conv_packed_workspace_floats. ResNet-18 conv1: 3 * 7 * 2 * 128 + 16 floats (21 KiB).
inline int64_t first_conv_workspace_floats(const int64_t* out_hw, const int64_t* kernel_hw, const int64_t* stride_hw,
                                           const int64_t* dilation_hw, int64_t in_channels, int64_t lanes) {
    return in_channels * first_conv_ring_rows(kernel_hw[0], dilation_hw[0]) * stride_hw[1] *
               first_conv_row_floats(out_hw[1], kernel_hw[1], stride_hw[1], dilation_hw[1], lanes) +
           16;
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
