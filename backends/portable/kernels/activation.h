// Activation functors for the elementwise maps of elementwise.h: parameters are the ONNX attributes
// (float), applied in the element type.
#pragma once

#include <cmath>
#include <cstdint>

#include "elementwise.h"

namespace kiln {
namespace kernels {

struct LeakyRelu {
    float alpha;
    template <typename T> T operator()(T x) const { return x < T(0) ? T(alpha) * x : x; }
};
// Binary: y = x < 0 ? slope * x : x, with the slope broadcast to x.
struct PRelu {
    template <typename T> T operator()(T x, T slope) const { return is_negative(x) ? T(slope * x) : x; }
};
struct Elu {
    float alpha;
    template <typename T> T operator()(T x) const { return x < T(0) ? T(alpha) * (std::exp(x) - T(1)) : x; }
};
struct Selu {
    float alpha, gamma;
    template <typename T> T operator()(T x) const {
        return x <= T(0) ? T(gamma) * (T(alpha) * std::exp(x) - T(alpha)) : T(gamma) * x;
    }
};
struct Celu {
    float alpha;
    template <typename T> T operator()(T x) const {
        const T a = T(alpha);
        const T neg = a * (std::exp(x / a) - T(1));
        return (x > T(0) ? x : T(0)) + (neg < T(0) ? neg : T(0));
    }
};
struct HardSigmoid {
    float alpha, beta;
    template <typename T> T operator()(T x) const {
        const T v = T(alpha) * x + T(beta);
        return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    }
};
// x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
struct HardSwish {
    template <typename T> T operator()(T x) const {
        const T v = x / T(6) + T(0.5);
        return x * (v < T(0) ? T(0) : (v > T(1) ? T(1) : v));
    }
};
// log(1 + exp(x)) without overflow for large x.
struct Softplus {
    template <typename T> T operator()(T x) const {
        return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    }
};
struct Softsign {
    template <typename T> T operator()(T x) const { return x / (T(1) + std::fabs(x)); }
};
struct ThresholdedRelu {
    float alpha;
    template <typename T> T operator()(T x) const { return x > T(alpha) ? x : T(0); }
};
// x < -lambd: x + bias; x > lambd: x - bias; else 0. Integers are compared and shifted in double.
struct Shrink {
    float lambd, bias;
    float operator()(float x) const { return x < -lambd ? x + bias : (x > lambd ? x - bias : 0.0f); }
    template <typename T> T operator()(T x) const {
        const double v = double(x), l = double(lambd), b = double(bias);
        return v < -l ? T(v + b) : (v > l ? T(v - b) : T(0));
    }
};

}  // namespace kernels
}  // namespace kiln
