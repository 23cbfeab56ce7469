// fold-affine: Mul / Add by per-channel or scalar constants after a Conv or Gemm fold into its weights and
// bias; other cases stay. Outputs agree with the reference before the pass.
#include <catch2/catch.hpp>

#include "passes/fusion_check.h"

using namespace kiln;
using namespace kiln::test;

TEST_CASE("Mul then Add by per-channel constants fold into a Conv", "[passes][fold_affine]") {
    // Constant shapes: [C,1,1], [1,C,1,1], scalar [1], rank 0; Conv with and without bias.
    const std::vector<std::vector<int64_t>> shapes = {{4, 1, 1}, {1, 4, 1, 1}, {1}, {}};
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        for (bool bias : {true, false}) {
            INFO("shape " << i << " bias " << bias);
            onnx::ModelProto m = make_model();
            add_input(m, "x", kFloat, {2, 3, 5, 5});
            add_random(m, "w", {4, 3, 3, 3}, 1);
            std::vector<std::string> ins = {"x", "w"};
            if (bias) {
                add_random(m, "b", {4}, 2);
                ins.push_back("b");
            }
            add_node(m, "Conv", ins, {"c"});
            add_random(m, "s", shapes[i], 3, 0.5f, 2.0f);
            add_random(m, "t", shapes[i], 4);
            add_node(m, "Mul", {"s", "c"}, {"m"});
            add_node(m, "Add", {"m", "t"}, {"y"});
            add_output(m, "y", kFloat, {2, 4, 3, 3});
            Graph before = load(m);
            Graph after = apply(fold_affine, before);
            REQUIRE(after.nodes.size() == 1);
            CHECK(after.nodes[0].op_type == "Conv");
            CHECK(after.nodes[0].has_input(2));
            CHECK(after.nodes[0].outputs[0] == after.outputs[0]);
            require_close_outputs(before, after);
        }
    }
}

TEST_CASE("Mul and Add by per-column constants fold into a Gemm", "[passes][fold_affine]") {
    onnx::ModelProto m = make_model();
    add_input(m, "a", kFloat, {3, 5});
    add_random(m, "w", {6, 5}, 5);
    add_random(m, "c", {3, 1}, 6);
    onnx::NodeProto* g = add_node(m, "Gemm", {"a", "w", "c"}, {"g"});
    set_int(g, "transB", 1);
    set_float(g, "beta", 0.5f);
    add_random(m, "s", {6}, 7);
    add_random(m, "t", {1, 6}, 8);
    add_node(m, "Mul", {"g", "s"}, {"m"});
    add_node(m, "Add", {"m", "t"}, {"y"});
    add_output(m, "y", kFloat, {3, 6});
    Graph before = load(m);
    Graph after = apply(fold_affine, before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].op_type == "Gemm");
    require_close_outputs(before, after);
}

TEST_CASE("Mul / Add that must stay", "[passes][fold_affine]") {
    // 0: per-element constant (varies over space); 1: Conv output with two readers; 2: run-time operand;
    // 3: Conv with run-time weights; 4: Conv output is a graph output.
    for (int variant = 0; variant < 5; ++variant) {
        INFO("variant " << variant);
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 3, 5, 5});
        if (variant == 3) add_input(m, "w", kFloat, {4, 3, 3, 3});
        else add_random(m, "w", {4, 3, 3, 3}, 1);
        add_node(m, "Conv", {"x", "w"}, {"c"});
        if (variant == 2) add_input(m, "s", kFloat, {4, 1, 1});
        else add_random(m, "s", variant == 0 ? std::vector<int64_t>{4, 3, 1} : std::vector<int64_t>{4, 1, 1}, 2);
        add_node(m, "Mul", {"c", "s"}, {"y"});
        add_output(m, "y", kFloat, {1, 4, 3, 3});
        if (variant == 1) {
            add_node(m, "Relu", {"c"}, {"r"});
            add_output(m, "r", kFloat, {1, 4, 3, 3});
        }
        if (variant == 4) add_output(m, "c", kFloat, {1, 4, 3, 3});
        Graph before = load(m);
        Graph after = apply(fold_affine, before);
        CHECK(count_ops(after, "Mul") == 1);
        require_close_outputs(before, after);
    }
}

TEST_CASE("Mul by a per-channel constant folds into a grouped ConvTranspose", "[passes][fold_affine]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 4, 3, 3});
    add_random(m, "w", {4, 3, 2, 2}, 1);  // group 2: 6 output channels
    set_int(add_node(m, "ConvTranspose", {"x", "w"}, {"c"}), "group", 2);
    add_random(m, "s", {6, 1, 1}, 2);
    add_node(m, "Mul", {"c", "s"}, {"y"});
    add_output(m, "y", kFloat, {1, 6, 4, 4});
    Graph before = load(m);
    Graph after = apply(fold_affine, before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].op_type == "ConvTranspose");
    CHECK_FALSE(after.nodes[0].has_input(2));  // a pure scale creates no bias
    require_close_outputs(before, after);
}
