// The graph IR: values (typed, statically shaped, optionally constant or quantized) and nodes
// (ONNX op type, opset, attributes) in a topologically ordered list. Passes take and return Graphs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace kiln {

using ValueId = int32_t;
constexpr ValueId kNoValue = -1;  // an omitted optional input

// Per-tensor (axis < 0, one scale) or per-axis quantization of a value.
struct QuantParams {
    std::vector<float> scale;
    std::vector<int32_t> zero_point;
    int axis = -1;
};

struct Value {
    std::string name;
    DType dtype = DType::Undefined;
    Shape shape;
    bool shape_known = false;
    // Names of symbolic dims of a graph input as written in the model (empty string: fixed dim).
    std::vector<std::string> dim_params;
    std::optional<Tensor> data;  // set for constants (initializers, folded values)
    std::optional<QuantParams> quant;

    bool is_constant() const { return data.has_value(); }
    int64_t numel() const { return shape_numel(shape); }
    std::size_t nbytes() const { return std::size_t(numel()) * dtype_size(dtype); }
};

class Graph;

struct Attribute {
    enum class Kind { Float, Int, String, Tensor, Floats, Ints, Strings, Graph, Unsupported };
    Kind kind = Kind::Unsupported;
    float f = 0;
    int64_t i = 0;
    std::string s;
    std::optional<kiln::Tensor> t;
    std::vector<float> floats;
    std::vector<int64_t> ints;
    std::vector<std::string> strings;
    std::shared_ptr<const kiln::Graph> g;
};

const char* attribute_kind_name(Attribute::Kind k);

struct Node {
    std::string name;     // unique, non-empty after import
    std::string op_type;  // ONNX op type, e.g. "Conv"
    std::string domain;   // "" for the default ONNX domain
    int opset = 0;        // opset version of the node's domain in the model
    std::vector<ValueId> inputs;
    std::vector<ValueId> outputs;
    std::map<std::string, Attribute> attrs;

    bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i] != kNoValue; }
};

class Graph {
public:
    std::string name;
    std::vector<Value> values;
    std::vector<Node> nodes;  // kept in a valid topological order
    std::vector<ValueId> inputs;
    std::vector<ValueId> outputs;
    // Subgraphs (If/Loop/Scan bodies): values read from the enclosing graph, as (id here, id there).
    std::vector<std::pair<ValueId, ValueId>> captures;

    ValueId add_value(Value v) {
        values.push_back(std::move(v));
        return ValueId(values.size() - 1);
    }
    Value& value(ValueId id) { return values[std::size_t(id)]; }
    const Value& value(ValueId id) const { return values[std::size_t(id)]; }
    // Lookup by name; kNoValue when absent. Linear: only for tests and the driver.
    ValueId find_value(const std::string& name) const;
    bool is_graph_input(ValueId id) const;
    bool is_graph_output(ValueId id) const;
    // For each value, the index of the node producing it (-1 for inputs and constants).
    std::vector<int> producers() const;
    // For each value, the indices of the nodes reading it, in node order.
    std::vector<std::vector<int>> consumers() const;
};

// Textual IR, one line per node: `%y: f32[1x8x4x4] = Conv(%x, %w, %b) {pads=[1,1,1,1]}  # conv1`.
std::string print_graph(const Graph& g);

}  // namespace kiln
