// ReverseSequence: x viewed as [time, batch, inner] (time_major) or [batch, time, inner]; for each batch
// entry b the first lens[b] time steps are reversed and the rest copied. A length outside [0, time]
// cannot raise an error here, so it is clamped into that range.
#pragma once

#include <cstdint>
#include <cstring>

#include "common.h"

namespace kiln {
namespace kernels {

struct ReverseSequenceParams {
    int64_t batch, time, inner;
    int32_t time_major;
};

template <typename T>
inline void reverse_sequence(const T* x, const int64_t* lens, T* y, const ReverseSequenceParams& p) {
    const std::size_t bytes = std::size_t(p.inner) * sizeof(T);
    for (int64_t b = 0; b < p.batch; ++b) {
        const int64_t len = min_of(max_of(lens[b], int64_t(0)), p.time);
        for (int64_t t = 0; t < p.time; ++t) {
            const int64_t from = t < len ? len - 1 - t : t;
            const int64_t dst = p.time_major ? t * p.batch + b : b * p.time + t;
            const int64_t src = p.time_major ? from * p.batch + b : b * p.time + from;
            std::memcpy(y + dst * p.inner, x + src * p.inner, bytes);
        }
    }
}

}  // namespace kernels
}  // namespace kiln
