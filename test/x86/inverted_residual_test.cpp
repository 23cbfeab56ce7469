// backends/x86/kernels/inverted_residual.h (kiln.InvertedResidual on x86): bit for bit the three layers it fuses
// run by the same x86 kernels on whole tensors (conv_packed, depthwise3x3, conv_packed) when the bands are the
// rule's (inverted_residual_band_rows); within the tolerance of the chain's length for any other band height; the
// unfused kernels within it of the portable convolutions; the portable fused kernel
// (portable/inverted_residual.h) bit for bit three portable conv_fused calls. Channel counts that are and are not
// multiples of the tile rows, odd and short planes, strides 1 and 2, pads, batch 2, the residual, every activation
// on each stage, a NaN-filled workspace, nothing written outside the output. Also the rule. Built once per ISA.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/portable/kernels/inverted_residual.h"
#include "backends/x86/kernels/conv_packed.h"
#include "backends/x86/kernels/inverted_residual.h"
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
    int64_t batch, cin, ch, cout, h, w, stride, pad_t, pad_l, pad_b, pad_r;
    bool bias, residual;
    int act1, act2, act3;
};

int64_t count_diff(const std::vector<float>& got, const std::vector<float>& want) {
    int64_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i)
        if (!same_bits(got[i], want[i])) ++bad;
    return bad;
}

// y = conv_packed(x) for a 1x1 layer, with the workspace it asks for.
void x86_pointwise(const std::vector<float>& xs, const std::vector<float>& packed, const float* bias, const float* z,
                   std::vector<float>* y, const k::ConvParams& p, const k::Epilogue& e) {
    const k::Window& w = p.win;
    std::vector<float> ws(size_t(x::conv_packed_workspace_floats(&w.in[1], &w.out[1], &w.kernel[1], &w.stride[1],
                                                                 &w.dilation[1], &w.pad[1], p.in_channels,
                                                                 Isa::kNv * Isa::kLanes)) + 1);
    x::conv_packed<Isa>(xs.data(), packed.data(), bias, z, y->data(), p, e, ws.data());
}

