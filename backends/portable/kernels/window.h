// Sliding-window geometry shared by the convolution and pooling kernels. 1-D and 2-D windows are run
// as 3-D ones with leading size-1 dims, so one kernel serves every spatial rank without extra branches.
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

constexpr int kWindowDims = 3;

// Spatial geometry, outermost dim first. `pad` is the padding before each dim (the end padding only
// matters for output sizes, which the compiler has already computed, and for AveragePool's divisor).
struct Window {
    int64_t in[kWindowDims];
    int64_t out[kWindowDims];
    int64_t kernel[kWindowDims];
    int64_t stride[kWindowDims];
    int64_t dilation[kWindowDims];
    int64_t pad[kWindowDims];
};

// Elements of one spatial plane of the input.
inline int64_t window_in_size(const Window& w) { return w.in[0] * w.in[1] * w.in[2]; }

// A half-open range of positions.
struct Span {
    int64_t lo, hi;
};

// The positions i in [0, count) whose coordinate i * stride + offset lies in [0, limit). Computing the
// range once per kernel tap keeps bounds checks out of the innermost loops. Pooling uses it for the
// taps k of a window starting at `start` that fall inside the input (offset start, stride dilation).
inline Span span_in_bounds(int64_t offset, int64_t stride, int64_t limit, int64_t count) {
    const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    const int64_t last = limit - 1 - offset;
    int64_t hi = last < 0 ? 0 : min_of(count, last / stride + 1);
    if (hi < lo) hi = lo;
    return Span{lo, hi};
}

}  // namespace kernels
}  // namespace kiln
