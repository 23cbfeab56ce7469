// NonZero: the coordinates of the non-zero elements, in row-major order, as a [rank, count] int64 matrix.
// Its output shape depends on the data, so the compiler runs it only on constants (where it folds); the
// count is given so a mismatch can never write past the output.
#pragma once

#include <cstdint>

#include "common.h"

namespace kiln {
namespace kernels {

struct NonZeroParams {
    int32_t rank;
    int64_t dims[kMaxRank];
    int64_t numel;
    int64_t count;  // columns of y
};

// Whether an element counts as non-zero: x != 0, or for float16/bfloat16 bit patterns, any bit but the sign.
struct IsNonZero {
    template <typename T> bool operator()(T x) const { return x != T(0); }
};
struct IsNonZeroHalf {
    bool operator()(uint16_t x) const { return (x & 0x7fffu) != 0; }
};

template <typename T, typename F>
inline void nonzero(const T* x, int64_t* y, const NonZeroParams& p, F is_nonzero) {
    int64_t idx[kMaxRank] = {0};
    int64_t k = 0;
    for (int64_t e = 0; e < p.numel; ++e) {
        if (is_nonzero(x[e]) && k < p.count) {
            for (int32_t d = 0; d < p.rank; ++d) y[d * p.count + k] = idx[d];
            ++k;
        }
        for (int32_t d = p.rank - 1; d >= 0; --d) {  // row-major odometer
            if (++idx[d] < p.dims[d]) break;
            idx[d] = 0;
        }
    }
}

}  // namespace kernels
}  // namespace kiln
