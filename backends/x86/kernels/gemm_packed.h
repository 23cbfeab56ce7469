// Register-blocked SGEMM for x86 (AVX2, AVX-512) with one operand packed at compile time, and the fused
// epilogue (bias, residual add, activation) applied to each tile in registers before it is stored.
//   gemm_packed_b: Y[M x N] = act(A[M x K] * B + bias + Z), B constant (weights of Gemm/MatMul), packed by
//                  pack_b into NR-column panels; A is the activation, read in place.
//   conv1x1_packed: Y[Cout x HW] = act(W[Cout x Cin] * X[Cin x HW] + bias[Cout] + Z) per image (NCHW 1x1
//                  convolution, stride 1), W constant, packed by pack_a into MR-row panels; X read in place.
// Both run the same micro-kernel: MR rows x NR columns of accumulators; per k it broadcasts MR values of the
// left operand and loads NV vectors of the right one. See backends/x86/README.md for the layouts.
#pragma once

#include <cstdint>

#include "../../portable/kernels/epilogue.h"
#include "pack.h"
#include "simd.h"
#include "vmath.h"

namespace kiln {
namespace kernels {
namespace x86 {

// --- Micro-kernel ---

// Vector v of a row of `cols` valid floats at p (lanes past cols are 0). A vector wholly past the row is not
// loaded and no pointer past the row is formed (p + v * L could point beyond the array).
template <class Isa>
inline typename Isa::V load_cols(const float* p, int v, int64_t cols) {
    const int64_t first = int64_t(v) * Isa::kLanes;
    return cols > first ? Isa::load_n(p + first, cols - first) : Isa::zero();
}

enum BiasKind : int32_t { kBiasNone = 0, kBiasPerColumn = 1, kBiasPerRow = 2 };

// What the micro-kernel does to a finished tile: bias (per column: Gemm's C row vector; per row: a
// convolution's per-channel bias), residual Z (same layout as Y, may alias it), then the activation.
struct TileEpilogue {
    const float* bias;  // indexed by the global column or row (per bias_kind)
    int32_t bias_kind;
    const float* z;     // nullptr: no residual; else z[row * ldy + col]
    kernels::Epilogue act;
};

// Flags of micro_tile for a K split into blocks (conv_packed): the first block stores its partial sums with
// bias and residual added (flags kTileNoActivation), later ones add their products to the stored tile
// (kTileAccumulate: no bias or residual again), and only the last applies the activation. 0: the whole K.
enum TileFlags : int32_t { kTileAccumulate = 1, kTileNoActivation = 2 };

// acc[i][v] += sum over kk < k of a[i * a_rs + kk * a_cs] * b[kk * b_rs + v * L ...] (micro_tile's K loop;
// always inlined so constant strides fold into the addressing).
// pf: nullptr, or k * 16 floats to prefetch into L2 (one cache line per step; conv_packed passes the next panel
// of its weight stream, so the stream arrives spread over the tile instead of in one burst).
template <class Isa, int MR, bool kMaskB, int NV>
__attribute__((always_inline)) inline void tile_products(typename Isa::V (&acc)[MR][NV], int64_t k,
                                                         const float* a, int64_t a_rs, int64_t a_cs, const float* b,
                                                         int64_t b_rs, int64_t cols, const float* pf) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    // One k step. The loops below run it unrolled by 4 (the loop's counter, pointer steps and branch taken once per
    // four steps: in L1, 6x16 AVX2 tiles went from 86 to 92 GFLOP/s of a 95 peak), the prefetching one apart (no
    // test of pf per step).
    auto step = [&](int64_t kk) __attribute__((always_inline)) {
        const float* br = b + kk * b_rs;
        V bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) bv[v] = kMaskB ? load_cols<Isa>(br, v, cols) : Isa::load(br + v * L);
        const float* ak = a + kk * a_cs;
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
            const V av = Isa::set1(ak[i * a_rs]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[i][v] = Isa::fmadd(av, bv[v], acc[i][v]);
        }
    };
    if (pf) {
#pragma GCC unroll 4
        for (int64_t kk = 0; kk < k; ++kk) {
            __builtin_prefetch(pf + kk * 16, 0, 2);
            step(kk);
        }
    } else {
#pragma GCC unroll 4
        for (int64_t kk = 0; kk < k; ++kk) step(kk);
    }
}

// One tile: MR rows (template) x up to NV * lanes columns (`cols`; fewer on the right edge). NV: vectors per
// row, Isa::kNv (NR) except for conv_packed's narrow last strip (1).
// Left operand: row i, step kk at a[i * a_rs + kk * a_cs]. Right operand: step kk at b + kk * b_rs, NR
// contiguous floats; kMaskB: only `cols` of them may be read (B is the activation, not a padded panel).
// y, z point at the tile's (row0, col0) element; rows are ldy apart. flags: TileFlags (0: y = act(A B + bias + Z)).
// PMR: the rows of a packed panel (a_rs 1, a_cs PMR gets the loop with constant strides): Isa::kMr, or the row
// block conv_packed was given (ConvTile, pack.h).
template <class Isa, int MR, bool kMaskB, int NV = Isa::kNv, int PMR = Isa::kMr>
inline void micro_tile(int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                       float* y, int64_t ldy, int64_t cols, int64_t row0, int64_t col0, const TileEpilogue& e,
                       int32_t flags = 0, const float* pf = nullptr) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = Isa::zero();
    }
    // A packed panel (conv weights: a_rs 1, a_cs PMR, also in edge tiles of MR < PMR rows) gets its own
    // copy of the loop with constant strides: 14 runtime row offsets would not fit in the integer registers.
    if (a_rs == 1 && a_cs == PMR)
        tile_products<Isa, MR, kMaskB, NV>(acc, k, a, 1, PMR, b, b_rs, cols, pf);
    else
        tile_products<Isa, MR, kMaskB, NV>(acc, k, a, a_rs, a_cs, b, b_rs, cols, pf);

    // Epilogue in registers.
    if (flags & kTileAccumulate) {
        // A later K block: add the stored partial sums (they already hold bias and residual).
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v)
                acc[i][v] = Isa::add(acc[i][v], load_cols<Isa>(y + i * ldy, v, cols));
        }
    } else if (e.bias_kind == kBiasPerColumn) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            const V bias = load_cols<Isa>(e.bias + col0, v, cols);
