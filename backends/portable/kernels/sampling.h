// Sampling at run-time coordinates: GridSample (4-D, bilinear / nearest / bicubic with zeros, border or
// reflection padding, as PyTorch's grid_sample defines them) and RoiAlign (average or max of bilinear
// samples per bin, as Caffe2 / ONNX Runtime define it).
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

enum GridSampleMode : int32_t { kGridBilinear = 0, kGridNearest = 1, kGridBicubic = 2 };
enum GridPadding : int32_t { kPadZeros = 0, kPadBorder = 1, kPadReflection = 2 };

struct GridSampleParams {
    int64_t n, c, in_h, in_w, out_h, out_w;
    int32_t mode;
    int32_t padding;
    int32_t align_corners;
};

// Grid value in [-1, 1] to a pixel coordinate.
template <typename T>
inline T grid_unnormalize(T g, int64_t size, bool align_corners) {
    return align_corners ? (g + T(1)) / T(2) * T(size - 1) : ((g + T(1)) * T(size) - T(1)) / T(2);
}

// Reflects c into [twice_low / 2, twice_high / 2] (bounds given doubled so they stay integers).
template <typename T>
inline T grid_reflect(T c, int64_t twice_low, int64_t twice_high) {
    if (twice_low == twice_high) return T(0);
    const T lo = T(twice_low) / T(2), span = T(twice_high - twice_low) / T(2);
    c = std::fabs(c - lo);
    const T extra = std::fmod(c, span);
    const T flips = std::floor(c / span);
    return std::fmod(flips, T(2)) == T(0) ? extra + lo : span - extra + lo;
}

// The padding mode applied to a pixel coordinate. Zeros padding leaves it, but pulls far-away values
// (and NaN) to just outside the image so integer conversions stay defined; they still read as zeros.
template <typename T>
inline T grid_pad_coordinate(T c, int64_t size, const GridSampleParams& p) {
    if (p.padding == kPadReflection)
        c = p.align_corners ? grid_reflect(c, 0, 2 * (size - 1)) : grid_reflect(c, -1, 2 * size - 1);
    const T lo = p.padding == kPadZeros ? T(-4) : T(0);
    const T hi = p.padding == kPadZeros ? T(size + 4) : T(size - 1);
    if (!(c >= lo)) return lo;
    return c > hi ? hi : c;
}

template <typename T>
inline void grid_cubic_coeffs(T t, T* w) {
    const T a = T(-0.75);
    const T t1 = t + T(1), t2 = T(1) - t, t3 = T(2) - t;
    w[0] = ((a * t1 - T(5) * a) * t1 + T(8) * a) * t1 - T(4) * a;
    w[1] = ((a + T(2)) * t - (a + T(3))) * t * t + T(1);
    w[2] = ((a + T(2)) * t2 - (a + T(3))) * t2 * t2 + T(1);
    w[3] = ((a * t3 - T(5) * a) * t3 + T(8) * a) * t3 - T(4) * a;
}

// Up to 16 taps (offset in the plane, weight) of one output position; taps outside the image are dropped.
template <typename T>
struct GridTaps {
    int64_t offset[16];
    T weight[16];
    int count;
    void add(int64_t y, int64_t x, T w, const GridSampleParams& p) {
        if (y < 0 || y >= p.in_h || x < 0 || x >= p.in_w) return;
        offset[count] = y * p.in_w + x;
        weight[count] = w;
        ++count;
    }
};

