// Spectral kernels: the DFT along one axis and the STFT's framed DFTs, both on one line routine that
// runs a radix-2 FFT when the length is a power of two and a direct DFT otherwise (windows and the mel
// filter bank are in spectral_windows.h).
// Complex values are (re, im) pairs. Twiddle factors exp(-2*pi*i*m/n) come precomputed in a table
// (dft_twiddles fills it on the host; generated code holds it as a constant array): n/2 entries for the
// FFT, n for the direct DFT. No scratch memory: the FFT works in the output line itself.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// One transform: its length, how many bins it keeps, and which algorithm the twiddle table was made for.
struct DftShape {
    int64_t n;           // transform length (input samples past the available ones are zeros)
    int64_t out_len;     // bins written: n, or n / 2 + 1 when onesided
    int32_t in_complex;  // input samples are (re, im) pairs, not real values
    int32_t inverse;     // exp(+2*pi*i*jk/n) / n instead of exp(-2*pi*i*jk/n)
    int32_t fft;         // radix-2 FFT (n a power of two; all n bins, or onesided of a real input)
};

// Twiddle entries the table of a transform holds.
inline int64_t dft_twiddle_count(const DftShape& s) { return s.fft ? s.n / 2 : s.n; }

// tw[2m], tw[2m+1] = cos, -sin of 2*pi*m/n for m < count, computed in double and rounded once.
template <typename T>
inline void dft_twiddles(T* tw, int64_t n, int64_t count) {
    const double pi = 3.14159265358979323846;
    for (int64_t m = 0; m < count; ++m) {
        const double a = 2.0 * pi * double(m) / double(n);
        tw[2 * m] = T(std::cos(a));
        tw[2 * m + 1] = T(-std::sin(a));
    }
}

// One line of input: samples at x + j * stride, `avail` of them (later ones read as 0), each multiplied
// by window[j] when a window is given.
template <typename T>
struct DftInput {
    const T* x;
    int64_t stride;
    int64_t avail;
    const T* window;
};

template <typename T>
inline void dft_sample(const DftInput<T>& in, int32_t in_complex, int64_t j, T* re, T* im) {
    if (j >= in.avail) {
        *re = T(0);
        *im = T(0);
        return;
    }
    const T* p = in.x + j * in.stride;
    const T w = in.window ? in.window[j] : T(1);
    *re = p[0] * w;
    *im = in_complex ? p[1] * w : T(0);
}

// Radix-2 butterflies over `count` points at y + k * ys (already in bit-reversed order). Stage `len` uses
// w_len^j = w_n^(j * n / len), i.e. table entry j * (count / len) * tw_scale with tw_scale = n / count.
template <typename T>
inline void fft_butterflies(T* y, int64_t ys, int64_t count, const T* tw, int64_t tw_scale, T sign) {
    for (int64_t len = 2; len <= count; len <<= 1) {
        const int64_t half = len / 2;
        const int64_t step = (count / len) * tw_scale;
        for (int64_t j = 0; j < half; ++j) {
            const T c = tw[2 * j * step], s = sign * tw[2 * j * step + 1];
            for (int64_t b = j; b < count; b += len) {
                T* u = y + b * ys;
                T* v = y + (b + half) * ys;
                const T vr = v[0] * c - v[1] * s, vi = v[0] * s + v[1] * c;
                v[0] = u[0] - vr;
                v[1] = u[1] - vi;
                u[0] += vr;
                u[1] += vi;
            }
        }
    }
}

// Next index in bit-reversed counting over `count` (a power of two) points.
inline int64_t next_bit_reversed(int64_t r, int64_t count) {
    int64_t bit = count >> 1;
    while (bit > 0 && (r & bit)) {
        r ^= bit;
        bit >>= 1;
    }
    return r | bit;
}

// All n bins by an in-place complex FFT on the output line.
template <typename T>
inline void fft_full(const DftInput<T>& in, const DftShape& s, T* y, int64_t ys, const T* tw, T sign) {
    int64_t r = 0;
    for (int64_t j = 0; j < s.n; ++j) {
        dft_sample(in, s.in_complex, j, &y[r * ys], &y[r * ys + 1]);
        r = next_bit_reversed(r, s.n);
    }
    fft_butterflies(y, ys, s.n, tw, int64_t(1), sign);
}

