// backends/x86/kernels/winograd4.h (F(4x4, 3x3)) against the portable convolution: channels 1, 3, 7, 17, 129
// (in and out: not multiples of the tile rows or vectors), planes 1..56 (not multiples of 4, narrower and
// wider than a vector of tiles), padding 0/1/asymmetric, block sizes from one tile row to all, batch 2,
// bias, residual (also aliasing y) and every activation. Built once per ISA like winograd_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/winograd4.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

std::vector<float> absolute(std::vector<float> v) {
    for (float& f : v) f = std::fabs(f);
    return v;
}

}  // namespace

// Tolerance: F(4,3)'s transforms multiply by up to 8 (A), 5 (B) and 1/24..1/4 (G), and each of the 36
// products is a sum over Cin of terms far larger than the final output (the transforms cancel them), so the
// float error is a small multiple of eps times the sum of |x| |w| over the 3x3xCin window (measured worst
// ratio 5.7e-6 here on both ISAs, ~50 ulps; F(2,3) about 9x less, see backends/x86/README.md). The check:
// |error| <= 2e-5 x (sum |x||w| + |bias| + |z| + 1), a relative bound on the magnitude of the terms, not the
// result (which can be near 0 by cancellation). Activations are at most 1.5-Lipschitz.
TEST_CASE("x86 winograd4x4_3x3 matches the portable convolution", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(43);
    struct Case {
        int64_t cin, cout, ih, iw;
    };
    const Case cases[] = {{1, 1, 1, 1},     {3, 7, 3, 3},     {7, 3, 4, 4},      {17, 1, 5, 5},    {1, 17, 7, 7},
                          {129, 7, 13, 13}, {7, 129, 14, 14}, {3, 17, 28, 28},   {17, 3, 56, 56},  {17, 129, 13, 14},
                          {129, 17, 5, 7},  {7, 7, 4, 13},    {129, 129, 14, 14}, {3, 3, 56, 28},  {1, 3, 1, 7},
                          {7, 1, 3, 28},    {16, 64, 56, 56}, {3, 7, 29, 70},    {17, 17, 7, 4}};
    const int64_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 0, 2, 2}, {2, 1, 0, 1}};  // top, left, bottom, right
    const k::Epilogue acts[] = {{k::kActNone, 0, 0},       {k::kActRelu, 0, 0},       {k::kActClip, 0.0f, 6.0f},
                                {k::kActHardSwish, 0, 0},  {k::kActSigmoid, 0, 0},    {k::kActLeakyRelu, 0.1f, 0},
                                {k::kActTanh, 0, 0},       {k::kActSilu, 0, 0},       {k::kActHardSigmoid, 0.2f, 0.5f}};
    const int n_acts = int(sizeof(acts) / sizeof(acts[0]));
    const float tol = 2e-5f;
    int index = 0, checked = 0;
    double worst = 0.0;
    for (const Case& cs : cases)
        for (const auto& pad : pads) {
            const int c = index++;
            const int64_t oh = cs.ih + pad[0] + pad[2] - 2, ow = cs.iw + pad[1] + pad[3] - 2;
            if (oh < 1 || ow < 1) continue;
            const int64_t batch = c % 3 == 0 ? 2 : 1;
            const bool with_bias = c % 4 != 3, with_z = c % 3 != 2, in_place = c % 2 == 1;
            const k::Epilogue act = acts[c % n_acts];
            // Blocks: the whole plane, one tile row, two, or what winograd4_block_rows picks.
            const int64_t th = x::winograd4_tiles(oh);
            const int64_t block_rows = c % 4 == 0   ? th
                                       : c % 4 == 1 ? 1
                                       : c % 4 == 2 ? (th < 2 ? th : 2)
                                                    : x::winograd4_block_rows(cs.cin, cs.cout, oh, ow, Isa::kLanes);
            INFO("Cin " << cs.cin << " Cout " << cs.cout << " in " << cs.ih << "x" << cs.iw << " pads " << pad[0]
                        << pad[1] << pad[2] << pad[3] << " act " << act.activation << " block rows " << block_rows
                        << " batch " << batch << " bias " << with_bias << " residual " << with_z
                        << (in_place ? " in place" : ""));
            const auto xs = random_floats(batch * cs.cin * cs.ih * cs.iw, rng);
            const auto w = random_floats(cs.cout * cs.cin * 9, rng);
            const auto bias = random_floats(cs.cout, rng);
            const auto z = random_floats(batch * cs.cout * oh * ow, rng);
            const k::ConvParams p{batch, cs.cin, cs.cout, 1,
                                  k::Window{{1, cs.ih, cs.iw}, {1, oh, ow}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
                                            {0, pad[0], pad[1]}}};
            const k::Epilogue none{k::kActNone, 0, 0};
            std::vector<float> want(static_cast<size_t>(batch * cs.cout * oh * ow));
            k::conv_fused(xs.data(), w.data(), with_bias ? bias.data() : nullptr, with_z ? z.data() : nullptr,
                          want.data(), p, act);
            // The magnitude of the terms of each output: the same convolution of |x| and |w|, + |bias| + |z|.
            std::vector<float> mag(want.size());
            const auto ax = absolute(xs), aw = absolute(w), ab = absolute(bias), az = absolute(z);
            k::conv_fused(ax.data(), aw.data(), with_bias ? ab.data() : nullptr, with_z ? az.data() : nullptr,
                          mag.data(), p, none);
            std::vector<float> packed(static_cast<size_t>(x::winograd4_packed_floats(cs.cout, cs.cin, Isa::kMr)));
            x::winograd4_pack_weights(w.data(), cs.cout, cs.cin, Isa::kMr, packed.data());
            // NaN scratch: a lane of garbage that reached an output would show.
            std::vector<float> ws(static_cast<size_t>(
                                      x::winograd4_workspace_floats(cs.cin, cs.cout, ow, block_rows, Isa::kLanes)),
                                  std::numeric_limits<float>::quiet_NaN());
            std::vector<float> got(want.size(), -3.0f);
            if (in_place && with_z) got = z;
            const float* zp = with_z ? (in_place ? got.data() : z.data()) : nullptr;
            x::winograd4x4_3x3<Isa>(xs.data(), packed.data(), with_bias ? bias.data() : nullptr, zp, got.data(),
                                    x::WinogradParams{batch, cs.cin, cs.cout, cs.ih, cs.iw, oh, ow, pad[0], pad[1],
                                                      block_rows},
                                    act, ws.data());
            int64_t bad = 0;
            for (size_t i = 0; i < got.size(); ++i) {
                const double ratio = std::fabs(double(got[i]) - double(want[i])) / (double(mag[i]) + 1.0);
                if (!(ratio <= tol)) ++bad;
                if (ratio > worst) worst = ratio;
            }
            CHECK(bad == 0);
            ++checked;
        }
    CHECK(checked >= 60);
    INFO("worst |error| / (sum |x||w| + |bias| + |z| + 1): " << worst);
    CHECK(worst <= tol);
    CHECK(worst > 0.0);  // the tolerance is not vacuous: Winograd does round differently
}

