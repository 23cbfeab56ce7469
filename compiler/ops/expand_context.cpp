// Cloning subgraphs into the enclosing graph for control-flow expansion.
#include "ops/expand_context.h"

namespace kiln {

Attribute int_attribute(int64_t v) {
    Attribute a;
    a.kind = Attribute::Kind::Int;
    a.i = v;
    return a;
}

ValueId ExpandCtx::new_value(const std::string& name) {
    Value v;
    v.name = name;
    return g_.add_value(std::move(v));
}

ValueId ExpandCtx::add_constant(Tensor t, const std::string& name) {
    Value v;
    v.name = name;
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.shape_known = true;
    v.data = std::move(t);
    return g_.add_value(std::move(v));
}

Status ExpandCtx::add_node(const std::string& op_type, const std::vector<ValueId>& inputs,
                           const std::vector<ValueId>& outputs, std::map<std::string, Attribute> attrs) {
    Node n;
    n.name = fmt::format("{}/{}{}", node_.name, op_type, counter_++);
    n.op_type = op_type;
    n.domain = "";
    n.opset = node_.opset;
    n.inputs = inputs;
    n.outputs = outputs;
    n.attrs = std::move(attrs);
    return add_(std::move(n));
}

Expected<const Graph*> ExpandCtx::subgraph(const std::string& name) {
    auto it = node_.attrs.find(name);
    has_attr(name);
    if (it == node_.attrs.end() || it->second.kind != Attribute::Kind::Graph || !it->second.g)
        return fail("attribute '{}' (a graph) is missing", name);
    return it->second.g.get();
}

Expected<std::vector<ValueId>> ExpandCtx::inline_graph(const Graph& body, const std::vector<ValueId>& args,
                                                       const std::string& tag) {
    if (args.size() != body.inputs.size())
        return fail("subgraph '{}' takes {} inputs, {} given", body.name, body.inputs.size(), args.size());
    std::map<ValueId, ValueId> map;  // body id -> id here
    for (std::size_t i = 0; i < args.size(); ++i) {
        const DType declared = body.value(body.inputs[i]).dtype;
        if (declared != DType::Undefined && args[i] != kNoValue && g_.value(args[i]).dtype != declared)
            return fail("subgraph '{}' input '{}' is {} but {} is given", body.name, body.value(body.inputs[i]).name,
                        dtype_name(declared), dtype_name(g_.value(args[i]).dtype));
        map[body.inputs[i]] = args[i];
    }
    for (const auto& [inner, outer] : body.captures) map[inner] = outer;
    auto id_here = [&](ValueId id) -> ValueId {
        if (id == kNoValue) return kNoValue;
        auto it = map.find(id);
        if (it != map.end()) return it->second;
        const Value& v = body.value(id);
        ValueId n = v.data ? add_constant(*v.data, tag + "/" + v.name) : new_value(tag + "/" + v.name);
        map[id] = n;
        return n;
    };
    for (const Node& bn : body.nodes) {
        Node n = bn;
        n.name = tag + "/" + bn.name;
        for (ValueId& id : n.inputs) id = id_here(id);
        for (ValueId& id : n.outputs) id = id_here(id);
        // A nested body reads values of this body: point its captures at their copies here.
        for (auto& kv : n.attrs) {
            if (kv.second.kind != Attribute::Kind::Graph || !kv.second.g) continue;
            Graph nested = *kv.second.g;
            for (auto& cap : nested.captures) cap.second = id_here(cap.second);
            kv.second.g = std::make_shared<const Graph>(std::move(nested));
        }
        KILN_TRY(add_(std::move(n)));
    }
    std::vector<ValueId> outs;
    for (ValueId id : body.outputs) outs.push_back(resolve_(id_here(id)));
    return outs;
}

}  // namespace kiln
