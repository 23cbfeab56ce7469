// NCHW convolution (1-D and 2-D, any kernel size, stride, dilation, padding and groups) as a packed GEMM
// over an implicit im2col, for x86 (AVX2, AVX-512): per image and group
//     Y[Cout_g x OH*OW] = act(W_g[Cout_g x K] * B[K x OH*OW] + bias + Z),   K = Cin_g * KH * KW,
// W packed at compile time by pack_conv_weights (pack.h), B = im2col(X) never materialised: for each K block
// (whole input channels, ~256 rows) and each strip of NR output pixels (flattened oh * OW + ow, so a strip
// runs across output rows and small planes waste no lanes), the K_block x NR panel of B is gathered from X
// into the workspace (vector loads with masked edges: stride 1 one load per vector, stride 2 two loads and a
// permute), then the micro-kernel of gemm_packed.h runs over every MR-row block of output channels. The
// first K block stores sums + bias + residual, later ones accumulate, the last applies the activation. An in-place
// block that L2 holds runs panels outer instead (every strip of one MR-row panel, then the next; kConvPrefetchBFloats),
// on small planes a group of panels at a time (kConvGroupPanels).
// 1x1 / stride 1 / unpadded convolutions over planes of >= ConvBlocking::kInPlaceMinPixels (pack.h) read X in place (no copy).
// See backends/x86/README.md for the layouts and measured numbers.
#pragma once

#include <cstdint>

#include "../../portable/kernels/conv.h"
#include "../../portable/kernels/epilogue.h"
#include "../../portable/kernels/window.h"
#include "gemm_packed.h"
#include "pack.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

// The 2-D geometry conv_packed works on (the window's dims 1 and 2; dim 0 is 1).
struct ConvGeom {
    int64_t h, w, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
};

// A 1x1, stride 1, unpadded conv (output = input plane) is the same over the flattened plane: one row of H*W pixels (so a strip
// is one contiguous piece of each channel).
inline ConvGeom conv_geom_of(const Window& win) {
    ConvGeom g{win.in[1], win.in[2], win.out[1], win.out[2], win.kernel[1], win.kernel[2], win.stride[1],
               win.stride[2], win.dilation[1], win.dilation[2], win.pad[1], win.pad[2]};
    if (conv_is_pointwise(&win.in[1], &win.out[1], &win.kernel[1], &win.stride[1], &win.pad[1])) {
        g.w = g.h * g.w;
        g.ow = g.oh * g.ow;
        g.h = g.oh = 1;
    }
    return g;
}

// p + off for an offset that may point before p's array (only the lanes of a masked load that are inside
// it are ever read): integer arithmetic, so no out-of-array pointer is formed.
inline const float* conv_offset_ptr(const float* p, int64_t off) {
    return reinterpret_cast<const float*>(reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(off) * sizeof(float));
}

// Lanes l in [lo, hi) = p[l * stride], the others 0 (any stride; 1 and 2 vectorized).
template <class Isa>
inline typename Isa::V conv_gather_lanes(const float* p, int64_t stride, int64_t lo, int64_t hi) {
    if (stride <= 2) return Isa::load_lanes(p, stride, lo, hi);
    float tmp[Isa::kLanes];
    for (int64_t l = 0; l < Isa::kLanes; ++l) tmp[l] = l >= lo && l < hi ? conv_offset_ptr(p, l * stride)[0] : 0.0f;
    return Isa::load(tmp);
}

// One piece of a strip vector: lanes [lo, hi) come from channel base + off, lane l at off + l * sw.
struct ConvPiece {
    int64_t off;
    int64_t lo, hi;
};

// A masked load of lanes [lo, hi) of a stride-S row (lane l = p[l * S], the others 0) with its masks
// computed once, outside the loop over channels. S = 1 or 2.
template <class Isa, int S>
struct ConvLanes;

