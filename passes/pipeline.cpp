// The pass pipeline per target, in one readable list.
#include "passes/pass.h"

namespace kiln {

std::vector<Pass> pipeline_for_target(const std::string& target) {
    std::vector<Pass> passes = {
        {"infer-shapes", infer_shapes},
        {"fold-constants", fold_constants},
        {"eliminate-identities", eliminate_identities},
        {"eliminate-common-subexpressions", eliminate_common_subexpressions},
        {"fold-batchnorm", fold_batchnorm},
        {"fold-pad", fold_pad},
        {"fuse-matmul-add", fuse_matmul_add},
        {"fold-affine", fold_affine},
        {"fuse-epilogue", fuse_epilogue},
        {"fuse-pointwise-depthwise", fuse_pointwise_depthwise},  // x86 targets only (below)
        {"fuse-inverted-residual", fuse_inverted_residual},      // x86 targets only (below)
        {"fuse-elementwise", fuse_elementwise},
        {"eliminate-dead-code", eliminate_dead_code},
        {"schedule", schedule},  // last: the node order is the one plan-memory and the emitter use
    };
    // The fused 1x1 + depthwise and inverted-residual ops exist for the x86 kernels that run them (their rules are
    // those kernels'); on other targets the layers stay apart.
    if (target.compare(0, 4, "x86-") != 0) {
        for (auto it = passes.begin(); it != passes.end();) {
            const std::string name = it->name;
            if (name == "fuse-pointwise-depthwise" || name == "fuse-inverted-residual") it = passes.erase(it);
            else ++it;
        }
    }
    return passes;
}

Expected<Graph> run_pipeline(Graph g, const std::vector<Pass>& passes,
                             const std::function<void(const Pass&, const Graph&)>& after_pass) {
    for (const Pass& p : passes) {
        Expected<Graph> r = p.run(std::move(g));
        if (!r) return r.status();
        g = std::move(*r);
        if (after_pass) after_pass(p, g);
    }
    return g;
}

}  // namespace kiln
