// eliminate-common-subexpressions: nodes with the same domain, op type, opset, attributes (compared
// bit-exactly) and inputs compute the same values, so later ones are dropped and their readers read the
// first one's outputs; constants with the same dtype, shape and bytes are merged the same way (weights
// stored once). Repeats until nothing merges. Graph inputs and graph outputs keep their value ids; random
// ops and nodes with subgraph attributes are never merged. Assumes infer-shapes ran.
#include <cstring>
#include <functional>
#include <unordered_map>

#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

// Ops whose every run draws new values: two of them are not the same computation.
bool is_random_op(const Node& n) {
    return n.op_type.compare(0, 6, "Random") == 0 || n.op_type == "Bernoulli" || n.op_type == "Multinomial";
}

bool same_float_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_attribute(const Attribute& a, const Attribute& b) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
    case Attribute::Kind::Float: return same_float_bits(a.f, b.f);
    case Attribute::Kind::Int: return a.i == b.i;
    case Attribute::Kind::String: return a.s == b.s;
    case Attribute::Kind::Tensor: return a.t.has_value() == b.t.has_value() && (!a.t || a.t->same_bytes(*b.t));
    case Attribute::Kind::Floats:
        if (a.floats.size() != b.floats.size()) return false;
        for (std::size_t i = 0; i < a.floats.size(); ++i)
            if (!same_float_bits(a.floats[i], b.floats[i])) return false;
        return true;
    case Attribute::Kind::Ints: return a.ints == b.ints;
    case Attribute::Kind::Strings: return a.strings == b.strings;
    case Attribute::Kind::Graph:  // subgraphs are not compared: such nodes are never merged
    case Attribute::Kind::Unsupported: return false;
    }
    return false;
}

bool can_merge(const Node& n) {
    if (is_random_op(n) || n.outputs.empty()) return false;
    for (const auto& kv : n.attrs)
        if (kv.second.kind == Attribute::Kind::Graph || kv.second.kind == Attribute::Kind::Unsupported) return false;
    return true;
}

bool same_computation(const Graph& g, const Node& a, const Node& b) {
    if (a.op_type != b.op_type || a.domain != b.domain || a.opset != b.opset || a.inputs != b.inputs ||
        a.outputs.size() != b.outputs.size() || a.attrs.size() != b.attrs.size())
        return false;
    for (std::size_t k = 0; k < a.outputs.size(); ++k) {
        // Which optional outputs exist may change what a node computes (Dropout's mask, ...).
        if ((a.outputs[k] == kNoValue) != (b.outputs[k] == kNoValue)) return false;
        if (a.outputs[k] == kNoValue) continue;
        const Value& va = g.value(a.outputs[k]);
        const Value& vb = g.value(b.outputs[k]);
        if (va.dtype != vb.dtype || va.shape != vb.shape || va.quant.has_value() || vb.quant.has_value()) return false;
    }
    for (auto ia = a.attrs.begin(), ib = b.attrs.begin(); ia != a.attrs.end(); ++ia, ++ib)
        if (ia->first != ib->first || !same_attribute(ia->second, ib->second)) return false;
    return true;
}

std::size_t node_key(const Node& n) {
    std::size_t h = std::hash<std::string>()(n.op_type);
    for (ValueId id : n.inputs) h = h * 1000003u ^ std::hash<int64_t>()(id);
    return h;
}

std::size_t bytes_key(const Tensor& t) {
    // FNV-1a over the bytes plus the shape: buckets only, equality is checked in full.
    uint64_t h = 1469598103934665603ull ^ uint64_t(t.dtype());
    for (int64_t d : t.shape()) h = (h ^ uint64_t(d)) * 1099511628211ull;
    const uint8_t* p = t.raw();
    for (std::size_t i = 0; i < t.nbytes(); ++i) h = (h ^ p[i]) * 1099511628211ull;
    return std::size_t(h);
}

// Merges constants with equal bytes into the first one; true when any reader changed.
bool merge_constants(Graph& g) {
    std::vector<bool> read(g.values.size(), false);
    for (const Node& n : g.nodes)
        for (ValueId id : n.inputs)
            if (id != kNoValue) read[std::size_t(id)] = true;
    std::unordered_map<std::size_t, std::vector<ValueId>> seen;
    ValueReplacements rep(g);
    bool changed = false;
    for (std::size_t i = 0; i < g.values.size(); ++i) {
        const ValueId id = ValueId(i);
        const Value& v = g.values[i];
        if (!v.is_constant() || !read[i] || v.quant || g.is_graph_input(id)) continue;
        std::vector<ValueId>& bucket = seen[bytes_key(*v.data)];
        ValueId same = kNoValue;
        for (ValueId other : bucket)
            if (g.value(other).data->same_bytes(*v.data)) same = other;
        if (same == kNoValue) {
            bucket.push_back(id);
        } else {
            rep.replace(id, same);  // a constant graph output keeps its id: only readers move
            changed = true;
        }
    }
    rep.apply(g);
    return changed;
}

// One sweep over the nodes in order; true when any node was merged.
bool merge_nodes(Graph& g) {
    std::unordered_map<std::size_t, std::vector<int>> seen;
    ValueReplacements rep(g);
    std::vector<bool> drop(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        Node& n = g.nodes[i];
        for (ValueId& id : n.inputs) id = rep.resolve(id);
        if (!can_merge(n)) continue;
        std::vector<int>& bucket = seen[node_key(n)];
        int first = -1;
        for (int j : bucket)
            if (same_computation(g, g.nodes[std::size_t(j)], n)) {
                first = j;
                break;
            }
        if (first < 0) {
            bucket.push_back(int(i));
            continue;
        }
        Node& keep = g.nodes[std::size_t(first)];
        bool both_outputs = false;
        for (std::size_t k = 0; k < n.outputs.size(); ++k)
            if (n.outputs[k] != kNoValue && g.is_graph_output(n.outputs[k]) && g.is_graph_output(keep.outputs[k]))
                both_outputs = true;
        if (both_outputs) continue;  // two API results: both stay
        for (std::size_t k = 0; k < n.outputs.size(); ++k) {
            const ValueId dup = n.outputs[k];
            if (dup == kNoValue) continue;
            if (g.is_graph_output(dup)) {
                // The graph output's id must survive: the kept node writes it and its old value is replaced.
                rep.replace(keep.outputs[k], dup);
                keep.outputs[k] = dup;
            } else {
                rep.replace(dup, keep.outputs[k]);
            }
        }
        drop[i] = true;
    }
    rep.apply(g);
    remove_nodes(g, drop);
    for (bool d : drop)
        if (d) return true;
    return false;
}

}  // namespace

Expected<Graph> eliminate_common_subexpressions(Graph g) {
    // Merged inputs make more nodes equal; each round merges at least one thing, so this ends.
    bool changed = true;
    while (changed) {
        const bool constants = merge_constants(g);
        const bool nodes = merge_nodes(g);
        changed = constants || nodes;
    }
    return g;
}

}  // namespace kiln
