// fuse-epilogue: Conv / ConvTranspose / Gemm + residual Add + activation become one kiln Fused* node when
// every intermediate has one reader; outputs agree with the reference before the pass.
#include <catch2/catch.hpp>

#include "passes/fusion_check.h"

using namespace kiln;
using namespace kiln::test;

namespace {

// x [1, 4, 6, 6] -> Conv 3x3 pad 1 (6 channels) -> "c".
void add_conv(onnx::ModelProto& m, const std::string& out = "c", uint32_t seed = 1) {
    add_random(m, out + "_w", {6, 4, 3, 3}, seed);
    add_random(m, out + "_b", {6}, seed + 1);
    onnx::NodeProto* n = add_node(m, "Conv", {"x", out + "_w", out + "_b"}, {out}, out + "_conv");
    set_ints(n, "pads", {1, 1, 1, 1});
}

// Appends the activation `act` reading `in`, writing `out`.
void add_activation(onnx::ModelProto& m, const std::string& act, const std::string& in, const std::string& out) {
    if (act == "Silu") {
        add_node(m, "Sigmoid", {in}, {in + "_sig"});
        add_node(m, "Mul", {in, in + "_sig"}, {out});
    } else if (act == "Clip") {
        add_initializer(m, raw_float_tensor("lo", {}, {0.0f}));
        add_initializer(m, raw_float_tensor("hi", {}, {6.0f}));
        add_node(m, "Clip", {in, "lo", "hi"}, {out});
    } else if (act == "LeakyRelu") {
        set_float(add_node(m, "LeakyRelu", {in}, {out}), "alpha", 0.2f);
    } else if (act == "HardSigmoid") {
        onnx::NodeProto* n = add_node(m, "HardSigmoid", {in}, {out});
        set_float(n, "alpha", 0.3f);
        set_float(n, "beta", 0.4f);
    } else {
        add_node(m, act, {in}, {out});
    }
}

const char* const kActivations[] = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Silu", "Tanh"};

}  // namespace

TEST_CASE("Conv + activation fuses into FusedConv for every activation", "[passes][fuse_epilogue]") {
    for (const char* act : kActivations) {
        INFO(act);
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 4, 6, 6});
        add_conv(m);
        add_activation(m, act, "c", "y");
        add_output(m, "y", kFloat, {1, 6, 6, 6});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        REQUIRE(after.nodes.size() == 1);
        const Node& f = after.nodes[0];
        CHECK(f.op_type == "FusedConv");
        CHECK(f.domain == "kiln");
        CHECK(f.attrs.at("activation").s == act);
        CHECK(f.outputs[0] == after.outputs[0]);
        CHECK(f.attrs.at("pads").ints == std::vector<int64_t>{1, 1, 1, 1});
        require_close_outputs(before, after);
    }
}

TEST_CASE("residual Add with and without activation (ResNet, MobileNetV2 blocks)", "[passes][fuse_epilogue]") {
    for (bool relu : {true, false}) {
        for (bool z_first : {true, false}) {
            INFO("relu " << relu << " z first " << z_first);
            onnx::ModelProto m = make_model();
            add_input(m, "x", kFloat, {1, 4, 6, 6});
            add_input(m, "z", kFloat, {1, 6, 6, 6});
            add_conv(m);
            add_node(m, "Add", z_first ? std::vector<std::string>{"z", "c"} : std::vector<std::string>{"c", "z"},
                     {relu ? "s" : "y"});
            if (relu) add_node(m, "Relu", {"s"}, {"y"});
            add_output(m, "y", kFloat, {1, 6, 6, 6});
            Graph before = load(m);
            Graph after = apply(fuse_epilogue, before);
            REQUIRE(after.nodes.size() == 1);
            const Node& f = after.nodes[0];
            CHECK(f.op_type == "FusedConv");
            REQUIRE(f.inputs.size() == 4);
            CHECK(f.inputs[3] == after.find_value("z"));
            CHECK(f.attrs.at("activation").s == (relu ? "Relu" : ""));
            require_close_outputs(before, after);
        }
    }
}

TEST_CASE("residual from a second Conv computed after the first; no bias", "[passes][fuse_epilogue]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 4, 6, 6});
    add_random(m, "w1", {6, 4, 1, 1}, 3);
    add_node(m, "Conv", {"x", "w1"}, {"c1"});
    add_conv(m, "c2", 5);
    add_node(m, "Add", {"c1", "c2"}, {"s"});
    add_node(m, "Relu", {"s"}, {"y"});
    add_output(m, "y", kFloat, {1, 6, 6, 6});
    Graph before = load(m);
    Graph after = apply(fuse_epilogue, before);
    REQUIRE(after.nodes.size() == 2);  // the Conv producing c2 stays, then FusedConv reads it as Z
    CHECK(after.nodes[0].op_type == "Conv");
    CHECK(after.nodes[1].op_type == "FusedConv");
    CHECK_FALSE(after.nodes[1].has_input(2));
    CHECK(after.nodes[1].inputs[3] == after.find_value("c2"));
    require_close_outputs(before, after);
}

