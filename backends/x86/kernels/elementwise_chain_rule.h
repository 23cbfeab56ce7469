// Which kiln.ElementwiseChain nodes the x86 kernel (elementwise_chain.h) runs; no intrinsics, so the compiler
// includes it to decide. Everything else keeps the portable kernel (portable/kernels/elementwise_chain.h).
#pragma once

#include <cstdint>

#include "../../portable/kernels/elementwise_chain.h"

namespace kiln {
namespace kernels {
namespace x86 {

// A per-channel operand is one value over a run of `inner` consecutive elements; the x86 kernel works run by
// run, so runs shorter than this (a [N, C] tensor's per-column operand: runs of 1) stay portable.
constexpr int64_t kChainMinRun = 16;

// The steps the x86 kernel computes exactly as the portable functors do (same operations in the same order,
// one rounding each, NaN and signed zeros alike). Transcendental steps (Exp, Sigmoid, Tanh...) and the
// multiply-add ones (HardSigmoid, HardSwish: a compiler may contract the portable a * x + b) stay portable.
inline bool chain_step_is_vectorized(int32_t op) {
    switch (op) {
    case kChainNeg:
    case kChainAbs:
    case kChainRelu:
    case kChainLeakyRelu:
    case kChainClip:
    case kChainAdd:
    case kChainSub:
    case kChainMul:
    case kChainDiv:
    case kChainMax:
    case kChainMin:
    case kChainPRelu:
        return true;
    default:
        return false;
    }
}

// True when the float chain p runs on the x86 kernel: every step vectorized, every operand a scalar, of the
// output's shape, or per channel with runs of at least kChainMinRun elements.
inline bool elementwise_chain_fits(const ChainParams& p) {
    if (p.num_steps < 1 || p.num_steps > kChainMaxSteps) return false;
    for (int32_t s = 0; s < p.num_steps; ++s) {
        const ChainStep& st = p.steps[s];
        if (!chain_step_is_vectorized(st.op)) return false;
        if (st.operand < 0) continue;
        if (st.operand >= kChainMaxInputs) return false;
        const int64_t inner = p.inner[st.operand], count = p.count[st.operand];
        if (count != 1 && count != p.n && inner < kChainMinRun) return false;
    }
    return true;
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
