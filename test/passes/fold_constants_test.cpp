// fold-constants: drops the nodes infer-shapes computed, keeps the rest, and the outputs do not change.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

namespace {
Graph folded(const Graph& g) {
    Expected<Graph> r = fold_constants(g);
    REQUIRE(r.is_ok());
    return std::move(*r);
}
}  // namespace

TEST_CASE("nodes with constant outputs are removed", "[passes][fold_constants]") {
    // y = x + Relu(w) * w2: Relu and Mul fold, Add stays.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {3});
    add_initializer(m, raw_float_tensor("w", {3}, {-1, 2, -3}));
    add_initializer(m, raw_float_tensor("w2", {3}, {4, 5, 6}));
    add_node(m, "Relu", {"w"}, {"r"});
    add_node(m, "Mul", {"r", "w2"}, {"p"});
    add_node(m, "Add", {"x", "p"}, {"y"});
    add_output(m, "y", kFloat, {3});
    Graph before = inferred(*import_model(m));
    Graph after = folded(before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].op_type == "Add");
    CHECK(after.value(after.find_value("p")).data->same_bytes(float_tensor({3}, {0, 10, 0})));
    require_same_outputs(before, after, {float_tensor({3}, {1, 1, 1})});
}

TEST_CASE("a graph computed entirely from constants folds to no nodes", "[passes][fold_constants]") {
    onnx::ModelProto m = make_model();
    add_initializer(m, raw_float_tensor("a", {2}, {1, -2}));
    add_node(m, "Sigmoid", {"a"}, {"s"});
    add_node(m, "Sub", {"s", "a"}, {"y"});
    add_output(m, "y", kFloat, {2});
    Graph before = inferred(*import_model(m));
    Graph after = folded(before);
    CHECK(after.nodes.empty());
    CHECK(after.value(after.outputs[0]).is_constant());
    require_same_outputs(before, after, {});
}

TEST_CASE("folding random graphs keeps their outputs", "[passes][fold_constants]") {
    int folded_nodes = 0;
    for (uint32_t seed = 100; seed < 160; ++seed) {
        INFO("seed " << seed);
        Graph before = inferred(*import_model(random_elementwise_model(seed, 20)));
        Graph after = folded(before);
        folded_nodes += int(before.nodes.size() - after.nodes.size());
        for (const Node& n : after.nodes) {
            bool all_const = true;
            for (ValueId id : n.outputs) all_const = all_const && after.value(id).is_constant();
            CHECK_FALSE(all_const);
        }
        require_same_outputs(before, after, random_inputs(before, seed));
    }
    CHECK(folded_nodes > 0);  // the generator does produce constant subgraphs
}
