// Element type conversions for Cast/CastLike, as functors for elementwise.h's unary map. float16 and
// bfloat16 are uint16_t bit patterns, so conversions to and from them are named, not implied by types.
#pragma once

#include <cstdint>

#include "elementwise.h"
#include "float16.h"

namespace kiln {
namespace kernels {

// Between plain C++ types (numeric and bool): a C++ conversion, as ONNX Runtime's static_cast.
template <typename TO>
struct CastTo {
    template <typename TI> TO operator()(TI x) const { return TO(x); }
};
template <typename TO>
struct F16To {
    TO operator()(uint16_t x) const { return TO(f16_to_float(x)); }
};
template <typename TO>
struct BF16To {
    TO operator()(uint16_t x) const { return TO(bf16_to_float(x)); }
};
// From double, so float and double inputs are rounded once.
struct ToF16 {
    template <typename TI> uint16_t operator()(TI x) const { return double_to_f16(double(x)); }
};
struct ToBF16 {
    template <typename TI> uint16_t operator()(TI x) const { return float_to_bf16(float(x)); }
};
struct F16ToBF16 {
    uint16_t operator()(uint16_t x) const { return float_to_bf16(f16_to_float(x)); }
};
struct BF16ToF16 {
    uint16_t operator()(uint16_t x) const { return double_to_f16(bf16_to_float(x)); }
};

}  // namespace kernels
}  // namespace kiln