#if defined(__AVX512F__) && defined(__FMA__)
template <int S>
struct ConvLanes<Avx512, S> {
    __mmask16 m0, m1;
    ConvLanes(int64_t lo, int64_t hi) {
        const int64_t e_lo = S * lo, e_hi = S * (hi - 1) + 1;  // elements read
        m0 = __mmask16(Avx512::mask(e_hi) & ~Avx512::mask(e_lo));
        m1 = __mmask16(Avx512::mask(e_hi - 16) & ~Avx512::mask(e_lo - 16));
    }
    __m512 load(const float* p) const {
        if (S == 1) return _mm512_maskz_loadu_ps(m0, p);
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        return _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m0, p), even, _mm512_maskz_loadu_ps(m1, p + 16));
    }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
template <int S>
struct ConvLanes<Avx2, S> {
    __m256i m0, m1;
    ConvLanes(int64_t lo, int64_t hi) {
        const int64_t e_lo = S * lo, e_hi = S * (hi - 1) + 1;
        m0 = Avx2::mask_range(e_lo, e_hi);
        m1 = Avx2::mask_range(e_lo - 8, e_hi - 8);
    }
    __m256 load(const float* p) const {
        if (S == 1) return _mm256_maskload_ps(p, m0);
        const __m256 mixed =
            _mm256_shuffle_ps(_mm256_maskload_ps(p, m0), _mm256_maskload_ps(p + 8, m1), _MM_SHUFFLE(2, 0, 2, 0));
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), _MM_SHUFFLE(3, 1, 2, 0)));
    }
};
#endif

// d[c * c_stride + l] for every channel c (channel c at xc0 + c * in_size): the sum of the pieces' lanes, 0
// elsewhere, for input stride S (1 or 2). Masks are set up once per piece; one piece covering every lane
// at stride 1 (the interior of a plane) is a plain load.
template <class Isa, int S>
__attribute__((always_inline)) inline void conv_pack_vector_s(const float* xc0, int64_t channels, int64_t in_size,
                                                              const ConvPiece* pc, int np, float* d,
                                                              int64_t c_stride) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    if (np == 0) {
        for (int64_t c = 0; c < channels; ++c) Isa::store(d + c * c_stride, Isa::zero());
    } else if (np == 1 && S == 1 && pc[0].lo == 0 && pc[0].hi == L) {
        const float* src = xc0 + pc[0].off;
        for (int64_t c = 0; c < channels; ++c) Isa::store(d + c * c_stride, Isa::load(src + c * in_size));
    } else if (np == 1) {
        const ConvLanes<Isa, S> l0(pc[0].lo, pc[0].hi);
        const float* src = conv_offset_ptr(xc0, pc[0].off);
        for (int64_t c = 0; c < channels; ++c) Isa::store(d + c * c_stride, l0.load(src + c * in_size));
    } else if (np == 2) {
        const ConvLanes<Isa, S> l0(pc[0].lo, pc[0].hi), l1(pc[1].lo, pc[1].hi);
        const float* s0 = conv_offset_ptr(xc0, pc[0].off);
        const float* s1 = conv_offset_ptr(xc0, pc[1].off);
        for (int64_t c = 0; c < channels; ++c)
            Isa::store(d + c * c_stride, Isa::add(l0.load(s0 + c * in_size), l1.load(s1 + c * in_size)));
    } else {
        for (int64_t c = 0; c < channels; ++c) {
            V acc = Isa::zero();
            for (int i = 0; i < np; ++i)
                acc = Isa::add(acc, ConvLanes<Isa, S>(pc[i].lo, pc[i].hi).load(conv_offset_ptr(xc0 + c * in_size,
                                                                                              pc[i].off)));
            Isa::store(d + c * c_stride, acc);
        }
    }
}

// The same for any stride (S > 2: one scalar gather per piece and channel).
template <class Isa>
inline void conv_pack_vector(const float* xc0, int64_t channels, int64_t in_size, int64_t sw, const ConvPiece* pc,
                             int np, float* d, int64_t c_stride) {
    if (sw == 1) return conv_pack_vector_s<Isa, 1>(xc0, channels, in_size, pc, np, d, c_stride);
    if (sw == 2) return conv_pack_vector_s<Isa, 2>(xc0, channels, in_size, pc, np, d, c_stride);
    for (int64_t c = 0; c < channels; ++c) {
        const float* xc = xc0 + c * in_size;
        typename Isa::V acc = Isa::zero();
        for (int i = 0; i < np; ++i)
            acc = Isa::add(acc, conv_gather_lanes<Isa>(conv_offset_ptr(xc, pc[i].off), sw, pc[i].lo, pc[i].hi));
        Isa::store(d + c * c_stride, acc);
    }
}

