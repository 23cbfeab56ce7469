// backends/x86/kernels/gemm_packed.h against the portable kernels (gemm_fused, conv_fused) over awkward
// sizes (1, 3, 7, 17, 129), every epilogue activation, bias, residual (also in place). Built once per ISA
// (KILN_X86_ISA = Avx2 or Avx512, with that ISA's flags); the tests return early on a CPU without it.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backends/portable/kernels/conv.h"
#include "backends/portable/kernels/gemm.h"
#include "backends/x86/kernels/gemm_packed.h"
#include "conv_test_support.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::Isa;
using kiln::test_x86::kActs;
using kiln::test_x86::kNumActs;
using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::random_floats;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

// Within count_bad's tolerance (conv_test_support.h).
void check_close(const std::vector<float>& got, const std::vector<float>& want, int64_t k) {
    REQUIRE(got.size() == want.size());
    CHECK(kiln::test_x86::count_bad(got, want, k) == 0);
}

// One gemm_packed_b call against gemm_fused with the same operands.
void check_gemm(int64_t m, int64_t n, int64_t kk, bool trans_b, float alpha, bool with_bias, bool with_z,
                bool in_place, const k::Epilogue& act, std::mt19937& rng) {
    INFO("M " << m << " N " << n << " K " << kk << " transB " << trans_b << " alpha " << alpha << " bias "
              << with_bias << " z " << with_z << " in place " << in_place << " act " << act.activation);
    const auto a = random_floats(m * kk, rng), b = random_floats(kk * n, rng), bias = random_floats(n, rng);
    const auto z = random_floats(m * n, rng);
    k::GemmParams p{m, n, kk, 0, trans_b ? 1 : 0, alpha, 1.0f, with_bias ? 1 : 0, 0, 1};
    std::vector<float> want(static_cast<size_t>(m * n));
    k::gemm_fused(a.data(), b.data(), bias.data(), with_z ? z.data() : nullptr, want.data(), p, act);

    constexpr int64_t nr = Isa::kNv * Isa::kLanes;
    std::vector<float> packed(static_cast<size_t>(x::packed_b_floats(kk, n, nr)), -7.0f);
    x::pack_b(b.data(), kk, n, trans_b, alpha, nr, packed.data());
    std::vector<float> got = in_place ? z : std::vector<float>(static_cast<size_t>(m * n), -3.0f);
    const float* zp = with_z ? (in_place ? got.data() : z.data()) : nullptr;
    x::gemm_packed_b<Isa>(a.data(), kk, packed.data(), with_bias ? bias.data() : nullptr, zp, got.data(), m, n, kk,
                          act);
    check_close(got, want, kk);
}

}  // namespace

TEST_CASE("x86 pack_b and pack_a lay out panels with zero padding", "[x86]") {
    // B 2 x 3, nr 2: panel 0 = columns 0..1, panel 1 = column 2 + zero.
    const float b[] = {1, 2, 3, 4, 5, 6};
    float packed[8];
    REQUIRE(x::packed_b_floats(2, 3, 2) == 8);
    x::pack_b(b, 2, 3, false, 2.0f, 2, packed);
    const float want_b[] = {2, 4, 8, 10, 6, 0, 12, 0};
    for (int i = 0; i < 8; ++i) CHECK(packed[i] == want_b[i]);
    // The same B given transposed (3 x 2) packs identically.
    const float bt[] = {1, 4, 2, 5, 3, 6};
    x::pack_b(bt, 2, 3, true, 2.0f, 2, packed);
    for (int i = 0; i < 8; ++i) CHECK(packed[i] == want_b[i]);
    // A 3 x 2, mr 2: panel 0 = rows 0..1 interleaved per k, panel 1 = row 2 + zero.
    const float a[] = {1, 2, 3, 4, 5, 6};
    REQUIRE(x::packed_a_floats(3, 2, 2) == 8);
    x::pack_a(a, 3, 2, 2, packed);
    const float want_a[] = {1, 3, 2, 4, 5, 0, 6, 0};
    for (int i = 0; i < 8; ++i) CHECK(packed[i] == want_a[i]);
}

