// backends/x86/kernels/inverted_residual_cl.h (kiln.InvertedResidual on planes up to 16x16, channels in lanes):
// within the tolerance of the chain's length of three portable conv_fused calls (expansion, depthwise 3x3,
// projection), for both tile heights the kernel is instantiated with (the ISA's and conv_cl's alternative).
// MobileNetV2's small-plane blocks; channel counts that are and are not multiples of the panels (1, 7, 17, 129; 300
// expanded channels: two K blocks of the projection on 14x14, ten on 7x7), expansion K 1..256, planes from 1x1 to
// 16x16 (tiles crossing rows, a partial last tile), strides 1 and 2, symmetric, asymmetric, no and 2-pixel
// padding, batch 2, the residual (also in place), every activation on each stage, a NaN-filled workspace, nothing
// written outside the output. Also the rule, the K block and the workspace. Built once per ISA.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/inverted_residual_cl.h"
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
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

constexpr int kNr = Isa::kNv * Isa::kLanes;
constexpr int kAltMr = x::ClTileRows::alt(Isa::kLanes);

struct Case {
    int64_t batch, cin, ch, cout, h, w, stride, pad_t, pad_l, pad_b, pad_r;
    bool bias, residual, in_place;
    int act1, act2, act3;
};

// The kernel with tile height MR, a NaN-filled workspace off 64-byte alignment and a guard after the output.
template <int MR>
std::vector<float> run_kernel(const Case& c, const x::InvertedResidualParams& ip, const std::vector<float>& xs,
                              const std::vector<float>& packed, const x::IrClPacking& pk, const float* b1,
                              const float* b2, const std::vector<float>& z, const k::Epilogue& e1,
                              const k::Epilogue& e2, const k::Epilogue& e3) {
    const int64_t out = c.batch * c.cout * ip.out_h * ip.out_w;
    std::vector<float> ws(size_t(x::inverted_residual_cl_workspace_floats(ip, MR, kNr)) + 1, NAN);
    std::vector<float> got(size_t(out) + 16, 42.0f);
    const float* zp = nullptr;
    if (c.residual && c.in_place) {
        std::copy(z.begin(), z.end(), got.begin());
        zp = got.data();
    } else if (c.residual) {
        zp = z.data();
    }
    x::inverted_residual_cl<Isa, MR>(xs.data(), packed.data(), b1, packed.data() + pk.wd_offset,
                                     packed.data() + pk.w2_offset, b2, zp, got.data(), ip, e1, e2, e3, ws.data() + 1);
    for (size_t i = size_t(out); i < got.size(); ++i) REQUIRE(got[i] == 42.0f);
    got.resize(size_t(out));
    return got;
}

