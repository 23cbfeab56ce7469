// TopK along one axis without scratch memory: the k best so far are kept sorted in the output itself
// (insertion, O(n*k) per row), with ties ordered by lower index first as ONNX specifies.
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

// x viewed as [outer, n, inner]; values and indices as [outer, k, inner].
struct TopKParams {
    int64_t outer;
    int64_t n;
    int64_t inner;
    int64_t k;
    int32_t largest;
};

template <typename T>
inline void topk(const T* x, T* values, int64_t* indices, const TopKParams& p) {
    if (p.k == 0) return;
    for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t i = 0; i < p.inner; ++i) {
            const T* xs = x + o * p.n * p.inner + i;
            T* vs = values + o * p.k * p.inner + i;
            int64_t* is = indices + o * p.k * p.inner + i;
            int64_t count = 0;
            for (int64_t j = 0; j < p.n; ++j) {
                const T v = xs[j * p.inner];
                // Strictly better, so an equal later element never passes an earlier one.
                auto better = [&](T a, T b) { return p.largest ? b < a : a < b; };
                if (count == p.k && !better(v, vs[(p.k - 1) * p.inner])) continue;
                int64_t q = count < p.k ? count : p.k - 1;
                for (; q > 0 && better(v, vs[(q - 1) * p.inner]); --q) {
                    vs[q * p.inner] = vs[(q - 1) * p.inner];
                    is[q * p.inner] = is[(q - 1) * p.inner];
                }
                vs[q * p.inner] = v;
                is[q * p.inner] = j;
                if (count < p.k) ++count;
            }
        }
    }
}

}  // namespace kernels
}  // namespace kiln
