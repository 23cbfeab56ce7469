// Element type tables and fp16/bf16 conversions.
#include "ir/dtype.h"

#include <cstring>

namespace kiln {

std::size_t dtype_size(DType t) {
    switch (t) {
    case DType::Float32: return 4;
    case DType::UInt8: return 1;
    case DType::Int8: return 1;
    case DType::UInt16: return 2;
    case DType::Int16: return 2;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
    case DType::Float16: return 2;
    case DType::Float64: return 8;
    case DType::UInt32: return 4;
    case DType::UInt64: return 8;
    case DType::BFloat16: return 2;
    case DType::String:
    case DType::Undefined: return 0;
    }
    return 0;
}

const char* dtype_name(DType t) {
    switch (t) {
    case DType::Float32: return "f32";
    case DType::UInt8: return "u8";
    case DType::Int8: return "i8";
    case DType::UInt16: return "u16";
    case DType::Int16: return "i16";
    case DType::Int32: return "i32";
    case DType::Int64: return "i64";
    case DType::Bool: return "bool";
    case DType::Float16: return "f16";
    case DType::Float64: return "f64";
    case DType::UInt32: return "u32";
    case DType::UInt64: return "u64";
    case DType::BFloat16: return "bf16";
    case DType::String: return "string";
    case DType::Undefined: return "undefined";
    }
    return "undefined";
}

const char* dtype_ctype(DType t) {
    switch (t) {
    case DType::Float32: return "float";
    case DType::UInt8: return "uint8_t";
    case DType::Int8: return "int8_t";
    case DType::UInt16: return "uint16_t";
    case DType::Int16: return "int16_t";
    case DType::Int32: return "int32_t";
    case DType::Int64: return "int64_t";
    case DType::Bool: return "bool";
    case DType::Float16: return "uint16_t";
    case DType::Float64: return "double";
    case DType::UInt32: return "uint32_t";
    case DType::UInt64: return "uint64_t";
    case DType::BFloat16: return "uint16_t";
    default: return "void";
    }
}

bool dtype_supported(DType t) { return dtype_size(t) != 0; }

bool dtype_is_float(DType t) {
    return t == DType::Float32 || t == DType::Float16 || t == DType::Float64 || t == DType::BFloat16;
}

bool dtype_is_integer(DType t) {
    switch (t) {
    case DType::UInt8: case DType::Int8: case DType::UInt16: case DType::Int16: case DType::Int32:
    case DType::Int64: case DType::UInt32: case DType::UInt64: return true;
    default: return false;
    }
}

bool dtype_is_signed(DType t) {
    return dtype_is_float(t) || t == DType::Int8 || t == DType::Int16 || t == DType::Int32 || t == DType::Int64;
}

DType dtype_from_onnx(int v) {
    switch (v) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9: case 10: case 11: case 12:
    case 13: case 16: return static_cast<DType>(v);
    default: return DType::Undefined;
    }
}

float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t(h) & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: renormalize
            int e = -1;
            do { mant <<= 1; ++e; } while ((mant & 0x400) == 0);
            mant &= 0x3ff;
            bits = sign | (uint32_t(127 - 15 - e) << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_half(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
    if (absx >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // overflow after rounding
    if (absx < 0x38800000u) {  // subnormal or zero in half
        if (absx < 0x33000000u) return uint16_t(sign);
        uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
        int shift = 126 - int(absx >> 23);  // 14..24
        uint32_t half_mant = mant >> (shift);
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (half_mant & 1))) ++half_mant;
        return uint16_t(sign | half_mant);
    }
    uint32_t h = ((absx - 0x38000000u) >> 13);
    uint32_t rem = absx & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) ++h;
    return uint16_t(sign | h);
}

float bfloat16_to_float(uint16_t h) {
    uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_bfloat16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40);
    uint32_t lsb = (x >> 16) & 1;
    x += 0x7fffu + lsb;
    return uint16_t(x >> 16);
}

}  // namespace kiln
