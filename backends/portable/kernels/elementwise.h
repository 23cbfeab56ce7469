// Elementwise kernels: unary maps and broadcasting binary/ternary maps, parameterized by functors.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

template <typename TI, typename TO, typename F>
inline void unary(const TI* x, TO* y, int64_t n, F f) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <typename TA, typename TB, typename TO, typename F>
inline void binary(const TA* a, const TB* b, TO* y, const BroadcastParams& p, F f) {
    // Same-shape fast path: one flat loop the compiler can vectorize.
    if (p.rank == 1 && p.strides[0][0] == 1 && p.strides[1][0] == 1) {
        for (int64_t i = 0; i < p.dims[0]; ++i) y[i] = f(a[i], b[i]);
        return;
    }
    for_each_broadcast(p, [&](int64_t o, int64_t ia, int64_t ib, int64_t) { y[o] = f(a[ia], b[ib]); });
}

template <typename TC, typename TA, typename TB, typename TO, typename F>
inline void ternary(const TC* c, const TA* a, const TB* b, TO* y, const BroadcastParams& p, F f) {
    for_each_broadcast(p, [&](int64_t o, int64_t ic, int64_t ia, int64_t ib) { y[o] = f(c[ic], a[ia], b[ib]); });
}

// ---- type helpers (templates: no <type_traits> in kernels, and unused ones must not warn) ---------

// Always false for unsigned types; compilers do not flag the comparison inside a template.
template <typename T> inline bool is_negative(T x) { return x < T(0); }
// Always false for integers.
template <typename T> inline bool is_nan(T x) { return x != x; }

// ---- unary functors -----------------------------------------------------------------------------

struct Relu {
    template <typename T> T operator()(T x) const { return x > T(0) ? x : T(0); }
};
struct Sigmoid {
    float operator()(float x) const { return 1.0f / (1.0f + std::exp(-x)); }
    double operator()(double x) const { return 1.0 / (1.0 + std::exp(-x)); }
};
struct Clip {
    float lo, hi;
    template <typename T> T operator()(T x) const { return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x); }
};
// Clip with optional bounds (nullptr: unbounded), in ONNX's order: max(x, lo) then min(., hi), so
// lo > hi gives hi and NaN stays NaN.
template <typename T>
inline void clip(const T* x, T* y, int64_t n, const T* lo, const T* hi) {
    const bool has_lo = lo != nullptr, has_hi = hi != nullptr;
    const T l = has_lo ? *lo : T(0), h = has_hi ? *hi : T(0);
    if (has_lo && has_hi) {
        for (int64_t i = 0; i < n; ++i) {
            T v = x[i] < l ? l : x[i];
            y[i] = h < v ? h : v;
        }
    } else if (has_lo) {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] < l ? l : x[i];
    } else if (has_hi) {
        for (int64_t i = 0; i < n; ++i) y[i] = h < x[i] ? h : x[i];
    } else {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i];
    }
}

struct Abs {
    template <typename T> T operator()(T x) const { return is_negative(x) ? T(-x) : x; }
    float operator()(float x) const { return std::fabs(x); }
    double operator()(double x) const { return std::fabs(x); }
};
struct Neg {
    template <typename T> T operator()(T x) const { return T(-x); }
};
// -1, 0 or 1; NaN stays NaN.
struct Sign {
    template <typename T> T operator()(T x) const { return is_negative(x) ? T(-1) : (T(0) < x ? T(1) : x); }
};
struct Reciprocal {
    template <typename T> T operator()(T x) const { return T(1) / x; }
};
struct Floor {
    template <typename T> T operator()(T x) const { return std::floor(x); }
};
struct Ceil {
    template <typename T> T operator()(T x) const { return std::ceil(x); }
};
// Half to even, written out so it does not depend on the floating-point environment's rounding mode.
struct Round {
    template <typename T> T operator()(T x) const {
        T r = std::floor(x);
        T frac = x - r;
        if (frac > T(0.5) || (frac == T(0.5) && std::fmod(r, T(2)) != T(0))) r += T(1);
        return r;
    }
};

#define KILN_MATH_FUNCTOR(NAME, FN) \
    struct NAME {                   \
        template <typename T> T operator()(T x) const { return FN(x); } \
    };
