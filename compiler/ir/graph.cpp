// Graph queries and the textual IR printer.
#include "ir/graph.h"

#include <algorithm>

#include <fmt/format.h>

namespace kiln {

const char* attribute_kind_name(Attribute::Kind k) {
    switch (k) {
    case Attribute::Kind::Float: return "float";
    case Attribute::Kind::Int: return "int";
    case Attribute::Kind::String: return "string";
    case Attribute::Kind::Tensor: return "tensor";
    case Attribute::Kind::Floats: return "floats";
    case Attribute::Kind::Ints: return "ints";
    case Attribute::Kind::Strings: return "strings";
    case Attribute::Kind::Graph: return "graph";
    case Attribute::Kind::Unsupported: return "unsupported";
    }
    return "unsupported";
}

ValueId Graph::find_value(const std::string& n) const {
    for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i].name == n) return ValueId(i);
    return kNoValue;
}

bool Graph::is_graph_input(ValueId id) const {
    return std::find(inputs.begin(), inputs.end(), id) != inputs.end();
}

bool Graph::is_graph_output(ValueId id) const {
    return std::find(outputs.begin(), outputs.end(), id) != outputs.end();
}

std::vector<int> Graph::producers() const {
    std::vector<int> p(values.size(), -1);
    for (std::size_t n = 0; n < nodes.size(); ++n)
        for (ValueId o : nodes[n].outputs)
            if (o != kNoValue) p[std::size_t(o)] = int(n);
    return p;
}

std::vector<std::vector<int>> Graph::consumers() const {
    std::vector<std::vector<int>> c(values.size());
    for (std::size_t n = 0; n < nodes.size(); ++n)
        for (ValueId i : nodes[n].inputs)
            if (i != kNoValue && (c[std::size_t(i)].empty() || c[std::size_t(i)].back() != int(n)))
                c[std::size_t(i)].push_back(int(n));
    return c;
}

namespace {

std::string type_str(const Value& v) {
    return fmt::format("{}[{}]", dtype_name(v.dtype), v.shape_known ? shape_str(v.shape) : "?");
}

std::string attr_str(const Attribute& a) {
    switch (a.kind) {
    case Attribute::Kind::Float: return fmt::format("{}", a.f);
    case Attribute::Kind::Int: return fmt::format("{}", a.i);
    case Attribute::Kind::String: return fmt::format("\"{}\"", a.s);
    case Attribute::Kind::Tensor: return fmt::format("tensor<{}[{}]>", dtype_name(a.t->dtype()), shape_str(a.t->shape()));
    case Attribute::Kind::Floats: return fmt::format("[{}]", fmt::join(a.floats, ","));
    case Attribute::Kind::Ints: return fmt::format("[{}]", fmt::join(a.ints, ","));
    case Attribute::Kind::Strings: {
        // Short lists in full (an ElementwiseChain's program reads as ops=[Mul,Add,Relu]); long ones counted.
        bool short_list = a.strings.size() <= 16;
        for (const std::string& s : a.strings) short_list = short_list && s.size() <= 24;
        if (short_list) return fmt::format("[{}]", fmt::join(a.strings, ","));
        return fmt::format("[{} strings]", a.strings.size());
    }
    case Attribute::Kind::Graph: return "<graph>";
    case Attribute::Kind::Unsupported: return "<unsupported>";
    }
    return "";
}

}  // namespace

std::string print_graph(const Graph& g) {
    std::string out = fmt::format("graph {} {{\n", g.name);
    for (ValueId id : g.inputs) out += fmt::format("  input %{}: {}\n", g.value(id).name, type_str(g.value(id)));
    std::size_t nconst = 0, const_bytes = 0;
    for (const Value& v : g.values)
        if (v.is_constant()) { ++nconst; const_bytes += v.data->nbytes(); }
    out += fmt::format("  # {} constants, {} bytes\n", nconst, const_bytes);
    for (const Node& n : g.nodes) {
        std::vector<std::string> outs, ins, attrs;
        for (ValueId o : n.outputs)
            outs.push_back(o == kNoValue ? "_" : fmt::format("%{}: {}", g.value(o).name, type_str(g.value(o))));
        for (ValueId i : n.inputs)
            ins.push_back(i == kNoValue ? "_" : fmt::format("%{}{}", g.value(i).name, g.value(i).is_constant() ? "(const)" : ""));
        for (const auto& [k, a] : n.attrs) attrs.push_back(fmt::format("{}={}", k, attr_str(a)));
        out += fmt::format("  {} = {}({})", fmt::join(outs, ", "), n.op_type, fmt::join(ins, ", "));
        if (!attrs.empty()) out += fmt::format(" {{{}}}", fmt::join(attrs, ", "));
        out += fmt::format("  # {}\n", n.name);
    }
    std::vector<std::string> outs;
    for (ValueId id : g.outputs) outs.push_back(fmt::format("%{}", g.value(id).name));
    out += fmt::format("  return {}\n}}\n", fmt::join(outs, ", "));
    return out;
}

}  // namespace kiln
