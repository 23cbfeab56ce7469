// Assertions on graphs: run passes, evaluate with the reference evaluator, and check that a transform kept
// the numbers (every pass test compares outputs before and after, as Glow's checkNumericalEquivalence).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "ir/graph.h"

namespace kiln {
namespace test {

// The graph after infer-shapes (REQUIREs success).
Graph inferred(Graph g);
// Evaluates g on inputs (REQUIREs success).
std::vector<Tensor> evaluate_ok(const Graph& g, const std::vector<Tensor>& inputs);
// Pseudo-random inputs of g's input types and shapes.
std::vector<Tensor> random_inputs(const Graph& g, uint32_t seed);
// Evaluates both graphs on the same inputs; outputs must agree in type, shape and every byte.
void require_same_outputs(const Graph& before, const Graph& after, const std::vector<Tensor>& inputs);
// Writes m to DIR/model.onnx and DIR/test_data_set_0 with seeded inputs and the reference evaluator's outputs
// (after the portable pipeline), for `kiln check`.
void write_case_with_reference_outputs(const std::string& dir, const onnx::ModelProto& m, uint32_t seed);
// The number of nodes with this op type.
int count_ops(const Graph& g, const std::string& op_type);

}  // namespace test
}  // namespace kiln
