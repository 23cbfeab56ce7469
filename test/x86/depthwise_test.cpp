// backends/x86/kernels/depthwise.h against the portable grouped convolution (conv_fused with groups =
// channels): awkward channel counts and widths, strides 1 and 2, symmetric and one-sided padding,
// every activation, bias and residual. Built once per ISA like gemm_packed_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/depthwise.h"
#include "backends/x86/kernels/depthwise_generic.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

struct DwCase {
    int64_t batch, ch, ih, iw, stride, pad[4];  // top, left, bottom, right
    bool bias, z, in_place;
    k::Epilogue act;
};

// Runs one case against conv_fused; returns the number of mismatching outputs (-1: no output).
int64_t run_dw_case(const DwCase& t, std::mt19937& rng, int path) {
    const int64_t oh = (t.ih + t.pad[0] + t.pad[2] - 3) / t.stride + 1;
    const int64_t ow = (t.iw + t.pad[1] + t.pad[3] - 3) / t.stride + 1;
    if (t.ih + t.pad[0] + t.pad[2] < 3 || t.iw + t.pad[1] + t.pad[3] < 3) return -1;
    const auto xs = random_floats(t.batch * t.ch * t.ih * t.iw, rng), w = random_floats(t.ch * 9, rng);
    const auto bias = random_floats(t.ch, rng), z = random_floats(t.batch * t.ch * oh * ow, rng);
    const k::ConvParams p{t.batch, t.ch, t.ch, t.ch,
                          k::Window{{1, t.ih, t.iw}, {1, oh, ow}, {1, 3, 3}, {1, t.stride, t.stride}, {1, 1, 1},
                                    {0, t.pad[0], t.pad[1]}}};
    std::vector<float> want(static_cast<size_t>(t.batch * t.ch * oh * ow));
    k::conv_fused(xs.data(), w.data(), t.bias ? bias.data() : nullptr, t.z ? z.data() : nullptr, want.data(), p, t.act);
    // Guard zones around the output catch stores outside it.
    const size_t guard = 64;
    std::vector<float> got(want.size() + 2 * guard, -3.0f);
    float* y = got.data() + guard;
    const float* zp = nullptr;
    if (t.z && t.in_place) {
        std::copy(z.begin(), z.end(), y);
        zp = y;
    } else if (t.z) {
        zp = z.data();
    }
    const x::Depthwise3x3Params dp{t.batch, t.ch, t.ih, t.iw, oh, ow, t.stride, t.pad[0], t.pad[1]};
    // path 0: the row kernel (no workspace); 1: with the workspace the compiler reserves (the kernel's own
    // choice of path); 2: the channels-in-lanes path forced, on every shape.
    const int64_t ws_floats = path == 0 ? 0
                              : path == 1 ? x::depthwise3x3_workspace_floats(dp, Isa::kLanes)
                                          : x::depthwise3x3_hwc_rows(dp) * x::depthwise3x3_hwc_cols(dp) * Isa::kLanes + 16;
    // The workspace starts as NaN (a path reading scratch it did not write shows), then the guard zone.
    std::vector<float> ws(static_cast<size_t>(ws_floats) + guard, -7.0f);
    std::fill(ws.begin(), ws.begin() + ws_floats, std::nanf(""));
    if (path == 0) x::depthwise3x3<Isa>(xs.data(), w.data(), t.bias ? bias.data() : nullptr, zp, y, dp, t.act);
    else if (path == 1)
        x::depthwise3x3<Isa>(xs.data(), w.data(), t.bias ? bias.data() : nullptr, zp, y, dp, t.act,
                             ws_floats ? ws.data() : nullptr);
    else
        x::dw::depthwise3x3_hwc<Isa>(xs.data(), w.data(), t.bias ? bias.data() : nullptr, zp, y, dp, t.act, ws.data());
    int64_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i)
        if (!(std::fabs(y[i] - want[i]) <= 1e-5f * std::fabs(want[i]) + 1e-6f)) ++bad;
    for (size_t i = 0; i < guard; ++i) {
        if (got[i] != -3.0f) ++bad;
        if (got[guard + want.size() + i] != -3.0f) ++bad;
        if (ws[size_t(ws_floats) + i] != -7.0f) ++bad;  // nothing written past the workspace
    }
    return bad;
}

// Every path on one case.
int64_t run_dw_paths(const DwCase& t, std::mt19937& rng) {
    int64_t bad = 0;
    for (int path = 0; path < 3; ++path) {
        const int64_t b = run_dw_case(t, rng, path);
        if (b < 0) return -1;
        bad += b;
    }
    return bad;
}