template <typename T>
inline void grid_sample_taps(T gx, T gy, const GridSampleParams& p, GridTaps<T>* taps) {
    taps->count = 0;
    const bool align = p.align_corners != 0;
    if (p.mode == kGridBicubic) {
        // Bicubic pads each of the 4x4 taps, not the sampling point.
        const T ix = grid_unnormalize(gx, p.in_w, align), iy = grid_unnormalize(gy, p.in_h, align);
        const T x0 = std::floor(ix), y0 = std::floor(iy);
        T wx[4], wy[4];
        grid_cubic_coeffs(ix - x0, wx);
        grid_cubic_coeffs(iy - y0, wy);
        for (int i = 0; i < 4; ++i) {
            const int64_t y = int64_t(grid_pad_coordinate(y0 - T(1) + T(i), p.in_h, p));
            for (int j = 0; j < 4; ++j) {
                const int64_t x = int64_t(grid_pad_coordinate(x0 - T(1) + T(j), p.in_w, p));
                taps->add(y, x, wy[i] * wx[j], p);
            }
        }
        return;
    }
    const T ix = grid_pad_coordinate(grid_unnormalize(gx, p.in_w, align), p.in_w, p);
    const T iy = grid_pad_coordinate(grid_unnormalize(gy, p.in_h, align), p.in_h, p);
    if (p.mode == kGridNearest) {
        // Rounds half to even, like nearbyint in the default rounding mode, without depending on it.
        T rx = std::floor(ix + T(0.5)), ry = std::floor(iy + T(0.5));
        if (rx - ix == T(0.5) && std::fmod(rx, T(2)) != T(0)) rx -= T(1);
        if (ry - iy == T(0.5) && std::fmod(ry, T(2)) != T(0)) ry -= T(1);
        taps->add(int64_t(ry), int64_t(rx), T(1), p);
        return;
    }
    const T x0 = std::floor(ix), y0 = std::floor(iy);
    const T fx = ix - x0, fy = iy - y0;
    const int64_t x = int64_t(x0), y = int64_t(y0);
    taps->add(y, x, (T(1) - fx) * (T(1) - fy), p);
    taps->add(y, x + 1, fx * (T(1) - fy), p);
    taps->add(y + 1, x, (T(1) - fx) * fy, p);
    taps->add(y + 1, x + 1, fx * fy, p);
}

// x: N x C x H_in x W_in; grid: N x H_out x W_out x 2 (x then y, in [-1, 1]); y: N x C x H_out x W_out.
template <typename T, typename G>
inline void grid_sample(const T* x, const G* grid, T* y, const GridSampleParams& p) {
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    for (int64_t n = 0; n < p.n; ++n) {
        const T* xn = x + n * p.c * in_plane;
        T* yn = y + n * p.c * out_plane;
        const G* gn = grid + n * out_plane * 2;
        for (int64_t o = 0; o < out_plane; ++o) {
            GridTaps<T> taps{};  // zeroed: g++ -O3 cannot see that grid_sample_taps sets count first
            grid_sample_taps(T(gn[2 * o]), T(gn[2 * o + 1]), p, &taps);
            for (int64_t ch = 0; ch < p.c; ++ch) {
                const T* xc = xn + ch * in_plane;
                T acc = T(0);
                for (int k = 0; k < taps.count; ++k) acc += taps.weight[k] * xc[taps.offset[k]];
                yn[ch * out_plane + o] = acc;
            }
        }
    }
}

// ---- RoiAlign ------------------------------------------------------------------------------------

struct RoiAlignParams {
    int64_t n, c, h, w;
    int64_t rois;
    int64_t out_h, out_w;
    int64_t sampling_ratio;  // 0: ceil(roi size / output size) samples per bin
    int32_t max_mode;        // else average
    int32_t half_pixel;      // coordinate_transformation_mode half_pixel (else output_half_pixel)
    float spatial_scale;
};

// The four taps of a bilinear sample at (sy, sx), as Caffe2 clamps it; all weights zero when the sample
// lies more than one pixel outside the map.
template <typename T>
inline void roi_bilinear(T sy, T sx, const RoiAlignParams& p, int64_t* pos, T* w) {
    if (sy < T(-1) || sy > T(p.h) || sx < T(-1) || sx > T(p.w)) {
        for (int k = 0; k < 4; ++k) pos[k] = 0, w[k] = T(0);
        return;
    }
    if (sy <= T(0)) sy = T(0);
    if (sx <= T(0)) sx = T(0);
    int64_t y0 = int64_t(sy), x0 = int64_t(sx), y1 = y0 + 1, x1 = x0 + 1;
    if (y0 >= p.h - 1) y0 = y1 = p.h - 1, sy = T(y0);
    if (x0 >= p.w - 1) x0 = x1 = p.w - 1, sx = T(x0);
    const T ly = sy - T(y0), lx = sx - T(x0), hy = T(1) - ly, hx = T(1) - lx;
    pos[0] = y0 * p.w + x0, pos[1] = y0 * p.w + x1, pos[2] = y1 * p.w + x0, pos[3] = y1 * p.w + x1;
    w[0] = hy * hx, w[1] = hy * lx, w[2] = ly * hx, w[3] = ly * lx;
}

