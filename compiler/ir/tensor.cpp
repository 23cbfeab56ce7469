// Host tensor storage and element conversions.
#include "ir/tensor.h"

#include <fmt/format.h>

namespace kiln {

int64_t shape_numel(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

int64_t checked_numel(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) {
        if (d < 0 || (d != 0 && n > kMaxTensorElements / d)) return -1;
        n *= d;
    }
    return n;
}

std::string shape_str(const Shape& s) {
    if (s.empty()) return "scalar";
    return fmt::format("{}", fmt::join(s, "x"));
}

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), bytes_(std::size_t(shape_numel(shape_)) * dtype_size(dtype)) {}

double Tensor::as_double(int64_t i) const {
    switch (dtype_) {
    case DType::Float32: return data<float>()[i];
    case DType::Float64: return data<double>()[i];
    case DType::Float16: return half_to_float(data<uint16_t>()[i]);
    case DType::BFloat16: return bfloat16_to_float(data<uint16_t>()[i]);
    case DType::Int8: return data<int8_t>()[i];
    case DType::UInt8: return data<uint8_t>()[i];
    case DType::Int16: return data<int16_t>()[i];
    case DType::UInt16: return data<uint16_t>()[i];
    case DType::Int32: return data<int32_t>()[i];
    case DType::UInt32: return data<uint32_t>()[i];
    case DType::Int64: return double(data<int64_t>()[i]);
    case DType::UInt64: return double(data<uint64_t>()[i]);
    case DType::Bool: return data<uint8_t>()[i] ? 1.0 : 0.0;
    default: return 0.0;
    }
}

int64_t Tensor::as_int64(int64_t i) const {
    switch (dtype_) {
    case DType::Int64: return data<int64_t>()[i];
    case DType::UInt64: return int64_t(data<uint64_t>()[i]);
    case DType::Int32: return data<int32_t>()[i];
    case DType::UInt32: return data<uint32_t>()[i];
    case DType::Int16: return data<int16_t>()[i];
    case DType::UInt16: return data<uint16_t>()[i];
    case DType::Int8: return data<int8_t>()[i];
    case DType::UInt8: return data<uint8_t>()[i];
    case DType::Bool: return data<uint8_t>()[i] ? 1 : 0;
    default: return int64_t(as_double(i));
    }
}

std::vector<int64_t> Tensor::to_int64_vector() const {
    std::vector<int64_t> v(static_cast<std::size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i) v[std::size_t(i)] = as_int64(i);
    return v;
}

void Tensor::set_from_double(int64_t i, double v) {
    switch (dtype_) {
    case DType::Float32: data<float>()[i] = float(v); break;
    case DType::Float64: data<double>()[i] = v; break;
    case DType::Float16: data<uint16_t>()[i] = float_to_half(float(v)); break;
    case DType::BFloat16: data<uint16_t>()[i] = float_to_bfloat16(float(v)); break;
    case DType::Int8: data<int8_t>()[i] = int8_t(v); break;
    case DType::UInt8: data<uint8_t>()[i] = uint8_t(v); break;
    case DType::Int16: data<int16_t>()[i] = int16_t(v); break;
    case DType::UInt16: data<uint16_t>()[i] = uint16_t(v); break;
    case DType::Int32: data<int32_t>()[i] = int32_t(v); break;
    case DType::UInt32: data<uint32_t>()[i] = uint32_t(v); break;
    case DType::Int64: data<int64_t>()[i] = int64_t(v); break;
    case DType::UInt64: data<uint64_t>()[i] = uint64_t(v); break;
    case DType::Bool: data<uint8_t>()[i] = v != 0.0; break;
    default: break;
    }
}

}  // namespace kiln
