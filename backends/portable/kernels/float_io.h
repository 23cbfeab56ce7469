// How a kernel that accumulates reads and writes its elements: float and double as they are, float16 and
// bfloat16 bit patterns (held as uint16_t) through float. Kernels take one of these as a template
// parameter `Io` and compute in `Io::Acc`, so a half-precision tensor is rounded once per stored value.
#pragma once

#include <cstdint>

#include "float16.h"

namespace kiln {
namespace kernels {

template <typename T>
struct PlainIo {
    using Acc = T;
    static Acc load(T v) { return v; }
    static T store(Acc v) { return v; }
};

struct F16Io {
    using Acc = float;
    static float load(uint16_t v) { return f16_to_float(v); }
    static uint16_t store(float v) { return double_to_f16(v); }
};

struct BF16Io {
    using Acc = float;
    static float load(uint16_t v) { return bf16_to_float(v); }
    static uint16_t store(float v) { return float_to_bf16(v); }
};

}  // namespace kernels
}  // namespace kiln
