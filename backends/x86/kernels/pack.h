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
// kRowMr x kRowNr: conv_packed's second tile, fewer rows and one more vector, for output channel counts in
// multiples of kRowMr that the default rows would pad (16 channels in 14-row panels compute 28 rows).
struct Avx512Tile {
    static constexpr int kMr = 14;
    static constexpr int kNr = 32;
    static constexpr int kRowMr = 8;   // 8 x 3 zmm = 24 accumulators
    static constexpr int kRowNr = 48;
};
struct Avx2Tile {
    static constexpr int kMr = 6;
    static constexpr int kNr = 16;
    static constexpr int kRowMr = 4;   // 4 x 3 ymm = 12 accumulators
    static constexpr int kRowNr = 24;
};

// The tile of the ISA with `lanes` floats per vector (16: AVX-512, 8: AVX2), for the compiler's packing.
// (Also keeps clang's -Wunused-const-variable quiet where pack.h is compiled without an ISA, e.g. the
// kernel bundle test, which puts every kernel header in one file.)
inline int x86_tile_mr(int lanes) { return lanes == 16 ? Avx512Tile::kMr : Avx2Tile::kMr; }
inline int x86_tile_nr(int lanes) { return lanes == 16 ? Avx512Tile::kNr : Avx2Tile::kNr; }

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

