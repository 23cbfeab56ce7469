// Graph input shapes: symbolic dims bound through ImportOptions (--input-shape), and the errors for
// unbound, wrong-rank, conflicting or unknown bindings.
#include <catch2/catch.hpp>

#include "support/graph_check.h"
#include "support/onnx_builder.h"

using namespace kiln;
using namespace kiln::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// y = Relu(x), x: float[N, 3]
onnx::ModelProto symbolic_model() {
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {"N", 3});
    add_node(m, "Relu", {"x"}, {"y"});
    add_output(m, "y", kFloat, {"N", 3});
    return m;
}

std::string error_with(const onnx::ModelProto& m, std::map<std::string, Shape> shapes) {
    ImportOptions o;
    o.input_shapes = std::move(shapes);
    Expected<Graph> g = import_model(m, o);
    REQUIRE_FALSE(g.is_ok());
    return g.status().message();
}

}  // namespace

TEST_CASE("symbolic dims bound by ImportOptions", "[frontend][input_shape]") {
    ImportOptions o;
    o.input_shapes["x"] = {5, 3};
    Expected<Graph> g = import_model(symbolic_model(), o);
    INFO(g.status().message());
    REQUIRE(g.is_ok());
    const Value& x = g->value(g->inputs[0]);
    CHECK(x.shape == Shape{5, 3});
    CHECK(x.dim_params == std::vector<std::string>{"N", ""});
    Graph gi = inferred(std::move(*g));
    CHECK(gi.value(gi.outputs[0]).shape == Shape{5, 3});
}

TEST_CASE("an unbound symbolic dim is a clear error naming the dim and the flag", "[frontend][input_shape]") {
    Expected<Graph> g = import_model(symbolic_model());
    REQUIRE_FALSE(g.is_ok());
    CHECK(g.status().message() ==
          "test.onnx: input 'x' dim 0 ('N') is not fixed; bind it with --input-shape x=DIMS");

    onnx::ModelProto unnamed = symbolic_model();  // a dim with neither value nor name
    unnamed.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->clear_dim_param();
    Expected<Graph> u = import_model(unnamed);
    REQUIRE_FALSE(u.is_ok());
    CHECK(contains(u.status().message(), "dim 0 ('?') is not fixed"));
}

TEST_CASE("bindings of the wrong rank or conflicting with fixed dims are rejected", "[frontend][input_shape]") {
    CHECK(contains(error_with(symbolic_model(), {{"x", {5}}}), "--input-shape x=5 has rank 1, but the model declares rank 2"));
    CHECK(contains(error_with(symbolic_model(), {{"x", {5, 3, 1}}}), "has rank 3, but the model declares rank 2"));
    CHECK(contains(error_with(symbolic_model(), {{"x", {5, 4}}}), "--input-shape x=5x4 conflicts with the model's dim 1 = 3"));
}

TEST_CASE("binding a name that is not an input is rejected", "[frontend][input_shape]") {
    CHECK(contains(error_with(symbolic_model(), {{"x", {5, 3}}, {"z", {1}}}), "--input-shape names 'z', which is not an input"));
    CHECK(contains(error_with(relu_model(), {{"y", {2, 3}}}), "names 'y', which is not an input"));
}

TEST_CASE("a binding that agrees with fixed dims is accepted", "[frontend][input_shape]") {
    ImportOptions o;
    o.input_shapes["x"] = {2, 3};
    Expected<Graph> g = import_model(relu_model(), o);
    REQUIRE(g.is_ok());
    CHECK(g->value(g->inputs[0]).shape == Shape{2, 3});
}

TEST_CASE("input shapes whose element count would overflow are rejected", "[frontend][input_shape]") {
    // 2^80 elements wrap to 0 in int64 arithmetic: this must be an error, not an empty tensor.
    onnx::ModelProto m = make_model();
    add_input(m, "x", kFloat, {int64_t(1) << 40, int64_t(1) << 40});
    add_node(m, "Relu", {"x"}, {"y"});
    add_output(m, "y", kFloat, {});
    Expected<Graph> g = import_model(m);
    REQUIRE_FALSE(g.is_ok());
    CHECK(contains(g.status().message(), "input 'x' shape 1099511627776x1099511627776 has more than 4294967296 elements"));
    CHECK(contains(error_with(symbolic_model(), {{"x", {int64_t(1) << 31, 3}}}), "has more than 4294967296 elements"));
}

TEST_CASE("an input with no shape at all needs a binding and takes any rank", "[frontend][input_shape]") {
    onnx::ModelProto m = relu_model();
    m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
    Expected<Graph> g = import_model(m);
    REQUIRE_FALSE(g.is_ok());
    CHECK(contains(g.status().message(), "input 'x' has no shape; give it with --input-shape x=DIMS"));
    ImportOptions o;
    o.input_shapes["x"] = {4, 1, 2};
    Expected<Graph> bound = import_model(m, o);
    REQUIRE(bound.is_ok());
    CHECK(bound->value(bound->inputs[0]).shape == Shape{4, 1, 2});
}
