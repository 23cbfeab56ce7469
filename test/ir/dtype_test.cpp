// DType tables and the fp16/bf16 conversions, checked exhaustively against a nearest-value search.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "ir/dtype.h"

using namespace kiln;

namespace {

uint32_t bits_of(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

float float_of(uint32_t b) {
    float f;
    std::memcpy(&f, &b, 4);
    return f;
}

// Every finite non-negative value of a 16-bit format with its bit pattern, ascending. Decoding finite
// values is exact, so a nearest search over this table is an independent reference for rounding.
struct Table {
    std::vector<double> value;
    std::vector<uint16_t> bits;
};

Table finite_values(float (*decode)(uint16_t), uint16_t inf_bits) {
    Table t;
    for (uint32_t b = 0; b < inf_bits; ++b) {
        t.value.push_back(double(decode(uint16_t(b))));
        t.bits.push_back(uint16_t(b));
    }
    return t;
}

// Round to nearest, ties to the even pattern; past max + half an ulp goes to infinity.
uint16_t reference_round(const Table& t, uint16_t inf_bits, float x) {
    uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    double a = std::fabs(double(x));
    double max = t.value.back();
    double ulp_at_max = max - t.value[t.value.size() - 2];
    if (a >= max + ulp_at_max / 2) return uint16_t(sign | inf_bits);
    auto it = std::lower_bound(t.value.begin(), t.value.end(), a);
    std::size_t hi = std::size_t(it - t.value.begin());
    if (hi == t.value.size()) return uint16_t(sign | t.bits.back());
    if (t.value[hi] == a || hi == 0) return uint16_t(sign | t.bits[hi]);
    std::size_t lo = hi - 1;
    double dl = a - t.value[lo], dh = t.value[hi] - a;
    std::size_t pick = dl < dh ? lo : dh < dl ? hi : ((t.bits[lo] & 1) == 0 ? lo : hi);
    return uint16_t(sign | t.bits[pick]);
}

// Floats that probe rounding: every representable value, the midpoints between neighbours, one float ulp
// on either side of each midpoint, plus random floats over the whole range.
std::vector<float> probe_floats(const Table& t, uint32_t seed) {
    std::vector<float> xs;
    for (std::size_t i = 0; i + 1 < t.value.size(); ++i) {
        float mid = float((t.value[i] + t.value[i + 1]) / 2);  // exact: at most 12 significant bits
        xs.push_back(float(t.value[i]));
        xs.push_back(mid);
        xs.push_back(std::nextafter(mid, 0.0f));
        xs.push_back(std::nextafter(mid, INFINITY));
    }
    std::mt19937 rng(seed);
    for (int i = 0; i < 200000; ++i) {
        float f = float_of(rng() & 0x7fffffffu);
        if (!std::isnan(f)) xs.push_back(f);
    }
    std::size_t n = xs.size();
    for (std::size_t i = 0; i < n; ++i) xs.push_back(-xs[i]);
    return xs;
}

// Counts failures of a loop over many values and keeps the first, so one CHECK reports them all.
struct Mismatch {
    std::size_t count = 0;
    uint32_t first = 0;
    void note(bool ok, uint32_t what) {
        if (!ok && count++ == 0) first = what;
    }
};

}  // namespace

TEST_CASE("dtype sizes names and C types", "[ir][dtype]") {
    CHECK(dtype_size(DType::Float32) == 4);
    CHECK(dtype_size(DType::Float16) == 2);
    CHECK(dtype_size(DType::BFloat16) == 2);
    CHECK(dtype_size(DType::Float64) == 8);
    CHECK(dtype_size(DType::Int64) == 8);
    CHECK(dtype_size(DType::UInt32) == 4);
    CHECK(dtype_size(DType::Bool) == 1);
    CHECK(dtype_size(DType::String) == 0);
    CHECK(dtype_size(DType::Undefined) == 0);
    CHECK_FALSE(dtype_supported(DType::String));
    CHECK(dtype_supported(DType::UInt64));
    CHECK(std::string(dtype_name(DType::Float32)) == "f32");
    CHECK(std::string(dtype_name(DType::BFloat16)) == "bf16");
    CHECK(std::string(dtype_ctype(DType::Float16)) == "uint16_t");
    CHECK(std::string(dtype_ctype(DType::Bool)) == "bool");
    CHECK(std::string(dtype_ctype(DType::Int8)) == "int8_t");
    CHECK(dtype_is_float(DType::BFloat16));
    CHECK_FALSE(dtype_is_float(DType::Int32));
    CHECK(dtype_is_integer(DType::UInt8));
    CHECK_FALSE(dtype_is_integer(DType::Bool));
    CHECK(dtype_is_signed(DType::Int16));
    CHECK_FALSE(dtype_is_signed(DType::UInt64));
}

TEST_CASE("dtype_from_onnx accepts the ONNX enum values Kiln knows and nothing else", "[ir][dtype]") {
    for (int v : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16}) CHECK(int(dtype_from_onnx(v)) == v);
    // 14/15 are complex, 17+ are float8 types of later ONNX versions.
    for (int v : {-1, 0, 14, 15, 17, 18, 1000}) CHECK(dtype_from_onnx(v) == DType::Undefined);
}