// x: N x C x H x W; rois: R x 4 (x1, y1, x2, y2 in input coordinates before spatial_scale);
// batch: R image indices; y: R x C x out_h x out_w. A roi whose batch index is out of range gives zeros.
// Max mode takes the largest weighted tap of each sample, then the largest sample (ONNX Runtime's rule).
template <typename T, typename I>
inline void roi_align(const T* x, const T* rois, const I* batch, T* y, const RoiAlignParams& p) {
    const int64_t plane = p.h * p.w, out_plane = p.out_h * p.out_w;
    const T offset = p.half_pixel ? T(0.5) : T(0);
    for (int64_t r = 0; r < p.rois; ++r) {
        T* yr = y + r * p.c * out_plane;
        const int64_t b = int64_t(batch[r]);
        if (b < 0 || b >= p.n) {
            for (int64_t i = 0; i < p.c * out_plane; ++i) yr[i] = T(0);
            continue;
        }
        const T* xb = x + b * p.c * plane;
        const T* roi = rois + 4 * r;
        const T scale = T(p.spatial_scale);
        const T x1 = roi[0] * scale - offset, y1 = roi[1] * scale - offset;
        T roi_w = roi[2] * scale - offset - x1, roi_h = roi[3] * scale - offset - y1;
        if (!p.half_pixel) {
            roi_w = max_of(roi_w, T(1));
            roi_h = max_of(roi_h, T(1));
        }
        const T bin_h = roi_h / T(p.out_h), bin_w = roi_w / T(p.out_w);
        const int64_t grid_h = p.sampling_ratio > 0 ? p.sampling_ratio : int64_t(std::ceil(roi_h / T(p.out_h)));
        const int64_t grid_w = p.sampling_ratio > 0 ? p.sampling_ratio : int64_t(std::ceil(roi_w / T(p.out_w)));
        const T count = T(max_of(grid_h * grid_w, int64_t(1)));
        for (int64_t ph = 0; ph < p.out_h; ++ph) {
            for (int64_t pw = 0; pw < p.out_w; ++pw) {
                T* yo = yr + ph * p.out_w + pw;
                for (int64_t ch = 0; ch < p.c; ++ch) yo[ch * out_plane] = T(0);
                bool first = true;
                for (int64_t iy = 0; iy < grid_h; ++iy) {
                    const T sy = y1 + T(ph) * bin_h + (T(iy) + T(0.5)) * bin_h / T(grid_h);
                    for (int64_t ix = 0; ix < grid_w; ++ix) {
                        const T sx = x1 + T(pw) * bin_w + (T(ix) + T(0.5)) * bin_w / T(grid_w);
                        int64_t pos[4];
                        T w[4];
                        roi_bilinear(sy, sx, p, pos, w);
                        for (int64_t ch = 0; ch < p.c; ++ch) {
                            const T* xc = xb + ch * plane;
                            T& out = yo[ch * out_plane];
                            if (p.max_mode) {
                                const T v = max_of(max_of(w[0] * xc[pos[0]], w[1] * xc[pos[1]]),
                                                   max_of(w[2] * xc[pos[2]], w[3] * xc[pos[3]]));
                                out = first ? v : max_of(out, v);
                            } else {
                                out += w[0] * xc[pos[0]] + w[1] * xc[pos[1]] + w[2] * xc[pos[2]] + w[3] * xc[pos[3]];
                            }
                        }
                        first = false;
                    }
                }
                if (!p.max_mode)
                    for (int64_t ch = 0; ch < p.c; ++ch) yo[ch * out_plane] /= count;
            }
        }
    }
}

}  // namespace kernels
}  // namespace kiln
