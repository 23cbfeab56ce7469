// Control-flow operators (If, Loop, Scan) are not kernels: shape inference expands them into the ordinary
// nodes of the branch taken or of every iteration, which is possible because Kiln compiles static shapes and
// needs conditions and trip counts known at compile time. ExpandCtx is what such an op sees while it does.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ops/op_context.h"

namespace kiln {

class ExpandCtx : public NodeCtx {
public:
    // Infers (and, for control flow, expands) one new node and appends it to the graph's schedule.
    using AddNode = std::function<Status(Node)>;
    // Makes later readers of `from` (the expanded node's output) read `to` instead.
    using Alias = std::function<void(ValueId from, ValueId to)>;

    using Resolve = std::function<ValueId(ValueId)>;

    ExpandCtx(Graph& g, const Node& n, AddNode add, Alias alias, Resolve resolve)
        : NodeCtx(g, n), g_(g), add_(std::move(add)), alias_(std::move(alias)), resolve_(std::move(resolve)) {}

    // A fresh value (typed by the node that will produce it).
    ValueId new_value(const std::string& name);
    ValueId add_constant(Tensor t, const std::string& name);
    // Adds `op_type(inputs) -> outputs` with the node's domain and opset; inferred before this returns.
    Status add_node(const std::string& op_type, const std::vector<ValueId>& inputs, const std::vector<ValueId>& outputs,
                    std::map<std::string, Attribute> attrs = {});
    // Copies `body`'s nodes into the graph with its inputs bound to `args` (captures to the values they name
    // here); returns what its outputs became. `tag` makes the copies' names tell which branch/iteration.
    Expected<std::vector<ValueId>> inline_graph(const Graph& body, const std::vector<ValueId>& args, const std::string& tag);
    // What an id stands for after earlier expansions aliased it.
    ValueId resolve(ValueId id) const { return resolve_(id); }
    // Output i of the expanded node is `v`.
    void bind_output(std::size_t i, ValueId v) { alias_(node_.outputs[i], v); }

    // The subgraph attribute `name`, or an error.
    Expected<const Graph*> subgraph(const std::string& name);

    Graph& mutable_graph() { return g_; }

private:
    Graph& g_;
    AddNode add_;
    Alias alias_;
    Resolve resolve_;
    int counter_ = 0;
};

Attribute int_attribute(int64_t v);

}  // namespace kiln
