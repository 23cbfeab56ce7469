// Shared definitions of the portable kernels. Kernel headers are ordinary C++14 headers: compiled into
// the compiler (the reference evaluator runs them) and copied into generated code inside an anonymous
// namespace. Rules: only <cstdint> <cstddef> <cstring> <cmath>; every function inline or a template
// (unused ones must not warn); no heap, no exceptions, no statics with constructors.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln {
namespace kernels {

constexpr int kMaxRank = 8;

template <typename T>
inline T min_of(T a, T b) { return b < a ? b : a; }
template <typename T>
inline T max_of(T a, T b) { return a < b ? b : a; }

// Up to three inputs broadcast to one output shape. Strides are in elements, 0 on broadcast dims;
// the compiler collapses contiguous dims first, so most calls have rank 1 or 2.
struct BroadcastParams {
    int32_t rank;
    int64_t dims[kMaxRank];
    int64_t strides[3][kMaxRank];
};

// Calls f(out_index, offset_a, offset_b, offset_c) for every output element, innermost dim last.
template <typename F>
inline void for_each_broadcast(const BroadcastParams& p, F f) {
    if (p.rank == 0) {
        f(int64_t(0), int64_t(0), int64_t(0), int64_t(0));
        return;
    }
    int64_t total = 1;
    for (int32_t d = 0; d < p.rank; ++d) total *= p.dims[d];
    if (total == 0) return;
    const int32_t last = p.rank - 1;
    const int64_t inner = p.dims[last];
    const int64_t sa = p.strides[0][last], sb = p.strides[1][last], sc = p.strides[2][last];
    int64_t idx[kMaxRank] = {0};
    int64_t oa = 0, ob = 0, oc = 0;
    for (int64_t o = 0; o < total; o += inner) {
        for (int64_t i = 0; i < inner; ++i) f(o + i, oa + i * sa, ob + i * sb, oc + i * sc);
        // Advance the outer index (odometer) and the input offsets with it.
        for (int32_t d = last - 1; d >= 0; --d) {
            ++idx[d];
            oa += p.strides[0][d];
            ob += p.strides[1][d];
            oc += p.strides[2][d];
            if (idx[d] < p.dims[d]) break;
            oa -= p.strides[0][d] * p.dims[d];
            ob -= p.strides[1][d] * p.dims[d];
            oc -= p.strides[2][d] * p.dims[d];
            idx[d] = 0;
        }
    }
}

}  // namespace kernels
}  // namespace kiln
