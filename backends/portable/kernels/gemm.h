// Matrix products: Gemm (Y = alpha * op(A) * op(B) + beta * C) and batched MatMul with numpy
// broadcasting of the batch dims. Loops run i-k-j so the innermost loop streams a row of B into a row
// of Y (contiguous, vectorizable); with B transposed the inner loop is a dot product of two rows.
#pragma once

#include <cstdint>

#include "common.h"
#include "epilogue.h"

namespace kiln {
namespace kernels {

// Y[M x N] = A[M x K] * B[K x N], all row-major and contiguous; Y is overwritten.
template <typename T>
inline void matmul_block(const T* a, const T* b, T* y, int64_t m, int64_t n, int64_t k) {
    for (int64_t i = 0; i < m; ++i) {
        T* yr = y + i * n;
        for (int64_t j = 0; j < n; ++j) yr[j] = T(0);
        const T* ar = a + i * k;
        for (int64_t kk = 0; kk < k; ++kk) {
            const T av = ar[kk];
            const T* br = b + kk * n;
            for (int64_t j = 0; j < n; ++j) yr[j] += av * br[j];
        }
    }
}

// Sum of a[i * a_stride] * b[i]. Contiguous operands use four partial sums: independent chains the
// compiler can keep in flight (or in vector lanes) instead of one add latency per element.
template <typename T>
inline T dot(const T* a, int64_t a_stride, const T* b, int64_t n) {
    if (a_stride != 1) {
        T sum = T(0);
        for (int64_t i = 0; i < n; ++i) sum += a[i * a_stride] * b[i];
        return sum;
    }
    T s0 = T(0), s1 = T(0), s2 = T(0), s3 = T(0);
    int64_t i = 0;
    const int64_t n4 = n - n % 4;  // (not i + 4 <= n: with gemm inlined, g++ -O2 then warns the tail loop overflows)
    for (; i < n4; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

// Batch dims of A and B (in whole matrices) broadcast to Y's batch dims.
struct MatMulParams {
    int64_t m, n, k;
    BroadcastParams batch;
};

template <typename T>
inline void matmul(const T* a, const T* b, T* y, const MatMulParams& p) {
    const int64_t sa = p.m * p.k, sb = p.k * p.n, sy = p.m * p.n;
    for_each_broadcast(p.batch, [&](int64_t o, int64_t ia, int64_t ib, int64_t) {
        matmul_block(a + ia * sa, b + ib * sb, y + o * sy, p.m, p.n, p.k);
    });
}

// A is M x K (K x M when trans_a), B is K x N (N x K when trans_b). C, when present, is read at
// i * c_row_stride + j * c_col_stride: strides of 0 broadcast it (scalar, row or column vector).
struct GemmParams {
    int64_t m, n, k;
    int32_t trans_a, trans_b;
    float alpha, beta;
    int32_t has_c;
    int64_t c_row_stride, c_col_stride;
};

// The gemm loop with a per-row epilogue callable: integer gemm passes a no-op, so activations (float
// math) are only instantiated for the float types FusedGemm takes.
template <typename T, typename RowEpilogue>
inline void gemm_rows(const T* a, const T* b, const T* c, const T* z, T* y, const GemmParams& p,
                      RowEpilogue row_epilogue) {
    const T alpha = T(p.alpha), beta = T(p.beta);
    const int64_t a_row = p.trans_a ? 1 : p.k, a_col = p.trans_a ? p.m : 1;
    for (int64_t i = 0; i < p.m; ++i) {
        T* yr = y + i * p.n;
        // One pass over the row, reading z's element before writing y's (they may be the same).
        const T* cr = p.has_c && beta != T(0) ? c + i * p.c_row_stride : nullptr;
        const T* zr = z ? z + i * p.n : nullptr;
        if (cr && zr) {
            for (int64_t j = 0; j < p.n; ++j) yr[j] = beta * cr[j * p.c_col_stride] + zr[j];
        } else if (cr) {
            for (int64_t j = 0; j < p.n; ++j) yr[j] = beta * cr[j * p.c_col_stride];
        } else if (zr) {
            for (int64_t j = 0; j < p.n; ++j) yr[j] = zr[j];
        } else {
            for (int64_t j = 0; j < p.n; ++j) yr[j] = T(0);
        }
        const T* ar = a + i * a_row;
        if (p.trans_b) {
            for (int64_t j = 0; j < p.n; ++j) yr[j] += alpha * dot(ar, a_col, b + j * p.k, p.k);
        } else {
            for (int64_t kk = 0; kk < p.k; ++kk) {
                const T av = alpha * ar[kk * a_col];
                const T* br = b + kk * p.n;
                for (int64_t j = 0; j < p.n; ++j) yr[j] += av * br[j];
            }
        }
        row_epilogue(yr);
    }
}

// Fused form (FusedGemm): Y = act(alpha * op(A) * op(B) + beta * C + Z), Z (optional) of Y's shape
// [M x N]. Each row of Y starts as beta * C + Z and gets its activation as soon as it is complete, so
// nothing intermediate is written. Y may alias Z (in place): a row of Z is read only to initialise the
// same row of Y. Y must not alias A, B or C.
template <typename T>
inline void gemm_fused(const T* a, const T* b, const T* c, const T* z, T* y, const GemmParams& p,
                       const Epilogue& e) {
    gemm_rows(a, b, c, z, y, p, [&](T* row) { apply_epilogue(row, p.n, e); });
}

template <typename T>
inline void gemm(const T* a, const T* b, const T* c, T* y, const GemmParams& p) {
    gemm_rows(a, b, c, static_cast<const T*>(nullptr), y, p, [](T*) {});
}

}  // namespace kernels
}  // namespace kiln