TEST_CASE("Gemm and ConvTranspose epilogues", "[passes][fuse_epilogue]") {
    SECTION("Gemm + residual + Clip") {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {3, 5});
        add_input(m, "z", kFloat, {3, 7});
        add_random(m, "w", {7, 5}, 6);
        add_random(m, "cb", {7}, 7);
        onnx::NodeProto* g = add_node(m, "Gemm", {"a", "w", "cb"}, {"g"});
        set_int(g, "transB", 1);
        set_float(g, "alpha", 0.7f);
        add_node(m, "Add", {"g", "z"}, {"s"});
        add_activation(m, "Clip", "s", "y");
        add_output(m, "y", kFloat, {3, 7});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].op_type == "FusedGemm");
        CHECK(after.nodes[0].attrs.at("activation_params").floats == std::vector<float>{0.0f, 6.0f});
        require_close_outputs(before, after);
    }
    SECTION("ConvTranspose + Sigmoid") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 2, 3, 3});
        add_random(m, "w", {2, 3, 3, 3}, 8);
        set_ints(add_node(m, "ConvTranspose", {"x", "w"}, {"c"}), "strides", {2, 2});
        add_node(m, "Sigmoid", {"c"}, {"y"});
        add_output(m, "y", kFloat, {1, 3, 7, 7});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].op_type == "FusedConvTranspose");
        require_close_outputs(before, after);
    }
}

TEST_CASE("what must not fuse", "[passes][fuse_epilogue]") {
    SECTION("the Conv output has two readers") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 4, 6, 6});
        add_conv(m);
        add_node(m, "Relu", {"c"}, {"y"});
        add_node(m, "Sigmoid", {"c"}, {"y2"});
        add_output(m, "y", kFloat, {1, 6, 6, 6});
        add_output(m, "y2", kFloat, {1, 6, 6, 6});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        CHECK(after.nodes.size() == 3);
        CHECK(count_ops(after, "Conv") == 1);
        require_close_outputs(before, after);
    }
    SECTION("an intermediate is a graph output: only what follows it stays apart") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 4, 6, 6});
        add_input(m, "z", kFloat, {1, 6, 6, 6});
        add_conv(m);
        add_node(m, "Add", {"c", "z"}, {"s"});
        add_node(m, "Relu", {"s"}, {"y"});
        add_output(m, "s", kFloat, {1, 6, 6, 6});
        add_output(m, "y", kFloat, {1, 6, 6, 6});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        REQUIRE(after.nodes.size() == 2);
        CHECK(after.nodes[0].op_type == "FusedConv");  // Conv + Add; Relu reads the graph output s
        CHECK(after.nodes[0].attrs.at("activation").s == "");
        CHECK(after.nodes[1].op_type == "Relu");
        require_close_outputs(before, after);
    }
    SECTION("the Add's other operand broadcasts") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 4, 6, 6});
        add_input(m, "z", kFloat, {1, 6, 1, 1});
        add_input(m, "hi", kFloat, {});
        add_conv(m);
        add_node(m, "Add", {"c", "z"}, {"s"});
        add_node(m, "Clip", {"s", "", "hi"}, {"y"});
        add_output(m, "y", kFloat, {1, 6, 6, 6});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        CHECK(after.nodes.size() == 3);
        CHECK(count_domain_ops(after, "FusedConv") == 0);
        require_close_outputs(before, after);
    }
    SECTION("Clip with a run-time bound") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 4, 6, 6});
        add_input(m, "hi", kFloat, {});
        add_conv(m);
        add_node(m, "Clip", {"c", "", "hi"}, {"y"});
        add_output(m, "y", kFloat, {1, 6, 6, 6});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        CHECK(after.nodes.size() == 2);
        CHECK(count_ops(after, "Conv") == 1);
        require_close_outputs(before, after);
    }
    SECTION("x * Sigmoid(x) where the Sigmoid has another reader") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 4, 6, 6});
        add_conv(m);
        add_node(m, "Sigmoid", {"c"}, {"sg"});
        add_node(m, "Mul", {"c", "sg"}, {"y"});
        add_output(m, "y", kFloat, {1, 6, 6, 6});
        add_output(m, "sg", kFloat, {1, 6, 6, 6});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        CHECK(after.nodes.size() == 3);
        CHECK(count_domain_ops(after, "FusedConv") == 0);
        require_close_outputs(before, after);
    }
}

TEST_CASE("fuse-matmul-add's FusedGemm takes an activation; Clip bounds as attributes (opset 10)",
          "[passes][fuse_epilogue]") {
    SECTION("N-D MatMul + bias + Relu") {
        onnx::ModelProto m = make_model();
        add_input(m, "a", kFloat, {2, 3, 5});
        add_random(m, "w", {5, 4}, 1);
        add_random(m, "b", {4}, 2);
        add_node(m, "MatMul", {"a", "w"}, {"h"});
        add_node(m, "Add", {"h", "b"}, {"hb"});
        add_node(m, "Relu", {"hb"}, {"y"});
        add_output(m, "y", kFloat, {2, 3, 4});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, apply(fuse_matmul_add, before));
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].op_type == "FusedGemm");
        CHECK(after.nodes[0].attrs.at("activation").s == "Relu");
        require_close_outputs(before, after);
    }
    SECTION("Clip(min, max) attributes") {
        onnx::ModelProto m = make_model(10);
        add_input(m, "x", kFloat, {1, 4, 6, 6});
        add_conv(m);
        onnx::NodeProto* clip = add_node(m, "Clip", {"c"}, {"y"});
        set_float(clip, "min", -0.5f);
        set_float(clip, "max", 0.5f);
        add_output(m, "y", kFloat, {1, 6, 6, 6});
        Graph before = load(m);
        Graph after = apply(fuse_epilogue, before);
        REQUIRE(after.nodes.size() == 1);
        CHECK(after.nodes[0].attrs.at("activation_params").floats == std::vector<float>{-0.5f, 0.5f});
        require_close_outputs(before, after);
    }
}
