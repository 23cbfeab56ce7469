// Evaluates nodes in order, freeing each intermediate after its last use.
#include "eval/evaluator.h"

#include <optional>

#include "ops/registry.h"

namespace kiln {

Status eval_node(const Graph& g, const Node& n, const std::vector<const Tensor*>& ins, const std::vector<Tensor*>& outs) {
    const OpSchema* op = find_op(n.domain, n.op_type);
    if (!op) {
        NodeCtx c(g, n);
        return c.fail("operator is not supported");
    }
    EvalCtx c(g, n, ins, outs);
    if (!op->eval) return c.fail("control flow must be expanded by shape inference before it runs");
    return op->eval(c);
}

Expected<std::vector<Tensor>> evaluate(const Graph& g, const std::vector<Tensor>& inputs) {
    if (inputs.size() != g.inputs.size())
        return Status::errorf("the model has {} inputs but {} were given", g.inputs.size(), inputs.size());
    std::vector<std::optional<Tensor>> vals(g.values.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Value& v = g.value(g.inputs[i]);
        if (inputs[i].dtype() != v.dtype || inputs[i].shape() != v.shape)
            return Status::errorf("input {} '{}' is {}[{}], expected {}[{}]", i, v.name, dtype_name(inputs[i].dtype()),
                                  shape_str(inputs[i].shape()), dtype_name(v.dtype), shape_str(v.shape));
        vals[std::size_t(g.inputs[i])] = inputs[i];
    }
    // Last node index reading each value, so intermediates can be released early.
    std::vector<int> last_use(g.values.size(), -1);
    for (std::size_t n = 0; n < g.nodes.size(); ++n)
        for (ValueId id : g.nodes[n].inputs)
            if (id != kNoValue) last_use[std::size_t(id)] = int(n);
    for (ValueId id : g.outputs) last_use[std::size_t(id)] = int(g.nodes.size());

    auto tensor_of = [&](ValueId id) -> const Tensor* {
        if (id == kNoValue) return nullptr;
        const Value& v = g.value(id);
        if (v.data) return &*v.data;
        return vals[std::size_t(id)] ? &*vals[std::size_t(id)] : nullptr;
    };
    for (std::size_t ni = 0; ni < g.nodes.size(); ++ni) {
        const Node& n = g.nodes[ni];
        std::vector<const Tensor*> ins;
        for (ValueId id : n.inputs) ins.push_back(tensor_of(id));
        std::vector<Tensor*> outs;
        for (ValueId id : n.outputs) {
            if (id == kNoValue) {
                outs.push_back(nullptr);
                continue;
            }
            const Value& v = g.value(id);
            vals[std::size_t(id)] = Tensor(v.dtype, v.shape);
            outs.push_back(&*vals[std::size_t(id)]);
        }
        KILN_TRY(eval_node(g, n, ins, outs));
        for (ValueId id : n.inputs)
            if (id != kNoValue && last_use[std::size_t(id)] == int(ni) && !g.value(id).data) vals[std::size_t(id)].reset();
    }
    std::vector<Tensor> result;
    for (ValueId id : g.outputs) {
        const Tensor* t = tensor_of(id);
        if (!t) return Status::errorf("output '{}' was not computed", g.value(id).name);
        result.push_back(*t);
    }
    return result;
}

}  // namespace kiln
