// Det through the reference evaluator: hand-computed determinants (pivoting, singular and 1x1 matrices,
// batches), and the refusal of matrices whose LU work area would not fit the stack budget.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

Graph det_graph(std::vector<Dim> shape) {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, shape);
    add_node(m, "Det", {"x"}, {"y"});
    add_output(m, "y", kFloat, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    return inferred(std::move(*g));
}

}  // namespace

TEST_CASE("Det of a batch of matrices", "[ops][det]") {
    Graph g = det_graph({4, 3, 3});
    REQUIRE(g.value(g.outputs[0]).shape == Shape{4});
    Tensor x = float_tensor({4, 3, 3}, {
        2, 0, 0, 0, 3, 0, 0, 0, 4,   // diagonal: 24
        0, 1, 0, 1, 0, 0, 0, 0, 1,   // a row swap: -1
        1, 2, 3, 4, 5, 6, 7, 8, 9,   // singular: 0
        0, 2, 1, 3, -1, 2, 1, 1, 1,  // needs pivoting: 0*(-1-2) - 2*(3-2) + 1*(3+1) = 2
    });
    Tensor y = evaluate_ok(g, {x})[0];
    CHECK(y.data<float>()[0] == Approx(24));
    CHECK(y.data<float>()[1] == Approx(-1));
    CHECK(y.data<float>()[2] == Approx(0).margin(1e-5));
    CHECK(y.data<float>()[3] == Approx(2));
}

TEST_CASE("Det of one 2x2 and of 1x1 matrices", "[ops][det]") {
    Graph g = det_graph({2, 2});
    REQUIRE(g.value(g.outputs[0]).shape == Shape{});
    CHECK(evaluate_ok(g, {float_tensor({2, 2}, {0, 1, 2, 3})})[0].data<float>()[0] == Approx(-2));
    Graph one = det_graph({3, 1, 1});
    Tensor y = evaluate_ok(one, {float_tensor({3, 1, 1}, {5, -2, 0})})[0];
    CHECK(y.same_bytes(float_tensor({3}, {5, -2, 0})));
}

TEST_CASE("Det refuses non-square and very large matrices", "[ops][det]") {
    for (std::vector<Dim> shape : {std::vector<Dim>{2, 3}, std::vector<Dim>{100, 100}}) {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, shape);
        add_node(m, "Det", {"x"}, {"y"});
        add_output(m, "y", kFloat, {});
        Expected<Graph> g = import_model(m);
        REQUIRE(g.is_ok());
        Expected<Graph> r = infer_shapes(std::move(*g));
        REQUIRE_FALSE(r.is_ok());
        CHECK_THAT(r.status().message(), Catch::Contains("two equal dims") || Catch::Contains("bytes of stack"));
    }
}
