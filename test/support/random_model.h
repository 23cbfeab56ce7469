// Random elementwise DAGs for property tests of passes and the memory planner: broadcasting shapes,
// weights, nodes whose inputs are all constant (foldable) and branches that reach no output (dead).
#pragma once

#include <cstdint>

#include <onnx/onnx_pb.h>

namespace kiln {
namespace test {

// Inputs x0: float[2,3,4] and x1: float[3,1]; num_nodes nodes of Add/Sub/Mul/Div/Relu/Sigmoid; one to three
// outputs, the last node's among them. The same seed gives the same model.
onnx::ModelProto random_elementwise_model(uint32_t seed, int num_nodes);

}  // namespace test
}  // namespace kiln
