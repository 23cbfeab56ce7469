// infer-shapes: types and broadcast shapes for every value, errors naming the node, and folding of nodes
// whose inputs are all constant. Folded graphs are compared with the same model fed those constants as
// run-time inputs (nothing folds there), so folding is checked against unfolded evaluation.
#include <cmath>

#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string infer_error(const onnx::ModelProto& m) {
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = infer_shapes(std::move(*g));
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
}

// y = x * ((c1 + c2) - Relu(c3)); with `as_inputs` c1..c3 are graph inputs instead of initializers.
onnx::ModelProto folding_model(bool as_inputs) {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2, 3});
    const std::vector<std::pair<std::string, std::vector<int64_t>>> consts = {{"c1", {3}}, {"c2", {2, 1}}, {"c3", {}}};
    for (const auto& [name, dims] : consts) {
        if (as_inputs) {
            std::vector<Dim> d(dims.begin(), dims.end());
            add_input(m, name, kFloat, d);
        } else {
            int64_t n = 1;
            for (int64_t v : dims) n *= v;
            std::vector<float> values;
            for (int64_t i = 0; i < n; ++i) values.push_back(float(i) - 1.5f * float(name[1] - '0'));
            add_initializer(m, raw_float_tensor(name, dims, values));
        }
    }
    add_node(m, "Add", {"c1", "c2"}, {"s"}, "add_c");
    add_node(m, "Relu", {"c3"}, {"r"}, "relu_c");
    add_node(m, "Sub", {"s", "r"}, {"k"}, "sub_c");
    add_node(m, "Mul", {"x", "k"}, {"y"}, "mul_x");
    add_output(m, "y", kFloat, {2, 3});
    return m;
}

}  // namespace

TEST_CASE("every value gets its dtype and broadcast shape", "[passes][infer_shapes]") {
    onnx::ModelProto m = make_model();
    add_input(m, "a", kFloat, {4, 1, 3});
    add_input(m, "b", kFloat, {5, 1});
    add_node(m, "Add", {"a", "b"}, {"s"});
    add_node(m, "Sigmoid", {"s"}, {"t"});
    add_output(m, "t", kFloat, {});
    Graph g = inferred(*import_model(m));
    for (const char* name : {"s", "t"}) {
        const Value& v = g.value(g.find_value(name));
        CHECK(v.shape_known);
        CHECK(v.dtype == DType::Float32);
        CHECK(v.shape == Shape{4, 5, 3});
        CHECK_FALSE(v.is_constant());
    }
    // The inferred graph evaluates to sigmoid(a + b) broadcast by hand.
    Tensor a = random_float_tensor({4, 1, 3}, 1), b = random_float_tensor({5, 1}, 2);
    Tensor t = evaluate_ok(g, {a, b})[0];
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 5; ++j)
            for (int k = 0; k < 3; ++k) {
                float s = a.data<float>()[i * 3 + k] + b.data<float>()[j];
                CHECK(t.data<float>()[(i * 5 + j) * 3 + k] == Approx(1.0 / (1.0 + std::exp(-double(s)))).epsilon(1e-6));
            }
}

TEST_CASE("inference errors name the node, op and problem", "[passes][infer_shapes]") {
    SECTION("an operator Kiln does not know") {
        onnx::ModelProto m = relu_model();
        m.mutable_graph()->mutable_node(0)->set_op_type("FancyOp");
        CHECK(infer_error(m) == "node 'relu1' (FancyOp, opset 13): operator is not supported");
    }
    SECTION("mixed input types") {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {2});
        add_input(m, "b", kInt64, {2});
        add_node(m, "Add", {"a", "b"}, {"y"}, "mix");
        add_output(m, "y", kFloat, {2});
        std::string e = infer_error(m);
        CHECK(contains(e, "node 'mix' (Add, opset 13): "));
        CHECK(contains(e, "f32"));
        CHECK(contains(e, "i64"));
    }
    SECTION("shapes that do not broadcast") {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {2, 3});
        add_input(m, "b", kFloat, {2});
        add_node(m, "Mul", {"a", "b"}, {"y"}, "bad");
        add_output(m, "y", kFloat, {2, 3});
        std::string e = infer_error(m);
        CHECK(contains(e, "node 'bad' (Mul, opset 13): "));
        CHECK(contains(e, "2x3"));
        CHECK(contains(e, "broadcast"));
    }
    SECTION("wrong input count") {
        onnx::ModelProto m = relu_model();
        m.mutable_graph()->mutable_node(0)->add_input("x");
        CHECK(contains(infer_error(m), "node 'relu1' (Relu, opset 13): expected 1 inputs, got 2"));
    }
    SECTION("an output too large to be a tensor") {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {1 << 20, 1});
        add_input(m, "b", kFloat, {1, 1 << 20});
        add_node(m, "Add", {"a", "b"}, {"y"}, "outer");
        add_output(m, "y", kFloat, {});
        CHECK(infer_error(m) == "node 'outer' (Add, opset 13): output 'y' shape 1048576x1048576 has more than 4294967296 elements");
    }
    SECTION("Sigmoid of integers") {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kInt32, {2});
        add_node(m, "Sigmoid", {"a"}, {"y"}, "sig");
        add_output(m, "y", kInt32, {2});
        std::string e = infer_error(m);
        CHECK(contains(e, "node 'sig' (Sigmoid, opset 13): "));
        CHECK(contains(e, "i32"));
    }
}

