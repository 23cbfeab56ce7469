// NCHW convolution with the output channels in the vector lanes, for x86 (AVX2, AVX-512): per image and group
//     Y^T[OH*OW x Cout_g] = im2col(X_g)^T [OH*OW x K] * W_g^T [K x Cout_g],   K = Cin_g * KH * KW,
// on the micro-kernel of gemm_packed.h with the roles of conv_packed swapped: MR output pixels are broadcast,
// NR output channels are the vectors. conv_packed puts pixels in lanes, so a 7x7 plane (49 pixels) fills 49 of
// 64 AVX-512 lanes and 49 of 64 AVX2 lanes with a one-pixel last strip; here the lanes are output channels
// (multiples of 16 or 32 in CNNs) and the pixels only round up to MR (49 -> 56 with MR 14, 54 with MR 6).
// Per K block (whole input channels, conv_k_block_channels), the block's pixels are packed as MR-pixel tiles
// (masked gathers of each tile's taps; one load where they are contiguous), then for every NR-channel panel
// of weights (packed at compile time by pack_conv_weights with nr output channels per panel) every tile runs
// the micro-kernel into a pixel-major buffer of sums (bias added by the first block, later blocks
// accumulate). Last, 8x8 transposes write the sums back to NCHW with the residual and the activation.
// Any kernel size, stride, dilation, padding and groups (1-D and 2-D). See backends/x86/README.md.
#pragma once

#include <cstdint>

#include "../../portable/kernels/conv.h"
#include "../../portable/kernels/epilogue.h"
#include "conv_packed.h"
#include "depthwise.h"
#include "gemm_packed.h"
#include "pack.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

// The first float at or after f on a 64-byte boundary (the workspace sizes include 16 floats of slack per part).
inline float* conv_cl_align64(float* f) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(f);
    return f + ((64 - addr % 64) % 64) / sizeof(float);
}

// One tap of one pixel tile: lane i reads the channel plane at off[i], or is 0 (padding, or a pixel past the
// plane). Set up once per (tile, tap), then loaded for every channel of the K block.
template <class Isa>
struct ClGather;

#if defined(__AVX512F__) && defined(__FMA__)
template <>
struct ClGather<Avx512> {
    __m512i idx;
    __mmask16 m;
    int64_t base;     // the first lane's offset when the valid lanes are one contiguous run from lane 0
    bool contiguous;
    ClGather(const int64_t* off, int n) : m(0), base(0), contiguous(true) {
        alignas(64) int32_t o[16] = {};
        int valid = 0;
        for (int i = 0; i < n; ++i) {
            if (off[i] < 0) continue;
            o[i] = int32_t(off[i]);
            m = __mmask16(m | (1u << i));
            if (valid != i || off[i] != off[0] + i) contiguous = false;
            ++valid;
        }
        if (valid == 0) contiguous = true;
        base = valid > 0 ? off[0] : 0;
        idx = _mm512_load_si512(reinterpret_cast<const void*>(o));
    }
    __m512 load(const float* xc) const {
        if (contiguous) return _mm512_maskz_loadu_ps(m, xc + base);
        return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, xc, 4);
    }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
template <>
struct ClGather<Avx2> {
    __m256i idx, imask;
    int64_t base;
    bool contiguous;
    ClGather(const int64_t* off, int n) : base(0), contiguous(true) {
        alignas(32) int32_t o[8] = {}, mk[8] = {};
        int valid = 0;
        for (int i = 0; i < n; ++i) {
            if (off[i] < 0) continue;
            o[i] = int32_t(off[i]);
            mk[i] = -1;
            if (valid != i || off[i] != off[0] + i) contiguous = false;
            ++valid;
        }
        base = valid > 0 ? off[0] : 0;
        idx = _mm256_load_si256(reinterpret_cast<const __m256i*>(o));
        imask = _mm256_load_si256(reinterpret_cast<const __m256i*>(mk));
    }
    __m256 load(const float* xc) const {
        if (contiguous) return _mm256_maskload_ps(xc + base, imask);
        return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xc, idx, _mm256_castsi256_ps(imask), 4);
    }
};
#endif

