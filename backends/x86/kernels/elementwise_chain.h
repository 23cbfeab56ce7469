// kiln.ElementwiseChain (a chain of elementwise steps over input 0, made by fuse-elementwise) for x86: the
// chains elementwise_chain_fits (elementwise_chain_rule.h) accepts, e.g. the per-channel Mul + Add + Relu a
// BatchNorm before a convolution leaves (DenseNet, pre-activation ResNets), which the passes cannot fold into
// the convolution's weights. Same contract and results as the portable kernel (portable/elementwise_chain.h),
// bit for bit: each step is the portable functor's operation, comparisons ordered as there, one rounding per
// step. The output is walked in runs over which every per-channel operand is one value (a channel plane of
// H*W elements): the run's operands are broadcast once, then each block of 4 vectors is loaded, every step
// applied to it in registers, and stored; the run's last partial vectors use masked loads and stores.
#pragma once

#include <cstdint>

#include "../../portable/kernels/elementwise_chain.h"
#include "elementwise_chain_rule.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

// One step on U vectors v (o: the operand's vectors, ignored by unary steps), as chain_step does.
template <class Isa, int U>
KILN_X86_INLINE void chain_step_vectors(const ChainStep& s, typename Isa::V* v, const typename Isa::V* o) {
    using V = typename Isa::V;
    const V zero = Isa::zero();
    switch (s.op) {
    case kChainNeg:
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::neg(v[u]);
        return;
    case kChainAbs:
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::abs(v[u]);
        return;
    case kChainRelu:  // x > 0 ? x : 0
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::select(Isa::lt(zero, v[u]), v[u], zero);
        return;
    case kChainLeakyRelu: {  // x < 0 ? alpha * x : x
        const V alpha = Isa::set1(s.a);
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::select(Isa::lt(v[u], zero), Isa::mul(alpha, v[u]), v[u]);
        return;
    }
    case kChainClip: {  // ChainClip: t = x < lo ? lo : x; hi < t ? hi : t
        const V lo = Isa::set1(s.a), hi = Isa::set1(s.b);
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) {
            const V t = Isa::select(Isa::lt(v[u], lo), lo, v[u]);
            v[u] = Isa::select(Isa::lt(hi, t), hi, t);
        }
        return;
    }
    default:
        break;
    }
    // Binary: f(a, b) with (a, b) = (running value, operand), or (operand, running value) when swapped.
    V a[U], b[U];
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
        a[u] = s.swap ? o[u] : v[u];
        b[u] = s.swap ? v[u] : o[u];
    }
    switch (s.op) {
    case kChainAdd:
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::add(a[u], b[u]);
        return;
    case kChainSub:
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::sub(a[u], b[u]);
        return;
    case kChainMul:
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::mul(a[u], b[u]);
        return;
    case kChainDiv:
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::div(a[u], b[u]);
        return;
    case kChainMax:  // (a < b || isnan(b)) ? b : a
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::select(Isa::or_mask(Isa::lt(a[u], b[u]), Isa::is_nan(b[u])), b[u], a[u]);
        return;
    case kChainMin:  // (b < a || isnan(b)) ? b : a
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::select(Isa::or_mask(Isa::lt(b[u], a[u]), Isa::is_nan(b[u])), b[u], a[u]);
        return;
    case kChainPRelu:  // x < 0 ? slope * x : x (never swapped)
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) v[u] = Isa::select(Isa::lt(a[u], zero), Isa::mul(b[u], a[u]), a[u]);
        return;
    default:
        return;  // not reached: elementwise_chain_fits admits only the steps above
    }
}

// U vectors at element i (the last one `last` lanes, masked when Masked): load, every step, store. cst[k]: input
// k's value for the whole run when it is a scalar or per channel.
template <class Isa, int U, bool Masked>
KILN_X86_INLINE void chain_vectors(const ChainInputs<float>& in, float* y, const ChainParams& p,
                                   const typename Isa::V* cst, int64_t i, int64_t last) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    V v[U], o[U];
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) o[u] = Isa::zero();  // unary steps ignore o
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u)
        v[u] = Masked && u == U - 1 ? Isa::load_n(in.p[0] + i + u * L, last) : Isa::load(in.p[0] + i + u * L);
    for (int32_t s = 0; s < p.num_steps; ++s) {
        const ChainStep& st = p.steps[s];
        const int32_t k = st.operand;
        if (k >= 0) {
            if (p.count[k] == p.n) {
#pragma GCC unroll 4
                for (int u = 0; u < U; ++u)
                    o[u] = Masked && u == U - 1 ? Isa::load_n(in.p[k] + i + u * L, last)
                                                : Isa::load(in.p[k] + i + u * L);
            } else {
#pragma GCC unroll 4
                for (int u = 0; u < U; ++u) o[u] = cst[k];
            }
        }
        chain_step_vectors<Isa, U>(st, v, o);
    }
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
        if (Masked && u == U - 1)
            Isa::store_n(y + i + u * L, v[u], last);
        else
            Isa::store(y + i + u * L, v[u]);
    }
}

// y = the chain over in.p[0], for p with elementwise_chain_fits(p). y may alias in.p[0] (or any input of the
// output's shape): every element of a block is loaded, from every input, before the block is stored.
template <class Isa>
inline void elementwise_chain(const ChainInputs<float>& in, float* y, const ChainParams& p) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes, U = 4;  // the tail below handles 1..4 vectors
    // Per-channel operands: element idx of the operand, rem elements into its run of inner (as ChainCursor).
    int64_t idx[kChainMaxInputs] = {}, rem[kChainMaxInputs] = {};
    bool per_channel[kChainMaxInputs] = {};
    V cst[kChainMaxInputs];
    for (int k = 0; k < kChainMaxInputs; ++k) {
        cst[k] = Isa::zero();
        per_channel[k] = k > 0 && p.count[k] > 1 && p.count[k] != p.n;
    }
    for (int32_t s = 0; s < p.num_steps; ++s) {
        const int32_t k = p.steps[s].operand;
        if (k >= 0 && p.count[k] == 1) cst[k] = Isa::set1(in.p[k][0]);
    }
    for (int64_t i = 0; i < p.n;) {
        int64_t run = p.n - i;
        for (int k = 0; k < kChainMaxInputs; ++k)
            if (per_channel[k]) {
                run = p.inner[k] - rem[k] < run ? p.inner[k] - rem[k] : run;
                cst[k] = Isa::set1(in.p[k][idx[k]]);
            }
        const int64_t end = i + run;
        int64_t j = i;
        for (; j + U * L <= end; j += U * L) chain_vectors<Isa, U, false>(in, y, p, cst, j, L);
        // The run's last 1..U*L - 1 elements: 1..U vectors, the last one masked.
        const int64_t tail = end - j;
        if (tail > 3 * L)
            chain_vectors<Isa, 4, true>(in, y, p, cst, j, tail - 3 * L);
        else if (tail > 2 * L)
            chain_vectors<Isa, 3, true>(in, y, p, cst, j, tail - 2 * L);
        else if (tail > L)
            chain_vectors<Isa, 2, true>(in, y, p, cst, j, tail - L);
        else if (tail > 0)
            chain_vectors<Isa, 1, true>(in, y, p, cst, j, tail);
        for (int k = 0; k < kChainMaxInputs; ++k)
            if (per_channel[k] && (rem[k] += run) == p.inner[k]) {
                rem[k] = 0;
                if (++idx[k] == p.count[k]) idx[k] = 0;
            }
        i = end;
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
