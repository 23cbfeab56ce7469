// If, Loop and Scan are expanded at compile time: results match hand-computed values, no control-flow node
// survives the pipeline, and a condition only known at run time is refused with a clear error.
#include <catch2/catch.hpp>

#include "passes/pass.h"
#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

void value_info(onnx::ValueInfoProto* v, const std::string& name, int type, std::vector<int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}

onnx::NodeProto* graph_node(onnx::GraphProto* g, const std::string& op, std::vector<std::string> in,
                            std::vector<std::string> out) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    for (const auto& s : in) n->add_input(s);
    for (const auto& s : out) n->add_output(s);
    return n;
}

onnx::AttributeProto* graph_attr(onnx::NodeProto* n, const std::string& name) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::GRAPH);
    return a;
}

onnx::TensorProto bool_scalar(const std::string& name, bool v) {
    Tensor t(DType::Bool, {});
    t.data<uint8_t>()[0] = v;
    return to_proto(t, name);
}

std::vector<Tensor> run_model(const onnx::ModelProto& m, const std::vector<Tensor>& inputs, Graph* out = nullptr) {
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    INFO(r.status().message());
    REQUIRE(r.is_ok());
    for (const char* op : {"If", "Loop", "Scan"}) CHECK(count_ops(*r, op) == 0);
    std::vector<Tensor> res = evaluate_ok(*r, inputs);
    if (out) *out = std::move(*r);
    return res;
}

// y = If(cond) { x + 1 } else { x * 3 }: both branches read x from the enclosing graph.
onnx::ModelProto if_model(bool cond) {
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {3});
    add_initializer(m, bool_scalar("cond", cond));
    add_initializer(m, raw_float_tensor("one", {1}, {1.0f}));
    add_initializer(m, raw_float_tensor("three", {1}, {3.0f}));
    onnx::NodeProto* n = add_node(m, "If", {"cond"}, {"y"}, "branch");
    onnx::GraphProto* t = graph_attr(n, "then_branch")->mutable_g();
    t->set_name("then");
    graph_node(t, "Add", {"x", "one"}, {"t_out"});
    value_info(t->add_output(), "t_out", kFloat, {3});
    onnx::GraphProto* e = graph_attr(n, "else_branch")->mutable_g();
    e->set_name("else");
    graph_node(e, "Mul", {"x", "three"}, {"e_out"});
    value_info(e->add_output(), "e_out", kFloat, {3});
    add_output(m, "y", kFloat, {3});
    return m;
}

}  // namespace

TEST_CASE("If inlines the branch its constant condition picks", "[ops][control_flow]") {
    Tensor x = float_tensor({3}, {1.0f, -2.0f, 0.5f});
    Graph g;
    std::vector<Tensor> then_out = run_model(if_model(true), {x}, &g);
    CHECK(g.value(g.outputs[0]).name == "y");  // the API keeps the model's output name
    CHECK(then_out[0].data<float>()[1] == Approx(-1.0f));
    std::vector<Tensor> else_out = run_model(if_model(false), {x});
    CHECK(else_out[0].data<float>()[0] == Approx(3.0f));
    CHECK(else_out[0].data<float>()[2] == Approx(1.5f));
}

TEST_CASE("If on a run-time condition is refused with the node named", "[ops][control_flow]") {
    onnx::ModelProto m = if_model(true);
    // Turn the initializer into a graph input.
    m.mutable_graph()->mutable_initializer()->erase(m.mutable_graph()->mutable_initializer()->begin());
    add_input(m, "cond", onnx::TensorProto::BOOL, {});
    Expected<Graph> g = import_model(m);
    REQUIRE(g.is_ok());
    Expected<Graph> r = run_pipeline(std::move(*g), pipeline_for_target("portable"));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("node 'branch' (If, opset 13)") != std::string::npos);
    CHECK(r.status().message().find("must be known at compile time") != std::string::npos);
}

