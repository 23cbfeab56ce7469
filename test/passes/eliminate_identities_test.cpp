// eliminate-identities: no-op nodes go and readers read their input; graph outputs keep their value ids;
// nodes that change shape, dtype or bytes stay. Outputs compared with the reference evaluator.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

namespace {

Graph eliminated(const Graph& g) {
    Expected<Graph> r = eliminate_identities(g);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return std::move(*r);
}

}  // namespace

TEST_CASE("no-op nodes between two real ops are removed", "[passes][eliminate_identities]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {2, 3});
    add_initializer(m, int64_tensor("shape", {2}, {2, 3}));
    add_initializer(m, int64_tensor("pads", {4}, {0, 0, 0, 0}));
    add_initializer(m, int64_tensor("starts", {2}, {0, 0}));
    add_initializer(m, int64_tensor("ends", {2}, {2, 100}));
    add_initializer(m, int64_tensor("eshape", {2}, {2, 3}));
    add_initializer(m, raw_float_tensor("ones", {3}, {1, 1, 1}));
    add_initializer(m, raw_float_tensor("zero", {}, {0}));
    add_initializer(m, raw_float_tensor("one", {1}, {1}));
    add_node(m, "Relu", {"x"}, {"a"}, "first");
    add_node(m, "Identity", {"a"}, {"b"});
    add_node(m, "Dropout", {"b"}, {"c"});
    add_node(m, "Reshape", {"c", "shape"}, {"d"});
    set_ints(add_node(m, "Transpose", {"d"}, {"e"}), "perm", {0, 1});
    set_int(add_node(m, "Cast", {"e"}, {"f"}), "to", kFloat);
    add_node(m, "Mul", {"f", "ones"}, {"g"});
    add_node(m, "Add", {"zero", "g"}, {"h"});
    add_node(m, "Sub", {"h", "zero"}, {"i"});
    add_node(m, "Div", {"i", "one"}, {"j"});
    add_node(m, "Pad", {"j", "pads"}, {"k"});
    add_node(m, "Slice", {"k", "starts", "ends"}, {"l"});
    add_node(m, "Expand", {"l", "eshape"}, {"n"});
    set_int(add_node(m, "Concat", {"n"}, {"o"}), "axis", 0);
    add_node(m, "Sum", {"o"}, {"p"});
    add_node(m, "Max", {"p"}, {"q"});
    set_int(add_node(m, "Flatten", {"q"}, {"r"}), "axis", 1);
    add_node(m, "Squeeze", {"r"}, {"s"});  // no size-1 dims: nothing to squeeze
    add_node(m, "Sigmoid", {"s"}, {"y"}, "last");
    add_output(m, "y", kFloat, {2, 3});
    Graph before = inferred(*import_model(m));
    REQUIRE(before.nodes.size() == 19);
    Graph after = eliminated(before);
    REQUIRE(after.nodes.size() == 2);
    CHECK(after.nodes[0].name == "first");
    CHECK(after.nodes[1].name == "last");
    CHECK(after.nodes[1].inputs[0] == after.nodes[0].outputs[0]);
    CHECK(after.outputs == before.outputs);
    require_same_outputs(before, after, random_inputs(before, 1));
}

TEST_CASE("an identity writing a graph output: its producer writes the output instead", "[passes][eliminate_identities]") {
    // a = Relu(x) has one reader (the Identity), so Relu can write y directly; y's value id stays.
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    add_node(m, "Relu", {"x"}, {"a"}, "relu");
    add_node(m, "Identity", {"a"}, {"y"});
    add_node(m, "Sigmoid", {"y"}, {"z"}, "sig");
    add_output(m, "y", kFloat, {4});
    add_output(m, "z", kFloat, {4});
    Graph before = inferred(*import_model(m));
    Graph after = eliminated(before);
    REQUIRE(after.nodes.size() == 2);
    CHECK(after.outputs == before.outputs);
    CHECK(after.nodes[0].name == "relu");
    CHECK(after.nodes[0].outputs[0] == before.find_value("y"));
    CHECK(after.nodes[1].inputs[0] == before.find_value("y"));
    require_same_outputs(before, after, random_inputs(before, 2));
}

