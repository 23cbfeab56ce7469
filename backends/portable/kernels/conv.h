// Direct convolution and transposed convolution over NC(D)(H)W tensors, 1-D to 3-D, with groups,
// strides, dilations and padding. Loops run per kernel tap over whole output rows so the innermost
// loop is a contiguous multiply-add the compiler vectorizes (stride 1), with no bounds checks inside.
#pragma once

#include <cstdint>

#include "common.h"
#include "epilogue.h"
#include "window.h"

namespace kiln {
namespace kernels {

// Conv: x [batch, in_channels, in...], w [out_channels, in_channels/groups, kernel...],
// y [batch, out_channels, out...]. ConvTranspose: x [batch, in_channels, in...],
// w [in_channels, out_channels/groups, kernel...], y [batch, out_channels, out...].
struct ConvParams {
    int64_t batch;
    int64_t in_channels;
    int64_t out_channels;
    int64_t groups;
    Window win;
};

// y[o] += w * x[o * stride + offset] for o in [lo, hi).
template <typename T>
inline void conv_row_gather(T* y, const T* x, T w, Span s, int64_t stride, int64_t offset) {
    if (stride == 1) {
        for (int64_t o = s.lo; o < s.hi; ++o) y[o] += w * x[o + offset];
    } else {
        for (int64_t o = s.lo; o < s.hi; ++o) y[o] += w * x[o * stride + offset];
    }
}

// y[i * stride + offset] += w * x[i] for i in [lo, hi).
template <typename T>
inline void conv_row_scatter(T* y, const T* x, T w, Span s, int64_t stride, int64_t offset) {
    for (int64_t i = s.lo; i < s.hi; ++i) y[i * stride + offset] += w * x[i];
}

// One output channel's starting value: bias[m] (0 without bias) plus the residual channel zc when given.
// zc may equal yc (in place): each element is read before it is written.
template <typename T>
inline void init_channel(T* yc, const T* bias, const T* zc, int64_t m, int64_t size) {
    const T b = bias ? bias[m] : T(0);
    if (zc) {
        for (int64_t o = 0; o < size; ++o) yc[o] = b + zc[o];
    } else {
        for (int64_t o = 0; o < size; ++o) yc[o] = b;
    }
}

// Fused form (FusedConv): y = act(conv(x) + bias + z) with z (optional, y's shape) the residual. Each
// output channel starts as bias + z and gets its activation as soon as it is complete, so nothing
// intermediate is written. y may alias z (same buffer, in place): element o of a channel is read from z
// only when it is initialised, before anything else writes it. y must not alias x.
template <typename T>
inline void conv_fused(const T* x, const T* w, const T* bias, const T* z, T* y, const ConvParams& p,
                       const Epilogue& e) {
    const Window& g = p.win;
    const int64_t in_size = window_in_size(g), out_size = g.out[0] * g.out[1] * g.out[2];
    const int64_t k_size = g.kernel[0] * g.kernel[1] * g.kernel[2];
    const int64_t cig = p.in_channels / p.groups, cog = p.out_channels / p.groups;
    for (int64_t n = 0; n < p.batch; ++n) {
        for (int64_t m = 0; m < p.out_channels; ++m) {
            T* yc = y + (n * p.out_channels + m) * out_size;
            init_channel(yc, bias, z ? z + (n * p.out_channels + m) * out_size : nullptr, m, out_size);
            const int64_t group = m / cog;
            for (int64_t ic = 0; ic < cig; ++ic) {
                const T* xc = x + (n * p.in_channels + group * cig + ic) * in_size;
                const T* wc = w + (m * cig + ic) * k_size;
                for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
                    const int64_t offd = kd * g.dilation[0] - g.pad[0];
                    const Span sd = span_in_bounds(offd, g.stride[0], g.in[0], g.out[0]);
                    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
                        const int64_t offh = kh * g.dilation[1] - g.pad[1];
                        const Span sh = span_in_bounds(offh, g.stride[1], g.in[1], g.out[1]);
                        for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                            const int64_t offw = kw * g.dilation[2] - g.pad[2];
                            const Span sw = span_in_bounds(offw, g.stride[2], g.in[2], g.out[2]);
                            const T wv = wc[(kd * g.kernel[1] + kh) * g.kernel[2] + kw];
                            for (int64_t od = sd.lo; od < sd.hi; ++od) {
                                const int64_t id = od * g.stride[0] + offd;
                                for (int64_t oh = sh.lo; oh < sh.hi; ++oh) {
                                    const int64_t ih = oh * g.stride[1] + offh;
                                    conv_row_gather(yc + (od * g.out[1] + oh) * g.out[2],
                                                    xc + (id * g.in[1] + ih) * g.in[2], wv, sw, g.stride[2], offw);
                                }
                            }
                        }
                    }
                }
            }
            apply_epilogue(yc, out_size, e);
        }
    }
}

