// backends/x86/kernels/conv_packed.h and conv_cl.h (every case runs both) against the portable conv_fused with the same epilogue: awkward
// channel counts (1, 3, 7, 17, 129), kernels 1x1 3x3 5x5 7x7 1x3, strides 1 and 2, symmetric and
// asymmetric padding, dilation 2, groups, batch 2, planes 1x1 7x7 13x11 (and >= 196 pixels for the
// in-place 1x1 path), K across several K blocks, residual in place, every activation; 1-D convs. Built once
// per ISA like gemm_packed_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/conv_cl.h"
#include "backends/x86/kernels/conv_packed.h"
#include "conv_test_support.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::kActs;
using kiln::test_x86::kNumActs;
using kiln::test_x86::count_bad;
using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

// conv_packed's second tile (pack.h) for this ISA.
constexpr int kRowMr = Isa::kLanes == 16 ? x::Avx512Tile::kRowMr : x::Avx2Tile::kRowMr;
constexpr int kRowNv = (Isa::kLanes == 16 ? x::Avx512Tile::kRowNr : x::Avx2Tile::kRowNr) / Isa::kLanes;
// conv_cl's other tile height (pack.h conv_cl_mr).
constexpr int kClAltMr = x::ClTileRows::alt(Isa::kLanes);

struct Case {
    int64_t batch, cin, cout, groups;
    int64_t h, w, kh, kw;
    int64_t sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;  // padding top, left, bottom, right
    bool bias, z, in_place;
    k::Epilogue act;
};

// One conv_packed call against conv_fused (same operands, same epilogue). h == 1 with kh == 1 is a 1-D
// conv (window dims 0 and 1 are 1).
// conv_packed<Isa, MR, NV> on one case (weights packed for MR, workspace for NV vectors) against want.
// conv_cl with MR output pixels per tile against want.
template <int MR>
void run_conv_cl(const Case& c, const k::ConvParams& p, const std::vector<float>& xs, const std::vector<float>& w,
                 const std::vector<float>& bias, const std::vector<float>& z, const std::vector<float>& want,
                 int64_t kk) {
    const k::Window& win = p.win;
    const int64_t cig = c.cin / c.groups, npix = win.out[1] * win.out[2];
    constexpr int64_t nr = Isa::kNv * Isa::kLanes;
    std::vector<float> packed_cl(static_cast<size_t>(x::conv_packed_weight_floats(c.cout, kk, c.groups, nr)), -7.0f);
    x::pack_conv_cl_weights(w.data(), c.cout, cig, c.kh * c.kw, c.groups, nr, packed_cl.data());
    std::vector<float> ws_cl(
        static_cast<size_t>(x::conv_cl_workspace_floats(npix, cig, c.kh * c.kw, c.cout / c.groups, MR, nr)),
        std::nanf(""));
    std::vector<float> got_cl = c.in_place ? z : std::vector<float>(want.size(), -3.0f);
    const float* zp_cl = c.z ? (c.in_place ? got_cl.data() : z.data()) : nullptr;
    x::conv_cl<Isa, MR>(xs.data(), packed_cl.data(), c.bias ? bias.data() : nullptr, zp_cl, got_cl.data(), p, c.act,
                        ws_cl.data());
    INFO("conv_cl, " << MR << " pixels per tile");
    CHECK(count_bad(got_cl, want, kk) == 0);
}

