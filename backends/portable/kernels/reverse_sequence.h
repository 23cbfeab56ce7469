// ReverseSequence: in each batch entry, the first sequence_lens[b] steps along the time axis are reversed and
// the rest copied. Lengths come at run time; one outside [0, time] is clamped, never read past a buffer.
#pragma once

#include <cstdint>
#include <cstring>

#include "common.h"

namespace kiln {
namespace kernels {

// x and y are [time, batch, inner] when time_major, [batch, time, inner] otherwise.
struct ReverseSequenceParams {
    int64_t batch;
    int64_t time;
    int64_t inner;
    int32_t time_major;
};

template <typename T, typename L>
inline void reverse_sequence(const T* x, const L* lens, T* y, const ReverseSequenceParams& p) {
    const std::size_t row = std::size_t(p.inner) * sizeof(T);
    for (int64_t b = 0; b < p.batch; ++b) {
        const int64_t len = min_of(max_of(int64_t(lens[b]), int64_t(0)), p.time);
        for (int64_t t = 0; t < p.time; ++t) {
            const int64_t src = t < len ? len - 1 - t : t;
            const int64_t dst_at = p.time_major ? t * p.batch + b : b * p.time + t;
            const int64_t src_at = p.time_major ? src * p.batch + b : b * p.time + src;
            if (row) std::memcpy(y + dst_at * p.inner, x + src_at * p.inner, row);
        }
    }
}

}  // namespace kernels
}  // namespace kiln
