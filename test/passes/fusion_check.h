// Shared by the folding and fusion pass tests: ONNX attribute shorthands, running infer-shapes plus one
// pass, and comparing reference outputs before and after within a float tolerance (folding reorders
// arithmetic, so results differ in the last bits).
#pragma once

#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

namespace kiln {
namespace test {

// A float initializer of seeded random values in [lo, hi).
inline void add_random(onnx::ModelProto& m, const std::string& name, std::vector<int64_t> dims, uint32_t seed,
                       float lo = -1.0f, float hi = 1.0f) {
    add_initializer(m, to_proto(random_float_tensor(Shape(dims.begin(), dims.end()), seed, lo, hi), name));
}

// The model imported and shape-inferred.
inline Graph load(const onnx::ModelProto& m) {
    Expected<Graph> g = import_model(m);
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    return inferred(std::move(*g));
}

// pass applied to g; the result must still pass shape inference (fused nodes read all their attributes).
inline Graph apply(Expected<Graph> (*pass)(Graph), const Graph& g) {
    Expected<Graph> r = pass(g);
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    Expected<Graph> again = infer_shapes(*r);
    INFO(again.status().message());
    REQUIRE(again.is_ok());
    return std::move(*r);
}

// Outputs of before and after on seeded random inputs agree in type, shape and value (relative rtol).
inline void require_close_outputs(const Graph& before, const Graph& after, uint32_t seed = 7, double rtol = 1e-5,
                                  double atol = 1e-5) {
    std::vector<Tensor> ins = random_inputs(before, seed);
    std::vector<Tensor> a = evaluate_ok(before, ins);
    std::vector<Tensor> b = evaluate_ok(after, ins);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        REQUIRE(a[i].dtype() == b[i].dtype());
        REQUIRE(a[i].shape() == b[i].shape());
        int bad = 0;
        for (int64_t e = 0; e < a[i].numel(); ++e) {
            const double x = a[i].as_double(e), y = b[i].as_double(e);
            if (!(std::fabs(x - y) <= atol + rtol * std::fabs(x))) {
                if (bad++ < 3) FAIL_CHECK("output " << i << " element " << e << ": " << x << " vs " << y);
            }
        }
        CHECK(bad == 0);
    }
}

inline int count_domain_ops(const Graph& g, const std::string& op_type) {
    int n = 0;
    for (const Node& node : g.nodes) n += node.op_type == op_type && node.domain == "kiln";
    return n;
}

inline const Node* find_node(const Graph& g, const std::string& op_type) {
    for (const Node& n : g.nodes)
        if (n.op_type == op_type) return &n;
    return nullptr;
}

}  // namespace test
}  // namespace kiln
