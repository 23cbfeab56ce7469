// Winograd F(4x4, 3x3) convolution for x86 (AVX2, AVX-512): 3x3, stride 1, no dilation, one group, NCHW.
// Each 4x4 block of outputs ("tile") takes 36 multiply-adds per input channel instead of 144 (2.25 per
// output instead of F(2x2, 3x3)'s 4): Y = A^T [ (G g G^T) .* (B^T d B) ] A with d the 6x6 input patch.
// U = G g G^T is done by the compiler (winograd4_pack.h). Per block of tile rows:
//   1. input transform V[xi][c][t] = (B^T d B)[xi], vectorized across the tiles of a tile row (lane l = tile
//      tx0 + l reads input columns 4 (tx0 + l) .. + 5: a stride-4 de-interleave of plain loads); the tiles of
//      the block are packed one tile row after the other (t = r * tw + tx), so narrow planes fill the GEMM;
//   2. 36 GEMMs M[xi] (Cout x T) = U[xi] (Cout x Cin, MR-row panels) x V[xi] (Cin x T) on gemm_packed.h's
//      micro-kernel;
//   3. output transform Y = A^T M A per tile, re-interleaved to output columns, with bias, residual and
//      activation applied in registers before the store.
// Same contract and WinogradParams as winograd3x3 (winograd.h); block_rows from winograd4_block_rows.
// Rounding: the transforms have coefficients up to 8 (A) and 5 (B), so the error is a few 1e-6 of the sum
// of |products|, about 10x F(2x2, 3x3)'s (see test/x86/winograd4_test.cpp).
#pragma once

#include <cstdint>
#include <cstring>

#include "../../portable/kernels/epilogue.h"
#include "depthwise.h"
#include "gemm_packed.h"
#include "pack.h"
#include "simd.h"
#include "winograd.h"
#include "winograd4_pack.h"

namespace kiln {
namespace kernels {
namespace x86 {

#if defined(__AVX512F__)
// d[k][l] = p[4 l + k] for k = 0..5, l = 0..15 (reads p[0..67]): two rounds of two-source permutes.
KILN_X86_INLINE void winograd4_load_cols(const float* p, __m512 (&d)[6]) {
    const __m512i k01 = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i k23 = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i hi = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    const __m512 a0 = _mm512_loadu_ps(p), a1 = _mm512_loadu_ps(p + 16);
    const __m512 a2 = _mm512_loadu_ps(p + 32), a3 = _mm512_loadu_ps(p + 48);
    const __m512 p01 = _mm512_permutex2var_ps(a0, k01, a1), q01 = _mm512_permutex2var_ps(a2, k01, a3);
    const __m512 p23 = _mm512_permutex2var_ps(a0, k23, a1), q23 = _mm512_permutex2var_ps(a2, k23, a3);
    d[0] = _mm512_permutex2var_ps(p01, lo, q01);
    d[1] = _mm512_permutex2var_ps(p01, hi, q01);
    d[2] = _mm512_permutex2var_ps(p23, lo, q23);
    d[3] = _mm512_permutex2var_ps(p23, hi, q23);
    // Columns 4 and 5 of tile l are columns 0 and 1 of tile l + 1.
    const __m512 b0 = _mm512_loadu_ps(p + 4), b1 = _mm512_loadu_ps(p + 20);
    const __m512 b2 = _mm512_loadu_ps(p + 36), b3 = _mm512_loadu_ps(p + 52);
    const __m512 s01 = _mm512_permutex2var_ps(b0, k01, b1), t01 = _mm512_permutex2var_ps(b2, k01, b3);
    d[4] = _mm512_permutex2var_ps(s01, lo, t01);
    d[5] = _mm512_permutex2var_ps(s01, hi, t01);
}

// The inverse for 4 output columns: out[4 l + j] = o[j][l], as 4 vectors (tiles 0-3, 4-7, 8-11, 12-15).
KILN_X86_INLINE void winograd4_interleave(const __m512 (&o)[4], __m512 (&out)[4]) {
    __m512 lo01, hi01, lo23, hi23;
    winograd_interleave(o[0], o[1], &lo01, &hi01);  // (o0 o1) of tiles 0-7, 8-15
    winograd_interleave(o[2], o[3], &lo23, &hi23);
    const __m512i first = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const __m512i second = _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    out[0] = _mm512_permutex2var_ps(lo01, first, lo23);
    out[1] = _mm512_permutex2var_ps(lo01, second, lo23);
    out[2] = _mm512_permutex2var_ps(hi01, first, hi23);
    out[3] = _mm512_permutex2var_ps(hi01, second, hi23);
}
#endif
#if defined(__AVX2__)
// d[k][l] = p[4 l + k] for k = 0..5, l = 0..7 (reads p[0..35]). r_i = [tile i | tile i + 4] (4 floats each),
// then a 4x4 transpose inside each 128-bit half puts the tiles in natural order.
KILN_X86_INLINE void winograd4_load_cols(const float* p, __m256 (&d)[6]) {
    __m256 r[5];
#pragma GCC unroll 16
    for (int i = 0; i < 5; ++i)
        r[i] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p + 4 * i)), _mm_loadu_ps(p + 4 * i + 16), 1);
    const __m256 a = _mm256_unpacklo_ps(r[0], r[1]), b = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 c = _mm256_unpacklo_ps(r[2], r[3]), e = _mm256_unpackhi_ps(r[2], r[3]);
    d[0] = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(1, 0, 1, 0));
    d[1] = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(3, 2, 3, 2));
    d[2] = _mm256_shuffle_ps(b, e, _MM_SHUFFLE(1, 0, 1, 0));
    d[3] = _mm256_shuffle_ps(b, e, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 f = _mm256_unpacklo_ps(r[1], r[2]), g = _mm256_unpacklo_ps(r[3], r[4]);  // tiles 1..8
    d[4] = _mm256_shuffle_ps(f, g, _MM_SHUFFLE(1, 0, 1, 0));
    d[5] = _mm256_shuffle_ps(f, g, _MM_SHUFFLE(3, 2, 3, 2));
}

