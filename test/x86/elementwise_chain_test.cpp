// backends/x86/kernels/elementwise_chain.h against the portable elementwise_chain, bit for bit (any NaN equals any
// NaN): every vectorized step, unary and binary (both argument orders), with scalar, same-shape and per-channel
// operands, on data full of NaN, signed zeros and infinities; lengths and run lengths around the vector width;
// BatchNorm-style chains on DenseNet planes; random chains; in place. Also which chains the rule admits.
// Built once per ISA.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "backends/portable/kernels/elementwise_chain.h"
#include "backends/x86/kernels/elementwise_chain.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::Isa;
using kiln::test_x86::same_bits;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;

// How an operand input broadcasts against the output: one value, the output's shape, or one value per run of
// `inner` elements cycling through `count` values (a [C, 1, 1] operand of [N, C, H, W]: inner H*W, count C).
enum class Layout { kScalar, kSame, kPerChannel };

struct Operand {
    Layout layout;
    int64_t inner, count;  // kPerChannel only
};

// Values in [-2, 2), about one in four replaced by NaN, -0, +0, +inf, -inf or 1 (specials on).
std::vector<float> values(int64_t n, std::mt19937& rng, bool specials) {
    std::uniform_real_distribution<float> d(-2.0f, 2.0f);
    std::uniform_int_distribution<int> pick(0, 23);
    const float special[] = {NAN, -0.0f, 0.0f, INFINITY, -INFINITY, 1.0f};
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) {
        f = d(rng);
        const int r = pick(rng);
        if (specials && r < 6) f = special[r];
    }
    return v;
}

struct Chain {
    int64_t n;
    std::vector<Operand> operands;  // inputs 1.. (input 0 is the running value)
    std::vector<k::ChainStep> steps;
};

k::ChainParams params_of(const Chain& c) {
    k::ChainParams p{};
    p.n = c.n;
    p.num_steps = int32_t(c.steps.size());
    p.inner[0] = 1;
    p.count[0] = c.n;
    for (size_t i = 0; i < c.operands.size(); ++i) {
        const Operand& o = c.operands[i];
        p.inner[i + 1] = o.layout == Layout::kPerChannel ? o.inner : 1;
        p.count[i + 1] = o.layout == Layout::kScalar ? 1 : o.layout == Layout::kSame ? c.n : o.count;
    }
    for (size_t s = 0; s < c.steps.size(); ++s) p.steps[s] = c.steps[s];
    return p;
}

// Runs the chain on both kernels (x86 also in place over a copy of input 0) and counts differing elements.
int64_t run_both(const Chain& c, std::mt19937& rng, bool specials) {
    const k::ChainParams p = params_of(c);
    REQUIRE(x::elementwise_chain_fits(p));
    std::vector<std::vector<float>> in;
    in.push_back(values(c.n, rng, specials));
    for (const Operand& o : c.operands) {
        const int64_t size = o.layout == Layout::kScalar ? 1 : o.layout == Layout::kSame ? c.n : o.count;
        in.push_back(values(size, rng, specials));
    }
    k::ChainInputs<float> ins{};
    for (size_t i = 0; i < in.size(); ++i) ins.p[i] = in[i].data();
    std::vector<float> want(static_cast<size_t>(c.n)), got(static_cast<size_t>(c.n) + 1, 42.0f);
    k::elementwise_chain(ins, want.data(), p);
    x::elementwise_chain<Isa>(ins, got.data(), p);
    int64_t bad = 0;
    for (int64_t i = 0; i < c.n; ++i)
        if (!same_bits(got[size_t(i)], want[size_t(i)])) ++bad;
    CHECK(got[size_t(c.n)] == 42.0f);  // nothing stored past the end
    // In place: y aliases input 0.
    std::vector<float> inplace = in[0];
    ins.p[0] = inplace.data();
    x::elementwise_chain<Isa>(ins, inplace.data(), p);
    for (int64_t i = 0; i < c.n; ++i)
        if (!same_bits(inplace[size_t(i)], want[size_t(i)])) ++bad;
    return bad;
}

