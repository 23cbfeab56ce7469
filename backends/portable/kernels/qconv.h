// Integer convolutions over NC(D)(H)W tensors of int8/uint8, 1-D to 3-D, with groups, strides,
// dilations and padding: ConvInteger (int32 output) and QLinearConv (requantized to int8/uint8).
// Each output row is accumulated in int32 chunks on the stack, one kernel tap at a time, so the
// innermost loop is a contiguous multiply-add (stride 1) with the bounds worked out per tap.
#pragma once

#include <cstdint>

#include "common.h"
#include "quantize.h"
#include "window.h"

namespace kiln {
namespace kernels {

// x [batch, in_channels, in...], w [out_channels, in_channels/groups, kernel...], y [batch, out_channels,
// out...]. The weight zero point and (QLinearConv) the weight scale are one value, or one per output channel
// when the flag says so.
struct QConvParams {
    int64_t batch;
    int64_t in_channels;
    int64_t out_channels;
    int64_t groups;
    Window win;
    int32_t w_zp_per_channel;
    int32_t w_scale_per_channel;
};

// Output elements accumulated at once: 256 bytes of stack.
constexpr int64_t kQConvChunk = 64;

// Runs the convolution sum_{ic, taps} (x - x_zp) * (w - w_zp[m]) and hands each chunk of an output row
// to store(m, acc, y_offset, count). Padding contributes nothing: a padded x equals x_zp. Sums wrap in
// 32 bits (uint32 arithmetic: defined, and what "accumulation may overflow in 32 bits" allows).
template <typename TX, typename TW, typename Store>
inline void qconv_rows(const TX* x, int32_t x_zp, const TW* w, const TW* w_zp, const QConvParams& p, Store store) {
    const Window& g = p.win;
    const int64_t in_size = window_in_size(g), out_size = g.out[0] * g.out[1] * g.out[2];
    const int64_t k_size = g.kernel[0] * g.kernel[1] * g.kernel[2];
    const int64_t cig = p.in_channels / p.groups, cog = p.out_channels / p.groups;
    uint32_t acc[kQConvChunk];
    for (int64_t n = 0; n < p.batch; ++n) {
        for (int64_t m = 0; m < p.out_channels; ++m) {
            const int32_t wzp = w_zp ? int32_t(w_zp[p.w_zp_per_channel ? m : 0]) : 0;
            const TX* xg = x + (n * p.in_channels + (m / cog) * cig) * in_size;
            const TW* wm = w + m * cig * k_size;
            const int64_t y_base = (n * p.out_channels + m) * out_size;
            for (int64_t od = 0; od < g.out[0]; ++od) {
                for (int64_t oh = 0; oh < g.out[1]; ++oh) {
                    const int64_t y_row = y_base + (od * g.out[1] + oh) * g.out[2];
                    for (int64_t c0 = 0; c0 < g.out[2]; c0 += kQConvChunk) {
                        const int64_t c1 = min_of(g.out[2], c0 + kQConvChunk);
                        for (int64_t o = 0; o < c1 - c0; ++o) acc[o] = 0u;
                        for (int64_t ic = 0; ic < cig; ++ic) {
                            const TX* xc = xg + ic * in_size;
                            const TW* wc = wm + ic * k_size;
                            for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
                                const int64_t id = od * g.stride[0] + kd * g.dilation[0] - g.pad[0];
                                if (id < 0 || id >= g.in[0]) continue;
                                for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
                                    const int64_t ih = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
                                    if (ih < 0 || ih >= g.in[1]) continue;
                                    const TX* xr = xc + (id * g.in[1] + ih) * g.in[2];
                                    const TW* wr = wc + (kd * g.kernel[1] + kh) * g.kernel[2];
                                    for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                                        const int32_t wv = int32_t(wr[kw]) - wzp;
                                        if (wv == 0) continue;
                                        const int64_t offw = kw * g.dilation[2] - g.pad[2];
                                        const Span s = span_in_bounds(offw, g.stride[2], g.in[2], g.out[2]);
                                        const int64_t lo = max_of(s.lo, c0), hi = min_of(s.hi, c1);
                                        if (g.stride[2] == 1) {
                                            const int64_t off = offw + c0;
                                            for (int64_t o = lo - c0; o < hi - c0; ++o)
                                                acc[o] += uint32_t(wv * (int32_t(xr[o + off]) - x_zp));
                                        } else {
                                            for (int64_t o = lo; o < hi; ++o)
                                                acc[o - c0] +=
                                                    uint32_t(wv * (int32_t(xr[o * g.stride[2] + offw]) - x_zp));
                                        }
                                    }
                                }
                            }
                        }
                        store(m, acc, y_row + c0, c1 - c0);
                    }
                }
            }
        }
    }
}

// ConvInteger: y = conv(x - x_zp, w - w_zp) in int32. Zero points may be nullptr (0).
template <typename TX, typename TW>
inline void conv_integer(const TX* x, const TW* w, const TX* x_zp, const TW* w_zp, int32_t* y, const QConvParams& p) {
    qconv_rows(x, x_zp ? int32_t(*x_zp) : 0, w, w_zp, p, [&](int64_t, const uint32_t* acc, int64_t off, int64_t count) {
        for (int64_t o = 0; o < count; ++o) y[off + o] = int32_t(acc[o]);
    });
}

// QLinearConv: y = saturate(round(float(acc + bias[m]) * (x_scale * w_scale[m] / y_scale)) + y_zp), with
// acc = conv(x - x_zp, w - w_zp[m]) in int32; bias (int32, scale x_scale * w_scale) may be nullptr.
template <typename TX, typename TW, typename TY>
inline void qlinear_conv(const TX* x, const float* x_scale, const TX* x_zp, const TW* w, const float* w_scale,
                         const TW* w_zp, const float* y_scale, const TY* y_zp, const int32_t* bias, TY* y,
                         const QConvParams& p) {
    const int32_t yzp = int32_t(*y_zp);
    qconv_rows(x, int32_t(*x_zp), w, w_zp, p, [&](int64_t m, const uint32_t* acc, int64_t off, int64_t count) {
        const float scale = *x_scale * w_scale[p.w_scale_per_channel ? m : 0] / *y_scale;
        const uint32_t b = bias ? uint32_t(bias[m]) : 0u;
        for (int64_t o = 0; o < count; ++o) y[off + o] = requantize<TY>(int32_t(acc[o] + b), scale, yzp);
    });
}

}  // namespace kernels
}  // namespace kiln