// out[4 l + j] = o[j][l], as 4 vectors (tiles 0-1, 2-3, 4-5, 6-7).
KILN_X86_INLINE void winograd4_interleave(const __m256 (&o)[4], __m256 (&out)[4]) {
    const __m256 a = _mm256_unpacklo_ps(o[0], o[1]), b = _mm256_unpackhi_ps(o[0], o[1]);
    const __m256 c = _mm256_unpacklo_ps(o[2], o[3]), e = _mm256_unpackhi_ps(o[2], o[3]);
    const __m256 t04 = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(1, 0, 1, 0));  // [tile 0 | tile 4]
    const __m256 t15 = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 t26 = _mm256_shuffle_ps(b, e, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 t37 = _mm256_shuffle_ps(b, e, _MM_SHUFFLE(3, 2, 3, 2));
    out[0] = _mm256_permute2f128_ps(t04, t15, 0x20);
    out[1] = _mm256_permute2f128_ps(t26, t37, 0x20);
    out[2] = _mm256_permute2f128_ps(t04, t15, 0x31);
    out[3] = _mm256_permute2f128_ps(t26, t37, 0x31);
}
#endif

// One 1-D input transform B^T d (6 -> 6), B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
// 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
template <class Isa>
__attribute__((always_inline)) inline void winograd4_bt(const typename Isa::V (&d)[6], typename Isa::V (&v)[6]) {
    using V = typename Isa::V;
    const V four = Isa::set1(4.0f), m_four = Isa::set1(-4.0f), m_five = Isa::set1(-5.0f), two = Isa::set1(2.0f);
    v[0] = Isa::fmadd(four, d[0], Isa::fmadd(m_five, d[2], d[4]));
    const V t1 = Isa::fmadd(m_four, d[2], d[4]), t2 = Isa::fmadd(m_four, d[1], d[3]);
    v[1] = Isa::add(t1, t2);
    v[2] = Isa::sub(t1, t2);
    const V t3 = Isa::sub(d[4], d[2]), t4 = Isa::mul(two, Isa::sub(d[3], d[1]));
    v[3] = Isa::add(t3, t4);
    v[4] = Isa::sub(t3, t4);
    v[5] = Isa::fmadd(four, d[1], Isa::fmadd(m_five, d[3], d[5]));
}

