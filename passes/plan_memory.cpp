// plan-memory: liveness in the node order (with reshape-like aliases and in-place elementwise ops merging
// lifetimes), then the best of several placements (arena_strategies.cpp). A node's outputs share memory
// with its inputs only when they are the same bytes by design (alias) or the kernel allows it (in place).
#include "passes/plan_memory.h"

#include <algorithm>
#include <set>

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

namespace {

// Concat's axis when every output dim before it is 1 (each input is then one contiguous block of the
// output), else -1.
int contiguous_concat_axis(const Graph& g, const Node& n) {
    if ((!n.domain.empty() && n.domain != "ai.onnx") || n.op_type != "Concat" || n.outputs.empty()) return -1;
    const Shape& s = g.value(n.outputs[0]).shape;
    auto it = n.attrs.find("axis");
    if (it == n.attrs.end() || it->second.kind != Attribute::Kind::Int) return -1;
    int64_t axis = it->second.i < 0 ? it->second.i + int64_t(s.size()) : it->second.i;
    if (axis < 0 || axis >= int64_t(s.size())) return -1;
    for (int64_t d = 0; d < axis; ++d)
        if (s[std::size_t(d)] != 1) return -1;
    return int(axis);
}

// Groups of values sharing one buffer, built while walking the order.
struct Groups {
    std::vector<ValueId> root;
    std::vector<std::size_t> offset;               // byte offset of a value inside its root's buffer
    std::vector<std::vector<ValueId>> members;     // per root, including itself
    std::vector<int> last;                         // per root: the last step any member is read
    std::vector<std::size_t> request_of;           // per root
    explicit Groups(std::size_t nv) : root(nv, kNoValue), offset(nv, 0), members(nv), last(nv, -1), request_of(nv, 0) {}
};

}  // namespace

