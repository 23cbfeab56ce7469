// infer-shapes: gives every value its dtype and static shape, node by node in order, with each op's
// inference. Where all of a node's inputs are constant, it also runs the node's reference kernel so
// shape-computing chains (Shape -> Gather -> Concat -> Reshape) resolve; fold-constants then drops
// those nodes. An attribute the op's inference never read is an error: ops validate every attribute
// they support in infer. Assumes nodes are topologically sorted (the frontend guarantees it).
#include "eval/evaluator.h"
#include "ops/registry.h"
#include "passes/pass.h"

namespace kiln {

namespace {
// Largest constant result computed at compile time; bigger ones stay as run-time work.
constexpr std::size_t kMaxFoldBytes = std::size_t(64) << 20;
}  // namespace

Expected<Graph> infer_shapes(Graph g) {
    for (const Node& n : g.nodes) {
        const OpSchema* op = find_op(n.domain, n.op_type);
        if (!op) {
            NodeCtx c(g, n);
            return c.fail("operator is not supported");
        }
        for (ValueId id : n.inputs)
            if (id != kNoValue && !g.value(id).shape_known) {
                NodeCtx c(g, n);
                return c.fail("input '{}' has no known shape", g.value(id).name);
            }
        InferCtx ic(g, n);
        KILN_TRY(op->infer(ic));
        KILN_TRY(ic.status());
        for (const std::string& a : ic.unread_attrs())
            return ic.fail("attribute '{}' is not supported", a);
        bool all_const = true;
        std::size_t out_bytes = 0;
        for (ValueId id : n.outputs) {
            if (id == kNoValue) continue;
            const Value& v = g.value(id);
            if (!v.shape_known || v.dtype == DType::Undefined)
                return ic.fail("output '{}' got no type from shape inference", v.name);
            for (int64_t d : v.shape)
                if (d < 0) return ic.fail("output '{}' has a negative dimension in shape {}", v.name, shape_str(v.shape));
            if (checked_numel(v.shape) < 0)
                return ic.fail("output '{}' shape {} has more than {} elements", v.name, shape_str(v.shape),
                               kMaxTensorElements);
            out_bytes += v.nbytes();
        }
        for (ValueId id : n.inputs)
            if (id != kNoValue && !g.value(id).is_constant()) all_const = false;
        if (!all_const || out_bytes > kMaxFoldBytes) continue;
        std::vector<const Tensor*> ins;
        for (ValueId id : n.inputs) ins.push_back(id == kNoValue ? nullptr : &*g.value(id).data);
        std::vector<Tensor> results;
        results.reserve(n.outputs.size());
        std::vector<Tensor*> outs;
        for (ValueId id : n.outputs) {
            if (id == kNoValue) {
                results.emplace_back();
                outs.push_back(nullptr);
                continue;
            }
            results.emplace_back(g.value(id).dtype, g.value(id).shape);
            outs.push_back(&results.back());
        }
        KILN_TRY(eval_node(g, n, ins, outs));
        for (std::size_t i = 0; i < n.outputs.size(); ++i)
            if (n.outputs[i] != kNoValue) g.value(n.outputs[i]).data = std::move(results[i]);
    }
    return g;
}

}  // namespace kiln