template <typename T>
inline void conv(const T* x, const T* w, const T* bias, T* y, const ConvParams& p) {
    conv_fused(x, w, bias, static_cast<const T*>(nullptr), y, p, Epilogue{kActNone, 0.0f, 0.0f});
}

// The adjoint of conv: every input element scatters kernel-weighted copies into the output. Fused form
// (FusedConvTranspose) as conv_fused: y = act(conv_transpose(x) + bias + z), y may alias z, not x.
template <typename T>
inline void conv_transpose_fused(const T* x, const T* w, const T* bias, const T* z, T* y, const ConvParams& p,
                                 const Epilogue& e) {
    const Window& g = p.win;
    const int64_t in_size = window_in_size(g), out_size = g.out[0] * g.out[1] * g.out[2];
    const int64_t k_size = g.kernel[0] * g.kernel[1] * g.kernel[2];
    const int64_t cig = p.in_channels / p.groups, cog = p.out_channels / p.groups;
    for (int64_t n = 0; n < p.batch; ++n) {
        for (int64_t m = 0; m < p.out_channels; ++m) {
            T* yc = y + (n * p.out_channels + m) * out_size;
            init_channel(yc, bias, z ? z + (n * p.out_channels + m) * out_size : nullptr, m, out_size);
            const int64_t group = m / cog, mg = m % cog;
            for (int64_t ic = 0; ic < cig; ++ic) {
                const T* xc = x + (n * p.in_channels + group * cig + ic) * in_size;
                const T* wc = w + ((group * cig + ic) * cog + mg) * k_size;
                for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
                    const int64_t offd = kd * g.dilation[0] - g.pad[0];
                    const Span sd = span_in_bounds(offd, g.stride[0], g.out[0], g.in[0]);
                    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
                        const int64_t offh = kh * g.dilation[1] - g.pad[1];
                        const Span sh = span_in_bounds(offh, g.stride[1], g.out[1], g.in[1]);
                        for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                            const int64_t offw = kw * g.dilation[2] - g.pad[2];
                            const Span sw = span_in_bounds(offw, g.stride[2], g.out[2], g.in[2]);
                            const T wv = wc[(kd * g.kernel[1] + kh) * g.kernel[2] + kw];
                            for (int64_t id = sd.lo; id < sd.hi; ++id) {
                                const int64_t od = id * g.stride[0] + offd;
                                for (int64_t ih = sh.lo; ih < sh.hi; ++ih) {
                                    const int64_t oh = ih * g.stride[1] + offh;
                                    conv_row_scatter(yc + (od * g.out[1] + oh) * g.out[2],
                                                     xc + (id * g.in[1] + ih) * g.in[2], wv, sw, g.stride[2], offw);
                                }
                            }
                        }
                    }
                }
            }
            apply_epilogue(yc, out_size, e);
        }
    }
}

template <typename T>
inline void conv_transpose(const T* x, const T* w, const T* bias, T* y, const ConvParams& p) {
    conv_transpose_fused(x, w, bias, static_cast<const T*>(nullptr), y, p, Epilogue{kActNone, 0.0f, 0.0f});
}

}  // namespace kernels
}  // namespace kiln
