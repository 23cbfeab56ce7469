// fold-batchnorm: BatchNormalization folds into the producing Conv / ConvTranspose / Gemm / MatMul, or
// becomes Mul + Add by constants; never survives; outputs agree with the reference before the pass.
#include <catch2/catch.hpp>

#include "passes/fusion_check.h"

using namespace kiln;
using namespace kiln::test;

namespace {

// BN statistics for c channels named bn_*; var is positive.
void add_bn(onnx::ModelProto& m, const std::string& x, const std::string& y, int64_t c, uint32_t seed) {
    add_random(m, "bn_scale", {c}, seed, 0.5f, 2.0f);
    add_random(m, "bn_bias", {c}, seed + 1);
    add_random(m, "bn_mean", {c}, seed + 2);
    add_random(m, "bn_var", {c}, seed + 3, 0.1f, 2.0f);
    onnx::NodeProto* n = add_node(m, "BatchNormalization", {x, "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {y}, "bn");
    set_float(n, "epsilon", 1e-3f);
}

}  // namespace

TEST_CASE("BatchNormalization folds into a Conv's weights and bias", "[passes][fold_batchnorm]") {
    for (int group : {1, 2, 4}) {
        INFO("group " << group);
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {2, 4, 7, 7});
        add_random(m, "w", {12, 4 / group, 3, 3}, 1);
        add_random(m, "b", {12}, 2);
        onnx::NodeProto* conv = add_node(m, "Conv", {"x", "w", "b"}, {"c"}, "conv");
        set_int(conv, "group", group);
        set_ints(conv, "strides", {2, 2});
        set_ints(conv, "pads", {1, 0, 1, 1});
        add_bn(m, "c", "y", 12, 10);
        add_output(m, "y", kFloat, {2, 12, 4, 3});
        Graph before = load(m);
        Graph after = apply(fold_batchnorm, before);
        CHECK(count_ops(after, "BatchNormalization") == 0);
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].op_type == "Conv");
        CHECK(after.nodes[0].outputs[0] == after.outputs[0]);  // the graph output keeps its value
        CHECK(after.nodes[0].inputs[1] != before.find_value("w"));  // new weights, not mutated in place
        CHECK(after.value(after.find_value("w")).data->same_bytes(*before.value(before.find_value("w")).data));
        require_close_outputs(before, after);
    }
}

TEST_CASE("a Conv without bias gets one; a depthwise Conv folds per channel", "[passes][fold_batchnorm]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 5, 6, 6});
    add_random(m, "w", {5, 1, 3, 3}, 3);
    onnx::NodeProto* conv = add_node(m, "Conv", {"x", "w"}, {"c"});
    set_int(conv, "group", 5);
    add_bn(m, "c", "y", 5, 20);
    add_output(m, "y", kFloat, {1, 5, 4, 4});
    Graph before = load(m);
    Graph after = apply(fold_batchnorm, before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].has_input(2));
    require_close_outputs(before, after);
}

TEST_CASE("BatchNormalization folds into ConvTranspose with groups", "[passes][fold_batchnorm]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 4, 3, 3});
    add_random(m, "w", {4, 3, 2, 2}, 4);  // [Cin, Cout/group, k, k], group 2: 6 outputs
    add_random(m, "b", {6}, 5);
    onnx::NodeProto* ct = add_node(m, "ConvTranspose", {"x", "w", "b"}, {"c"});
    set_int(ct, "group", 2);
    set_ints(ct, "strides", {2, 2});
    add_bn(m, "c", "y", 6, 30);
    add_output(m, "y", kFloat, {1, 6, 6, 6});
    Graph before = load(m);
    Graph after = apply(fold_batchnorm, before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].op_type == "ConvTranspose");
    require_close_outputs(before, after);
}

TEST_CASE("BatchNormalization folds into Gemm (transB, alpha, beta, bias shapes) and MatMul", "[passes][fold_batchnorm]") {
    struct Case {
        int trans_b;
        float alpha, beta;
        std::vector<int64_t> c_dims;  // empty: no C
    };
    for (const Case& k : {Case{1, 0.5f, 2.0f, {7}}, Case{0, 1.0f, 1.0f, {}}, Case{1, 1.5f, 0.5f, {3, 1}},
                          Case{0, 1.0f, -1.0f, {3, 7}}, Case{0, 1.0f, 1.0f, {1}}}) {
        INFO("transB " << k.trans_b << " C dims " << k.c_dims.size());
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {3, 5});
        add_random(m, "w", k.trans_b ? std::vector<int64_t>{7, 5} : std::vector<int64_t>{5, 7}, 6);
        std::vector<std::string> ins = {"a", "w"};
        if (!k.c_dims.empty()) {
            add_random(m, "cb", k.c_dims, 7);
            ins.push_back("cb");
        }
        onnx::NodeProto* gemm = add_node(m, "Gemm", ins, {"g"});
        set_int(gemm, "transB", k.trans_b);
        set_float(gemm, "alpha", k.alpha);
        set_float(gemm, "beta", k.beta);
        add_bn(m, "g", "y", 7, 40);
        add_output(m, "y", kFloat, {3, 7});
        Graph before = load(m);
        Graph after = apply(fold_batchnorm, before);
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].op_type == "Gemm");
        require_close_outputs(before, after);
    }
    SECTION("MatMul with a constant matrix becomes a Gemm") {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {4, 5});
        add_random(m, "w", {5, 6}, 8);
        add_node(m, "MatMul", {"a", "w"}, {"g"});
        add_bn(m, "g", "y", 6, 50);
        add_output(m, "y", kFloat, {4, 6});
        Graph before = load(m);
        Graph after = apply(fold_batchnorm, before);
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].op_type == "Gemm");
        require_close_outputs(before, after);
    }
}