// One 1-D output transform A^T m (6 -> 4), A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
template <class Isa>
__attribute__((always_inline)) inline void winograd4_at(const typename Isa::V (&m)[6], typename Isa::V (&o)[4]) {
    using V = typename Isa::V;
    const V s12 = Isa::add(m[1], m[2]), d12 = Isa::sub(m[1], m[2]);
    const V s34 = Isa::add(m[3], m[4]), d34 = Isa::sub(m[3], m[4]);
    o[0] = Isa::add(Isa::add(m[0], s12), s34);
    o[1] = Isa::fmadd(Isa::set1(2.0f), d34, d12);
    o[2] = Isa::fmadd(Isa::set1(4.0f), s34, s12);
    o[3] = Isa::add(Isa::fmadd(Isa::set1(8.0f), d34, d12), m[5]);
}

// Input transform of one channel for the L tiles of one tile row starting at tile tx0: rows[r] is input row
// 4 ty - pad_top + r zero-padded (column j holds input column j - pad_left), or a row of zeros. Writes the
// first n lanes of v[xi * xs + l].
template <class Isa>
KILN_X86_INLINE void winograd4_input_tiles(const float* const* rows, int64_t tx0, float* v, int64_t xs, int64_t n) {
    using V = typename Isa::V;
    V w[6][6];  // w[r] = B^T applied along row r (d B)
#pragma GCC unroll 16
    for (int r = 0; r < 6; ++r) {
        V d[6];
        winograd4_load_cols(rows[r] + 4 * tx0, d);
        winograd4_bt<Isa>(d, w[r]);
    }
#pragma GCC unroll 16
    for (int col = 0; col < 6; ++col) {
        const V c[6] = {w[0][col], w[1][col], w[2][col], w[3][col], w[4][col], w[5][col]};
        V out[6];
        winograd4_bt<Isa>(c, out);
        float* dst = v + col * xs;  // position 6a + col, by one pointer (as the loads of winograd4_output)
#pragma GCC unroll 16
        for (int a = 0; a < 6; ++a) {
            if (n == Isa::kLanes)
                Isa::store(dst, out[a]);
            else
                Isa::store_n(dst, out[a], n);
            dst += 6 * xs;
            __asm__("" : "+r"(dst));
        }
    }
}

// A strip of 3 vectors of tiles for one MR-row panel: two tiles of MR / 2 rows x 3 vectors (AVX-512: 21
// accumulators; as fast per lane as MR x 2 vectors), so 49 tiles take 48 lanes + 1 instead of 64.
template <class Isa>
inline void winograd4_three_vectors(int64_t rows, int64_t k, const float* u, const float* v, int64_t ts, float* m,
                                    const float* pf) {
    constexpr int H = Isa::kMr / 2;
    product_rows<Isa, H, 3>(rows < H ? rows : H, k, u, v, ts, m, ts, pf);
    if (rows > H) product_rows<Isa, H, 3>(rows - H, k, u + H, v, ts, m + H * ts, ts, nullptr);
}

// The last n (1..4, at most L / 4) tiles of a block for one MR-row panel as matrix-vector products with the
// panel's output channels in lanes: m[i * ts + j] = sum over k of u[k * MR + i] v[k * ts + j] for i < rows.
template <class Isa>
inline void winograd4_columns(int n, int64_t rows, int64_t k, const float* u, const float* v, int64_t ts, float* m) {
    constexpr int MR = Isa::kMr, L = Isa::kLanes;
    float col[L];
    for (int j = 0; j < n; ++j) {
        Isa::store(col, panel_column<Isa, MR>(k, u, v + j, ts));
        for (int64_t i = 0; i < rows; ++i) m[i * ts + j] = col[i];
    }
}

// The activation winograd4_output applies: none, ReLU, or any (activate<Isa>, the portable functor after the
// store for tanh).
enum WinoAct { kWinoActNone, kWinoActRelu, kWinoActAny };

