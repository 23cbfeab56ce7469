// ElementwiseChain (a Kiln-internal op made by fuse-elementwise): a short program of elementwise steps run
// over the output in one pass. Each element of the main input is loaded once, every step is applied to a
// block of kChainBlock values held on the stack (registers and L1), and the result is stored once. Steps use
// the same functors as the unfused ops (elementwise.h, activation.h), so results match them bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

#include "activation.h"
#include "elementwise.h"

namespace kiln {
namespace kernels {

// Step operations. Unary ones map the running value; binary ones combine it with an operand input.
enum ChainOp : int32_t {
    kChainNeg, kChainAbs, kChainExp, kChainLog, kChainSqrt, kChainReciprocal, kChainFloor, kChainCeil,
    kChainRound, kChainSign, kChainErf, kChainSin, kChainCos, kChainTan, kChainAtan, kChainSinh, kChainCosh,
    kChainTanh, kChainSigmoid, kChainRelu, kChainLeakyRelu, kChainClip, kChainHardSigmoid, kChainHardSwish,
    kChainElu, kChainSelu, kChainCelu, kChainSoftplus, kChainSoftsign, kChainThresholdedRelu,
    kChainAdd, kChainSub, kChainMul, kChainDiv, kChainPow, kChainMax, kChainMin, kChainPRelu,
};

constexpr int kChainMaxSteps = 16;
constexpr int kChainMaxInputs = 8;
constexpr int64_t kChainBlock = 128;  // values per block: two blocks take 1 KiB of stack for float, 2 KiB for double

// op(value) for unary steps (a, b: the activation's attributes, Clip's bounds); op(value, operand) for
// binary steps, or op(operand, value) when swap is 1.
struct ChainStep {
    int32_t op;
    int32_t operand;  // input index for binary steps, -1 for unary steps
    int32_t swap;
    float a, b;
};

// Input k's element for output element i is in[k][(i / inner[k]) % count[k]]: count = n for an input of
// the output's shape, 1 for a scalar, C with inner = H*W for a per-channel [C,1,1] operand of [N,C,H,W].
struct ChainParams {
    int64_t n;
    int32_t num_steps;
    int64_t inner[kChainMaxInputs];
    int64_t count[kChainMaxInputs];
    ChainStep steps[kChainMaxSteps];
};

template <typename T>
struct ChainInputs {
    const T* p[kChainMaxInputs];
};

// ONNX Clip's order (as kernels::clip): max with lo, then min with hi; unbounded sides are +-infinity.
struct ChainClip {
    float lo, hi;
    template <typename T> T operator()(T x) const {
        const T v = x < T(lo) ? T(lo) : x;
        return T(hi) < v ? T(hi) : v;
    }
};

// Steps always run over a whole block (a loop count the compiler knows, so it vectorizes even at -O2);
// in the last, partial block the values past the end are stale copies that are never stored.
template <typename T, typename F>
inline void chain_map(T* v, F f) {
    for (int64_t j = 0; j < kChainBlock; ++j) v[j] = f(v[j]);
}

// o holds a block of values, or one value for the whole block when `same` (a scalar, or a per-channel operand whose
// channel does not change within the block): separate loops so both vectorize.
template <typename T, typename F>
inline void chain_zip(T* v, const T* o, bool same, int32_t swap, F f) {
    if (same) {
        const T b = *o;
        if (swap != 0) {
            for (int64_t j = 0; j < kChainBlock; ++j) v[j] = f(b, v[j]);
        } else {
            for (int64_t j = 0; j < kChainBlock; ++j) v[j] = f(v[j], b);
        }
    } else if (swap != 0) {
        for (int64_t j = 0; j < kChainBlock; ++j) v[j] = f(o[j], v[j]);
    } else {
        for (int64_t j = 0; j < kChainBlock; ++j) v[j] = f(v[j], o[j]);
    }
}

template <typename T>
inline void chain_step(const ChainStep& s, T* v, const T* o, bool same) {
    switch (s.op) {
    case kChainNeg: chain_map(v, Neg()); break;
    case kChainAbs: chain_map(v, Abs()); break;
    case kChainExp: chain_map(v, Exp()); break;
    case kChainLog: chain_map(v, Log()); break;
    case kChainSqrt: chain_map(v, Sqrt()); break;
    case kChainReciprocal: chain_map(v, Reciprocal()); break;
    case kChainFloor: chain_map(v, Floor()); break;
    case kChainCeil: chain_map(v, Ceil()); break;
    case kChainRound: chain_map(v, Round()); break;
    case kChainSign: chain_map(v, Sign()); break;
    case kChainErf: chain_map(v, Erf()); break;
    case kChainSin: chain_map(v, Sin()); break;
    case kChainCos: chain_map(v, Cos()); break;
    case kChainTan: chain_map(v, Tan()); break;
    case kChainAtan: chain_map(v, Atan()); break;
    case kChainSinh: chain_map(v, Sinh()); break;
    case kChainCosh: chain_map(v, Cosh()); break;
    case kChainTanh: chain_map(v, Tanh()); break;
    case kChainSigmoid: chain_map(v, Sigmoid()); break;
    case kChainRelu: chain_map(v, Relu()); break;
    case kChainLeakyRelu: chain_map(v, LeakyRelu{s.a}); break;
    case kChainClip: chain_map(v, ChainClip{s.a, s.b}); break;
    case kChainHardSigmoid: chain_map(v, HardSigmoid{s.a, s.b}); break;
    case kChainHardSwish: chain_map(v, HardSwish()); break;
    case kChainElu: chain_map(v, Elu{s.a}); break;
    case kChainSelu: chain_map(v, Selu{s.a, s.b}); break;
    case kChainCelu: chain_map(v, Celu{s.a}); break;
    case kChainSoftplus: chain_map(v, Softplus()); break;
    case kChainSoftsign: chain_map(v, Softsign()); break;
    case kChainThresholdedRelu: chain_map(v, ThresholdedRelu{s.a}); break;
    case kChainAdd: chain_zip(v, o, same, s.swap, Add()); break;
    case kChainSub: chain_zip(v, o, same, s.swap, Sub()); break;
    case kChainMul: chain_zip(v, o, same, s.swap, Mul()); break;
    case kChainDiv: chain_zip(v, o, same, s.swap, Div()); break;
    case kChainPow: chain_zip(v, o, same, s.swap, Pow()); break;
    case kChainMax: chain_zip(v, o, same, s.swap, Max()); break;
    case kChainMin: chain_zip(v, o, same, s.swap, Min()); break;
    case kChainPRelu: chain_zip(v, o, same, s.swap, PRelu()); break;
    default: break;
    }
}

// Where an operand that is neither scalar nor same-shape stands at the start of the current block: element
// `idx` of the operand, `rem` elements into its run of `inner` equal values. Advanced block by block, so the
// per-channel index costs a division only when a block crosses into another run.
struct ChainCursor {
    int64_t idx, rem;
};

// The operand's values for output elements [i0, i0 + m): read in place when it has the output's shape, one
// value when it does not change within the block (*same), otherwise gathered into buf.
template <typename T>
inline const T* chain_operand(const T* src, int64_t inner, int64_t count, int64_t n, ChainCursor at, int64_t i0,
                              int64_t m, T* buf, bool* same) {
    *same = false;
    if (count == n) {
        if (m == kChainBlock) return src + i0;
        for (int64_t j = 0; j < m; ++j) buf[j] = src[i0 + j];  // the last, partial block
        return buf;
    }
    if (count == 1) {
        *same = true;
        return src;
    }
    if (at.rem + m <= inner) {
        *same = true;
        return src + at.idx;
    }
    for (int64_t j = 0; j < m; ++j) {
        buf[j] = src[at.idx];
        if (++at.rem == inner) {
            at.rem = 0;
            if (++at.idx == count) at.idx = 0;
        }
    }
    return buf;
}

// y may alias in.p[0] (or any input of the output's shape): the memory planner may run the chain in place.
// That is safe because a block's input elements are all read before the block is stored, and element i
// of a same-shape input is only ever read while computing output element i.
template <typename T>
inline void elementwise_chain(const ChainInputs<T>& in, T* y, const ChainParams& p) {
    T v[kChainBlock] = {};
    T o[kChainBlock] = {};
    ChainCursor at[kChainMaxInputs] = {};
    for (int64_t i0 = 0; i0 < p.n; i0 += kChainBlock) {
        const int64_t m = min_of(kChainBlock, p.n - i0);
        const T* x = in.p[0] + i0;
        for (int64_t j = 0; j < m; ++j) v[j] = x[j];
        for (int32_t s = 0; s < p.num_steps; ++s) {
            const ChainStep& st = p.steps[s];
            const T* opnd = nullptr;
            bool same = false;
            if (st.operand >= 0) {
                const int32_t k = st.operand;
                opnd = chain_operand(in.p[k], p.inner[k], p.count[k], p.n, at[k], i0, m, o, &same);
            }
            chain_step(st, v, opnd, same);
        }
        for (int64_t j = 0; j < m; ++j) y[i0 + j] = v[j];
        for (int k = 0; k < kChainMaxInputs; ++k) {
            if (p.inner[k] == 0 || p.count[k] <= 1 || p.count[k] == p.n) continue;
            at[k].rem += m;
            if (at[k].rem >= p.inner[k]) {
                const int64_t runs = at[k].rem / p.inner[k];
                at[k].rem -= runs * p.inner[k];
                at[k].idx = (at[k].idx + runs) % p.count[k];
            }
        }
    }
}

}  // namespace kernels
}  // namespace kiln