TEST_CASE("identities that must stay", "[passes][eliminate_identities]") {
    SECTION("the input has another reader and the output is a graph output") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {4});
        add_node(m, "Relu", {"x"}, {"a"});
        add_node(m, "Identity", {"a"}, {"y"});
        add_node(m, "Sigmoid", {"a"}, {"z"});
        add_output(m, "y", kFloat, {4});
        add_output(m, "z", kFloat, {4});
        Graph before = inferred(*import_model(m));
        Graph after = eliminated(before);
        CHECK(after.nodes.size() == 3);
        CHECK(count_ops(after, "Identity") == 1);
        require_same_outputs(before, after, random_inputs(before, 3));
    }
    SECTION("graph input copied to a graph output, and an identity between two graph outputs") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {4});
        add_node(m, "Identity", {"x"}, {"y"});
        add_node(m, "Relu", {"x"}, {"a"});
        add_node(m, "Identity", {"a"}, {"b"});
        add_output(m, "y", kFloat, {4});
        add_output(m, "a", kFloat, {4});
        add_output(m, "b", kFloat, {4});
        Graph before = inferred(*import_model(m));
        Graph after = eliminated(before);
        CHECK(count_ops(after, "Identity") == 2);
        CHECK(after.inputs == before.inputs);
        CHECK(after.outputs == before.outputs);
        require_same_outputs(before, after, random_inputs(before, 4));
    }
    SECTION("nodes that change the shape, dtype or order of the bytes") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {2, 3});
        add_initializer(m, int64_tensor("shape", {2}, {3, 2}));
        add_initializer(m, raw_float_tensor("ones", {2, 1, 3}, {1, 1, 1, 1, 1, 1}));
        add_initializer(m, raw_float_tensor("two", {1}, {2}));
        add_initializer(m, int64_tensor("starts", {1}, {-1}));
        add_initializer(m, int64_tensor("ends", {1}, {-100}));
        add_initializer(m, int64_tensor("axes", {1}, {1}));
        add_initializer(m, int64_tensor("steps", {1}, {-1}));
        add_node(m, "Reshape", {"x", "shape"}, {"r"});                   // changes the shape
        set_ints(add_node(m, "Transpose", {"x"}, {"t"}), "perm", {1, 0});  // moves bytes
        set_int(add_node(m, "Cast", {"x"}, {"c"}), "to", onnx::TensorProto::DOUBLE);
        add_node(m, "Mul", {"x", "ones"}, {"b"});                       // broadcast grows the shape
        add_node(m, "Mul", {"x", "two"}, {"d"});                        // not a neutral constant
        add_node(m, "Slice", {"x", "starts", "ends", "axes", "steps"}, {"s"});  // same shape, reversed
        add_output(m, "r", kFloat, {3, 2});
        add_output(m, "t", kFloat, {3, 2});
        add_output(m, "c", onnx::TensorProto::DOUBLE, {2, 3});
        add_output(m, "b", kFloat, {2, 2, 3});
        add_output(m, "d", kFloat, {2, 3});
        add_output(m, "s", kFloat, {2, 3});
        Graph before = inferred(*import_model(m));
        Graph after = eliminated(before);
        CHECK(after.nodes.size() == before.nodes.size());
        require_same_outputs(before, after, random_inputs(before, 5));
    }
    SECTION("Dropout whose mask is read, or in training mode") {
        onnx::ModelProto m = make_model(13);
        add_input(m, "x", kFloat, {4});
        add_node(m, "Dropout", {"x"}, {"d", "mask"});
        add_node(m, "Relu", {"d"}, {"y"});
        add_output(m, "y", kFloat, {4});
        add_output(m, "mask", onnx::TensorProto::BOOL, {4});
        Graph before = inferred(*import_model(m));
        Graph after = eliminated(before);
        CHECK(count_ops(after, "Dropout") == 1);
        require_same_outputs(before, after, random_inputs(before, 6));
    }
}

TEST_CASE("Dropout at inference with an unused mask and constant-false training_mode goes", "[passes][eliminate_identities]") {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {4});
    add_initializer(m, raw_float_tensor("ratio", {}, {0.3f}));
    onnx::TensorProto training;
    training.set_name("training");
    training.set_data_type(onnx::TensorProto::BOOL);
    training.add_int32_data(0);
    add_initializer(m, training);
    add_node(m, "Dropout", {"x", "ratio", "training"}, {"d", "unused_mask"});
    add_node(m, "Relu", {"d"}, {"y"});
    add_output(m, "y", kFloat, {4});
    Graph before = inferred(*import_model(m));
    Graph after = eliminated(before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].op_type == "Relu");
    CHECK(after.nodes[0].inputs[0] == after.inputs[0]);
    require_same_outputs(before, after, random_inputs(before, 7));
}

TEST_CASE("eliminating identities keeps the outputs of random graphs", "[passes][eliminate_identities]") {
    for (uint32_t seed = 300; seed < 330; ++seed) {
        INFO("seed " << seed);
        Graph before = inferred(*import_model(random_elementwise_model(seed, 16)));
        Graph after = eliminated(before);
        CHECK(after.outputs == before.outputs);
        CHECK(after.inputs == before.inputs);
        require_same_outputs(before, after, random_inputs(before, seed));
    }
}