void run_case(const Case& c, std::mt19937& rng) {
    INFO("N " << c.batch << " Cin " << c.cin << " C " << c.ch << " Cout " << c.cout << " plane " << c.h << "x" << c.w
              << " stride " << c.stride << " pads " << c.pad_t << "," << c.pad_l << "," << c.pad_b << "," << c.pad_r
              << " bias " << c.bias << " residual " << c.residual << (c.in_place ? " in place" : "") << " acts "
              << c.act1 << "," << c.act2 << "," << c.act3);
    const k::Window w1 = window(c.h, c.w, 1, 1, 0, 0, 0, 0);
    const k::Window wd = window(c.h, c.w, 3, c.stride, c.pad_t, c.pad_l, c.pad_b, c.pad_r);
    const int64_t oh = wd.out[1], ow = wd.out[2];
    const k::Window w3 = window(oh, ow, 1, 1, 0, 0, 0, 0);
    const int64_t plane = c.h * c.w, out_plane = oh * ow;
    const k::ConvParams pw{c.batch, c.cin, c.ch, 1, w1}, dw{c.batch, c.ch, c.ch, c.ch, wd},
        pj{c.batch, c.ch, c.cout, 1, w3};
    const std::vector<float> xs = random_floats(c.batch * c.cin * plane, rng), w1s = random_floats(c.ch * c.cin, rng),
                             b1 = random_floats(c.ch, rng), wds = random_floats(c.ch * 9, rng),
                             bd = random_floats(c.ch, rng), w2s = random_floats(c.cout * c.ch, rng),
                             b2 = random_floats(c.cout, rng), z = random_floats(c.batch * c.cout * out_plane, rng);
    const k::Epilogue e1 = kActs[c.act1], e2 = kActs[c.act2], e3 = kActs[c.act3];
    const float* b1p = c.bias ? b1.data() : nullptr;
    const float* bdp = c.bias ? bd.data() : nullptr;
    const float* b2p = c.bias ? b2.data() : nullptr;
    // The reference: the portable convolutions.
    std::vector<float> pe(size_t(c.batch * c.ch * plane)), pd(size_t(c.batch * c.ch * out_plane)),
        want(size_t(c.batch * c.cout * out_plane));
    k::conv_fused(xs.data(), w1s.data(), b1p, static_cast<const float*>(nullptr), pe.data(), pw, e1);
    k::conv_fused(pe.data(), wds.data(), bdp, static_cast<const float*>(nullptr), pd.data(), dw, e2);
    k::conv_fused(pd.data(), w2s.data(), b2p, c.residual ? z.data() : nullptr, want.data(), pj, e3);
    const int64_t chain = c.ch * (c.cin + 9);  // every output sums ch x (cin + 9) products
    const x::IrClPacking pk = x::inverted_residual_cl_packing(c.cin, c.ch, c.cout, kNr);
    std::vector<float> packed(size_t(pk.floats), NAN);
    x::pack_inverted_residual_cl_weights(w1s.data(), wds.data(), bdp, w2s.data(), c.cin, c.ch, c.cout, out_plane, kNr,
                                         Isa::kLanes, packed.data());
    for (float v : packed) REQUIRE(!std::isnan(v));  // every float of the packing written (padding with 0)
    const x::InvertedResidualParams ip{c.batch, c.cin, c.ch, c.cout, c.h, c.w, oh, ow, c.stride, c.pad_t, c.pad_l, 0};
    {
        INFO("MR " << Isa::kMr);
        CHECK(count_bad(run_kernel<Isa::kMr>(c, ip, xs, packed, pk, b1p, b2p, z, e1, e2, e3), want, chain) == 0);
    }
    {
        INFO("MR " << kAltMr);
        CHECK(count_bad(run_kernel<kAltMr>(c, ip, xs, packed, pk, b1p, b2p, z, e1, e2, e3), want, chain) == 0);
    }
}

}  // namespace

TEST_CASE("x86 inverted_residual_cl: expansion, depthwise and projection with channels in lanes", "[x86][invres]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(29);
    // MobileNetV2's blocks on 14x14 and 7x7 (ReLU6 on the first two stages): 64 -> 384 -> 64 with the residual,
    // 96 -> 576 -> 160 stride 2, 160 -> 960 -> 320.
    run_case({1, 64, 384, 64, 14, 14, 1, 1, 1, 1, 1, true, true, false, 2, 2, 0}, rng);
    run_case({1, 96, 576, 160, 14, 14, 2, 1, 1, 1, 1, true, false, false, 2, 2, 0}, rng);
    run_case({1, 160, 960, 320, 7, 7, 1, 1, 1, 1, 1, true, false, false, 2, 2, 0}, rng);
    const int64_t chans[] = {1, 7, 17, 129, 300};
    const int64_t couts[] = {1, 7, 17, 129};
    const int64_t cins[] = {1, 3, 17, 256};
    const int64_t planes[][2] = {{14, 14}, {7, 7}, {16, 16}, {1, 1}, {3, 5}, {9, 2}, {13, 11}};
    const int64_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 1, 1, 0}, {1, 0, 0, 1}, {2, 2, 2, 2}};
    int n = 0;
    for (int64_t ch : chans)
        for (int64_t cin : cins) {
            const int64_t* pl = planes[n % 7];
            const int64_t* pd = pads[(n / 2) % 5];
            const int64_t stride = 1 + n % 2;
            // A plane the padding and the stride leave no output of: next pads.
            const int64_t* use = (pl[0] + pd[0] + pd[2] < 3 || pl[1] + pd[1] + pd[3] < 3) ? pads[0] : pd;
            run_case({1 + (n % 5 == 0 ? 1 : 0), cin, ch, couts[(n / 3) % 4], pl[0], pl[1], stride, use[0], use[1],
                      use[2], use[3], n % 3 != 0, n % 4 != 2, n % 8 == 1, n % kNumActs, (n * 4 + 1) % kNumActs,
                      (n * 7 + 3) % kNumActs},
                     rng);
            ++n;
        }
    // Rows narrower than the kernel: every output column's taps partly outside (2 wide, stride 2, padding on
    // the right only; 1 wide with padding on both sides).
    run_case({1, 5, 12, 9, 5, 2, 2, 0, 0, 1, 1, true, false, false, 2, 2, 0}, rng);
    run_case({2, 4, 20, 3, 2, 1, 2, 1, 1, 1, 1, true, true, false, 1, 3, 2}, rng);
    run_case({1, 4, 20, 3, 4, 2, 1, 0, 0, 0, 1, false, false, false, 0, 0, 0}, rng);
}