// Output transform of one block (tile rows [oy0 / 4, + rows)) for every output channel: Y = A^T M A per tile
// (lanes: L tiles of a tile row), re-interleaved to output columns, + bias, + z, activation, stored. M (mbuf):
// [36][cout][ts], positions ms apart. The 4 x 6 row transforms go through the aligned stack array s (24
// vectors: more than the registers, and g++ spilled them with the loop's scalars), the columns and the
// interleave of each output row in registers. Never inlined: when g++ inlined it into winograd4x4_3x3 (as it
// did once the GEMM tiles there changed), SqueezeNet's AVX2 F(4x4, 3x3) layers ran 1-2% slower (5-8% while the
// tiles were also out of line, before product_tile).
template <class Isa, int kAct>
__attribute__((noinline)) inline void winograd4_output(const float* mbuf, int64_t ms, int64_t ts, int64_t tw,
                                                       int64_t rows, int64_t oy0, int64_t cout, const WinogradParams& p,
                                                       const float* bias, float* yb, const float* zb,
                                                       const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    const int64_t out_plane = p.out_h * p.out_w;
    alignas(64) float s[6][4][L];  // s[a][j]: A^T along row a of M, column j of each tile
    for (int64_t o = 0; o < cout; ++o) {
        const V bo = bias ? Isa::set1(bias[o]) : Isa::zero();
        float* yo = yb + o * out_plane;
        const float* zo = zb ? zb + o * out_plane : nullptr;
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t oy = oy0 + 4 * r;
            const int64_t out_rows = p.out_h - oy < 4 ? p.out_h - oy : 4;
            for (int64_t tx0 = 0; tx0 < tw; tx0 += L) {
                // Lanes past the tile row read the next row's tiles (or the slack): never stored.
                const float* m = mbuf + o * ts + r * tw + tx0;
#pragma GCC unroll 16
                for (int a = 0; a < 6; ++a) {
                    V mr[6], t[4];
                    // Positions 6a .. 6a + 5 by one pointer stepped by ms; the empty asm keeps g++ from folding the
                    // steps back into 36 offsets, which it kept on the stack and reloaded per load (20% slower).
                    const float* pa = m + a * 6 * ms;
#pragma GCC unroll 16
                    for (int bb = 0; bb < 6; ++bb) {
                        mr[bb] = Isa::load(pa);
                        pa += ms;
                        __asm__("" : "+r"(pa));
                    }
                    winograd4_at<Isa>(mr, t);
#pragma GCC unroll 16
                    for (int j = 0; j < 4; ++j) Isa::store(s[a][j], t[j]);
                }
                V e[4][4];  // e[i][j]: output row i, column j of each tile
#pragma GCC unroll 16
                for (int j = 0; j < 4; ++j) {
                    V col[6], out[4];
#pragma GCC unroll 16
                    for (int a = 0; a < 6; ++a) col[a] = Isa::load(s[a][j]);
                    winograd4_at<Isa>(col, out);
#pragma GCC unroll 16
                    for (int i = 0; i < 4; ++i) e[i][j] = Isa::add(out[i], bo);
                }
                const int64_t ox = 4 * tx0;
                const int64_t valid = p.out_w - ox < 4 * L ? p.out_w - ox : 4 * L;  // output columns
                for (int i = 0; i < out_rows; ++i) {
                    V q[4];
                    winograd4_interleave(e[i], q);
                    float* yr = yo + (oy + i) * p.out_w + ox;
                    const float* zr = zo ? zo + (oy + i) * p.out_w + ox : nullptr;
#pragma GCC unroll 16
                    for (int h = 0; h < 4; ++h) {
                        const int64_t n = valid - h * L;
                        if (n <= 0) break;
                        if (zr) q[h] = Isa::add(q[h], n >= L ? Isa::load(zr + h * L) : Isa::load_n(zr + h * L, n));
                        bool done = true;
                        if (kAct == kWinoActRelu) q[h] = Isa::max(q[h], Isa::zero());
                        else if (kAct == kWinoActAny) done = activate<Isa>(q[h], act);
                        if (n >= L)
                            Isa::store(yr + h * L, q[h]);
                        else
                            Isa::store_n(yr + h * L, q[h], n);
                        if (!done) kernels::apply_epilogue(yr + h * L, n < L ? n : L, act);
                    }
                }
            }
        }
    }
}