// Gathers rows [c0, c0 + channels) x KH x KW of im2col(X) for output pixels [j0, j0 + cols) into
// ws[(c * KH*KW + kh * KW + kw) * NR + j], zero outside the input and for j >= cols. xc0: channel c0.
// NV: vectors per strip row (NR = NV * lanes; Isa::kNv, or 4 for the wide strip of a 7x7 plane).
// The geometry (which lanes of which output row read which input row, clipped to the input) is worked
// out once per strip and tap, then applied to every channel.
template <class Isa, int NV = Isa::kNv>
inline void conv_pack_strip(const float* xc0, int64_t channels, const ConvGeom& g, int64_t j0, int64_t cols,
                            float* ws) {
    constexpr int L = Isa::kLanes;
    constexpr int NR = NV * L;
    // Output-row segments of the strip: lanes [a, b) are output row oh from column ow.
    int64_t seg_oh[NR] = {}, seg_ow[NR] = {}, seg_a[NR] = {}, seg_b[NR] = {};  // zeroed: g++ -O3 -Wmaybe-uninitialized
    int nseg = 0;
    for (int64_t lane = 0, p = j0; lane < cols; ++nseg) {
        const int64_t oh = p / g.ow, ow = p - oh * g.ow;
        const int64_t n = g.ow - ow < cols - lane ? g.ow - ow : cols - lane;
        seg_oh[nseg] = oh;
        seg_ow[nseg] = ow;
        seg_a[nseg] = lane;
        seg_b[nseg] = lane + n;
        lane += n;
        p += n;
    }
    // Segments [s_begin[v], s_end[v]) touch vector v.
    int s_begin[NV], s_end[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
        int sb = 0;
        while (sb < nseg && seg_b[sb] <= v * L) ++sb;
        int se = sb;
        while (se < nseg && seg_a[se] < v * L + L) ++se;
        s_begin[v] = sb;
        s_end[v] = se;
    }
    const int64_t area = g.kh * g.kw, in_size = g.h * g.w, c_stride = area * NR;
    for (int64_t kw = 0; kw < g.kw; ++kw) {
        // Per segment for this tap column: lanes [la, lb) read inside the input row, lane l at offw + l * sw.
        int64_t la[NR], lb[NR], offw[NR];
        for (int s = 0; s < nseg; ++s) {
            const int64_t base = seg_ow[s] * g.sw + kw * g.dw - g.pw;  // iw of lane seg_a
            const int64_t len = seg_b[s] - seg_a[s];
            Span sp;
            if (g.sw == 1) {
                sp.lo = base < 0 ? -base : 0;
                sp.hi = g.w - base < len ? g.w - base : len;
                if (sp.hi < sp.lo) sp.hi = sp.lo;
            } else {
                sp = span_in_bounds(base, g.sw, g.w, len);
            }
            la[s] = seg_a[s] + sp.lo;
            lb[s] = seg_a[s] + sp.hi;
            offw[s] = base - seg_a[s] * g.sw;
        }
        for (int64_t kh = 0; kh < g.kh; ++kh) {
            float* dst = ws + (kh * g.kw + kw) * NR;
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) {
                const int64_t v0 = v * L;
                ConvPiece pieces[L];
                int np = 0;
                for (int s = s_begin[v]; s < s_end[v]; ++s) {
                    const int64_t ih = seg_oh[s] * g.sh + kh * g.dh - g.ph;
                    if (ih < 0 || ih >= g.h) continue;
                    const int64_t lo = (la[s] > v0 ? la[s] : v0) - v0, hi = (lb[s] < v0 + L ? lb[s] : v0 + L) - v0;
                    if (lo >= hi) continue;
                    pieces[np++] = ConvPiece{ih * g.w + offw[s] + v0 * g.sw, lo, hi};
                }
                conv_pack_vector<Isa>(xc0, channels, in_size, g.sw, pieces, np, dst + v0, c_stride);
            }
        }
    }
}

