// The reference evaluator on hand-computed cases: broadcasting arithmetic, activations, integer division,
// input validation, and outputs that are inputs or constants.
#include <cmath>

#include <catch2/catch.hpp>

#include "eval/evaluator.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

// y = OP(a, b) with the given shapes and element type.
Graph binary_graph(const std::string& op, std::vector<Dim> a, std::vector<Dim> b, int elem = kFloat) {
    onnx::ModelProto m = make_model();
    add_input(m, "a", elem, a);
    add_input(m, "b", elem, b);
    add_node(m, op, {"a", "b"}, {"y"});
    add_output(m, "y", elem, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    return inferred(std::move(*g));
}

Tensor int32_tensor(Shape s, const std::vector<int32_t>& v) {
    Tensor t(DType::Int32, std::move(s));
    for (std::size_t i = 0; i < v.size(); ++i) t.data<int32_t>()[i] = v[i];
    return t;
}

}  // namespace

TEST_CASE("binary ops broadcast a row over a matrix", "[eval]") {
    Tensor a = float_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
    Tensor b = float_tensor({3}, {10, 20, 40});
    CHECK(evaluate_ok(binary_graph("Add", {2, 3}, {3}), {a, b})[0].same_bytes(float_tensor({2, 3}, {11, 22, 43, 14, 25, 46})));
    CHECK(evaluate_ok(binary_graph("Sub", {2, 3}, {3}), {a, b})[0].same_bytes(float_tensor({2, 3}, {-9, -18, -37, -6, -15, -34})));
    CHECK(evaluate_ok(binary_graph("Mul", {2, 3}, {3}), {a, b})[0].same_bytes(float_tensor({2, 3}, {10, 40, 120, 40, 100, 240})));
    CHECK(evaluate_ok(binary_graph("Div", {2, 3}, {3}), {a, b})[0].same_bytes(float_tensor({2, 3}, {0.1f, 0.1f, 0.075f, 0.4f, 0.25f, 0.15f})));
}

TEST_CASE("binary ops broadcast a column against a row", "[eval]") {
    Graph g = binary_graph("Sub", {3, 1}, {1, 2});
    CHECK(g.value(g.outputs[0]).shape == Shape{3, 2});
    Tensor out = evaluate_ok(g, {float_tensor({3, 1}, {1, 2, 3}), float_tensor({1, 2}, {10, 100})})[0];
    CHECK(out.same_bytes(float_tensor({3, 2}, {-9, -99, -8, -98, -7, -97})));
}

TEST_CASE("scalar operands", "[eval]") {
    Graph g = binary_graph("Mul", {}, {2, 2});
    Tensor out = evaluate_ok(g, {float_tensor({}, {-2}), float_tensor({2, 2}, {1, 2, 3, 4})})[0];
    CHECK(out.same_bytes(float_tensor({2, 2}, {-2, -4, -6, -8})));
    Graph s = binary_graph("Add", {}, {});
    CHECK(evaluate_ok(s, {float_tensor({}, {1.5f}), float_tensor({}, {2})})[0].same_bytes(float_tensor({}, {3.5f})));
}

TEST_CASE("integer division truncates toward zero", "[eval]") {
    Graph g = binary_graph("Div", {4}, {4}, kInt32);
    Tensor out = evaluate_ok(g, {int32_tensor({4}, {7, -7, 7, -7}), int32_tensor({4}, {2, 2, -2, -2})})[0];
    CHECK(out.same_bytes(int32_tensor({4}, {3, -3, -3, 3})));
}

TEST_CASE("float division by zero follows IEEE", "[eval]") {
    Graph g = binary_graph("Div", {3}, {3});
    Tensor out = evaluate_ok(g, {float_tensor({3}, {1, -1, 0}), float_tensor({3}, {0, 0, 0})})[0];
    CHECK(std::isinf(out.data<float>()[0]));
    CHECK(out.data<float>()[0] > 0);
    CHECK(out.data<float>()[1] < 0);
    CHECK(std::isnan(out.data<float>()[2]));
}