TEST_CASE("fp16 and bf16 arithmetic computes in float, not on bit patterns", "[passes][infer_shapes]") {
    // Kernels hold these types as uint16_t bit patterns; computing on the bits would keep negative values in
    // Relu and add exponents in Add. The ops convert to float and back, so results are the rounded float ones.
    const std::vector<float> a = {-1.5f, 0.5f, 2.0f, -0.0f}, b = {1.0f, -0.25f, 3.0f, 8.0f};
    for (DType t : {DType::Float16, DType::BFloat16}) {
        auto to_bits = [&](float f) { return t == DType::Float16 ? float_to_half(f) : float_to_bfloat16(f); };
        for (const char* op : {"Relu", "Add"}) {
            INFO(op << " " << dtype_name(t));
            onnx::ModelProto m = make_model();
            add_input(m, "a", int(t), {4});
            add_input(m, "b", int(t), {4});
            bool unary = std::string(op) == "Relu";
            add_node(m, op, unary ? std::vector<std::string>{"a"} : std::vector<std::string>{"a", "b"}, {"y"}, "n");
            add_output(m, "y", int(t), {4});
            Expected<Graph> g = import_model(m);
            REQUIRE(g.is_ok());
            Graph r = inferred(std::move(*g));
            Tensor ta(t, {4}), tb(t, {4});
            for (int i = 0; i < 4; ++i) {
                ta.data<uint16_t>()[i] = to_bits(a[std::size_t(i)]);
                tb.data<uint16_t>()[i] = to_bits(b[std::size_t(i)]);
            }
            std::vector<Tensor> out = evaluate_ok(r, {ta, tb});
            REQUIRE(out.size() == 1);
            REQUIRE(out[0].dtype() == t);
            for (int i = 0; i < 4; ++i) {
                float want = unary ? std::max(a[std::size_t(i)], 0.0f) : a[std::size_t(i)] + b[std::size_t(i)];
                CHECK(out[0].as_double(i) == Approx(want));
            }
        }
    }
}

TEST_CASE("infer-shapes folds constant subgraphs", "[passes][infer_shapes]") {
    Graph g = inferred(*import_model(folding_model(false)));
    for (const char* name : {"s", "r", "k"}) {
        INFO(name);
        CHECK(g.value(g.find_value(name)).is_constant());
    }
    CHECK_FALSE(g.value(g.find_value("y")).is_constant());
    CHECK(g.value(g.find_value("k")).shape == Shape{2, 3});
    // Hand-computed: c1 = [-1.5, -0.5, 0.5], c2 = [[-3], [-2]], c3 = -4.5, so k = c1 + c2 - 0.
    CHECK(g.value(g.find_value("k")).data->same_bytes(float_tensor({2, 3}, {-4.5f, -3.5f, -2.5f, -3.5f, -2.5f, -1.5f})));
}

TEST_CASE("folded and unfolded graphs compute the same outputs", "[passes][infer_shapes]") {
    Graph folded = inferred(*import_model(folding_model(false)));
    Graph unfolded = inferred(*import_model(folding_model(true)));
    for (const Value& v : unfolded.values)
        if (v.name == "s" || v.name == "k") CHECK_FALSE(v.is_constant());
    Tensor x = random_float_tensor({2, 3}, 5);
    std::vector<Tensor> consts;
    for (const char* name : {"c1", "c2", "c3"}) consts.push_back(*folded.value(folded.find_value(name)).data);
    std::vector<Tensor> want = evaluate_ok(unfolded, {x, consts[0], consts[1], consts[2]});
    std::vector<Tensor> got = evaluate_ok(folded, {x});
    REQUIRE(got.size() == 1);
    CHECK(got[0].same_bytes(want[0]));
}

TEST_CASE("infer-shapes keeps the graph's nodes; dropping them is fold-constants' job", "[passes][infer_shapes]") {
    Graph g = inferred(*import_model(folding_model(false)));
    CHECK(g.nodes.size() == 4);
}
