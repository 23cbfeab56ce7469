// TfIdfVectorizer over integer tokens: counts the pool's n-grams in each row (n-grams of n >= 2 also with
// gaps of up to max_skip tokens between their items), then weights the counts (TF, IDF or TFIDF).
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// The pool holds the n-grams of each length n = 1..lengths back to back; grams[3 * (n - 1) + {0, 1, 2}] is
// {offset of the first length-n n-gram in pool, its index among all n-grams, how many there are}.
// ngram_indexes maps an n-gram's index to its output column (distinct columns, checked by the compiler).
struct TfIdfParams {
    int64_t rows;
    int64_t cols;  // tokens per row
    int64_t min_gram;
    int64_t max_gram;  // at most `lengths`
    int64_t max_skip;
    int64_t num_ngrams;
    int64_t out_len;
    int32_t mode;  // 0 TF: counts; 1 IDF: weight if present; 2 TFIDF: count * weight
};

template <typename T>
inline void tfidf(const T* x, const int64_t* pool, const int64_t* grams, const int64_t* ngram_indexes,
                  const float* weights, float* y, const TfIdfParams& p) {
    for (int64_t r = 0; r < p.rows; ++r) {
        const T* row = x + r * p.cols;
        float* out = y + r * p.out_len;
        for (int64_t o = 0; o < p.out_len; ++o) out[o] = 0.0f;
        for (int64_t n = p.min_gram; n <= p.max_gram; ++n) {
            const int64_t* g = grams + 3 * (n - 1);
            const int64_t max_distance = n == 1 ? 1 : p.max_skip + 1;  // gaps do not make new 1-grams
            for (int64_t distance = 1; distance <= max_distance; ++distance)
                for (int64_t start = 0; start + (n - 1) * distance < p.cols; ++start)
                    for (int64_t k = 0; k < g[2]; ++k) {
                        const int64_t* ngram = pool + g[0] + k * n;
                        int64_t t = 0;
                        while (t < n && int64_t(row[start + t * distance]) == ngram[t]) ++t;
                        if (t == n) {
                            out[ngram_indexes[g[1] + k]] += 1.0f;
                            break;
                        }
                    }
        }
        if (p.mode == 0) continue;
        for (int64_t i = 0; i < p.num_ngrams; ++i) {
            float& v = out[ngram_indexes[i]];
            v = (p.mode == 1 ? (v > 0.0f ? 1.0f : 0.0f) : v) * weights[i];
        }
    }
}

}  // namespace kernels
}  // namespace kiln
