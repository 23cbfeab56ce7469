// backends/x86/kernels/pointwise_depthwise.h (kiln.PointwiseDepthwise on x86): bit for bit the two layers it
// fuses run by the same x86 kernels on whole tensors (conv_packed, then depthwise3x3), which in turn match the
// portable convolution within the conv tests' tolerance; the portable fused kernel
// (portable/pointwise_depthwise.h) bit for bit two portable conv_fused calls. Channel counts that are and are
// not multiples of the tile rows and of the channel block, odd planes, strides 1 and 2, pads, batch 2, the
// residual (also in place), every activation on either stage, a NaN-filled workspace. Also the rule. Built
// once per ISA.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/portable/kernels/pointwise_depthwise.h"
#include "backends/x86/kernels/pointwise_depthwise.h"
#include "conv_test_support.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::count_bad;
using kiln::test_x86::window;
using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::Isa;
using kiln::test_x86::kActs;
using kiln::test_x86::kNumActs;
using kiln::test_x86::random_floats;
using kiln::test_x86::same_bits;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

struct Case {
    int64_t batch, cin, ch, h, w, stride, pad_t, pad_l, pad_b, pad_r;
    bool bias, residual, in_place;
    int act1, act2;
};

void run_case(const Case& c, std::mt19937& rng) {
    INFO("N " << c.batch << " Cin " << c.cin << " C " << c.ch << " plane " << c.h << "x" << c.w << " stride "
              << c.stride << " pads " << c.pad_t << "," << c.pad_l << "," << c.pad_b << "," << c.pad_r << " bias "
              << c.bias << " residual " << c.residual << " in place " << c.in_place << " acts " << c.act1 << ","
              << c.act2);
    const k::Window w1 = window(c.h, c.w, 1, 1, 0, 0, 0, 0);
    const k::Window wd = window(c.h, c.w, 3, c.stride, c.pad_t, c.pad_l, c.pad_b, c.pad_r);
    const int64_t plane = c.h * c.w, out_plane = wd.out[1] * wd.out[2];
    const k::ConvParams pw{c.batch, c.cin, c.ch, 1, w1}, dw{c.batch, c.ch, c.ch, c.ch, wd};
    const x::Depthwise3x3Params dp{c.batch, c.ch, c.h, c.w, wd.out[1], wd.out[2], c.stride, c.pad_t, c.pad_l};
    REQUIRE(x::pointwise_depthwise_fits(c.cin, c.h, c.w, 3, 3, c.stride, c.stride, 1, 1));
    const std::vector<float> xs = random_floats(c.batch * c.cin * plane, rng), w1s = random_floats(c.ch * c.cin, rng),
                             b1 = random_floats(c.ch, rng), wds = random_floats(c.ch * 9, rng),
                             bd = random_floats(c.ch, rng), z = random_floats(c.batch * c.ch * out_plane, rng);
    const k::Epilogue e1 = kActs[c.act1], e2 = kActs[c.act2];
    const float* b1p = c.bias ? b1.data() : nullptr;
    const float* bdp = c.bias ? bd.data() : nullptr;
    // x86, unfused: the two layers on whole tensors.
    std::vector<float> packed(size_t(x::conv_packed_weight_floats(c.ch, c.cin, 1, Isa::kMr)));
    x::pack_conv_weights(w1s.data(), c.ch, c.cin, 1, 1, Isa::kMr, packed.data());
    std::vector<float> e(size_t(c.batch * c.ch * plane)), want(size_t(c.batch * c.ch * out_plane));
    REQUIRE(x::conv_packed_workspace_floats(&w1.in[1], &w1.out[1], &w1.kernel[1], &w1.stride[1], &w1.dilation[1],
                                            &w1.pad[1], c.cin, Isa::kNv * Isa::kLanes) == 0);
    x::conv_packed<Isa>(xs.data(), packed.data(), b1p, nullptr, e.data(), pw, e1, nullptr);
    std::vector<float> dws(size_t(x::depthwise3x3_workspace_floats(dp, Isa::kLanes) + 1));
    x::depthwise3x3<Isa>(e.data(), wds.data(), bdp, c.residual ? z.data() : nullptr, want.data(), dp, e2, dws.data());
    // x86, fused (workspace full of NaN: nothing may be read before it is written).
    std::vector<float> ws(size_t(x::pointwise_depthwise_workspace_floats(dp, Isa::kMr, Isa::kLanes)), NAN);
    std::vector<float> got = c.in_place ? z : std::vector<float>(want.size(), 42.0f);
    const float* zp = c.residual ? (c.in_place ? got.data() : z.data()) : nullptr;
    x::pointwise_depthwise<Isa>(xs.data(), packed.data(), b1p, wds.data(), bdp, zp, got.data(), pw, e1, dp, e2,
                                ws.data());
    int64_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i)
        if (!same_bits(got[i], want[i])) ++bad;
    CHECK(bad == 0);
    // The reference the unfused kernels are held to: the portable convolutions, within the conv tests' tolerance.
    std::vector<float> pe(e.size()), pwant(want.size());
    k::conv_fused(xs.data(), w1s.data(), b1p, static_cast<const float*>(nullptr), pe.data(), pw, e1);
    k::conv_fused(pe.data(), wds.data(), bdp, c.residual ? z.data() : nullptr, pwant.data(), dw, e2);
    CHECK(count_bad(want, pwant, c.cin + 9) == 0);
    // The portable fused kernel: bit for bit the two portable calls.
    std::vector<float> pgot(want.size()), plane_ws(static_cast<size_t>(plane));
    k::pointwise_depthwise(xs.data(), w1s.data(), b1p, wds.data(), bdp, c.residual ? z.data() : nullptr, pgot.data(),
                           pw, e1, dw, e2, plane_ws.data());
    bad = 0;
    for (size_t i = 0; i < pwant.size(); ++i)
        if (!same_bits(pgot[i], pwant[i])) ++bad;
    CHECK(bad == 0);
}

}  // namespace

