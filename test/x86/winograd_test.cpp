// backends/x86/kernels/winograd.h (F(2x2, 3x3)) against the portable convolution: awkward channel counts
// (1, 3, 17, 129: not multiples of the tile rows or vectors), odd and even output sizes, planes narrower and
// wider than a vector of tiles, padding 0/1/one-sided, block sizes from one tile row to all, batch 2, bias,
// residual (also in place) and every activation. Built once per ISA like gemm_packed_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/x86/kernels/winograd.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

}  // namespace

TEST_CASE("x86 winograd3x3 matches the portable convolution", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(11);
    struct Case {
        int64_t cin, cout, ih, iw;
    };
    const Case cases[] = {{1, 1, 3, 3},   {3, 7, 5, 6},    {17, 17, 9, 7},    {17, 3, 13, 11}, {7, 129, 8, 40},
                          {129, 17, 6, 5}, {16, 32, 28, 28}, {5, 14, 3, 67},   {2, 29, 34, 33}};
    const int64_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 1, 1, 0}, {1, 0, 0, 1}};  // top, left, bottom, right
    const k::Epilogue acts[] = {{k::kActNone, 0, 0},      {k::kActRelu, 0, 0},    {k::kActClip, 0.0f, 6.0f},
                                {k::kActHardSwish, 0, 0}, {k::kActSigmoid, 0, 0}, {k::kActLeakyRelu, 0.1f, 0},
                                {k::kActTanh, 0, 0}};
    int index = 0, checked = 0;
    for (const Case& cs : cases)
        for (const auto& pad : pads) {
            const int c = index++;
            const int64_t oh = cs.ih + pad[0] + pad[2] - 2, ow = cs.iw + pad[1] + pad[3] - 2;
            if (oh < 1 || ow < 1) continue;
            const int64_t batch = c % 3 == 0 ? 2 : 1;
            const bool with_bias = c % 4 != 3, with_z = c % 3 == 1, in_place = c % 6 == 4;
            const k::Epilogue act = acts[c % 7];
            // Blocks: the whole plane, one tile row, or two.
            const int64_t th = (oh + 1) / 2;
            const int64_t block_rows = c % 3 == 0 ? th : c % 3 == 1 ? 1 : (th < 2 ? th : 2);
            INFO("Cin " << cs.cin << " Cout " << cs.cout << " in " << cs.ih << "x" << cs.iw << " pads " << pad[0]
                        << pad[1] << pad[2] << pad[3] << " act " << act.activation << " block rows " << block_rows
                        << " batch " << batch << " residual " << with_z << (in_place ? " in place" : ""));
            const auto xs = random_floats(batch * cs.cin * cs.ih * cs.iw, rng);
            const auto w = random_floats(cs.cout * cs.cin * 9, rng);
            const auto bias = random_floats(cs.cout, rng);
            const auto z = random_floats(batch * cs.cout * oh * ow, rng);
            const k::ConvParams p{batch, cs.cin, cs.cout, 1,
                                  k::Window{{1, cs.ih, cs.iw}, {1, oh, ow}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
                                            {0, pad[0], pad[1]}}};
            std::vector<float> want(static_cast<size_t>(batch * cs.cout * oh * ow));
            k::conv_fused(xs.data(), w.data(), with_bias ? bias.data() : nullptr, with_z ? z.data() : nullptr,
                          want.data(), p, act);
            std::vector<float> packed(static_cast<size_t>(x::winograd_packed_floats(cs.cout, cs.cin, Isa::kMr)));
            x::winograd_pack_weights(w.data(), cs.cout, cs.cin, Isa::kMr, packed.data());
            std::vector<float> ws(static_cast<size_t>(
                x::winograd_workspace_floats(cs.cin, cs.cout, ow, block_rows, Isa::kLanes)), 7.0f);
            std::vector<float> got(want.size(), -3.0f);
            if (in_place && with_z) got = z;
            const float* zp = with_z ? (in_place ? got.data() : z.data()) : nullptr;
            x::winograd3x3<Isa>(xs.data(), packed.data(), with_bias ? bias.data() : nullptr, zp, got.data(),
                                x::WinogradParams{batch, cs.cin, cs.cout, cs.ih, cs.iw, oh, ow, pad[0], pad[1], block_rows},
                                act, ws.data());
            // The transforms reorder the sums: compare against the size of the terms (sum of |products|).
            const float scale = float(cs.cin * 9) * 1e-6f;
            int64_t bad = 0;
            for (size_t i = 0; i < got.size(); ++i)
                if (!(std::fabs(got[i] - want[i]) <= 4.0f * scale * (1.0f + std::fabs(want[i])))) ++bad;
            CHECK(bad == 0);
            ++checked;
        }
    CHECK(checked >= 30);
}

TEST_CASE("winograd block rows keep the scratch near the budget", "[x86]") {
    CHECK(x::winograd_block_rows(64, 64, 56, 56, 16) >= 1);
    const int64_t rows = x::winograd_block_rows(64, 64, 56, 56, 16);
    // V and M within the budget; then the block's padded input rows.
    CHECK(x::winograd_workspace_floats(64, 64, 56, rows, 16) <=
          262144 + (2 * rows + 3) * x::winograd_padded_row_floats(56, 16));
    CHECK(x::winograd_block_rows(1, 1, 9, 9, 16) == 5);  // everything in one block
    CHECK(x::winograd_block_rows(4096, 4096, 56, 56, 16) == 1);  // never less than one row
}
