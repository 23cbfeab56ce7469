// eliminate-identities: removes nodes that return their input unchanged (Identity, Dropout at inference,
// no-op Reshape/Flatten/Squeeze/Unsqueeze/Transpose/Cast/Expand/Pad/Slice, one-input Concat/Sum/Max/Min/Mean,
// x*1, x/1, x+0, x-0 without a broadcast) and rewires their readers to the input. A graph output keeps its
// value id: the input's producer then writes it directly when nothing else reads the input, otherwise the
// node stays. Assumes infer-shapes ran (dtypes and shapes known, constant inputs hold data).
#include "passes/pass.h"
#include "passes/rewrite.h"

namespace kiln {
namespace {

bool is_onnx_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

// Constant data of input i, or nullptr.
const Tensor* constant_input(const Graph& g, const Node& n, std::size_t i) {
    if (!n.has_input(i)) return nullptr;
    const Value& v = g.value(n.inputs[i]);
    return v.data ? &*v.data : nullptr;
}

bool all_elements_equal(const Tensor* t, double x) {
    if (!t) return false;
    for (int64_t i = 0; i < t->numel(); ++i)
        if (t->as_double(i) != x) return false;  // -0.0 == 0.0: x + (-0) and x - 0 are x exactly
    return true;
}

std::vector<int64_t> int_attr(const Node& n, const char* name) {
    auto it = n.attrs.find(name);
    return it != n.attrs.end() && it->second.kind == Attribute::Kind::Ints ? it->second.ints : std::vector<int64_t>{};
}

// A permutation that moves only size-1 dims keeps the bytes in place.
bool transpose_keeps_bytes(const Node& n, const Shape& in) {
    std::vector<int64_t> perm = int_attr(n, "perm");
    if (n.attrs.count("perm") == 0)
        for (std::size_t d = in.size(); d-- > 0;) perm.push_back(int64_t(d));
    if (perm.size() != in.size()) return false;
    int64_t last = -1;
    for (int64_t p : perm) {
        if (p < 0 || p >= int64_t(in.size())) return false;
        if (in[std::size_t(p)] == 1) continue;
        if (p < last) return false;
        last = p;
    }
    return true;
}

// Index of the input that passes through the element-wise op unchanged (x in x*1, x/1, x+0, 0+x, x-0), or -1.
int neutral_operand_input(const Graph& g, const Node& n) {
    if (n.inputs.size() != 2 || n.opset < 7) return -1;  // before opset 7: legacy broadcast attributes
    const std::string& op = n.op_type;
    const double neutral = (op == "Mul" || op == "Div") ? 1.0 : 0.0;
    if (all_elements_equal(constant_input(g, n, 1), neutral)) return 0;
    if ((op == "Mul" || op == "Add") && all_elements_equal(constant_input(g, n, 0), neutral)) return 1;
    return -1;
}

// The value n returns unchanged (its output 0 is a copy of it), or kNoValue.
ValueId passthrough_input(const Graph& g, const Node& n, const std::vector<int>& readers) {
    if (!is_onnx_domain(n) || n.outputs.empty() || n.outputs[0] == kNoValue || n.inputs.empty()) return kNoValue;
    const std::string& op = n.op_type;
    int from = 0;
    if (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
        op == "Cast" || op == "CastLike" || op == "Expand") {
    } else if (op == "Dropout") {
        // Inference only: training_mode absent or a constant false, and nobody wants the mask.
        if (n.has_input(2)) {
            const Tensor* t = constant_input(g, n, 2);
            if (!t || t->numel() != 1 || t->as_int64(0) != 0) return kNoValue;
        }
        if (n.outputs.size() > 1 && n.outputs[1] != kNoValue &&
            (readers[std::size_t(n.outputs[1])] != 0 || g.is_graph_output(n.outputs[1])))
            return kNoValue;
    } else if (op == "Transpose") {
        if (!n.has_input(0) || !transpose_keeps_bytes(n, g.value(n.inputs[0]).shape)) return kNoValue;
    } else if (op == "Pad") {
        std::vector<int64_t> pads;
        if (n.opset < 11) {
            pads = int_attr(n, n.opset < 2 ? "paddings" : "pads");
        } else {
            const Tensor* t = constant_input(g, n, 1);
            if (!t) return kNoValue;
            pads = t->to_int64_vector();
        }
        for (int64_t p : pads)
            if (p != 0) return kNoValue;
    } else if (op == "Slice") {
        // Same shape with forward steps reads every element in place; a negative step would reverse.
        if (n.opset >= 10 && n.has_input(4)) {
            const Tensor* t = constant_input(g, n, 4);
            if (!t) return kNoValue;
            for (int64_t s : t->to_int64_vector())
                if (s < 1) return kNoValue;
        }
    } else if (op == "Concat" || op == "Sum" || op == "Max" || op == "Min" || op == "Mean") {
        if (n.inputs.size() != 1) return kNoValue;
    } else if (op == "Mul" || op == "Div" || op == "Add" || op == "Sub") {
        from = neutral_operand_input(g, n);
        if (from < 0) return kNoValue;
    } else {
        return kNoValue;
    }
    if (!n.has_input(std::size_t(from))) return kNoValue;
    const ValueId in = n.inputs[std::size_t(from)];
    const Value& x = g.value(in);
    const Value& y = g.value(n.outputs[0]);
    // The common condition of all of them: nothing about the bytes changes (no broadcast, no conversion).
    if (!x.shape_known || !y.shape_known || x.dtype != y.dtype || x.shape != y.shape || x.quant || y.quant)
        return kNoValue;
    return in;
}

}  // namespace

Expected<Graph> eliminate_identities(Graph g) {
    // 1. Identities whose output is internal: readers read the input instead.
    std::vector<int> readers = reader_counts(g);
    ValueReplacements rep(g);
    std::vector<bool> drop(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        Node& n = g.nodes[i];
        for (ValueId& id : n.inputs) id = rep.resolve(id);
        const ValueId in = passthrough_input(g, n, readers);
        if (in == kNoValue || g.is_graph_output(n.outputs[0])) continue;
        rep.replace(n.outputs[0], in);
        drop[i] = true;
    }
    rep.apply(g);
    remove_nodes(g, drop);

    // 2. Identities that write a graph output: its value id must stay, so the producer of the input
    // writes it instead, if the input is that node's private result. Otherwise the copy stays.
    readers = reader_counts(g);
    std::vector<int> producer = g.producers();
    drop.assign(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        const ValueId in = passthrough_input(g, n, readers);
        if (in == kNoValue) continue;
        const int p = producer[std::size_t(in)];
        const ValueId out = n.outputs[0];
        if (p < 0 || g.is_graph_output(in) || g.is_graph_input(in) || g.value(in).is_constant() ||
            readers[std::size_t(in)] != 1)
            continue;
        // Other inputs of n (Reshape's shape, x*1's constant) lose a reader; dead-code elimination drops them.
        for (ValueId& o : g.nodes[std::size_t(p)].outputs)
            if (o == in) o = out;
        producer[std::size_t(out)] = p;
        drop[i] = true;
    }
    remove_nodes(g, drop);
    return g;
}

}  // namespace kiln
