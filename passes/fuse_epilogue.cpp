// fuse-epilogue: Conv, ConvTranspose or Gemm followed by a residual Add (the other operand a run-time
// tensor of exactly the output's shape and type) and/or one activation (Relu, Clip with constant bounds,
// LeakyRelu, Sigmoid, HardSigmoid, HardSwish, x * Sigmoid(x), Tanh) becomes one kiln FusedConv /
// FusedConvTranspose / FusedGemm computing act(layer(x) + bias + z) (ops/fused.cpp). Every intermediate
// must have exactly one reader (x for SiLU: the Sigmoid and the Mul) and not be a graph output.
// Float32/float64 only; assumes infer-shapes ran and nodes are in topological order.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ops/registry.h"
#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

struct Activation {
    std::string name;  // as in FusedConv's `activation`
    std::vector<float> params;
};

// A bound of Clip as a float; false when it is not constant or not exactly a float (f64 graphs).
bool clip_bound(const Graph& g, const Node& n, std::size_t input, const char* attr, float none, float* v) {
    *v = none;
    if (n.opset < 11) {
        if (const Attribute* a = find_attr(n, attr)) *v = a->f;
        return true;
    }
    if (!n.has_input(input)) return true;
    const Value& b = g.value(n.inputs[input]);
    if (!b.is_constant() || b.numel() != 1) return false;
    const double d = b.data->as_double(0);
    *v = float(d);
    return double(*v) == d;  // also false for NaN
}

// The activation node n applies to its input 0, or false when n is none Kiln fuses.
bool single_activation(const Graph& g, const Node& n, Activation* act) {
    if (!n.domain.empty() || n.inputs.empty() || n.outputs.size() != 1) return false;
    const std::string& op = n.op_type;
    act->params.clear();
    if (op == "Relu" || op == "Sigmoid" || op == "HardSwish" || op == "Tanh") {
        act->name = op;
        return true;
    }
    if (op == "LeakyRelu") {
        act->name = op;
        act->params = {attr_float(n, "alpha", 0.01f)};
        return true;
    }
    if (op == "HardSigmoid") {
        act->name = op;
        act->params = {attr_float(n, "alpha", 0.2f), attr_float(n, "beta", 0.5f)};
        return true;
    }
    if (op == "Clip") {
        const float inf = std::numeric_limits<float>::infinity();
        float lo = 0, hi = 0;
        if (!clip_bound(g, n, 1, "min", -inf, &lo) || !clip_bound(g, n, 2, "max", inf, &hi)) return false;
        act->name = op;
        act->params = {lo, hi};
        return true;
    }
    return false;
}

class EpilogueFusion {
public:
    explicit EpilogueFusion(Graph& g) : g_(g), readers_(g.consumers()) {}

    Graph run() {
        fused_.assign(g_.nodes.size(), false);
        replace_.assign(g_.nodes.size(), -1);
        for (std::size_t i = 0; i < g_.nodes.size(); ++i) try_fuse(i);
        std::vector<Node> nodes;
        for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
            if (replace_[i] >= 0) nodes.push_back(std::move(new_nodes_[std::size_t(replace_[i])]));
            else if (!fused_[i]) nodes.push_back(std::move(g_.nodes[i]));
        }
        g_.nodes = std::move(nodes);
        return std::move(g_);
    }

