// ONNX import: graph structure, initializers (also listed as inputs), node order and names, opsets,
// and the errors for models that reference what they never define.
#include <catch2/catch.hpp>

#include "eval/evaluator.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string import_error(const onnx::ModelProto& m, const ImportOptions& o = {}) {
    Expected<Graph> g = import_model(m, o);
    REQUIRE_FALSE(g.is_ok());
    return g.status().message();
}
}  // namespace

TEST_CASE("import builds values nodes inputs and outputs", "[frontend]") {
    Expected<Graph> g = import_model(relu_model());
    REQUIRE(g.is_ok());
    CHECK(g->name == "test_graph");
    REQUIRE(g->inputs.size() == 1);
    const Value& x = g->value(g->inputs[0]);
    CHECK(x.name == "x");
    CHECK(x.dtype == DType::Float32);
    CHECK(x.shape == Shape{2, 3});
    CHECK(x.shape_known);
    CHECK_FALSE(x.is_constant());
    REQUIRE(g->nodes.size() == 1);
    const Node& n = g->nodes[0];
    CHECK(n.op_type == "Relu");
    CHECK(n.name == "relu1");
    CHECK(n.domain.empty());
    CHECK(n.opset == 13);
    CHECK(n.inputs == std::vector<ValueId>{g->inputs[0]});
    REQUIRE(g->outputs.size() == 1);
    CHECK(g->value(g->outputs[0]).name == "y");
    CHECK(n.outputs == g->outputs);
    CHECK_FALSE(g->value(g->outputs[0]).shape_known);  // inference is a pass, not the frontend's job
}

TEST_CASE("node attributes of every kind are imported", "[frontend]") {
    onnx::ModelProto m = relu_model();
    auto* n = m.mutable_graph()->mutable_node(0);
    auto attr = [&](const char* name, onnx::AttributeProto::AttributeType t) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(t);
        return a;
    };
    attr("f", onnx::AttributeProto::FLOAT)->set_f(0.25f);
    attr("i", onnx::AttributeProto::INT)->set_i(-7);
    attr("s", onnx::AttributeProto::STRING)->set_s("same_upper");
    auto* fs = attr("fs", onnx::AttributeProto::FLOATS);
    fs->add_floats(1.5f);
    fs->add_floats(-2.0f);
    auto* is = attr("is", onnx::AttributeProto::INTS);
    is->add_ints(3);
    is->add_ints(1);
    attr("ss", onnx::AttributeProto::STRINGS)->add_strings("a");
    *attr("t", onnx::AttributeProto::TENSOR)->mutable_t() = int64_tensor("", {2}, {4, 5});
    // A subgraph reading a value of the enclosing graph ("x") becomes a Graph with that value captured.
    onnx::GraphProto* sub = attr("g", onnx::AttributeProto::GRAPH)->mutable_g();
    sub->set_name("body");
    onnx::NodeProto* sn = sub->add_node();
    sn->set_op_type("Neg");
    sn->add_input("x");
    sn->add_output("nx");
    sub->add_output()->set_name("nx");
    Expected<Graph> g = import_model(m);
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    const auto& a = g->nodes[0].attrs;
    CHECK(a.at("f").kind == Attribute::Kind::Float);
    CHECK(a.at("f").f == 0.25f);
    CHECK(a.at("i").i == -7);
    CHECK(a.at("s").s == "same_upper");
    CHECK(a.at("fs").floats == std::vector<float>{1.5f, -2.0f});
    CHECK(a.at("is").ints == std::vector<int64_t>{3, 1});
    CHECK(a.at("ss").strings == std::vector<std::string>{"a"});
    REQUIRE(a.at("t").t.has_value());
    CHECK(a.at("t").t->to_int64_vector() == std::vector<int64_t>{4, 5});
    CHECK(a.at("g").kind == Attribute::Kind::Graph);
    REQUIRE(a.at("g").g);
    const Graph& body = *a.at("g").g;
    CHECK(body.nodes.size() == 1);
    REQUIRE(body.captures.size() == 1);
    CHECK(body.value(body.captures[0].first).name == "x");
    CHECK(body.captures[0].second == g->find_value("x"));
}