// Packs channels [c0, c0 + channels) (xc0: channel c0) of im2col(X)^T for the K block:
// ap[(t * kc + c * area + tap) * MR + i] = X at (channel c, tap) for output pixel t * MR + i (0 past npix).
template <class Isa, int MR>
inline void conv_cl_pack_block(const float* xc0, int64_t channels, const ConvGeom& g, int64_t npix, int64_t tiles,
                               float* ap) {
    const int64_t area = g.kh * g.kw, kc = channels * area, in_size = g.h * g.w;
    for (int64_t t = 0; t < tiles; ++t) {
        int64_t oy[MR], ox[MR];
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
            const int64_t px = t * MR + i;
            oy[i] = px < npix ? px / g.ow : -1;
            ox[i] = px < npix ? px - oy[i] * g.ow : 0;
        }
        for (int64_t ky = 0; ky < g.kh; ++ky) {
            for (int64_t kx = 0; kx < g.kw; ++kx) {
                int64_t off[MR];
#pragma GCC unroll 16
                for (int i = 0; i < MR; ++i) {
                    const int64_t iy = oy[i] * g.sh + ky * g.dh - g.ph, ix = ox[i] * g.sw + kx * g.dw - g.pw;
                    off[i] = oy[i] >= 0 && iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? iy * g.w + ix : -1;
                }
                const ClGather<Isa> gather(off, MR);
                float* d = ap + (t * kc + ky * g.kw + kx) * MR;
                for (int64_t c = 0; c < channels; ++c)
                    Isa::store_n(d + c * area * MR, gather.load(xc0 + c * in_size), MR);
            }
        }
    }
}

