// Normalization kernels: BatchNormalization (inference), InstanceNormalization, LayerNormalization,
// LRN and MeanVarianceNormalization. Statistics use two passes (mean, then squared deviations), which
// stays accurate where E[x^2] - E[x]^2 would cancel.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// x viewed as [batch, channels, spatial].
struct ChannelNormParams {
    int64_t batch, channels, spatial;
    float epsilon;
};

// y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c], folded into one multiply-add.
template <typename T>
inline void batch_norm(const T* x, const T* scale, const T* bias, const T* mean, const T* var, T* y,
                       const ChannelNormParams& p) {
    for (int64_t c = 0; c < p.channels; ++c) {
        const T a = scale[c] / std::sqrt(var[c] + T(p.epsilon));
        const T b = bias[c] - mean[c] * a;
        for (int64_t n = 0; n < p.batch; ++n) {
            const int64_t off = (n * p.channels + c) * p.spatial;
            for (int64_t s = 0; s < p.spatial; ++s) y[off + s] = x[off + s] * a + b;
        }
    }
}

// Mean and variance over each [n, c] plane, then the per-channel affine transform.
template <typename T>
inline void instance_norm(const T* x, const T* scale, const T* bias, T* y, const ChannelNormParams& p) {
    for (int64_t n = 0; n < p.batch; ++n) {
        for (int64_t c = 0; c < p.channels; ++c) {
            const int64_t off = (n * p.channels + c) * p.spatial;
            T sum = T(0);
            for (int64_t s = 0; s < p.spatial; ++s) sum += x[off + s];
            const T mean = sum / T(p.spatial);
            T sq = T(0);
            for (int64_t s = 0; s < p.spatial; ++s) sq += (x[off + s] - mean) * (x[off + s] - mean);
            const T a = scale[c] / std::sqrt(sq / T(p.spatial) + T(p.epsilon));
            const T b = bias[c] - mean * a;
            for (int64_t s = 0; s < p.spatial; ++s) y[off + s] = x[off + s] * a + b;
        }
    }
}

// x viewed as [rows, cols], normalized over each row. Scale and bias have `cols` elements, or one
// (stride 0); bias, mean_out and inv_std_out may be null. U is the precision of the statistics.
struct LayerNormParams {
    int64_t rows, cols;
    int64_t scale_stride, bias_stride;
    float epsilon;
};

template <typename T, typename U>
inline void layer_norm(const T* x, const T* scale, const T* bias, T* y, U* mean_out, U* inv_std_out,
                       const LayerNormParams& p) {
    for (int64_t r = 0; r < p.rows; ++r) {
        const T* xr = x + r * p.cols;
        T* yr = y + r * p.cols;
        U sum = U(0);
        for (int64_t j = 0; j < p.cols; ++j) sum += U(xr[j]);
        const U mean = sum / U(p.cols);
        U sq = U(0);
        for (int64_t j = 0; j < p.cols; ++j) sq += (U(xr[j]) - mean) * (U(xr[j]) - mean);
        const U inv_std = U(1) / std::sqrt(sq / U(p.cols) + U(p.epsilon));
        for (int64_t j = 0; j < p.cols; ++j) {
            const T v = T((U(xr[j]) - mean) * inv_std) * scale[j * p.scale_stride];
            yr[j] = bias ? T(v + bias[j * p.bias_stride]) : v;
        }
        if (mean_out) mean_out[r] = mean;
        if (inv_std_out) inv_std_out[r] = inv_std;
    }
}

// Across-channel local response normalization: x viewed as [batch, channels, spatial];
// y = x / (bias + alpha / size * sum of x^2 over channels [c - (size-1)/2, c + ceil((size-1)/2)])^beta.
struct LrnParams {
    int64_t batch, channels, spatial;
    int64_t size;
    float alpha, beta, bias;
};

template <typename T>
inline void lrn(const T* x, T* y, const LrnParams& p) {
    const int64_t before = (p.size - 1) / 2, after = p.size - 1 - before;
    const T scale = T(p.alpha) / T(p.size);
    for (int64_t n = 0; n < p.batch; ++n) {
        for (int64_t c = 0; c < p.channels; ++c) {
            T* yr = y + (n * p.channels + c) * p.spatial;
            // yr holds the running sum of squares so the inner loops stay contiguous.
            for (int64_t s = 0; s < p.spatial; ++s) yr[s] = T(0);
            const int64_t lo = max_of<int64_t>(0, c - before), hi = min_of<int64_t>(p.channels - 1, c + after);
            for (int64_t cc = lo; cc <= hi; ++cc) {
                const T* xc = x + (n * p.channels + cc) * p.spatial;
                for (int64_t s = 0; s < p.spatial; ++s) yr[s] += xc[s] * xc[s];
            }
            const T* xr = x + (n * p.channels + c) * p.spatial;
            for (int64_t s = 0; s < p.spatial; ++s) yr[s] = xr[s] / std::pow(T(p.bias) + scale * yr[s], T(p.beta));
        }
    }
}

// MeanVarianceNormalization over arbitrary axes: the kept dims and the reduced dims, each with their
// strides in x (adjacent dims of the same kind merged by the compiler).
struct MvnParams {
    int32_t kept_rank, reduced_rank;
    int64_t kept_dims[kMaxRank], kept_strides[kMaxRank];
    int64_t reduced_dims[kMaxRank], reduced_strides[kMaxRank];
};

// Calls f(offset) for every index of dims (innermost last), offset = sum of index * stride.
template <typename F>
inline void for_each_offset(int32_t rank, const int64_t* dims, const int64_t* strides, F f) {
    int64_t idx[kMaxRank] = {0};
    int64_t off = 0;
    for (int32_t d = 0; d < rank; ++d)
        if (dims[d] == 0) return;
    for (;;) {
        f(off);
        int32_t d = rank - 1;
        for (; d >= 0; --d) {
            off += strides[d];
            if (++idx[d] < dims[d]) break;
            off -= strides[d] * dims[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

// y = (x - mean) / (sqrt(variance) + 1e-9), statistics over the reduced dims (the ONNX function body).
template <typename T>
inline void mean_variance_norm(const T* x, T* y, const MvnParams& p) {
    int64_t count = 1;
    for (int32_t d = 0; d < p.reduced_rank; ++d) count *= p.reduced_dims[d];
    for_each_offset(p.kept_rank, p.kept_dims, p.kept_strides, [&](int64_t base) {
        T sum = T(0);
        for_each_offset(p.reduced_rank, p.reduced_dims, p.reduced_strides, [&](int64_t o) { sum += x[base + o]; });
        const T mean = sum / T(count);
        T sq = T(0);
        for_each_offset(p.reduced_rank, p.reduced_dims, p.reduced_strides,
                        [&](int64_t o) { sq += (x[base + o] - mean) * (x[base + o] - mean); });
        const T inv = T(1) / (std::sqrt(sq / T(count)) + T(1e-9));
        for_each_offset(p.reduced_rank, p.reduced_dims, p.reduced_strides,
                        [&](int64_t o) { y[base + o] = (x[base + o] - mean) * inv; });
    });
}

}  // namespace kernels
}  // namespace kiln
