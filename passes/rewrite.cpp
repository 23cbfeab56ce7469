// Graph-rewriting helpers shared by the simplification passes.
#include "passes/rewrite.h"

namespace kiln {

ValueId ValueReplacements::resolve(ValueId id) const {
    // Chains are short and acyclic (each replacement points at a value that existed earlier or was kept).
    while (id != kNoValue && to_[std::size_t(id)] != kNoValue) id = to_[std::size_t(id)];
    return id;
}

bool ValueReplacements::empty() const {
    for (ValueId t : to_)
        if (t != kNoValue) return false;
    return true;
}

void ValueReplacements::apply(Graph& g) const {
    for (Node& n : g.nodes)
        for (ValueId& id : n.inputs) id = resolve(id);
}

std::vector<int> reader_counts(const Graph& g) {
    std::vector<int> count(g.values.size(), 0);
    for (const Node& n : g.nodes)
        for (std::size_t i = 0; i < n.inputs.size(); ++i) {
            const ValueId id = n.inputs[i];
            if (id == kNoValue) continue;
            bool seen = false;
            for (std::size_t j = 0; j < i; ++j) seen = seen || n.inputs[j] == id;
            if (!seen) ++count[std::size_t(id)];
        }
    return count;
}

bool is_private_to_one_reader(const Graph& g, const std::vector<int>& readers, ValueId id) {
    return id != kNoValue && readers[std::size_t(id)] == 1 && !g.is_graph_output(id);
}

void remove_nodes(Graph& g, const std::vector<bool>& drop) {
    std::vector<Node> kept;
    kept.reserve(g.nodes.size());
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        if (!drop[i]) kept.push_back(std::move(g.nodes[i]));
    g.nodes = std::move(kept);
}

}  // namespace kiln