// K blocks up to this long prefetch the output lines of the next strip (measured: SqueezeNet's first layer
// 54 -> 72 GFLOP/s, MobileNetV2's 16 -> 96 1x1 at 112x112 54 -> 62; longer K gains nothing).
constexpr int64_t kConvPrefetchMaxK = 64;
// In-place 1x1 K blocks of at least this many floats (1 MiB, half this CPU's L2: MobileNetV2's 96 and 144 -> 24 at
// 56x56, SqueezeNet's 128 -> 16 at 55x55) prefetch the next strip's B rows. Same-binary A/B in the generated models,
// AVX2: 0.182 -> 0.170 and 0.288 -> 0.264 ms, 0.167 -> 0.163; AVX-512 within 2% (prefetching only the first of its
// two lines per row: 5-7% slower); SqueezeNet's 128 -> 32 at 27x27 (0.37 MiB, from L2) was 5% slower with it.
// Smaller in-place K blocks run panels outer (conv_packed): the block's B rows are re-read from L2 for every panel,
// instead of every strip re-reading the block's weights and writing one line into each of Cout output planes.
// test/x86 conv_packed_bench before -> after, us AVX2 / AVX-512: MobileNetV2's 16 -> 96 at 112x112 889 -> 522 /
// 517 -> 314, 24 -> 144 at 56x56 310 -> 249 / 184 -> 141, SqueezeNet's 16 -> 64 at 55x55 81 -> 77 / 55 -> 47, the
// others within noise. Larger blocks lost with panels outer (a scratch variant: 256 -> 64 at 56x56, 3.2 MiB,
// 1416 -> 2115 / 944 -> 1520 us; 144 -> 24 at 56x56, 1.8 MiB, 305 -> 331 / 268 -> 287).
constexpr int64_t kConvPrefetchBFloats = int64_t(1) << 18;
// In-place blocks that L2 holds run panels outer (conv_packed); on planes of at most kConvGroupMaxPixels output
// pixels, kConvGroupPanels panels at a time sweep the strips together (every strip's B rows from L2 once per group,
// not once per panel). Alternating A/B of the generated models (8 x 30 runs): MobileNetV2 AVX2 6.876 -> 6.859 ms
// (its 14x14 and 28x28 expansions 1-3% faster, the projections ~0.5%; 4 to 1000 panels measured alike), AVX-512
// 4.433 -> 4.432; SqueezeNet 1.1 AVX2 5.441 -> 5.436, AVX-512 3.623 -> 3.550. On 112x112 (MobileNetV2's 16 -> 96,
// test/x86 conv_packed_bench) a group was 10-45% slower: each strip then writes a line into group x MR output
// planes at once, which is what panels outer avoids.
constexpr int64_t kConvGroupPanels = 8;
constexpr int64_t kConvGroupMaxPixels = 1024;
// How many panels ahead the weight stream is prefetched (1: 97 -> 117 GFLOP/s on 7x7 512-channel layers whose
// weights stream from memory; 2 no better, 4 worse).
constexpr int64_t kConvPrefetchPanels = 1;

