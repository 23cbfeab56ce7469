// Shared by the x86 convolution and GEMM tests (Catch2): the tolerance against the portable kernels and the
// activations every epilogue is tested with, and a square window.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "backends/portable/kernels/epilogue.h"
#include "backends/portable/kernels/window.h"

namespace kiln {
namespace test_x86 {

// The 2-D window of a square kernel x kernel convolution over an h x w plane (pads top, left, bottom, right).
inline kernels::Window window(int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad_t, int64_t pad_l,
                              int64_t pad_b, int64_t pad_r) {
    const int64_t oh = (h + pad_t + pad_b - kernel) / stride + 1, ow = (w + pad_l + pad_r - kernel) / stride + 1;
    return kernels::Window{{1, h, w}, {1, oh, ow}, {1, kernel, kernel}, {1, stride, stride}, {1, 1, 1},
                           {0, pad_t, pad_l}};
}

// Elements of got outside 1e-5 relative of want, with an absolute floor growing with sqrt(K) for outputs near
// zero (the summation order differs from the portable loop, so cancellation leaves ~sqrt(K) ulps of the terms).
// The first three are reported.
inline int64_t count_bad(const std::vector<float>& got, const std::vector<float>& want, int64_t kk) {
    const double floor = 1e-6 * std::sqrt(static_cast<double>(kk) + 1.0);
    int64_t bad = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        const double diff = std::fabs(static_cast<double>(got[i]) - want[i]);
        if (!(diff <= 1e-5 * std::fabs(want[i]) + floor)) {
            if (bad++ < 3) UNSCOPED_INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
        }
    }
    return bad;
}

// Every activation of the fused epilogue.
constexpr int kNumActs = 9;
const kernels::Epilogue kActs[kNumActs] = {
    {kernels::kActNone, 0, 0},           {kernels::kActRelu, 0, 0},    {kernels::kActClip, 0.0f, 6.0f},
    {kernels::kActLeakyRelu, 0.1f, 0},   {kernels::kActSigmoid, 0, 0}, {kernels::kActHardSigmoid, 0.2f, 0.5f},
    {kernels::kActHardSwish, 0, 0},      {kernels::kActSilu, 0, 0},    {kernels::kActTanh, 0, 0},
};

}  // namespace test_x86
}  // namespace kiln
