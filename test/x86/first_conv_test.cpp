// backends/x86/kernels/first_conv.h (first layers: 1..4 input channels) against the portable conv_fused with
// the same epilogue: Cin 1..4, Cout 1 3 7 17 64 129, kernels 1x1 3x3 5x5 7x7, strides 1 2 3, pads 0 1 3 and
// asymmetric, dilation, planes 1x1 .. 40 wide and odd, batch 2, residual (in place too), every activation,
// workspace filled with NaN; 150 random shapes (strides 1..4, dilations 1..3, pads 0..3 per side). Also the
// packing layout and the size helpers of first_conv_pack.h. Built once per ISA like gemm_packed_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/first_conv.h"
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

struct Case {
    int64_t batch, cin, cout;
    int64_t h, w, kh, kw;
    int64_t sh, sw, dh, dw;
    int64_t pt, pl, pb, pr;  // padding top, left, bottom, right
    bool bias, z, in_place;
    k::Epilogue act;
};

void check_first_conv(const Case& c, std::mt19937& rng) {
    const int64_t oh = (c.h + c.pt + c.pb - c.dh * (c.kh - 1) - 1) / c.sh + 1;
    const int64_t ow = (c.w + c.pl + c.pr - c.dw * (c.kw - 1) - 1) / c.sw + 1;
    INFO("N " << c.batch << " Cin " << c.cin << " Cout " << c.cout << " in " << c.h << "x" << c.w << " kernel "
              << c.kh << "x" << c.kw << " stride " << c.sh << "," << c.sw << " dilation " << c.dh << "," << c.dw
              << " pads " << c.pt << "," << c.pl << "," << c.pb << "," << c.pr << " out " << oh << "x" << ow
              << " bias " << c.bias << " z " << c.z << " in place " << c.in_place << " act " << c.act.activation);
    REQUIRE(oh >= 1);
    REQUIRE(ow >= 1);
    REQUIRE(x::first_conv_fits(c.cin, 1, c.kh, c.kw));
    const int64_t area = c.kh * c.kw, kk = c.cin * area;
    const auto xs = random_floats(c.batch * c.cin * c.h * c.w, rng), w = random_floats(c.cout * kk, rng);
    const auto bias = random_floats(c.cout, rng), z = random_floats(c.batch * c.cout * oh * ow, rng);
    const k::ConvParams p{c.batch, c.cin, c.cout, 1,
                          k::Window{{1, c.h, c.w}, {1, oh, ow}, {1, c.kh, c.kw}, {1, c.sh, c.sw}, {1, c.dh, c.dw},
                                    {0, c.pt, c.pl}}};
    std::vector<float> want(static_cast<size_t>(c.batch * c.cout * oh * ow));
    k::conv_fused(xs.data(), w.data(), c.bias ? bias.data() : nullptr, c.z ? z.data() : nullptr, want.data(), p,
                  c.act);

    const int co = x::first_conv_co(Isa::kLanes);
    REQUIRE(co == x::FirstConvBlock<Isa>::kCo);
    std::vector<float> packed(static_cast<size_t>(x::first_conv_weight_floats(c.cout, c.cin, area, co)), -7.0f);
    x::pack_first_conv_weights(w.data(), c.cout, c.cin, area, co, packed.data());
    // Workspace full of NaN, offset by one float (the kernel aligns it itself).
    const int64_t ws_floats = x::first_conv_workspace_floats(&p.win.out[1], &p.win.kernel[1], &p.win.stride[1],
                                                             &p.win.dilation[1], c.cin, Isa::kLanes);
    std::vector<float> ws(static_cast<size_t>(ws_floats + 1), std::nanf(""));
    std::vector<float> got = c.in_place ? z : std::vector<float>(want.size(), -3.0f);
    const float* zp = c.z ? (c.in_place ? got.data() : z.data()) : nullptr;
    x::first_conv<Isa>(xs.data(), packed.data(), c.bias ? bias.data() : nullptr, zp, got.data(), p, c.act,
                       ws.data() + 1);
    CHECK(count_bad(got, want, kk) == 0);
}

