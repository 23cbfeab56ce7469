// ReverseSequence through the reference evaluator: both axis orders with an inner dim, and lengths outside
// [0, time] clamped instead of reading past the input.
#include <catch2/catch.hpp>

#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

Graph reverse_graph(std::vector<Dim> shape, int64_t batch_axis, int64_t time_axis, int64_t batch) {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, shape);
    add_input(m, "lens", kInt64, {batch});
    onnx::NodeProto* n = add_node(m, "ReverseSequence", {"x", "lens"}, {"y"});
    set_int(n, "batch_axis", batch_axis);
    set_int(n, "time_axis", time_axis);
    add_output(m, "y", kFloat, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    return inferred(std::move(*g));
}

Tensor int64_values(Shape s, const std::vector<int64_t>& v) {
    Tensor t(DType::Int64, std::move(s));
    for (std::size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
    return t;
}

}  // namespace

TEST_CASE("ReverseSequence with batch first and an inner dim", "[ops][reverse_sequence]") {
    // x[b][t][2]: batch 2, time 3; lengths 2 and 3.
    Graph g = reverse_graph({2, 3, 2}, 0, 1, 2);
    Tensor x = float_tensor({2, 3, 2}, {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
    Tensor y = evaluate_ok(g, {x, int64_values({2}, {2, 3})})[0];
    CHECK(y.same_bytes(float_tensor({2, 3, 2}, {2, 3, 0, 1, 4, 5, 14, 15, 12, 13, 10, 11})));
}

TEST_CASE("ReverseSequence with time first, lengths clamped", "[ops][reverse_sequence]") {
    // x[t][b]: time 3, batch 3; lengths -1 (none), 9 (all 3), 1 (unchanged).
    Graph g = reverse_graph({3, 3}, 1, 0, 3);
    Tensor x = float_tensor({3, 3}, {0, 10, 20, 1, 11, 21, 2, 12, 22});
    Tensor y = evaluate_ok(g, {x, int64_values({3}, {-1, 9, 1})})[0];
    CHECK(y.same_bytes(float_tensor({3, 3}, {0, 12, 20, 1, 11, 21, 2, 10, 22})));
}
