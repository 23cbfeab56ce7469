// Tensor: storage size, element access in every dtype, conversions and byte equality.
#include <cmath>

#include <catch2/catch.hpp>

#include "ir/tensor.h"

using namespace kiln;

TEST_CASE("tensor sizes follow shape and dtype", "[ir][tensor]") {
    Tensor t(DType::Float32, {2, 3, 4});
    CHECK(t.numel() == 24);
    CHECK(t.nbytes() == 96);
    CHECK(t.rank() == 3);
    CHECK(t.dtype() == DType::Float32);
    for (int64_t i = 0; i < t.numel(); ++i) CHECK(t.data<float>()[i] == 0.0f);  // zero-filled

    Tensor scalar(DType::Int64, {});
    CHECK(scalar.numel() == 1);
    CHECK(scalar.nbytes() == 8);
    CHECK(scalar.rank() == 0);

    Tensor empty(DType::Float64, {3, 0, 2});
    CHECK(empty.numel() == 0);
    CHECK(empty.nbytes() == 0);

    CHECK(Tensor(DType::Float16, {5}).nbytes() == 10);
    CHECK(Tensor(DType::Bool, {7}).nbytes() == 7);
}

TEST_CASE("shape_numel and shape_str", "[ir][tensor]") {
    CHECK(shape_numel({}) == 1);
    CHECK(shape_numel({4, 0}) == 0);
    CHECK(shape_numel({1, 3, 224, 224}) == 150528);
    CHECK(shape_str({}) == "scalar");
    CHECK(shape_str({1, 3, 224, 224}) == "1x3x224x224");
    CHECK(shape_str({0}) == "0");
}

TEST_CASE("set_from_double and as_double round trip in every dtype", "[ir][tensor]") {
    struct Case {
        DType t;
        double in, out;
    };
    const Case cases[] = {
        {DType::Float32, 1.5, 1.5},     {DType::Float64, -0.1, -0.1},   {DType::Float16, 0.333251953125, 0.333251953125},
        {DType::BFloat16, -3.0, -3.0},  {DType::Int8, -128, -128},      {DType::UInt8, 255, 255},
        {DType::Int16, -30000, -30000}, {DType::UInt16, 65535, 65535},  {DType::Int32, -2147483648.0, -2147483648.0},
        {DType::UInt32, 4e9, 4e9},      {DType::Int64, -1e15, -1e15},   {DType::UInt64, 1e19, 1e19},
        {DType::Bool, 2.0, 1.0},        {DType::Bool, 0.0, 0.0},
    };
    for (const Case& c : cases) {
        INFO(dtype_name(c.t) << " " << c.in);
        Tensor t(c.t, {3});
        t.set_from_double(1, c.in);
        CHECK(t.as_double(1) == c.out);
        CHECK(t.as_double(0) == 0.0);
        CHECK(t.as_double(2) == 0.0);
    }
    Tensor h(DType::Float16, {1});
    h.set_from_double(0, 1.0);
    CHECK(h.data<uint16_t>()[0] == 0x3c00);
}

TEST_CASE("as_int64 reads integers exactly and truncates floats", "[ir][tensor]") {
    Tensor i64(DType::Int64, {2});
    i64.data<int64_t>()[0] = INT64_MIN;
    i64.data<int64_t>()[1] = (int64_t(1) << 53) + 1;  // not representable in a double
    CHECK(i64.as_int64(0) == INT64_MIN);
    CHECK(i64.as_int64(1) == (int64_t(1) << 53) + 1);
    CHECK(i64.to_int64_vector() == std::vector<int64_t>{INT64_MIN, (int64_t(1) << 53) + 1});

    Tensor u8(DType::UInt8, {1});
    u8.data<uint8_t>()[0] = 200;
    CHECK(u8.as_int64(0) == 200);
    Tensor i8(DType::Int8, {1});
    i8.data<int8_t>()[0] = -5;
    CHECK(i8.as_int64(0) == -5);

    Tensor f(DType::Float32, {2});
    f.data<float>()[0] = 2.75f;
    f.data<float>()[1] = -2.75f;
    CHECK(f.as_int64(0) == 2);
    CHECK(f.as_int64(1) == -2);
}

TEST_CASE("reshape keeps bytes and same_bytes compares dtype shape and data", "[ir][tensor]") {
    Tensor a(DType::Float32, {2, 3});
    for (int i = 0; i < 6; ++i) a.data<float>()[i] = float(i);
    Tensor b = a;
    CHECK(a.same_bytes(b));
    b.reshape({3, 2});
    CHECK(b.numel() == 6);
    CHECK(b.data<float>()[5] == 5.0f);
    CHECK_FALSE(a.same_bytes(b));  // same bytes, different shape
    b.reshape({2, 3});
    b.data<float>()[3] = -0.0f;
    a.data<float>()[3] = 0.0f;
    CHECK_FALSE(a.same_bytes(b));  // -0 and +0 differ in bytes
    Tensor c(DType::Int32, {2, 3});
    CHECK_FALSE(Tensor(DType::Float32, {2, 3}).same_bytes(c));  // same zero bytes, different dtype
}