// Every strip shape of the GEMM step (1, 2, 3 vectors of tiles, 1-4 tiles as matrix-vector products): a
// 28x28 output (7 tiles per row) in blocks of 1..7 tile rows (7..49 tiles), with panels cut at every height.
TEST_CASE("x86 winograd4x4_3x3 covers every strip of the tile GEMMs", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(7);
    const int64_t cin = 17, hw = 28;
    for (int64_t cout : {29, 23, 6, 1})
        for (int64_t block_rows = 1; block_rows <= 7; ++block_rows) {
            INFO("Cout " << cout << " block rows " << block_rows);
            const auto xs = random_floats(cin * hw * hw, rng), w = random_floats(cout * cin * 9, rng);
            const k::ConvParams p{1, cin, cout, 1, k::Window{{1, hw, hw}, {1, hw, hw}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
                                                             {0, 1, 1}}};
            const k::Epilogue none{k::kActNone, 0, 0};
            std::vector<float> want(static_cast<size_t>(cout * hw * hw)), got(want.size());
            k::conv_fused(xs.data(), w.data(), static_cast<const float*>(nullptr), static_cast<const float*>(nullptr),
                          want.data(), p, none);
            std::vector<float> packed(static_cast<size_t>(x::winograd4_packed_floats(cout, cin, Isa::kMr)));
            x::winograd4_pack_weights(w.data(), cout, cin, Isa::kMr, packed.data());
            std::vector<float> ws(
                static_cast<size_t>(x::winograd4_workspace_floats(cin, cout, hw, block_rows, Isa::kLanes)),
                std::numeric_limits<float>::quiet_NaN());
            x::winograd4x4_3x3<Isa>(xs.data(), packed.data(), nullptr, nullptr, got.data(),
                                    x::WinogradParams{1, cin, cout, hw, hw, hw, hw, 1, 1, block_rows}, none, ws.data());
            int64_t bad = 0;
            for (size_t i = 0; i < got.size(); ++i)
                if (!(std::fabs(got[i] - want[i]) <= 2e-5f * (float(cin * 9) + 1.0f))) ++bad;
            CHECK(bad == 0);
        }
}

TEST_CASE("winograd4 block rows keep the scratch near the budget", "[x86]") {
    const int64_t rows = x::winograd4_block_rows(64, 64, 56, 56, 16);
    CHECK(rows >= 1);
    CHECK(36 * 128 * x::winograd4_t_stride(rows, 56, 16) <= 262144);
    CHECK(x::winograd4_block_rows(1, 1, 9, 9, 16) == 3);         // everything in one block
    CHECK(x::winograd4_block_rows(4096, 4096, 56, 56, 16) == 1);  // never less than one row
    // Strides stay off multiples of 64 floats (L1 set conflicts between the rows of a GEMM strip).
    for (int64_t r = 1; r <= 14; ++r) CHECK(x::winograd4_t_stride(r, 56, 16) % 64 != 0);
}