// One MR x NR tile of output channels [i0, i0 + MR) and pixels [j0, j0 + NR) (clipped to cog, npix) over the
// K block [k0, k0 + kc) of the group's packed weights wg (K = kk). b: the block's B rows (row stride b_rs:
// NR for a packed strip, masked loads when B is X itself and the strip is partial). row_base: the group's
// first output channel (bias and residual are indexed by the global channel).
// MR x NV: the row block and vectors per strip row conv_packed was instantiated with. Always inlined: called from
// both loop orders, GCC kept it out of line, which cost the short-K strip loop 7% (32 -> 16 at 112x112).
template <class Isa, int MR, int NV>
KILN_X86_INLINE void conv_tile(const float* wg, int64_t kk, int64_t k0, int64_t kc, const float* b, int64_t b_rs,
                               float* yg, int64_t npix, int64_t i0, int64_t j0, int64_t cog, int64_t row_base,
                               const TileEpilogue& e, int32_t flags, const float* pf) {
    constexpr int NR = NV * Isa::kLanes;
    const int64_t rows = cog - i0 < MR ? cog - i0 : MR, cols = npix - j0 < NR ? npix - j0 : NR;
    (void)kk;  // the packed layout is blocked by K (pack.h): the block's offset needs only k0 and Cout
    const float* a = wg + k0 * ((cog + MR - 1) / MR * MR) + i0 * kc;  // block k0, panel i0 / MR
    float* yt = yg + i0 * npix + j0;
    const int64_t row0 = row_base + i0;
    if (cols <= Isa::kLanes && NV > 1) {
        // A last strip of at most one vector (14x14 = 6 x 32 + 4 pixels): a one-vector tile does not
        // multiply the zero lanes (196 pixels in 13 vectors instead of 14).
        if (b_rs != NR)
            EdgeRows<Isa, true, MR, 1, MR>::run(rows, kc, a, 1, MR, b, b_rs, yt, npix, cols, row0, j0, e, flags, pf);
        else
            EdgeRows<Isa, false, MR, 1, MR>::run(rows, kc, a, 1, MR, b, b_rs, yt, npix, cols, row0, j0, e, flags, pf);
    } else if (b_rs != NR && cols < NR) {
        EdgeRows<Isa, true, MR, NV, MR>::run(rows, kc, a, 1, MR, b, b_rs, yt, npix, cols, row0, j0, e, flags, pf);
    } else if (rows == MR) {
        micro_tile<Isa, MR, false, NV, MR>(kc, a, 1, MR, b, b_rs, yt, npix, cols, row0, j0, e, flags, pf);
    } else {
        EdgeRows<Isa, false, MR, NV, MR>::run(rows, kc, a, 1, MR, b, b_rs, yt, npix, cols, row0, j0, e, flags, pf);
    }
}

// The wide strip of a 7x7 plane (conv_wide_strip: 49 or 50 pixels, AVX-512): 32 + 17 pixels would
// fill 4 vectors of which 49/64 lanes are used. Instead the first 48 pixels run as two 7-row x 3-vector
// tiles per 14-row panel (every lane used), and the 1-2 pixels left over as matrix-vector products with
// the output channels in lanes (a panel's 14 weights of one k step are one vector). ws: the K block x 64
// strip (conv_pack_strip<Isa, 4>).
template <class Isa>
inline void conv_wide_tile(const float* wg, int64_t kk, int64_t k0, int64_t kc, const float* ws, float* yg,
                           int64_t npix, int64_t i0, int64_t cog, int64_t row_base, const TileEpilogue& e,
                           int32_t flags, const float* pf) {
    constexpr int MR = Isa::kMr, H = MR / 2, L = Isa::kLanes, W = 4 * L;
    const int64_t rows = cog - i0 < MR ? cog - i0 : MR;
    (void)kk;  // the packed layout is blocked by K (pack.h): the block's offset needs only k0 and Cout
    const float* a = wg + k0 * ((cog + MR - 1) / MR * MR) + i0 * kc;  // block k0, panel i0 / MR
    float* yt = yg + i0 * npix;
    const int64_t row0 = row_base + i0;
    // Rows [0, H) and [H, rows) of the panel, pixels [0, 3L).
    EdgeRows<Isa, false, H, 3>::run(rows < H ? rows : H, kc, a, 1, MR, ws, W, yt, npix, 3 * L, row0, 0, e, flags, pf);
    if (rows > H)
        EdgeRows<Isa, false, H, 3>::run(rows - H, kc, a + H, 1, MR, ws, W, yt + H * npix, npix, 3 * L, row0 + H, 0, e,
                                        flags);
    // Pixels [3L, npix): matrix-vector products, the panel's output channels in lanes.
    for (int64_t j = 3 * L; j < npix; ++j) {
        float col[L];
        Isa::store(col, panel_column<Isa, MR>(kc, a, ws + j, W));
        for (int64_t i = 0; i < rows; ++i) {
            float v = col[i];
            float* yp = yt + i * npix + j;
            if (flags & kTileAccumulate) {
                v += *yp;
            } else {
                if (e.bias_kind == kBiasPerRow) v += e.bias[row0 + i];
                if (e.z) v += e.z[(row0 + i) * npix + j];
            }
            *yp = v;
            if (!(flags & kTileNoActivation)) kernels::apply_epilogue(yp, 1, e.act);
        }
    }
}

