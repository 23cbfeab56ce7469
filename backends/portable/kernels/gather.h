// Index-driven data movement: Gather, GatherElements, GatherND and the Scatter family. Indices are read
// at run time (int32 or int64, negative counts from the end). An index out of range cannot raise an error
// here, so gathers write zeros for it and scatters skip it: never a read or write outside a buffer.
#pragma once

#include <cstdint>
#include <cstring>

#include "common.h"

namespace kiln {
namespace kernels {

// Index v against a dim of size n: v + n when negative; -1 when out of range either way.
template <typename I>
inline int64_t resolve_index(I v, int64_t n) {
    int64_t k = int64_t(v);
    if (k < 0) k += n;
    return (k < 0 || k >= n) ? -1 : k;
}

// ---- Gather: x viewed as [outer, axis_dim, inner], y as [outer, num_indices, inner] ----------------

struct GatherParams {
    int64_t outer;
    int64_t axis_dim;
    int64_t inner;
    int64_t num_indices;
};

template <typename T, typename I>
inline void gather(const T* x, const I* indices, T* y, const GatherParams& p) {
    if (p.inner == 0) return;
    for (int64_t o = 0; o < p.outer; ++o) {
        for (int64_t j = 0; j < p.num_indices; ++j) {
            T* dst = y + (o * p.num_indices + j) * p.inner;
            const int64_t k = resolve_index(indices[j], p.axis_dim);
            if (k < 0) {
                for (int64_t i = 0; i < p.inner; ++i) dst[i] = T();
                continue;
            }
            std::memcpy(dst, x + (o * p.axis_dim + k) * p.inner, std::size_t(p.inner) * sizeof(T));
        }
    }
}

// ---- GatherElements / ScatterElements: one index per element, replacing the coordinate on axis ----

// dims: shape of indices (and of the output or updates); strides: the data tensor's element strides with
// the axis stride moved to axis_stride (0 in strides), so an odometer over dims gives the base offset.
struct ElementsParams {
    int32_t rank;
    int64_t dims[kMaxRank];
    int64_t strides[kMaxRank];
    int64_t axis_stride;
    int64_t axis_dim;
};

// Calls f(element, data_offset) for every index element whose index is in range.
template <typename I, typename F>
inline void for_each_element_index(const I* indices, const ElementsParams& p, F f) {
    int64_t total = 1;
    for (int32_t d = 0; d < p.rank; ++d) total *= p.dims[d];
    int64_t idx[kMaxRank] = {0};
    int64_t base = 0;
    for (int64_t e = 0; e < total; ++e) {
        const int64_t k = resolve_index(indices[e], p.axis_dim);
        f(e, k < 0 ? int64_t(-1) : base + k * p.axis_stride);
        for (int32_t d = p.rank - 1; d >= 0; --d) {
            ++idx[d];
            base += p.strides[d];
            if (idx[d] < p.dims[d]) break;
            base -= p.strides[d] * p.dims[d];
            idx[d] = 0;
        }
    }
}

template <typename T, typename I>
inline void gather_elements(const T* x, const I* indices, T* y, const ElementsParams& p) {
    for_each_element_index(indices, p, [&](int64_t e, int64_t off) { y[e] = off < 0 ? T() : x[off]; });
}

// Reductions of the scatter ops: y = f(y, update).
struct ScatterAssign {
    template <typename T> T operator()(T, T u) const { return u; }
};
struct ScatterAdd {
    template <typename T> T operator()(T a, T u) const { return T(a + u); }
};
struct ScatterMul {
    template <typename T> T operator()(T a, T u) const { return T(a * u); }
};

// y already holds a copy of the data; updates land in index order, so later duplicates win (none) or
// accumulate (add, mul).
template <typename T, typename I, typename F>
inline void scatter_elements(const I* indices, const T* updates, T* y, const ElementsParams& p, F f) {
    for_each_element_index(indices, p, [&](int64_t e, int64_t off) {
        if (off >= 0) y[off] = f(y[off], updates[e]);
    });
}

// ---- GatherND / ScatterND: index tuples of length k address slices of `slice` elements -------------

// The data is [batches, ...] with batch_stride elements per batch; each batch has `tuples` index tuples
// of k entries addressing dims[0..k) with strides[0..k) inside the batch.
struct NDParams {
    int64_t batches;
    int64_t batch_stride;
    int64_t tuples;
    int32_t k;
    int64_t dims[kMaxRank];
    int64_t strides[kMaxRank];
    int64_t slice;
};

// Data offset of tuple t (counting over all batches), or -1 when an index is out of range.
template <typename I>
inline int64_t nd_offset(const I* indices, const NDParams& p, int64_t t) {
    const I* ix = indices + t * p.k;
    int64_t off = (t / (p.tuples > 0 ? p.tuples : 1)) * p.batch_stride;
    for (int32_t j = 0; j < p.k; ++j) {
        const int64_t v = resolve_index(ix[j], p.dims[j]);
        if (v < 0) return -1;
        off += v * p.strides[j];
    }
    return off;
}

template <typename T, typename I>
inline void gather_nd(const T* x, const I* indices, T* y, const NDParams& p) {
    if (p.slice == 0) return;
    const int64_t n = p.batches * p.tuples;
    for (int64_t t = 0; t < n; ++t) {
        T* dst = y + t * p.slice;
        const int64_t off = nd_offset(indices, p, t);
        if (off < 0) {
            for (int64_t i = 0; i < p.slice; ++i) dst[i] = T();
            continue;
        }
        std::memcpy(dst, x + off, std::size_t(p.slice) * sizeof(T));
    }
}

template <typename T, typename I, typename F>
inline void scatter_nd(const I* indices, const T* updates, T* y, const NDParams& p, F f) {
    const int64_t n = p.batches * p.tuples;
    for (int64_t t = 0; t < n; ++t) {
        const int64_t off = nd_offset(indices, p, t);
        if (off < 0) continue;
        const T* src = updates + t * p.slice;
        T* dst = y + off;
        for (int64_t i = 0; i < p.slice; ++i) dst[i] = f(dst[i], src[i]);
    }
}

}  // namespace kernels
}  // namespace kiln
