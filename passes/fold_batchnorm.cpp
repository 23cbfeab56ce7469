// fold-batchnorm: an inference BatchNormalization y = x * s + t (s = gamma / sqrt(var + eps), t = beta -
// mean * s per channel) is folded into the weights and bias of the Conv, ConvTranspose, Gemm or MatMul
// (constant 2-D B, 2-D A: becomes a Gemm) that produces x when that BN is x's only reader; otherwise it
// becomes a Mul and an Add by per-channel constants. Float32/float64 only; the statistics must be
// constant. Folded weights are new constants: a weight other nodes read is never changed.
// Assumes infer-shapes ran (shapes known, constants folded) and nodes in topological order.
#include <algorithm>
#include <cmath>
#include <string>

#include "passes/channel_affine.h"
#include "passes/pass.h"

namespace kiln {
namespace {

bool is_float(DType t) { return t == DType::Float32 || t == DType::Float64; }

// The BN's affine form, or false when it is not a foldable inference BN on float data.
bool batch_norm_affine(const Graph& g, const Node& n, ChannelAffine* a) {
    if (n.op_type != "BatchNormalization" || !n.domain.empty() || n.inputs.size() != 5) return false;
    for (std::size_t i = 1; i < n.outputs.size(); ++i)
        if (n.outputs[i] != kNoValue) return false;  // training statistics
    auto it = n.attrs.find("training_mode");
    if (it != n.attrs.end() && it->second.i != 0) return false;
    const Value& x = g.value(n.inputs[0]);
    if (!is_float(x.dtype) || x.shape.size() < 2) return false;
    for (std::size_t i = 1; i < 5; ++i)
        if (!n.has_input(i) || !g.value(n.inputs[i]).is_constant()) return false;
    auto eps_it = n.attrs.find("epsilon");
    const double eps = double(eps_it != n.attrs.end() ? eps_it->second.f : 1e-5f);
    const Tensor& gamma = *g.value(n.inputs[1]).data;
    const Tensor& beta = *g.value(n.inputs[2]).data;
    const Tensor& mean = *g.value(n.inputs[3]).data;
    const Tensor& var = *g.value(n.inputs[4]).data;
    const int64_t c = x.shape[1];
    for (const Tensor* t : {&gamma, &beta, &mean, &var})
        if (t->numel() != c) return false;
    a->scale.resize(std::size_t(c));
    a->shift.resize(std::size_t(c));
    for (int64_t i = 0; i < c; ++i) {
        const double s = gamma.as_double(i) / std::sqrt(var.as_double(i) + eps);
        a->scale[std::size_t(i)] = s;
        a->shift[std::size_t(i)] = beta.as_double(i) - mean.as_double(i) * s;
    }
    return true;
}

// x * scale + shift as Mul and Add by constants of shape [C, 1, ..., 1] (broadcast over N and space).
std::vector<Node> as_mul_add(Graph& g, const Node& bn, const ChannelAffine& a) {
    const ValueId x = bn.inputs[0];
    const DType dt = g.value(x).dtype;
    const Shape xs = g.value(x).shape;
    Shape cs(xs.size() - 1, 1);
    cs[0] = xs[1];
    Tensor s(dt, cs), t(dt, cs);
    for (int64_t i = 0; i < xs[1]; ++i) {
        s.set_from_double(i, a.scale[std::size_t(i)]);
        t.set_from_double(i, a.shift[std::size_t(i)]);
    }
    const std::string base = g.value(bn.inputs[1]).name;
    ValueId sid = add_folded_constant(g, base + "_scale", std::move(s));
    ValueId tid = add_folded_constant(g, base + "_shift", std::move(t));
    Value mid;
    mid.name = g.value(bn.outputs[0]).name + "_scaled";
    mid.dtype = dt;
    mid.shape = xs;
    mid.shape_known = true;
    ValueId mid_id = g.add_value(std::move(mid));
    Node mul;
    mul.name = bn.name + "_scale";
    mul.op_type = "Mul";
    mul.opset = std::max(bn.opset, 13);  // numpy broadcasting (before opset 7 it needed attributes)
    mul.inputs = {x, sid};
    mul.outputs = {mid_id};
    Node add = mul;
    add.name = bn.name + "_shift";
    add.op_type = "Add";
    add.inputs = {mid_id, tid};
    add.outputs = {bn.outputs[0]};
    return {mul, add};
}

}  // namespace

Expected<Graph> fold_batchnorm(Graph g) {
    std::vector<int> producer = g.producers();
    const std::vector<std::vector<int>> readers = g.consumers();
    // Per node: 0 keep, 1 drop (folded), 2 replace by Mul + Add.
    std::vector<int> action(g.nodes.size(), 0);
    std::vector<ChannelAffine> affine(g.nodes.size());
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        Node& bn = g.nodes[i];
        ChannelAffine a;
        if (!batch_norm_affine(g, bn, &a)) continue;
        const ValueId x = bn.inputs[0];
        const int p = producer[std::size_t(x)];
        // readers[] is from before any fold; a folded producer's new output has the BN output's readers,
        // so the lists stay right for chains of BNs.
        const bool sole_reader = readers[std::size_t(x)].size() == 1 && !g.is_graph_output(x);
        if (p >= 0 && sole_reader && g.nodes[std::size_t(p)].outputs.size() == 1 &&
            fold_channel_affine(g, g.nodes[std::size_t(p)], a)) {
            g.nodes[std::size_t(p)].outputs[0] = bn.outputs[0];
            producer[std::size_t(bn.outputs[0])] = p;
            action[i] = 1;
        } else {
            action[i] = 2;
            affine[i] = std::move(a);
        }
    }
    std::vector<Node> nodes;
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        if (action[i] == 1) continue;
        if (action[i] == 2) {
            for (Node& n : as_mul_add(g, g.nodes[i], affine[i])) nodes.push_back(std::move(n));
            continue;
        }
        nodes.push_back(std::move(g.nodes[i]));
    }
    g.nodes = std::move(nodes);
    return g;
}

}  // namespace kiln
