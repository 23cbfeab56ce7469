// Constant nodes of every value_* kind become constant values at import, and feed folding like initializers.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

// c = Constant(<attr>); y = Identity-like use of c so the model is valid: y = Add(x, c) when float.
onnx::ModelProto constant_model(const std::function<void(onnx::AttributeProto&)>& set_attr) {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {1});
    auto* n = add_node(m, "Constant", {}, {"c"}, "const1");
    set_attr(*n->add_attribute());
    add_node(m, "Relu", {"x"}, {"y"});
    add_output(m, "y", kFloat, {1});
    add_output(m, "c", kFloat, {});
    return m;
}

const Value& constant_c(const Expected<Graph>& g) {
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    ValueId id = g->find_value("c");
    REQUIRE(id != kNoValue);
    REQUIRE(g->value(id).is_constant());
    for (const Node& n : g->nodes) CHECK(n.op_type != "Constant");  // no Constant node survives import
    return g->value(id);
}

}  // namespace

TEST_CASE("Constant value attribute holds a tensor", "[frontend][constant]") {
    Expected<Graph> g = import_model(constant_model([](onnx::AttributeProto& a) {
        a.set_name("value");
        a.set_type(onnx::AttributeProto::TENSOR);
        *a.mutable_t() = raw_float_tensor("", {2, 2}, {1, 2, 3, 4});
    }));
    const Value& c = constant_c(g);
    CHECK(c.dtype == DType::Float32);
    CHECK(c.shape == Shape{2, 2});
    CHECK(c.shape_known);
    CHECK(c.data->same_bytes(float_tensor({2, 2}, {1, 2, 3, 4})));
}

TEST_CASE("Constant value_float and value_floats", "[frontend][constant]") {
    Expected<Graph> f = import_model(constant_model([](onnx::AttributeProto& a) {
        a.set_name("value_float");
        a.set_type(onnx::AttributeProto::FLOAT);
        a.set_f(-0.75f);
    }));
    const Value& cf = constant_c(f);
    CHECK(cf.dtype == DType::Float32);
    CHECK(cf.shape.empty());  // a scalar
    CHECK(cf.data->data<float>()[0] == -0.75f);

    Expected<Graph> fs = import_model(constant_model([](onnx::AttributeProto& a) {
        a.set_name("value_floats");
        a.set_type(onnx::AttributeProto::FLOATS);
        a.add_floats(1.5f);
        a.add_floats(2.5f);
        a.add_floats(-3.0f);
    }));
    const Value& cfs = constant_c(fs);
    CHECK(cfs.shape == Shape{3});
    CHECK(cfs.data->same_bytes(float_tensor({3}, {1.5f, 2.5f, -3.0f})));
}

TEST_CASE("Constant value_int and value_ints are int64", "[frontend][constant]") {
    Expected<Graph> i = import_model(constant_model([](onnx::AttributeProto& a) {
        a.set_name("value_int");
        a.set_type(onnx::AttributeProto::INT);
        a.set_i(INT64_MIN);
    }));
    const Value& ci = constant_c(i);
    CHECK(ci.dtype == DType::Int64);
    CHECK(ci.shape.empty());
    CHECK(ci.data->as_int64(0) == INT64_MIN);

    Expected<Graph> is = import_model(constant_model([](onnx::AttributeProto& a) {
        a.set_name("value_ints");
        a.set_type(onnx::AttributeProto::INTS);
        a.add_ints(4);
        a.add_ints(-1);
    }));
    const Value& cis = constant_c(is);
    CHECK(cis.dtype == DType::Int64);
    CHECK(cis.data->to_int64_vector() == std::vector<int64_t>{4, -1});
}

TEST_CASE("Constant kinds Kiln does not hold are rejected naming the node and attribute", "[frontend][constant]") {
    auto error = [](const std::function<void(onnx::AttributeProto&)>& f) {
        Expected<Graph> g = import_model(constant_model(f));
        REQUIRE_FALSE(g.is_ok());
        return g.status().message();
    };
    std::string s = error([](onnx::AttributeProto& a) {
        a.set_name("value_string");
        a.set_type(onnx::AttributeProto::STRING);
        a.set_s("hello");
    });
    CHECK(s.find("node 'const1' (Constant, opset 13)") != std::string::npos);
    CHECK(s.find("attribute 'value_string' is not supported") != std::string::npos);
    std::string sp = error([](onnx::AttributeProto& a) {
        a.set_name("sparse_value");
        a.set_type(onnx::AttributeProto::SPARSE_TENSOR);
    });
    CHECK(sp.find("'sparse_value' is not supported") != std::string::npos);
    std::string kind = error([](onnx::AttributeProto& a) {  // the name says float, the payload is ints
        a.set_name("value_float");
        a.set_type(onnx::AttributeProto::INTS);
        a.add_ints(1);
    });
    CHECK(kind.find("'value_float' is not supported") != std::string::npos);
}

TEST_CASE("Constant with two value attributes or two outputs is rejected", "[frontend][constant]") {
    onnx::ModelProto two = constant_model([](onnx::AttributeProto& a) {
        a.set_name("value_int");
        a.set_type(onnx::AttributeProto::INT);
        a.set_i(1);
    });
    auto* extra = two.mutable_graph()->mutable_node(0)->add_attribute();
    extra->set_name("value_float");
    extra->set_type(onnx::AttributeProto::FLOAT);
    Expected<Graph> g = import_model(two);
    REQUIRE_FALSE(g.is_ok());
    CHECK(g.status().message().find("expected exactly one value attribute") != std::string::npos);

    onnx::ModelProto outs = constant_model([](onnx::AttributeProto& a) {
        a.set_name("value_int");
        a.set_type(onnx::AttributeProto::INT);
    });
    outs.mutable_graph()->mutable_node(0)->add_output("c2");
    Expected<Graph> g2 = import_model(outs);
    REQUIRE_FALSE(g2.is_ok());
    CHECK(g2.status().message().find("expected 1 output") != std::string::npos);
}

TEST_CASE("Constant outputs feed other nodes and fold away", "[frontend][constant]") {
    // y = x * (c1 + c2) with c1, c2 Constant nodes: the Add folds into one weight.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2});
    for (const char* name : {"c1", "c2"}) {
        auto* n = add_node(m, "Constant", {}, {name});
        auto* a = n->add_attribute();
        a->set_name("value_floats");
        a->set_type(onnx::AttributeProto::FLOATS);
        a->add_floats(name[1] == '1' ? 1.0f : 2.0f);
        a->add_floats(name[1] == '1' ? 10.0f : 20.0f);
    }
    add_node(m, "Add", {"c1", "c2"}, {"s"});
    add_node(m, "Mul", {"x", "s"}, {"y"});
    add_output(m, "y", kFloat, {2});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    CHECK(r->nodes.size() == 1);
    CHECK(count_ops(*r, "Mul") == 1);
    std::vector<Tensor> out = evaluate_ok(*r, {float_tensor({2}, {2, -1})});
    CHECK(out[0].same_bytes(float_tensor({2}, {6, -30})));
}
