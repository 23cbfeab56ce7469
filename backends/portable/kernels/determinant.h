// Det: the determinant of each of `count` n x n matrices, by LU decomposition with partial pivoting (as
// LAPACK's getrf, which numpy uses) in the Io's accumulation type. The caller provides n * n scratch
// elements of that type, so the kernel needs no heap.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"
#include "float_io.h"

namespace kiln {
namespace kernels {

struct DetParams {
    int64_t count;
    int64_t n;
};

template <typename Io, typename T>
inline void det(const T* x, T* y, typename Io::Acc* a, const DetParams& p) {
    using Acc = typename Io::Acc;
    const int64_t n = p.n;
    for (int64_t m = 0; m < p.count; ++m) {
        const T* xm = x + m * n * n;
        for (int64_t i = 0; i < n * n; ++i) a[i] = Io::load(xm[i]);
        Acc d = Acc(1);
        for (int64_t k = 0; k < n; ++k) {
            int64_t pivot = k;
            for (int64_t i = k + 1; i < n; ++i)
                if (std::fabs(a[i * n + k]) > std::fabs(a[pivot * n + k])) pivot = i;
            if (a[pivot * n + k] == Acc(0)) {
                d = Acc(0);
                break;
            }
            if (pivot != k) {
                for (int64_t j = k; j < n; ++j) {
                    const Acc t = a[k * n + j];
                    a[k * n + j] = a[pivot * n + j];
                    a[pivot * n + j] = t;
                }
                d = -d;
            }
            const Acc diag = a[k * n + k];
            d *= diag;
            for (int64_t i = k + 1; i < n; ++i) {
                const Acc f = a[i * n + k] / diag;
                for (int64_t j = k + 1; j < n; ++j) a[i * n + j] -= f * a[k * n + j];
            }
        }
        y[m] = Io::store(d);
    }
}

}  // namespace kernels
}  // namespace kiln
