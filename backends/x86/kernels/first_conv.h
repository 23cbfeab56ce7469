// Direct NCHW convolution for a network's first layer (1..4 input channels, groups 1), for x86 (AVX2, AVX-512):
// output pixels in the vector lanes, weights broadcast, so the results are already NCHW (no transposes).
// Each input row the layer reads is copied once into a small ring (first_conv_ring_rows rows per input
// channel), zero-padded and split into its stride_w phases (phase r holds input columns r, r + sw, r + 2 sw,
// ...; the stride-2 deinterleave is done once per input row, with masked loads). Then the input of tap
// (c, ky, kx) for output pixels ox..ox+L-1 of a row is one contiguous vector of phase (kx * dw) % sw, so a tap
// is: kMaxVecs vector loads, kCo weight broadcasts, kCo x kMaxVecs FMAs into a register block of kCo output
// channels x up to kMaxVecs vectors of one output row. Bias, residual and activation are applied in
// registers before the (masked at the row's end) store. Weights: pack_first_conv_weights (first_conv_pack.h).
// See backends/x86/README.md, "First layers".
#pragma once

#include <cstdint>
#include <cstring>

#include "../../portable/kernels/conv.h"
#include "../../portable/kernels/epilogue.h"
#include "depthwise.h"
#include "first_conv_pack.h"
#include "lanes.h"
#include "simd.h"

namespace kiln {
namespace kernels {
namespace x86 {

// The block sizes of first_conv_pack.h for Isa (by its lanes, so this parses without the ISA's flags).
template <class Isa>
struct FirstConvBlock {
    static constexpr int kCo = Isa::kLanes == 16 ? FirstConvAvx512::kCo : FirstConvAvx2::kCo;
    static constexpr int kMaxVecs = Isa::kLanes == 16 ? FirstConvAvx512::kMaxVecs : FirstConvAvx2::kMaxVecs;
};

// One input row into its ring slot: dst[r * row + q] = xrow[q * sw + r - pw] (0 outside [0, w), and every
// phase row of a row that lies in the padding, xrow == nullptr), row: first_conv_row_floats (a multiple of 16).
// Stride 1 and 2 by vectors (Lanes::load_clip: lanes outside the row read nothing and are 0, no pointer outside
// the row is formed); stride 2 splits each 2L-float window into both phases at once.
template <class Isa>
inline void first_conv_fill_row(const float* xrow, int64_t w, int64_t sw, int64_t pw, int64_t row, float* dst) {
    using Ln = Lanes<Isa>;
    constexpr int L = Isa::kLanes;
    if (!xrow) {
        std::memset(dst, 0, sizeof(float) * size_t(sw * row));
        return;
    }
    if (sw == 1) {
        for (int64_t q0 = 0; q0 < row; q0 += L) Isa::store(dst + q0, Ln::load_clip(xrow, q0 - pw, w));
        return;
    }
    if (sw == 2) {
        for (int64_t q0 = 0; q0 < row; q0 += L) {
            const int64_t start = 2 * q0 - pw;  // the input column of phase 0's lane 0
            const typename Isa::V a = Ln::load_clip(xrow, start, w), b = Ln::load_clip(xrow, start + L, w);
            Isa::store(dst + q0, Ln::even(a, b));
            Isa::store(dst + row + q0, Ln::odd(a, b));
        }
        return;
    }
    for (int64_t r = 0; r < sw; ++r)
        for (int64_t q = 0; q < row; ++q) {
            const int64_t col = q * sw + r - pw;
            dst[r * row + q] = col >= 0 && col < w ? xrow[col] : 0.0f;
        }
}

// act on every vector of a register block, one switch per block; false for tanh (the caller applies it with
// the portable functor after the store), as activate (depthwise.h).
template <class Isa, int CO, int P>
__attribute__((always_inline)) inline bool first_conv_activate(typename Isa::V (&acc)[CO][P],
                                                               const kernels::Epilogue& e) {
    using V = typename Isa::V;
    switch (e.activation) {
    case kernels::kActNone: return true;
    case kernels::kActRelu:
#pragma GCC unroll 8
        for (int j = 0; j < CO; ++j)
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) acc[j][p] = Isa::max(acc[j][p], Isa::zero());
        return true;
    case kernels::kActClip: {
        const V lo = Isa::set1(e.p0), hi = Isa::set1(e.p1);
#pragma GCC unroll 8
        for (int j = 0; j < CO; ++j)
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) acc[j][p] = Isa::min(hi, Isa::max(lo, acc[j][p]));
        return true;
    }
    case kernels::kActTanh: return false;
    default:
        // Through a copy: a reference into acc (activate is not inlined) kept the whole block in memory, stored
        // and reloaded around the tap loop and the epilogue for every activation (MobileNetV2 conv0 on AVX2:
        // 247 -> 222 us, test/x86 first_conv_bench).
#pragma GCC unroll 8
        for (int j = 0; j < CO; ++j)
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) {
                V v = acc[j][p];
                activate<Isa>(v, e);
                acc[j][p] = v;
            }
        return true;
    }
}

