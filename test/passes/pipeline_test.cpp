// The pass pipeline: the passes of a target in order, each seen by the after-pass hook, outputs unchanged.
#include <algorithm>

#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"
#include "support/random_model.h"

using namespace kiln;
using namespace kiln::test;

TEST_CASE("the portable pipeline runs its passes in order", "[passes][pipeline]") {
    std::vector<std::string> names;
    for (const Pass& p : pipeline_for_target("portable")) names.push_back(p.name);
    // Passes may be added; shape inference must come first, and folding before dead-code elimination.
    REQUIRE_FALSE(names.empty());
    CHECK(names.front() == "infer-shapes");
    auto at = [&](const char* n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
    CHECK(at("fold-constants") < at("eliminate-dead-code"));
    CHECK(at("eliminate-dead-code") < std::ptrdiff_t(names.size()));

    Expected<Graph> g = import_model(random_elementwise_model(5, 15));
    REQUIRE(g.is_ok());
    std::vector<std::string> seen;
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"),
                                     [&](const Pass& p, const Graph&) { seen.push_back(p.name); });
    REQUIRE(r.is_ok());
    CHECK(seen == names);
}

TEST_CASE("the whole pipeline keeps the outputs of random graphs", "[passes][pipeline]") {
    for (uint32_t seed = 300; seed < 330; ++seed) {
        INFO("seed " << seed);
        Graph before = inferred(*import_model(random_elementwise_model(seed, 25)));
        Expected<Graph> after = run_pipeline(before, pipeline_for_target("portable"));
        REQUIRE(after.is_ok());
        CHECK(after->nodes.size() <= before.nodes.size());
        require_same_outputs(before, *after, random_inputs(before, seed));
    }
}

TEST_CASE("the pipeline stops at the first failing pass", "[passes][pipeline]") {
    onnx::ModelProto m = relu_model();
    m.mutable_graph()->mutable_node(0)->set_op_type("NotAnOp");
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    int calls = 0;
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"),
                                     [&](const Pass&, const Graph&) { ++calls; });
    REQUIRE_FALSE(r.is_ok());
    CHECK(calls == 0);
    CHECK(r.status().message() == "node 'relu1' (NotAnOp, opset 13): operator is not supported");
}
