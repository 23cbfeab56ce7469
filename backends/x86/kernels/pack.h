// Weight packing for the x86 kernels, with no intrinsics: the compiler includes this header to re-lay out
// constant weights when it emits a model (the packed arrays are what the generated code holds), and the
// kernels include it for the same sizes. The register-block sizes of each ISA (simd.h) are repeated here as
// plain constants; simd.h checks that they agree.
#pragma once

#include <cstdint>

namespace kiln {
namespace kernels {
namespace x86 {

// Micro-kernel tile: MR rows (broadcast operand) x NR columns (vector operand). (Struct members: a
// namespace-scope constant the generated file does not use would trip clang's -Wunused-const-variable.)
struct Avx512Tile {
    static constexpr int kMr = 14;
    static constexpr int kNr = 32;
};
struct Avx2Tile {
    static constexpr int kMr = 6;
    static constexpr int kNr = 16;
};

// Floats pack_b writes: ceil(n / nr) panels of k x nr (the last one zero-padded).
inline int64_t packed_b_floats(int64_t k, int64_t n, int64_t nr) { return (n + nr - 1) / nr * nr * k; }

// packed[(p * k + kk) * nr + j] = alpha * B[kk][p * nr + j], zero for columns >= n. B is K x N (row-major),
// or N x K when trans_b (ONNX Gemm transB: a Linear layer's weight).
inline void pack_b(const float* b, int64_t k, int64_t n, bool trans_b, float alpha, int64_t nr, float* packed) {
    for (int64_t p = 0; p * nr < n; ++p) {
        float* panel = packed + p * k * nr;
        for (int64_t kk = 0; kk < k; ++kk) {
            for (int64_t j = 0; j < nr; ++j) {
                const int64_t col = p * nr + j;
                panel[kk * nr + j] = col < n ? alpha * (trans_b ? b[col * k + kk] : b[kk * n + col]) : 0.0f;
            }
        }
    }
}

// Floats pack_a writes: ceil(m / mr) panels of k x mr (the last one zero-padded).
inline int64_t packed_a_floats(int64_t m, int64_t k, int64_t mr) { return (m + mr - 1) / mr * mr * k; }

// packed[(p * k + kk) * mr + i] = A[p * mr + i][kk] (A is M x K row-major: a 1x1 convolution's weight
// [Cout, Cin]), zero for rows >= m: the micro-kernel's broadcasts of one k step are then contiguous.
inline void pack_a(const float* a, int64_t m, int64_t k, int64_t mr, float* packed) {
    for (int64_t p = 0; p * mr < m; ++p) {
        float* panel = packed + p * k * mr;
        for (int64_t kk = 0; kk < k; ++kk) {
            for (int64_t i = 0; i < mr; ++i) {
                const int64_t row = p * mr + i;
                panel[kk * mr + i] = row < m ? a[row * k + kk] : 0.0f;
            }
        }
    }
}

// Winograd F(2x2, 3x3) filters (winograd.h): U = G g G^T for each output/input channel pair, G = [1 0 0;
// 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]; for each of the 16 positions xi, the Cout x Cin matrix U[xi] packed as
// pack_a does (MR-row panels), positions one after the other. w: Conv weights [Cout][Cin][3][3].
inline int64_t winograd_packed_floats(int64_t cout, int64_t cin, int64_t mr) { return 16 * packed_a_floats(cout, cin, mr); }

inline void winograd_pack_weights(const float* w, int64_t cout, int64_t cin, int64_t mr, float* packed) {
    const double g[4][3] = {{1.0, 0.0, 0.0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0.0, 0.0, 1.0}};
    const int64_t per_position = packed_a_floats(cout, cin, mr);
    for (int xi = 0; xi < 16; ++xi) {
        const int a = xi / 4, b = xi % 4;
        float* out = packed + xi * per_position;
        for (int64_t p = 0; p * mr < cout; ++p) {
            for (int64_t c = 0; c < cin; ++c) {
                for (int64_t i = 0; i < mr; ++i) {
                    const int64_t o = p * mr + i;
                    double u = 0.0;
                    if (o < cout) {
                        const float* f = w + (o * cin + c) * 9;
                        for (int r = 0; r < 3; ++r)
                            for (int s = 0; s < 3; ++s) u += g[a][r] * double(f[r * 3 + s]) * g[b][s];
                    }
                    out[(p * cin + c) * mr + i] = float(u);
                }
            }
        }
    }
}

// Tile rows per block: the block's V (16 x Cin x T) and M (16 x Cout x T) stay within about `budget_floats`
// (L2-sized), at least one tile row. T = rows x tiles per row, each tile row padded to whole vectors.
inline int64_t winograd_block_rows(int64_t cin, int64_t cout, int64_t out_h, int64_t out_w, int64_t lanes,
                                   int64_t budget_floats = 262144) {
    const int64_t th = (out_h + 1) / 2, tw = (out_w + 1) / 2;
    const int64_t row_floats = 16 * (cin + cout) * ((tw + lanes - 1) / lanes * lanes);
    int64_t rows = budget_floats / (row_floats > 0 ? row_floats : 1);
    if (rows < 1) rows = 1;
    return rows < th ? rows : th;
}

// Floats of one zero-padded input row as the input transform reads it (whole vectors of tiles, + 3 columns).
inline int64_t winograd_padded_row_floats(int64_t out_w, int64_t lanes) {
    const int64_t tw_pad = ((out_w + 1) / 2 + lanes - 1) / lanes * lanes;
    return (2 * tw_pad + 3 + lanes - 1) / lanes * lanes;
}

// Scratch floats: V and M of one block, its zero-padded input rows and a row of zeros.
inline int64_t winograd_workspace_floats(int64_t cin, int64_t cout, int64_t out_w, int64_t block_rows, int64_t lanes) {
    const int64_t tw = (out_w + 1) / 2;
    return 16 * (cin + cout) * block_rows * ((tw + lanes - 1) / lanes * lanes) +
           (2 * block_rows + 3) * winograd_padded_row_floats(out_w, lanes);
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
