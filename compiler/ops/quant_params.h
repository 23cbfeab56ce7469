// Shared by the quantized operator families (quantize.cpp, qconv.cpp, qmatmul.cpp): checks on scale and
// zero-point inputs, and dispatch over the 8-bit quantized element types.
#pragma once

#include <string>

#include "ops/dispatch.h"
#include "ops/op_context.h"

namespace kiln {

class EmitCtx;

// Calls f(TypeTag<T>{}) for uint8 and int8; false for any other type.
template <typename F>
bool dispatch_q8(DType t, F&& f) {
    switch (t) {
    case DType::UInt8: f(TypeTag<uint8_t>{}); return true;
    case DType::Int8: f(TypeTag<int8_t>{}); return true;
    default: return false;
    }
}

// Input i is int8 or uint8; `what` names it in the error ("x", "w_zero_point").
Status require_q8(NodeCtx& c, std::size_t i, const char* what);
// Input i has type t (a zero point and its tensor share their type).
Status require_same_type(NodeCtx& c, std::size_t i, const char* what, DType t);
// Input i is a float32 scale.
Status require_scale(NodeCtx& c, std::size_t i, const char* what);
// Input i holds one value (a scalar or any shape of one element).
Status require_one_value(NodeCtx& c, std::size_t i, const char* what);
// Input i holds one value or is 1-D with n values; sets *per_element to which.
Status one_or_n_values(NodeCtx& c, std::size_t i, const char* what, int64_t n, bool* per_element);

// Pointer expression of optional input i for generated code: the buffer, or a typed nullptr of `ctype`.
std::string optional_input(EmitCtx& c, std::size_t i, const std::string& ctype);

}  // namespace kiln
