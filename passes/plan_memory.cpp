// plan-memory: liveness in the node order (with reshape-like aliases and in-place elementwise ops merging
// lifetimes), then the best of several placements (arena_strategies.cpp). A node's outputs share memory
// with its inputs only when they are the same bytes by design (alias) or the kernel allows it (in place).
#include "passes/plan_memory.h"

#include <algorithm>

#include "ops/registry.h"

namespace kiln {

namespace {

std::size_t align_up(std::size_t x, std::size_t a) { return (x + a - 1) / a * a; }

// Ops whose output is their input's bytes under another shape: no copy is needed.
bool is_reshape_like(const Node& n) {
    if (!n.domain.empty() && n.domain != "ai.onnx") return false;
    return n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" ||
           n.op_type == "Unsqueeze" || n.op_type == "Identity";
}

}  // namespace

Liveness analyse_liveness(const Graph& g, const std::vector<int>& order, bool share) {
    Liveness L;
    const std::size_t nv = g.values.size();
    std::vector<int> step_of(g.nodes.size(), -1);
    for (std::size_t s = 0; s < order.size(); ++s) step_of[std::size_t(order[s])] = int(s);
    // An arena value: produced by a node, not a graph output (caller's buffer), not a constant.
    std::vector<char> arena(nv, 0);
    std::vector<int> last_read(nv, -1);
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
        for (ValueId id : g.nodes[n].outputs)
            if (id != kNoValue && !g.is_graph_output(id) && !g.value(id).is_constant()) arena[std::size_t(id)] = 1;
        for (ValueId id : g.nodes[n].inputs)
            if (id != kNoValue) last_read[std::size_t(id)] = std::max(last_read[std::size_t(id)], step_of[n]);
    }
    std::vector<ValueId> root(nv, kNoValue);
    std::vector<int> group_first(nv, 0), group_last(nv, -1);
    std::vector<std::size_t> request_of(nv, 0);
    for (std::size_t s = 0; s < order.size(); ++s) {
        const int n = order[s];
        const Node& node = g.nodes[std::size_t(n)];
        const int step = int(s);
        // Which group output 0 may join: its input's, when that costs no correctness.
        ValueId join = kNoValue;
        const char* how = nullptr;
        ValueId out0 = node.outputs.empty() ? kNoValue : node.outputs[0];
        if (share && out0 != kNoValue && arena[std::size_t(out0)]) {
            const Value& o = g.value(out0);
            if (is_reshape_like(node) && node.has_input(0) && arena[std::size_t(node.inputs[0])] &&
                g.value(node.inputs[0]).nbytes() == o.nbytes() && g.value(node.inputs[0]).dtype == o.dtype) {
                join = node.inputs[0];
                how = "alias";
            } else if (const OpSchema* op = find_op(node.domain, node.op_type); op && op->inplace_input) {
                NodeCtx c(g, node);
                int i = op->inplace_input(c);
                ValueId x = i >= 0 && node.has_input(std::size_t(i)) ? node.inputs[std::size_t(i)] : kNoValue;
                bool ok = x != kNoValue && arena[std::size_t(x)] && g.value(x).nbytes() == o.nbytes() &&
                          g.value(x).dtype == o.dtype;
                // Overwriting is safe only when no value in x's bytes is read after this node, and the node
                // reads those bytes through no other input (the same value twice is fine: same index).
                if (ok) ok = group_last[std::size_t(root[std::size_t(x)])] <= step;
                for (std::size_t j = 0; ok && j < node.inputs.size(); ++j) {
                    ValueId y = node.inputs[j];
                    if (y != kNoValue && y != x && arena[std::size_t(y)] && root[std::size_t(y)] == root[std::size_t(x)])
                        ok = false;
                }
                if (ok) {
                    join = x;
                    how = "in-place";
                }
            }
        }
        for (ValueId id : node.outputs) {
            if (id == kNoValue || !arena[std::size_t(id)]) continue;
            const int last = std::max(step, last_read[std::size_t(id)]);
            if (id == out0 && join != kNoValue) {
                ValueId r = root[std::size_t(join)];
                root[std::size_t(id)] = r;
                L.sharing[id] = how;
                group_last[std::size_t(r)] = std::max(group_last[std::size_t(r)], last);
                L.requests[request_of[std::size_t(r)]].last = group_last[std::size_t(r)];
                if (how == std::string("alias")) L.elided.insert(n);
                continue;
            }
            root[std::size_t(id)] = id;
            group_first[std::size_t(id)] = step;
            group_last[std::size_t(id)] = last;
            request_of[std::size_t(id)] = L.requests.size();
            L.requests.push_back({g.value(id).nbytes(), step, last});
            L.request_value.push_back(id);
            L.request_node.push_back(-1);
        }
        const OpSchema* op = find_op(node.domain, node.op_type);
        if (op && op->workspace_bytes) {
            NodeCtx c(g, node);
            L.requests.push_back({op->workspace_bytes(c), step, step});
            L.request_value.push_back(kNoValue);
            L.request_node.push_back(n);
        }
    }
    for (std::size_t id = 0; id < nv; ++id)
        if (root[id] != kNoValue) L.root[ValueId(id)] = root[id];
    return L;
}

std::size_t peak_live_bytes(const Graph& g, const std::vector<int>& order, std::size_t alignment) {
    return live_bytes_lower_bound(analyse_liveness(g, order).requests, alignment);
}

namespace {
std::vector<int> file_order(const Graph& g) {
    std::vector<int> order(g.nodes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = int(i);
    return order;
}
}  // namespace

std::size_t tflm_baseline_bytes(const Graph& g, std::size_t alignment) {
    return plan_greedy_by_size(analyse_liveness(g, file_order(g), false).requests, alignment).total_bytes;
}

MemoryPlan plan_memory(const Graph& g, std::size_t alignment) {
    Liveness L = analyse_liveness(g, file_order(g));
    ArenaLayout layout = plan_best(L.requests, alignment);
    MemoryPlan plan;
    std::map<ValueId, std::size_t> root_offset;
    for (std::size_t i = 0; i < L.requests.size(); ++i) {
        const BufferRequest& r = L.requests[i];
        plan.naive_bytes += align_up(r.bytes, alignment);
        if (L.request_value[i] != kNoValue) {
            root_offset[L.request_value[i]] = layout.offsets[i];
            plan.lifetime[L.request_value[i]] = {r.first, r.last};
        } else if (r.bytes > 0) {
            plan.workspace[L.request_node[i]] = layout.offsets[i];  // a workspace lives at its node's step only
            plan.workspace_size[L.request_node[i]] = r.bytes;
        }
    }
    for (const auto& [id, r] : L.root) {
        plan.offset[id] = root_offset.at(r);
        plan.size[id] = g.value(id).nbytes();
        if (r != id) {
            plan.shares[id] = r;
            plan.sharing[id] = L.sharing.at(id);
            plan.naive_bytes += align_up(g.value(id).nbytes(), alignment);  // without sharing it had its own
        }
    }
    plan.elided = L.elided;
    plan.arena_bytes = layout.total_bytes;
    plan.lower_bound_bytes = layout.lower_bound_bytes;
    plan.strategy = layout.strategy;
    return plan;
}

}  // namespace kiln
