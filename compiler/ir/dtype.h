// Element types of the IR, with the ONNX enum mapping and the C type the generated code uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {

// Values match onnx::TensorProto_DataType so conversion is a cast after a range check.
enum class DType : int {
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Float64 = 11,
    UInt32 = 12,
    UInt64 = 13,
    BFloat16 = 16,
};

// Size of one element in bytes (0 for String/Undefined).
std::size_t dtype_size(DType t);
// Short IR name: f32, i64, bool, ...
const char* dtype_name(DType t);
// C++ type used by generated code and kernels: float, int64_t, bool, uint16_t for fp16 bit patterns...
const char* dtype_ctype(DType t);
// Whether Kiln can hold tensors of this type at all.
bool dtype_supported(DType t);
bool dtype_is_float(DType t);
bool dtype_is_integer(DType t);
bool dtype_is_signed(DType t);
// From the ONNX enum value; Undefined when not a known type.
DType dtype_from_onnx(int v);

// float16 / bfloat16 bit-pattern conversions (round to nearest even).
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bfloat16_to_float(uint16_t h);
uint16_t float_to_bfloat16(float f);

}  // namespace kiln
