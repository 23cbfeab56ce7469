// fuse-elementwise: chains of elementwise ops become one ElementwiseChain node (scale+bias+Relu, x*sigmoid(x),
// GELU); a graph output or a second reader in the middle, a growing broadcast or a lone op stop or prevent a
// chain. Outputs compared bit for bit with the reference evaluator before and after.
#include <cmath>

#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

namespace {

Graph fused(const Graph& g) {
    Expected<Graph> r = fuse_elementwise(g);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return std::move(*r);
}

const Node& only_chain(const Graph& g) {
    REQUIRE(count_ops(g, "ElementwiseChain") == 1);
    for (const Node& n : g.nodes)
        if (n.op_type == "ElementwiseChain") return n;
    return g.nodes[0];
}

std::vector<std::string> chain_ops(const Node& n) { return n.attrs.at("ops").strings; }

}  // namespace

TEST_CASE("per-channel scale, bias and Relu fuse into one chain", "[passes][fuse_elementwise]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {1, 3, 4, 5});
    add_initializer(m, raw_float_tensor("scale", {3, 1, 1}, {0.5f, -2, 3}));
    add_initializer(m, raw_float_tensor("bias", {3, 1, 1}, {1, 0.25f, -1}));
    add_node(m, "Mul", {"x", "scale"}, {"a"});
    add_node(m, "Add", {"a", "bias"}, {"b"});
    add_node(m, "Relu", {"b"}, {"y"}, "relu");
    add_output(m, "y", kFloat, {1, 3, 4, 5});
    Graph before = inferred(*import_model(m));
    Graph after = fused(before);
    REQUIRE(after.nodes.size() == 1);
    const Node& c = only_chain(after);
    CHECK(c.domain == "kiln");
    CHECK(c.name == "relu");
    CHECK(chain_ops(c) == std::vector<std::string>{"Mul", "Add", "Relu"});
    CHECK(c.inputs == std::vector<ValueId>{before.find_value("x"), before.find_value("scale"), before.find_value("bias")});
    CHECK(c.attrs.at("operand").ints == std::vector<int64_t>{1, 2, -1});
    CHECK(after.outputs == before.outputs);
    require_same_outputs(before, after, random_inputs(before, 1));
}

TEST_CASE("x * sigmoid(x) fuses and reads x twice", "[passes][fuse_elementwise]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {2, 7});
    add_node(m, "Sigmoid", {"x"}, {"s"});
    add_node(m, "Mul", {"x", "s"}, {"y"});
    add_output(m, "y", kFloat, {2, 7});
    Graph before = inferred(*import_model(m));
    Graph after = fused(before);
    const Node& c = only_chain(after);
    CHECK(after.nodes.size() == 1);
    CHECK(c.inputs.size() == 1);
    CHECK(c.attrs.at("operand").ints == std::vector<int64_t>{-1, 0});
    CHECK(c.attrs.at("swap").ints == std::vector<int64_t>{0, 1});
    require_same_outputs(before, after, random_inputs(before, 2));
}

TEST_CASE("GELU's Div, Erf, Add, Mul, Mul fuse into one chain", "[passes][fuse_elementwise]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {2, 5, 33});
    add_initializer(m, raw_float_tensor("sqrt2", {}, {1.4142135f}));
    add_initializer(m, raw_float_tensor("one", {}, {1}));
    add_initializer(m, raw_float_tensor("half", {}, {0.5f}));
    add_node(m, "Div", {"x", "sqrt2"}, {"d"});
    add_node(m, "Erf", {"d"}, {"e"});
    add_node(m, "Add", {"e", "one"}, {"a"});
    add_node(m, "Mul", {"x", "a"}, {"xm"});
    add_node(m, "Mul", {"xm", "half"}, {"y"});
    add_output(m, "y", kFloat, {2, 5, 33});
    Graph before = inferred(*import_model(m));
    Graph after = fused(before);
    REQUIRE(after.nodes.size() == 1);
    const Node& c = only_chain(after);
    CHECK(chain_ops(c) == std::vector<std::string>{"Div", "Erf", "Add", "Mul", "Mul"});
    CHECK(c.inputs.size() == 4);  // x, sqrt2, one, half
    CHECK(c.attrs.at("operand").ints == std::vector<int64_t>{1, -1, 2, 0, 3});
    require_same_outputs(before, after, random_inputs(before, 3));
}

TEST_CASE("activations with attributes, Clip bounds and swapped operands fuse exactly", "[passes][fuse_elementwise]") {
    // y = Clip(HardSigmoid(LeakyRelu(1 - x)) ^ p, 0.1, 0.9) + rt, with rt a run-time [1,4] operand; f32 and f64.
    for (int elem : {kFloat, int(onnx::TensorProto::DOUBLE)}) {
        INFO("element type " << elem);
        const bool f64 = elem == onnx::TensorProto::DOUBLE;
        auto scalar = [&](const char* name, float v) {
            Tensor t(f64 ? DType::Float64 : DType::Float32, {});
            t.set_from_double(0, v);
            return to_proto(t, name);
        };
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", elem, {3, 4});
        add_input(m, "rt", elem, {1, 4});
        add_initializer(m, scalar("one", 1));
        add_initializer(m, scalar("p", 1.5f));
        add_initializer(m, scalar("lo", 0.125f));
        add_initializer(m, scalar("hi", 0.875f));
        add_node(m, "Sub", {"one", "x"}, {"a"});
        set_float(add_node(m, "LeakyRelu", {"a"}, {"b"}), "alpha", 0.2f);
        onnx::NodeProto* hs = add_node(m, "HardSigmoid", {"b"}, {"c"});
        set_float(hs, "alpha", 0.3f);
        set_float(hs, "beta", 0.4f);
        add_node(m, "Pow", {"c", "p"}, {"d"});
        add_node(m, "Clip", {"d", "lo", "hi"}, {"e"});
        add_node(m, "Add", {"rt", "e"}, {"y"});
        add_output(m, "y", elem, {3, 4});
        Graph before = inferred(*import_model(m));
        Graph after = fused(before);
        REQUIRE(after.nodes.size() == 1);
        const Node& c = only_chain(after);
        CHECK(chain_ops(c) == std::vector<std::string>{"Sub", "LeakyRelu", "HardSigmoid", "Pow", "Clip", "Add"});
        CHECK(c.attrs.at("swap").ints == std::vector<int64_t>{1, 0, 0, 0, 0, 1});
        require_same_outputs(before, after, random_inputs(before, 4));
    }
}

