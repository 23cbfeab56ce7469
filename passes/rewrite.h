// Small graph-rewriting helpers shared by the passes that rewire or drop nodes: value replacement,
// reader queries, node removal, attribute lookups.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "ops/registry.h"

namespace kiln {

// Pending "value A now reads as value B" replacements, resolved through chains (A -> B -> C) and applied
// to every node input at once, so a pass can decide node by node and rewire in one sweep.
// Graph outputs are never renamed: callers must not replace a graph output's value.
class ValueReplacements {
public:
    explicit ValueReplacements(const Graph& g) : to_(g.values.size(), kNoValue) {}
    void replace(ValueId from, ValueId to) { to_[std::size_t(from)] = to; }
    // What id reads as after the replacements so far (id itself when not replaced).
    ValueId resolve(ValueId id) const;
    bool empty() const;
    // Rewrites every node input through resolve().
    void apply(Graph& g) const;

private:
    std::vector<ValueId> to_;
};

// How many distinct nodes read each value (a node reading a value twice counts once).
std::vector<int> reader_counts(const Graph& g);

// True when exactly one node reads id and id is not a graph output: the value can disappear into that
// reader (fusion, rewiring its producer) without changing what the graph exposes.
bool is_private_to_one_reader(const Graph& g, const std::vector<int>& readers, ValueId id);

// The node that alone reads e (not a graph output) as the X of a 1x1 projection: Conv / kiln.FusedConv, stride 1,
// unpadded, one group, constant weights and bias (a residual and an activation allowed); or -1. The projection
// of fuse-inverted-residual, which fuse-pointwise-depthwise also asks about (fuse_inverted_residual.cpp).
int projection_reader(const Graph& g, const std::vector<std::vector<int>>& readers, ValueId e);

// Node n's attribute `name`, or nullptr.
inline const Attribute* find_attr(const Node& n, const char* name) {
    auto it = n.attrs.find(name);
    return it == n.attrs.end() ? nullptr : &it->second;
}
// An int / float attribute, or def when absent.
inline int64_t attr_int(const Node& n, const char* name, int64_t def) {
    const Attribute* a = find_attr(n, name);
    return a ? a->i : def;
}
inline float attr_float(const Node& n, const char* name, float def) {
    const Attribute* a = find_attr(n, name);
    return a ? a->f : def;
}

// Every entry of n's ints attribute `name` equal to v (true when absent: the defaults are 1 for strides and
// dilations, 0 for pads).
inline bool all_ints(const Node& n, const char* name, int64_t v) {
    const Attribute* a = find_attr(n, name);
    if (!a) return true;
    for (int64_t x : a->ints)
        if (x != v) return false;
    return true;
}
// Input i of n is absent or a constant.
inline bool const_or_absent(const Graph& g, const Node& n, std::size_t i) {
    return !n.has_input(i) || g.value(n.inputs[i]).is_constant();
}

// A Conv or a kiln.FusedConv (the same layer with its epilogue).
inline bool is_conv(const Node& n) {
    return (n.domain.empty() && n.op_type == "Conv") || (n.domain == kInternalDomain && n.op_type == "FusedConv");
}

// Drops the nodes marked in `drop` (indexed like g.nodes), keeping the order of the rest.
void remove_nodes(Graph& g, const std::vector<bool>& drop);

}  // namespace kiln
