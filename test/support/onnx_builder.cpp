// ONNX model and tensor construction for tests.
#include "support/onnx_builder.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace kiln {
namespace test {

namespace {
void set_type(onnx::ValueInfoProto* vi, int elem_type, const std::vector<Dim>& dims) {
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();
    for (const Dim& d : dims) {
        auto* sd = shape->add_dim();
        if (d.param.empty()) sd->set_dim_value(d.value);
        else sd->set_dim_param(d.param);
    }
}
}  // namespace

onnx::ModelProto make_model(int opset) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.set_producer_name("kiln-tests");
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    m.mutable_graph()->set_name("test_graph");
    return m;
}

onnx::ValueInfoProto* add_input(onnx::ModelProto& m, const std::string& name, int elem_type, std::vector<Dim> dims) {
    auto* vi = m.mutable_graph()->add_input();
    vi->set_name(name);
    set_type(vi, elem_type, dims);
    return vi;
}

onnx::ValueInfoProto* add_output(onnx::ModelProto& m, const std::string& name, int elem_type, std::vector<Dim> dims) {
    auto* vi = m.mutable_graph()->add_output();
    vi->set_name(name);
    set_type(vi, elem_type, dims);
    return vi;
}

onnx::NodeProto* add_node(onnx::ModelProto& m, const std::string& op, std::vector<std::string> inputs,
                          std::vector<std::string> outputs, const std::string& name) {
    auto* n = m.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
}

void add_initializer(onnx::ModelProto& m, onnx::TensorProto t) { *m.mutable_graph()->add_initializer() = std::move(t); }

onnx::TensorProto raw_float_tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t.add_dims(d);
    t.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    return t;
}

namespace {
onnx::AttributeProto* new_attr(onnx::NodeProto* n, const std::string& name, onnx::AttributeProto::AttributeType t) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(t);
    return a;
}
}  // namespace

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) { new_attr(n, name, onnx::AttributeProto::INT)->set_i(v); }

void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = new_attr(n, name, onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
}

void set_float(onnx::NodeProto* n, const std::string& name, float v) {
    new_attr(n, name, onnx::AttributeProto::FLOAT)->set_f(v);
}

void set_string(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    new_attr(n, name, onnx::AttributeProto::STRING)->set_s(v);
}

onnx::TensorProto typed_float_tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t.add_dims(d);
    for (float x : v) t.add_float_data(x);
    return t;
}

onnx::TensorProto int64_tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<int64_t>& v) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t.add_dims(d);
    for (int64_t x : v) t.add_int64_data(x);
    return t;
}

onnx::TensorProto to_proto(const Tensor& t, const std::string& name) {
    onnx::TensorProto p;
    p.set_name(name);
    p.set_data_type(int(t.dtype()));
    for (int64_t d : t.shape()) p.add_dims(d);
    p.set_raw_data(std::string(reinterpret_cast<const char*>(t.raw()), t.nbytes()));
    return p;
}

Tensor float_tensor(Shape shape, const std::vector<float>& v) {
    Tensor t(DType::Float32, std::move(shape));
    if (std::size_t(t.numel()) != v.size()) throw std::invalid_argument("float_tensor: value count != shape");
    if (!v.empty()) std::memcpy(t.raw(), v.data(), v.size() * sizeof(float));
    return t;
}

Tensor random_float_tensor(Shape shape, uint32_t seed, float lo, float hi) {
    Tensor t(DType::Float32, std::move(shape));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    return t;
}

std::string serialize(const onnx::ModelProto& m) {
    std::string s;
    if (!m.SerializeToString(&s)) throw std::runtime_error("cannot serialize model");
    return s;
}

void write_model(const onnx::ModelProto& m, const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    out << serialize(m);
    if (!out) throw std::runtime_error("cannot write " + path);
}

void write_tensor_pb(const Tensor& t, const std::string& name, const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    if (!to_proto(t, name).SerializeToOstream(&out)) throw std::runtime_error("cannot write " + path);
}

void write_data_set(const std::string& dir, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
    std::filesystem::create_directories(dir);
    for (std::size_t i = 0; i < inputs.size(); ++i)
        write_tensor_pb(inputs[i], "input_" + std::to_string(i), dir + "/input_" + std::to_string(i) + ".pb");
    for (std::size_t i = 0; i < outputs.size(); ++i)
        write_tensor_pb(outputs[i], "output_" + std::to_string(i), dir + "/output_" + std::to_string(i) + ".pb");
}

Expected<Graph> import_model(const onnx::ModelProto& m, const ImportOptions& options, const std::string& base_dir) {
    return import_onnx_bytes(serialize(m), base_dir, options, "test.onnx");
}

onnx::ModelProto relu_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2, 3});
    add_node(m, "Relu", {"x"}, {"y"}, "relu1");
    add_output(m, "y", kFloat, {2, 3});
    return m;
}

}  // namespace test
}  // namespace kiln