TEST_CASE("x86 pointwise_depthwise: the two layers' kernels, fused by channel blocks", "[x86][pwdw]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(21);
    // MobileNetV2's pairs (16 -> 96 @ 112 stride 2, 24 -> 144 @ 56 strides 1 and 2), with ReLU6 on both stages.
    run_case({1, 16, 96, 112, 112, 2, 1, 1, 1, 1, true, false, false, 2, 2}, rng);
    run_case({1, 24, 144, 56, 56, 1, 1, 1, 1, 1, true, false, false, 2, 2}, rng);
    run_case({1, 24, 144, 56, 56, 2, 1, 1, 1, 1, true, false, false, 2, 2}, rng);
    // Awkward channel counts (1, 7, 17: not multiples of the tile rows; 200 > one channel block at this plane),
    // input channels 1..64, odd planes, both strides, asymmetric and no padding, every activation on each stage.
    const int64_t chans[] = {1, 7, 17, 200};
    const int64_t cins[] = {1, 3, 17, 64};
    const int64_t planes[][2] = {{56, 56}, {57, 61}, {63, 50}, {112, 40}};
    const int64_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 1, 1, 0}, {1, 0, 0, 1}};
    int n = 0;
    for (int64_t ch : chans)
        for (int64_t cin : cins) {
            const int64_t* pl = planes[n % 4];
            const int64_t* pd = pads[(n / 2) % 4];
            run_case({1 + (n % 5 == 0 ? 1 : 0), cin, ch, pl[0], pl[1], 1 + n % 2, pd[0], pd[1], pd[2], pd[3], n % 3 != 0,
                      n % 4 == 1, n % 8 == 5, n % kNumActs, (n * 4 + 1) % kNumActs},
                     rng);
            ++n;
        }
}

TEST_CASE("x86 pointwise_depthwise: which pairs the x86 targets fuse", "[x86][pwdw]") {
    CHECK(x::pointwise_depthwise_fits(16, 112, 112, 3, 3, 2, 2, 1, 1));
    CHECK(x::pointwise_depthwise_fits(64, 56, 56, 3, 3, 1, 1, 1, 1));
    CHECK_FALSE(x::pointwise_depthwise_fits(65, 56, 56, 3, 3, 1, 1, 1, 1));  // K too long: the 1x1 is not store-bound
    CHECK_FALSE(x::pointwise_depthwise_fits(32, 28, 28, 3, 3, 1, 1, 1, 1));  // small planes lose
    CHECK_FALSE(x::pointwise_depthwise_fits(16, 112, 112, 5, 5, 1, 1, 1, 1));
    CHECK_FALSE(x::pointwise_depthwise_fits(16, 112, 112, 3, 3, 1, 2, 1, 1));
    CHECK_FALSE(x::pointwise_depthwise_fits(16, 112, 112, 3, 3, 1, 1, 2, 2));
    // Blocks: whole panels of the tile rows within the scratch budget, at least one panel, at most the channels.
    CHECK(x::pointwise_depthwise_block(96, 112 * 112, 6) == 6);
    CHECK(x::pointwise_depthwise_block(96, 112 * 112, 14) == 14);
    CHECK(x::pointwise_depthwise_block(144, 56 * 56, 6) == 12);
    CHECK(x::pointwise_depthwise_block(7, 56 * 56, 6) == 12);
    CHECK(x::pointwise_depthwise_block(7, 56 * 56, 14) == 14);
    CHECK(x::pointwise_depthwise_block(144, 56 * 56, 14) == 14);
    CHECK(x::pointwise_depthwise_block(144, 28 * 28, 6) == 60);
    CHECK(x::pointwise_depthwise_block(4, 1024 * 1024, 6) == 6);
}
