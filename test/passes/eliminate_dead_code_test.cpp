// eliminate-dead-code: nodes that reach no output go, with constant data only they read; outputs stay the same.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

namespace {
Graph dce(const Graph& g) {
    Expected<Graph> r = eliminate_dead_code(g);
    REQUIRE(r.is_ok());
    return std::move(*r);
}
}  // namespace

TEST_CASE("unused nodes and the weights only they read are dropped", "[passes][eliminate_dead_code]") {
    // y = Relu(x); dead = Sigmoid(x) * w_dead, unused.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {4});
    add_input(m, "unused_input", kFloat, {4});
    add_initializer(m, raw_float_tensor("w_dead", {4}, {1, 2, 3, 4}));
    add_node(m, "Sigmoid", {"x"}, {"s"}, "dead1");
    add_node(m, "Mul", {"s", "w_dead"}, {"dead"}, "dead2");
    add_node(m, "Relu", {"x"}, {"y"}, "live");
    add_output(m, "y", kFloat, {4});
    Graph before = inferred(*import_model(m));
    Graph after = dce(before);
    REQUIRE(after.nodes.size() == 1);
    CHECK(after.nodes[0].name == "live");
    CHECK_FALSE(after.value(after.find_value("w_dead")).is_constant());
    CHECK(after.inputs.size() == 2);  // the run() signature does not change
    require_same_outputs(before, after, random_inputs(before, 3));
}

TEST_CASE("a node stays when any of its outputs is live", "[passes][eliminate_dead_code]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2});
    add_node(m, "Relu", {"x"}, {"a"}, "first");
    add_node(m, "Relu", {"a"}, {"b"}, "second");
    add_output(m, "a", kFloat, {2});  // an intermediate that is also an output
    add_output(m, "b", kFloat, {2});
    Graph before = inferred(*import_model(m));
    Graph after = dce(before);
    CHECK(after.nodes.size() == 2);
    require_same_outputs(before, after, random_inputs(before, 4));
}

TEST_CASE("dead code elimination on random graphs keeps outputs and every useful node", "[passes][eliminate_dead_code]") {
    int removed = 0;
    for (uint32_t seed = 200; seed < 260; ++seed) {
        INFO("seed " << seed);
        Graph before = inferred(*import_model(random_elementwise_model(seed, 20)));
        Graph after = dce(before);
        removed += int(before.nodes.size() - after.nodes.size());
        // Every remaining node feeds an output, directly or through later nodes.
        std::vector<bool> needed(after.values.size(), false);
        for (ValueId id : after.outputs) needed[std::size_t(id)] = true;
        for (std::size_t i = after.nodes.size(); i-- > 0;) {
            bool live = false;
            for (ValueId id : after.nodes[i].outputs) live = live || needed[std::size_t(id)];
            CHECK(live);
            for (ValueId id : after.nodes[i].inputs) needed[std::size_t(id)] = true;
        }
        require_same_outputs(before, after, random_inputs(before, seed));
        // Idempotent: a second run removes nothing.
        CHECK(dce(after).nodes.size() == after.nodes.size());
    }
    CHECK(removed > 0);  // the generator does produce dead branches
}