void run_case(const Case& c, std::mt19937& rng) {
    INFO("N " << c.batch << " Cin " << c.cin << " C " << c.ch << " Cout " << c.cout << " plane " << c.h << "x" << c.w
              << " stride " << c.stride << " pads " << c.pad_t << "," << c.pad_l << "," << c.pad_b << "," << c.pad_r
              << " bias " << c.bias << " residual " << c.residual << " acts " << c.act1 << "," << c.act2 << ","
              << c.act3);
    const k::Window w1 = window(c.h, c.w, 1, 1, 0, 0, 0, 0);
    const k::Window wd = window(c.h, c.w, 3, c.stride, c.pad_t, c.pad_l, c.pad_b, c.pad_r);
    const int64_t oh = wd.out[1], ow = wd.out[2];
    const k::Window w3 = window(oh, ow, 1, 1, 0, 0, 0, 0);
    const int64_t plane = c.h * c.w, out_plane = oh * ow;
    const k::ConvParams pw{c.batch, c.cin, c.ch, 1, w1}, dw{c.batch, c.ch, c.ch, c.ch, wd},
        pj{c.batch, c.ch, c.cout, 1, w3};
    const x::Depthwise3x3Params dp{c.batch, c.ch, c.h, c.w, oh, ow, c.stride, c.pad_t, c.pad_l};
    const std::vector<float> xs = random_floats(c.batch * c.cin * plane, rng), w1s = random_floats(c.ch * c.cin, rng),
                             b1 = random_floats(c.ch, rng), wds = random_floats(c.ch * 9, rng),
                             bd = random_floats(c.ch, rng), w2s = random_floats(c.cout * c.ch, rng),
                             b2 = random_floats(c.cout, rng), z = random_floats(c.batch * c.cout * out_plane, rng);
    const k::Epilogue e1 = kActs[c.act1], e2 = kActs[c.act2], e3 = kActs[c.act3];
    const float* b1p = c.bias ? b1.data() : nullptr;
    const float* bdp = c.bias ? bd.data() : nullptr;
    const float* b2p = c.bias ? b2.data() : nullptr;
    const float* zp = c.residual ? z.data() : nullptr;
    // x86, unfused: the three layers on whole tensors (the depthwise layer on its row kernel, as the fused one).
    std::vector<float> p1(size_t(x::conv_packed_weight_floats(c.ch, c.cin, 1, Isa::kMr)));
    std::vector<float> p2(size_t(x::conv_packed_weight_floats(c.cout, c.ch, 1, Isa::kMr)));
    x::pack_conv_weights(w1s.data(), c.ch, c.cin, 1, 1, Isa::kMr, p1.data());
    x::pack_conv_weights(w2s.data(), c.cout, c.ch, 1, 1, Isa::kMr, p2.data());
    std::vector<float> e(size_t(c.batch * c.ch * plane)), d(size_t(c.batch * c.ch * out_plane)),
        want(size_t(c.batch * c.cout * out_plane));
    x86_pointwise(xs, p1, b1p, nullptr, &e, pw, e1);
    x::depthwise3x3<Isa>(e.data(), wds.data(), bdp, nullptr, d.data(), dp, e2);
    x86_pointwise(d, p2, b2p, zp, &want, pj, e3);
    // The chain's length for the tolerances: every output sums ch x (cin + 9) products.
    const int64_t chain = c.ch * (c.cin + 9);
    // x86, fused, the rule's bands and others (workspace full of NaN: nothing may be read before it is written;
    // the output has a guard after it).
    const int64_t rule_rows = x::inverted_residual_band_rows(oh);
    for (int64_t rows : {rule_rows, int64_t(1), int64_t(2), int64_t(5), int64_t(8), int64_t(14), oh}) {
        INFO("band rows " << rows);
        const x::InvertedResidualParams ip{c.batch, c.cin, c.ch, c.cout, c.h, c.w, oh, ow, c.stride, c.pad_t, c.pad_l,
                                           rows};
        std::vector<float> ws(size_t(x::inverted_residual_workspace_floats(ip, Isa::kMr)), NAN);
        std::vector<float> got(want.size() + 16, 42.0f);
        x::inverted_residual<Isa>(xs.data(), p1.data(), b1p, wds.data(), bdp, p2.data(), b2p, zp, got.data(), ip, e1,
                                  e2, e3, ws.data() + 1);
        for (size_t i = want.size(); i < got.size(); ++i) REQUIRE(got[i] == 42.0f);
        got.resize(want.size());
        if (rows == rule_rows || rows % 7 == 0 || rows >= oh) CHECK(count_diff(got, want) == 0);
        else CHECK(count_bad(got, want, chain) == 0);
    }
    // The reference the unfused kernels are held to: the portable convolutions, within the chain's tolerance.
    std::vector<float> pe(e.size()), pd(d.size()), pwant(want.size());
    k::conv_fused(xs.data(), w1s.data(), b1p, static_cast<const float*>(nullptr), pe.data(), pw, e1);
    k::conv_fused(pe.data(), wds.data(), bdp, static_cast<const float*>(nullptr), pd.data(), dw, e2);
    k::conv_fused(pd.data(), w2s.data(), b2p, zp, pwant.data(), pj, e3);
    CHECK(count_bad(want, pwant, chain) == 0);
    // The portable fused kernel: bit for bit the three portable calls.
    std::vector<float> pgot(want.size()), pws(size_t(k::inverted_residual_workspace(pw, dw)), NAN);
    k::inverted_residual(xs.data(), w1s.data(), b1p, wds.data(), bdp, w2s.data(), b2p, zp, pgot.data(), pw, e1, dw,
                         e2, pj, e3, pws.data());
    CHECK(count_diff(pgot, pwant) == 0);
}

}  // namespace

