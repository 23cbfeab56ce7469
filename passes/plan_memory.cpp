// plan-memory: lifetimes from the node order, then greedy-by-size placement (as TFLite Micro's planner):
// the largest buffers are placed first, each at the lowest aligned offset that does not collide with an
// already placed buffer whose lifetime overlaps. A node's outputs never share memory with its inputs.
#include "passes/plan_memory.h"

#include <algorithm>
#include <numeric>

#include "ops/registry.h"

namespace kiln {

namespace {
std::size_t align_up(std::size_t x, std::size_t a) { return (x + a - 1) / a * a; }
}  // namespace

ArenaLayout plan_greedy_by_size(const std::vector<BufferRequest>& req, std::size_t alignment) {
    ArenaLayout out;
    out.offsets.assign(req.size(), 0);
    std::vector<std::size_t> order(req.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (req[a].bytes != req[b].bytes) return req[a].bytes > req[b].bytes;
        return req[a].first < req[b].first;
    });
    std::vector<std::size_t> placed;
    for (std::size_t idx : order) {
        const BufferRequest& r = req[idx];
        if (r.bytes == 0) continue;
        // Occupied intervals of overlapping-lifetime buffers, by offset.
        std::vector<std::pair<std::size_t, std::size_t>> busy;
        for (std::size_t p : placed) {
            const BufferRequest& q = req[p];
            if (q.first <= r.last && r.first <= q.last) busy.push_back({out.offsets[p], out.offsets[p] + q.bytes});
        }
        std::sort(busy.begin(), busy.end());
        std::size_t at = 0;
        for (const auto& b : busy) {
            if (at + r.bytes <= b.first) break;
            at = std::max(at, align_up(b.second, alignment));
        }
        out.offsets[idx] = at;
        out.total_bytes = std::max(out.total_bytes, align_up(at + r.bytes, alignment));
        placed.push_back(idx);
    }
    int steps = 0;
    for (const BufferRequest& r : req) steps = std::max(steps, r.last + 1);
    for (int s = 0; s < steps; ++s) {
        std::size_t live = 0;
        for (const BufferRequest& r : req)
            if (r.first <= s && s <= r.last) live += align_up(r.bytes, alignment);
        out.lower_bound_bytes = std::max(out.lower_bound_bytes, live);
    }
    return out;
}

MemoryPlan plan_memory(const Graph& g, std::size_t alignment) {
    std::vector<ValueId> ids;  // per request: the value, or kNoValue for a node's workspace
    std::vector<BufferRequest> req;
    std::map<ValueId, std::size_t> index;
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
        for (ValueId id : g.nodes[n].outputs) {
            if (id == kNoValue || g.is_graph_output(id) || g.value(id).is_constant()) continue;
            index[id] = req.size();
            ids.push_back(id);
            req.push_back({g.value(id).nbytes(), int(n), int(n)});
        }
        const OpSchema* op = find_op(g.nodes[n].domain, g.nodes[n].op_type);
        if (op && op->workspace_bytes) {
            NodeCtx c(g, g.nodes[n]);
            ids.push_back(kNoValue);
            req.push_back({op->workspace_bytes(c), int(n), int(n)});
        }
        for (ValueId id : g.nodes[n].inputs) {
            auto it = index.find(id);
            if (it != index.end()) req[it->second].last = int(n);
        }
    }
    ArenaLayout layout = plan_greedy_by_size(req, alignment);
    MemoryPlan plan;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] != kNoValue)
            plan.offset[ids[i]] = layout.offsets[i];
        else if (req[i].bytes > 0)
            plan.workspace[req[i].first] = layout.offsets[i];  // a workspace lives at its node's step only
    }
    plan.arena_bytes = layout.total_bytes;
    plan.lower_bound_bytes = layout.lower_bound_bytes;
    return plan;
}

}  // namespace kiln
