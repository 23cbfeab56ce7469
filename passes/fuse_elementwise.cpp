// fuse-elementwise: chains of float elementwise ops (unary math and activations; Add/Sub/Mul/Div/Pow/Max/
// Min/PRelu with a scalar, same-shape or per-channel operand) whose intermediates have one reader and are
// not graph outputs become one Kiln-internal ElementwiseChain node, so each element is loaded and stored
// once. The chain may read its start input again (x * sigmoid(x), GELU). Assumes infer-shapes ran.
#include <cstring>
#include <limits>

#include "backends/portable/kernels/elementwise_chain.h"
#include "ops/registry.h"
#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

struct Step {
    std::string op;
    ValueId operand = kNoValue;  // binary steps: the other input
    bool swap = false;           // the operand is the left argument
    float a = 0, b = 0;
};

bool one_of(const std::string& s, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (s == n) return true;
    return false;
}

// Same rule as ElementwiseChain's inference: scalar, or one contiguous run of the output's dims.
bool fits_operand(const Shape& in, const Shape& out) {
    if (in.size() > out.size()) return false;
    const std::size_t off = out.size() - in.size();
    int first = -1, last = -1;
    for (std::size_t d = 0; d < in.size(); ++d)
        if (in[d] != 1) {
            if (first < 0) first = int(d);
            last = int(d);
        }
    for (int d = first; first >= 0 && d <= last; ++d)
        if (in[std::size_t(d)] != out[std::size_t(d) + off]) return false;
    return true;
}

// A scalar Clip bound input as float, if it is a constant the float parameter holds exactly.
bool clip_bound(const Graph& g, const Node& n, std::size_t i, float unbounded, float* out) {
    if (!n.has_input(i)) {
        *out = unbounded;
        return true;
    }
    const Value& v = g.value(n.inputs[i]);
    if (!v.data || v.data->numel() != 1) return false;
    const double d = v.data->as_double(0);
    *out = float(d);
    return double(*out) == d || d != d;
}

// The step node n applies to the running value v (dtype t, shape `shape`), or false when it is not one.
bool as_step(const Graph& g, const Node& n, ValueId v, DType t, const Shape& shape, Step* s) {
    if (!(n.domain.empty() || n.domain == "ai.onnx") || n.outputs.size() != 1 || n.outputs[0] == kNoValue) return false;
    const Value& y = g.value(n.outputs[0]);
    if (y.dtype != t || y.shape != shape || y.quant) return false;
    for (ValueId id : n.inputs)
        if (id == kNoValue) {
            if (n.op_type != "Clip") return false;
        } else if (g.value(id).dtype != t || g.value(id).quant) {
            return false;
        }
    NodeCtx c(g, n);  // reads attributes with the ops' defaults; anything else it has: not fused
    const std::string& op = n.op_type;
    const float inf = std::numeric_limits<float>::infinity();
    *s = Step{};
    s->op = op;
    if (one_of(op, {"Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Erf", "Sin",
                    "Cos", "Tan", "Atan", "Sinh", "Cosh", "Tanh", "Sigmoid", "Relu", "HardSwish", "Softplus",
                    "Softsign", "LeakyRelu", "Elu", "Celu", "ThresholdedRelu", "HardSigmoid", "Selu", "Clip"})) {
        if (n.inputs.empty() || n.inputs[0] != v) return false;
        if (op == "LeakyRelu") s->a = c.attr_float("alpha", 0.01f);
        if (op == "Elu" || op == "Celu" || op == "ThresholdedRelu") s->a = c.attr_float("alpha", 1.0f);
        if (op == "HardSigmoid") {
            s->a = c.attr_float("alpha", 0.2f);
            s->b = c.attr_float("beta", 0.5f);
        }
        if (op == "Selu") {
            s->a = c.attr_float("alpha", 1.67326319217681884765625f);
            s->b = c.attr_float("gamma", 1.05070102214813232421875f);
        }
        if (op == "Clip") {
            if (n.opset < 11) {
                s->a = c.has_attr("min") ? c.attr_float("min", 0.0f) : -inf;
                s->b = c.has_attr("max") ? c.attr_float("max", 0.0f) : inf;
            } else if (n.inputs.size() > 3 || !clip_bound(g, n, 1, -inf, &s->a) || !clip_bound(g, n, 2, inf, &s->b)) {
                return false;
            }
        } else if (n.inputs.size() != 1) {
            return false;
        }
        return c.status().is_ok() && c.unread_attrs().empty();
    }
    if (!one_of(op, {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "PRelu"})) return false;
    // Before opset 7 these broadcast with attributes (and PRelu's slope aligned differently).
    if (n.opset < 7 || n.inputs.size() != 2 || !n.attrs.empty()) return false;
    if ((n.inputs[0] == v) == (n.inputs[1] == v)) return false;  // v op v, or v not read
    s->swap = n.inputs[1] == v;
    if (s->swap && op == "PRelu") return false;
    s->operand = n.inputs[s->swap ? 0 : 1];
    return fits_operand(g.value(s->operand).shape, shape);
}

