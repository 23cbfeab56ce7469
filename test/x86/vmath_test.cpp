// backends/x86/kernels/vmath.h against references nobody here wrote: vexp against exp in double precision
// rounded to float (the correctly rounded result, up to double rounding) on every 61st float of [-86.5, 89]
// (3.6e7 values, covering every binade the scaling by 2^n builds), and the edges; vsigmoid / vsilu against the
// portable functors (epilogue.h, std::exp) on the same sweep: both round their own exp (each within about 1
// ulp), and 1 + e, the division and SiLU's product round again, which measured up to 4 ulp apart for sigmoid
// and 5 for SiLU (at x ~ -16.7, where sigmoid ~ 5e-8). Built once per ISA.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "backends/portable/kernels/epilogue.h"
#include "backends/x86/kernels/vmath.h"
#include "x86_test_support.h"

namespace {

using kiln::test_x86::cpu_has_isa;
using kiln::test_x86::Isa;
namespace k = kiln::kernels;
namespace x = kiln::kernels::x86;
constexpr int L = Isa::kLanes;

// Position of f on the line of floats (ordered like the values; +0 and -0 both 0), for ulp distances.
int64_t ulp_index(float f) {
    int32_t i;
    std::memcpy(&i, &f, sizeof i);
    return i < 0 ? -int64_t(i & 0x7fffffff) : int64_t(i);
}
int64_t ulps(float a, float b) { return std::llabs(ulp_index(a) - ulp_index(b)); }

template <class F>
void apply(F f, const float* in, float* out) {
    Isa::store(out, f(Isa::load(in)));
}

}  // namespace

TEST_CASE("vexp is within 1 ulp of the correctly rounded exp; sigmoid and SiLU within 4 and 5 ulp of the "
          "portable functors", "[x86][vmath]") {
    if (!cpu_has_isa()) {
        WARN("CPU lacks " << Isa::name() << ": skipped");
        return;
    }
    int64_t worst_exp = 0, worst_sigmoid = 0, worst_silu = 0;
    float at_exp = 0.0f;
    float in[L], e[L], s[L], si[L];
    const k::EpilogueSigmoid<float> sigmoid{};
    const k::EpilogueSilu<float> silu{};
    // Walk the line of floats by ulp_index: negative indices are -|x| (their bits with the sign cleared).
    int64_t at = ulp_index(-86.5f);
    const int64_t end = ulp_index(89.0f);
    while (at < end) {
        for (int l = 0; l < L; ++l, at += 61) {
            const int32_t bits = at < 0 ? int32_t(uint32_t(-at) | 0x80000000u) : int32_t(at);
            std::memcpy(&in[l], &bits, sizeof bits);
        }
        apply([](Isa::V v) { return x::vexp<Isa>(v); }, in, e);
        apply([](Isa::V v) { return x::vsigmoid<Isa>(v); }, in, s);
        apply([](Isa::V v) { return x::vsilu<Isa>(v); }, in, si);
        for (int l = 0; l < L; ++l) {
            const float want = float(std::exp(double(in[l])));
            const int64_t d = std::isinf(want) && std::isinf(e[l]) ? 0 : ulps(e[l], want);
            if (d > worst_exp) {
                worst_exp = d;
                at_exp = in[l];
            }
            const int64_t ds = ulps(s[l], sigmoid(in[l])), dl = ulps(si[l], silu(in[l]));
            worst_sigmoid = ds > worst_sigmoid ? ds : worst_sigmoid;
            worst_silu = dl > worst_silu ? dl : worst_silu;
        }
    }
    INFO("worst exp at " << at_exp);
    CHECK(worst_exp <= 1);
    CHECK(worst_sigmoid <= 4);
    CHECK(worst_silu <= 5);
}

TEST_CASE("vexp, sigmoid and SiLU at the edges: NaN, infinities, zeros, overflow and underflow", "[x86][vmath]") {
    if (!cpu_has_isa()) return;
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const float edge[] = {nan, inf, -inf, 0.0f, -0.0f, 88.7228f, 88.72284f, 89.0f, 1e30f, -86.5f, -86.6f, -100.0f,
                          -1e30f, 1e-30f, -1e-30f, 20.0f};
    const k::EpilogueSigmoid<float> sigmoid{};
    const k::EpilogueSilu<float> silu{};
    for (float v : edge) {
        float in[L], e[L], s[L], si[L];
        for (int l = 0; l < L; ++l) in[l] = v;
        apply([](Isa::V a) { return x::vexp<Isa>(a); }, in, e);
        apply([](Isa::V a) { return x::vsigmoid<Isa>(a); }, in, s);
        apply([](Isa::V a) { return x::vsilu<Isa>(a); }, in, si);
        INFO("x = " << v);
        const float want = std::exp(v);
        if (std::isnan(v)) {
            CHECK(std::isnan(e[0]));
        } else if (v < -86.5f) {
            CHECK(e[0] == 0.0f);  // std::exp: under 2.7e-38
            CHECK(want < 2.7e-38f);
        } else if (std::isinf(want)) {
            CHECK(e[0] == inf);
        } else {
            CHECK(ulps(e[0], want) <= 1);
        }
        // Sigmoid and SiLU: NaN where the portable functor gives NaN (NaN in, SiLU(-inf) = -inf * 0), else
        // within the sweep's bounds, signs and zeros included.
        const float ws = sigmoid(v), wl = silu(v);
        CHECK(std::isnan(s[0]) == std::isnan(ws));
        CHECK(std::isnan(si[0]) == std::isnan(wl));
        if (!std::isnan(ws)) CHECK(ulps(s[0], ws) <= 4);
        if (!std::isnan(wl)) {
            CHECK(ulps(si[0], wl) <= 5);
            CHECK(std::signbit(si[0]) == std::signbit(wl));
        }
        for (int l = 1; l < L; ++l) CHECK(std::memcmp(&e[l], &e[0], sizeof(float)) == 0);
    }
}