template <int MR, int NV>
void run_conv_packed(const Case& c, const k::ConvParams& p, const std::vector<float>& xs, const std::vector<float>& w,
                     const std::vector<float>& bias, const std::vector<float>& z, const std::vector<float>& want,
                     int64_t kk) {
    const int64_t cig = c.cin / c.groups;
    std::vector<float> packed(static_cast<size_t>(x::conv_packed_weight_floats(c.cout, kk, c.groups, MR)), -7.0f);
    x::pack_conv_weights(w.data(), c.cout, cig, c.kh * c.kw, c.groups, MR, packed.data());
    const int64_t ws_floats =
        x::conv_packed_workspace_floats(&p.win.in[1], &p.win.out[1], &p.win.kernel[1], &p.win.stride[1],
                                        &p.win.dilation[1], &p.win.pad[1], cig, NV * Isa::kLanes);
    std::vector<float> ws(static_cast<size_t>(ws_floats), std::nanf(""));
    std::vector<float> got = c.in_place ? z : std::vector<float>(want.size(), -3.0f);
    const float* zp = c.z ? (c.in_place ? got.data() : z.data()) : nullptr;
    x::conv_packed<Isa, MR, NV>(xs.data(), packed.data(), c.bias ? bias.data() : nullptr, zp, got.data(), p, c.act,
                                ws_floats ? ws.data() : nullptr);
    INFO("conv_packed " << MR << " x " << NV);
    CHECK(count_bad(got, want, kk) == 0);
}

void check_conv(const Case& c, std::mt19937& rng) {
    const int64_t oh = (c.h + c.pt + c.pb - c.dh * (c.kh - 1) - 1) / c.sh + 1;
    const int64_t ow = (c.w + c.pl + c.pr - c.dw * (c.kw - 1) - 1) / c.sw + 1;
    INFO("N " << c.batch << " Cin " << c.cin << " Cout " << c.cout << " groups " << c.groups << " in " << c.h << "x"
              << c.w << " kernel " << c.kh << "x" << c.kw << " stride " << c.sh << "," << c.sw << " dilation " << c.dh
              << "," << c.dw << " pads " << c.pt << "," << c.pl << "," << c.pb << "," << c.pr << " out " << oh << "x"
              << ow << " bias " << c.bias << " z " << c.z << " in place " << c.in_place << " act "
              << c.act.activation);
    REQUIRE(oh >= 1);
    REQUIRE(ow >= 1);
    const int64_t cig = c.cin / c.groups, kk = cig * c.kh * c.kw;
    const auto xs = random_floats(c.batch * c.cin * c.h * c.w, rng), w = random_floats(c.cout * kk, rng);
    const auto bias = random_floats(c.cout, rng), z = random_floats(c.batch * c.cout * oh * ow, rng);
    const k::ConvParams p{c.batch, c.cin, c.cout, c.groups,
                          k::Window{{1, c.h, c.w}, {1, oh, ow}, {1, c.kh, c.kw}, {1, c.sh, c.sw}, {1, c.dh, c.dw},
                                    {0, c.pt, c.pl}}};
    std::vector<float> want(static_cast<size_t>(c.batch * c.cout * oh * ow));
    k::conv_fused(xs.data(), w.data(), c.bias ? bias.data() : nullptr, c.z ? z.data() : nullptr, want.data(), p,
                  c.act);

    // conv_packed with its default tile and with the second one of pack.h (both ISAs run both, whichever the
    // backend picks), workspace garbage-filled.
    run_conv_packed<Isa::kMr, Isa::kNv>(c, p, xs, w, bias, z, want, kk);
    run_conv_packed<kRowMr, kRowNv>(c, p, xs, w, bias, z, want, kk);

    // conv_cl with both tile heights (pack.h conv_cl_mr picks per plane): weights in panels of NR output
    // channels, its own workspace (garbage-filled: nothing may depend on it being zero).
    run_conv_cl<Isa::kMr>(c, p, xs, w, bias, z, want, kk);
    run_conv_cl<kClAltMr>(c, p, xs, w, bias, z, want, kk);
}

Case make(int64_t cin, int64_t cout, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t s, int64_t pad) {
    return Case{1, cin, cout, 1, h, w, kh, kw, s, s, 1, 1, pad, pad, pad, pad, true, false, false, kActs[1]};
}

}  // namespace