private:
    // The single node reading v (not yet fused), or -1 when v has other readers or is a graph output.
    int sole_reader(ValueId v) const {
        const std::vector<int>& r = readers_[std::size_t(v)];
        if (r.size() != 1 || g_.is_graph_output(v) || fused_[std::size_t(r[0])]) return -1;
        return r[0];
    }

    // x * Sigmoid(x): x read by exactly a Sigmoid and a Mul(x, sigmoid) (either order); returns the Mul.
    int silu_mul(ValueId x, int* sigmoid) const {
        const std::vector<int>& r = readers_[std::size_t(x)];
        if (r.size() != 2 || g_.is_graph_output(x)) return -1;
        for (int k = 0; k < 2; ++k) {
            const Node& s = g_.nodes[std::size_t(r[std::size_t(k)])];
            const Node& m = g_.nodes[std::size_t(r[std::size_t(1 - k)])];
            if (s.op_type != "Sigmoid" || !s.domain.empty() || m.op_type != "Mul" || !m.domain.empty()) continue;
            if (fused_[std::size_t(r[0])] || fused_[std::size_t(r[1])] || s.inputs[0] != x || m.inputs.size() != 2)
                continue;
            const ValueId so = s.outputs[0];
            if (sole_reader(so) != r[std::size_t(1 - k)]) continue;
            if (!((m.inputs[0] == x && m.inputs[1] == so) || (m.inputs[0] == so && m.inputs[1] == x))) continue;
            *sigmoid = r[std::size_t(k)];
            return r[std::size_t(1 - k)];
        }
        return -1;
    }

    void try_fuse(std::size_t i) {
        const Node& layer = g_.nodes[i];
        if (fused_[i] || layer.outputs.size() != 1 || layer.inputs.size() < 2) return;
        // A FusedGemm of fuse-matmul-add (N-D MatMul + bias) without epilogue yet takes one as a Gemm does.
        const bool bare_fused_gemm = layer.domain == kInternalDomain && layer.op_type == "FusedGemm" &&
                                     layer.inputs.size() <= 3 && layer.attrs.count("activation") == 0;
        if (!layer.domain.empty() && !bare_fused_gemm) return;
        const std::string op = bare_fused_gemm ? "Gemm" : layer.op_type;
        if (op != "Conv" && op != "ConvTranspose" && op != "Gemm") return;
        if (op == "Gemm" && !bare_fused_gemm && (layer.opset < 7 || layer.attrs.count("broadcast"))) return;
        const ValueId y = layer.outputs[0];
        const Value& yv = g_.value(y);
        if (yv.dtype != DType::Float32 && yv.dtype != DType::Float64) return;
        std::vector<int> chain;  // nodes folded into the layer, in order
        ValueId cur = y, residual = kNoValue;
        // Residual Add: the other operand a run-time value of exactly y's type and shape.
        int r = sole_reader(cur);
        if (r >= 0) {
            const Node& add = g_.nodes[std::size_t(r)];
            if (add.op_type == "Add" && add.domain.empty() && add.inputs.size() == 2) {
                const ValueId z = add.inputs[0] == cur ? add.inputs[1] : add.inputs[0];
                const Value& zv = g_.value(z);
                if (z != cur && !zv.is_constant() && zv.dtype == yv.dtype && zv.shape == yv.shape) {
                    residual = z;
                    chain.push_back(r);
                    cur = add.outputs[0];
                }
            }
        }
        Activation act;
        r = sole_reader(cur);
        int sigmoid = -1;
        if (r >= 0 && single_activation(g_, g_.nodes[std::size_t(r)], &act) &&
            g_.nodes[std::size_t(r)].inputs[0] == cur) {
            chain.push_back(r);
            cur = g_.nodes[std::size_t(r)].outputs[0];
        } else if ((r = silu_mul(cur, &sigmoid)) >= 0) {
            act.name = "Silu";
            chain.push_back(sigmoid);
            chain.push_back(r);
            cur = g_.nodes[std::size_t(r)].outputs[0];
        }
        if (chain.empty()) return;
        Node fused;
        fused.name = layer.name;
        fused.op_type = "Fused" + op;
        fused.domain = kInternalDomain;
        fused.opset = 1;
        fused.attrs = layer.attrs;
        fused.inputs = layer.inputs;
        if (residual != kNoValue) {
            fused.inputs.resize(3, kNoValue);
            fused.inputs.push_back(residual);
        }
        fused.outputs = {cur};
        Attribute a;
        a.kind = Attribute::Kind::String;
        a.s = act.name;
        fused.attrs["activation"] = a;
        Attribute p;
        p.kind = Attribute::Kind::Floats;
        p.floats = act.params;
        fused.attrs["activation_params"] = p;
        // The fused node takes the place of the last node of the chain: the residual may be computed
        // after the layer, and every reader of the result comes later.
        fused_[i] = true;
        int last = chain[0];
        for (int c : chain) {
            fused_[std::size_t(c)] = true;
            last = std::max(last, c);
        }
        replace_[std::size_t(last)] = int(new_nodes_.size());
        new_nodes_.push_back(std::move(fused));
    }

    Graph& g_;
    std::vector<std::vector<int>> readers_;
    std::vector<bool> fused_;
    std::vector<int> replace_;  // node index -> index in new_nodes_ of the fused node written there
    std::vector<Node> new_nodes_;
};

}  // namespace

Expected<Graph> fuse_epilogue(Graph g) {
    EpilogueFusion f(g);
    return f.run();
}

}  // namespace kiln
