// Det: the kernel against cofactor expansion over odd sizes (1x1 to 5x5, with pivoting needed), singular
// and empty matrices, float16 in float; and the op's shape rule and scratch cap.
#include <cmath>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/portable/kernels/determinant.h"
#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

// Laplace expansion along the first row, in double.
double cofactor_det(const std::vector<double>& a, int n) {
    if (n == 0) return 1.0;
    if (n == 1) return a[0];
    double d = 0;
    for (int j = 0; j < n; ++j) {
        std::vector<double> minor;
        for (int r = 1; r < n; ++r)
            for (int c = 0; c < n; ++c)
                if (c != j) minor.push_back(a[std::size_t(r * n + c)]);
        d += (j % 2 ? -1.0 : 1.0) * a[std::size_t(j)] * cofactor_det(minor, n - 1);
    }
    return d;
}

}  // namespace

TEST_CASE("det matches cofactor expansion over odd sizes", "[ops][det]") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-2.0, 2.0);
    for (int n : {1, 2, 3, 4, 5}) {
        const int count = 3;
        std::vector<double> x(std::size_t(count * n * n));
        for (double& v : x) v = u(rng);
        if (n > 1) x[0] = 0.0;  // the first pivot must come from a row swap
        std::vector<double> y(static_cast<std::size_t>(count)), scratch(static_cast<std::size_t>(n * n));
        kernels::det<kernels::PlainIo<double>>(x.data(), y.data(), scratch.data(), kernels::DetParams{count, n});
        for (int m = 0; m < count; ++m) {
            std::vector<double> a(x.begin() + m * n * n, x.begin() + (m + 1) * n * n);
            CHECK(y[std::size_t(m)] == Approx(cofactor_det(a, n)).margin(1e-12));
        }
    }
}

TEST_CASE("det: singular, 0x0 and float16 matrices", "[ops][det]") {
    const std::vector<float> singular = {1, 2, 3, 2, 4, 6, 0, 1, 5};
    float y = 1, scratch[9];
    kernels::det<kernels::PlainIo<float>>(singular.data(), &y, scratch, kernels::DetParams{1, 3});
    CHECK(y == 0.0f);
    kernels::det<kernels::PlainIo<float>>(singular.data(), &y, scratch, kernels::DetParams{1, 0});
    CHECK(y == 1.0f);
    const uint16_t h[4] = {kernels::double_to_f16(3), kernels::double_to_f16(1), kernels::double_to_f16(2),
                           kernels::double_to_f16(4)};
    uint16_t hy = 0;
    kernels::det<kernels::F16Io>(h, &hy, scratch, kernels::DetParams{1, 2});
    CHECK(kernels::f16_to_float(hy) == 10.0f);
}

TEST_CASE("Det op: batch shape out, non-square and oversized inputs refused", "[ops][det]") {
    auto model = [](std::vector<Dim> dims) {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, dims);
        add_node(m, "Det", {"x"}, {"y"}, "det");
        add_output(m, "y", kFloat, {});
        return m;
    };
    Graph g = inferred(*import_model(model({2, 3, 4, 4})));
    CHECK(g.value(g.find_value("y")).shape == Shape{2, 3});
    for (auto dims : {std::vector<Dim>{3, 4}, std::vector<Dim>{100, 100}}) {
        Expected<Graph> r = infer_shapes(*import_model(model(dims)));
        REQUIRE_FALSE(r.is_ok());
        CHECK_THAT(r.status().message(), Catch::Contains("node 'det' (Det"));
    }
}
