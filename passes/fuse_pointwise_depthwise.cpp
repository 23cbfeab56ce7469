// fuse-pointwise-depthwise (x86 targets only): a 1x1 convolution (Conv or kiln.FusedConv: stride 1, unpadded,
// one group, no residual, constant weights and bias) whose output is read only by a depthwise 3x3 convolution
// (Conv / kiln.FusedConv with group = channels, constant weights and bias) becomes one kiln.PointwiseDepthwise
// (ops/fused.cpp) when the x86 fused kernel takes the pair (backends/x86/kernels/pointwise_depthwise_pack.h:
// short K, planes of 56x56 and up), or when the pair is on a plane of up to 16x16 and fuse-inverted-residual will
// take it with its projection (inverted_residual_cl_pack.h). The 1x1's epilogue moves to
// `pointwise_activation(_params)`, the depthwise layer's attributes, epilogue and residual stay. Float32 only;
// assumes infer-shapes ran and fuse-epilogue made the fused layers.
#include <string>

#include "backends/x86/kernels/inverted_residual_cl_pack.h"
#include "backends/x86/kernels/pointwise_depthwise_pack.h"
#include "ops/registry.h"
#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

class PointwiseDepthwiseFusion {
public:
    explicit PointwiseDepthwiseFusion(Graph& g) : g_(g), readers_(g.consumers()) {}

    // A fused node takes the depthwise layer's place (every reader of its output comes later); the 1x1 goes.
    // Nodes are in topological order, so a replaced node is only met again as a (no longer Conv) candidate.
    Graph run() {
        std::vector<bool> drop(g_.nodes.size(), false);
        for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
            int d = -1;
            if (!fusable(i, &d)) continue;
            g_.nodes[std::size_t(d)] = fused(g_.nodes[i], g_.nodes[std::size_t(d)]);
            drop[i] = true;
        }
        remove_nodes(g_, drop);
        return std::move(g_);
    }

private:
    // Node i is a 1x1 layer whose output only a depthwise 3x3 layer *d reads, and the x86 kernel takes the pair.
    bool fusable(std::size_t i, int* d) const {
        const Node& p = g_.nodes[i];
        if (!is_conv(p) || p.outputs.size() != 1 || p.inputs.size() < 2 || p.has_input(3)) return false;
        if (!p.has_input(0) || !p.has_input(1) || !const_or_absent(g_, p, 1) || !const_or_absent(g_, p, 2))
            return false;
        const Value& x = g_.value(p.inputs[0]);
        const Value& w = g_.value(p.inputs[1]);
        const ValueId e = p.outputs[0];
        const Value& ev = g_.value(e);
        if (x.dtype != DType::Float32 || ev.dtype != DType::Float32 || x.shape.size() != 4 || w.shape.size() != 4)
            return false;
        if (w.shape[2] != 1 || w.shape[3] != 1 || attr_int(p, "group", 1) != 1 || !all_ints(p, "strides", 1) ||
            !all_ints(p, "pads", 0))
            return false;
        const std::vector<int64_t> want{x.shape[0], w.shape[0], x.shape[2], x.shape[3]};
        if (ev.shape != want) return false;
        // e is not a graph output, and one node reads it: the depthwise layer, as its input X only.
        const std::vector<int>& r = readers_[std::size_t(e)];
        if (r.size() != 1 || g_.is_graph_output(e)) return false;
        const Node& q = g_.nodes[std::size_t(r[0])];
        if (!is_conv(q) || q.outputs.size() != 1 || q.inputs.size() < 2 || q.inputs[0] != e || q.inputs[1] == e)
            return false;
        if (!q.has_input(1) || !const_or_absent(g_, q, 1) || !const_or_absent(g_, q, 2)) return false;
        if ((q.has_input(2) && q.inputs[2] == e) || (q.has_input(3) && q.inputs[3] == e)) return false;
        const Value& wd = g_.value(q.inputs[1]);
        const int64_t ch = w.shape[0];
        if (wd.shape.size() != 4 || wd.shape[0] != ch || wd.shape[1] != 1 || attr_int(q, "group", 1) != ch) return false;
        const Attribute* strides = find_attr(q, "strides");
        if (strides && strides->ints.size() != 2) return false;
        const int64_t sh = strides ? strides->ints[0] : 1, sw = strides ? strides->ints[1] : 1;
        const Attribute* auto_pad = find_attr(q, "auto_pad");
        if (auto_pad && auto_pad->s != "NOTSET" && !auto_pad->s.empty()) return false;  // explicit pads only
        if (!all_ints(q, "dilations", 1)) return false;
        // The pair's own kernel (planes of 56x56 and up), or, on planes of up to 16x16, the channels-in-lanes
        // inverted-residual kernel when fuse-inverted-residual will take the pair with its projection.
        const bool large = kernels::x86::pointwise_depthwise_fits(x.shape[1], x.shape[2], x.shape[3], wd.shape[2],
                                                                  wd.shape[3], sh, sw, 1, 1);
        const bool small = wd.shape[2] == 3 && wd.shape[3] == 3 && sh == sw && !q.has_input(3) &&
                           kernels::x86::inverted_residual_cl_fits(x.shape[1], x.shape[2], x.shape[3], sh) &&
                           projection_reader(g_, readers_, q.outputs[0]) >= 0;
        if (!large && !small) return false;
        *d = r[0];
        return true;
    }

    static Node fused(const Node& p, const Node& q) {
        Node n;
        n.name = q.name;
        n.op_type = "PointwiseDepthwise";
        n.domain = kInternalDomain;
        n.opset = 1;
        n.attrs = q.attrs;  // the depthwise layer's Conv attributes and epilogue
        if (const Attribute* a = find_attr(p, "activation")) n.attrs["pointwise_activation"] = *a;
        if (const Attribute* a = find_attr(p, "activation_params")) n.attrs["pointwise_activation_params"] = *a;
        auto in = [](const Node& m, std::size_t i) { return m.has_input(i) ? m.inputs[i] : kNoValue; };
        n.inputs = {p.inputs[0], p.inputs[1], in(p, 2), q.inputs[1], in(q, 2), in(q, 3)};
        while (!n.inputs.empty() && n.inputs.back() == kNoValue) n.inputs.pop_back();
        n.outputs = q.outputs;
        return n;
    }

    Graph& g_;
    std::vector<std::vector<int>> readers_;
};

}  // namespace

Expected<Graph> fuse_pointwise_depthwise(Graph g) {
    PointwiseDepthwiseFusion f(g);
    return f.run();
}

}  // namespace kiln
