// TfIdfVectorizer on integer tokens: counts, per row of x ([rows, cols]), the n-grams of the pool (n in
// [min_n, max_n], items `skip + 1` apart for every skip up to max_skip; 1-grams once) into their output
// columns, then weighs the counts by mode. The compiler sorts each length's n-grams, so a lookup is a
// binary search over constant tables.
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// An enum, not constants: a model that uses only some modes must not get unused-variable warnings.
enum TfIdfMode : int32_t {
    kTfIdfTF = 0,     // counts
    kTfIdfIDF = 1,    // weight (or 1) where the count is non-zero
    kTfIdfTFIDF = 2,  // count * weight
};

struct TfIdfParams {
    int64_t rows, cols, out_size;
    int32_t min_n, max_n, max_skip, mode;
    const int64_t* items;         // n-grams of length 1, then 2, ...: each length's sorted, n items each
    const int64_t* level_item;    // [max_n]: first item of length n + 1
    const int64_t* level_first;   // [max_n]: index (in `column`) of the first n-gram of length n + 1
    const int64_t* level_count;   // [max_n]: number of n-grams of length n + 1
    const int64_t* column;        // output column of each n-gram
    const float* weights;         // per output column; nullptr: none
};

// A weights table for TfIdfParams::weights as one aggregate: `static const TfIdfWeights<3> w = {{...}};`
template <int N>
struct TfIdfWeights {
    float w[N];
};

// Index in `column` of the n-gram x[0], x[dist], ..., x[(n - 1) * dist], or -1 when the pool lacks it.
template <typename I>
inline int64_t tfidf_find(const I* x, int64_t dist, int32_t n, const TfIdfParams& p) {
    const int64_t* items = p.items + p.level_item[n - 1];
    int64_t lo = 0, hi = p.level_count[n - 1];
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        const int64_t* g = items + mid * n;
        int cmp = 0;
        for (int32_t k = 0; k < n && cmp == 0; ++k) {
            const int64_t v = int64_t(x[k * dist]);
            cmp = v < g[k] ? -1 : (v > g[k] ? 1 : 0);
        }
        if (cmp == 0) return p.level_first[n - 1] + mid;
        if (cmp < 0) hi = mid;
        else lo = mid + 1;
    }
    return -1;
}

template <typename I>
inline void tfidf(const I* x, float* y, const TfIdfParams& p) {
    for (int64_t r = 0; r < p.rows; ++r) {
        const I* xr = x + r * p.cols;
        float* yr = y + r * p.out_size;
        for (int64_t j = 0; j < p.out_size; ++j) yr[j] = 0.0f;
        auto count = [&](int64_t g) {
            if (g >= 0) yr[p.column[g]] += 1.0f;
        };
        if (p.min_n == 1)
            for (int64_t i = 0; i < p.cols; ++i) count(tfidf_find(xr + i, 1, 1, p));
        const int32_t first_n = max_of(p.min_n, int32_t(2));
        for (int64_t dist = 1; dist <= int64_t(p.max_skip) + 1; ++dist) {
            for (int64_t i = 0; i < p.cols; ++i) {
                for (int32_t n = first_n; n <= p.max_n && i + (n - 1) * dist < p.cols; ++n)
                    count(tfidf_find(xr + i, dist, n, p));
            }
        }
        if (p.mode == kTfIdfIDF) {
            for (int64_t j = 0; j < p.out_size; ++j) yr[j] = yr[j] > 0.0f ? (p.weights ? p.weights[j] : 1.0f) : 0.0f;
        } else if (p.mode == kTfIdfTFIDF && p.weights) {
            for (int64_t j = 0; j < p.out_size; ++j) yr[j] *= p.weights[j];
        }
    }
}

}  // namespace kernels
}  // namespace kiln
