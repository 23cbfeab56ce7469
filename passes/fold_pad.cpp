// fold-pad: a zero-constant Pad of the spatial dims only (pads constant, non-negative, zero on N and C)
// whose only reader is a Conv (explicit pads) or an AveragePool counting pads (count_include_pad=1, no
// ceil_mode) adds its pads to that node's pads; a MaxPool takes it only when the pad value is -inf.
// Float32/float64 only. Assumes infer-shapes ran (pads constant) and nodes in topological order.
#include <cmath>
#include <string>

#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

// The Pad's pads and fill value when it is a constant-mode pad with known pads, false otherwise.
bool pad_form(const Graph& g, const Node& pad, std::vector<int64_t>* pads, double* value) {
    if (pad.op_type != "Pad" || !pad.domain.empty() || pad.outputs.size() != 1) return false;
    const Attribute* mode = find_attr(pad, "mode");
    if (mode && mode->s != "constant") return false;
    *value = 0.0;
    if (pad.opset < 11) {
        const Attribute* p = find_attr(pad, "pads");
        if (!p) return false;
        *pads = p->ints;
        if (const Attribute* v = find_attr(pad, "value")) *value = double(v->f);
    } else {
        if (pad.inputs.size() > 3 || !pad.has_input(1) || !g.value(pad.inputs[1]).is_constant()) return false;
        *pads = g.value(pad.inputs[1]).data->to_int64_vector();
        if (pad.has_input(2)) {
            const Value& v = g.value(pad.inputs[2]);
            if (!v.is_constant() || v.numel() != 1) return false;
            *value = v.data->as_double(0);
        }
    }
    return true;
}

}  // namespace

Expected<Graph> fold_pad(Graph g) {
    const std::vector<int> producer = g.producers();
    const std::vector<std::vector<int>> readers = g.consumers();
    std::vector<bool> drop(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        Node& layer = g.nodes[i];
        if (!layer.domain.empty() || layer.inputs.empty()) continue;
        const bool conv = layer.op_type == "Conv", avg = layer.op_type == "AveragePool";
        const bool max = layer.op_type == "MaxPool" && layer.outputs.size() == 1;
        if (!conv && !avg && !max) continue;
        const ValueId x = layer.inputs[0];
        const int p = producer[std::size_t(x)];
        if (p < 0 || readers[std::size_t(x)].size() != 1 || g.is_graph_output(x)) continue;
        const Value& xv = g.value(x);
        if (xv.dtype != DType::Float32 && xv.dtype != DType::Float64) continue;
        std::vector<int64_t> pads;
        double value = 0;
        if (!pad_form(g, g.nodes[std::size_t(p)], &pads, &value)) continue;
        // Conv and AveragePool(count_include_pad) see zeros in their pads; MaxPool sees -inf.
        if (max ? !(std::isinf(value) && value < 0) : value != 0.0) continue;
        const Attribute* auto_pad = find_attr(layer, "auto_pad");
        if (auto_pad && auto_pad->s != "NOTSET") continue;
        if (avg) {
            const Attribute* cip = find_attr(layer, "count_include_pad");
            if (!cip || cip->i == 0) continue;
        }
        if (!conv) {
            const Attribute* ceil = find_attr(layer, "ceil_mode");
            if (ceil && ceil->i != 0) continue;
        }
        const std::size_t rank = xv.shape.size(), spatial = rank - 2;
        if (rank < 3 || pads.size() != 2 * rank || pads[0] || pads[1] || pads[rank] || pads[rank + 1]) continue;
        bool negative = false;
        for (int64_t v : pads) negative = negative || v < 0;
        if (negative) continue;
        std::vector<int64_t> own(2 * spatial, 0);
        if (const Attribute* a = find_attr(layer, "pads")) {
            if (a->ints.size() != 2 * spatial) continue;
            own = a->ints;
        }
        for (std::size_t d = 0; d < spatial; ++d) {
            own[d] += pads[d + 2];
            own[spatial + d] += pads[rank + d + 2];
        }
        Attribute a;
        a.kind = Attribute::Kind::Ints;
        a.ints = own;
        layer.attrs["pads"] = a;
        layer.attrs.erase("auto_pad");
        layer.inputs[0] = g.nodes[std::size_t(p)].inputs[0];
        drop[std::size_t(p)] = true;
    }
    remove_nodes(g, drop);
    return g;
}

}  // namespace kiln
