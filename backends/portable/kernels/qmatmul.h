// Integer matrix products of int8/uint8 with numpy batch broadcasting: MatMulInteger (int32 output) and
// QLinearMatMul (requantized to int8/uint8). A's zero point and scale may be per row, B's per column.
// Rows are accumulated in int32 chunks on the stack with the i-k-j order (the innermost loop streams a
// row of B); B's zero point is applied once per row through the row sum of A:
//   sum_k (a_k - a_zp)(b_kj - b_zp_j) = sum_k (a_k - a_zp) b_kj - b_zp_j * sum_k (a_k - a_zp).
#pragma once

#include <cstdint>

#include "common.h"
#include "quantize.h"

namespace kiln {
namespace kernels {

// A [batch.., M, K] and B [batch.., K, N] with batch dims (in whole matrices) broadcast to Y's. A's
// quantization parameters (zero point, scale) are read at a_batch * a_batch_stride + i * a_row_stride,
// where a_batch is A's matrix index; B's at b_batch * b_batch_stride + j * b_col_stride. Strides of 0
// mean one value for every row / column / matrix.
struct QMatMulParams {
    int64_t m, n, k;
    BroadcastParams batch;
    int64_t a_row_stride, a_batch_stride;
    int64_t b_col_stride, b_batch_stride;
};

constexpr int64_t kQMatMulChunk = 64;

// Calls store(y_offset, acc, count, a_param, b_param) for each chunk of an output row, where a_param
// and b_param index A's parameters for the row and B's for the chunk's first column. Sums wrap in 32 bits.
template <typename TA, typename TB, typename Store>
inline void qmatmul_rows(const TA* a, const TA* a_zp, const TB* b, const TB* b_zp, const QMatMulParams& p,
                         Store store) {
    uint32_t acc[kQMatMulChunk];
    for_each_broadcast(p.batch, [&](int64_t o, int64_t ia, int64_t ib, int64_t) {
        const TA* am = a + ia * p.m * p.k;
        const TB* bm = b + ib * p.k * p.n;
        const int64_t pb = ib * p.b_batch_stride;
        for (int64_t i = 0; i < p.m; ++i) {
            const int64_t pa = ia * p.a_batch_stride + i * p.a_row_stride;
            const int32_t azp = a_zp ? int32_t(a_zp[pa]) : 0;
            const TA* ar = am + i * p.k;
            uint32_t row_sum = 0u;
            for (int64_t kk = 0; kk < p.k; ++kk) row_sum += uint32_t(int32_t(ar[kk]) - azp);
            for (int64_t c0 = 0; c0 < p.n; c0 += kQMatMulChunk) {
                const int64_t count = min_of(p.n - c0, kQMatMulChunk);
                for (int64_t j = 0; j < count; ++j) acc[j] = 0u;
                for (int64_t kk = 0; kk < p.k; ++kk) {
                    const int32_t av = int32_t(ar[kk]) - azp;
                    if (av == 0) continue;
                    const TB* br = bm + kk * p.n + c0;
                    for (int64_t j = 0; j < count; ++j) acc[j] += uint32_t(av * int32_t(br[j]));
                }
                if (b_zp) {
                    const TB* zr = b_zp + pb + c0 * p.b_col_stride;
                    for (int64_t j = 0; j < count; ++j)
                        acc[j] -= uint32_t(int32_t(zr[j * p.b_col_stride])) * row_sum;
                }
                store((o * p.m + i) * p.n + c0, acc, count, pa, pb + c0 * p.b_col_stride);
            }
        }
    });
}

// MatMulInteger: y = (a - a_zp) x (b - b_zp) in int32. Zero points may be nullptr (0).
template <typename TA, typename TB>
inline void matmul_integer(const TA* a, const TB* b, const TA* a_zp, const TB* b_zp, int32_t* y,
                           const QMatMulParams& p) {
    qmatmul_rows(a, a_zp, b, b_zp, p, [&](int64_t off, const uint32_t* acc, int64_t count, int64_t, int64_t) {
        for (int64_t j = 0; j < count; ++j) y[off + j] = int32_t(acc[j]);
    });
}

// QLinearMatMul: y = saturate(round(float(acc) * (a_scale * b_scale / y_scale)) + y_zp) with
// acc = (a - a_zp) x (b - b_zp) in int32; y's scale and zero point are one value each.
template <typename TA, typename TB, typename TY>
inline void qlinear_matmul(const TA* a, const float* a_scale, const TA* a_zp, const TB* b, const float* b_scale,
                           const TB* b_zp, const float* y_scale, const TY* y_zp, TY* y, const QMatMulParams& p) {
    const int32_t yzp = int32_t(*y_zp);
    qmatmul_rows(a, a_zp, b, b_zp, p, [&](int64_t off, const uint32_t* acc, int64_t count, int64_t pa, int64_t pb) {
        const float sa = a_scale[pa];
        if (p.b_col_stride == 0) {
            const float scale = sa * b_scale[pb] / *y_scale;
            for (int64_t j = 0; j < count; ++j) y[off + j] = requantize<TY>(int32_t(acc[j]), scale, yzp);
        } else {
            for (int64_t j = 0; j < count; ++j)
                y[off + j] = requantize<TY>(int32_t(acc[j]), sa * b_scale[pb + j * p.b_col_stride] / *y_scale, yzp);
        }
    });
}

}  // namespace kernels
}  // namespace kiln