// Bins 0..n/2 of a real input by one complex FFT of n/2 points: z[m] = x[2m] + i*x[2m+1], then the even and
// odd halves are separated (E[k] = (Z[k] + conj Z[h-k]) / 2, O[k] = (Z[k] - conj Z[h-k]) / 2i) and combined,
// X[k] = E[k] + w^k O[k] and X[h-k] = conj(E[k] - w^k O[k]), in place on the n/2 + 1 output bins.
template <typename T>
inline void fft_real_onesided(const DftInput<T>& in, const DftShape& s, T* y, int64_t ys, const T* tw, T sign) {
    const int64_t h = s.n / 2;
    int64_t r = 0;
    for (int64_t m = 0; m < h; ++m) {
        T im_unused;
        dft_sample(in, 0, 2 * m, &y[r * ys], &im_unused);
        dft_sample(in, 0, 2 * m + 1, &y[r * ys + 1], &im_unused);
        r = next_bit_reversed(r, h);
    }
    fft_butterflies(y, ys, h, tw, int64_t(2), sign);
    const T z0r = y[0], z0i = y[1];
    y[h * ys] = z0r - z0i;
    y[h * ys + 1] = T(0);
    y[0] = z0r + z0i;
    y[1] = T(0);
    const T half = T(0.5);
    for (int64_t k = 1; 2 * k <= h; ++k) {
        T* a = y + k * ys;
        T* b = y + (h - k) * ys;
        const T even_re = half * (a[0] + b[0]), even_im = half * (a[1] - b[1]);
        const T odd_re = half * (a[1] + b[1]), odd_im = -half * (a[0] - b[0]);
        const T wr = tw[2 * k], wi = sign * tw[2 * k + 1];
        const T wo_re = wr * odd_re - wi * odd_im, wo_im = wr * odd_im + wi * odd_re;
        a[0] = even_re + wo_re;
        a[1] = even_im + wo_im;
        if (b != a) {
            b[0] = even_re - wo_re;
            b[1] = wo_im - even_im;
        }
    }
}

// Bins 0..out_len-1 by the definition: X[k] = sum_j x[j] w^(jk mod n).
template <typename T>
inline void dft_direct(const DftInput<T>& in, const DftShape& s, T* y, int64_t ys, const T* tw, T sign) {
    const int64_t used = min_of(in.avail, s.n);
    for (int64_t k = 0; k < s.out_len; ++k) {
        T acc_re = T(0), acc_im = T(0);
        int64_t m = 0;  // j * k mod n
        for (int64_t j = 0; j < used; ++j) {
            T xr, xi;
            dft_sample(in, s.in_complex, j, &xr, &xi);
            const T c = tw[2 * m], w = sign * tw[2 * m + 1];
            acc_re += xr * c - xi * w;
            acc_im += xr * w + xi * c;
            m += k;
            if (m >= s.n) m -= s.n;
        }
        y[k * ys] = acc_re;
        y[k * ys + 1] = acc_im;
    }
}

// The transform of one line into out_len bins at y + k * ys, scaled by 1/n when inverse.
template <typename T>
inline void dft_line(const DftInput<T>& in, const DftShape& s, T* y, int64_t ys, const T* tw) {
    const T sign = s.inverse ? T(-1) : T(1);
    if (!s.fft) dft_direct(in, s, y, ys, tw, sign);
    else if (s.out_len == s.n) fft_full(in, s, y, ys, tw, sign);
    else fft_real_onesided(in, s, y, ys, tw, sign);
    if (s.inverse) {
        const T scale = T(1) / T(s.n);
        for (int64_t k = 0; k < s.out_len; ++k) {
            y[k * ys] *= scale;
            y[k * ys + 1] *= scale;
        }
    }
}

// DFT along one axis of x[outer][in_len][inner][1 or 2] into y[outer][out_len][inner][2]; the first
// min(in_len, n) samples are used and the rest are zero padding.
struct DftParams {
    int64_t outer;
    int64_t in_len;
    int64_t inner;
    DftShape shape;
};

template <typename T>
inline void dft(const T* x, const T* tw, T* y, const DftParams& p) {
    const int64_t c = p.shape.in_complex ? 2 : 1;
    for (int64_t o = 0; o < p.outer; ++o)
        for (int64_t i = 0; i < p.inner; ++i) {
            const DftInput<T> in{x + (o * p.in_len * p.inner + i) * c, p.inner * c, min_of(p.in_len, p.shape.n),
                                 static_cast<const T*>(nullptr)};
            dft_line(in, p.shape, y + (o * p.shape.out_len * p.inner + i) * 2, p.inner * 2, tw);
        }
}

// STFT of signal[batch][signal_len][1 or 2] into y[batch][frames][out_len][2]: frame f is the n samples
// from f * step, times the window when one is given (nullptr otherwise).
struct StftParams {
    int64_t batch;
    int64_t signal_len;
    int64_t frames;
    int64_t step;
    DftShape shape;
};

template <typename T>
inline void stft(const T* signal, const T* window, const T* tw, T* y, const StftParams& p) {
    const int64_t c = p.shape.in_complex ? 2 : 1;
    for (int64_t b = 0; b < p.batch; ++b)
        for (int64_t f = 0; f < p.frames; ++f) {
            const DftInput<T> in{signal + (b * p.signal_len + f * p.step) * c, c, p.shape.n, window};
            dft_line(in, p.shape, y + (b * p.frames + f) * p.shape.out_len * 2, int64_t(2), tw);
        }
}

}  // namespace kernels
}  // namespace kiln