const int32_t kUnary[] = {k::kChainNeg, k::kChainAbs, k::kChainRelu, k::kChainLeakyRelu, k::kChainClip};
const int32_t kBinary[] = {k::kChainAdd, k::kChainSub, k::kChainMul, k::kChainDiv,
                           k::kChainMax, k::kChainMin, k::kChainPRelu};

k::ChainStep unary_step(int32_t op, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(-1.5f, 1.5f);
    if (op == k::kChainClip) {
        // Bounds: both finite, one side unbounded (+-inf as the compiler writes it), or lo > hi.
        const int form = std::uniform_int_distribution<int>(0, 3)(rng);
        const float lo = form == 1 ? -INFINITY : -0.5f, hi = form == 2 ? INFINITY : form == 3 ? -1.0f : 0.75f;
        return {op, -1, 0, lo, hi};
    }
    return {op, -1, 0, op == k::kChainLeakyRelu ? d(rng) : 0.0f, 0.0f};
}

}  // namespace

TEST_CASE("x86 elementwise_chain: every step, operand layout and argument order, bit for bit", "[x86][chain]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    std::mt19937 rng(11);
    const int64_t lengths[] = {1, 3, 7, 8, 15, 16, 17, 31, 63, 64, 65, 129, 1000};
    for (int32_t op : kUnary)
        for (int64_t n : lengths) {
            INFO("unary op " << op << " n " << n);
            CHECK(run_both({n, {}, {unary_step(op, rng)}}, rng, true) == 0);
        }
    const Operand layouts[] = {{Layout::kScalar, 0, 0},      {Layout::kSame, 0, 0},       {Layout::kPerChannel, 16, 3},
                               {Layout::kPerChannel, 17, 5}, {Layout::kPerChannel, 49, 2}, {Layout::kPerChannel, 33, 1000}};
    for (int32_t op : kBinary)
        for (const Operand& o : layouts)
            for (int swap = 0; swap < (op == k::kChainPRelu ? 1 : 2); ++swap)
                for (int64_t n : {int64_t(1), int64_t(16), int64_t(65), int64_t(3 * 49), int64_t(1000)}) {
                    // A per-channel operand covers whole runs: n a multiple of inner (count cycles).
                    const int64_t len = o.layout == Layout::kPerChannel ? n * o.inner : n;
                    INFO("binary op " << op << " layout " << int(o.layout) << " inner " << o.inner << " swap " << swap
                                      << " n " << len);
                    CHECK(run_both({len, {o}, {{op, 1, swap, 0.0f, 0.0f}}}, rng, true) == 0);
                }
}

TEST_CASE("x86 elementwise_chain: BatchNorm + Relu on DenseNet planes, several operands", "[x86][chain]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(12);
    // Mul(scale[c]) + Add(shift[c]) + Relu over N x C x HW, as a BatchNorm before a convolution leaves it.
    for (int64_t batch : {1, 2})
        for (int64_t c : {1, 3, 17, 64})
            for (int64_t hw : {16, 49, 196, 3136, 50}) {
                INFO("N " << batch << " C " << c << " HW " << hw);
                const Operand pc{Layout::kPerChannel, hw, c};
                const Chain bn{batch * c * hw,
                               {pc, pc},
                               {{k::kChainMul, 1, 0, 0, 0}, {k::kChainAdd, 2, 0, 0, 0}, {k::kChainRelu, -1, 0, 0, 0}}};
                CHECK(run_both(bn, rng, false) == 0);
                CHECK(run_both(bn, rng, true) == 0);
            }
    // Per-channel operands with different runs (a [C,1,1] and a [H,1] operand of [C,H,W]), a same-shape and a
    // scalar operand in one chain, the same input read by two steps.
    const int64_t c = 5, h = 4, w = 20;
    const Chain mixed{c * h * w,
                      {{Layout::kPerChannel, h * w, c}, {Layout::kPerChannel, w, h * c}, {Layout::kSame, 0, 0},
                       {Layout::kScalar, 0, 0}},
                      {{k::kChainSub, 1, 1, 0, 0},
                       {k::kChainMul, 2, 0, 0, 0},
                       {k::kChainMax, 3, 0, 0, 0},
                       {k::kChainDiv, 4, 1, 0, 0},
                       {k::kChainClip, -1, 0, -3.0f, 3.0f},
                       {k::kChainAdd, 1, 0, 0, 0}}};
    CHECK(run_both(mixed, rng, true) == 0);
}

