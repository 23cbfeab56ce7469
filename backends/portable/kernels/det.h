// Det: the determinant of each M x M matrix of a batch, by LU decomposition with partial pivoting (as
// LAPACK's getrf, which numpy uses). The caller gives M * M elements of work memory for the factors.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common.h"

namespace kiln {
namespace kernels {

template <typename T>
inline void det(const T* x, T* y, int64_t batches, int64_t m, T* work) {
    for (int64_t b = 0; b < batches; ++b) {
        std::memcpy(work, x + b * m * m, std::size_t(m * m) * sizeof(T));
        T d = T(1);
        for (int64_t k = 0; k < m && d != T(0); ++k) {
            int64_t pivot = k;
            for (int64_t i = k + 1; i < m; ++i)
                if (std::fabs(work[i * m + k]) > std::fabs(work[pivot * m + k])) pivot = i;
            if (work[pivot * m + k] == T(0)) {
                d = T(0);
                break;
            }
            if (pivot != k) {
                for (int64_t j = 0; j < m; ++j) {
                    const T t = work[k * m + j];
                    work[k * m + j] = work[pivot * m + j];
                    work[pivot * m + j] = t;
                }
                d = -d;
            }
            const T diag = work[k * m + k];
            d *= diag;
            for (int64_t i = k + 1; i < m; ++i) {
                const T f = work[i * m + k] / diag;
                for (int64_t j = k + 1; j < m; ++j) work[i * m + j] -= f * work[k * m + j];
            }
        }
        y[b] = d;
    }
}

}  // namespace kernels
}  // namespace kiln
