// fold-pad: a zero Pad of the spatial dims before a Conv or AveragePool(count_include_pad=1) moves into
// that node's pads; other Pads stay. Outputs agree with the reference before the pass.
#include <catch2/catch.hpp>

#include "passes/fusion_check.h"

using namespace kiln;
using namespace kiln::test;

namespace {

// x [1, 3, 6, 5] -> Pad(pads, value) -> "p".
void add_pad(onnx::ModelProto& m, std::vector<int64_t> pads, float value = 0.0f, bool with_value = false) {
    add_initializer(m, int64_tensor("pads", {8}, pads));
    std::vector<std::string> ins = {"x", "pads"};
    if (with_value) {
        add_initializer(m, raw_float_tensor("pv", {}, {value}));
        ins.push_back("pv");
    }
    add_node(m, "Pad", ins, {"p"});
}

}  // namespace

TEST_CASE("a zero Pad folds into the Conv's pads", "[passes][fold_pad]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 3, 6, 5});
    add_pad(m, {0, 0, 1, 2, 0, 0, 3, 0}, 0.0f, true);
    add_random(m, "w", {4, 3, 3, 3}, 1);
    onnx::NodeProto* conv = add_node(m, "Conv", {"p", "w"}, {"y"});
    set_ints(conv, "pads", {1, 0, 0, 1});
    add_output(m, "y", kFloat, {1, 4, 9, 6});
    Graph before = load(m);
    Graph after = apply(fold_pad, before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].op_type == "Conv");
    CHECK(after.nodes[0].inputs[0] == after.find_value("x"));
    CHECK(after.nodes[0].attrs.at("pads").ints == std::vector<int64_t>{2, 2, 3, 1});
    require_close_outputs(before, after);
}

TEST_CASE("a zero Pad folds into AveragePool only when it counts pads", "[passes][fold_pad]") {
    for (int count_pad : {1, 0}) {
        INFO("count_include_pad " << count_pad);
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 3, 6, 5});
        add_pad(m, {0, 0, 1, 1, 0, 0, 1, 1});
        onnx::NodeProto* pool = add_node(m, "AveragePool", {"p"}, {"y"});
        set_ints(pool, "kernel_shape", {3, 3});
        set_int(pool, "count_include_pad", count_pad);
        add_output(m, "y", kFloat, {1, 3, 6, 5});
        Graph before = load(m);
        Graph after = apply(fold_pad, before);
        CHECK(after.nodes.size() == (count_pad ? 1u : 2u));
        CHECK(count_ops(after, "Pad") == (count_pad ? 0 : 1));
        require_close_outputs(before, after);
    }
}

TEST_CASE("Pads that must stay", "[passes][fold_pad]") {
    SECTION("nonzero value before a Conv") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 3, 6, 5});
        add_pad(m, {0, 0, 1, 1, 0, 0, 1, 1}, 0.5f, true);
        add_random(m, "w", {2, 3, 3, 3}, 2);
        add_node(m, "Conv", {"p", "w"}, {"y"});
        add_output(m, "y", kFloat, {1, 2, 6, 5});
        Graph before = load(m);
        Graph after = apply(fold_pad, before);
        CHECK(count_ops(after, "Pad") == 1);
        require_close_outputs(before, after);
    }
    SECTION("zero pad before MaxPool (MaxPool pads are -inf)") {
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {1, 3, 6, 5});
        add_pad(m, {0, 0, 1, 1, 0, 0, 1, 1});
        set_ints(add_node(m, "MaxPool", {"p"}, {"y"}), "kernel_shape", {3, 3});
        add_output(m, "y", kFloat, {1, 3, 6, 5});
        Graph before = load(m);
        Graph after = apply(fold_pad, before);
        CHECK(count_ops(after, "Pad") == 1);
        require_close_outputs(before, after);
    }
    SECTION("pads on the channel dim, reflect mode, a second reader, auto_pad") {
        for (int variant = 0; variant < 4; ++variant) {
            INFO("variant " << variant);
            onnx::ModelProto m = make_model();
            add_input(m, "x", kFloat, {1, 3, 6, 5});
            add_pad(m, variant == 0 ? std::vector<int64_t>{0, 1, 1, 1, 0, 0, 1, 1}
                                    : std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1});
            if (variant == 1) set_string(m.mutable_graph()->mutable_node(0), "mode", "reflect");
            add_random(m, "w", {2, variant == 0 ? 4 : 3, 3, 3}, 3);
            onnx::NodeProto* conv = add_node(m, "Conv", {"p", "w"}, {"y"});
            if (variant == 3) set_string(conv, "auto_pad", "SAME_UPPER");
            add_output(m, "y", kFloat, {1, 2, variant == 3 ? 8 : 6, variant == 3 ? 7 : 5});
            if (variant == 2) {
                add_node(m, "Relu", {"p"}, {"r"});
                add_output(m, "r", kFloat, {1, 3, 8, 7});
            }
            Graph before = load(m);
            Graph after = apply(fold_pad, before);
            CHECK(count_ops(after, "Pad") == 1);
            require_close_outputs(before, after);
        }
    }
}

TEST_CASE("a -inf Pad folds into MaxPool", "[passes][fold_pad]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1, 3, 6, 5});
    add_pad(m, {0, 0, 1, 0, 0, 0, 1, 2}, -INFINITY, true);
    set_ints(add_node(m, "MaxPool", {"p"}, {"y"}), "kernel_shape", {3, 3});
    add_output(m, "y", kFloat, {1, 3, 6, 5});
    Graph before = load(m);
    Graph after = apply(fold_pad, before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].attrs.at("pads").ints == std::vector<int64_t>{1, 0, 1, 2});
    require_close_outputs(before, after);
}
