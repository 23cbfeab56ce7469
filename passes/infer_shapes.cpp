// infer-shapes: gives every value its dtype and static shape, node by node in order, with each op's
// inference. Where all of a node's inputs are constant, it also runs the node's reference kernel so
// shape-computing chains (Shape -> Gather -> Concat -> Reshape) resolve; fold-constants then drops
// those nodes. Control-flow nodes (If, Loop, Scan) are expanded here into the nodes of the branch taken or
// of every iteration, which needs their conditions and trip counts to be known by then. An attribute the
// op's inference never read is an error: ops validate every attribute they support in infer.
// Assumes nodes are topologically sorted (the frontend guarantees it).
#include <map>

#include "eval/evaluator.h"
#include "ops/expand_context.h"
#include "ops/registry.h"
#include "passes/pass.h"

namespace kiln {

namespace {

// Largest constant result computed at compile time; bigger ones stay as run-time work.
constexpr std::size_t kMaxFoldBytes = std::size_t(64) << 20;

class ShapeInference {
public:
    explicit ShapeInference(Graph& g) : g_(g) {}

    // Infers n (after expanding it, for control flow) and appends it, or what it expands to, to the schedule.
    Status process(Node n) {
        for (ValueId& id : n.inputs) id = resolve(id);
        const OpSchema* op = find_op(n.domain, n.op_type);
        if (!op) {
            NodeCtx c(g_, n);
            return c.fail("operator is not supported");
        }
        for (ValueId id : n.inputs)
            if (id != kNoValue && !g_.value(id).shape_known) {
                NodeCtx c(g_, n);
                return c.fail("input '{}' has no known shape", g_.value(id).name);
            }
        if (op->expand) {
            ExpandCtx ec(
                g_, n, [this](Node m) { return process(std::move(m)); },
                [this](ValueId from, ValueId to) { alias_[from] = to; }, [this](ValueId id) { return resolve(id); });
            KILN_TRY(op->expand(ec));
            KILN_TRY(ec.status());
            for (const std::string& a : ec.unread_attrs()) return ec.fail("attribute '{}' is not supported", a);
            return Status::ok();
        }
        InferCtx ic(g_, n);
        KILN_TRY(op->infer(ic));
        KILN_TRY(ic.status());
        for (const std::string& a : ic.unread_attrs()) return ic.fail("attribute '{}' is not supported", a);
        std::size_t out_bytes = 0;
        for (ValueId id : n.outputs) {
            if (id == kNoValue) continue;
            const Value& v = g_.value(id);
            if (!v.shape_known || v.dtype == DType::Undefined)
                return ic.fail("output '{}' got no type from shape inference", v.name);
            for (int64_t d : v.shape)
                if (d < 0) return ic.fail("output '{}' has a negative dimension in shape {}", v.name, shape_str(v.shape));
            if (checked_numel(v.shape) < 0)
                return ic.fail("output '{}' shape {} has more than {} elements", v.name, shape_str(v.shape),
                               kMaxTensorElements);
            out_bytes += v.nbytes();
        }
        bool all_const = true;
        for (ValueId id : n.inputs)
            if (id != kNoValue && !g_.value(id).is_constant()) all_const = false;
        if (all_const && out_bytes <= kMaxFoldBytes) KILN_TRY(fold(n));
        nodes_.push_back(std::move(n));
        return Status::ok();
    }

    ValueId resolve(ValueId id) const {
        for (auto it = alias_.find(id); it != alias_.end(); it = alias_.find(id)) id = it->second;
        return id;
    }

    std::vector<Node> take_nodes() { return std::move(nodes_); }

private:
    Status fold(const Node& n) {
        std::vector<const Tensor*> ins;
        for (ValueId id : n.inputs) ins.push_back(id == kNoValue ? nullptr : &*g_.value(id).data);
        std::vector<Tensor> results;
        results.reserve(n.outputs.size());
        std::vector<Tensor*> outs;
        for (ValueId id : n.outputs) {
            if (id == kNoValue) {
                results.emplace_back();
                outs.push_back(nullptr);
                continue;
            }
            results.emplace_back(g_.value(id).dtype, g_.value(id).shape);
            outs.push_back(&results.back());
        }
        KILN_TRY(eval_node(g_, n, ins, outs));
        for (std::size_t i = 0; i < n.outputs.size(); ++i)
            if (n.outputs[i] != kNoValue) g_.value(n.outputs[i]).data = std::move(results[i]);
        return Status::ok();
    }

    Graph& g_;
    std::vector<Node> nodes_;
    std::map<ValueId, ValueId> alias_;  // outputs of expanded nodes -> the values they became
};

}  // namespace

Expected<Graph> infer_shapes(Graph g) {
    ShapeInference si(g);
    std::vector<Node> nodes = std::move(g.nodes);
    g.nodes.clear();
    for (Node& n : nodes) KILN_TRY(si.process(std::move(n)));
    // A graph output produced by an expanded node keeps its name (it is the generated API's parameter name):
    // it becomes a copy of what the node expanded to.
    for (ValueId id : g.outputs) {
        ValueId to = si.resolve(id);
        if (to == id) continue;
        Node copy;
        copy.name = g.value(id).name + "/output";
        copy.op_type = "Identity";
        copy.opset = 13;
        copy.inputs = {to};
        copy.outputs = {id};
        KILN_TRY(si.process(std::move(copy)));
    }
    g.nodes = si.take_nodes();
    return g;
}

}  // namespace kiln