// What a tile of panel `panel` prefetches while it runs (micro_tile's pf: kc lines): the weights of the
// panel kConvPrefetchPanels further on in the block's stream, or nullptr when that runs past `end` (the group's
// packed weights).
inline const float* conv_next_panel(const float* block_w, int64_t panel, int64_t panel_floats, int64_t kc,
                                    const float* end) {
    const float* p = block_w + (panel + kConvPrefetchPanels) * panel_floats;
    return end - p >= kc * 16 ? p : nullptr;
}

// y = act(conv(x, W) + bias + z). x: [N, Cin, H, W] (or [N, Cin, L]), y and z: [N, Cout, OH, OW]; z may be
// nullptr or alias y exactly (not x). MR x NV: the tile (rows of output channels x vectors of pixels), Isa::kMr x
// Isa::kNv or one conv_tile_for (pack.h) picked to fit the channel count. packed_w: pack_conv_weights(W, Cout,
// Cin/groups, KH*KW, groups, MR). bias: per output channel or nullptr. workspace: conv_packed_workspace_floats(...,
// NV * lanes) floats (nullptr when that is 0). Requires win.in[0] == win.out[0] == win.kernel[0] == 1 (1-D or 2-D).
template <class Isa, int MR = Isa::kMr, int NV = Isa::kNv>
inline void conv_packed(const float* x, const float* packed_w, const float* bias, const float* z, float* y,
                        const kernels::ConvParams& p, const kernels::Epilogue& act, float* workspace) {
    constexpr int NR = NV * Isa::kLanes;
    const ConvGeom g = conv_geom_of(p.win);
    const int64_t cig = p.in_channels / p.groups, cog = p.out_channels / p.groups;
    const int64_t area = g.kh * g.kw, kk = cig * area, in_size = g.h * g.w, npix = g.oh * g.ow;
    const bool in_place =
        conv_reads_x_in_place(&p.win.in[1], &p.win.out[1], &p.win.kernel[1], &p.win.stride[1], &p.win.pad[1]);
    // The wide 7x7 strip (conv_wide_tile) is laid out for the default tile only.
    const bool wide = MR == Isa::kMr && NV == Isa::kNv && conv_wide_strip(npix, NR);
    const int64_t block_channels = conv_k_block_channels(cig, area);
    const int64_t group_w = packed_a_floats(cog, kk, MR);
    if (workspace) {  // to 64 bytes (conv_packed_workspace_floats has the 16 floats of slack)
        const uintptr_t addr = reinterpret_cast<uintptr_t>(workspace);
        workspace += ((64 - addr % 64) % 64) / sizeof(float);
    }
    for (int64_t n = 0; n < p.batch; ++n) {
        const TileEpilogue e{bias, bias ? kBiasPerRow : kBiasNone, z ? z + n * p.out_channels * npix : nullptr, act};
        for (int64_t grp = 0; grp < p.groups; ++grp) {
            const float* xg = x + (n * p.in_channels + grp * cig) * in_size;
            float* yg = y + (n * p.out_channels + grp * cog) * npix;
            const float* wg = packed_w + grp * group_w;
            // K blocks outer: the Cout_g x K_block weights stay in L2 while every strip uses them.
            for (int64_t c0 = 0; c0 < cig; c0 += block_channels) {
                const int64_t c1 = c0 + block_channels < cig ? c0 + block_channels : cig;
                const int64_t k0 = c0 * area, kc = (c1 - c0) * area;
                const int32_t flags = (c0 > 0 ? kTileAccumulate : 0) | (c1 < cig ? kTileNoActivation : 0);
                // The block's packed weights are one stream (pack.h), read panel after panel by the first strip:
                // while a panel's tiles run, the next panel's lines are prefetched into L2. Large layers whose
                // weights no cache holds between runs (ResNet-18's 7x7 layers: 9.4 MB each) are otherwise
                // waiting on memory.
                const float* w_end = wg + group_w;
                const int64_t panel_floats = kc * MR;
                const float* block_w = wg + k0 * ((cog + MR - 1) / MR * MR);
                if (wide) {
                    conv_pack_strip<Isa, 4>(xg + c0 * in_size, c1 - c0, g, 0, npix, workspace);
                    for (int64_t i0 = 0; i0 < cog; i0 += MR) {
                        conv_wide_tile<Isa>(wg, kk, k0, kc, workspace, yg, npix, i0, cog, grp * cog, e, flags,
                                            conv_next_panel(block_w, i0 / MR, panel_floats, kc, w_end));
                    }
                    continue;
                }
                if (in_place && kc * npix < kConvPrefetchBFloats) {
                    // The block's B rows (X itself) fit in L2: panels outer, each panel's weights stay in L1
                    // while its tiles sweep the plane and write its MR output rows front to back.
                    // On small planes a group of panels per sweep (kConvGroupPanels).
                    const int64_t group = npix <= kConvGroupMaxPixels ? kConvGroupPanels : 1;
                    for (int64_t g0 = 0; g0 < cog; g0 += group * MR) {
                        const int64_t g1 = g0 + group * MR < cog ? g0 + group * MR : cog;
                        for (int64_t j0 = 0; j0 < npix; j0 += NR)
                            for (int64_t i0 = g0; i0 < g1; i0 += MR)
                                conv_tile<Isa, MR, NV>(
                                    wg, kk, k0, kc, xg + c0 * npix + j0, npix, yg, npix, i0, j0, cog, grp * cog, e,
                                    flags,
                                    j0 == 0 ? conv_next_panel(block_w, i0 / MR + group - 1, panel_floats, kc, w_end)
                                            : nullptr);
                    }
                    continue;
                }
                for (int64_t j0 = 0; j0 < npix; j0 += NR) {
                    const float* b = workspace;
                    int64_t b_rs = NR;
                    if (in_place) {
                        b = xg + c0 * npix + j0;
                        b_rs = npix;
                    } else {
                        const int64_t cols = npix - j0 < NR ? npix - j0 : NR;
                        conv_pack_strip<Isa, NV>(xg + c0 * in_size, c1 - c0, g, j0, cols, workspace);
                    }
                    // Short K (first layers, narrow 1x1): the tiles are store-bound. Prefetch the next strip's
                    // output lines, one stream per channel plane, more than the hardware prefetchers follow.
                    if (kc <= kConvPrefetchMaxK && j0 + NR < npix)
                        for (int64_t c = 0; c < cog; ++c)
                            for (int64_t j = j0 + NR; j < j0 + 2 * NR && j < npix; j += 16)
                                __builtin_prefetch(yg + c * npix + j, 1, 3);
                    // A K block read in place that L2 does not hold (kc rows far apart: more streams than the
                    // hardware prefetchers follow): the next strip's rows are prefetched, a share before each panel.
                    const bool pf_b = in_place && kc * npix >= kConvPrefetchBFloats && j0 + 2 * NR <= npix;
                    const int64_t panels = (cog + MR - 1) / MR, pf_share = (kc + panels - 1) / panels;
                    for (int64_t i0 = 0; i0 < cog; i0 += MR) {
                        if (pf_b) {
                            const int64_t r0 = i0 / MR * pf_share, r1 = r0 + pf_share < kc ? r0 + pf_share : kc;
                            for (int64_t r = r0; r < r1; ++r)
                                for (int64_t l = 0; l < NR; l += 16) __builtin_prefetch(b + r * b_rs + NR + l, 0, 2);
                        }
                        conv_tile<Isa, MR, NV>(wg, kk, k0, kc, b, b_rs, yg, npix, i0, j0, cog, grp * cog, e, flags,
                                       j0 == 0 ? conv_next_panel(block_w, i0 / MR, panel_floats, kc, w_end) : nullptr);
                    }
                }
            }
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