TEST_CASE("x86 gemm_packed_b matches the portable gemm over awkward sizes", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(6);
    const int64_t sizes[] = {1, 3, 7, 17, 129};
    int case_index = 0;
    for (int64_t m : sizes)
        for (int64_t n : sizes)
            for (int64_t kk : sizes) {
                const int c = case_index++;
                check_gemm(m, n, kk, c % 2 == 1, c % 3 == 0 ? 0.5f : 1.0f, c % 4 != 0, c % 5 < 2, false,
                           kActs[c % kNumActs], rng);
            }
    // Every activation on one shape with every edge (M, N not multiples of the block) and a full block.
    for (int a = 0; a < kNumActs; ++a) check_gemm(2 * Isa::kMr + 3, 3 * Isa::kNv * Isa::kLanes + 5, 40, false,
                                                  1.0f, true, true, false, kActs[a], rng);
    // One row (gemv_packed_b: a classifier), K past the prefetch distance and not a multiple of 4, every
    // activation, bias or not.
    for (int a = 0; a < kNumActs; ++a)
        check_gemm(1, 3 * Isa::kNv * Isa::kLanes + 5, 1283, a % 2 == 0, 0.5f, a % 3 != 0, a % 4 == 1, false, kActs[a],
                   rng);
    // Exact multiples of the register block, larger K.
    check_gemm(4 * Isa::kMr, 4 * Isa::kNv * Isa::kLanes, 512, true, 1.0f, true, false, false, kActs[1], rng);
}

TEST_CASE("x86 gemm_packed_b adds the residual in place (Z aliases Y)", "[x86]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(7);
    check_gemm(17, 129, 7, false, 1.0f, true, true, true, kActs[2], rng);
    check_gemm(1, 129, 70, false, 1.0f, true, true, true, kActs[2], rng);
    check_gemm(Isa::kMr, Isa::kNv * Isa::kLanes, 3, true, 1.0f, false, true, true, kActs[0], rng);
}

TEST_CASE("x86 conv1x1_packed matches the portable convolution", "[x86]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(8);
    const int64_t channels[] = {1, 3, 7, 17, 129};
    const int64_t planes[][2] = {{1, 1}, {3, 5}, {7, 7}, {1, 17}, {14, 14}, {5, 13}};
    int case_index = 0;
    for (int64_t cin : channels)
        for (int64_t cout : channels)
            for (const auto& hw : planes) {
                const int c = case_index++;
                const int64_t batch = c % 3 == 0 ? 2 : 1, size = hw[0] * hw[1];
                const bool with_bias = c % 4 != 1, with_z = c % 3 == 2;
                const k::Epilogue act = kActs[c % kNumActs];
                INFO("Cin " << cin << " Cout " << cout << " H " << hw[0] << " W " << hw[1] << " batch " << batch
                            << " act " << act.activation);
                const auto xs = random_floats(batch * cin * size, rng), w = random_floats(cout * cin, rng);
                const auto bias = random_floats(cout, rng), z = random_floats(batch * cout * size, rng);
                k::ConvParams p{batch, cin, cout, 1, k::Window{{1, hw[0], hw[1]}, {1, hw[0], hw[1]}, {1, 1, 1},
                                                               {1, 1, 1}, {1, 1, 1}, {0, 0, 0}}};
                std::vector<float> want(static_cast<size_t>(batch * cout * size));
                k::conv_fused(xs.data(), w.data(), with_bias ? bias.data() : nullptr, with_z ? z.data() : nullptr,
                              want.data(), p, act);
                std::vector<float> packed(static_cast<size_t>(x::packed_a_floats(cout, cin, Isa::kMr)));
                x::pack_a(w.data(), cout, cin, Isa::kMr, packed.data());
                std::vector<float> got(want.size(), -3.0f);
                x::conv1x1_packed<Isa>(xs.data(), packed.data(), with_bias ? bias.data() : nullptr,
                                       with_z ? z.data() : nullptr, got.data(), batch, cin, cout, size, act);
                check_close(got, want, cin);
                // With the strip workspace (X copied into contiguous panels first).
                std::vector<float> strip(static_cast<size_t>(x::conv1x1_strip_floats<Isa>(cin)), -5.0f);
                std::vector<float> got_strip(want.size(), -3.0f);
                x::conv1x1_packed<Isa>(xs.data(), packed.data(), with_bias ? bias.data() : nullptr,
                                       with_z ? z.data() : nullptr, got_strip.data(), batch, cin, cout, size, act,
                                       strip.data());
                check_close(got_strip, want, cin);
            }
}