// The first step of a chain starting at n: its start input and step, or false.
bool as_head(const Graph& g, const Node& n, ValueId* x, Step* s) {
    if (n.outputs.size() != 1 || n.outputs[0] == kNoValue || n.inputs.empty()) return false;
    const Value& y = g.value(n.outputs[0]);
    if (y.dtype != DType::Float32 && y.dtype != DType::Float64) return false;
    // Prefer a run-time input as the start (the one the chain streams through); constants become operands.
    std::vector<std::size_t> order = {0, 1};
    if (n.inputs.size() >= 2 && n.inputs[0] != kNoValue && g.value(n.inputs[0]).is_constant()) order = {1, 0};
    for (std::size_t i : order) {
        if (i >= n.inputs.size() || n.inputs[i] == kNoValue) continue;
        const Value& in = g.value(n.inputs[i]);
        if (in.shape != y.shape) continue;
        if (as_step(g, n, n.inputs[i], y.dtype, y.shape, s)) {
            *x = n.inputs[i];
            return true;
        }
    }
    return false;
}

Attribute strings_attr(std::vector<std::string> v) {
    Attribute a;
    a.kind = Attribute::Kind::Strings;
    a.strings = std::move(v);
    return a;
}
Attribute ints_attr(std::vector<int64_t> v) {
    Attribute a;
    a.kind = Attribute::Kind::Ints;
    a.ints = std::move(v);
    return a;
}
Attribute floats_attr(std::vector<float> v) {
    Attribute a;
    a.kind = Attribute::Kind::Floats;
    a.floats = std::move(v);
    return a;
}

// The ElementwiseChain node for the steps; inputs[0] is the start value.
Node chain_node(const Node& tail, const std::vector<ValueId>& inputs, const std::vector<Step>& steps) {
    Node f;
    f.name = tail.name;
    f.op_type = "ElementwiseChain";
    f.domain = kInternalDomain;
    f.opset = 1;
    f.inputs = inputs;
    f.outputs = tail.outputs;
    std::vector<std::string> ops;
    std::vector<int64_t> operand, swap;
    std::vector<float> params;
    for (const Step& s : steps) {
        ops.push_back(s.op);
        int64_t k = -1;
        for (std::size_t i = 0; s.operand != kNoValue && i < inputs.size(); ++i)
            if (inputs[i] == s.operand && k < 0) k = int64_t(i);
        operand.push_back(k);
        swap.push_back(s.swap ? 1 : 0);
        params.push_back(s.a);
        params.push_back(s.b);
    }
    f.attrs["ops"] = strings_attr(std::move(ops));
    f.attrs["operand"] = ints_attr(std::move(operand));
    f.attrs["swap"] = ints_attr(std::move(swap));
    f.attrs["params"] = floats_attr(std::move(params));
    return f;
}

}  // namespace

Expected<Graph> fuse_elementwise(Graph g) {
    const std::vector<int> readers = reader_counts(g);
    const std::vector<std::vector<int>> consumers = g.consumers();
    std::vector<bool> in_chain(g.nodes.size(), false), drop(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        if (in_chain[i]) continue;
        ValueId x = kNoValue;
        Step first;
        if (!as_head(g, g.nodes[i], &x, &first)) continue;
        const DType t = g.value(x).dtype;
        const Shape shape = g.value(x).shape;
        std::vector<Step> steps = {first};
        std::vector<std::size_t> members = {i};
        std::vector<ValueId> inputs = {x};
        auto add_input = [&](ValueId id) {
            for (ValueId in : inputs)
                if (in == id) return true;
            if (inputs.size() >= std::size_t(kernels::kChainMaxInputs)) return false;
            inputs.push_back(id);
            return true;
        };
        if (first.operand != kNoValue) add_input(first.operand);
        ValueId cur = g.nodes[i].outputs[0];
        while (steps.size() < std::size_t(kernels::kChainMaxSteps) && is_private_to_one_reader(g, readers, cur)) {
            const std::size_t r = std::size_t(consumers[std::size_t(cur)][0]);
            Step s;
            if (in_chain[r] || !as_step(g, g.nodes[r], cur, t, shape, &s)) break;
            if (s.operand != kNoValue && !add_input(s.operand)) break;
            steps.push_back(s);
            members.push_back(r);
            cur = g.nodes[r].outputs[0];
        }
        if (steps.size() < 2) continue;  // one op is already one loop
        // The fused node takes the tail's place: every operand is computed before the tail, every reader after.
        const std::size_t tail = members.back();
        Node fused = chain_node(g.nodes[tail], inputs, steps);
        for (std::size_t m : members) {
            in_chain[m] = true;
            drop[m] = m != tail;
        }
        {
            InferCtx c(g, fused);
            Status st = find_op(kInternalDomain, fused.op_type)->infer(c);
            if (!st.is_ok()) return Status::error("fuse-elementwise: internal error: " + st.message());
        }
        g.nodes[tail] = std::move(fused);
    }
    remove_nodes(g, drop);
    return g;
}

}  // namespace kiln