#pragma GCC unroll 16
            for (int i = 0; i < MR; ++i) acc[i][v] = Isa::add(acc[i][v], bias);
        }
    } else if (e.bias_kind == kBiasPerRow) {
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
            const V bias = Isa::set1(e.bias[row0 + i]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[i][v] = Isa::add(acc[i][v], bias);
        }
    }
    if (e.z && !(flags & kTileAccumulate)) {
        const float* z = e.z + row0 * ldy + col0;
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[i][v] = Isa::add(acc[i][v], load_cols<Isa>(z + i * ldy, v, cols));
        }
    }
    bool scalar_act = false;
    switch ((flags & kTileNoActivation) ? int32_t(kernels::kActNone) : e.act.activation) {
    case kernels::kActNone: break;
    case kernels::kActRelu:
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[i][v] = Isa::max(acc[i][v], Isa::zero());
        break;
    case kernels::kActClip: {
        const V lo = Isa::set1(e.act.p0), hi = Isa::set1(e.act.p1);
        // max/min return their second operand when one is NaN: NaN stays NaN, as in the portable Clip.
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[i][v] = Isa::min(hi, Isa::max(lo, acc[i][v]));
        break;
    }
    case kernels::kActLeakyRelu: {
        const V alpha = Isa::set1(e.act.p0);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[i][v] = Isa::leaky(acc[i][v], alpha);
        break;
    }
    case kernels::kActHardSigmoid: {
        const V alpha = Isa::set1(e.act.p0), beta = Isa::set1(e.act.p1), one = Isa::set1(1.0f);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v)
                acc[i][v] = Isa::min(one, Isa::max(Isa::zero(), Isa::fmadd(alpha, acc[i][v], beta)));
        break;
    }
    case kernels::kActHardSwish: {
        const V sixth = Isa::set1(1.0f / 6.0f), half = Isa::set1(0.5f), one = Isa::set1(1.0f);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) {
                const V x = acc[i][v];
                acc[i][v] = Isa::mul(x, Isa::min(one, Isa::max(Isa::zero(), Isa::fmadd(x, sixth, half))));
            }
        break;
    }
    case kernels::kActSigmoid:
    case kernels::kActSilu: {
        const bool silu = e.act.activation == kernels::kActSilu;  // x * sigmoid(x), as vsilu
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) {
                const V s = vsigmoid<Isa>(acc[i][v]);
                acc[i][v] = silu ? Isa::mul(acc[i][v], s) : s;
            }
        break;
    }
    default: scalar_act = true; break;  // tanh: the portable functor on the stored rows
    }

    const bool full = cols == NV * L;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
        float* yr = y + i * ldy;
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            if (full) {
                Isa::store(yr + v * L, acc[i][v]);
            } else if (cols > v * L) {
                Isa::store_n(yr + v * L, acc[i][v], cols - v * L);
            }
        }
        if (scalar_act) kernels::apply_epilogue(yr, cols, e.act);
    }
}

