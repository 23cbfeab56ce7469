// A pass is a named pure function Graph -> Graph. The pipeline per target is one list (pipeline.cpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "diag/status.h"
#include "ir/graph.h"

namespace kiln {

struct Pass {
    const char* name;
    Expected<Graph> (*run)(Graph);
};

// Each pass's entry point; the file of the same name says what it does and assumes.
Expected<Graph> infer_shapes(Graph g);
Expected<Graph> fold_constants(Graph g);
Expected<Graph> eliminate_identities(Graph g);
Expected<Graph> eliminate_common_subexpressions(Graph g);
Expected<Graph> fuse_elementwise(Graph g);
Expected<Graph> eliminate_dead_code(Graph g);
Expected<Graph> fold_batchnorm(Graph g);
Expected<Graph> fold_pad(Graph g);
Expected<Graph> fuse_matmul_add(Graph g);
Expected<Graph> fold_affine(Graph g);
Expected<Graph> fuse_epilogue(Graph g);
Expected<Graph> fuse_pointwise_depthwise(Graph g);
Expected<Graph> fuse_inverted_residual(Graph g);
Expected<Graph> schedule(Graph g);

// The passes run for a target, in order.
std::vector<Pass> pipeline_for_target(const std::string& target);

// Runs the passes in order; after_pass (when set) sees the graph after each one.
Expected<Graph> run_pipeline(Graph g, const std::vector<Pass>& passes,
                             const std::function<void(const Pass&, const Graph&)>& after_pass = {});

}  // namespace kiln
