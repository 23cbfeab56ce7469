// fuse-inverted-residual (x86 targets only, after fuse-pointwise-depthwise): a kiln.PointwiseDepthwise without a
// residual whose output is read only by a 1x1 convolution (Conv or kiln.FusedConv: stride 1, unpadded, one group,
// constant weights and bias; a residual and an activation allowed) becomes one kiln.InvertedResidual (ops/fused.cpp)
// when an x86 kernel takes the triple: the band kernel (backends/x86/kernels/inverted_residual_pack.h: the
// projection's K one block, an expanded tensor of more than 1 MiB; the pair's own rule put its plane at 56x56 and
// up) or the channels-in-lanes kernel (inverted_residual_cl_pack.h: planes of up to 16x16, which
// fuse-pointwise-depthwise fused only for this). The pair's attributes stay, its depthwise epilogue moves to
// `depthwise_activation(_params)`; the projection's epilogue becomes `activation(_params)`, its residual input 7.
// Float32 only; assumes infer-shapes ran.
#include <string>

#include "backends/x86/kernels/inverted_residual_cl_pack.h"
#include "backends/x86/kernels/inverted_residual_pack.h"
#include "ops/registry.h"
#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

class InvertedResidualFusion {
public:
    explicit InvertedResidualFusion(Graph& g) : g_(g), readers_(g.consumers()) {}

    // The fused node takes the projection's place (every reader of its output comes later); the pair goes.
    Graph run() {
        std::vector<bool> drop(g_.nodes.size(), false);
        for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
            int q = -1;
            if (!fusable(i, &q)) continue;
            g_.nodes[std::size_t(q)] = fused(g_.nodes[i], g_.nodes[std::size_t(q)]);
            drop[i] = true;
        }
        remove_nodes(g_, drop);
        return std::move(g_);
    }

private:
    // Node i is a kiln.PointwiseDepthwise whose output only a 1x1 layer *q reads (as its X), and the x86 kernel
    // takes the three.
    bool fusable(std::size_t i, int* q) const {
        const Node& p = g_.nodes[i];
        if (p.domain != kInternalDomain || p.op_type != "PointwiseDepthwise" || p.outputs.size() != 1 ||
            p.has_input(5))
            return false;
        const ValueId e = p.outputs[0];
        const Value& ev = g_.value(e);
        if (ev.dtype != DType::Float32 || ev.shape.size() != 4 || !p.has_input(0)) return false;
        const int c = projection_reader(g_, readers_, e);
        if (c < 0) return false;
        const Shape& xs = g_.value(p.inputs[0]).shape;  // the expanded planes are X's
        if (xs.size() != 4) return false;
        // The band kernel's planes (the pair's rule put them at 56x56 and up), or the channels-in-lanes kernel's.
        const Attribute* strides = find_attr(p, "strides");
        const int64_t stride = strides && !strides->ints.empty() ? strides->ints[0] : 1;
        if (!kernels::x86::inverted_residual_fits(ev.shape[1], xs[2], xs[3]) &&
            !kernels::x86::inverted_residual_cl_fits(xs[1], xs[2], xs[3], stride))
            return false;
        *q = c;
        return true;
    }

    static Node fused(const Node& p, const Node& c) {
        Node n;
        n.name = c.name;
        n.op_type = "InvertedResidual";
        n.domain = kInternalDomain;
        n.opset = 1;
        n.attrs = p.attrs;  // the depthwise layer's Conv attributes and both epilogues of the pair
        n.attrs.erase("activation");
        n.attrs.erase("activation_params");
        if (const Attribute* a = find_attr(p, "activation")) n.attrs["depthwise_activation"] = *a;
        if (const Attribute* a = find_attr(p, "activation_params")) n.attrs["depthwise_activation_params"] = *a;
        if (const Attribute* a = find_attr(c, "activation")) n.attrs["activation"] = *a;
        if (const Attribute* a = find_attr(c, "activation_params")) n.attrs["activation_params"] = *a;
        auto in = [](const Node& m, std::size_t k) { return m.has_input(k) ? m.inputs[k] : kNoValue; };
        n.inputs = {in(p, 0), in(p, 1), in(p, 2), in(p, 3), in(p, 4), c.inputs[1], in(c, 2), in(c, 3)};
        while (!n.inputs.empty() && n.inputs.back() == kNoValue) n.inputs.pop_back();
        n.outputs = c.outputs;
        return n;
    }

    Graph& g_;
    std::vector<std::vector<int>> readers_;
};

}  // namespace

int projection_reader(const Graph& g, const std::vector<std::vector<int>>& readers, ValueId e) {
    const std::vector<int>& r = readers[std::size_t(e)];
    if (r.size() != 1 || g.is_graph_output(e)) return -1;
    const Node& c = g.nodes[std::size_t(r[0])];
    if (!is_conv(c) || c.outputs.size() != 1 || c.inputs.size() < 2 || c.inputs[0] != e) return -1;
    for (std::size_t k = 1; k < c.inputs.size(); ++k)
        if (c.has_input(k) && c.inputs[k] == e) return -1;
    if (!c.has_input(1) || !const_or_absent(g, c, 1) || !const_or_absent(g, c, 2)) return -1;
    const Value& ev = g.value(e);
    const Value& w = g.value(c.inputs[1]);
    if (ev.shape.size() != 4 || w.shape.size() != 4 || w.shape[1] != ev.shape[1] || w.shape[2] != 1 ||
        w.shape[3] != 1)
        return -1;
    if (attr_int(c, "group", 1) != 1 || !all_ints(c, "strides", 1) || !all_ints(c, "pads", 0) ||
        !all_ints(c, "dilations", 1))
        return -1;
    const Attribute* auto_pad = find_attr(c, "auto_pad");
    if (auto_pad && auto_pad->s != "NOTSET" && !auto_pad->s.empty() && auto_pad->s != "VALID") return -1;
    return r[0];
}

Expected<Graph> fuse_inverted_residual(Graph g) {
    InvertedResidualFusion f(g);
    return f.run();
}

}  // namespace kiln