TEST_CASE("fp16 known values", "[ir][fp16]") {
    CHECK(float_to_half(1.0f) == 0x3c00);
    CHECK(float_to_half(-2.0f) == 0xc000);
    CHECK(float_to_half(0.5f) == 0x3800);
    CHECK(float_to_half(65504.0f) == 0x7bff);
    CHECK(float_to_half(0.0f) == 0x0000);
    CHECK(float_to_half(-0.0f) == 0x8000);
    CHECK(float_to_half(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
    CHECK(float_to_half(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
    CHECK(float_to_half(INFINITY) == 0x7c00);
    CHECK(float_to_half(-INFINITY) == 0xfc00);
    CHECK(half_to_float(0x3555) == Approx(0.333251953125).epsilon(0));
    CHECK(half_to_float(0x7bff) == 65504.0f);
    CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));
    CHECK(half_to_float(0x03ff) == std::ldexp(1023.0f, -24));  // largest subnormal
    CHECK(std::isinf(half_to_float(0x7c00)));
    CHECK(std::signbit(half_to_float(0x8000)));
}

TEST_CASE("fp16 rounds to nearest with ties to even", "[ir][fp16]") {
    const float ulp1 = std::ldexp(1.0f, -10);  // half ulp at 1.0
    CHECK(float_to_half(1.0f + ulp1 / 2) == 0x3c00);      // tie, 0x3c00 is even
    CHECK(float_to_half(1.0f + 3 * ulp1 / 2) == 0x3c02);  // tie between 0x3c01 and 0x3c02
    CHECK(float_to_half(std::nextafter(1.0f + ulp1 / 2, 2.0f)) == 0x3c01);
    CHECK(float_to_half(65519.0f) == 0x7bff);  // below the tie with 65536
    CHECK(float_to_half(65520.0f) == 0x7c00);  // the tie rounds to even: infinity
    CHECK(float_to_half(1e10f) == 0x7c00);
    CHECK(float_to_half(std::ldexp(1.0f, -25)) == 0x0000);      // tie between 0 and the smallest subnormal
    CHECK(float_to_half(std::ldexp(1.5f, -25)) == 0x0001);
    CHECK(float_to_half(std::ldexp(3.0f, -25)) == 0x0002);      // tie between 1 and 2 ulps
    CHECK(float_to_half(std::ldexp(1.0f, -30)) == 0x0000);
    CHECK(float_to_half(-std::ldexp(1.0f, -30)) == 0x8000);
}

TEST_CASE("fp16 round trips every pattern and matches a nearest-value search", "[ir][fp16]") {
    Mismatch m;
    for (uint32_t b = 0; b < 0x10000; ++b) {
        uint16_t h = uint16_t(b);
        float f = half_to_float(h);
        uint16_t back = float_to_half(f);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        bool ok = nan ? std::isnan(f) && std::isnan(half_to_float(back)) && (back & 0x8000) == (h & 0x8000)
                      : back == h;
        m.note(ok, b);
    }
    INFO("first failing pattern " << m.first);
    CHECK(m.count == 0);
    Table t = finite_values(half_to_float, 0x7c00);
    Mismatch r;
    for (float x : probe_floats(t, 1)) r.note(float_to_half(x) == reference_round(t, 0x7c00, x), bits_of(x));
    INFO("first failing float bits " << r.first);
    CHECK(r.count == 0);
}

TEST_CASE("bf16 round trips every pattern and matches a nearest-value search", "[ir][bf16]") {
    Mismatch m;
    for (uint32_t b = 0; b < 0x10000; ++b) {
        uint16_t h = uint16_t(b);
        float f = bfloat16_to_float(h);
        bool exact = bits_of(f) == uint32_t(h) << 16;  // decoding is a shift, exact for every pattern
        bool back = std::isnan(f) ? std::isnan(bfloat16_to_float(float_to_bfloat16(f))) : float_to_bfloat16(f) == h;
        m.note(exact && back, b);
    }
    INFO("first failing pattern " << m.first);
    CHECK(m.count == 0);
    CHECK(float_to_bfloat16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);      // tie to even
    CHECK(float_to_bfloat16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);  // tie to even
    CHECK(float_to_bfloat16(std::numeric_limits<float>::max()) == 0x7f80);
    CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(float_of(0x7f800001u)))));  // a NaN that truncation would make inf
    Table t = finite_values(bfloat16_to_float, 0x7f80);
    Mismatch r;
    for (float x : probe_floats(t, 2)) r.note(float_to_bfloat16(x) == reference_round(t, 0x7f80, x), bits_of(x));
    INFO("first failing float bits " << r.first);
    CHECK(r.count == 0);
}