const k::Epilogue kActs[] = {{k::kActNone, 0, 0},         {k::kActRelu, 0, 0},         {k::kActClip, 0.0f, 6.0f},
                             {k::kActHardSwish, 0, 0},    {k::kActSigmoid, 0, 0},      {k::kActLeakyRelu, 0.1f, 0},
                             {k::kActHardSigmoid, 0.2f, 0.5f}, {k::kActSilu, 0, 0},    {k::kActTanh, 0, 0}};

}  // namespace

TEST_CASE("x86 depthwise3x3 matches the portable grouped convolution", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(9);
    const int64_t channels[] = {1, 3, 7, 17, 129};
    const int64_t sizes[][2] = {{1, 1},  {2, 2},  {3, 7},   {4, 4},   {7, 7},    {8, 8},   {13, 11}, {7, 17},
                                {14, 14}, {5, 33}, {28, 28}, {9, 129}, {15, 35}, {56, 56}, {112, 28},
                                {5, 32}, {6, 64}, {3, 31}};
    const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 1, 1}, {1, 1, 0, 0}, {2, 0, 0, 2}, {0, 2, 1, 0}};
    int case_index = 0, checked = 0;
    for (int64_t ch : channels)
        for (const auto& hw : sizes)
            for (int64_t stride = 1; stride <= 2; ++stride)
                for (const auto& pad : pads) {
                    const int c = case_index++;
                    const bool with_z = c % 5 == 1 || c % 5 == 3;
                    const DwCase t{c % 4 == 0 ? 2 : 1, ch, hw[0], hw[1], stride, {pad[0], pad[1], pad[2], pad[3]},
                                   c % 3 != 2, with_z, with_z && c % 5 == 3, kActs[c % 9]};
                    INFO("C " << ch << " H " << hw[0] << " W " << hw[1] << " stride " << stride << " pads " << pad[0]
                              << pad[1] << pad[2] << pad[3] << " act " << t.act.activation << " z " << with_z
                              << " in place " << t.in_place);
                    const int64_t bad = run_dw_paths(t, rng);
                    if (bad < 0) continue;
                    CHECK(bad == 0);
                    ++checked;
                }
    CHECK(checked > 750);
}

TEST_CASE("x86 depthwise3x3 on the MobileNetV2 shapes, 129 channels and every activation", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(11);
    // {C, H, stride}, pad 1, ReLU6 + bias, as in MobileNetV2 (channels cut where it changes nothing).
    const int64_t shapes[][3] = {{32, 112, 1}, {5, 112, 2}, {9, 56, 1}, {9, 56, 2}, {129, 28, 1}, {17, 28, 2},
                                 {33, 14, 1},  {129, 14, 2}, {129, 7, 1}, {3, 7, 2}};
    for (const auto& s : shapes) {
        INFO("C " << s[0] << " H " << s[1] << " stride " << s[2]);
        const DwCase t{1, s[0], s[1], s[1], s[2], {1, 1, 1, 1}, true, false, false, {k::kActClip, 0.0f, 6.0f}};
        CHECK(run_dw_paths(t, rng) == 0);
    }
    // Inputs larger than L2 at stride 2: the row kernel's software prefetch (into the next plane and image
    // at the end of a plane: it must stay inside x).
    const DwCase big[] = {{1, 42, 113, 113, 2, {1, 1, 1, 1}, true, false, false, {k::kActClip, 0.0f, 6.0f}},
                          {2, 17, 120, 130, 2, {0, 1, 2, 0}, true, true, false, {k::kActHardSwish, 0, 0}}};
    for (const DwCase& t : big) {
        INFO("C " << t.ch << " H " << t.ih << " W " << t.iw << " batch " << t.batch);
        const int64_t oh = (t.ih + t.pad[0] + t.pad[2] - 3) / 2 + 1, ow = (t.iw + t.pad[1] + t.pad[3] - 3) / 2 + 1;
        CHECK(x::depthwise3x3_prefetches({t.batch, t.ch, t.ih, t.iw, oh, ow, 2, t.pad[0], t.pad[1]}));
        CHECK(run_dw_paths(t, rng) == 0);
    }
    for (int a = 0; a < 9; ++a)
        for (int64_t stride = 1; stride <= 2; ++stride) {
            INFO("act " << kActs[a].activation << " stride " << stride);
            const DwCase t{2, 3, 13, 11, stride, {1, 1, 1, 1}, true, true, a % 2 == 0, kActs[a]};
            CHECK(run_dw_paths(t, rng) == 0);
        }
}

