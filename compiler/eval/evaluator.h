// Reference evaluator: runs a shape-inferred Graph on host tensors with the ops' reference kernels.
// Used by constant folding, by `kiln run`, and to compare graphs before and after passes.
#pragma once

#include <vector>

#include "diag/status.h"
#include "ir/graph.h"

namespace kiln {

// Runs one node. `outs` arrive allocated with the node's inferred output dtypes and shapes.
Status eval_node(const Graph& g, const Node& n, const std::vector<const Tensor*>& ins, const std::vector<Tensor*>& outs);

// Runs the whole graph; inputs in the order of g.inputs; returns outputs in the order of g.outputs.
Expected<std::vector<Tensor>> evaluate(const Graph& g, const std::vector<Tensor>& inputs);

}  // namespace kiln