// One column of an MR-row panel times B: lane i = sum over k of a[k * MR + i] * b[k * b_rs] (lanes >= MR are 0),
// in four partial sums (k steps of 4; one chain waits on the FMA latency). For the pixels or tiles a strip's
// vectors leave over (conv_packed's wide 7x7 strip, winograd4's last tiles), with the output channels in lanes.
template <class Isa, int MR>
KILN_X86_INLINE typename Isa::V panel_column(int64_t kc, const float* a, const float* b, int64_t b_rs) {
    using V = typename Isa::V;
    static_assert(MR <= Isa::kLanes, "a panel's rows are the lanes of one vector");
    V acc[4] = {Isa::zero(), Isa::zero(), Isa::zero(), Isa::zero()};
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u)
            acc[u] = Isa::fmadd(Isa::load_n(a + (k + u) * MR, MR), Isa::set1(b[(k + u) * b_rs]), acc[u]);
    }
    for (; k < kc; ++k) acc[0] = Isa::fmadd(Isa::load_n(a + k * MR, MR), Isa::set1(b[k * b_rs]), acc[0]);
    return Isa::add(Isa::add(acc[0], acc[1]), Isa::add(acc[2], acc[3]));
}

// The products of one tile stored as they are (no bias, residual or activation; all NV vectors of every row):
// y[i * ldy + c] = sum over kk < k of a[kk * PMR + i] * b[kk * b_rs + c] for i < MR, c < NV * lanes; a is a packed
// panel of PMR rows (MR of them used). Winograd's per-position products, always inlined into its loop (micro_tile
// with a constant empty epilogue was inlined there or not as g++'s size estimates went).
template <class Isa, int MR, int NV, int PMR = Isa::kMr>
KILN_X86_INLINE void product_tile(int64_t k, const float* a, const float* b, int64_t b_rs, float* y, int64_t ldy,
                                  const float* pf) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = Isa::zero();
    tile_products<Isa, MR, false, NV>(acc, k, a, 1, PMR, b, b_rs, NV * L, pf);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) Isa::store(y + i * ldy + v * L, acc[i][v]);
}

// product_tile with MR = rows (1..MR).
template <class Isa, int MR, int NV, int PMR = Isa::kMr>
inline void product_rows(int64_t rows, int64_t k, const float* a, const float* b, int64_t b_rs, float* y,
                         int64_t ldy, const float* pf) {
    if (rows >= MR || MR == 1) product_tile<Isa, MR, NV, PMR>(k, a, b, b_rs, y, ldy, pf);
    else product_rows<Isa, (MR > 1 ? MR - 1 : 1), NV, PMR>(rows, k, a, b, b_rs, y, ldy, pf);
}

// Runs micro_tile with MR = rows (1..MR) for the bottom edge.
template <class Isa, bool kMaskB, int MR, int NV = Isa::kNv, int PMR = Isa::kMr>
struct EdgeRows {
    static void run(int64_t rows, int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
                    int64_t b_rs, float* y, int64_t ldy, int64_t cols, int64_t row0, int64_t col0,
                    const TileEpilogue& e, int32_t flags = 0, const float* pf = nullptr) {
        if (rows == MR) {
            micro_tile<Isa, MR, kMaskB, NV, PMR>(k, a, a_rs, a_cs, b, b_rs, y, ldy, cols, row0, col0, e, flags, pf);
        } else {
            EdgeRows<Isa, kMaskB, MR - 1, NV, PMR>::run(rows, k, a, a_rs, a_cs, b, b_rs, y, ldy, cols, row0, col0, e,
                                                        flags, pf);
        }
    }
};
template <class Isa, bool kMaskB, int NV, int PMR>
struct EdgeRows<Isa, kMaskB, 0, NV, PMR> {
    static void run(int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t,
                    int64_t, int64_t, int64_t, const TileEpilogue&, int32_t = 0, const float* = nullptr) {}
};