TEST_CASE("x86 inverted_residual_cl: the blocks it takes, its K block and its workspace", "[x86][invres]") {
    CHECK(x::inverted_residual_cl_fits(64, 14, 14, 1));
    CHECK(x::inverted_residual_cl_fits(96, 14, 14, 2));
    CHECK(x::inverted_residual_cl_fits(160, 7, 7, 1));
    CHECK(x::inverted_residual_cl_fits(256, 16, 16, 1));
    CHECK_FALSE(x::inverted_residual_cl_fits(257, 7, 7, 1));  // the expansion's K in two blocks
    CHECK_FALSE(x::inverted_residual_cl_fits(32, 28, 28, 1));  // a panel of the plane past L1
    CHECK_FALSE(x::inverted_residual_cl_fits(32, 16, 17, 1));
    CHECK_FALSE(x::inverted_residual_cl_fits(32, 14, 14, 3));
    CHECK_FALSE(x::inverted_residual_cl_fits(0, 14, 14, 1));
    // conv_cl's K block on 7x7 (32 on AVX2, 256 on AVX-512), 256 on larger output planes.
    CHECK(x::inverted_residual_cl_k_block(49, 16) == 32);
    CHECK(x::inverted_residual_cl_k_block(49, 32) == 256);
    CHECK(x::inverted_residual_cl_k_block(196, 16) == 256);
    CHECK(x::inverted_residual_cl_k_block(65, 16) == 256);
    // 64 -> 384 -> 64 on 14x14, AVX2 (MR 6, NR 16): two expanded panels of 196 pixels, a zero row of 14 pixels,
    // the depthwise output (198 rows of 384), the sums (206 rows of 64), X in 33 tiles of 6 pixels, + 16.
    const x::InvertedResidualParams ip{1, 64, 384, 64, 14, 14, 14, 14, 1, 1, 1, 0};
    const int64_t e = 196 * 16, zr = 14 * 16, d = 198 * 384, s = 206 * 64, xp = 198 * 64;
    CHECK(x::inverted_residual_cl_workspace_floats(ip, 6, 16) == 2 * e + zr + d + s + xp + 16);
    const x::IrClPacking pk = x::inverted_residual_cl_packing(64, 384, 64, 16);
    CHECK(pk.wd_offset == 384 * 64);
    CHECK(pk.w2_offset == 384 * 64 + 384 * 10);
    CHECK(pk.floats == 384 * 64 + 384 * 10 + 64 * 384);
    // Channels padded to whole panels: 100 -> 112 (AVX2), 128 (AVX-512); 17 outputs -> 32.
    const x::IrClPacking odd = x::inverted_residual_cl_packing(24, 100, 17, 32);
    CHECK(odd.wd_offset == 128 * 24);
    CHECK(odd.floats == 128 * 24 + 128 * 10 + 32 * 100);
}