// The filter transform shared by both Winograd kernels: U = G g G^T (T x T, T = 4 or 6) for each output/input
// channel pair, in double and rounded once to float, for each position xi = T a + b the Cout x Cin matrix U[xi]
// packed as pack_a does (MR-row panels, zero rows past Cout), positions one after the other. g: T rows of 3.
inline void winograd_transform_pack(const float* w, int64_t cout, int64_t cin, int64_t mr, const double (*g)[3],
                                    int t, float* packed) {
    const int64_t per_position = packed_a_floats(cout, cin, mr);
    for (int xi = 0; xi < t * t; ++xi) {
        const int a = xi / t, b = xi % t;
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

inline void winograd_pack_weights(const float* w, int64_t cout, int64_t cin, int64_t mr, float* packed) {
    const double g[4][3] = {{1.0, 0.0, 0.0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0.0, 0.0, 1.0}};
    winograd_transform_pack(w, cout, cin, mr, g, 4, packed);
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

// --- Convolution (conv_packed.h) ---
// Y[Cout_g x OH*OW] = W_g[Cout_g x K] * im2col(X_g)[K x OH*OW] per image and group, K = Cin/groups * KH * KW.

// Floats pack_conv_weights writes: per group, its Cout/groups rows zero-padded to a multiple of mr, times K.
inline int64_t conv_packed_weight_floats(int64_t cout, int64_t k, int64_t groups, int64_t mr) {
    return groups * packed_a_floats(cout / groups, k, mr);
}

// K blocking of conv_packed: blocks hold whole input channels (all KH*KW taps of a channel), about
// kConvKBlock rows of K each, as evenly split as whole channels allow. The K x NR strip of one block (32 KiB
// at K = 256, NR = 32) stays in L1, the Cout x K block of weights in L2.
// (Constants are struct members: an unused namespace-scope constant trips clang's -Wunused-const-variable.)
struct ConvBlocking {
    static constexpr int64_t kKBlock = 256;
    // 1x1 planes of at least this many pixels are read in place (conv_reads_x_in_place). 196 takes in 14x14:
    // with panels outer (conv_packed.h) MobileNetV2's 14x14 1x1 layers ran 3-9% faster than on copied strips
    // (alternating A/B of the generated model: AVX2 6.83 -> 6.74 ms, AVX-512 4.05 -> 3.98; it was 256).
    static constexpr int64_t kInPlaceMinPixels = 196;
    static constexpr int64_t kClKBlockAvx2 = 32;  // conv_cl_k_block
};
inline int64_t conv_k_block_channels(int64_t cin_per_group, int64_t kernel_area,
                                     int64_t k_block = ConvBlocking::kKBlock) {
    const int64_t k = cin_per_group * kernel_area;
    const int64_t blocks = (k + k_block - 1) / k_block;
    const int64_t per_block = (cin_per_group + blocks - 1) / blocks;
    return per_block < 1 ? 1 : per_block;
}

// w: the ONNX Conv weight [Cout][Cin/groups][KH][KW] (each output channel a row of k = Cin/groups * KH*KW).
// Per group (at packed + g * packed_a_floats(Cout/groups, k, mr)), K block by K block (conv_k_block_channels:
// rows [k0, k0 + kc)), panel by panel (mr rows, zero-padded): the block's panels are one contiguous stream of
// cog_pad * kc floats that conv_packed reads front to back while it holds the block (hardware prefetchers
// follow one stream; 37 panels 258 KB apart, as in one [panel][K][mr] array, they did not: ResNet-18's 7x7
// layers ran at 97 instead of 130 GFLOP/s). Panel p of the block starts at k0 * cog_pad + p * kc * mr, its
// step kk at + kk * mr: the mr broadcasts of one step are contiguous.
inline void pack_conv_weights(const float* w, int64_t cout, int64_t cin_per_group, int64_t kernel_area,
                              int64_t groups, int64_t mr, float* packed, int64_t k_block = ConvBlocking::kKBlock) {
    const int64_t cog = cout / groups, k = cin_per_group * kernel_area;
    const int64_t cog_pad = (cog + mr - 1) / mr * mr;
    const int64_t block = conv_k_block_channels(cin_per_group, kernel_area, k_block) * kernel_area;
    for (int64_t g = 0; g < groups; ++g) {
        const float* wg = w + g * cog * k;
        float* pg = packed + g * cog_pad * k;
        for (int64_t k0 = 0; k0 < k; k0 += block) {
            const int64_t kc = k - k0 < block ? k - k0 : block;
            for (int64_t p = 0; p * mr < cog; ++p)
                for (int64_t kk = 0; kk < kc; ++kk)
                    for (int64_t i = 0; i < mr; ++i) {
                        const int64_t row = p * mr + i;
                        pg[k0 * cog_pad + (p * kc + kk) * mr + i] = row < cog ? wg[row * k + k0 + kk] : 0.0f;
                    }
        }
    }
}

// A 1x1, stride 1, unpadded convolution over a plane of at least this many pixels reads X in place as the
// B operand (row stride OH*OW); smaller planes copy each strip into the workspace first (rows 196 or 784
// bytes apart straddle cache lines badly: measured 80 -> 135 GFLOP/s at 7x7, see README).
// (Padding only at the end makes the output larger than the input: not in place.)
inline bool conv_is_pointwise(const int64_t* in_hw, const int64_t* out_hw, const int64_t* kernel_hw,
                              const int64_t* stride_hw, const int64_t* pad_hw) {
    return kernel_hw[0] == 1 && kernel_hw[1] == 1 && stride_hw[0] == 1 && stride_hw[1] == 1 && pad_hw[0] == 0 &&
           pad_hw[1] == 0 && in_hw[0] == out_hw[0] && in_hw[1] == out_hw[1];
}
inline bool conv_reads_x_in_place(const int64_t* in_hw, const int64_t* out_hw, const int64_t* kernel_hw,
                                  const int64_t* stride_hw, const int64_t* pad_hw) {
    return conv_is_pointwise(in_hw, out_hw, kernel_hw, stride_hw, pad_hw) &&
           out_hw[0] * out_hw[1] >= ConvBlocking::kInPlaceMinPixels;
}

// A plane of 49 or 50 output pixels (7x7, 5x10) with AVX-512 (nr 32) runs as one wide strip of 48 pixels
// in 3-vector tiles plus 1-2 leftover pixels, instead of 32 + 17 (77% of the lanes used).
inline bool conv_wide_strip(int64_t out_pixels, int64_t nr) { return nr == 32 && out_pixels > 48 && out_pixels <= 50; }

// Multiply-adds conv_packed issues per K step for cog output channels over npix pixels with an mr x nr tile,
// counted in lanes: rows rounded up to whole panels, pixels to whole strips (a last strip of at most one
// vector runs a one-vector tile; the wide 7x7 strip computes its pixels exactly).
inline int64_t conv_tile_lanes(int64_t cog, int64_t npix, int64_t mr, int64_t nr, int64_t lanes) {
    const int64_t rows = (cog + mr - 1) / mr * mr, rest = npix % nr;
    int64_t cols = npix / nr * nr + (rest == 0 ? 0 : rest <= lanes ? lanes : nr);
    if (conv_wide_strip(npix, nr)) cols = npix;
    return rows * cols;
}

// conv_packed's tile for a layer: {mr, nr}. The default (kMr x kNr), or on AVX-512 the 8-row x 3-vector tile
// where it computes at least 1/13 fewer lanes and K (Cin/groups * KH*KW) is at least 32 (test/x86
// conv_packed_bench "x86_rows" against "x86", AVX-512, GFLOP/s: SqueezeNet's 64 -> 16 1x1 on 55x55 112 -> 130,
// 32 -> 128 on 27x27 93 -> 101, MobileNetV2's 144 -> 24 on 56x56 113 -> 122, 32 -> 16 on 112x112 91 -> 103,
// ResNet-18's 7x7 conv1 94 -> 119; 13x13 planes lose with 48-pixel strips, and K = 16 layers (store-bound) 75 ->
// 73). On AVX2 the 4 x 3 ymm tile measured slower or equal on every MobileNetV2 and SqueezeNet layer: AVX2 keeps
// 6 x 2.
struct ConvTile {
    int64_t mr, nr;
};
inline ConvTile conv_tile_for(int64_t cout_per_group, int64_t k, int64_t out_pixels, int64_t lanes) {
    const ConvTile def{x86_tile_mr(int(lanes)), x86_tile_nr(int(lanes))};
    if (lanes != 16 || k < 32) return def;
    const ConvTile rows{Avx512Tile::kRowMr, Avx512Tile::kRowNr};
    const int64_t d = conv_tile_lanes(cout_per_group, out_pixels, def.mr, def.nr, lanes);
    const int64_t r = conv_tile_lanes(cout_per_group, out_pixels, rows.mr, rows.nr, lanes);
    return 13 * r < 12 * d ? rows : def;
}

// Floats of workspace conv_packed needs: one K block x nr strip and 16 for alignment (0 when X is read in
// place); any alignment of the workspace pointer is fine. Each argument
// is {H, W} of the 2-D window (for a kiln::kernels::Window, &win.in[1], &win.out[1], ...; a 1-D conv passes
// {1, L}); pad_hw is the padding before each dim. nr: kAvx512Nr or kAvx2Nr. cin_per_group = Cin / groups.
inline int64_t conv_packed_workspace_floats(const int64_t* in_hw, const int64_t* out_hw, const int64_t* kernel_hw,
                                            const int64_t* stride_hw, const int64_t* dilation_hw,
                                            const int64_t* pad_hw, int64_t cin_per_group, int64_t nr) {
    (void)dilation_hw;
    if (conv_reads_x_in_place(in_hw, out_hw, kernel_hw, stride_hw, pad_hw)) return 0;
    const int64_t area = kernel_hw[0] * kernel_hw[1];
    // + 16: conv_packed rounds the workspace up to a 64-byte boundary (no vector load of B splits a line).
    const int64_t strip = conv_wide_strip(out_hw[0] * out_hw[1], nr) ? 2 * nr : nr;
    return conv_k_block_channels(cin_per_group, area) * area * strip + 16;
}

// --- Convolution with the output channels in lanes (conv_cl.h) ---
// Y^T[OH*OW x Cout_g] = im2col(X_g)^T [OH*OW x K] * W_g^T [K x Cout_g]: the pixels are the broadcast operand
// (mr of them per tile), the output channels the vector operand (nr per panel). Its weights are
// pack_conv_cl_weights (below): the same blocked stream with nr output channels per panel, in conv_cl's K
// blocks. Small planes (7x7, 13x13, 14x14) fill the tiles this way where the pixel strips of conv_packed leave
// lanes empty.

// conv_cl's K block (rows of K, conv_k_block_channels) for panels of nr output channels: 32 on AVX2 (nr 16), the
// conv_packed default on AVX-512. Same-binary A/B of the generated models (8 x 40 runs, per-layer medians): AVX2
// MobileNetV2's 7x7 1x1 layers 1.63 -> 1.50 ms in all (64: 1.52, 128: 1.56), ResNet-18's five layers with 7x7
// outputs 9.77 -> 9.06 ms; AVX-512 MobileNetV2 +0.9% and ResNet-18 +1% with 32, so it keeps 256.
inline int64_t conv_cl_k_block(int64_t nr) { return nr == 16 ? ConvBlocking::kClKBlockAvx2 : ConvBlocking::kKBlock; }

// conv_cl's weights: pack_conv_weights with nr output channels per panel, in conv_cl's K blocks.
inline void pack_conv_cl_weights(const float* w, int64_t cout, int64_t cin_per_group, int64_t kernel_area,
                                 int64_t groups, int64_t nr, float* packed) {
    pack_conv_weights(w, cout, cin_per_group, kernel_area, groups, nr, packed, conv_cl_k_block(nr));
}

// Columns of the pixel-major partial sums: Cout_g rounded up to whole panels.
inline int64_t conv_cl_ldc(int64_t cout_per_group, int64_t nr) { return (cout_per_group + nr - 1) / nr * nr; }

// conv_cl's output pixels per tile: the ISA's kMr (14 / 6), or half the AVX-512 rows (7) / one fewer AVX2 row (5)
// where that rounds the plane up to fewer pixels: 49 -> 49 instead of 56 (AVX-512), 50 instead of 54 (AVX2).
struct ClTileRows {
    static constexpr int kAvx512Alt = 7;
    static constexpr int kAvx2Alt = 5;
    static constexpr int alt(int lanes) { return lanes == 16 ? kAvx512Alt : kAvx2Alt; }
};
inline int64_t conv_cl_mr(int64_t out_pixels, int64_t lanes) {
    const int64_t def = x86_tile_mr(int(lanes)), alt = ClTileRows::alt(int(lanes));
    const int64_t rd = (out_pixels + def - 1) / def * def, ra = (out_pixels + alt - 1) / alt * alt;
    return ra < rd ? alt : def;
}

// Workspace floats: the packed pixels of one K block (output pixels rounded up to mr, times the block's K),
// the pixel-major sums (rounded-up pixels + 8 rows for the 8x8 transposes, times conv_cl_ldc) and 16 floats
// for aligning each to 64 bytes.
inline int64_t conv_cl_workspace_floats(int64_t out_pixels, int64_t cin_per_group, int64_t kernel_area,
                                        int64_t cout_per_group, int64_t mr, int64_t nr) {
    const int64_t rows = (out_pixels + mr - 1) / mr * mr;
    const int64_t kc = conv_k_block_channels(cin_per_group, kernel_area, conv_cl_k_block(nr)) * kernel_area;
    return rows * kc + 16 + (rows + 8) * conv_cl_ldc(cout_per_group, nr) + 16;
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