TEST_CASE("a BatchNormalization with nothing to fold into becomes Mul and Add by constants", "[passes][fold_batchnorm]") {
    // Cases: on a graph input; after a Conv whose output has a second reader; after a Conv whose output is
    // a graph output; after a Conv with run-time weights.
    for (int variant = 0; variant < 4; ++variant) {
        INFO("variant " << variant);
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {2, 3, 5, 5});
        std::string bn_in = "x";
        if (variant > 0) {
            if (variant == 3) add_input(m, "w", kFloat, {3, 3, 1, 1});
            else add_random(m, "w", {3, 3, 1, 1}, 9);
            add_node(m, "Conv", {"x", "w"}, {"c"});
            bn_in = "c";
        }
        add_bn(m, bn_in, "y", 3, 60);
        add_output(m, "y", kFloat, {2, 3, 5, 5});
        if (variant == 1) {
            add_node(m, "Relu", {"c"}, {"r"});
            add_output(m, "r", kFloat, {2, 3, 5, 5});
        }
        if (variant == 2) add_output(m, "c", kFloat, {2, 3, 5, 5});
        Graph before = load(m);
        Graph after = apply(fold_batchnorm, before);
        CHECK(count_ops(after, "BatchNormalization") == 0);
        CHECK(count_ops(after, "Mul") == 1);
        CHECK(count_ops(after, "Add") == 1);
        CHECK(count_ops(after, "Conv") == (variant > 0 ? 1 : 0));
        const Node* mul = find_node(after, "Mul");
        REQUIRE(mul);
        CHECK(after.value(mul->inputs[1]).shape == Shape{3, 1, 1});
        if (variant > 0) {
            const Node* conv = find_node(after, "Conv");
            CHECK(conv->inputs[1] == before.find_value("w"));  // untouched
        }
        require_close_outputs(before, after);
    }
}

TEST_CASE("two Convs sharing weights each fold without changing the shared weight", "[passes][fold_batchnorm]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 2, 4, 4});
    add_random(m, "w", {2, 2, 3, 3}, 11);
    add_node(m, "Conv", {"x", "w"}, {"c1"});
    add_node(m, "Conv", {"x", "w"}, {"c2"});
    add_bn(m, "c1", "y1", 2, 70);
    add_random(m, "s2", {2}, 80, 0.5f, 2.0f);
    add_random(m, "b2", {2}, 81);
    add_random(m, "m2", {2}, 82);
    add_random(m, "v2", {2}, 83, 0.1f, 2.0f);
    add_node(m, "BatchNormalization", {"c2", "s2", "b2", "m2", "v2"}, {"y2"});
    add_output(m, "y1", kFloat, {1, 2, 2, 2});
    add_output(m, "y2", kFloat, {1, 2, 2, 2});
    Graph before = load(m);
    Graph after = apply(fold_batchnorm, before);
    CHECK(count_ops(after, "BatchNormalization") == 0);
    CHECK(count_ops(after, "Conv") == 2);
    CHECK(after.nodes[0].inputs[1] != after.nodes[1].inputs[1]);
    CHECK(after.value(after.find_value("w")).data->same_bytes(*before.value(before.find_value("w")).data));
    require_close_outputs(before, after);
}

TEST_CASE("a chain of two BatchNormalizations folds into one Conv; float64 too", "[passes][fold_batchnorm]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", onnx::TensorProto::DOUBLE, {1, 3, 4, 4});
    Tensor w(DType::Float64, {3, 3, 1, 1});
    for (int64_t i = 0; i < w.numel(); ++i) w.set_from_double(i, 0.1 * double(i % 7) - 0.3);
    add_initializer(m, to_proto(w, "w"));
    add_node(m, "Conv", {"x", "w"}, {"c"});
    for (const char* s : {"s", "b", "m", "v"}) {
        Tensor t(DType::Float64, {3});
        for (int64_t i = 0; i < 3; ++i) t.set_from_double(i, 0.5 + 0.25 * double(i));
        add_initializer(m, to_proto(t, s));
    }
    add_node(m, "BatchNormalization", {"c", "s", "b", "m", "v"}, {"n1"});
    add_node(m, "BatchNormalization", {"n1", "s", "b", "m", "v"}, {"y"});
    add_output(m, "y", onnx::TensorProto::DOUBLE, {1, 3, 4, 4});
    Graph before = load(m);
    Graph after = apply(fold_batchnorm, before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].op_type == "Conv");
    require_close_outputs(before, after, 3, 1e-12, 1e-12);
}
