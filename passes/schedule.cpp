// schedule: reorders g.nodes into the topological order with the smallest peak of live arena bytes (the
// arena's lower bound), judged by plan-memory's own liveness rules (aliases, in place, workspaces). Candidates:
// the file's order, a greedy list scheduler, depth-first orders finishing one branch before the next, and
// for small graphs an exact search over sets of scheduled nodes. Ties keep the earlier candidate (the file's
// order first), so the pass is deterministic and never makes the peak worse. Assumes shapes are inferred.
#include <algorithm>
#include <functional>
#include <numeric>
#include <set>

#include "ops/registry.h"
#include "passes/pass.h"
#include "passes/plan_memory.h"

namespace kiln {

namespace {

// Orders are judged at the portable alignment; a target's alignment changes sizes by a few bytes at most.
constexpr std::size_t kScheduleAlignment = 16;
// Exact search: 2^N sets of scheduled nodes.
constexpr std::size_t kExactMaxNodes = 18;

std::size_t align_up(std::size_t x) { return (x + kScheduleAlignment - 1) / kScheduleAlignment * kScheduleAlignment; }

struct DepGraph {
    std::vector<std::vector<int>> preds, succs;  // unique producer / consumer nodes
    std::vector<std::size_t> out_bytes;          // arena bytes a node's outputs take (plus its workspace)
    std::vector<std::vector<int>> value_readers;
    std::vector<int> producer;
    std::vector<char> arena;  // per value: lives in the arena
};

DepGraph dependencies(const Graph& g) {
    DepGraph d;
    const std::size_t n = g.nodes.size();
    d.preds.resize(n);
    d.succs.resize(n);
    d.out_bytes.assign(n, 0);
    d.producer = g.producers();
    d.value_readers = g.consumers();
    d.arena.assign(g.values.size(), 0);
    for (std::size_t i = 0; i < n; ++i) {
        const Node& node = g.nodes[i];
        std::set<int> ps;
        for (ValueId id : node.inputs)
            if (id != kNoValue && d.producer[std::size_t(id)] >= 0) ps.insert(d.producer[std::size_t(id)]);
        d.preds[i].assign(ps.begin(), ps.end());
        for (int p : ps) d.succs[std::size_t(p)].push_back(int(i));
        for (ValueId id : node.outputs)
            if (id != kNoValue && !g.is_graph_output(id) && !g.value(id).is_constant()) {
                d.arena[std::size_t(id)] = 1;
                d.out_bytes[i] += align_up(g.value(id).nbytes());
            }
        const OpSchema* op = find_op(node.domain, node.op_type);
        if (op && op->workspace_bytes) {
            NodeCtx c(g, node);
            d.out_bytes[i] += align_up(op->workspace_bytes(c));
        }
    }
    return d;
}

// List scheduling: among ready nodes, the one whose run adds the fewest live bytes (outputs it allocates
// minus inputs it is the last reader of); ties to the earlier node in the file.
std::vector<int> greedy_order(const Graph& g, const DepGraph& d) {
    const std::size_t n = g.nodes.size();
    std::vector<int> waiting(n), order;
    std::vector<int> readers_left(g.values.size(), 0);
    for (std::size_t i = 0; i < n; ++i) waiting[i] = int(d.preds[i].size());
    for (std::size_t v = 0; v < g.values.size(); ++v) {
        std::set<int> r(d.value_readers[v].begin(), d.value_readers[v].end());
        readers_left[v] = int(r.size());
    }
    std::set<int> ready;
    for (std::size_t i = 0; i < n; ++i)
        if (waiting[i] == 0) ready.insert(int(i));
    while (!ready.empty()) {
        int pick = -1;
        long long pick_delta = 0;
        for (int i : ready) {
            long long delta = (long long)d.out_bytes[std::size_t(i)];
            std::set<ValueId> ins(g.nodes[std::size_t(i)].inputs.begin(), g.nodes[std::size_t(i)].inputs.end());
            for (ValueId id : ins)
                if (id != kNoValue && d.arena[std::size_t(id)] && readers_left[std::size_t(id)] == 1)
                    delta -= (long long)align_up(g.value(id).nbytes());
            if (pick < 0 || delta < pick_delta) {
                pick = i;
                pick_delta = delta;
            }
        }
        ready.erase(pick);
        order.push_back(pick);
        std::set<ValueId> ins(g.nodes[std::size_t(pick)].inputs.begin(), g.nodes[std::size_t(pick)].inputs.end());
        for (ValueId id : ins)
            if (id != kNoValue) --readers_left[std::size_t(id)];
        for (int s : d.succs[std::size_t(pick)])
            if (--waiting[std::size_t(s)] == 0) ready.insert(s);
    }
    return order;
}

// Depth first from the graph outputs: a node right after the branches feeding it, each branch finished
// before the next starts. `inputs_first` orders a node's producers.
std::vector<int> depth_first_order(const Graph& g, const DepGraph& d,
                                   const std::function<std::vector<int>(int)>& producers_in_order) {
    const std::size_t n = g.nodes.size();
    std::vector<char> seen(n, 0);
    std::vector<int> order;
    // Iterative post-order: deep chains (long transformers) must not overflow the stack.
    auto visit = [&](int root) {
        if (seen[std::size_t(root)]) return;
        std::vector<std::pair<int, std::vector<int>>> stack;
        seen[std::size_t(root)] = 1;
        stack.push_back({root, producers_in_order(root)});
        while (!stack.empty()) {
            auto& top = stack.back();
            if (top.second.empty()) {
                order.push_back(top.first);
                stack.pop_back();
                continue;
            }
            int p = top.second.front();
            top.second.erase(top.second.begin());
            if (seen[std::size_t(p)]) continue;
            seen[std::size_t(p)] = 1;
            stack.push_back({p, producers_in_order(p)});
        }
    };
    for (ValueId id : g.outputs)
        if (d.producer[std::size_t(id)] >= 0) visit(d.producer[std::size_t(id)]);
    for (std::size_t i = 0; i < n; ++i) visit(int(i));
    return order;
}

// Minimum peak over all topological orders, by dynamic programming over sets of scheduled nodes: the bytes
// live after a set ran depend only on the set.
std::vector<int> exact_order(const Graph& g, const DepGraph& d) {
    const std::size_t n = g.nodes.size();
    const std::size_t sets = std::size_t(1) << n;
    std::vector<uint32_t> pred_mask(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        for (int p : d.preds[i]) pred_mask[i] |= 1u << p;
    // Per arena value: its producer's bit and the mask of its readers (a value without readers dies at once).
    std::vector<std::pair<uint32_t, uint32_t>> vals;
    std::vector<std::size_t> val_bytes;
    for (std::size_t v = 0; v < g.values.size(); ++v) {
        if (!d.arena[v] || d.producer[v] < 0) continue;
        uint32_t readers = 0;
        for (int r : d.value_readers[v]) readers |= 1u << r;
        vals.push_back({1u << d.producer[v], readers});
        val_bytes.push_back(align_up(g.value(ValueId(v)).nbytes()));
    }
    const std::size_t none = std::size_t(-1);
    std::vector<std::size_t> best(sets, none);
    std::vector<int8_t> last(sets, -1);
    best[0] = 0;
    for (uint32_t s = 0; s < sets; ++s) {
        if (best[s] == none) continue;
        std::size_t live = 0;
        for (std::size_t k = 0; k < vals.size(); ++k)
            if ((vals[k].first & s) && (vals[k].second & ~s)) live += val_bytes[k];
        for (std::size_t i = 0; i < n; ++i) {
            if ((s >> i) & 1u || (pred_mask[i] & ~s)) continue;
            std::size_t peak = std::max(best[s], live + d.out_bytes[i]);
            uint32_t t = s | (1u << i);
            if (peak < best[t]) {
                best[t] = peak;
                last[t] = int8_t(i);
            }
        }
    }
    std::vector<int> order;
    for (uint32_t s = uint32_t(sets - 1); s != 0; s &= ~(1u << last[s])) order.push_back(last[s]);
    std::reverse(order.begin(), order.end());
    return order;
}

}  // namespace

Expected<Graph> schedule(Graph g) {
    const std::size_t n = g.nodes.size();
    if (n < 3) return g;
    DepGraph d = dependencies(g);
    std::vector<std::vector<int>> candidates;
    std::vector<int> file(n);
    std::iota(file.begin(), file.end(), 0);
    candidates.push_back(file);
    candidates.push_back(greedy_order(g, d));
    auto producers_of = [&](int node) {
        std::vector<int> ps;
        for (ValueId id : g.nodes[std::size_t(node)].inputs) {
            int p = id == kNoValue ? -1 : d.producer[std::size_t(id)];
            if (p >= 0 && std::find(ps.begin(), ps.end(), p) == ps.end()) ps.push_back(p);
        }
        return ps;
    };
    candidates.push_back(depth_first_order(g, d, producers_of));
    candidates.push_back(depth_first_order(g, d, [&](int node) {
        std::vector<int> ps = producers_of(node);
        std::reverse(ps.begin(), ps.end());
        return ps;
    }));
    // Branches with the larger result first: its bytes are then held while the smaller branch runs.
    candidates.push_back(depth_first_order(g, d, [&](int node) {
        std::vector<int> ps = producers_of(node);
        std::stable_sort(ps.begin(), ps.end(), [&](int a, int b) { return d.out_bytes[std::size_t(a)] > d.out_bytes[std::size_t(b)]; });
        return ps;
    }));
    if (n <= kExactMaxNodes) candidates.push_back(exact_order(g, d));
    std::size_t best_peak = peak_live_bytes(g, file, kScheduleAlignment);
    const std::vector<int>* best = &candidates[0];
    for (std::size_t c = 1; c < candidates.size(); ++c) {
        if (candidates[c].size() != n) continue;  // defensive: a cycle would leave nodes out
        std::size_t peak = peak_live_bytes(g, candidates[c], kScheduleAlignment);
        if (peak < best_peak) {
            best_peak = peak;
            best = &candidates[c];
        }
    }
    if (best == &candidates[0]) return g;
    std::vector<Node> nodes;
    nodes.reserve(n);
    for (int i : *best) nodes.push_back(std::move(g.nodes[std::size_t(i)]));
    g.nodes = std::move(nodes);
    return g;
}

}  // namespace kiln