TEST_CASE("Relu and Sigmoid", "[eval]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {5});
    add_node(m, "Relu", {"x"}, {"r"});
    add_node(m, "Sigmoid", {"x"}, {"s"});
    add_output(m, "r", kFloat, {5});
    add_output(m, "s", kFloat, {5});
    Graph g = inferred(*import_model(m));
    const std::vector<float> x = {-3, -0.0f, 0, 0.5f, 20};
    std::vector<Tensor> out = evaluate_ok(g, {float_tensor({5}, x)});
    CHECK(out[0].same_bytes(float_tensor({5}, {0, 0, 0, 0.5f, 20})));
    for (int i = 0; i < 5; ++i) CHECK(out[1].data<float>()[i] == Approx(1.0 / (1.0 + std::exp(-double(x[i])))).epsilon(1e-6));
}

TEST_CASE("Relu keeps integer types", "[eval]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kInt64, {3});
    add_node(m, "Relu", {"x"}, {"y"});
    add_output(m, "y", kInt64, {3});
    Graph g = inferred(*import_model(m));
    CHECK(g.value(g.outputs[0]).dtype == DType::Int64);
    Tensor x(DType::Int64, {3});
    x.data<int64_t>()[0] = -5;
    x.data<int64_t>()[1] = 0;
    x.data<int64_t>()[2] = INT64_MAX;
    Tensor y = evaluate_ok(g, {x})[0];
    CHECK(y.to_int64_vector() == std::vector<int64_t>{0, 0, INT64_MAX});
}

TEST_CASE("evaluate checks the number types and shapes of inputs", "[eval]") {
    Graph g = inferred(*import_model(relu_model()));
    Expected<std::vector<Tensor>> none = evaluate(g, {});
    REQUIRE_FALSE(none.is_ok());
    CHECK(none.status().message() == "the model has 1 inputs but 0 were given");
    Expected<std::vector<Tensor>> shape = evaluate(g, {float_tensor({3, 2}, {1, 2, 3, 4, 5, 6})});
    REQUIRE_FALSE(shape.is_ok());
    CHECK(shape.status().message() == "input 0 'x' is f32[3x2], expected f32[2x3]");
    Expected<std::vector<Tensor>> type = evaluate(g, {Tensor(DType::Float64, {2, 3})});
    REQUIRE_FALSE(type.is_ok());
    CHECK(type.status().message() == "input 0 'x' is f64[2x3], expected f32[2x3]");
}

TEST_CASE("outputs that are inputs or constants, and values read after another consumer", "[eval]") {
    // y1 = x (pass-through), y2 = w (a constant), y3 = Relu(x) + x (x read by two nodes).
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2});
    add_initializer(m, raw_float_tensor("w", {2}, {7, 8}));
    add_node(m, "Relu", {"x"}, {"r"});
    add_node(m, "Add", {"r", "x"}, {"y3"});
    add_output(m, "x", kFloat, {2});
    add_output(m, "w", kFloat, {2});
    add_output(m, "y3", kFloat, {2});
    Expected<Graph> imported = import_model(m);
    INFO(imported.status().message());
    REQUIRE(imported.is_ok());
    Graph g = inferred(std::move(*imported));
    std::vector<Tensor> out = evaluate_ok(g, {float_tensor({2}, {-1, 2})});
    REQUIRE(out.size() == 3);
    CHECK(out[0].same_bytes(float_tensor({2}, {-1, 2})));
    CHECK(out[1].same_bytes(float_tensor({2}, {7, 8})));
    CHECK(out[2].same_bytes(float_tensor({2}, {-1, 4})));
}

TEST_CASE("an unknown operator is an error naming the node", "[eval]") {
    Graph g = inferred(*import_model(relu_model()));
    g.nodes[0].op_type = "NoSuchOp";
    Expected<std::vector<Tensor>> r = evaluate(g, {Tensor(DType::Float32, {2, 3})});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == "node 'relu1' (NoSuchOp, opset 13): operator is not supported");
}