// One register block: CO output channels x P vectors of output pixels of one row. in: the ring at the block's
// first output column; tap t reads in + off[t] + p * L. w: the block's packed weights (taps x CO). bias: the
// block's first channel (or nullptr); cols: channels of the block that exist (stored; CO when kFull). y (and
// z, or nullptr): the block's first channel at the block's first pixel, channels `plane` apart. last: lanes
// stored of the last vector (L unless the row ends there).
template <class Isa, int CO, int P, bool kFull>
inline void first_conv_block(const float* in, const int32_t* off, int64_t taps, const float* w, const float* bias,
                             int64_t cols, const float* z, float* y, int64_t plane, int64_t last,
                             const kernels::Epilogue& act) {
    using V = typename Isa::V;
    constexpr int L = Isa::kLanes;
    V acc[CO][P];
    if (bias) {
#pragma GCC unroll 8
        for (int j = 0; j < CO; ++j) {
            const V b = kFull || j < cols ? Isa::set1(bias[j]) : Isa::zero();
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) acc[j][p] = b;
        }
    } else {
#pragma GCC unroll 8
        for (int j = 0; j < CO; ++j)
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) acc[j][p] = Isa::zero();
    }
    for (int64_t t = 0; t < taps; ++t) {
        const float* s = in + off[t];
        const float* wt = w + t * CO;
        V xv[P];
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) xv[p] = Isa::load(s + p * L);
#pragma GCC unroll 8
        for (int j = 0; j < CO; ++j) {
            const V wv = Isa::set1(wt[j]);
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) acc[j][p] = Isa::fmadd(wv, xv[p], acc[j][p]);
        }
    }
    // Residual, activation (one switch for the block), store; the last vector at a row's end is masked, the
    // channels past Cout (cols < CO) are neither read nor stored.
    const bool tail = last != L;
    if (z) {
#pragma GCC unroll 8
        for (int j = 0; j < CO; ++j) {
            if (!kFull && j >= cols) break;
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) {
                const float* zp = z + j * plane + p * L;
                acc[j][p] = Isa::add(acc[j][p], p == P - 1 && tail ? Isa::load_n(zp, last) : Isa::load(zp));
            }
        }
    }
    const bool done = first_conv_activate<Isa, CO, P>(acc, act);
#pragma GCC unroll 8
    for (int j = 0; j < CO; ++j) {
        if (!kFull && j >= cols) break;
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) {
            float* yp = y + j * plane + p * L;
            if (p == P - 1 && tail) Isa::store_n(yp, acc[j][p], last);
            else Isa::store(yp, acc[j][p]);
        }
    }
    if (!done)
        for (int j = 0; j < CO && j < cols; ++j) kernels::apply_epilogue(y + j * plane, (P - 1) * L + last, act);
}

// A block of nv (1..MAXV) vectors, full (CO channels) or not (only widths up to MAXV are instantiated).
constexpr int first_conv_min(int a, int b) { return a < b ? a : b; }
template <class Isa, int CO, int MAXV, bool kFull>
inline void first_conv_block_v(int64_t nv, const float* in, const int32_t* off, int64_t taps, const float* w,
                               const float* bias, int64_t cols, const float* z, float* y, int64_t plane,
                               int64_t last, const kernels::Epilogue& act) {
    constexpr int P2 = first_conv_min(2, MAXV), P3 = first_conv_min(3, MAXV), P4 = first_conv_min(4, MAXV);
    switch (nv) {
    case 1: first_conv_block<Isa, CO, 1, kFull>(in, off, taps, w, bias, cols, z, y, plane, last, act); break;
    case 2: first_conv_block<Isa, CO, P2, kFull>(in, off, taps, w, bias, cols, z, y, plane, last, act); break;
    case 3: first_conv_block<Isa, CO, P3, kFull>(in, off, taps, w, bias, cols, z, y, plane, last, act); break;
    default: first_conv_block<Isa, CO, P4, kFull>(in, off, taps, w, bias, cols, z, y, plane, last, act); break;
    }
}
template <class Isa, int CO, int MAXV>
inline void first_conv_block_n(int64_t nv, const float* in, const int32_t* off, int64_t taps, const float* w,
                               const float* bias, int64_t cols, const float* z, float* y, int64_t plane,
                               int64_t last, const kernels::Epilogue& act) {
    static_assert(MAXV >= 1 && MAXV <= 4, "first_conv_block_v dispatches 1..4 vectors");
    if (cols == CO) first_conv_block_v<Isa, CO, MAXV, true>(nv, in, off, taps, w, bias, cols, z, y, plane, last, act);
    else first_conv_block_v<Isa, CO, MAXV, false>(nv, in, off, taps, w, bias, cols, z, y, plane, last, act);
}

