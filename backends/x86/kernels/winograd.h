// Winograd F(2x2, 3x3) convolution for x86 (AVX2, AVX-512): 3x3, stride 1, no dilation, one group, NCHW.
// Each 2x2 block of outputs ("tile") takes 16 multiply-adds per input channel instead of 36: with
// d the 4x4 input patch and g the filter, Y = A^T [ (G g G^T) .* (B^T d B) ] A. The filter transform
// U = G g G^T is done by the compiler (pack.h: winograd_pack_weights); here, per block of tile rows,
//   1. input transform: V[xi][c][t] = (B^T d B)[xi] for the 16 positions xi, vectorized across the tiles
//      of a tile row (lane l = tile tx0 + l: its patch columns are the even/odd input columns);
//   2. 16 GEMMs M[xi] (Cout x T) = U[xi] (Cout x Cin, packed in MR-row panels) x V[xi] (Cin x T) on the
//      register-blocked micro-kernel of gemm_packed.h;
//   3. output transform Y = A^T M A per tile, interleaved back to output columns, with bias, residual and
//      activation applied in registers before the store.
// Rounding differs from the direct convolution by a few ulps of the sums (the transforms add and subtract
// inputs before the products).
#pragma once

#include <cstdint>
#include <cstring>

#include "../../portable/kernels/epilogue.h"
#include "depthwise.h"
#include "gemm_packed.h"
#include "pack.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

struct WinogradParams {
    int64_t batch, in_channels, out_channels;
    int64_t in_h, in_w, out_h, out_w;
    int64_t pad_top, pad_left;
    int64_t block_rows;  // tile rows per block (winograd_block_rows)
};

#if defined(__AVX512F__)
// (a0 b0 a1 b1 ... a7 b7), (a8 b8 ... a15 b15)
KILN_X86_INLINE void winograd_interleave(__m512 a, __m512 b, __m512* lo, __m512* hi) {
    const __m512i ilo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i ihi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    *lo = _mm512_permutex2var_ps(a, ilo, b);
    *hi = _mm512_permutex2var_ps(a, ihi, b);
}
#endif
#if defined(__AVX2__)
KILN_X86_INLINE void winograd_interleave(__m256 a, __m256 b, __m256* lo, __m256* hi) {
    const __m256 l = _mm256_unpacklo_ps(a, b);  // a0 b0 a1 b1 | a4 b4 a5 b5
    const __m256 h = _mm256_unpackhi_ps(a, b);  // a2 b2 a3 b3 | a6 b6 a7 b7
    *lo = _mm256_permute2f128_ps(l, h, 0x20);
    *hi = _mm256_permute2f128_ps(l, h, 0x31);
}
#endif

// Input transform of one channel for L tiles of one tile row: rows[r] is input row 2 ty - pad_top + r,
// zero-padded (column j holds input column j - pad_left), or a row of zeros; lane l of the chunk starting at
// tile tx0 reads columns 2 (tx0 + l) .. 2 (tx0 + l) + 3. Writes v[xi * v_stride + l].
template <class Isa>
KILN_X86_INLINE void winograd_input_row(const float* const* rows, int64_t tx0, float* v, int64_t v_stride) {
    using V = typename Isa::V;
    V d[4][4];
#pragma GCC unroll 16
    for (int r = 0; r < 4; ++r)
#pragma GCC unroll 16
        for (int col = 0; col < 4; ++col) d[r][col] = Isa::load_even(rows[r] + 2 * tx0 + col);
    // W = d B (per row), then V = B^T W (per column); B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
    V w[4][4];
#pragma GCC unroll 16
    for (int r = 0; r < 4; ++r) {
        w[r][0] = Isa::sub(d[r][0], d[r][2]);
        w[r][1] = Isa::add(d[r][1], d[r][2]);
        w[r][2] = Isa::sub(d[r][2], d[r][1]);
        w[r][3] = Isa::sub(d[r][1], d[r][3]);
    }
#pragma GCC unroll 16
    for (int col = 0; col < 4; ++col) {
        Isa::store(v + (0 * 4 + col) * v_stride, Isa::sub(w[0][col], w[2][col]));
        Isa::store(v + (1 * 4 + col) * v_stride, Isa::add(w[1][col], w[2][col]));
        Isa::store(v + (2 * 4 + col) * v_stride, Isa::sub(w[2][col], w[1][col]));
        Isa::store(v + (3 * 4 + col) * v_stride, Isa::sub(w[1][col], w[3][col]));
    }
}

