// fuse-matmul-add: MatMul + Add(bias) becomes Gemm (2-D A) or a kiln FusedGemm (N-D A, constant 2-D B);
// other cases stay. Outputs agree with the reference before the pass.
#include <catch2/catch.hpp>

#include "passes/fusion_check.h"

using namespace kiln;
using namespace kiln::test;

TEST_CASE("MatMul + Add of a bias becomes Gemm", "[passes][fuse_matmul_add]") {
    // Bias shapes Gemm's C takes: [N], [1, N], [M, N], [M, 1], scalar; on either side of the Add; B at run time too.
    const std::vector<std::vector<int64_t>> biases = {{6}, {1, 6}, {4, 6}, {4, 1}, {}};
    for (std::size_t i = 0; i < biases.size(); ++i) {
        for (bool bias_first : {false, true}) {
            INFO("bias " << i << " first " << bias_first);
            onnx::ModelProto m = make_model();
            add_input(m, "a", kFloat, {4, 5});
            if (i == 2) add_input(m, "w", kFloat, {5, 6});
            else add_random(m, "w", {5, 6}, 1);
            add_random(m, "b", biases[i], 2);
            add_node(m, "MatMul", {"a", "w"}, {"h"});
            add_node(m, "Add", bias_first ? std::vector<std::string>{"b", "h"} : std::vector<std::string>{"h", "b"},
                     {"y"});
            add_output(m, "y", kFloat, {4, 6});
            Graph before = load(m);
            Graph after = apply(fuse_matmul_add, before);
            REQUIRE(after.nodes.size() == 1);
            CHECK(after.nodes[0].op_type == "Gemm");
            CHECK(after.nodes[0].outputs[0] == after.outputs[0]);
            require_close_outputs(before, after);
        }
    }
}

TEST_CASE("MatMul of an N-D activation by a constant matrix + bias becomes FusedGemm", "[passes][fuse_matmul_add]") {
    for (const std::vector<int64_t>& bias : {std::vector<int64_t>{7}, std::vector<int64_t>{1, 1, 7}}) {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {2, 3, 5});
        add_random(m, "w", {5, 7}, 3);
        add_random(m, "b", bias, 4);
        add_node(m, "MatMul", {"a", "w"}, {"h"});
        add_node(m, "Add", {"h", "b"}, {"y"});
        add_output(m, "y", kFloat, {2, 3, 7});
        Graph before = load(m);
        Graph after = apply(fuse_matmul_add, before);
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].op_type == "FusedGemm");
        CHECK(after.nodes[0].domain == "kiln");
        require_close_outputs(before, after);
    }
}

TEST_CASE("MatMul + Add that must stay", "[passes][fuse_matmul_add]") {
    // 0: MatMul output has a second reader; 1: it is a graph output; 2: the Add broadcasts the result up;
    // 3: N-D A with run-time B; 4: N-D A with a bias varying over rows.
    for (int variant = 0; variant < 5; ++variant) {
        INFO("variant " << variant);
        onnx::ModelProto m = make_model();
        const bool nd = variant >= 3;
        if (nd) add_input(m, "a", kFloat, {2, 4, 5});
        else add_input(m, "a", kFloat, {4, 5});
        if (variant == 3) add_input(m, "w", kFloat, {5, 6});
        else add_random(m, "w", {5, 6}, 5);
        if (variant == 2) add_random(m, "b", {3, 4, 6}, 6);
        else if (variant == 4) add_random(m, "b", {4, 6}, 6);
        else add_random(m, "b", {6}, 6);
        add_node(m, "MatMul", {"a", "w"}, {"h"});
        add_node(m, "Add", {"h", "b"}, {"y"});
        if (variant == 2) add_output(m, "y", kFloat, {3, 4, 6});
        else if (nd) add_output(m, "y", kFloat, {2, 4, 6});
        else add_output(m, "y", kFloat, {4, 6});
        if (variant == 0) {
            add_node(m, "Relu", {"h"}, {"r"});
            add_output(m, "r", kFloat, {4, 6});
        }
        if (variant == 1) add_output(m, "h", kFloat, {4, 6});
        Graph before = load(m);
        Graph after = apply(fuse_matmul_add, before);
        CHECK(count_ops(after, "MatMul") == 1);
        CHECK(count_ops(after, "Add") == 1);
        require_close_outputs(before, after);
    }
}