TEST_CASE("x86 inverted_residual: the three layers' kernels, fused by bands of output rows", "[x86][invres]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(23);
    // MobileNetV2's blocks with ReLU6 on the first two stages: 16 -> 96 @ 112 stride 2 -> 24, 24 -> 144 @ 56
    // stride 1 -> 24 with the residual, 24 -> 144 @ 56 stride 2 -> 32.
    run_case({1, 16, 96, 24, 112, 112, 2, 1, 1, 1, 1, true, false, 2, 2, 0}, rng);
    run_case({1, 24, 144, 24, 56, 56, 1, 1, 1, 1, 1, true, true, 2, 2, 0}, rng);
    run_case({1, 24, 144, 32, 56, 56, 2, 1, 1, 1, 1, true, false, 2, 2, 0}, rng);
    // Awkward counts (1, 7, 17, 129: not multiples of the tile rows; 256: the longest projection K), input channels
    // 1..64, odd and short planes (5 rows: one band; 13 and 61 rows: a short last band), both strides, asymmetric
    // and no padding, batch 2, every activation on each stage.
    const int64_t chans[] = {1, 7, 17, 256};
    const int64_t couts[] = {1, 7, 17, 129};
    const int64_t cins[] = {1, 3, 17, 64};
    const int64_t planes[][2] = {{56, 56}, {57, 61}, {13, 50}, {5, 40}, {61, 9}};
    const int64_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 1, 1, 0}, {1, 0, 0, 1}};
    int n = 0;
    for (int64_t ch : chans)
        for (int64_t cin : cins) {
            const int64_t* pl = planes[n % 5];
            const int64_t* pd = pads[(n / 2) % 4];
            run_case({1 + (n % 5 == 0 ? 1 : 0), cin, ch, couts[(n / 3) % 4], pl[0], pl[1], 1 + n % 2, pd[0], pd[1],
                      pd[2], pd[3], n % 3 != 0, n % 4 == 1, n % kNumActs, (n * 4 + 1) % kNumActs,
                      (n * 7 + 3) % kNumActs},
                     rng);
            ++n;
        }
}

TEST_CASE("x86 inverted_residual: which blocks the x86 targets fuse, and their bands", "[x86][invres]") {
    CHECK(x::inverted_residual_fits(96, 112, 112));
    CHECK(x::inverted_residual_fits(144, 56, 56));
    CHECK(x::inverted_residual_fits(48, 112, 112));
    CHECK(x::inverted_residual_fits(256, 56, 56));
    CHECK_FALSE(x::inverted_residual_fits(257, 56, 56));  // the projection's K in two blocks
    CHECK_FALSE(x::inverted_residual_fits(72, 56, 56));   // 0.9 MB expanded: the pair keeps it in L2
    CHECK_FALSE(x::inverted_residual_fits(83, 56, 56));
    CHECK(x::inverted_residual_fits(84, 56, 56));         // 1.05 MB
    CHECK(x::inverted_residual_band_rows(56) == 7);
    CHECK(x::inverted_residual_band_rows(112) == 7);
    CHECK(x::inverted_residual_band_rows(5) == 5);
    const x::InvertedResidualParams ip{1, 24, 144, 24, 56, 56, 56, 56, 1, 1, 1, 7};
    // A block's 9 expanded rows (whole panels in 192 KiB: 96 channels of 6-row panels, 84 of 14-row ones), every
    // channel's 2 carried rows, one band of depthwise output, + 16 for the alignment.
    for (int64_t mr : {6, 14}) {
        const int64_t block = mr == 6 ? 96 : 84;
        CHECK(x::inverted_residual_bands(ip, mr).block == block);
        CHECK(x::inverted_residual_workspace_floats(ip, mr) == block * 9 * 56 + 144 * 2 * 56 + 144 * 7 * 56 + 16);
    }
    // Stride 2 at 112: one carried row; a block of 15 rows takes 6.6 KiB a channel (24 / 28 channels).
    const x::InvertedResidualParams s2{1, 16, 96, 24, 112, 112, 56, 56, 2, 1, 1, 7};
    CHECK(x::inverted_residual_bands(s2, 6).block == 24);
    CHECK(x::inverted_residual_bands(s2, 14).block == 28);
    CHECK(x::inverted_residual_bands(s2, 6).c_floats == 96 * 112);
    // At most the channels rounded up to a panel, at least one panel (a 4096-wide plane).
    const x::InvertedResidualParams few{1, 16, 7, 24, 56, 56, 56, 56, 1, 1, 1, 7};
    CHECK(x::inverted_residual_bands(few, 6).block == 12);
    CHECK(x::inverted_residual_bands(few, 14).block == 14);
    const x::InvertedResidualParams wide{1, 16, 96, 24, 9, 4096, 9, 4096, 1, 1, 1, 7};
    CHECK(x::inverted_residual_bands(wide, 6).block == 6);
}