TEST_CASE("initializers via raw_data and typed fields import to the same tensor", "[frontend]") {
    const std::vector<float> w = {0.5f, -1.25f, 3.0f, 1e-8f, -0.0f, 65504.0f};
    for (bool raw : {true, false}) {
        INFO((raw ? "raw_data" : "float_data"));
        onnx::ModelProto m = make_model();
        add_input(m, "x", kFloat, {2, 3});
        add_initializer(m, raw ? raw_float_tensor("w", {2, 3}, w) : typed_float_tensor("w", {2, 3}, w));
        add_node(m, "Mul", {"x", "w"}, {"y"});
        add_output(m, "y", kFloat, {2, 3});
        Expected<Graph> g = import_model(m);
        REQUIRE(g.is_ok());
        ValueId id = g->find_value("w");
        REQUIRE(id != kNoValue);
        const Value& v = g->value(id);
        REQUIRE(v.is_constant());
        CHECK(v.shape == Shape{2, 3});
        CHECK(v.shape_known);
        CHECK(v.data->same_bytes(float_tensor({2, 3}, w)));
        CHECK(g->inputs.size() == 1);  // initializers are not run() inputs
    }
}

TEST_CASE("a graph input that is also an initializer is a constant", "[frontend]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {3});
    add_input(m, "b", kFloat, {3});  // IR < 4 style: initializers repeated as inputs
    add_initializer(m, raw_float_tensor("b", {3}, {1, 2, 3}));
    add_node(m, "Add", {"x", "b"}, {"y"});
    add_output(m, "y", kFloat, {3});
    Expected<Graph> g = import_model(m);
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    REQUIRE(g->inputs.size() == 1);
    CHECK(g->value(g->inputs[0]).name == "x");
    CHECK(g->value(g->find_value("b")).is_constant());
    Graph gi = inferred(std::move(*g));
    std::vector<Tensor> out = evaluate_ok(gi, {float_tensor({3}, {10, 20, 30})});
    CHECK(out[0].same_bytes(float_tensor({3}, {11, 22, 33})));
}

TEST_CASE("unsorted nodes are imported in a topological order", "[frontend]") {
    // y = Relu(x) - x*x, listed consumers first.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {4});
    add_node(m, "Sub", {"r", "sq"}, {"y"}, "sub");
    add_node(m, "Mul", {"x", "x"}, {"sq"}, "mul");
    add_node(m, "Relu", {"x"}, {"r"}, "relu");
    add_output(m, "y", kFloat, {4});
    Expected<Graph> g = import_model(m);
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    REQUIRE(g->nodes.size() == 3);
    // Stable: among ready nodes, file order (mul before relu).
    CHECK(g->nodes[0].name == "mul");
    CHECK(g->nodes[1].name == "relu");
    CHECK(g->nodes[2].name == "sub");
    Graph gi = inferred(std::move(*g));
    std::vector<Tensor> out = evaluate_ok(gi, {float_tensor({4}, {-2, -0.5f, 1, 3})});
    CHECK(out[0].same_bytes(float_tensor({4}, {-4, -0.25f, 0, -6})));
}

TEST_CASE("nodes get unique non-empty names", "[frontend]") {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {2});
    add_node(m, "Relu", {"x"}, {"a"});
    add_node(m, "Relu", {"a"}, {"b"}, "same");
    add_node(m, "Relu", {"b"}, {"c"}, "same");
    add_node(m, "Relu", {"c"}, {"d"});
    add_output(m, "d", kFloat, {2});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    std::set<std::string> names;
    for (const Node& n : g->nodes) {
        CHECK_FALSE(n.name.empty());
        names.insert(n.name);
    }
    CHECK(names.size() == 4);
    CHECK(names.count("same"));
}

