// backends/x86/kernels/depthwise.h against the portable grouped convolution (conv_fused with groups =
// channels): awkward channel counts and widths, strides 1 and 2, symmetric and one-sided padding,
// every activation, bias and residual. Built once per ISA like gemm_packed_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/depthwise.h"

namespace {

using Isa = kiln::kernels::x86::KILN_X86_ISA;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

bool cpu_has_isa() {
    __builtin_cpu_init();
    if (Isa::kLanes == 16)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

std::vector<float> random_floats(int64_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = d(rng);
    return v;
}

}  // namespace

TEST_CASE("x86 depthwise3x3 matches the portable grouped convolution", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(9);
    const int64_t channels[] = {1, 3, 17};
    const int64_t sizes[][2] = {{1, 1}, {3, 7}, {7, 17}, {5, 33}, {9, 129}, {112, 112 / 4}};
    const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 1, 1}, {1, 1, 0, 0}};  // top, left, bottom, right
    const k::Epilogue acts[] = {{k::kActNone, 0, 0},       {k::kActRelu, 0, 0},   {k::kActClip, 0.0f, 6.0f},
                                {k::kActHardSwish, 0, 0},  {k::kActSigmoid, 0, 0}, {k::kActLeakyRelu, 0.1f, 0},
                                {k::kActHardSigmoid, 0.2f, 0.5f}};
    int case_index = 0, checked = 0;
    for (int64_t ch : channels)
        for (const auto& hw : sizes)
            for (int64_t stride = 1; stride <= 2; ++stride)
                for (const auto& pad : pads) {
                    const int c = case_index++;
                    const int64_t ih = hw[0], iw = hw[1];
                    const int64_t oh = (ih + pad[0] + pad[2] - 3) / stride + 1, ow = (iw + pad[1] + pad[3] - 3) / stride + 1;
                    if (ih + pad[0] + pad[2] < 3 || iw + pad[1] + pad[3] < 3) continue;
                    const int64_t batch = c % 4 == 0 ? 2 : 1;
                    const bool with_bias = c % 3 != 2, with_z = c % 5 == 1;
                    const k::Epilogue act = acts[c % 7];
                    INFO("C " << ch << " H " << ih << " W " << iw << " stride " << stride << " pads " << pad[0]
                              << pad[1] << pad[2] << pad[3] << " act " << act.activation);
                    const auto xs = random_floats(batch * ch * ih * iw, rng), w = random_floats(ch * 9, rng);
                    const auto bias = random_floats(ch, rng), z = random_floats(batch * ch * oh * ow, rng);
                    const k::ConvParams p{batch, ch, ch, ch,
                                          k::Window{{1, ih, iw}, {1, oh, ow}, {1, 3, 3}, {1, stride, stride},
                                                    {1, 1, 1}, {0, pad[0], pad[1]}}};
                    std::vector<float> want(static_cast<size_t>(batch * ch * oh * ow));
                    k::conv_fused(xs.data(), w.data(), with_bias ? bias.data() : nullptr,
                                  with_z ? z.data() : nullptr, want.data(), p, act);
                    std::vector<float> got(want.size(), -3.0f);
                    x::depthwise3x3<Isa>(xs.data(), w.data(), with_bias ? bias.data() : nullptr,
                                         with_z ? z.data() : nullptr, got.data(),
                                         x::Depthwise3x3Params{batch, ch, ih, iw, oh, ow, stride, pad[0], pad[1]}, act);
                    int64_t bad = 0;
                    for (size_t i = 0; i < got.size(); ++i)
                        if (!(std::fabs(got[i] - want[i]) <= 1e-5f * std::fabs(want[i]) + 1e-6f)) ++bad;
                    CHECK(bad == 0);
                    ++checked;
                }
    CHECK(checked > 120);
}