TEST_CASE("x86 depthwise_generic matches the portable grouped convolution", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(13);
    struct Kernel {
        int64_t kh, kw, dil;
    };
    const Kernel kernels[] = {{5, 5, 1}, {7, 7, 1}, {3, 3, 2}, {1, 3, 1}, {3, 3, 1}};
    const int64_t channels[] = {1, 3, 17};
    const int64_t sizes[][2] = {{1, 1}, {7, 7}, {13, 11}, {40, 33}};
    const k::Epilogue acts[] = {{k::kActNone, 0, 0}, {k::kActRelu, 0, 0}, {k::kActClip, 0.0f, 6.0f},
                                {k::kActSigmoid, 0, 0}, {k::kActHardSwish, 0, 0}};
    int index = 0, checked = 0;
    for (const Kernel& kn : kernels)
        for (int64_t ch : channels)
            for (const auto& hw : sizes)
                for (int64_t stride = 1; stride <= 3; ++stride) {
                    const int c = index++;
                    const int64_t ext_h = (kn.kh - 1) * kn.dil + 1, ext_w = (kn.kw - 1) * kn.dil + 1;
                    // "same"-like padding, one-sided on odd cases
                    const int64_t pt = c % 2 ? ext_h / 2 : 0, pl = c % 3 ? ext_w / 2 : 0;
                    const int64_t pb = ext_h / 2, pr = c % 2 ? ext_w / 2 : 0;
                    const int64_t ih = hw[0], iw = hw[1];
                    if (ih + pt + pb < ext_h || iw + pl + pr < ext_w) continue;
                    const int64_t oh = (ih + pt + pb - ext_h) / stride + 1, ow = (iw + pl + pr - ext_w) / stride + 1;
                    const int64_t batch = c % 4 == 0 ? 2 : 1;
                    const bool with_bias = c % 3 != 2, with_z = c % 5 == 1, in_place = c % 10 == 1;
                    const k::Epilogue act = acts[c % 5];
                    INFO("C " << ch << " in " << ih << "x" << iw << " kernel " << kn.kh << "x" << kn.kw << " dil "
                              << kn.dil << " stride " << stride << " pads " << pt << pl << pb << pr << " act "
                              << act.activation);
                    const auto xs = random_floats(batch * ch * ih * iw, rng);
                    const auto w = random_floats(ch * kn.kh * kn.kw, rng);
                    const auto bias = random_floats(ch, rng), z = random_floats(batch * ch * oh * ow, rng);
                    const k::ConvParams p{batch, ch, ch, ch,
                                          k::Window{{1, ih, iw}, {1, oh, ow}, {1, kn.kh, kn.kw}, {1, stride, stride},
                                                    {1, kn.dil, kn.dil}, {0, pt, pl}}};
                    std::vector<float> want(static_cast<size_t>(batch * ch * oh * ow));
                    k::conv_fused(xs.data(), w.data(), with_bias ? bias.data() : nullptr, with_z ? z.data() : nullptr,
                                  want.data(), p, act);
                    // The row kernel (no workspace) and the channels-in-lanes path (NaN-filled workspace).
                    const int64_t ws_floats = x::depthwise_generic_workspace_floats(
                        &p.win.in[1], &p.win.out[1], &p.win.kernel[1], &p.win.stride[1], &p.win.dilation[1],
                        &p.win.pad[1], Isa::kLanes);
                    REQUIRE(ws_floats > 0);
                    for (int path = 0; path < 2; ++path) {
                        INFO((path ? "channels in lanes" : "row kernel"));
                        std::vector<float> ws(static_cast<size_t>(ws_floats), std::nanf(""));
                        std::vector<float> got(want.size(), -3.0f);
                        if (in_place && with_z) got = z;
                        const float* zp = with_z ? (in_place ? got.data() : z.data()) : nullptr;
                        x::depthwise_generic<Isa>(xs.data(), w.data(), with_bias ? bias.data() : nullptr, zp,
                                                  got.data(), p, act, path ? ws.data() + 1 : nullptr);
                        int64_t bad = 0;
                        for (size_t i = 0; i < got.size(); ++i)
                            if (!(std::fabs(got[i] - want[i]) <= 1e-5f * std::fabs(want[i]) + 1e-5f)) ++bad;
                        CHECK(bad == 0);
                    }
                    ++checked;
                }
    CHECK(checked > 100);
}
