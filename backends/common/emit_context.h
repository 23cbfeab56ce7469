// What an operator's emitter sees while the backend writes one layer: C expressions for its buffers,
// a place for its constant parameter blocks, the kernels it needs, and the statements of run().
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "backends/common/code_writer.h"
#include "ops/op_context.h"

namespace kiln {

// A constant the backend derives from the model's weights (a packed copy of them, say): emitted like a
// weight (NAME.cpp or the NAME-weights-K.cpp files), in the order the layers define them.
struct DerivedWeight {
    std::string name;
    std::string comment;  // already sanitized
    Tensor data;
};

// Per-module state the backend shares with every layer's EmitCtx.
struct ModuleEmitState {
    std::map<ValueId, std::string> value_expr;  // value -> C expression of its buffer (a pointer)
    std::set<std::string> kernels;              // kernel sources used, e.g. "portable/elementwise.h"
    std::set<ValueId> read;                     // values whose expression an emitter used
    std::map<int, std::size_t> workspace;       // layer -> arena offset of its scratch (MemoryPlan::workspace)
    std::vector<DerivedWeight> derived;         // weights the emitters re-laid out
    CodeWriter params;                          // file-scope `static const` parameter blocks
    CodeWriter body;                            // statements of run()
};

class EmitCtx : public NodeCtx {
public:
    EmitCtx(const Graph& g, const Node& n, int layer, ModuleEmitState& state)
        : NodeCtx(g, n), layer_(layer), state_(state) {}

    // Pointer expression of input/output i (typed: `const float*`-compatible for inputs).
    std::string in(std::size_t i) const { return expr(node_.inputs[i]); }
    std::string out(std::size_t i) const { return expr(node_.outputs[i]); }
    // Pointer expression (ctype*) of the layer's arena scratch, sized by its OpSchema::workspace_bytes.
    std::string workspace(const std::string& ctype);
    // C type of input/output i's elements ("float", "int64_t", ...).
    std::string in_ctype(std::size_t i) const { return dtype_ctype(in_dtype(i)); }
    std::string out_ctype(std::size_t i) const { return dtype_ctype(out_dtype(i)); }

    // Marks a kernel header as needed, e.g. use_kernel("portable/conv.h").
    void use_kernel(const std::string& name) { state_.kernels.insert(name); }

    // Defines `static const TYPE <layer>_<suffix> = INIT;` at file scope and returns the name.
    std::string define_params(const std::string& type, const std::string& init, const std::string& suffix = "p");
    // Defines `static const int64_t <layer>_<suffix>[] = {...};` (for index lists) and returns the name.
    std::string define_int_array(const std::vector<int64_t>& values, const std::string& suffix);
    // Defines `static const <ctype> <layer>_<suffix>[N] = {...};` holding a tensor computed at compile time
    // (tables a kernel reads, such as DFT twiddle factors) and returns the name.
    std::string define_array(const Tensor& values, const std::string& suffix);

    // A weight array of the layer holding `values` (e.g. a re-laid-out copy of a weight input, which the
    // layer then does not read): written with the model's weights, aligned to the target. Returns its name.
    std::string define_weight(Tensor values, const std::string& suffix, const std::string& comment);

    // One statement in run(); every layer's statements follow its one-line comment.
    template <typename... Args>
    void call(fmt::format_string<Args...> f, Args&&... args) {
        state_.body.line(f, std::forward<Args>(args)...);
    }

    int layer() const { return layer_; }
    std::string layer_name() const;

private:
    std::string expr(ValueId id) const;
    int layer_;
    ModuleEmitState& state_;
};

}  // namespace kiln