TEST_CASE("chains stop at graph outputs, second readers and growing broadcasts", "[passes][fuse_elementwise]") {
    SECTION("an intermediate that is a graph output splits the chain") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {8});
        add_node(m, "Neg", {"x"}, {"a"});
        add_node(m, "Exp", {"a"}, {"b"});
        add_node(m, "Tanh", {"b"}, {"c"});
        add_node(m, "Abs", {"c"}, {"y"});
        add_output(m, "b", kFloat, {8});
        add_output(m, "y", kFloat, {8});
        Graph before = inferred(*import_model(m));
        Graph after = fused(before);
        REQUIRE(after.nodes.size() == 2);
        CHECK(count_ops(after, "ElementwiseChain") == 2);
        CHECK(after.nodes[0].outputs[0] == before.find_value("b"));
        CHECK(after.outputs == before.outputs);
        require_same_outputs(before, after, random_inputs(before, 5));
    }
    SECTION("an intermediate with two readers ends the chain there") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {8});
        add_node(m, "Neg", {"x"}, {"a"});
        add_node(m, "Exp", {"a"}, {"b"});
        add_node(m, "Tanh", {"b"}, {"c"});
        add_node(m, "Sigmoid", {"b"}, {"d"});
        add_node(m, "Add", {"c", "d"}, {"y"});
        add_output(m, "y", kFloat, {8});
        Graph before = inferred(*import_model(m));
        Graph after = fused(before);
        // Neg+Exp fuse; Tanh+Add fuse (d is a same-shape run-time operand); Sigmoid stays alone.
        CHECK(count_ops(after, "ElementwiseChain") == 2);
        CHECK(count_ops(after, "Sigmoid") == 1);
        CHECK(after.nodes.size() == 3);
        require_same_outputs(before, after, random_inputs(before, 6));
    }
    SECTION("a broadcast that grows the shape, an operand that is not per-channel, a lone op, int64") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {3});
        add_input(m, "x2", kFloat, {2, 3, 4});
        add_input(m, "i", kInt64, {4});
        add_initializer(m, raw_float_tensor("b", {2, 3}, {1, 2, 3, 4, 5, 6}));
        add_initializer(m, raw_float_tensor("w", {2, 1, 4}, {1, 2, 3, 4, 5, 6, 7, 8}));
        add_node(m, "Relu", {"x"}, {"a"});
        add_node(m, "Add", {"a", "b"}, {"y"});     // [3] + [2,3] -> [2,3]: not fused into Relu
        add_node(m, "Mul", {"x2", "w"}, {"m"});    // [2,1,4]: two runs of dims, not one
        add_node(m, "Neg", {"m"}, {"y2"});
        add_node(m, "Neg", {"i"}, {"j"});
        add_node(m, "Abs", {"j"}, {"y3"});
        add_output(m, "y", kFloat, {2, 3});
        add_output(m, "y2", kFloat, {2, 3, 4});
        add_output(m, "y3", kInt64, {4});
        Graph before = inferred(*import_model(m));
        Graph after = fused(before);
        CHECK(count_ops(after, "ElementwiseChain") == 0);
        CHECK(after.nodes.size() == before.nodes.size());
        require_same_outputs(before, after, random_inputs(before, 7));
    }
}

TEST_CASE("fusing random elementwise graphs keeps their outputs bit for bit", "[passes][fuse_elementwise]") {
    int chains = 0, removed = 0;
    for (uint32_t seed = 500; seed < 560; ++seed) {
        INFO("seed " << seed);
        Graph before = inferred(*import_model(random_elementwise_model(seed, 20)));
        Graph after = fused(before);
        chains += count_ops(after, "ElementwiseChain");
        removed += int(before.nodes.size() - after.nodes.size());
        CHECK(after.outputs == before.outputs);
        // Every chain's intermediates are gone: no value is produced twice, order stays topological.
        std::vector<bool> ready(after.values.size(), false);
        for (ValueId id : after.inputs) ready[std::size_t(id)] = true;
        for (std::size_t v = 0; v < after.values.size(); ++v)
            if (after.values[v].is_constant()) ready[v] = true;
        for (const Node& n : after.nodes) {
            for (ValueId id : n.inputs) CHECK(ready[std::size_t(id)]);
            for (ValueId id : n.outputs) ready[std::size_t(id)] = true;
        }
        require_same_outputs(before, after, random_inputs(before, seed));
    }
    INFO("chains " << chains << ", nodes removed " << removed);
    CHECK(chains > 0);
}