// x [batch, Cin, in_h, in_w]; packed_u: winograd_pack_weights(W, Cout, Cin, Isa::kMr); bias [Cout] or nullptr;
// z (y's shape, may alias y) or nullptr; y [batch, Cout, out_h, out_w] with out = in + pads - 2.
// workspace: winograd_workspace_floats(Cin, Cout, out_w, p.block_rows, Isa::kLanes) floats.
template <class Isa>
inline void winograd3x3(const float* x, const float* packed_u, const float* bias, const float* z, float* y,
                        const WinogradParams& p, const kernels::Epilogue& act, float* workspace) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    constexpr int MR = Isa::kMr;
    constexpr int NR = Isa::kNv * L;
    const int64_t cin = p.in_channels, cout = p.out_channels;
    const int64_t th = (p.out_h + 1) / 2, tw = (p.out_w + 1) / 2;
    const int64_t tw_pad = (tw + L - 1) / L * L;  // tiles per row in V/M, whole vectors
    const int64_t wpad = winograd_padded_row_floats(p.out_w, L);
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const int64_t u_stride = packed_a_floats(cout, cin, MR);  // one position's packed filters
    const TileEpilogue none{nullptr, kBiasNone, nullptr, kernels::Epilogue{kernels::kActNone, 0.0f, 0.0f}};
    for (int64_t b = 0; b < p.batch; ++b) {
        const float* xb = x + b * cin * in_plane;
        float* yb = y + b * cout * out_plane;
        const float* zb = z ? z + b * cout * out_plane : nullptr;
        for (int64_t ty0 = 0; ty0 < th; ty0 += p.block_rows) {
            const int64_t rows = th - ty0 < p.block_rows ? th - ty0 : p.block_rows;
            const int64_t t_count = rows * tw_pad;  // columns of V[xi] and M[xi]
            float* vbuf = workspace;                 // [16][cin][t_count]
            float* mbuf = workspace + 16 * cin * t_count;  // [16][cout][t_count]
            float* padded = mbuf + 16 * cout * t_count;  // [2 rows + 2][wpad]: the block's input rows
            float* zero_row = padded + (2 * rows + 2) * wpad;
            for (int64_t j = 0; j < wpad; ++j) zero_row[j] = 0.0f;
            // 1. input transform: per channel, the block's 2 rows + 2 input rows zero-padded once, then every
            //    chunk of L tiles reads them with plain loads.
            const int64_t iy0 = 2 * ty0 - p.pad_top;
            const int64_t right = wpad - p.pad_left - p.in_w;  // zero columns after the row (> 0)
            for (int64_t c = 0; c < cin; ++c) {
                const float* xc = xb + c * in_plane;
                for (int64_t k = 0; k < 2 * rows + 2; ++k) {
                    const int64_t iy = iy0 + k;
                    if (iy < 0 || iy >= p.in_h) continue;
                    float* pr = padded + k * wpad;
                    for (int64_t j = 0; j < p.pad_left; ++j) pr[j] = 0.0f;
                    std::memcpy(pr + p.pad_left, xc + iy * p.in_w, size_t(p.in_w) * sizeof(float));
                    for (int64_t j = 0; j < right; ++j) pr[p.pad_left + p.in_w + j] = 0.0f;
                }
                for (int64_t r = 0; r < rows; ++r) {
                    const float* row_ptrs[4];
#pragma GCC unroll 16
                    for (int q = 0; q < 4; ++q) {
                        const int64_t iy = iy0 + 2 * r + q;
                        row_ptrs[q] = iy < 0 || iy >= p.in_h ? zero_row : padded + (2 * r + q) * wpad;
                    }
                    for (int64_t tx0 = 0; tx0 < tw_pad; tx0 += L)
                        winograd_input_row<Isa>(row_ptrs, tx0, vbuf + c * t_count + r * tw_pad + tx0, cin * t_count);
                }
            }
            // 2. the 16 GEMMs
#pragma GCC unroll 16
            for (int xi = 0; xi < 16; ++xi) {
                const float* u = packed_u + xi * u_stride;
                const float* vx = vbuf + xi * cin * t_count;
                float* mx = mbuf + xi * cout * t_count;
                for (int64_t j0 = 0; j0 < t_count; j0 += NR) {
                    const int64_t cols = t_count - j0 < NR ? t_count - j0 : NR;
                    for (int64_t i0 = 0; i0 < cout; i0 += MR) {
                        const int64_t mrows = cout - i0 < MR ? cout - i0 : MR;
                        if (mrows == MR && cols == NR)
                            micro_tile<Isa, MR, false>(cin, u + i0 * cin, 1, MR, vx + j0, t_count,
                                                       mx + i0 * t_count + j0, t_count, cols, i0, j0, none);
                        else
                            EdgeRows<Isa, true, MR>::run(mrows, cin, u + i0 * cin, 1, MR, vx + j0, t_count,
                                                         mx + i0 * t_count + j0, t_count, cols, i0, j0, none);
                    }
                }
            }
            // 3. output transform, A^T = [1 1 1 0; 0 1 -1 -1], and the epilogue
            for (int64_t o = 0; o < cout; ++o) {
                const V bo = bias ? Isa::set1(bias[o]) : Isa::zero();
                float* yo = yb + o * out_plane;
                const float* zo = zb ? zb + o * out_plane : nullptr;
                for (int64_t r = 0; r < rows; ++r) {
                    const int64_t oy = 2 * (ty0 + r);
                    for (int64_t tx0 = 0; tx0 < tw; tx0 += L) {
                        const float* m = mbuf + o * t_count + r * tw_pad + tx0;
                        const int64_t xs = cout * t_count;  // stride between positions
                        V a[4][2];
#pragma GCC unroll 16
                        for (int row = 0; row < 4; ++row) {
                            const V m0 = Isa::load(m + (row * 4 + 0) * xs), m1 = Isa::load(m + (row * 4 + 1) * xs);
                            const V m2 = Isa::load(m + (row * 4 + 2) * xs), m3 = Isa::load(m + (row * 4 + 3) * xs);
                            a[row][0] = Isa::add(Isa::add(m0, m1), m2);
                            a[row][1] = Isa::sub(Isa::sub(m1, m2), m3);
                        }
                        const int64_t ox = 2 * tx0;
                        const int64_t valid = p.out_w - ox < 2 * L ? p.out_w - ox : 2 * L;  // output columns
#pragma GCC unroll 16
                        for (int i = 0; i < 2; ++i) {
                            if (oy + i >= p.out_h) break;
                            V e0, e1;  // the tile's column 0 and 1 outputs of row i
                            if (i == 0) {
                                e0 = Isa::add(Isa::add(a[0][0], a[1][0]), a[2][0]);
                                e1 = Isa::add(Isa::add(a[0][1], a[1][1]), a[2][1]);
                            } else {
                                e0 = Isa::sub(Isa::sub(a[1][0], a[2][0]), a[3][0]);
                                e1 = Isa::sub(Isa::sub(a[1][1], a[2][1]), a[3][1]);
                            }
                            V lo, hi;
                            winograd_interleave(e0, e1, &lo, &hi);
                            float* yr = yo + (oy + i) * p.out_w + ox;
                            const float* zr = zo ? zo + (oy + i) * p.out_w + ox : nullptr;
                            V halves[2] = {Isa::add(lo, bo), Isa::add(hi, bo)};
#pragma GCC unroll 16
                            for (int h = 0; h < 2; ++h) {
                                const int64_t n = valid - h * L;
                                if (n <= 0) break;
                                if (zr) halves[h] = Isa::add(halves[h], Isa::load_n(zr + h * L, n));
                                const bool done = activate<Isa>(halves[h], act);
                                Isa::store_n(yr + h * L, halves[h], n);
                                if (!done) kernels::apply_epilogue(yr + h * L, n < L ? n : L, act);
                            }
                        }
                    }
                }
            }
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