// --- Drivers ---

// Y[M x N] = act(A * B + bias + Z). A: M x K row-major with row stride lda. packed_b: pack_b(..., nr =
// Isa::kNv * Isa::kLanes). bias: per column (length N, Gemm's C with beta folded in by the compiler) or none.
// Z: M x N (row stride n) or nullptr; may alias y. alpha is folded into packed_b.
// How far ahead (floats) gemv_packed_b prefetches its weight stream, into L1 (a classifier's weights are read
// once per inference, from memory; MobileNetV2's 1280 x 1000 in the model: 0.34 ms with the GEMM tile, 0.70 with
// a non-temporal prefetch 4 KiB ahead, 0.19-0.29 with this; ONNX Runtime 0.20).
constexpr int64_t kGemvPrefetchFloats = 2048;

// y[1 x N] = act(a[1 x K] * B + bias + z): one row (a classifier after global pooling). Memory-bound on B, which
// packed panels make one contiguous stream: four independent accumulator sets (not one FMA chain) and a
// software prefetch kGemvPrefetchFloats ahead of the loads.
template <class Isa>
inline void gemv_packed_b(const float* a, const float* packed_b, const float* bias, const float* z, float* y,
                          int64_t n, int64_t k, const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int NV = Isa::kNv, L = Isa::kLanes, NR = NV * L;
    const float* end = packed_b + (n + NR - 1) / NR * NR * k;
    for (int64_t j0 = 0; j0 < n; j0 += NR) {
        const float* panel = packed_b + j0 * k;
        const int64_t cols = n - j0 < NR ? n - j0 : NR;
        V acc[4][NV];
#pragma GCC unroll 16
        for (int u = 0; u < 4; ++u)
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[u][v] = Isa::zero();
        const int64_t k4 = k / 4 * 4;
        for (int64_t kk = 0; kk < k4; kk += 4) {
            const float* b = panel + kk * NR;
            if (end - b > kGemvPrefetchFloats + 4 * NR)
#pragma GCC unroll 16
                for (int l = 0; l < 4 * NR; l += 16) __builtin_prefetch(b + kGemvPrefetchFloats + l, 0, 3);
#pragma GCC unroll 4
            for (int u = 0; u < 4; ++u) {
                const V av = Isa::set1(a[kk + u]);
#pragma GCC unroll 4
                for (int v = 0; v < NV; ++v) acc[u][v] = Isa::fmadd(av, Isa::load(b + u * NR + v * L), acc[u][v]);
            }
        }
        // The last k % 4 steps (counted from 0: g++ 12 otherwise warns, inlined with a constant K, that a
        // continued loop overflows: -Waggressive-loop-optimizations, an error in generated code).
        for (int64_t r = 0; r < k - k4; ++r) {
            const V av = Isa::set1(a[k4 + r]);
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v)
                acc[0][v] = Isa::fmadd(av, Isa::load(panel + (k4 + r) * NR + v * L), acc[0][v]);
        }
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
            V sum = Isa::add(Isa::add(acc[0][v], acc[1][v]), Isa::add(acc[2][v], acc[3][v]));
            if (bias) sum = Isa::add(sum, load_cols<Isa>(bias + j0, v, cols));
            if (z) sum = Isa::add(sum, load_cols<Isa>(z + j0, v, cols));
            if (cols > v * L) Isa::store_n(y + j0 + v * L, sum, cols - v * L);
        }
        kernels::apply_epilogue(y + j0, cols, act);
    }
}

