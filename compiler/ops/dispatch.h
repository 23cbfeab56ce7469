// Calling a kernel template with the C++ type that matches a runtime DType.
#pragma once

#include <cstdint>

#include "ir/dtype.h"

namespace kiln {

template <typename T>
struct TypeTag {
    using type = T;
};

// Calls f(TypeTag<T>{}) for the float types; returns false when t is not one.
template <typename F>
bool dispatch_float(DType t, F&& f) {
    switch (t) {
    case DType::Float32: f(TypeTag<float>{}); return true;
    case DType::Float64: f(TypeTag<double>{}); return true;
    default: return false;
    }
}

// Calls f(TypeTag<T>{}) for every numeric type (floats and integers, not bool or fp16).
template <typename F>
bool dispatch_numeric(DType t, F&& f) {
    switch (t) {
    case DType::Float32: f(TypeTag<float>{}); return true;
    case DType::Float64: f(TypeTag<double>{}); return true;
    case DType::Int8: f(TypeTag<int8_t>{}); return true;
    case DType::UInt8: f(TypeTag<uint8_t>{}); return true;
    case DType::Int16: f(TypeTag<int16_t>{}); return true;
    case DType::UInt16: f(TypeTag<uint16_t>{}); return true;
    case DType::Int32: f(TypeTag<int32_t>{}); return true;
    case DType::UInt32: f(TypeTag<uint32_t>{}); return true;
    case DType::Int64: f(TypeTag<int64_t>{}); return true;
    case DType::UInt64: f(TypeTag<uint64_t>{}); return true;
    default: return false;
    }
}

// Every type a tensor can hold as plain data (numeric, bool, and fp16/bf16 as raw 16-bit patterns):
// for ops that only move elements (Reshape, Transpose, Concat, Gather...).
template <typename F>
bool dispatch_any(DType t, F&& f) {
    switch (t) {
    case DType::Bool: f(TypeTag<bool>{}); return true;
    case DType::Float16:
    case DType::BFloat16: f(TypeTag<uint16_t>{}); return true;
    default: return dispatch_numeric(t, f);
    }
}

}  // namespace kiln
