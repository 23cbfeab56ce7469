// What an operator sees of its node: inputs, outputs, attributes with kind checks, and a sticky error
// that carries the node's context ("node 'conv1' (Conv, opset 13): ..."). Shared by shape inference,
// the reference evaluator and the emitters, so attribute parsing is written once per operator.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "diag/status.h"
#include "ir/graph.h"

namespace kiln {

class NodeCtx {
public:
    NodeCtx(const Graph& g, const Node& n) : graph_(g), node_(n) {}
    virtual ~NodeCtx() = default;

    const Graph& graph() const { return graph_; }
    const Node& node() const { return node_; }
    int opset() const { return node_.opset; }

    std::size_t num_inputs() const { return node_.inputs.size(); }
    bool has_input(std::size_t i) const { return node_.has_input(i); }
    const Value& input(std::size_t i) const { return graph_.value(node_.inputs[i]); }
    DType in_dtype(std::size_t i) const { return input(i).dtype; }
    const Shape& in_shape(std::size_t i) const { return input(i).shape; }
    // Constant data of input i, or nullptr when it is computed at run time (or absent).
    const Tensor* const_input(std::size_t i) const {
        return has_input(i) && input(i).data ? &*input(i).data : nullptr;
    }

    std::size_t num_outputs() const { return node_.outputs.size(); }
    bool has_output(std::size_t i) const { return i < node_.outputs.size() && node_.outputs[i] != kNoValue; }
    const Value& output(std::size_t i) const { return graph_.value(node_.outputs[i]); }
    const Shape& out_shape(std::size_t i) const { return output(i).shape; }
    DType out_dtype(std::size_t i) const { return output(i).dtype; }

    // Attribute access: the default when absent; a wrong kind records an error and returns the default.
    bool has_attr(const std::string& name) const {
        used_attrs_.insert(name);
        return node_.attrs.count(name) != 0;
    }
    // Attributes of the node that the op never looked at: shape inference reports them as unsupported,
    // so an attribute Kiln does not know (or a legacy one with other semantics) is never ignored silently.
    std::vector<std::string> unread_attrs() const;
    int64_t attr_int(const std::string& name, int64_t def);
    float attr_float(const std::string& name, float def);
    std::string attr_string(const std::string& name, const std::string& def);
    std::vector<int64_t> attr_ints(const std::string& name, std::vector<int64_t> def = {});
    std::vector<float> attr_floats(const std::string& name, std::vector<float> def = {});
    std::vector<std::string> attr_strings(const std::string& name);
    const Tensor* attr_tensor(const std::string& name);

    // "node 'x' (Foo, opset 13)"
    std::string where() const;
    // An error with the node's context; also remembered so status() reports it.
    template <typename... Args>
    Status fail(fmt::format_string<Args...> f, Args&&... args) {
        return record(fmt::format(f, std::forward<Args>(args)...));
    }
    Status status() const { return status_; }

    // Normalizes a possibly negative axis against rank; records an error when out of range.
    int64_t normalize_axis(int64_t axis, int64_t rank);

protected:
    Status record(const std::string& what);
    const Attribute* find_attr(const std::string& name, Attribute::Kind kind);

    const Graph& graph_;
    const Node& node_;
    Status status_;
    mutable std::set<std::string> used_attrs_;
};

// Shape inference: check attributes and input types, then set every output's dtype and shape.
class InferCtx : public NodeCtx {
public:
    InferCtx(Graph& g, const Node& n) : NodeCtx(g, n), mutable_graph_(g) {}
    void set_output(std::size_t i, DType dtype, Shape shape);
    // Sets output i as a compile-time constant, for results that depend only on static input shapes
    // (Shape, Size): folding then removes the node even though its inputs are computed at run time.
    void set_output_constant(std::size_t i, Tensor data);
    // Inputs must be present (and of float/int/... types) — helpers for the common checks. A float input must be
    // f32 or f64: fp16/bf16 values are raw bit patterns that arithmetic kernels cannot compute on.
    Status require_inputs(std::size_t min_count, std::size_t max_count);
    Status require_float_input(std::size_t i);

private:
    Graph& mutable_graph_;
};

// Reference evaluation on host tensors; outputs arrive allocated with the inferred dtype and shape.
class EvalCtx : public NodeCtx {
public:
    EvalCtx(const Graph& g, const Node& n, std::vector<const Tensor*> ins, std::vector<Tensor*> outs)
        : NodeCtx(g, n), ins_(std::move(ins)), outs_(std::move(outs)) {}
    const Tensor& in(std::size_t i) const { return *ins_[i]; }
    bool has_in(std::size_t i) const { return i < ins_.size() && ins_[i] != nullptr; }
    Tensor& out(std::size_t i) { return *outs_[i]; }
    bool has_out(std::size_t i) const { return i < outs_.size() && outs_[i] != nullptr; }

private:
    std::vector<const Tensor*> ins_;
    std::vector<Tensor*> outs_;
};

}  // namespace kiln