TEST_CASE("opsets 1 to 17 are read and newer ones rejected", "[frontend]") {
    for (int opset : {1, 6, 7, 11, 13, 17}) {
        INFO("opset " << opset);
        onnx::ModelProto m = relu_model();
        m.mutable_opset_import(0)->set_version(opset);
        Expected<Graph> g = import_model(m);
        REQUIRE(g.is_ok());
        CHECK(g->nodes[0].opset == opset);
    }
    for (int opset : {18, 100}) {
        INFO("opset " << opset);
        onnx::ModelProto m = relu_model();
        m.mutable_opset_import(0)->set_version(opset);
        std::string e = import_error(m);
        CHECK(contains(e, "test.onnx: "));
        CHECK(contains(e, fmt::format("opset {} is not supported", opset)));
        CHECK(contains(e, "1 to 17"));
    }
}

TEST_CASE("the ai.onnx domain is the default domain", "[frontend]") {
    onnx::ModelProto m = relu_model();
    m.mutable_opset_import(0)->set_domain("ai.onnx");
    m.mutable_graph()->mutable_node(0)->set_domain("ai.onnx");
    Expected<Graph> g = import_model(m);
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    CHECK(g->nodes[0].domain.empty());
    CHECK(g->nodes[0].opset == 13);
}

TEST_CASE("domains and opset imports that do not fit are rejected", "[frontend]") {
    SECTION("a node in a domain the model does not import") {
        onnx::ModelProto m = relu_model();
        m.mutable_graph()->mutable_node(0)->set_domain("com.example");
        std::string e = import_error(m);
        CHECK(contains(e, "node 'relu1' (Relu"));
        CHECK(contains(e, "domain 'com.example' is not imported"));
    }
    SECTION("only a custom domain is imported") {
        onnx::ModelProto m = relu_model();
        m.mutable_opset_import(0)->set_domain("com.example");
        CHECK(contains(import_error(m), "imports no default-domain opset"));
    }
    SECTION("Kiln's internal domain, even when imported") {
        onnx::ModelProto m = relu_model();
        auto* op = m.add_opset_import();
        op->set_domain("kiln");
        op->set_version(1);
        m.mutable_graph()->mutable_node(0)->set_domain("kiln");
        std::string e = import_error(m);
        CHECK(contains(e, "node 'relu1' (Relu"));
        CHECK(contains(e, "domain 'kiln' is reserved"));
    }
}

TEST_CASE("graphs without a graph or outputs are rejected", "[frontend]") {
    onnx::ModelProto none;
    none.set_ir_version(8);
    CHECK(contains(import_error(none), "has no graph"));

    onnx::ModelProto m = relu_model();
    m.mutable_graph()->clear_output();
    CHECK(contains(import_error(m), "no outputs"));

    onnx::ModelProto missing = relu_model();
    add_output(missing, "ghost", kFloat, {2, 3});
    CHECK(contains(import_error(missing), "graph output 'ghost' is not produced"));
}

TEST_CASE("inputs that are not plain tensors are rejected with their name", "[frontend]") {
    onnx::ModelProto seq = make_model();
    auto* in = seq.mutable_graph()->add_input();
    in->set_name("s");
    in->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(kFloat);
    add_node(seq, "Relu", {"s"}, {"y"});
    add_output(seq, "y", kFloat, {1});
    CHECK(contains(import_error(seq), "input 's' is not a tensor"));

    onnx::ModelProto str = make_model();
    add_input(str, "t", onnx::TensorProto::STRING, {2});
    add_node(str, "Relu", {"t"}, {"y"});
    add_output(str, "y", kFloat, {2});
    CHECK(contains(import_error(str), "input 't' has element type 8"));
}

TEST_CASE("import_onnx_file reports missing files folders and names the file", "[frontend]") {
    Expected<Graph> missing = import_onnx_file("/nonexistent/dir/m.onnx", {});
    REQUIRE_FALSE(missing.is_ok());
    CHECK(missing.status().message() == "/nonexistent/dir/m.onnx: no such file");
    Expected<Graph> dir = import_onnx_file("/tmp", {});
    REQUIRE_FALSE(dir.is_ok());
    CHECK(contains(dir.status().message(), "is a directory"));
}
