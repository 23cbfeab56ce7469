// ONNX frontend: reads a model file (with external data beside it) into the graph IR.
#pragma once

#include <map>
#include <string>

#include "diag/status.h"
#include "ir/graph.h"

namespace onnx {
class TensorProto;
}

namespace kiln {

struct ImportOptions {
    // Binds graph input shapes (required for inputs with symbolic or unknown dims).
    std::map<std::string, Shape> input_shapes;
    // Graph inputs replaced by constants (specialising the model to one value, e.g. a shape input).
    std::map<std::string, Tensor> frozen_inputs;
};

// Older opsets load too; ops read node.opset for semantics that changed, and reject legacy attributes.
constexpr int kMinOpset = 1;
constexpr int kMaxOpset = 17;

// Errors are prefixed with the file name.
Expected<Graph> import_onnx_file(const std::string& path, const ImportOptions& options);
// base_dir resolves external data paths; `label` names the model in errors.
Expected<Graph> import_onnx_bytes(const std::string& bytes, const std::string& base_dir,
                                  const ImportOptions& options, const std::string& label);

// A TensorProto's contents; base_dir is where external data files are looked up ("" forbids them).
Expected<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir);
// A serialized TensorProto file, as in the ONNX test data (input_0.pb).
Expected<Tensor> load_tensor_file(const std::string& path);
// Writes t as a serialized TensorProto.
Status save_tensor_file(const Tensor& t, const std::string& name, const std::string& path);

// Parses "1x3x224x224" (dims >= 0). Empty string means a scalar.
Expected<Shape> parse_shape(const std::string& text);

}  // namespace kiln

namespace kiln {
// Names of the graph inputs that are not initializers, in order (for binding shapes from test data). Fails when
// an input or output is not a tensor of a type Kiln supports (strings, sequences, optionals).
Expected<std::vector<std::string>> model_input_names(const std::string& path);
}  // namespace kiln