Liveness analyse_liveness(const Graph& g, const std::vector<int>& order, bool share, bool concat_in_place,
                          const WorkspaceOverride& workspace_override) {
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
    Groups G(nv);
    std::vector<char> dropped;  // per request: merged into a Concat's buffer
    auto R = [&](ValueId v) { return std::size_t(G.root[std::size_t(v)]); };
    // Moves every member of group `from` into group `to` at byte offset `at`.
    auto move_group = [&](std::size_t from, std::size_t to, std::size_t at) {
        for (ValueId m : G.members[from]) {
            G.root[std::size_t(m)] = ValueId(to);
            G.offset[std::size_t(m)] += at;
            G.members[to].push_back(m);
        }
        G.members[from].clear();
        L.sharing[ValueId(from)] = "concat-part";  // the others keep how they came to share `from`
        G.last[to] = std::max(G.last[to], G.last[from]);
        BufferRequest& r = L.requests[G.request_of[to]];
        r.first = std::min(r.first, L.requests[G.request_of[from]].first);
        r.last = G.last[to];
        dropped[G.request_of[from]] = 1;
    };
    for (std::size_t s = 0; s < order.size(); ++s) {
        const int n = order[s];
        const Node& node = g.nodes[std::size_t(n)];
        const int step = int(s);
        // Which group output 0 may join: its input's, when that costs no correctness.
        ValueId join = kNoValue;
        const char* how = nullptr;
        ValueId out0 = node.outputs.empty() ? kNoValue : node.outputs[0];
        const bool out0_arena = out0 != kNoValue && arena[std::size_t(out0)];
        if (share && out0_arena) {
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
                if (ok) ok = G.last[R(x)] <= step;
                for (std::size_t j = 0; ok && j < node.inputs.size(); ++j) {
                    ValueId y = node.inputs[j];
                    if (y != kNoValue && y != x && arena[std::size_t(y)] && R(y) == R(x)) ok = false;
                }
                if (ok) {
                    join = x;
                    how = "in-place";
                }
            }
        }
        // Concat in place: each input is a whole buffer of its own (not a graph input, constant or part of
        // another), read by nothing after the Concat's output dies, used once; its producer then writes
        // straight into its block of the output.
        bool concat = false;
        if (share && concat_in_place && out0_arena && join == kNoValue && contiguous_concat_axis(g, node) >= 0) {
            concat = !node.inputs.empty();
            std::set<std::size_t> roots;
            const int out_last = std::max(step, last_read[std::size_t(out0)]);
            for (ValueId x : node.inputs) {
                concat = concat && x != kNoValue && arena[std::size_t(x)] && G.offset[std::size_t(x)] == 0 &&
                         g.value(ValueId(R(x))).nbytes() == g.value(x).nbytes() && G.last[R(x)] <= out_last &&
                         roots.insert(R(x)).second;
                if (!concat) break;
            }
        }
        for (ValueId id : node.outputs) {
            if (id == kNoValue || !arena[std::size_t(id)]) continue;
            const int last = std::max(step, last_read[std::size_t(id)]);
            if (id == out0 && join != kNoValue) {
                const std::size_t r = R(join);
                G.root[std::size_t(id)] = ValueId(r);
                G.offset[std::size_t(id)] = G.offset[std::size_t(join)];
                G.members[r].push_back(id);
                L.sharing[id] = how;
                G.last[r] = std::max(G.last[r], last);
                L.requests[G.request_of[r]].last = G.last[r];
                if (how == std::string("alias")) L.elided.insert(n);
                continue;
            }
            G.root[std::size_t(id)] = id;
            G.members[std::size_t(id)] = {id};
            G.last[std::size_t(id)] = last;
            G.request_of[std::size_t(id)] = L.requests.size();
            L.requests.push_back({g.value(id).nbytes(), step, last});
            L.request_value.push_back(id);
            L.request_node.push_back(-1);
            dropped.push_back(0);
        }
        if (concat) {
            std::size_t at = 0;
            for (ValueId x : node.inputs) {
                const std::size_t bytes = g.value(x).nbytes();
                move_group(R(x), std::size_t(out0), at);
                at += bytes;
            }
            L.elided.insert(n);
        }
        const OpSchema* op = find_op(node.domain, node.op_type);
        std::size_t ws = 0;
        const bool overridden = workspace_override && workspace_override(g, node, &ws);
        if (overridden ? ws > 0 : op && op->workspace_bytes) {
            NodeCtx c(g, node);
            L.requests.push_back({overridden ? ws : op->workspace_bytes(c), step, step});
            L.request_value.push_back(kNoValue);
            L.request_node.push_back(n);
            dropped.push_back(0);
        }
    }
    // Requests of groups merged into a Concat's buffer go.
    std::size_t k = 0;
    for (std::size_t i = 0; i < L.requests.size(); ++i) {
        if (dropped[i]) continue;
        L.requests[k] = L.requests[i];
        L.request_value[k] = L.request_value[i];
        L.request_node[k] = L.request_node[i];
        ++k;
    }
    L.requests.resize(k);
    L.request_value.resize(k);
    L.request_node.resize(k);
    for (std::size_t id = 0; id < nv; ++id)
        if (G.root[id] != kNoValue) {
            L.root[ValueId(id)] = G.root[id];
            L.offset_in_root[ValueId(id)] = G.offset[id];
        }
    return L;
}

std::size_t peak_live_bytes(const Graph& g, const std::vector<int>& order, std::size_t alignment) {
    Liveness L = analyse_liveness(g, order, true, true);
    std::size_t peak = live_bytes_lower_bound(L.requests, alignment);
    if (L.elided.empty()) return peak;  // as plan_memory: Concat in place only where it does not cost
    return std::min(peak, live_bytes_lower_bound(analyse_liveness(g, order, true, false).requests, alignment));
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

MemoryPlan plan_memory(const Graph& g, std::size_t alignment, const WorkspaceOverride& workspace_override) {
    // Concat in place saves the copy and the inputs' own buffers but reserves the whole output from its
    // first part on: keep it only when the arena is not larger.
    Liveness L = analyse_liveness(g, file_order(g), true, true, workspace_override);
    ArenaLayout layout = plan_best(L.requests, alignment);
    if (!L.elided.empty()) {
        Liveness plain = analyse_liveness(g, file_order(g), true, false, workspace_override);
        ArenaLayout plain_layout = plan_best(plain.requests, alignment);
        if (plain_layout.total_bytes < layout.total_bytes) {
            L = std::move(plain);
            layout = std::move(plain_layout);
        }
    }
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
        plan.offset[id] = root_offset.at(r) + L.offset_in_root.at(id);
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