TEST_CASE("x86 pack_conv_weights packs each group in K blocks of panels", "[x86]") {
    // Cout 4, groups 2, k 3 (3 channels, 1x1), mr 3: group g = rows 2g, 2g+1 in one zero-padded panel of 3 x 3.
    float w[12];
    for (int i = 0; i < 12; ++i) w[i] = float(i + 1);
    REQUIRE(x::conv_packed_weight_floats(4, 3, 2, 3) == 18);
    float packed[18];
    x::pack_conv_weights(w, 4, 3, 1, 2, 3, packed);
    const float want[18] = {1, 4, 0, 2, 5, 0, 3, 6, 0, 7, 10, 0, 8, 11, 0, 9, 12, 0};
    for (int i = 0; i < 18; ++i) CHECK(packed[i] == want[i]);
    // Several K blocks (129 channels x 9 taps: 5 blocks of 26 channels, the last of 25), 17 rows in panels of 6:
    // block k0 holds every panel's rows [k0, k0 + kc), panel after panel.
    {
        const int64_t cout = 17, cin = 129, area = 9, k = cin * area, mr = 6, cog_pad = 18;
        std::vector<float> wv(static_cast<size_t>(cout * k)), pv(static_cast<size_t>(x::conv_packed_weight_floats(cout, k, 1, mr)), -1.0f);
        for (size_t i = 0; i < wv.size(); ++i) wv[i] = float(i % 1013) + 0.5f;
        x::pack_conv_weights(wv.data(), cout, cin, area, 1, mr, pv.data());
        const int64_t block = x::conv_k_block_channels(cin, area) * area;
        int64_t bad = 0;
        for (int64_t k0 = 0; k0 < k; k0 += block) {
            const int64_t kc = k - k0 < block ? k - k0 : block;
            for (int64_t row = 0; row < cog_pad; ++row)
                for (int64_t kk = 0; kk < kc; ++kk) {
                    const float got = pv[size_t(k0 * cog_pad + ((row / mr) * kc + kk) * mr + row % mr)];
                    const float expect = row < cout ? wv[size_t(row * k + k0 + kk)] : 0.0f;
                    if (got != expect) ++bad;
                }
        }
        CHECK(bad == 0);
    }
    // Workspace: none for an in-place 1x1 over >= 196 pixels, else one K block x NR.
    const int64_t in[2] = {16, 16}, out[2] = {16, 16}, one[2] = {1, 1}, zero[2] = {0, 0}, three[2] = {3, 3};
    CHECK(x::conv_packed_workspace_floats(in, out, one, one, one, zero, 64, 32) == 0);
    const int64_t out_small[2] = {15, 16};
    CHECK(x::conv_packed_workspace_floats(in, out_small, one, one, one, zero, 64, 32) == 64 * 32 + 16);
    // The threshold itself: 14 x 14 = 196 pixels in place, 13 x 15 = 195 on copied strips.
    const int64_t p196[2] = {14, 14}, p195[2] = {13, 15};
    CHECK(x::conv_packed_workspace_floats(p196, p196, one, one, one, zero, 64, 32) == 0);
    CHECK(x::conv_packed_workspace_floats(p195, p195, one, one, one, zero, 64, 32) == 64 * 32 + 16);
    CHECK(x::conv_packed_workspace_floats(in, out, three, one, one, one, 64, 32) ==
          x::conv_k_block_channels(64, 9) * 9 * 32 + 16);
    // K blocks hold whole channels and split K evenly: 129 channels x 9 taps = 1161 -> 5 blocks of 26.
    CHECK(x::conv_k_block_channels(129, 9) == 26);
    CHECK(x::conv_k_block_channels(3, 49) == 3);
    CHECK(x::conv_k_block_channels(1, 121) == 1);
}

