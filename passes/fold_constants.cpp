// fold-constants: removes nodes whose outputs all got constant data during infer-shapes (which ran the
// reference kernels on constant inputs), so those values become weights and cost nothing at run time.
// Assumes infer-shapes ran first.
#include "passes/pass.h"

namespace kiln {

Expected<Graph> fold_constants(Graph g) {
    std::vector<Node> kept;
    for (Node& n : g.nodes) {
        bool all_const = true;
        for (ValueId id : n.outputs)
            if (id != kNoValue && !g.value(id).is_constant()) all_const = false;
        if (!all_const) kept.push_back(std::move(n));
    }
    g.nodes = std::move(kept);
    return g;
}

}  // namespace kiln
