// eliminate-common-subexpressions: equal nodes and equal constants merge (to a fixed point); different
// attributes, random ops and two graph outputs keep their nodes. Outputs compared with the reference evaluator.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

namespace {

Graph cse(const Graph& g) {
    Expected<Graph> r = eliminate_common_subexpressions(g);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return std::move(*r);
}

// Bytes of the constants some node reads (what the generated code stores as weights).
std::size_t weight_bytes(const Graph& g) {
    std::vector<bool> read(g.values.size(), false);
    for (const Node& n : g.nodes)
        for (ValueId id : n.inputs)
            if (id != kNoValue) read[std::size_t(id)] = true;
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < g.values.size(); ++i)
        if (read[i] && g.values[i].is_constant()) bytes += g.values[i].data->nbytes();
    return bytes;
}

}  // namespace

TEST_CASE("equal nodes merge, and merging makes their readers equal too", "[passes][eliminate_common_subexpressions]") {
    // y = Sigmoid(Relu(x)) + Sigmoid(Relu(x)): two rounds of merging leave Relu, Sigmoid, Add.
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {2, 3});
    add_node(m, "Relu", {"x"}, {"r1"});
    add_node(m, "Relu", {"x"}, {"r2"});
    add_node(m, "Sigmoid", {"r1"}, {"s1"});
    add_node(m, "Sigmoid", {"r2"}, {"s2"});
    add_node(m, "Add", {"s1", "s2"}, {"y"});
    add_output(m, "y", kFloat, {2, 3});
    Graph before = inferred(*import_model(m));
    Graph after = cse(before);
    REQUIRE(after.nodes.size() == 3);
    CHECK(count_ops(after, "Relu") == 1);
    CHECK(count_ops(after, "Sigmoid") == 1);
    CHECK(after.nodes[2].inputs[0] == after.nodes[2].inputs[1]);
    CHECK(after.outputs == before.outputs);
    require_same_outputs(before, after, random_inputs(before, 1));
}

TEST_CASE("two copies of the same weight are stored once", "[passes][eliminate_common_subexpressions]") {
    // x * w1 + x * w2 with w1 == w2 byte for byte: the weights merge, then the two Muls.
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    add_initializer(m, raw_float_tensor("w1", {4}, {1, 2, 3, 4}));
    add_initializer(m, typed_float_tensor("w2", {4}, {1, 2, 3, 4}));
    add_initializer(m, raw_float_tensor("w3", {4}, {1, 2, 3, 5}));  // differs: stays
    add_node(m, "Mul", {"x", "w1"}, {"a"});
    add_node(m, "Mul", {"x", "w2"}, {"b"});
    add_node(m, "Mul", {"x", "w3"}, {"c"});
    add_node(m, "Add", {"a", "b"}, {"ab"});
    add_node(m, "Add", {"ab", "c"}, {"y"});
    add_output(m, "y", kFloat, {4});
    Graph before = inferred(*import_model(m));
    Graph after = cse(before);
    CHECK(weight_bytes(before) == 48);
    CHECK(weight_bytes(after) == 32);
    CHECK(count_ops(after, "Mul") == 2);
    CHECK(after.nodes.size() == 4);
    require_same_outputs(before, after, random_inputs(before, 2));
}

TEST_CASE("a merged node that is a graph output keeps its value id", "[passes][eliminate_common_subexpressions]") {
    SECTION("the second copy is the graph output: the first node writes it") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {4});
        add_node(m, "Relu", {"x"}, {"t"});
        add_node(m, "Sigmoid", {"t"}, {"z"});
        add_node(m, "Relu", {"x"}, {"y"});
        add_output(m, "z", kFloat, {4});
        add_output(m, "y", kFloat, {4});
        Graph before = inferred(*import_model(m));
        Graph after = cse(before);
        REQUIRE(after.nodes.size() == 2);
        CHECK(after.outputs == before.outputs);
        CHECK(after.nodes[0].outputs[0] == before.find_value("y"));
        CHECK(after.nodes[1].inputs[0] == before.find_value("y"));
        require_same_outputs(before, after, random_inputs(before, 3));
    }
    SECTION("both copies are graph outputs: both stay") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {4});
        add_node(m, "Relu", {"x"}, {"y1"});
        add_node(m, "Relu", {"x"}, {"y2"});
        add_output(m, "y1", kFloat, {4});
        add_output(m, "y2", kFloat, {4});
        Graph before = inferred(*import_model(m));
        Graph after = cse(before);
        CHECK(after.nodes.size() == 2);
        require_same_outputs(before, after, random_inputs(before, 4));
    }
}

