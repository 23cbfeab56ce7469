// Data-movement kernels: flat copies and fills, and one strided copy that implements every op whose
// output is an affine view of its input (Transpose, Slice, Expand, Tile, Concat, Split, DepthToSpace,
// SpaceToDepth). Elements are only moved, so T may be any type, including bool and fp16 bit patterns.
#pragma once

#include <cstdint>
#include <cstring>

#include "common.h"

namespace kiln {
namespace kernels {

template <typename T>
inline void copy(const T* x, T* y, int64_t n) {
    if (n > 0) std::memcpy(y, x, std::size_t(n) * sizeof(T));
}

template <typename T>
inline void fill(T* y, int64_t n, T value) {
    for (int64_t i = 0; i < n; ++i) y[i] = value;
}

// dst[dst_offset + sum(i_d * dst_strides[d])] = src[src_offset + sum(i_d * src_strides[d])] over all
// indices i < dims. Strides are in elements: 0 repeats an element (Expand, Tile), negative walks backwards
// (Slice with negative steps). The compiler merges dims that are contiguous in both, so the innermost
// dim is usually a long contiguous run.
struct StridedCopyParams {
    int32_t rank;
    int64_t dims[kMaxRank];
    int64_t src_strides[kMaxRank];
    int64_t dst_strides[kMaxRank];
    int64_t src_offset;
    int64_t dst_offset;
};

template <typename T>
inline void strided_copy(const T* src, T* dst, const StridedCopyParams& p) {
    src += p.src_offset;
    dst += p.dst_offset;
    if (p.rank == 0) {
        dst[0] = src[0];
        return;
    }
    int64_t total = 1;
    for (int32_t d = 0; d < p.rank; ++d) total *= p.dims[d];
    if (total == 0) return;
    const int32_t last = p.rank - 1;
    const int64_t n = p.dims[last];
    const int64_t ss = p.src_strides[last], ds = p.dst_strides[last];
    int64_t idx[kMaxRank] = {0};
    int64_t so = 0, dof = 0;
    for (int64_t done = 0; done < total; done += n) {
        const T* s = src + so;
        T* d = dst + dof;
        if (ss == 1 && ds == 1) {
            std::memcpy(d, s, std::size_t(n) * sizeof(T));
        } else if (ss == 0) {
            const T v = s[0];
            for (int64_t i = 0; i < n; ++i) d[i * ds] = v;
        } else if (ds == 1) {
            for (int64_t i = 0; i < n; ++i) d[i] = s[i * ss];
        } else {
            for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
        }
        // Advance the outer index (odometer) and both offsets with it.
        for (int32_t k = last - 1; k >= 0; --k) {
            ++idx[k];
            so += p.src_strides[k];
            dof += p.dst_strides[k];
            if (idx[k] < p.dims[k]) break;
            so -= p.src_strides[k] * p.dims[k];
            dof -= p.dst_strides[k] * p.dims[k];
            idx[k] = 0;
        }
    }
}

}  // namespace kernels
}  // namespace kiln