// x [batch, Cin, in_h, in_w]; packed_u: winograd4_pack_weights(W, Cout, Cin, Isa::kMr); bias [Cout] or
// nullptr; z (y's shape, may alias y) or nullptr; y [batch, Cout, out_h, out_w] with out = in + pads - 2.
// p.block_rows: winograd4_block_rows(...); workspace: winograd4_workspace_floats(Cin, Cout, out_w,
// p.block_rows, Isa::kLanes) floats, any alignment.
template <class Isa>
inline void winograd4x4_3x3(const float* x, const float* packed_u, const float* bias, const float* z, float* y,
                            const WinogradParams& p, const kernels::Epilogue& act, float* workspace) {
    constexpr int L = Isa::kLanes;
    constexpr int MR = Isa::kMr;
    const int64_t cin = p.in_channels, cout = p.out_channels;
    const int64_t th = winograd4_tiles(p.out_h), tw = winograd4_tiles(p.out_w);
    const int64_t wpad = winograd4_padded_row_floats(p.out_w, L);
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const int64_t u_stride = packed_a_floats(cout, cin, MR);  // one position's packed filters
    const float* const u_end = packed_u + 36 * u_stride;
    const int64_t ts = winograd4_t_stride(p.block_rows, p.out_w, L);
    // 64-byte aligned V and M: with ts a whole number of vectors no GEMM load or store splits a cache line.
    float* ws = workspace + ((64 - reinterpret_cast<uintptr_t>(workspace) % 64) % 64) / sizeof(float);
    const int64_t vs = winograd4_position_stride(cin, ts), ms = winograd4_position_stride(cout, ts);
    float* vbuf = ws;                      // [36][cin][ts], positions vs apart
    float* mbuf = vbuf + 36 * vs;          // [36][cout][ts], positions ms apart, + L
    float* padded = mbuf + 36 * ms + L;    // [4 block_rows + 2][wpad]: one channel's input rows
    float* zero_row = padded + (4 * p.block_rows + 2) * wpad;
    // The padding columns of the row buffers and the zero row: once per call (the copies below write only
    // columns [pad_left, pad_left + in_w); zeroing each row first went to memset calls, 4% of the time).
    for (int64_t j = 0; j < (4 * p.block_rows + 3) * wpad; j += L) Isa::store(padded + j, Isa::zero());
    int64_t zeroed_from = -1;  // V's columns from here to the next whole vector hold zeros
    for (int64_t b = 0; b < p.batch; ++b) {
        const float* xb = x + b * cin * in_plane;
        float* yb = y + b * cout * out_plane;
        const float* zb = z ? z + b * cout * out_plane : nullptr;
        for (int64_t ty0 = 0; ty0 < th; ty0 += p.block_rows) {
            const int64_t rows = th - ty0 < p.block_rows ? th - ty0 : p.block_rows;
            const int64_t t_count = rows * tw;
            const int64_t t_gemm = (t_count + L - 1) / L * L;  // columns the GEMM reads: zero past t_count
            // 1. input transform
            const int64_t iy0 = 4 * ty0 - p.pad_top;
            for (int64_t c = 0; c < cin; ++c) {
                const float* xc = xb + c * in_plane;
                // The block's rows into the zero-padded buffers, with vector loads and stores (memcpy calls on
                // rows of a few dozen floats, with memsets for the padding, took a fifth of the time).
                for (int64_t k = 0; k < 4 * rows + 2; ++k) {
                    const int64_t iy = iy0 + k;
                    if (iy < 0 || iy >= p.in_h) continue;
                    float* pr = padded + k * wpad;
                    const float* src = xc + iy * p.in_w;
                    int64_t j = 0;
                    for (; j + L <= p.in_w; j += L) Isa::store(pr + p.pad_left + j, Isa::load(src + j));
                    if (j < p.in_w) Isa::store_n(pr + p.pad_left + j, Isa::load_n(src + j, p.in_w - j), p.in_w - j);
                }
                float* vc = vbuf + c * ts;
                for (int64_t r = 0; r < rows; ++r) {
                    const float* row_ptrs[6];
#pragma GCC unroll 16
                    for (int q = 0; q < 6; ++q) {
                        const int64_t iy = iy0 + 4 * r + q;
                        row_ptrs[q] = iy < 0 || iy >= p.in_h ? zero_row : padded + (4 * r + q) * wpad;
                    }
                    for (int64_t tx0 = 0; tx0 < tw; tx0 += L)
                        winograd4_input_tiles<Isa>(row_ptrs, tx0, vc + r * tw + tx0, vs,
                                                   tw - tx0 < L ? tw - tx0 : L);
                }
            }
            // The GEMM reads whole vectors: columns t_count..t_gemm of V are zero. Nothing else writes them,
            // so only the first block and a shorter last one zero them (per block they cost 12% of the
            // transforms: 36 x Cin cache lines the transform does not otherwise touch).
            if (t_count != zeroed_from) {
                for (int64_t c = 0; c < cin; ++c)
                    for (int64_t t = t_count; t < t_gemm; t += L)
#pragma GCC unroll 16
                        for (int xi = 0; xi < 36; ++xi)
                            Isa::store_n(vbuf + xi * vs + c * ts + t, Isa::zero(), t_gemm - t);
                zeroed_from = t_count;
            }
            // 2. the 36 GEMMs, in strips of 2 or 3 vectors of tiles (1 if that is all), and the last 1-4 (AVX2: 1-2) tiles
            //    as matrix-vector products when the rest fills whole vectors (28x28: 49 = 48 + 1 tiles, 64
            //    lanes in NR strips).
            const int64_t whole = t_count / L, rest = t_count % L;
            // Tiles left to winograd4_columns: up to 4 with AVX-512 (512 -> 512 @ 7x7, 4 tiles: 75 -> 85
            // GFLOP/s), up to 2 with AVX2 (4 there: 70 -> 41; the masked loads of 6-float panels and 4 chains).
            const int64_t by_columns = rest <= L / 4 ? rest : 0;
            int64_t vecs = whole + (by_columns ? 0 : rest > 0);
#pragma GCC unroll 16
            for (int xi = 0; xi < 36; ++xi) {
                const float* u = packed_u + xi * u_stride;
                const float* vx = vbuf + xi * vs;
                float* mx = mbuf + xi * ms;
                int64_t j0 = 0;
                for (int64_t left = vecs; left > 0;) {
                    const int nv = left == 1 ? 1 : left == 3 ? 3 : 2;
                    for (int64_t i0 = 0; i0 < cout; i0 += MR) {
                        const int64_t mrows = cout - i0 < MR ? cout - i0 : MR;
                        const float* ut = u + i0 * cin;
                        float* mt = mx + i0 * ts + j0;
                        // The first strip streams U in from memory (36 x Cin x Cout floats: 2.4 MB at 128 -> 128,
                        // more than the caches keep between runs): it prefetches the next panel while it runs
                        // (product_tile's pf: one line per k step), as conv_packed does with its weights.
                        const float* pf = j0 == 0 && u_end - (ut + MR * cin) >= 16 * cin ? ut + MR * cin : nullptr;
                        if (nv == 2 && mrows == MR)
                            product_tile<Isa, MR, 2>(cin, ut, vx + j0, ts, mt, ts, pf);
                        else if (nv == 2)
                            product_rows<Isa, MR, 2>(mrows, cin, ut, vx + j0, ts, mt, ts, pf);
                        else if (nv == 1)
                            product_rows<Isa, MR, 1>(mrows, cin, ut, vx + j0, ts, mt, ts, pf);
                        else
                            winograd4_three_vectors<Isa>(mrows, cin, ut, vx + j0, ts, mt, pf);
                    }
                    j0 += nv * L;
                    left -= nv;
                }
                if (by_columns)
                    for (int64_t i0 = 0; i0 < cout; i0 += MR)
                        winograd4_columns<Isa>(int(by_columns), cout - i0 < MR ? cout - i0 : MR, cin, u + i0 * cin,
                                               vx + j0, ts, mx + i0 * ts + j0);
            }
            // 3. output transform and the epilogue, specialized for the usual activations (with activate's switch
            //    on every stored vector g++ spilled the transform's vectors: SqueezeNet 16->64 @ 55, AVX2, 405 -> 268
            //    k cycles per call; 200 with the stepped loads below)
            const int64_t oy0 = 4 * ty0;
            if (act.activation == kernels::kActRelu)
                winograd4_output<Isa, kWinoActRelu>(mbuf, ms, ts, tw, rows, oy0, cout, p, bias, yb, zb, act);
            else if (act.activation == kernels::kActNone)
                winograd4_output<Isa, kWinoActNone>(mbuf, ms, ts, tw, rows, oy0, cout, p, bias, yb, zb, act);
            else
                winograd4_output<Isa, kWinoActAny>(mbuf, ms, ts, tw, rows, oy0, cout, p, bias, yb, zb, act);
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