TEST_CASE("x86 conv_packed matches the portable convolution over awkward sizes", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(61);
    const int64_t channels[] = {1, 3, 7, 17, 129};
    const int64_t kernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {1, 3}};
    const int64_t planes[][2] = {{1, 1}, {7, 7}, {13, 11}};
    int index = 0;
    for (int64_t cin : channels)
        for (int64_t cout : channels)
            for (const auto& kr : kernels) {
                const int i = index++;
                const auto& pl = planes[i % 3];
                const int64_t s = 1 + (i / 3) % 2;
                Case c = make(cin, cout, pl[0], pl[1], kr[0], kr[1], s, 0);
                // Padding: none, "same" (kernel / 2), or asymmetric (more at the end).
                const int pad_kind = (i / 2) % 3;
                if (pad_kind == 1) c.pt = c.pb = kr[0] / 2, c.pl = c.pr = kr[1] / 2;
                if (pad_kind == 2) c.pt = 0, c.pb = kr[0] / 2 + 1, c.pl = kr[1] / 2, c.pr = kr[1] / 2 + 1;
                // The kernel must fit the padded plane.
                if (c.h + c.pt + c.pb < c.kh) c.pt = c.pb = (c.kh - c.h + 1) / 2;
                if (c.w + c.pl + c.pr < c.kw) c.pl = c.pr = (c.kw - c.w + 1) / 2;
                c.batch = i % 4 == 3 ? 2 : 1;
                c.bias = i % 5 != 2;
                c.z = i % 3 == 1;
                c.in_place = c.z && i % 2 == 0;
                c.act = kActs[i % kNumActs];
                check_conv(c, rng);
            }
}

TEST_CASE("x86 conv_packed: groups, dilation, strides, asymmetric pads, 1-D", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(62);
    // Groups 2 and 4, channels per group not multiples of MR / NR.
    for (int64_t groups : {2, 4}) {
        for (int64_t cpg : {1, 3, 17}) {
            Case c = make(groups * cpg, groups * (cpg + 2), 13, 11, 3, 3, 1, 1);
            c.groups = groups;
            c.z = true;
            check_conv(c, rng);
            c.sh = c.sw = 2;
            c.act = kActs[6];
            check_conv(c, rng);
        }
    }
    // Depthwise-shaped groups (groups == channels) with a channel multiplier of 2.
    {
        Case c = make(7, 14, 7, 7, 3, 3, 1, 1);
        c.groups = 7;
        check_conv(c, rng);
    }
    // Dilation 2 (both dims, and only one), with padding.
    for (int64_t s : {1, 2}) {
        Case c = make(17, 19, 13, 11, 3, 3, s, 2);
        c.dh = c.dw = 2;
        check_conv(c, rng);
        c.dh = 1;
        c.pt = c.pb = 1;
        c.act = kActs[3];
        check_conv(c, rng);
    }
    // Asymmetric pads and strides per dim.
    {
        Case c = make(5, 17, 13, 11, 3, 5, 1, 0);
        c.pt = 2, c.pl = 0, c.pb = 0, c.pr = 3;
        c.sh = 2, c.sw = 1;
        check_conv(c, rng);
        c.sh = 1, c.sw = 2;
        c.pt = 0, c.pl = 4, c.pb = 1, c.pr = 0;
        check_conv(c, rng);
    }
    // Stride 3 (scalar gather path) and 4x4 stride 4 ("patchify").
    check_conv(make(3, 17, 13, 11, 3, 3, 3, 1), rng);
    check_conv(make(3, 16, 16, 16, 4, 4, 4, 0), rng);
    // Batch 2 with groups and residual.
    {
        Case c = make(8, 12, 7, 7, 3, 3, 1, 1);
        c.batch = 2, c.groups = 4, c.z = true;
        check_conv(c, rng);
    }
    // 1-D convolutions: [N, C, L] as a 1 x L plane (kernel 1 x 3, 1 x 5 with stride 2 and pads).
    {
        Case c = make(7, 17, 1, 40, 1, 3, 1, 0);
        c.pl = c.pr = 1;
        check_conv(c, rng);
        c.kw = 5, c.sw = 2, c.pl = 2, c.pr = 1;
        check_conv(c, rng);
        c.kw = 1, c.sw = 1, c.pl = c.pr = 0, c.w = 300;  // 1x1 over >= 196 pixels: read in place
        check_conv(c, rng);
    }
}

