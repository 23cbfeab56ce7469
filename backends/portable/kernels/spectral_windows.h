// Tensors made for spectral work: the cosine-sum windows (Hann, Hamming, Blackman) and the mel filter
// bank. Values are computed in double and converted once by a store functor from cast.h (CastTo<T>,
// ToF16, ToBF16). With constant inputs the compiler folds them; generated code runs them otherwise.
#pragma once

#include <cmath>
#include <cstdint>

#include "cast.h"

namespace kiln {
namespace kernels {

// w[i] = a0 - a1 cos(2*pi*i/N) + a2 cos(4*pi*i/N), N = size when periodic, size - 1 when symmetric
// (a symmetric window of one point is [1], as in numpy and PyTorch, rather than 0/0).
struct CosineWindowParams {
    int64_t size;
    int32_t periodic;
    double a0, a1, a2;
};

inline double cosine_window_value(const CosineWindowParams& p, int64_t i) {
    const double pi = 3.14159265358979323846;
    const int64_t period = p.periodic ? p.size : p.size - 1;
    if (period == 0) return 1.0;
    const double a = 2.0 * pi * double(i) / double(period);
    return p.a0 - p.a1 * std::cos(a) + p.a2 * std::cos(2.0 * a);
}

template <typename T, typename Store>
inline void cosine_window(T* y, const CosineWindowParams& p, Store store) {
    for (int64_t i = 0; i < p.size; ++i) y[i] = store(cosine_window_value(p, i));
}

// Triangular filters on the mel scale mel(f) = 2595 log10(1 + f/700), as the ONNX reference builds them:
// num_mel_bins + 2 edges evenly spaced in mel between the edge frequencies (the step divides by
// num_mel_bins + 2), each at spectrogram bin floor((dft_length + 1) * f / sample_rate). Band i rises
// from edge i to 1 at edge i + 1 and falls to edge i + 2. The output is [dft_length / 2 + 1][num_mel_bins].
struct MelParams {
    int64_t num_mel_bins;
    int64_t dft_length;
};

struct MelScale {
    double low_mel, mel_step, dft_length_plus_1, sample_rate;
};

inline MelScale mel_scale(const MelParams& p, double sample_rate, double lower_hz, double upper_hz) {
    const double low = 2595.0 * std::log10(1.0 + lower_hz / 700.0);
    const double high = 2595.0 * std::log10(1.0 + upper_hz / 700.0);
    return MelScale{low, (high - low) / double(p.num_mel_bins + 2), double(p.dft_length + 1), sample_rate};
}

// a // b for b > 0 as numpy computes it (from fmod, then rounded), so edges that land on a bin boundary
// fall on the same side as in the reference.
inline double numpy_floor_divide(double a, double b) {
    const double mod = std::fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0.0 && mod < 0.0) div -= 1.0;
    double floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
    return floordiv;
}

// Spectrogram bin of edge e (0 .. num_mel_bins + 1).
inline int64_t mel_edge_bin(const MelScale& s, int64_t e) {
    const double hz = 700.0 * (std::pow(10.0, (double(e) * s.mel_step + s.low_mel) / 2595.0) - 1.0);
    return int64_t(numpy_floor_divide(s.dft_length_plus_1 * hz, s.sample_rate));
}

// Weight of spectrogram bin j in the band with edge bins lo, center, hi.
inline double mel_triangle(int64_t lo, int64_t center, int64_t hi, int64_t j) {
    if (j >= center && j < hi) return double(hi - j) / double(hi - center);  // falling edge, from the peak
    if (center == lo) return j == center ? 1.0 : 0.0;
    if (j >= lo && j <= center) return double(j - lo) / double(center - lo);
    return 0.0;
}

// Edges outside the spectrogram leave their part of a triangle out (the compiler refuses them when it can
// see them; at run time nothing is written outside the matrix).
template <typename T, typename Store>
inline void mel_weight_matrix(T* y, const MelParams& p, double sample_rate, double lower_hz, double upper_hz,
                              Store store) {
    const MelScale s = mel_scale(p, sample_rate, lower_hz, upper_hz);
    const int64_t bins = p.dft_length / 2 + 1;
    for (int64_t i = 0; i < p.num_mel_bins; ++i) {
        const int64_t lo = mel_edge_bin(s, i), center = mel_edge_bin(s, i + 1), hi = mel_edge_bin(s, i + 2);
        for (int64_t j = 0; j < bins; ++j) y[j * p.num_mel_bins + i] = store(mel_triangle(lo, center, hi, j));
    }
}

}  // namespace kernels
}  // namespace kiln
