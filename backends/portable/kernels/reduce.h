// Reductions over any set of axes (Reduce*) and along one axis (ArgMax/ArgMin).
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"
#include "elementwise.h"

namespace kiln {
namespace kernels {

// The input viewed as kept dims (one output element each) and reduced dims, both in input order with
// runs of same-kind dims merged and size-1 dims dropped. Strides are the input's, in elements.
struct ReduceParams {
    int32_t kept_rank;
    int64_t kept_dims[kMaxRank];
    int64_t kept_strides[kMaxRank];
    int32_t red_rank;
    int64_t red_dims[kMaxRank];
    int64_t red_strides[kMaxRank];
    int64_t count;  // reduced elements per output element
};

// Calls f(v) for every reduced element of one output, the innermost reduced dim as the inner loop.
template <typename T, typename F>
inline void for_each_reduced(const T* x, const ReduceParams& p, F&& f) {
    if (p.count == 0) return;
    if (p.red_rank == 0) {
        f(x[0]);
        return;
    }
    const int32_t last = p.red_rank - 1;
    const int64_t n = p.red_dims[last], s = p.red_strides[last];
    int64_t idx[kMaxRank] = {0};
    int64_t off = 0;
    for (int64_t k = 0, rows = p.count / n; k < rows; ++k) {
        const T* row = x + off;
        if (s == 1) {
            for (int64_t i = 0; i < n; ++i) f(row[i]);
        } else {
            for (int64_t i = 0; i < n; ++i) f(row[i * s]);
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            off += p.red_strides[d];
            if (++idx[d] < p.red_dims[d]) break;
            off -= p.red_strides[d] * p.red_dims[d];
            idx[d] = 0;
        }
    }
}

// y[o] = r(visit, first, count) for every output element o, where visit(f) calls f on each reduced
// element and first is the first of them (T(0) when there are none).
template <typename T, typename R>
inline void reduce(const T* x, T* y, const ReduceParams& p, R r) {
    int64_t n_out = 1;
    for (int32_t d = 0; d < p.kept_rank; ++d) n_out *= p.kept_dims[d];
    int64_t idx[kMaxRank] = {0};
    int64_t base = 0;
    for (int64_t o = 0; o < n_out; ++o) {
        const T* xo = x + base;
        auto visit = [&](auto&& f) { for_each_reduced(xo, p, f); };
        y[o] = r(visit, p.count > 0 ? xo[0] : T(0), p.count);
        for (int32_t d = p.kept_rank - 1; d >= 0; --d) {
            base += p.kept_strides[d];
            if (++idx[d] < p.kept_dims[d]) break;
            base -= p.kept_strides[d] * p.kept_dims[d];
            idx[d] = 0;
        }
    }
}

// ---- reduction functors: (visit, first, count) -> value, accumulating in the element type ---------

struct ReduceSum {
    template <typename V, typename T> T operator()(V visit, T, int64_t) const {
        T s = T(0);
        visit([&](T v) { s = T(s + v); });
        return s;
    }
};
struct ReduceSumSquare {
    template <typename V, typename T> T operator()(V visit, T, int64_t) const {
        T s = T(0);
        visit([&](T v) { s = T(s + v * v); });
        return s;
    }
};
struct ReduceL1 {
    template <typename V, typename T> T operator()(V visit, T, int64_t) const {
        T s = T(0);
        visit([&](T v) { s = T(s + Abs()(v)); });
        return s;
    }
};
struct ReduceL2 {
    template <typename V, typename T> T operator()(V visit, T first, int64_t n) const {
        return T(std::sqrt(ReduceSumSquare()(visit, first, n)));
    }
};
struct ReduceMean {
    template <typename V, typename T> T operator()(V visit, T first, int64_t n) const {
        return T(ReduceSum()(visit, first, n) / T(n));
    }
};
struct ReduceProd {
    template <typename V, typename T> T operator()(V visit, T, int64_t) const {
        T s = T(1);
        visit([&](T v) { s = T(s * v); });
        return s;
    }
};
struct ReduceMax {
    template <typename V, typename T> T operator()(V visit, T first, int64_t) const {
        T m = first;
        visit([&](T v) { m = Max()(m, v); });
        return m;
    }
};
struct ReduceMin {
    template <typename V, typename T> T operator()(V visit, T first, int64_t) const {
        T m = first;
        visit([&](T v) { m = Min()(m, v); });
        return m;
    }
};
struct ReduceLogSum {
    template <typename V, typename T> T operator()(V visit, T first, int64_t n) const {
        return T(std::log(ReduceSum()(visit, first, n)));
    }
};
// log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the maximum, so large inputs do not overflow.
struct ReduceLogSumExp {
    template <typename V, typename T> T operator()(V visit, T first, int64_t n) const {
        const T m = ReduceMax()(visit, first, n);
        if (std::isinf(m) || std::isnan(m)) return m;
        T s = T(0);
        visit([&](T v) { s = T(s + std::exp(v - m)); });
        return T(m + std::log(s));
    }
};

// ---- ArgMax / ArgMin along one axis: x viewed as [outer, axis, inner] ----------------------------

struct ArgParams {
    int64_t outer, axis, inner;
    int32_t select_last_index;
};
struct ArgMaxCmp {
    template <typename T> bool operator()(T v, T best) const { return v > best; }
};
struct ArgMinCmp {
    template <typename T> bool operator()(T v, T best) const { return v < best; }
};

// Index of the first (or last) extreme element; ties go to the first unless select_last_index.
template <typename T, typename C>
inline void arg_reduce(const T* x, int64_t* y, const ArgParams& p, C better) {
    for (int64_t o = 0; o < p.outer; ++o) {
        const T* xo = x + o * p.axis * p.inner;
        for (int64_t i = 0; i < p.inner; ++i) {
            T best = xo[i];
            int64_t at = 0;
            for (int64_t r = 1; r < p.axis; ++r) {
                const T v = xo[r * p.inner + i];
                if (better(v, best) || (p.select_last_index && !better(best, v))) {
                    best = v;
                    at = r;
                }
            }
            y[o * p.inner + i] = at;
        }
    }
}

}  // namespace kernels
}  // namespace kiln
