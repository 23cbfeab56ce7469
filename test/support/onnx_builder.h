// Small ONNX models built in C++ for tests: inputs with fixed or symbolic dims, nodes, initializers in
// raw or typed form, and test-data files, so each test shows the whole model it runs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "diag/status.h"
#include "frontend/onnx_import.h"
#include "ir/graph.h"

namespace kiln {
namespace test {

// A dim of a graph input/output: a fixed size or a symbolic name ("N").
struct Dim {
    Dim(int v) : value(v) {}
    Dim(int64_t v) : value(v) {}
    Dim(const char* p) : param(p) {}
    int64_t value = -1;
    std::string param;
};

constexpr int kFloat = onnx::TensorProto::FLOAT;
constexpr int kInt64 = onnx::TensorProto::INT64;
constexpr int kInt32 = onnx::TensorProto::INT32;

// ir_version 8 with one default-domain opset import.
onnx::ModelProto make_model(int opset = 13);
onnx::ValueInfoProto* add_input(onnx::ModelProto& m, const std::string& name, int elem_type, std::vector<Dim> dims);
onnx::ValueInfoProto* add_output(onnx::ModelProto& m, const std::string& name, int elem_type, std::vector<Dim> dims);
onnx::NodeProto* add_node(onnx::ModelProto& m, const std::string& op, std::vector<std::string> inputs,
                          std::vector<std::string> outputs, const std::string& name = "");
void add_initializer(onnx::ModelProto& m, onnx::TensorProto t);
// Attribute shorthands for a node made by add_node.
void set_int(onnx::NodeProto* n, const std::string& name, int64_t v);
void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v);
void set_float(onnx::NodeProto* n, const std::string& name, float v);
void set_string(onnx::NodeProto* n, const std::string& name, const std::string& v);

// Float tensors stored in raw_data (little-endian bytes) or in float_data.
onnx::TensorProto raw_float_tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v);
onnx::TensorProto typed_float_tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v);
onnx::TensorProto int64_tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<int64_t>& v);
// Any host tensor, as raw_data.
onnx::TensorProto to_proto(const Tensor& t, const std::string& name);

Tensor float_tensor(Shape shape, const std::vector<float>& v);
// Deterministic pseudo-random floats in [lo, hi).
Tensor random_float_tensor(Shape shape, uint32_t seed, float lo = -2.0f, float hi = 2.0f);

std::string serialize(const onnx::ModelProto& m);
void write_model(const onnx::ModelProto& m, const std::string& path);
// Writes a serialized TensorProto, as input_N.pb / output_N.pb in the ONNX test data.
void write_tensor_pb(const Tensor& t, const std::string& name, const std::string& path);

// Writes DIR/input_N.pb and DIR/output_N.pb (creating DIR), as one ONNX test_data_set folder.
void write_data_set(const std::string& dir, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);

// Imports a model from memory ("" as base dir: external data is refused).
Expected<Graph> import_model(const onnx::ModelProto& m, const ImportOptions& options = {},
                             const std::string& base_dir = "");

// y = Relu(x) on float[2x3]: the smallest useful model.
onnx::ModelProto relu_model();

}  // namespace test
}  // namespace kiln
