// Winograd F(4x4, 3x3) (winograd4.h) without intrinsics: the filter transform the compiler runs on constant
// weights, and the blocking / workspace sizes both sides agree on. Points 0, 1, -1, 2, -2, inf (Lavin & Gray):
// the best-conditioned choice for 6x6 tiles in float.
#pragma once

#include <cstdint>

#include "pack.h"

namespace kiln {
namespace kernels {
namespace x86 {

// Floats winograd4_pack_weights writes: 36 positions of a Cout x Cin matrix packed in MR-row panels.
inline int64_t winograd4_packed_floats(int64_t cout, int64_t cin, int64_t mr) { return 36 * packed_a_floats(cout, cin, mr); }

// U = G g G^T (6x6) for each output/input channel pair, in double, rounded once to float;
// G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]. For each position
// xi = 6 a + b, the Cout x Cin matrix U[xi] packed as pack_a does (MR-row panels, zero rows past Cout),
// positions one after the other. w: Conv weights [Cout][Cin][3][3].
inline void winograd4_pack_weights(const float* w, int64_t cout, int64_t cin, int64_t mr, float* packed) {
    const double g[6][3] = {{1.0 / 4, 0.0, 0.0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                            {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                            {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0.0, 0.0, 1.0}};
    winograd_transform_pack(w, cout, cin, mr, g, 6, packed);
}

// Tiles (4x4 outputs) per row and column of the output plane.
inline int64_t winograd4_tiles(int64_t out_extent) { return (out_extent + 3) / 4; }

// Row stride of V[xi][c][.] and M[xi][o][.] for a block of `block_rows` tile rows: its tiles packed one tile
// row after the other (no padding per row, so a 7-tile row does not waste 9 of 16 lanes), rounded up to
// whole vectors (the GEMM's strips are 1-3 vectors), then moved off multiples of 64 floats: a stride of 2 or
// 4 KiB would put every row of a K x NR strip of V in the same few L1 sets.
inline int64_t winograd4_t_stride(int64_t block_rows, int64_t out_w, int64_t lanes) {
    const int64_t t = block_rows * winograd4_tiles(out_w);
    int64_t stride = (t + lanes - 1) / lanes * lanes;
    if (stride % 64 == 0) stride += 16;
    return stride;
}

// Floats between positions in V (channels = Cin) or M (channels = Cout): channels x t_stride, plus one cache
// line when that is an even number of whole lines, so the 36 rows the transforms read or write at once (one
// per position) fall in different L1 sets (8 KiB apart they all shared one set).
inline int64_t winograd4_position_stride(int64_t channels, int64_t t_stride) {
    const int64_t s = channels * t_stride;
    return (s / 16) % 2 == 0 ? s + 16 : s;
}

// Floats of one zero-padded input row as the input transform reads it: whole vectors of tiles (4 columns
// each) plus the 2 columns the last tile shares with the next, rounded up to a vector (the loads read
// 4 (tx0 + L) + 4 floats from a chunk's first column).
inline int64_t winograd4_padded_row_floats(int64_t out_w, int64_t lanes) {
    const int64_t tw_pad = (winograd4_tiles(out_w) + lanes - 1) / lanes * lanes;
    return (4 * tw_pad + 4 + lanes - 1) / lanes * lanes;
}

// Tile rows per block (measured on the ResNet-18 / SqueezeNet layers, both ISAs):
//  - the whole plane when its V (36 x Cin x T) and M (36 x Cout x T) fit in 2 x `budget_floats` (the 2 MiB L2):
//    no partial strips per block (32 -> 128 @ 27x27: 239 -> 260 GFLOP/s over 4-row blocks);
//  - else, when U (36 Cin Cout floats, 4x the 3x3 filters, re-read by every block) is larger than
//    `budget_floats`, blocks of up to 8 x budget_floats of V + M (128 -> 128 @ 28x28 in 7 blocks: 135 GFLOP/s,
//    in one: 340);
//  - else V + M within 3/4 of `budget_floats` (768 KiB): small blocks stay in L2 with U (64 -> 64 @ 56x56:
//    2 tile rows 330, 5 rows 299, the plane 292 GFLOP/s on AVX-512; AVX2 within 5% from 2 to 14 rows).
// At least one tile row.
inline int64_t winograd4_block_rows(int64_t cin, int64_t cout, int64_t out_h, int64_t out_w, int64_t lanes,
                                    int64_t budget_floats = 262144) {
    const int64_t th = winograd4_tiles(out_h);
    const auto vm_floats = [&](int64_t rows) { return 36 * (cin + cout) * winograd4_t_stride(rows, out_w, lanes); };
    if (vm_floats(th) <= 2 * budget_floats) return th;
    const int64_t limit = 36 * cin * cout > budget_floats ? 8 * budget_floats : budget_floats / 4 * 3;
    int64_t rows = 1;
    while (rows < th && vm_floats(rows + 1) <= limit) ++rows;
    return rows;
}

// Scratch floats: V and M of one block (+ one vector of slack after M: the output transform reads whole
// vectors of tiles), the block's zero-padded input rows of one channel, a row of zeros, and 16 to align
// the start to 64 bytes.
inline int64_t winograd4_workspace_floats(int64_t cin, int64_t cout, int64_t out_w, int64_t block_rows,
                                          int64_t lanes) {
    const int64_t ts = winograd4_t_stride(block_rows, out_w, lanes);
    return 36 * (winograd4_position_stride(cin, ts) + winograd4_position_stride(cout, ts)) + lanes +
           (4 * block_rows + 3) * winograd4_padded_row_floats(out_w, lanes) + 16;
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
