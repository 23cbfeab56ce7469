// Vector exp, sigmoid and SiLU for the x86 kernels' fused activations (AVX2, AVX-512): the same formulas as
// the portable functors (epilogue.h: sigmoid(x) = 1 / (1 + exp(-x)), silu(x) = x * sigmoid(x)) with exp
// computed in registers instead of by std::exp, so an activation no longer leaves the vector loop.
// exp: x = n ln2 + r with n = nearest(x / ln2), |r| <= ln2 / 2 (ln2 in two parts, so r is exact to ~1 ulp),
// e^r by a degree-7 polynomial (1 + r + r^2 P(r), P of degree 5: Cephes' expf coefficients), scaled by 2^n
// through the exponent field (2^(n-1) * 2, so n = 128 near the overflow threshold still scales).
// Error against the correctly rounded exp: <= 1 ulp (test/x86/vmath_test.cpp sweeps every 61st float of
// [-86.5, 89] and the edges). Edges: NaN stays NaN, +inf above ln(FLT_MAX) (as std::exp), and 0 below -86.5
// where std::exp returns values under 2.7e-38 (the scaling builds normal floats only): the sigmoid and SiLU
// built on it only add exp to 1, where such values vanish either way.
#pragma once

#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

template <class Isa>
KILN_X86_INLINE typename Isa::V vexp(typename Isa::V x) {
    using V = typename Isa::V;
    const V hi = Isa::set1(88.72283935546875f);  // just above ln(FLT_MAX): e^hi overflows to +inf
    const V lo = Isa::set1(-86.5f);  // n >= -125: 2^(n - 1) is a normal float
    const V xc = Isa::min(Isa::max(x, lo), hi);
    const V n = Isa::round(Isa::mul(xc, Isa::set1(1.44269504088896341f)));
    V r = Isa::fmadd(n, Isa::set1(-0.693359375f), xc);  // ln2 = 0.693359375 - 2.12194440e-4
    r = Isa::fmadd(n, Isa::set1(2.12194440e-4f), r);
    V p = Isa::set1(1.9875691500e-4f);
    p = Isa::fmadd(p, r, Isa::set1(1.3981999507e-3f));
    p = Isa::fmadd(p, r, Isa::set1(8.3334519073e-3f));
    p = Isa::fmadd(p, r, Isa::set1(4.1665795894e-2f));
    p = Isa::fmadd(p, r, Isa::set1(1.6666665459e-1f));
    p = Isa::fmadd(p, r, Isa::set1(5.0000001201e-1f));
    p = Isa::add(Isa::fmadd(p, Isa::mul(r, r), r), Isa::set1(1.0f));
    V y = Isa::mul(Isa::mul(p, Isa::pow2(Isa::sub(n, Isa::set1(1.0f)))), Isa::set1(2.0f));
    y = Isa::select(Isa::lt(hi, x), Isa::set1(__builtin_inff()), y);
    y = Isa::select(Isa::lt(x, lo), Isa::zero(), y);
    return Isa::select(Isa::is_nan(x), x, y);
}

// 1 / (1 + exp(-x)), as EpilogueSigmoid.
template <class Isa>
KILN_X86_INLINE typename Isa::V vsigmoid(typename Isa::V x) {
    const typename Isa::V one = Isa::set1(1.0f);
    return Isa::div(one, Isa::add(one, vexp<Isa>(Isa::neg(x))));
}

// x * sigmoid(x), as EpilogueSilu.
template <class Isa>
KILN_X86_INLINE typename Isa::V vsilu(typename Isa::V x) {
    return Isa::mul(x, vsigmoid<Isa>(x));
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