Case make(int64_t cin, int64_t cout, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t s, int64_t pad) {
    return Case{1, cin, cout, h, w, kh, kw, s, s, 1, 1, pad, pad, pad, pad, true, false, false, kActs[1]};
}

}  // namespace

TEST_CASE("x86 first_conv_pack: packing layout, sizes, fits", "[x86]") {
    // Cout 5, Cin 1, 1x2 kernel (K 2), co 4: blocks of 4 channels x 2 taps, tap-major, zero past Cout.
    const float w[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    REQUIRE(x::first_conv_weight_floats(5, 1, 2, 4) == 16);
    float packed[16];
    x::pack_first_conv_weights(w, 5, 1, 2, 4, packed);
    const float expect[16] = {1, 3, 5, 7, 2, 4, 6, 8, 9, 0, 0, 0, 10, 0, 0, 0};
    for (int i = 0; i < 16; ++i) CHECK(packed[i] == expect[i]);
    CHECK(x::first_conv_fits(3, 1, 7, 7));
    CHECK(x::first_conv_fits(4, 1, 7, 7));
    CHECK_FALSE(x::first_conv_fits(5, 1, 3, 3));
    CHECK_FALSE(x::first_conv_fits(3, 3, 3, 3));
    CHECK_FALSE(x::first_conv_fits(3, 1, 11, 11));
    // ResNet-18 conv1 (112 wide, 7x7 stride 2): 112 + 3 + 1 -> 128 floats per phase row, 7 ring rows.
    CHECK(x::first_conv_row_floats(112, 7, 2, 1, 16) == 128);
    CHECK(x::first_conv_row_floats(111, 3, 2, 1, 8) == 128);
    const int64_t out[2] = {112, 112}, kern[2] = {7, 7}, stride[2] = {2, 2}, dil[2] = {1, 1};
    CHECK(x::first_conv_workspace_floats(out, kern, stride, dil, 3, 16) == 3 * 7 * 2 * 128 + 16);
    // Within the ~256 KiB budget for any layer that fits and 224-wide outputs.
    const int64_t big_out[2] = {224, 224}, big_k[2] = {9, 9}, one[2] = {1, 1};
    CHECK(x::first_conv_workspace_floats(big_out, big_k, one, one, 3, 16) * 4 <= 256 * 1024);
}

TEST_CASE("x86 first_conv matches the portable convolution over awkward sizes", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(71);
    const int64_t couts[] = {1, 3, 7, 17, 64, 129};
    const int64_t kernels[] = {1, 3, 5, 7};
    const int64_t planes[][2] = {{1, 1}, {7, 9}, {13, 11}, {17, 40}, {23, 33}};
    int index = 0;
    for (int64_t cin = 1; cin <= 4; ++cin)
        for (int64_t cout : couts)
            for (int64_t kr : kernels) {
                const int i = index++;
                const auto& pl = planes[i % 5];
                const int64_t s = 1 + (i / 5) % 2;
                Case c = make(cin, cout, pl[0], pl[1], kr, kr, s, 0);
                // Padding: none, 1, 3, "same" or asymmetric (more at the end, or only at the start).
                const int pad_kind = (i / 2) % 5;
                if (pad_kind == 1) c.pt = c.pb = c.pl = c.pr = 1;
                if (pad_kind == 2) c.pt = c.pb = c.pl = c.pr = 3;
                if (pad_kind == 3) c.pt = c.pb = c.pl = c.pr = kr / 2;
                if (pad_kind == 4) c.pt = 0, c.pb = kr / 2 + 1, c.pl = kr / 2 + 1, c.pr = 0;
                // The kernel must fit the padded plane.
                if (c.h + c.pt + c.pb < c.kh) c.pt = c.pb = (c.kh - c.h + 1) / 2;
                if (c.w + c.pl + c.pr < c.kw) c.pl = c.pr = (c.kw - c.w + 1) / 2;
                c.batch = i % 4 == 3 ? 2 : 1;
                c.bias = i % 5 != 2;
                c.z = i % 3 == 1;
                c.in_place = c.z && i % 2 == 0;
                c.act = kActs[i % kNumActs];
                check_first_conv(c, rng);
            }
}

TEST_CASE("x86 first_conv: network shapes, strides, dilation, rows of every vector count", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(72);
    // First layers on odd planes: ResNet (7x7 s2 p3), MobileNetV2 (3x3 s2 p1, Clip), SqueezeNet (3x3 s2 p0).
    check_first_conv(make(3, 64, 37, 29, 7, 7, 2, 3), rng);
    {
        Case c = make(3, 32, 33, 35, 3, 3, 2, 1);
        c.act = kActs[2];
        check_first_conv(c, rng);
        c = make(3, 64, 33, 35, 3, 3, 2, 0);
        c.z = c.in_place = true;
        check_first_conv(c, rng);
    }
    // Output rows of 1 .. 8 vectors (+ a partial one): every chunking of the row, each activation.
    for (int64_t ow = 1; ow <= 8 * Isa::kLanes + 3; ow += 5) {
        Case c = make(3, 17, 5, ow, 3, 3, 1, 1);
        c.act = kActs[ow % kNumActs];
        c.z = ow % 2 == 0;
        check_first_conv(c, rng);
        c.sh = c.sw = 2;
        c.w = 2 * ow + 1;
        check_first_conv(c, rng);
    }
    // Strides 3 and 4 (scalar row copy), per-dim strides, dilation 2, asymmetric pads, 1-D.
    check_first_conv(make(3, 17, 13, 11, 3, 3, 3, 1), rng);
    check_first_conv(make(4, 16, 16, 16, 4, 4, 4, 0), rng);
    {
        Case c = make(2, 7, 13, 19, 3, 5, 1, 0);
        c.sh = 2, c.sw = 1, c.pt = 2, c.pl = 0, c.pb = 0, c.pr = 3;
        check_first_conv(c, rng);
        c.sh = 1, c.sw = 2, c.pt = 0, c.pl = 4, c.pb = 1, c.pr = 0;
        check_first_conv(c, rng);
        c.dh = c.dw = 2;
        c.pt = c.pb = c.pl = c.pr = 2;
        check_first_conv(c, rng);
        c.sh = c.sw = 2;
        c.dh = 1;
        check_first_conv(c, rng);
    }
    {
        Case c = make(1, 17, 1, 40, 1, 5, 2, 0);  // 1-D, [N, C, L] as a 1 x L plane
        c.pl = 2, c.pr = 1;
        check_first_conv(c, rng);
    }
    // Batch 2, residual in place, 129 output channels (a partial last block).
    {
        Case c = make(4, 129, 9, 10, 5, 5, 2, 2);
        c.batch = 2, c.z = c.in_place = true;
        c.act = kActs[7];
        check_first_conv(c, rng);
    }
}

TEST_CASE("x86 first_conv: random shapes", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(73);
    std::uniform_int_distribution<int> u(0, 1 << 20);
    for (int i = 0; i < 150; ++i) {
        const auto pick = [&](int lo, int hi) { return int64_t(lo + u(rng) % (hi - lo + 1)); };
        Case c = make(pick(1, 4), pick(1, 40), pick(1, 30), pick(1, 45), pick(1, 7), pick(1, 7), 1, 0);
        c.sh = pick(1, 4), c.sw = pick(1, 4), c.dh = pick(1, 3), c.dw = pick(1, 3);
        c.pt = pick(0, 3), c.pb = pick(0, 3), c.pl = pick(0, 3), c.pr = pick(0, 3);
        // Grow the plane until the dilated kernel fits the padded input.
        while (c.h + c.pt + c.pb < c.dh * (c.kh - 1) + 1) ++c.h;
        while (c.w + c.pl + c.pr < c.dw * (c.kw - 1) + 1) ++c.w;
        c.batch = pick(1, 2);
        c.bias = pick(0, 3) != 0;
        c.z = pick(0, 2) == 0;
        c.in_place = c.z && pick(0, 1) == 1;
        c.act = kActs[pick(0, kNumActs - 1)];
        check_first_conv(c, rng);
    }
}