TEST_CASE("x86 conv_packed: K across several blocks, first-layer and in-place 1x1 shapes", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(63);
    // Cin 129, 3x3: K = 1161 in 5 blocks; every activation, residual (in place for some).
    for (int a = 0; a < kNumActs; ++a) {
        Case c = make(129, 17 + 2 * a, 7 + a % 3, 13 - a % 4, 3, 3, 1 + a % 2, 1);
        c.z = a % 2 == 0;
        c.in_place = a % 4 == 0;
        c.bias = a != 3;
        c.act = kActs[a];
        check_conv(c, rng);
    }
    // Cin 300 1x1 (K blocks of whole channels), small plane (strip copied) and large (read in place).
    {
        Case c = make(300, 33, 7, 7, 1, 1, 1, 0);
        c.z = c.in_place = true;
        c.act = kActs[2];
        check_conv(c, rng);
        c.h = 17, c.w = 19;  // 323 pixels
        check_conv(c, rng);
        c.h = c.w = 14;  // exactly kInPlaceMinPixels (196): read in place
        c.z = c.in_place = false;
        check_conv(c, rng);
        c.h = 13, c.w = 15;  // 195: copied strips
        check_conv(c, rng);
        // Read in place on small planes (<= kConvGroupMaxPixels): groups of kConvGroupPanels panels sweep the
        // strips together; two whole groups, a partial one and a partial last panel, over 2 K blocks, with a
        // residual in place; 32x32 = the largest grouped plane, 1025 pixels not grouped.
        const int64_t planes[3][2] = {{14, 14}, {32, 32}, {1, 1025}};
        for (const auto& hw : planes) {
            Case g = make(300, 2 * x::kConvGroupPanels * Isa::kMr + 5, hw[0], hw[1], 1, 1, 1, 0);
            g.z = g.in_place = hw[0] != 32;
            g.act = kActs[hw[0] == 1 ? 1 : 2];
            check_conv(g, rng);
        }
        // Read in place: 257 and 258 pixels (a last strip of 1-2 pixels) after 2 K blocks, with and without a
        // residual; 2000 pixels, K blocks of >= kConvPrefetchBFloats (the next strip's B rows prefetched).
        for (int64_t w : {257, 258, 2000}) {
            c.h = 1, c.w = w;
            c.z = w == 257;
            c.act = kActs[w == 257 ? 5 : 1];
            check_conv(c, rng);
        }
        c.h = c.w = 16;
        c.z = false;
        c.act = kActs[2];
        c.sh = c.sw = 2;  // 1x1 stride 2 (ResNet downsample): gathered
        check_conv(c, rng);
        // 1x1 stride 1 with padding only at the end: the output is larger than the input, so neither read in
        // place nor flattened (16x16 -> 17x17 = 289 pixels; 7x6 -> 8x8).
        c = make(19, 20, 16, 16, 1, 1, 1, 0);
        c.pb = c.pr = 1;
        check_conv(c, rng);
        c.h = 7, c.w = 6, c.pr = 2;
        check_conv(c, rng);
    }
    // First layers: 3 -> 64 7x7 s2 p3 (ResNet), 3 -> 32 3x3 s2 p1 (MobileNetV2) on odd planes.
    check_conv(make(3, 64, 37, 29, 7, 7, 2, 3), rng);
    check_conv(make(3, 32, 33, 35, 3, 3, 2, 1), rng);
    {
        Case c = make(3, 64, 33, 35, 3, 3, 2, 0);  // SqueezeNet 1.1: 3x3 s2, no pad
        c.act = kActs[6];
        check_conv(c, rng);
    }
    // 49- and 50-pixel outputs (AVX-512: the wide strip, 48 pixels in 3-vector tiles + 1-2 leftover pixels as
    // matrix-vector products): K over several blocks, rows 1..2*MR+3, residual in place, scalar activations.
    for (int a = 0; a < kNumActs; ++a) {
        const int64_t couts[] = {1, 5, 7, 8, 14, 17, 31, 2 * Isa::kMr + 3, 64};
        Case c = make(a % 2 ? 129 : 33, couts[a], 7, a % 3 == 2 ? 10 : 7, 3, 3, 1, 1);
        if (a % 3 == 2) c.h = 5;  // 5 x 10 = 50 pixels
        c.z = a % 2 == 0;
        c.in_place = a % 4 == 0;
        c.act = kActs[a];
        check_conv(c, rng);
    }
    {
        Case c = make(300, 40, 7, 7, 1, 1, 1, 0);  // 1x1 on 7x7 (copied strips, 2 K blocks)
        c.z = c.in_place = true;
        c.act = kActs[4];
        check_conv(c, rng);
        c = make(64, 36, 14, 14, 1, 1, 2, 0);  // 1x1 stride 2 down to 7x7
        check_conv(c, rng);
        c = make(24, 36, 14, 14, 3, 3, 2, 1);  // 3x3 stride 2 down to 7x7, groups 2 and 4
        c.groups = 2;
        check_conv(c, rng);
        c.groups = 4;
        c.batch = 2;
        check_conv(c, rng);
    }
    // In-place blocks that L2 holds run panels outer: groups 2, batch 2, a last panel of one row, a residual
    // read in place, a last strip of one pixel (17 x 17 = 289).
    {
        Case c = make(40, 2 * (2 * Isa::kMr + 1), 17, 17, 1, 1, 1, 0);
        c.groups = 2;
        c.batch = 2;
        c.z = c.in_place = true;
        c.act = kActs[3];
        check_conv(c, rng);
    }
    // Plane narrower than a vector and a single output pixel with many channels.
    check_conv(make(129, 7, 3, 2, 3, 3, 1, 1), rng);
    check_conv(make(17, 129, 1, 1, 1, 1, 1, 0), rng);
}