TEST_CASE("x86 elementwise_chain: random chains", "[x86][chain]") {
    if (!cpu_has_isa()) return;
    std::mt19937 rng(13);
    std::uniform_int_distribution<int> steps_of(1, 8), unary(0, 4), binary(0, 6), coin(0, 2), inner_of(16, 70),
        count_of(1, 9), len_of(1, 300);
    for (int t = 0; t < 300; ++t) {
        Chain c;
        const int64_t inner = inner_of(rng), count = count_of(rng);
        const int64_t runs = len_of(rng) % 7 + 1;
        c.n = coin(rng) == 0 ? len_of(rng) : inner * runs;  // per-channel operands only when n is whole runs
        const bool runs_ok = c.n % inner == 0;
        const int nsteps = steps_of(rng);
        for (int s = 0; s < nsteps; ++s) {
            if (coin(rng) == 0) {
                c.steps.push_back(unary_step(kUnary[unary(rng)], rng));
                continue;
            }
            const int32_t op = kBinary[binary(rng)];
            const int form = coin(rng);
            const Operand o = form == 0 ? Operand{Layout::kScalar, 0, 0}
                              : form == 1 || !runs_ok ? Operand{Layout::kSame, 0, 0}
                                                      : Operand{Layout::kPerChannel, inner, count};
            // Sometimes reuse an earlier operand input.
            int32_t idx = int32_t(c.operands.size()) + 1;
            if (!c.operands.empty() && coin(rng) == 0) {
                idx = std::uniform_int_distribution<int32_t>(1, int32_t(c.operands.size()))(rng);
            } else {
                if (c.operands.size() + 1 >= size_t(k::kChainMaxInputs)) idx = 1;
                else c.operands.push_back(o);
            }
            if (idx > int32_t(c.operands.size())) idx = 1;
            const int swap = op == k::kChainPRelu ? 0 : coin(rng) % 2;
            c.steps.push_back({op, idx, swap, 0.0f, 0.0f});
        }
        INFO("chain " << t << " n " << c.n << " steps " << c.steps.size() << " operands " << c.operands.size());
        CHECK(run_both(c, rng, t % 2 == 1) == 0);
    }
}

TEST_CASE("x86 elementwise_chain: which chains the x86 kernel takes", "[x86][chain]") {
    k::ChainParams p{};
    p.n = 64 * 49;
    p.num_steps = 3;
    p.inner[0] = 1;
    p.count[0] = p.n;
    p.inner[1] = p.inner[2] = 49;
    p.count[1] = p.count[2] = 64;
    p.steps[0] = {k::kChainMul, 1, 0, 0, 0};
    p.steps[1] = {k::kChainAdd, 2, 0, 0, 0};
    p.steps[2] = {k::kChainRelu, -1, 0, 0, 0};
    CHECK(x::elementwise_chain_fits(p));
    k::ChainParams q = p;
    q.inner[2] = 8;  // runs shorter than kChainMinRun
    q.count[2] = p.n / 8;
    CHECK_FALSE(x::elementwise_chain_fits(q));
    q = p;
    q.steps[2] = {k::kChainSigmoid, -1, 0, 0, 0};
    CHECK_FALSE(x::elementwise_chain_fits(q));
    q.steps[2] = {k::kChainHardSwish, -1, 0, 0, 0};
    CHECK_FALSE(x::elementwise_chain_fits(q));
    q.steps[2] = {k::kChainPow, 1, 0, 0, 0};
    CHECK_FALSE(x::elementwise_chain_fits(q));
    q = p;
    q.inner[1] = 1;  // a scalar operand
    q.count[1] = 1;
    CHECK(x::elementwise_chain_fits(q));
}