template <class Isa>
inline void gemm_packed_b(const float* a, int64_t lda, const float* packed_b, const float* bias, const float* z,
                          float* y, int64_t m, int64_t n, int64_t k, const kernels::Epilogue& act) {
    constexpr int MR = Isa::kMr;
    constexpr int NR = Isa::kNv * Isa::kLanes;
    if (m == 1) return gemv_packed_b<Isa>(a, packed_b, bias, z, y, n, k, act);
    const TileEpilogue e{bias, bias ? kBiasPerColumn : kBiasNone, z, act};
    // Panels outer: one k x NR panel of B (K = 512: 64 KiB) stays in L1/L2 while every row block uses it.
    for (int64_t j0 = 0; j0 < n; j0 += NR) {
        const float* panel = packed_b + j0 * k;
        const int64_t cols = n - j0 < NR ? n - j0 : NR;
        int64_t i0 = 0;
        for (; i0 + MR <= m; i0 += MR)
            micro_tile<Isa, MR, false>(k, a + i0 * lda, lda, 1, panel, NR, y + i0 * n + j0, n, cols, i0, j0, e);
        if (i0 < m)
            EdgeRows<Isa, false, MR>::run(m - i0, k, a + i0 * lda, lda, 1, panel, NR, y + i0 * n + j0, n, cols, i0,
                                          j0, e);
    }
}

// NCHW 1x1 convolution, stride 1, no padding: per image y[Cout x HW] = act(W x[Cin x HW] + bias + z).
// packed_w: pack_a(W, Cout, Cin, Isa::kMr). bias: per output channel or nullptr. z: y's shape or nullptr.
// strip: optional workspace of conv1x1_strip_floats(cin) floats; with it each Cin x NR strip of X is copied
// into one contiguous (zero-padded) panel before the row blocks use it.
template <class Isa>
inline int64_t conv1x1_strip_floats(int64_t cin) { return cin * Isa::kNv * Isa::kLanes; }

template <class Isa>
inline void conv1x1_packed(const float* x, const float* packed_w, const float* bias, const float* z, float* y,
                           int64_t batch, int64_t cin, int64_t cout, int64_t hw, const kernels::Epilogue& act,
                           float* strip = nullptr) {
    constexpr int MR = Isa::kMr;
    constexpr int NR = Isa::kNv * Isa::kLanes;
    for (int64_t b = 0; b < batch; ++b) {
        const float* xb = x + b * cin * hw;
        float* yb = y + b * cout * hw;
        const TileEpilogue e{bias, bias ? kBiasPerRow : kBiasNone, z ? z + b * cout * hw : nullptr, act};
        // Column strips outer: the Cin x NR strip of X is read from memory once and reused by every
        // block of output channels.
        for (int64_t j0 = 0; j0 < hw; j0 += NR) {
            const int64_t cols = hw - j0 < NR ? hw - j0 : NR;
            if (strip) {
                constexpr int L = Isa::kLanes;
                for (int64_t c = 0; c < cin; ++c)
#pragma GCC unroll 16
                    for (int v = 0; v < Isa::kNv; ++v)
                        Isa::store(strip + c * NR + v * L, load_cols<Isa>(xb + c * hw + j0, v, cols));
                for (int64_t i0 = 0; i0 < cout; i0 += MR) {
                    const int64_t rows = cout - i0 < MR ? cout - i0 : MR;
                    float* yt = yb + i0 * hw + j0;
                    if (rows == MR)
                        micro_tile<Isa, MR, false>(cin, packed_w + i0 * cin, 1, MR, strip, NR, yt, hw, cols, i0, j0, e);
                    else
                        EdgeRows<Isa, false, MR>::run(rows, cin, packed_w + i0 * cin, 1, MR, strip, NR, yt, hw, cols,
                                                      i0, j0, e);
                }
                continue;
            }
            for (int64_t i0 = 0; i0 < cout; i0 += MR) {
                const float* wp = packed_w + i0 * cin;  // panel i0 / MR
                float* yt = yb + i0 * hw + j0;
                const int64_t rows = cout - i0 < MR ? cout - i0 : MR;
                if (cols == NR) {
                    if (rows == MR)
                        micro_tile<Isa, MR, false>(cin, wp, 1, MR, xb + j0, hw, yt, hw, cols, i0, j0, e);
                    else
                        EdgeRows<Isa, false, MR>::run(rows, cin, wp, 1, MR, xb + j0, hw, yt, hw, cols, i0, j0, e);
                } else {
                    EdgeRows<Isa, true, MR>::run(rows, cin, wp, 1, MR, xb + j0, hw, yt, hw, cols, i0, j0, e);
                }
            }
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