TEST_CASE("x86 conv_tile_for: 8 x 3 on AVX-512 only where 14-row panels pad and K is not short", "[x86]") {
    const auto tile = [](int64_t cog, int64_t k, int64_t npix, int64_t lanes) {
        const x::ConvTile t = x::conv_tile_for(cog, k, npix, lanes);
        return std::to_string(t.mr) + "x" + std::to_string(t.nr);
    };
    CHECK(tile(16, 64, 55 * 55, 16) == "8x48");    // SqueezeNet squeeze: 28 rows for 16 channels otherwise
    CHECK(tile(64, 147, 112 * 112, 16) == "8x48");  // ResNet-18 conv1: 70 rows for 64
    CHECK(tile(64, 16, 55 * 55, 16) == "14x32");    // K = 16: store-bound, 8 x 3 measured slower
    CHECK(tile(48, 256, 13 * 13, 16) == "14x32");   // 13x13: 48-pixel strips waste more than the rows save
    CHECK(tile(98, 256, 56 * 56, 16) == "14x32");   // whole 14-row panels
    CHECK(tile(16, 64, 55 * 55, 8) == "6x16");      // AVX2 keeps its tile
    // The lanes each tile computes: rows to whole panels, pixels to whole strips (a last strip of <= one
    // vector: one vector).
    CHECK(x::conv_tile_lanes(16, 3025, 14, 32, 16) == 28 * (94 * 32 + 32));
    CHECK(x::conv_tile_lanes(16, 3025, 8, 48, 16) == 16 * (63 * 48 + 16));
    CHECK(x::conv_tile_lanes(32, 49, 14, 32, 16) == 42 * 49);  // the wide 7x7 strip
}
