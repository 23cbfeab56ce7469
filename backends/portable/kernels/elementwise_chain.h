// ElementwiseChain (a Kiln-internal op made by fuse-elementwise): a short program of elementwise steps run
// over the output in one pass. Each element of the main input is loaded once, every step is applied to a
// small block of values held on the stack (in registers or L1), and the result is stored once. Steps use
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
constexpr int64_t kChainBlock = 32;  // values per block: 256 bytes of stack for two float64 blocks

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

template <typename T, typename F>
inline void chain_map(T* v, int64_t m, F f) {
    for (int64_t j = 0; j < m; ++j) v[j] = f(v[j]);
}

template <typename T, typename F>
inline void chain_zip(T* v, const T* o, int64_t m, int32_t swap, F f) {
    if (swap != 0) {
        for (int64_t j = 0; j < m; ++j) v[j] = f(o[j], v[j]);
    } else {
        for (int64_t j = 0; j < m; ++j) v[j] = f(v[j], o[j]);
    }
}

template <typename T>
inline void chain_step(const ChainStep& s, T* v, const T* o, int64_t m) {
    switch (s.op) {
    case kChainNeg: chain_map(v, m, Neg()); break;
    case kChainAbs: chain_map(v, m, Abs()); break;
    case kChainExp: chain_map(v, m, Exp()); break;
    case kChainLog: chain_map(v, m, Log()); break;
    case kChainSqrt: chain_map(v, m, Sqrt()); break;
    case kChainReciprocal: chain_map(v, m, Reciprocal()); break;
    case kChainFloor: chain_map(v, m, Floor()); break;
    case kChainCeil: chain_map(v, m, Ceil()); break;
    case kChainRound: chain_map(v, m, Round()); break;
    case kChainSign: chain_map(v, m, Sign()); break;
    case kChainErf: chain_map(v, m, Erf()); break;
    case kChainSin: chain_map(v, m, Sin()); break;
    case kChainCos: chain_map(v, m, Cos()); break;
    case kChainTan: chain_map(v, m, Tan()); break;
    case kChainAtan: chain_map(v, m, Atan()); break;
    case kChainSinh: chain_map(v, m, Sinh()); break;
    case kChainCosh: chain_map(v, m, Cosh()); break;
    case kChainTanh: chain_map(v, m, Tanh()); break;
    case kChainSigmoid: chain_map(v, m, Sigmoid()); break;
    case kChainRelu: chain_map(v, m, Relu()); break;
    case kChainLeakyRelu: chain_map(v, m, LeakyRelu{s.a}); break;
    case kChainClip: chain_map(v, m, ChainClip{s.a, s.b}); break;
    case kChainHardSigmoid: chain_map(v, m, HardSigmoid{s.a, s.b}); break;
    case kChainHardSwish: chain_map(v, m, HardSwish()); break;
    case kChainElu: chain_map(v, m, Elu{s.a}); break;
    case kChainSelu: chain_map(v, m, Selu{s.a, s.b}); break;
    case kChainCelu: chain_map(v, m, Celu{s.a}); break;
    case kChainSoftplus: chain_map(v, m, Softplus()); break;
    case kChainSoftsign: chain_map(v, m, Softsign()); break;
    case kChainThresholdedRelu: chain_map(v, m, ThresholdedRelu{s.a}); break;
    case kChainAdd: chain_zip(v, o, m, s.swap, Add()); break;
    case kChainSub: chain_zip(v, o, m, s.swap, Sub()); break;
    case kChainMul: chain_zip(v, o, m, s.swap, Mul()); break;
    case kChainDiv: chain_zip(v, o, m, s.swap, Div()); break;
    case kChainPow: chain_zip(v, o, m, s.swap, Pow()); break;
    case kChainMax: chain_zip(v, o, m, s.swap, Max()); break;
    case kChainMin: chain_zip(v, o, m, s.swap, Min()); break;
    case kChainPRelu: chain_zip(v, o, m, s.swap, PRelu()); break;
    default: break;
    }
}

// The operand's values for output elements [i0, i0 + m): read in place when it has the output's shape,
// otherwise gathered into buf with a running (index, position in the inner run) cursor.
template <typename T>
inline const T* chain_operand(const T* src, int64_t inner, int64_t count, int64_t n, int64_t i0, int64_t m, T* buf) {
    if (count == n) return src + i0;
    int64_t idx = (i0 / inner) % count, rem = i0 % inner;
    for (int64_t j = 0; j < m; ++j) {
        buf[j] = src[idx];
        if (++rem == inner) {
            rem = 0;
            if (++idx == count) idx = 0;
        }
    }
    return buf;
}

// y may alias in.p[0] (or any input of the output's shape): the memory planner may run the chain in place.
// That is safe because a block's input elements are all read before the block is stored, and element i
// of a same-shape input is only ever read while computing output element i.
template <typename T>
inline void elementwise_chain(const ChainInputs<T>& in, T* y, const ChainParams& p) {
    T v[kChainBlock];
    T o[kChainBlock];
    for (int64_t i0 = 0; i0 < p.n; i0 += kChainBlock) {
        const int64_t m = min_of(kChainBlock, p.n - i0);
        const T* x = in.p[0] + i0;
        for (int64_t j = 0; j < m; ++j) v[j] = x[j];
        for (int32_t s = 0; s < p.num_steps; ++s) {
            const ChainStep& st = p.steps[s];
            const T* opnd = nullptr;
            if (st.operand >= 0) {
                const int32_t k = st.operand;
                opnd = chain_operand(in.p[k], p.inner[k], p.count[k], p.n, i0, m, o);
            }
            chain_step(st, v, opnd, m);
        }
        for (int64_t j = 0; j < m; ++j) y[i0 + j] = v[j];
    }
}

}  // namespace kernels
}  // namespace kiln