#if defined(__AVX2__) && defined(__FMA__)
// In-place transpose of 8 rows of 8 floats.
inline void conv_cl_transpose8(__m256 (&r)[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// y[co * y_stride + px] = act(c[px * ldc + co] + z[co * y_stride + px]) for co < cog, px < npix, 8 x 8 at a
// time (AVX2 operations, which the AVX-512 target has too). c has rows up to npix rounded up to 8 and columns up
// to cog rounded up to 8 (readable; what lies past npix or cog is never stored). z may alias y.
inline void conv_cl_store(const float* c, int64_t ldc, int64_t npix, int64_t cog, const float* z, float* y,
                          int64_t y_stride, const kernels::Epilogue& act) {
    for (int64_t co0 = 0; co0 < cog; co0 += 8) {
        const int64_t nco = cog - co0 < 8 ? cog - co0 : 8;
        for (int64_t p0 = 0; p0 < npix; p0 += 8) {
            const int64_t np = npix - p0 < 8 ? npix - p0 : 8;
            __m256 r[8];
#pragma GCC unroll 16
            for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(c + (p0 + i) * ldc + co0);
            conv_cl_transpose8(r);
            for (int64_t j = 0; j < nco; ++j) {
                float* yp = y + (co0 + j) * y_stride + p0;
                __m256 v = r[j];
                if (z) v = _mm256_add_ps(v, np == 8 ? Avx2::load(z + (co0 + j) * y_stride + p0)
                                                    : Avx2::load_n(z + (co0 + j) * y_stride + p0, np));
                const bool done = activate<Avx2>(v, act);
                if (np == 8) Avx2::store(yp, v);
                else Avx2::store_n(yp, v, np);
                if (!done) kernels::apply_epilogue(yp, np, act);
            }
        }
    }
}
#else
// Declared so that the kernels below parse in a translation unit built without AVX2 (all kernel headers
// together, as the bundle test compiles them); never called there, so never defined.
void conv_cl_store(const float* c, int64_t ldc, int64_t npix, int64_t cog, const float* z, float* y,
                   int64_t y_stride, const kernels::Epilogue& act);
#endif

// y = act(conv(x, W) + bias + z). x: [N, Cin, H, W] (or [N, Cin, L]), y and z: [N, Cout, OH, OW]; z may be
// nullptr or alias y exactly (not x). packed_w: pack_conv_weights(W, Cout, Cin/groups, KH*KW, groups, NR) with
// NR = Isa::kNv * Isa::kLanes. bias: per output channel or nullptr. MR: output pixels per tile, Isa::kMr or
// conv_cl_mr's choice (pack.h: 5 / 7 where that rounds the plane up less, e.g. 49 pixels). workspace:
// conv_cl_workspace_floats(OH*OW, Cin/groups, KH*KW, Cout/groups, MR, NR) floats. Requires win.in[0] ==
// win.out[0] == win.kernel[0] == 1.
template <class Isa, int MR = Isa::kMr>
inline void conv_cl(const float* x, const float* packed_w, const float* bias, const float* z, float* y,
                    const kernels::ConvParams& p, const kernels::Epilogue& act, float* workspace) {
    constexpr int NR = Isa::kNv * Isa::kLanes;
    const ConvGeom g = conv_geom_of(p.win);
    const int64_t cig = p.in_channels / p.groups, cog = p.out_channels / p.groups;
    const int64_t area = g.kh * g.kw, kk = cig * area, in_size = g.h * g.w, npix = g.oh * g.ow;
    const int64_t tiles = (npix + MR - 1) / MR;
    const int64_t block_channels = conv_k_block_channels(cig, area, conv_cl_k_block(NR));
    const int64_t ldc = conv_cl_ldc(cog, NR), group_w = ldc * kk;
    // Both parts of the workspace on 64-byte boundaries (conv_cl_workspace_floats has 16 floats of slack each).
    float* ap = conv_cl_align64(workspace);
    float* sums = conv_cl_align64(ap + tiles * MR * block_channels * area);
    for (int64_t n = 0; n < p.batch; ++n) {
        for (int64_t grp = 0; grp < p.groups; ++grp) {
            const float* xg = x + (n * p.in_channels + grp * cig) * in_size;
            const int64_t y_off = (n * p.out_channels + grp * cog) * npix;
            const float* wg = packed_w + grp * group_w;
            // Bias per column of the pixel-major sums = per output channel; residual and activation at the end.
            const TileEpilogue e{bias ? bias + grp * cog : nullptr, bias ? kBiasPerColumn : kBiasNone, nullptr, act};
            for (int64_t c0 = 0; c0 < cig; c0 += block_channels) {
                const int64_t c1 = c0 + block_channels < cig ? c0 + block_channels : cig;
                const int64_t k0 = c0 * area, kc = (c1 - c0) * area;
                const int32_t flags = kTileNoActivation | (c0 > 0 ? kTileAccumulate : 0);
                conv_cl_pack_block<Isa, MR>(xg + c0 * in_size, c1 - c0, g, npix, tiles, ap);
                const float* block_w = wg + k0 * ldc;  // the block's panels, one stream (pack.h)
                const float* w_end = wg + group_w;
                for (int64_t j0 = 0; j0 < cog; j0 += NR) {
                    const float* b = block_w + (j0 / NR) * kc * NR;
                    const int64_t cols = cog - j0 < NR ? cog - j0 : NR;
                    // The next panel (kc x NR floats) streams in over the tiles: kc lines per tile.
                    const float* next = b + kc * NR;
                    for (int64_t t = 0; t < tiles; ++t) {
                        const float* pf = t * 16 < NR && w_end - (next + t * kc * 16) >= kc * 16 ? next + t * kc * 16
                                                                                                 : nullptr;
                        micro_tile<Isa, MR, false, Isa::kNv, MR>(kc, ap + t * kc * MR, 1, MR, b, NR,
                                                                 sums + t * MR * ldc + j0, ldc, cols, t * MR, j0, e,
                                                                 flags, pf);
                    }
                }
            }
            conv_cl_store(sums, ldc, npix, cog, z ? z + y_off : nullptr, y + y_off, npix, act);
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