TEST_CASE("Loop unrolls a constant trip count, carrying values and stacking scan outputs", "[ops][control_flow]") {
    // v_{i+1} = v_i + x * i; scan_i = v_{i+1}; with M = 3.
    onnx::ModelProto m = make_model(13);
    add_input(m, "x", kFloat, {2});
    add_input(m, "v0", kFloat, {2});
    add_initializer(m, int64_tensor("M", {}, {3}));
    add_initializer(m, bool_scalar("c", true));
    onnx::NodeProto* n = add_node(m, "Loop", {"M", "c", "v0"}, {"v_final", "scan"}, "loop");
    onnx::GraphProto* b = graph_attr(n, "body")->mutable_g();
    b->set_name("body");
    value_info(b->add_input(), "i", kInt64, {});
    value_info(b->add_input(), "cond_in", onnx::TensorProto::BOOL, {});
    value_info(b->add_input(), "v_in", kFloat, {2});
    onnx::NodeProto* cast = graph_node(b, "Cast", {"i"}, {"i_f"});
    onnx::AttributeProto* to = cast->add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(kFloat);
    graph_node(b, "Mul", {"x", "i_f"}, {"step"});
    graph_node(b, "Add", {"v_in", "step"}, {"v_out"});
    graph_node(b, "Identity", {"cond_in"}, {"cond_out"});
    graph_node(b, "Identity", {"v_out"}, {"scan_out"});
    value_info(b->add_output(), "cond_out", onnx::TensorProto::BOOL, {});
    value_info(b->add_output(), "v_out", kFloat, {2});
    value_info(b->add_output(), "scan_out", kFloat, {2});
    add_output(m, "v_final", kFloat, {2});
    add_output(m, "scan", kFloat, {3, 2});
    std::vector<Tensor> out = run_model(m, {float_tensor({2}, {1.0f, 2.0f}), float_tensor({2}, {10.0f, 20.0f})});
    // v1 = v0 + 0x, v2 = v1 + 1x, v3 = v2 + 2x
    CHECK(out[0].data<float>()[0] == Approx(13.0f));
    CHECK(out[0].data<float>()[1] == Approx(26.0f));
    REQUIRE(out[1].shape() == Shape{3, 2});
    const std::vector<float> want = {10, 20, 11, 22, 13, 26};
    for (int i = 0; i < 6; ++i) CHECK(out[1].data<float>()[i] == Approx(want[std::size_t(i)]));
}

TEST_CASE("Scan walks its input in the given direction", "[ops][control_flow]") {
    // Running sum over the rows of x, read backwards (scan_input_directions = [1]).
    onnx::ModelProto m = make_model(11);
    add_input(m, "init", kFloat, {2});
    add_input(m, "x", kFloat, {3, 2});
    onnx::NodeProto* n = add_node(m, "Scan", {"init", "x"}, {"sum", "partials"}, "scan");
    onnx::AttributeProto* k = n->add_attribute();
    k->set_name("num_scan_inputs");
    k->set_type(onnx::AttributeProto::INT);
    k->set_i(1);
    onnx::AttributeProto* d = n->add_attribute();
    d->set_name("scan_input_directions");
    d->set_type(onnx::AttributeProto::INTS);
    d->add_ints(1);
    onnx::GraphProto* b = graph_attr(n, "body")->mutable_g();
    b->set_name("body");
    value_info(b->add_input(), "s_in", kFloat, {2});
    value_info(b->add_input(), "row", kFloat, {2});
    graph_node(b, "Add", {"s_in", "row"}, {"s_out"});
    graph_node(b, "Identity", {"s_out"}, {"p_out"});
    value_info(b->add_output(), "s_out", kFloat, {2});
    value_info(b->add_output(), "p_out", kFloat, {2});
    add_output(m, "sum", kFloat, {2});
    add_output(m, "partials", kFloat, {3, 2});
    std::vector<Tensor> out = run_model(m, {float_tensor({2}, {0, 0}), float_tensor({3, 2}, {1, 2, 3, 4, 5, 6})});
    CHECK(out[0].data<float>()[0] == Approx(9.0f));
    CHECK(out[0].data<float>()[1] == Approx(12.0f));
    const std::vector<float> want = {5, 6, 8, 10, 9, 12};  // rows 2, 2+1, 2+1+0
    for (int i = 0; i < 6; ++i) CHECK(out[1].data<float>()[i] == Approx(want[std::size_t(i)]));
}
