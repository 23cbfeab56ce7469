// fold-affine: a Mul by a constant that is a scalar or one value per output channel (dim 1), right after a
// Conv, ConvTranspose or Gemm with constant weights whose output it is the only reader of, folds into
// the weights and bias; an Add of such a constant folds into the bias. Float32/float64 only.
// Assumes infer-shapes ran and nodes are in topological order; runs after fold-batchnorm.
#include "passes/channel_affine.h"
#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

// The constant's values per channel of out (dim 1) when it is a scalar or broadcasts only along dim 1
// (shape [C, 1, ...], [1, C, 1, ...], ...), so Mul/Add by it keeps out's shape; false otherwise.
bool per_channel(const Tensor& k, const Shape& out, std::vector<double>* v) {
    if (out.size() < 2 || k.shape().size() > out.size()) return false;
    Shape ks = k.shape();
    while (ks.size() < out.size()) ks.insert(ks.begin(), 1);
    for (std::size_t d = 0; d < ks.size(); ++d)
        if (ks[d] != 1 && !(d == 1 && ks[d] == out[1])) return false;
    v->assign(std::size_t(out[1]), 0.0);
    for (int64_t c = 0; c < out[1]; ++c) (*v)[std::size_t(c)] = k.as_double(k.numel() == 1 ? 0 : c);
    return true;
}

bool is_layer(const Node& n) {
    return n.domain.empty() && (n.op_type == "Conv" || n.op_type == "ConvTranspose" || n.op_type == "Gemm");
}

}  // namespace

Expected<Graph> fold_affine(Graph g) {
    std::vector<int> producer = g.producers();
    const std::vector<std::vector<int>> readers = g.consumers();
    std::vector<bool> drop(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        if (!n.domain.empty() || (n.op_type != "Mul" && n.op_type != "Add") || n.inputs.size() != 2) continue;
        for (int side = 0; side < 2; ++side) {
            const ValueId x = n.inputs[std::size_t(side)], k = n.inputs[std::size_t(1 - side)];
            const int p = producer[std::size_t(x)];
            if (p < 0 || !g.value(k).is_constant() || g.value(x).is_constant()) continue;
            // readers[] predates this pass's folds; a folded layer's new output keeps the Mul/Add's readers.
            if (!is_layer(g.nodes[std::size_t(p)]) || readers[std::size_t(x)].size() != 1 || g.is_graph_output(x))
                continue;
            const Value& out = g.value(n.outputs[0]);
            if (out.dtype != g.value(x).dtype || out.dtype != g.value(k).dtype || out.shape != g.value(x).shape) continue;
            std::vector<double> v;
            if (!per_channel(*g.value(k).data, out.shape, &v)) continue;
            ChannelAffine a;
            if (n.op_type == "Mul") {
                a.scale = v;
                a.shift.assign(v.size(), 0.0);
            } else {
                a.scale.assign(v.size(), 1.0);
                a.shift = v;
            }
            if (!fold_channel_affine(g, g.nodes[std::size_t(p)], a)) continue;
            g.nodes[std::size_t(p)].outputs[0] = g.nodes[i].outputs[0];
            producer[std::size_t(g.nodes[i].outputs[0])] = p;
            drop[i] = true;
            break;
        }
    }
    remove_nodes(g, drop);
    return g;
}

}  // namespace kiln
