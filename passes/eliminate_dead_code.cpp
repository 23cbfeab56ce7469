// eliminate-dead-code: drops nodes none of whose outputs reach a graph output, and the constant data
// of values nothing reads any more. Walks backwards from the outputs; assumes topological order.
#include <set>

#include "passes/pass.h"

namespace kiln {

Expected<Graph> eliminate_dead_code(Graph g) {
    std::vector<bool> live(g.values.size(), false);
    for (ValueId id : g.outputs) live[std::size_t(id)] = true;
    std::vector<bool> keep(g.nodes.size(), false);
    for (std::size_t i = g.nodes.size(); i-- > 0;) {
        const Node& n = g.nodes[i];
        for (ValueId id : n.outputs)
            if (id != kNoValue && live[std::size_t(id)]) keep[i] = true;
        if (!keep[i]) continue;
        for (ValueId id : n.inputs)
            if (id != kNoValue) live[std::size_t(id)] = true;
    }
    std::vector<Node> nodes;
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        if (keep[i]) nodes.push_back(std::move(g.nodes[i]));
    g.nodes = std::move(nodes);
    for (std::size_t id = 0; id < g.values.size(); ++id)
        if (!live[id] && !g.is_graph_input(ValueId(id))) g.values[id].data.reset();
    return g;
}

}  // namespace kiln