// y = act(conv(x, W) + bias + z) for layers where first_conv_fits (first_conv_pack.h). x: [N, Cin, H, W],
// y and z: [N, Cout, OH, OW] (z may be nullptr or alias y exactly, not x). packed_w:
// pack_first_conv_weights(W, Cout, Cin, KH * KW, FirstConvBlock<Isa>::kCo). bias: per output channel or
// nullptr. workspace: first_conv_workspace_floats(&win.out[1], &win.kernel[1], &win.stride[1],
// &win.dilation[1], Cin, Isa::kLanes) floats, any alignment, contents ignored. win.in[0] == win.out[0] ==
// win.kernel[0] == 1 (2-D; a 1-D conv has height 1).
template <class Isa>
inline void first_conv(const float* x, const float* packed_w, const float* bias, const float* z, float* y,
                       const kernels::ConvParams& p, const kernels::Epilogue& act, float* workspace) {
    constexpr int L = Isa::kLanes;
    constexpr int CO = FirstConvBlock<Isa>::kCo, MAXV = FirstConvBlock<Isa>::kMaxVecs;
    const Window& win = p.win;
    const int64_t h = win.in[1], w = win.in[2], oh = win.out[1], ow = win.out[2];
    const int64_t kh = win.kernel[1], kw = win.kernel[2], sh = win.stride[1], sw = win.stride[2];
    const int64_t dh = win.dilation[1], dw = win.dilation[2], ph = win.pad[1], pw = win.pad[2];
    const int64_t cin = p.in_channels, cout = p.out_channels, taps = cin * kh * kw;
    const int64_t in_size = h * w, plane = oh * ow;
    const int64_t row = first_conv_row_floats(ow, kw, sw, dw, L), ring = first_conv_ring_rows(kh, dh);
    const int64_t slot = sw * row;  // one input row: its sw phase rows
    float* rb = workspace + ((64 - reinterpret_cast<uintptr_t>(workspace) % 64) % 64) / sizeof(float);
    // The row's vectors in chunks of at most MAXV, as even as possible (7 AVX-512 vectors: 3 + 2 + 2).
    const int64_t vecs = (ow + L - 1) / L, chunks = (vecs + MAXV - 1) / MAXV;
    const int64_t last = ow - (vecs - 1) * L;
    int32_t off[FirstConvLimits::kMaxTaps];
    // Column kx of the kernel: phase (kx * dw) % sw, (kx * dw) / sw into it (no division per row).
    int32_t kx_off[FirstConvLimits::kMaxTaps];
    for (int64_t kx = 0; kx < kw; ++kx) kx_off[kx] = int32_t((kx * dw) % sw * row + (kx * dw) / sw);
    for (int64_t n = 0; n < p.batch; ++n) {
        const float* xn = x + n * cin * in_size;
        const int64_t y_off = n * cout * plane;
        int64_t built = -ph;  // the next input row to copy into the ring (rows below it are there)
        for (int64_t oy = 0; oy < oh; ++oy) {
            const int64_t iy0 = oy * sh - ph, iy1 = iy0 + (ring - 1);
            for (int64_t iy = built > iy0 ? built : iy0; iy <= iy1; ++iy) {
                const int64_t s = (iy + ph) % ring;
                for (int64_t c = 0; c < cin; ++c)
                    first_conv_fill_row<Isa>(iy >= 0 && iy < h ? xn + c * in_size + iy * w : nullptr, w, sw, pw, row,
                                             rb + (c * ring + s) * slot);
            }
            built = iy1 + 1;
            // Tap (c, ky, kx) reads ring row (iy0 + ky * dh + ph) % ring of channel c, at kx_off[kx].
            for (int64_t ky = 0; ky < kh; ++ky) {
                const int64_t s = (iy0 + ky * dh + ph) % ring;
                for (int64_t c = 0; c < cin; ++c) {
                    const int32_t base = int32_t((c * ring + s) * slot);
                    int32_t* o = off + (c * kh + ky) * kw;
                    for (int64_t kx = 0; kx < kw; ++kx) o[kx] = base + kx_off[kx];
                }
            }
            for (int64_t o0 = 0; o0 < cout; o0 += CO) {
                const float* wb = packed_w + o0 * taps;
                const float* bb = bias ? bias + o0 : nullptr;
                const int64_t cols = cout - o0 < CO ? cout - o0 : CO;
                int64_t v0 = 0;
                for (int64_t ch = 0; ch < chunks; ++ch) {
                    const int64_t nv = vecs / chunks + (ch < vecs % chunks ? 1 : 0);
                    const int64_t px = v0 * L, n_last = v0 + nv == vecs ? last : L;
                    const int64_t yo = y_off + o0 * plane + oy * ow + px;
                    const float* zb = z ? z + yo : nullptr;
                    first_conv_block_n<Isa, CO, MAXV>(nv, rb + px, off, taps, wb, bb, cols, zb, y + yo, plane, n_last,
                                                      act);
                    v0 += nv;
                }
            }
        }
    }
}

}  // namespace x86
}  // namespace kernels
}  // namespace kiln