KILN_MATH_FUNCTOR(Exp, std::exp)
KILN_MATH_FUNCTOR(Log, std::log)
KILN_MATH_FUNCTOR(Sqrt, std::sqrt)
KILN_MATH_FUNCTOR(Erf, std::erf)
KILN_MATH_FUNCTOR(Sin, std::sin)
KILN_MATH_FUNCTOR(Cos, std::cos)
KILN_MATH_FUNCTOR(Tan, std::tan)
KILN_MATH_FUNCTOR(Asin, std::asin)
KILN_MATH_FUNCTOR(Acos, std::acos)
KILN_MATH_FUNCTOR(Atan, std::atan)
KILN_MATH_FUNCTOR(Sinh, std::sinh)
KILN_MATH_FUNCTOR(Cosh, std::cosh)
KILN_MATH_FUNCTOR(Tanh, std::tanh)
KILN_MATH_FUNCTOR(Asinh, std::asinh)
KILN_MATH_FUNCTOR(Acosh, std::acosh)
KILN_MATH_FUNCTOR(Atanh, std::atanh)
#undef KILN_MATH_FUNCTOR

// y = x / divisor (Mean's last step).
struct DivideBy {
    double divisor;
    template <typename T> T operator()(T x) const { return T(x / T(divisor)); }
};

// ---- binary functors ----------------------------------------------------------------------------

struct Add {
    template <typename T> T operator()(T a, T b) const { return T(a + b); }
};
struct Sub {
    template <typename T> T operator()(T a, T b) const { return T(a - b); }
};
struct Mul {
    template <typename T> T operator()(T a, T b) const { return T(a * b); }
};
struct Div {
    float operator()(float a, float b) const { return a / b; }
    double operator()(double a, double b) const { return a / b; }
    // Integer division truncates toward zero; division by zero gives 0 instead of a trap.
    template <typename T> T operator()(T a, T b) const { return b == T(0) ? T(0) : T(a / b); }
    int64_t operator()(int64_t a, int64_t b) const { return b == 0 ? 0 : (b == -1 ? int64_t(0 - uint64_t(a)) : a / b); }
};

// Max/Min propagate NaN from either side, as numpy's maximum/minimum.
struct Max {
    template <typename T> T operator()(T a, T b) const { return (a < b || is_nan(b)) ? b : a; }
};
struct Min {
    template <typename T> T operator()(T a, T b) const { return (b < a || is_nan(b)) ? b : a; }
};

// Integer power by squaring, wrapping like numpy; a negative exponent gives trunc(1 / base^-e).
template <typename T, typename E>
inline T int_pow(T base, E e) {
    if (is_negative(e)) {
        if (base == T(1)) return T(1);
        if (is_negative(base) && base == T(-1)) return (e % 2 == 0) ? T(1) : base;
        return T(0);
    }
    uint64_t r = 1, b = uint64_t(base), n = uint64_t(e);
    while (n != 0) {
        if (n & 1u) r *= b;
        b *= b;
        n >>= 1;
    }
    return T(r);
}

// The result has the base's type; the exponent may be of any numeric type.
struct Pow {
    float operator()(float a, float b) const { return std::pow(a, b); }
    double operator()(double a, double b) const { return std::pow(a, b); }
    float operator()(float a, double b) const { return float(std::pow(double(a), b)); }
    double operator()(double a, float b) const { return std::pow(a, double(b)); }
    template <typename TB> float operator()(float a, TB b) const { return std::pow(a, float(b)); }
    template <typename TB> double operator()(double a, TB b) const { return std::pow(a, double(b)); }
    template <typename TA> TA operator()(TA a, float b) const { return TA(std::pow(double(a), double(b))); }
    template <typename TA> TA operator()(TA a, double b) const { return TA(std::pow(double(a), b)); }
    template <typename TA, typename TB> TA operator()(TA a, TB b) const { return int_pow(a, b); }
};

// Mod with fmod=1: the remainder has the dividend's sign (C's % and fmod). x % 0 gives 0 for integers.
struct FMod {
    float operator()(float a, float b) const { return std::fmod(a, b); }
    double operator()(double a, double b) const { return std::fmod(a, b); }
    template <typename T> T operator()(T a, T b) const { return b == T(0) ? T(0) : T(a % b); }
    int64_t operator()(int64_t a, int64_t b) const { return (b == 0 || b == -1) ? 0 : a % b; }
};
// Mod with fmod=0: the remainder has the divisor's sign (Python's %, numpy.mod).
struct Mod {
    template <typename T> T operator()(T a, T b) const {
        T r = FMod()(a, b);
        return (r != T(0) && is_negative(r) != is_negative(b)) ? T(r + b) : r;
    }
};

// Shifts by the bit width or more give 0 (C++ leaves them undefined).
struct ShiftLeft {
    template <typename T> T operator()(T a, T b) const { return b >= T(sizeof(T) * 8) ? T(0) : T(uint64_t(a) << b); }
};
struct ShiftRight {
    template <typename T> T operator()(T a, T b) const { return b >= T(sizeof(T) * 8) ? T(0) : T(uint64_t(a) >> b); }
};

}  // namespace kernels
}  // namespace kiln
