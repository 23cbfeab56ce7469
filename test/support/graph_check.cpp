// Reference-evaluator assertions for pass tests.
#include "support/graph_check.h"

#include <random>

#include <catch2/catch.hpp>

#include "eval/evaluator.h"
#include "passes/pass.h"
#include "support/onnx_builder.h"

namespace kiln {
namespace test {

Graph inferred(Graph g) {
    Expected<Graph> r = infer_shapes(std::move(g));
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return std::move(*r);
}

std::vector<Tensor> evaluate_ok(const Graph& g, const std::vector<Tensor>& inputs) {
    Expected<std::vector<Tensor>> r = evaluate(g, inputs);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    return std::move(*r);
}

std::vector<Tensor> random_inputs(const Graph& g, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<Tensor> ins;
    for (ValueId id : g.inputs) {
        const Value& v = g.value(id);
        Tensor t(v.dtype, v.shape);
        for (int64_t i = 0; i < t.numel(); ++i) {
            // Integers stay small and non-zero so Div is defined; floats cover both signs.
            double x = dtype_is_float(v.dtype) ? std::uniform_real_distribution<double>(-3, 3)(rng)
                                               : double(std::uniform_int_distribution<int>(1, 9)(rng));
            t.set_from_double(i, x);
        }
        ins.push_back(std::move(t));
    }
    return ins;
}

void require_same_outputs(const Graph& before, const Graph& after, const std::vector<Tensor>& inputs) {
    std::vector<Tensor> a = evaluate_ok(before, inputs);
    std::vector<Tensor> b = evaluate_ok(after, inputs);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("output " << i);
        CHECK(a[i].dtype() == b[i].dtype());
        CHECK(a[i].shape() == b[i].shape());
        CHECK(a[i].same_bytes(b[i]));
    }
}

int count_ops(const Graph& g, const std::string& op_type) {
    int n = 0;
    for (const Node& node : g.nodes) n += node.op_type == op_type;
    return n;
}

void write_case_with_reference_outputs(const std::string& dir, const onnx::ModelProto& m, uint32_t seed) {
    write_model(m, dir + "/model.onnx");
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    std::vector<Tensor> inputs = random_inputs(*r, seed);
    write_data_set(dir + "/test_data_set_0", inputs, evaluate_ok(*r, inputs));
}

}  // namespace test
}  // namespace kiln