TEST_CASE("nodes that differ in attributes, opset or inputs stay", "[passes][eliminate_common_subexpressions]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    add_input(m, "x2", kFloat, {4});
    set_float(add_node(m, "LeakyRelu", {"x"}, {"a"}), "alpha", 0.1f);
    set_float(add_node(m, "LeakyRelu", {"x"}, {"b"}), "alpha", 0.2f);
    set_float(add_node(m, "LeakyRelu", {"x"}, {"c"}), "alpha", 0.0f);
    set_float(add_node(m, "LeakyRelu", {"x"}, {"d"}), "alpha", -0.0f);  // equal as numbers, not as bits
    add_node(m, "Relu", {"x2"}, {"e"});
    add_node(m, "Sum", {"a", "b", "c", "d", "e"}, {"y"});
    add_output(m, "y", kFloat, {4});
    Graph before = inferred(*import_model(m));
    Graph after = cse(before);
    CHECK(after.nodes.size() == before.nodes.size());
    require_same_outputs(before, after, random_inputs(before, 5));
}

TEST_CASE("tensor and float-list attributes are compared bit for bit", "[passes][eliminate_common_subexpressions]") {
    // Relu's kernel ignores these attributes, so the graph still evaluates; only the comparison matters.
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    for (const char* y : {"a", "b", "c", "d", "e", "f"}) add_node(m, "Relu", {"x"}, {y});
    add_node(m, "Sum", {"a", "b", "c", "d", "e", "f"}, {"y"});
    add_output(m, "y", kFloat, {4});
    Graph before = inferred(*import_model(m));
    auto tensor_attr = [](std::vector<float> v) {
        Attribute a;
        a.kind = Attribute::Kind::Tensor;
        a.t = float_tensor({int64_t(v.size())}, v);
        return a;
    };
    auto floats_attr = [](std::vector<float> v) {
        Attribute a;
        a.kind = Attribute::Kind::Floats;
        a.floats = v;
        return a;
    };
    before.nodes[0].attrs["t"] = tensor_attr({1, 2});
    before.nodes[1].attrs["t"] = tensor_attr({1, 2});  // equal to node 0: merges
    before.nodes[2].attrs["t"] = tensor_attr({1, 3});
    before.nodes[3].attrs["f"] = floats_attr({0.0f, 1.5f});
    before.nodes[4].attrs["f"] = floats_attr({-0.0f, 1.5f});  // equal as numbers, not as bits
    before.nodes[5].attrs["f"] = floats_attr({0.0f, 1.5f});   // equal to node 3: merges
    Graph after = cse(before);
    CHECK(count_ops(after, "Relu") == 4);
    require_same_outputs(before, after, random_inputs(before, 6));
}

TEST_CASE("random ops and subgraph nodes are never merged", "[passes][eliminate_common_subexpressions]") {
    // Kiln runs no random op, so the graph is built and then renamed: only the structure is checked.
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    add_node(m, "Relu", {"x"}, {"a"});
    add_node(m, "Relu", {"x"}, {"b"});
    add_node(m, "Relu", {"x"}, {"c"});
    add_node(m, "Relu", {"x"}, {"d"});
    add_node(m, "Sum", {"a", "b", "c", "d"}, {"y"});
    add_output(m, "y", kFloat, {4});
    Graph g = inferred(*import_model(m));
    g.nodes[0].op_type = g.nodes[1].op_type = "RandomNormalLike";
    Attribute body;
    body.kind = Attribute::Kind::Graph;
    body.g = std::make_shared<Graph>();
    g.nodes[2].attrs["body"] = body;
    g.nodes[3].attrs["body"] = body;
    Graph after = cse(g);
    CHECK(after.nodes.size() == 5);
}

TEST_CASE("common-subexpression elimination keeps the outputs of random graphs", "[passes][eliminate_common_subexpressions]") {
    int merged = 0;
    for (uint32_t seed = 400; seed < 440; ++seed) {
        INFO("seed " << seed);
        Graph before = inferred(*import_model(random_elementwise_model(seed, 24)));
        Graph after = cse(before);
        merged += int(before.nodes.size() - after.nodes.size());
        CHECK(after.outputs == before.outputs);
        require_same_outputs(before, after, random_inputs(before, seed));
        CHECK(cse(after).nodes.size() == after.nodes.size());  // a fixed point
    }
    INFO("merged " << merged);
}
